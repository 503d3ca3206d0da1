"""The DEC 21140 on the c7200: ether.elf answering ARP and ping through ``nic.receive`` and
``nic.on_transmit`` (exact frames checked here), and the chip's registers one by one: SROM,
MII, CSR5 write-1-to-clear and the IP2 path, RX drop without a descriptor, chained and
multi-descriptor frames, the byte-swapped DMA window, slots and PA-FE-TX placement."""
from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from platforms.c7200 import dec21140 as d
from platforms.c7200.gt64k import swap32
from platforms.c7200.machine import C7200Machine, MachineConfig, RunKind

FW = Path(__file__).resolve().parents[2] / "tests" / "firmware"
ROUTER_MAC = bytes.fromhex("ca0000000000")
HOST_MAC = bytes.fromhex("020000000002")
ROUTER_IP, HOST_IP = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
CSR = 0x1D000000
IP2 = 1 << 10


def make(image=None, **kw):
    out = bytearray()
    m = C7200Machine(MachineConfig(image=str(FW / image) if image else None,
                                   ram=np.zeros(32 << 20, np.uint8),
                                   nvram=np.zeros(128 * 1024, np.uint8), console_out=out.extend,
                                   timer="deterministic", **kw))
    return m, out


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def arp(op, sha, spa, tha, tpa, dst):
    return (dst + sha + b"\x08\x06" + bytes.fromhex("0001 0800 06 04") + op.to_bytes(2, "big")
            + sha + spa + tha + tpa)


def icmp_echo(kind, src_mac, dst_mac, src_ip, dst_ip, ident, seq, payload):
    icmp = bytes([kind, 0]) + b"\0\0" + ident.to_bytes(2, "big") + seq.to_bytes(2, "big") \
        + payload
    icmp = icmp[:2] + checksum(icmp).to_bytes(2, "big") + icmp[4:]
    ip = bytes.fromhex("4500") + (20 + len(icmp)).to_bytes(2, "big") \
        + bytes.fromhex("1234 0000 40 01 0000") + src_ip + dst_ip
    ip = ip[:10] + checksum(ip).to_bytes(2, "big") + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + icmp


class Router:
    """ether.elf booted to its prompt, with the NIC's transmit side captured."""

    def __init__(self):
        self.m, self.out = make("ether.elf")
        self.nic = self.m.nics[(0, 0)]
        self.sent: list[bytes] = []
        self.nic.on_transmit(self.sent.append)
        self.run_until(b"ether> ")

    def run_until(self, text: bytes, answer=None, slices=400):
        start = len(self.out)
        for _ in range(slices):
            r = self.m.run(200_000)
            assert r.kind in (RunKind.IDLE, RunKind.SLICE), (r, self.out.decode())
            if answer:
                while self.sent:
                    reply = answer(self.sent.pop(0))
                    if reply:
                        assert self.nic.receive(reply)
            if text in self.out[start:]:
                return self.out[start:].decode()
        raise AssertionError(f"{text!r} not seen: {self.out.decode()}")

    def command(self, line: str, answer=None, until=b"ether> ", slices=400) -> str:
        self.m.console_input(line.encode() + b"\r")
        return self.run_until(until, answer, slices)


@pytest.fixture(scope="module")
def router():
    return Router()


def test_boot_finds_nic_reads_srom_and_phy(router):
    text = router.out.decode()
    assert "pci: dec21140 at bus 1 dev 0" in text
    assert "mac ca:00:00:00:00:00" in text
    assert "link up" in text
    assert router.nic.filter >= {ROUTER_MAC, b"\xff" * 6}      # the setup frame's entries
    assert router.m.unimplemented == []


def test_arp_request_gets_exact_reply(router):
    router.sent.clear()
    req = arp(1, HOST_MAC, HOST_IP, b"\0" * 6, ROUTER_IP, b"\xff" * 6)
    assert router.nic.receive(req)
    text = router.run_until(b"-> reply")
    assert "arp: who-has 10.0.0.1 tell 10.0.0.2 -> reply" in text
    assert len(router.sent) == 1
    want = arp(2, ROUTER_MAC, ROUTER_IP, HOST_MAC, HOST_IP, HOST_MAC)
    assert router.sent[0] == want.ljust(60, b"\0")                 # padded to the minimum
    assert router.sent[0][20:22] == b"\x00\x02"                    # opcode reply


