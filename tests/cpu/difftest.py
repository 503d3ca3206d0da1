"""Differential testing of the MIPS64 core against unicorn (qemu's MIPS, MIPS64 big-endian).

Random straight-line sequences with forward branches (every branch kind, likely forms, links,
J/JAL/JR/JALR, BC1x), over the non-privileged integer instructions and the FPU register file
(MTC1/MFC1/DMTC1/DMFC1, LWC1..SDC1, the indexed COP1X forms, CTC1/CFC1 of FCSR, MOVF/MOVT)
under FR=0 and FR=1, with random register contents and a random 4 KB data page; after each
sequence GPRs, HI/LO, the FPRs (architectural view), FCSR and the data page must be equal, and
so must the exception that ended the sequence (if any). The oracle CPU model is the 5Kf
(MIPS64 R1 with an FPU).

Run millions on demand:  python -m tests.cpu.difftest --count 5000000 [--seed N]

Setup: both run the code at 0x400000 (KUSEG) in kernel mode with Status.ERL=1, so KUSEG is
unmapped (identity) in both. Our core hooks every exception to the host (BEV=1), unicorn reports
them through UC_HOOK_INTR (qemu EXCP_* numbers, mapped to ExcCode below).

unicorn 2.1 pitfalls handled here (harness issues, not CPU semantics): after rewriting code with
mem_write it keeps running the stale translation (ctl_flush_tb() fixes it); an exception that
stopped emu_start is delivered again by the next emu_start (absorbed with a one-NOP run); the PC
seen in UC_HOOK_INTR is not the faulting instruction (so exceptions are compared by code and
by the state at the stop).

No case was found where unicorn contradicts the architecture for defined behaviour; every
difference was an UNPREDICTABLE case of MIPS64, listed below with what each side does.

Excluded from the random set, each covered by unit tests instead (tests/cpu/test_core.py):
- SC/SCD on their own: qemu's SC succeeds only if the word still holds the value LL read at
  the same address; the architecture (R4000) succeeds whenever LLbit is set (only ERET clears
  it on one CPU). Only LL ... SC pairs on one address with no store between are generated.
- DIV/DIVU/DDIV/DDIVU by zero: HI/LO are UNPREDICTABLE architecturally; our core leaves them
  unchanged. The generator forces a non-zero divisor (ORI 1 / LUI into the divisor register).
- MADD/MADDU/MSUB/MSUBU with operands or HI/LO that are not sign-extended words: UNPREDICTABLE
  (MIPS64); qemu multiplies the whole 64-bit registers, our core the low words (like MULT).
  The generator sign-extends the operands (SLL x,x,0) and sets HI/LO with MULT/MULTU first.
- ADDU/SUBU/ADD/SUB with r0 as a source and a non-word other operand: qemu emits a plain move
  (no sign extension); UNPREDICTABLE in MIPS64, the R4000 sign-extends. Not generated.
- ADD/SUB/ADDI overflow with non-word operands: UNPREDICTABLE; qemu's overflow check then
  differs from the R4000's (which looks at the low words). The generator sign-extends the
  operands first (SLL x,x,0), so the overflow trap itself is still compared.
- SRA/SRL/SRAV/SRLV of a non-word register: UNPREDICTABLE; unicorn shifts the whole 64-bit
  register (sra of 0x50db1104af3c7029 by 4 gives 0x050db1104af3c702), the R4000 shifts the low
  word and sign-extends. The generator sign-extends the operand first.
- Misaligned-address exceptions are compared by code only: unicorn's PC at UC_HOOK_INTR is not
  the faulting instruction, so the test compares state at the stop instead of EPC.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

import numpy as np

from cpu import core
from cpu.isa import encode
from cpu.state import Cpu, ExitReason, s64

CODE = 0x400000
DATA = 0x600000
DATA_SIZE = 0x1000
BASE_REG = 29  # points at DATA + 0x800; never written by generated code
MASK64 = (1 << 64) - 1

# qemu EXCP_* number (as unicorn reports it) -> Cause.ExcCode
QEMU_EXCP = {17: 8, 18: 9, 21: 12, 22: 13, 12: 4, 13: 5, 20: 10, 19: 11, 23: 15}
M32 = 0xFFFFFFFF
FCSR_RW = 0xFF83FFFF

R3 = ["addu", "subu", "and", "or", "xor", "nor", "slt", "sltu", "daddu", "dsubu",
      "movz", "movn", "add", "sub", "dadd", "dsub"]
RV = ["sllv", "srlv", "srav", "dsllv", "dsrlv", "dsrav"]
SH = ["sll", "srl", "sra", "dsll", "dsrl", "dsra", "dsll32", "dsrl32", "dsra32"]
SH_SAFE = [x for x in SH if x not in ("srl", "sra")]
IMM = ["addiu", "addi", "daddiu", "daddi", "slti", "sltiu", "andi", "ori", "xori"]
MUL = ["mult", "multu", "dmult", "dmultu", "madd", "maddu", "msub", "msubu"]
DIV = ["div", "divu", "ddiv", "ddivu"]
HILO = ["mfhi", "mflo", "mthi", "mtlo"]
LOADS = [("lb", 1), ("lbu", 1), ("lh", 2), ("lhu", 2), ("lw", 4), ("lwu", 4), ("ld", 8),
         ("ll", 4), ("lld", 8)]
STORES = [("sb", 1), ("sh", 2), ("sw", 4), ("sd", 8)]
UNALIGNED = ["lwl", "lwr", "ldl", "ldr", "swl", "swr", "sdl", "sdr"]
TRAPS = ["tge", "tgeu", "tlt", "tltu", "teq", "tne"]
TRAPI = ["tgei", "tgeiu", "tlti", "tltiu", "teqi", "tnei"]
BR2 = ["beq", "bne", "beql", "bnel"]
BR1 = ["blez", "bgtz", "blezl", "bgtzl", "bltz", "bgez", "bltzl", "bgezl",
       "bltzal", "bgezal", "bltzall", "bgezall"]

EDGES = [0, 1, -1, 2, 0x7FFFFFFF, -0x80000000, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFFFFFFFFFF,
         -0x8000000000000000, 0x100000000, -0x100000000, 0xFFFF, 0x8000, -0x8000]


def rand_value(rng: random.Random) -> int:
    k = rng.random()
    if k < 0.2:
        return rng.choice(EDGES)
    if k < 0.4:
        return rng.randint(-300, 300)
    if k < 0.7:
        return s64(rng.randint(-(1 << 31), (1 << 31) - 1))
    return s64(rng.getrandbits(64))


def _dst(rng):
    r = rng.randrange(32)
    return 1 if r == BASE_REG else r


def _src(rng):
    return rng.randrange(32)


WORD_OPS = ("addu", "subu", "add", "sub")


def _r3(rng, name):
    """rd, rs, rt for a three-register op. For the 32-bit add/sub family r0 is avoided as a
    source: qemu turns ``addu rd, rs, zero`` into a plain 64-bit move, which differs from the
    R4000's sign-extending result when rs is not a word value (UNPREDICTABLE in MIPS64)."""
    rs, rt = _src(rng), _src(rng)
    if name in WORD_OPS:
        rs = rs or 1
        rt = rt or 2
    return encode(name, rd=_dst(rng), rs=rs, rt=rt)


