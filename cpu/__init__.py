"""MIPS64 CPU core (numba-compiled execute loop, CP0, TLB, exceptions, disassembler)."""
