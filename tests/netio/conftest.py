"""Helpers for the network tests: free UDP ports, plain UDP peers, Ethernet frames."""
from __future__ import annotations

import asyncio
import socket
import struct

import pytest

BROADCAST = b"\xff" * 6


def mac(n: int) -> bytes:
    """A unicast, locally administered MAC ending in `n`."""
    return bytes([0x02, 0, 0, 0, 0, n])


def frame(dst: bytes, src: bytes, payload: bytes = b"hello", ethertype: int = 0x0800) -> bytes:
    return dst + src + struct.pack("!H", ethertype) + payload.ljust(46, b"\0")


def tagged(dst: bytes, src: bytes, vlan: int, payload: bytes = b"hello",
           tag_type: int = 0x8100, ethertype: int = 0x0800) -> bytes:
    return (dst + src + struct.pack("!HH", tag_type, vlan) + struct.pack("!H", ethertype)
            + payload.ljust(46, b"\0"))


def free_udp_ports(count: int) -> list[int]:
    """Ports the kernel just handed out (and took back): free unless someone races us."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Peer:
    """The far end of a UDP NIO: a plain UDP socket, as a router or ubridge would have."""

    def __init__(self, sock: socket.socket, nio_port: int) -> None:
        self.sock = sock
        self.nio_port = nio_port
        self.port = sock.getsockname()[1]

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, ("127.0.0.1", self.nio_port))

    async def recv(self, timeout: float = 2.0) -> bytes:
        return await asyncio.wait_for(asyncio.get_running_loop().sock_recv(self.sock, 65535),
                                      timeout)

    async def recv_all(self, quiet: float = 0.2) -> list[bytes]:
        """Every datagram until `quiet` seconds pass without one."""
        got = []
        while True:
            try:
                got.append(await self.recv(quiet))
            except asyncio.TimeoutError:
                return got

    async def nothing(self, quiet: float = 0.2) -> bool:
        return await self.recv_all(quiet) == []

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
async def udp_peers(client):
    """make(name) -> Peer: creates UDP NIO `name` over the protocol and its peer socket."""
    made: list[Peer] = []

    async def make(name: str) -> Peer:
        nio_port, peer_port = free_udp_ports(2)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", peer_port))
        sock.setblocking(False)
        await client.send(f"nio create_udp {name} {nio_port} 127.0.0.1 {peer_port}")
        peer = Peer(sock, nio_port)
        made.append(peer)
        return peer

    yield make
    for peer in made:
        peer.close()
