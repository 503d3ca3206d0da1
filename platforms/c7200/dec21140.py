"""DEC 21140 Fast Ethernet controller (the C7200-IO-FE's FastEthernet0/0 and the PA-FE-TX).

Facts: C7200-DEVICES.md §7 (how dynamips presents the chip to IOS) and the 21140 hardware
reference (bit meanings). Where the two differ, the choice is noted at the place it is made.

Guest side
    * PCI configuration (``Dec21140Config``): 1011:0009, class/revision 0x02000011. Register
      0x14 (CBMA) places the CSR window at the physical address written (no size probing is
      needed, as IOS writes addresses directly; writing all ones reads back the size mask
      and maps nothing, writing 0 unmaps). 0x10 (CBIO) is plain storage.
    * CSRn at window offset n*8 (0x00..0x78), values as stored (no byte swap).
      CSR0 bus mode (descriptor skip length, bits 6..2, is honoured), CSR1 TX poll demand
      (processes the TX ring at once), CSR2 RX poll demand, CSR3/CSR4 list bases (a write
      resets the current descriptor), CSR5 status (write 1 to clear; NIS/AIS summaries;
      RS/TS process states), CSR6 operating mode (SR bit 1, PR bit 6, PM bit 7, ST bit 13),
      CSR7 interrupt enable, CSR8 missed frames (bits 15..0, overflow bit 16; cleared by
      reading), CSR9 serial ROM and MII bit-bang, CSR10..15 plain storage.
    * Interrupt: the chip's line is (CSR5 & CSR7) having an enabled normal bit with NIE, or
      an enabled abnormal bit with AIE (the datasheet; dynamips ignores CSR7). The line goes
      to the mid-plane FPGA's status bit for the card's slot/port (IP2).
    * Descriptors: 4 big-endian words at physical addresses, read and written through the
      machine's DMA helpers (so the byte-swapped window at 0xc0000000 also works).
      RX: OWN, RER (ring end), RCH (chained), RBS1 bits 10..0, RBS2 bits 21..11 (the
      datasheet's field; dynamips reads it from bit 10); a received frame gets its FCS
      appended, FS/LS, FL = length with FCS, MF for multicast, FT for an Ethernet-type frame.
      TX: OWN (the whole TDES0 is written 0 when done, as dynamips does), IC, LS, FS, SET
      (setup frame), TER, TCH, TBS1, TBS2, DPD; frames shorter than 60 bytes are padded.
    * Address filter: the last setup frame's 16 perfect entries (MAC bytes at entry offsets
      0, 1, 4, 5, 8, 9), broadcast, CSR6.PR promiscuous. Every multicast frame is accepted
      (dynamips does so; hash filtering is not modelled).
    * Serial ROM (CSR9 bits 0..3 with SR bit 11): a 93C46 (64 x 16 bits, 6 address bits,
      READ = start 1 + opcode 10, a 0 dummy bit, then data MSB first, auto-increment).
      Contents: DEC SROM format 3, one controller, the station MAC at bytes 20..25
      (words are little-endian: byte 2n is the low byte of word n), checksum at 126.
    * MII management (CSR9 MDC bit 16, MDO 17, MII read mode 18, MDI 19): a write with MDC
      set clocks one bit (dynamips decodes IOS's writes the same way): in write mode the
      PHY samples MDO, in read mode it puts its next bit on MDI. Frames are preamble, 01,
      opcode (10 read, 01 write), PHY address and register (5 bits each, MSB first); a read
      answers a 0 turnaround bit then D15..D0. Every PHY address answers with one register
      file; BMSR (register 1) reports link up and autonegotiation complete while the link is
      up. The PHY identifier registers read 0, as under dynamips.

Host side (the VM runtime)::

    nic = machine.nics[(slot, port)]
    nic.on_transmit(lambda frame: sock.send(frame))   # whole Ethernet frames, no FCS
    nic.receive(frame)                                 # between machine.run() calls

``receive`` is meant to be called from the worker loop between ``run`` slices (never while
``run`` executes on another thread): it writes the frame into the guest's RX ring, sets
CSR5.RI and raises the interrupt, so a guest sleeping in its idle loop wakes at the next
``run``. It returns False when the frame was not delivered: receiver stopped, filtered out,
or no descriptor owned by the chip (then CSR5.RU is set and the missed-frame counter
counts it; ``stats`` counts every case). Transmission is event-driven: a TX poll demand or
starting the transmitter processes the ring at once and hands each frame to the callback,
which therefore runs inside ``machine.run`` (on the thread running the CPU) and must not
block: queue or send without waiting. The link (MII BMSR) is up once a transmit callback is
set (``set_link`` overrides); without a callback, transmitted frames are dropped and counted.
"""
from __future__ import annotations

