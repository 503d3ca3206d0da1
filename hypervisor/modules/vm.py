"""`vm` module: create, configure, list and delete routers (dynamips' hv_vm.c).

Commands that need a running CPU are answered here too: a VM that is not running has no
CPU, so they get dynamips' `212-Bad CPU specified`; `vm start` itself is refused with a
clear 209 until the VM runtime lands.
"""
from __future__ import annotations

import base64
import binascii

from asyncio_extras import call_in_executor

from platforms.c7200.nvram import NvramError, NvramFile
from protocol.codec import Reply
from protocol.status import Status

from .. import control
from ..cnum import atoi, sign_extend32, strtoull
from ..runtime import start_vm
from .nio import free_for
from ..commands import CommandError, Module, not_implemented
from ..vm import GhostStatus, SlotBinding, VirtualMachine, VmLockError, VmStatus
from platforms.catalog import PLATFORMS

module = Module("vm")


def find_vm(session, name: str) -> VirtualMachine:
    return session.hypervisor.registry.vms.get(name)


def running_cpu(vm: VirtualMachine, cpu_id: str) -> int:
    """The CPU a command addresses; only a running (or suspended) VM has one."""
    cpu = atoi(cpu_id)
    if not vm.is_running or cpu != 0:
        raise CommandError(Status.ERR_BAD_OBJ, "Bad CPU specified")
    return cpu


def setter(name: str, field: str, convert=atoi):
    """A `vm set_x <vm> <value>` row answering OK (dynamips never validates these)."""
    @module.command(name, 2, 2)
    async def handler(session, args):
        setattr(find_vm(session, args[0]).settings, field, convert(args[1]))
    handler.__name__ = name
    return handler


def as_bool(text: str) -> bool:
    return atoi(text) != 0


# -- lifecycle -----------------------------------------------------------------------------

@module.command("create", 3, 3)
async def create(session, args):
    name, instance_id, platform = args[0], atoi(args[1]), args[2]
    hv = session.hypervisor
    spec = PLATFORMS.get(platform)
    error = CommandError(Status.ERR_CREATE, f"unable to create VM instance '{name}'")
    if spec is None or name in hv.registry.vms:
        hv.log.warning("vm.create_failed", vm=name, platform=platform,
                       reason="unknown platform" if spec is None else "name in use")
        raise error
    vm = VirtualMachine(name, instance_id, spec, hv.working_dir, hv.options.name_by_id, hv.pid)
    try:
        vm.lock.acquire()
    except (VmLockError, OSError) as exc:
        hv.log.warning("vm.create_failed", vm=name, reason=str(exc))
        raise error from None
    hv.registry.vms.add(name, vm)
    hv.log.info("vm.created", vm=name, instance_id=instance_id, platform=platform,
                directory=str(vm.directory))
    return f"VM '{name}' created"


@module.command("rename", 2, 2)
async def rename(session, args):
    old, new = args
    vms = session.hypervisor.registry.vms
    vm = vms.get(old)
    if new in vms:
        raise CommandError(Status.ERR_RENAME,
                           f"unable to rename VM instance '{old}', '{new}' already exists")
    if not vm.is_halted:
        raise CommandError(Status.ERR_RENAME, f"unable to rename VM instance '{old}'")
    try:
        vm.rename(new)
    except OSError as exc:
        vm.name = old
        session.hypervisor.log.warning("vm.rename_failed", vm=old, new=new, error=str(exc))
        raise CommandError(Status.ERR_RENAME, f"unable to rename VM instance '{old}'") from None
    vms.rename(old, new)
    session.hypervisor.log.info("vm.renamed", vm=new, old=old)
    return f"VM '{old}' renamed to '{new}'"


async def _delete(session, name: str, remove_files: bool) -> None:
    hv = session.hypervisor
    vm = hv.registry.vms.find(name)
    if vm is None:
        raise CommandError(Status.ERR_DELETE, f"unable to delete VM '{name}'")
    await hv.delete_vm(vm, remove_files=remove_files)      # stops it first if needed


