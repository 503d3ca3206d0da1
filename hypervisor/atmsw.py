"""An ATM switch (`atmsw`): virtual path and virtual channel connections between NIOs.

A NIO of an ATM switch carries one 53-byte cell per datagram: a 5-byte header and 48 bytes
of payload. The header is read in the NNI layout dynamips uses (a 12-bit VPI, no GFC):

    bits 31..20 VPI | 19..4 VCI | 3..1 PTI | 0 CLP     (first 4 bytes, big endian)
    byte 4: HEC = CRC-8 of bytes 0..3 (x^8 + x^2 + x + 1), XOR 0x55

Connections are one direction each, as in dynamips:
  * VPC (in NIO, in VPI) -> (out NIO, out VPI): the VPI is rewritten, the VCI kept;
  * VCC (in NIO, in VPI, in VCI) -> (out NIO, out VPI, out VCI): both rewritten.
A VPC wins over a VCC of the same input VPI. PTI and CLP are kept, the HEC is recomputed.
The incoming HEC is not checked (dynamips does not check it either, and a router model that
leaves it zero still gets switched). Datagrams that are not 53 bytes, and cells matching no
connection, are dropped and counted.

Ownership as the Frame Relay switch: the switch owns a NIO while a connection uses it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .nio import Nio
from .nio_ports import CircuitPorts

CELL_SIZE = 53
HEADER_SIZE = 5
PAYLOAD_SIZE = 48
MAX_VPI = 0xFFF
MAX_VCI = 0xFFFF
HEC_COSET = 0x55


def _crc8_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return table


_CRC8 = _crc8_table()


def hec(header: bytes) -> int:
    """The HEC of the first 4 header bytes."""
    crc = 0
    for byte in header[:4]:
        crc = _CRC8[crc ^ byte]
    return crc ^ HEC_COSET


def cell_header(vpi: int, vci: int, pti: int = 0, clp: int = 0) -> bytes:
    word = (vpi & MAX_VPI) << 20 | (vci & MAX_VCI) << 4 | (pti & 7) << 1 | (clp & 1)
    head = word.to_bytes(4, "big")
    return head + bytes((hec(head),))


def parse_header(cell: bytes) -> tuple[int, int, int]:
    """(VPI, VCI, PTI|CLP bits) of a cell."""
    word = int.from_bytes(cell[:4], "big")
    return word >> 20, (word >> 4) & MAX_VCI, word & 0x0F


@dataclass(eq=False)
class _Port:
    nio: Nio
    refs: int = 0
    vpcs: dict = field(default_factory=dict)   # in VPI -> (out NIO, out VPI)
    vccs: dict = field(default_factory=dict)   # (in VPI, in VCI) -> (out NIO, out VPI, out VCI)


class AtmSwitch(CircuitPorts):
    port_class = _Port

    kind = "ATMSW"

    def __init__(self, name: str) -> None:
        self.name = name
        self.ports: dict[Nio, _Port] = {}
        self.vpcs: list[tuple[Nio, int, Nio, int]] = []
        self.vccs: list[tuple[Nio, int, int, Nio, int, int]] = []
        self.forwarded = 0
        self.dropped = 0
        self.closed = False

    def can_use(self, nio: Nio) -> bool:
        return not nio.owners or nio.owners == {self}

    # -- connections -------------------------------------------------------------------
    def create_vpc(self, in_nio: Nio, in_vpi: int, out_nio: Nio, out_vpi: int) -> bool:
        if not (0 <= in_vpi <= MAX_VPI and 0 <= out_vpi <= MAX_VPI):
            return False
        if not (self.can_use(in_nio) and self.can_use(out_nio)):
            return False
        port = self.ports.get(in_nio)
        if port is not None and in_vpi in port.vpcs:
            return False
        self._hold(in_nio).vpcs[in_vpi] = (out_nio, out_vpi)
        self._hold(out_nio)
        self.vpcs.append((in_nio, in_vpi, out_nio, out_vpi))
        return True

    def delete_vpc(self, in_nio: Nio, in_vpi: int, out_nio: Nio, out_vpi: int) -> bool:
        port = self.ports.get(in_nio)
        if port is None or port.vpcs.get(in_vpi) != (out_nio, out_vpi):
            return False
        del port.vpcs[in_vpi]
        self.vpcs.remove((in_nio, in_vpi, out_nio, out_vpi))
        self._release(in_nio)
        self._release(out_nio)
        return True

    def create_vcc(self, in_nio: Nio, in_vpi: int, in_vci: int,
                   out_nio: Nio, out_vpi: int, out_vci: int) -> bool:
        if not all(0 <= v <= MAX_VPI for v in (in_vpi, out_vpi)):
            return False
        if not all(0 <= v <= MAX_VCI for v in (in_vci, out_vci)):
            return False
        if not (self.can_use(in_nio) and self.can_use(out_nio)):
            return False
        port = self.ports.get(in_nio)
        if port is not None and (in_vpi, in_vci) in port.vccs:
            return False
        self._hold(in_nio).vccs[(in_vpi, in_vci)] = (out_nio, out_vpi, out_vci)
        self._hold(out_nio)
        self.vccs.append((in_nio, in_vpi, in_vci, out_nio, out_vpi, out_vci))
        return True

    def delete_vcc(self, in_nio: Nio, in_vpi: int, in_vci: int,
                   out_nio: Nio, out_vpi: int, out_vci: int) -> bool:
        port = self.ports.get(in_nio)
        if port is None or port.vccs.get((in_vpi, in_vci)) != (out_nio, out_vpi, out_vci):
            return False
        del port.vccs[(in_vpi, in_vci)]
        self.vccs.remove((in_nio, in_vpi, in_vci, out_nio, out_vpi, out_vci))
        self._release(in_nio)
        self._release(out_nio)
        return True

    # -- switching ---------------------------------------------------------------------
    def switch(self, port: _Port, cell: bytes) -> None:
        if len(cell) != CELL_SIZE:
            self.dropped += 1
            return
        vpi, vci, low = parse_header(cell)
        vpc = port.vpcs.get(vpi)
        if vpc is not None:
            out_nio, vpi = vpc
        else:
            vcc = port.vccs.get((vpi, vci))
            if vcc is None:
                self.dropped += 1
                return
            out_nio, vpi, vci = vcc
        head = ((vpi << 20) | (vci << 4) | low).to_bytes(4, "big")
        self.forwarded += 1
        out_nio.send(head + bytes((hec(head),)) + cell[HEADER_SIZE:])

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        for vpc in list(self.vpcs):
            self.delete_vpc(*vpc)
        for vcc in list(self.vccs):
            self.delete_vcc(*vcc)
        self.closed = True
