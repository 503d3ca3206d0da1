"""The c7200 network processing engines (NPEs) a VM may be built with.

Figures from docs/C7200.md: CPU model, PRId, TLB size, the most RAM the NPE takes, the
system controller (GT-64010 or GT-64120, npe-300 has two), and the nominal CPU clock, which
sets how fast CP0 Count advances in host-clock timer mode (Count runs at half the pipeline
clock on the R4000 family).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Npe:
    name: str
    cpu: str
    prid: int
    tlb_entries: int
    max_ram_mb: int
    controller: str            # "gt64010" or "gt64120"
    cpu_mhz: int
    eeprom_type: int           # NPE type as the CPU EEPROM reports it
    pem: bool = False          # NPE-175/225: a power entry module EEPROM on I/O FPGA 0x388
    second_gt: bool = False    # npe-300: a second GT-64120 at 0x15000000
    packet_sram: tuple[int, int] | None = None   # (bank 0 base, bank size) for npe-150/200

    @property
    def count_hz(self) -> int:
        """CP0 Count rate in host-clock mode."""
        return self.cpu_mhz * 1_000_000 // 2


NPES: dict[str, Npe] = {n.name: n for n in (
    Npe("npe-100", "r4600", 0x2012, 48, 256, "gt64010", 100, 0x35),
    Npe("npe-150", "r4700", 0x2112, 48, 256, "gt64010", 150, 0x15,
        packet_sram=(0x4B000000, 0x80000)),
    Npe("npe-175", "r5271", 0x2812, 48, 256, "gt64120", 200, 0xC2, pem=True),
    Npe("npe-200", "r5000", 0x2312, 48, 256, "gt64010", 200, 0x69,
        packet_sram=(0x4B000000, 0x200000)),
    Npe("npe-225", "r5271", 0x2812, 48, 256, "gt64120", 262, 0xC2, pem=True),
    Npe("npe-300", "r7000", 0x2721, 64, 256, "gt64120", 262, 0xAE, second_gt=True),
    Npe("npe-400", "r7000", 0x2721, 64, 512, "gt64120", 350, 0x1F8),
)}

DEFAULT_NPE = "npe-400"


def get_npe(name: str) -> Npe:
    try:
        return NPES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown NPE type {name!r} (known: {', '.join(NPES)})") from None
