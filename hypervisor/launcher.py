"""The launcher: a pre-warmed process that forks one worker per running VM.

Forking from a parent that already loaded numba and the compiled CPU core costs a few MB
and well under 0.1 s per worker; spawning a fresh interpreter costs ~54 MB and a second
(ARCHITECTURE.md). The launcher is a fresh, single-threaded interpreter (never a fork of the
daemon, whose event loop may own threads): it warms the core once, then waits for
`start` requests on its channel to the daemon.

For each request it makes a channel pair, forks, runs `hypervisor.worker.run_worker` in the
child and passes the daemon's end of the pair back over the launcher channel (SCM_RIGHTS).
It reaps workers and reports each exit (code or signal) to the daemon.

No orphans: the launcher dies with the daemon (PR_SET_PDEATHSIG, and EOF on its channel),
and every worker dies with the launcher (PR_SET_PDEATHSIG) or when its own channel closes.
"""
from __future__ import annotations

import asyncio
import ctypes
import os
import select
import signal
import socket
import subprocess
import sys
import time
from typing import Callable

from . import control

PR_SET_PDEATHSIG = 1
REAP_INTERVAL_S = 0.1


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send `sig` when our parent exits (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def warm_up() -> float:
    """Load the compiled CPU core (numba's cache) so forked workers start warm."""
    t0 = time.perf_counter()
    import numpy as np

    from cpu.state import Cpu
    cpu = Cpu(np.zeros(1 << 16, dtype=np.uint8))
    cpu.run(1)
    try:                                     # the platform, when it is there
        import platforms.c7200.machine  # noqa: F401
    except ImportError:
        pass
    return time.perf_counter() - t0


# -- the launcher process ------------------------------------------------------------------

def launcher_main(fd: int) -> int:
    parent = os.getppid()
    die_with_parent()
    if os.getppid() != parent:               # the daemon died before we could ask
        return 0
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the daemon's to handle
    channel = socket.socket(fileno=fd)
    warm_seconds = warm_up()
    channel.send(control.encode_json("ready", pid=os.getpid(), warm_seconds=warm_seconds))
    workers: set[int] = set()
    while True:
        readable, _, _ = select.select([channel], [], [], REAP_INTERVAL_S)
        if readable:
            message = channel.recv(control.MAX_MESSAGE)
            if not message:                  # the daemon is gone: so are its VMs
                for pid in workers:
                    _kill(pid)
                return 0
            _, request = control.decode(message)
            if request.get("op") == "start":
                pid = _fork_worker(channel, request)
                workers.add(pid)
        _reap(channel, workers)


def _fork_worker(channel: socket.socket, request: dict) -> int:
    daemon_end, worker_end = control.channel_pair()
    pid = os.fork()
    if pid == 0:                             # the worker
        code = 1
        try:
            channel.close()
            daemon_end.close()
            die_with_parent()
            from .worker import run_worker
            code = run_worker(worker_end, request["config"])
        except BaseException as exc:         # never return into the launcher's loop
            try:
                print(f"pydynamips worker: {exc!r}", file=sys.stderr, flush=True)
            finally:
                os._exit(70)
        os._exit(code)
    worker_end.close()
    socket.send_fds(channel, [control.encode_json("spawned", tag=request["tag"], pid=pid)],
                    [daemon_end.fileno()])
    daemon_end.close()
    return pid


def _reap(channel: socket.socket, workers: set[int]) -> None:
    while workers:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        workers.discard(pid)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            event = control.encode_json("exited", pid=pid, signal=sig,
                                        cause=f"killed by {signal.Signals(sig).name}")
        else:
            code = os.WEXITSTATUS(status)
            event = control.encode_json("exited", pid=pid, code=code,
                                        cause=f"exit code {code}")
        try:
            channel.send(event)
        except OSError:
            return


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# -- the daemon's side -----------------------------------------------------------------------

class LauncherError(Exception):
    pass


class Launcher:
    """The daemon's handle on the launcher process (start it once, early)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self._channel: socket.socket | None = None
        self._ready: asyncio.Future | None = None
        self._pending: dict[int, asyncio.Future] = {}
        self._exit_handlers: dict[int, Callable[[dict], None]] = {}
        self._exits: dict[int, dict] = {}    # exits reported before anyone asked
        self._tags = 0
        self.warm_seconds: float | None = None

    def spawn(self) -> None:
        """Start the launcher process (blocking, cheap: it warms up on its own)."""
        if self.process is not None:
            return
        ours, theirs = control.channel_pair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hypervisor.launcher", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], close_fds=True)
        theirs.close()
        ours.setblocking(False)
        self._channel = ours

    async def ready(self, timeout: float = 120.0) -> None:
        """Wait until the launcher has warmed the core (first use compiles it if no cache)."""
        self.spawn()
        loop = asyncio.get_running_loop()
        if self._ready is None:
            self._ready = loop.create_future()
            loop.add_reader(self._channel.fileno(), self._on_readable)
        await asyncio.wait_for(asyncio.shield(self._ready), timeout)

    async def start_worker(self, config: dict, timeout: float = 30.0) -> tuple[int, socket.socket]:
        await self.ready()
        self._tags += 1
        tag = self._tags
        future = asyncio.get_running_loop().create_future()
        self._pending[tag] = future
        self._channel.send(control.encode_json("start", tag=tag, config=config))
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(tag, None)

    def on_exit(self, pid: int, handler: Callable[[dict], None]) -> None:
        """Call `handler(event)` when worker `pid` has exited (at once if it already has)."""
        if pid in self._exits:
            handler(self._exits.pop(pid))
        else:
            self._exit_handlers[pid] = handler

    def _on_readable(self) -> None:
        try:
            message, fds, _, _ = socket.recv_fds(self._channel, control.MAX_MESSAGE, 4)
        except BlockingIOError:
            return
        except OSError as exc:
            self._fail(f"launcher channel error: {exc}")
            return
        if not message:
            self._fail("the launcher process exited")
            return
        _, event = control.decode(message)
        op = event.get("op")
        if op == "ready":
            self.warm_seconds = event.get("warm_seconds")
            if not self._ready.done():
                self._ready.set_result(None)
        elif op == "spawned":
            sock = socket.socket(fileno=fds[0])
            sock.setblocking(False)
            future = self._pending.get(event["tag"])
            if future is not None and not future.done():
                future.set_result((event["pid"], sock))
            else:                            # nobody waits any more: let it go
                sock.close()
        elif op == "exited":
            handler = self._exit_handlers.pop(event["pid"], None)
            if handler is not None:
                handler(event)
            else:
                self._exits[event["pid"]] = event

    def _fail(self, reason: str) -> None:
        if self._channel is not None:
            try:
                asyncio.get_running_loop().remove_reader(self._channel.fileno())
            except (RuntimeError, ValueError):
                pass
        error = LauncherError(reason)
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(error)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        for pid, handler in list(self._exit_handlers.items()):
            handler({"op": "exited", "pid": pid, "cause": reason})
        self._exit_handlers.clear()
        self._ready = None
        self.process = None
        self._channel = None

    def close(self) -> None:
        """Stop the launcher; its workers die with it."""
        if self._channel is not None:
            try:
                asyncio.get_running_loop().remove_reader(self._channel.fileno())
            except (RuntimeError, ValueError):
                pass
            self._channel.close()
            self._channel = None
        if self.process is not None:
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None
        self._ready = None


if __name__ == "__main__":
    sys.exit(launcher_main(int(sys.argv[1])))