def test_icmp_echo_request_gets_reply(router):
    router.sent.clear()
    payload = bytes(range(56))
    req = icmp_echo(8, HOST_MAC, ROUTER_MAC, HOST_IP, ROUTER_IP, 0x4242, 7, payload)
    assert router.nic.receive(req)
    text = router.run_until(b"-> reply")
    assert "icmp: echo request from 10.0.0.2 id 16962 seq 7 -> reply" in text
    (rep,) = router.sent
    router.sent.clear()
    assert rep[0:6] == HOST_MAC and rep[6:12] == ROUTER_MAC and rep[12:14] == b"\x08\x00"
    ip = rep[14:34]
    assert ip[12:16] == ROUTER_IP and ip[16:20] == HOST_IP and ip[9] == 1
    assert checksum(ip) == 0
    total = int.from_bytes(ip[2:4], "big")
    icmp = rep[34:14 + total]
    assert icmp[0] == 0 and icmp[4:6] == b"\x42\x42" and icmp[6:8] == b"\x00\x07"
    assert icmp[8:] == payload
    assert checksum(icmp) == 0


def test_frames_for_others_are_filtered(router):
    other = icmp_echo(8, HOST_MAC, b"\x02" * 6, HOST_IP, ROUTER_IP, 1, 1, b"x" * 20)
    before = router.nic.stats["rx_filtered"]
    assert not router.nic.receive(other)
    assert router.nic.stats["rx_filtered"] == before + 1


def test_ping_command(router):
    seen = []

    def host(frame: bytes):
        seen.append(frame)
        if frame[12:14] == b"\x08\x06":
            assert frame[0:6] == b"\xff" * 6 and frame[20:22] == b"\x00\x01"
            assert frame[28:32] == ROUTER_IP and frame[38:42] == HOST_IP
            return arp(2, HOST_MAC, HOST_IP, ROUTER_MAC, ROUTER_IP, ROUTER_MAC)
        if frame[12:14] == b"\x08\x00" and frame[34] == 8:
            ip = frame[14:34]
            assert checksum(ip) == 0 and ip[16:20] == HOST_IP
            total = int.from_bytes(ip[2:4], "big")
            icmp = frame[34:14 + total]
            assert checksum(icmp) == 0
            ident, seq = int.from_bytes(icmp[4:6], "big"), int.from_bytes(icmp[6:8], "big")
            return icmp_echo(0, HOST_MAC, ROUTER_MAC, HOST_IP, ROUTER_IP, ident, seq, icmp[8:])
        return None

    text = router.command("ping 10.0.0.2", host, until=b"/3 replies")
    assert "arp: 10.0.0.2 is-at 02:00:00:00:00:02" in text
    for seq in (1, 2, 3):
        assert f"reply from 10.0.0.2: seq {seq} ttl 64" in text
    assert "ping: 3/3 replies" in text
    assert [f[12:14] for f in seen] == [b"\x08\x06"] + [b"\x08\x00"] * 3
    stats = router.command("stats")
    irqs = int(re.search(r"irqs (\d+)", stats).group(1))
    assert irqs >= 4                       # RX interrupts through the mid-plane FPGA (IP2)
    assert router.m.unimplemented == []


def test_ping_without_answer_times_out():
    r = Router()
    text = r.command("ping 10.0.0.9", until=b"no arp reply", slices=2000)
    assert "ping 10.0.0.9: arp request" in text


# ---------------------------------------------------------------- register level
def mapped(**kw):
    m, _ = make(**kw)
    nic = m.nics[(0, 0)]
    nic.pci.write(0x14, CSR)
    return m, nic


def csr_r(m, n):
    return m.bus.read(CSR + 8 * n, 4)


def csr_w(m, n, v):
    m.bus.write(CSR + 8 * n, 4, v)


