"""A tiny ELF writer for tests: just enough to produce the images the loader must accept or refuse.

Sections are (name, address, flags, type, bytes-or-size); the file gets a section-name string
table and one PT_LOAD program header per allocated PROGBITS section (the loader ignores program
headers, but real images have them).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

SHT_PROGBITS, SHT_STRTAB, SHT_NOBITS = 1, 3, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4


@dataclass
class Sec:
    name: str
    addr: int
    data: bytes = b""
    flags: int = SHF_ALLOC
    type: int = SHT_PROGBITS
    size: int | None = None     # for NOBITS


def build_elf(sections: list[Sec], entry: int = 0x80008000, *, cls: int = 1, endian: str = ">",
              machine: int = 8) -> bytes:
    """ELF32 (cls=1) or ELF64 (cls=2), big ('>') or little ('<') endian."""
    e = endian
    is64 = cls == 2
    ehsize, shentsize, phentsize = (64, 64, 56) if is64 else (52, 40, 32)
    names = b"\0"
    name_off = []
    for s in sections:
        name_off.append(len(names))
        names += s.name.encode() + b"\0"
    shstr_name = len(names)
    names += b".shstrtab\0"

    loads = [s for s in sections if s.type == SHT_PROGBITS and s.flags & SHF_ALLOC]
    phoff = ehsize
    body = bytearray()          # file bytes after the program headers
    base = phoff + phentsize * len(loads)

    def put(off: int, data: bytes) -> None:
        body.extend(b"\0" * (off - base - len(body)))
        body.extend(data)

    pos = base
    offsets = []
    for s in sections:
        pos = (pos + 3) & ~3
        offsets.append(pos)
        if s.type != SHT_NOBITS:
            put(pos, s.data)
            pos += len(s.data)
    strtab_off = pos
    put(pos, names)
    pos += len(names)
    shoff = (pos + 3) & ~3
    put(shoff, b"")

    shnum = len(sections) + 2
    ident = b"\x7fELF" + bytes([cls, 1 if e == "<" else 2, 1, 0]) + b"\0" * 8
    if is64:
        hdr = ident + struct.pack(e + "HHIQQQIHHHHHH", 2, machine, 1, entry, phoff, shoff, 0,
                                  ehsize, phentsize, len(loads), shentsize, shnum, shnum - 1)
    else:
        hdr = ident + struct.pack(e + "HHIIIIIHHHHHH", 2, machine, 1, entry & 0xFFFFFFFF, phoff,
                                  shoff, 0x1000, ehsize, phentsize, len(loads), shentsize, shnum,
                                  shnum - 1)
    phdrs = b""
    for s in loads:
        off = offsets[sections.index(s)]
        a = s.addr
        if is64:
            phdrs += struct.pack(e + "IIQQQQQQ", 1, 5, off, a, a & 0x1FFFFFFF, len(s.data),
                                 len(s.data), 4)
        else:
            phdrs += struct.pack(e + "IIIIIIII", 1, off, a & 0xFFFFFFFF, a & 0x1FFFFFFF,
                                 len(s.data), len(s.data), 5, 4)

    def sh(name, typ, flags, addr, off, size):
        if is64:
            return struct.pack(e + "IIQQQQIIQQ", name, typ, flags, addr, off, size, 0, 0, 4, 0)
        return struct.pack(e + "IIIIIIIIII", name, typ, flags, addr & 0xFFFFFFFF, off, size,
                           0, 0, 4, 0)

    shdrs = sh(0, 0, 0, 0, 0, 0)
    for s, no, off in zip(sections, name_off, offsets):
        size = s.size if s.type == SHT_NOBITS else len(s.data)
        shdrs += sh(no, s.type, s.flags, s.addr, off, size)
    shdrs += sh(shstr_name, SHT_STRTAB, 0, 0, strtab_off, len(names))
    return hdr + phdrs + bytes(body) + shdrs
