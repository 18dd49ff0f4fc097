"""examples/thermal_macrospin.toml: a PMA nanodot at 300 K stepped by stochastic Heun.

A short version (0.1 ns of the 1 ns, the example's mesh and step) runs, is reproducible (the same
seed gives the same table bit for bit, another seed another one) and keeps <m_z> in the band a
thermally stable dot must stay in: below 1 − 1/(2σ) ≈ 0.992 of a rigid macrospin with the dot's
barrier σ = K_eff V / k_B T ≈ 60 (its cells fluctuate more than a rigid dot does), and above
0.9 (no switching, no loss of order; 1 ns runs give 0.96 ± 0.01).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spintorque.config import load_config
from spintorque.io.table import read_table
from spintorque.simulation import run_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "thermal_macrospin.toml"


def _short(seed: int | None = None):
    cfg = load_config(EXAMPLE)
    assert cfg.thermal.T == 300.0 and cfg.run.integrator == "heun"
    update = {"run": cfg.run.model_copy(update={"duration": 1e-10})}
    if seed is not None:
        update["thermal"] = cfg.thermal.model_copy(update={"seed": seed})
    return cfg.model_copy(update=update)


def test_thermal_example_runs_reproducibly_in_the_expected_band(tmp_path: Path):
    tables = []
    for name, seed in (("a", None), ("b", None), ("c", 1)):
        run_config(_short(seed), tmp_path / name, progress=None)
        header, rows = read_table(tmp_path / name / "table.tsv")
        tables.append(np.asarray(rows, float))
    a, b, c = tables
    assert np.array_equal(a, b)  # same seed, same trajectory
    assert not np.array_equal(a, c)
    mz = a[20:, header.index("mz")]  # after the first 20 ps
    assert np.all(np.isfinite(a)) and a.shape[0] == 101
    assert 0.9 < mz.mean() < 0.992, mz.mean()
    assert mz.min() > 0.8
    assert np.all(a[:, header.index("T (K)")] == 300.0)
    assert np.all(a[:, header.index("E_thermal (J)")] == 0.0)