def test_pci_config_and_bar():
    m, _ = make()
    nic = m.nics[(0, 0)]
    assert nic.pci.read(0) == 0x00091011 and nic.pci.read(8) == 0x02000011
    nic.pci.write(0x14, 0xFFFFFFFF)
    assert nic.pci.read(0x14) == 0xFFFFFF80 and nic.csr_base is None
    nic.pci.write(0x14, CSR)
    assert nic.pci.read(0x14) == CSR
    assert csr_r(m, 0) == d.CSR0_RESET and csr_r(m, 5) == d.CSR5_RESET
    nic.pci.write(0x14, CSR + 0x100000)                 # moved: the old window is gone
    assert m.bus.read(CSR, 4) == 0 and m.unimplemented
    assert m.bus.read(CSR + 0x100000 + 0x28, 4) == d.CSR5_RESET


def test_srom_mac_read_by_bit_bang():
    m, nic = mapped(mac=bytes.fromhex("001122334450"))
    base = d.CSR9_SR | 0x4000 | d.SROM_CS

    def word(addr):
        csr_w(m, 9, d.CSR9_SR | 0x4000)
        cmd = (0b110 << 6) | addr
        for i in range(8, -1, -1):
            bit = d.SROM_DI if (cmd >> i) & 1 else 0
            csr_w(m, 9, base | bit)
            csr_w(m, 9, base | bit | d.SROM_CLK)
        assert not csr_r(m, 9) & d.SROM_DO                  # the dummy 0 bit
        v = 0
        for _ in range(16):
            csr_w(m, 9, base)
            csr_w(m, 9, base | d.SROM_CLK)
            v = (v << 1) | (1 if csr_r(m, 9) & d.SROM_DO else 0)
        csr_w(m, 9, 0)
        return v

    words = [word(a) for a in range(64)]
    rom = b"".join(w.to_bytes(2, "little") for w in words)
    assert rom == d.srom_image(nic.mac)
    assert rom[20:26] == bytes.fromhex("001122334450")  # slot 0, port 0: the chassis MAC
    assert rom[18] == 3 and zlib.crc32(rom[:126]) & 0xFFFF == int.from_bytes(rom[126:], "little")


def test_mii_bmsr_follows_link():
    m, nic = mapped()

    def mii_read(phy, reg):
        bits = [1] * 32 + [0, 1, 1, 0] + [(phy >> i) & 1 for i in range(4, -1, -1)] \
            + [(reg >> i) & 1 for i in range(4, -1, -1)]
        for b in bits:                                  # IOS's pattern: WR | MDC (| MDO)
            csr_w(m, 9, 0x12000 | (d.MII_MDO if b else 0))
        out = []
        for _ in range(17):
            csr_w(m, 9, 0x54000)                        # MII read | RD | MDC
            out.append(1 if csr_r(m, 9) & d.MII_MDI else 0)
        assert out[0] == 0                              # turnaround
        return int("".join(map(str, out[1:])), 2)

    assert not mii_read(1, 1) & 4
    nic.on_transmit(lambda f: None)
    assert mii_read(1, 1) & 4 and mii_read(1, 1) & 0x20
    nic.set_link(False)
    assert not mii_read(0, 1) & 4


def test_status_write_one_to_clear_and_ip2():
    m, nic = mapped()
    m.midplane.write(0x20, 4, 0xFF)                     # slot 0 unmasked
    csr_w(m, 7, d.NIS | d.TI | d.RI)
    nic._set_status(d.TI | d.RI)
    s = csr_r(m, 5)
    assert s & (d.TI | d.RI | d.NIS) == d.TI | d.RI | d.NIS
    assert m.midplane.read(0x10, 4) & 1 and m.cpu.ctx[8] & IP2
    csr_w(m, 5, d.TI)
    s = csr_r(m, 5)
    assert not s & d.TI and s & d.RI and s & d.NIS and m.cpu.ctx[8] & IP2
    csr_w(m, 5, d.RI)
    assert csr_r(m, 5) & 0x1FFFF == 0
    assert not m.midplane.read(0x10, 4) & 1 and not m.cpu.ctx[8] & IP2
    nic._set_status(d.RU)                               # abnormal, AIS not enabled: no IRQ
    assert csr_r(m, 5) & d.AIS and not m.cpu.ctx[8] & IP2