import zlib
from collections.abc import Callable

import structlog

from .pci import DEC21140, PciFunction

log = structlog.get_logger("pydynamips")

CSR_SIZE = 0x80            # 16 CSRs, 8 bytes apart
MAX_FRAME = 2048           # longer frames are truncated (dynamips does the same)
RING_LIMIT = 4096          # descriptors walked per scan at most (a malformed ring loops)

# CSR5 status / CSR7 enable bits
TI, TPS, TU, TJT, UNF = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 5
RI, RU, RPS, RWT, ETI, GTE, FBE, ERI = 1 << 6, 1 << 7, 1 << 8, 1 << 9, 1 << 10, 1 << 11, \
    1 << 13, 1 << 14
AIS, NIS = 1 << 15, 1 << 16
NORMAL = TI | TU | RI | ERI
ABNORMAL = TPS | TJT | UNF | RU | RPS | RWT | ETI | GTE | FBE
CSR5_RESET = 0xFC000000
CSR0_RESET = 0xFFF80000

# CSR6 operating mode
SR, PR, PM, ST = 1 << 1, 1 << 6, 1 << 7, 1 << 13

# CSR9
SROM_CS, SROM_CLK, SROM_DI, SROM_DO = 1 << 0, 1 << 1, 1 << 2, 1 << 3
CSR9_SR = 1 << 11
MII_MDC, MII_MDO, MII_READ, MII_MDI = 1 << 16, 1 << 17, 1 << 18, 1 << 19

# descriptors
OWN = 1 << 31
RDES0_FS, RDES0_LS, RDES0_MF, RDES0_DE, RDES0_FT = 1 << 9, 1 << 8, 1 << 10, 1 << 14, 1 << 5
RDES1_RER, RDES1_RCH = 1 << 25, 1 << 24
TDES1_IC, TDES1_LS, TDES1_FS, TDES1_SET = 1 << 31, 1 << 30, 1 << 29, 1 << 27
TDES1_TER, TDES1_TCH, TDES1_DPD = 1 << 25, 1 << 24, 1 << 23
SIZE_MASK = 0x7FF

# MII registers
BMCR, BMSR, ANAR, ANLPAR = 0, 1, 4, 5
BMSR_BASE = 0x7809          # 100TX/10T full and half duplex, autoneg ability, extended regs
BMSR_UP = 0x0024            # autoneg complete, link status


def srom_image(mac: bytes) -> bytes:
    """The 128-byte serial ROM: DEC SROM format 3, one 21140 controller, the station MAC."""
    rom = bytearray(128)
    rom[18] = 3                          # SROM format version
    rom[19] = 1                          # controller count
    rom[20:26] = mac
    rom[26] = 0                          # controller 0: device number
    rom[27:29] = (30).to_bytes(2, "little")          # its info leaf offset
    # info leaf: connection type 0x0800 (autosense), GP control 0x1f, no media blocks
    rom[30:34] = bytes([0x00, 0x08, 0x1F, 0x00])
    crc = zlib.crc32(bytes(rom[:126])) & 0xFFFF
    rom[126:128] = crc.to_bytes(2, "little")
    return bytes(rom)


def ethernet_fcs(frame: bytes) -> bytes:
    return zlib.crc32(frame).to_bytes(4, "little")


