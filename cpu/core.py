"""The numba-compiled MIPS64 execute loop (R4000/R5000/R7000 integer ISA, CP0, TLB, exceptions).

Everything compiled lives in this one module: numba's on-disk cache keys a function on the
file it is defined in, and does not notice edits to helpers imported from other files.
The plain-Python periphery is ``cpu.state.Cpu`` (owns the arrays, reset, run/resume),
``cpu.isa`` (the instruction table and an assembler) and ``cpu.disasm``.

State (flat numpy arrays, so a native tier-2 translation can take them as pointers)
--------------------------------------------------------------------------------
``regs``  int64[NREGS]: GPR 0..31, HI, LO, PC (next instruction to execute), NPC (the one after
          it: PC+4 or a branch target), DELAY (1 when the instruction at PC sits in a branch delay
          slot), ICOUNT (instructions executed since reset), LLBIT, FPR0..31 (bit patterns), FCSR.
``cp0``   int64[32]: CP0 registers by number (select 0). 32-bit registers are kept zero-extended
          and sign-extended when read; Count and Random are computed on read.
``tlb``   int64[64*4]: per entry PageMask, EntryHi (VPN2|R|ASID, G kept in bit 12), EntryLo0, EntryLo1.
``stlb``  int64[3*STLB_N]: software TLB cache of 4 KB pages that live in RAM: read tags, write tags
          (a page is write-tagged only when a store may go through without an exception), and the
          host delta (RAM index - virtual address).
``ctx``   int64[NCTX]: exit details, device read completion, idle PC, breakpoints, external IRQ
          lines, timer mode, exception hook mask.
``ram``   uint8[]: guest RAM (never reallocated: it may be an mmap view), in two physical banks
          (the c7200 NPE-400 layout): RAM index i < 256 MB is physical i, and RAM above 256 MB
          (index 256 MB + k) is physical RAM_HIGH_BASE + k (0x20000000..). Physical
          0x10000000..0x1FFFFFFF is never RAM (devices), whatever len(ram). ``ram_index`` maps
          a physical address to its RAM index; only it decides what is RAM (soft-TLB fill,
          instruction fetch, the device exit decision), so the hot paths only see indices.
``rom``   uint8[]: ROM at physical 0x1fc00000.

Exit reasons returned by ``run`` (see ``cpu.state.ExitReason``)
-------------------------------------------------------------
SLICE       ran max_n instructions.
DEV_READ    a load hit a physical address outside RAM/ROM. ctx[C_EXIT_ADDR] (physical),
            ctx[C_EXIT_WIDTH] (1, 2, 4, 8). The instruction is retired already (PC is past it);
            the caller stores the bus value in ctx[C_READ_VALUE] and calls ``run`` again: the
            loop first writes it to the destination register (sign/zero extended as the load
            demands), then continues.
DEV_WRITE   a store outside RAM (including writes to ROM). ctx[C_EXIT_VALUE] holds the value
            (masked to the width). The store is retired; the caller services it and resumes.
HALT        ctx[C_HALT_REQ] was set by the caller, or WAIT executed while no interrupt can ever
            be taken (IE=0, EXL/ERL set, or all IM bits clear).
IDLE        PC reached ctx[C_IDLE_PC] (not reported again when the next run resumes at that
            same PC, also through an interrupt taken first, so
            calling ``run`` again continues).
BREAKPOINT  PC reached one of ctx[C_BP0 : C_BP0 + ctx[C_NBP]] (same first-instruction rule).
WAIT        WAIT executed with interrupts possible; PC is past the WAIT. The caller may sleep
            until an IRQ line rises and then resume.
EXCEPTION   host exception hook: an exception whose code bit is set in ctx[C_EXC_HOOK] was raised
            while Status.BEV=1 (the ROM monitor may live host-side). EPC, Cause and Status are
            untouched (BadVAddr/Context/EntryHi do hold an address/TLB error's address); ctx[C_EXC_CODE], ctx[C_EXC_PC] (the faulting
            instruction), ctx[C_EXC_DELAY] describe it, and the state is already past the
            faulting instruction (a branch in front of it is honoured), so for SYSCALL the host
            reads a0.., writes v0 and simply calls ``run`` again: that is "EPC+4 and ERET".
            (An exception on instruction fetch leaves PC at the faulting address.) The
            host may instead deliver it architecturally with ``Cpu.raise_exception``.

Interrupts: Cause.IP2..IP6 are level lines in ctx[C_IRQ] (Cause bit positions 10..14) set by
the caller between runs; IP0/IP1 are written by MTC0 Cause; IP7 is the timer: in deterministic
mode (ctx[C_TIMER_MODE] == 0) Count = C_COUNT_BASE + ICOUNT // C_COUNT_DIV and IP7 rises when
Count reaches Compare; in host mode Count is a plain register and the caller raises IP7
(Cause bit 15). Writing Compare clears IP7. Pending interrupts are checked when ``run`` starts,
after MTC0 and ERET, at timer events and every EVENT_CHUNK (65536) instructions; the last also
picks up ctx[C_HALT_REQ] and IRQ lines written by another thread while the loop runs (nogil).

Deviations from silicon, on purpose: no caches (CACHE is a privileged no-op), Watch exceptions
for data accesses only (R4000), an FPU without a datapath (with CU1 set: the register file
under FR=0/1, MFC1/MTC1/DMFC1/DMTC1/CFC1/CTC1, LWC1/LDC1/SWC1/SDC1 and the indexed COP1X forms,
BC1F/BC1T(L), MOVF/MOVT and FCSR work; arithmetic, conversions and compares raise FPE with
FCSR Cause.E, the R4000 FPU's Unimplemented Operation; with CU1 clear all of it raises CpU),
BC0x raises RI, DIV/DDIV by zero leave
HI/LO unchanged (architecturally UNPREDICTABLE), LWL/LWR/LDL/LDR/SWL/SWR/SDL/SDR outside RAM raise
a bus error (DBE), and 32-bit instructions on non-sign-extended operands (UNPREDICTABLE in
MIPS64) use the low word, as the R4000 does. The TLB refill vector is chosen R4000-style: the
XTLB refill offset 0x080 when the current mode's KX/SX/UX bit is set.
"""

import numpy as np
from numba import njit

# ---------------------------------------------------------------- layout
R_HI = 32
R_LO = 33
R_PC = 34
R_NPC = 35
R_DELAY = 36
R_ICOUNT = 37
R_LLBIT = 38
R_FPR = 40  # 32 FPRs as int64 bit patterns (FR=0: the 32-bit register k is the low/high half
#             of slot k & ~1, odd k the high half)
R_FCSR = 72  # FCR31
NREGS = 80

CP0_INDEX = 0
CP0_RANDOM = 1
CP0_ENTRYLO0 = 2
CP0_ENTRYLO1 = 3
CP0_CONTEXT = 4
CP0_PAGEMASK = 5
CP0_WIRED = 6
CP0_BADVADDR = 8
CP0_COUNT = 9
CP0_ENTRYHI = 10
CP0_COMPARE = 11
CP0_STATUS = 12
CP0_CAUSE = 13
CP0_EPC = 14
CP0_PRID = 15
CP0_CONFIG = 16
CP0_LLADDR = 17
CP0_WATCHLO = 18
CP0_WATCHHI = 19
CP0_XCONTEXT = 20
CP0_TAGLO = 28
CP0_TAGHI = 29
CP0_ERROREPC = 30

C_EXIT_ADDR = 0
C_EXIT_WIDTH = 1
C_EXIT_VALUE = 2
C_EXIT_REG = 3
C_EXIT_SIGNED = 4
C_PEND_READ = 5
C_READ_VALUE = 6
C_IDLE_PC = 7
C_IRQ = 8
C_TIMER_MODE = 9
C_COUNT_DIV = 10
C_COUNT_BASE = 11
C_TLB_SIZE = 12
C_HALT_REQ = 13
C_EXC_HOOK = 14
C_EXC_CODE = 15
C_EXC_PC = 16
C_EXC_DELAY = 17
C_MODE = 18
C_TIMER_EVENT = 19
C_RANDOM_BASE = 20
C_NBP = 21
C_BP0 = 22
MAX_BP = 8
C_STLB_FLUSHES = 31
C_EXC_REFILL = 32  # set by an instruction raising a TLB refill
C_EXC_CE = 33  # Cause.CE for a Coprocessor Unusable exception
C_STOPPED_AT = 34  # the PC of the last IDLE/BREAKPOINT exit (1: none; PCs are aligned)
NCTX = 40

EXIT_SLICE = 0
EXIT_DEV_READ = 1
EXIT_DEV_WRITE = 2
EXIT_HALT = 3
EXIT_IDLE = 4
EXIT_BREAKPOINT = 5
EXIT_WAIT = 6
EXIT_EXCEPTION = 7

