"""The MIPS IV integer instruction table (R4000/R5000/R7000 + RM7000 SPECIAL2) and an assembler.

One row per instruction: mnemonic, match value, mask, operand format. The disassembler
(cpu.disasm) and the assembler below read only this table, and tests/cpu/test_isa.py checks
the njit decoder in cpu.core against it exhaustively (every encoding the table lacks must
raise Reserved Instruction; every encoding it has must not).

Operand formats: rd rs rt (GPRs), sa (shift amount), imm (signed 16), uimm (unsigned 16),
off (branch target), target (J/JAL), mem (offset(base)), hint (PREF/CACHE op in rt), cp0 (CP0
register number in rd), code (SYSCALL/BREAK code, optional).
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Insn(NamedTuple):
    name: str
    match: int
    mask: int
    fmt: tuple[str, ...]


def _f(s: str) -> tuple[str, ...]:
    return tuple(x for x in s.split(",") if x)


def _P(name, op, fmt):  # primary opcode
    return Insn(name, op << 26, 0xFC000000, _f(fmt))


def _S(name, funct, fmt):  # SPECIAL
    return Insn(name, funct, 0xFC00003F, _f(fmt))


def _R(name, rt, fmt):  # REGIMM
    return Insn(name, (1 << 26) | (rt << 16), 0xFC1F0000, _f(fmt))


def _S2(name, funct, fmt):  # SPECIAL2
    return Insn(name, (0x1C << 26) | funct, 0xFC00003F, _f(fmt))


def _C0(name, rs, fmt):  # COP0 moves
    return Insn(name, (0x10 << 26) | (rs << 21), 0xFFE00000, _f(fmt))


def _CO(name, funct):  # COP0 CO functions
    return Insn(name, 0x42000000 | funct, 0xFE00003F, ())


def _C1(name, rs, fmt):  # COP1 moves
    return Insn(name, (0x11 << 26) | (rs << 21), 0xFFE00000, _f(fmt))


def _BC1(name, ndtf):  # BC1F BC1T BC1FL BC1TL (condition code in rt[4:2])
    return Insn(name, (0x11 << 26) | (8 << 21) | (ndtf << 16), 0xFFE30000, ("cc", "off"))


def _X1(name, funct, fmt):  # COP1X indexed loads/stores
    return Insn(name, (0x13 << 26) | funct, 0xFC00003F, _f(fmt))


TABLE: tuple[Insn, ...] = (
    # SPECIAL
    _S("sll", 0x00, "rd,rt,sa"), _S("srl", 0x02, "rd,rt,sa"), _S("sra", 0x03, "rd,rt,sa"),
    _S("sllv", 0x04, "rd,rt,rs"), _S("srlv", 0x06, "rd,rt,rs"), _S("srav", 0x07, "rd,rt,rs"),
    _S("jr", 0x08, "rs"), _S("jalr", 0x09, "rd,rs"),
    _S("movz", 0x0A, "rd,rs,rt"), _S("movn", 0x0B, "rd,rs,rt"),
    _S("syscall", 0x0C, "code"), _S("break", 0x0D, "code"), _S("sync", 0x0F, ""),
    _S("mfhi", 0x10, "rd"), _S("mthi", 0x11, "rs"), _S("mflo", 0x12, "rd"), _S("mtlo", 0x13, "rs"),
    _S("dsllv", 0x14, "rd,rt,rs"), _S("dsrlv", 0x16, "rd,rt,rs"), _S("dsrav", 0x17, "rd,rt,rs"),
    _S("mult", 0x18, "rs,rt"), _S("multu", 0x19, "rs,rt"), _S("div", 0x1A, "rs,rt"),
    _S("divu", 0x1B, "rs,rt"), _S("dmult", 0x1C, "rs,rt"), _S("dmultu", 0x1D, "rs,rt"),
    _S("ddiv", 0x1E, "rs,rt"), _S("ddivu", 0x1F, "rs,rt"),
    _S("add", 0x20, "rd,rs,rt"), _S("addu", 0x21, "rd,rs,rt"), _S("sub", 0x22, "rd,rs,rt"),
    _S("subu", 0x23, "rd,rs,rt"), _S("and", 0x24, "rd,rs,rt"), _S("or", 0x25, "rd,rs,rt"),
    _S("xor", 0x26, "rd,rs,rt"), _S("nor", 0x27, "rd,rs,rt"),
    _S("slt", 0x2A, "rd,rs,rt"), _S("sltu", 0x2B, "rd,rs,rt"),
    _S("dadd", 0x2C, "rd,rs,rt"), _S("daddu", 0x2D, "rd,rs,rt"), _S("dsub", 0x2E, "rd,rs,rt"),
    _S("dsubu", 0x2F, "rd,rs,rt"),
    _S("tge", 0x30, "rs,rt"), _S("tgeu", 0x31, "rs,rt"), _S("tlt", 0x32, "rs,rt"),
    _S("tltu", 0x33, "rs,rt"), _S("teq", 0x34, "rs,rt"), _S("tne", 0x36, "rs,rt"),
    _S("dsll", 0x38, "rd,rt,sa"), _S("dsrl", 0x3A, "rd,rt,sa"), _S("dsra", 0x3B, "rd,rt,sa"),
    _S("dsll32", 0x3C, "rd,rt,sa"), _S("dsrl32", 0x3E, "rd,rt,sa"), _S("dsra32", 0x3F, "rd,rt,sa"),
    # REGIMM
    _R("bltz", 0x00, "rs,off"), _R("bgez", 0x01, "rs,off"), _R("bltzl", 0x02, "rs,off"),
    _R("bgezl", 0x03, "rs,off"),
    _R("tgei", 0x08, "rs,imm"), _R("tgeiu", 0x09, "rs,imm"), _R("tlti", 0x0A, "rs,imm"),
    _R("tltiu", 0x0B, "rs,imm"), _R("teqi", 0x0C, "rs,imm"), _R("tnei", 0x0E, "rs,imm"),
    _R("bltzal", 0x10, "rs,off"), _R("bgezal", 0x11, "rs,off"), _R("bltzall", 0x12, "rs,off"),
    _R("bgezall", 0x13, "rs,off"),
    # primary
    _P("j", 0x02, "target"), _P("jal", 0x03, "target"),
    _P("beq", 0x04, "rs,rt,off"), _P("bne", 0x05, "rs,rt,off"),
    _P("blez", 0x06, "rs,off"), _P("bgtz", 0x07, "rs,off"),
    _P("addi", 0x08, "rt,rs,imm"), _P("addiu", 0x09, "rt,rs,imm"), _P("slti", 0x0A, "rt,rs,imm"),
    _P("sltiu", 0x0B, "rt,rs,imm"), _P("andi", 0x0C, "rt,rs,uimm"), _P("ori", 0x0D, "rt,rs,uimm"),
    _P("xori", 0x0E, "rt,rs,uimm"), _P("lui", 0x0F, "rt,uimm"),
    _P("beql", 0x14, "rs,rt,off"), _P("bnel", 0x15, "rs,rt,off"),
    _P("blezl", 0x16, "rs,off"), _P("bgtzl", 0x17, "rs,off"),
    _P("daddi", 0x18, "rt,rs,imm"), _P("daddiu", 0x19, "rt,rs,imm"),
    _P("ldl", 0x1A, "rt,mem"), _P("ldr", 0x1B, "rt,mem"),
    _P("lb", 0x20, "rt,mem"), _P("lh", 0x21, "rt,mem"), _P("lwl", 0x22, "rt,mem"),
    _P("lw", 0x23, "rt,mem"), _P("lbu", 0x24, "rt,mem"), _P("lhu", 0x25, "rt,mem"),
    _P("lwr", 0x26, "rt,mem"), _P("lwu", 0x27, "rt,mem"),
    _P("sb", 0x28, "rt,mem"), _P("sh", 0x29, "rt,mem"), _P("swl", 0x2A, "rt,mem"),
    _P("sw", 0x2B, "rt,mem"), _P("sdl", 0x2C, "rt,mem"), _P("sdr", 0x2D, "rt,mem"),
    _P("swr", 0x2E, "rt,mem"), _P("cache", 0x2F, "hint,mem"),
    _P("ll", 0x30, "rt,mem"), _P("pref", 0x33, "hint,mem"), _P("lld", 0x34, "rt,mem"),
    _P("ld", 0x37, "rt,mem"), _P("sc", 0x38, "rt,mem"), _P("scd", 0x3C, "rt,mem"),
    _P("sd", 0x3F, "rt,mem"),
    # SPECIAL2 (R5000/RM7000 multiply-add family; MIPS32 encodings)
    _S2("madd", 0x00, "rs,rt"), _S2("maddu", 0x01, "rs,rt"), _S2("mul", 0x02, "rd,rs,rt"),
    _S2("msub", 0x04, "rs,rt"), _S2("msubu", 0x05, "rs,rt"),
    # COP0
    _C0("mfc0", 0x00, "rt,cp0"), _C0("dmfc0", 0x01, "rt,cp0"),
    _C0("mtc0", 0x04, "rt,cp0"), _C0("dmtc0", 0x05, "rt,cp0"),
    _CO("tlbr", 0x01), _CO("tlbwi", 0x02), _CO("tlbwr", 0x06), _CO("tlbp", 0x08),
    _CO("eret", 0x18), _CO("wait", 0x20),
    # COP1: the register file, moves, loads/stores and BC1 (FP arithmetic: see "cop1" below)
    Insn("movf", 0x01, 0xFC01003F, ("rd", "rs", "cc")), Insn("movt", 0x00010001, 0xFC01003F,
                                                           ("rd", "rs", "cc")),
    _C1("mfc1", 0, "rt,fs"), _C1("dmfc1", 1, "rt,fs"), _C1("cfc1", 2, "rt,cp0"),
    _C1("mtc1", 4, "rt,fs"), _C1("dmtc1", 5, "rt,fs"), _C1("ctc1", 6, "rt,cp0"),
    _BC1("bc1f", 0), _BC1("bc1t", 1), _BC1("bc1fl", 2), _BC1("bc1tl", 3),
    _P("lwc1", 0x31, "ft,mem"), _P("ldc1", 0x35, "ft,mem"), _P("swc1", 0x39, "ft,mem"),
    _P("sdc1", 0x3D, "ft,mem"),
    _X1("lwxc1", 0x00, "fd,xmem"), _X1("ldxc1", 0x01, "fd,xmem"), _X1("swxc1", 0x08, "fs,xmem"),
    _X1("sdxc1", 0x09, "fs,xmem"), _X1("prefx", 0x0F, "hintx,xmem"),
    # catch-alls, after the rows they contain: FP arithmetic, conversions, compares and the
    # COP1X multiply-adds are decoded (no Reserved Instruction) but not implemented: they raise
    # the FPU's Unimplemented Operation exception (FPE, FCSR Cause.E)
    Insn("cop1", 0x46000000, 0xFE000000, ("cofun",)),
    Insn("cop1x", 0x13 << 26, 0xFC000000, ("cofun",)),
)

#: rows that stand for a whole encoding space (not one instruction)
CATCH_ALL = frozenset({"cop1", "cop1x"})

BY_NAME: dict[str, Insn] = {i.name: i for i in TABLE}

#: instructions that are legal only with 64-bit operations enabled (kernel, or SX/UX set)
OPS64 = frozenset("""dsllv dsrlv dsrav dmult dmultu ddiv ddivu dadd daddu dsub dsubu dsll dsrl
dsra dsll32 dsrl32 dsra32 daddi daddiu ldl ldr sdl sdr lld ld scd sd lwu dmfc0 dmtc0 dmfc1
dmtc1""".split())

#: branches and jumps (they have a delay slot); the *l forms nullify it when not taken
BRANCHES = frozenset("""j jal jr jalr beq bne blez bgtz beql bnel blezl bgtzl bltz bgez bltzl bgezl
bltzal bgezal bltzall bgezall bc1f bc1t bc1fl bc1tl""".split())

GPR_NAMES = ("zero", "at", "v0", "v1", "a0", "a1", "a2", "a3",
             "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7",
             "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7",
             "t8", "t9", "k0", "k1", "gp", "sp", "s8", "ra")
_REGNUM = {n: i for i, n in enumerate(GPR_NAMES)}
_REGNUM["fp"] = 30


def lookup(word: int) -> Insn | None:
    """The table row an instruction word decodes to, or None (Reserved Instruction)."""
    for row in TABLE:
        if word & row.mask == row.match:
            return row
    return None


# ---------------------------------------------------------------- assembler
class AsmError(ValueError):
    pass


def _reg(tok: str) -> int:
    t = tok.strip().lstrip("$").lower()
    if t in _REGNUM:
        return _REGNUM[t]
    if t.startswith("r") and t[1:].isdigit():
        t = t[1:]
    if t.isdigit() and int(t) < 32:
        return int(t)
    raise AsmError(f"bad register {tok!r}")


def _num(tok: str, labels=None) -> int:
    tok = tok.strip()
    if labels is not None and tok in labels:
        return labels[tok]
    try:
        return int(tok, 0)
    except ValueError:
        raise AsmError(f"bad number {tok!r}") from None


_MEM = re.compile(r"^(.*)\((.+)\)$")


def encode(name: str, **f) -> int:
    """Encode from fields: rs rt rd sa imm (16 bits, masked) target (26 bits) code."""
    row = BY_NAME[name]
    w = row.match
    w |= (f.get("rs", 0) & 31) << 21
    w |= (f.get("rt", 0) & 31) << 16
    w |= (f.get("rd", 0) & 31) << 11
    w |= (f.get("sa", 0) & 31) << 6
    w |= f.get("imm", 0) & 0xFFFF
    w |= f.get("target", 0) & 0x3FFFFFF
    w |= (f.get("code", 0) & 0xFFFFF) << 6
    w |= f.get("cofun", 0) & ~row.mask & 0x3FFFFFF
    return w


def assemble_one(text: str, pc: int = 0, labels: dict | None = None) -> int:
    """One instruction, e.g. ``addiu t0, t1, -4`` or ``beq a0, zero, 0x80001000`` (branch and
    jump operands are absolute addresses or labels; pc is the instruction's address)."""
    text = text.split("#")[0].strip()
    parts = text.split(None, 1)
    name = parts[0].lower()
    ops = [o.strip() for o in parts[1].split(",")] if len(parts) > 1 else []
    if name == "nop":
        return 0
    if name == "b":
        name, ops = "beq", ["zero", "zero"] + ops
    if name == "bal":
        name, ops = "bgezal", ["zero"] + ops
    if name == "move":
        name, ops = "or", [ops[0], ops[1], "zero"]
    if name == "beqz":
        name, ops = "beq", [ops[0], "zero", ops[1]]
    if name == "bnez":
        name, ops = "bne", [ops[0], "zero", ops[1]]
    if name not in BY_NAME:
        raise AsmError(f"unknown mnemonic {name!r}")
    row = BY_NAME[name]
    fmt = row.fmt
    if name in ("movf", "movt") and len(ops) == 2:
        ops = ops + ["0"]
    if name.startswith("bc1") and len(ops) == 1:
        ops = ["0"] + ops
    if name == "jalr" and len(ops) == 1:
        ops = ["ra"] + ops
    if fmt == ("code",) and not ops:
        ops = ["0"]
    if len(ops) != len(fmt):
        raise AsmError(f"{name} takes {len(fmt)} operands: {text!r}")
    f: dict[str, int] = {}
    for kind, tok in zip(fmt, ops):
        if kind in ("rd", "rs", "rt"):
            f[kind] = _reg(tok)
        elif kind == "sa":
            v = _num(tok)
            if name in ("dsll32", "dsrl32", "dsra32") and v >= 32:
                v -= 32
            f["sa"] = v
        elif kind in ("imm", "uimm"):
            f["imm"] = _num(tok, labels)
        elif kind == "off":
            tgt = _num(tok, labels)
            d = tgt - (pc + 4)
            if d & 3:
                raise AsmError(f"misaligned branch target in {text!r}")
            f["imm"] = d >> 2
        elif kind == "target":
            f["target"] = (_num(tok, labels) >> 2) & 0x3FFFFFF
        elif kind == "mem":
            m = _MEM.match(tok)
            if not m:
                raise AsmError(f"bad memory operand {tok!r}")
            f["imm"] = _num(m.group(1) or "0", labels)
            f["rs"] = _reg(m.group(2))
        elif kind == "hint":
            f["rt"] = _num(tok)
        elif kind == "cp0":
            f["rd"] = _num(tok.lstrip("$"))
        elif kind == "code":
            f["code"] = _num(tok)
        elif kind in ("fs", "ft", "fd"):
            f[{"fs": "rd", "ft": "rt", "fd": "sa"}[kind]] = _fpr(tok)
        elif kind == "cc":
            f["rt"] = f.get("rt", 0) | (_num(tok.lstrip("$").replace("fcc", "")) << 2)
        elif kind == "xmem":
            m = _MEM.match(tok)
            if not m:
                raise AsmError(f"bad indexed operand {tok!r}")
            f["rt"] = _reg(m.group(1))
            f["rs"] = _reg(m.group(2))
        elif kind == "hintx":
            f["sa"] = _num(tok)
        elif kind == "cofun":
            f["cofun"] = _num(tok)
    return encode(name, **f)


def _fpr(tok: str) -> int:
    t = tok.strip().lstrip("$").lower()
    if t.startswith("f") and t[1:].isdigit() and int(t[1:]) < 32:
        return int(t[1:])
    raise AsmError(f"bad FP register {tok!r}")


def assemble(source: str, base: int = 0) -> list[int]:
    """Assemble lines (``label:`` definitions allowed, ``#`` comments) placed at base."""
    lines = []
    labels: dict[str, int] = {}
    pc = base
    for raw in source.splitlines():
        line = raw.split("#")[0].strip()
        while ":" in line:
            lab, line = line.split(":", 1)
            labels[lab.strip()] = pc
            line = line.strip()
        if line:
            lines.append((pc, line))
            pc += 4
    out = []
    for addr, line in lines:
        if line.startswith(".word"):
            out.append(_num(line.split(None, 1)[1], labels) & 0xFFFFFFFF)
        else:
            out.append(assemble_one(line, addr, labels))
    return out
