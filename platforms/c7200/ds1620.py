"""DS1620 digital thermometers (four on the c7200), bit-banged through the I/O FPGA.

Pins (C7200-DEVICES.md §1.2): RST\\ of sensor i = 0x20c bit i, CLK = 0x20c bit 4 (shared),
DQ in = 0x214 bit 0, DQ out = 0x22c bit i. A bit is taken on a write to 0x214 while the
stored CLK is 0; every read of 0x22c hands out the next output bit. Commands and data are
LSB-first; temperatures are 9-bit two's complement in 0.5 °C units.
"""
from __future__ import annotations

READ_TEMP, READ_COUNTER, READ_SLOPE = 0xAA, 0xA0, 0xA9
WRITE_TH, WRITE_TL, READ_TH, READ_TL = 0x01, 0x02, 0xA1, 0xA2
START_CONVERT, STOP_CONVERT = 0xEE, 0x22
WRITE_CONFIG, READ_CONFIG = 0x0C, 0xAC


class Ds1620:
    def __init__(self, celsius: float = 22.0) -> None:
        self.celsius = celsius
        self.th = 0
        self.tl = 0
        self.config = 0x02
        self.reset()

    def reset(self) -> None:
        self.state = "cmd"
        self.cmd = 0
        self.count = 0
        self.data = 0
        self.length = 0

    def _temp9(self) -> int:
        return int(round(self.celsius * 2)) & 0x1FF

    def _command(self, cmd: int) -> None:
        self.count = 0
        self.data = 0
        out = {READ_TEMP: (self._temp9(), 9), READ_COUNTER: (0, 9), READ_SLOPE: (0, 9),
               READ_TH: (self.th, 9), READ_TL: (self.tl, 9), READ_CONFIG: (self.config, 8)}
        if cmd in out:
            self.data, self.length = out[cmd]
            self.state = "out"
        elif cmd in (WRITE_TH, WRITE_TL):
            self.state, self.length = "in", 9
        elif cmd == WRITE_CONFIG:
            self.state, self.length = "in", 8
        elif cmd in (START_CONVERT, STOP_CONVERT):
            self.state, self.cmd = "cmd", 0
        else:
            self.state = "stuck"                # until the next reset

    def shift_in(self, bit: int) -> None:
        if self.state == "cmd":
            self.cmd |= bit << self.count
            self.count += 1
            if self.count == 8:
                self._command(self.cmd)
        elif self.state == "in":
            self.data |= bit << self.count
            self.count += 1
            if self.count == self.length:
                if self.cmd == WRITE_TH:
                    self.th = self.data
                elif self.cmd == WRITE_TL:
                    self.tl = self.data
                else:
                    self.config = (self.config & 0xE0) | (self.data & 0x1F)
                self.state, self.cmd, self.count = "cmd", 0, 0

    def shift_out(self) -> int:
        if self.state != "out":
            return 1
        bit = (self.data >> self.count) & 1
        self.count += 1
        if self.count == self.length:
            self.state, self.cmd, self.count = "cmd", 0, 0
        return bit


class Ds1620Bank:
    """The four sensors and their shared control register."""

    def __init__(self, n: int = 4, celsius: float = 22.0) -> None:
        self.sensors = [Ds1620(celsius) for _ in range(n)]
        self.control = 0

    def reset(self) -> None:
        self.control = 0
        for s in self.sensors:
            s.reset()

    def write_control(self, value: int) -> None:
        for i, s in enumerate(self.sensors):
            if not value & (1 << i):
                s.reset()
        self.control = value

    def write_data(self, value: int) -> None:
        if self.control & 0x10:
            return                              # bits are taken while CLK is low
        for i, s in enumerate(self.sensors):
            if self.control & (1 << i):
                s.shift_in(value & 1)

    def read_data(self) -> int:
        v = 0
        for i, s in enumerate(self.sensors):
            v |= s.shift_out() << i
        return v
