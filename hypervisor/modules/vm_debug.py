"""`vm_debug` module: CPU registers, MMU, breakpoints and physical memory of a running VM.

dynamips prints registers and the TLB on its stdout and answers `OK`; we answer them as
`101` lines (stdout carries nothing for clients). A VM that is not running has no CPU and
no memory: `212-Bad CPU` / `204`. The work is done inside the worker (hypervisor.vm_inspect).
"""
from __future__ import annotations

import string

from protocol.codec import Reply
from protocol.status import Status

from ..cnum import atoi, sign_extend32, strtoull
from ..commands import CommandError, Module
from .vm import find_vm

module = Module("vm_debug")


def running(session, name: str, cpu_id: str, bad_cpu: str = "Bad CPU"):
    vm = find_vm(session, name)
    if not vm.is_running or atoi(cpu_id) != 0:
        raise CommandError(Status.ERR_BAD_OBJ, bad_cpu)
    return vm


def with_memory(session, name: str):
    vm = find_vm(session, name)
    if not vm.is_running:
        raise CommandError(Status.ERR_INV_PARAM, f"VM '{vm.name}' is not running: it has no memory")
    return vm


async def ask(vm, what: str, **fields) -> dict:
    reply = await vm.run.request(what, **fields)
    if "error" in reply:
        raise CommandError(Status.ERR_BAD_OBJ, reply["error"])
    return reply


@module.command("show_cpu_regs", 2, 2)
async def show_cpu_regs(session, args):
    vm = running(session, args[0], args[1])
    return Reply(info=(await ask(vm, "regs"))["lines"])


@module.command("show_cpu_mmu", 2, 2)
async def show_cpu_mmu(session, args):
    vm = running(session, args[0], args[1])
    return Reply(info=(await ask(vm, "tlb"))["lines"])


@module.command("set_cpu_reg", 4, 4)
async def set_cpu_reg(session, args):
    vm = running(session, args[0], args[1], "Bad CPU or register")
    reg = atoi(args[2])
    if not 1 <= reg <= 31:
        raise CommandError(Status.ERR_BAD_OBJ, "Bad CPU or register")
    await ask(vm, "set_reg", reg=reg, value=strtoull(args[3]))


def breakpoint_command(name: str, add: bool):
    @module.command(name, 3, 3)
    async def handler(session, args):
        vm = running(session, args[0], args[1])
        address = sign_extend32(strtoull(args[2]))
        wanted = vm.breakpoints | {address} if add else vm.breakpoints - {address}
        try:
            await ask(vm, "breakpoints", addresses=sorted(wanted))
        except CommandError:
            raise CommandError(Status.ERR_BAD_OBJ, "Bad CPU") from None
        vm.breakpoints = wanted
    handler.__name__ = name


breakpoint_command("add_cpu_breakpoint", True)
breakpoint_command("remove_cpu_breakpoint", False)


def pmem_write(name: str, width: int):
    @module.command(name, 4, 4)
    async def handler(session, args):
        vm = with_memory(session, args[0])
        await ask(vm, "pmem_write", address=strtoull(args[2]), width=width,
                  value=strtoull(args[3]))
    handler.__name__ = name


def pmem_read(name: str, width: int):
    @module.command(name, 3, 3)
    async def handler(session, args):
        vm = with_memory(session, args[0])
        value = (await ask(vm, "pmem_read", address=strtoull(args[2]), width=width))["value"]
        return f"0x{value:0{2 * width}x}"
    handler.__name__ = name


pmem_write("pmem_w32", 4)
pmem_read("pmem_r32", 4)
pmem_write("pmem_w16", 2)
pmem_read("pmem_r16", 2)


@module.command("pmem_cfind", 3, 5)
async def pmem_cfind(session, args):
    vm = with_memory(session, args[0])
    pattern = args[2]
    if len(pattern) % 2 or not pattern:
        raise CommandError(Status.ERR_INV_PARAM,
                           f"Invalid byte sequence (invalid length={len(pattern)})")
    if any(c not in string.hexdigits for c in pattern):
        raise CommandError(Status.ERR_INV_PARAM,
                           "Invalid byte sequence (non-hexadecimal character)")
    start = strtoull(args[3]) if len(args) > 3 else 0
    end = strtoull(args[4]) if len(args) > 4 else 0
    found = (await ask(vm, "pmem_find", pattern=pattern, start=start, end=end))["address"]
    if found is None:
        raise CommandError(Status.ERR_NOT_FOUND, "Not found")
    return f"0x{found:x}"
