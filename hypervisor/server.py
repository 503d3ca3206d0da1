"""The TCP transport: accepts clients, feeds their bytes to the codec, writes replies.

Parsing lives in `protocol.codec`; this file only moves bytes. Each connection's commands
run strictly in order; a command always runs to completion once its line is complete,
even when its client disconnects meanwhile, so no object is left half-created.
"""
from __future__ import annotations

import asyncio
import contextlib

from protocol.codec import Reply, RequestDecoder
from protocol.status import Status

from .daemon import Hypervisor
from .log import get_logger
from .session import Session

READ_BYTES = 64 * 1024
SHUTDOWN_GRACE_S = 5.0


class HypervisorServer:
    def __init__(self, hypervisor: Hypervisor, host: str = "127.0.0.1", port: int = 7200) -> None:
        self.hypervisor = hypervisor
        self.host = host
        self.port = port
        self.log = get_logger()
        self._server: asyncio.base_events.Server | None = None
        self._connections: dict[asyncio.Task, asyncio.StreamWriter] = {}

    @property
    def bound_port(self) -> int:
        return self.port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port,
                                                  reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]   # the real one when 0
        self.log.info("hypervisor.listening", host=self.host, port=self.bound_port)

    async def serve_until_stopped(self) -> None:
        """Run until `hypervisor stop` (or `Hypervisor.request_stop`), then shut down."""
        if self._server is None:
            await self.start()
        await self.hypervisor.stopped.wait()
        await self.shutdown()

    async def shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        # Closing a transport ends its session's read with EOF: each connection finishes
        # the command it is running, then ends. Cancel only what does not end in time.
        others = {t: w for t, w in self._connections.items() if t is not asyncio.current_task()}
        for writer in others.values():
            writer.close()
        if others:
            _, late = await asyncio.wait(others, timeout=SHUTDOWN_GRACE_S)
            for task in late:
                task.cancel()
        await self.hypervisor.reset()
        self.hypervisor.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        self.log.info("hypervisor.stopped")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        peer_text = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        limit = self.hypervisor.options.max_clients
        if len(self._connections) >= limit:
            self.log.warning("connection.refused", peer=peer_text, reason="max_clients",
                             max_clients=limit)
            writer.close()
            return
        task = asyncio.current_task()
        self._connections[task] = writer
        session = Session(self.hypervisor, peer=peer_text)
        self.log.info("connection.open", peer=peer_text, clients=len(self._connections))
        try:
            await self._run_session(session, reader, writer)
        except (ConnectionError, OSError) as exc:
            self.log.info("connection.error", peer=peer_text, error=str(exc))
        except asyncio.CancelledError:
            self.log.warning("connection.cancelled", peer=peer_text)
        finally:
            self._connections.pop(task, None)
            writer.close()
            self.log.info("connection.close", peer=peer_text, commands=session.commands)

    async def _run_session(self, session: Session, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:
        decoder = RequestDecoder()
        while not session.close_requested:
            data = await reader.read(READ_BYTES)
            if not data:
                return
            for request in decoder.feed(data):
                if request.error is not None:
                    reply = Reply(Status.ERR_PARSING, request.error)
                else:
                    # Shielded: a cancelled connection never interrupts a command midway.
                    reply = await asyncio.shield(
                        self.hypervisor.table.dispatch(session, request.tokens))
                session.commands += 1
                writer.write(reply.encode())
                if session.close_requested:
                    break
            await writer.drain()
        if session.stop_requested:          # only once the reply is on its way
            self.hypervisor.request_stop()
