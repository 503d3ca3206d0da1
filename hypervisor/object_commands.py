"""The create/rename/delete/list rows every switching module shares (ethsw, nio_bridge,
frsw, atmsw, atm_bridge), with dynamips' texts built from one description of the kind.

A module calls `register_lifecycle` where dynamips' table has create/rename/delete (first)
and `register_list` where it has list (last), so `hypervisor cmd_list` keeps its order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from protocol.codec import Reply
from protocol.status import Status

from .commands import CommandError, Module


@dataclass(frozen=True)
class ObjectKind:
    registry_attr: str              # the registry namespace: "ethsws", "frsws", ...
    label: str                      # in replies: "ETHSW", "NIO bridge", "ATM bridge", ...
    create_noun: str                # in the create error: "Ethernet switch", ...
    factory: Callable[[str], object]

    def namespace(self, session):
        return getattr(session.hypervisor.registry, self.registry_attr)

    def log_event(self, session, what: str, name: str) -> None:
        session.hypervisor.log.info(f"{self.registry_attr.rstrip('s')}.{what}", name=name)


def register_lifecycle(module: Module, kind: ObjectKind) -> None:
    @module.command("create", 1, 1)
    async def create(session, args):
        if not kind.namespace(session).add(args[0], kind.factory(args[0])):
            raise CommandError(Status.ERR_CREATE,
                               f"unable to create {kind.create_noun} '{args[0]}'")
        kind.log_event(session, "created", args[0])
        return f"{kind.label} '{args[0]}' created"

    @module.command("rename", 2, 2)
    async def rename(session, args):
        old, new = args
        objects = kind.namespace(session)
        obj = objects.get(old)
        if not objects.rename(old, new):
            raise CommandError(Status.ERR_RENAME,
                               f"unable to rename {kind.label} '{old}', '{new}' already exists")
        obj.name = new
        return f"{kind.label} '{old}' renamed to '{new}'"

    @module.command("delete", 1, 1)
    async def delete(session, args):
        obj = kind.namespace(session).remove(args[0])
        if obj is None:
            raise CommandError(Status.ERR_DELETE, f"unable to delete {kind.label} '{args[0]}'")
        obj.close()                      # releases its NIOs
        kind.log_event(session, "deleted", args[0])
        return f"{kind.label} '{args[0]}' deleted"


def register_list(module: Module, kind: ObjectKind) -> None:
    @module.command("list", 0, 0)
    async def list_objects(session, args):
        return Reply(info=[name for name, _ in kind.namespace(session).newest_first()])
