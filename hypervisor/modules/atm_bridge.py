"""`atm_bridge` module: RFC 1483 ATM bridges (the bridge itself is `hypervisor/atm_bridge.py`)."""
from __future__ import annotations

from protocol.status import Status

from ..atm_bridge import AtmBridge
from ..cnum import atoi
from ..commands import CommandError, Module
from ..object_commands import ObjectKind, register_lifecycle, register_list
from .frsw import nio_pair

module = Module("atm_bridge")



KIND = ObjectKind("atm_bridges", "ATM bridge", "ATM bridge", AtmBridge)
register_lifecycle(module, KIND)


@module.command("configure", 5, 5)
async def configure(session, args):
    bridge = KIND.namespace(session).get(args[0])
    nios = nio_pair(session, args[1], args[2])
    if nios is None or not bridge.configure(nios[0], nios[1], atoi(args[3]), atoi(args[4])):
        raise CommandError(Status.ERR_BINDING, "unable to configure bridge")
    return "ATM bridge configured"


@module.command("unconfigure", 1, 1)
async def unconfigure(session, args):
    KIND.namespace(session).get(args[0]).unconfigure()
    return "ATM bridge unconfigured"


register_list(module, KIND)