class _Srom93c46:
    """A 93C46 in 16-bit mode on the CSR9 serial ROM pins, standard (MSB-first) protocol."""

    def __init__(self, image: bytes) -> None:
        self.image = image
        self.reset()

    def reset(self) -> None:
        self.pins = 0
        self.state = "idle"
        self.shift = 0
        self.nbits = 0
        self.addr = 0
        self.pos = 0
        self.dout = 1

    def word(self, n: int) -> int:
        n &= 0x3F
        return self.image[2 * n] | (self.image[2 * n + 1] << 8)

    def write(self, pins: int) -> None:
        prev, self.pins = self.pins, pins
        if not pins & SROM_CS:
            self.state, self.dout = "idle", 1
            return
        if not prev & SROM_CS:
            self.state, self.shift, self.nbits = "start", 0, 0
        if prev & SROM_CLK or not pins & SROM_CLK:
            return                                   # act on rising clock edges only
        bit = 1 if pins & SROM_DI else 0
        if self.state == "start":
            if bit:                                  # the start bit
                self.state, self.shift, self.nbits = "command", 0, 0
        elif self.state == "command":
            self.shift = (self.shift << 1) | bit
            self.nbits += 1
            if self.nbits == 8:                      # 2 opcode + 6 address bits
                if self.shift >> 6 == 0b10:          # READ
                    self.state, self.addr, self.pos, self.dout = "data", self.shift & 0x3F, 0, 0
                else:                                # EWEN/EWDS/WRITE/ERASE: not modelled
                    self.state = "ignore"
        elif self.state == "data":
            self.dout = (self.word(self.addr) >> (15 - self.pos)) & 1
            self.pos += 1
            if self.pos == 16:                       # sequential read: next word
                self.pos, self.addr = 0, (self.addr + 1) & 0x3F


class _MiiPhy:
    """MII management frames bit-banged through CSR9, and the PHY's register file."""

    def __init__(self) -> None:
        self.link = False
        self.reset()

    def reset(self) -> None:
        self.regs = [0] * 32
        self.regs[BMCR] = 0x3000             # 100 Mb/s, autonegotiation enabled
        self.regs[ANAR] = 0x01E1
        self.state = "idle"
        self.shift = 0
        self.nbits = 0
        self.out: list[int] = []
        self.reg = 0
        self.mdi = 1

    def read_reg(self, reg: int) -> int:
        if reg == BMSR:
            return BMSR_BASE | (BMSR_UP if self.link else 0)
        if reg == ANLPAR:
            return 0x41E1 if self.link else 0
        return self.regs[reg]

    def write_reg(self, reg: int, value: int) -> None:
        if reg == BMCR:
            value &= ~0x8000 & 0xFFFF        # reset self-clears
            value &= ~0x0200                 # so does restart autonegotiation
        if reg not in (BMSR, 2, 3):
            self.regs[reg] = value & 0xFFFF

    def clock_in(self, bit: int) -> None:
        if self.state in ("read", "idle"):
            self.state = "idle"
            if bit == 0:
                self.state = "start"
            return
        if self.state == "start":
            self.state = "command" if bit else "start"
            self.shift, self.nbits = 0, 0
            return
        self.shift = (self.shift << 1) | bit
        self.nbits += 1
        if self.state == "command" and self.nbits == 12:
            op, self.reg = self.shift >> 10, self.shift & 0x1F
            if op == 0b10:
                v = self.read_reg(self.reg)
                self.out = [0] + [(v >> (15 - i)) & 1 for i in range(16)]
                self.state = "read"
            elif op == 0b01:
                self.state, self.shift, self.nbits = "write", 0, 0
            else:
                self.state = "idle"
        elif self.state == "write" and self.nbits == 18:       # turnaround + 16 data bits
            self.write_reg(self.reg, self.shift & 0xFFFF)
            self.state = "idle"

    def clock_out(self) -> None:
        self.mdi = self.out.pop(0) if self.state == "read" and self.out else 1