def _sext(reg):
    """SLL reg, reg, 0: make a register a word value (sign-extended 32 bits)."""
    return encode("sll", rd=reg if reg != BASE_REG else 0, rt=reg)


def _simple(rng) -> int:
    """An instruction that cannot trap or branch (delay slots, divisor set-up)."""
    k = rng.random()
    if k < 0.4:
        return _r3(rng, rng.choice(R3[:12]))
    if k < 0.6:
        return encode(rng.choice(SH_SAFE), rd=_dst(rng), rt=_src(rng), sa=rng.randrange(32))
    if k < 0.8:
        return encode(rng.choice(["addiu", "daddiu", "slti", "sltiu", "andi", "ori", "xori"]),
                      rt=_dst(rng), rs=_src(rng), imm=rng.getrandbits(16))
    return encode("lui", rt=_dst(rng), imm=rng.getrandbits(16))


def _fp_insn(rng, fr, out, fix, i):
    """FPU register-file instructions (moves, loads/stores, FCSR, MOVF/MOVT, BC1x)."""
    def freg(wide):
        k = rng.randrange(32)
        return k & ~1 if wide and not fr else k   # FR=0: 64-bit ops on even registers only
    k = rng.random()
    if k < 0.3:
        name = rng.choice(["mtc1", "mfc1", "dmtc1", "dmfc1"])
        rt = _dst(rng) if name in ("mfc1", "dmfc1") else _src(rng)
        out.append(encode(name, rt=rt, rd=freg(name[0] == "d")))
    elif k < 0.55:
        name, w = rng.choice([("lwc1", 4), ("ldc1", 8), ("swc1", 4), ("sdc1", 8)])
        off = rng.randrange(-0x800, 0x800 - 8) & ~(w - 1)
        out.append(encode(name, rt=freg(w == 8), rs=BASE_REG, imm=off))
    elif k < 0.65:
        name, w = rng.choice([("lwxc1", 4), ("ldxc1", 8), ("swxc1", 4), ("sdxc1", 8)])
        x = _dst(rng) or 1
        out.append(encode("addiu", rt=x, imm=rng.randrange(-0x800, 0x800 - 8) & ~(w - 1)))
        f = freg(w == 8)
        out.append(encode(name, rs=BASE_REG, rt=x, **({"sa": f} if name[0] == "l" else {"rd": f})))
    elif k < 0.75:
        v = rng.getrandbits(32) & FCSR_RW
        if rng.random() < 0.85:
            v &= ~0x3F000        # usually no pending Cause (a Cause with its Enable traps)
        x = _dst(rng) or 1
        out += [encode("lui", rt=x, imm=v >> 16), encode("ori", rt=x, rs=x, imm=v & 0xFFFF),
                encode("ctc1", rt=x, rd=31)]
    elif k < 0.8:
        out.append(encode("cfc1", rt=_dst(rng), rd=31))
    elif k < 0.9:
        out.append(encode(rng.choice(["movf", "movt"]), rd=_dst(rng), rs=_src(rng),
                          rt=rng.randrange(8) << 2))
    else:
        name = rng.choice(["bc1f", "bc1t", "bc1fl", "bc1tl"])
        fix.append((i, name, {"rt": rng.randrange(8) << 2}))
        out.append(None)
        out.append(_simple(rng))
        return True
    return False


