"""The `pydynamips` program itself: banner, options, logging, shutdown."""
from __future__ import annotations

import signal
import socket
import subprocess

from hypervisor import VERSION_STRING

from .daemon_process import PYDYNAMIPS, DaemonProcess, free_port

BANNER = f"Cisco Router Simulation Platform (version {VERSION_STRING})"


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(PYDYNAMIPS), *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def test_no_arguments_prints_the_banner_gns3_parses():
    for args in ((), ("--help",), ("-P", "none")):
        result = run(*args)
        assert result.stdout.splitlines()[0] == BANNER, args
    assert run().returncode == 0
    assert run("-P", "none").returncode != 0      # not a platform, as dynamips says


def test_bad_listen_argument_is_a_clear_error():
    result = run("-H", "127.0.0.1:notaport")
    assert result.returncode != 0 and "bad port" in result.stderr


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        result = run("-H", f"127.0.0.1:{s.getsockname()[1]}", cwd=tmp_path)
    assert result.returncode == 1 and "Unable to start the hypervisor" in result.stderr


def test_bare_port_binds_loopback_and_logs_to_file(tmp_path):
    port = free_port()
    d2 = subprocess.Popen([str(PYDYNAMIPS), "-H", str(port), "-l", "hv_log.txt"], cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = d2.stdout.readline()
        second = d2.stdout.readline()
        assert first.strip() == BANNER
        assert second.strip() == f"Hypervisor TCP control server started (IP 127.0.0.1 port {port})."
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                                   text=True).stdout
        if listening:                                  # ss is there: check the address
            assert [line.split()[3] for line in listening.splitlines()] == [f"127.0.0.1:{port}"]
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        c.sendall(b"vm create R1 1 c7200\nhypervisor stop\n")
        data = b""
        while not data.endswith(b"100-OK\r\n"):
            chunk = c.recv(4096)
            assert chunk
            data += chunk
        assert d2.wait(20) == 0                         # hypervisor stop exits 0
    finally:
        if d2.poll() is None:
            d2.kill()
    log = (tmp_path / "hv_log.txt").read_text()
    for event in ("hypervisor.start", "connection.open", "vm.created", "connection.close",
                  "hypervisor.stopped"):
        assert f"event='{event}'" in log, event
    assert "vm.created" not in d2.stderr.read()       # -l: events go to the file only


def test_sigterm_stops_cleanly(tmp_path):
    d = DaemonProcess(tmp_path)
    c = d.connect()
    assert c.exchange(b"vm create R1 1 c7200\n") == [b"100-VM 'R1' created\r\n"]
    d.proc.send_signal(signal.SIGTERM)
    code, _, _ = d.stop()
    assert code == 0
    assert not (tmp_path / "c7200_R1_lock").exists()   # objects deleted on the way out
