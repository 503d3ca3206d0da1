"""Every `nio` command over the protocol: success and error replies, real sockets."""
from __future__ import annotations

import asyncio
import socket

import pytest

from protocol.client import HypervisorError

from .conftest import BROADCAST, free_udp_ports, frame, mac


async def error_of(client, command: str) -> tuple[int, str]:
    with pytest.raises(HypervisorError) as info:
        await client.send(command)
    return info.value.code, info.value.text


async def test_create_udp_list_rename_delete(client):
    a, b, c = free_udp_ports(3)
    assert await client.send(f"nio create_udp n1 {a} 127.0.0.1 {b}") == ["NIO 'n1' created"]
    assert await client.send(f"nio create_udp n2 {c} localhost {b}") == ["NIO 'n2' created"]
    assert await client.send("nio list") == ["n2", "n1", "OK"]
    assert await client.send("nio rename n1 first") == ["NIO 'n1' renamed to 'first'"]
    assert await client.send("nio list") == ["n2", "first", "OK"]
    assert await error_of(client, "nio rename first n2") == (
        213, "unable to rename NIO 'first', 'n2' already exists")
    assert await error_of(client, "nio rename nosuch x") == (
        208, "unable to find object 'nosuch'")
    assert await client.send("nio delete first") == ["NIO 'first' deleted"]
    assert await error_of(client, "nio delete first") == (207, "unable to delete NIO 'first'")
    assert await client.send("nio list") == ["n2", "OK"]


async def test_create_udp_errors(client):
    a, b = free_udp_ports(2)
    await client.send(f"nio create_udp n1 {a} 127.0.0.1 {b}")
    for command, cause in ((f"nio create_udp n1 {b} 127.0.0.1 {a}", "already exists"),
                           (f"nio create_udp n2 {a} 127.0.0.1 {b}", "local port"),
                           (f"nio create_udp n2 0 127.0.0.1 {b}", "not in 1..65535"),
                           (f"nio create_udp n2 {b} 127.0.0.1 70000", "not in 1..65535"),
                           (f"nio create_udp n2 {b} no-such-host.invalid {a}",
                            "cannot resolve")):
        code, text = await error_of(client, command)
        assert code == 206 and text.startswith("unable to create UDP NIO: ") and cause in text
    assert await client.send("nio list") == ["n1", "OK"]


async def test_udp_binds_loopback_for_a_loopback_peer_and_wildcard_otherwise(server, client):
    a, b, c = free_udp_ports(3)
    await client.send(f"nio create_udp lo {a} 127.0.0.1 {b}")
    await client.send(f"nio create_udp any {c} 192.0.2.1 {b}")
    nios = server.hypervisor.registry.nios
    assert nios.get("lo").sock.getsockname() == ("127.0.0.1", a)
    # (a connected socket reports the source address the route picked, not the bound one)
    assert nios.get("any").sock.getsockname()[1] == c
    spec = nios.get("any").spec()
    assert spec["type"] == "udp" and (spec["local_address"], spec["local_port"]) == ("0.0.0.0", c)
    assert (spec["remote_address"], spec["remote_port"]) == ("192.0.2.1", b)


