"""`hypervisor` module: version, listings, working directory, reset/close/stop."""
from __future__ import annotations

from protocol.codec import Reply
from protocol.status import Status

from .. import VERSION_STRING
from ..commands import CommandError, Module
from ..saved_config import write_config_script

module = Module("hypervisor")


@module.command("version", 0, 0)
async def version(session, args):
    return VERSION_STRING


@module.command("parser_test", 0, 10)
async def parser_test(session, args):
    return Reply(info=[f'arg {i} (len {len(a.encode("utf-8", "surrogateescape"))}): "{a}"'
                       for i, a in enumerate(args)])


@module.command("module_list", 0, 0)
async def module_list(session, args):
    return Reply(info=list(reversed(session.hypervisor.table.modules)))


@module.command("cmd_list", 1, 1)
async def cmd_list(session, args):
    target = session.hypervisor.table.modules.get(args[0])
    if target is None:
        raise CommandError(Status.ERR_UNK_MODULE, f"unknown module '{args[0]}'")
    return Reply(info=[f"{c.name} (min/max args: {c.min_args}/{c.max_args})"
                       for c in reversed(target.commands.values())])


@module.command("working_dir", 1, 1)
async def working_dir(session, args):
    session.hypervisor.change_working_dir(args[0])


@module.command("save_config", 1, 1)
async def save_config(session, args):
    hv = session.hypervisor
    path = hv.resolve_path(args[0], Status.ERR_FILE)
    try:
        await write_config_script(hv, path)
    except OSError as exc:
        raise CommandError(Status.ERR_FILE, f"fopen: {exc.strerror}") from None


@module.command("reset", 0, 0)
async def reset(session, args):
    await session.hypervisor.reset()


@module.command("close", 0, 0)
async def close(session, args):
    session.close_requested = True


@module.command("stop", 0, 0)
async def stop(session, args):
    session.close_requested = True
    session.stop_requested = True
