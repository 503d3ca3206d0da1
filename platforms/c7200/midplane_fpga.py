"""The mid-plane FPGA (phys 0x1e800000, 4 KB): PA presence and EEPROMs, network IRQ
status/mask (IP2), OIR/error status (IP6), PA management (IP3), power supplies.

Facts: C7200-DEVICES.md §2. ``bays`` maps a bay to its card's EEPROM image (default: the
C7200-IO-FE in bay 0, the card dynamips inserts when nothing else is configured); the other
bays are empty: no EEPROM (DO reads 1) and no power-OK bits. ``set_net_irq(slot, port, on)``
is a port's interrupt line (level): its status bit follows it and IP2 is re-evaluated.
"""
from __future__ import annotations

from collections.abc import Callable

from .eeprom import PA_EEPROMS, EepromPort, Nmc93c46, Pins

BASE, SIZE = 0x1E800000, 0x1000

NET_STATUS_A = range(0x10, 0x14)   # slots 0, 1, 4, 3 (bytes 0..3 of the word)
NET_STATUS_B = range(0x18, 0x1C)   # slots 2, 6, 5
NET_MASK_A, NET_MASK_B = 0x20, 0x28
TDM_STATUS = 0x38
PA_MGMT = 0x40
MGMT_EVENT = 0x48
PA_STATUS = 0x50
PA_CTRL = 0x58
EEPROM_A = 0x60                    # bays 0, 1, 4, 3
EEPROM_B = 0x68                    # bays 2, 6, 5 + power supply bits 0..1
ERR_STATUS = 0x70
ERR_ENABLE = 0x78
HEARTBEAT = 0x7B

IO_FE_EEPROM = PA_EEPROMS["C7200-IO-FE"]
# (status word, bit of port 0) per slot: word 0 is offset 0x10, word 1 offset 0x18
NET_IRQ_BIT = {0: (0, 0), 1: (0, 8), 4: (0, 16), 3: (0, 24), 2: (1, 8), 6: (1, 16), 5: (1, 24)}
BAY_POWER = {0: 0x00000006, 1: 0x600, 2: 0x6000, 3: 0x06000000, 4: 0x00060000,
             5: 0x60000000, 6: 0x00600000}


def _bay_pins(shift: int) -> Pins:
    # within one byte lane: CS bit 1, CLK bit 3, DI bit 4, DO bit 6
    return Pins(di=1 << (shift + 4), clk=1 << (shift + 3), cs=1 << (shift + 1),
                do=1 << (shift + 6))


class MidplaneFpga:
    def __init__(self, iofpga, set_irq: Callable[[int, bool], None],
                 power_off: Callable[[], None], bays: dict[int, bytes] | None = None) -> None:
        self.iofpga = iofpga               # shares the power-supply bits
        self.set_irq = set_irq             # (line, level)
        self.power_off = power_off
        self.bays = {0: IO_FE_EEPROM} if bays is None else dict(bays)
        b = self.bays.get
        self.port_a = EepromPort([Nmc93c46(_bay_pins(0), b(0)), Nmc93c46(_bay_pins(8), b(1)),
                                  Nmc93c46(_bay_pins(16), b(4)), Nmc93c46(_bay_pins(24), b(3))])
        self.port_b = EepromPort([Nmc93c46(_bay_pins(8), b(2)), Nmc93c46(_bay_pins(16), b(6)),
                                  Nmc93c46(_bay_pins(24), b(5))])
        self.reset()

    def reset(self) -> None:
        self.net_status = [0, 0]
        self.net_mask = [0, 0]
        self.pa_ctrl = 0
        self.err_status = 0
        self.port_a.reset()
        self.port_b.reset()

    def pa_status(self) -> int:
        v = 0
        for bay in self.bays:
            v |= BAY_POWER.get(bay, 0)
        return v | BAY_POWER[0]

    def set_net_irq(self, slot: int, port: int, on: bool) -> None:
        word, base = NET_IRQ_BIT[slot]
        bit = 1 << (base + port)
        if on:
            self.net_status[word] |= bit
        else:
            self.net_status[word] &= ~bit
        self.update_net_irq()

    def update_net_irq(self) -> None:
        io = self.iofpga
        on = any(s & m for s, m in zip(self.net_status, self.net_mask)) or \
            bool(io.slot7_status & io.slot7_mask)
        self.set_irq(2, on)

    def read(self, off: int, width: int) -> int | None:
        if off in NET_STATUS_A:
            return self.net_status[0]
        if off in NET_STATUS_B:
            return self.net_status[1]
        if off == NET_MASK_A:
            return self.net_mask[0]
        if off == NET_MASK_B:
            return self.net_mask[1]
        if off == PA_MGMT:
            self.set_irq(3, False)
            return 0x66666600 & self.pa_status()
        if off == MGMT_EVENT:
            return 0xFFFFFFFF
        if off == PA_STATUS:
            return self.pa_status()
        if off == PA_CTRL:
            return self.pa_ctrl
        if off == EEPROM_A:
            return self.port_a.read()
        if off == EEPROM_B:
            return self.port_b.read() | (self.iofpga.power_supplies & 3)
        if off == ERR_STATUS:
            self.set_irq(6, False)
            return self.err_status
        if off in (ERR_ENABLE, TDM_STATUS):
            return 0
        return None

    def write(self, off: int, width: int, value: int) -> bool:
        if off == HEARTBEAT:
            return True
        if off == NET_MASK_A:
            self.net_mask[0] = value & 0xFFFFFFFF
            self.update_net_irq()
        elif off == NET_MASK_B:
            self.net_mask[1] = value & 0xFFFFFFFF
            self.update_net_irq()
        elif off == PA_MGMT:
            self.set_irq(3, False)
        elif off == PA_CTRL:
            self.pa_ctrl = value & 0xFFFFFFFF
        elif off == EEPROM_A:
            self.port_a.write(value)
        elif off == EEPROM_B:
            self.port_b.write(value)
            self.iofpga.power_supplies = value & 3
            if value & 3 == 0:
                self.power_off()
        elif off == ERR_STATUS:
            self.err_status &= ~value
            self.set_irq(6, False)
        elif off in (ERR_ENABLE, TDM_STATUS):
            pass
        else:
            return False
        return True
