"""Process hygiene with the real `pydynamips` program: no worker outlives its daemon."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from ..hypervisor.daemon_process import DaemonProcess

FIRMWARE = Path(__file__).resolve().parents[1] / "firmware"


def children_of(pid: int) -> set[int]:
    kids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.add(int(entry.name))
    return kids


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for kid in children_of(todo.pop()):
            if kid not in found:
                found.add(kid)
                todo.append(kid)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = {p for p in pids if alive(p)}
        if not left:
            return left
        time.sleep(0.05)
    return {p for p in pids if alive(p)}


def start_routers(d: DaemonProcess, count: int) -> None:
    c = d.connect()
    for i in range(1, count + 1):
        c.exchange(f"vm create R{i} {i} c7200\n".encode())
        c.exchange(f'vm set_ios R{i} "{FIRMWARE / "console.elf"}"\n'.encode())
        c.exchange(f"vm set_ram R{i} 64\n".encode())
        reply = c.exchange(f"vm start R{i}\n".encode())
        assert reply[-1] == f"100-VM 'R{i}' started\r\n".encode(), reply
    c.close()


def test_killed_daemon_takes_its_workers_along(tmp_path):
    d = DaemonProcess(tmp_path)
    start_routers(d, 2)
    family = descendants(d.proc.pid)
    assert len(family) >= 3                      # the launcher and two workers
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait(10)
    assert wait_gone(family) == set()


def test_hypervisor_stop_ends_every_worker(tmp_path):
    d = DaemonProcess(tmp_path)
    start_routers(d, 2)
    family = descendants(d.proc.pid)
    c = d.connect()
    assert c.exchange(b"hypervisor stop\n") == [b"100-OK\r\n"]
    code, _, _ = d.stop()
    assert code == 0
    assert wait_gone(family) == set()
    assert not list(tmp_path.glob("c7200_*_ram"))
