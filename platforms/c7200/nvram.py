"""The c7200 NVRAM contents: the IOS NVRAM filesystem holding startup-config and private-config.

Facts (docs/C7200-DEVICES.md §4, checked against dynamips' fs_nvram.c / dev_c7200.c):

* NVRAM is ``nvram_kb * 1024`` bytes at physical 0x1E000000, stored as-is (big-endian) in the
  per-VM file ``c7200_<name>_nvram`` (or ``c7200_i<id>_nvram``).
* The first 0x800 bytes are the ROM's (calendar port at 3, "IOS" at 0x80, "BOOTLDR" at 0x200...).
  The IOS filesystem starts at NVRAM offset 0x800 and runs to the end of NVRAM; the addresses
  stored in it are absolute physical addresses with the filesystem at 0x1E000800.
* Filesystem (offsets from its start, all big-endian):
  0x06 u16 0xF0A5 filesystem magic; 0x08 the startup-config header (36 bytes): u16 0xABCD,
  u16 format (1 raw, 2 Unix ``compress``), u16 checksum, u16 0x0C04, u32 start, u32 end,
  u32 length, u32 0, u32 compressed?1:0, u16 compressed?1:0, u16 0, u32 uncompressed length
  (0 when raw); the data at 0x2C; zero padding to a multiple of 4; the private-config header
  (16 bytes): u16 0xFEDC, u16 format (1), u32 start, u32 end, u32 length; its data; zeros.
* Checksum: ones'-complement sum of the big-endian 16-bit words from filesystem offset 8 to the
  end of NVRAM (the checksum field counting as 0, an odd last byte as a high byte, carries
  folded in), inverted. A freshly created filesystem stores 0xFFFF there.
* The config register is *not* in NVRAM under dynamips: it is VM state (default 0x2102), and an
  all-zero NVRAM makes dynamips set bit 0x40 ("ignore NVRAM", 0x2142) at VM start. To let a
  stopped VM's NVRAM file carry it anyway, :func:`write_conf_reg` keeps a small record of our own
  in the ROM area (see ``CONF_REG_OFFSET``); an NVRAM written by dynamips has none, and
  :func:`read_conf_reg` then returns None so the caller uses the VM's setting.

Compressed configs (format 2, what IOS writes with ``service compress-config``) are read;
writing compressed is available on request (``compress=True``); dynamips itself always writes
raw text, and so do we by default.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NVRAM_PHYS = 0x1E000000
ROM_SPACE = 0x800                 # the ROM's reserved area at the start of NVRAM
SECTOR_SIZE = 0x400

MAGIC_FILESYSTEM = 0xF0A5
MAGIC_STARTUP = 0xABCD
MAGIC_PRIVATE = 0xFEDC
FORMAT_RAW = 1
FORMAT_LZC = 2
UNK1_C7200 = 0x0C04

FS_HEADER_SIZE = 8                # 6 bytes of padding + the filesystem magic
STARTUP_HEADER = struct.Struct(">HHHHIIIIIHHI")    # 36 bytes
PRIVATE_HEADER = struct.Struct(">HHIII")           # 16 bytes
CHECKSUM_OFFSET = FS_HEADER_SIZE + 4               # inside the startup header
STARTUP_DATA = FS_HEADER_SIZE + STARTUP_HEADER.size   # 0x2C

# pydynamips' own record of the config register, inside the ROM area (unused by the ROM
# services dynamips documents: 0x003, 0x080, 0x200, 0x400, 0x780, 0x7E0).
CONF_REG_OFFSET = 0x7F0
CONF_REG_MAGIC = b"CREG"
CONF_REG_IGNORE_NVRAM = 0x0040


class NvramError(Exception):
    """The NVRAM contents cannot be read or written as asked."""


class NvramFull(NvramError):
    """The configs do not fit in the NVRAM filesystem."""


@dataclass(frozen=True)
class Layout:
    """Where the filesystem sits: in the NVRAM file, and in the guest's physical space."""
    fs_offset: int = ROM_SPACE
    fs_address: int = NVRAM_PHYS + ROM_SPACE


