"""C7200Machine in-process: the runtime's interface, the unimplemented-register list, and
device models checked register by register against C7200-DEVICES.md."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from platforms.c7200.bus import UnimplementedAccess
from platforms.c7200.machine import C7200Machine, MachineConfig, RunKind
from platforms.c7200.nvram_device import PATTERN, calendar_value
from platforms.c7200.gt64k import swap32

FW = Path(__file__).resolve().parents[2] / "tests" / "firmware"


def machine(image=None, npe="npe-400", ram_mb=32, **kw):
    out = bytearray()
    m = C7200Machine(MachineConfig(image=str(FW / image) if image else None,
                                   ram=np.zeros(ram_mb << 20, np.uint8),
                                   nvram=np.zeros(128 * 1024, np.uint8), npe=npe,
                                   console_out=out.extend, timer="deterministic", **kw))
    return m, out


def run_to_stop(m, limit=200):
    for _ in range(limit):
        r = m.run(5_000_000)
        m.advance_time(0.01)
        if r.kind in (RunKind.STOPPED, RunKind.ERROR):
            return r
    raise AssertionError("the image did not stop")


@pytest.mark.parametrize("image", ["hello", "isa", "irq", "nvram_probe", "eeprom_probe"])
def test_firmware_touches_no_unimplemented_register(image):
    m, out = machine(f"{image}.elf")
    r = run_to_stop(m)
    assert r.kind is RunKind.STOPPED and r.message == "image returned to ROM", out
    assert m.unimplemented == []


def test_console_idle_input_and_exit():
    m, out = machine("console.elf", ram_mb=64)
    for _ in range(100):
        r = m.run(5_000_000)
        if r.kind is RunKind.IDLE and out.endswith(b"router> "):
            break
    assert r.kind is RunKind.IDLE
    m.console_input(b"exit\r")
    r = run_to_stop(m)
    assert r.kind is RunKind.STOPPED
    assert b"router> exit\r\nbye\r\n" in out
    assert m.unimplemented == []


def test_boot_contract_registers():
    m, out = machine("hello.elf")
    assert m.pc == 0xFFFFFFFFBFC00000            # reset vector
    r = m.run(2)                                  # the ROM's reset stub: lui + sw to the ROM port
    assert r.kind is RunKind.SLICE and m.pc == 0xFFFFFFFF80008000
    cpu = m.cpu
    assert cpu.status == 0x00408101
    assert cpu.gpr(4) == 2 and cpu.gpr(5) == 0 and cpu.gpr(6) == 0
    assert cpu.gpr(29) == (0xFFFFFFFF80008000 - 64) & ~7
    assert cpu.gpr(31) == 0xFFFFFFFFBFC00100
    assert cpu.cp0_get(11) == 1_000_000
    assert bytes(m.nvram[0x80:0x84]) == b"IOS\0" and bytes(m.nvram[0x200:0x208]) == b"BOOTLDR\0"


def test_unimplemented_logged_once_and_reads_zero():
    m, _ = machine()
    assert m.bus.read(0x1E840FF0, 4) == 0
    assert m.bus.read(0x1E840FF0, 4) == 0
    m.bus.write(0x1E800FF0, 4, 5)
    assert m.unimplemented == [UnimplementedAccess("read", 0x1E840FF0, 4, None, m.pc),
                               UnimplementedAccess("write", 0x1E800FF0, 4, 5, m.pc)]


def test_ds1620_reads_22_degrees():
    m, _ = machine()
    bus = m.bus
    io = 0x1E840000
    bus.write(io + 0x20C, 4, 0x01)                # RST\ of sensor 0 high, CLK low
    for i in range(8):                             # command 0xAA, LSB first
        bus.write(io + 0x20C, 4, 0x01)
        bus.write(io + 0x214, 4, (0xAA >> i) & 1)
        bus.write(io + 0x20C, 4, 0x11)
    temp = sum((bus.read(io + 0x22C, 4) & 1) << i for i in range(9))
    assert temp == 44                              # 22 °C in 0.5 °C units
    bus.write(io + 0x214, 4, 0x04)                 # A/D mux: +3.3 V
    assert bus.read(io + 0x257, 1) == 127
    assert m.unimplemented == []


def test_nvram_calendar():
    m, _ = machine()
    m.nvram_dev.clock = lambda: 1_764_850_000.0   # 2025-12-04 12:06:40 UTC
    for i in range(64):
        m.bus.write(0x1E000003, 1, (PATTERN >> i) & 1)
    v = sum((m.bus.read(0x1E000003, 1) & 1) << i for i in range(64))
    assert v == calendar_value(1_764_850_000.0)
    assert (v >> 56) & 0xFF == 0xC5 and (v >> 48) & 0xFF == 0x12   # year "125", December


def test_gt64120_pci_config_and_bridges():
    m, _ = machine(npe="npe-400")
    gt = 0x14000000

    def cfg_read(bus, dev, reg, port=0xCF8):
        m.bus.write(gt + port, 4, swap32(0x80000000 | bus << 16 | dev << 11 | reg))
        return swap32(m.bus.read(gt + port + 4, 4))

    assert cfg_read(0, 0, 0) == 0x462011AB
    assert cfg_read(0, 0, 8) == 0x03008005
    assert cfg_read(0, 1, 0) == 0x00011011         # DEC21050 to the slot-0 bus on npe-400
    assert cfg_read(0, 7, 0) == 0x00231011         # VXR bay bridge
    assert cfg_read(0, 7, 0, port=0xCF0) == 0x00231011
    assert cfg_read(0, 12, 0) == 0xFFFFFFFF
    assert cfg_read(1, 0, 0) == 0xFFFFFFFF         # bridge not programmed yet
    m.bus.write(gt + 0xCF8, 4, swap32(0x80000000 | 1 << 11 | 0x18))
    m.bus.write(gt + 0xCFC, 4, swap32(0x00020100))  # pri 0, sec 1, sub 2
    assert cfg_read(1, 0, 0) == 0x00091011         # IO-FE DEC21140
    assert cfg_read(2, 16, 0) == 0x11001013        # CL-PD6729 behind the hidden bridge
    assert m.unimplemented == []


def test_gt_dma_copies_and_raises_ip4():
    m, _ = machine(npe="npe-400")
    gt = 0x14000000
    m.ram[0x1000:0x1010] = np.arange(16, dtype=np.uint8)
    rec = b"".join(v.to_bytes(4, "little") for v in (16, 0x1000, 0x2000, 0))
    m.ram[0x3000:0x3010] = np.frombuffer(rec, np.uint8)
    m.bus.write(gt + 0xC1C, 4, swap32(0x10))
    m.bus.write(gt + 0x830, 4, swap32(0x3000))
    m.bus.write(gt + 0x840, 4, swap32((1 << 12) | (1 << 13)))
    assert bytes(m.ram[0x2000:0x2010]) == bytes(range(16))
    assert swap32(m.bus.read(gt + 0xC18, 4)) & 0x10
    assert m.cpu.ctx[8] & (1 << 12)                # IP4 line up


def test_bootflash_id_and_program():
    m, _ = machine()
    fl = 0x1A000000
    m.bus.write(fl, 4, 0x90909090)
    assert m.bus.read(fl, 4) == 0x89898989 and m.bus.read(fl + 4, 4) == 0xA0A0A0A0
    m.bus.write(fl, 1, 0x40)
    m.bus.write(fl, 1, 0x5A)
    assert m.bus.read(fl, 1) == 0x80               # status: ready
    m.bus.write(fl, 1, 0xFF)
    assert m.bus.read(fl, 1) == 0x5A


def test_power_off_stops_vm():
    m, _ = machine("console.elf", ram_mb=64)
    m.bus.write(0x1E800068, 4, 0)
    assert m.run(1000).kind is RunKind.STOPPED and "power" in m.stop_reason
