"""`nio` module: NIOs (network I/O: UDP, TAP, UNIX, ...).

Registered with dynamips' names and argument counts so clients see the real table; the
commands answer a clear "not implemented yet" error until their issue lands. `list` is
real: nothing of this kind can exist yet, so it is empty.
"""
from __future__ import annotations

from protocol.codec import Reply
from protocol.status import Status

from ..commands import Module

module = Module("nio")

module.unimplemented("create_udp", 4, 4, Status.ERR_CREATE)
module.unimplemented("create_udp_auto", 4, 4, Status.ERR_CREATE)
module.unimplemented("connect_udp_auto", 3, 3, Status.ERR_UNSPECIFIED)
module.unimplemented("create_unix", 3, 3, Status.ERR_CREATE)
module.unimplemented("create_vde", 3, 3, Status.ERR_CREATE)
module.unimplemented("create_tap", 2, 2, Status.ERR_CREATE)
module.unimplemented("create_gen_eth", 2, 2, Status.ERR_CREATE)
module.unimplemented("create_linux_eth", 2, 2, Status.ERR_CREATE)
module.unimplemented("create_null", 1, 1, Status.ERR_CREATE)
module.unimplemented("create_fifo", 1, 1, Status.ERR_CREATE)
module.unimplemented("crossconnect_fifo", 2, 2, Status.ERR_UNSPECIFIED)
module.unimplemented("rename", 2, 2, Status.ERR_UNSPECIFIED)
module.unimplemented("delete", 1, 1, Status.ERR_UNSPECIFIED)
module.unimplemented("set_debug", 2, 2, Status.ERR_UNSPECIFIED)
module.unimplemented("bind_filter", 3, 3, Status.ERR_UNSPECIFIED)
module.unimplemented("unbind_filter", 2, 2, Status.ERR_UNSPECIFIED)
module.unimplemented("setup_filter", 2, 10, Status.ERR_UNSPECIFIED)
module.unimplemented("get_stats", 1, 1, Status.ERR_UNSPECIFIED)
module.unimplemented("reset_stats", 1, 1, Status.ERR_UNSPECIFIED)
module.unimplemented("set_bandwidth", 2, 2, Status.ERR_UNSPECIFIED)


@module.command("list", 0, 0)
async def list_objects(session, args):
    return Reply(info=[name for name, _ in session.hypervisor.registry.nios.newest_first()])
