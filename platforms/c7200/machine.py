"""A Cisco 7200: CPU, memory map, devices and ROM monitor, driven one run slice at a time.

This is the interface the VM runtime (worker processes) and the single-router command line
use::

    cfg = MachineConfig(image="c7200.elf", ram=ram_view, nvram=nvram_view,
                        npe="npe-400", midplane="vxr", conf_reg=0x2102,
                        console_out=write_console, aux_out=write_aux, timer="host")
    m = C7200Machine(cfg)          # builds CPU, bus, devices; loads the image; cold reset
    while True:
        r = m.run(1_000_000)       # RunResult(kind, instructions, sleep, message)
        m.advance_time(elapsed)    # host-clock timer: Count, IP7, the DUART's TX-ready tick
        if r.kind is RunKind.STOPPED: break          # image returned / reload / power off
        if r.kind is RunKind.ERROR: report(r.message); break
        if r.kind is RunKind.IDLE: wait for console input up to r.sleep seconds
    m.console_input(b"show version\\r")

``MachineConfig``
    image (ELF path or None), ram (uint8 array, RAM-size bytes: anonymous, file or ghost
    MAP_PRIVATE mmap view; up to the NPE's ``max_ram_mb``: npe-400 takes 512 MB, whose
    part above 256 MB is at physical 0x20000000 and is reported to the image as IO memory,
    as dynamips does; ``ram_size`` is then 256 MB and ``iomem_size`` the rest), nvram (uint8 array, the per-VM NVRAM file's mmap view),
    load_image (False with ghost RAM: the ELF is only read for its entry point), npe,
    midplane, mac (6 bytes), system_id, conf_reg, clock_divisor, idle_pc, instance_id,
    console_out / aux_out (callables taking bytes), timer ("host": Count advances with
    every instruction (instructions // clock_divisor) and ``advance_time`` tops it up so it
    follows the host clock at the NPE's nominal rate (``Npe.count_hz``), raising IP7 when
    it passes Compare; "deterministic": Count = instructions // clock_divisor only, for
    reproducible tests), iomem_mb, rommon_vars (dict) and on_rommon_vars (callable
    receiving the dict whenever the image sets a ROMMON variable), slots (card per slot,
    default ``{0: "C7200-IO-FE"}``; slot 0 takes "C7200-IO-FE", slots 1-6 "PA-FE-TX"): the
    PCI topology, the PA EEPROMs and the mid-plane's power bits follow it.

``C7200Machine``
    reset(), run(max_instructions) -> RunResult, console_input(bytes), aux_input(bytes),
    advance_time(seconds), raise_timer(), stop(reason) (from the host: next run returns
    STOPPED), pc, instruction_count, cpu (cpu.state.Cpu: gpr(), cp0_get(), ...),
    unimplemented (list of UnimplementedAccess, logged once per register), stopped /
    stop_reason, set_temperature(sensor, celsius), set_power_supply(n, on),
    nics ({(slot, port): dec21140.Dec21140}: ``nic.on_transmit(callback)`` receives every
    frame the guest sends, ``nic.receive(frame)`` delivers one into its RX ring and raises
    the interrupt; call it between ``run`` slices). A NIC's MAC (its serial ROM) is the
    chassis MAC plus slot * 8 + port.

RunResult kinds: STOPPED (the image returned to the ROM, asked for a reload with nothing to
reload, or powered off: the VM must stop), IDLE (the guest is idle — at the idle PC, in WAIT,
or polling an empty console; ``sleep`` is how long the runtime may wait before the next
timer event), SLICE (budget used), BREAKPOINT, ERROR (``message``: e.g. an exception the ROM
cannot serve).
"""
from __future__ import annotations

import enum
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import structlog

from cpu import core as _c
from cpu.state import Cpu, Exc, ExitReason, ram_index

from ..elf import ImageError, load_into_ram, read_elf
from . import bootflash, dec21140, gt64k, iofpga, midplane_fpga, nvram_device, pci, rom
from .bus import Bus, MemoryDevice, SwappedRam, ZeroRegion
from .duart import Duart
from .eeprom import (CPU_EEPROMS, PA_EEPROMS, PEM_EEPROMS, SERIAL_IN_EEPROM, midplane_eeprom,
                     with_serial)
