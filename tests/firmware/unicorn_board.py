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

from platforms.c7200.eeprom import CPU_EEPROMS, EepromPort, Nmc93c46, Pins, midplane_eeprom
from platforms.elf import read_elf

CPU_PINS = Pins(di=0x01, clk=0x02, cs=0x04, do=0x40)        # C7200-DEVICES.md §3.1
MIDPLANE_PINS = Pins(di=0x08, clk=0x10, cs=0x20, do=0x80)

RAM_SIZE = 64 << 20
NVRAM_BASE, NVRAM_SIZE = 0x1E000000, 128 * 1024
IOFPGA = 0x1E840000
ROM_RETURN = 0xFFFFFFFF80001000        # a "ROM" address the image returns to (in RAM here)

BOARD_MAC = bytes.fromhex("ca0102030000")


def eeprom_port() -> EepromPort:
    """The I/O FPGA's EEPROM port with the npe-400 CPU and vxr mid-plane EEPROMs (the
    platform's own device model: this stand-in only swaps the CPU for unicorn)."""
    return EepromPort([Nmc93c46(CPU_PINS, CPU_EEPROMS["npe-400"]),
                       Nmc93c46(MIDPLANE_PINS, midplane_eeprom("vxr", BOARD_MAC))])


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
        self.eeproms = eeprom_port()
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
                self.eeproms.write(value)
        else:
            if off == 0x40C:
                self._put32(addr, 0x04 | (1 if self.rx else 0))
            elif off == 0x41C and self.rx:
                self._put32(addr, self.rx.pop(0))
            elif off == 0x21C:
                self._put32(addr, self.eeproms.read())
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
