"""`nio_bridge` module: NIO bridges (hubs).

Registered with dynamips' names and argument counts so clients see the real table; the
commands answer a clear "not implemented yet" error until their issue lands. `list` is
real: nothing of this kind can exist yet, so it is empty.
"""
from __future__ import annotations

from protocol.codec import Reply
from protocol.status import Status

from ..commands import Module

module = Module("nio_bridge")

module.unimplemented("create", 1, 1, Status.ERR_CREATE)
module.unimplemented("rename", 2, 2, Status.ERR_UNSPECIFIED)
module.unimplemented("delete", 1, 1, Status.ERR_UNSPECIFIED)
module.unimplemented("add_nio", 2, 2, Status.ERR_UNSPECIFIED)
module.unimplemented("remove_nio", 2, 2, Status.ERR_UNSPECIFIED)


@module.command("list", 0, 0)
async def list_objects(session, args):
    return Reply(info=[name for name, _ in session.hypervisor.registry.nio_bridges.newest_first()])
