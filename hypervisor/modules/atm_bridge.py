"""`atm_bridge` module: RFC 1483 ATM bridges (the bridge itself is `hypervisor/atm_bridge.py`)."""
from __future__ import annotations

from protocol.codec import Reply
from protocol.status import Status

from ..atm_bridge import AtmBridge
from ..cnum import atoi
from ..commands import CommandError, Module
from .frsw import nio_pair

module = Module("atm_bridge")


def bridges(session):
    return session.hypervisor.registry.atm_bridges


@module.command("create", 1, 1)
async def create(session, args):
    if not bridges(session).add(args[0], AtmBridge(args[0])):
        raise CommandError(Status.ERR_CREATE, f"unable to create ATM bridge '{args[0]}'")
    session.hypervisor.log.info("atm_bridge.created", atm_bridge=args[0])
    return f"ATM bridge '{args[0]}' created"


@module.command("rename", 2, 2)
async def rename(session, args):
    old, new = args
    bridge = bridges(session).get(old)
    if not bridges(session).rename(old, new):
        raise CommandError(Status.ERR_RENAME,
                           f"unable to rename ATM bridge '{old}', '{new}' already exists")
    bridge.name = new
    return f"ATM bridge '{old}' renamed to '{new}'"


@module.command("delete", 1, 1)
async def delete(session, args):
    bridge = bridges(session).remove(args[0])
    if bridge is None:
        raise CommandError(Status.ERR_DELETE, f"unable to delete ATM bridge '{args[0]}'")
    bridge.close()
    session.hypervisor.log.info("atm_bridge.deleted", atm_bridge=args[0])
    return f"ATM bridge '{args[0]}' deleted"


@module.command("configure", 5, 5)
async def configure(session, args):
    bridge = bridges(session).get(args[0])
    nios = nio_pair(session, args[1], args[2])
    if nios is None or not bridge.configure(nios[0], nios[1], atoi(args[3]), atoi(args[4])):
        raise CommandError(Status.ERR_BINDING, "unable to configure bridge")
    return "ATM bridge configured"


@module.command("unconfigure", 1, 1)
async def unconfigure(session, args):
    bridges(session).get(args[0]).unconfigure()
    return "ATM bridge unconfigured"


@module.command("list", 0, 0)
async def list_objects(session, args):
    return Reply(info=[name for name, _ in bridges(session).newest_first()])
