"""``Cpu``: the Python owner of a MIPS64 core's state arrays, around the njit loop in cpu.core.

Typical platform loop::

    cpu = Cpu(ram, rom, prid=0x2721, tlb_entries=64)
    while True:
        why = cpu.run(100_000)
        if why is ExitReason.DEV_READ:
            cpu.complete_read(bus.read(cpu.exit_address, cpu.exit_width))
        elif why is ExitReason.DEV_WRITE:
            bus.write(cpu.exit_address, cpu.exit_width, cpu.exit_value)
        elif why is ExitReason.EXCEPTION:      # e.g. SYSCALL while BEV=1 (host ROM monitor)
            rom_monitor.syscall(cpu)            # reads a0.., writes v0; run() continues after it
        ...

Device reads are completed by ``complete_read(value)``; the loop puts the value into the
destination register (with the load's extension) when ``run`` is next called.

Interrupts: ``set_irq(line, level)`` drives Cause.IP2..IP6 (level-triggered); IP0/IP1 are the
guest's (MTC0 Cause); IP7 is the timer: ``timer="deterministic"`` (Count = instructions //
count_divisor, IP7 when Count reaches Compare) or ``timer="host"`` (the caller advances Count
with ``advance_count`` or raises IP7 with ``raise_timer``; writing Compare acknowledges).

Exceptions a host-side ROM monitor wants (e.g. SYSCALL while Status.BEV=1) are selected with
``hook_exceptions([Exc.SYS])``: ``run`` then returns ``ExitReason.EXCEPTION`` with
``exception_code``/``exception_pc`` instead of vectoring, the state already past the
instruction; resume with ``run`` ("EPC+4, ERET") or deliver it with ``raise_exception()``.
Other controls: ``idle_pc``, ``set_breakpoints``, ``request_halt``; debugging: ``disassemble``,
``translate``, ``read_virtual``, ``tlb_entry``.
"""

from __future__ import annotations

import enum

import numpy as np

from . import core as _c
from .isa import GPR_NAMES  # noqa: F401  (re-exported)

MASK64 = (1 << 64) - 1


class ExitReason(enum.IntEnum):
    SLICE = _c.EXIT_SLICE
    DEV_READ = _c.EXIT_DEV_READ
    DEV_WRITE = _c.EXIT_DEV_WRITE
    HALT = _c.EXIT_HALT
    IDLE = _c.EXIT_IDLE
    BREAKPOINT = _c.EXIT_BREAKPOINT
    WAIT = _c.EXIT_WAIT
    EXCEPTION = _c.EXIT_EXCEPTION


class Exc(enum.IntEnum):
    """Cause.ExcCode values."""
    INT = 0
    MOD = 1
    TLBL = 2
    TLBS = 3
    ADEL = 4
    ADES = 5
    IBE = 6
    DBE = 7
    SYS = 8
    BP = 9
    RI = 10
    CPU = 11
    OV = 12
    TR = 13
    FPE = 15
    WATCH = 23



#: PRId per c7200 NPE CPU (docs/C7200.md) and its TLB size
CPU_MODELS = {
    "r4600": (0x2012, 48), "r4700": (0x2112, 48), "r5000": (0x2312, 48),
    "r5271": (0x2812, 48), "r7000": (0x2721, 64),
}


def s64(v: int) -> int:
    """A Python int as a signed 64-bit value (the register representation)."""
    v &= MASK64
    return v - (1 << 64) if v >> 63 else v


def u64(v: int) -> int:
    return int(v) & MASK64


def ram_index(pa: int, n: int, ram_size: int) -> int | None:
    """RAM index of physical bytes pa..pa+n-1, or None unless they all lie in one RAM bank.

    The core's layout (cpu.core ``ram_index``): RAM index i < 256 MB is physical i; RAM
    above 256 MB is at physical 0x20000000 + (i - 256 MB); physical 0x10000000..0x1FFFFFFF
    is never RAM. Host-side physical helpers (DMA, debuggers) must use this, not len(ram)."""
    if pa < 0 or n < 0:
        return None
    low = min(ram_size, _c.RAM_LOW_LIMIT)
    if pa + n <= low:
        return pa
    i = pa - (_c.RAM_HIGH_BASE - _c.RAM_LOW_LIMIT)
    if pa >= _c.RAM_HIGH_BASE and i + n <= ram_size:
        return i
    return None


