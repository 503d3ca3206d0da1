"""What each router platform is, before any of it runs: defaults, models and adapter cards.

The figures are dynamips' (its per-platform defaults), so a lab built for dynamips sees
the same VM settings here. Only c7200 runs guest code; the others can be created and
configured through the protocol, and starting them is refused with a clear error.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlatformSpec:
    name: str
    mac_msb: int                   # first byte of the default chassis MAC address
    ram_mb: int
    nvram_kb: int
    rom_mb: int
    disk0_mb: int
    clock_divisor: int
    conf_reg: int = 0x2102
    iomem_percent: int | None = None   # platforms with shared IO memory
    chassis: tuple[str, ...] = ()      # models accepted by `<platform> set_chassis`
    default_chassis: str | None = None
    slots: int = 2
    cards: frozenset[str] = field(default_factory=frozenset)
    runnable: bool = False             # has a CPU and devices in this release
    # The motherboard adapter dynamips binds to slot 0 by itself, by chassis (None: any).
    # Clients rely on it: GNS3 installs WICs on slot 0 of these platforms without binding it.
    slot0_cards: dict[str | None, str] = field(default_factory=dict)

    def slot0_card(self, chassis: str | None) -> str | None:
        return self.slot0_cards.get(chassis, self.slot0_cards.get(None))


WICS = ("WIC-1T", "WIC-2T", "WIC-1ENET")

C7200_NPE_TYPES = ("npe-100", "npe-150", "npe-175", "npe-200", "npe-225", "npe-300",
                   "npe-400", "npe-g1", "npe-g2")
C7200_MIDPLANES = ("std", "vxr")
C7200_DEFAULT_NPE = "npe-400"
C7200_DEFAULT_MIDPLANE = "vxr"
C7200_TEMP_SENSORS = 4
C7200_POWER_SUPPLIES = 2
C7200_DEFAULT_TEMP_C = 22

PLATFORMS: dict[str, PlatformSpec] = {spec.name: spec for spec in (
    PlatformSpec("c7200", 0xCA, ram_mb=256, nvram_kb=128, rom_mb=4, disk0_mb=64,
                 clock_divisor=4, slots=9, runnable=True,
                 cards=frozenset({"NPE-G2", "C7200-IO-FE", "C7200-IO-2FE", "C7200-IO-GE-E",
                                  "PA-FE-TX", "PA-2FE-TX", "PA-GE", "PA-4E", "PA-8E",
                                  "PA-4T+", "PA-8T", "PA-A1", "PA-POS-OC3", "PA-4B",
                                  "PA-MC-8TE1", "C7200-JC-PA"})),
    PlatformSpec("c3600", 0xCC, ram_mb=128, nvram_kb=128, rom_mb=2, disk0_mb=0,
                 clock_divisor=4, iomem_percent=5, chassis=("3620", "3640", "3660"),
                 default_chassis="3640", slots=7, slot0_cards={"3660": "Leopard-2FE"},
                 cards=frozenset({"NM-1E", "NM-4E", "NM-1FE-TX", "NM-4T", "Leopard-2FE",
                                  "NM-16ESW"})),
    PlatformSpec("c3725", 0xC2, ram_mb=128, nvram_kb=112, rom_mb=2, disk0_mb=16,
                 clock_divisor=8, iomem_percent=5, slots=3,
                 cards=frozenset({"NM-1FE-TX", "NM-16ESW", "GT96100-FE", "NM-4T", "NM-NAM",
                                  "NM-CIDS", *WICS}),
                 slot0_cards={None: "GT96100-FE"}),
    PlatformSpec("c3745", 0xC4, ram_mb=128, nvram_kb=304, rom_mb=2, disk0_mb=16,
                 clock_divisor=8, iomem_percent=5, slots=5,
                 cards=frozenset({"NM-1FE-TX", "NM-16ESW", "GT96100-FE", "NM-4T", "NM-NAM",
                                  "NM-CIDS", *WICS}),
                 slot0_cards={None: "GT96100-FE"}),
    PlatformSpec("c2691", 0xC0, ram_mb=128, nvram_kb=112, rom_mb=2, disk0_mb=16,
                 clock_divisor=8, iomem_percent=5, slots=2,
                 cards=frozenset({"NM-1FE-TX", "NM-16ESW", "GT96100-FE", "NM-4T", "NM-NAM",
                                  "NM-CIDS", *WICS}),
                 slot0_cards={None: "GT96100-FE"}),
    PlatformSpec("c2600", 0xC8, ram_mb=64, nvram_kb=128, rom_mb=2, disk0_mb=0,
                 clock_divisor=8, iomem_percent=15,
                 chassis=("2610", "2611", "2620", "2621", "2610XM", "2611XM", "2620XM",
                          "2621XM", "2650XM", "2651XM"),
                 default_chassis="2610", slots=2,
                 slot0_cards={"2610": "CISCO2600-MB-1E", "2611": "CISCO2600-MB-2E",
                              "2620": "CISCO2600-MB-1FE", "2621": "CISCO2600-MB-2FE",
                              "2610XM": "CISCO2600-MB-1FE", "2611XM": "CISCO2600-MB-2FE",
                              "2620XM": "CISCO2600-MB-1FE", "2621XM": "CISCO2600-MB-2FE",
                              "2650XM": "CISCO2600-MB-1FE", "2651XM": "CISCO2600-MB-2FE"},
                 cards=frozenset({"CISCO2600-MB-1E", "CISCO2600-MB-2E", "CISCO2600-MB-1FE",
                                  "CISCO2600-MB-2FE", "NM-1E", "NM-4E", "NM-1FE-TX",
                                  "NM-16ESW", "NM-NAM", "NM-CIDS", *WICS})),
    PlatformSpec("c1700", 0xD0, ram_mb=64, nvram_kb=32, rom_mb=2, disk0_mb=0,
                 clock_divisor=8, iomem_percent=15,
                 chassis=("1710", "1720", "1721", "1750", "1751", "1760"),
                 default_chassis="1720", slots=2,
                 slot0_cards={"1710": "C1710-MB-1FE-1E", None: "C1700-MB-1ETH"},
                 cards=frozenset({"C1700-MB-1ETH", "C1710-MB-1FE-1E", *WICS})),
)}


def format_mac(mac: bytes) -> str:
    """Cisco notation: ``ca01.1f2e.0000``."""
    h = mac.hex()
    return f"{h[0:4]}.{h[4:8]}.{h[8:12]}"


def parse_mac(text: str) -> bytes | None:
    """Accept ``xxxx.xxxx.xxxx`` and ``xx:xx:xx:xx:xx:xx`` (or ``-``); None when invalid."""
    t = text.strip().lower()
    if t.count(".") == 2:
        parts = t.split(".")
        if not all(len(p) == 4 for p in parts):
            return None
        digits = "".join(parts)
    else:
        parts = t.replace("-", ":").split(":")
        if len(parts) != 6 or not all(1 <= len(p) <= 2 for p in parts):
            return None
        digits = "".join(p.zfill(2) for p in parts)
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None


def default_mac(spec: PlatformSpec, instance_id: int, pid: int) -> bytes:
    """dynamips' scheme: platform byte, instance id, daemon PID, then zeros."""
    return bytes((spec.mac_msb, instance_id & 0xFF, (pid >> 8) & 0xFF, pid & 0xFF, 0, 0))
