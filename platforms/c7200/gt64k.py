"""Galileo GT-64010 / GT-64120 system controller (phys 0x14000000, 4 KB).

Facts: C7200-DEVICES.md §5. Registers are little-endian: every 32-bit value is byte-swapped
on read and write, including the PCI configuration address/data ports. Implemented: the
DRAM decode registers (constants), the PCI configuration ports (root bus MB0/MB1 at
0xcf8/0xcfc, MB2 at 0xcf0/0xcf4 on the GT-64120), the interrupt cause/mask pair driving IP4,
and the DMA engine (instantaneous, record chaining). The timer/counters read 0 and ignore
writes, as in dynamips (IOS boots without GT timer interrupts).
"""
from __future__ import annotations

from collections.abc import Callable

import structlog

from . import pci

BASE, SIZE = 0x14000000, 0x1000
BASE2 = 0x15000000
log = structlog.get_logger("pydynamips")

INT_CAUSE, INT_MASK = 0xC18, 0xC1C
CFG_ADDR, CFG_DATA = 0xCF8, 0xCFC
CFG2_ADDR, CFG2_DATA = 0xCF0, 0xCF4
DMA_COUNT, DMA_SRC, DMA_DST, DMA_NEXT, DMA_CTRL = 0x800, 0x810, 0x820, 0x830, 0x840
TIMERS = frozenset((0x850, 0x854, 0x858, 0x85C, 0x864))
CHAN_EN, FETCH_NEXT, NOT_CHAINED = 1 << 12, 1 << 13, 1 << 9


def swap32(v: int) -> int:
    return int.from_bytes((v & 0xFFFFFFFF).to_bytes(4, "little"), "big")


class Gt64k:
    def __init__(self, model: str, root: pci.PciBus, root2: pci.PciBus | None,
                 set_irq: Callable[[bool], None] | None,
                 mem_read: Callable[[int, int], bytes], mem_write: Callable[[int, bytes], None]
                 ) -> None:
        self.model = model                 # "gt64010" or "gt64120"
        self.root, self.root2 = root, root2
        self.set_irq = set_irq
        self.mem_read, self.mem_write = mem_read, mem_write
        ras32 = 0x080 if model == "gt64010" else 0x100
        self.const = {0x008: 0x000, 0x010: 0x07F, 0x018: ras32, 0x020: 0x07F,
                      0x400: 0x00, 0x404: 0xFF, 0x408: 0x7F, 0x40C: 0x00,
                      0x410: 0x00, 0x414: 0xFF, 0x418: 0x7F, 0x41C: 0x00,
                      0xC00: 0x00008001, 0xC08: 0xFFF, 0xC0C: 0xFFF}
        self.reset()

    def reset(self) -> None:
        self.cause = 0
        self.mask = 0
        self.cfg_addr = 0
        self.cfg2_addr = 0
        self.dma = {r: [0, 0, 0, 0] for r in ("src", "dst", "next", "ctrl", "cur")}
        self.root.reset()
        if self.root2 is not None:
            self.root2.reset()
        self._update_irq()

    def _update_irq(self) -> None:
        if self.set_irq:
            self.set_irq(bool(self.cause & self.mask))

    # ------------------------------------------------------------ guest access (swapped)
    def read(self, off: int, width: int) -> int | None:
        v = self._read(off)
        return None if v is None else swap32(v)

    def write(self, off: int, width: int, value: int) -> bool:
        return self._write(off, swap32(value))

    def _read(self, off: int) -> int | None:
        if off in self.const:
            return self.const[off]
        if off == INT_CAUSE:
            return self.cause
        if off == INT_MASK:
            return self.mask
        if off == CFG_ADDR:
            return self.cfg_addr
        if off == CFG_DATA:
            return pci.config_read(self.root, self.cfg_addr)
        if self.root2 is not None and off == CFG2_ADDR:
            return self.cfg2_addr
        if self.root2 is not None and off == CFG2_DATA:
            return pci.config_read(self.root2, self.cfg2_addr)
        if 0x810 <= off <= 0x84C:
            reg = ("src", "dst", "next", "ctrl")[(off - 0x810) >> 4]
            return self.dma[reg][(off >> 2) & 3]
        if off in TIMERS or DMA_COUNT <= off <= 0x80C:
            return 0
        return None

    def _write(self, off: int, v: int) -> bool:
        if off == INT_CAUSE:
            self.cause &= v
            self._update_irq()
        elif off == INT_MASK:
            self.mask = v
            self._update_irq()
        elif off == CFG_ADDR:
            self.cfg_addr = v
        elif off == CFG_DATA:
            pci.config_write(self.root, self.cfg_addr, v)
        elif self.root2 is not None and off == CFG2_ADDR:
            self.cfg2_addr = v
        elif self.root2 is not None and off == CFG2_DATA:
            pci.config_write(self.root2, self.cfg2_addr, v)
        elif 0x810 <= off <= 0x84C:
            reg = ("src", "dst", "next", "ctrl")[(off - 0x810) >> 4]
            ch = (off >> 2) & 3
            self.dma[reg][ch] = v
            if reg == "next":
                self.dma["cur"][ch] = v
            elif reg == "ctrl":
                self._dma_run(ch)
        elif off in TIMERS or DMA_COUNT <= off <= 0x80C or off in self.const:
            pass
        else:
            return False
        return True

    # ------------------------------------------------------------ DMA
    def _load_record(self, ch: int) -> int | None:
        ptr = self.dma["next"][ch]
        if ptr == 0:
            log.warning("gt.dma_null_record", channel=ch)
            return None
        rec = self.mem_read(ptr, 16)
        count, src, dst, nxt = (int.from_bytes(rec[i:i + 4], "little") for i in range(0, 16, 4))
        self.dma["src"][ch], self.dma["dst"][ch], self.dma["next"][ch] = src, dst, nxt
        return count & 0xFFFF

    def _dma_run(self, ch: int) -> None:
        ctrl = self.dma["ctrl"][ch]
        count = 0
        if ctrl & FETCH_NEXT:
            self.dma["ctrl"][ch] = ctrl = ctrl & ~FETCH_NEXT
            loaded = self._load_record(ch)
            if loaded is None:
                return
            count = loaded
        if ctrl & CHAN_EN:
            for _ in range(4096):              # chained records, bounded
                if count:
                    self.mem_write(self.dma["dst"][ch], self.mem_read(self.dma["src"][ch], count))
                if ctrl & NOT_CHAINED or self.dma["next"][ch] == 0:
                    break
                loaded = self._load_record(ch)
                if loaded is None:
                    break
                count = loaded
        self.cause |= 1 << (4 + ch)
        self._update_irq()
