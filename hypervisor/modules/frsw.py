"""`frsw` module: Frame Relay switches (the switch itself is `hypervisor/frsw.py`)."""
from __future__ import annotations

from protocol.codec import Reply
from protocol.status import Status

from ..cnum import atoi
from ..commands import CommandError, Module
from ..frsw import FrameRelaySwitch

module = Module("frsw")


def switches(session):
    return session.hypervisor.registry.frsws


def nio_pair(session, in_name: str, out_name: str):
    """Both NIOs, or None if one is unknown or bound to a VM slot."""
    from .nio import vm_bindings
    nios = session.hypervisor.registry.nios
    found = nios.find(in_name), nios.find(out_name)
    if None in found or any(vm_bindings(session.hypervisor, n.name) for n in found):
        return None
    return found


@module.command("create", 1, 1)
async def create(session, args):
    if not switches(session).add(args[0], FrameRelaySwitch(args[0])):
        raise CommandError(Status.ERR_CREATE,
                           f"unable to create frame-relay switch '{args[0]}'")
    session.hypervisor.log.info("frsw.created", frsw=args[0])
    return f"FRSW '{args[0]}' created"


@module.command("rename", 2, 2)
async def rename(session, args):
    old, new = args
    switch = switches(session).get(old)
    if not switches(session).rename(old, new):
        raise CommandError(Status.ERR_RENAME,
                           f"unable to rename FRSW '{old}', '{new}' already exists")
    switch.name = new
    return f"FRSW '{old}' renamed to '{new}'"


@module.command("delete", 1, 1)
async def delete(session, args):
    switch = switches(session).remove(args[0])
    if switch is None:
        raise CommandError(Status.ERR_DELETE, f"unable to delete FRSW '{args[0]}'")
    switch.close()
    session.hypervisor.log.info("frsw.deleted", frsw=args[0])
    return f"FRSW '{args[0]}' deleted"


@module.command("create_vc", 5, 5)
async def create_vc(session, args):
    switch = switches(session).get(args[0])
    nios = nio_pair(session, args[1], args[3])
    if nios is None or not switch.create_vc(nios[0], atoi(args[2]), nios[1], atoi(args[4])):
        raise CommandError(Status.ERR_BINDING, "unable to create VC")
    return "VC created"


@module.command("delete_vc", 5, 5)
async def delete_vc(session, args):
    switch = switches(session).get(args[0])
    nios = session.hypervisor.registry.nios
    in_nio, out_nio = nios.find(args[1]), nios.find(args[3])
    if in_nio is None or out_nio is None or not switch.delete_vc(
            in_nio, atoi(args[2]), out_nio, atoi(args[4])):
        raise CommandError(Status.ERR_BINDING, "unable to delete VC")
    return "VC deleted"


@module.command("list", 0, 0)
async def list_objects(session, args):
    return Reply(info=[name for name, _ in switches(session).newest_first()])
