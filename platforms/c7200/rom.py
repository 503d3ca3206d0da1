"""Our ROM monitor: a few MIPS instructions in the ROM plus host-side services.

The guest part (assembled at import, ``ROM_IMAGE``) is a set of stubs that each store to our
own "ROM port" (phys 0x16000000, the c7200's remote-control window) so the host takes over:

| ROM address | stub | host action |
|---|---|---|
| 0xbfc00000 | reset vector | BOOT: print the banner, set up the boot contract, jump to the image |
| 0xbfc00100 | the ``ra`` an image returns through | IMAGE_RETURNED: "Image returned to ROM.", stop |
| 0xbfc00200 / 0x280 | TLB refill vectors (BEV=1) | unexpected exception: report and stop |
| 0xbfc00380 | general vector (BEV=1) | interrupts: acknowledge and ERET; others: report and stop |
| 0xbfc00600 | the string returned by service 10 | |

SYSCALLs taken while BEV=1 never reach the guest ROM: the CPU core's exception hook hands
them to :meth:`RomMonitor.syscall`, which implements the services of docs/C7200.md /
C7200-DEVICES.md §8.3 (a0 = number, a1..a3 = arguments, v0 = result; the core continues at
EPC+4).

Boot contract (docs/C7200.md §3): Status = 0x00408101, Count = 0, Compare = 1,000,000;
a0 = 2, a1 = a2 = 0, sp = (entry - 64) & ~7, ra = 0xbfc00100; "IOS" at NVRAM+0x80 and
"BOOTLDR" at NVRAM+0x200.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import structlog

from cpu import core as _c
from cpu.isa import assemble
from cpu.state import Cpu, ram_index, s64

log = structlog.get_logger("pydynamips")

ROM_VA = 0xFFFFFFFFBFC00000
PORT_PHYS, PORT_SIZE = 0x16000000, 0x1000
PORT_BOOT, PORT_RETURNED, PORT_REFILL, PORT_GENERAL = 0x0, 0x4, 0x8, 0xC
RETURN_ADDR = ROM_VA + 0x100
MICROCODE_STR = ROM_VA + 0x600
EXC_STUB_TABLE = ROM_VA + 0x548
ROM_SIZE = 64 * 1024

BOOT_STATUS = 0x00408101
BOOT_COMPARE = 1_000_000
ELF_MACHINE_C7200 = 0x19
NVRAM_KSEG1 = 0xFFFFFFFFBE000000
IOS_STR, BOOTLDR_STR, NV_0400, NV_0780, NV_07E0 = 0x080, 0x200, 0x400, 0x780, 0x7E0


def _stub(port: int, reg: str = "zero") -> str:
    return f"lui k0, 0xb600\nsw {reg}, {port}(k0)\nspin: b spin\nnop\n"


def build_rom() -> np.ndarray:
    rom = np.zeros(ROM_SIZE, np.uint8)

    def put(off: int, words: list[int]) -> None:
        data = b"".join(w.to_bytes(4, "big") for w in words)
        rom[off:off + len(data)] = np.frombuffer(data, np.uint8)

    put(0x000, assemble(_stub(PORT_BOOT), ROM_VA))
    put(0x100, assemble(_stub(PORT_RETURNED, "v0"), RETURN_ADDR))
    put(0x200, assemble(_stub(PORT_REFILL), ROM_VA + 0x200))
    put(0x280, assemble(_stub(PORT_REFILL), ROM_VA + 0x280))
    put(0x380, assemble(_stub(PORT_GENERAL), ROM_VA + 0x380))
    text = b"\n\nROMMON Emulation Microcode\n\0"
    rom[0x600:0x600 + len(text)] = np.frombuffer(text, np.uint8)
    return rom


ROM_IMAGE = build_rom()


def sext32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


class RomMonitor:
    """Host half of the ROM. ``machine`` gives: cpu, ram, nvram (uint8 array), bus, config
    (ram/nvram/iomem sizes, conf_reg), console(bytes), stop(reason, error=None)."""

    def __init__(self, machine) -> None:
        self.m = machine
        self.entry = 0
        self.rommon_vars: dict[str, str] = {}

    @property
    def cpu(self) -> Cpu:
        return self.m.cpu

    def print(self, text: str) -> None:
        self.m.console(text.replace("\n", "\r\n").encode("latin-1"))

    # ------------------------------------------------------------ guest memory helpers
    def _phys(self, va: int) -> int | None:
        va = sext32(va) & 0xFFFFFFFFFFFFFFFF
        if 0xFFFFFFFF80000000 <= va < 0xFFFFFFFFC0000000:
            return va & 0x1FFFFFFF
        return self.cpu.translate(va)      # side-effect free: a miss changes no CP0 state

    def read_mem(self, va: int, n: int) -> bytes:
        out = bytearray()
        ram = self.m.ram
        for i in range(n):
            pa = self._phys(va + i)
            if pa is None:
                break
            i = ram_index(pa, 1, len(ram))
            out.append(int(ram[i]) if i is not None else self.m.bus.read(pa, 1))
        return bytes(out)

    def read_cstring(self, va: int, limit: int = 512) -> bytes:
        out = bytearray()
        for i in range(limit):
            b = self.read_mem(va + i, 1)
            if not b or b == b"\0":
                break
            out += b
        return bytes(out)

    def write_mem(self, va: int, data: bytes) -> None:
        ram = self.m.ram
        for i, b in enumerate(data):
            pa = self._phys(va + i)
            if pa is None:
                return
            i = ram_index(pa, 1, len(ram))
            if i is not None:
                ram[i] = b
            else:
                self.m.bus.write(pa, 1, b)

    def _nv_put(self, off: int, data: bytes, room: int) -> None:
        nv = self.m.nvram
        data = data[:room]
        if off + len(data) <= len(nv):
            nv[off:off + len(data)] = np.frombuffer(data, np.uint8)

    # ------------------------------------------------------------ the ROM port
    def port_write(self, off: int, value: int) -> bool:
        if off == PORT_BOOT:
            self.boot()
        elif off == PORT_RETURNED:
            self.print("\nImage returned to ROM.\n")
            self.m.stop("image returned to ROM")
        elif off in (PORT_REFILL, PORT_GENERAL):
            self.exception(refill=off == PORT_REFILL)
        else:
            return False
        return True

    def port_read(self, off: int) -> int | None:
        return None

    def boot(self) -> None:
        cpu, cfg = self.cpu, self.m.config
        self.print(f"pydynamips ROM monitor (c7200, {cfg.npe}, {self.m.ram_size >> 20} MB RAM)\n"
                   f"\nLaunching IOS image at 0x{self.entry & 0xFFFFFFFF:08x}...\n")
        self._nv_put(IOS_STR, b"IOS\0", 0x180)
        self._nv_put(BOOTLDR_STR, b"BOOTLDR\0", 0x200)
        for i in range(1, 32):
            cpu.set_gpr(i, 0)
        cpu.set_gpr(4, 2)
        cpu.set_gpr(29, (self.entry - 64) & ~7)
        cpu.set_gpr(31, RETURN_ADDR)
        cpu.status = BOOT_STATUS
        cpu.cp0_set(_c.CP0_COUNT, 0)
        cpu.cp0_set(_c.CP0_COMPARE, BOOT_COMPARE)
        cpu.pc = self.entry

    def exception(self, refill: bool) -> None:
        cpu = self.cpu
        cause = cpu.cause
        code = (cause >> 2) & 31
        epc = cpu.cp0_get(_c.CP0_EPC)
        if code == 0 and not refill:
            pending = (cause >> 8) & (cpu.status >> 8) & 0xFF
            if pending & 0x80:                  # timer: writing Compare acknowledges
                cpu.cp0_set(_c.CP0_COMPARE, cpu.cp0_get(_c.CP0_COMPARE))
            if pending & 0x20:
                self.m.duart.acknowledge()
            others = pending & ~0xA0
            if others:                          # the ROM cannot serve them: mask them
                log.warning("rom.masked_irq", lines=f"0x{others:02x}", pc=f"0x{epc:x}")
                cpu.status = cpu.status & ~(others << 8)
            cpu.status = cpu.status & ~_c.ST_EXL
            cpu.pc = epc                        # ERET
            cpu.regs[_c.R_LLBIT] = 0
            return
        names = {1: "TLB modification", 2: "TLB (Load/Fetch)", 3: "TLB (Store)",
                 4: "Address Error (Load/Fetch)", 5: "Address Error (Store)",
                 6: "Bus Error (Fetch)", 7: "Bus Error (Load/Store)", 9: "Breakpoint",
                 10: "Reserved Instruction", 11: "Coprocessor Unusable", 12: "Overflow",
                 13: "Trap"}
        what = names.get(code, f"code {code}")
        if refill:
            what = "TLB refill"
        bad = cpu.cp0_get(_c.CP0_BADVADDR)
        self.print(f"\n*** {what} Exception ***\nEPC 0x{epc:016x} Cause 0x{cause:08x} "
                   f"BadVAddr 0x{bad:016x}\n")
        self.m.stop(f"{what} exception in the ROM (epc 0x{epc:x})", error=True)

    # ------------------------------------------------------------ services
    def syscall(self) -> None:
        cpu = self.cpu
        fn, a1, a2, a3 = (cpu.gpr(i) & 0xFFFFFFFF for i in (4, 5, 6, 7))
        result = self.service(fn, a1, a2, a3)
        if result is not None:
            cpu.set_gpr(2, sext32(result) & 0xFFFFFFFFFFFFFFFF)

    def service(self, fn: int, a1: int, a2: int, a3: int) -> int | None:
        m, cfg = self.m, self.m.config
        nv = NVRAM_KSEG1
        if fn == 1:
            m.console(bytes((a1 & 0xFF,)))
            return 0
        if fn == 2:
            return 0xC00
        if fn in (4, 132):
            return m.ram_size
        if fn == 6:
            return ~m.conf_reg
        if fn == 7:
            return ELF_MACHINE_C7200
        if fn == 8:
            self.print("\n\nROM: reload requested...\n")
            m.stop("reload requested")
            return 0
        if fn == 10:
            return MICROCODE_STR
        if fn == 13:
            return nv + NV_0780
        if fn == 24:
            return len(m.nvram)
        if fn == 27:
            return m.iomem_size
        if fn == 28:
            return m.conf_reg
        if fn == 34:
            return nv + IOS_STR
        if fn in (35, 37):
            off, room = (BOOTLDR_STR, 0x200) if fn == 35 else (IOS_STR, 0x180)
            self._nv_put(off, self.read_cstring(a1, room), room)
            return 1
        if fn == 36:
            return nv + BOOTLDR_STR
        if fn == 42:
            return EXC_STUB_TABLE
        if fn == 43:
            m.stop("stop requested by the image")
            return 0
        if fn == 44:
            self.write_mem(a1, bytes(128))      # the c7200 has no chassis cookie
            return 0
        if fn == 45:
            text = self.read_cstring(a1).decode("latin-1")
            log.info("rom.setvar", var=text)
            name, eq, value = text.partition("=")
            if eq and name:
                self.rommon_vars = {name: value, **{k: v for k, v in self.rommon_vars.items()
                                                    if k != name}}
                m.rommon_vars_changed(self.rommon_vars)
            return 0x800
        if fn == 46:
            name = self.read_cstring(a1).decode("latin-1")
            log.info("rom.getvar", var=name)
            if name not in self.rommon_vars or a3 == 0:
                return -1
            value = self.rommon_vars[name].encode("latin-1")[:a3 - 1]
            self.write_mem(a2, value + b"\0")
            return 0
        if fn == 47:
            return 0x800
        if fn in (48, 49):
            return 0
        if fn == 54:
            return nv + NV_0400
        if fn == 55:
            return 0x380
        if fn in (58, 74):
            return -1
        if fn == 59:
            self._nv_put(NV_07E0, (a1 & 0xFFFFFFFF).to_bytes(4, "big"), 4)
            return 1
        if fn == 60:
            word = int.from_bytes(m.nvram[NV_07E0:NV_07E0 + 4].tobytes(), "big")
            return word if word else 0
        log.warning("rom.unhandled_syscall", function=f"0x{fn:x}", pc=f"0x{self.cpu.exception_pc:x}",
                    a1=f"0x{a1:x}", a2=f"0x{a2:x}", a3=f"0x{a3:x}")
        return -1