def gen_sequence(rng: random.Random, length: int, fr: int = 1) -> list[int]:
    """Random instruction words; branches only jump forward inside the sequence."""
    out: list[int | None] = []
    fix: list[tuple[int, str, dict]] = []  # (index, name, fields) needing a branch target
    forbid: set[int] = set()  # inside multi-word groups: never a branch target
    i = 0
    while len(out) < length:
        forbid.update(range(i + 1, len(out)))
        k = rng.random()
        i = len(out)
        if k < 0.22:
            w = _r3(rng, rng.choice(R3))
            if w & 0x3F in (0x20, 0x22):  # ADD SUB: overflow needs word operands
                out += [_sext((w >> 21) & 31), _sext((w >> 16) & 31)]
            out.append(w)
        elif k < 0.36:
            name, rt = rng.choice(RV + SH), _src(rng)
            if name in ("sra", "srl", "srav", "srlv"):
                out.append(_sext(rt))  # word shifts need a word operand (see docstring)
            if name in RV:
                out.append(encode(name, rd=_dst(rng), rs=_src(rng), rt=rt))
            else:
                out.append(encode(name, rd=_dst(rng), rt=rt, sa=rng.randrange(32)))
        elif k < 0.46:
            name, rs = rng.choice(IMM), _src(rng)
            if name == "addi":
                out.append(_sext(rs))
            out.append(encode(name, rt=_dst(rng), rs=rs, imm=rng.getrandbits(16)))
        elif k < 0.48:
            out.append(encode("lui", rt=_dst(rng), imm=rng.getrandbits(16)))
        elif k < 0.51:
            out.append(encode(rng.choice(MUL[:4]), rs=_src(rng), rt=_src(rng)))
        elif k < 0.53:
            # MADD family: operands and HI/LO must be word values (else UNPREDICTABLE; qemu
            # then multiplies the full 64-bit registers, we the low words as MULT does)
            rs, rt = _src(rng), _src(rng)
            out.append(encode("sll", rd=rs if rs != BASE_REG else 0, rt=rs))
            out.append(encode("sll", rd=rt if rt != BASE_REG else 0, rt=rt))
            out.append(encode(rng.choice(["mult", "multu"]), rs=_src(rng), rt=_src(rng)))
            for _ in range(rng.randrange(1, 4)):
                out.append(encode(rng.choice(MUL[4:]), rs=rs, rt=rt))
        elif k < 0.54:
            out.append(encode("mul", rd=_dst(rng), rs=_src(rng), rt=_src(rng)))
        elif k < 0.57:
            d = _dst(rng)
            if d == 0:
                d = 1
            if rng.random() < 0.5:
                out.append(encode("ori", rt=d, rs=_src(rng), imm=rng.choice([1, 3, 0xFFFF])))
            else:
                out.append(encode("lui", rt=d, imm=rng.randrange(1, 0x10000)))
            out.append(encode(rng.choice(DIV), rs=_src(rng), rt=d))
        elif k < 0.61:
            name = rng.choice(HILO)
            if name in ("mfhi", "mflo"):
                out.append(encode(name, rd=_dst(rng)))
            else:
                out.append(encode(name, rs=_src(rng)))
        elif k < 0.70:
            name, w = rng.choice(LOADS + STORES)
            off = rng.randrange(-0x800, 0x800 - 8) & ~(w - 1)
            if rng.random() < 0.02:
                off |= rng.randrange(1, 8) & (w - 1) if w > 1 else 0
            rt = _dst(rng) if name.startswith("l") else _src(rng)
            out.append(encode(name, rt=rt, rs=BASE_REG, imm=off))
        elif k < 0.72:
            # LL/SC pair on one address with no store in between: succeeds in both
            ll, sc, w = rng.choice([("ll", "sc", 4), ("lld", "scd", 8)])
            off = rng.randrange(-0x800, 0x800 - 8) & ~(w - 1)
            out.append(encode(ll, rt=_dst(rng), rs=BASE_REG, imm=off))
            out.append(_simple(rng))
            out.append(encode(sc, rt=_dst(rng), rs=BASE_REG, imm=off))
        elif k < 0.75:
            name = rng.choice(UNALIGNED)
            rt = _dst(rng) if name.startswith("l") else _src(rng)
            out.append(encode(name, rt=rt, rs=BASE_REG, imm=rng.randrange(-0x800, 0x7F8)))
        elif k < 0.80:
            if _fp_insn(rng, fr, out, fix, i):
                i += 1  # a BC1x delay slot may be a target
        elif k < 0.82:
            if rng.random() < 0.5:
                out.append(encode(rng.choice(TRAPS), rs=_src(rng), rt=_src(rng)))
            else:
                out.append(encode(rng.choice(TRAPI), rs=_src(rng), imm=rng.getrandbits(16)))
        elif k < 0.92 and length - i > 6:
            name = rng.choice(BR2 + BR1)
            f = {"rs": _src(rng), "rt": _src(rng)} if name in BR2 else {"rs": _src(rng)}
            fix.append((i, name, f))
            out.append(None)
            out.append(_simple(rng))
            i += 1  # the delay slot may be a target
        elif k < 0.96 and length - i > 8:
            kind = rng.choice(["j", "jal", "jr", "jalr"])
            if kind in ("j", "jal"):
                fix.append((i, kind, {}))
                out.append(None)
            else:
                d = rng.choice([2, 3, 4, 5, 6, 7])  # a register for the target
                fix.append((i, kind, {"rs": d, "rd": _dst(rng)}))
                out.extend([None, None, None])
                forbid.update((i + 1, i + 2))
                i += 3
            out.append(_simple(rng))
        else:
            out.append(_simple(rng))
    forbid.update(range(i + 1, len(out)))
    end = len(out)

    def target(lo):
        return rng.choice([t for t in range(lo, end + 1) if t not in forbid])
    for i, name, f in fix:
        if name in ("jr", "jalr"):
            slot = i + 3
            tgt = CODE + 4 * target(slot + 1)
            out[i] = encode("lui", rt=f["rs"], imm=tgt >> 16)
            out[i + 1] = encode("ori", rt=f["rs"], rs=f["rs"], imm=tgt & 0xFFFF)
            if name == "jr":
                out[i + 2] = encode("jr", rs=f["rs"])
            else:
                rd = f["rd"] if f["rd"] != f["rs"] else 31
                out[i + 2] = encode("jalr", rs=f["rs"], rd=rd)
        else:
            tgt = target(i + 2)
            if name in ("j", "jal"):
                out[i] = encode(name, target=(CODE + 4 * tgt) >> 2)
            else:
                out[i] = encode(name, imm=tgt - (i + 1), **f)
    return [w for w in out]  # type: ignore[misc]


