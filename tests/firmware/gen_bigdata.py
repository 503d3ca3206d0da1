#!/usr/bin/env python3
"""Generate the console firmware's large initialised data: deterministic, non-zero, and
repetitive enough to compress well in git (a 16 KB pseudo-random page repeated, each page
stamped with its index). Also writes the checksum the firmware prints at boot.

usage: gen_bigdata.py MB out.bin out.sum
Checksum (over big-endian 32-bit words w): a = sum(w) mod 2**32, b = sum of the running a
mod 2**32 (Fletcher-style); printed as "bigdata <bytes> bytes sum 0x<a> 0x<b>".
"""
import struct
import sys

import numpy as np

PAGE = 16384


def generate(size: int) -> bytes:
    x = 0x2545F491
    words = []
    for _ in range(PAGE // 4):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        words.append(x | 0x01010101)           # no zero bytes
    page = np.array(words, dtype=">u4")
    pages = np.tile(page, size // PAGE).reshape(-1, PAGE // 4)
    pages[:, 0] = 0xB16DA7A0 ^ np.arange(len(pages), dtype=np.uint32)
    return pages.astype(">u4").tobytes()


def checksum(data: bytes) -> tuple[int, int]:
    w = np.frombuffer(data, dtype=">u4").astype(np.uint64)
    a_run = np.cumsum(w, dtype=np.uint64) & 0xFFFFFFFF
    return int(a_run[-1]), int(a_run.sum(dtype=np.uint64) & 0xFFFFFFFF)


def main() -> None:
    mb, out_bin, out_sum = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    data = generate(mb << 20)
    a, b = checksum(data)
    with open(out_bin, "wb") as f:
        f.write(data)
    with open(out_sum, "w") as f:
        f.write(f"bigdata {len(data)} bytes sum 0x{a:08x} 0x{b:08x}\n")


if __name__ == "__main__":
    main()
