"""ELF loading by the c7200 boot contract, on images written by tests/platforms/elfwriter.py."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from platforms.elf import (ImageError, image_identity, load_elf, load_into_ram, read_elf,
                           sign_extend32, virt_to_phys)
from tests.platforms.elfwriter import (SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS, Sec,
                                       build_elf)

RAM = 1 << 20  # 1 MB is enough for these images

TEXT = bytes(range(256)) * 4
DATA = b"pydynamips data\0"


def good_sections() -> list[Sec]:
    return [
        Sec(".text", 0x80008000, TEXT, SHF_ALLOC | SHF_EXECINSTR),
        Sec(".data", 0x80009000, DATA, SHF_ALLOC | SHF_WRITE),
        Sec(".bss", 0x8000a000, flags=SHF_ALLOC | SHF_WRITE, type=SHT_NOBITS, size=0x100),
        Sec(".uncached", 0xa000b000, b"\x01\x02\x03\x04", SHF_ALLOC),
        Sec(".comment", 0, b"not loaded", 0),
        Sec(".empty", 0x8000c000, b"", SHF_ALLOC),
    ]


def write(tmp_path, blob: bytes, name: str = "image.elf"):
    p = tmp_path / name
    p.write_bytes(blob)
    return p


def test_sign_extension_and_phys():
    assert sign_extend32(0x80008000) == 0xFFFFFFFF80008000
    assert sign_extend32(0x00001000) == 0x1000
    assert virt_to_phys(0x80008000) == 0x8000
    assert virt_to_phys(0xFFFFFFFFA0001234) == 0x1234
    assert virt_to_phys(0xBFC00000) == 0x1FC00000
    with pytest.raises(ValueError):
        virt_to_phys(0x00400000)
    with pytest.raises(ValueError):
        virt_to_phys(0xC0000000)


def test_reads_sections_by_header(tmp_path):
    p = write(tmp_path, build_elf(good_sections()))
    img = read_elf(p)
    assert img.entry == 0xFFFFFFFF80008000
    by_name = {s.name: s for s in img.segments}
    assert set(by_name) == {".text", ".data", ".bss", ".uncached"}   # no .comment, no empty
    assert by_name[".text"].vaddr == 0xFFFFFFFF80008000
    assert by_name[".text"].paddr == 0x8000 and by_name[".text"].data == TEXT
    assert by_name[".bss"].nobits and by_name[".bss"].data == b"" and by_name[".bss"].size == 0x100
    assert by_name[".uncached"].paddr == 0xB000
    assert img.phys_end == 0xB004


def test_loads_into_ram_and_zeroes_bss(tmp_path):
    p = write(tmp_path, build_elf(good_sections()))
    ram = np.full(RAM, 0xEE, dtype=np.uint8)
    img = load_elf(p, ram)
    assert img.entry == 0xFFFFFFFF80008000
    assert ram[0x8000:0x8000 + len(TEXT)].tobytes() == TEXT
    assert ram[0x9000:0x9000 + len(DATA)].tobytes() == DATA
    assert not ram[0xA000:0xA100].any()
    assert ram[0xA100] == 0xEE                       # exactly .bss, nothing more
    assert ram[0xB000:0xB004].tobytes() == b"\x01\x02\x03\x04"
    assert ram[0x7FFF] == 0xEE and ram[0x8000 + len(TEXT)] == 0xEE


def test_without_data_gives_entry_only(tmp_path):
    p = write(tmp_path, build_elf(good_sections()))
    img = read_elf(p, with_data=False)
    assert img.entry == 0xFFFFFFFF80008000
    assert all(s.data == b"" for s in img.segments)
    with pytest.raises(ValueError):
        load_into_ram(img, np.zeros(RAM, np.uint8))


def test_gns3_prefix(tmp_path):
    blob = build_elf(good_sections())
    assert blob.startswith(b"\x7fELF\x01\x02\x01")


def expect_error(tmp_path, blob: bytes, *words: str, ram_size: int | None = RAM):
    p = write(tmp_path, blob, "bad.elf")
    with pytest.raises(ImageError) as info:
        if ram_size is None:
            read_elf(p)
        else:
            load_elf(p, np.zeros(ram_size, np.uint8))
    msg = str(info.value)
    assert str(p) in msg, msg
    for w in words:
        assert w.lower() in msg.lower(), msg
    return msg


def test_elf64_refused(tmp_path):
    expect_error(tmp_path, build_elf(good_sections(), cls=2), "ELF64")


def test_little_endian_refused(tmp_path):
    expect_error(tmp_path, build_elf(good_sections(), endian="<"), "little-endian")


def test_non_mips_refused(tmp_path):
    expect_error(tmp_path, build_elf(good_sections(), machine=40), "not a MIPS")


def test_non_elf_refused(tmp_path):
    expect_error(tmp_path, b"MZ\x90\x00" + b"\0" * 200, "not an ELF")
    expect_error(tmp_path, b"", "not an ELF")


@pytest.mark.parametrize("cut", [10, 52, 200, -30, -1])
def test_truncated_refused(tmp_path, cut):
    blob = build_elf(good_sections())
    expect_error(tmp_path, blob[:cut], "truncated")


def test_truncated_section_data_refused(tmp_path):
    # Section headers intact, but a section's bytes point past the end of the file.
    big = [Sec(".text", 0x80008000, b"\x11" * 4096, SHF_ALLOC | SHF_EXECINSTR)]
    blob = bytearray(build_elf(big))
    # Patch .text's sh_size (section header 1, offset 20 in the header) to something huge.
    shoff = int.from_bytes(blob[32:36], "big")
    blob[shoff + 40 + 20:shoff + 40 + 24] = (1 << 20).to_bytes(4, "big")
    expect_error(tmp_path, bytes(blob), "truncated", ".text")


def test_useg_section_refused(tmp_path):
    secs = good_sections() + [Sec(".user", 0x00400000, b"abcd", SHF_ALLOC)]
    expect_error(tmp_path, build_elf(secs), ".user", "KSEG0")


def test_kseg2_section_refused(tmp_path):
    secs = good_sections() + [Sec(".mapped", 0xC0000000, b"abcd", SHF_ALLOC)]
    expect_error(tmp_path, build_elf(secs), "not in KSEG0")


def test_outside_ram_refused(tmp_path):
    secs = [Sec(".text", 0x80008000, TEXT, SHF_ALLOC | SHF_EXECINSTR),
            Sec(".bss", 0x80000000 + RAM - 16, type=SHT_NOBITS, size=64,
                flags=SHF_ALLOC | SHF_WRITE)]
    msg = expect_error(tmp_path, build_elf(secs), ".bss", "outside RAM")
    assert "0x000ffff0" in msg
    # With a bigger RAM the same image loads.
    p = tmp_path / "bad.elf"
    load_elf(p, np.zeros(2 * RAM, np.uint8))


def test_outside_ram_refused_early_with_ram_size(tmp_path):
    secs = [Sec(".text", 0x80000000 + RAM, TEXT, SHF_ALLOC | SHF_EXECINSTR)]
    p = write(tmp_path, build_elf(secs, entry=0x80000000 + RAM))
    with pytest.raises(ImageError, match="outside RAM"):
        read_elf(p, ram_size=RAM)


def test_entry_in_useg_refused(tmp_path):
    expect_error(tmp_path, build_elf(good_sections(), entry=0x00400000), "entry point")


def test_missing_file(tmp_path):
    with pytest.raises(ImageError) as info:
        read_elf(tmp_path / "nope.elf")
    assert "nope.elf" in str(info.value) and "cannot read" in str(info.value)


def test_image_identity(tmp_path):
    blob = build_elf(good_sections())
    p = write(tmp_path, blob)
    ident = image_identity(p)
    assert ident.size == len(blob)
    assert ident.sha256 == hashlib.sha256(blob).hexdigest()
