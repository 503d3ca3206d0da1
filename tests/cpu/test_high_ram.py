"""RAM above 256 MB (the c7200 NPE-400 layout): RAM index 256 MB + k is physical 0x20000000 + k,
and physical 0x10000000..0x1FFFFFFF stays device space whatever the RAM size."""

import numpy as np
import pytest

from cpu import core
from cpu.isa import assemble
from cpu.state import ExitReason, ram_index

from .machine import CODE, KSEG0, Machine

MB = 1 << 20
HIGH = 256 * MB            # RAM index of physical 0x20000000
KX = core.ST_KX


def map_pair(m, i, va, pa):
    """TLB entry i: the 8 KB pair at va -> physical pa, pa + 4 KB (dirty, valid, global)."""
    m.cpu.set_tlb_entry(i, 0, va, ((pa >> 12) << 6) | 7, (((pa + 0x1000) >> 12) << 6) | 7)


@pytest.fixture
def m():
    return Machine(ram_size=512 * MB)          # np.zeros: pages are allocated when touched


def write32(ram, i, w):
    ram[i:i + 4] = np.frombuffer(w.to_bytes(4, "big"), np.uint8)


def read32(ram, i):
    return int.from_bytes(ram[i:i + 4].tobytes(), "big")


def test_ram_index_helper():
    assert ram_index(0, 4, 512 * MB) == 0
    assert ram_index(HIGH - 4, 4, 512 * MB) == HIGH - 4
    assert ram_index(HIGH - 2, 4, 512 * MB) is None              # crosses into the device gap
    assert ram_index(0x10000000, 1, 512 * MB) is None
    assert ram_index(0x1E840000, 4, 512 * MB) is None
    assert ram_index(0x20001000, 4, 512 * MB) == HIGH + 0x1000
    assert ram_index(0x2FFFFFFC, 4, 512 * MB) == 512 * MB - 4
    assert ram_index(0x30000000, 1, 512 * MB) is None
    assert ram_index(0x20000000, 1, 256 * MB) is None             # no high bank
    assert ram_index(0x20000000, 1, 8 * MB) is None
    assert ram_index(8 * MB - 4, 4, 8 * MB) == 8 * MB - 4
    assert ram_index(8 * MB, 1, 8 * MB) is None


