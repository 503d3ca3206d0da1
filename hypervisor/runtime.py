"""Running VMs, daemon side: start (ghost, image, NVRAM checks), stop, suspend, consoles.

A `VmRun` is one run of one VM: a worker process forked by the launcher, its control
channel and its exit. The daemon never runs guest code: file and ELF work is done in a
thread, the guest in the worker. When a worker dies for any reason its VM goes back to
status 0 with a `worker.exit` event naming the cause; other VMs never notice.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from asyncio_extras import call_in_executor

from platforms.c7200.nvram import NvramError, NvramFile
from platforms.elf import ImageError, check_fits, read_elf
from protocol.status import Status

from . import control, ghost
from .commands import CommandError
from .console import ConsoleServer
from .log import get_logger
from .nio import NioError
from .vm import GhostStatus, VirtualMachine, VmStatus

if TYPE_CHECKING:
    from .daemon import Hypervisor

STOP_GRACE_S = 0.5          # then SIGKILL: a stop always completes within a second
READY_TIMEOUT_S = 60.0
NPE_RAM_LIMIT_MB = {"npe-400": 512}
DEFAULT_NPE_RAM_LIMIT_MB = 256
POWERPC_NPES = ("npe-g1", "npe-g2")


class StartError(Exception):
    pass


def start_error(vm: VirtualMachine, cause: str) -> CommandError:
    return CommandError(Status.ERR_START, f"unable to start VM instance '{vm.name}': {cause}")


# -- preparing a start (blocking: runs in a thread) ------------------------------------------

def _read_config_file(directory: Path, name: str | None) -> bytes | None:
    if not name:
        return None
    path = Path(name) if os.path.isabs(name) else directory / name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None                              # GNS3 names files that may not exist yet
    except OSError as exc:
        raise StartError(f"config file '{path}': {exc.strerror}") from None


def prepare_start(vm: VirtualMachine, resolve, auto_idle: bool = True) -> dict:
    """Check everything a worker would trip on and return the worker's configuration."""
    s = vm.settings
    if not vm.spec.runnable:
        raise StartError(f"the {vm.platform} platform cannot run yet in pydynamips (c7200 can)")
    if s.npe in POWERPC_NPES:
        raise StartError(f"{s.npe} is a PowerPC NPE; pydynamips emulates the MIPS NPEs "
                         "(npe-100 … npe-400)")
    limit = NPE_RAM_LIMIT_MB.get(s.npe, DEFAULT_NPE_RAM_LIMIT_MB)
    if not 1 <= s.ram_mb <= limit:
        raise StartError(f"RAM size {s.ram_mb} MB is out of range for {s.npe} (1..{limit} MB)")
    if not s.ios_image:
        raise StartError("no image set (vm set_ios)")
    image = resolve(s.ios_image)
    ram_size = s.ram_mb << 20
    elf = read_elf(image, with_data=False)       # ImageError names the file and reason
    check_fits(elf, ram_size)
    ram: dict = {"size": ram_size}
    load_image = True
    if s.ghost_status == GhostStatus.USE:
        if not s.ghost_file:
            raise StartError("ghost status 2 (use) without a ghost file (vm set_ghost_file)")
        ghost_path = resolve(s.ghost_file)
        try:
            ghost.check_usable(ghost_path, image, ram_size)
        except ghost.GhostError as exc:
            raise StartError(str(exc)) from None
        ram.update(kind="ghost", path=str(ghost_path))
        load_image = False
    elif s.ram_mmap:
        ram.update(kind="file", path=str(vm.file_path("ram")))
    else:
        ram.update(kind="anonymous")
    nvram = NvramFile(vm.file_path("nvram"), s.nvram_kb * 1024)
    startup = _read_config_file(vm.directory, s.startup_config)
    private = _read_config_file(vm.directory, s.private_config)
    try:
        if startup is not None or private is not None or not nvram.path.exists():
            nvram.write_configs(startup, private)
    except NvramError as exc:
        raise StartError(f"NVRAM: {exc}") from None
    return {
        "vm": vm.name, "image": str(image), "load_image": load_image, "ram": ram,
        "nvram": {"path": str(nvram.path), "size": s.nvram_kb * 1024},
        "npe": s.npe, "midplane": s.midplane, "mac": s.mac.hex(), "system_id": s.system_id,
        "conf_reg": s.conf_reg, "clock_divisor": s.clock_divisor, "idle_pc": s.idle_pc,
        "idle_max": s.idle_max, "idle_sleep_ms": s.idle_sleep_ms,
        "instance_id": vm.instance_id, "auto_idle": auto_idle,
        "slots": {str(slot): b.card for (slot, sub), b in vm.slots.items() if sub == 0},
    }


