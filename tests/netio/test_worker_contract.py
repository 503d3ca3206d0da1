"""The contract a VM worker relies on: spec() describes the transport, detach() hands the
socket over (or frees the port), attach() takes it back."""
from __future__ import annotations

import asyncio
import json
import socket

from .conftest import BROADCAST, frame, mac


async def test_udp_spec_detach_and_attach(server, client, udp_peers):
    left, right = await udp_peers("left"), await udp_peers("right")
    await client.send("nio_bridge create B")
    await client.send("nio_bridge add_nio B left")
    await client.send("nio_bridge add_nio B right")
    await client.send("nio set_bandwidth left 1000")
    await client.send("nio bind_filter left 2 freq_drop")
    await client.send("nio setup_filter left 2 3")
    nio = server.hypervisor.registry.nios.get("left")
    spec = json.loads(json.dumps(nio.spec()))
    assert spec == {"type": "udp", "name": "left", "debug": 0, "bandwidth_kbps": 1000,
                    "filters": [{"direction": 2, "name": "freq_drop", "args": ["3"]}],
                    "family": 4, "local_address": "127.0.0.1", "local_port": left.nio_port,
                    "remote_host": "127.0.0.1", "remote_address": "127.0.0.1",
                    "remote_port": left.port}
    await client.send("nio unbind_filter left 2")
    await client.send("nio set_bandwidth left 0")

    # detached: the daemon no longer reads; whoever holds the socket does (the worker)
    sock = nio.detach()
    assert sock is not None and sock.getsockname()[1] == left.nio_port
    f = frame(BROADCAST, mac(1))
    left.send(f)
    assert await right.nothing()
    sock.setblocking(True)
    sock.settimeout(2)
    assert sock.recv(2000) == f                 # the very socket: same port, same peer
    sock.setblocking(False)
    nio.attach()
    left.send(f)
    assert await right.recv() == f

    # release=True frees the port for a worker that opens its own socket from the spec
    assert nio.detach(release=True) is None
    own = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    own.bind((spec["local_address"], spec["local_port"]))
    own.connect((spec["remote_address"], spec["remote_port"]))
    own.settimeout(2)
    left.send(f)
    assert own.recv(2000) == f
    own.close()
    nio.attach()                                # re-opened from the spec
    left.send(f)
    assert await right.recv() == f
    assert await client.send("nio get_stats left") == [f"2 0 {2 * len(f)} 0"]


async def test_null_and_fifo_specs(server, client):
    await client.send("nio create_null z")
    await client.send("nio create_fifo f1")
    await client.send("nio create_fifo f2")
    await client.send("nio crossconnect_fifo f1 f2")
    reg = server.hypervisor.registry.nios
    assert reg.get("z").spec()["type"] == "null" and reg.get("z").detach() is None
    assert reg.get("f1").spec()["peer"] == "f2"
    got = []
    reg.get("f2").set_receiver(lambda nio, data: got.append(data))
    reg.get("f1").send(b"x" * 60)
    await asyncio.sleep(0)
    assert got == [b"x" * 60]
