"""Loading a router image (IOS or our test firmware) the way the c7200 boot contract says.

The contract (docs/C7200.md, "Boot contract"): the image is an ELF32 big-endian MIPS file;
every section with SHF_ALLOC and a non-zero size is placed at its sign-extended ``sh_addr``
(section headers, not program headers: that is what dynamips does, and some IOS images have
program headers that do not describe what IOS expects in memory); NOBITS sections (.bss) are
zero-filled; execution starts at the sign-extended entry point.

Images live in KSEG0/KSEG1, so a section's physical address is ``addr & 0x1fffffff``. Anything
else (useg, kseg2/3, or a physical address past the end of RAM) cannot be placed before the
CPU runs and is refused with an :class:`ImageError` that names the file and the reason.

Reading and placing are separate: :func:`read_elf` validates and collects the sections (the
daemon can do it in a thread before a worker exists, and a ghost-RAM user only needs the
entry point), :func:`load_into_ram` copies them into guest RAM.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

import numpy as np
from elftools.common.exceptions import ELFError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

ELF_MAGIC = b"\x7fELF"
# What GNS3 checks before it starts a VM: magic, ELFCLASS32, ELFDATA2MSB, EV_CURRENT.
IOS_ELF_PREFIX = b"\x7fELF\x01\x02\x01"

EM_MIPS = 8
KSEG0 = 0xFFFFFFFF80000000
KSEG1 = 0xFFFFFFFFA0000000
KSEG2 = 0xFFFFFFFFC0000000
PHYS_MASK = 0x1FFFFFFF


class ImageError(Exception):
    """The image cannot be booted; the message names the file and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def sign_extend32(value: int) -> int:
    """A 32-bit address as the 64-bit CPU sees it (0x80008000 -> 0xffffffff80008000)."""
    value &= 0xFFFFFFFF
    return value | 0xFFFFFFFF00000000 if value & 0x80000000 else value


def is_unmapped(vaddr: int) -> bool:
    """True for KSEG0/KSEG1 addresses (64-bit, sign-extended): reachable without the TLB."""
    return KSEG0 <= vaddr < KSEG2


def virt_to_phys(vaddr: int) -> int:
    """Physical address of a KSEG0/KSEG1 address; ValueError for anything mapped."""
    vaddr = sign_extend32(vaddr) if vaddr <= 0xFFFFFFFF else vaddr
    if not is_unmapped(vaddr):
        raise ValueError(f"0x{vaddr:016x} is not a KSEG0/KSEG1 address")
    return vaddr & PHYS_MASK


@dataclass(frozen=True)
class Segment:
    """One allocated section: where it goes and what goes there.

    ``data`` holds the section's bytes, or is empty for a NOBITS section (``size`` bytes of
    zeros) and when the image was read without data.
    """
    name: str
    vaddr: int          # sign-extended 64-bit virtual address
    paddr: int          # physical address (vaddr & 0x1fffffff)
    size: int
    data: bytes = b""
    nobits: bool = False

    @property
    def end(self) -> int:
        return self.paddr + self.size


@dataclass(frozen=True)
class ElfImage:
    path: str
    entry: int                       # sign-extended 64-bit
    segments: tuple[Segment, ...] = field(default_factory=tuple)

    @property
    def phys_end(self) -> int:
        """First physical byte after the highest section: the RAM the image needs."""
        return max((s.end for s in self.segments), default=0)

    @property
    def loaded_size(self) -> int:
        return sum(s.size for s in self.segments)


def _check_identification(path: str, head: bytes, file_size: int) -> None:
    if len(head) < 4 or head[:4] != ELF_MAGIC:
        raise ImageError(path, "not an ELF file (no \\x7fELF magic)")
    if len(head) < 52:
        raise ImageError(path, f"truncated ELF file ({file_size} bytes, shorter than an ELF32 header)")
    ei_class, ei_data, ei_version = head[4], head[5], head[6]
    if ei_class == 2:
        raise ImageError(path, "ELF64 image: the c7200 boots ELF32 images only")
    if ei_class != 1:
        raise ImageError(path, f"unknown ELF class {ei_class}")
    if ei_data == 1:
        raise ImageError(path, "little-endian ELF: the c7200 boots big-endian MIPS images only")
    if ei_data != 2:
        raise ImageError(path, f"unknown ELF data encoding {ei_data}")
    if ei_version != 1:
        raise ImageError(path, f"unknown ELF version {ei_version}")
    machine = int.from_bytes(head[18:20], "big")
    if machine != EM_MIPS:
        raise ImageError(path, f"not a MIPS image (e_machine {machine}, expected {EM_MIPS})")


