"""The command table: one `Module` per protocol module, one row per command.

Each file under `hypervisor/modules/` builds a `Module` and registers its handlers with
``@module.command(name, min_args, max_args)``, in dynamips' table order. Dispatch, the
argument-count check, ``hypervisor module_list`` and ``hypervisor cmd_list`` all read this one
table, so what is listed is exactly what is served.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable, Union

from protocol.codec import MSG_NEED_MODULE_AND_COMMAND, Reply
from protocol.status import Status

from .log import get_logger

if TYPE_CHECKING:
    from .session import Session

HandlerResult = Union[Reply, str, None]
Handler = Callable[["Session", list[str]], Awaitable[HandlerResult]]


class CommandError(Exception):
    """Raised by a handler to answer with one final error line."""

    def __init__(self, code: Status, text: str, info: list[str] | None = None) -> None:
        super().__init__(text)
        self.code = code
        self.text = text
        self.info = info

    def reply(self) -> Reply:
        return Reply(self.code, self.text, self.info)


def not_implemented(what: str, code: Status = Status.ERR_UNSPECIFIED) -> CommandError:
    return CommandError(code, f"{what} is not implemented yet in pydynamips")


@dataclass(frozen=True)
class Command:
    name: str
    min_args: int
    max_args: int
    handler: Handler


class Module:
    """A protocol module: its name and its commands in table order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: dict[str, Command] = {}

    def command(self, name: str, min_args: int, max_args: int | None = None):
        def register(handler: Handler) -> Handler:
            if name in self.commands:
                raise ValueError(f"{self.name} {name} registered twice")
            self.commands[name] = Command(name, min_args,
                                          min_args if max_args is None else max_args, handler)
            return handler
        return register


class CommandTable:
    """Every module, in registration order (listings are answered newest first)."""

    def __init__(self, modules: list[Module]) -> None:
        self.modules: dict[str, Module] = {}
        for module in modules:
            if module.name in self.modules:
                raise ValueError(f"module {module.name} registered twice")
            self.modules[module.name] = module

    async def dispatch(self, session: "Session", tokens: tuple[str, ...]) -> Reply:
        if len(tokens) < 2:
            return Reply(Status.ERR_PARSING, MSG_NEED_MODULE_AND_COMMAND)
        module_name, command_name, args = tokens[0], tokens[1], list(tokens[2:])
        module = self.modules.get(module_name)
        if module is None:
            return Reply(Status.ERR_UNK_MODULE, f"Unknown module '{module_name}'")
        command = module.commands.get(command_name)
        if command is None:
            return Reply(Status.ERR_UNK_CMD, f"Unknown command '{command_name}'")
        if not command.min_args <= len(args) <= command.max_args:
            return Reply(Status.ERR_BAD_PARAM,
                         f"Bad number of parameters ({len(args)} with min/max="
                         f"{command.min_args}/{command.max_args})")
        try:
            result = await command.handler(session, args)
        except CommandError as err:
            return err.reply()
        except Exception as exc:         # a bug or a dead worker: answer, keep serving
            get_logger().exception("command.failed", module=module_name,
                                   command=command_name, error=repr(exc))
            return Reply(Status.ERR_UNSPECIFIED,
                         f"'{module_name} {command_name}' failed: {exc!r}")
        if result is None:
            return Reply()
        if isinstance(result, str):
            return Reply(Status.OK, result)
        return result
