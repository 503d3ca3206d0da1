"""Numbers parsed the way dynamips parses them (C atoi/strtol/strtoull), never raising.

dynamips converts arguments with ``atoi`` (garbage gives 0) and, for addresses, idle-PC and
the config register, ``strtoull(s, NULL, 0)`` (``0x`` hex, leading ``0`` octal). Clients rely
on that leniency, so we keep it: a bad number becomes 0, never a crash.
"""
from __future__ import annotations

import re

_INT = re.compile(r"\s*([+-]?)(\d*)")
_BASE0 = re.compile(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)?")

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
U64_MASK = (1 << 64) - 1


def atoi(text: str) -> int:
    """C atoi on glibc: leading blanks, optional sign, digits; 32-bit wrap."""
    m = _INT.match(text)
    digits = m.group(2) if m else ""
    if not digits:
        return 0
    value = int(digits) * (-1 if m.group(1) == "-" else 1)
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value > INT32_MAX else value


def strtoull(text: str) -> int:
    """C strtoull(s, NULL, 0): base from prefix, negative values wrap modulo 2**64."""
    m = _BASE0.match(text)
    if not m or not m.group(2):
        return 0
    token = m.group(2)
    if token[:2] in ("0x", "0X"):
        value = int(token[2:], 16)
    elif token.startswith("0"):
        value = int(token, 8)
    else:
        value = int(token)
    if m.group(1) == "-":
        value = -value
    return min(value, U64_MASK) & U64_MASK if value >= 0 else value & U64_MASK


def sign_extend32(value: int) -> int:
    """A 32-bit guest address as the 64-bit PC a MIPS CPU reports (KSEG0 → 0xffffffff8…)."""
    value &= U64_MASK
    if value <= 0xFFFFFFFF and value & 0x80000000:
        value |= 0xFFFFFFFF00000000
    return value
