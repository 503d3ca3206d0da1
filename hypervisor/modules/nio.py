"""`nio` module: NIOs (network I/O: UDP, UNIX, null, FIFO; TAP/raw Ethernet/VDE refused).

The transports live in `hypervisor/nio.py`; these handlers parse arguments, keep the
registry and answer dynamips' texts (a cause is appended to creation errors).
"""
from __future__ import annotations

from protocol.codec import Reply
from protocol.status import Status

from ..cnum import atoi
from ..commands import CommandError, Module
from ..nio import (UNSUPPORTED, FifoNio, Nio, NioError, NullNio, UdpAutoNio, UdpNio,
                   UnixNio)

module = Module("nio")


def nios(session):
    return session.hypervisor.registry.nios


def vm_bindings(hv, name: str) -> list:
    """(binding, port) of every VM slot port bound to the NIO called `name`."""
    return [(binding, port) for vm in hv.registry.vms for binding in vm.slots.values()
            for port, nio in binding.nios.items() if nio == name]


def free_for(hv, nio: Nio, owner=None) -> bool:
    """May `nio` become a port of `owner` (a switch or hub; None: a VM slot)? A NIO serves
    one port: no VM slot binds it and no other object owns it."""
    return not vm_bindings(hv, nio.name) and nio.owners <= ({owner} if owner else set())


def in_use(hv, nio: Nio) -> bool:
    return bool(nio.owners) or bool(vm_bindings(hv, nio.name))


async def register(session, name: str, opener, failure: str) -> Nio:
    """Open a NIO and add it under `name`; 206 `<failure>: <cause>` when either fails."""
    namespace = nios(session)
    if name in namespace:
        raise CommandError(Status.ERR_CREATE, f"{failure}: NIO '{name}' already exists")
    try:
        nio = await opener()
    except NioError as exc:
        raise CommandError(Status.ERR_CREATE, f"{failure}: {exc}") from None
    if not namespace.add(name, nio):         # created by another client while we resolved
        nio.close()
        raise CommandError(Status.ERR_CREATE, f"{failure}: NIO '{name}' already exists")
    session.hypervisor.log.info("nio.created", nio=name, kind=nio.kind)
    return nio


def refuse(kind: str, failure: str, min_args: int):
    async def handler(session, args):
        raise CommandError(Status.ERR_CREATE, f"{failure}: {UNSUPPORTED[kind]}")
    module.command(f"create_{kind}", min_args, min_args)(handler)


@module.command("create_udp", 4, 4)
async def create_udp(session, args):
    name = args[0]
    await register(session, name,
                   lambda: UdpNio.open(name, atoi(args[1]), args[2], atoi(args[3])),
                   "unable to create UDP NIO")
    return f"NIO '{name}' created"


@module.command("create_udp_auto", 4, 4)
async def create_udp_auto(session, args):
    name = args[0]
    nio = await register(session, name,
                         lambda: UdpAutoNio.open_auto(name, args[1], atoi(args[2]),
                                                      atoi(args[3])),
                         "unable to create UDP Auto NIO")
    return str(nio.local_port)


@module.command("connect_udp_auto", 3, 3)
async def connect_udp_auto(session, args):
    nio = nios(session).get(args[0])
    if not isinstance(nio, UdpAutoNio):
        raise CommandError(Status.ERR_CREATE,
                           f"unable to connect NIO: '{args[0]}' is not a UDP Auto NIO")
    try:
        await nio.connect(args[1], atoi(args[2]))
    except NioError as exc:
        raise CommandError(Status.ERR_CREATE, f"unable to connect NIO: {exc}") from None
    return f"NIO '{args[0]}' connected"


@module.command("create_unix", 3, 3)
async def create_unix(session, args):
    hv, name = session.hypervisor, args[0]
    local = str(hv.resolve_path(args[1], Status.ERR_CREATE))
    remote = str(hv.resolve_path(args[2], Status.ERR_CREATE))
    await register(session, name, lambda: UnixNio.open(name, local, remote),
                   "unable to create UNIX NIO")
    return f"NIO '{name}' created"


