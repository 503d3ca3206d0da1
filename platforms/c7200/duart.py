"""The console/AUX DUART (SCN2681) inside the I/O FPGA, channel A = console, B = AUX.

Offsets are from the I/O FPGA base (docs/C7200.md, C7200-DEVICES.md §1). Registers are 32-bit
with the low byte significant. Behaviour kept from dynamips because IOS is known to accept
it: TxRDY is always set; reading SRA clears IRQ 5, reading SRB does not; writing THRB clears
TxRDYA in ISR; a periodic task (every second timer tick) sets TxRDYA|TxRDYB in ISR and
raises IRQ 5 when IMR enables either.

Output goes to callables (bytes); input is queued by the machine (console_input/aux_input).
The DUART also counts consecutive empty status polls, which is how the machine detects a
guest idling in a polling loop without an idle PC.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable

RX_READY = 0x01
TX_READY = 0x04
ISR_TXRDYA, ISR_RXRDYA, ISR_TXRDYB, ISR_RXRDYB = 0x01, 0x02, 0x10, 0x20

SRA, CRA, RHRA, ISR = 0x40C, 0x414, 0x41C, 0x42C
SRB, CRB, RHRB = 0x44C, 0x454, 0x45C
# registers that are accepted silently (mode, aux control, counter/timer, output port)
QUIET = frozenset((0x404, 0x424, 0x434, 0x43C, 0x444, 0x464, 0x46C, 0x474, 0x47C))


class Channel:
    def __init__(self, out: Callable[[bytes], None]) -> None:
        self.out = out
        self.rx: deque[int] = deque()
        self.tx = bytearray()          # flushed by the machine after every run slice

    def send(self, byte: int) -> None:
        self.tx.append(byte)
        if len(self.tx) >= 4096:
            self.flush()

    def flush(self) -> None:
        if self.tx:
            data = bytes(self.tx)
            self.tx.clear()
            self.out(data)


class Duart:
    FIRST, LAST = 0x404, 0x47C

    def __init__(self, console_out: Callable[[bytes], None], aux_out: Callable[[bytes], None],
                 set_irq: Callable[[bool], None]) -> None:
        self.a = Channel(console_out)
        self.b = Channel(aux_out)
        self.set_irq = set_irq
        self.reset()

    def reset(self) -> None:
        self.isr = 0
        self.imr = 0
        self.tick_seq = 0
        self.empty_polls = 0
        self.activity = 0            # counts input and output: the console is not idle
        self.irq = False
        self._irq(False)

    def _irq(self, level: bool) -> None:
        self.irq = level
        self.set_irq(level)

    # ------------------------------------------------------------ host side
    def input(self, channel: str, data: bytes) -> None:
        ch = self.a if channel == "a" else self.b
        ch.rx.extend(data)
        bit = ISR_RXRDYA if channel == "a" else ISR_RXRDYB
        if data and self.imr & bit:
            self.isr |= bit
            self._irq(True)
        self.empty_polls = 0
        self.activity += 1

    def timer_tick(self) -> None:
        """The periodic TX-ready interrupt IOS's interrupt-driven transmit waits for."""
        self.tick_seq += 1
        if self.tick_seq >= 2:
            self.tick_seq = 0
            if self.imr & (ISR_TXRDYA | ISR_TXRDYB):
                self.isr |= ISR_TXRDYA | ISR_TXRDYB
                self._irq(True)

    def flush(self) -> None:
        self.a.flush()
        self.b.flush()

    def acknowledge(self) -> None:
        """Drop IRQ 5 (what reading SRA does); used by the ROM's interrupt handler."""
        self.isr = 0
        self._irq(False)

    @property
    def pending_input(self) -> bool:
        return bool(self.a.rx or self.b.rx)

    # ------------------------------------------------------------ guest side
    def read(self, off: int) -> int | None:
        if off == SRA:
            v = TX_READY | (RX_READY if self.a.rx else 0)
            if not self.a.rx:
                self.empty_polls += 1
            if self.irq:
                self._irq(False)
            return v
        if off == SRB:
            v = TX_READY | (RX_READY if self.b.rx else 0)
            if not self.b.rx:
                self.empty_polls += 1
            return v
        if off == RHRA:
            self.isr &= ~ISR_RXRDYA
            return self.a.rx.popleft() if self.a.rx else 0
        if off == RHRB:
            self.isr &= ~ISR_RXRDYB
            return self.b.rx.popleft() if self.b.rx else 0
        if off == ISR:
            return self.isr
        if off in QUIET or off in (CRA, CRB):
            return 0
        return None

    def write(self, off: int, value: int) -> bool:
        if off == RHRA:
            self.a.send(value & 0xFF)
            self.isr &= ~ISR_TXRDYA
            self.empty_polls = 0
            self.activity += 1
            return True
        if off == RHRB:
            self.b.send(value & 0xFF)
            self.isr &= ~ISR_TXRDYA          # dynamips clears channel A's bit here
            self.empty_polls = 0
            self.activity += 1
            return True
        if off == ISR:
            self.imr = value & 0xFF
            return True
        return off in QUIET or off in (CRA, CRB, SRA, SRB)