# exception codes (Cause.ExcCode)
EXC_INT = 0
EXC_MOD = 1
EXC_TLBL = 2
EXC_TLBS = 3
EXC_ADEL = 4
EXC_ADES = 5
EXC_IBE = 6
EXC_DBE = 7
EXC_SYS = 8
EXC_BP = 9
EXC_RI = 10
EXC_CPU = 11
EXC_OV = 12
EXC_TR = 13
EXC_FPE = 15
EXC_WATCH = 23

ST_IE = 1
ST_EXL = 2
ST_ERL = 4
ST_KSU = 0x18
ST_UX = 0x20
ST_SX = 0x40
ST_KX = 0x80
ST_BEV = 0x400000
ST_TS = 0x200000
ST_CU0 = 0x10000000
ST_CU1 = 0x20000000
ST_CU2 = 0x40000000
ST_FR = 0x04000000
FCSR_MASK = 0xFF83FFFF  # FCC7..1, FS, FCC0, Cause, Enables, Flags, RM
FCSR_E = 1 << 17  # Cause.E: unimplemented operation
CAUSE_BD = 0x80000000
CAUSE_IV = 0x800000
CAUSE_IP7 = 0x8000

ROM_BASE = 0x1FC00000
RAM_LOW_LIMIT = 0x10000000  # RAM at physical 0 holds at most 256 MB ...
RAM_HIGH_BASE = 0x20000000  # ... the rest sits here (NPE-400: RAM 256..512 MB)
RESET_PC = -0x40400000  # 0xffffffffbfc00000
VEC_BEV = -0x403FFE00  # 0xffffffffbfc00200
VEC_NORMAL = -0x80000000  # 0xffffffff80000000
VPN2R = -0x3FFFFF0000002000  # 0xc00000ffffffe000: EntryHi R and VPN2 fields
PFN_MASK = 0xFFFFFF  # 36-bit physical addresses
WFLAG = 1 << 40  # translate(): the page may be written without an exception
MASK32 = 0xFFFFFFFF
INT64_MIN = -0x8000000000000000

STLB_BITS = 10
STLB_N = 1 << STLB_BITS
STLB_MASK = STLB_N - 1
STLB_W = STLB_N
STLB_OFF = 2 * STLB_N
STLB_INVALID = 0x7FFFFFFFFFFFFFFF  # never equal to va >> 12
# Code page cache: the fast fetch path runs while (pc & ~0xFFC) == cpage, i.e. same 4 KB page
# and a word-aligned PC (a misaligned JR target must reach the slow path's AdEL check). The
# sentinel has a bit in 2..11 set, so no PC ever matches it.
PAGE_NOCACHE = 4
EVENT_CHUNK = 1 << 16

# Per primary opcode 0x20..0x3f: access size - 1 as alignment mask (-1: not a plain access)
ALIGN = np.array(
    [0, 1, 0, 3, 0, 1, 0, 3,  # LB LH LWL LW LBU LHU LWR LWU
     0, 1, 0, 3, 0, 0, 0, -1,  # SB SH SWL SW SDL SDR SWR CACHE
     3, -1, -1, -1, 7, -1, -1, 7,  # LL LWC1 LWC2 PREF LLD LDC1 LDC2 LD
     3, -1, -1, -1, 7, -1, -1, 7],  # SC SWC1 SWC2 (SWC3) SCD SDC1 SDC2 SD
    dtype=np.int64)
WIDTH = np.array(
    [1, 2, 4, 4, 1, 2, 4, 4, 1, 2, 4, 4, 8, 8, 4, 0,
     4, 0, 0, 0, 8, 0, 0, 8, 4, 0, 0, 0, 8, 0, 0, 8], dtype=np.int64)


# ---------------------------------------------------------------- small helpers
@njit(cache=True, nogil=True, inline="always")
def sext32(x):
    return np.int64(np.int32(x & MASK32))


@njit(cache=True, nogil=True, inline="always")
def sext16(x):
    return np.int64(np.int16(x & 0xFFFF))


@njit(cache=True, nogil=True, inline="always")
def srl64(x, s):
    """Logical right shift of an int64 by 0..63."""
    return np.int64(np.uint64(x) >> np.uint64(s))


@njit(cache=True, nogil=True, inline="always")
def ult(a, b):
    """Unsigned 64-bit a < b."""
    return (a ^ INT64_MIN) < (b ^ INT64_MIN)


@njit(cache=True, nogil=True, inline="always")
def add64(a, b):
    """Wrapping 64-bit add. numba marks signed int64 add/sub/mul `nsw` (overflow is undefined
    behaviour to LLVM, which then folds away sign tests and sign extensions), so every
    arithmetic that may wrap goes through uint64."""
    return np.int64(np.uint64(a) + np.uint64(b))


@njit(cache=True, nogil=True, inline="always")
def sub64(a, b):
    return np.int64(np.uint64(a) - np.uint64(b))


@njit(cache=True, nogil=True, inline="always")
def mul64(a, b):
    return np.int64(np.uint64(a) * np.uint64(b))


# Guest memory accessors (big-endian). Indices are made unsigned: with a signed index numba
# adds a negative-index wraparound select to every byte access, which also stops LLVM from
# merging the byte loads into one load + byte swap (movbe).
@njit(cache=True, nogil=True, inline="always")
def rd16(m, h):
    u = np.uint64(h)
    return (np.int64(m[u]) << 8) | np.int64(m[u + np.uint64(1)])


@njit(cache=True, nogil=True, inline="always")
def rd32(m, h):
    u = np.uint64(h)
    return ((np.int64(m[u]) << 24) | (np.int64(m[u + np.uint64(1)]) << 16)
            | (np.int64(m[u + np.uint64(2)]) << 8) | np.int64(m[u + np.uint64(3)]))


@njit(cache=True, nogil=True, inline="always")
def rd64(m, h):
    return (rd32(m, h) << 32) | rd32(m, h + 4)


@njit(cache=True, nogil=True, inline="always")
def wr32(m, h, v):
    u = np.uint64(h)
    m[u] = (v >> 24) & 0xFF
    m[u + np.uint64(1)] = (v >> 16) & 0xFF
    m[u + np.uint64(2)] = (v >> 8) & 0xFF
    m[u + np.uint64(3)] = v & 0xFF


@njit(cache=True, nogil=True, inline="always")
def wr64(m, h, v):
    wr32(m, h, v >> 32)
    wr32(m, h + 4, v)


@njit(cache=True, nogil=True)
def mulhi_u64(a, b):
    """High 64 bits of the unsigned 128-bit product of two int64 bit patterns."""
    ua = np.uint64(a)
    ub = np.uint64(b)
    m32 = np.uint64(MASK32)
    s32 = np.uint64(32)
    al = ua & m32
    ah = ua >> s32
    bl = ub & m32
    bh = ub >> s32
    ll = al * bl
    lh = al * bh
    hl = ah * bl
    hh = ah * bh
    mid = (ll >> s32) + (lh & m32) + (hl & m32)
    return np.int64(hh + (lh >> s32) + (hl >> s32) + (mid >> s32))


@njit(cache=True, nogil=True)
def mulhi_s64(a, b):
    h = mulhi_u64(a, b)
    if a < 0:
        h = sub64(h, b)
    if b < 0:
        h = sub64(h, a)
    return h


@njit(cache=True, nogil=True)
def divmod_u64(a, b):
    ua = np.uint64(a)
    ub = np.uint64(b)
    q = ua // ub
    return np.int64(q), np.int64(ua - q * ub)


