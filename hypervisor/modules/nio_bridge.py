"""`nio_bridge` module: NIO bridges, i.e. hubs (the hub itself is `hypervisor/nio_bridge.py`)."""
from __future__ import annotations

from protocol.status import Status

from ..commands import CommandError, Module
from ..object_commands import ObjectKind, register_lifecycle, register_list
from ..nio_bridge import NioBridge

from .nio import free_for

module = Module("nio_bridge")



def bind_error(args) -> CommandError:
    return CommandError(Status.ERR_BINDING,
                        f"unable to bind NIO '{args[1]}' to bridge '{args[0]}'")


KIND = ObjectKind("nio_bridges", "NIO bridge", "NIO bridge", NioBridge)
register_lifecycle(module, KIND)


@module.command("add_nio", 2, 2)
async def add_nio(session, args):
    bridge = KIND.namespace(session).get(args[0])
    nio = session.hypervisor.registry.nios.find(args[1])
    if nio is None or not free_for(session.hypervisor, nio, bridge):
        raise bind_error(args)
    bridge.add_nio(nio)
    return f"NIO '{args[1]}' bound."


@module.command("remove_nio", 2, 2)
async def remove_nio(session, args):
    bridge = KIND.namespace(session).get(args[0])
    nio = session.hypervisor.registry.nios.find(args[1])
    if nio is None or not bridge.remove_nio(nio):
        raise bind_error(args)
    return f"NIO '{args[1]}' unbound."


register_list(module, KIND)
