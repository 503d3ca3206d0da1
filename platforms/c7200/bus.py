"""The physical memory map: which device answers which physical address.

RAM and the ROM's first bytes are served inside the CPU core; every other access leaves the
core as a DEV_READ/DEV_WRITE exit and comes here. ``Bus.read``/``Bus.write`` route it to the
device mapped there (device methods take the offset from the device base). A device answers
``None`` (read) or ``False`` (write) for a register it does not implement; the bus logs such
an access once per (kind, address) with structlog, keeps it in ``Bus.unimplemented``, and
reads it as 0. Nothing an image does on the bus can kill the VM.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import structlog

log = structlog.get_logger("pydynamips")


@dataclass(frozen=True)
class UnimplementedAccess:
    kind: str           # "read" or "write"
    address: int        # physical
    width: int
    value: int | None   # written value (None for reads)
    pc: int

    def __str__(self) -> str:
        v = "" if self.value is None else f" value=0x{self.value:x}"
        return (f"unimplemented {self.kind} at 0x{self.address:x} (width {self.width}){v} "
                f"pc=0x{self.pc:x}")


class ZeroRegion:
    """Reads 0, writes ignored (phys 0x1f000000, the rest of the ROM window)."""

    def read(self, off: int, width: int) -> int:
        return 0

    def write(self, off: int, width: int, value: int) -> bool:
        return True


class MemoryDevice:
    """Plain big-endian memory reached through device exits (IO memory, packet SRAM)."""

    def __init__(self, size: int) -> None:
        self.data = np.zeros(size, np.uint8)

    def read(self, off: int, width: int) -> int:
        return int.from_bytes(self.data[off:off + width].tobytes(), "big")

    def write(self, off: int, width: int, value: int) -> bool:
        self.data[off:off + width] = np.frombuffer(value.to_bytes(width, "big"), np.uint8)
        return True


class SwappedRam:
    """phys 0xc0000000: a byte-swapped view of RAM used by PCI DMA (§8.5)."""

    def __init__(self, ram: np.ndarray) -> None:
        self.ram = ram

    def _addr(self, off: int, width: int) -> int | None:
        a = off ^ (3 if width == 1 else 2 if width == 2 else 0)
        return a if a + width <= len(self.ram) else None

    def read(self, off: int, width: int) -> int | None:
        a = self._addr(off, width)
        if a is None:
            return None
        return int.from_bytes(self.ram[a:a + width].tobytes(), "little" if width > 1 else "big")

    def write(self, off: int, width: int, value: int) -> bool:
        a = self._addr(off, width)
        if a is None:
            return False
        self.ram[a:a + width] = np.frombuffer(
            value.to_bytes(width, "little" if width > 1 else "big"), np.uint8)
        return True


class Bus:
    def __init__(self) -> None:
        self._bases: list[int] = []
        self._regions: list[tuple[int, int, str, object]] = []
        self.unimplemented: list[UnimplementedAccess] = []
        self._seen: set[tuple[str, int]] = set()
        self.pc = lambda: 0       # set by the machine: the PC to report in logs

    def map(self, base: int, size: int, name: str, device) -> None:
        for b, s, n, _ in self._regions:
            if base < b + s and b < base + size:
                raise ValueError(f"{name} at 0x{base:x} overlaps {n} at 0x{b:x}")
        i = bisect.bisect(self._bases, base)
        self._bases.insert(i, base)
        self._regions.insert(i, (base, size, name, device))

    def find(self, addr: int):
        i = bisect.bisect(self._bases, addr) - 1
        if i >= 0:
            base, size, name, dev = self._regions[i]
            if addr < base + size:
                return base, name, dev
        return None

    def regions(self) -> list[tuple[int, int, str]]:
        return [(b, s, n) for b, s, n, _ in self._regions]

    def _unimplemented(self, kind: str, addr: int, width: int, value: int | None) -> None:
        key = (kind, addr)
        if key in self._seen:
            return
        self._seen.add(key)
        found = self.find(addr)
        acc = UnimplementedAccess(kind, addr, width, value, self.pc())
        self.unimplemented.append(acc)
        log.warning("bus.unimplemented", kind=kind, address=f"0x{addr:x}", width=width,
                    value=None if value is None else f"0x{value:x}", pc=f"0x{acc.pc:x}",
                    device=found[1] if found else None)

    def read(self, addr: int, width: int) -> int:
        found = self.find(addr)
        if found:
            base, _, dev = found
            v = dev.read(addr - base, width)
            if v is not None:
                return v & ((1 << (8 * width)) - 1)
        self._unimplemented("read", addr, width, None)
        return 0

    def write(self, addr: int, width: int, value: int) -> None:
        found = self.find(addr)
        if found:
            base, _, dev = found
            if dev.write(addr - base, width, value):
                return
        self._unimplemented("write", addr, width, value)

    def read_bytes(self, addr: int, n: int) -> bytes:
        return bytes(self.read(addr + i, 1) for i in range(n))
