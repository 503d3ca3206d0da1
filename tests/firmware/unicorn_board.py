"""A stand-in c7200 for checking the test firmware before our own CPU core runs it.

Unicorn (a test dependency) executes the image; this module supplies just enough of the
board: RAM, NVRAM, the console DUART, the CPU/mid-plane EEPROM bit-bang port of the I/O FPGA
(NMC93C46 model of C7200-DEVICES.md §3.1), and the ROM services (SYSCALL with a0 = function)
handled on the host. Unicorn does not deliver exceptions to guest vectors, so firmware that
installs its own handlers (isa's kernel groups, irq, the console's timer) is out of its reach.
"""
from __future__ import annotations

import struct

import unicorn as uc
from unicorn.mips_const import (UC_MIPS_REG_2, UC_MIPS_REG_4, UC_MIPS_REG_5, UC_MIPS_REG_PC,
                                UC_MIPS_REG_RA, UC_MIPS_REG_SP)

from platforms.elf import read_elf

RAM_SIZE = 64 << 20
NVRAM_BASE, NVRAM_SIZE = 0x1E000000, 128 * 1024
IOFPGA = 0x1E840000
ROM_RETURN = 0xFFFFFFFF80001000        # a "ROM" address the image returns to (in RAM here)

NPE400_EEPROM = bytes.fromhex(
    "04ff4001f84101 00c046032000 1fc8028249 14bc02424230c18b".replace(" ", "")) + \
    b"11111111" + bytes.fromhex("000000040002028 51c0ff602cb87".replace(" ", "")) + \
    b"NPE-400" + bytes.fromhex("8000000000")
MIDPLANE_VXR = bytes.fromhex(
    "01060201ff1045c549060303" "ca0102030000" "0400000000004c0910b0ffff00ff"
    "00000000" "63358b28631d0000608e6d1c62bb000063358b280000000063358b28")


class Eeprom:
    """NMC93C46 as dynamips models it: command and data LSB-first, no dummy bit."""

    def __init__(self, data: bytes, di: int, clk: int, cs: int, do: int) -> None:
        self.data = data.ljust(128, b"\xff")
        self.di, self.clk, self.cs, self.do = di, clk, cs, do
        self.state, self.cmd, self.nbits, self.addr, self.pos, self.out = "idle", 0, 0, 0, 0, 1

    def word(self, n: int) -> int:
        return (self.data[2 * n] << 8) | self.data[2 * n + 1] if 2 * n + 1 < len(self.data) else 0xFFFF

    def write(self, prev: int, val: int) -> None:
        self.out = 1
        if not prev & self.cs and val & self.cs:
            self.state, self.cmd, self.nbits = "cmd", 0, 0
        elif prev & self.cs and not val & self.cs:
            self.state = "idle"
        if prev & self.clk or not val & self.clk:
            return
        bit = 1 if val & self.di else 0
        if self.state == "cmd":
            if self.nbits == 0 and not bit:
                return
            self.cmd |= bit << self.nbits
            self.nbits += 1
            if self.nbits == 9:
                self.nbits = 0
                if (self.cmd >> 1) & 3 == 1:          # bits (1, 0): READ
                    self.state, self.addr, self.pos = "data", self.cmd >> 3, 0
        elif self.state == "data":
            self.out = (self.word(self.addr) >> self.pos) & 1
            self.pos += 1
            if self.pos == 16:
                self.state = "idle"

    def read(self, val: int) -> int:
        if val & self.cs:
            val = (val & ~self.do) | (self.do if self.out else 0)
        return val


class Board:
    def __init__(self, elf_path: str, rx: bytes = b"", conf_reg: int = 0x2102,
                 nvram: bytes | None = None) -> None:
        self.mu = mu = uc.Uc(uc.UC_ARCH_MIPS, uc.UC_MODE_MIPS64 + uc.UC_MODE_BIG_ENDIAN)
        mu.mem_map(0, RAM_SIZE)
        image = read_elf(elf_path, ram_size=RAM_SIZE)
        for seg in image.segments:
            mu.mem_write(seg.paddr, seg.data if not seg.nobits else bytes(seg.size))
        mu.mem_map(NVRAM_BASE, NVRAM_SIZE)
        if nvram is not None:
            mu.mem_write(NVRAM_BASE, bytes(nvram))
        mu.mem_map(IOFPGA, 0x1000)
        self.out = bytearray()
        self.rx = bytearray(rx)
        self.conf_reg = conf_reg
        self.eeprom_reg = 0
        self.eeproms = [Eeprom(NPE400_EEPROM, 1, 2, 4, 0x40), Eeprom(MIDPLANE_VXR, 8, 16, 32, 0x80)]
        self.stopped = False
        mu.hook_add(uc.UC_HOOK_MEM_READ | uc.UC_HOOK_MEM_WRITE, self._io,
                    begin=IOFPGA, end=IOFPGA + 0xFFF)
        mu.hook_add(uc.UC_HOOK_INTR, self._syscall)
        mu.reg_write(UC_MIPS_REG_SP, (image.entry - 64) & ~7)
        mu.reg_write(UC_MIPS_REG_RA, ROM_RETURN)
        self.entry = image.entry

    def _put32(self, addr: int, value: int) -> None:
        self.mu.mem_write(addr, struct.pack(">I", value & 0xFFFFFFFF))

    def _io(self, mu, access, addr, size, value, _):
        off = addr - IOFPGA
        if access == uc.UC_MEM_WRITE:
            if off == 0x41C:
                self.out.append(value & 0xFF)
            elif off == 0x21C:
                for e in self.eeproms:
                    e.write(self.eeprom_reg, value)
                self.eeprom_reg = value
        else:
            if off == 0x40C:
                self._put32(addr, 0x04 | (1 if self.rx else 0))
            elif off == 0x41C and self.rx:
                self._put32(addr, self.rx.pop(0))
            elif off == 0x21C:
                v = self.eeprom_reg
                for e in self.eeproms:
                    v = e.read(v)
                self._put32(addr, v)
            elif off == 0x204:
                self._put32(addr, 0x04)

    def _syscall(self, mu, intno, _):
        fn = mu.reg_read(UC_MIPS_REG_4)
        result = 0
        if fn == 1:
            self.out.append(mu.reg_read(UC_MIPS_REG_5) & 0xFF)
        elif fn == 4:
            result = RAM_SIZE
        elif fn == 6:
            result = ~self.conf_reg & 0xFFFFFFFF
        elif fn == 8:
            self.stopped = True
            mu.emu_stop()
        mu.reg_write(UC_MIPS_REG_2, result)

    def run(self, max_instructions: int = 50_000_000) -> str:
        try:
            self.mu.emu_start(self.entry, ROM_RETURN, count=max_instructions)
        except uc.UcError as exc:
            pc = self.mu.reg_read(UC_MIPS_REG_PC)
            raise RuntimeError(f"{exc} at pc 0x{pc:x}; output so far: {self.out!r}") from exc
        return self.out.decode("latin-1")
