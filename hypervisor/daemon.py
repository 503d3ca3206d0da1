"""The hypervisor's shared state: registry, command table, working directory, options.

One `Hypervisor` per daemon; every connection's `Session` points at it, so a VM created on
one connection is seen by all (as with dynamips).
"""
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from protocol.status import Status

from .commands import CommandError, CommandTable
from .log import get_logger
from .registry import Registry


@dataclass
class Options:
    name_by_id: bool = False              # -N1: VM files named by instance id
    strict_paths: bool = False            # refuse files outside the working directory
    console_binding_addr: str = "127.0.0.1"
    max_clients: int = 256
    auto_idle: bool = True                # idle detection of a polling console (not dynamips)


class Hypervisor:
    def __init__(self, options: Options | None = None, working_dir: str | Path | None = None,
                 table: CommandTable | None = None, launcher=None) -> None:
        from .launcher import Launcher
        from .modules import build_table
        self.launcher = launcher or Launcher()
        self._own_launcher = launcher is None
        self.options = options or Options()
        self.working_dir = Path(working_dir or os.getcwd()).resolve()
        self.root_dir = self.working_dir  # what --strict-paths confines files to
        self.registry = Registry()
        self.table = table or build_table()
        self.pid = os.getpid()
        self.log = get_logger()
        self.stopped = asyncio.Event()

    # -- files -------------------------------------------------------------------------
    def resolve_path(self, name: str, code: Status = Status.ERR_INV_PARAM) -> Path:
        """A client-given file name: relative to the working dir; confined if strict."""
        path = (self.working_dir / name) if not os.path.isabs(name) else Path(name)
        path = Path(os.path.normpath(path))
        if self.options.strict_paths:
            real = path.resolve()
            if real != self.root_dir and self.root_dir not in real.parents:
                raise CommandError(code, f"path '{name}' is outside the working directory "
                                         f"'{self.root_dir}' (--strict-paths)")
        return path

    def change_working_dir(self, name: str) -> None:
        path = self.resolve_path(name)
        if not path.exists():
            raise CommandError(Status.ERR_INV_PARAM, "chdir: No such file or directory")
        if not path.is_dir():
            raise CommandError(Status.ERR_INV_PARAM, "chdir: Not a directory")
        if not os.access(path, os.X_OK):
            raise CommandError(Status.ERR_INV_PARAM, "chdir: Permission denied")
        self.working_dir = path.resolve()
        self.log.info("hypervisor.working_dir", path=str(self.working_dir))

    # -- lifecycle -----------------------------------------------------------------------
    async def reset(self) -> None:
        """Delete every object (`hypervisor reset`, and `hypervisor stop` before exit)."""
        for vm in self.registry.vms:
            await self.delete_vm(vm)
        reg = self.registry
        # Switches and bridges first (they hold NIOs), then the NIOs and their sockets.
        for namespace in (reg.ethsws, reg.nio_bridges, reg.frsws, reg.atmsws,
                          reg.atm_bridges, reg.nios):
            for obj in namespace:
                close = getattr(obj, "close", None)
                if close is not None:
                    close()
            namespace.clear()
        self.log.info("hypervisor.reset")

    async def stop_vm(self, vm) -> None:
        """Stop a VM's worker if it has one (within a second, whatever the guest does)."""
        run = vm.run
        if run is not None:
            self.log.info("vm.stopping", vm=vm.name, pid=run.pid)
            await run.stop()
            vm.run_ended(run)
            self.log.info("vm.stopped", vm=vm.name)
        from .vm import VmStatus
        vm.status = VmStatus.HALTED

    async def delete_vm(self, vm, remove_files: bool = False) -> None:
        """Forget a VM: stop it, release its lock and, for clean_delete, remove its files."""
        await self.stop_vm(vm)
        await vm.close_consoles()
        self.registry.vms.remove(vm.name)
        vm.lock.release()
        if remove_files:
            for path in vm.own_files():
                try:
                    path.unlink()
                except OSError as exc:
                    self.log.warning("vm.file_remove_failed", vm=vm.name, path=str(path),
                                     error=str(exc))
        self.log.info("vm.deleted", vm=vm.name, files_removed=remove_files)

    def request_stop(self) -> None:
        self.stopped.set()

    def close(self) -> None:
        """After the last VM stopped: end the launcher we started."""
        if self._own_launcher:
            self.launcher.close()