async def test_udp_auto_create_and_connect(client):
    start = free_udp_ports(1)[0]
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        taken.bind(("127.0.0.1", start))
        (port,) = await client.send(f"nio create_udp_auto a1 127.0.0.1 {start} {start + 50}")
        assert start < int(port) <= start + 50
        assert await error_of(client, f"nio create_udp_auto a2 127.0.0.1 {start} {start}") == (
            206, f"unable to create UDP Auto NIO: no free UDP port in {start}..{start} on "
                 "127.0.0.1")
    finally:
        taken.close()
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.setblocking(False)
    try:
        rport = peer.getsockname()[1]
        assert await client.send(f"nio connect_udp_auto a1 127.0.0.1 {rport}") == [
            "NIO 'a1' connected"]
        code, text = await error_of(client, f"nio connect_udp_auto a1 127.0.0.1 {rport}")
        assert code == 206 and text.startswith("unable to connect NIO")
        # connected: it forwards through a hub to a null NIO and back
        await client.send("nio_bridge create B")
        await client.send("nio_bridge add_nio B a1")
        await client.send("nio create_fifo f1")
        await client.send("nio create_fifo f2")
        await client.send("nio crossconnect_fifo f1 f2")
        await client.send("nio_bridge add_nio B f1")
        await client.send("nio_bridge create C")
        await client.send("nio_bridge add_nio C f2")
        (port2,) = await client.send(f"nio create_udp_auto a2 127.0.0.1 {start + 51} "
                                     f"{start + 60}")
        await client.send(f"nio connect_udp_auto a2 127.0.0.1 {rport}")
        await client.send("nio_bridge add_nio C a2")
        peer.sendto(b"x" * 60, ("127.0.0.1", int(port)))
        data, source = await asyncio.wait_for(
            asyncio.get_running_loop().sock_recvfrom(peer, 2000), 2)
        assert data == b"x" * 60 and source == ("127.0.0.1", int(port2))
    finally:
        peer.close()
    code, text = await error_of(client, "nio connect_udp_auto f1 127.0.0.1 1000")
    assert code == 206 and "not a UDP Auto NIO" in text
    assert await error_of(client, "nio connect_udp_auto nosuch 127.0.0.1 1000") == (
        208, "unable to find object 'nosuch'")


async def test_unsupported_kinds_say_why(client):
    for command, prefix, cause in (
            ("nio create_tap t1 tap0", "unable to create TAP NIO: ", "CAP_NET_ADMIN"),
            ("nio create_gen_eth g1 eth0", "unable to create generic ethernet NIO: ", "pcap"),
            ("nio create_linux_eth l1 eth0", "unable to create Linux raw ethernet NIO: ",
             "CAP_NET_RAW"),
            ("nio create_vde v1 /tmp/ctl /tmp/local", "unable to create VDE NIO: ", "VDE")):
        code, text = await error_of(client, command)
        assert code == 206 and text.startswith(prefix) and cause in text
        assert "not supported in this release" in text
    assert await client.send("nio list") == ["OK"]


async def test_null_fifo_and_crossconnect(client):
    assert await client.send("nio create_null z") == ["NIO 'z' created"]
    assert await client.send("nio create_fifo f1") == ["NIO 'f1' created"]
    assert await client.send("nio create_fifo f2") == ["NIO 'f2' created"]
    assert await client.send("nio crossconnect_fifo f1 f2") == ["OK"]
    assert await error_of(client, "nio crossconnect_fifo f1 nosuch") == (
        208, "unable to find object 'nosuch'")
    code, text = await error_of(client, "nio crossconnect_fifo f1 z")
    assert code == 205 and "not a FIFO NIO" in text
    assert await error_of(client, "nio create_null z") == (
        206, "unable to create Null NIO: NIO 'z' already exists")
    assert await error_of(client, "nio create_fifo f1") == (
        206, "unable to create FIFO NIO: NIO 'f1' already exists")
    assert await client.send("nio list") == ["f2", "f1", "z", "OK"]


async def test_unix_nio_pair(server, client, tmp_path):
    a, b = tmp_path / "a.sock", tmp_path / "b.sock"
    assert await client.send(f'nio create_unix u1 "{a}" "{b}"') == ["NIO 'u1' created"]
    assert a.exists()
    # the other end: a plain AF_UNIX datagram socket at b
    other = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    other.bind(str(b))
    other.setblocking(False)
    try:
        await client.send("nio create_null z")
        await client.send("nio_bridge create B")
        await client.send("nio_bridge add_nio B u1")
        await client.send("nio create_fifo f1")
        await client.send("nio create_fifo f2")
        await client.send("nio crossconnect_fifo f1 f2")
        await client.send("nio_bridge add_nio B f1")
        await client.send("nio_bridge create C")
        await client.send("nio_bridge add_nio C f2")     # f2 has only itself: a dead end
        nio = server.hypervisor.registry.nios.get("u1")
        nio.send(b"to-b" * 20)
        got = await asyncio.wait_for(asyncio.get_running_loop().sock_recv(other, 2000), 2)
        assert got == b"to-b" * 20
        other.sendto(b"from-b" * 20, str(a))
        for _ in range(100):
            if nio.pkts_in:
                break
            await asyncio.sleep(0.01)
        assert nio.stats() == (1, 1, 120, 80)
        spec = nio.spec()
        assert spec["type"] == "unix" and spec["local_path"] == str(a)
        code, text = await error_of(client, f'nio create_unix u2 "{a}" "{b}"')
        assert code == 206 and text.startswith("unable to create UNIX NIO: ")
    finally:
        other.close()
    await client.send("nio_bridge delete B")
    await client.send("nio delete u1")
    assert not a.exists()