@njit(cache=True, nogil=True)
def divmod_s64(a, b):
    """Truncating signed division (INT64_MIN / -1 gives INT64_MIN, remainder 0)."""
    ua = np.uint64(a) if a >= 0 else np.uint64(0) - np.uint64(a)
    ub = np.uint64(b) if b >= 0 else np.uint64(0) - np.uint64(b)
    q = np.int64(ua // ub)
    r = np.int64(ua % ub)
    if (a < 0) != (b < 0):
        q = sub64(0, q)
    if a < 0:
        r = sub64(0, r)
    return q, r


# ---------------------------------------------------------------- mode, soft TLB
@njit(cache=True, nogil=True)
def priv_level(st):
    """0 kernel, 1 supervisor, 2 user (KSU=3 is treated as user)."""
    if st & (ST_EXL | ST_ERL):
        return 0
    k = (st >> 3) & 3
    return 2 if k == 3 else k


@njit(cache=True, nogil=True)
def stlb_flush(stlb, ctx):
    for i in range(2 * STLB_N):
        stlb[i] = STLB_INVALID
    ctx[C_STLB_FLUSHES] += 1


@njit(cache=True, nogil=True)
def stlb_drop_range(stlb, ctx, va, size):
    """Forget cached translations of [va, va + size) (a TLB entry being overwritten); a full
    flush when the range is large."""
    if size > (64 << 12):
        stlb_flush(stlb, ctx)
        return
    vp = va >> 12
    for k in range(size >> 12):
        i = (vp + k) & STLB_MASK
        if stlb[i] == vp + k or stlb[STLB_W + i] == vp + k:
            stlb[i] = STLB_INVALID
            stlb[STLB_W + i] = STLB_INVALID


@njit(cache=True, nogil=True)
def mode_update(cp0, ctx, stlb):
    """Flush the software TLB when the translation regime (privilege, KX/SX/UX, ERL) changed."""
    st = cp0[CP0_STATUS]
    key = priv_level(st) | (st & (ST_ERL | ST_UX | ST_SX | ST_KX)) << 4
    if key != ctx[C_MODE]:
        ctx[C_MODE] = key
        stlb_flush(stlb, ctx)


@njit(cache=True, nogil=True)
def can64(st):
    """64-bit operations are legal in kernel mode, and in supervisor/user mode with SX/UX."""
    p = priv_level(st)
    if p == 0:
        return True
    if p == 1:
        return (st & ST_SX) != 0
    return (st & ST_UX) != 0


# ---------------------------------------------------------------- physical RAM
@njit(cache=True, nogil=True)
def ram_index(pa, ramsize):
    """RAM index of physical address pa (>= 0), or -1 when pa is not RAM. Both banks are
    whole 4 KB pages (len(ram) is), so a page is either all RAM or all not."""
    if pa < RAM_LOW_LIMIT:
        return pa if pa < ramsize else -1
    if pa >= RAM_HIGH_BASE:
        i = pa - (RAM_HIGH_BASE - RAM_LOW_LIMIT)
        if i < ramsize:
            return i
    return -1


@njit(cache=True, nogil=True)
def ram_phys(i):
    """Physical address of RAM index i (the inverse of ``ram_index``)."""
    return i if i < RAM_LOW_LIMIT else i + (RAM_HIGH_BASE - RAM_LOW_LIMIT)


# ---------------------------------------------------------------- translation
@njit(cache=True, nogil=True)
def tlb_fault(cp0, va, code, refill):
    """Record a TLB exception's BadVAddr/Context/XContext/EntryHi; return the error code."""
    cp0[CP0_BADVADDR] = va
    cp0[CP0_CONTEXT] = (cp0[CP0_CONTEXT] & ~0x7FFFFF) | ((va >> 9) & 0x7FFFF0)
    cp0[CP0_XCONTEXT] = ((cp0[CP0_XCONTEXT] & ~((1 << 33) - 1))
                         | (((va >> 62) & 3) << 31) | (((va >> 13) & 0x7FFFFFF) << 4))
    cp0[CP0_ENTRYHI] = (va & VPN2R) | (cp0[CP0_ENTRYHI] & 0xFF)
    return -1 - (code + 32 * refill)


@njit(cache=True, nogil=True)
def addr_error(cp0, va, acc):
    cp0[CP0_BADVADDR] = va
    return -1 - (EXC_ADES if acc == 1 else EXC_ADEL)


@njit(cache=True, nogil=True)
def tlb_lookup(tlb, n, va, asid):
    for i in range(n):
        b = 4 * i
        m = tlb[b] | 0x1FFF
        hi = tlb[b + 1]
        if ((va ^ hi) & VPN2R & ~m) == 0 and ((hi & 0x1000) != 0 or (hi & 0xFF) == asid):
            return i
    return -1


@njit(cache=True, nogil=True)
def translate(va, acc, cp0, tlb, ctx):
    """Virtual to physical. acc: 0 load, 1 store, 2 fetch.

    Returns the physical address (| WFLAG when a store may go through), or a negative error
    -1 - (ExcCode + 32 * refill) with BadVAddr etc. already recorded in CP0.
    """
    st = cp0[CP0_STATUS]
    priv = priv_level(st)
    if va == sext32(va):
        u = va & MASK32
        if u < 0x80000000:
            if priv == 0 and (st & ST_ERL) != 0:
                return u | WFLAG
        elif u < 0xC0000000:
            if priv != 0:
                return addr_error(cp0, va, acc)
            return (u & 0x1FFFFFFF) | WFLAG
        elif u < 0xE0000000:
            if priv == 2:
                return addr_error(cp0, va, acc)
        elif priv != 0:
            return addr_error(cp0, va, acc)
    else:
        if priv == 0:
            x = st & ST_KX
        elif priv == 1:
            x = st & ST_SX
        else:
            x = st & ST_UX
        if x == 0:
            return addr_error(cp0, va, acc)
        region = (va >> 62) & 3
        off = va & 0x3FFFFFFFFFFFFFFF
        if region == 0:
            if off >= (1 << 40):
                return addr_error(cp0, va, acc)
        elif region == 1:
            if priv == 2 or off >= (1 << 40):
                return addr_error(cp0, va, acc)
        elif region == 2:
            if priv != 0 or ((va >> 36) & 0x7FFFFF) != 0:
                return addr_error(cp0, va, acc)
            return (va & 0xFFFFFFFFF) | WFLAG
        else:
            if priv != 0 or off >= (1 << 40) - (1 << 31):
                return addr_error(cp0, va, acc)
    # mapped through the TLB
    i = tlb_lookup(tlb, ctx[C_TLB_SIZE], va, cp0[CP0_ENTRYHI] & 0xFF)
    store = 1 if acc == 1 else 0
    if i < 0:
        return tlb_fault(cp0, va, EXC_TLBL + store, 1)
    b = 4 * i
    half = ((tlb[b] | 0x1FFF) + 1) >> 1
    lo = tlb[b + 3] if (va & half) else tlb[b + 2]
    if (lo & 2) == 0:
        return tlb_fault(cp0, va, EXC_TLBL + store, 0)
    if store and (lo & 4) == 0:
        return tlb_fault(cp0, va, EXC_MOD, 0)
    pa = (((lo >> 6) & PFN_MASK) << 12) & ~(half - 1) | (va & (half - 1))
    if lo & 4:
        pa |= WFLAG
    return pa


@njit(cache=True, nogil=True)
def data_slow(va, store, cp0, tlb, stlb, ctx, ramsize):
    """Soft-TLB miss. Returns a RAM index (``ram_index``; and fills the cache), -1 for an
    exception (code in ctx[C_EXC_CODE]), or -2 for a non-RAM physical address (in
    ctx[C_EXIT_ADDR])."""
    pa = translate(va, 1 if store else 0, cp0, tlb, ctx)
    if pa < 0:
        ctx[C_EXC_CODE] = -1 - pa
        return -1
    w = pa & WFLAG
    pa &= WFLAG - 1
    wl = cp0[CP0_WATCHLO]
    if wl & 3:
        # Watch (R4000): a load (R bit 1) or store (W bit 0) to the watched physical
        # doubleword, unless EXL/ERL. The watched page is never cached, so every access to
        # it comes here.
        wpa = ((cp0[CP0_WATCHHI] & 0xF) << 32) | (wl & 0xFFFFFFF8)
        if ((pa >> 3) == (wpa >> 3) and (wl & (1 if store else 2)) != 0
                and (cp0[CP0_STATUS] & (ST_EXL | ST_ERL)) == 0):
            ctx[C_EXC_CODE] = EXC_WATCH
            return -1
        if (pa >> 12) == (wpa >> 12):
            h = ram_index(pa, ramsize)
            if h >= 0:
                return h
    h = ram_index(pa, ramsize)
    if h >= 0:  # the whole 4 KB page is RAM
        vp = va >> 12
        i = vp & STLB_MASK
        stlb[i] = vp
        stlb[STLB_W + i] = vp if w else STLB_INVALID
        stlb[STLB_OFF + i] = (h & ~0xFFF) - (va & ~0xFFF)
        return h
    ctx[C_EXIT_ADDR] = pa
    return -2


# ---------------------------------------------------------------- exceptions
@njit(cache=True, nogil=True)
def exception_vector(cp0, code, pc, delay, refill, ce):
    """Enter an exception: EPC/BD (unless EXL), Cause, Status.EXL; return the vector."""
    st = cp0[CP0_STATUS]
    cause = cp0[CP0_CAUSE] & ~(0x7C | 0x30000000)
    off = 0x180
    if (st & ST_EXL) == 0:
        if delay:
            cp0[CP0_EPC] = pc - 4
            cause |= CAUSE_BD
        else:
            cp0[CP0_EPC] = pc
            cause &= ~CAUSE_BD
        if refill:
            p = priv_level(st)
            x = st & (ST_KX if p == 0 else (ST_SX if p == 1 else ST_UX))
            off = 0x080 if x else 0
    if code == EXC_INT and (cause & CAUSE_IV) != 0:
        off = 0x200
    cp0[CP0_CAUSE] = cause | (code << 2) | (ce << 28)
    cp0[CP0_STATUS] = st | ST_EXL
    base = VEC_BEV if (st & ST_BEV) else VEC_NORMAL
    return base + off


@njit(cache=True, nogil=True)
def enter_exception(cp0, ctx, stlb, code, pc, delay):
    """Raise exception `code` for the instruction at pc; return the vector, or 1 when the
    host hook takes it (Status.BEV=1 and the code's bit set in ctx[C_EXC_HOOK])."""
    refill = ctx[C_EXC_REFILL]
    ce = ctx[C_EXC_CE]
    ctx[C_EXC_REFILL] = 0
    ctx[C_EXC_CE] = 0
    if (ctx[C_EXC_HOOK] >> code) & 1 and (cp0[CP0_STATUS] & ST_BEV) != 0:
        ctx[C_EXC_CODE] = code
        ctx[C_EXC_PC] = pc
        ctx[C_EXC_DELAY] = delay
        return 1
    v = exception_vector(cp0, code, pc, delay, refill, ce)
    mode_update(cp0, ctx, stlb)
    return v


# ---------------------------------------------------------------- CP0 access
@njit(cache=True, nogil=True)
def timer_schedule(cp0, ctx, icount):
    """Deterministic timer: the instruction count at which Count next equals Compare."""
    div = ctx[C_COUNT_DIV]
    cur = icount // div
    now = (ctx[C_COUNT_BASE] + cur) & MASK32
    delta = (cp0[CP0_COMPARE] - now) & MASK32
    if delta == 0:
        delta = 1 << 32
    ctx[C_TIMER_EVENT] = (cur + delta) * div


@njit(cache=True, nogil=True)
def cp0_read(cp0, ctx, r, icount, dbl):
    if r == CP0_COUNT:
        if ctx[C_TIMER_MODE] == 0:
            return sext32(ctx[C_COUNT_BASE] + icount // ctx[C_COUNT_DIV])
        return sext32(cp0[CP0_COUNT])
    if r == CP0_RANDOM:
        n = ctx[C_TLB_SIZE]
        w = cp0[CP0_WIRED]
        if w >= n:
            return n - 1
        return n - 1 - ((icount - ctx[C_RANDOM_BASE]) % (n - w))
    if r == CP0_CAUSE:
        return sext32(cp0[CP0_CAUSE] | (ctx[C_IRQ] & 0x7C00))
    v = cp0[r]
    if (r == CP0_ENTRYLO0 or r == CP0_ENTRYLO1 or r == CP0_CONTEXT or r == CP0_BADVADDR
            or r == CP0_ENTRYHI or r == CP0_EPC or r == CP0_XCONTEXT or r == CP0_ERROREPC):
        if dbl:
            return v
    return sext32(v)


@njit(cache=True, nogil=True)
def cp0_write(cp0, ctx, stlb, r, v, icount):
    if r == CP0_INDEX:
        cp0[r] = (cp0[r] & 0x80000000) | (v & 0x3F)
    elif r == CP0_ENTRYLO0 or r == CP0_ENTRYLO1:
        cp0[r] = v & 0x3FFFFFFF
    elif r == CP0_CONTEXT:
        cp0[r] = (v & ~0x7FFFFF) | (cp0[r] & 0x7FFFF0)
    elif r == CP0_PAGEMASK:
        cp0[r] = v & 0x1FFE000
    elif r == CP0_WIRED:
        cp0[r] = v & 0x3F
        ctx[C_RANDOM_BASE] = icount
    elif r == CP0_COUNT:
        if ctx[C_TIMER_MODE] == 0:
            ctx[C_COUNT_BASE] = (v - icount // ctx[C_COUNT_DIV]) & MASK32
            timer_schedule(cp0, ctx, icount)
        else:
            cp0[r] = v & MASK32
    elif r == CP0_ENTRYHI:
        nv = v & (VPN2R | 0xFF)
        if (nv & 0xFF) != (cp0[r] & 0xFF):
            stlb_flush(stlb, ctx)
        cp0[r] = nv
    elif r == CP0_COMPARE:
        cp0[r] = v & MASK32
        cp0[CP0_CAUSE] &= ~CAUSE_IP7
        if ctx[C_TIMER_MODE] == 0:
            timer_schedule(cp0, ctx, icount)
    elif r == CP0_STATUS:
        cp0[r] = (v & MASK32 & ~ST_TS) | (cp0[r] & ST_TS)
        mode_update(cp0, ctx, stlb)
    elif r == CP0_CAUSE:
        cp0[r] = (cp0[r] & ~(0x300 | CAUSE_IV)) | (v & (0x300 | CAUSE_IV))
    elif r == CP0_CONFIG:
        cp0[r] = (cp0[r] & ~7) | (v & 7)
    elif r == CP0_XCONTEXT:
        cp0[r] = (v & ~((1 << 33) - 1)) | (cp0[r] & ((1 << 33) - 1))
    elif r == CP0_WATCHLO or r == CP0_WATCHHI:
        cp0[r] = (v & 0xFFFFFFFB) if r == CP0_WATCHLO else (v & 0xF)
        stlb_flush(stlb, ctx)  # the watched page must not stay in the software TLB
    elif r == CP0_EPC or r == CP0_ERROREPC or r == CP0_TAGLO or r == CP0_TAGHI:
        cp0[r] = v
    elif r == CP0_LLADDR:
        cp0[r] = v & MASK32
    # Random, BadVAddr, PRId and unimplemented registers ignore writes


@njit(cache=True, nogil=True)
def tlb_op(cp0, tlb, ctx, stlb, funct, icount):
    n = ctx[C_TLB_SIZE]
    if funct == 0x01:  # TLBR
        b = 4 * ((cp0[CP0_INDEX] & 0x3F) % n)
        g = (tlb[b + 1] >> 12) & 1
        cp0[CP0_PAGEMASK] = tlb[b]
        old = cp0[CP0_ENTRYHI]
        cp0[CP0_ENTRYHI] = tlb[b + 1] & ~0x1000
        cp0[CP0_ENTRYLO0] = tlb[b + 2] | g
        cp0[CP0_ENTRYLO1] = tlb[b + 3] | g
        if (old & 0xFF) != (cp0[CP0_ENTRYHI] & 0xFF):
            stlb_flush(stlb, ctx)
    elif funct == 0x02 or funct == 0x06:  # TLBWI / TLBWR
        if funct == 0x02:
            i = (cp0[CP0_INDEX] & 0x3F) % n
        else:
            i = cp0_read(cp0, ctx, CP0_RANDOM, icount, False)
        b = 4 * i
        # only translations through the entry being replaced can be cached: a valid entry
        # of the current ASID (or global); kseg3/ksseg pages also live at their 32-bit
        # sign-extended addresses
        ohi = tlb[b + 1]
        if ((tlb[b + 2] | tlb[b + 3]) & 2) != 0 and (
                (ohi & 0x1000) != 0 or (ohi & 0xFF) == (cp0[CP0_ENTRYHI] & 0xFF)):
            om = tlb[b] | 0x1FFF
            ova = ohi & VPN2R & ~om
            stlb_drop_range(stlb, ctx, ova, om + 1)
            if (ova >> 62) & 3 == 3:
                stlb_drop_range(stlb, ctx, ova | 0x3FFFFF0000000000, om + 1)
        g = cp0[CP0_ENTRYLO0] & cp0[CP0_ENTRYLO1] & 1
        m = cp0[CP0_PAGEMASK]
        tlb[b] = m
        tlb[b + 1] = (cp0[CP0_ENTRYHI] & VPN2R & ~m) | (cp0[CP0_ENTRYHI] & 0xFF) | (g << 12)
        tlb[b + 2] = cp0[CP0_ENTRYLO0] & ~1
        tlb[b + 3] = cp0[CP0_ENTRYLO1] & ~1
    else:  # TLBP
        hi = cp0[CP0_ENTRYHI]
        i = tlb_lookup(tlb, n, hi & VPN2R, hi & 0xFF)
        cp0[CP0_INDEX] = 0x80000000 if i < 0 else i


@njit(cache=True, nogil=True)
def rom_load(op, rom, h):
    """A load (LB LH LW LBU LHU LWU LL LD LLD) served from ROM."""
    if op == 0x20:
        return np.int64(np.int8(rom[h]))
    if op == 0x24:
        return np.int64(rom[h])
    if op == 0x21:
        return sext16(rd16(rom, h))
    if op == 0x25:
        return rd16(rom, h)
    if op == 0x27:
        return rd32(rom, h)
    if op == 0x37 or op == 0x34:
        return rd64(rom, h)
    return sext32(rd32(rom, h))


# ---------------------------------------------------------------- FPU registers (no arithmetic)
@njit(cache=True, nogil=True)
def fpr_get32(r, st, k):
    if st & ST_FR:
        return sext32(r[R_FPR + k])
    v = r[R_FPR + (k & 30)]
    return sext32(v >> 32) if k & 1 else sext32(v)


@njit(cache=True, nogil=True)
def fpr_set32(r, st, k, v):
    v &= MASK32
    if st & ST_FR:
        r[R_FPR + k] = (r[R_FPR + k] & ~MASK32) | v
    elif k & 1:
        r[R_FPR + (k & 30)] = (r[R_FPR + (k & 30)] & MASK32) | (v << 32)
    else:
        r[R_FPR + k] = (r[R_FPR + k] & ~MASK32) | v


@njit(cache=True, nogil=True)
def fpr_slot64(st, k):
    """64-bit access to FPR k: with FR=0 an odd k is UNPREDICTABLE; the pair's even slot."""
    return R_FPR + (k if st & ST_FR else k & 30)


@njit(cache=True, nogil=True)
def fp_unimplemented(r):
    """An FP arithmetic/conversion/compare operation: no FPU datapath yet, so raise the FPU's
    Unimplemented Operation exception (FCSR Cause.E, ExcCode FPE), as the R4000 FPU does for
    operations it leaves to software."""
    r[R_FCSR] = (r[R_FCSR] & ~0x3F000) | FCSR_E
    return EXC_FPE


@njit(cache=True, nogil=True)
def cop1(r, cp0, insn, ok64):
    """COP1 moves and control (CU1 usable); returns an ExcCode or 0. BC1x is in the loop."""
    st = cp0[CP0_STATUS]
    rs = (insn >> 21) & 31
    rt = (insn >> 16) & 31
    fs = (insn >> 11) & 31
    if rs == 0:  # MFC1
        r[rt] = fpr_get32(r, st, fs)
    elif rs == 1:  # DMFC1
        if not ok64:
            return EXC_RI
        r[rt] = r[fpr_slot64(st, fs)]
    elif rs == 2:  # CFC1
        if fs == 0:
            r[rt] = cp0[CP0_PRID] & 0xFF00  # FIR: implementation as the CPU's, revision 0
        elif fs == 31:
            r[rt] = sext32(r[R_FCSR])
        else:
            r[rt] = 0
    elif rs == 4:  # MTC1
        fpr_set32(r, st, fs, r[rt])
    elif rs == 5:  # DMTC1
        if not ok64:
            return EXC_RI
        r[fpr_slot64(st, fs)] = r[rt]
    elif rs == 6:  # CTC1
        if fs == 31:
            v = r[rt] & FCSR_MASK
            r[R_FCSR] = v
            # a Cause bit whose Enable is set (or E) traps at once
            if (v >> 12) & (((v >> 7) & 0x1F) | 0x20):
                return EXC_FPE
    elif rs >= 16:  # S D W L (and reserved) formats
        return fp_unimplemented(r)
    else:
        return EXC_RI
    return 0


@njit(cache=True, nogil=True)
def fp_mem(kind, va, ft, r, cp0, tlb, stlb, ctx, ram, rom):
    """LWC1 (0) LDC1 (1) SWC1 (2) SDC1 (3) and the indexed COP1X forms; returns an ExcCode or
    0. Off RAM and ROM they raise a bus error (DBE)."""
    store = kind >= 2
    wide = kind & 1
    if va & (7 if wide else 3):
        cp0[CP0_BADVADDR] = va
        return EXC_ADES if store else EXC_ADEL
    st = cp0[CP0_STATUS]
    vp = va >> 12
    i = vp & STLB_MASK
    tag = stlb[STLB_W + i] if store else stlb[i]
    if tag == vp:
        h = add64(va, stlb[STLB_OFF + i])
        m = 0
    else:
        h = data_slow(va, store, cp0, tlb, stlb, ctx, ram.shape[0])
        m = 0
        if h == -1:
            e = ctx[C_EXC_CODE]
            ctx[C_EXC_REFILL] = e >> 5
            return e & 31
        if h == -2:
            pa = ctx[C_EXIT_ADDR]
            if store or pa < ROM_BASE or pa + 8 > ROM_BASE + rom.shape[0]:
                return EXC_DBE
            h = pa - ROM_BASE
            m = 1
    if kind == 0:
        fpr_set32(r, st, ft, rd32(rom, h) if m else rd32(ram, h))
    elif kind == 1:
        r[fpr_slot64(st, ft)] = rd64(rom, h) if m else rd64(ram, h)
    elif kind == 2:
        wr32(ram, h, fpr_get32(r, st, ft))
    else:
        wr64(ram, h, r[fpr_slot64(st, ft)])
    return 0


# ---------------------------------------------------------------- the loop
@njit(cache=True, nogil=True)
def run(regs, cp0, tlb, stlb, ctx, ram, rom, max_n):
    """Execute up to max_n instructions; return an EXIT_* reason (module docstring)."""
    r = regs  # noqa: the loop below must not assign array variables (NRT refcount calls)
    ramsize = ram.shape[0]
    romsize = rom.shape[0]
    if ctx[C_PEND_READ]:
        ctx[C_PEND_READ] = 0
        v = ctx[C_READ_VALUE]
        wdt = ctx[C_EXIT_WIDTH]
        if wdt == 1:
            v = np.int64(np.int8(v & 0xFF)) if ctx[C_EXIT_SIGNED] else v & 0xFF
        elif wdt == 2:
            v = sext16(v) if ctx[C_EXIT_SIGNED] else v & 0xFFFF
        elif wdt == 4:
            v = sext32(v) if ctx[C_EXIT_SIGNED] else v & MASK32
        dst = ctx[C_EXIT_REG]
        if dst != 0:
            r[dst] = v
    pc = r[R_PC]
    npc = r[R_NPC]
    delay = r[R_DELAY]
    ic0 = r[R_ICOUNT]
    st0 = cp0[CP0_STATUS]
    ok64 = can64(st0)
    mode_update(cp0, ctx, stlb)
    n = 0
    limit = 0  # run the event check before the first instruction
    # A run that resumes where an IDLE/BREAKPOINT exit stopped passes that PC once (else it
    # could never leave it); any other resume, e.g. after a device read, checks it at once.
    resume_pc = pc if ctx[C_STOPPED_AT] == pc else -1
    ctx[C_STOPPED_AT] = 1
    exit_code = 0
    ctx[C_EXC_REFILL] = 0
    ctx[C_EXC_CE] = 0
    cpage = PAGE_NOCACHE
    cdelta = 0
    while True:
        if n >= limit:
            # ---- events: timer, halt, slice end, interrupts
            if ctx[C_TIMER_MODE] == 0 and ic0 + n >= ctx[C_TIMER_EVENT]:
                cp0[CP0_CAUSE] |= CAUSE_IP7
                ctx[C_TIMER_EVENT] += ctx[C_COUNT_DIV] << 32
            if ctx[C_HALT_REQ]:
                exit_code = EXIT_HALT
                break
            if n >= max_n:
                exit_code = EXIT_SLICE
                break
            st = cp0[CP0_STATUS]
            if (st & (ST_IE | ST_EXL | ST_ERL)) == ST_IE:
                if (cp0[CP0_CAUSE] | (ctx[C_IRQ] & 0x7C00)) & st & 0xFF00:
                    pc = exception_vector(cp0, EXC_INT, pc, delay, 0, 0)
                    npc = pc + 4
                    delay = 0
                    mode_update(cp0, ctx, stlb)
                    ok64 = True
                    cpage = PAGE_NOCACHE
            # next event: slice end, the timer, or EVENT_CHUNK instructions from now (so a
            # halt request or IRQ line set by another thread is seen within ~0.3 ms)
            limit = max_n if max_n - n <= EVENT_CHUNK else n + EVENT_CHUNK
            if ctx[C_TIMER_MODE] == 0:
                tev = ctx[C_TIMER_EVENT] - ic0
                if tev < limit:
                    limit = tev if tev > n else n + 1
        # ---- fetch (the host offset of the current code page is cached in cdelta)
        if (pc & ~0xFFC) == cpage:
            insn = rd32(ram, pc + cdelta)
        else:
            if pc == resume_pc:
                # The PC a run resumes at is passed once without stopping, also when an
                # interrupt taken first returns to it (else idle PC + timer = livelock).
                resume_pc = -1
            else:
                idle = ctx[C_IDLE_PC]
                stop = pc == idle
                for k in range(ctx[C_NBP]):
                    if pc == ctx[C_BP0 + k]:
                        stop = True
                if stop:
                    exit_code = EXIT_IDLE if pc == idle else EXIT_BREAKPOINT
                    ctx[C_STOPPED_AT] = pc
                    break
            insn = 0
            fexc = 0
            pa = 0
            fidx = -1
            if pc & 3:
                cp0[CP0_BADVADDR] = pc
                fexc = EXC_ADEL
            else:
                pa = translate(pc, 2, cp0, tlb, ctx)
                if pa < 0:
                    fexc = (-1 - pa) & 31
                    ctx[C_EXC_REFILL] = (-1 - pa) >> 5
                else:
                    pa &= WFLAG - 1
                    fidx = ram_index(pa, ramsize)
                    if fidx >= 0:
                        insn = rd32(ram, fidx)
                        cdelta = fidx - pc
                    elif ROM_BASE <= pa and pa + 4 <= ROM_BASE + romsize:
                        insn = rd32(rom, pa - ROM_BASE)  # ROM code: fetched uncached (boot)
                    else:
                        fexc = EXC_IBE
            if fexc != 0:
                # fetch exception (PC not advanced; a hooked one exits with PC = the fault)
                v = enter_exception(cp0, ctx, stlb, fexc, pc, delay)
                if v == 1:
                    exit_code = EXIT_EXCEPTION
                    break
                pc = v
                npc = v + 4
                delay = 0
                ok64 = True
                cpage = PAGE_NOCACHE
                continue
            pg = pc >> 12
            cpage = (pc & ~0xFFF) if fidx >= 0 else PAGE_NOCACHE
            if (ctx[C_IDLE_PC] >> 12) == pg:
                cpage = PAGE_NOCACHE
            for k in range(ctx[C_NBP]):
                if (ctx[C_BP0 + k] >> 12) == pg:
                    cpage = PAGE_NOCACHE
        cur = pc
        cdl = delay
        pc = npc
        npc += 4
        delay = 0
        n += 1
        r[0] = 0
        exc = 0
        op = insn >> 26
        rs = (insn >> 21) & 31
        rt = (insn >> 16) & 31
        imm = ((insn & 0xFFFF) ^ 0x8000) - 0x8000
        if op == 0:
            # ======== SPECIAL
            rd = (insn >> 11) & 31
            sa = (insn >> 6) & 31
            f = insn & 63
            if f == 0x00:  # SLL
                r[rd] = sext32(r[rt] << sa)
            elif f == 0x21:  # ADDU
                r[rd] = sext32(add64(r[rs], r[rt]))
            elif f == 0x25:  # OR
                r[rd] = r[rs] | r[rt]
            elif f == 0x2D:  # DADDU
                if ok64:
                    r[rd] = add64(r[rs], r[rt])
                else:
                    exc = EXC_RI
            elif f == 0x08:  # JR
                npc = r[rs]
                delay = 1
            elif f == 0x09:  # JALR
                tgt = r[rs]
                r[rd] = cur + 8
                npc = tgt
                delay = 1
            elif f == 0x2B:  # SLTU
                r[rd] = 1 if ult(r[rs], r[rt]) else 0
            elif f == 0x2A:  # SLT
                r[rd] = 1 if r[rs] < r[rt] else 0
            elif f == 0x23:  # SUBU
                r[rd] = sext32(sub64(r[rs], r[rt]))
            elif f == 0x24:  # AND
                r[rd] = r[rs] & r[rt]
            elif f == 0x26:  # XOR
                r[rd] = r[rs] ^ r[rt]
            elif f == 0x27:  # NOR
                r[rd] = ~(r[rs] | r[rt])
            elif f == 0x02:  # SRL
                r[rd] = sext32((r[rt] & MASK32) >> sa)
            elif f == 0x03:  # SRA
                r[rd] = sext32(r[rt]) >> sa
            elif f == 0x04:  # SLLV
                r[rd] = sext32(r[rt] << (r[rs] & 31))
            elif f == 0x06:  # SRLV
                r[rd] = sext32((r[rt] & MASK32) >> (r[rs] & 31))
            elif f == 0x07:  # SRAV
                r[rd] = sext32(r[rt]) >> (r[rs] & 31)
            elif f == 0x10:  # MFHI
                r[rd] = r[R_HI]
            elif f == 0x12:  # MFLO
                r[rd] = r[R_LO]
            elif f == 0x11:  # MTHI
                r[R_HI] = r[rs]
            elif f == 0x13:  # MTLO
                r[R_LO] = r[rs]
            elif f == 0x18:  # MULT
                p = sext32(r[rs]) * sext32(r[rt])
                r[R_LO] = sext32(p)
                r[R_HI] = sext32(p >> 32)
            elif f == 0x19:  # MULTU
                p = mul64(r[rs] & MASK32, r[rt] & MASK32)
                r[R_LO] = sext32(p)
                r[R_HI] = sext32(srl64(p, 32))
            elif f == 0x1A:  # DIV
                b = sext32(r[rt])
                if b != 0:
                    q, m = divmod_s64(sext32(r[rs]), b)
                    r[R_LO] = sext32(q)
                    r[R_HI] = sext32(m)
            elif f == 0x1B:  # DIVU
                b = r[rt] & MASK32
                if b != 0:
                    q, m = divmod_u64(r[rs] & MASK32, b)
                    r[R_LO] = sext32(q)
                    r[R_HI] = sext32(m)
            elif f >= 0x38:  # DSLL DSRL DSRA DSLL32 DSRL32 DSRA32
                if not ok64:
                    exc = EXC_RI
                elif f == 0x38:
                    r[rd] = r[rt] << sa
                elif f == 0x3A:
                    r[rd] = srl64(r[rt], sa)
                elif f == 0x3B:
                    r[rd] = r[rt] >> sa
                elif f == 0x3C:
                    r[rd] = r[rt] << (sa + 32)
                elif f == 0x3E:
                    r[rd] = srl64(r[rt], sa + 32)
                elif f == 0x3F:
                    r[rd] = r[rt] >> (sa + 32)
                else:
                    exc = EXC_RI
            elif f == 0x0A:  # MOVZ
                if r[rt] == 0:
                    r[rd] = r[rs]
            elif f == 0x0B:  # MOVN
                if r[rt] != 0:
                    r[rd] = r[rs]
            elif f == 0x20:  # ADD
                s = sext32(r[rs]) + sext32(r[rt])
                if s != sext32(s):
                    exc = EXC_OV
                else:
                    r[rd] = s
            elif f == 0x22:  # SUB
                s = sext32(r[rs]) - sext32(r[rt])
                if s != sext32(s):
                    exc = EXC_OV
                else:
                    r[rd] = s
            elif f == 0x2C or f == 0x2E or f == 0x2F:  # DADD DSUB DSUBU
                a1 = r[rs]
                b1 = r[rt]
                if not ok64:
                    exc = EXC_RI
                elif f == 0x2F:
                    r[rd] = sub64(a1, b1)
                elif f == 0x2C:
                    s = add64(a1, b1)
                    if ((a1 ^ s) & (b1 ^ s)) < 0:
                        exc = EXC_OV
                    else:
                        r[rd] = s
                else:
                    s = sub64(a1, b1)
                    if ((a1 ^ b1) & (a1 ^ s)) < 0:
                        exc = EXC_OV
                    else:
                        r[rd] = s
            elif f == 0x14 or f == 0x16 or f == 0x17:  # DSLLV DSRLV DSRAV
                s6 = r[rs] & 63
                if not ok64:
                    exc = EXC_RI
                elif f == 0x14:
                    r[rd] = r[rt] << s6
                elif f == 0x16:
                    r[rd] = srl64(r[rt], s6)
                else:
                    r[rd] = r[rt] >> s6
            elif f >= 0x1C and f <= 0x1F:  # DMULT DMULTU DDIV DDIVU
                a1 = r[rs]
                b1 = r[rt]
                if not ok64:
                    exc = EXC_RI
                elif f == 0x1C:
                    r[R_LO] = mul64(a1, b1)
                    r[R_HI] = mulhi_s64(a1, b1)
                elif f == 0x1D:
                    r[R_LO] = mul64(a1, b1)
                    r[R_HI] = mulhi_u64(a1, b1)
                elif b1 != 0:
                    if f == 0x1E:
                        q, m = divmod_s64(a1, b1)
                    else:
                        q, m = divmod_u64(a1, b1)
                    r[R_LO] = q
                    r[R_HI] = m
            elif f >= 0x30 and f <= 0x36:  # TGE TGEU TLT TLTU TEQ TNE
                a1 = r[rs]
                b1 = r[rt]
                if f == 0x30:
                    t = a1 >= b1
                elif f == 0x31:
                    t = not ult(a1, b1)
                elif f == 0x32:
                    t = a1 < b1
                elif f == 0x33:
                    t = ult(a1, b1)
                elif f == 0x34:
                    t = a1 == b1
                elif f == 0x36:
                    t = a1 != b1
                else:
                    t = False
                    exc = EXC_RI
                if t:
                    exc = EXC_TR
            elif f == 0x0C:  # SYSCALL
                exc = EXC_SYS
            elif f == 0x0D:  # BREAK
                exc = EXC_BP
            elif f == 0x0F:  # SYNC
                pass
            elif f == 0x01:  # MOVF/MOVT (on an FPU condition code)
                if (cp0[CP0_STATUS] & ST_CU1) == 0:
                    exc = EXC_CPU
                    ctx[C_EXC_CE] = 1
                else:
                    cc = rt >> 2
                    if ((r[R_FCSR] >> (23 if cc == 0 else 24 + cc)) & 1) == (rt & 1):
                        r[rd] = r[rs]
            else:
                exc = EXC_RI
        elif op >= 0x20:
            # ======== loads and stores
            va = add64(r[rs], imm)
            vp = va >> 12
            i = vp & STLB_MASK
            am = ALIGN[op - 0x20]
            # fast paths: aligned LW/SW/LD/SD hitting the software TLB
            if op == 0x23 and (va & 3) == 0 and stlb[i] == vp:  # LW
                r[rt] = sext32(rd32(ram, add64(va, stlb[STLB_OFF + i])))
            elif op == 0x2B and (va & 3) == 0 and stlb[STLB_W + i] == vp:  # SW
                wr32(ram, add64(va, stlb[STLB_OFF + i]), r[rt])
            elif op == 0x37 and (va & 7) == 0 and stlb[i] == vp and ok64:  # LD
                r[rt] = rd64(ram, add64(va, stlb[STLB_OFF + i]))
            elif op == 0x3F and (va & 7) == 0 and stlb[STLB_W + i] == vp and ok64:  # SD
                wr64(ram, add64(va, stlb[STLB_OFF + i]), r[rt])
            elif am < 0:
                if op == 0x33:  # PREF
                    pass
                elif op == 0x2F:  # CACHE (no caches modelled)
                    if priv_level(cp0[CP0_STATUS]) != 0 and (cp0[CP0_STATUS] & ST_CU0) == 0:
                        exc = EXC_CPU
                        ctx[C_EXC_CE] = 0
                elif op == 0x3B:  # (SWC3)
                    exc = EXC_RI
                else:  # LWC1 LWC2 LDC1 LDC2 SWC1 SWC2 SDC1 SDC2
                    cu = 1 if (op & 3) == 1 else 2
                    if (cp0[CP0_STATUS] & (ST_CU0 << cu)) == 0:
                        ctx[C_EXC_CE] = cu
                        exc = EXC_CPU
                    elif cu == 2:
                        exc = EXC_RI  # no coprocessor 2
                    else:  # LWC1 0x31, LDC1 0x35, SWC1 0x39, SDC1 0x3d
                        exc = fp_mem(((op >> 2) & 1) | ((op >> 2) & 2), va, rt, r, cp0, tlb,
                                     stlb, ctx, ram, rom)
            elif am == 7 and not ok64:
                exc = EXC_RI
            elif (op == 0x2C or op == 0x2D or op == 0x27) and not ok64:  # SDL SDR LWU
                exc = EXC_RI
            elif va & am:
                store = (op & 8) != 0
                cp0[CP0_BADVADDR] = va
                exc = EXC_ADES if store else EXC_ADEL
            else:
                store = (op & 8) != 0
                if store:
                    tag = stlb[STLB_W + i]
                else:
                    tag = stlb[i]
                if tag == vp:
                    h = add64(va, stlb[STLB_OFF + i])
                else:
                    h = data_slow(va, store, cp0, tlb, stlb, ctx, ramsize)
                    if h == -2:
                        pa = ctx[C_EXIT_ADDR]
                        wdt = WIDTH[op - 0x20]
                        if am == 0 and wdt > 1:  # LWL LWR SWL SWR SDL SDR off RAM
                            h = -1
                            ctx[C_EXC_CODE] = EXC_DBE
                        elif (not store) and ROM_BASE <= pa and pa + wdt <= ROM_BASE + romsize:
                            r[rt] = rom_load(op, rom, pa - ROM_BASE)
                            if op == 0x30 or op == 0x34:
                                r[R_LLBIT] = 1
                            h = -3
                        else:
                            ctx[C_EXIT_WIDTH] = wdt
                            if store:
                                if wdt == 8:
                                    ctx[C_EXIT_VALUE] = r[rt]
                                else:
                                    ctx[C_EXIT_VALUE] = r[rt] & ((1 << (8 * wdt)) - 1)
                                exit_code = EXIT_DEV_WRITE
                                if op == 0x38 or op == 0x3C:  # SC SCD to a device
                                    r[rt] = 1
                            else:
                                ctx[C_EXIT_REG] = rt
                                ctx[C_EXIT_SIGNED] = 0 if (op == 0x24 or op == 0x25 or op == 0x27) else 1
                                ctx[C_PEND_READ] = 1
                                exit_code = EXIT_DEV_READ
                            break
                    if h == -1:
                        e = ctx[C_EXC_CODE]
                        exc = e & 31
                        ctx[C_EXC_REFILL] = e >> 5
                if h >= 0:
                    if op == 0x23:  # LW
                        r[rt] = sext32(rd32(ram, h))
                    elif op == 0x2B:  # SW
                        wr32(ram, h, r[rt])
                    elif op == 0x37:  # LD
                        r[rt] = rd64(ram, h)
                    elif op == 0x3F:  # SD
                        wr64(ram, h, r[rt])
                    elif op == 0x24:  # LBU
                        r[rt] = np.int64(ram[h])
                    elif op == 0x20:  # LB
                        r[rt] = np.int64(np.int8(ram[h]))
                    elif op == 0x28:  # SB
                        ram[h] = r[rt] & 0xFF
                    elif op == 0x25:  # LHU
                        r[rt] = rd16(ram, h)
                    elif op == 0x21:  # LH
                        r[rt] = sext16(rd16(ram, h))
                    elif op == 0x29:  # SH
                        v = r[rt]
                        ram[h] = (v >> 8) & 0xFF
                        ram[h + 1] = v & 0xFF
                    elif op == 0x27:  # LWU
                        r[rt] = rd32(ram, h)
                    elif op == 0x22:  # LWL
                        k = h & 3
                        w = rd32(ram, h - k)
                        keep = (1 << (8 * k)) - 1
                        r[rt] = sext32(((w << (8 * k)) & MASK32) | (r[rt] & keep))
                    elif op == 0x26:  # LWR
                        k = h & 3
                        w = rd32(ram, h - k)
                        sh = 8 * (3 - k)
                        r[rt] = sext32((w >> sh) | (r[rt] & ~(MASK32 >> sh) & MASK32))
                    elif op == 0x2A:  # SWL
                        k = h & 3
                        v = r[rt]
                        for j in range(4 - k):
                            ram[h + j] = (v >> (24 - 8 * j)) & 0xFF
                    elif op == 0x2E:  # SWR
                        k = h & 3
                        v = r[rt]
                        for j in range(k + 1):
                            ram[h - j] = (v >> (8 * j)) & 0xFF
                    elif op == 0x30 or op == 0x34:  # LL LLD
                        if op == 0x30:
                            r[rt] = sext32(rd32(ram, h))
                        else:
                            r[rt] = rd64(ram, h)
                        r[R_LLBIT] = 1
                        cp0[CP0_LLADDR] = (ram_phys(h) >> 4) & MASK32
                    elif op == 0x38 or op == 0x3C:  # SC SCD
                        if r[R_LLBIT]:
                            if op == 0x38:
                                wr32(ram, h, r[rt])
                            else:
                                wr64(ram, h, r[rt])
                            r[rt] = 1
                        else:
                            r[rt] = 0
                    elif op == 0x2C:  # SDL
                        k = h & 7
                        v = r[rt]
                        for j in range(8 - k):
                            ram[h + j] = (v >> (56 - 8 * j)) & 0xFF
                    elif op == 0x2D:  # SDR
                        k = h & 7
                        v = r[rt]
                        for j in range(k + 1):
                            ram[h - j] = (v >> (8 * j)) & 0xFF
        elif op >= 0x04 and op <= 0x07 or op >= 0x14 and op <= 0x17:
            # ======== BEQ BNE BLEZ BGTZ and their likely forms
            a1 = r[rs]
            if (op & 3) == 0:
                t = a1 == r[rt]
            elif (op & 3) == 1:
                t = a1 != r[rt]
            elif (op & 3) == 2:
                t = a1 <= 0
            else:
                t = a1 > 0
            if t:
                npc = add64(pc, imm << 2)
                delay = 1
            elif op >= 0x14:
                pc = npc
                npc = pc + 4
            else:
                delay = 1
        elif op == 0x09:  # ADDIU
            r[rt] = sext32(add64(r[rs], imm))
        elif op == 0x0F:  # LUI
            r[rt] = imm << 16
        elif op == 0x0D:  # ORI
            r[rt] = r[rs] | (insn & 0xFFFF)
        elif op == 0x0C:  # ANDI
            r[rt] = r[rs] & (insn & 0xFFFF)
        elif op == 0x0E:  # XORI
            r[rt] = r[rs] ^ (insn & 0xFFFF)
        elif op == 0x0A:  # SLTI
            r[rt] = 1 if r[rs] < imm else 0
        elif op == 0x0B:  # SLTIU
            r[rt] = 1 if ult(r[rs], imm) else 0
        elif op == 0x19:  # DADDIU
            if ok64:
                r[rt] = add64(r[rs], imm)
            else:
                exc = EXC_RI
        elif op == 0x03:  # JAL
            r[31] = cur + 8
            npc = (pc & ~0x0FFFFFFF) | ((insn & 0x3FFFFFF) << 2)
            delay = 1
        elif op == 0x02:  # J
            npc = (pc & ~0x0FFFFFFF) | ((insn & 0x3FFFFFF) << 2)
            delay = 1
        elif op == 0x01:
            # ======== REGIMM
            a1 = r[rs]
            if rt < 4 or (rt >= 0x10 and rt <= 0x13):  # BLTZ BGEZ BLTZL BGEZL (+AL)
                t = (a1 < 0) if (rt & 1) == 0 else (a1 >= 0)
                if rt >= 0x10:
                    r[31] = cur + 8
                if t:
                    npc = add64(pc, imm << 2)
                    delay = 1
                elif rt & 2:
                    pc = npc
                    npc = pc + 4
                else:
                    delay = 1
            elif rt >= 8 and rt <= 0x0E and rt != 0x0D:  # TGEI TGEIU TLTI TLTIU TEQI TNEI
                if rt == 8:
                    t = a1 >= imm
                elif rt == 9:
                    t = not ult(a1, imm)
                elif rt == 0x0A:
                    t = a1 < imm
                elif rt == 0x0B:
                    t = ult(a1, imm)
                elif rt == 0x0C:
                    t = a1 == imm
                else:
                    t = a1 != imm
                if t:
                    exc = EXC_TR
            else:
                exc = EXC_RI
        elif op == 0x08:  # ADDI
            s = sext32(r[rs]) + imm
            if s != sext32(s):
                exc = EXC_OV
            else:
                r[rt] = s
        elif op == 0x18:  # DADDI
            a1 = r[rs]
            s = add64(a1, imm)
            if not ok64:
                exc = EXC_RI
            elif ((a1 ^ s) & (imm ^ s)) < 0:
                exc = EXC_OV
            else:
                r[rt] = s
        elif op == 0x1A or op == 0x1B:
            # ======== LDL LDR (kept apart from the 0x20.. block: opcode below 0x20)
            va = add64(r[rs], imm)
            if not ok64:
                exc = EXC_RI
            else:
                vp = va >> 12
                i = vp & STLB_MASK
                if stlb[i] == vp:
                    h = add64(va, stlb[STLB_OFF + i])
                else:
                    h = data_slow(va, False, cp0, tlb, stlb, ctx, ramsize)
                    if h == -2:
                        h = -1
                        ctx[C_EXC_CODE] = EXC_DBE
                    if h == -1:
                        e = ctx[C_EXC_CODE]
                        exc = e & 31
                        ctx[C_EXC_REFILL] = e >> 5
                if h >= 0:
                    k = h & 7
                    w = rd64(ram, h - k)
                    if op == 0x1A:  # LDL
                        keep = (1 << (8 * k)) - 1
                        r[rt] = (w << (8 * k)) | (r[rt] & keep)
                    else:  # LDR
                        sh = 8 * (7 - k)
                        if sh == 0:
                            r[rt] = w
                        else:
                            r[rt] = srl64(w, sh) | (r[rt] & ~srl64(-1, sh))
        elif op == 0x1C:
            # ======== SPECIAL2 (R5000/RM7000, MIPS32 encodings)
            f = insn & 63
            rd = (insn >> 11) & 31
            if f == 0x02:  # MUL
                r[rd] = sext32(sext32(r[rs]) * sext32(r[rt]))
            elif f == 0x00 or f == 0x04:  # MADD MSUB
                p = sext32(r[rs]) * sext32(r[rt])
                acc = (r[R_HI] << 32) | (r[R_LO] & MASK32)
                acc = add64(acc, p) if f == 0 else sub64(acc, p)
                r[R_LO] = sext32(acc)
                r[R_HI] = sext32(acc >> 32)
            elif f == 0x01 or f == 0x05:  # MADDU MSUBU
                p = mul64(r[rs] & MASK32, r[rt] & MASK32)
                acc = (r[R_HI] << 32) | (r[R_LO] & MASK32)
                acc = add64(acc, p) if f == 1 else sub64(acc, p)
                r[R_LO] = sext32(acc)
                r[R_HI] = sext32(acc >> 32)
            else:
                exc = EXC_RI
        elif op == 0x10:
            # ======== COP0
            st = cp0[CP0_STATUS]
            if priv_level(st) != 0 and (st & ST_CU0) == 0:
                exc = EXC_CPU
                ctx[C_EXC_CE] = 0
            elif rs == 0 or rs == 1:  # MFC0 DMFC0
                if rs == 1 and not ok64:
                    exc = EXC_RI
                else:
                    r[rt] = cp0_read(cp0, ctx, (insn >> 11) & 31, ic0 + n, rs == 1)
            elif rs == 4 or rs == 5:  # MTC0 DMTC0
                if rs == 5 and not ok64:
                    exc = EXC_RI
                else:
                    v = r[rt] if rs == 5 else sext32(r[rt])
                    cp0_write(cp0, ctx, stlb, (insn >> 11) & 31, v, ic0 + n)
                    ok64 = can64(cp0[CP0_STATUS])
                    cpage = PAGE_NOCACHE
                    limit = n  # re-check interrupts and the timer
            elif rs >= 0x10:
                f = insn & 63
                if f == 0x18:  # ERET
                    if st & ST_ERL:
                        pc = cp0[CP0_ERROREPC]
                        cp0[CP0_STATUS] = st & ~ST_ERL
                    else:
                        pc = cp0[CP0_EPC]
                        cp0[CP0_STATUS] = st & ~ST_EXL
                    npc = pc + 4
                    delay = 0
                    r[R_LLBIT] = 0
                    mode_update(cp0, ctx, stlb)
                    ok64 = can64(cp0[CP0_STATUS])
                    cpage = PAGE_NOCACHE
                    limit = n
                elif f == 0x01 or f == 0x02 or f == 0x06 or f == 0x08:  # TLBR TLBWI TLBWR TLBP
                    tlb_op(cp0, tlb, ctx, stlb, f, ic0 + n)
                    cpage = PAGE_NOCACHE
                elif f == 0x20:  # WAIT
                    if (st & (ST_IE | ST_EXL | ST_ERL)) != ST_IE or (st & 0xFF00) == 0:
                        exit_code = EXIT_HALT
                    else:
                        exit_code = EXIT_WAIT
                    break
                else:
                    exc = EXC_RI
            else:
                exc = EXC_RI
        elif op == 0x11 or op == 0x13:
            # ======== COP1 COP1X (register file, moves, loads/stores, BC1; no arithmetic)
            if (cp0[CP0_STATUS] & ST_CU1) == 0:
                exc = EXC_CPU
                ctx[C_EXC_CE] = 1
            elif op == 0x11 and rs == 8:  # BC1F BC1T BC1FL BC1TL
                cc = rt >> 2
                t = ((r[R_FCSR] >> (23 if cc == 0 else 24 + cc)) & 1) == (rt & 1)
                if t:
                    npc = add64(pc, imm << 2)
                    delay = 1
                elif rt & 2:
                    pc = npc
                    npc = pc + 4
                else:
                    delay = 1
            elif op == 0x11:
                exc = cop1(r, cp0, insn, ok64)
            else:
                f = insn & 63
                if f == 0 or f == 1:  # LWXC1 LDXC1
                    exc = fp_mem(f, add64(r[rs], r[rt]), (insn >> 6) & 31, r, cp0, tlb, stlb,
                                 ctx, ram, rom)
                elif f == 8 or f == 9:  # SWXC1 SDXC1
                    exc = fp_mem(f - 6, add64(r[rs], r[rt]), (insn >> 11) & 31, r, cp0, tlb,
                                 stlb, ctx, ram, rom)
                elif f != 0x0F:  # PREFX is a no-op; MADD.fmt & co. are arithmetic
                    exc = fp_unimplemented(r)
        elif op == 0x12:  # COP2
            ctx[C_EXC_CE] = 2
            exc = EXC_CPU if (cp0[CP0_STATUS] & ST_CU2) == 0 else EXC_RI
        else:
            exc = EXC_RI
        if exc != 0:
            # raised by the instruction at `cur`: undo the advance and enter the handler
            v = enter_exception(cp0, ctx, stlb, exc, cur, cdl)
            if v == 1:
                exit_code = EXIT_EXCEPTION
                break
            pc = v
            npc = v + 4
            delay = 0
            ok64 = True
            cpage = PAGE_NOCACHE
    r[R_PC] = pc
    r[R_NPC] = npc
    r[R_DELAY] = delay
    r[R_ICOUNT] = ic0 + n
    r[0] = 0
    return exit_code