C7200 = Layout()
C7200_NPE_G1 = Layout(ROM_SPACE, 0x1E400000 + ROM_SPACE)


# --- helpers -------------------------------------------------------------------------------

def _u16(buf, off: int) -> int:
    return (buf[off] << 8) | buf[off + 1]


def _fs(nvram, layout: Layout) -> memoryview:
    if len(nvram) < layout.fs_offset + SECTOR_SIZE:
        raise NvramError(f"NVRAM of {len(nvram)} bytes is too small for a filesystem at "
                         f"offset 0x{layout.fs_offset:x}")
    return memoryview(nvram)[layout.fs_offset:]


def has_filesystem(nvram: bytes, layout: Layout = C7200) -> bool:
    fs = _fs(nvram, layout)
    return _u16(fs, 6) == MAGIC_FILESYSTEM


def compute_checksum(nvram: bytes, layout: Layout = C7200) -> int:
    """The checksum the filesystem should store (the stored field counts as zero)."""
    fs = bytearray(_fs(nvram, layout)[FS_HEADER_SIZE:])
    fs[4:6] = b"\0\0"              # the checksum field, relative to offset 8
    if len(fs) % 2:
        fs.append(0)               # an odd last byte is a high byte
    total = int(np.frombuffer(bytes(fs), dtype=">u2").sum(dtype=np.uint64))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def checksum_ok(nvram: bytes, layout: Layout = C7200) -> bool:
    fs = _fs(nvram, layout)
    return _u16(fs, CHECKSUM_OFFSET) == compute_checksum(nvram, layout)


def is_blank(nvram: bytes) -> bool:
    """dynamips' "NVRAM is empty" test (every byte zero), ignoring our config-register record."""
    arr = np.frombuffer(bytes(nvram), dtype=np.uint8)
    head, tail = arr[:CONF_REG_OFFSET], arr[CONF_REG_OFFSET + 8:]
    return not head.any() and not tail.any()


# --- reading -------------------------------------------------------------------------------

def read_configs(nvram: bytes, layout: Layout = C7200) -> tuple[bytes | None, bytes | None]:
    """(startup-config, private-config); None for each one NVRAM does not hold.

    A blank NVRAM or one without the filesystem magic holds neither. Raises NvramError when a
    header points outside NVRAM or uses an unknown format.
    """
    fs = _fs(nvram, layout)
    size = len(fs)
    if _u16(fs, 6) != MAGIC_FILESYSTEM:
        return None, None
    (magic, fmt, _cks, _unk1, start, end, length, _unk2, _unk3, _unk4, _unk5,
     raw_len) = STARTUP_HEADER.unpack_from(fs, FS_HEADER_SIZE)
    if magic != MAGIC_STARTUP:
        return None, None

    def offset_of(address: int, what: str, n: int) -> int:
        off = address - layout.fs_address
        if off < 0 or off + n > size:
            raise NvramError(f"{what} at 0x{address:08x} (+{n} bytes) is outside the NVRAM "
                             f"filesystem (0x{layout.fs_address:08x}, {size} bytes)")
        return off

    s_off = offset_of(start, "startup-config", length)
    stored = bytes(fs[s_off:s_off + length])
    if fmt == FORMAT_RAW:
        startup = stored
    elif fmt == FORMAT_LZC:
        try:
            startup = lzc_decompress(stored)
        except ValueError as exc:
            raise NvramError(f"compressed startup-config is corrupt: {exc}") from exc
        if raw_len and len(startup) > raw_len:
            startup = startup[:raw_len]
    else:
        raise NvramError(f"startup-config has unknown format {fmt}")

    p_off = s_off + length
    p_off += (-p_off) % 4
    private = None
    if p_off + PRIVATE_HEADER.size <= size:
        magic, fmt, start, end, length = PRIVATE_HEADER.unpack_from(fs, p_off)
        if magic == MAGIC_PRIVATE and 0 <= start + length - layout.fs_address <= size:
            if fmt != FORMAT_RAW:
                raise NvramError(f"private-config has unknown format {fmt}")
            d_off = offset_of(start, "private-config", length)
            private = bytes(fs[d_off:d_off + length])
    return startup, private


