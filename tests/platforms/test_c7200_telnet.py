"""console.elf with its console on a TCP port (-T), driven by the Debian telnet client in a pty."""
from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FW = ROOT / "tests" / "firmware"


def _read_until(fd, pattern: bytes, timeout: float, buf: bytearray) -> bytes:
    end = time.monotonic() + timeout
    while pattern not in buf:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {pattern!r}; got {bytes(buf)!r}")
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                raise AssertionError(f"EOF waiting for {pattern!r}; got {bytes(buf)!r}")
            buf += chunk
    return bytes(buf)


@pytest.mark.skipif(shutil.which("telnet") is None, reason="telnet client not installed")
def test_console_over_telnet(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    router = subprocess.Popen([sys.executable, "-m", "hypervisor.cli", "-X", "-r", "64",
                               "-T", "0", str(FW / "console.elf")], cwd=tmp_path, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    telnet_pid = None
    try:
        out = bytearray()
        deadline = time.monotonic() + 60
        while not (m := re.search(rb"Console on TCP port (\d+)\r?\n", out)):
            assert time.monotonic() < deadline, f"no console port announced: {bytes(out)!r}"
            if select.select([router.stdout], [], [], 1)[0]:
                chunk = os.read(router.stdout.fileno(), 4096)
                assert chunk, f"router exited: {bytes(out)!r} {router.stderr.read()!r}"
                out += chunk
        port = int(m.group(1))
        telnet_pid, fd = pty.fork()
        if telnet_pid == 0:
            os.execvp("telnet", ["telnet", "127.0.0.1", str(port)])
        buf = bytearray()
        _read_until(fd, b"router> ", 60, buf)
        assert b"bigdata 25165824 bytes sum" in buf
        os.write(fd, b"version\r")
        _read_until(fd, b"PRId 0x00002721", 20, buf)
        os.write(fd, b"exit\r")
        _read_until(fd, b"bye", 20, buf)
        assert router.wait(timeout=30) == 0
        assert b"unimplemented" not in router.stderr.read()
    finally:
        if router.poll() is None:
            router.kill()
            router.wait()
        if telnet_pid:
            try:
                os.kill(telnet_pid, 9)
                os.waitpid(telnet_pid, 0)
            except OSError:
                pass
