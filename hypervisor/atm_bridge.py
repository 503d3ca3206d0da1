"""An ATM bridge (`atm_bridge`): an Ethernet NIO bridged onto one VPI/VCI of an ATM NIO,
RFC 2684 (formerly 1483) bridged Ethernet over AAL5.

Ethernet -> ATM: the frame (as received, no FCS) gets the LLC/SNAP header
AA AA 03 | 00 80 C2 | 00 07 | 00 00 (bridged 802.3 without FCS, 2 pad bytes), then AAL5:
zero padding so that PDU + padding + 8-byte trailer fills whole 48-byte cells; the trailer
is CPCS-UU 0, CPI 0, the PDU length (16 bits) and a CRC-32 over everything before it
(polynomial 0x04C11DB7, MSB first -- not reflected --, initial value all ones, result
complemented). The PDU is cut into 53-byte cells on the configured VPI/VCI (NNI header, as
`hypervisor/atmsw.py`), PTI 0 except the last cell, which has PTI bit 0 ("end of
AAL5 frame") set; CLP 0; HEC computed.

ATM -> Ethernet: cells on the VPI/VCI are collected until the end-of-frame cell, then the
length, padding and CRC are checked and the LLC/SNAP header is compared; a good PDU's
frame goes to the Ethernet NIO. A bad CRC, an impossible length, another encapsulation or a
PDU over 65 535 bytes is dropped and counted. OAM cells (PTI bit 2 set), cells of other
VPI/VCIs and datagrams that are not 53 bytes are ignored (counted in `ignored`).

Ownership: a configured bridge owns both NIOs until `unconfigure`, `delete` or `close()`.
"""
from __future__ import annotations

from .atmsw import (CELL_SIZE, HEADER_SIZE, MAX_VCI, MAX_VPI, PAYLOAD_SIZE, cell_header,
                    parse_header)
from .nio import Nio

LLC_SNAP_BRIDGED_NO_FCS = bytes((0xAA, 0xAA, 0x03, 0x00, 0x80, 0xC2, 0x00, 0x07, 0x00, 0x00))
TRAILER_SIZE = 8
MAX_PDU = 0xFFFF
PTI_END_OF_FRAME = 0x1          # PTI bit 0 (bit 1 of the header's low nibble)
PTI_OAM = 0x4


def _crc32_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 \
                else (crc << 1) & 0xFFFFFFFF
        table.append(crc)
    return table


_CRC32 = _crc32_table()


def aal5_crc(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _CRC32
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
    return crc ^ 0xFFFFFFFF


def aal5_pdu(payload: bytes) -> bytes:
    """The AAL5 CPCS-PDU carrying `payload`: payload, padding and trailer."""
    pad = -(len(payload) + TRAILER_SIZE) % PAYLOAD_SIZE
    body = payload + bytes(pad) + bytes((0, 0)) + len(payload).to_bytes(2, "big")
    return body + aal5_crc(body).to_bytes(4, "big")


def segment(pdu: bytes, vpi: int, vci: int) -> list[bytes]:
    count = len(pdu) // PAYLOAD_SIZE
    middle = cell_header(vpi, vci, 0)
    last = cell_header(vpi, vci, PTI_END_OF_FRAME)
    return [(last if i == count - 1 else middle) + pdu[i * PAYLOAD_SIZE:(i + 1) * PAYLOAD_SIZE]
            for i in range(count)]


def reassembled_payload(pdu: bytes) -> bytes | None:
    """The payload of a complete CPCS-PDU, None if its length or CRC is wrong."""
    if len(pdu) < PAYLOAD_SIZE or len(pdu) % PAYLOAD_SIZE:
        return None
    length = int.from_bytes(pdu[-6:-4], "big")
    room = len(pdu) - TRAILER_SIZE
    if length > room or room - length >= PAYLOAD_SIZE:
        return None
    if aal5_crc(pdu[:-4]) != int.from_bytes(pdu[-4:], "big"):
        return None
    return pdu[:length]


class AtmBridge:
    kind = "ATM bridge"

    def __init__(self, name: str) -> None:
        self.name = name
        self.eth_nio: Nio | None = None
        self.atm_nio: Nio | None = None
        self.vpi = self.vci = 0
        self._cells: list[bytes] = []
        self._size = 0
        self.frames_to_atm = 0
        self.frames_to_eth = 0
        self.dropped = 0            # bad AAL5 PDUs (CRC, length, encapsulation, size)
        self.ignored = 0            # cells not for us, OAM cells, runts
        self.closed = False

    @property
    def configured(self) -> bool:
        return self.eth_nio is not None

    def can_use(self, nio: Nio) -> bool:
        return not nio.owners or nio.owners == {self}

    def configure(self, eth_nio: Nio, atm_nio: Nio, vpi: int, vci: int) -> bool:
        if self.configured or eth_nio is atm_nio:
            return False
        if not (0 <= vpi <= MAX_VPI and 0 <= vci <= MAX_VCI):
            return False
        if not (self.can_use(eth_nio) and self.can_use(atm_nio)):
            return False
        self.eth_nio, self.atm_nio, self.vpi, self.vci = eth_nio, atm_nio, vpi, vci
        self._reset()
        for nio in (eth_nio, atm_nio):
            nio.owners.add(self)
        eth_nio.set_receiver(self._from_ethernet)
        atm_nio.set_receiver(self._from_atm)
        return True

    def unconfigure(self) -> None:
        for nio in (self.eth_nio, self.atm_nio):
            if nio is not None:
                nio.owners.discard(self)
                if not nio.owners:
                    nio.set_receiver(None)
        self.eth_nio = self.atm_nio = None
        self._reset()

    def _reset(self) -> None:
        self._cells = []
        self._size = 0

    # -- Ethernet -> ATM ---------------------------------------------------------------
    def _from_ethernet(self, nio: Nio, frame: bytes) -> None:
        atm = self.atm_nio
        if atm is None:
            return
        payload = LLC_SNAP_BRIDGED_NO_FCS + frame
        if len(payload) > MAX_PDU:
            self.dropped += 1
            return
        self.frames_to_atm += 1
        for cell in segment(aal5_pdu(payload), self.vpi, self.vci):
            atm.send(cell)

    # -- ATM -> Ethernet ---------------------------------------------------------------
    def _from_atm(self, nio: Nio, cell: bytes) -> None:
        if len(cell) != CELL_SIZE:
            self.ignored += 1
            return
        vpi, vci, low = parse_header(cell)
        pti = low >> 1
        if vpi != self.vpi or vci != self.vci or pti & PTI_OAM:
            self.ignored += 1
            return
        self._cells.append(cell[HEADER_SIZE:])
        self._size += PAYLOAD_SIZE
        if not pti & PTI_END_OF_FRAME:
            if self._size > MAX_PDU + PAYLOAD_SIZE + TRAILER_SIZE:
                self.dropped += 1           # no end in sight: give up on this PDU
                self._reset()
            return
        pdu = b"".join(self._cells)
        self._reset()
        payload = reassembled_payload(pdu)
        head = len(LLC_SNAP_BRIDGED_NO_FCS)
        if (payload is None or len(payload) <= head
                or payload[:head] != LLC_SNAP_BRIDGED_NO_FCS or self.eth_nio is None):
            self.dropped += 1
            return
        self.frames_to_eth += 1
        self.eth_nio.send(payload[head:])

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        self.unconfigure()
        self.closed = True