class Oracle:
    """unicorn with the code and data pages mapped once."""

    def __init__(self):
        self._new()

    def _new(self):
        from unicorn import UC_ARCH_MIPS, UC_HOOK_INTR, UC_MODE_BIG_ENDIAN, UC_MODE_MIPS64, Uc
        from unicorn import mips_const as m

        self.m = m
        uc = Uc(UC_ARCH_MIPS, UC_MODE_MIPS64 | UC_MODE_BIG_ENDIAN)
        uc.ctl_set_cpu_model(m.UC_CPU_MIPS64_5KF)  # MIPS64 R1 (MIPS IV + MOVZ/N + MADD) + FPU
        uc.mem_map(CODE, 0x10000)
        uc.mem_map(DATA, 0x10000)
        self.uc = uc
        self.intno = None
        uc.hook_add(UC_HOOK_INTR, self._intr)

    def _intr(self, uc, intno, _):
        self.intno = intno
        uc.emu_stop()

    def run(self, words, regs, hi, lo, data, fp):
        from unicorn import UcError

        uc, m = self.uc, self.m
        fr, fprs, fcsr = fp
        st = uc.reg_read(m.UC_MIPS_REG_CP0_STATUS)
        uc.reg_write(m.UC_MIPS_REG_CP0_STATUS, (st & ~core.ST_FR) | core.ST_CU1
                     | (core.ST_FR if fr else 0))
        for k in range(32):   # qemu keeps each FR=0 register in its own slot's low word
            uc.reg_write(m.UC_MIPS_REG_F0 + k, fprs[k])
        uc.reg_write(m.UC_MIPS_REG_FCSR, fcsr)
        code = b"".join(w.to_bytes(4, "big") for w in words) + bytes(16)
        uc.mem_write(CODE, code)
        uc.ctl_flush_tb()  # unicorn keeps executing stale translations of rewritten code
        uc.mem_write(DATA, bytes(data))
        for i in range(1, 32):
            uc.reg_write(m.UC_MIPS_REG_0 + i, regs[i] & MASK64)
        uc.reg_write(m.UC_MIPS_REG_HI, hi & MASK64)
        uc.reg_write(m.UC_MIPS_REG_LO, lo & MASK64)
        self.intno = None
        try:
            uc.emu_start(CODE, CODE + 4 * len(words), count=10 * len(words) + 10)
        except UcError:
            if self.intno is None:
                raise
        exc = None if self.intno is None else QEMU_EXCP.get(self.intno, ("qemu", self.intno))
        out = [0] + [uc.reg_read(m.UC_MIPS_REG_0 + i) for i in range(1, 32)]
        fview = [uc.reg_read(m.UC_MIPS_REG_F0 + k) & (MASK64 if fr else M32) for k in range(32)]
        res = (out, uc.reg_read(m.UC_MIPS_REG_HI), uc.reg_read(m.UC_MIPS_REG_LO),
               bytes(uc.mem_read(DATA, DATA_SIZE)), exc,
               fview, uc.reg_read(m.UC_MIPS_REG_FCSR) & FCSR_RW)
        if exc is not None:
            # unicorn re-delivers the pending exception on the next emu_start: absorb it
            # with a one-NOP run (cheaper than a new Uc)
            uc.mem_write(CODE, bytes(8))
            uc.ctl_flush_tb()
            for _ in range(3):
                self.intno = None
                try:
                    uc.emu_start(CODE, CODE + 4)
                except UcError:
                    pass
                if self.intno is None:
                    break
            else:
                raise RuntimeError("unicorn keeps re-delivering an exception")
        return res


