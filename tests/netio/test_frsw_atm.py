"""Frame Relay switch, ATM switch and ATM bridge through the protocol, driven by plain UDP
sockets as the routers. Expected frames and cells are built here, independently of the
implementation (bitwise CRC-8 HEC and bitwise MSB-first AAL5 CRC-32)."""
from __future__ import annotations

import pytest

from protocol.client import HypervisorError

from .conftest import frame, mac


async def fails(client, command: str) -> tuple[int, str]:
    with pytest.raises(HypervisorError) as info:
        await client.send(command)
    return info.value.code, info.value.text


async def peers(udp_peers, *names: str) -> list:
    return [await udp_peers(name) for name in names]


# -- independent encoders ----------------------------------------------------------------

def fr(dlci: int, payload: bytes = b"\x03\xcc" + b"fr payload", cr: int = 0, fecn: int = 0,
       becn: int = 0, de: int = 0) -> bytes:
    """A Frame Relay frame: the Q.922 2-byte address, then `payload`."""
    b0 = (dlci >> 4) << 2 | cr << 1
    b1 = (dlci & 0xF) << 4 | fecn << 3 | becn << 2 | de << 1 | 1
    return bytes((b0, b1)) + payload


def hec(head: bytes) -> int:
    crc = 0
    for byte in head:
        for bit in range(7, -1, -1):
            top = (crc >> 7) & 1
            crc = (crc << 1) & 0xFF
            if top ^ ((byte >> bit) & 1):
                crc ^= 0x07
    return crc ^ 0x55


def cell(vpi: int, vci: int, payload: bytes = bytes(range(48)), pti: int = 0,
         clp: int = 0) -> bytes:
    word = vpi << 20 | vci << 4 | pti << 1 | clp
    head = word.to_bytes(4, "big")
    return head + bytes((hec(head),)) + payload


