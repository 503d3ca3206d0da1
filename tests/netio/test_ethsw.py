"""The Ethernet switch through the protocol, driven by plain UDP sockets as the hosts."""
from __future__ import annotations

import struct

import pytest

from protocol.client import HypervisorError

from .conftest import BROADCAST, frame, mac, tagged


async def switch_with(client, udp_peers, *names: str, sw: str = "SW1") -> list:
    assert await client.send(f'ethsw create "{sw}"') == [f"ETHSW '{sw}' created"]
    peers = []
    for name in names:
        peers.append(await udp_peers(name))
        assert await client.send(f'ethsw add_nio "{sw}" {name}') == [f"NIO '{name}' bound."]
    return peers


async def test_replies(client, udp_peers):
    await switch_with(client, udp_peers, "p1", "p2")
    assert await client.send("ethsw add_nio SW1 p1") == ["NIO 'p1' bound."]   # again: OK
    assert await client.send("ethsw list") == ["SW1", "OK"]
    for command, error in (
            ("ethsw create SW1", (206, "unable to create Ethernet switch 'SW1'")),
            ("ethsw add_nio SW1 nosuch", (205, "unable to bind NIO 'nosuch' to switch 'SW1'")),
            ("ethsw remove_nio SW1 nosuch", (205, "unable to bind NIO 'nosuch' to switch 'SW1'")),
            ("ethsw add_nio nosw p1", (208, "unable to find object 'nosw'")),
            ("ethsw set_access_port SW1 nosuch 10", (205, "unable to apply port settings")),
            ("ethsw delete nosw", (207, "unable to delete ETHSW 'nosw'")),
            ("ethsw rename nosw x", (208, "unable to find object 'nosw'")),
            ("ethsw show_mac_addr_table nosw", (208, "unable to find object 'nosw'"))):
        with pytest.raises(HypervisorError) as info:
            await client.send(command)
        assert (info.value.code, info.value.text) == error, command
    assert await client.send("ethsw set_access_port SW1 p1 10") == ["Port settings OK"]
    assert await client.send("ethsw set_dot1q_port SW1 p1 1") == ["Port settings OK"]
    assert await client.send("ethsw set_qinq_port SW1 p1 100") == ["Port settings OK"]
    assert await client.send("ethsw set_qinq_port SW1 p1 100 0x88a8") == ["Port settings OK"]
    with pytest.raises(HypervisorError) as info:
        await client.send("ethsw set_qinq_port SW1 p1 100 0x0800")
    assert info.value.code == 205 and "0x0800" in info.value.text
    assert await client.send("ethsw clear_mac_addr_table SW1") == ["OK"]
    await client.send("ethsw create SW2")
    with pytest.raises(HypervisorError) as info:      # a NIO is a port of one switch only
        await client.send("ethsw add_nio SW2 p1")
    assert info.value.code == 205
    with pytest.raises(HypervisorError) as info:
        await client.send("ethsw rename SW1 SW2")
    assert (info.value.code, info.value.text) == (
        213, "unable to rename ETHSW 'SW1', 'SW2' already exists")
    assert await client.send("ethsw rename SW1 core") == ["ETHSW 'SW1' renamed to 'core'"]
    assert await client.send("ethsw list") == ["SW2", "core", "OK"]
    assert await client.send("ethsw remove_nio core p1") == ["NIO 'p1' unbound."]
    assert await client.send("ethsw delete core") == ["ETHSW 'core' deleted"]
    assert await client.send("nio delete p2") == ["NIO 'p2' deleted"]   # freed by the delete


