#!/usr/bin/env python3
"""CPU core benchmark: run the bare-metal guest in benchmarks/guest/ (C: 64-bit arithmetic,
mul/div, loads/stores, calls, a quicksort and a table CRC32) and print guest MIPS (median of
5 runs) and the warm start time (fresh process to the first guest instruction).

The guest reports its checksum with a 64-bit store to physical 0x1f000000 (a device write
exit); the expected value (benchmarks/guest/expected.txt) comes from the same C source run
under qemu-user. Usage: python benchmarks/cpu_mips.py [--runs 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

GUEST = os.path.join(HERE, "guest", "bench.bin")
EXPECTED = os.path.join(HERE, "guest", "expected.txt")
RESULT_PHYS = 0x1F000000
SLICE = 1_000_000


def run_guest():
    import numpy as np
    from cpu.state import Cpu, ExitReason

    ram = np.zeros(8 << 20, np.uint8)
    img = np.fromfile(GUEST, np.uint8)
    ram[0x8000:0x8000 + len(img)] = img
    cpu = Cpu(ram)
    cpu.pc = 0xFFFFFFFF80008000
    cpu.hook_exceptions([9])  # BREAK ends the run (BEV=1 after reset)
    result = None
    t0 = time.perf_counter()
    while True:
        why = cpu.run(SLICE)
        if why == ExitReason.SLICE:
            continue
        if why == ExitReason.DEV_WRITE and cpu.exit_address == RESULT_PHYS:
            result = cpu.exit_value
            continue
        if why == ExitReason.EXCEPTION and cpu.exception_code == 9:
            break
        raise RuntimeError(f"unexpected exit {why!r} at pc {cpu.pc:#x}")
    dt = time.perf_counter() - t0
    return result, cpu.icount, dt


def warm_start():
    """Seconds from spawning a fresh interpreter to the first guest instruction retired."""
    code = ("import time,sys; sys.path.insert(0, %r)\n"
            "import numpy as np\n"
            "from cpu.state import Cpu\n"
            "c = Cpu(np.zeros(1 << 20, np.uint8)); c.pc = 0xffffffff80001000\n"
            "c.run(1); assert c.icount == 1\n"
            "print('ok')\n" % ROOT)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    dt = time.perf_counter() - t0
    assert out.stdout.strip() == "ok", out
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    expected = int(open(EXPECTED).read().strip(), 16)
    warm_start()  # make sure the numba cache is populated
    starts = sorted(warm_start() for _ in range(3))
    mips = []
    for i in range(args.runs):
        result, n, dt = run_guest()
        if result != expected:
            sys.exit(f"checksum mismatch: got {result!r:} expected {expected:#x}")
        mips.append(n / dt / 1e6)
        print(f"run {i + 1}: {n} instructions in {dt:.2f} s = {mips[-1]:.1f} MIPS", flush=True)
    print(f"checksum {result:#018x} OK")
    print(f"guest MIPS median of {args.runs}: {statistics.median(mips):.1f}")
    print(f"warm start (fresh process to first guest instruction), median of 3: {starts[1]:.3f} s")


if __name__ == "__main__":
    main()
