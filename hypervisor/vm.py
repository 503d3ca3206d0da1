"""A virtual router as the daemon knows it: settings, status, slots, files and lock.

This is the object the `vm` and platform modules configure. It holds no guest state: a
running VM's CPU and devices live in its worker process (VM runtime issue).
"""
from __future__ import annotations

import enum
import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from platforms.catalog import (C7200_DEFAULT_MIDPLANE, C7200_DEFAULT_NPE,
                               C7200_DEFAULT_TEMP_C, C7200_POWER_SUPPLIES,
                               C7200_TEMP_SENSORS, PlatformSpec, default_mac)


if TYPE_CHECKING:
    from .console import ConsoleServer


class VmStatus(enum.IntEnum):
    """dynamips' VM states, as `vm get_status` reports them."""

    HALTED = 0
    SHUTDOWN = 1      # also the state after ghost generation
    RUNNING = 2
    SUSPENDED = 3


class GhostStatus(enum.IntEnum):
    NONE = 0
    GENERATE = 1
    USE = 2


@dataclass
class VmSettings:
    """Everything a client can set; takes effect at the next start unless said otherwise."""

    ios_image: str | None = None
    startup_config: str | None = None
    private_config: str | None = None
    ram_mb: int = 0
    nvram_kb: int = 0
    rom_mb: int = 0
    disk0_mb: int = 0
    disk1_mb: int = 0
    conf_reg: int = 0x2102
    clock_divisor: int = 4
    ram_mmap: bool = True
    sparse_mem: bool = False
    debug_level: int = 0
    blk_direct_jump: bool = True
    exec_area_mb: int = 0
    idle_pc: int = 0
    idle_max: int = 500
    idle_sleep_ms: int = 30
    ghost_file: str | None = None
    ghost_status: GhostStatus = GhostStatus.NONE
    console_tcp_port: int | None = None
    aux_tcp_port: int | None = None
    # chassis
    mac: bytes = b""
    system_id: str = ""
    iomem_percent: int | None = None
    chassis: str | None = None
    npe: str | None = None
    midplane: str | None = None
    temperatures_c: list[int] = field(default_factory=list)
    power_supplies: list[bool] = field(default_factory=list)

    @classmethod
    def defaults(cls, spec: PlatformSpec, instance_id: int, pid: int) -> "VmSettings":
        settings = cls(ram_mb=spec.ram_mb, nvram_kb=spec.nvram_kb, rom_mb=spec.rom_mb,
                       disk0_mb=spec.disk0_mb, conf_reg=spec.conf_reg,
                       clock_divisor=spec.clock_divisor,
                       mac=default_mac(spec, instance_id, pid),
                       iomem_percent=spec.iomem_percent, chassis=spec.default_chassis)
        if spec.name == "c7200":
            settings.npe = C7200_DEFAULT_NPE
            settings.midplane = C7200_DEFAULT_MIDPLANE
            settings.temperatures_c = [C7200_DEFAULT_TEMP_C] * C7200_TEMP_SENSORS
            settings.power_supplies = [True] * C7200_POWER_SUPPLIES
        return settings


class VmLockError(Exception):
    pass


class VmLock:
    """The ``<plat>_<name>_lock`` file: holds our PID under a POSIX lock.

    A second daemon (ours or dynamips) creating the same VM in the same directory finds the
    lock held and its create fails; inside one daemon the same path is refused too.
    """

    _held: set[Path] = set()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        key = self.path.resolve()
        if key in VmLock._held:
            raise VmLockError(f"{self.path} is held by another VM of this hypervisor")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise VmLockError(f"{self.path} is locked by another process") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        VmLock._held.add(key)

    def release(self, remove: bool = True) -> None:
        if self._fd is None:
            return
        VmLock._held.discard(self.path.resolve())
        if remove:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        os.close(self._fd)         # closing drops the POSIX lock
        self._fd = None

    def move(self, new_path: Path) -> None:
        """Follow a rename of the VM (the lock stays held: the fd does not change)."""
        VmLock._held.discard(self.path.resolve())
        os.replace(self.path, new_path)
        self.path = new_path
        VmLock._held.add(new_path.resolve())


@dataclass
class SlotBinding:
    card: str
    nios: dict[int, str] = field(default_factory=dict)   # port -> NIO name