def generate_ghost(vm: VirtualMachine, resolve) -> Path:
    s = vm.settings
    if not s.ghost_file:
        raise StartError("ghost status 1 (generate) without a ghost file (vm set_ghost_file)")
    if not s.ios_image:
        raise StartError("no image set (vm set_ios)")
    path = resolve(s.ghost_file)
    ghost.generate(path, resolve(s.ios_image), s.ram_mb << 20, vm.platform)
    return path


# -- one run --------------------------------------------------------------------------------

class VmRun:
    """One worker process running one VM."""

    def __init__(self, hv: "Hypervisor", vm: VirtualMachine) -> None:
        self.hv = hv
        self.vm = vm
        self.pid: int | None = None
        self.channel = None
        self.log = get_logger(vm=vm.name)
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.ended: asyncio.Future = asyncio.get_running_loop().create_future()
        self.exit_event: dict | None = None
        self.stop_reason: str | None = None
        self._requests: dict[int, asyncio.Future] = {}
        self._next_id = 0
        self.nios: dict[tuple[int, int], object] = {}   # (slot, port) -> NIO the worker owns
        self._eof = False

    async def launch(self, config: dict) -> None:
        self.pid, self.channel = await self.hv.launcher.start_worker(config)
        loop = asyncio.get_running_loop()
        loop.add_reader(self.channel.fileno(), self._on_readable)
        self.hv.launcher.on_exit(self.pid, self._on_exit)
        try:
            await asyncio.wait_for(asyncio.shield(self.ready), READY_TIMEOUT_S)
        except asyncio.TimeoutError:
            await self.kill("no ready message from the worker")
            raise StartError(f"the worker did not start within {READY_TIMEOUT_S:.0f} s") from None
        for (slot, sub), binding in self.vm.slots.items():
            if sub == 0:
                for port, name in binding.nios.items():
                    self.attach_nio(slot, port, name)

    # -- NIOs: the worker moves the frames of the VM's ports -----------------------------
    def attach_nio(self, slot: int, port: int, name: str) -> None:
        """Hand a NIO's socket to the worker (the daemon stops reading it meanwhile)."""
        nio = self.hv.registry.nios.find(name)
        if nio is None or (slot, port) in self.nios or self._eof:
            return
        sock = nio.detach()
        if sock is None:
            nio.attach()
            self.log.warning("vm.nio_unsupported", nio=name, kind=nio.kind,
                             reason="only socket NIOs (UDP, UNIX) reach a VM port so far")
            return
        try:
            socket.send_fds(self.channel, [control.encode_json(
                "nio_attach", slot=slot, port=port, spec=nio.spec())], [sock.fileno()])
        except OSError as exc:
            nio.attach()
            self.log.warning("vm.nio_attach_failed", nio=name, error=str(exc))
            return
        self.nios[(slot, port)] = nio
        self.log.info("vm.nio_attached", nio=name, slot=slot, port=port)

    def detach_nio(self, slot: int, port: int) -> None:
        """Take a port's NIO back from the worker."""
        nio = self.nios.pop((slot, port), None)
        if nio is None:
            return
        self.send("nio_detach", slot=slot, port=port)
        self._give_back(nio)

    def _give_back(self, nio) -> None:
        if not nio.closed:
            try:
                nio.attach()
            except (OSError, NioError) as exc:      # the port was taken meanwhile
                self.log.warning("vm.nio_reattach_failed", nio=nio.name, error=str(exc))

    # -- channel --------------------------------------------------------------------------
    def send(self, op: str, **fields) -> None:
        if self.channel is not None and not self._eof:
            try:
                self.channel.send(control.encode_json(op, **fields))
            except OSError:
                pass

    def send_input(self, kind: bytes, data: bytes) -> None:
        if self.channel is None or self._eof:
            return
        for message in control.encode_data(kind, data):
            try:
                self.channel.send(message)
            except OSError:
                return

    async def request(self, what: str, timeout: float = 5.0, **fields) -> dict:
        """Ask the worker something; it answers between two run slices."""
        self._next_id += 1
        request_id = self._next_id
        future = asyncio.get_running_loop().create_future()
        self._requests[request_id] = future
        self.send("request", id=request_id, what=what, **fields)
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise CommandError(Status.ERR_BAD_OBJ, f"VM '{self.vm.name}': no answer to "
                                                   f"'{what}' within {timeout:.0f} s") from None
        finally:
            self._requests.pop(request_id, None)

    def _on_readable(self) -> None:
        try:
            message = self.channel.recv(control.MAX_MESSAGE)
        except BlockingIOError:
            return
        except OSError:
            message = b""
        if not message:
            self._on_eof()
            return
        kind, payload = control.decode(message)
        if kind == control.KIND_CONSOLE:
            self.vm.console_output(payload)
        elif kind == control.KIND_AUX:
            self.vm.aux_output(payload)
        else:
            self._on_event(payload)

    def _on_event(self, event: dict) -> None:
        op = event["op"]
        if op == "ready" and not self.ready.done():
            self.ready.set_result(None)
        elif op == "failed" and not self.ready.done():
            self.ready.set_exception(StartError(event["reason"]))
        elif op in ("stopped", "error"):
            self.stop_reason = event["reason"]
            log = self.log.info if op == "stopped" else self.log.error
            log("vm.guest_" + op, reason=event["reason"])
        elif op == "warning":
            self.log.warning("vm.warning", reason=event["reason"])
        elif op == "breakpoint":
            self.vm.status = VmStatus.SUSPENDED
            self.log.info("vm.breakpoint", pc=f"0x{event['pc'] & 0xFFFFFFFFFFFFFFFF:016x}")
        elif op == "reply":
            future = self._requests.get(event["id"])
            if future is not None and not future.done():
                future.set_result(event)

    def _on_eof(self) -> None:
        self._eof = True
        for future in self._requests.values():      # nobody will answer them now
            if not future.done():
                future.set_exception(CommandError(
                    Status.ERR_BAD_OBJ, f"VM '{self.vm.name}': the worker exited"))
        asyncio.get_running_loop().remove_reader(self.channel.fileno())
        self.channel.close()
        if not self.ready.done():
            self.ready.set_exception(StartError("the worker exited during start-up"))
        self._maybe_end()

    def _on_exit(self, event: dict) -> None:
        self.exit_event = event
        self._maybe_end()

    def _maybe_end(self) -> None:
        if self._eof and self.exit_event is not None and not self.ended.done():
            self.ended.set_result(self.exit_event)
            for nio in self.nios.values():
                self._give_back(nio)
            self.nios.clear()
            self.vm.run_ended(self)
            self.log.info("worker.exit", pid=self.pid, cause=self.exit_event.get("cause"),
                          guest=self.stop_reason)
            ram = self.vm.file_path("ram")
            if ram.exists() and self.vm.settings.ghost_status != GhostStatus.USE:
                ram.unlink(missing_ok=True)        # a killed worker could not delete it

    # -- control ----------------------------------------------------------------------------
    async def stop(self) -> None:
        """Stop the worker; whatever the guest does, done within a second."""
        if self.ended.done():
            return
        self.send("stop")
        try:
            await asyncio.wait_for(asyncio.shield(self.ended), STOP_GRACE_S)
        except asyncio.TimeoutError:
            await self.kill("did not stop in time")

    async def kill(self, why: str) -> None:
        if self.pid is not None and not self.ended.done():
            self.log.warning("worker.kill", pid=self.pid, reason=why)
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                await asyncio.wait_for(asyncio.shield(self.ended), 5)
            except asyncio.TimeoutError:
                self.log.error("worker.unreaped", pid=self.pid)


