"""Every shipped example config validates and runs end to end on a coarse version of itself.

The coarse version keeps the physics (terms, torques, transport, initial states, integrator) and
changes only sizes and times: cells coarsened where the geometry allows, a few output steps, a
short relaxation. What is checked: the run finishes, writes ``table.tsv`` with the documented
columns and finite values, and keeps |m| = 1 (the physics of each example is checked at full size
in tests/reference/).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from _golden import coarse

from spintorque.config import config_from_dict, load_config
from spintorque.io.table import read_table
from spintorque.simulation import run_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.toml"))
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_validates(path: Path):
    cfg = load_config(path)
    assert cfg.layer


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_coarse(path: Path, tmp_path: Path):
    with open(path, "rb") as fh:
        data = coarse(tomllib.load(fh))
    cfg = config_from_dict(data, source=str(path))
    run_config(cfg, tmp_path / "run", progress=None)
    header, rows = read_table(tmp_path / "run" / "table.tsv")
    assert header[:4] == ["t (s)", "mx", "my", "mz"]
    values = np.asarray(rows, dtype=float)
    assert values.shape[0] >= 1 and np.all(np.isfinite(values))
    assert np.all(np.linalg.norm(values[:, 1:4], axis=1) <= 1 + 1e-9)