class Subject:
    """Our core, set up like the oracle."""

    def __init__(self):
        self.ram = np.zeros(8 << 20, np.uint8)
        self.cpu = Cpu(self.ram)

    def run(self, words, regs, hi, lo, data, fp):
        cpu = self.cpu
        cpu.reset()
        fr, fprs, fcsr = fp
        cpu.status = core.ST_BEV | core.ST_ERL | core.ST_CU1 | (core.ST_FR if fr else 0)
        for k in range(32):
            if fr:
                cpu.regs[core.R_FPR + k] = s64(fprs[k])
            elif k % 2 == 0:
                cpu.regs[core.R_FPR + k] = s64((fprs[k] & M32) | (fprs[k + 1] & M32) << 32)
        cpu.regs[core.R_FCSR] = fcsr
        cpu.hook_exceptions(range(32))
        n = len(words)
        code = np.frombuffer(b"".join(w.to_bytes(4, "big") for w in words), np.uint8)
        self.ram[CODE:CODE + len(code)] = code
        self.ram[DATA:DATA + DATA_SIZE] = np.frombuffer(bytes(data), np.uint8)
        for i in range(1, 32):
            cpu.set_gpr(i, regs[i])
        cpu.hi, cpu.lo = hi, lo
        cpu.pc = CODE
        cpu.set_breakpoints([CODE + 4 * n])
        why = cpu.run(10 * n + 10)
        exc = None
        if why == ExitReason.EXCEPTION:
            exc = cpu.exception_code
        elif why != ExitReason.BREAKPOINT:
            exc = ("exit", why)
        out = [cpu.gpr(i) for i in range(32)]
        slots = [int(x) & MASK64 for x in cpu.regs[core.R_FPR:core.R_FPR + 32]]
        fview = slots if fr else [(slots[k & ~1] >> (32 * (k & 1))) & M32 for k in range(32)]
        return (out, cpu.hi, cpu.lo, self.ram[DATA:DATA + DATA_SIZE].tobytes(), exc,
                fview, int(cpu.regs[core.R_FCSR]) & FCSR_RW), cpu.icount