async def start_vm(hv: "Hypervisor", vm: VirtualMachine) -> None:
    """`vm start`: generate a ghost, or prepare and launch a worker. Raises CommandError."""
    resolve = hv.resolve_path
    log = get_logger(vm=vm.name)
    if vm.settings.ghost_status == GhostStatus.GENERATE:
        try:
            path = await call_in_executor(generate_ghost, vm, resolve)
        except (StartError, ImageError, OSError) as exc:
            log.warning("vm.ghost_failed", error=str(exc))
            raise start_error(vm, str(exc)) from None
        vm.status = VmStatus.SHUTDOWN
        log.info("vm.ghost_generated", path=str(path))
        return
    try:
        config = await call_in_executor(prepare_start, vm, resolve, hv.options.auto_idle)
    except (StartError, ImageError, OSError) as exc:
        log.warning("vm.start_failed", error=str(exc))
        raise start_error(vm, str(exc)) from None
    await vm.open_consoles(hv)
    run = VmRun(hv, vm)
    vm.run = run
    vm.status = VmStatus.RUNNING
    try:
        await run.launch(config)
    except Exception as exc:                   # LauncherError, StartError, timeouts
        await run.kill("start failed")
        vm.run = None
        vm.status = VmStatus.HALTED
        log.warning("vm.start_failed", error=str(exc))
        raise start_error(vm, str(exc)) from None
    log.info("vm.started", pid=run.pid, ram=config["ram"]["kind"],
             ghost=config["ram"].get("path") if config["ram"]["kind"] == "ghost" else None)
