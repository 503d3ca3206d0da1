"""PCI configuration space of the c7200: functions, bridges and the per-NPE topology.

Facts: C7200-DEVICES.md §6. Each root port (the GT's 0xcf8/0xcfc pair, and 0xcf0/0xcf4 on a
GT-64120) is bus 0. Bridges start unreachable (secondary = subordinate = -1) until their
register 0x18 is written. On npe-175/225/300/400 a hidden I/O bridge without a configuration
function sits on the slot-0 bus: the first lookup through that bus for another bus number
claims that number for the bus holding the CL-PD6729.

A missing device answers 0xffffffff at register 0 and 0 elsewhere (normal PCI behaviour,
not an unimplemented register).
"""
from __future__ import annotations

import structlog

log = structlog.get_logger("pydynamips")

DEC21050 = (0x1011, 0x0001)
DEC21150 = (0x1011, 0x0023)
DEC21140 = (0x1011, 0x0009)
CLPD6729 = (0x1013, 0x1100)
GT64010 = (0x11AB, 0x0146)
GT64120 = (0x11AB, 0x4620)
PACKET_SRAM = (0x1137, 0x0005)


class PciFunction:
    def __init__(self, name: str, ids: tuple[int, int], class_rev: int = 0) -> None:
        self.name = name
        self.id = (ids[1] << 16) | ids[0]
        self.class_rev = class_rev
        self.regs: dict[int, int] = {}

    def reset(self) -> None:
        self.regs.clear()

    def read(self, reg: int) -> int:
        if reg == 0:
            return self.id
        if reg == 0x08:
            return self.class_rev
        return self.regs.get(reg, 0)

    def write(self, reg: int, value: int) -> None:
        if reg not in (0, 0x08):
            self.regs[reg] = value & 0xFFFFFFFF


class PciBridge(PciFunction):
    def __init__(self, name: str, ids: tuple[int, int], child: PciBus) -> None:
        super().__init__(name, ids, 0x06040000)
        self.child = child
        self.reset()

    def reset(self) -> None:
        self.regs.clear()
        self.primary, self.secondary, self.subordinate = 0, -1, -1

    def read(self, reg: int) -> int:
        if reg == 0x18:
            return self.regs.get(0x18, 0)
        return super().read(reg) if reg in (0, 0x08) else 0

    def write(self, reg: int, value: int) -> None:
        if reg == 0x18:
            self.regs[0x18] = value & 0xFFFFFFFF
            self.primary = value & 0xFF
            self.secondary = (value >> 8) & 0xFF
            self.subordinate = (value >> 16) & 0xFF
            self.child.number = self.secondary
            log.debug("pci.bridge", bridge=self.name, primary=self.primary,
                      secondary=self.secondary, subordinate=self.subordinate)


class PciBus:
    def __init__(self, name: str, number: int = 0) -> None:
        self.name = name
        self.number = number
        self.initial = number
        self.devices: dict[tuple[int, int], PciFunction] = {}
        self.hidden_io_bus: PciBus | None = None   # the slot-0 bus's hidden bridge

    def add(self, dev: int, fn: PciFunction, func: int = 0) -> PciFunction:
        self.devices[(dev, func)] = fn
        return fn

    def reset(self) -> None:
        self.number = self.initial
        for fn in self.devices.values():
            fn.reset()
            if isinstance(fn, PciBridge):
                fn.child.reset()
        if self.hidden_io_bus:
            self.hidden_io_bus.reset()
            self.hidden_io_bus.number = -1

    def find_bus(self, number: int) -> PciBus | None:
        if number == self.number:
            return self
        for fn in self.devices.values():
            if isinstance(fn, PciBridge) and fn.secondary <= number <= fn.subordinate \
                    and fn.secondary >= 0:
                found = fn.child.find_bus(number)
                if found:
                    return found
        if self.hidden_io_bus is not None:
            if self.hidden_io_bus.number < 0:
                self.hidden_io_bus.number = number      # claimed by the first lookup
            if self.hidden_io_bus.number == number:
                return self.hidden_io_bus
        return None

    def function(self, bus: int, dev: int, func: int) -> PciFunction | None:
        b = self.find_bus(bus)
        return b.devices.get((dev, func)) if b else None