@module.command("delete", 1, 1)
async def delete(session, args):
    await _delete(session, args[0], remove_files=False)
    return f"VM '{args[0]}' deleted"


@module.command("clean_delete", 1, 1)
async def clean_delete(session, args):
    find_vm(session, args[0])           # 208 when unknown, as dynamips
    await _delete(session, args[0], remove_files=True)
    return f"VM '{args[0]}' and related files deleted"


@module.command("start", 1, 1)
async def start(session, args):
    vm = find_vm(session, args[0])
    if not vm.is_halted:
        raise CommandError(Status.ERR_START, f"unable to start VM instance '{vm.name}': "
                                             f"it is not halted (status {int(vm.status)})")
    info = ([] if vm.settings.console_tcp_port else
            [f"Warning: no console port defined for VM '{vm.name}'"])
    try:
        await start_vm(session.hypervisor, vm)
    except OSError as exc:                   # a console port that cannot be bound
        raise CommandError(Status.ERR_START, f"unable to start VM instance '{vm.name}': "
                                             f"console port: {exc.strerror}", info) from None
    except CommandError as err:
        raise CommandError(err.code, err.text, info) from None
    return Reply(text=f"VM '{vm.name}' started", info=info)


@module.command("stop", 1, 1)
async def stop(session, args):
    vm = find_vm(session, args[0])
    await session.hypervisor.stop_vm(vm)     # a stopped VM stops fine: GNS3 relies on it
    return f"VM '{vm.name}' stopped"


@module.command("get_status", 1, 1)
async def get_status(session, args):
    return str(int(find_vm(session, args[0]).status))


# -- settings, in dynamips' table order (all take effect at the next start) ---------------

setter("set_debug_level", "debug_level")


@module.command("set_ios", 2, 2)
async def set_ios(session, args):
    find_vm(session, args[0]).settings.ios_image = args[1]
    return f"IOS image set for '{args[0]}'"


@module.command("set_config", 2, 3)
async def set_config(session, args):
    settings = find_vm(session, args[0]).settings
    settings.startup_config = args[1] or None
    settings.private_config = args[2] if len(args) > 2 else None
    return f"IOS config file set for '{args[0]}'"


setter("set_ram", "ram_mb")
setter("set_nvram", "nvram_kb")
setter("set_ram_mmap", "ram_mmap", as_bool)
setter("set_sparse_mem", "sparse_mem", as_bool)


@module.command("set_clock_divisor", 2, 2)
async def set_clock_divisor(session, args):
    divisor = atoi(args[1])
    if divisor > 0:                     # dynamips ignores 0 (and negatives)
        find_vm(session, args[0]).settings.clock_divisor = divisor
    else:
        find_vm(session, args[0])


setter("set_blk_direct_jump", "blk_direct_jump", as_bool)
setter("set_exec_area", "exec_area_mb")
setter("set_disk0", "disk0_mb")
setter("set_disk1", "disk1_mb")
setter("set_conf_reg", "conf_reg", lambda v: strtoull(v) & 0xFFFFFFFF)
# dynamips compares the idle PC with the 64-bit PC; we accept 0x80009660 as KSEG0 too.
setter("set_idle_pc", "idle_pc", lambda v: sign_extend32(strtoull(v)))


@module.command("set_idle_pc_online", 3, 3)
async def set_idle_pc_online(session, args):
    vm = find_vm(session, args[0])
    running_cpu(vm, args[1])
    vm.settings.idle_pc = sign_extend32(strtoull(args[2]))
    await vm.run.request("set_idle_pc", pc=vm.settings.idle_pc)


def format_proposals(vm: VirtualMachine) -> Reply:
    return Reply(info=[f"0x{pc:08x} [{count}]" for pc, count in vm.idle_pc_proposals])


