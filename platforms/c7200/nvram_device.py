"""NVRAM (phys 0x1e000000) with the DS1216 "SmartWatch" calendar at offset 3.

The contents live in a caller-provided uint8 array (normally an mmap of the per-VM NVRAM
file, so IOS's writes reach the file), seen by the CPU exactly as stored (big-endian). Only
an access at offset 3 is special: each write shifts bit 0 into a 64-bit pattern register;
once it holds the recognition pattern, the next 64 reads of offset 3 return host UTC time
bit by bit (BCD fields, LSB-first), and the next 64 writes (a clock "set") are discarded.
The layout the ROM and IOS use on top of it is in platforms/c7200/nvram.py.
"""
from __future__ import annotations

import time

import numpy as np
import structlog

BASE = 0x1E000000
CALENDAR = 3
PATTERN = 0x5CA33AC55CA33AC5
log = structlog.get_logger("pydynamips")


def _bcd(v: int) -> int:
    return ((v // 10) << 4) | (v % 10)


def calendar_value(t: float | None = None) -> int:
    """The 64-bit SmartWatch reading for host UTC time t (year tens digit may exceed 9)."""
    tm = time.gmtime(t)
    fields = (0, _bcd(tm.tm_sec), _bcd(tm.tm_min), _bcd(tm.tm_hour), (tm.tm_wday + 1) % 7,
              _bcd(tm.tm_mday), _bcd(tm.tm_mon), _bcd(tm.tm_year - 1900))
    v = 0
    for i, f in enumerate(fields):
        v |= (f & 0xFF) << (8 * i)
    return v


class NvramDevice:
    def __init__(self, data: np.ndarray, clock=time.time) -> None:
        if data.dtype != np.uint8 or data.ndim != 1:
            raise TypeError("NVRAM must be a 1-D uint8 array")
        self.data = data
        self.size = len(data)
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self.pattern = 0
        self.read_bits = 0       # calendar bits left to read
        self.write_bits = 0      # calendar "set" bits left to swallow
        self.value = 0

    def _calendar_write(self, value: int) -> None:
        if self.write_bits:
            self.write_bits -= 1
            return
        self.pattern = (self.pattern >> 1) | ((value & 1) << 63)
        if self.pattern == PATTERN:
            self.pattern = 0
            self.value = calendar_value(self.clock())
            self.read_bits = 64
            self.write_bits = 64
            log.debug("nvram.calendar_reset")

    def _calendar_read(self) -> int:
        bit = self.value & 1
        self.value >>= 1
        self.read_bits -= 1
        if self.read_bits == 0:
            self.write_bits = 0
        return bit

    def read(self, off: int, width: int) -> int | None:
        if off == CALENDAR and self.read_bits:
            return self._calendar_read()
        if off + width > self.size:
            return None
        return int.from_bytes(self.data[off:off + width].tobytes(), "big")

    def write(self, off: int, width: int, value: int) -> bool:
        if off == CALENDAR:
            self._calendar_write(value)
            return True
        if off + width > self.size:
            return False
        self.data[off:off + width] = np.frombuffer(
            (value & ((1 << (8 * width)) - 1)).to_bytes(width, "big"), np.uint8)
        return True
