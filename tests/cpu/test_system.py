"""A small kernel on the core: a TLB refill handler fed from a page table through Context,
a timer interrupt handler re-arming Compare, and a loop over 1 MB of TLB-mapped KUSEG memory
(256 pages for 64 TLB entries: a refill storm, with timer interrupts landing anywhere, also
in delay slots). The loop's result is checked against a Python model of the same loop."""

import numpy as np

from cpu.state import ExitReason

from .machine import Machine

VECTORS = """
refill:                         # 0x80000000: PTE pair at Context (PTEBase | BadVPN2 << 4)
        lui k1, 0x8000
        lw k0, 0xf04(k1)
        addiu k0, k0, 1
        sw k0, 0xf04(k1)        # refill counter at 0x80000f04
        mfc0 k0, $4
        ld k1, 0(k0)
        ld k0, 8(k0)
        dmtc0 k1, $2
        dmtc0 k0, $3
        tlbwr
        eret
"""

GENERAL = """
general:                        # 0x80000180: timer interrupts only
        mfc0 k0, $13
        andi k0, k0, 0x7c
        bne k0, zero, fail
        nop
        lui k1, 0x8000
        lw k0, 0xf00(k1)
        addiu k0, k0, 1
        sw k0, 0xf00(k1)        # interrupt counter at 0x80000f00
        mfc0 k0, $11
        addiu k0, k0, 5000
        mtc0 k0, $11            # re-arm (and acknowledge IP7)
        eret
fail:   lui k1, 0xbf00
        mfc0 k0, $13
        sw k0, 8(k1)            # report an unexpected exception to the host
"""

MAIN = """
        lui t0, 0x8080
        mtc0 t0, $4             # Context.PTEBase = 0xffffffff80800000
        mtc0 zero, $9
        addiu t0, zero, 5000
        mtc0 t0, $11
        ori t0, zero, 0x8001
        mtc0 t0, $12            # IM7 | IE, kernel, BEV clear
        lui s0, 0x0040          # KUSEG 0x400000: mapped
        addiu s1, zero, 0
        lui s2, 2               # 0x20000 iterations
        addiu s3, zero, 0
        lui s4, 3
        ori s4, s4, 0xffff      # 0x3ffff
loop:   sll t2, s1, 12
        addu t1, t2, s1
        sll t3, s1, 1
        addu t1, t1, t3         # i * 4099
        and t1, t1, s4
        sll t1, t1, 2
        addu t1, t1, s0
        lw t2, 0(t1)
        addu s3, s3, t2
        addu t2, t2, s1
        sw t2, 0(t1)
        addiu s1, s1, 1
        bne s1, s2, loop
        nop
        lui t0, 0xbf00
        sw s3, 0(t0)            # result
        lui t1, 0x8000
        lw t2, 0xf00(t1)
        sw t2, 4(t0)            # timer interrupts taken
"""


def model(mem):
    s = 0
    for i in range(0x20000):
        a = ((i * 4099) & 0x3FFFF) * 4
        v = mem[a // 4]
        s = (s + v) & 0xFFFFFFFF
        mem[a // 4] = (v + i) & 0xFFFFFFFF
    return s


def test_refill_storm_with_timer_interrupts():
    m = Machine(ram_size=16 << 20)
    m.load(VECTORS, base=0xFFFFFFFF80000000)
    m.load(GENERAL, base=0xFFFFFFFF80000180)
    m.load(MAIN, base=0xFFFFFFFF80001000)
    # page table: VA 0x400000 + p*8K -> phys 0x200000 + p*8K (D V G), 16 bytes per pair
    for p in range(128):
        pa = 0x200000 + p * 0x2000
        ent = 0x800000 + ((0x400000 + p * 0x2000) >> 13 << 4)
        m.write64(ent, ((pa >> 12) << 6) | 7)
        m.write64(ent + 8, (((pa + 0x1000) >> 12) << 6) | 7)
    init = (np.arange(0x40000, dtype=np.uint32) * 2654435761) & 0xFFFFFFFF
    m.ram[0x200000:0x300000] = np.frombuffer(init.astype(">u4").tobytes(), np.uint8)
    cpu = m.cpu
    cpu.status = 0
    cpu.pc = 0xFFFFFFFF80001000
    writes = []
    while len(writes) < 2:
        why = cpu.run(1_000_000)
        assert why in (ExitReason.SLICE, ExitReason.DEV_WRITE), why
        if why == ExitReason.DEV_WRITE:
            assert cpu.exit_address != 0x1F000008, f"unexpected exception, Cause {cpu.exit_value:#x}"
            writes.append((cpu.exit_address, cpu.exit_value))
        assert cpu.icount < 20_000_000
    expected = model([int(x) for x in init])
    assert writes[0] == (0x1F000000, expected)
    # one interrupt per 5000 instructions, give or take the handlers' own instructions
    assert writes[1][0] == 0x1F000004
    assert cpu.icount // 5200 <= writes[1][1] <= cpu.icount // 5000 + 1
    refills = m.read32(0xF04)
    print(f"{cpu.icount} instructions, {refills} TLB refills, {writes[1][1]} timer interrupts")
    assert refills > 10_000   # 128 page pairs through 64 entries, random replacement