def describe(words) -> str:
    from cpu.disasm import disasm_block
    return disasm_block(words, CODE)


def check_one(rng, oracle, subject, length=48):
    """One random sequence; returns instructions executed, raises AssertionError on mismatch."""
    fr = rng.randrange(2)
    words = gen_sequence(rng, length, fr)
    regs = [0] + [rand_value(rng) for _ in range(31)]
    regs[BASE_REG] = DATA + 0x800
    hi, lo = rand_value(rng), rand_value(rng)
    data = rng.randbytes(DATA_SIZE)
    fp = (fr, [rng.getrandbits(64 if fr else 32) for _ in range(32)],
          rng.getrandbits(32) & FCSR_RW & ~0x3F000)
    exp = oracle.run(words, regs, hi, lo, data, fp)
    got, count = subject.run(words, regs, hi, lo, data, fp)
    if got != exp:
        lines = [describe(words), "initial: " + " ".join(f"r{i}={regs[i] & MASK64:#x}"
                                                         for i in range(32))]
        for i in range(32):
            if got[0][i] != exp[0][i]:
                lines.append(f"r{i}: ours {got[0][i]:#x} unicorn {exp[0][i]:#x}")
        if got[1:3] != exp[1:3]:
            lines.append(f"hi/lo: ours {got[1]:#x}/{got[2]:#x} unicorn {exp[1]:#x}/{exp[2]:#x}")
        if got[3] != exp[3]:
            d = [j for j in range(DATA_SIZE) if got[3][j] != exp[3][j]]
            lines.append(f"memory differs at offsets {d[:8]}")
        if got[4] != exp[4]:
            lines.append(f"exception: ours {got[4]} unicorn {exp[4]}")
        for k in range(32):
            if got[5][k] != exp[5][k]:
                lines.append(f"$f{k}: ours {got[5][k]:#x} unicorn {exp[5][k]:#x} (FR={fr})")
        if got[6] != exp[6]:
            lines.append(f"FCSR: ours {got[6]:#x} unicorn {exp[6]:#x}")
        raise AssertionError("\n".join(lines))
    return count


