"""`make demo`'s lab: the hypervisor with three routers on one ghost, consoles answering."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .hypervisor.daemon_process import free_port

ROOT = Path(__file__).resolve().parents[1]


def read_until(sock: socket.socket, token: bytes, timeout: float = 60) -> bytes:
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while token not in data and time.monotonic() < deadline:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_demo_lab_runs_and_stops_cleanly():
    port, base = free_port(), free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "examples" / "demo_lab.py"),
                             "--port", str(port), "--routers", "2", "--console-base", str(base)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        while not any("Ctrl-C stops the lab" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        assert any(f"R2: running, console: telnet 127.0.0.1 {base + 1}" in l for l in lines)
        with socket.create_connection(("127.0.0.1", base + 1), timeout=10) as con:
            assert b"router> " in read_until(con, b"router> ")
            con.sendall(b"version\r\n")
            assert b"PRId 0x00002721" in read_until(con, b"PRId")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as hv:
            hv.sendall(b"vm list\n")
            assert read_until(hv, b"100-OK") == b"101 R2 (c7200)\r\n101 R1 (c7200)\r\n100-OK\r\n"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "demo lab stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
