"""A c7200 with 512 MB of RAM (npe-400): RAM above 256 MB at physical 0x20000000."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from platforms.c7200.machine import C7200Machine, MachineConfig, RunKind

FW = Path(__file__).resolve().parents[2] / "tests" / "firmware"
MB = 1 << 20
HIGH = 256 * MB


def machine(image=None, npe="npe-400", ram_mb=512, **kw):
    out = bytearray()
    m = C7200Machine(MachineConfig(image=str(FW / image) if image else None,
                                   ram=np.zeros(ram_mb << 20, np.uint8),
                                   nvram=np.zeros(128 * 1024, np.uint8), npe=npe,
                                   console_out=out.extend, timer="deterministic", **kw))
    return m, out


def test_npe400_512mb_boots_hello():
    m, out = machine("hello.elf")
    for _ in range(200):
        r = m.run(5_000_000)
        m.advance_time(0.01)
        if r.kind in (RunKind.STOPPED, RunKind.ERROR):
            break
    assert r.kind is RunKind.STOPPED and r.message == "image returned to ROM", out
    assert out
    assert m.unimplemented == []


def test_ram_and_iomem_sizes_as_dynamips_reports_them():
    m, _ = machine()
    assert m.ram_size == HIGH and m.iomem_size == HIGH
    assert m.rom.service(4, 0, 0, 0) == HIGH                  # RAM size: the first bank
    assert m.rom.service(27, 0, 0, 0) == HIGH                 # IOMEM: the bank at 0x20000000
    m, _ = machine(ram_mb=128)
    assert m.ram_size == 128 * MB and m.iomem_size == 0


@pytest.mark.parametrize("npe", ["npe-100", "npe-200", "npe-300"])
def test_npe_limited_to_256mb_refuses_512(npe):
    with pytest.raises(ValueError, match="at most 256 MB"):
        machine(npe=npe)


def test_npe400_refuses_more_than_512():
    with pytest.raises(ValueError, match="at most 512 MB"):
        machine(ram_mb=768)


def test_iomem_device_and_high_ram_exclude_each_other():
    with pytest.raises(ValueError, match="iomem_mb"):
        machine(iomem_mb=32)
    m, _ = machine(ram_mb=256, iomem_mb=32)                   # fine without high RAM
    assert m.iomem_size == 32 * MB


def test_dma_helpers_follow_the_core_layout():
    m, _ = machine()
    m._mem_write(0x20001000, b"\x01\x02\x03\x04")
    assert bytes(m.ram[HIGH + 0x1000:HIGH + 0x1004]) == b"\x01\x02\x03\x04"
    assert m._mem_read(0x20001000, 4) == b"\x01\x02\x03\x04"
    m.ram[HIGH - 4:HIGH] = [9, 8, 7, 6]
    assert m._mem_read(HIGH - 4, 4) == bytes([9, 8, 7, 6])
    # the device gap is not RAM: the write goes to the bus (NVRAM at 0x1e000000 here)
    m._mem_write(0x1E000000, b"\xAA")
    assert m.ram[0x1E000000] == 0 and m.nvram[0] == 0xAA
    # byte-swapped window: 0xc0000000 + phys
    m.ram[HIGH + 0x2000:HIGH + 0x2004] = [0x11, 0x22, 0x33, 0x44]
    assert m._mem_read(0xC0000000 + 0x20002000, 4) == bytes([0x44, 0x33, 0x22, 0x11])
    m._mem_write(0xC0000000 + 0x20002004, b"\xA1\xB2")
    assert bytes(m.ram[HIGH + 0x2006:HIGH + 0x2008]) == b"\xB2\xA1"
    m.ram[0x3000:0x3004] = [1, 2, 3, 4]
    assert m._mem_read(0xC0000000 + 0x3000, 4) == bytes([4, 3, 2, 1])
    assert m._swapped(0xC0000000 + 0x10000000, 4) is None
    # the bus view of the window (CPU accesses at 0xc0000000 + phys)
    w = m.bus.read(0xC0000000 + 0x20002000, 4)
    assert w == int.from_bytes(bytes(m.ram[HIGH + 0x2000:HIGH + 0x2004]), "little")
    assert m.bus.read(0xC0000000 + 0x3000, 1) == m.ram[0x3003]


def test_guest_reaches_high_ram_through_xkphys_and_the_tlb():
    m, _ = machine()
    cpu = m.cpu
    cpu.set_tlb_entry(0, 0, 0x00400000, (0x20000 << 6) | 7, (0x20001 << 6) | 7)
    assert cpu.translate(0x00401010) == 0x20001010
    m.ram[HIGH + 0x1010:HIGH + 0x1014] = [0xDE, 0xAD, 0xBE, 0xEF]
    assert cpu.read_virtual(0x00401010, 4) == b"\xDE\xAD\xBE\xEF"