refuse("vde", "unable to create VDE NIO", 3)
refuse("tap", "unable to create TAP NIO", 2)
refuse("gen_eth", "unable to create generic ethernet NIO", 2)
refuse("linux_eth", "unable to create Linux raw ethernet NIO", 2)


@module.command("create_null", 1, 1)
async def create_null(session, args):
    async def opener():
        return NullNio(args[0])
    await register(session, args[0], opener, "unable to create Null NIO")
    return f"NIO '{args[0]}' created"


@module.command("create_fifo", 1, 1)
async def create_fifo(session, args):
    async def opener():
        return FifoNio(args[0])
    await register(session, args[0], opener, "unable to create FIFO NIO")
    return f"NIO '{args[0]}' created"


@module.command("crossconnect_fifo", 2, 2)
async def crossconnect_fifo(session, args):
    a, b = nios(session).get(args[0]), nios(session).get(args[1])
    for nio in (a, b):
        if not isinstance(nio, FifoNio):
            raise CommandError(Status.ERR_BINDING,
                               f"unable to crossconnect NIO '{nio.name}': not a FIFO NIO")
    a.crossconnect(b)


@module.command("rename", 2, 2)
async def rename(session, args):
    old, new = args
    hv = session.hypervisor
    nio = nios(session).get(old)
    if new in nios(session):
        raise CommandError(Status.ERR_RENAME,
                           f"unable to rename NIO '{old}', '{new}' already exists")
    bindings = vm_bindings(hv, old)
    nios(session).rename(old, new)
    nio.name = new
    for binding, port in bindings:         # VM slots name their NIOs: keep them pointing
        binding.nios[port] = new
    return f"NIO '{old}' renamed to '{new}'"


@module.command("delete", 1, 1)
async def delete(session, args):
    hv = session.hypervisor
    nio = nios(session).find(args[0])
    if nio is None or in_use(hv, nio):
        raise CommandError(Status.ERR_DELETE, f"unable to delete NIO '{args[0]}'")
    nios(session).remove(args[0])
    nio.close()
    hv.log.info("nio.deleted", nio=args[0])
    return f"NIO '{args[0]}' deleted"


@module.command("set_debug", 2, 2)
async def set_debug(session, args):
    nios(session).get(args[0]).debug = atoi(args[1])


@module.command("bind_filter", 3, 3)
async def bind_filter(session, args):
    nio = nios(session).get(args[0])
    try:
        nio.bind_filter(atoi(args[1]), args[2])
    except KeyError:
        raise CommandError(Status.ERR_UNK_OBJ, f"Unknown filter {args[2]}") from None


@module.command("unbind_filter", 2, 2)
async def unbind_filter(session, args):
    if not nios(session).get(args[0]).unbind_filter(atoi(args[1])):
        raise CommandError(Status.ERR_UNK_OBJ, "No filter previously defined")


@module.command("setup_filter", 2, 10)
async def setup_filter(session, args):
    nio = nios(session).get(args[0])
    hv = session.hypervisor
    try:
        await nio.setup_filter(atoi(args[1]), args[2:],
                               lambda name: hv.resolve_path(name, Status.ERR_UNSPECIFIED))
    except NioError as exc:
        raise CommandError(Status.ERR_UNSPECIFIED, f"Failed to setup filter: {exc}") from None


@module.command("get_stats", 1, 1)
async def get_stats(session, args):
    return " ".join(str(n) for n in nios(session).get(args[0]).stats())


@module.command("reset_stats", 1, 1)
async def reset_stats(session, args):
    nios(session).get(args[0]).reset_stats()


@module.command("set_bandwidth", 2, 2)
async def set_bandwidth(session, args):
    nios(session).get(args[0]).set_bandwidth(atoi(args[1]))


@module.command("list", 0, 0)
async def list_objects(session, args):
    return Reply(info=[name for name, _ in nios(session).newest_first()])
