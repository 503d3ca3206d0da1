"""`vm_debug` module: CPU registers, MMU, breakpoints and physical memory of a running VM.

Every command addresses a running VM's CPU or memory; a VM that is not running has neither
(212/204). The running side lands with the VM runtime issue.
"""
from __future__ import annotations

from protocol.status import Status

from ..commands import CommandError, Module, not_implemented
from .vm import find_vm, running_cpu

module = Module("vm_debug")


def cpu_command(name: str, min_args: int, max_args: int, bad_cpu: str):
    @module.command(name, min_args, max_args)
    async def handler(session, args):
        vm = find_vm(session, args[0])
        try:
            running_cpu(vm, args[1])
        except CommandError:
            raise CommandError(Status.ERR_BAD_OBJ, bad_cpu) from None
        raise not_implemented(f"'vm_debug {name}'", Status.ERR_BAD_OBJ)
    handler.__name__ = name


def memory_command(name: str, min_args: int, max_args: int):
    @module.command(name, min_args, max_args)
    async def handler(session, args):
        vm = find_vm(session, args[0])
        try:
            running_cpu(vm, "0")
        except CommandError:
            raise CommandError(Status.ERR_INV_PARAM,
                               f"VM '{vm.name}' is not running: it has no memory") from None
        raise not_implemented(f"'vm_debug {name}'", Status.ERR_INV_PARAM)
    handler.__name__ = name


cpu_command("show_cpu_regs", 2, 2, "Bad CPU")
cpu_command("show_cpu_mmu", 2, 2, "Bad CPU")
cpu_command("set_cpu_reg", 4, 4, "Bad CPU or register")
cpu_command("add_cpu_breakpoint", 3, 3, "Bad CPU")
cpu_command("remove_cpu_breakpoint", 3, 3, "Bad CPU")
memory_command("pmem_w32", 4, 4)
memory_command("pmem_r32", 3, 3)
memory_command("pmem_w16", 4, 4)
memory_command("pmem_r16", 3, 3)
memory_command("pmem_cfind", 3, 5)
