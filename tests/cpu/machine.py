"""A tiny bare machine around cpu.state.Cpu for unit tests: RAM, an assembler, run-until."""

from __future__ import annotations

import numpy as np

from cpu import core
from cpu.isa import assemble
from cpu.state import Cpu, ExitReason

KSEG0 = 0xFFFFFFFF80000000
KSEG1 = 0xFFFFFFFFA0000000
CODE = KSEG0 + 0x1000
VEC_REFILL = KSEG0 + 0x000
VEC_XREFILL = KSEG0 + 0x080
VEC_GENERAL = KSEG0 + 0x180
VEC_INTVEC = KSEG0 + 0x200
BEV_REFILL = 0xFFFFFFFFBFC00200
BEV_XREFILL = 0xFFFFFFFFBFC00280
BEV_GENERAL = 0xFFFFFFFFBFC00380
VECTORS = [VEC_REFILL, VEC_XREFILL, VEC_GENERAL, VEC_INTVEC, BEV_REFILL, BEV_XREFILL,
           BEV_GENERAL]

ST = core  # Status bit names: ST.ST_IE, ST.ST_EXL, ...


class Machine:
    def __init__(self, ram_size: int = 4 << 20, rom_size: int = 0x10000, **kw):
        self.ram = np.zeros(ram_size, np.uint8)
        self.rom = np.zeros(rom_size, np.uint8)
        self.cpu = Cpu(self.ram, self.rom, **kw)

    # memory (physical)
    def write32(self, pa: int, w: int) -> None:
        self.ram[pa:pa + 4] = np.frombuffer((w & 0xFFFFFFFF).to_bytes(4, "big"), np.uint8)

    def write64(self, pa: int, w: int) -> None:
        self.ram[pa:pa + 8] = np.frombuffer((w & (2**64 - 1)).to_bytes(8, "big"), np.uint8)

    def read32(self, pa: int) -> int:
        return int.from_bytes(self.ram[pa:pa + 4].tobytes(), "big")

    def read64(self, pa: int) -> int:
        return int.from_bytes(self.ram[pa:pa + 8].tobytes(), "big")

    def load(self, src: str, base: int = CODE, rom: bool = False) -> list[int]:
        """Assemble src at virtual address base (KSEG0/KSEG1) and store it at its physical
        address (in ROM if rom)."""
        words = assemble(src, base)
        pa = base & 0x1FFFFFFF
        data = np.frombuffer(b"".join(w.to_bytes(4, "big") for w in words), np.uint8)
        if rom:
            off = pa - 0x1FC00000
            self.rom[off:off + len(data)] = data
        else:
            self.ram[pa:pa + len(data)] = data
        return words

    def start(self, src: str, status: int = 0, base: int = CODE) -> None:
        """Load src, set Status (kernel, BEV clear by default) and PC."""
        self.load(src, base)
        self.cpu.status = status
        self.cpu.pc = base

    def run_until(self, stops, max_n: int = 100_000) -> ExitReason:
        """Run until PC reaches one of stops (breakpoints) or another exit."""
        self.cpu.set_breakpoints(stops)
        return self.cpu.run(max_n)

    def run_to_vector(self, max_n: int = 100_000) -> int:
        """Run until an exception vector is reached; return the vector address."""
        why = self.run_until(VECTORS, max_n)
        assert why == ExitReason.BREAKPOINT, f"no exception taken: {why!r} at {self.cpu.pc:#x}"
        return self.cpu.pc

    # CP0 shorthands
    def exccode(self) -> int:
        return (self.cpu.cp0_get(core.CP0_CAUSE) >> 2) & 31

    def epc(self) -> int:
        return self.cpu.cp0_get(core.CP0_EPC)

    def bd(self) -> bool:
        return bool(self.cpu.cp0_get(core.CP0_CAUSE) >> 31 & 1)

    def badvaddr(self) -> int:
        return self.cpu.cp0_get(core.CP0_BADVADDR)
