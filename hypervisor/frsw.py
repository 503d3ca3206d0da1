"""A Frame Relay switch (`frsw`): permanent virtual circuits between NIOs.

A NIO of a Frame Relay switch carries Frame Relay frames without flags or FCS: each datagram
starts with the 2-byte Q.922 address field

    byte 0: DLCI bits 9..4 (6 bits) | C/R | EA=0
    byte 1: DLCI bits 3..0 (4 bits) | FECN | BECN | DE | EA=1

A VC is one direction, (input NIO, input DLCI) -> (output NIO, output DLCI), as in dynamips
(a bidirectional PVC is two `create_vc`). A frame arriving on a NIO whose DLCI has a VC is
sent out of the VC's output NIO with the DLCI rewritten; every other address bit (C/R,
FECN, BECN, DE, both EA bits) is kept. Frames on a DLCI without a VC, and runts, are dropped
and counted.

LMI: a status enquiry on DLCI 0 in ANSI T1.617 Annex D form (header 00 01 03 08 00 75 95,
report type and link integrity verification elements) is answered on the same NIO with a
status message (message type 0x7D): the report type echoed, the link integrity element with
the switch's send sequence number (per NIO, 1..255, incremented for every answer) and the
enquiry's send sequence number as receive sequence; a full status answer (report type 0)
also lists one PVC status element (0x07, length 3, "active") per VC whose input is that NIO,
by ascending DLCI. Cisco LMI (DLCI 1023) and ITU Q.933 Annex A (DLCI 0 without the locking
shift) are not answered: those enquiries are counted in `lmi_ignored` and dropped.

Ownership: the switch adds itself to the `owners` of every NIO one of its VCs uses, so
`nio delete` refuses it, and releases it when the last such VC goes (or at `close()`).
A NIO already owned by another object (a switch, hub or bridge) cannot be used.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .nio import Nio
from .nio_ports import CircuitPorts

DLCI_LMI_ANSI = 0
DLCI_LMI_CISCO = 1023
MAX_DLCI = 1023

LMI_ANSI_ENQUIRY_HEADER = bytes((0x00, 0x01, 0x03, 0x08, 0x00, 0x75, 0x95))
LMI_ANSI_STATUS_HEADER = bytes((0x00, 0x01, 0x03, 0x08, 0x00, 0x7D, 0x95))
IE_REPORT_TYPE = 0x01
IE_LINK_INTEGRITY = 0x03
IE_PVC_STATUS = 0x07
REPORT_FULL_STATUS = 0x00
REPORT_LINK_INTEGRITY = 0x01
PVC_ACTIVE = 0x82              # extension bit + "active"


def dlci_of(frame: bytes) -> int:
    return ((frame[0] >> 2) << 4) | (frame[1] >> 4)


def rewrite_dlci(frame: bytes, dlci: int) -> bytes:
    """`frame` with its DLCI replaced, every other address bit kept."""
    b0 = (frame[0] & 0x03) | ((dlci >> 4) & 0x3F) << 2
    b1 = (frame[1] & 0x0F) | (dlci & 0x0F) << 4
    return bytes((b0, b1)) + frame[2:]


@dataclass(eq=False)
class _Port:
    """What the switch knows of one NIO it uses."""
    nio: Nio
    refs: int = 0                          # VCs naming the NIO (as input or output)
    lmi_seq: int = 0                       # our last LMI send sequence number
    out: dict = field(default_factory=dict)  # input DLCI -> (output NIO, output DLCI)


class FrameRelaySwitch(CircuitPorts):
    port_class = _Port

    kind = "FRSW"

    def __init__(self, name: str) -> None:
        self.name = name
        self.ports: dict[Nio, _Port] = {}
        self.vcs: list[tuple[Nio, int, Nio, int]] = []     # creation order
        self.forwarded = 0
        self.dropped = 0
        self.lmi_answered = 0
        self.lmi_ignored = 0
        self.closed = False

    # -- VCs ---------------------------------------------------------------------------
    def can_use(self, nio: Nio) -> bool:
        return not nio.owners or nio.owners == {self}

    def create_vc(self, in_nio: Nio, in_dlci: int, out_nio: Nio, out_dlci: int) -> bool:
        """False when a DLCI is out of range or LMI's, a NIO is used elsewhere, or the input
        DLCI already has a VC on that NIO."""
        for dlci in (in_dlci, out_dlci):
            if not 0 < dlci < MAX_DLCI:
                return False
        if not (self.can_use(in_nio) and self.can_use(out_nio)):
            return False
        port = self.ports.get(in_nio)
        if port is not None and in_dlci in port.out:
            return False
        self._hold(in_nio).out[in_dlci] = (out_nio, out_dlci)
        self._hold(out_nio)
        self.vcs.append((in_nio, in_dlci, out_nio, out_dlci))
        return True

    def delete_vc(self, in_nio: Nio, in_dlci: int, out_nio: Nio, out_dlci: int) -> bool:
        port = self.ports.get(in_nio)
        if port is None or port.out.get(in_dlci) != (out_nio, out_dlci):
            return False
        del port.out[in_dlci]
        self.vcs.remove((in_nio, in_dlci, out_nio, out_dlci))
        self._release(in_nio)
        self._release(out_nio)
        return True

    # -- switching ---------------------------------------------------------------------
    def switch(self, port: _Port, frame: bytes) -> None:
        if len(frame) < 2:
            self.dropped += 1
            return
        dlci = dlci_of(frame)
        vc = port.out.get(dlci)
        if vc is not None:
            out_nio, out_dlci = vc
            self.forwarded += 1
            out_nio.send(rewrite_dlci(frame, out_dlci))
            return
        if dlci == DLCI_LMI_ANSI:
            answer = self.lmi_answer(port, frame)
            if answer is not None:
                self.lmi_answered += 1
                port.nio.send(answer)
                return
            self.lmi_ignored += 1
        elif dlci == DLCI_LMI_CISCO:
            self.lmi_ignored += 1
        self.dropped += 1

    def lmi_answer(self, port: _Port, frame: bytes) -> bytes | None:
        """The ANSI Annex D status message answering `frame`, None if it is not a valid
        ANSI status enquiry."""
        head = len(LMI_ANSI_ENQUIRY_HEADER)
        if frame[:head] != LMI_ANSI_ENQUIRY_HEADER:
            return None
        report = None
        their_send = None
        pos, end = head, len(frame)
        while pos + 2 <= end:
            ie, size = frame[pos], frame[pos + 1]
            value = frame[pos + 2:pos + 2 + size]
            if len(value) != size:
                return None
            if ie == IE_REPORT_TYPE and size == 1:
                report = value[0]
            elif ie == IE_LINK_INTEGRITY and size == 2:
                their_send = value[0]
            pos += 2 + size
        if report not in (REPORT_FULL_STATUS, REPORT_LINK_INTEGRITY) or their_send is None:
            return None
        port.lmi_seq = port.lmi_seq % 255 + 1              # 1..255, never 0
        out = bytearray(LMI_ANSI_STATUS_HEADER)
        out += bytes((IE_REPORT_TYPE, 1, report))
        out += bytes((IE_LINK_INTEGRITY, 2, port.lmi_seq, their_send))
        if report == REPORT_FULL_STATUS:
            for dlci in sorted(port.out):
                out += bytes((IE_PVC_STATUS, 3, (dlci >> 4) & 0x3F,
                              0x80 | (dlci & 0x0F) << 3, PVC_ACTIVE))
        return bytes(out)

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        """Delete every VC and release the NIOs (they stay, free for other uses)."""
        for vc in list(self.vcs):
            self.delete_vc(*vc)
        self.closed = True