from .npe import get_npe
from .pcmcia import ClPd6729

log = structlog.get_logger("pydynamips")

PCI_IO_BASE = 0x100000000
# Automatic idle detection: a guest polling an empty console in a tight loop is idle.
IDLE_POLLS = 500             # consecutive empty polls, at most POLL_LOOP_MAX apart, first time
IDLE_POLLS_AGAIN = 2         # once idle, until the console sees input or output again
POLL_LOOP_MAX = 256          # instructions between two polls of a polling loop
MAX_IDLE_SLEEP = 0.030       # dynamips' idle_sleep default
DUART_TICK = 1 / 250         # dynamips' periodic DUART task runs from its 250 Hz timer
DET_TICK_INSTRUCTIONS = 1_000_000
SWAPPED_BASE, SWAPPED_SIZE = 0xC0000000, 0x40000000
# cards with a model: name -> (slots it fits, Ethernet ports)
CARDS = {"C7200-IO-FE": ((0,), 1), "PA-FE-TX": ((1, 2, 3, 4, 5, 6), 1)}


class RunKind(enum.Enum):
    STOPPED = "stopped"
    IDLE = "idle"
    SLICE = "slice"
    BREAKPOINT = "breakpoint"
    ERROR = "error"


@dataclass
class RunResult:
    kind: RunKind
    instructions: int = 0
    sleep: float = 0.0
    message: str = ""


def _discard(_: bytes) -> None:
    pass


@dataclass
class MachineConfig:
    image: str | None
    ram: np.ndarray
    nvram: np.ndarray
    load_image: bool = True
    npe: str = "npe-400"
    midplane: str = "vxr"
    mac: bytes = b"\xca\x00\x00\x00\x00\x00"
    system_id: str = "FTX0945W0MY"
    conf_reg: int = 0x2102
    clock_divisor: int = 4
    idle_pc: int = 0
    instance_id: int = 0
    console_out: Callable[[bytes], None] = _discard
    aux_out: Callable[[bytes], None] = _discard
    timer: str = "host"
    auto_idle: bool = True       # a console polled empty IDLE_POLLS times in a row is idle
    iomem_mb: int = 0
    rommon_vars: dict[str, str] = field(default_factory=dict)
    on_rommon_vars: Callable[[dict], None] | None = None
    slots: dict[int, str] = field(default_factory=lambda: {0: "C7200-IO-FE"})


class _MachineBus(Bus):
    """The bus, plus removing a region: PCI BARs move when the image reprograms them."""

    def unmap(self, name: str) -> None:
        for i, (_, _, n, _) in enumerate(self._regions):
            if n == name:
                del self._regions[i]
                del self._bases[i]
                return


def _nic_mac(chassis: bytes, slot: int, port: int) -> bytes:
    v = (int.from_bytes(chassis, "big") + slot * 8 + port) & ((1 << 48) - 1)
    return v.to_bytes(6, "big")