class VirtualMachine:
    def __init__(self, name: str, instance_id: int, spec: PlatformSpec,
                 directory: Path, name_by_id: bool, pid: int) -> None:
        self.name = name
        self.instance_id = instance_id
        self.spec = spec
        self.directory = directory          # the hypervisor's working dir at create time
        self.name_by_id = name_by_id        # -N1: files named by instance id
        self.settings = VmSettings.defaults(spec, instance_id, pid)
        self.status = VmStatus.HALTED
        self.slots: dict[tuple[int, int], SlotBinding] = {}   # (slot, subslot) -> card
        self.lock = VmLock(self.file_path("lock"))
        self.bind_builtin_slot0()
        self.run = None                      # the current VmRun (hypervisor.runtime)
        self.idle_pc_proposals: list[tuple[int, int]] = []   # last get_idle_pc_prop
        self.breakpoints: set[int] = set()   # vm_debug add_cpu_breakpoint (a running CPU's)
        self.consoles: dict[str, "ConsoleServer"] = {}   # "console"/"aux" telnet servers

    def bind_builtin_slot0(self) -> None:
        """Put the chassis' motherboard adapter in slot 0, as dynamips does at create and
        at set_chassis (sub-slot cards such as WICs stay)."""
        card = self.spec.slot0_card(self.settings.chassis)
        builtin = set(self.spec.slot0_cards.values())
        current = self.slots.get((0, 0))
        if current is not None and current.card in builtin:
            del self.slots[(0, 0)]
        if card is not None and (0, 0) not in self.slots:
            self.slots[(0, 0)] = SlotBinding(card, current.nios if current else {})

    @property
    def platform(self) -> str:
        return self.spec.name

    @property
    def file_prefix(self) -> str:
        """``c7200_R1_`` or, named by instance id, ``c7200_i1_`` (PROTOCOL.md §7)."""
        tag = f"i{self.instance_id}" if self.name_by_id else self.name
        return f"{self.platform}_{tag}_"

    def file_path(self, suffix: str) -> Path:
        return self.directory / f"{self.file_prefix}{suffix}"

    def own_files(self) -> list[Path]:
        return sorted(p for p in self.directory.glob(f"{self.file_prefix}*") if p.is_file())

    @property
    def is_halted(self) -> bool:
        return self.status == VmStatus.HALTED

    @property
    def is_running(self) -> bool:
        return self.status in (VmStatus.RUNNING, VmStatus.SUSPENDED) and self.run is not None

    # -- runtime glue (the worker itself lives in hypervisor.runtime) ----------------------
    def console_output(self, data: bytes) -> None:
        server = self.consoles.get("console")
        if server is not None:
            server.output(data)

    def aux_output(self, data: bytes) -> None:
        server = self.consoles.get("aux")
        if server is not None:
            server.output(data)

    def run_ended(self, run) -> None:
        if self.run is run:
            self.run = None
            self.status = VmStatus.HALTED
            self.breakpoints.clear()         # they lived in that run's CPU

    def _console_input(self, kind: bytes):
        def forward(data: bytes) -> None:
            if self.run is not None:
                self.run.send_input(kind, data)
        return forward

    async def open_consoles(self, hv) -> None:
        """Start (or move) the telnet servers of the console and AUX ports."""
        from . import control
        from .console import ConsoleServer
        wanted = {"console": (self.settings.console_tcp_port, control.KIND_CONSOLE),
                  "aux": (self.settings.aux_tcp_port, control.KIND_AUX)}
        for kind, (port, channel_kind) in wanted.items():
            server = self.consoles.get(kind)
            if server is not None and (port is None or server.port != port):
                await server.close()
                del self.consoles[kind]
                server = None
            if server is None and port:
                server = ConsoleServer(self.name, kind, hv.options.console_binding_addr, port,
                                       self._console_input(channel_kind))
                await server.start()         # OSError (port in use) fails the start
                self.consoles[kind] = server

    async def close_consoles(self) -> None:
        for server in self.consoles.values():
            await server.close()
        self.consoles.clear()

    def rename(self, new_name: str) -> None:
        """Rename the VM and, when files carry its name, the files too."""
        if self.name_by_id:
            self.name = new_name
            return
        old_prefix = self.file_prefix
        self.name = new_name
        new_prefix = self.file_prefix
        for path in sorted(self.directory.glob(f"{old_prefix}*")):
            target = self.directory / (new_prefix + path.name[len(old_prefix):])
            if path == self.lock.path:
                self.lock.move(target)
            else:
                os.replace(path, target)