async def test_settings_filters_and_stats_replies(client):
    a, b = free_udp_ports(2)
    await client.send(f"nio create_udp n1 {a} 127.0.0.1 {b}")
    assert await client.send("nio set_debug n1 1") == ["OK"]
    assert await client.send("nio get_stats n1") == ["0 0 0 0"]
    assert await client.send("nio reset_stats n1") == ["OK"]
    assert await client.send("nio set_bandwidth n1 1000") == ["OK"]
    assert await client.send("nio set_bandwidth n1 0") == ["OK"]
    assert await error_of(client, "nio bind_filter n1 2 nosuch") == (208, "Unknown filter nosuch")
    assert await error_of(client, "nio unbind_filter n1 2") == (208, "No filter previously defined")
    assert await error_of(client, "nio setup_filter n1 2 5") == (
        215, "Failed to setup filter: no filter bound in that direction")
    assert await client.send("nio bind_filter n1 2 freq_drop") == ["OK"]
    assert await error_of(client, "nio setup_filter n1 2 1 2") == (
        215, "Failed to setup filter: freq_drop takes one argument: the drop frequency")
    assert await client.send("nio setup_filter n1 2 5") == ["OK"]
    assert await client.send("nio unbind_filter n1 2") == ["OK"]
    assert await client.send("nio unbind_filter n1 2") == ["OK"]       # dynamips: still OK
    assert await client.send("nio bind_filter n1 0 capture") == ["OK"]
    code, text = await error_of(client, "nio setup_filter n1 0 DLT_NOSUCH x.pcap")
    assert code == 215 and "unknown link type" in text
    code, text = await error_of(client, 'nio setup_filter n1 0 EN10MB "/nonexistent/x.pcap"')
    assert code == 215 and "cannot open" in text
    for command in ("set_debug nosuch 1", "get_stats nosuch", "reset_stats nosuch",
                    "set_bandwidth nosuch 1", "bind_filter nosuch 2 capture",
                    "unbind_filter nosuch 2", "setup_filter nosuch 2 x"):
        assert await error_of(client, f"nio {command}") == (208, "unable to find object 'nosuch'")
    code, text = await error_of(client, "nio get_stats")
    assert code == 203


async def test_udp_pair_forwarding_and_foreign_sources_dropped(client, udp_peers):
    left, right = await udp_peers("left"), await udp_peers("right")
    await client.send("nio_bridge create B")
    await client.send("nio_bridge add_nio B left")
    await client.send("nio_bridge add_nio B right")
    data = frame(BROADCAST, mac(1))
    left.send(data)
    assert await right.recv() == data
    right.send(data[::-1])
    assert await left.recv() == data[::-1]
    # a datagram from a socket the NIO is not connected to is dropped by the kernel
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger.bind(("127.0.0.1", 0))
    stranger.sendto(b"intruder" * 10, ("127.0.0.1", left.nio_port))
    stranger.close()
    assert await right.nothing()
    assert await client.send("nio get_stats left") == [f"1 1 {len(data)} {len(data)}"]
    assert await client.send("nio reset_stats left") == ["OK"]
    assert await client.send("nio get_stats left") == ["0 0 0 0"]


async def test_bandwidth_limit_drops_what_exceeds_it(client, udp_peers):
    left, right = await udp_peers("left"), await udp_peers("right")
    await client.send("nio_bridge create B")
    await client.send("nio_bridge add_nio B left")
    await client.send("nio_bridge add_nio B right")
    await client.send("nio set_bandwidth right 80")        # 10 kB/s, a burst of ~3 kB
    data = frame(BROADCAST, mac(1), b"x" * 1000)
    for _ in range(50):
        left.send(data)
    got = await right.recv_all(0.3)
    assert 1 <= len(got) <= 6
    await client.send("nio set_bandwidth right 0")
    for _ in range(20):
        left.send(data)
        await asyncio.sleep(0.001)
    assert len(await right.recv_all(0.3)) == 20