def test_tlb_mapped_page_in_high_ram(m):
    # VA 0x00400000/0x00401000 -> phys 0x20000000/0x20001000
    map_pair(m, 0, 0x00400000, 0x20000000)
    write32(m.ram, HIGH + 0x1010, 0xCAFEBABE)
    m.start("""
        lui t1, 0x0040
        lw t0, 0x1010(t1)       # phys 0x20001010
        lui t2, 0x1234
        ori t2, t2, 0x5678
        sw t2, 0x1020(t1)       # phys 0x20001020
        lbu t3, 0x1011(t1)
        sb t3, 0x1030(t1)
        end: nop
    """)
    assert m.run_until([CODE + 32]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == 0xFFFFFFFFCAFEBABE
    assert read32(m.ram, HIGH + 0x1020) == 0x12345678
    assert m.cpu.gpr(11) == 0xFE
    assert m.ram[HIGH + 0x1030] == 0xFE
    # the flat low index of the same offset is untouched (no aliasing onto low RAM)
    assert read32(m.ram, 0x1020) == 0
    assert m.cpu.translate(0x00401020) == 0x20001020
    assert m.cpu.read_virtual(0x00401020, 4) == bytes.fromhex("12345678")


def test_partial_word_and_ll_sc_in_high_ram(m):
    map_pair(m, 0, 0x00400000, 0x20000000)
    write32(m.ram, HIGH + 0x1040, 0x11223344)
    write32(m.ram, HIGH + 0x1044, 0x55667788)
    m.start("""
        lui t1, 0x0040
        ori t1, t1, 0x1000
        lwl t0, 0x41(t1)        # 0x223344xx
        lwr t0, 0x44(t1)        # low byte 0x55
        ll t2, 0x48(t1)
        addiu t2, t2, 1
        sc t2, 0x48(t1)
        swl t0, 0x50(t1)
        ldl t3, 0x40(t1)
        end: nop
    """)
    assert m.run_until([CODE + 36]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == 0x22334455
    assert m.cpu.gpr(10) == 1                                      # SC succeeded
    assert read32(m.ram, HIGH + 0x1048) == 1
    assert m.cpu.cp0_get(core.CP0_LLADDR) == 0x20001048 >> 4      # physical, not the index
    assert read32(m.ram, HIGH + 0x1050) == 0x22334455
    assert m.cpu.gpr(11) == 0x1122334455667788


def test_fetch_from_high_ram(m):
    # code at phys 0x20000000 (RAM index 256 MB), reached through the TLB
    map_pair(m, 0, 0x00400000, 0x20000000)
    words = assemble("""
        lui t0, 0x4321
        ori t0, t0, 0x8765
        lw t1, 0x1000(t9)       # phys 0x20001400
        nop
    """, 0x00400000)
    for k, w in enumerate(words):
        write32(m.ram, HIGH + 4 * k, w)
    write32(m.ram, HIGH + 0x1000 + 0x400, 0x0BADF00D)
    m.start("""
        lui t9, 0x0040
        ori t9, t9, 0x0400
        lui t8, 0x0040
        jr t8
        nop
    """)
    assert m.run_until([0x00400000 + 16]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == 0x43218765
    assert m.cpu.gpr(9) == 0x0BADF00D


@pytest.mark.parametrize("pa", [0x10000000, 0x14000000, 0x1E840000, 0x1FFF7FF0])
def test_device_gap_still_exits(m, pa):
    # KSEG1 reaches phys 0..0x1FFFFFFF: with 512 MB of RAM the gap is still devices
    m.start(f"""
        lui t1, 0x{(0xA0000000 | pa) >> 16:x}
        lw t0, 0x{pa & 0xFFFF:x}(t1)
        lui t2, 0xdead
        sw t2, 0x{pa & 0xFFFF:x}(t1)
        end: nop
    """)
    assert m.cpu.run(100) == ExitReason.DEV_READ
    assert m.cpu.exit_address == pa and m.cpu.exit_width == 4
    m.cpu.complete_read(0x5A5A5A5A)
    assert m.cpu.run(100) == ExitReason.DEV_WRITE
    assert m.cpu.exit_address == pa and m.cpu.exit_value == 0xDEAD0000
    assert m.cpu.gpr(8) == 0x5A5A5A5A
    assert read32(m.ram, pa) == 0                                  # the RAM index is untouched


def test_tlb_page_in_the_gap_exits(m):
    map_pair(m, 0, 0x00400000, 0x1E840000)                         # I/O FPGA
    m.start("lui t1, 0x0040\n lw t0, 0x10(t1)\n lw t0, 0x1010(t1)")
    assert m.cpu.run(100) == ExitReason.DEV_READ
    assert m.cpu.exit_address == 0x1E840010
    m.cpu.complete_read(0)
    assert m.cpu.run(100) == ExitReason.DEV_READ
    assert m.cpu.exit_address == 0x1E841010


def test_xkphys_reaches_high_ram(m):
    write32(m.ram, HIGH + 0x8000, 0x55667788)
    m.start("""
        daddiu t3, zero, 0x9    # xkphys 0x9000000020008000 (cached)
        dsll32 t3, t3, 28
        lui t4, 0x2000
        daddu t3, t3, t4
        ori t3, t3, 0x8000
        lwu t0, 0(t3)
        daddiu t5, zero, 0x7777
        sw t5, 4(t3)
        lui t6, 0x1000          # xkphys phys 0x10008000: the device gap
        dsubu t3, t3, t6
        lw t7, 0(t3)
        end: nop
    """, status=KX)
    assert m.cpu.run(100) == ExitReason.DEV_READ
    assert m.cpu.exit_address == 0x10008000
    assert m.cpu.gpr(8) == 0x55667788
    assert read32(m.ram, HIGH + 0x8004) == 0x7777


def test_high_ram_absent_with_256mb_or_less():
    for size in (8 * MB, 256 * MB):
        m = Machine(ram_size=size)
        map_pair(m, 0, 0x00400000, 0x20000000)
        m.start("lui t1, 0x0040\n lw t0, 0(t1)")
        assert m.cpu.run(100) == ExitReason.DEV_READ
        assert m.cpu.exit_address == 0x20000000


def test_low_ram_end_at_256mb(m):
    # KSEG0 reaches the last low-RAM word; the next page is the device gap
    write32(m.ram, HIGH - 4, 0xA1B2C3D4)
    m.start(f"""
        lui t1, 0x{(KSEG0 + HIGH) >> 16 & 0xFFFF:x}
        lw t0, -4(t1)
        lw t2, 0(t1)
    """)
    assert m.cpu.run(100) == ExitReason.DEV_READ
    assert m.cpu.exit_address == HIGH
    assert m.cpu.gpr(8) == 0xFFFFFFFFA1B2C3D4