async def test_learning_and_flooding(client, udp_peers):
    p1, p2, p3 = await switch_with(client, udp_peers, "p1", "p2", "p3")
    # unknown unicast floods to every other port, never back to the sender
    f = frame(mac(2), mac(1))
    p1.send(f)
    assert await p2.recv() == f and await p3.recv() == f
    assert await p1.nothing()
    # mac(2) answers: mac(1) is known, so only p1 gets it
    reply = frame(mac(1), mac(2))
    p2.send(reply)
    assert await p1.recv() == reply
    assert await p3.nothing(0.1) and await p2.nothing(0.1)
    # now both are known: unicast goes to its one port
    p1.send(f)
    assert await p2.recv() == f
    assert await p3.nothing(0.1)
    # broadcast and multicast flood
    for dst in (BROADCAST, bytes.fromhex("01005e000001")):
        b = frame(dst, mac(3))
        p3.send(b)
        assert await p1.recv() == b and await p2.recv() == b
    table = await client.send("ethsw show_mac_addr_table SW1")
    assert table == ["0200.0000.0001  1  p1", "0200.0000.0002  1  p2",
                     "0200.0000.0003  1  p3", "OK"]
    # a frame to a MAC learnt on the port it came in on is not sent anywhere
    p1.send(frame(mac(1), mac(9)))
    assert await p2.nothing(0.1) and await p3.nothing(0.1)
    assert await client.send("ethsw clear_mac_addr_table SW1") == ["OK"]
    assert await client.send("ethsw show_mac_addr_table SW1") == ["OK"]
    p1.send(f)                                   # unknown again: flooded
    assert await p2.recv() == f and await p3.recv() == f


async def test_station_move_and_aging(server, client, udp_peers):
    p1, p2, p3 = await switch_with(client, udp_peers, "p1", "p2", "p3")
    p1.send(frame(BROADCAST, mac(1)))
    await p2.recv(), await p3.recv()
    p2.send(frame(BROADCAST, mac(1)))            # mac(1) moved to p2
    await p1.recv(), await p3.recv()
    assert await client.send("ethsw show_mac_addr_table SW1") == ["0200.0000.0001  1  p2", "OK"]
    server.hypervisor.registry.ethsws.get("SW1").aging_time = 0.0
    p3.send(frame(mac(1), mac(3)))               # aged out: flooded, not sent to p2 only
    assert await p1.recv() and await p2.recv()
    assert await client.send("ethsw show_mac_addr_table SW1") == ["OK"]


async def test_vlan_isolation_between_access_ports(client, udp_peers):
    a10, b10, c20 = await switch_with(client, udp_peers, "a10", "b10", "c20")
    await client.send("ethsw set_access_port SW1 a10 10")
    await client.send("ethsw set_access_port SW1 b10 10")
    await client.send("ethsw set_access_port SW1 c20 20")
    f = frame(BROADCAST, mac(1))
    a10.send(f)
    assert await b10.recv() == f
    assert await c20.nothing()
    c20.send(frame(mac(1), mac(3)))             # mac(1) is known in VLAN 10, not in 20
    assert await a10.nothing(0.1) and await b10.nothing(0.1)
    assert await client.send("ethsw show_mac_addr_table SW1") == [
        "0200.0000.0001  10  a10", "0200.0000.0003  20  c20", "OK"]


async def test_dot1q_trunk_tags_and_untags(client, udp_peers):
    a10, a20, n1, trunk = await switch_with(client, udp_peers, "a10", "a20", "n1", "trunk")
    await client.send("ethsw set_access_port SW1 a10 10")
    await client.send("ethsw set_access_port SW1 a20 20")
    await client.send("ethsw set_access_port SW1 n1 1")
    await client.send("ethsw set_dot1q_port SW1 trunk 1")       # native VLAN 1
    f = frame(BROADCAST, mac(1))
    a10.send(f)
    assert await trunk.recv() == tagged(BROADCAST, mac(1), 10)
    assert await a20.nothing(0.1) and await n1.nothing(0.1)
    # native VLAN: untagged on the trunk
    g = frame(BROADCAST, mac(5))
    n1.send(g)
    assert await trunk.recv() == g
    # from the trunk: the tag picks the VLAN, and is removed towards access ports
    trunk.send(tagged(mac(1), mac(7), 10, b"to-one"))
    assert await a10.recv() == frame(mac(1), mac(7), b"to-one")
    assert await a20.nothing(0.1) and await n1.nothing(0.1)
    trunk.send(tagged(BROADCAST, mac(7), 20))
    assert await a20.recv() == frame(BROADCAST, mac(7))
    assert await a10.nothing(0.1)
    # untagged on the trunk = native VLAN
    trunk.send(frame(BROADCAST, mac(8)))
    assert await n1.recv() == frame(BROADCAST, mac(8))
    assert await a10.nothing(0.1) and await a20.nothing(0.1)
    # a tagged frame on the native VLAN is accepted too
    trunk.send(tagged(BROADCAST, mac(8), 1))
    assert await n1.recv() == frame(BROADCAST, mac(8))
    table = await client.send("ethsw show_mac_addr_table SW1")
    assert "0200.0000.0007  10  trunk" in table and "0200.0000.0007  20  trunk" in table


