"""Commands every platform module shares (dynamips' hv_c7200.c, hv_c3600.c, … rows).

Each `hypervisor/modules/<platform>.py` builds its module here and adds only what differs,
so the c3600/c2691/… modules are not copies of each other.
"""
from __future__ import annotations

from protocol.codec import Reply
from protocol.status import Status

from platforms.catalog import PLATFORMS, format_mac, parse_mac

from .cnum import atoi
from .commands import CommandError, Module
from .vm import VirtualMachine


def find_router(session, name: str, platform: str) -> VirtualMachine:
    """The platform modules' lookup: 208 when missing, 212 when of another platform."""
    vm = session.hypervisor.registry.vms.find(name)
    if vm is None:
        raise CommandError(Status.ERR_UNK_OBJ, f"unable to find VM '{name}'")
    if vm.platform != platform:
        raise CommandError(Status.ERR_BAD_OBJ, f"VM '{name}' is not a VM type {platform}")
    return vm


def hardware_lines(vm: VirtualMachine) -> list[str]:
    s = vm.settings
    lines = [f"{vm.platform.upper()} instance '{vm.name}' (id {vm.instance_id}):",
             f"  VM Status  : {int(vm.status)}",
             f"  RAM size   : {s.ram_mb} Mb",
             f"  NVRAM size : {s.nvram_kb} Kb"]
    if s.iomem_percent is not None:
        lines.append(f"  IOMEM size : {s.iomem_percent} %")
    if s.chassis:
        lines.append(f"  Chassis    : {s.chassis}")
    if s.npe:
        lines += [f"  NPE model  : {s.npe}", f"  Midplane   : {s.midplane}"]
    lines.append(f"  IOS image  : {s.ios_image or ''}")
    lines += [f"  Slot {slot}/{sub}  : {b.card}" for (slot, sub), b in sorted(vm.slots.items())]
    return lines


def build_platform_module(platform: str, *, chassis: bool, iomem: bool,
                          head=None, middle=None) -> Module:
    """The module for `platform`. `head(module, find)` and `middle(module, find)` register
    platform-only rows first and after set_system_id, keeping dynamips' table order."""
    spec = PLATFORMS[platform]
    module = Module(platform)

    def find(session, name: str) -> VirtualMachine:
        return find_router(session, name, platform)

    if head is not None:
        head(module, find)

    if chassis:
        @module.command("set_chassis", 2, 2)
        async def set_chassis(session, args):
            vm = find(session, args[0])
            if args[1] not in spec.chassis or not vm.is_halted:
                raise CommandError(Status.ERR_CREATE,
                                   f"unable to set Chassis type for router '{vm.name}'")
            vm.settings.chassis = args[1]
            vm.bind_builtin_slot0()

    if iomem:
        @module.command("set_iomem", 2, 2)
        async def set_iomem(session, args):
            find(session, args[0]).settings.iomem_percent = atoi(args[1])

    @module.command("get_mac_addr", 1, 1)
    async def get_mac_addr(session, args):
        return format_mac(find(session, args[0]).settings.mac)

    @module.command("set_mac_addr", 2, 2)
    async def set_mac_addr(session, args):
        vm = find(session, args[0])
        mac = parse_mac(args[1])
        if mac is None:
            raise CommandError(Status.ERR_CREATE,
                               f"unable to set MAC address for router '{vm.name}'")
        vm.settings.mac = mac

    @module.command("set_system_id", 2, 2)
    async def set_system_id(session, args):
        vm = find(session, args[0])
        if not args[1].isprintable() or len(args[1]) > 20:   # an EEPROM field of 20 bytes
            raise CommandError(Status.ERR_CREATE,
                               f"unable to set the system id for router '{vm.name}'")
        vm.settings.system_id = args[1]

    if middle is not None:
        middle(module, find)

    @module.command("show_hardware", 1, 1)
    async def show_hardware(session, args):
        vm = find(session, args[0])
        lines = hardware_lines(vm)
        session.hypervisor.log.info("vm.show_hardware", vm=vm.name, text="\n".join(lines))
        return Reply(info=lines)

    @module.command("list", 0, 0)
    async def list_routers(session, args):
        return Reply(info=[name for name, vm in session.hypervisor.registry.vms.newest_first()
                           if vm.platform == platform])

    return module