def _config_area_end(fs: memoryview, layout: Layout) -> int:
    """Filesystem offset just after the configs currently stored (0 when none)."""
    if _u16(fs, 6) != MAGIC_FILESYSTEM or _u16(fs, FS_HEADER_SIZE) != MAGIC_STARTUP:
        return 0
    _, _, _, _, start, _, length, *_ = STARTUP_HEADER.unpack_from(fs, FS_HEADER_SIZE)
    end = max(STARTUP_DATA, min(start - layout.fs_address + length, len(fs)))
    end += (-end) % 4
    if end + PRIVATE_HEADER.size <= len(fs) and _u16(fs, end) == MAGIC_PRIVATE:
        _, _, p_start, _, p_len = PRIVATE_HEADER.unpack_from(fs, end)
        end = max(end + PRIVATE_HEADER.size, min(p_start - layout.fs_address + p_len, len(fs)))
    return end


# --- writing -------------------------------------------------------------------------------

def format_filesystem(nvram: bytearray, layout: Layout = C7200) -> None:
    """An empty filesystem: zeros, the magic and the empty checksum 0xFFFF (as dynamips does)."""
    fs = _fs(nvram, layout)
    fs[:] = bytes(len(fs))
    struct.pack_into(">H", fs, 6, MAGIC_FILESYSTEM)
    struct.pack_into(">H", fs, CHECKSUM_OFFSET, 0xFFFF)


def write_configs(nvram: bytearray, startup: bytes | None, private: bytes | None,
                  layout: Layout = C7200, *, compress: bool = False) -> None:
    """Store the configs; None keeps what NVRAM already holds for that one.

    Creates the filesystem when its magic is missing. Raises NvramFull (and changes nothing)
    when the configs do not fit.
    """
    fs = _fs(nvram, layout)
    if len(fs) % SECTOR_SIZE:
        raise NvramError(f"NVRAM filesystem size {len(fs)} is not a multiple of {SECTOR_SIZE}")
    old_startup, old_private = (read_configs(nvram, layout) if has_filesystem(nvram, layout)
                                else (None, None))
    if startup is None:
        startup = old_startup
    if private is None:
        private = old_private
    if startup is None and private is None:
        if not has_filesystem(nvram, layout):
            format_filesystem(nvram, layout)
        return
    startup = bytes(startup or b"")
    private = bytes(private or b"")

    stored, fmt, raw_len = startup, FORMAT_RAW, 0
    if compress and startup:
        stored, fmt, raw_len = lzc_compress(startup), FORMAT_LZC, len(startup)
    pad = (-(STARTUP_DATA + len(stored))) % 4
    needed = STARTUP_DATA + len(stored) + pad + PRIVATE_HEADER.size + len(private)
    if needed > len(fs):
        raise NvramFull(f"startup-config ({len(startup)} bytes"
                        f"{', compressed to %d' % len(stored) if fmt == FORMAT_LZC else ''}) and "
                        f"private-config ({len(private)} bytes) need {needed} bytes; the NVRAM "
                        f"filesystem has {len(fs)} ({len(nvram) // 1024} KB NVRAM)")

    old_end = _config_area_end(fs, layout) if has_filesystem(nvram, layout) else len(fs)
    if not has_filesystem(nvram, layout):
        format_filesystem(nvram, layout)

    compressed = 1 if fmt == FORMAT_LZC else 0
    s_start = layout.fs_address + STARTUP_DATA
    STARTUP_HEADER.pack_into(fs, FS_HEADER_SIZE, MAGIC_STARTUP, fmt, 0, UNK1_C7200, s_start,
                             s_start + len(stored), len(stored), 0, compressed, compressed, 0,
                             raw_len)
    off = STARTUP_DATA
    fs[off:off + len(stored)] = stored
    off += len(stored)
    fs[off:off + pad] = bytes(pad)
    off += pad
    p_start = layout.fs_address + off + PRIVATE_HEADER.size
    PRIVATE_HEADER.pack_into(fs, off, MAGIC_PRIVATE, FORMAT_RAW, p_start,
                             p_start + len(private), len(private))
    off += PRIVATE_HEADER.size
    fs[off:off + len(private)] = private
    off += len(private)
    # Zero what is left of the old config area, up to a whole sector.
    clear_to = max(old_end, off)
    clear_to = min(len(fs), clear_to + (-clear_to) % SECTOR_SIZE)
    fs[off:clear_to] = bytes(clear_to - off)
    struct.pack_into(">H", fs, CHECKSUM_OFFSET, compute_checksum(nvram, layout))