def crc32_msb(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        for bit in range(7, -1, -1):
            top = (crc >> 31) & 1
            crc = (crc << 1) & 0xFFFFFFFF
            if top ^ ((byte >> bit) & 1):
                crc ^= 0x04C11DB7
    return crc ^ 0xFFFFFFFF


LLC_SNAP = bytes.fromhex("aaaa030080c200070000")


def bridged_cells(eth: bytes, vpi: int, vci: int) -> list[bytes]:
    pdu = LLC_SNAP + eth
    pad = (48 - (len(pdu) + 8) % 48) % 48
    body = pdu + bytes(pad) + b"\x00\x00" + len(pdu).to_bytes(2, "big")
    body += crc32_msb(body).to_bytes(4, "big")
    assert len(body) % 48 == 0
    chunks = [body[i:i + 48] for i in range(0, len(body), 48)]
    return [cell(vpi, vci, chunk, pti=1 if i == len(chunks) - 1 else 0)
            for i, chunk in enumerate(chunks)]


def test_encoders_against_known_values():
    assert crc32_msb(b"123456789") == 0xFC891918          # CRC-32/BZIP2 check value
    assert hec(bytes((0, 0, 0, 1))) == 0x52                 # the idle cell's HEC


# -- Frame Relay ---------------------------------------------------------------------------

async def test_frsw_replies(client, udp_peers):
    await peers(udp_peers, "f1", "f2", "f3")
    assert await client.send('frsw create "F1"') == ["FRSW 'F1' created"]
    assert await fails(client, "frsw create F1") == (
        206, "unable to create frame-relay switch 'F1'")
    assert await client.send("frsw create_vc F1 f1 100 f2 200") == ["VC created"]
    for command in ("frsw create_vc F1 f1 100 f3 300",      # DLCI 100 on f1 taken
                    "frsw create_vc F1 nosuch 100 f2 200",
                    "frsw create_vc F1 f1 101 nosuch 200",
                    "frsw create_vc F1 f1 1024 f2 200",     # not a 10-bit DLCI
                    "frsw create_vc F1 f1 0 f2 200"):       # DLCI 0 is LMI's
        assert await fails(client, command) == (205, "unable to create VC"), command
    assert await fails(client, "frsw create_vc nosw f1 1 f2 2") == (
        208, "unable to find object 'nosw'")
    assert await fails(client, "frsw delete_vc F1 f1 100 f2 201") == (205, "unable to delete VC")
    assert await fails(client, "frsw delete_vc F1 f2 200 f1 100") == (205, "unable to delete VC")
    assert await client.send("frsw create F2") == ["FRSW 'F2' created"]
    assert await client.send("frsw list") == ["F2", "F1", "OK"]
    # a NIO used by one switch is not available to another
    assert await fails(client, "frsw create_vc F2 f1 300 f3 300") == (205, "unable to create VC")
    assert await fails(client, "frsw rename F1 F2") == (
        213, "unable to rename FRSW 'F1', 'F2' already exists")
    assert await fails(client, "frsw rename nosw X") == (208, "unable to find object 'nosw'")
    assert await client.send("frsw rename F1 core") == ["FRSW 'F1' renamed to 'core'"]
    assert await client.send("frsw list") == ["F2", "core", "OK"]   # order kept
    assert await fails(client, "nio delete f1") == (207, "unable to delete NIO 'f1'")
    assert await fails(client, "nio delete f2") == (207, "unable to delete NIO 'f2'")
    assert await client.send("frsw delete_vc core f1 100 f2 200") == ["VC deleted"]
    assert await client.send("nio delete f1") == ["NIO 'f1' deleted"]     # released
    assert await client.send("frsw create_vc core f2 200 f3 300") == ["VC created"]
    assert await client.send("frsw delete core") == ["FRSW 'core' deleted"]
    assert await fails(client, "frsw delete core") == (207, "unable to delete FRSW 'core'")
    assert await client.send("nio delete f2") == ["NIO 'f2' deleted"]
    assert await client.send("frsw list") == ["F2", "OK"]


async def test_frsw_rewrites_dlcis_both_ways_and_drops_unknown(client, udp_peers, server):
    p1, p2 = await peers(udp_peers, "f1", "f2")
    await client.send("frsw create F")
    assert await client.send("frsw create_vc F f1 102 f2 201") == ["VC created"]
    assert await client.send("frsw create_vc F f2 201 f1 102") == ["VC created"]
    p1.send(fr(102))
    assert await p2.recv() == fr(201)
    # every other address bit survives the rewrite
    p1.send(fr(102, b"data", cr=1, fecn=1, becn=1, de=1))
    assert await p2.recv() == fr(201, b"data", cr=1, fecn=1, becn=1, de=1)
    p2.send(fr(201, b"back", becn=1))
    assert await p1.recv() == fr(102, b"back", becn=1)
    # a DLCI with no VC (on that NIO) and a runt are dropped
    switch = server.hypervisor.registry.frsws.find("F")
    p1.send(fr(201))
    p2.send(fr(102))
    p1.send(b"\x18")
    assert await p1.nothing() and await p2.nothing()
    assert switch.dropped == 3 and switch.forwarded == 3
    # the highest and lowest switchable DLCIs
    assert await client.send("frsw create_vc F f1 1022 f2 16") == ["VC created"]
    p1.send(fr(1022, b"hi"))
    assert await p2.recv() == fr(16, b"hi")


def lmi_enquiry(report: int, send_seq: int, recv_seq: int) -> bytes:
    return bytes((0x00, 0x01, 0x03, 0x08, 0x00, 0x75, 0x95,
                  0x01, 0x01, report, 0x03, 0x02, send_seq, recv_seq))


async def test_frsw_answers_ansi_lmi(client, udp_peers, server):
    p1, p2 = await peers(udp_peers, "f1", "f2")
    await client.send("frsw create F")
    for in_dlci, out_dlci in ((300, 100), (17, 200)):
        await client.send(f"frsw create_vc F f1 {in_dlci} f2 {out_dlci}")
        await client.send(f"frsw create_vc F f2 {out_dlci} f1 {in_dlci}")
    status = bytes((0x00, 0x01, 0x03, 0x08, 0x00, 0x7D, 0x95))
    # link integrity only
    p1.send(lmi_enquiry(0x01, 5, 0))
    assert await p1.recv() == status + bytes((0x01, 0x01, 0x01, 0x03, 0x02, 1, 5))
    # full status: both of f1's DLCIs, ascending, active
    p1.send(lmi_enquiry(0x00, 6, 1))

    def pvc(dlci: int) -> bytes:
        return bytes((0x07, 0x03, dlci >> 4, 0x80 | (dlci & 0xF) << 3, 0x82))
    assert await p1.recv() == (status + bytes((0x01, 0x01, 0x00, 0x03, 0x02, 2, 6))
                               + pvc(17) + pvc(300))
    # f2 has its own sequence numbers and DLCIs
    p2.send(lmi_enquiry(0x00, 1, 0))
    assert await p2.recv() == (status + bytes((0x01, 0x01, 0x00, 0x03, 0x02, 1, 1))
                               + pvc(100) + pvc(200))
    # Cisco LMI and malformed enquiries are not answered
    switch = server.hypervisor.registry.frsws.find("F")
    p1.send(fr(1023, b"\x03\x09\x00\x75\x01\x01\x00\x03\x02\x01\x00"))
    p1.send(lmi_enquiry(0x00, 7, 2)[:-1])
    assert await p1.nothing() and await p2.nothing()
    assert switch.lmi_answered == 3 and switch.lmi_ignored == 2


# -- ATM switch ----------------------------------------------------------------------------

async def test_atmsw_replies(client, udp_peers):
    await peers(udp_peers, "a1", "a2", "a3")
    assert await client.send("atmsw create A") == ["ATMSW 'A' created"]
    assert await fails(client, "atmsw create A") == (206, "unable to create ATM switch 'A'")
    assert await client.send("atmsw create_vpc A a1 1 a2 2") == ["VPC created"]
    for command in ("atmsw create_vpc A a1 1 a3 3", "atmsw create_vpc A nosuch 1 a2 2",
                    "atmsw create_vpc A a1 4096 a2 2"):
        assert await fails(client, command) == (205, "unable to create VPC"), command
    assert await client.send("atmsw create_vcc A a1 5 100 a3 6 200") == ["VCC created"]
    for command in ("atmsw create_vcc A a1 5 100 a2 6 201",
                    "atmsw create_vcc A a1 5 65536 a2 6 201",
                    "atmsw create_vcc A a1 5 101 nosuch 6 201"):
        assert await fails(client, command) == (205, "unable to create VCC"), command
    assert await fails(client, "atmsw delete_vpc A a1 1 a2 3") == (205, "unable to delete VPC")
    assert await fails(client, "atmsw delete_vcc A a1 5 100 a3 6 201") == (
        205, "unable to delete VCC")
    assert await fails(client, "atmsw create_vpc nosw a1 1 a2 2") == (
        208, "unable to find object 'nosw'")
    assert await client.send("atmsw create B") == ["ATMSW 'B' created"]
    assert await fails(client, "atmsw create_vpc B a1 9 a2 9") == (205, "unable to create VPC")
    assert await client.send("atmsw list") == ["B", "A", "OK"]
    assert await fails(client, "atmsw rename A B") == (
        213, "unable to rename ATMSW 'A', 'B' already exists")
    assert await client.send("atmsw rename A core") == ["ATMSW 'A' renamed to 'core'"]
    assert await client.send("atmsw list") == ["B", "core", "OK"]
    assert await fails(client, "nio delete a3") == (207, "unable to delete NIO 'a3'")
    assert await client.send("atmsw delete_vcc core a1 5 100 a3 6 200") == ["VCC deleted"]
    assert await client.send("nio delete a3") == ["NIO 'a3' deleted"]
    assert await fails(client, "nio delete a1") == (207, "unable to delete NIO 'a1'")
    assert await client.send("atmsw delete_vpc core a1 1 a2 2") == ["VPC deleted"]
    assert await client.send("nio delete a1") == ["NIO 'a1' deleted"]
    assert await client.send("atmsw create_vpc core a2 1 a2 2") == ["VPC created"]
    assert await client.send("atmsw delete core") == ["ATMSW 'core' deleted"]
    assert await fails(client, "atmsw delete core") == (207, "unable to delete ATMSW 'core'")
    assert await client.send("nio delete a2") == ["NIO 'a2' deleted"]


async def test_atmsw_vpc_and_vcc_rewrite_with_hec(client, udp_peers, server):
    p1, p2, p3 = await peers(udp_peers, "a1", "a2", "a3")
    await client.send("atmsw create A")
    assert await client.send("atmsw create_vpc A a1 10 a2 4000") == ["VPC created"]
    assert await client.send("atmsw create_vpc A a2 4000 a1 10") == ["VPC created"]
    assert await client.send("atmsw create_vcc A a1 1 32 a3 2 65535") == ["VCC created"]
    assert await client.send("atmsw create_vcc A a3 2 65535 a1 1 32") == ["VCC created"]
    payload = bytes(range(100, 148))
    # VPC: VPI rewritten, VCI, PTI and CLP kept, HEC recomputed
    p1.send(cell(10, 77, payload, pti=1, clp=1))
    got = await p2.recv()
    assert got == cell(4000, 77, payload, pti=1, clp=1)
    assert got[4] == hec(got[:4]) and got[4] != cell(10, 77, payload, pti=1, clp=1)[4]
    p2.send(cell(4000, 5))
    assert await p1.recv() == cell(10, 5)
    # VCC: both rewritten
    p1.send(cell(1, 32, payload))
    assert await p3.recv() == cell(2, 65535, payload)
    p3.send(cell(2, 65535, payload, pti=1))
    assert await p1.recv() == cell(1, 32, payload, pti=1)
    # the incoming HEC is not checked: a zero HEC is switched and corrected
    bad = bytearray(cell(10, 1))
    bad[4] = 0
    p1.send(bytes(bad))
    assert await p2.recv() == cell(4000, 1)
    # unknown VPI, unknown VCI, a cell from the wrong NIO, a short datagram: dropped
    switch = server.hypervisor.registry.atmsws.find("A")
    before = switch.dropped
    p1.send(cell(11, 32))
    p1.send(cell(1, 33))
    p2.send(cell(1, 32))
    p1.send(cell(10, 1)[:52])
    assert await p1.nothing() and await p2.nothing() and await p3.nothing()
    assert switch.dropped - before == 4


# -- ATM bridge ----------------------------------------------------------------------------

async def test_atm_bridge_replies(client, udp_peers):
    await peers(udp_peers, "e1", "c1", "e2", "c2")
    assert await client.send("atm_bridge create B") == ["ATM bridge 'B' created"]
    assert await fails(client, "atm_bridge create B") == (
        206, "unable to create ATM bridge 'B'")
    assert await client.send("atm_bridge configure B e1 c1 1 100") == ["ATM bridge configured"]
    assert await fails(client, "atm_bridge configure B e2 c2 1 100") == (   # configured
        205, "unable to configure bridge")
    assert await client.send("atm_bridge create B2") == ["ATM bridge 'B2' created"]
    for command in ("atm_bridge configure B2 e1 c2 1 100",       # e1 is B's
                    "atm_bridge configure B2 nosuch c2 1 100",
                    "atm_bridge configure B2 e2 e2 1 100",
                    "atm_bridge configure B2 e2 c2 4096 100",
                    "atm_bridge configure B2 e2 c2 1 65536"):
        assert await fails(client, command) == (205, "unable to configure bridge"), command
    assert await fails(client, "atm_bridge configure nob e2 c2 1 1") == (
        208, "unable to find object 'nob'")
    assert await client.send("atm_bridge list") == ["B2", "B", "OK"]
    assert await fails(client, "atm_bridge rename B B2") == (
        213, "unable to rename ATM bridge 'B', 'B2' already exists")
    assert await client.send("atm_bridge rename B br") == ["ATM bridge 'B' renamed to 'br'"]
    assert await client.send("atm_bridge list") == ["B2", "br", "OK"]
    assert await fails(client, "nio delete e1") == (207, "unable to delete NIO 'e1'")
    assert await fails(client, "nio delete c1") == (207, "unable to delete NIO 'c1'")
    assert await client.send("atm_bridge unconfigure br") == ["ATM bridge unconfigured"]
    assert await client.send("atm_bridge unconfigure br") == ["ATM bridge unconfigured"]
    assert await client.send("nio delete e1") == ["NIO 'e1' deleted"]
    assert await client.send("atm_bridge configure B2 e2 c2 0 32") == ["ATM bridge configured"]
    assert await client.send("atm_bridge delete B2") == ["ATM bridge 'B2' deleted"]
    assert await fails(client, "atm_bridge delete B2") == (
        207, "unable to delete ATM bridge 'B2'")
    assert await fails(client, "atm_bridge unconfigure B2") == (
        208, "unable to find object 'B2'")
    assert await client.send("nio delete c2") == ["NIO 'c2' deleted"]


async def test_atm_bridge_ethernet_to_cells_and_back(client, udp_peers, server):
    eth, atm = await peers(udp_peers, "eth", "atm")
    await client.send("atm_bridge create B")
    assert await client.send("atm_bridge configure B eth atm 3 4095") == [
        "ATM bridge configured"]
    bridge = server.hypervisor.registry.atm_bridges.find("B")
    # 60-byte frame: 70-byte PDU + 18 padding + 8 trailer = 2 cells
    f = frame(mac(2), mac(1), b"over ATM")
    expected = bridged_cells(f, 3, 4095)
    assert len(expected) == 2
    eth.send(f)
    assert [await atm.recv() for _ in expected] == expected
    assert await atm.nothing(0.1)
    # 30 payload bytes: PDU exactly fills one cell with the trailer (10 + 30 + 8 = 48)
    short = bytes(range(30))
    one = bridged_cells(short, 3, 4095)
    assert len(one) == 1 and one[0][3] & 0x02
    eth.send(short)
    assert await atm.recv() == one[0]
    # a long frame: many cells, only the last marked
    big = frame(mac(3), mac(4), bytes(range(256)) * 5)
    cells = bridged_cells(big, 3, 4095)
    eth.send(big)
    assert [await atm.recv() for _ in cells] == cells
    assert [c[3] & 0x02 for c in cells] == [0] * (len(cells) - 1) + [2]
    # cells -> the frame, on the Ethernet side
    back = frame(mac(1), mac(2), b"from ATM")
    for c in bridged_cells(back, 3, 4095):
        atm.send(c)
    assert await eth.recv() == back
    for c in cells:
        atm.send(c)
    assert await eth.recv() == big
    # cells of another VCI and OAM cells in between are ignored
    for c in bridged_cells(back, 3, 4095):
        atm.send(cell(3, 4094))
        atm.send(cell(3, 4095, pti=4))
        atm.send(c)
    assert await eth.recv() == back
    assert await eth.nothing(0.1)
    assert bridge.frames_to_eth == 3 and bridge.frames_to_atm == 3


async def test_atm_bridge_drops_bad_pdus(client, udp_peers, server):
    eth, atm = await peers(udp_peers, "eth", "atm")
    await client.send("atm_bridge create B")
    await client.send("atm_bridge configure B eth atm 0 100")
    bridge = server.hypervisor.registry.atm_bridges.find("B")
    f = frame(mac(1), mac(2), b"payload")
    good = bridged_cells(f, 0, 100)
    # a flipped payload bit: the CRC no longer matches
    corrupt = [bytearray(c) for c in good]
    corrupt[0][20] ^= 0x01
    for c in corrupt:
        atm.send(bytes(c))
    # a wrong CRC field
    wrong_crc = [bytearray(c) for c in good]
    wrong_crc[-1][-1] ^= 0xFF
    for c in wrong_crc:
        atm.send(bytes(c))
    # a good AAL5 PDU with another encapsulation (routed IPv4 LLC/SNAP)
    pdu = bytes.fromhex("aaaa030000000800") + f
    pad = (48 - (len(pdu) + 8) % 48) % 48
    body = pdu + bytes(pad) + b"\x00\x00" + len(pdu).to_bytes(2, "big")
    body += crc32_msb(body).to_bytes(4, "big")
    routed = [cell(0, 100, body[i:i + 48], pti=int(i + 48 == len(body)))
              for i in range(0, len(body), 48)]
    for c in routed:
        atm.send(c)
    assert await eth.nothing()
    assert bridge.dropped == 3 and bridge.frames_to_eth == 0
    # the reassembly restarted after each: a good PDU still gets through
    for c in good:
        atm.send(c)
    assert await eth.recv() == f


async def test_reset_closes_everything(client, udp_peers, server):
    await peers(udp_peers, "f1", "f2", "a1", "a2", "e1", "c1")
    await client.send("frsw create F")
    await client.send("frsw create_vc F f1 100 f2 200")
    await client.send("atmsw create A")
    await client.send("atmsw create_vpc A a1 1 a2 2")
    await client.send("atm_bridge create B")
    await client.send("atm_bridge configure B e1 c1 1 32")
    reg = server.hypervisor.registry
    objects = [reg.frsws.find("F"), reg.atmsws.find("A"), reg.atm_bridges.find("B")]
    nios = [reg.nios.find(n) for n in ("f1", "f2", "a1", "a2", "e1", "c1")]
    assert all(nio.owners for nio in nios)
    assert await client.send("hypervisor reset") == ["OK"]
    assert all(obj.closed for obj in objects)
    assert all(not nio.owners and nio.receiver is None for nio in nios)
    for module in ("frsw", "atmsw", "atm_bridge", "nio"):
        assert await client.send(f"{module} list") == ["OK"]
    # the names are free again
    assert await client.send("frsw create F") == ["FRSW 'F' created"]
    assert await client.send("atmsw create A") == ["ATMSW 'A' created"]
    assert await client.send("atm_bridge create B") == ["ATM bridge 'B' created"]
