"""`ethsw` module: Ethernet switches (the switch itself is `hypervisor/ethsw.py`)."""
from __future__ import annotations

from protocol.codec import Reply
from protocol.status import Status

from ..cnum import atoi
from ..commands import CommandError, Module
from ..object_commands import ObjectKind, register_lifecycle, register_list
from ..ethsw import ACCESS, DEFAULT_TAG_TYPE, DOT1Q, QINQ, TAG_TYPES, EthernetSwitch

from .nio import free_for

module = Module("ethsw")



def bind_error(args) -> CommandError:
    # dynamips answers remove_nio failures with the same "bind" text (sic)
    return CommandError(Status.ERR_BINDING,
                        f"unable to bind NIO '{args[1]}' to switch '{args[0]}'")


KIND = ObjectKind("ethsws", "ETHSW", "Ethernet switch", EthernetSwitch)
register_lifecycle(module, KIND)


@module.command("add_nio", 2, 2)
async def add_nio(session, args):
    switch = KIND.namespace(session).get(args[0])
    nio = session.hypervisor.registry.nios.find(args[1])
    if nio is None or not free_for(session.hypervisor, nio, switch):
        raise bind_error(args)
    switch.add_nio(nio)
    return f"NIO '{args[1]}' bound."


@module.command("remove_nio", 2, 2)
async def remove_nio(session, args):
    switch = KIND.namespace(session).get(args[0])
    nio = session.hypervisor.registry.nios.find(args[1])
    if nio is None or not switch.remove_nio(nio):
        raise bind_error(args)
    return f"NIO '{args[1]}' unbound."


def set_port(session, args, mode: str, ethertype: int = DEFAULT_TAG_TYPE) -> str:
    switch = KIND.namespace(session).get(args[0])
    nio = session.hypervisor.registry.nios.find(args[1])
    if nio is None or not switch.set_port(nio, mode, atoi(args[2]), ethertype):
        raise CommandError(Status.ERR_BINDING, "unable to apply port settings")
    return "Port settings OK"


@module.command("set_access_port", 3, 3)
async def set_access_port(session, args):
    return set_port(session, args, ACCESS)


@module.command("set_dot1q_port", 3, 3)
async def set_dot1q_port(session, args):
    return set_port(session, args, DOT1Q)


@module.command("set_qinq_port", 3, 4)
async def set_qinq_port(session, args):
    ethertype = DEFAULT_TAG_TYPE
    if len(args) == 4:
        text = args[3].lower()
        try:
            ethertype = int(text[2:], 16) if text.startswith("0x") else -1
        except ValueError:
            ethertype = -1
        if ethertype not in TAG_TYPES:
            raise CommandError(Status.ERR_BINDING,
                               f"unable to apply port settings: EtherType '{args[3]}' is not "
                               f"one of 0x8100, 0x88a8, 0x9100, 0x9200")
    return set_port(session, args, QINQ, ethertype)


@module.command("clear_mac_addr_table", 1, 1)
async def clear_mac_addr_table(session, args):
    KIND.namespace(session).get(args[0]).clear_mac_table()


@module.command("show_mac_addr_table", 1, 1)
async def show_mac_addr_table(session, args):
    table = KIND.namespace(session).get(args[0]).mac_table()
    return Reply(info=[f"{mac}  {vlan}  {nio}" for mac, vlan, nio in table])


register_list(module, KIND)
