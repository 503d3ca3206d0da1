"""Packet filters: `capture` writes a real pcap file, `freq_drop` drops exactly 1 in N."""
from __future__ import annotations

import asyncio
import struct

from .conftest import BROADCAST, frame, mac


def read_pcap(data: bytes) -> tuple[int, list[tuple[int, int, int, bytes]]]:
    """(link type, [(seconds, microseconds, original length, bytes)]) of a pcap file."""
    magic, major, minor, _, _, snaplen, link = struct.unpack_from("<IHHiIII", data)
    assert (magic, major, minor, snaplen) == (0xA1B2C3D4, 2, 4, 65535)
    packets, offset = [], 24
    while offset < len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, offset)
        offset += 16
        packets.append((sec, usec, orig, data[offset:offset + incl]))
        offset += incl
    assert offset == len(data)
    return link, packets


async def hub(client, udp_peers):
    left, right = await udp_peers("left"), await udp_peers("right")
    await client.send("nio_bridge create B")
    await client.send("nio_bridge add_nio B left")
    await client.send("nio_bridge add_nio B right")
    return left, right


async def test_capture_writes_a_pcap_of_both_directions(client, udp_peers, tmp_path):
    left, right = await hub(client, udp_peers)
    pcap = tmp_path / "left.pcap"
    assert await client.send("nio bind_filter left 2 capture") == ["OK"]
    assert await client.send(f'nio setup_filter left 2 en10mb "{pcap}"') == ["OK"]
    sent = [frame(BROADCAST, mac(1), b"a" * 100), frame(mac(1), mac(2), b"b" * 1400)]
    left.send(sent[0])                       # into the NIO
    assert await right.recv() == sent[0]
    right.send(sent[1])                      # out of the NIO
    assert await left.recv() == sent[1]
    await asyncio.sleep(0.35)                # the capture flushes within 0.2 s
    link, packets = read_pcap(pcap.read_bytes())
    assert link == 1
    assert [p[3] for p in packets] == sent and [p[2] for p in packets] == [len(f) for f in sent]
    assert all(p[0] > 1_700_000_000 and 0 <= p[1] < 1_000_000 for p in packets)
    assert await client.send("nio unbind_filter left 2") == ["OK"]   # closes the file
    left.send(sent[0])
    await right.recv()
    assert len(read_pcap(pcap.read_bytes())[1]) == 2


async def test_capture_with_the_dlt_name_and_a_relative_path(client, udp_peers, tmp_path):
    left, right = await hub(client, udp_peers)
    await client.send("nio bind_filter right 1 capture")
    await client.send('nio setup_filter right 1 DLT_EN10MB "out.pcap"')   # working dir
    left.send(frame(BROADCAST, mac(1)))
    await right.recv()
    await client.send("nio unbind_filter right 1")
    link, packets = read_pcap((tmp_path / "out.pcap").read_bytes())
    assert link == 1 and len(packets) == 1


async def test_freq_drop_drops_exactly_one_in_n(client, udp_peers):
    left, right = await hub(client, udp_peers)
    await client.send("nio bind_filter left 0 freq_drop")
    await client.send("nio setup_filter left 0 4")
    got = []
    for i in range(20):
        left.send(frame(BROADCAST, mac(1), b"#%d" % i))
        await asyncio.sleep(0.002)
    got = [f[14:18].rstrip(b"\0") for f in await right.recv_all(0.3)]
    assert got == [b"#%d" % i for i in range(20) if i % 4 != 3]
    assert (await client.send("nio get_stats left"))[0].split()[0] == "15"
    # -1 drops everything, 0 nothing
    await client.send("nio setup_filter left 0 -1")
    left.send(frame(BROADCAST, mac(1)))
    assert await right.nothing()
    await client.send("nio setup_filter left 0 0")
    for _ in range(5):
        left.send(frame(BROADCAST, mac(1)))
    assert len(await right.recv_all(0.3)) == 5


async def test_freq_drop_on_output(client, udp_peers):
    left, right = await hub(client, udp_peers)
    await client.send("nio bind_filter right 1 freq_drop")
    await client.send("nio setup_filter right 1 2")
    for i in range(10):
        left.send(frame(BROADCAST, mac(1)))
        await asyncio.sleep(0.002)
    assert len(await right.recv_all(0.3)) == 5
    assert await client.send("nio get_stats right") == [f"0 5 0 {5 * 60}"]
    assert (await client.send("nio get_stats left"))[0].startswith("10 0 600 0")