async def test_trunk_to_trunk_keeps_tags_and_strips_the_native_one(client, udp_peers):
    t1, t2 = await switch_with(client, udp_peers, "t1", "t2")
    await client.send("ethsw set_dot1q_port SW1 t1 1")
    await client.send("ethsw set_dot1q_port SW1 t2 30")
    f = tagged(BROADCAST, mac(1), 10)
    t1.send(f)
    assert await t2.recv() == f                           # same tag, untouched
    t1.send(tagged(BROADCAST, mac(1), 30))
    assert await t2.recv() == frame(BROADCAST, mac(1))    # t2's native VLAN: untagged
    t1.send(frame(BROADCAST, mac(1)))                     # t1's native VLAN 1 -> tag 1 on t2
    assert await t2.recv() == tagged(BROADCAST, mac(1), 1)


@pytest.mark.parametrize("ethertype", [None, 0x88A8])
async def test_qinq_outer_tag(client, udp_peers, ethertype):
    cust, trunk, other = await switch_with(client, udp_peers, "cust", "trunk", "other")
    suffix = f" 0x{ethertype:x}" if ethertype else ""
    await client.send(f"ethsw set_qinq_port SW1 cust 100{suffix}")
    await client.send("ethsw set_dot1q_port SW1 trunk 1")
    await client.send("ethsw set_access_port SW1 other 5")
    outer = ethertype or 0x8100
    inner = tagged(BROADCAST, mac(1), 42)                 # the customer's own VLAN 42
    cust.send(inner)
    got = await trunk.recv()
    assert got == inner[:12] + struct.pack("!HH", outer, 100) + inner[12:]
    assert await other.nothing(0.1)
    # back: the outer tag comes off, the customer's tag stays
    trunk.send(got[:6].replace(BROADCAST, mac(1)) + mac(9) + got[12:])
    assert await cust.recv() == mac(1) + mac(9) + inner[12:]
    # untagged customer traffic is tunnelled too
    cust.send(frame(BROADCAST, mac(1)))
    assert await trunk.recv() == tagged(BROADCAST, mac(1), 100, tag_type=outer)
    assert "0200.0000.0001  100  cust" in await client.send("ethsw show_mac_addr_table SW1")


async def test_remove_nio_stops_forwarding_and_forgets_its_macs(client, udp_peers):
    p1, p2, p3 = await switch_with(client, udp_peers, "p1", "p2", "p3")
    p3.send(frame(BROADCAST, mac(3)))
    await p1.recv(), await p2.recv()
    assert await client.send("ethsw remove_nio SW1 p3") == ["NIO 'p3' unbound."]
    assert await client.send("ethsw show_mac_addr_table SW1") == ["OK"]
    p1.send(frame(BROADCAST, mac(1)))
    assert await p2.recv()
    assert await p3.nothing()
    p3.send(frame(BROADCAST, mac(3)))                     # p3 is no port any more
    assert await p1.nothing(0.1) and await p2.nothing(0.1)
    with pytest.raises(HypervisorError) as info:
        await client.send("ethsw remove_nio SW1 p3")
    assert (info.value.code, info.value.text) == (205, "unable to bind NIO 'p3' to switch 'SW1'")


async def test_delete_of_a_bound_nio_is_refused(client, udp_peers):
    await switch_with(client, udp_peers, "p1")
    with pytest.raises(HypervisorError) as info:
        await client.send("nio delete p1")
    assert (info.value.code, info.value.text) == (207, "unable to delete NIO 'p1'")
    await client.send("ethsw remove_nio SW1 p1")
    assert await client.send("nio delete p1") == ["NIO 'p1' deleted"]