class Cpu:
    """One MIPS64 CPU: state arrays plus guest RAM (physical 0) and ROM (physical 0x1fc00000).

    ``ram`` is used in place (never copied or reallocated): pass a numpy uint8 view of the
    mmap that backs guest memory. Its size must be a multiple of 4 KB.
    """

    def __init__(self, ram: np.ndarray, rom: np.ndarray | None = None, *, prid: int = 0x2721,
                 tlb_entries: int = 64, config: int = 0x00C08FF0,
                 timer: str = "deterministic", count_divisor: int = 1):
        if ram.dtype != np.uint8 or ram.ndim != 1:
            raise TypeError("ram must be a 1-D uint8 array")
        if not (ram.flags.c_contiguous and ram.flags.writeable):
            # another array type would also make numba compile a second copy of the loop
            raise ValueError("ram must be a writeable, contiguous array (a view of an mmap)")
        if rom is not None:
            rom = np.ascontiguousarray(rom, dtype=np.uint8).reshape(-1)
            if not rom.flags.writeable:
                rom = rom.copy()
        if len(ram) % 4096:
            raise ValueError("RAM size must be a multiple of 4 KB")
        if not 1 <= tlb_entries <= 64:
            raise ValueError("tlb_entries must be 1..64")
        self.ram = ram
        self.rom = rom if rom is not None else np.zeros(4096, np.uint8)
        self.prid = prid
        self.config = config
        self.tlb_entries = tlb_entries
        self.regs = np.zeros(_c.NREGS, np.int64)
        self.cp0 = np.zeros(32, np.int64)
        self.tlb = np.zeros(64 * 4, np.int64)
        self.stlb = np.zeros(3 * _c.STLB_N, np.int64)
        self.ctx = np.zeros(_c.NCTX, np.int64)
        self._timer_mode = 0 if timer == "deterministic" else 1
        if timer not in ("deterministic", "host"):
            raise ValueError("timer must be 'deterministic' or 'host'")
        self._count_div = int(count_divisor)
        self.reset()

    # ------------------------------------------------------------ lifecycle
    def reset(self) -> None:
        """Cold reset per the c7200 boot contract."""
        self.regs[:] = 0
        self.cp0[:] = 0
        self.tlb[:] = 0
        # TLB cleared: entries that cannot match any legal address (VPN2 above 2^40 in xkseg
        # space is invalid, V=0 anyway)
        for i in range(64):
            self.tlb[4 * i + 1] = s64(0xC00000FF80000000 + (i << 13)) & ~0x1000
        self.ctx[:] = 0
        self.ctx[_c.C_MODE] = -1
        self.ctx[_c.C_IDLE_PC] = 1  # never a PC (misaligned)
        self.ctx[_c.C_TIMER_MODE] = self._timer_mode
        self.ctx[_c.C_COUNT_DIV] = self._count_div
        self.ctx[_c.C_TLB_SIZE] = self.tlb_entries
        self.ctx[_c.C_EXC_HOOK] = 0
        self.stlb[:2 * _c.STLB_N] = _c.STLB_INVALID
        self.cp0[_c.CP0_STATUS] = _c.ST_BEV
        self.cp0[_c.CP0_CONFIG] = self.config
        self.cp0[_c.CP0_PRID] = self.prid
        self.pc = 0xFFFFFFFFBFC00000
        _c.timer_schedule(self.cp0, self.ctx, 0)

    def run(self, max_instructions: int) -> ExitReason:
        """Run up to max_instructions; return why the loop stopped."""
        return ExitReason(_c.run(self.regs, self.cp0, self.tlb, self.stlb, self.ctx,
                                 self.ram, self.rom, int(max_instructions)))

    # ------------------------------------------------------------ device exits
    @property
    def exit_address(self) -> int:
        """Physical address of the pending device access."""
        return int(self.ctx[_c.C_EXIT_ADDR])

    @property
    def exit_width(self) -> int:
        return int(self.ctx[_c.C_EXIT_WIDTH])

    @property
    def exit_value(self) -> int:
        """Value of a device write (unsigned, masked to the width)."""
        return u64(self.ctx[_c.C_EXIT_VALUE])

    def complete_read(self, value: int) -> None:
        """Supply the bus value of the pending device read; the next run() stores it."""
        self.ctx[_c.C_READ_VALUE] = s64(value)

    # ------------------------------------------------------------ registers
    @property
    def pc(self) -> int:
        return u64(self.regs[_c.R_PC])

    @pc.setter
    def pc(self, v: int) -> None:
        """Jump (outside any delay slot)."""
        self.regs[_c.R_PC] = s64(v)
        self.regs[_c.R_NPC] = s64(v + 4)
        self.regs[_c.R_DELAY] = 0

    def gpr(self, i: int) -> int:
        """GPR i as an unsigned 64-bit int."""
        return u64(self.regs[i])

    def set_gpr(self, i: int, v: int) -> None:
        if i:
            self.regs[i] = s64(v)

    @property
    def hi(self) -> int:
        return u64(self.regs[_c.R_HI])

    @hi.setter
    def hi(self, v: int) -> None:
        self.regs[_c.R_HI] = s64(v)

    @property
    def lo(self) -> int:
        return u64(self.regs[_c.R_LO])

    @lo.setter
    def lo(self, v: int) -> None:
        self.regs[_c.R_LO] = s64(v)

    @property
    def icount(self) -> int:
        return int(self.regs[_c.R_ICOUNT])

    @property
    def llbit(self) -> int:
        return int(self.regs[_c.R_LLBIT])

    @property
    def count(self) -> int:
        """Count, 32 bits, read without calling compiled code: an idle VM's host loop reads
        it on every wake-up, and a call into numba costs microseconds. Same rule as
        core.cp0_read."""
        ctx = self.ctx
        if ctx[_c.C_TIMER_MODE] == 0:
            return (int(ctx[_c.C_COUNT_BASE]) + self.icount // int(ctx[_c.C_COUNT_DIV])) \
                & 0xFFFFFFFF
        return int(self.cp0[_c.CP0_COUNT]) & 0xFFFFFFFF

    @property
    def compare(self) -> int:
        return int(self.cp0[_c.CP0_COMPARE]) & 0xFFFFFFFF

    def cp0_get(self, reg: int) -> int:
        """CP0 register as DMFC0 would read it, unsigned 64-bit."""
        return u64(_c.cp0_read(self.cp0, self.ctx, reg, self.icount, True))

    def cp0_set(self, reg: int, v: int) -> None:
        """Write a CP0 register as DMTC0 would (write masks apply)."""
        _c.cp0_write(self.cp0, self.ctx, self.stlb, reg, s64(v), self.icount)

    @property
    def status(self) -> int:
        return int(self.cp0[_c.CP0_STATUS])

    @status.setter
    def status(self, v: int) -> None:
        self.cp0_set(_c.CP0_STATUS, v)

    @property
    def cause(self) -> int:
        return self.cp0_get(_c.CP0_CAUSE) & 0xFFFFFFFF

    # ------------------------------------------------------------ interrupts and timer
    def set_irq(self, line: int, level: bool) -> None:
        """Drive external interrupt line IP2..IP6 (Cause bit 8+line); level-triggered."""
        if not 2 <= line <= 6:
            raise ValueError("external IRQ lines are 2..6")
        bit = 1 << (8 + line)
        if level:
            self.ctx[_c.C_IRQ] |= bit
        else:
            self.ctx[_c.C_IRQ] &= ~bit

    def raise_timer(self) -> None:
        """Host timer mode: assert IP7 (cleared when the guest writes Compare)."""
        self.cp0[_c.CP0_CAUSE] |= _c.CAUSE_IP7

    def advance_count(self, ticks: int) -> None:
        """Host timer mode: advance Count; raise IP7 if it passes Compare."""
        c = int(self.cp0[_c.CP0_COUNT])
        d = (int(self.cp0[_c.CP0_COMPARE]) - c) & 0xFFFFFFFF
        if 0 < d <= ticks:
            self.raise_timer()
        self.cp0[_c.CP0_COUNT] = (c + ticks) & 0xFFFFFFFF

    # ------------------------------------------------------------ control
    def request_halt(self, on: bool = True) -> None:
        """Make run() return HALT at its next event check (also safe from another thread)."""
        self.ctx[_c.C_HALT_REQ] = 1 if on else 0

    @property
    def idle_pc(self) -> int | None:
        v = int(self.ctx[_c.C_IDLE_PC])
        return None if v == 1 else u64(v)

    @idle_pc.setter
    def idle_pc(self, v: int | None) -> None:
        self.ctx[_c.C_IDLE_PC] = 1 if v is None else s64(v)

    def set_breakpoints(self, addrs) -> None:
        addrs = list(addrs)
        if len(addrs) > _c.MAX_BP:
            raise ValueError(f"at most {_c.MAX_BP} breakpoints")
        for k, a in enumerate(addrs):
            self.ctx[_c.C_BP0 + k] = s64(a)
        self.ctx[_c.C_NBP] = len(addrs)

    def hook_exceptions(self, codes) -> None:
        """Exceptions with these ExcCodes, raised while Status.BEV=1, return
        ExitReason.EXCEPTION instead of vectoring to the ROM (see cpu.core docstring)."""
        m = 0
        for c in codes:
            m |= 1 << int(c)
        self.ctx[_c.C_EXC_HOOK] = m

    def raise_exception(self, code: int | None = None, pc: int | None = None,
                        in_delay_slot: bool | None = None, refill: bool = False) -> None:
        """Enter an exception architecturally (EPC/BD, Cause, EXL, vector), by default the one
        last handed to the host by the exception hook, for its faulting instruction."""
        code = self.exception_code if code is None else int(code)
        pc = self.exception_pc if pc is None else pc
        delay = int(self.ctx[_c.C_EXC_DELAY]) if in_delay_slot is None else int(in_delay_slot)
        vec = _c.exception_vector(self.cp0, code, s64(pc), delay, 1 if refill else 0, 0)
        _c.mode_update(self.cp0, self.ctx, self.stlb)
        self.pc = vec

    @property
    def exception_code(self) -> int:
        return int(self.ctx[_c.C_EXC_CODE])

    @property
    def exception_pc(self) -> int:
        return u64(self.ctx[_c.C_EXC_PC])

    # ------------------------------------------------------------ debugging helpers
    def translate(self, va: int, access: str = "load") -> int | None:
        """Physical address of virtual va in the current mode, or None if the access would
        fault. Side-effect free: CP0 is saved and restored around the lookup."""
        saved = self.cp0.copy()
        try:
            pa = int(_c.translate(s64(va), {"load": 0, "store": 1, "fetch": 2}[access],
                                  self.cp0, self.tlb, self.ctx))
        finally:
            self.cp0[:] = saved
        return None if pa < 0 else pa & (_c.WFLAG - 1)

    def read_virtual(self, va: int, size: int) -> bytes | None:
        """Bytes at virtual va from RAM or ROM (None if unmapped or a device)."""
        pa = self.translate(va)
        if pa is None:
            return None
        i = ram_index(pa, size, len(self.ram))
        if i is not None:
            return self.ram[i:i + size].tobytes()
        off = pa - _c.ROM_BASE
        if 0 <= off and off + size <= len(self.rom):
            return self.rom[off:off + size].tobytes()
        return None

    def disassemble(self, va: int | None = None, count: int = 8) -> str:
        """Disassembly of count instructions from va (default: the PC), for traces."""
        from .disasm import disasm

        va = self.pc if va is None else va
        lines = []
        for i in range(count):
            a = (va + 4 * i) & MASK64
            b = self.read_virtual(a, 4)
            text = "<unmapped>" if b is None else disasm(int.from_bytes(b, "big"), a)
            mark = "=>" if a == self.pc else "  "
            lines.append(f"{mark} {a:016x}: {text}")
        return "\n".join(lines)

    # ------------------------------------------------------------ TLB access for tools/tests
    def tlb_entry(self, i: int) -> tuple[int, int, int, int]:
        """(PageMask, EntryHi, EntryLo0, EntryLo1) as TLBR would read them."""
        b = 4 * i
        g = (int(self.tlb[b + 1]) >> 12) & 1
        return (u64(self.tlb[b]), u64(int(self.tlb[b + 1]) & ~0x1000),
                u64(self.tlb[b + 2] | g), u64(self.tlb[b + 3] | g))

    def set_tlb_entry(self, i: int, pagemask: int, entryhi: int, lo0: int, lo1: int) -> None:
        """Write entry i as TLBWI would."""
        b = 4 * i
        g = lo0 & lo1 & 1
        m = pagemask & 0x1FFE000
        self.tlb[b] = m
        self.tlb[b + 1] = (s64(entryhi) & _c.VPN2R & ~m) | (entryhi & 0xFF) | (g << 12)
        self.tlb[b + 2] = lo0 & 0x3FFFFFFE
        self.tlb[b + 3] = lo1 & 0x3FFFFFFE
        _c.stlb_flush(self.stlb, self.ctx)
