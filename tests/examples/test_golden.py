"""The problem object and the one run loop changed the shape of the code, not its results: every
shipped example (coarse) and three smoke switching points give the tables that the code of
commit 0337351 gave (``tests/examples/golden/``, written by ``_golden.py``).

Tolerance: 1e-9 of each column's largest magnitude. On the machine that wrote the references the
tables are identical bit for bit; a fresh machine may plan its FFTs differently (FFTW wisdom is
measured per machine), which changes the last bits of the stray field and, through a few steps
and iterative transport solves with relative residual 1e-6 started from the same guess, leaves
differences far below 1e-9 of the column scale.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _golden import EXAMPLES, SWITCHING, example_table, switching_table

from spintorque.io.table import read_table

GOLDEN = Path(__file__).resolve().parent / "golden"


def _compare(new: Path, name: str) -> None:
    ref_header, ref = read_table(GOLDEN / f"{name}.tsv")
    header, values = read_table(new)
    assert header == ref_header
    ref, values = np.asarray(ref, float), np.asarray(values, float)
    assert values.shape == ref.shape
    scale = np.maximum(np.abs(ref).max(axis=0), 1e-300)
    worst = np.max(np.abs(values - ref) / scale)
    assert worst <= 1e-9, f"{name}: largest difference {worst:.3g} of the column scale"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_tables_unchanged(path: Path, tmp_path: Path):
    _compare(example_table(path, tmp_path / "run"), path.stem)


@pytest.mark.parametrize("name", sorted(SWITCHING))
def test_switching_tables_unchanged(name: str, tmp_path: Path):
    _compare(switching_table(SWITCHING[name], tmp_path / "run"), name)
