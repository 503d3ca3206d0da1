"""The c7200 NVRAM filesystem: round trips, and an NVRAM laid out by hand as dynamips writes it."""
from __future__ import annotations

import shutil
import struct
import subprocess

import pytest

from platforms.c7200 import nvram as nv
from platforms.c7200.nvram import (NvramError, NvramFile, NvramFull, checksum_ok,
                                   compute_checksum, effective_conf_reg, is_blank, lzc_compress,
                                   lzc_decompress, read_conf_reg, read_configs, write_conf_reg,
                                   write_configs)

KB = 1024
STARTUP = b"!\nhostname R1\n!\ninterface FastEthernet0/0\n ip address 10.0.0.1 255.255.255.0\n!\nend\n"
PRIVATE = b"\n"


def blank(kb: int = 128) -> bytearray:
    return bytearray(kb * KB)


def ones_complement_checksum(words_region: bytes) -> int:
    """Independent statement of the checksum: 16-bit ones' complement sum, inverted."""
    total = 0
    if len(words_region) % 2:
        words_region += b"\0"
    for i in range(0, len(words_region), 2):
        total += (words_region[i] << 8) | words_region[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def dynamips_blob(startup: bytes, private: bytes, kb: int = 128) -> bytearray:
    """NVRAM bytes built field by field from the documented layout (C7200-DEVICES.md §4.1)."""
    mem = bytearray(kb * KB)
    mem[0x080:0x084] = b"IOS\0"          # what the ROM leaves in its area; must not matter
    mem[0x200:0x208] = b"BOOTLDR\0"
    fs = 0x800
    base = 0x1E000800
    mem[fs + 6:fs + 8] = b"\xf0\xa5"
    hdr = fs + 8
    s_start = base + 0x2C
    mem[hdr + 0x00:hdr + 0x02] = b"\xab\xcd"
    mem[hdr + 0x02:hdr + 0x04] = b"\x00\x01"
    mem[hdr + 0x06:hdr + 0x08] = b"\x0c\x04"
    mem[hdr + 0x08:hdr + 0x0C] = s_start.to_bytes(4, "big")
    mem[hdr + 0x0C:hdr + 0x10] = (s_start + len(startup)).to_bytes(4, "big")
    mem[hdr + 0x10:hdr + 0x14] = len(startup).to_bytes(4, "big")
    data = fs + 0x2C
    mem[data:data + len(startup)] = startup
    p = data + len(startup)
    p += (-p) % 4
    p_start = base + (p - fs) + 16
    mem[p:p + 2] = b"\xfe\xdc"
    mem[p + 2:p + 4] = b"\x00\x01"
    mem[p + 4:p + 8] = p_start.to_bytes(4, "big")
    mem[p + 8:p + 12] = (p_start + len(private)).to_bytes(4, "big")
    mem[p + 12:p + 16] = len(private).to_bytes(4, "big")
    mem[p + 16:p + 16 + len(private)] = private
    cks = ones_complement_checksum(bytes(mem[fs + 8:]))
    mem[hdr + 4:hdr + 6] = cks.to_bytes(2, "big")
    return mem


def test_empty_nvram_has_no_configs():
    assert read_configs(blank()) == (None, None)
    assert is_blank(blank())


def test_round_trip():
    mem = blank()
    write_configs(mem, STARTUP, PRIVATE)
    assert read_configs(mem) == (STARTUP, PRIVATE)
    assert checksum_ok(mem)
    assert not is_blank(mem)
    assert mem[:0x800] == bytes(0x800)          # the ROM area is left alone


def test_layout_written_matches_the_documented_one():
    """What we write is byte-for-byte what dynamips' layout gives (ROM strings aside)."""
    for startup, private in ((STARTUP, PRIVATE), (b"abc", b"private stuff"), (b"", b"")):
        mem = blank()
        mem[0x080:0x084] = b"IOS\0"
        mem[0x200:0x208] = b"BOOTLDR\0"
        write_configs(mem, startup, private)
        assert mem == dynamips_blob(startup, private)


def test_reads_nvram_written_by_dynamips_layout():
    startup = b"hostname FromDynamips\n" + b"x" * 1001   # odd length: padding before private
    mem = dynamips_blob(startup, b"private-data")
    assert read_configs(mem) == (startup, b"private-data")
    assert checksum_ok(mem)
    # Fields spot-checked where the documentation puts them.
    assert mem[0x806:0x808] == b"\xf0\xa5"
    assert struct.unpack_from(">I", mem, 0x810)[0] == 0x1E00082C
    assert mem[0x82C:0x82C + 22] == startup[:22]


def test_none_keeps_existing():
    mem = blank()
    write_configs(mem, STARTUP, b"secret 1\n")
    write_configs(mem, None, b"secret 2\n")
    assert read_configs(mem) == (STARTUP, b"secret 2\n")
    write_configs(mem, b"hostname R2\n", None)
    assert read_configs(mem) == (b"hostname R2\n", b"secret 2\n")
    write_configs(mem, None, None)
    assert read_configs(mem) == (b"hostname R2\n", b"secret 2\n")
    assert checksum_ok(mem)


def test_shrinking_config_leaves_no_trailing_garbage():
    mem = blank()
    write_configs(mem, b"A" * 5000, b"B" * 3000)
    write_configs(mem, b"short\n", b"p\n")
    assert read_configs(mem) == (b"short\n", b"p\n")
    assert b"A" not in mem and b"B" not in mem
    fresh = blank()
    write_configs(fresh, b"short\n", b"p\n")
    assert mem == fresh


def test_none_on_empty_creates_filesystem_only():
    mem = blank()
    write_configs(mem, None, None)
    assert nv.has_filesystem(mem)
    assert read_configs(mem) == (None, None)
    assert struct.unpack_from(">H", mem, 0x80C)[0] == 0xFFFF


def test_private_only():
    mem = blank()
    write_configs(mem, None, b"only private\n")
    assert read_configs(mem) == (b"", b"only private\n")


def test_overflow_is_a_clear_error():
    mem = blank(8)                                   # 8 KB NVRAM, 6 KB filesystem
    write_configs(mem, b"keep\n", b"")
    before = bytes(mem)
    with pytest.raises(NvramFull) as info:
        write_configs(mem, b"x" * 7000, b"")
    msg = str(info.value)
    assert "7000" in msg and "6144" in msg
    assert bytes(mem) == before                      # nothing changed
    # The largest config that fits: 0x2C header + data + 16-byte private header.
    write_configs(mem, b"y" * (6144 - 0x2C - 16), b"")
    with pytest.raises(NvramFull):
        write_configs(mem, b"y" * (6144 - 0x2C - 15), b"")


def test_checksum_matches_independent_sum():
    mem = blank(32)
    write_configs(mem, STARTUP, PRIVATE)
    stored = struct.unpack_from(">H", mem, 0x80C)[0]
    region = bytearray(mem[0x808:])
    region[4:6] = b"\0\0"
    assert stored == ones_complement_checksum(bytes(region)) == compute_checksum(mem)
    mem[0x900] ^= 0xFF
    assert not checksum_ok(mem)


def test_bad_header_is_reported():
    mem = dynamips_blob(STARTUP, PRIVATE)
    struct.pack_into(">I", mem, 0x810, 0x1F000000)   # start outside NVRAM
    with pytest.raises(NvramError, match="outside"):
        read_configs(mem)
    mem = dynamips_blob(STARTUP, PRIVATE)
    struct.pack_into(">H", mem, 0x80A, 7)
    with pytest.raises(NvramError, match="unknown format 7"):
        read_configs(mem)


def test_no_filesystem_magic_reads_as_empty():
    mem = dynamips_blob(STARTUP, PRIVATE)
    mem[0x806:0x808] = b"\0\0"
    assert read_configs(mem) == (None, None)
    write_configs(mem, b"new\n", None)               # recreated, old contents gone
    assert read_configs(mem) == (b"new\n", b"")


def test_compressed_startup_config_reads_back():
    big = b"".join(b"interface Serial%d/0\n no ip address\n shutdown\n!\n" % i for i in range(400))
    mem = blank()
    write_configs(mem, big, PRIVATE, compress=True)
    assert struct.unpack_from(">H", mem, 0x80A)[0] == nv.FORMAT_LZC
    assert struct.unpack_from(">I", mem, 0x828)[0] == len(big)     # uncompressed length
    assert read_configs(mem) == (big, PRIVATE)
    assert checksum_ok(mem)


@pytest.mark.skipif(shutil.which("gzip") is None, reason="gzip not installed")
@pytest.mark.parametrize("bits", [12, 16])
def test_lzc_agrees_with_gzip(bits):
    """gzip decodes .Z: an independent check of our compressor (and thus the decoder)."""
    data = b"".join(b"router ospf %d\n network 10.%d.0.0 0.0.255.255 area 0\n" % (i % 7, i)
                    for i in range(3000)) + bytes(range(256)) * 8
    z = lzc_compress(data, bits)
    assert subprocess.run(["gzip", "-dc"], input=z, capture_output=True,
                          check=True).stdout == data
    assert lzc_decompress(z) == data


def test_lzc_rejects_garbage():
    with pytest.raises(ValueError):
        lzc_decompress(b"hello")
    with pytest.raises(ValueError):
        lzc_decompress(b"\x1f\x9d\x8c" + b"\xff\xff\xff\xff")


def test_conf_reg():
    mem = blank()
    assert read_conf_reg(mem) is None
    assert effective_conf_reg(0x2102, mem) == 0x2142          # blank NVRAM, as dynamips
    write_conf_reg(mem, 0x2102)
    assert read_conf_reg(mem) == 0x2102
    assert is_blank(mem)                                      # our record does not count
    write_configs(mem, STARTUP, None)
    assert effective_conf_reg(0x2142, mem) == 0x2102          # NVRAM's record wins
    assert read_configs(mem)[0] == STARTUP
    with pytest.raises(ValueError):
        write_conf_reg(mem, 0x10000)
    assert effective_conf_reg(0x2102, dynamips_blob(STARTUP, b"")) == 0x2102


def test_nvram_file(tmp_path):
    f = NvramFile.for_vm(tmp_path, "R1", 128)
    assert f.path.name == "c7200_R1_nvram"
    assert f.read_configs() == (None, None)
    f.write_configs(STARTUP, PRIVATE)
    assert f.path.stat().st_size == 128 * KB
    assert NvramFile(f.path).read_configs() == (STARTUP, PRIVATE)
    f.write_conf_reg(0x2142)
    assert f.read_conf_reg() == 0x2142
    assert f.read_configs() == (STARTUP, PRIVATE)
    f.erase_configs()
    assert f.read_configs() == (None, None)
    assert nv.nvram_filename(instance_id=3) == "c7200_i3_nvram"


def test_nvram_file_from_dynamips(tmp_path):
    p = tmp_path / "c7200_i0_nvram"
    p.write_bytes(dynamips_blob(STARTUP, PRIVATE))
    assert NvramFile(p, 128 * KB).read_configs() == (STARTUP, PRIVATE)


def test_nvram_file_overflow_names_file(tmp_path):
    f = NvramFile.for_vm(tmp_path, "small", 8)
    with pytest.raises(NvramFull) as info:
        f.write_configs(b"z" * 10000, None)
    assert "c7200_small_nvram" in str(info.value)
    assert not f.path.exists()
