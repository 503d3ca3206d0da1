"""Differential test against unicorn: >= 200k random instructions per run (see difftest.py).

The seed changes every run (more coverage over time); a failure prints it, and
``CPU_DIFFTEST_SEED=<seed> pytest tests/cpu/test_unicorn_diff.py`` or
``python -m tests.cpu.difftest --seed <seed>`` reproduces it.
"""

import os
import random

import pytest

pytest.importorskip("unicorn")

from . import difftest  # noqa: E402

COUNT = 200_000


def test_random_sequences_match_unicorn():
    seed = int(os.environ.get("CPU_DIFFTEST_SEED", random.randrange(1 << 32)))
    try:
        total, seqs = difftest.run_many(COUNT, seed)
    except AssertionError as e:
        raise AssertionError(f"seed {seed}:\n{e}") from None
    assert total >= COUNT
    assert seqs > 1000
