"""`hypervisor reset` closes every NIO socket: its port can be bound again at once."""
from __future__ import annotations

import socket

from .conftest import free_udp_ports


async def test_reset_closes_the_sockets(client, tmp_path):
    a, b, c = free_udp_ports(3)
    await client.send(f"nio create_udp n1 {a} 127.0.0.1 {b}")
    (auto,) = await client.send(f"nio create_udp_auto n2 127.0.0.1 {c} {c + 10}")
    await client.send(f'nio create_unix u1 "{tmp_path / "u.sock"}" "{tmp_path / "v.sock"}"')
    await client.send("ethsw create SW1")
    await client.send("ethsw add_nio SW1 n1")
    await client.send("nio_bridge create B")
    await client.send("nio_bridge add_nio B n2")
    assert await client.send("hypervisor reset") == ["OK"]
    assert await client.send("nio list") == ["OK"]
    assert await client.send("ethsw list") == ["OK"]
    for port in (a, int(auto)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))          # EADDRINUSE if the NIO's socket were still open
        s.close()
    assert not (tmp_path / "u.sock").exists()
    # and the same names can be created again
    assert await client.send(f"nio create_udp n1 {a} 127.0.0.1 {b}") == ["NIO 'n1' created"]
