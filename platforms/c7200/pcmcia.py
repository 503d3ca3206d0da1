"""Cirrus Logic CL-PD6729 PCMCIA controller, reached through PCI I/O space.

Facts: C7200-DEVICES.md §8.2. Index register at PCI I/O 0x403 and data at 0x402 (phys
0x1_0000_0403 / 0x1_0000_0402), byte-wide; index 0x00-0x3f socket A, 0x40-0x7f socket B.
Chip revision 0x48, interface status 0xef (card present) or 0x80 (empty), interrupt/general
control 0x40, FIFO control 0x80; the other registers are plain storage.

This release models empty sockets: IOS sees the controller and no disk0/disk1 (ATA flash
disks are not emulated yet).
"""
from __future__ import annotations

INDEX, DATA = 0x403, 0x402


class ClPd6729:
    def __init__(self, disk0_present: bool = False, disk1_present: bool = False) -> None:
        self.present = (disk0_present, disk1_present)
        self.reset()

    def reset(self) -> None:
        self.index = 0
        self.regs = [bytearray(64), bytearray(64)]

    def _reg(self, write: int | None = None) -> int:
        if self.index >= 0x80:
            return 0
        sock, r = self.index >> 6, self.index & 0x3F
        if write is not None:
            self.regs[sock][r] = write & 0xFF
            return 0
        if r == 0x00:
            return 0x48
        if r == 0x01:
            return 0xEF if self.present[sock] else 0x80
        if r == 0x03:
            return 0x40
        if r == 0x17:
            return 0x80
        return self.regs[sock][r]

    def read(self, off: int, width: int) -> int | None:
        if off == INDEX:
            return self.index
        if off == DATA:
            return self._reg()
        return None

    def write(self, off: int, width: int, value: int) -> bool:
        if off == INDEX:
            self.index = value & 0xFF
            return True
        if off == DATA:
            self._reg(value)
            return True
        return False