def run_many(count: int, seed: int, length: int = 48, progress: bool = False) -> tuple[int, int]:
    """Run sequences until `count` instructions executed; return (instructions, sequences)."""
    rng = random.Random(seed)
    oracle, subject = Oracle(), Subject()
    total = seqs = 0
    t0 = time.time()
    while total < count:
        total += check_one(rng, oracle, subject, length)
        seqs += 1
        if progress and seqs % 2000 == 0:
            print(f"{total} instructions, {seqs} sequences, {time.time() - t0:.0f} s",
                  file=sys.stderr)
    return total, seqs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=1_000_000, help="instructions to execute")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--length", type=int, default=48)
    a = ap.parse_args(argv)
    seed = a.seed if a.seed is not None else random.randrange(1 << 32)
    print(f"seed {seed}")
    t0 = time.time()
    total, seqs = run_many(a.count, seed, a.length, progress=True)
    print(f"OK: {total} instructions in {seqs} sequences, {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()


def trace_compare(words, regs, hi, lo, data, fp=(1, [0] * 32, 0)):
    """Debug aid: step both one instruction at a time; return the first divergence as text."""
    from unicorn import UC_HOOK_CODE

    oracle, subject = Oracle(), Subject()
    m = oracle.m
    utrace = []

    def hook(uc, addr, size, _):
        utrace.append((addr, [uc.reg_read(m.UC_MIPS_REG_0 + i) for i in range(32)],
                       uc.reg_read(m.UC_MIPS_REG_HI), uc.reg_read(m.UC_MIPS_REG_LO)))
    h = oracle.uc.hook_add(UC_HOOK_CODE, hook)
    oracle.run(words, regs, hi, lo, data, fp)
    oracle.uc.hook_del(h)
    cpu = subject.cpu
    subject.run([0], regs, hi, lo, data, fp)  # set up state
    subject.ram[CODE:CODE + 4 * len(words)] = np.frombuffer(
        b"".join(w.to_bytes(4, "big") for w in words), np.uint8)
    cpu.pc = CODE
    for step, (addr, uregs, uhi, ulo) in enumerate(utrace):
        mine = ([cpu.gpr(i) for i in range(32)], cpu.hi, cpu.lo)
        if cpu.pc != addr or mine != (uregs, uhi, ulo):
            prev = describe([words[(utrace[step - 1][0] - CODE) // 4]]) if step else "start"
            diff = [f"r{i}: ours {mine[0][i]:#x} unicorn {uregs[i]:#x}"
                    for i in range(32) if mine[0][i] != uregs[i]]
            return (f"step {step}: after {prev}\n pc ours {cpu.pc:#x} unicorn {addr:#x}\n "
                    + "\n ".join(diff) + f"\n hi/lo ours {mine[1]:#x}/{mine[2]:#x} "
                    f"unicorn {uhi:#x}/{ulo:#x}")
        cpu.run(1)
    return None
