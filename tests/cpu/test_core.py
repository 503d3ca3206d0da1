"""Unit tests of the MIPS64 core: exceptions, delay slots, TLB, interrupts, timer, exits."""

import numpy as np
import pytest

from cpu import core
from cpu.state import Cpu, Exc, ExitReason

from .machine import (BEV_GENERAL, BEV_REFILL, CODE, KSEG0, KSEG1, VEC_GENERAL, VEC_INTVEC,
                      VEC_REFILL, VEC_XREFILL, Machine)

M64 = (1 << 64) - 1
IE, EXL, ERL, KX, UX, SX, BEV = (core.ST_IE, core.ST_EXL, core.ST_ERL, core.ST_KX, core.ST_UX,
                                 core.ST_SX, core.ST_BEV)
CU0, CU1 = core.ST_CU0, core.ST_CU1
USER = 0x10
SUPER = 0x08


@pytest.fixture
def m():
    return Machine()


def s64(v):
    return v & M64


# ------------------------------------------------------------------ reset and plain execution
def test_reset_state():
    cpu = Cpu(np.zeros(1 << 20, np.uint8), prid=0x2721, tlb_entries=64)
    assert cpu.pc == 0xFFFFFFFFBFC00000
    assert cpu.status == 0x00400000
    assert cpu.cp0_get(core.CP0_CONFIG) == 0x00C08FF0
    assert cpu.cp0_get(core.CP0_PRID) == 0x2721
    assert cpu.cp0_get(core.CP0_CAUSE) == 0
    assert cpu.cp0_get(core.CP0_RANDOM) == 63
    cpu48 = Cpu(np.zeros(1 << 20, np.uint8), prid=0x2312, tlb_entries=48)
    assert cpu48.cp0_get(core.CP0_RANDOM) == 47


