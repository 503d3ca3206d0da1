"""What the runtime benchmarks share: a real `pydynamips` daemon in a temp dir, its process
tree, and a raw console client. Imported by ghost_memory.py, idle_cpu.py, start_latency.py."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from protocol.client import HypervisorClient  # noqa: E402,F401

PROMPT = b"router> "
IAC = 0xFF


# -- processes ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> set[int]:
    kids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            kids.add(int(entry))
    return kids


def descendants(pid: int) -> set[int]:
    out, todo = set(), [pid]
    while todo:
        for kid in children_of(todo.pop()):
            if kid not in out:
                out.add(kid)
                todo.append(kid)
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


class Daemon:
    def __init__(self, workdir: Path, *args: str, env: dict | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        exe = Path(sys.executable).parent / "pydynamips"
        if not exe.exists():
            sys.exit(f"{exe} not found: run with the project's venv python")
        self.log_path = workdir / "daemon.log"
        self.out = open(workdir / "daemon.out", "w")
        self.proc = subprocess.Popen(
            [str(exe), "-H", f"127.0.0.1:{self.port}", "-l", str(self.log_path),
             "--log-level", "info", *args], cwd=workdir, stdout=self.out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
        self.seen: set[int] = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"pydynamips exited: {(workdir / 'daemon.out').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.proc.kill()
        sys.exit("pydynamips did not start listening")

    def launcher(self) -> int | None:
        kids = children_of(self.proc.pid)
        return min(kids) if kids else None

    def workers(self) -> set[int]:
        launcher = self.launcher()
        found = children_of(launcher) if launcher else set()
        self.seen |= found | ({launcher} if launcher else set())
        return found

    async def stop(self, client: HypervisorClient | None) -> list[int]:
        """`hypervisor stop`; returns the pids of ours still alive afterwards (then killed)."""
        self.seen |= descendants(self.proc.pid)
        try:
            if client is not None:
                await asyncio.wait_for(client.send("hypervisor stop"), 30)
                await client.close()
        except Exception as exc:                        # noqa: BLE001
            print(f"  hypervisor stop failed: {exc!r}", file=sys.stderr)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        deadline = time.monotonic() + 5
        left = [p for p in self.seen if alive(p)]
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = [p for p in self.seen if alive(p)]
        for pid in left:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        self.out.close()
        return left


# -- console -----------------------------------------------------------------------------------
class Console:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.seen = reader, writer, bytearray()

    @classmethod
    async def connect(cls, port: int) -> "Console":
        for _ in range(100):
            try:
                return cls(*await asyncio.open_connection("127.0.0.1", port))
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError(f"console port {port} never accepted")

    async def expect(self, text: bytes, timeout: float) -> bytes:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while text not in self.seen:
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"{text!r} not seen; got {bytes(self.seen[-300:])!r}")
            chunk = await asyncio.wait_for(self.reader.read(65536), left)
            if not chunk:
                raise ConnectionError(f"console closed; got {bytes(self.seen[-300:])!r}")
            self.seen += chunk
        end = self.seen.index(text) + len(text)
        out = bytes(self.seen[:end])
        del self.seen[:end]
        return out

    def close(self) -> None:
        self.writer.close()