def config_read(root: PciBus, address: int) -> int:
    bus, dev, func, reg = (address >> 16) & 0xFF, (address >> 11) & 0x1F, (address >> 8) & 7, \
        address & 0xFF
    fn = root.function(bus, dev, func)
    if fn is None:
        return 0xFFFFFFFF if reg == 0 else 0
    return fn.read(reg)


def config_write(root: PciBus, address: int, value: int) -> None:
    bus, dev, func, reg = (address >> 16) & 0xFF, (address >> 11) & 0x1F, (address >> 8) & 7, \
        address & 0xFF
    fn = root.function(bus, dev, func)
    if fn is not None:
        fn.write(reg, value)


def build_topology(npe, midplane: str, cards: dict[int, list[PciFunction]] | None = None
                   ) -> tuple[PciBus, PciBus]:
    """Root buses (MB0/MB1, MB2) for an NPE and mid-plane.

    ``cards`` maps a slot to its card's PCI functions (device 0, 1, ... on the bay's bus; for
    slot 0 the I/O card's NIC at the NPE's fixed place). Without it, slot 0 holds an ID-only
    DEC21140 (the C7200-IO-FE) and the bays are empty."""
    if cards is None:
        cards = {0: [PciFunction("dec21140", DEC21140, 0x02000011)]}
    bay_ids = DEC21150 if midplane == "vxr" else DEC21050
    mb0, mb2 = PciBus("mb0"), PciBus("mb2")

    def bays(bus: PciBus, first_dev: int, numbers: tuple[int, ...]) -> None:
        for k, bay in enumerate(numbers):
            child = PciBus(f"bay{bay}", -1)
            for dev, fn in enumerate(cards.get(bay, ())):
                child.add(dev, fn)
            bus.add(first_dev + k, PciBridge(f"bay{bay}", bay_ids, child))

    def slot0(bus: PciBus, dev: int) -> None:
        for k, fn in enumerate(cards.get(0, ())):
            bus.add(dev + k, fn)

    if npe.controller == "gt64010":
        mb0.add(0, PciFunction("gt64010", GT64010))
        mb0.add(1, PciBridge("unused1", DEC21050, PciBus("unused1", -1)))
        b135 = PciBus("pa135", -1)
        b246 = PciBus("pa246", -1)
        mb0.add(2, PciBridge("pa135", DEC21050, b135))
        mb0.add(3, PciBridge("unused3", DEC21050, PciBus("unused3", -1)))
        mb0.add(4, PciBridge("pa246", DEC21050, b246))
        mb0.add(5, PciFunction("clpd6729", CLPD6729))
        slot0(mb0, 6)
        bays(b135, 1, (1, 3, 5))
        bays(b246, 1, (2, 4, 6))
        if npe.packet_sram:
            b135.add(0, PciFunction("sram", PACKET_SRAM))
            b246.add(0, PciFunction("sram", PACKET_SRAM))
    elif npe.name == "npe-300":
        mb0.add(0, PciFunction("gt64120", GT64120, 0x03008005))
        slot0_bus = PciBus("slot0", -1)
        b135, b246 = PciBus("pa135", -1), PciBus("pa246", -1)
        mb0.add(1, PciBridge("slot0", DEC21150, slot0_bus))
        mb0.add(2, PciBridge("pa135", DEC21150, b135))
        mb2.add(1, PciBridge("pa246", DEC21150, b246))
        bays(b135, 1, (1, 3, 5))
        bays(b246, 1, (2, 4, 6))
        slot0(slot0_bus, 0)
        slot0_bus.hidden_io_bus = PciBus("io", -1)
        slot0_bus.hidden_io_bus.add(16, PciFunction("clpd6729", CLPD6729))
    else:
        mb0.add(0, PciFunction("gt64120", GT64120, 0x03008005))
        slot0_bus = PciBus("slot0", -1)
        mb0.add(1, PciBridge("slot0", DEC21050 if npe.name == "npe-400" else DEC21150, slot0_bus))
        bays(mb0, 7, (1, 3, 5))
        bays(mb2, 7, (2, 4, 6))
        slot0(slot0_bus, 0)
        slot0_bus.hidden_io_bus = PciBus("io", -1)
        slot0_bus.hidden_io_bus.add(16, PciFunction("clpd6729", CLPD6729))
    return mb0, mb2
