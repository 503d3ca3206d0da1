"""An Ethernet switch (`ethsw`): MAC learning per VLAN, access, 802.1Q trunk and QinQ ports.

Forwarding is event-driven: a frame is switched inside the NIO's receive callback, the
moment its datagram is read, and written to the output NIO(s) at once (dynamips polls and
sends in 10 ms batches).

The VLAN model. Every frame is classified on input to one VLAN and its "untagged form":
  * access port (VLAN n): VLAN n, the frame as received (a tagged frame stays as it is:
    it is payload of VLAN n);
  * 802.1Q trunk (native VLAN n): a frame whose EtherType is a VLAN tag type (0x8100,
    0x88a8, 0x9100, 0x9200) belongs to the tag's VLAN, its untagged form is the frame
    without that tag; any other frame belongs to VLAN n;
  * QinQ tunnel port (outer VLAN n, tag type t): VLAN n, the customer's frame as received,
    tagged or not (a 802.1ad tunnel port carries everything of its customer).
On output a port is a member of its access/outer VLAN; a trunk of every VLAN. Access and
QinQ ports send the untagged form; a trunk sends the untagged form on its native VLAN and
otherwise pushes a tag: the tag type it arrived with, the QinQ port's type (0x8100 by
default, 0x88a8 with `set_qinq_port ... 0x88a8`) for tunnel traffic, 0x8100 otherwise.

Learning: the source MAC (unless multicast) is learnt per (MAC, VLAN) with its port;
entries unused for `aging_time` seconds (300, as IEEE 802.1D recommends) are forgotten.
Unknown unicast, broadcast and multicast are flooded to the VLAN's other ports; nothing
goes back out of the port it came in on.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from .nio import Nio

ACCESS, DOT1Q, QINQ = "access", "dot1q", "qinq"
TAG_TYPES = frozenset({0x8100, 0x88A8, 0x9100, 0x9200})
DEFAULT_TAG_TYPE = 0x8100
DEFAULT_AGING_S = 300.0
MIN_FRAME = 14


@dataclass(eq=False)
class SwitchPort:
    nio: Nio
    mode: str = ACCESS
    vlan: int = 1                           # access VLAN, native VLAN or outer VLAN
    ethertype: int = DEFAULT_TAG_TYPE       # QinQ: the outer tag's type


def _tag(tag_type: int, vlan: int) -> bytes:
    return bytes(((tag_type >> 8) & 0xFF, tag_type & 0xFF, (vlan >> 8) & 0x0F, vlan & 0xFF))


def format_mac(mac: bytes) -> str:
    h = mac.hex()
    return f"{h[0:4]}.{h[4:8]}.{h[8:12]}"


class EthernetSwitch:
    """One switch; NIOs are its ports."""

    kind = "ETHSW"

    def __init__(self, name: str, aging_time: float = DEFAULT_AGING_S) -> None:
        self.name = name
        self.aging_time = aging_time
        self.ports: dict[Nio, SwitchPort] = {}
        # (MAC, VLAN) -> [port, last seen (monotonic seconds)]
        self.table: dict[tuple[bytes, int], list] = {}
        self.closed = False

    # -- ports -------------------------------------------------------------------------
    def can_add(self, nio: Nio) -> bool:
        return not nio.owners or nio.owners == {self}

    def add_nio(self, nio: Nio) -> None:
        """Plug a NIO in (an access port of VLAN 1); adding it again changes nothing."""
        if nio in self.ports:
            return
        if not self.can_add(nio):
            raise ValueError(f"NIO '{nio.name}' is already used")
        port = SwitchPort(nio)
        self.ports[nio] = port
        nio.owners.add(self)
        nio.set_receiver(self._make_receiver(port))

    def remove_nio(self, nio: Nio) -> bool:
        port = self.ports.pop(nio, None)
        if port is None:
            return False
        self._forget_port(port)
        nio.owners.discard(self)
        if not nio.owners:
            nio.set_receiver(None)
        return True

    def set_port(self, nio: Nio, mode: str, vlan: int,
                 ethertype: int = DEFAULT_TAG_TYPE) -> bool:
        port = self.ports.get(nio)
        if port is None:
            return False
        port.mode, port.vlan, port.ethertype = mode, vlan & 0xFFF, ethertype
        self._forget_port(port)          # its VLAN membership changed
        return True

    def _forget_port(self, port: SwitchPort) -> None:
        for key in [k for k, entry in self.table.items() if entry[0] is port]:
            del self.table[key]

    # -- MAC table ---------------------------------------------------------------------
    def clear_mac_table(self) -> None:
        self.table.clear()

    def mac_table(self) -> list[tuple[str, int, str]]:
        """Live entries as (xxxx.xxxx.xxxx, VLAN, NIO name), by VLAN then MAC."""
        now = time.monotonic()
        for key in [k for k, e in self.table.items() if now - e[1] > self.aging_time]:
            del self.table[key]
        return [(format_mac(mac), vlan, entry[0].nio.name)
                for (mac, vlan), entry in sorted(self.table.items(),
                                                 key=lambda item: (item[0][1], item[0][0]))]

    # -- forwarding --------------------------------------------------------------------
    def _make_receiver(self, port: SwitchPort):
        def receive(nio: Nio, frame: bytes) -> None:
            self.forward(port, frame)
        return receive

    def forward(self, port: SwitchPort, frame: bytes) -> None:
        if len(frame) < MIN_FRAME:
            return                                    # a runt: not even an Ethernet header
        mode = port.mode
        tagged = False
        tag_type = DEFAULT_TAG_TYPE
        if mode is ACCESS:
            vlan = port.vlan
        elif mode is DOT1Q:
            ethertype = (frame[12] << 8) | frame[13]
            if ethertype in TAG_TYPES and len(frame) >= MIN_FRAME + 4:
                vlan = ((frame[14] << 8) | frame[15]) & 0xFFF
                tagged, tag_type = True, ethertype
            else:
                vlan = port.vlan
        else:                                          # QINQ
            vlan, tag_type = port.vlan, port.ethertype

        table = self.table
        now = time.monotonic()
        src = frame[6:12]
        if not src[0] & 1:                             # never learn a multicast source
            entry = table.get((src, vlan))
            if entry is None or entry[0] is not port:
                table[(src, vlan)] = [port, now]
            else:
                entry[1] = now

        dst = frame[0:6]
        if not dst[0] & 1:
            entry = table.get((dst, vlan))
            if entry is not None:
                if now - entry[1] > self.aging_time:
                    del table[(dst, vlan)]
                else:
                    out = entry[0]
                    if out is not port and out.nio in self.ports:
                        self._emit(out, vlan, frame, tagged, tag_type, None)
                    return
        # unknown unicast, broadcast, multicast: the VLAN's other ports
        forms: dict = {}
        for out in list(self.ports.values()):
            if out is not port:
                self._emit(out, vlan, frame, tagged, tag_type, forms)

    @staticmethod
    def _emit(out: SwitchPort, vlan: int, frame: bytes, tagged: bool, tag_type: int,
              forms: dict | None) -> None:
        """Send `frame` (of `vlan`; `tagged` when it still carries that VLAN's tag) out of
        `out` if it is a member, in the form that port wants. `forms` caches the untagged
        and tagged copies while flooding."""
        mode = out.mode
        if mode is not DOT1Q:
            if out.vlan != vlan:
                return
            want_tag = False
        else:
            want_tag = vlan != out.vlan
        if want_tag == tagged:
            out.nio.send(frame)
            return
        data = forms.get(want_tag) if forms is not None else None
        if data is None:
            if want_tag:
                data = frame[:12] + _tag(tag_type, vlan) + frame[12:]
            else:
                data = frame[:12] + frame[16:]
            if forms is not None:
                forms[want_tag] = data
        out.nio.send(data)

    # -- lifecycle ---------------------------------------------------------------------
    def config_commands(self) -> list[str]:
        lines = [f'ethsw create "{self.name}"']
        for port in self.ports.values():
            n = port.nio.name
            lines.append(f'ethsw add_nio "{self.name}" {n}')
            if port.mode == ACCESS:
                lines.append(f'ethsw set_access_port "{self.name}" {n} {port.vlan}')
            elif port.mode == DOT1Q:
                lines.append(f'ethsw set_dot1q_port "{self.name}" {n} {port.vlan}')
            else:
                lines.append(f'ethsw set_qinq_port "{self.name}" {n} {port.vlan} '
                             f'0x{port.ethertype:x}')
        return lines

    def close(self) -> None:
        """Unplug every port (the NIOs stay, free for other uses)."""
        for nio in list(self.ports):
            self.remove_nio(nio)
        self.table.clear()
        self.closed = True
