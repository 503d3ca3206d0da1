"""Random bytes against the real daemon: every line gets exactly one well-formed final line,
and the server never dies."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .daemon_process import DaemonProcess

REPLY = re.compile(rb"^(1\d\d|2[01]\d)[- ].*\r\n\Z", re.S)
VALID_FINAL = {100} | set(range(200, 216))

# One line = one fgets chunk (< 511 bytes, no NUL: dynamips skips NUL-first chunks and
# continues a line past a NUL, so those get their own test below).
line_bytes = st.binary(max_size=400).map(lambda b: b.replace(b"\n", b" ").replace(b"\x00", b"."))
word = st.sampled_from([b"vm", b"hypervisor", b"c7200", b"nio", b"object_store", b"ethsw",
                        b"list", b"create", b"version", b"get_status", b"set_ram", b"R1",
                        b'"', b'""', b"#", b"!", b"\r", b"\t", b"0x10", b"-1", b"\xff"])
command_like = st.lists(word, max_size=8).map(lambda ws: b" ".join(ws))


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = DaemonProcess(tmp_path_factory.mktemp("fuzz"))
    yield d
    code, _, err = d.stop()
    assert code == 0, err


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(line_bytes, command_like), min_size=1, max_size=12))
def test_every_line_gets_one_final_reply(daemon, lines):
    client = daemon.connect()
    try:
        payload = b"".join(line + b"\n" for line in lines)
        # hypervisor close would end the connection early; keep that out of the random set.
        payload = payload.replace(b"close", b"c1ose").replace(b"stop", b"st0p")
        payload = payload.replace(b"reset", b"r3set")
        replies = client.exchange(payload + b"hypervisor version\n", len(lines) + 1)
        finals = [r for r in replies if r[3:4] == b"-"]
        assert len(finals) == len(lines) + 1
        assert all(REPLY.match(r) for r in replies), replies
        assert all(int(r[:3]) in VALID_FINAL for r in finals)
        assert finals[-1].startswith(b"100-0.2.")
    finally:
        client.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(min_size=1, max_size=5000))
def test_any_bytes_leave_the_server_answering(daemon, garbage):
    client = daemon.connect()
    try:
        garbage = garbage.replace(b"close", b"c1ose").replace(b"stop", b"st0p")
        client.sock.sendall(garbage.replace(b"reset", b"r3set"))
        # Two newlines finish whatever line the garbage left open (even one continued past a
        # NUL); then the sentinel must come back.
        client.sock.sendall(b"\n\nhypervisor version\n")
        for _ in range(10_000):
            reply = client.read_finals(1)[-1]
            assert REPLY.match(reply)
            if reply.startswith(b"100-0.2."):
                break
        else:
            pytest.fail("sentinel never answered")
    finally:
        client.close()