def put_desc(m, addr, w0, w1, w2, w3):
    m.ram[addr:addr + 16] = np.frombuffer(b"".join(v.to_bytes(4, "big")
                                                   for v in (w0, w1, w2, w3)), np.uint8)


def desc(m, addr):
    return [int.from_bytes(m.ram[addr + i:addr + i + 4].tobytes(), "big") for i in range(0, 16, 4)]


FRAME = bytes.fromhex("ffffffffffff 020000000002 0800") + bytes(range(100))


def test_rx_drop_when_no_descriptor():
    m, nic = mapped()
    put_desc(m, 0x10000, 0, d.RDES1_RER | 1536, 0x20000, 0)      # owned by the host
    csr_w(m, 3, 0x10000)
    assert not nic.receive(FRAME)                                  # receiver stopped
    assert nic.stats["rx_stopped"] == 1
    csr_w(m, 6, d.SR)
    assert not nic.receive(FRAME) and not nic.receive(FRAME)
    assert nic.stats["rx_missed"] == 2 and csr_r(m, 5) & d.RU
    assert csr_r(m, 8) == 2 and csr_r(m, 8) == 0                  # cleared by reading
    put_desc(m, 0x10000, d.OWN, d.RDES1_RER | 1536, 0x20000, 0)
    assert nic.receive(FRAME)
    w0 = desc(m, 0x10000)[0]
    assert not w0 & d.OWN and w0 & d.RDES0_FS and w0 & d.RDES0_LS
    assert (w0 >> 16) & 0x3FFF == len(FRAME) + 4 and w0 & d.RDES0_MF
    data = m.ram[0x20000:0x20000 + len(FRAME) + 4].tobytes()
    assert data == FRAME + zlib.crc32(FRAME).to_bytes(4, "little")
    assert csr_r(m, 5) & d.RI


def test_rx_frame_spread_over_chained_descriptors_and_irq_wakes():
    m, nic = mapped()
    m.midplane.write(0x20, 4, 0xFF)
    put_desc(m, 0x10000, d.OWN, d.RDES1_RCH | 64, 0x20000, 0x10100)
    put_desc(m, 0x10100, d.OWN, d.RDES1_RCH | 64, 0x20100, 0x10000)
    csr_w(m, 3, 0x10000)
    csr_w(m, 7, d.NIS | d.RI)
    csr_w(m, 6, d.SR)
    assert not m.cpu.ctx[8] & IP2
    assert nic.receive(FRAME)                                     # 114 + 4 bytes
    a, b = desc(m, 0x10000)[0], desc(m, 0x10100)[0]
    assert a == d.RDES0_FS and not b & d.RDES0_FS and b & d.RDES0_LS
    assert m.ram[0x20000:0x20040].tobytes() + m.ram[0x20100:0x20136].tobytes() == \
        FRAME + zlib.crc32(FRAME).to_bytes(4, "little")
    assert m.cpu.ctx[8] & IP2                                     # the guest would wake


def test_tx_chained_frame_ring_end_and_ti():
    m, nic = mapped()
    sent = []
    nic.on_transmit(sent.append)
    m.ram[0x30000:0x30000 + 14] = np.frombuffer(FRAME[:14], np.uint8)
    m.ram[0x30100:0x30100 + 100] = np.frombuffer(FRAME[14:], np.uint8)
    put_desc(m, 0x40000, d.OWN, d.TDES1_FS | d.TDES1_TCH | 14, 0x30000, 0x40100)
    put_desc(m, 0x40100, d.OWN, d.TDES1_LS | d.TDES1_IC | d.TDES1_TER | 100, 0x30100, 0)
    csr_w(m, 4, 0x40000)
    csr_w(m, 1, 1)
    assert sent == []                                             # transmitter stopped
    csr_w(m, 6, d.ST)                                             # starting it processes the ring
    assert sent == [FRAME]
    assert desc(m, 0x40000)[0] == 0 and desc(m, 0x40100)[0] == 0
    assert csr_r(m, 5) & (d.TI | d.TU) == d.TI | d.TU
    put_desc(m, 0x40000, d.OWN, d.TDES1_FS | d.TDES1_LS | 14, 0x30000, 0)   # ring end: back
    csr_w(m, 1, 1)
    assert sent[1] == FRAME[:14].ljust(60, b"\0")


