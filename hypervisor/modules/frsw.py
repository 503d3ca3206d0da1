"""`frsw` module: Frame Relay switches (the switch itself is `hypervisor/frsw.py`)."""
from __future__ import annotations

from protocol.status import Status

from ..cnum import atoi
from ..commands import CommandError, Module
from ..object_commands import ObjectKind, register_lifecycle, register_list
from ..frsw import FrameRelaySwitch

module = Module("frsw")



def nio_pair(session, in_name: str, out_name: str):
    """Both NIOs, or None if one is unknown or bound to a VM slot."""
    from .nio import vm_bindings
    nios = session.hypervisor.registry.nios
    found = nios.find(in_name), nios.find(out_name)
    if None in found or any(vm_bindings(session.hypervisor, n.name) for n in found):
        return None
    return found


KIND = ObjectKind("frsws", "FRSW", "frame-relay switch", FrameRelaySwitch)
register_lifecycle(module, KIND)


@module.command("create_vc", 5, 5)
async def create_vc(session, args):
    switch = KIND.namespace(session).get(args[0])
    nios = nio_pair(session, args[1], args[3])
    if nios is None or not switch.create_vc(nios[0], atoi(args[2]), nios[1], atoi(args[4])):
        raise CommandError(Status.ERR_BINDING, "unable to create VC")
    return "VC created"


@module.command("delete_vc", 5, 5)
async def delete_vc(session, args):
    switch = KIND.namespace(session).get(args[0])
    nios = session.hypervisor.registry.nios
    in_nio, out_nio = nios.find(args[1]), nios.find(args[3])
    if in_nio is None or out_nio is None or not switch.delete_vc(
            in_nio, atoi(args[2]), out_nio, atoi(args[4])):
        raise CommandError(Status.ERR_BINDING, "unable to delete VC")
    return "VC deleted"


register_list(module, KIND)
