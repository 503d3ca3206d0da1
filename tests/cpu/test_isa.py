"""The njit decoder, the instruction table, the assembler and the disassembler agree."""

import random

import numpy as np
import pytest

from cpu import core
from cpu.disasm import disasm, disasm_block
from cpu.isa import BY_NAME, CATCH_ALL, OPS64, TABLE, assemble, assemble_one, encode, lookup
from cpu.state import Cpu, Exc, ExitReason


def all_encoding_classes():
    """One word per decodable encoding class (other fields zero)."""
    words = []
    for op in range(64):
        if op not in (0x00, 0x01, 0x10, 0x1C):
            words.append(op << 26)
    words += [f for f in range(64)]                                # SPECIAL
    words += [(1 << 26) | (rt << 16) for rt in range(32)]          # REGIMM
    words += [(0x1C << 26) | f for f in range(64)]                 # SPECIAL2
    words += [(0x10 << 26) | (rs << 21) for rs in range(16)]       # COP0 moves, BC0, ...
    words += [(0x10 << 26) | (rs << 21) | f for rs in range(16, 32) for f in range(64)]
    words += [(0x11 << 26) | (rs << 21) for rs in range(32)]          # COP1
    words += [(0x11 << 26) | (8 << 21) | (rt << 16) for rt in range(32)]  # BC1
    words += [(0x13 << 26) | f for f in range(64)]                 # COP1X
    return words


@pytest.fixture(scope="module")
def cpu():
    return Cpu(np.zeros(1 << 20, np.uint8))


def execute_one(cpu, word, status):
    """Execute one instruction at KSEG0 0x1000; return the ExcCode raised or None."""
    cpu.reset()
    cpu.ram[0x1000:0x1004] = np.frombuffer(word.to_bytes(4, "big"), np.uint8)
    cpu.status = status
    cpu.hook_exceptions(range(32))
    cpu.pc = 0xFFFFFFFF80001000
    why = cpu.run(1)
    return cpu.exception_code if why == ExitReason.EXCEPTION else None


def test_decoder_matches_table_exhaustively(cpu):
    """Every encoding class missing from the table raises RI in the core; every one present
    does not (kernel mode, CU1/CU2 usable so coprocessor encodings are judged too)."""
    status = core.ST_BEV | core.ST_ERL | core.ST_CU1 | core.ST_CU2
    mismatches = []
    words = all_encoding_classes()
    for w in words:
        ri = execute_one(cpu, w, status) == Exc.RI
        if ri != (lookup(w) is None):
            mismatches.append(f"{w:08x} {disasm(w)} core RI={ri}")
    assert not mismatches, "\n".join(mismatches)
    assert len(words) > 1200


def test_coprocessor_unusable_not_reserved(cpu):
    status = core.ST_BEV | core.ST_ERL
    for w, ce in [(0x11 << 26, 1), (0x13 << 26, 1), (0x31 << 26, 1), (0x35 << 26, 1),
                  (0x39 << 26, 1), (0x3D << 26, 1), (0x01, 1),
                  (0x12 << 26, 2), (0x32 << 26, 2), (0x36 << 26, 2), (0x3A << 26, 2),
                  (0x3E << 26, 2)]:
        assert execute_one(cpu, w, status) == Exc.CPU, hex(w)
        # the core hooks before setting Cause, so check CE through a real exception
        cpu.reset()
        cpu.ram[0x1000:0x1004] = np.frombuffer(w.to_bytes(4, "big"), np.uint8)
        cpu.status = 0
        cpu.pc = 0xFFFFFFFF80001000
        cpu.run(1)
        assert (cpu.cause >> 2) & 31 == Exc.CPU and (cpu.cause >> 28) & 3 == ce, hex(w)


def test_table_is_consistent():
    names = [r.name for r in TABLE]
    assert len(names) == len(set(names))
    for row in TABLE:
        assert row.match & ~row.mask == 0, row.name
        # no other row claims this row's canonical encoding (catch-alls come last)
        if row.name not in CATCH_ALL:
            assert lookup(row.match) is row, row.name
    assert OPS64 <= set(BY_NAME)


def test_assemble_disassemble_round_trip():
    rng = random.Random(7)
    base = 0xFFFFFFFF80001000
    for row in TABLE:
        for _ in range(20):
            f = {"rs": rng.randrange(32), "rt": rng.randrange(32), "rd": rng.randrange(32),
                 "sa": rng.randrange(32), "imm": rng.getrandbits(16),
                 "target": rng.getrandbits(26), "code": rng.getrandbits(20)}
            keep = set()
            for kind in row.fmt:
                keep |= {"rd": {"rd"}, "rs": {"rs"}, "rt": {"rt"}, "sa": {"sa"},
                         "imm": {"imm"}, "uimm": {"imm"}, "off": {"imm"},
                         "target": {"target"}, "mem": {"imm", "rs"}, "hint": {"rt"},
                         "cp0": {"rd"}, "code": {"code"}, "fs": {"rd"}, "ft": {"rt"},
                         "fd": {"sa"}, "cc": {"rt"}, "xmem": {"rt", "rs"}, "hintx": {"sa"},
                         "cofun": {"cofun"}}[kind]
            f["cofun"] = rng.getrandbits(26)
            if "cc" in row.fmt:
                f["rt"] = rng.randrange(8) << 2
            w = encode(row.name, **{k: v for k, v in f.items() if k in keep})
            if lookup(w) is not row:  # a catch-all's random function hit a specific row
                continue
            text = disasm(w, base)
            assert assemble_one(text, base) == w, (row.name, text, hex(w))


def test_disasm_examples():
    words = assemble("""
        addiu sp, sp, -32
        sd ra, 24(sp)
        jal 0x80001000
        nop
        beq a0, zero, 0x80001000
        lui t0, 0xbfc0
        mfc0 t0, $12
        tlbwr
        .word 0x0000003f
        .word 0x7c000000
    """, 0xFFFFFFFF80001000)
    text = disasm_block(words, 0xFFFFFFFF80001000)
    assert "addiu sp,sp,-32" in text
    assert "sd ra,24(sp)" in text
    assert "jal 0xffffffff80001000" in text
    assert "beq a0,zero,0x80001000" not in text  # targets are full 64-bit addresses
    assert "beq a0,zero,0xffffffff80001000" in text
    assert "lui t0,0xbfc0" in text and "mfc0 t0,$12" in text and "tlbwr" in text
    assert "dsra32 zero,zero,0" in text
    assert "reserved instruction" in text


def test_64bit_instructions_reserved_in_32bit_user_mode(cpu):
    """R4000: 64-bit operations in user mode with UX=0 raise RI; the table's OPS64 set and the
    core agree instruction by instruction."""
    for row in TABLE:
        if row.name in ("dmfc0", "dmtc0"):
            continue  # CP0 access in user mode raises CpU first
        w = row.match
        cpu.reset()
        # user code at KUSEG 0 -> phys 0x10000 through a TLB entry
        cpu.set_tlb_entry(0, 0, 0, (0x10 << 6) | 6, (0x11 << 6) | 6)
        cpu.ram[0x10000:0x10004] = np.frombuffer(w.to_bytes(4, "big"), np.uint8)
        cpu.status = core.ST_BEV | 0x10 | core.ST_CU1
        cpu.hook_exceptions(range(32))
        cpu.pc = 0
        why = cpu.run(1)
        ri = why == ExitReason.EXCEPTION and cpu.exception_code == Exc.RI
        assert ri == (row.name in OPS64), row.name