def erase_configs(nvram: bytearray, layout: Layout = C7200) -> None:
    """What IOS's ``write erase`` leaves: an empty filesystem."""
    format_filesystem(nvram, layout)


# --- config register -----------------------------------------------------------------------

def read_conf_reg(nvram: bytes) -> int | None:
    """The config register stored by :func:`write_conf_reg`, or None when there is none."""
    rec = bytes(nvram[CONF_REG_OFFSET:CONF_REG_OFFSET + 8])
    if len(rec) < 8 or rec[:4] != CONF_REG_MAGIC:
        return None
    value, check = struct.unpack(">HH", rec[4:])
    if value ^ check != 0xFFFF:
        return None
    return value


def write_conf_reg(nvram: bytearray, value: int) -> None:
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"config register 0x{value:x} is not a 16-bit value")
    nvram[CONF_REG_OFFSET:CONF_REG_OFFSET + 8] = CONF_REG_MAGIC + struct.pack(
        ">HH", value, value ^ 0xFFFF)


def effective_conf_reg(vm_conf_reg: int, nvram: bytes) -> int:
    """The config register a VM boots with: NVRAM's record if any, else the VM's setting;
    with bit 0x40 set when NVRAM is blank, as dynamips does (0x2102 -> 0x2142)."""
    stored = read_conf_reg(nvram)
    value = vm_conf_reg if stored is None else stored
    if is_blank(nvram):
        value |= CONF_REG_IGNORE_NVRAM
    return value


# --- the per-VM file -----------------------------------------------------------------------

def nvram_filename(platform: str = "c7200", *, name: str | None = None,
                   instance_id: int | None = None) -> str:
    """dynamips' file names: ``c7200_<name>_nvram``, or ``c7200_i<id>_nvram``."""
    if name is not None:
        return f"{platform}_{name}_nvram"
    if instance_id is not None:
        return f"{platform}_i{instance_id}_nvram"
    raise ValueError("need a VM name or an instance id")


class NvramFile:
    """A stopped VM's NVRAM file: read and change its configs without running the VM.

    The file is created zero-filled at ``size`` bytes when missing (as dynamips does). An
    existing file of another size is used at its own size for reading; writing pads or
    truncates it to ``size`` only when ``size`` was given explicitly.
    """

    def __init__(self, path: str | os.PathLike, size: int | None = None,
                 layout: Layout = C7200) -> None:
        self.path = Path(path)
        self.size = size
        self.layout = layout

    @classmethod
    def for_vm(cls, working_dir: str | os.PathLike, name: str, nvram_kb: int,
               platform: str = "c7200") -> "NvramFile":
        return cls(Path(working_dir) / nvram_filename(platform, name=name), nvram_kb * 1024)

    def load(self) -> bytearray:
        if self.path.exists():
            data = bytearray(self.path.read_bytes())
            if self.size is not None and len(data) != self.size:
                data = data[:self.size] + bytearray(max(0, self.size - len(data)))
            return data
        if self.size is None:
            raise NvramError(f"{self.path}: no such NVRAM file")
        return bytearray(self.size)

    def save(self, data: bytes) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, self.path)

    def read_configs(self) -> tuple[bytes | None, bytes | None]:
        if not self.path.exists():
            return None, None
        try:
            return read_configs(self.load(), self.layout)
        except NvramError as exc:
            raise NvramError(f"{self.path}: {exc}") from exc

    def write_configs(self, startup: bytes | None, private: bytes | None, *,
                      compress: bool = False) -> None:
        data = self.load()
        try:
            write_configs(data, startup, private, self.layout, compress=compress)
        except NvramError as exc:
            raise type(exc)(f"{self.path}: {exc}") from exc
        self.save(data)

    def erase_configs(self) -> None:
        data = self.load()
        erase_configs(data, self.layout)
        self.save(data)

    def read_conf_reg(self) -> int | None:
        return read_conf_reg(self.load()) if self.path.exists() else None

    def write_conf_reg(self, value: int) -> None:
        data = self.load()
        write_conf_reg(data, value)
        self.save(data)


