"""`hypervisor save_config FILE`: a command script that recreates the current objects.

Replaying the file through the protocol (``nc host 7200 < FILE``) rebuilds the VMs with
their settings, slots and the object store, as dynamips' save_config does.
"""
from __future__ import annotations

import base64
from pathlib import Path

from asyncio_extras import call_in_executor

from platforms.catalog import format_mac

from .vm import VirtualMachine


def _q(text: str) -> str:
    return f'"{text}"'


def vm_commands(vm: VirtualMachine) -> list[str]:
    s, n = vm.settings, _q(vm.name)
    lines = [f"vm create {n} {vm.instance_id} {vm.platform}"]
    if s.ios_image:
        lines.append(f"vm set_ios {n} {_q(s.ios_image)}")
    if s.startup_config:
        lines.append(f"vm set_config {n} {_q(s.startup_config)} {_q(s.private_config or '')}")
    lines += [f"vm set_ram {n} {s.ram_mb}", f"vm set_nvram {n} {s.nvram_kb}",
              f"vm set_ram_mmap {n} {int(s.ram_mmap)}",
              f"vm set_sparse_mem {n} {int(s.sparse_mem)}",
              f"vm set_clock_divisor {n} {s.clock_divisor}",
              f"vm set_disk0 {n} {s.disk0_mb}", f"vm set_disk1 {n} {s.disk1_mb}",
              f"vm set_conf_reg {n} 0x{s.conf_reg:04x}",
              f"vm set_idle_pc {n} 0x{s.idle_pc:x}"]
    if s.ghost_file:
        lines.append(f"vm set_ghost_file {n} {_q(s.ghost_file)}")
    lines.append(f"vm set_ghost_status {n} {int(s.ghost_status)}")
    if s.console_tcp_port is not None:
        lines.append(f"vm set_con_tcp_port {n} {s.console_tcp_port}")
    if s.aux_tcp_port is not None:
        lines.append(f"vm set_aux_tcp_port {n} {s.aux_tcp_port}")
    p = vm.platform
    if s.npe:
        lines += [f"{p} set_npe {n} {s.npe}", f"{p} set_midplane {n} {s.midplane}"]
    if s.chassis:
        lines.append(f"{p} set_chassis {n} {s.chassis}")
    if s.iomem_percent is not None:
        lines.append(f"{p} set_iomem {n} {s.iomem_percent}")
    lines.append(f"{p} set_mac_addr {n} {format_mac(s.mac)}")
    if s.system_id:
        lines.append(f"{p} set_system_id {n} {_q(s.system_id)}")
    for (slot, sub), binding in sorted(vm.slots.items()):
        lines.append(f"vm slot_add_binding {n} {slot} {sub} {binding.card}")
        lines += [f"vm slot_add_nio_binding {n} {slot} {port} {nio}"
                  for port, nio in binding.nios.items()]
    return lines


def config_script(hv) -> str:
    """NIOs first (VM slots, switches and bridges name them), then VMs, then the rest."""
    reg = hv.registry
    lines = ["# pydynamips configuration (replay it through the hypervisor protocol)", ""]
    for nio in reg.nios:
        lines += nio.config_commands()
    for vm in reg.vms:
        lines += ["", *vm_commands(vm)]
    for namespace in (reg.ethsws, reg.nio_bridges):
        for obj in namespace:
            lines += ["", *obj.config_commands()]
    blobs = list(hv.registry.store.newest_first())[::-1]
    if blobs:
        lines.append("")
    lines += [f"object_store write {_q(name)} {base64.b64encode(blob).decode()}"
              for name, blob in blobs]
    return "\n".join(lines) + "\n"


async def write_config_script(hv, path: Path) -> None:
    text = config_script(hv)      # built on the loop: the registry is only touched here
    await call_in_executor(path.write_text, text, "utf-8")
