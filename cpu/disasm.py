"""Disassembler for traces and vm_debug, driven by the instruction table in cpu.isa."""

from __future__ import annotations

from .isa import GPR_NAMES, lookup

_MASK64 = (1 << 64) - 1


def _s16(v: int) -> int:
    return v - 0x10000 if v & 0x8000 else v


def disasm(word: int, pc: int = 0) -> str:
    """One instruction word as text; branch/jump targets are absolute (computed from pc)."""
    word &= 0xFFFFFFFF
    if word == 0:
        return "nop"
    row = lookup(word)
    if row is None:
        return f".word 0x{word:08x}  # reserved instruction"
    rs = (word >> 21) & 31
    rt = (word >> 16) & 31
    rd = (word >> 11) & 31
    sa = (word >> 6) & 31
    imm = word & 0xFFFF
    ops = []
    for kind in row.fmt:
        if kind == "rd":
            if row.name == "jalr" and rd == 31:
                continue
            ops.append(GPR_NAMES[rd])
        elif kind == "rs":
            ops.append(GPR_NAMES[rs])
        elif kind == "rt":
            ops.append(GPR_NAMES[rt])
        elif kind == "sa":
            ops.append(str(sa))
        elif kind == "imm":
            ops.append(str(_s16(imm)))
        elif kind == "uimm":
            ops.append(f"0x{imm:x}")
        elif kind == "off":
            ops.append(f"0x{(pc + 4 + (_s16(imm) << 2)) & _MASK64:x}")
        elif kind == "target":
            ops.append(f"0x{(((pc + 4) & ~0x0FFFFFFF) | ((word & 0x3FFFFFF) << 2)) & _MASK64:x}")
        elif kind == "mem":
            ops.append(f"{_s16(imm)}({GPR_NAMES[rs]})")
        elif kind == "hint":
            ops.append(str(rt))
        elif kind == "cp0":
            ops.append(f"${rd}")
        elif kind == "code":
            code = (word >> 6) & 0xFFFFF
            if code:
                ops.append(f"0x{code:x}")
        elif kind == "fs":
            ops.append(f"$f{rd}")
        elif kind == "ft":
            ops.append(f"$f{rt}")
        elif kind == "fd":
            ops.append(f"$f{sa}")
        elif kind == "cc":
            ops.append(f"$fcc{rt >> 2}")
        elif kind == "xmem":
            ops.append(f"{GPR_NAMES[rt]}({GPR_NAMES[rs]})")
        elif kind == "hintx":
            ops.append(str(sa))
        elif kind == "cofun":
            ops.append(f"0x{word & ~row.mask & 0x3FFFFFF:x}")
    return f"{row.name} {','.join(ops)}" if ops else row.name


def disasm_block(words, base: int = 0) -> str:
    """Several words, one ``address: word  text`` line each."""
    out = []
    for i, w in enumerate(words):
        pc = base + 4 * i
        out.append(f"{pc & _MASK64:016x}: {w & 0xFFFFFFFF:08x}  {disasm(w, pc)}")
    return "\n".join(out)


def main(argv=None) -> None:
    """``python -m cpu.disasm IMAGE [--base ADDR] [--count N]``: disassemble a raw big-endian
    image (e.g. benchmarks/guest/bench.bin at 0x80008000)."""
    import argparse

    ap = argparse.ArgumentParser(description="Disassemble a raw big-endian MIPS image.")
    ap.add_argument("image")
    ap.add_argument("--base", type=lambda v: int(v, 0), default=0xFFFFFFFF80008000)
    ap.add_argument("--count", type=int, default=None)
    a = ap.parse_args(argv)
    data = open(a.image, "rb").read()
    words = [int.from_bytes(data[i:i + 4], "big") for i in range(0, len(data) - 3, 4)]
    base = a.base if a.base >> 32 else (a.base ^ 0x80000000) - 0x80000000 & _MASK64
    print(disasm_block(words[:a.count], base))


if __name__ == "__main__":
    main()
