"""`nio_bridge` module: NIO bridges, i.e. hubs (the hub itself is `hypervisor/nio_bridge.py`)."""
from __future__ import annotations

from protocol.codec import Reply
from protocol.status import Status

from ..commands import CommandError, Module
from ..nio_bridge import NioBridge

module = Module("nio_bridge")


def bridges(session):
    return session.hypervisor.registry.nio_bridges


def bind_error(args) -> CommandError:
    return CommandError(Status.ERR_BINDING,
                        f"unable to bind NIO '{args[1]}' to bridge '{args[0]}'")


@module.command("create", 1, 1)
async def create(session, args):
    if not bridges(session).add(args[0], NioBridge(args[0])):
        raise CommandError(Status.ERR_CREATE, f"unable to create NIO bridge '{args[0]}'")
    return f"NIO bridge '{args[0]}' created"


@module.command("rename", 2, 2)
async def rename(session, args):
    old, new = args
    bridge = bridges(session).get(old)
    if not bridges(session).rename(old, new):
        raise CommandError(Status.ERR_RENAME,
                           f"unable to rename NIO bridge '{old}', '{new}' already exists")
    bridge.name = new
    return f"NIO bridge '{old}' renamed to '{new}'"


@module.command("delete", 1, 1)
async def delete(session, args):
    bridge = bridges(session).remove(args[0])
    if bridge is None:
        raise CommandError(Status.ERR_DELETE, f"unable to delete NIO bridge '{args[0]}'")
    bridge.close()
    return f"NIO bridge '{args[0]}' deleted"


@module.command("add_nio", 2, 2)
async def add_nio(session, args):
    bridge = bridges(session).get(args[0])
    nio = session.hypervisor.registry.nios.find(args[1])
    from .nio import vm_bindings
    if nio is None or not bridge.can_add(nio) or vm_bindings(session.hypervisor, nio.name):
        raise bind_error(args)
    bridge.add_nio(nio)
    return f"NIO '{args[1]}' bound."


@module.command("remove_nio", 2, 2)
async def remove_nio(session, args):
    bridge = bridges(session).get(args[0])
    nio = session.hypervisor.registry.nios.find(args[1])
    if nio is None or not bridge.remove_nio(nio):
        raise bind_error(args)
    return f"NIO '{args[1]}' unbound."


@module.command("list", 0, 0)
async def list_objects(session, args):
    return Reply(info=[name for name, _ in bridges(session).newest_first()])