class Dec21140Config(PciFunction):
    """The chip's PCI configuration space; CBMA (0x14) maps the CSR window."""

    def __init__(self, nic: Dec21140) -> None:
        super().__init__(nic.name, DEC21140, 0x02000011)
        self.nic = nic

    def reset(self) -> None:
        super().reset()
        self.nic.reset()

    def read(self, reg: int) -> int:
        if reg == 0x14 and self.regs.get(0x14) == 0xFFFFFFFF:
            return (~(CSR_SIZE - 1)) & 0xFFFFFFFF      # size probe: 128 bytes of memory
        return super().read(reg)

    def write(self, reg: int, value: int) -> None:
        super().write(reg, value)
        if reg == 0x14:
            value &= 0xFFFFFFFF
            base = value & ~(CSR_SIZE - 1)
            self.nic.map_csrs(None if value == 0xFFFFFFFF or base == 0 else base)


class Dec21140:
    """One 21140; ``pci`` is its configuration function for the PCI topology."""

    def __init__(self, name: str, mac: bytes, set_irq: Callable[[bool], None],
                 mem_read: Callable[[int, int], bytes],
                 mem_write: Callable[[int, bytes], None],
                 map_window: Callable[[Dec21140, int | None], None]) -> None:
        if len(mac) != 6:
            raise ValueError("a MAC address has 6 bytes")
        self.name = name
        self.mac = bytes(mac)
        self.set_irq = set_irq
        self.mem_read, self.mem_write = mem_read, mem_write
        self._map_window = map_window
        self.csr_base: int | None = None
        self.srom = _Srom93c46(srom_image(self.mac))
        self.phy = _MiiPhy()
        self._transmit: Callable[[bytes], None] | None = None
        self._link_override: bool | None = None
        self.stats = {"rx_frames": 0, "rx_bytes": 0, "rx_missed": 0, "rx_filtered": 0,
                      "rx_stopped": 0, "tx_frames": 0, "tx_bytes": 0, "tx_dropped": 0,
                      "setup_frames": 0}
        self._irq = False
        self.csr = [0] * 16
        self.pci = Dec21140Config(self)
        self.reset()

    # ------------------------------------------------------------ host interface
    def on_transmit(self, callback: Callable[[bytes], None] | None) -> None:
        """Frames the guest sends go to ``callback`` (None: they are dropped and counted)."""
        self._transmit = callback
        self._update_link()

    def set_link(self, up: bool | None) -> None:
        """Force the PHY's link state (None: up exactly while a transmit callback is set)."""
        self._link_override = up
        self._update_link()

    @property
    def link_up(self) -> bool:
        return self.phy.link

    def _update_link(self) -> None:
        up = self._transmit is not None if self._link_override is None else self._link_override
        self.phy.link = bool(up)

    def receive(self, frame: bytes) -> bool:
        """Deliver one Ethernet frame (without FCS) into the RX ring; False if not taken."""
        frame = bytes(frame)
        if not self.csr[6] & SR or self.csr[3] == 0:
            self.stats["rx_stopped"] += 1
            return False
        if len(frame) < 14 or not self._accept(frame[:6]):
            self.stats["rx_filtered"] += 1
            return False
        if len(frame) < 60:
            frame = frame.ljust(60, b"\0")          # as the sender's MAC would have padded it
        data = (frame + ethernet_fcs(frame))[:MAX_FRAME]
        if not self._rx_store(data, frame[0] & 1, int.from_bytes(frame[12:14], "big")):
            self.stats["rx_missed"] += 1
            self._missed(1)
            self._set_status(RU)
            return False
        self.stats["rx_frames"] += 1
        self.stats["rx_bytes"] += len(frame)
        self._set_status(RI)
        return True

    # ------------------------------------------------------------ state
    def reset(self) -> None:
        self.csr = [0] * 16
        self.csr[0] = CSR0_RESET
        self.csr[5] = CSR5_RESET
        self.missed = 0
        self.rx_cur = 0
        self.tx_cur = 0
        self.filter: set[bytes] = set()
        self.srom.reset()
        self.phy.reset()
        self._update_link()
        self.map_csrs(None)
        self._update_irq()

    def map_csrs(self, base: int | None) -> None:
        self.csr_base = base
        self._map_window(self, base)
        if base is not None:
            log.info("dec21140.mapped", nic=self.name, address=f"0x{base:x}")

    def _set_status(self, bits: int) -> None:
        self.csr[5] |= bits
        self._update_irq()

    def _summaries(self) -> int:
        s = self.csr[5] & ~(AIS | NIS)
        if s & NORMAL:
            s |= NIS
        if s & ABNORMAL:
            s |= AIS
        return s

    def _update_irq(self) -> None:
        self.csr[5] = self._summaries()
        s, e = self.csr[5], self.csr[7]
        on = bool((e & NIS and s & e & NORMAL) or (e & AIS and s & e & ABNORMAL))
        if on != self._irq:
            self._irq = on
            self.set_irq(on)

    def _missed(self, n: int) -> None:
        self.missed += n
        if self.missed > 0xFFFF:
            self.missed = 0x1FFFF               # counter saturates, overflow bit 16

    def _skip(self) -> int:
        return ((self.csr[0] >> 2) & 0x1F) * 4

    # ------------------------------------------------------------ CSR access
    def read(self, off: int, width: int) -> int | None:
        if off & 7 or off >= CSR_SIZE:
            return None
        n = off >> 3
        if n == 5:
            v = self.csr[5]
            if self.csr[6] & SR:
                v |= 3 << 17                    # RS: running, waiting for a frame
            if self.csr[6] & ST:
                v |= 3 << 20                    # TS: as dynamips reports a running TX
            return v
        if n == 8:
            v, self.missed = self.missed, 0
            return v
        if n == 9:
            return self._csr9_read()
        return self.csr[n]

    def write(self, off: int, width: int, value: int) -> bool:
        if off & 7 or off >= CSR_SIZE:
            return False
        n, value = off >> 3, value & 0xFFFFFFFF
        if n == 0:
            if value & 1:                       # software reset
                self.reset_keep_mapping()
                return True
            self.csr[0] = value
        elif n == 1:
            self.csr[1] = value
            self.transmit_poll()
        elif n == 2:
            self.csr[2] = value
        elif n == 3:
            self.csr[3] = self.rx_cur = value
        elif n == 4:
            self.csr[4] = self.tx_cur = value
        elif n == 5:
            self.csr[5] = (self.csr[5] & ~(value & 0x0001FFFF)) | CSR5_RESET
            self._update_irq()
        elif n == 6:
            old, self.csr[6] = self.csr[6], value
            stopped = 0
            if old & SR and not value & SR:
                stopped |= RPS
            if old & ST and not value & ST:
                stopped |= TPS
            if stopped:
                self._set_status(stopped)
            if value & ST and not old & ST:
                self.transmit_poll()
        elif n == 7:
            self.csr[7] = value
            self._update_irq()
        elif n == 8:
            pass                                # read-only counter
        elif n == 9:
            self._csr9_write(value)
        else:
            self.csr[n] = value
        return True

    def reset_keep_mapping(self) -> None:
        base = self.csr_base
        self.reset()
        if base is not None:
            self.map_csrs(base)

    def _csr9_read(self) -> int:
        v = self.csr[9] & ~(SROM_DO | MII_MDI)
        if v & CSR9_SR and self.srom.dout:
            v |= SROM_DO
        if self.phy.mdi:
            v |= MII_MDI
        return v

    def _csr9_write(self, value: int) -> None:
        self.csr[9] = value
        if value & CSR9_SR:
            self.srom.write(value & (SROM_CS | SROM_CLK | SROM_DI))
        elif value & MII_MDC:
            if value & MII_READ:
                self.phy.clock_out()
            else:
                self.phy.clock_in(1 if value & MII_MDO else 0)

    # ------------------------------------------------------------ descriptors
    def _desc(self, addr: int) -> list[int]:
        raw = self.mem_read(addr, 16)
        return [int.from_bytes(raw[i:i + 4], "big") for i in range(0, 16, 4)]

    def _put_word(self, addr: int, value: int) -> None:
        self.mem_write(addr, (value & 0xFFFFFFFF).to_bytes(4, "big"))

    def _accept(self, dst: bytes) -> bool:
        if self.csr[6] & PR or dst[0] & 1:      # promiscuous, multicast or broadcast
            return True
        return dst in self.filter

    def _rx_next(self, addr: int, d: list[int]) -> int:
        if d[1] & RDES1_RER:
            return self.csr[3]
        if d[1] & RDES1_RCH:
            return d[3]
        return addr + 16 + self._skip()

    def _rx_store(self, data: bytes, multicast: int, ethertype: int) -> bool:
        addr = self.rx_cur
        d = self._desc(addr)
        if not d[0] & OWN:
            return False
        first, pos = addr, 0
        for _ in range(RING_LIMIT):
            for buf, size in ((d[2], d[1] & SIZE_MASK),
                              (d[3], 0 if d[1] & RDES1_RCH else (d[1] >> 11) & SIZE_MASK)):
                n = min(size, len(data) - pos)
                if n > 0:
                    self.mem_write(buf, data[pos:pos + n])
                    pos += n
            nxt = self._rx_next(addr, d)
            status = RDES0_FS if addr == first else 0
            if pos >= len(data):
                status |= RDES0_LS | (len(data) << 16)
                if multicast:
                    status |= RDES0_MF
                if ethertype >= 0x600:
                    status |= RDES0_FT
                self._put_word(addr, status)
                self.rx_cur = nxt
                return True
            nd = self._desc(nxt)
            if not nd[0] & OWN:                 # out of descriptors in mid-frame
                self._put_word(addr, status | RDES0_LS | RDES0_DE | (pos << 16))
                self.rx_cur = nxt
                self._set_status(RU)
                return True
            self._put_word(addr, status)
            addr, d = nxt, nd
        return False

    def transmit_poll(self) -> None:
        """Process the TX ring from the current descriptor until one the host owns."""
        if not self.csr[6] & ST or self.csr[4] == 0:
            return
        frame = bytearray()
        in_frame = False
        status = 0
        for _ in range(RING_LIMIT):
            addr = self.tx_cur
            d = self._desc(addr)
            if not d[0] & OWN:
                status |= TU                    # suspended: the next descriptor is the host's
                break
            ctl = d[1]
            size1, size2 = ctl & SIZE_MASK, (ctl >> 11) & SIZE_MASK
            if ctl & TDES1_TCH:
                size2 = 0
            if ctl & TDES1_SET:
                self._setup_frame(self.mem_read(d[2], size1) if size1 else b"")
            else:
                if ctl & TDES1_FS:
                    frame.clear()
                    in_frame = True
                if in_frame:
                    if size1:
                        frame += self.mem_read(d[2], size1)
                    if size2:
                        frame += self.mem_read(d[3], size2)
                    if ctl & TDES1_LS:
                        self._send(bytes(frame), ctl)
                        frame.clear()
                        in_frame = False
            if ctl & TDES1_IC and (ctl & (TDES1_LS | TDES1_SET)):
                status |= TI
            self._put_word(addr, 0)
            if ctl & TDES1_TER:
                self.tx_cur = self.csr[4]
            elif ctl & TDES1_TCH:
                self.tx_cur = d[3]
            else:
                self.tx_cur = addr + 16 + self._skip()
        if status:
            self._set_status(status)

    def _send(self, frame: bytes, ctl: int) -> None:
        if len(frame) < 60 and not ctl & TDES1_DPD:
            frame = frame.ljust(60, b"\0")
        if self._transmit is None:
            self.stats["tx_dropped"] += 1
            return
        self.stats["tx_frames"] += 1
        self.stats["tx_bytes"] += len(frame)
        self._transmit(frame)

    def _setup_frame(self, buf: bytes) -> None:
        """Perfect filtering: 16 entries of 12 bytes, MAC bytes at offsets 0, 1, 4, 5, 8, 9."""
        self.stats["setup_frames"] += 1
        entries = set()
        for i in range(0, min(len(buf), 192) - 11, 12):
            e = buf[i:i + 12]
            entries.add(bytes((e[0], e[1], e[4], e[5], e[8], e[9])))
        for mac in sorted(entries - self.filter):
            if not mac[0] & 1:
                log.debug("dec21140.unicast", nic=self.name, mac=mac.hex(":"))
        self.filter = entries
