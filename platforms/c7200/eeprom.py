"""Serial EEPROMs (NMC93C46) bit-banged through an FPGA register, and the c7200's images.

The bit-level model is the one IOS is known to work with (C7200-DEVICES.md §3.1): command
and data travel LSB-first in arrival order, 9 command bits (start, 2 opcode bits, 6 address
bits), only READ is acted on, 16 data bits follow with no dummy bit, and DO reads 1 outside
a data phase or for a missing chip. Several chips share one register, each on its own bits.
Contents (§3.3) are byte strings where byte 2n is the high byte of word n.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pins:
    di: int
    clk: int
    cs: int
    do: int


class Nmc93c46:
    WORDS = 64

    def __init__(self, pins: Pins, data: bytes | None) -> None:
        self.pins = pins
        self.data = data            # None: no chip in the socket (reads all ones)
        self.reset()

    def reset(self) -> None:
        self.state = "inactive"
        self.cmd = 0
        self.nbits = 0
        self.addr = 0
        self.pos = 0
        self.dout = 1

    def word(self, n: int) -> int:
        if self.data is None or 2 * n + 1 >= len(self.data) or n >= self.WORDS:
            return 0xFFFF
        return (self.data[2 * n] << 8) | self.data[2 * n + 1]

    def clock(self, prev: int, val: int) -> None:
        p = self.pins
        self.dout = 1
        if not prev & p.cs and val & p.cs:
            self.state, self.cmd, self.nbits = "wait_cmd", 0, 0
        elif prev & p.cs and not val & p.cs:
            self.state = "inactive"
        if prev & p.clk or not val & p.clk:
            return
        bit = 1 if val & p.di else 0
        if self.state == "wait_cmd":
            if self.nbits == 0 and not bit:
                return                          # leading zeros before the start bit
            self.cmd |= bit << self.nbits
            self.nbits += 1
            if self.nbits == 9:
                self.nbits = 0
                if (self.cmd >> 1) & 3 == 1:    # opcode bits (1, 0): READ
                    self.state, self.addr, self.pos = "data_out", self.cmd >> 3, 0
        elif self.state == "data_out":
            self.dout = (self.word(self.addr) >> self.pos) & 1
            self.pos += 1
            if self.pos == 16:
                self.state = "inactive"


class EepromPort:
    """One FPGA register shared by several EEPROMs."""

    def __init__(self, chips: list[Nmc93c46]) -> None:
        self.chips = chips
        self.value = 0

    def reset(self) -> None:
        self.value = 0
        for c in self.chips:
            c.reset()

    def write(self, val: int) -> None:
        for c in self.chips:
            c.clock(self.value, val)
        self.value = val

    def read(self) -> int:
        v = self.value
        for c in self.chips:
            if v & c.pins.cs:
                v = (v & ~c.pins.do) | (c.pins.do if c.dout else 0)
        return v


def _hex(s: str) -> bytes:
    return bytes.fromhex(s.replace(" ", ""))


def _v1(head: str) -> bytes:
    return _hex(head).ljust(32, b"\xff")


_NPE100 = "01 35 02 03 ff 10 45 c5 49 06 00 04 00 00 00 00 60 00 00 00 99 01 06 00"
CPU_EEPROMS: dict[str, bytes] = {
    "npe-100": _v1(_NPE100),
    "npe-150": _v1("01 15" + _NPE100[5:]),
    "npe-175": _v1("01 c2" + _NPE100[5:]),
    "npe-225": _v1("01 c2" + _NPE100[5:]),
    "npe-200": _v1("01 69 02 00 ff 10 45 c5 49 09 89 02 00 00 00 00 68 00 00 00 97 10 22 00"),
    "npe-300": _v1("01 ae 04 02 ff 10 45 c5 49 0d 51 08 00 00 00 00 50 00 00 00 00 12 10 00"
                   " 00 00 ff ff ff ff ff 00"),
    "npe-400": (_hex("04 ff 40 01 f8 41 01 00 c0 46 03 20 00 1f c8 02 82 49 14 bc 02 42 42 30"
                     " c1 8b") + b"11111111" + _hex("00 00 00 04 00 02 02 85 1c 0f f6 02 cb 87")
                + b"NPE-400" + _hex("80 00 00 00 00")).ljust(128, b"\xff"),
}

_PEM = "01 c3 01 00 ff ff ff ff 49 0d 8a 04 00 00 00 00 50 00 00 00 99 06 04 00 00 00"
PEM_EEPROMS: dict[str, bytes] = {"npe-175": _v1(_PEM), "npe-225": _v1("01 d5" + _PEM[5:])}

_MIDPLANE_TAIL = ("04 00 00 00 00 00 4c 09 10 b0 ff ff 00 ff"
                  "00 00 00 00 63 35 8b 28 63 1d 00 00 60 8e 6d 1c 62 bb 00 00 63 35 8b 28"
                  "00 00 00 00 63 35 8b 28")
# NPEs whose v1 EEPROMs carry the system id as their serial number (bytes 4..7)
SERIAL_IN_EEPROM = ("npe-100", "npe-175", "npe-200", "npe-225", "npe-300")


# Port adapters and I/O cards (C7200-DEVICES.md §3.3), by the names dynamips and GNS3 use.
PA_EEPROMS: dict[str, bytes] = {
    "C7200-IO-FE": _v1("01 83 01 0e ff ff ff ff 49 0b 8c 02 00 00 00 00 50 00 00 00 98 12 28"
                       " 00 00"),
    "PA-FE-TX": _v1("01 11 01 02 ff ff ff ff 49 06 98 04 00 00 00 00 60 00 00 00 98 12 17 00"),
}


def midplane_eeprom(midplane: str, mac: bytes) -> bytes:
    """The mid-plane image: chassis type 6, version 1 (std) or 2 (vxr), the chassis MAC."""
    if len(mac) != 6:
        raise ValueError("a MAC address has 6 bytes")
    version = {"std": 1, "vxr": 2}[midplane]
    head = _hex(f"01 06 {version:02x} 01 ff 10 45 c5 49 06 03 03")
    return head + bytes(mac) + _hex(_MIDPLANE_TAIL)


def with_serial(image: bytes, serial: int) -> bytes:
    b = bytearray(image)
    b[4:8] = (serial & 0xFFFFFFFF).to_bytes(4, "big")
    return bytes(b)
