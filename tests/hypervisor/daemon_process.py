"""Run the real `pydynamips` command as a subprocess, for tests that need the whole program."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

PYDYNAMIPS = Path(sys.executable).with_name("pydynamips")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaemonProcess:
    def __init__(self, workdir: Path, *args: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        # Files, not pipes: a pipe nobody reads would block the daemon once full.
        self.stdout_path = workdir / "daemon.stdout"
        self.stderr_path = workdir / "daemon.stderr"
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(
                [str(PYDYNAMIPS), "-H", f"127.0.0.1:{self.port}", *args], cwd=workdir,
                stdout=out, stderr=err, text=True)
        self._wait_listening()

    def _wait_listening(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pydynamips exited: {self.stderr_path.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("pydynamips did not start listening")

    def connect(self) -> "LineClient":
        return LineClient(socket.create_connection(("127.0.0.1", self.port), timeout=30))

    def stop(self) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=20)
        return (self.proc.returncode, self.stdout_path.read_text(),
                self.stderr_path.read_text())


class LineClient:
    """A blocking raw client: write bytes, read reply lines up to N final ones."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.file = sock.makefile("rb")

    def exchange(self, data: bytes, finals: int = 1) -> list[bytes]:
        self.sock.sendall(data)
        return self.read_finals(finals)

    def read_finals(self, finals: int) -> list[bytes]:
        lines = []
        while finals:
            line = self.file.readline()
            if not line:
                raise ConnectionError(f"closed after {lines!r}")
            lines.append(line)
            if line[3:4] == b"-":
                finals -= 1
        return lines

    def close(self) -> None:
        self.file.close()
        self.sock.close()
