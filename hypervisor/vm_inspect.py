"""`vm_debug` requests, served inside a worker between run slices (never from another thread).

Each function takes the running machine and the request's fields and returns a JSON-able
dict for the daemon. Physical memory is RAM when the address is inside it, else the
machine's bus (devices), exactly what the guest would see at that physical address.
"""
from __future__ import annotations

from cpu.state import GPR_NAMES, ram_index
from platforms.elf import LOW_RAM_BYTES

CP0_SHOWN = {0: "Index", 1: "Random", 2: "EntryLo0", 3: "EntryLo1", 4: "Context",
             5: "PageMask", 6: "Wired", 8: "BadVAddr", 9: "Count", 10: "EntryHi",
             11: "Compare", 12: "Status", 13: "Cause", 14: "EPC", 15: "PRId", 16: "Config",
             30: "ErrorEPC"}
MASK64 = (1 << 64) - 1


def registers(machine) -> dict:
    cpu = machine.cpu
    lines = [f"{name:>4} ${i:<2} = 0x{cpu.gpr(i) & MASK64:016x}"
             for i, name in enumerate(GPR_NAMES)]
    lines += [f"  pc     = 0x{cpu.pc & MASK64:016x}",
              f"  hi     = 0x{cpu.hi & MASK64:016x}",
              f"  lo     = 0x{cpu.lo & MASK64:016x}",
              f"  instructions = {cpu.icount}"]
    lines += [f"  cp0 {name:<8} = 0x{cpu.cp0_get(reg) & MASK64:016x}"
              for reg, name in CP0_SHOWN.items()]
    return {"lines": lines}


def tlb(machine) -> dict:
    cpu = machine.cpu
    lines = []
    for i in range(cpu.tlb_entries):
        mask, hi, lo0, lo1 = cpu.tlb_entry(i)
        lines.append(f"TLB {i:2}: mask=0x{mask & MASK64:08x} hi=0x{hi & MASK64:016x} "
                     f"lo0=0x{lo0 & MASK64:016x} lo1=0x{lo1 & MASK64:016x}")
    return {"lines": lines}


def set_register(machine, reg: int, value: int) -> dict:
    """dynamips' numbering: 1..31 are GPRs (0 is refused)."""
    if not 1 <= reg <= 31:
        return {"error": f"bad register {reg}"}
    machine.cpu.set_gpr(reg, value)
    return {}


def read_physical(machine, address: int, width: int) -> dict:
    ram = machine.ram
    i = ram_index(address, width, len(ram))
    if i is not None:
        return {"value": int.from_bytes(ram[i:i + width].tobytes(), "big")}
    return {"value": machine.bus.read(address, width) & ((1 << (8 * width)) - 1)}


def write_physical(machine, address: int, width: int, value: int) -> dict:
    ram = machine.ram
    value &= (1 << (8 * width)) - 1
    i = ram_index(address, width, len(ram))
    if i is not None:
        ram[i:i + width] = list(value.to_bytes(width, "big"))
    else:
        machine.bus.write(address, width, value)
    return {}


def find_bytes(machine, pattern: bytes, start: int, end: int) -> dict:
    """The first physical address of `pattern` in the RAM at physical 0 between start and
    end (exclusive; 0 = the end of that RAM)."""
    ram = machine.ram
    low = min(len(ram), LOW_RAM_BYTES)
    end = min(end, low) if end > 0 else low
    if start >= end:
        return {"address": None}
    found = ram[start:end].tobytes().find(pattern)
    return {"address": None if found < 0 else start + found}


def serve(machine, request: dict) -> dict | None:
    """The answer to a debug request, or None when `request` is not one."""
    what = request["what"]
    if what == "regs":
        return registers(machine)
    if what == "tlb":
        return tlb(machine)
    if what == "set_reg":
        return set_register(machine, request["reg"], request["value"])
    if what == "pmem_read":
        return read_physical(machine, request["address"], request["width"])
    if what == "pmem_write":
        return write_physical(machine, request["address"], request["width"], request["value"])
    if what == "pmem_find":
        return find_bytes(machine, bytes.fromhex(request["pattern"]), request["start"],
                          request["end"])
    if what == "timer":
        return {"drift": 0, "pending": int(bool(machine.cpu.cause & 0x8000))}
    if what == "breakpoints":
        machine.cpu.set_breakpoints(request["addresses"])
        return {}
    return None
