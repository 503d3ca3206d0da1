"""MIPS64 CPU core (numba-compiled execute loop, CP0, TLB, exceptions, disassembler).

- ``cpu.state``: ``Cpu`` (owns the state arrays; reset, run, device-access completion, IRQ
  lines, timer, breakpoints/idle PC, exception hook, debugging helpers), ``ExitReason``,
  ``Exc`` (Cause.ExcCode values).
- ``cpu.core``: the one module with every njit function (the loop and its helpers) and the
  state layout constants; its docstring documents exit reasons and the host protocol.
- ``cpu.isa``: the instruction table and an assembler; ``cpu.disasm``: the disassembler.
"""