# --- Unix compress (.Z, LZW) ----------------------------------------------------------------
# The stream: 1F 9D, a flags byte (bits 4-0 the largest code width, 0x80 "block mode": code
# 256 clears the table), then codes packed LSB-first, 9 bits wide at first. Codes are read in
# groups of `width` bytes (eight codes); when the width grows or the table is cleared the rest
# of the current group is skipped. The width grows once the table's next free code (counting
# the entry the decoder completes one code later) passes 2**width.

LZC_MAGIC = b"\x1f\x9d"
LZC_BLOCK_MODE = 0x80
LZC_CLEAR = 256


def lzc_decompress(data: bytes) -> bytes:
    if len(data) < 3 or data[:2] != LZC_MAGIC:
        raise ValueError("no .Z magic")
    maxbits = data[2] & 0x1F
    block = bool(data[2] & LZC_BLOCK_MODE)
    if not 9 <= maxbits <= 16:
        raise ValueError(f"unsupported code width {maxbits}")
    limit = 1 << maxbits
    first = LZC_CLEAR + 1 if block else LZC_CLEAR
    strings: list[bytes] = [bytes((i,)) for i in range(256)] + [b""] * (limit - 256)
    out = bytearray()
    pos, width = 3, 9
    head = first                  # next free code number
    pending: int | None = None    # the entry the next code completes (prev + its first byte)
    prev: bytes | None = None
    group, group_bits, bit = 0, 0, 0
    while True:
        if bit == group_bits:
            chunk = data[pos:pos + width]
            pos += len(chunk)
            group, group_bits, bit = int.from_bytes(chunk, "little"), len(chunk) * 8, 0
        if bit + width > group_bits:
            break
        code = (group >> bit) & ((1 << width) - 1)
        bit += width
        if block and code == LZC_CLEAR:
            head, width, prev, pending, bit = first, 9, None, None, group_bits
            continue
        if prev is None:
            if code >= 256:
                raise ValueError(f"code {code} where a literal byte must come")
            entry = strings[code]
        else:
            known = pending if pending is not None else head
            if code == pending:
                entry = prev + prev[:1]
            elif code < known:
                entry = strings[code]
            else:
                raise ValueError(f"code {code} beyond the table ({known})")
            if pending is not None:
                strings[pending] = prev + entry[:1]
        out += entry
        prev = entry
        if head < limit:
            pending = head
            head += 1
            if head > (1 << width) and width < maxbits:
                width += 1
                bit = group_bits
        else:
            pending = None
    return bytes(out)


def lzc_compress(data: bytes, maxbits: int = 12) -> bytes:
    """Block-mode .Z of ``data`` (IOS writes 12-bit codes); the table stops growing when full."""
    limit = 1 << maxbits
    table = {bytes((i,)): i for i in range(256)}
    codes: list[int] = []
    w = b""
    next_code = LZC_CLEAR + 1
    for byte in data:
        wc = w + bytes((byte,))
        if wc in table:
            w = wc
            continue
        codes.append(table[w])
        if next_code < limit:
            table[wc] = next_code
            next_code += 1
        w = bytes((byte,))
    if w:
        codes.append(table[w])

    out = bytearray(LZC_MAGIC + bytes((LZC_BLOCK_MODE | maxbits,)))
    width, head = 9, LZC_CLEAR + 1
    acc, nbits, group_bits = 0, 0, 0     # bits pending, and bits written in the current group
    for code in codes:
        acc |= code << nbits
        nbits += width
        group_bits += width
        if head < limit:
            head += 1
            if head > (1 << width) and width < maxbits:
                # Finish the group: the decoder skips to the next multiple of `width` bytes.
                pad = (-group_bits) % (width * 8)
                nbits += pad
                group_bits = 0
                width += 1
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
        group_bits %= width * 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)
