"""The I/O FPGA (phys 0x1e840000, 4 KB): DUART, EEPROMs, temperatures, voltages, power.

Register facts: C7200-DEVICES.md §1. Byte offsets are exact (an access answers only at the
offset listed), except the environmental A/D result, read as a byte at 0x257.
"""
from __future__ import annotations

from .ds1620 import Ds1620Bank
from .duart import Duart
from .eeprom import EepromPort, Nmc93c46, Pins

BASE, SIZE = 0x1E840000, 0x1000

CTRL = 0x204            # bit 2: packed NVRAM (reads always have it)
TEMP_CTRL = 0x20C
TEMP_DATA_IN = 0x214    # also the A/D multiplexer select
EEPROM_CPU_MID = 0x21C
TEMP_DATA_OUT = 0x22C
WATCHDOG = 0x234
FLASH_SIMM = 0x23C      # "8192K flash, 1 bank"
LEDS = 0x244
AD_WORD = 0x254
AD_RESULT = 0x257
SLOT7_NET_STATUS = 0x294
SLOT7_NET_MASK = 0x2A4
SLOT7_PA_STATUS = 0x2D4
SLOT7_PA_CTRL = 0x2DC
SLOT7_EEPROM = 0x2E4
SLOT7_OIR = 0x2F4
NPEG1_TEST = 0x338
PEM_EEPROM = 0x388
FPGA_VERSION = 0x390
PCMCIA_STATUS = 0x3D6

AD_SAMPLE = 1150 // 9   # every voltage reads nominal: 127
AD_VOLTAGES = (0x04, 0x08, 0x0A, 0x0C)


class IoFpga:
    def __init__(self, duart: Duart, cpu_eeprom: bytes, midplane_eeprom: bytes,
                 pem_eeprom: bytes | None, set_net_irq=None) -> None:
        self.duart = duart
        self.cpu_port = EepromPort([Nmc93c46(Pins(di=1 << 0, clk=1 << 1, cs=1 << 2, do=1 << 6),
                                             cpu_eeprom),
                                    Nmc93c46(Pins(di=1 << 3, clk=1 << 4, cs=1 << 5, do=1 << 7),
                                             midplane_eeprom)])
        self.pem_port = EepromPort([Nmc93c46(Pins(di=1 << 2, clk=1 << 0, cs=1 << 1, do=1 << 3),
                                             pem_eeprom)])
        self.slot7_port = EepromPort([Nmc93c46(Pins(di=1 << 28, clk=1 << 27, cs=1 << 25,
                                                    do=1 << 30), None)])
        self.temps = Ds1620Bank()
        self.power_supplies = 0x3        # PS0 = bit 0, PS1 = bit 1
        self.io_card_in_slot0 = True
        self.set_net_irq = set_net_irq
        self.reset()

    def reset(self) -> None:
        self.ctrl = 0
        self.ad_select = 0
        self.slot7_mask = 0
        self.slot7_status = 0
        self.slot7_oir = 0
        for port in (self.cpu_port, self.pem_port, self.slot7_port):
            port.reset()
        self.temps.reset()
        self.duart.reset()

    def _ad(self) -> int:
        m = self.ad_select & 0xFF
        if m in AD_VOLTAGES:
            return AD_SAMPLE
        if m == 0x00:
            return AD_SAMPLE if self.power_supplies & 1 else 0
        if m == 0x02:
            return AD_SAMPLE if self.power_supplies & 2 else 0
        return 0

    def read(self, off: int, width: int) -> int | None:
        if Duart.FIRST <= off <= Duart.LAST:
            return self.duart.read(off)
        if off == CTRL:
            return self.ctrl | 0x04
        if off == EEPROM_CPU_MID:
            return self.cpu_port.read()
        if off == PEM_EEPROM:
            return self.pem_port.read()
        if off == SLOT7_EEPROM:
            return self.slot7_port.read()
        if off == TEMP_DATA_OUT:
            return self.temps.read_data()
        if off == AD_RESULT:
            return self._ad()
        if off == AD_WORD:
            return 0xFFFFFFFF
        if off == FLASH_SIMM:
            return 0x2704
        if off == FPGA_VERSION:
            return 0x0102 | (0x01000000 if self.io_card_in_slot0 else 0)
        if off == PCMCIA_STATUS:
            return 0x33
        if off == SLOT7_NET_STATUS:
            return self.slot7_status
        if off == SLOT7_NET_MASK:
            return self.slot7_mask
        if off == SLOT7_OIR:
            return self.slot7_oir
        if off in (WATCHDOG, SLOT7_PA_STATUS, SLOT7_PA_CTRL, LEDS, TEMP_CTRL, TEMP_DATA_IN):
            return 0
        return None

    def write(self, off: int, width: int, value: int) -> bool:
        if Duart.FIRST <= off <= Duart.LAST:
            return self.duart.write(off, value)
        if off == CTRL:
            self.ctrl = value & 0xFFFFFFFF
        elif off == EEPROM_CPU_MID:
            self.cpu_port.write(value)
        elif off == PEM_EEPROM:
            self.pem_port.write(value)
        elif off == SLOT7_EEPROM:
            self.slot7_port.write(value)
        elif off == TEMP_CTRL:
            self.temps.write_control(value)
        elif off == TEMP_DATA_IN:
            self.temps.write_data(value)
            self.ad_select = value
        elif off == SLOT7_NET_MASK:
            self.slot7_mask = value & 0xFFFFFFFF
            if self.set_net_irq:
                self.set_net_irq()
        elif off == SLOT7_OIR:
            self.slot7_oir &= ~value
        elif off in (WATCHDOG, LEDS, NPEG1_TEST, SLOT7_PA_CTRL):
            pass
        else:
            return False
        return True