def test_boot_from_rom_and_r0_is_zero(m):
    m.load("""
        lui t0, 0x1234
        ori t0, t0, 0x5678
        addiu zero, t0, 1     # r0 stays zero
        lui t1, 0xbfc0
        lw t2, 0x40(t1)       # a load from ROM through KSEG1
        done: nop
    """, base=0xFFFFFFFFBFC00000, rom=True)
    m.rom[0x40:0x44] = [0xCA, 0xFE, 0xBA, 0xBE]
    assert m.run_until([0xFFFFFFFFBFC00014]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == 0x12345678
    assert m.cpu.gpr(0) == 0
    assert m.cpu.gpr(10) == 0xFFFFFFFFCAFEBABE
    assert m.cpu.icount == 5


def test_loop_counts_instructions(m):
    m.start("""
        addiu t0, zero, 10
    l:  addiu t0, t0, -1
        bne t0, zero, l
        addiu t1, t1, 1
        end: nop
    """)
    assert m.run_until([CODE + 16]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(9) == 10
    assert m.cpu.icount == 1 + 3 * 10


def test_slice_end_and_resume(m):
    m.start("l: addiu t0, t0, 1\n b l\n nop")
    assert m.cpu.run(1000) == ExitReason.SLICE
    assert m.cpu.icount == 1000
    assert m.cpu.run(500) == ExitReason.SLICE
    assert m.cpu.icount == 1500
    assert m.cpu.gpr(8) == 500


# ------------------------------------------------------------------ delay slots
def test_branch_delay_slot_executes_and_link(m):
    m.start("""
        jal f
        addiu t0, zero, 7      # delay slot runs before f
        b end
        nop
    f:  jr ra
        addiu t1, t0, 1
    end: nop
    """)
    assert m.run_until([CODE + 24]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(31) == CODE + 8
    assert (m.cpu.gpr(8), m.cpu.gpr(9)) == (7, 8)


@pytest.mark.parametrize("insn,taken", [("beql zero, zero", True), ("bnel zero, zero", False),
                                        ("bgezl zero", True), ("bltzl zero", False),
                                        ("blezl zero", True), ("bgtzl zero", False)])
def test_branch_likely_nullifies_when_not_taken(m, insn, taken):
    m.start(f"""
        {insn}, tgt
        addiu t0, zero, 1      # delay slot: only when taken
        addiu t1, zero, 1      # fall-through path
    tgt: nop
    end: nop
    """)
    assert m.run_until([CODE + 16]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == (1 if taken else 0)
    assert m.cpu.gpr(9) == (0 if taken else 1)


def test_bltzall_links_even_when_not_taken(m):
    m.start("""
        addiu t2, zero, 5
        bltzall t2, tgt
        addiu t0, zero, 1
        nop
    tgt: nop
    """)
    assert m.run_until([CODE + 16]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(31) == CODE + 12
    assert m.cpu.gpr(8) == 0


def test_exception_in_delay_slot_sets_bd_and_epc_to_branch(m):
    m.start("""
        addiu t0, zero, 1
        beq zero, zero, tgt
        syscall
    tgt: nop
    """)
    assert m.run_to_vector() == VEC_GENERAL
    assert m.exccode() == Exc.SYS
    assert m.epc() == CODE + 4
    assert m.bd()
    # and outside a delay slot BD is clear, EPC is the instruction
    m2 = Machine()
    m2.start("nop\nsyscall")
    m2.run_to_vector()
    assert m2.epc() == CODE + 4 and not m2.bd()


def test_fetch_fault_in_delay_slot_of_jump_reports_target(m):
    m.start("""
        lui t0, 0x0040          # KUSEG, not mapped: TLB refill on fetch
        jr t0
        nop
    """)
    assert m.run_to_vector() == VEC_REFILL
    assert m.exccode() == Exc.TLBL
    assert m.epc() == 0x400000 and not m.bd()
    assert m.badvaddr() == 0x400000


# ------------------------------------------------------------------ exception types
@pytest.mark.parametrize("src,code", [
    ("syscall", Exc.SYS),
    ("break", Exc.BP),
    (".word 0x00000005", Exc.RI),          # SPECIAL funct 5: reserved
    (".word 0x7c000000", Exc.RI),          # opcode 0x1f
    (".word 0x42000010", Exc.RI),          # COP0 CO funct 0x10
    ("lui t0, 0x7fff\n addi t1, t0, 0x7fff\n addi t1, t1, 0x7fff\n addi t1, t1, 0x7fff", Exc.OV),
    ("lui t0, 0x7fff\n ori t0, t0, 0xffff\n add t1, t0, t0", Exc.OV),
    ("lui t0, 0x8000\n addiu t2, zero, 1\n sub t1, t0, t2", Exc.OV),
    ("daddiu t0, zero, -1\n dsrl t0, t0, 1\n dadd t1, t0, t0", Exc.OV),
    ("daddiu t0, zero, -1\n dsrl t0, t0, 1\n daddi t1, t0, 1", Exc.OV),
    ("daddiu t0, zero, 1\n dsll32 t0, t0, 31\n daddiu t2, zero, 1\n dsub t1, t0, t2", Exc.OV),
    ("teq zero, zero", Exc.TR),
    ("addiu t0, zero, 3\n tnei t0, 4", Exc.TR),
    ("addiu t0, zero, -1\n tltu zero, t0", Exc.TR),
    ("addiu t0, zero, -1\n tgei t0, -1", Exc.TR),
    ("lw t0, 2(zero)", Exc.ADEL),
    ("lui t1, 0x8000\n lh t0, 1(t1)", Exc.ADEL),
    ("lui t1, 0x8000\n ld t0, 4(t1)", Exc.ADEL),
    ("lui t1, 0x8000\n sw t0, 1(t1)", Exc.ADES),
    ("lui t1, 0x8000\n sd t0, 12(t1)", Exc.ADES),
    ("lui t1, 0x8000\n sh t0, 3(t1)", Exc.ADES),
    (".word 0x46000000", Exc.CPU),          # COP1 with CU1 clear
    ("lui t1, 0x8000\n .word 0xc5200000", Exc.CPU),  # LWC1
    ("lui t0, 0x1000\n ori t0, t0, 0\n ll t0, 0(t0)", Exc.TLBL),
    ("lui t0, 0xbf00\n lwl t1, 0(t0)", Exc.DBE),
])
def test_exception_codes(m, src, code):
    m.start(src)
    assert m.run_to_vector() in (VEC_GENERAL, VEC_REFILL)
    assert m.exccode() == code
    # EPC is the last instruction of the snippet (the faulting one)
    assert m.epc() == CODE + 4 * (len([x for x in src.split("\n") if x.strip()]) - 1)


def test_cpu_exception_sets_ce_field(m):
    m.start(".word 0x46000000")
    m.run_to_vector()
    assert (m.cpu.cp0_get(core.CP0_CAUSE) >> 28) & 3 == 1
    m2 = Machine()
    m2.start(".word 0x48000000")  # COP2 with CU2 clear
    m2.run_to_vector()
    assert m2.exccode() == Exc.CPU and (m2.cpu.cp0_get(core.CP0_CAUSE) >> 28) & 3 == 2


def test_user_mode_privileges(m):
    # user mode: CP0 access without CU0 -> CpU(0); KSEG0 access -> AdEL; 64-bit op -> RI
    for src, code, bad in [("mfc0 t0, $12", Exc.CPU, None),
                           ("lw t0, 0(t1)", Exc.ADEL, KSEG0 + 0x100),
                           ("daddu t0, t0, t0", Exc.RI, None),
                           ("lwu t0, 0(zero)", Exc.RI, None),
                           ("ld t0, 0(zero)", Exc.RI, None),
                           ("cache 0, 0(zero)", Exc.CPU, None)]:
        m = Machine()
        m.cpu.set_tlb_entry(0, 0, 0x00000000, (0x10 << 6) | 0x6, (0x11 << 6) | 0x6)  # 0..8K
        m.load(src, base=KSEG0 + 0x10000)
        m.cpu.set_gpr(9, KSEG0 + 0x100)
        m.cpu.status = USER
        m.cpu.pc = 0x0  # fetch through the TLB: VPN 0 -> PFN 0x10 (phys 0x10000)
        assert m.run_to_vector() == VEC_GENERAL, src
        assert m.exccode() == code, src
        assert (m.cpu.cp0_get(core.CP0_CAUSE) >> 28) & 3 == 0
        if bad is not None:
            assert m.badvaddr() == bad
        assert m.cpu.status & EXL


def test_user_mode_64bit_ops_with_ux(m):
    m.cpu.set_tlb_entry(0, 0, 0x0, (0x10 << 6) | 0x6, (0x11 << 6) | 0x6)
    m.load("daddiu t0, zero, -1\n dsrl32 t1, t0, 0\n end: nop", base=KSEG0 + 0x10000)
    m.cpu.status = USER | UX
    m.cpu.pc = 0
    assert m.run_until([8]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(9) == 0xFFFFFFFF


def test_instruction_fetch_address_error(m):
    m.start("lui t0, 0x8000\n ori t0, t0, 0x1002\n jr t0\n nop")
    m.run_to_vector()
    assert m.exccode() == Exc.ADEL
    assert m.epc() == KSEG0 + 0x1002 and m.badvaddr() == KSEG0 + 0x1002


def test_instruction_bus_error(m):
    m.start("lui t0, 0xbf00\n jr t0\n nop")   # phys 0x1f000000: not RAM or ROM
    m.run_to_vector()
    assert m.exccode() == Exc.IBE
    assert m.epc() == KSEG1 + 0x1F000000


def test_bev_vectors(m):
    m.start("syscall", status=BEV)
    assert m.run_to_vector() == BEV_GENERAL
    m2 = Machine()
    m2.start("lw t0, 0(zero)", status=BEV)
    assert m2.run_to_vector() == BEV_REFILL


def test_nested_exception_keeps_epc_and_uses_general_vector(m):
    m.start("syscall", status=EXL)
    assert m.run_to_vector() == VEC_GENERAL
    assert m.epc() == 0  # not updated with EXL set
    m2 = Machine()
    m2.start("lw t0, 0(zero)", status=EXL)
    assert m2.run_to_vector() == VEC_GENERAL   # TLB refill with EXL=1: general vector
    assert m2.exccode() == Exc.TLBL


def test_eret_returns_and_clears_exl_and_llbit(m):
    m.load("""
        mfc0 k0, $14
        addiu k0, k0, 4
        mtc0 k0, $14
        eret
    """, base=VEC_GENERAL)
    m.start("""
        lui t1, 0x8010
        ll t0, 0(t1)
        syscall
        sc t0, 0(t1)
        end: nop
    """)
    m.write32(0x100000, 0x55)
    assert m.run_until([CODE + 16]) == ExitReason.BREAKPOINT
    assert m.cpu.status & EXL == 0
    assert m.cpu.gpr(8) == 0          # SC failed: ERET cleared LLbit
    assert m.read32(0x100000) == 0x55


def test_eret_with_erl_uses_errorepc(m):
    m.start("eret")
    m.cpu.status = ERL
    m.cpu.cp0_set(core.CP0_ERROREPC, CODE + 0x100)
    m.cpu.cp0_set(core.CP0_EPC, CODE + 0x200)
    m.run_until([CODE + 0x100, CODE + 0x200])
    assert m.cpu.pc == CODE + 0x100
    assert m.cpu.status & ERL == 0


def test_ll_sc(m):
    m.start("""
        lui t1, 0x8010
        ll t0, 0(t1)
        addiu t0, t0, 1
        sc t0, 0(t1)
        sc t2, 8(t1)           # LLbit still set: succeeds (architecture: no address compare)
        lld t3, 16(t1)
        daddiu t3, t3, 1
        scd t3, 16(t1)
        end: nop
    """)
    m.write32(0x100000, 41)
    m.write64(0x100010, 0x100000000)
    m.cpu.set_gpr(10, 0x77)
    assert m.run_until([CODE + 32]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == 1 and m.read32(0x100000) == 42
    assert m.cpu.gpr(10) == 1 and m.read32(0x100008) == 0x77
    assert m.cpu.gpr(11) == 1 and m.read64(0x100010) == 0x100000001
    assert m.cpu.cp0_get(core.CP0_LLADDR) == 0x100010 >> 4


def test_sc_without_ll_fails(m):
    m.start("lui t1, 0x8010\n addiu t0, zero, 9\n sc t0, 0(t1)\n end: nop")
    m.run_until([CODE + 12])
    assert m.cpu.gpr(8) == 0 and m.read32(0x100000) == 0


# ------------------------------------------------------------------ TLB
def map_page(m, i, va, pa, d=True, v=True, g=True, asid=0, pagemask=0):
    """Map the even page of a pair at va (4K pages unless pagemask)."""
    flags = (4 if d else 0) | (2 if v else 0) | (1 if g else 0)
    size = ((pagemask | 0x1FFF) + 1) >> 1
    lo0 = ((pa >> 12) << 6) | flags
    lo1 = (((pa + size) >> 12) << 6) | flags
    m.cpu.set_tlb_entry(i, pagemask, (va & ~(2 * size - 1)) | asid, lo0, lo1)


def test_tlb_mapped_load_store(m):
    map_page(m, 5, 0x00400000, 0x00200000)
    m.write32(0x200010, 0xDEADBEEF)
    m.start("""
        lui t1, 0x0040
        lw t0, 0x10(t1)
        sw t0, 0x1010(t1)      # odd page of the pair -> phys 0x201010
        end: nop
    """)
    assert m.run_until([CODE + 12]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == 0xFFFFFFFFDEADBEEF
    assert m.read32(0x201010) == 0xDEADBEEF


def test_tlb_refill_sets_context_entryhi_badvaddr(m):
    m.cpu.cp0_set(core.CP0_CONTEXT, 0xFFFFFFFFC0800000)
    m.cpu.cp0_set(core.CP0_ENTRYHI, 0x42)  # ASID 0x42
    m.start("lui t1, 0x1234\n ori t1, t1, 0x5678\n sw t0, 0(t1)")
    assert m.run_to_vector() == VEC_REFILL
    assert m.exccode() == Exc.TLBS
    assert m.badvaddr() == 0x12345678
    assert m.cpu.cp0_get(core.CP0_ENTRYHI) == (0x12344000 | 0x42)
    assert m.cpu.cp0_get(core.CP0_CONTEXT) == 0xFFFFFFFFC0800000 | ((0x12345678 >> 13) << 4)
    assert m.epc() == CODE + 8


def test_xtlb_refill_vector_in_64bit_mode(m):
    m.start("lui t1, 0x0040\n lw t0, 0(t1)", status=KX)
    assert m.run_to_vector() == VEC_XREFILL
    assert m.exccode() == Exc.TLBL
    xc = m.cpu.cp0_get(core.CP0_XCONTEXT)
    assert (xc >> 4) & ((1 << 27) - 1) == 0x400000 >> 13


def test_xkseg_and_xkphys(m):
    map_page(m, 0, 0xC000000000010000, 0x300000)
    m.write32(0x300004, 0x11223344)
    m.write32(0x8000, 0x55667788)
    m.start("""
        daddiu t1, zero, -1
        dsll32 t1, t1, 30       # 0xc000000000000000
        ori t1, t1, 0
        lui t2, 1
        daddu t1, t1, t2        # 0xc000000000010000
        lwu t0, 4(t1)
        daddiu t3, zero, 0x9    # xkphys 0x9000000000008000 (cached)
        dsll32 t3, t3, 28
        ori t3, t3, 0x8000
        lwu t4, 0(t3)
        end: nop
    """, status=KX)
    assert m.run_until([CODE + 40]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == 0x11223344
    assert m.cpu.gpr(12) == 0x55667788


def test_64bit_address_in_32bit_mode_is_address_error(m):
    m.start("daddiu t3, zero, 0x9\n dsll32 t3, t3, 28\n lw t0, 0(t3)")
    assert m.run_to_vector() == VEC_GENERAL
    assert m.exccode() == Exc.ADEL


def test_tlb_invalid_and_modified(m):
    map_page(m, 1, 0x00400000, 0x200000, v=False)
    m.start("lui t1, 0x0040\n lw t0, 0(t1)")
    assert m.run_to_vector() == VEC_GENERAL
    assert m.exccode() == Exc.TLBL
    m2 = Machine()
    map_page(m2, 1, 0x00400000, 0x200000, d=False)
    m2.write32(0x200000, 7)
    m2.start("lui t1, 0x0040\n lw t0, 0(t1)\n sw t0, 4(t1)")
    assert m2.run_to_vector() == VEC_GENERAL
    assert m2.exccode() == Exc.MOD
    assert m2.cpu.gpr(8) == 7
    assert m2.badvaddr() == 0x400004
    assert m2.cpu.cp0_get(core.CP0_ENTRYHI) & ~0xFF == 0x400000


def test_asid_match_and_global(m):
    map_page(m, 2, 0x00400000, 0x200000, g=False, asid=5)
    m.write32(0x200000, 99)
    m.cpu.cp0_set(core.CP0_ENTRYHI, 5)
    m.start("lui t1, 0x0040\n lw t0, 0(t1)\n addiu t2, zero, 6\n mtc0 t2, $10\n lw t0, 0(t1)")
    assert m.run_to_vector() == VEC_REFILL   # second load: ASID 6 does not match
    assert m.cpu.gpr(8) == 99
    assert m.epc() == CODE + 16


def test_large_page_mask(m):
    # 16 KB pages (PageMask 0x6000): the pair covers 32 KB
    map_page(m, 3, 0x00400000, 0x200000, pagemask=0x6000)
    m.write32(0x203FFC, 0xAABBCCDD)
    m.write32(0x204000, 0x01020304)
    m.start("lui t1, 0x0040\n lw t0, 0x3ffc(t1)\n lw t2, 0x4000(t1)\n end: nop")
    assert m.run_until([CODE + 12]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == 0xFFFFFFFFAABBCCDD and m.cpu.gpr(10) == 0x01020304


def test_tlb_instructions(m):
    m.start("""
        lui t0, 0x0050
        ori t0, t0, 0x0007
        mtc0 t0, $10            # EntryHi: VPN2 0x500000, ASID 7
        addiu t1, zero, 0x1006  # EntryLo0: PFN 0x40, D V
        mtc0 t1, $2
        addiu t1, zero, 0x1047
        mtc0 t1, $3             # EntryLo1: PFN 0x41, D V G
        lui t2, 0x0000
        mtc0 t2, $5             # PageMask 0
        addiu t3, zero, 9
        mtc0 t3, $0             # Index 9
        tlbwi
        mtc0 zero, $10
        mtc0 zero, $2
        tlbr                    # read back entry 9
        mfc0 s0, $10
        mfc0 s1, $2
        mfc0 s2, $3
        lui t0, 0x0050
        ori t0, t0, 0x0007
        mtc0 t0, $10
        tlbp
        mfc0 s3, $0
        lui t0, 0x0060
        mtc0 t0, $10
        tlbp
        mfc0 s4, $0
        end: nop
    """)
    assert m.run_until([CODE + 4 * 27]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(16) == 0x500007
    assert m.cpu.gpr(17) == 0x1006   # G is the AND of both halves: 0
    assert m.cpu.gpr(18) == 0x1046
    assert m.cpu.gpr(19) == 9
    assert m.cpu.gpr(20) == 0xFFFFFFFF80000000   # P bit: not found


def test_tlbwr_uses_random_above_wired(m):
    m.start("""
        addiu t0, zero, 60
        mtc0 t0, $6            # Wired = 60
        lui t0, 0x0070
        mtc0 t0, $10
        mtc0 zero, $2
        mtc0 zero, $3
        mfc0 s0, $1
        tlbwr
        tlbp
        mfc0 s1, $0
        end: nop
    """)
    assert m.run_until([CODE + 40]) == ExitReason.BREAKPOINT
    assert 60 <= m.cpu.gpr(16) <= 63
    assert 60 <= m.cpu.gpr(17) <= 63


# ------------------------------------------------------------------ interrupts and timer
def test_software_interrupt_fires(m):
    m.start("""
        addiu t0, zero, 0x100
        mtc0 t0, $13           # Cause.IP0
        nop
        nop
    """, status=0x100 | IE)
    assert m.run_to_vector() == VEC_GENERAL
    assert m.exccode() == Exc.INT
    assert m.epc() == CODE + 8       # the instruction after the MTC0


def test_interrupt_vector_with_iv(m):
    m.start("lui t0, 0x0080\n ori t0, t0, 0x200\n mtc0 t0, $13\n nop", status=0x200 | IE)
    assert m.run_to_vector() == VEC_INTVEC


@pytest.mark.parametrize("status,fires", [(0x0400 | IE, True), (0x0400, False),
                                          (0x0800 | IE, False), (0x0400 | IE | EXL, False),
                                          (0x0400 | IE | ERL, False)])
def test_external_irq_masking(m, status, fires):
    m.start("l: b l\n nop")
    m.cpu.status = status
    m.cpu.set_irq(2, True)
    why = m.run_until([VEC_GENERAL], 1000)
    assert (why == ExitReason.BREAKPOINT) == fires
    if fires:
        assert m.exccode() == Exc.INT
        assert m.cpu.cp0_get(core.CP0_CAUSE) & 0x400


def test_irq_lowered_is_not_taken(m):
    m.start("l: b l\n nop", status=0x0400 | IE)
    m.cpu.set_irq(2, True)
    m.cpu.set_irq(2, False)
    assert m.run_until([VEC_GENERAL], 1000) == ExitReason.SLICE


@pytest.mark.parametrize("compare,in_slot", [(100, False), (101, True)])
def test_deterministic_timer(m, compare, in_slot):
    m.start(f"""
        mtc0 zero, $9          # Count = 0
        addiu t0, zero, {compare}
        mtc0 t0, $11           # Compare
    l:  b l
        addiu t1, t1, 1
    """, status=0x8000 | IE)
    assert m.run_to_vector() == VEC_GENERAL
    assert m.exccode() == Exc.INT
    assert m.cpu.cp0_get(core.CP0_CAUSE) & 0x8000
    # Count was 0 after the first MTC0 retired, so it equals Compare that many instructions
    # later; the interrupt is taken before the next instruction (the branch or its delay slot)
    assert m.cpu.icount == 1 + compare
    assert m.cpu.cp0_get(core.CP0_COUNT) == compare
    assert m.epc() == CODE + 12
    assert m.bd() == in_slot


def test_timer_divisor_and_compare_write_acks(m):
    m = Machine(count_divisor=4)
    m.start("""
        mtc0 zero, $9
        addiu t0, zero, 10
        mtc0 t0, $11
    l:  b l
        nop
    """, status=0x8000)              # IE clear: just watch IP7
    m.cpu.run(30)
    assert m.cpu.cause & 0x8000 == 0
    m.cpu.run(15)                      # 45 instructions: Count = 11 > Compare
    assert m.cpu.cause & 0x8000
    m.cpu.cp0_set(core.CP0_COMPARE, 1000)
    assert m.cpu.cause & 0x8000 == 0


def test_host_timer_mode(m):
    m = Machine(timer="host")
    m.start("l: b l\n nop", status=0x8000 | IE)
    assert m.run_until([VEC_GENERAL], 1000) == ExitReason.SLICE
    m.cpu.cp0_set(core.CP0_COMPARE, 50)
    m.cpu.advance_count(49)
    assert m.run_until([VEC_GENERAL], 100) == ExitReason.SLICE
    m.cpu.advance_count(1)
    assert m.run_until([VEC_GENERAL], 100) == ExitReason.BREAKPOINT
    assert m.cpu.cp0_get(core.CP0_COUNT) == 50


# ------------------------------------------------------------------ exits to the host
def test_device_read_and_write(m):
    m.start("""
        lui t1, 0xbf00          # KSEG1 phys 0x1f000000: a device
        lw t0, 8(t1)
        lbu t2, 3(t1)
        addiu t3, zero, -2
        sh t3, 6(t1)
        sd t3, 16(t1)
        end: nop
    """)
    cpu = m.cpu
    assert cpu.run(100) == ExitReason.DEV_READ
    assert (cpu.exit_address, cpu.exit_width) == (0x1F000008, 4)
    cpu.complete_read(0x80000001)
    assert cpu.run(100) == ExitReason.DEV_READ
    assert cpu.gpr(8) == 0xFFFFFFFF80000001  # LW sign-extends
    assert (cpu.exit_address, cpu.exit_width) == (0x1F000003, 1)
    cpu.complete_read(0xF0)
    assert cpu.run(100) == ExitReason.DEV_WRITE
    assert cpu.gpr(10) == 0xF0
    assert (cpu.exit_address, cpu.exit_width, cpu.exit_value) == (0x1F000006, 2, 0xFFFE)
    assert cpu.run(100) == ExitReason.DEV_WRITE
    assert (cpu.exit_address, cpu.exit_width, cpu.exit_value) == (0x1F000010, 8, M64 - 1)
    assert cpu.pc == CODE + 24


def test_device_read_in_delay_slot_resumes_at_target(m):
    m.start("""
        lui t1, 0xbf00
        b tgt
        lw t0, 0(t1)
        addiu t2, zero, 1       # skipped
    tgt: addiu t3, zero, 1
        end: nop
    """)
    assert m.cpu.run(100) == ExitReason.DEV_READ
    m.cpu.complete_read(5)
    assert m.run_until([CODE + 20]) == ExitReason.BREAKPOINT
    assert (m.cpu.gpr(8), m.cpu.gpr(10), m.cpu.gpr(11)) == (5, 0, 1)


def test_syscall_host_hook_while_bev(m):
    m.start("""
        addiu a0, zero, 1
        syscall
        addiu t0, v0, 1
        beq zero, zero, tgt
        syscall                 # in a delay slot: resumes at the branch target
        nop
    tgt: end: nop
    """, status=BEV)
    cpu = m.cpu
    cpu.hook_exceptions([Exc.SYS])
    assert cpu.run(100) == ExitReason.EXCEPTION
    assert cpu.exception_code == Exc.SYS and cpu.exception_pc == CODE + 4
    assert cpu.gpr(4) == 1
    cpu.set_gpr(2, 41)
    assert cpu.run(100) == ExitReason.EXCEPTION
    assert cpu.gpr(8) == 42 and cpu.exception_pc == CODE + 16
    assert cpu.status & EXL == 0
    assert cpu.pc == CODE + 24
    # once BEV is clear the same SYSCALL vectors normally
    m2 = Machine()
    m2.cpu.hook_exceptions([Exc.SYS])
    m2.start("syscall", status=0)
    assert m2.run_to_vector() == VEC_GENERAL


def test_idle_pc_and_breakpoints(m):
    m.start("""
        addiu t0, zero, 3
    idle: addiu t0, t0, -1
        bne t0, zero, idle
        nop
        end: nop
    """)
    m.cpu.idle_pc = CODE + 4
    assert m.cpu.run(100) == ExitReason.IDLE
    assert m.cpu.pc == CODE + 4 and m.cpu.gpr(8) == 3
    assert m.cpu.run(100) == ExitReason.IDLE     # resumes, next iteration
    assert m.cpu.gpr(8) == 2
    m.cpu.idle_pc = None
    assert m.run_until([CODE + 16]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == 0


def test_wait_and_halt(m):
    m.start("wait\n nop\n end: nop", status=0x8000 | IE)
    assert m.cpu.run(100) == ExitReason.WAIT
    assert m.cpu.pc == CODE + 4
    m2 = Machine()
    m2.start("wait\n nop", status=0)   # no interrupt can wake it
    assert m2.cpu.run(100) == ExitReason.HALT
    m3 = Machine()
    m3.start("l: b l\n nop")
    m3.cpu.request_halt()
    assert m3.cpu.run(100) == ExitReason.HALT
    m3.cpu.request_halt(False)
    assert m3.cpu.run(100) == ExitReason.SLICE


# ------------------------------------------------------------------ arithmetic corner cases
def test_div_corner_cases(m):
    m.start("""
        lui t0, 0x8000
        addiu t1, zero, -1
        div t0, t1        # INT32_MIN / -1
        mflo s0
        mfhi s1
        daddiu t2, zero, 1
        dsll32 t2, t2, 31       # INT64_MIN
        ddiv t2, t1
        mflo s2
        mfhi s3
        addiu t3, zero, 7
        addiu t4, zero, -2
        div t3, t4        # truncates toward zero: -3 rem 1
        mflo s4
        mfhi s5
        mthi t3
        mtlo t4
        divu t3, zero     # divide by zero: HI/LO unchanged (UNPREDICTABLE)
        mflo s6
        mfhi s7
        end: nop
    """)
    m.run_until([CODE + 80])
    g = m.cpu.gpr
    assert g(16) == 0xFFFFFFFF80000000 and g(17) == 0
    assert g(18) == 1 << 63 and g(19) == 0
    assert g(20) == s64(-3) and g(21) == 1
    assert g(22) == s64(-2) and g(23) == 7


def test_mul_family(m):
    m.start("""
        addiu t0, zero, -3
        addiu t1, zero, 5
        mul t2, t0, t1
        mult t0, t1
        madd t0, t1             # HI:LO = -30
        maddu t1, t1            # + 25 -> -5
        msub t1, t1             # - 25 -> -30
        mflo s0
        mfhi s1
        daddiu t3, zero, -1
        dmultu t3, t3           # (2^64-1)^2 = 2^128 - 2^65 + 1
        mflo s2
        mfhi s3
        dmult t3, t3            # (-1)*(-1)
        mflo s4
        mfhi s5
        end: nop
    """)
    m.run_until([CODE + 64])
    g = m.cpu.gpr
    assert g(10) == s64(-15)
    assert g(16) == s64(-30) and g(17) == M64
    assert g(18) == 1 and g(19) == M64 - 1
    assert g(20) == 1 and g(21) == 0


def test_unaligned_load_store_pairs(m):
    m.write64(0x100000, 0x0011223344556677)
    m.write64(0x100008, 0x8899AABBCCDDEEFF)
    m.start("""
        lui t1, 0x8010
        lwl t0, 1(t1)
        lwr t0, 4(t1)           # word at offset 1: 0x11223344
        ldl t2, 3(t1)
        ldr t2, 10(t1)          # dword at offset 3: 0x33445566778899aa
        swl t2, 0x21(t1)
        swr t2, 0x24(t1)        # low word 0x778899aa at offset 0x21
        sdl t0, 0x43(t1)
        sdr t0, 0x4a(t1)
        end: nop
    """)
    m.run_until([CODE + 36])
    assert m.cpu.gpr(8) == 0x11223344
    assert m.cpu.gpr(10) == 0x33445566778899AA
    assert bytes(m.ram[0x100021:0x100025]) == bytes.fromhex("778899aa")
    assert bytes(m.ram[0x100043:0x10004B]) == (0x11223344).to_bytes(8, "big")


def test_host_delivers_hooked_exception(m):
    m.start("nop\n b tgt\n syscall\n nop\n tgt: nop", status=BEV)
    m.cpu.hook_exceptions([Exc.SYS])
    assert m.cpu.run(100) == ExitReason.EXCEPTION
    m.cpu.raise_exception()
    assert m.cpu.pc == BEV_GENERAL
    assert m.epc() == CODE + 4 and m.bd() and m.exccode() == Exc.SYS


def test_supervisor_mode(m):
    # supervisor: sseg (0xc0000000..) mapped and allowed, kseg0 and kseg3 are address errors
    m.write32(0x200008, 0x1234)
    m.load("""
        lw t0, 8(t1)            # sseg through the TLB
        lw t2, 0(t3)            # kseg0: address error in supervisor mode
    """, base=0xFFFFFFFFC0001000)
    m.cpu.set_gpr(9, 0xFFFFFFFFC0000000)
    m.cpu.set_gpr(11, KSEG0 + 0x100)
    m.cpu.status = SUPER
    # one pair: even page -> phys 0x200000 (data), odd page -> phys 0x1000 (the code)
    m.cpu.set_tlb_entry(1, 0, 0xFFFFFFFFC0000000, (0x200 << 6) | 7, (0x1 << 6) | 7)
    m.cpu.pc = 0xFFFFFFFFC0001000
    assert m.run_to_vector() == VEC_GENERAL
    assert m.cpu.gpr(8) == 0x1234
    assert m.exccode() == Exc.ADEL and m.badvaddr() == KSEG0 + 0x100


def test_dmfc0_dmtc0_are_64_bit(m):
    m.start("""
        daddiu t0, zero, -1
        dsll32 t0, t0, 8        # 0xffffff0000000000
        ori t0, t0, 0x1234
        dmtc0 t0, $14           # EPC
        dmfc0 t1, $14
        mfc0 t2, $14            # 32-bit read: low word sign-extended
        mtc0 t0, $14            # 32-bit write: sign-extended low word
        dmfc0 t3, $14
        end: nop
    """)
    m.run_until([CODE + 32])
    assert m.cpu.gpr(9) == 0xFFFFFF0000001234
    assert m.cpu.gpr(10) == 0x1234
    assert m.cpu.gpr(11) == 0x1234


def test_last_bytes_of_ram_are_ram(m):
    top = len(m.ram) - 8
    m.write64(top, 0x0102030405060708)
    m.start(f"lui t1, {(0x80000000 + top + 8) >> 16:#x}\n ld t0, -8(t1)\n end: nop")
    assert m.run_until([CODE + 8]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == 0x0102030405060708


def test_halt_request_from_another_thread(m):
    import threading
    m.start("l: b l\n nop")
    t = threading.Timer(0.2, m.cpu.request_halt)
    t.start()
    why = m.cpu.run(1 << 60)    # would run for years without the halt request
    t.join()
    assert why == ExitReason.HALT


def test_48_entry_tlb_model():
    m = Machine(prid=0x2312, tlb_entries=48)
    m.start("""
        mfc0 s0, $15            # PRId
        mfc0 s1, $1             # Random: 47 down to Wired
        addiu t0, zero, 40
        mtc0 t0, $6
        mfc0 s2, $1             # Wired write resets Random to the top
        nop
        nop
        mfc0 s3, $1
        end: nop
    """)
    m.run_until([CODE + 32])
    g = m.cpu.gpr
    assert g(16) == 0x2312
    assert g(17) <= 47
    assert g(18) in (46, 47)    # reset to the top, decrementing per instruction
    assert 40 <= g(19) < 47


def test_debug_helpers(m):
    m.start("addiu t0, zero, 1\n lw t1, 0(t0)")
    text = m.cpu.disassemble(count=2)
    assert "=> ffffffff80001000: addiu t0,zero,1" in text
    assert "lw t1,0(t0)" in text
    assert m.cpu.translate(KSEG0 + 0x1234) == 0x1234
    assert m.cpu.translate(0x400000) is None           # KUSEG, no TLB entry
    assert m.cpu.cp0_get(core.CP0_BADVADDR) == 0        # lookups leave CP0 alone
    assert m.cpu.read_virtual(CODE, 4) == bytes.fromhex("24080001")


def test_eret_into_pending_interrupt():
    # ERET clears EXL: the interrupt is taken before the instruction at EPC executes
    m2 = Machine()
    m2.load("eret", base=KSEG0 + 0x3000)
    m2.load("nop\n nop", base=CODE)
    m2.cpu.status = 0x0400 | IE | EXL
    m2.cpu.cp0_set(core.CP0_EPC, CODE + 4)
    m2.cpu.set_irq(2, True)
    m2.cpu.pc = KSEG0 + 0x3000
    assert m2.run_until([VEC_GENERAL]) == ExitReason.BREAKPOINT
    assert m2.exccode() == Exc.INT and m2.epc() == CODE + 4
    assert m2.cpu.icount == 1


def test_kseg3_is_mapped(m):
    map_page(m, 4, 0xFFFFFFFFE0000000, 0x200000)
    m.write32(0x200010, 0x600DF00D)
    m.start("lui t1, 0xe000\n lw t0, 0x10(t1)\n lui t1, 0xe100\n lw t0, 0(t1)")
    assert m.run_to_vector() == VEC_REFILL
    assert m.cpu.gpr(8) == 0x600DF00D
    assert m.badvaddr() == 0xFFFFFFFFE1000000


@pytest.mark.parametrize("va", [0x00400000, 0xFFFFFFFFE0004000, 0xFFFFFFFFC0004000])
def test_tlb_rewrite_drops_cached_translation(m, va):
    """A page used through the software TLB, then remapped by TLBWI, reads the new frame."""
    m.write32(0x200000, 0x11111111)
    m.write32(0x300000, 0x22222222)
    map_page(m, 7, va, 0x200000)
    hi16 = (va >> 16) & 0xFFFF
    m.start(f"""
        lui t1, {hi16:#x}
        ori t1, t1, {va & 0xFFFF:#x}
        lw t0, 0(t1)            # cached in the software TLB
        mtc0 t1, $10
        ori t2, zero, {(0x300 << 6) | 7:#x}
        mtc0 t2, $2
        ori t2, zero, {(0x301 << 6) | 7:#x}
        mtc0 t2, $3
        mtc0 zero, $5
        addiu t2, zero, 7
        mtc0 t2, $0
        tlbwi
        lw t3, 0(t1)
        end: nop
    """)
    assert m.run_until([CODE + 4 * 13]) == ExitReason.BREAKPOINT
    assert m.cpu.gpr(8) == 0x11111111
    assert m.cpu.gpr(11) == 0x22222222


def test_ram_must_be_writeable_and_rom_is_copied_if_readonly():
    ro = np.frombuffer(bytes(8192), np.uint8)
    with pytest.raises(ValueError):
        Cpu(ro)
    with pytest.raises(ValueError):
        Cpu(np.zeros(5000, np.uint8))
    cpu = Cpu(np.zeros(8192, np.uint8), np.frombuffer(bytes(4096), np.uint8))
    assert cpu.rom.flags.writeable


def test_watch_exception(m):
    m.start("""
        lui t1, 0x8010
        sw t0, 8(t1)            # page cached in the software TLB before the watch is set
        lui t2, 0x0010
        ori t2, t2, 0x000d      # WatchLo: phys 0x100008, W
        mtc0 t2, $18
        mtc0 zero, $19
        lw t3, 12(t1)           # a load: R is clear, no exception
        sw t3, 16(t1)           # another doubleword: no exception
        sw t3, 12(t1)           # watched doubleword, store: Watch
    """)
    assert m.run_to_vector() == VEC_GENERAL
    assert m.exccode() == Exc.WATCH
    assert m.epc() == CODE + 32
    m2 = Machine()   # with EXL set the watch is inhibited
    m2.start("lui t2, 0x0010\n ori t2, t2, 0xb\n mtc0 t2, $18\n lui t1, 0x8010\n"
             " lw t0, 8(t1)\n end: nop", status=EXL)
    assert m2.run_until([CODE + 20]) == ExitReason.BREAKPOINT


# ------------------------------------------------------------------ FPU register file (no arithmetic)
FR = core.ST_FR


def fpr(m, k):
    return int(m.cpu.regs[core.R_FPR + k]) & M64


def test_fpu_moves_fr1(m):
    m.start("""
        lui t0, 0x1234
        ori t0, t0, 0x5678
        daddiu t1, zero, -2
        dmtc1 t1, $f5
        mtc1 t0, $f5            # low word only (FR=1)
        dmfc1 t2, $f5
        mfc1 t3, $f5
        end: nop
    """, status=CU1 | FR)
    m.run_until([CODE + 28])
    assert fpr(m, 5) == 0xFFFFFFFF12345678
    assert m.cpu.gpr(10) == 0xFFFFFFFF12345678
    assert m.cpu.gpr(11) == 0x12345678


def test_fpu_fr0_register_pairs(m):
    m.write64(0x100000, 0x1122334455667788)
    m.start("""
        lui t1, 0x8010
        ldc1 $f2, 0(t1)         # FR=0: $f2 low word, $f3 high word
        mfc1 t2, $f2
        mfc1 t3, $f3
        lui t0, 0x0abc
        mtc1 t0, $f3
        sdc1 $f2, 8(t1)
        swc1 $f3, 16(t1)
        lwc1 $f7, 0(t1)         # $f7 is the high half of slot 6
        dmfc1 t4, $f6
        end: nop
    """, status=CU1)
    m.run_until([CODE + 40])
    assert m.cpu.gpr(10) == 0x55667788 and m.cpu.gpr(11) == 0x11223344
    assert m.read64(0x100008) == 0x0ABC000055667788
    assert m.read32(0x100010) == 0x0ABC0000
    assert m.cpu.gpr(12) == 0x1122334400000000


def test_fpu_indexed_loads_stores(m):
    m.write64(0x100040, 0xCAFEF00DDEADBEEF)
    m.start("""
        lui t1, 0x8010
        addiu t2, zero, 0x40
        ldxc1 $f8, t2(t1)
        addiu t2, zero, 0x48
        sdxc1 $f8, t2(t1)
        lwxc1 $f9, t2(t1)
        addiu t2, zero, 0x50
        swxc1 $f9, t2(t1)
        prefx 0, t2(t1)
        end: nop
    """, status=CU1 | FR)
    m.run_until([CODE + 36])
    assert m.read64(0x100048) == 0xCAFEF00DDEADBEEF
    assert m.read32(0x100050) == 0xCAFEF00D


def test_fcsr_and_fp_branches(m):
    m.start("""
        lui t0, 0x0280          # FCC0 (bit 23) and FCC1 (bit 25)
        ctc1 t0, $31
        cfc1 s0, $31
        bc1t $fcc0, a
        addiu s1, zero, 1       # delay slot
        addiu s2, zero, 1       # skipped
    a:  bc1fl $fcc1, b          # FCC1 is set: not taken, delay slot nullified
        addiu s3, zero, 1
        bc1f $fcc2, b           # FCC2 clear: taken
        nop
        addiu s4, zero, 1       # skipped
    b:  movt s5, t0, $fcc1
        movf s6, t0, $fcc1
        end: nop
    """, status=CU1)
    m.run_until([CODE + 52])
    g = m.cpu.gpr
    assert g(16) == 0x02800000
    assert (g(17), g(18), g(19), g(20)) == (1, 0, 0, 0)
    assert g(21) == 0x02800000 and g(22) == 0


def test_fp_arithmetic_raises_unimplemented(m):
    m.start(".word 0x46020800          # add.s $f0, $f1, $f2", status=CU1)
    m.run_to_vector()
    assert m.exccode() == Exc.FPE
    assert (m.cpu.regs[core.R_FCSR] >> 17) & 1    # Cause.E
    m2 = Machine()
    m2.start("addiu t0, zero, 0x1080\n ctc1 t0, $31", status=CU1)  # Cause.V with Enable.V
    m2.run_to_vector()
    assert m2.exccode() == Exc.FPE and m2.epc() == CODE + 4


def test_fp_load_from_device_is_bus_error(m):
    m.start("lui t1, 0xbf00\n lwc1 $f0, 0(t1)", status=CU1)
    m.run_to_vector()
    assert m.exccode() == Exc.DBE
