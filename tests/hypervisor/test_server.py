"""The server over raw TCP: framing, status codes, bad input, limits, concurrency."""
from __future__ import annotations

import asyncio
import socket

import pytest

from hypervisor.daemon import Hypervisor, Options
from hypervisor.server import HypervisorServer
from protocol.client import HypervisorClient

from ..conftest import RawConnection


async def test_status_code_paths(raw):
    cases = [
        (b"\n", b"200-At least a module and a command must be specified\r\n"),
        (b"   \t \n", b"200-At least a module and a command must be specified\r\n"),
        (b"# comment only\n", b"200-At least a module and a command must be specified\r\n"),
        (b"hypervisor\n", b"200-At least a module and a command must be specified\r\n"),
        (b'vm "unterminated\n', b"200-Parse error: unexpected end of line\r\n"),
        (b'vm li"st\n', b"200-Parse error: unexpected quote\r\n"),
        (b"nosuch cmd\n", b"201-Unknown module 'nosuch'\r\n"),
        (b"Hypervisor version\n", b"201-Unknown module 'Hypervisor'\r\n"),  # case-sensitive
        (b"vm nosuch\n", b"202-Unknown command 'nosuch'\r\n"),
        (b"vm create a\n", b"203-Bad number of parameters (1 with min/max=3/3)\r\n"),
        (b"vm get_status nosuch\n", b"208-unable to find object 'nosuch'\r\n"),
        (b"hypervisor version\r\n", None),
    ]
    for request, expected in cases:
        lines = await raw.exchange(request)
        if expected is not None:
            assert lines == [expected], request
        else:
            assert lines[0].startswith(b"100-0.2.")


async def test_frsw_atmsw_atm_bridge_on_the_wire(raw):
    # every module is implemented now (the switching itself: tests/netio/test_frsw_atm.py)
    assert await raw.exchange(b"frsw create F\n") == [b"100-FRSW 'F' created\r\n"]
    assert await raw.exchange(b"atmsw create A\n") == [b"100-ATMSW 'A' created\r\n"]
    assert await raw.exchange(b"atm_bridge create A\n") == [b"100-ATM bridge 'A' created\r\n"]
    assert await raw.exchange(b"frsw list\n") == [b"101 F\r\n", b"100-OK\r\n"]
    assert await raw.exchange(b"atmsw list\n") == [b"101 A\r\n", b"100-OK\r\n"]
    assert await raw.exchange(b"frsw create_vc F x 1 y 2\n") == [b"205-unable to create VC\r\n"]


async def test_pipelined_commands_are_answered_in_order(raw):
    batch = b"".join(b"vm create R%d %d c7200\n" % (i, i) for i in range(50)) + b"vm list\n"
    lines = await raw.exchange(batch, 51)
    assert lines[:50] == [b"100-VM 'R%d' created\r\n" % i for i in range(50)]
    assert lines[50:-1] == [b"101 R%d (c7200)\r\n" % i for i in reversed(range(50))]


async def test_byte_at_a_time(raw):
    for byte in b"hypervisor version\n":
        await raw.send(bytes([byte]))
        await asyncio.sleep(0)
    assert (await raw.read_finals(1))[0].startswith(b"100-0.2.")


async def test_carriage_return_discards_the_rest_of_the_chunk(raw):
    lines = await raw.exchange(b"vm create A 1 c7200\rvm create B 2 c7200\nvm list\n", 2)
    assert lines == [b"100-VM 'A' created\r\n", b"101 A (c7200)\r\n", b"100-OK\r\n"]


async def test_bytes_are_echoed_verbatim(raw):
    lines = await raw.exchange(b"\x01\xff\xfe x\n")
    assert lines == [b"201-Unknown module '\x01\xff\xfe'\r\n"]


async def test_huge_line_gets_one_parse_error_and_the_connection_stays_usable(raw):
    chunk = b"x" * (1 << 20)
    for _ in range(5):                       # 5 MiB without a newline
        await raw.send(chunk)
    await raw.send(b"\nhypervisor version\n")
    lines = await raw.read_finals(2, timeout=60)
    assert lines[0].startswith(b"200-Parse error: line too long")
    assert lines[1].startswith(b"100-0.2.")


async def test_nul_and_binary_garbage_never_kill_the_server(raw):
    import random
    rng = random.Random(1234)
    garbage = bytes(rng.randrange(256) for _ in range(200_000))
    await raw.send(garbage)
    await raw.send(b"\n\nhypervisor version\n")
    lines = []
    while not (lines and lines[-1].startswith(b"100-0.2.")):
        lines += await raw.read_finals(1, timeout=30)
    assert all(line[:3].isdigit() and line.endswith(b"\r\n") for line in lines)


async def test_concurrent_clients_share_one_registry(server):
    clients = [await HypervisorClient.connect("127.0.0.1", server.bound_port) for _ in range(8)]

    async def work(i, c):
        for j in range(20):
            await c.send(f"vm create R{i}_{j} {i * 100 + j} c7200")
            await c.send(f"vm set_ram R{i}_{j} {64 + j}")
        return await c.send("vm list")

    results = await asyncio.gather(*(work(i, c) for i, c in enumerate(clients)))
    final = await clients[0].send("vm list")
    assert len(final) == 8 * 20 + 1
    assert all(len(r) >= 21 for r in results)
    vms = server.hypervisor.registry.vms
    assert all(vms.get(f"R{i}_{j}").settings.ram_mb == 64 + j for i in range(8) for j in range(20))
    for c in clients:
        await c.close()


async def test_disconnect_mid_command_leaves_no_half_object(server, tmp_path):
    # A complete line is executed fully even if its client is already gone...
    reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
    writer.write(b"vm create R1 1 c7200\nvm create R2 2 c7200\nvm set_ram R2 64\n")
    writer.transport.abort()
    # ...an incomplete one is never executed.
    reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
    writer.write(b"vm create R3 3 c72")
    await writer.drain()
    writer.transport.abort()
    await asyncio.sleep(0.2)
    c = await HypervisorClient.connect("127.0.0.1", server.bound_port)
    assert await c.send("vm list") == ["R2 (c7200)", "R1 (c7200)", "OK"]
    assert (tmp_path / "c7200_R1_lock").exists() and (tmp_path / "c7200_R2_lock").exists()
    assert server.hypervisor.registry.vms.get("R2").settings.ram_mb == 64
    assert not (tmp_path / "c7200_R3_lock").exists()
    await c.close()


async def test_max_clients_refuses_extra_connections(tmp_path):
    srv = HypervisorServer(Hypervisor(Options(max_clients=3), working_dir=tmp_path),
                           "127.0.0.1", 0)
    await srv.start()
    try:
        held = [await HypervisorClient.connect("127.0.0.1", srv.bound_port) for _ in range(3)]
        for c in held:
            assert (await c.send("hypervisor version"))[0].startswith("0.2.")
        reader, writer = await asyncio.open_connection("127.0.0.1", srv.bound_port)
        writer.write(b"hypervisor version\n")
        try:                                    # closed without a reply (EOF or reset)
            assert await asyncio.wait_for(reader.read(), 5) == b""
        except ConnectionResetError:
            pass
        writer.close()
        await held[0].close()
        await asyncio.sleep(0.1)
        again = await HypervisorClient.connect("127.0.0.1", srv.bound_port)
        assert (await again.send("hypervisor version"))[0].startswith("0.2.")
        await again.close()
        for c in held[1:]:
            await c.close()
    finally:
        await srv.shutdown()


async def test_default_bind_is_loopback_only(server):
    assert server.host == "127.0.0.1"