def read_elf(path: str | os.PathLike, *, with_data: bool = True,
             ram_size: int | None = None) -> ElfImage:
    """Validate an image and collect its allocated sections.

    ``with_data=False`` skips reading section contents (a ghost-RAM user only needs the entry
    point). With ``ram_size``, a section beyond the end of RAM is refused here already.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            file_size = os.fstat(f.fileno()).st_size
            head = f.read(64)
            _check_identification(path, head, file_size)
            segments = _collect(path, f, file_size, with_data)
            f.seek(24)
            entry = sign_extend32(int.from_bytes(f.read(4), "big"))
    except OSError as exc:
        raise ImageError(path, f"cannot read: {exc.strerror or exc}") from exc
    if not is_unmapped(entry):
        raise ImageError(path, f"entry point 0x{entry:016x} is not in KSEG0/KSEG1")
    if not segments:
        raise ImageError(path, "no allocated sections to load")
    image = ElfImage(path, entry, tuple(segments))
    if ram_size is not None:
        check_fits(image, ram_size)
    return image


def _collect(path: str, f, file_size: int, with_data: bool) -> list[Segment]:
    # pyelftools reads lazily and tolerates some truncation silently, so the bounds that
    # matter are checked here before trusting it.
    f.seek(0)
    hdr = f.read(52)
    e_shoff = int.from_bytes(hdr[32:36], "big")
    e_shentsize = int.from_bytes(hdr[46:48], "big")
    e_shnum = int.from_bytes(hdr[48:50], "big")
    if e_shoff == 0 or e_shnum == 0:
        raise ImageError(path, "no section headers (the loader places sections by header)")
    if e_shentsize != 40:
        raise ImageError(path, f"bad section header size {e_shentsize} (expected 40)")
    if e_shoff + e_shnum * e_shentsize > file_size:
        raise ImageError(path, f"truncated ELF file: section headers end at "
                               f"{e_shoff + e_shnum * e_shentsize}, file has {file_size} bytes")
    f.seek(0)
    try:
        elf = ELFFile(f)
        segments = []
        for index, section in enumerate(elf.iter_sections()):
            flags = section["sh_flags"]
            size = section["sh_size"]
            if not (flags & SH_FLAGS.SHF_ALLOC) or size == 0:
                continue
            name = section.name or f"section {index}"
            vaddr = sign_extend32(section["sh_addr"])
            if not is_unmapped(vaddr):
                raise ImageError(path, f"section {name} at 0x{vaddr:016x} is not in KSEG0/KSEG1 "
                                       "(unmapped-address image cannot be loaded)")
            paddr = vaddr & PHYS_MASK
            if paddr + size > PHYS_MASK + 1:
                raise ImageError(path, f"section {name} runs past the end of KSEG0/KSEG1")
            nobits = section["sh_type"] == "SHT_NOBITS"
            data = b""
            if not nobits:
                offset = section["sh_offset"]
                if offset + size > file_size:
                    raise ImageError(path, f"truncated ELF file: section {name} needs bytes "
                                           f"{offset}..{offset + size}, file has {file_size}")
                if with_data:
                    f.seek(offset)
                    data = f.read(size)
                    if len(data) != size:
                        raise ImageError(path, f"truncated ELF file while reading section {name}")
            segments.append(Segment(name, vaddr, paddr, size, data, nobits))
    except ELFError as exc:
        raise ImageError(path, f"malformed ELF file: {exc}") from exc
    except (ValueError, KeyError, IndexError) as exc:  # construct/struct errors on garbage
        raise ImageError(path, f"malformed ELF file: {exc}") from exc
    return segments


# RAM at physical 0 ends at 256 MB at most: above it is device space, and a bigger RAM's
# second bank sits at physical 0x20000000, out of KSEG0's reach (see cpu.core ram_index).
LOW_RAM_BYTES = 0x10000000


def check_fits(image: ElfImage, ram_size: int) -> None:
    """Every section inside the RAM at physical 0 (the index of a byte there is its address)."""
    limit = min(ram_size, LOW_RAM_BYTES)
    for seg in image.segments:
        if seg.end > limit:
            raise ImageError(image.path,
                             f"section {seg.name} at physical 0x{seg.paddr:08x}..0x{seg.end:08x} "
                             f"is outside RAM ({limit // (1 << 20)} MB at physical 0)")


def load_into_ram(image: ElfImage, ram: np.ndarray) -> int:
    """Copy the image's sections into ``ram`` (uint8, indexed by physical address).

    Returns the entry point. The image must have been read with data.
    """
    check_fits(image, len(ram))
    for seg in image.segments:
        if seg.nobits:
            ram[seg.paddr:seg.end] = 0
        elif len(seg.data) != seg.size:
            raise ValueError(f"{image.path}: section {seg.name} was read without its data")
        else:
            ram[seg.paddr:seg.end] = np.frombuffer(seg.data, dtype=np.uint8)
    return image.entry


def load_elf(path: str | os.PathLike, ram: np.ndarray) -> ElfImage:
    """Read and place an image in one call; raises ImageError on any problem."""
    image = read_elf(path, ram_size=len(ram))
    load_into_ram(image, ram)
    return image


@dataclass(frozen=True)
class ImageIdentity:
    """What a ghost-RAM sidecar records to recognise the image it was made from."""
    sha256: str
    size: int


def image_identity(path: str | os.PathLike) -> ImageIdentity:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return ImageIdentity(h.hexdigest(), size)
