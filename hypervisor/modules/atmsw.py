"""`atmsw` module: ATM switches (the switch itself is `hypervisor/atmsw.py`)."""
from __future__ import annotations

from protocol.codec import Reply
from protocol.status import Status

from ..atmsw import AtmSwitch
from ..cnum import atoi
from ..commands import CommandError, Module
from .frsw import nio_pair

module = Module("atmsw")


def switches(session):
    return session.hypervisor.registry.atmsws


@module.command("create", 1, 1)
async def create(session, args):
    if not switches(session).add(args[0], AtmSwitch(args[0])):
        raise CommandError(Status.ERR_CREATE, f"unable to create ATM switch '{args[0]}'")
    session.hypervisor.log.info("atmsw.created", atmsw=args[0])
    return f"ATMSW '{args[0]}' created"


@module.command("rename", 2, 2)
async def rename(session, args):
    old, new = args
    switch = switches(session).get(old)
    if not switches(session).rename(old, new):
        raise CommandError(Status.ERR_RENAME,
                           f"unable to rename ATMSW '{old}', '{new}' already exists")
    switch.name = new
    return f"ATMSW '{old}' renamed to '{new}'"


@module.command("delete", 1, 1)
async def delete(session, args):
    switch = switches(session).remove(args[0])
    if switch is None:
        raise CommandError(Status.ERR_DELETE, f"unable to delete ATMSW '{args[0]}'")
    switch.close()
    session.hypervisor.log.info("atmsw.deleted", atmsw=args[0])
    return f"ATMSW '{args[0]}' deleted"


def known_nios(session, in_name: str, out_name: str):
    nios = session.hypervisor.registry.nios
    in_nio, out_nio = nios.find(in_name), nios.find(out_name)
    return None if in_nio is None or out_nio is None else (in_nio, out_nio)


@module.command("create_vpc", 5, 5)
async def create_vpc(session, args):
    switch = switches(session).get(args[0])
    nios = nio_pair(session, args[1], args[3])
    if nios is None or not switch.create_vpc(nios[0], atoi(args[2]), nios[1], atoi(args[4])):
        raise CommandError(Status.ERR_BINDING, "unable to create VPC")
    return "VPC created"


@module.command("delete_vpc", 5, 5)
async def delete_vpc(session, args):
    switch = switches(session).get(args[0])
    nios = known_nios(session, args[1], args[3])
    if nios is None or not switch.delete_vpc(nios[0], atoi(args[2]), nios[1], atoi(args[4])):
        raise CommandError(Status.ERR_BINDING, "unable to delete VPC")
    return "VPC deleted"


@module.command("create_vcc", 7, 7)
async def create_vcc(session, args):
    switch = switches(session).get(args[0])
    nios = nio_pair(session, args[1], args[4])
    if nios is None or not switch.create_vcc(nios[0], atoi(args[2]), atoi(args[3]),
                                             nios[1], atoi(args[5]), atoi(args[6])):
        raise CommandError(Status.ERR_BINDING, "unable to create VCC")
    return "VCC created"


@module.command("delete_vcc", 7, 7)
async def delete_vcc(session, args):
    switch = switches(session).get(args[0])
    nios = known_nios(session, args[1], args[4])
    if nios is None or not switch.delete_vcc(nios[0], atoi(args[2]), atoi(args[3]),
                                             nios[1], atoi(args[5]), atoi(args[6])):
        raise CommandError(Status.ERR_BINDING, "unable to delete VCC")
    return "VCC deleted"


@module.command("list", 0, 0)
async def list_objects(session, args):
    return Reply(info=[name for name, _ in switches(session).newest_first()])
