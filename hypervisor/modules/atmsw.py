"""`atmsw` module: ATM switches (the switch itself is `hypervisor/atmsw.py`)."""
from __future__ import annotations

from protocol.status import Status

from ..atmsw import AtmSwitch
from ..cnum import atoi
from ..commands import CommandError, Module
from ..object_commands import ObjectKind, register_lifecycle, register_list
from .frsw import nio_pair

module = Module("atmsw")



KIND = ObjectKind("atmsws", "ATMSW", "ATM switch", AtmSwitch)
register_lifecycle(module, KIND)


def known_nios(session, in_name: str, out_name: str):
    nios = session.hypervisor.registry.nios
    in_nio, out_nio = nios.find(in_name), nios.find(out_name)
    return None if in_nio is None or out_nio is None else (in_nio, out_nio)


@module.command("create_vpc", 5, 5)
async def create_vpc(session, args):
    switch = KIND.namespace(session).get(args[0])
    nios = nio_pair(session, args[1], args[3])
    if nios is None or not switch.create_vpc(nios[0], atoi(args[2]), nios[1], atoi(args[4])):
        raise CommandError(Status.ERR_BINDING, "unable to create VPC")
    return "VPC created"


@module.command("delete_vpc", 5, 5)
async def delete_vpc(session, args):
    switch = KIND.namespace(session).get(args[0])
    nios = known_nios(session, args[1], args[3])
    if nios is None or not switch.delete_vpc(nios[0], atoi(args[2]), nios[1], atoi(args[4])):
        raise CommandError(Status.ERR_BINDING, "unable to delete VPC")
    return "VPC deleted"


@module.command("create_vcc", 7, 7)
async def create_vcc(session, args):
    switch = KIND.namespace(session).get(args[0])
    nios = nio_pair(session, args[1], args[4])
    if nios is None or not switch.create_vcc(nios[0], atoi(args[2]), atoi(args[3]),
                                             nios[1], atoi(args[5]), atoi(args[6])):
        raise CommandError(Status.ERR_BINDING, "unable to create VCC")
    return "VCC created"


@module.command("delete_vcc", 7, 7)
async def delete_vcc(session, args):
    switch = KIND.namespace(session).get(args[0])
    nios = known_nios(session, args[1], args[4])
    if nios is None or not switch.delete_vcc(nios[0], atoi(args[2]), atoi(args[3]),
                                             nios[1], atoi(args[5]), atoi(args[6])):
        raise CommandError(Status.ERR_BINDING, "unable to delete VCC")
    return "VCC deleted"


register_list(module, KIND)