@module.command("get_idle_pc_prop", 2, 2)
async def get_idle_pc_prop(session, args):
    vm = find_vm(session, args[0])
    running_cpu(vm, args[1])
    reply = await vm.run.request("idle_pc_prop", timeout=30)
    vm.idle_pc_proposals = [tuple(p) for p in reply["proposals"]]
    session.hypervisor.log.info("vm.idle_pc_proposals", vm=vm.name, samples=reply["samples"],
                                proposals=[f"0x{pc:08x}" for pc, _ in vm.idle_pc_proposals])
    return format_proposals(vm)


@module.command("show_idle_pc_prop", 2, 2)
async def show_idle_pc_prop(session, args):
    vm = find_vm(session, args[0])
    running_cpu(vm, args[1])
    return format_proposals(vm)


def idle_setter(name: str, field: str):
    """`vm set_idle_max|set_idle_sleep_time <vm> <cpu> <n>`: on the running CPU."""
    @module.command(name, 3, 3)
    async def handler(session, args):
        vm = find_vm(session, args[0])
        running_cpu(vm, args[1])
        value = max(0, atoi(args[2]))
        setattr(vm.settings, field, value)
        await vm.run.request(name, value=value)
    handler.__name__ = name


idle_setter("set_idle_max", "idle_max")
idle_setter("set_idle_sleep_time", "idle_sleep_ms")


@module.command("show_timer_drift", 2, 2)
async def show_timer_drift(session, args):
    vm = find_vm(session, args[0])
    running_cpu(vm, args[1])
    timer = await vm.run.request("timer")
    # No timer interrupt is ever dropped (an idle guest gets them in batches): drift is 0.
    return Reply(info=[f"Timer Drift: {timer['drift']}",
                       f"Pending Timer IRQ: {timer['pending']}"])


setter("set_ghost_file", "ghost_file", str)
setter("set_ghost_status", "ghost_status",
       lambda v: GhostStatus(atoi(v)) if atoi(v) in (0, 1, 2) else GhostStatus.NONE)
setter("set_con_tcp_port", "console_tcp_port")
setter("set_aux_tcp_port", "aux_tcp_port")


# -- configs in NVRAM ------------------------------------------------------------------------

def nvram_of(vm: VirtualMachine, error: CommandError) -> NvramFile:
    if vm.platform != "c7200":
        raise CommandError(error.code, f"{error.text}: the {vm.platform} NVRAM format is not "
                                       "implemented yet in pydynamips")
    return NvramFile(vm.file_path("nvram"), vm.settings.nvram_kb * 1024)


@module.command("extract_config", 1, 1)
async def extract_config(session, args):
    vm = find_vm(session, args[0])
    error = CommandError(Status.ERR_CREATE, f"unable to extract config of VM '{vm.name}'")
    nvram = nvram_of(vm, error)
    try:
        startup, private = await call_in_executor(nvram.read_configs)
    except (NvramError, OSError) as exc:
        session.hypervisor.log.warning("vm.extract_config_failed", vm=vm.name, error=str(exc))
        raise error from None
    if startup is None and private is None:        # an empty NVRAM has nothing to give
        raise error
    b64 = [base64.b64encode(c or b"").decode("ascii") for c in (startup, private)]
    return f"conf '{vm.name}' '{b64[0]}' '{b64[1]}'"


KEEP = "(keep)"


