"""End to end: compiled C guests (benchmarks/guest/, built with the MIPS cross compiler) run
on the core to their checksum, which qemu-user computed from the same source."""

import pathlib

import numpy as np
import pytest

from cpu.state import Cpu, Exc, ExitReason

GUEST = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "guest"


def run_image(name):
    ram = np.zeros(8 << 20, np.uint8)
    img = np.fromfile(GUEST / name, np.uint8)
    ram[0x8000:0x8000 + len(img)] = img
    cpu = Cpu(ram)
    cpu.pc = 0xFFFFFFFF80008000
    cpu.hook_exceptions([Exc.BP])
    result = None
    while True:
        why = cpu.run(5_000_000)
        if why == ExitReason.SLICE:
            continue
        if why == ExitReason.DEV_WRITE:
            assert (cpu.exit_address, cpu.exit_width) == (0x1F000000, 8)
            result = cpu.exit_value
            continue
        assert why == ExitReason.EXCEPTION and cpu.exception_code == Exc.BP, why
        return result, cpu.icount


@pytest.mark.parametrize("image,expected,min_count", [
    ("bench_rm7000.bin", "expected_rm7000.txt", 5_000_000),
    pytest.param("bench.bin", "expected.txt", 300_000_000, marks=pytest.mark.slow),
])
def test_guest_checksum(image, expected, min_count):
    result, count = run_image(image)
    assert result == int((GUEST / expected).read_text().strip(), 16)
    assert count >= min_count
