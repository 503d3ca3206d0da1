"""Bootflash (phys 0x1a000000, 8 MB): four Intel 28F016SA chips in byte mode, interleaved.

Facts: C7200-DEVICES.md §8.1. Chip = address bits 1..0, offset in the chip = address >> 2;
a wider access touches consecutive chips, the most significant byte at the lowest address.
Per-chip command state machine: read array, read ID (0x89 / 0xa0), read status (0x80 =
ready), clear status, program, block erase (64 KB per chip), write-to-buffer.
"""
from __future__ import annotations

import numpy as np
import structlog

BASE, SIZE = 0x1A000000, 8 << 20
MANUFACTURER, DEVICE = 0x89, 0xA0
BLOCK = 64 * 1024                      # per chip
log = structlog.get_logger("pydynamips")


class _Chip:
    def __init__(self) -> None:
        self.mode = "array"
        self.pending = None             # "program", "erase", ("buffer", n_left)


class Bootflash:
    """The flash contents are stored inverted (`cleared` = ~data): an erased flash is all
    zeros, which the OS maps lazily, so an unused 8 MB bootflash costs a router no memory."""

    def __init__(self, data: np.ndarray | None = None) -> None:
        self.cleared = np.zeros(SIZE, np.uint8) if data is None else ~data
        self.size = len(self.cleared)
        self.reset()

    def reset(self) -> None:
        self.chips = [_Chip() for _ in range(4)]

    def _read8(self, addr: int) -> int:
        chip = self.chips[addr & 3]
        if chip.mode == "id":
            coff = addr >> 2
            return MANUFACTURER if coff == 0 else DEVICE if coff == 1 else 0
        if chip.mode == "status":
            return 0x80
        return 0xFF ^ int(self.cleared[addr])

    def _write8(self, addr: int, value: int) -> None:
        chip = self.chips[addr & 3]
        p = chip.pending
        if p == "program":
            self.cleared[addr] |= 0xFF ^ value           # programming only clears bits
            chip.pending, chip.mode = None, "status"
            return
        if p == "erase":
            chip.pending = None
            if value == 0xD0:
                start = (addr >> 2) // BLOCK * BLOCK
                self.cleared[start * 4 + (addr & 3):(start + BLOCK) * 4:4] = 0
            chip.mode = "status"
            return
        if isinstance(p, tuple):
            if p[0] == "count":
                chip.pending = ("data", (value & 0x1F) + 1)
            elif p[1] > 0:
                self.cleared[addr] |= 0xFF ^ value
                chip.pending = ("data", p[1] - 1)
            else:                               # the confirm (0xd0)
                chip.pending, chip.mode = None, "status"
            return
        if value == 0xFF:
            chip.mode = "array"
        elif value == 0x90:
            chip.mode = "id"
        elif value == 0x70:
            chip.mode = "status"
        elif value == 0x50:
            chip.mode = "array"
        elif value in (0x40, 0x10):
            chip.pending, chip.mode = "program", "status"
        elif value == 0x20:
            chip.pending, chip.mode = "erase", "status"
        elif value == 0xE8:
            chip.pending, chip.mode = ("count", 0), "status"
        else:
            log.warning("bootflash.command", command=f"0x{value:02x}", chip=addr & 3)

    def read(self, off: int, width: int) -> int | None:
        if off + width > self.size:
            return None
        v = 0
        for i in range(width):
            v = (v << 8) | self._read8(off + i)
        return v

    def write(self, off: int, width: int, value: int) -> bool:
        if off + width > self.size:
            return False
        for i in range(width):
            self._write8(off + i, (value >> (8 * (width - 1 - i))) & 0xFF)
        return True