@module.command("push_config", 2, 3)
async def push_config(session, args):
    vm = find_vm(session, args[0])
    error = CommandError(Status.ERR_CREATE, f"unable to push IOS config for VM '{vm.name}'")
    nvram = nvram_of(vm, error)
    configs = []
    for text in (args[1], args[2] if len(args) > 2 else KEEP):
        try:
            configs.append(None if text == KEEP else base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            raise error from None
    try:
        await call_in_executor(nvram.write_configs, *configs)
    except (NvramError, OSError) as exc:
        session.hypervisor.log.warning("vm.push_config_failed", vm=vm.name, error=str(exc))
        raise error from None
    session.hypervisor.log.info("vm.config_pushed", vm=vm.name)
    return f"IOS config file pushed tm VM '{vm.name}'"      # sic: dynamips' text


# -- CPU and console -------------------------------------------------------------------------

@module.command("cpu_info", 2, 2)
async def cpu_info(session, args):
    vm = find_vm(session, args[0])
    running_cpu(vm, args[1])
    return Reply(info=(await vm.run.request("regs"))["lines"])   # dynamips: to stdout


@module.command("cpu_usage", 2, 2)
async def cpu_usage(session, args):
    vm = find_vm(session, args[0])
    running_cpu(vm, args[1])
    reply = await vm.run.request("cpu_usage")
    return Reply(info=[str(int(reply["seconds"]))])


@module.command("suspend", 1, 1)
async def suspend(session, args):
    vm = find_vm(session, args[0])
    if vm.status != VmStatus.RUNNING or vm.run is None:
        raise CommandError(Status.ERR_STOP, f"unable to suspend VM instance '{vm.name}' "
                                            f"(status {int(vm.status)}, not running)")
    vm.run.send("suspend")
    vm.status = VmStatus.SUSPENDED
    session.hypervisor.log.info("vm.suspended", vm=vm.name)
    return f"VM '{vm.name}' suspended"


@module.command("resume", 1, 1)
async def resume(session, args):
    vm = find_vm(session, args[0])
    if vm.status != VmStatus.SUSPENDED or vm.run is None:
        raise CommandError(Status.ERR_START, f"unable to resume VM instance '{vm.name}' "
                                             f"(status {int(vm.status)}, not suspended)")
    vm.run.send("resume")
    vm.status = VmStatus.RUNNING
    session.hypervisor.log.info("vm.resumed", vm=vm.name)
    return f"VM '{vm.name}' resumed"


def console_message(name: str, kind: bytes):
    @module.command(name, 2, 3)
    async def handler(session, args):
        vm = find_vm(session, args[0])
        encoding = args[2] if len(args) == 3 else "plain"
        if encoding not in ("plain", "base64"):
            raise CommandError(Status.ERR_INV_PARAM, "Invalid parameter")
        try:
            data = (base64.b64decode(args[1], validate=True) if encoding == "base64"
                    else args[1].encode("utf-8", "surrogateescape"))
        except (binascii.Error, ValueError):
            raise CommandError(Status.ERR_INV_PARAM, "Invalid parameter") from None
        if not vm.is_running:
            raise CommandError(Status.ERR_INV_PARAM,
                               f"Invalid parameter: VM '{vm.name}' is not running")
        vm.run.send_input(kind, data)
        return f"{len(data)} byte(s) written"
    handler.__name__ = name


console_message("send_con_msg", control.KIND_CONSOLE)
console_message("send_aux_msg", control.KIND_AUX)


# -- slots and NIO bindings ------------------------------------------------------------------

def slot_error(vm: VirtualMachine, slot: str, port: str, what: str,
               code: Status = Status.ERR_BINDING) -> CommandError:
    return CommandError(code, f"VM {vm.name}: unable to {what} for slot {slot}/{port}")


@module.command("slot_bindings", 1, 1)
async def slot_bindings(session, args):
    vm = find_vm(session, args[0])
    return Reply(info=[f"{slot}/{sub}: {binding.card}"
                       for (slot, sub), binding in sorted(vm.slots.items())])


@module.command("slot_nio_bindings", 2, 2)
async def slot_nio_bindings(session, args):
    vm = find_vm(session, args[0])
    binding = vm.slots.get((atoi(args[1]), 0))
    nios = binding.nios if binding else {}
    return Reply(info=[f"{port}: {nio}" for port, nio in reversed(nios.items())])


@module.command("slot_add_binding", 4, 4)
async def slot_add_binding(session, args):
    vm = find_vm(session, args[0])
    slot, sub, card = max(atoi(args[1]), 0), atoi(args[2]), args[3]
    if (not 0 <= slot < vm.spec.slots or sub < 0 or (slot, sub) in vm.slots
            or card not in vm.spec.cards or (sub > 0 and (slot, 0) not in vm.slots)):
        raise slot_error(vm, args[1], args[2], "add binding")
    vm.slots[(slot, sub)] = SlotBinding(card)


@module.command("slot_remove_binding", 3, 3)
async def slot_remove_binding(session, args):
    vm = find_vm(session, args[0])
    key = (atoi(args[1]), atoi(args[2]))
    if key not in vm.slots or not vm.is_halted:
        raise slot_error(vm, args[1], args[2], "remove binding")
    del vm.slots[key]


@module.command("slot_add_nio_binding", 4, 4)
async def slot_add_nio_binding(session, args):
    vm = find_vm(session, args[0])
    binding = vm.slots.get((atoi(args[1]), 0))
    port, name = atoi(args[2]), args[3]
    nio = session.hypervisor.registry.nios.find(name)
    # A NIO is one port's: not a second VM port's, nor a switch's or hub's.
    if binding is None or port in binding.nios or nio is None or \
            not free_for(session.hypervisor, nio):
        raise slot_error(vm, args[1], args[2], "add binding")
    binding.nios[port] = name


@module.command("slot_remove_nio_binding", 3, 3)
async def slot_remove_nio_binding(session, args):
    vm = find_vm(session, args[0])
    slot, port = atoi(args[1]), atoi(args[2])
    binding = vm.slots.get((slot, 0))
    if binding is None or port not in binding.nios:
        raise slot_error(vm, args[1], args[2], "remove NIO binding")
    if vm.run is not None:
        vm.run.detach_nio(slot, port)
    del binding.nios[port]


def running_port(session, args, what: str):
    """A bound port of a running VM (slot_enable_nio/slot_disable_nio)."""
    vm = find_vm(session, args[0])
    slot, port = atoi(args[1]), atoi(args[2])
    binding = vm.slots.get((slot, 0))
    if not vm.is_running or binding is None or port not in binding.nios:
        raise slot_error(vm, args[1], args[2], what)
    return vm, slot, port, binding.nios[port]


@module.command("slot_enable_nio", 3, 3)
async def slot_enable_nio(session, args):
    vm, slot, port, nio = running_port(session, args, "enable NIO")
    vm.run.attach_nio(slot, port, nio)


@module.command("slot_disable_nio", 3, 3)
async def slot_disable_nio(session, args):
    vm, slot, port, _ = running_port(session, args, "disable NIO")
    vm.run.detach_nio(slot, port)


def oir_command(name: str, what: str, code: Status):
    @module.command(name, 3, 3)
    async def handler(session, args):
        vm = find_vm(session, args[0])
        if not vm.is_running:
            raise slot_error(vm, args[1], args[2], what, code)
        raise not_implemented(f"'vm {name}' (online insertion and removal)", code)
    handler.__name__ = name


oir_command("slot_oir_start", "engage OIR", Status.ERR_START)
oir_command("slot_oir_stop", "stop OIR", Status.ERR_STOP)


# -- listings --------------------------------------------------------------------------------

@module.command("list", 0, 0)
async def list_vms(session, args):
    return Reply(info=[f"{name} ({vm.platform})"
                       for name, vm in session.hypervisor.registry.vms.newest_first()])


@module.command("list_con_ports", 0, 0)
async def list_con_ports(session, args):
    return Reply(info=[f"{name} ({vm.settings.console_tcp_port})"
                       for name, vm in session.hypervisor.registry.vms.newest_first()
                       if vm.settings.console_tcp_port is not None])