class C7200Machine:
    def __init__(self, config: MachineConfig) -> None:
        self.config = cfg = config
        self.npe = npe = get_npe(cfg.npe)
        if cfg.midplane not in ("std", "vxr"):
            raise ValueError(f"unknown midplane {cfg.midplane!r} (std or vxr)")
        self.ram = cfg.ram
        self.nvram = cfg.nvram
        # RAM is cfg.ram in the core's two banks (cpu.core ``ram_index``): the first 256 MB
        # at physical 0, the rest (npe-400 only) at physical 0x20000000. As in dynamips, the
        # ROM reports the first bank as RAM (ram_size) and the second as IO memory (the
        # image finds it with the IOMEM size call), so iomem_size includes it; a separate
        # IO memory device (iomem_mb, npe-300's 32 MB) sits at the same 0x20000000.
        if len(cfg.ram) > npe.max_ram_mb << 20:
            raise ValueError(f"{npe.name} takes at most {npe.max_ram_mb} MB of RAM")
        self.ram_size = min(len(cfg.ram), _c.RAM_LOW_LIMIT)
        self.high_ram_size = len(cfg.ram) - self.ram_size
        self.iomem_dev_size = (cfg.iomem_mb or (32 if npe.name == "npe-300" else 0)) << 20
        if self.iomem_dev_size and self.high_ram_size:
            raise ValueError("iomem_mb cannot be combined with more than 256 MB of RAM: RAM "
                             "above 256 MB is the IO memory at physical 0x20000000")
        self.iomem_size = self.iomem_dev_size + self.high_ram_size
        self.conf_reg = cfg.conf_reg & 0xFFFF
        if not self.nvram.any():
            self.conf_reg |= 0x0040             # dynamips: empty NVRAM -> ignore it
        self.cpu = Cpu(self.ram, rom.ROM_IMAGE.copy(), prid=npe.prid,
                       tlb_entries=npe.tlb_entries, timer="deterministic",
                       count_divisor=max(1, cfg.clock_divisor))
        self.cpu.hook_exceptions([Exc.SYS])
        self.stopped = False
        self.stop_reason = ""
        self.error = False
        self._console_hold = bytearray()
        self._build_devices()
        self.rom = rom.RomMonitor(self)
        self.rom.rommon_vars = dict(cfg.rommon_vars)
        self.entry = 0
        if cfg.image is not None:
            # an image lives in the first bank (its physical addresses index ram directly)
            image = read_elf(cfg.image, with_data=cfg.load_image, ram_size=self.ram_size)
            if cfg.load_image:
                load_into_ram(image, self.ram)
            self.entry = image.entry
        self.rom.entry = self.entry
        self._time_acc = 0.0
        self._tick_acc = 0.0
        self._count_icount = 0
        self._det_next_tick = DET_TICK_INSTRUCTIONS
        self.reset()

    # ------------------------------------------------------------ construction
    def _build_devices(self) -> None:
        cfg, npe = self.config, self.npe
        bus = self.bus = _MachineBus()
        bus.pc = lambda: self.cpu.pc
        self.duart = Duart(self._console_out, self._aux, lambda on: self.cpu.set_irq(5, on))
        cpu_img = CPU_EEPROMS[npe.name]
        mid_img = midplane_eeprom(cfg.midplane, cfg.mac)
        if npe.name in SERIAL_IN_EEPROM and cfg.system_id.isdigit():
            cpu_img = with_serial(cpu_img, int(cfg.system_id))
            mid_img = with_serial(mid_img, int(cfg.system_id))
        self.iofpga = iofpga.IoFpga(self.duart, cpu_img, mid_img, PEM_EEPROMS.get(npe.name),
                                    set_net_irq=lambda: self.midplane.update_net_irq())
        slots = self._check_slots(cfg.slots)
        self.midplane = midplane_fpga.MidplaneFpga(
            self.iofpga, lambda line, on: self.cpu.set_irq(line, on),
            lambda: self.stop("power supplies shut down by the image"),
            bays={slot: PA_EEPROMS[card] for slot, card in slots.items()})
        self.nvram_dev = nvram_device.NvramDevice(self.nvram)
        self.nics: dict[tuple[int, int], dec21140.Dec21140] = {}
        functions: dict[int, list[pci.PciFunction]] = {}
        for slot, card in sorted(slots.items()):
            for port in range(CARDS[card][1]):
                nic = dec21140.Dec21140(
                    f"{card} {slot}/{port}", _nic_mac(cfg.mac, slot, port),
                    lambda on, s=slot, p=port: self.midplane.set_net_irq(s, p, on),
                    self._mem_read, self._mem_write, self._map_nic)
                self.nics[(slot, port)] = nic
                functions.setdefault(slot, []).append(nic.pci)
        root, root2 = pci.build_topology(npe, cfg.midplane, functions)
        self.gt = gt64k.Gt64k(npe.controller, root, root2 if npe.controller == "gt64120" else None,
                              lambda on: self.cpu.set_irq(4, on), self._mem_read, self._mem_write)
        self.bootflash = bootflash.Bootflash()
        self.pcmcia = ClPd6729()
        bus.map(gt64k.BASE, gt64k.SIZE, "gt64k", self.gt)
        if npe.second_gt:
            self.gt2 = gt64k.Gt64k("gt64120", pci.PciBus("gt2"), None, None,
                                   self._mem_read, self._mem_write)
            bus.map(gt64k.BASE2, gt64k.SIZE, "gt64k#2", self.gt2)
        bus.map(rom.PORT_PHYS, rom.PORT_SIZE, "rom-port", _RomPort(self))
        bus.map(bootflash.BASE, bootflash.SIZE, "bootflash", self.bootflash)
        bus.map(nvram_device.BASE, len(self.nvram), "nvram", self.nvram_dev)
        bus.map(midplane_fpga.BASE, midplane_fpga.SIZE, "midplane-fpga", self.midplane)
        bus.map(iofpga.BASE, iofpga.SIZE, "iofpga", self.iofpga)
        bus.map(0x1F000000, 0xC00000, "zero", ZeroRegion())
        # the ROM window past the bytes the core serves reads as 0
        bus.map(_c.ROM_BASE, 4 << 20, "rom", _RomWindow(self.cpu.rom))
        if self.iomem_dev_size:
            bus.map(_c.RAM_HIGH_BASE, self.iomem_dev_size, "iomem",
                    MemoryDevice(self.iomem_dev_size))
        if npe.packet_sram:
            base, size = npe.packet_sram
            bus.map(base, size, "packet-sram0", MemoryDevice(size))
            bus.map(base + size if size < 0x200000 else base + 0x200000, size,
                    "packet-sram1", MemoryDevice(size))
        # the byte-swapped view of physical 0..1 GB: RAM's first bank at 0xc0000000, its
        # second (npe-400 above 256 MB; empty otherwise) at 0xc0000000 + 0x20000000
        low = self.ram[:self.ram_size]
        bus.map(SWAPPED_BASE, _c.RAM_HIGH_BASE, "swapped-ram", SwappedRam(low))
        bus.map(SWAPPED_BASE + _c.RAM_HIGH_BASE, SWAPPED_SIZE - _c.RAM_HIGH_BASE,
                "swapped-ram-high", SwappedRam(self.ram[self.ram_size:]))
        bus.map(PCI_IO_BASE, 0x200000, "pci-io", self.pcmcia)

    @staticmethod
    def _check_slots(slots: dict[int, str]) -> dict[int, str]:
        out = {}
        for slot, card in slots.items():
            if card not in CARDS:
                raise ValueError(f"card {card!r} is not emulated (known: {', '.join(CARDS)})")
            if slot not in CARDS[card][0]:
                raise ValueError(f"card {card} does not fit slot {slot}")
            out[int(slot)] = card
        return out

    def _map_nic(self, nic: dec21140.Dec21140, base: int | None) -> None:
        """A NIC's CSR window moves to ``base`` (None: unmapped) when its BAR is written."""
        self.bus.unmap(nic.name)
        if base is None:
            return
        try:
            self.bus.map(base, dec21140.CSR_SIZE, nic.name, nic)
        except ValueError as e:
            log.warning("c7200.bar_overlap", nic=nic.name, address=f"0x{base:x}", error=str(e))

    def _console_out(self, data: bytes) -> None:
        self.config.console_out(data)

    def _aux(self, data: bytes) -> None:
        self.config.aux_out(data)

    def console(self, data: bytes) -> None:
        """Text from the ROM monitor, in order with what the image sent to the DUART."""
        self.duart.a.tx.extend(data)

    def _swapped(self, pa: int, n: int) -> np.ndarray | None:
        """RAM indices of bytes pa..pa+n-1 seen through the byte-swapped window, or None."""
        off = pa - SWAPPED_BASE
        if not 0 <= off < SWAPPED_SIZE:
            return None
        first = off & ~3
        i = ram_index(first, ((off + n + 3) & ~3) - first, len(self.ram))
        if i is None:
            return None
        return (np.arange(off, off + n) ^ 3) + (i - first)   # banks are word-aligned

    def _mem_read(self, pa: int, n: int) -> bytes:
        """DMA read of guest physical memory: RAM, the byte-swapped window, or devices."""
        i = ram_index(pa, n, len(self.ram))
        if i is not None:
            return self.ram[i:i + n].tobytes()
        idx = self._swapped(pa, n)
        if idx is not None:
            return self.ram[idx].tobytes()
        return self.bus.read_bytes(pa, n)

    def _mem_write(self, pa: int, data: bytes) -> None:
        i = ram_index(pa, len(data), len(self.ram))
        if i is not None:
            self.ram[i:i + len(data)] = np.frombuffer(data, np.uint8)
            return
        idx = self._swapped(pa, len(data))
        if idx is not None:
            self.ram[idx] = np.frombuffer(data, np.uint8)
        else:
            for i, b in enumerate(data):
                self.bus.write(pa + i, 1, b)

    def rommon_vars_changed(self, variables: dict) -> None:
        if self.config.on_rommon_vars:
            self.config.on_rommon_vars(dict(variables))

    # ------------------------------------------------------------ control
    def reset(self) -> None:
        """Cold reset: CPU at the ROM reset vector, devices in their power-on state."""
        self.cpu.reset()
        self.cpu.hook_exceptions([Exc.SYS])
        self.cpu.idle_pc = self.config.idle_pc or None
        for dev in (self.iofpga, self.midplane, self.nvram_dev, self.gt, self.bootflash,
                    self.pcmcia, *self.nics.values()):
            dev.reset()
        self.stopped = False
        self.stop_reason = ""
        self.error = False
        self._count_icount = 0
        self._time_acc = 0.0
        self._poll_activity = self._poll_count = self._poll_icount = 0
        self._poll_armed = False

    def stop(self, reason: str, error: bool = False) -> None:
        """Stop the VM (from a device, the ROM, or the host); run() then returns STOPPED."""
        if not self.stopped:
            log.info("c7200.stop", reason=reason)
        self.stopped = True
        self.stop_reason = reason
        self.error = error
        self.cpu.request_halt(True)

    def console_input(self, data: bytes) -> None:
        self.duart.input("a", data)

    def aux_input(self, data: bytes) -> None:
        self.duart.input("b", data)

    def raise_timer(self) -> None:
        self.cpu.raise_timer()

    def advance_time(self, seconds: float) -> None:
        """Host-clock mode: advance Count at the NPE's nominal rate (IP7 when it passes
        Compare) and run the DUART's periodic TX-ready tick. Deterministic mode: ticks only."""
        if seconds <= 0:
            return
        if self.config.timer == "host":
            self._host_count(seconds)
        self._tick_acc += seconds
        while self._tick_acc >= DUART_TICK:
            self._tick_acc -= DUART_TICK
            self.duart.timer_tick()

    def _host_count(self, seconds: float) -> None:
        # Count runs per instruction inside the core (so a guest always sees it move) and is
        # topped up here so that over time it follows the host clock at the nominal rate.
        cpu = self.cpu
        ran = (cpu.icount - self._count_icount) // max(1, self.config.clock_divisor)
        self._count_icount = cpu.icount
        self._time_acc += seconds * self.npe.count_hz - ran
        extra = int(self._time_acc)
        if extra <= 0:
            self._time_acc = max(self._time_acc, -self.npe.count_hz * 0.1)
            return
        self._time_acc -= extra
        count = cpu.count
        left = (cpu.compare - count) & 0xFFFFFFFF
        cpu.cp0_set(_c.CP0_COUNT, (count + extra) & 0xFFFFFFFF)
        if 0 < left <= extra:
            cpu.raise_timer()

    def set_temperature(self, sensor: int, celsius: float) -> None:
        self.iofpga.temps.sensors[sensor].celsius = celsius

    def set_power_supply(self, n: int, on: bool) -> None:
        bit = 1 << n
        self.iofpga.power_supplies = (self.iofpga.power_supplies & ~bit) | (bit if on else 0)

    @property
    def pc(self) -> int:
        return self.cpu.pc

    @property
    def instruction_count(self) -> int:
        return self.cpu.icount

    @property
    def unimplemented(self):
        return self.bus.unimplemented

    def _polling_idle(self) -> bool:
        """After a device read: has the guest been polling an empty console long enough?

        Only a tight loop counts (polls at most POLL_LOOP_MAX instructions apart), so a guest
        that works and glances at the console now and then is never put to sleep. Once
        idle, a few polls suffice again until the console sees activity."""
        duart, icount = self.duart, self.cpu.icount
        if duart.activity != self._poll_activity:
            self._poll_activity = duart.activity
            self._poll_armed = False
        polls = duart.empty_polls
        if polls == self._poll_count:
            return False                          # that read was not an empty console poll
        gap = icount - self._poll_icount
        self._poll_icount, self._poll_count = icount, polls
        if gap > POLL_LOOP_MAX and polls > 1:
            duart.empty_polls = self._poll_count = 1
            return False
        if polls < (IDLE_POLLS_AGAIN if self._poll_armed else IDLE_POLLS):
            return False
        duart.empty_polls = self._poll_count = 0
        self._poll_armed = True
        return True

    def _sleep_hint(self) -> float:
        cpu = self.cpu
        left = (cpu.compare - cpu.count) & 0xFFFFFFFF
        # Count already moved for the instructions run since the last advance_time, and the
        # next top-up takes them back from host time: they are still ahead of the clock.
        left += (cpu.icount - self._count_icount) // max(1, self.config.clock_divisor)
        t = min(MAX_IDLE_SLEEP, left / self.npe.count_hz)
        if self.duart.imr & 0x11:
            t = min(t, DUART_TICK)
        return max(t, 0.0)

    # ------------------------------------------------------------ the run loop
    def run(self, max_instructions: int) -> RunResult:
        cpu, bus = self.cpu, self.bus
        start = cpu.icount
        if self.stopped:
            return self._stopped(0)
        try:
            while True:
                left = max_instructions - (cpu.icount - start)
                if left <= 0:
                    return self._done(RunResult(RunKind.SLICE, cpu.icount - start))
                why = cpu.run(left)
                if why is ExitReason.DEV_READ:
                    cpu.complete_read(bus.read(cpu.exit_address, cpu.exit_width))
                    if self.config.auto_idle and self._polling_idle():
                        return self._done(RunResult(RunKind.IDLE, cpu.icount - start,
                                                    self._sleep_hint()))
                elif why is ExitReason.DEV_WRITE:
                    bus.write(cpu.exit_address, cpu.exit_width, cpu.exit_value)
                elif why is ExitReason.EXCEPTION:
                    if cpu.exception_code == Exc.SYS:
                        self.rom.syscall()
                    else:
                        self.stop(f"unexpected host exception {cpu.exception_code}", error=True)
                elif why is ExitReason.SLICE:
                    continue
                elif why in (ExitReason.IDLE, ExitReason.WAIT):
                    return self._done(RunResult(RunKind.IDLE, cpu.icount - start,
                                                self._sleep_hint()))
                elif why is ExitReason.BREAKPOINT:
                    return self._done(RunResult(RunKind.BREAKPOINT, cpu.icount - start))
                elif why is ExitReason.HALT:
                    if not self.stopped:
                        cpu.request_halt(False)
                        self.stop("WAIT with interrupts disabled: the CPU can never wake up",
                                  error=True)
                if self.stopped:
                    return self._stopped(cpu.icount - start)
        finally:
            self.duart.flush()

    def _done(self, result: RunResult) -> RunResult:
        if self.config.timer == "deterministic":
            while self.cpu.icount >= self._det_next_tick:
                self._det_next_tick += DET_TICK_INSTRUCTIONS
                self.duart.timer_tick()
        return result

    def _stopped(self, n: int) -> RunResult:
        if self.error:
            return RunResult(RunKind.ERROR, n, message=self.stop_reason)
        return RunResult(RunKind.STOPPED, n, message=self.stop_reason)


class _RomPort:
    def __init__(self, machine: C7200Machine) -> None:
        self.m = machine

    def read(self, off: int, width: int) -> int | None:
        return self.m.rom.port_read(off)

    def write(self, off: int, width: int, value: int) -> bool:
        return self.m.rom.port_write(off, value)


class _RomWindow:
    """ROM reads the core does not serve (past our small ROM image) read 0; writes to the
    ROM are ignored, as on a real EPROM."""

    def __init__(self, image: np.ndarray) -> None:
        self.image = image

    def read(self, off: int, width: int) -> int:
        if off + width <= len(self.image):
            return int.from_bytes(self.image[off:off + width].tobytes(), "big")
        return 0

    def write(self, off: int, width: int, value: int) -> bool:
        return True


__all__ = ["MachineConfig", "C7200Machine", "RunResult", "RunKind", "ImageError"]
