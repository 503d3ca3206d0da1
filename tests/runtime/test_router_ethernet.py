"""A router's FastEthernet port on a UDP NIO, in a worker process: frames cross the real
socket the daemon hands to the worker. The peer is a plain UDP socket, then Debian's VPCS."""
from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import pytest

from ..netio.conftest import free_udp_ports
from .conftest import TelnetConsole, create_router

FIRMWARE = Path(__file__).resolve().parents[1] / "firmware"
PROMPT = b"ether> "
PEER_MAC = bytes.fromhex("020000000002")


def arp_request(sender_ip: bytes, target_ip: bytes) -> bytes:
    return (b"\xff" * 6 + PEER_MAC + b"\x08\x06" + bytes.fromhex("0001080006040001") +
            PEER_MAC + sender_ip + bytes(6) + target_ip)


async def start_ether_router(client, tmp_path, lport: int, rport: int) -> TelnetConsole:
    image = tmp_path / "ether.elf"
    shutil.copy(FIRMWARE / "ether.elf", image)
    port = await create_router(client, "R1", 1, image)
    await client.send("vm slot_add_binding R1 0 0 C7200-IO-FE")
    await client.send(f"nio create_udp nio1 {lport} 127.0.0.1 {rport}")
    await client.send("vm slot_add_nio_binding R1 0 0 nio1")
    await client.send("vm start R1")
    con = await TelnetConsole.connect(port)
    await con.expect(PROMPT, timeout=60)
    return con


async def test_router_answers_arp_through_its_udp_nio(client, server, tmp_path):
    lport, rport = free_udp_ports(2)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", rport))
    peer.connect(("127.0.0.1", lport))
    peer.settimeout(10)
    con = await start_ether_router(client, tmp_path, lport, rport)
    try:
        peer.send(arp_request(bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])))
        reply = await asyncio.to_thread(peer.recv, 2048)
        assert reply[:6] == PEER_MAC and reply[12:14] == b"\x08\x06"
        assert reply[20:22] == b"\x00\x02"                       # ARP reply
        assert reply[28:32] == bytes([10, 0, 0, 1]) and reply[38:42] == bytes([10, 0, 0, 2])
        router_mac = reply[6:12]
        assert router_mac[0] == 0xCA                              # the c7200 chassis MAC
        await con.expect(b"arp: who-has 10.0.0.1")
        # the NIO goes back to the daemon when the VM stops: its socket serves again
        await client.send("vm stop R1")
        nio = server.hypervisor.registry.nios.get("nio1")
        assert not nio.detached
    finally:
        peer.close()
        con.close()


async def test_disable_and_enable_nio_while_running(client, tmp_path):
    lport, rport = free_udp_ports(2)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", rport))
    peer.connect(("127.0.0.1", lport))
    peer.settimeout(0.5)
    con = await start_ether_router(client, tmp_path, lport, rport)
    try:
        assert await client.send("vm slot_disable_nio R1 0 0") == ["OK"]
        peer.send(arp_request(bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])))
        with pytest.raises(socket.timeout):                      # unplugged: no answer
            await asyncio.to_thread(peer.recv, 2048)
        assert await client.send("vm slot_enable_nio R1 0 0") == ["OK"]
        peer.settimeout(10)
        peer.send(arp_request(bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])))
        reply = await asyncio.to_thread(peer.recv, 2048)
        assert reply[20:22] == b"\x00\x02"
    finally:
        peer.close()
        con.close()


@pytest.mark.skipif(shutil.which("vpcs") is None, reason="Debian's vpcs is not installed")
async def test_vpcs_pings_the_router(client, tmp_path):
    from ..netio.test_vpcs import PROMPT as VPCS_PROMPT, VpcsHost
    lport, rport = free_udp_ports(2)
    con = await start_ether_router(client, tmp_path, lport, rport)
    host = VpcsHost(1, rport, lport, tmp_path)
    try:
        await host.expect(VPCS_PROMPT)
        await host.command("ip 10.0.0.2/24")
        out = await host.command("ping 10.0.0.1 -c 3", timeout=30)
        assert out.count("10.0.0.1 icmp_seq=") == 3, out       # VPCS: one line per reply
        await con.expect(b"icmp: echo request from 10.0.0.2")
        # and the router pings VPCS back
        await con.send(b"ping 10.0.0.2\r")
        text = await con.expect(PROMPT, timeout=30)
        assert text.count(b"reply from 10.0.0.2") == 3, text
    finally:
        host.close()
        con.close()
