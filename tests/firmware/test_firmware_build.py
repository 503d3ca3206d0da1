"""The committed test firmware: well-formed images the loader accepts, and (where unicorn can
stand in for our CPU core) the console transcripts they print. The real boot tests, through
the single-router command line, come with the c7200 platform."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from platforms.c7200.nvram import write_configs
from platforms.elf import image_identity, load_elf

HERE = Path(__file__).parent
FIRMWARE = ["hello", "isa", "irq", "console", "nvram_probe", "eeprom_probe"]


@pytest.mark.parametrize("name", FIRMWARE)
def test_committed_elf_is_an_ios_like_image(name):
    path = HERE / f"{name}.elf"
    head = path.read_bytes()[:20]
    assert head.startswith(b"\x7fELF\x01\x02\x01")          # ELF32, big-endian (GNS3's check)
    assert int.from_bytes(head[18:20], "big") == 8          # EM_MIPS
    ram = np.zeros(256 << 20, dtype=np.uint8)
    img = load_elf(path, ram)
    assert img.entry == 0xFFFFFFFF80008000
    text = next(s for s in img.segments if s.name == ".text")
    assert text.paddr == 0x8000
    assert ram[0x8000:0x8004].any()
    assert image_identity(path).size == path.stat().st_size


def test_console_has_large_initialised_data():
    ram = np.zeros(256 << 20, dtype=np.uint8)
    img = load_elf(HERE / "console.elf", ram)
    big = next(s for s in img.segments if s.name == ".bigdata")
    assert big.size >= 8 << 20 and not big.nobits
    words = np.frombuffer(big.data, dtype=">u4").astype(np.uint64)
    a_run = np.cumsum(words, dtype=np.uint64) & 0xFFFFFFFF
    want = (HERE / "bigdata.sum").read_text().split()
    assert int(want[1]) == big.size
    assert int(a_run[-1]) == int(want[4], 16)
    assert int(a_run.sum(dtype=np.uint64) & 0xFFFFFFFF) == int(want[5], 16)


@pytest.mark.skipif(not (shutil.which("mips64-linux-gnuabi64-gcc") and shutil.which("qemu-mips64")),
                    reason="needs the MIPS cross compiler and qemu-user")
def test_isa_expected_values_regenerate(tmp_path):
    """isa_expected.h is what isa_user.c computes under qemu-mips64."""
    exe = tmp_path / "isa-linux"
    subprocess.run(["mips64-linux-gnuabi64-gcc", "-EB", "-mabi=64", "-march=mips3", "-O2",
                    "-static", f"-I{HERE}", "-o", str(exe), str(HERE / "isa_linux.c"),
                    str(HERE / "isa_user.c")], check=True)
    out = subprocess.run(["qemu-mips64", str(exe)], check=True, capture_output=True).stdout
    assert out.decode() == (HERE / "isa_expected.h").read_text()


# --- transcripts on a unicorn stand-in board --------------------------------------------

unicorn = pytest.importorskip("unicorn")


def board(*args, **kw):
    import sys
    sys.path.insert(0, str(HERE))
    from unicorn_board import Board
    return Board(*args, **kw)


def test_hello_transcript():
    out = board(str(HERE / "hello.elf")).run()
    a, b = 0x0123456789ABCDEF, 0xFEDCBA98
    m = (1 << 64) - 1
    shifted = (b << 36) & m
    shifted = ((shifted - (1 << 64)) >> 3) & m if shifted >> 63 else shifted >> 3
    import zlib
    pattern = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(1024))
    for line in ["hello: pydynamips test firmware",
                 f"crc32(\"123456789\") 0x{zlib.crc32(b'123456789'):08x}",
                 f"crc32(pattern) 0x{zlib.crc32(pattern):08x}",
                 f"dmultu hi 0x{(a * b) >> 64:016x}",
                 f"dmultu lo 0x{(a * b) & m:016x}",
                 f"ddivu q 0x{a // b:016x}",
                 f"ddivu r 0x{a % b:016x}",
                 f"daddu 0x{(a + b) & m:016x}",
                 f"dsll32/dsra 0x{shifted:016x}",
                 "hello: returning to ROM"]:
        assert line + "\r\n" in out, (line, out)


def test_console_transcript():
    b = board(str(HERE / "console.elf"), rx=b"help\rversion\rbogus\rexit\r")
    out = b.run(200_000_000)
    assert (HERE / "bigdata.sum").read_text().strip() + "\r\n" in out
    assert "router> help\r\ncommands: help version ticks reload exit\r\n" in out
    assert "router> version\r\npydynamips test firmware, console 1.0\r\n" in out
    assert "% unknown command: bogus" in out
    assert out.endswith("router> exit\r\nbye\r\n")


def test_nvram_probe_transcript():
    nv = bytearray(128 * 1024)
    nv[0x80:0x84] = b"IOS\0"
    write_configs(nv, b"hostname R1\n!\nend\n", b"private\n")
    out = board(str(HERE / "nvram_probe.elf"), nvram=nv, conf_reg=0x2142).run()
    assert "confreg 0x00002142\r\n" in out
    assert "nvram+0x080 IOS\r\n" in out
    assert " ok\r\n" in out
    assert "startup-config format 1 length 18\r\nhostname R1\r\n!\r\nend\r\n" in out
    assert "private-config length 8\r\nprivate\r\n" in out


def test_nvram_probe_empty():
    out = board(str(HERE / "nvram_probe.elf"), nvram=bytes(128 * 1024)).run()
    assert "filesystem: none (magic 0x00000000)" in out


def test_eeprom_probe_transcript():
    out = board(str(HERE / "eeprom_probe.elf")).run()
    assert "npe type 0x000001f8 (npe-400)\r\n" in out
    assert "chassis type 06 midplane vxr\r\n" in out
    assert "chassis mac ca01.0203.0000\r\n" in out
    assert "mac block 1024\r\n" in out


def test_isa_user_groups_on_unicorn():
    """The o32 firmware build reproduces the qemu-mips64 (n64) values. Unicorn's MIPS64 model
    stops being useful at movcond (MIPS IV) and the kernel-level groups, so only the MIPS III
    user-level groups are checked here."""
    b = board(str(HERE / "isa.elf"))
    try:
        b.run(2_000_000)
    except RuntimeError:
        pass
    out = b.out.decode("latin-1")
    first = out.split("isa: MIPS instruction-set checks\r\n")[1]
    for group in ("alu64", "muldiv", "loadstore", "llsc", "branch"):
        assert f"PASS {group}\r\n" in first, first
