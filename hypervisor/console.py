"""A VM's console (or AUX) port: a small telnet server in the daemon.

Several clients may be connected at once; each sees the guest's output, and what any of
them types goes to the guest. A client that connects late first gets the recent output
(`BACKLOG_BYTES`), so the prompt is there. The server outlives VM restarts: it belongs to the
VM object, not to one run, and input typed while the VM is stopped is dropped.

Telnet: we announce WILL ECHO and WILL SUPPRESS-GO-AHEAD (character mode, the guest echoes)
and DO SUPPRESS-GO-AHEAD, then strip every IAC sequence from the input; 0xFF in the output
is doubled.
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import Callable

from .log import get_logger

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
ECHO, SGA, LINEMODE = 1, 3, 34
NEGOTIATION = bytes([IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, SGA, IAC, DONT, LINEMODE])
BACKLOG_BYTES = 16 * 1024
MAX_CLIENTS = 16


class TelnetInput:
    """Strips telnet commands from a client's byte stream (state survives across reads).

    Enter arrives as CR LF or CR NUL (RFC 854); the guest gets the CR alone, as from a
    terminal, so one key press is one line.
    """

    def __init__(self) -> None:
        self._state = "data"
        self._last_cr = False

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            state = self._state
            if state == "data":
                if byte == IAC:
                    self._state = "iac"
                elif not (self._last_cr and byte in (0x00, 0x0A)):
                    out.append(byte)
                self._last_cr = byte == 0x0D
            elif state == "iac":
                if byte == IAC:
                    out.append(IAC)
                    self._state = "data"
                elif byte in (DO, DONT, WILL, WONT):
                    self._state = "option"
                elif byte == SB:
                    self._state = "sb"
                else:
                    self._state = "data"
            elif state == "option":
                self._state = "data"
            elif state == "sb":
                if byte == IAC:
                    self._state = "sb_iac"
            elif state == "sb_iac":
                self._state = "data" if byte == SE else "sb"
        return bytes(out)


class ConsoleServer:
    def __init__(self, vm_name: str, kind: str, host: str, port: int,
                 on_input: Callable[[bytes], None]) -> None:
        self.vm_name = vm_name
        self.kind = kind                     # "console" or "aux"
        self.host = host
        self.port = port
        self.on_input = on_input
        self.backlog = bytearray()
        self.log = get_logger(vm=vm_name, port_kind=kind)
        self._server: asyncio.base_events.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port,
                                                  reuse_address=True)
        self.log.info("console.listening", host=self.host, port=self.port)

    def output(self, data: bytes) -> None:
        """Guest output: to every client, and to the backlog for later ones."""
        self.backlog += data
        del self.backlog[:-BACKLOG_BYTES]
        escaped = data.replace(b"\xff", b"\xff\xff")
        for writer in list(self._clients):
            if writer.is_closing():
                self._clients.discard(writer)
            else:
                writer.write(escaped)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._clients) >= MAX_CLIENTS:
            writer.close()
            return
        writer.write(NEGOTIATION + bytes(self.backlog).replace(b"\xff", b"\xff\xff"))
        self._clients.add(writer)
        telnet = TelnetInput()
        try:
            while data := await reader.read(4096):
                text = telnet.feed(data)
                if text:
                    self.on_input(text)
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._clients):
            writer.close()
        self._clients.clear()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