def test_setup_frame_filter_and_promiscuous():
    m, nic = mapped()
    mine = bytes.fromhex("ca0000000000")
    setup = bytearray(192)
    for e in range(16):
        for k in range(3):
            setup[12 * e + 4 * k:12 * e + 4 * k + 2] = mine[2 * k:2 * k + 2]
    m.ram[0x30000:0x300C0] = np.frombuffer(bytes(setup), np.uint8)
    put_desc(m, 0x40000, d.OWN, d.TDES1_SET | d.TDES1_TER | 192, 0x30000, 0)
    put_desc(m, 0x10000, d.OWN, d.RDES1_RER | 1536, 0x20000, 0)
    csr_w(m, 3, 0x10000)
    csr_w(m, 4, 0x40000)
    csr_w(m, 6, d.SR | d.ST)
    assert nic.filter == {mine}
    other = b"\x02" * 6 + FRAME[6:]
    assert not nic.receive(other)
    csr_w(m, 6, d.SR | d.ST | d.PR)
    assert nic.receive(other)
    assert nic.receive(mine + FRAME[6:]) is False                 # ring of one: now full


def test_dma_through_the_byte_swapped_window():
    m, nic = mapped()
    put_desc(m, 0x10000, d.OWN, d.RDES1_RER | 1536, 0xC0020000, 0)
    csr_w(m, 3, 0x10000)
    csr_w(m, 6, d.SR)
    assert nic.receive(FRAME)
    raw = m.ram[0x20000:0x20000 + 120].tobytes()
    unswapped = b"".join(raw[i:i + 4][::-1] for i in range(0, 120, 4))
    assert unswapped[:len(FRAME)] == FRAME


def test_slots_pa_fe_tx_topology_eeprom_and_irq():
    m, _ = make(slots={0: "C7200-IO-FE", 1: "PA-FE-TX", 2: "PA-FE-TX"})
    assert sorted(m.nics) == [(0, 0), (1, 0), (2, 0)]
    assert m.nics[(1, 0)].mac == bytes.fromhex("ca0000000008")
    gt = 0x14000000

    def cfg(port, bus, dev, reg, value=None):
        m.bus.write(gt + port, 4, swap32(0x80000000 | bus << 16 | dev << 11 | reg))
        if value is None:
            return swap32(m.bus.read(gt + port + 4, 4))
        m.bus.write(gt + port + 4, 4, swap32(value))

    cfg(0xCF8, 0, 7, 0x18, 0x00050500)                            # bay 1 bridge -> bus 5
    assert cfg(0xCF8, 5, 0, 0) == 0x00091011
    cfg(0xCF0, 0, 7, 0x18, 0x00060600)                            # bay 2 bridge on MB2 -> bus 6
    assert cfg(0xCF0, 6, 0, 0) == 0x00091011
    cfg(0xCF8, 5, 0, 0x14, 0x1D100000)
    assert m.nics[(1, 0)].csr_base == 0x1D100000
    assert m.midplane.read(0x50, 4) & 0x6606 == 0x6606            # bays 0, 1, 2 powered
    nic = m.nics[(2, 0)]
    nic.csr[7] = d.NIS | d.RI
    nic._set_status(d.RI)
    assert m.midplane.read(0x18, 4) == 1 << 8                     # slot 2 = bits 8..15 of 0x18
    assert m.unimplemented == []


def test_slots_validation():
    with pytest.raises(ValueError):
        make(slots={0: "C7200-IO-FE", 1: "PA-4T+"})
    with pytest.raises(ValueError):
        make(slots={0: "PA-FE-TX"})
    m, _ = make(slots={})
    assert m.nics == {}