async def test_delete_of_a_nio_bound_to_a_vm_slot_is_refused(client, udp_peers):
    await udp_peers("r1")
    await client.send("vm create R1 1 c7200")
    await client.send("vm slot_add_binding R1 1 0 PA-FE-TX")
    await client.send("vm slot_add_nio_binding R1 1 0 r1")
    with pytest.raises(HypervisorError) as info:
        await client.send("nio delete r1")
    assert info.value.code == 207
    await client.send("ethsw create SW1")
    with pytest.raises(HypervisorError) as info:        # a router port already owns it
        await client.send("ethsw add_nio SW1 r1")
    assert info.value.code == 205
    assert await client.send("nio rename r1 link") == ["NIO 'r1' renamed to 'link'"]
    assert await client.send("vm slot_nio_bindings R1 1") == ["0: link", "OK"]
    await client.send("vm slot_remove_nio_binding R1 1 0")
    assert await client.send("nio delete link") == ["NIO 'link' deleted"]


async def test_nio_bridge_is_a_hub(client, udp_peers):
    assert await client.send('nio_bridge create "HUB"') == ["NIO bridge 'HUB' created"]
    peers = []
    for name in ("h1", "h2", "h3"):
        peers.append(await udp_peers(name))
        assert await client.send(f"nio_bridge add_nio HUB {name}") == [f"NIO '{name}' bound."]
    h1, h2, h3 = peers
    f = frame(mac(2), mac(1))            # unicast too: a hub repeats everything
    for _ in range(2):
        h1.send(f)
        assert await h2.recv() == f and await h3.recv() == f
        assert await h1.nothing(0.1)
    assert await client.send("nio_bridge list") == ["HUB", "OK"]
    for command, error in (
            ("nio_bridge create HUB", (206, "unable to create NIO bridge 'HUB'")),
            ("nio_bridge add_nio HUB nosuch", (205, "unable to bind NIO 'nosuch' to bridge 'HUB'")),
            ("nio_bridge remove_nio HUB nosuch",
             (205, "unable to bind NIO 'nosuch' to bridge 'HUB'")),
            ("nio_bridge delete nosuch", (207, "unable to delete NIO bridge 'nosuch'")),
            ("nio delete h1", (207, "unable to delete NIO 'h1'"))):
        with pytest.raises(HypervisorError) as info:
            await client.send(command)
        assert (info.value.code, info.value.text) == error, command
    assert await client.send("nio_bridge remove_nio HUB h3") == ["NIO 'h3' unbound."]
    h1.send(f)
    assert await h2.recv() == f
    assert await h3.nothing()
    await client.send("nio_bridge create B2")
    with pytest.raises(HypervisorError) as info:
        await client.send("nio_bridge rename HUB B2")
    assert (info.value.code, info.value.text) == (
        213, "unable to rename NIO bridge 'HUB', 'B2' already exists")
    assert await client.send("nio_bridge rename HUB hub") == ["NIO bridge 'HUB' renamed to 'hub'"]
    assert await client.send("nio_bridge delete hub") == ["NIO bridge 'hub' deleted"]
    assert await client.send("nio delete h1") == ["NIO 'h1' deleted"]


async def test_config_commands_replay(server, client, udp_peers, tmp_path):
    """What the objects give `hypervisor save_config` recreates them on a fresh registry."""
    await switch_with(client, udp_peers, "p1", "p2", "p3")
    await client.send("ethsw set_dot1q_port SW1 p2 5")
    await client.send("ethsw set_qinq_port SW1 p3 100 0x88a8")
    await client.send("nio create_null z")
    await client.send(f'nio create_unix u "{tmp_path / "u.sock"}" "{tmp_path / "v.sock"}"')
    await client.send("nio_bridge create B")
    await client.send("nio_bridge add_nio B z")
    reg = server.hypervisor.registry
    lines = [line for kind in (reg.nios, reg.ethsws, reg.nio_bridges)
             for obj in kind for line in obj.config_commands()]
    before = [await client.send(c) for c in ("nio list", "ethsw list", "nio_bridge list")]
    assert await client.send("hypervisor reset") == ["OK"]
    for line in lines:
        await client.send(line)
    after = [await client.send(c) for c in ("nio list", "ethsw list", "nio_bridge list")]
    assert after == before
    switch = reg.ethsws.get("SW1")
    assert [(p.nio.name, p.mode, p.vlan, p.ethertype) for p in switch.ports.values()] == [
        ("p1", "access", 1, 0x8100), ("p2", "dot1q", 5, 0x8100), ("p3", "qinq", 100, 0x88A8)]
    assert [n.name for n in reg.nio_bridges.get("B").ports] == ["z"]
