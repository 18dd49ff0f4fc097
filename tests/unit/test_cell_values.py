"""``[[cell_values]]``: per-cell material parameters from a file in a TOML config.

References: the uniaxial anisotropy field of a cell is H = 2 Ku/(μ0 Ms) (m·u) u with that cell's
own Ku, Ms and u (closed form, exact to round-off); the config route must give the same sample as
:meth:`Sample.with_param` from Python (bit for bit)."""

import numpy as np
import pytest

from spintorque.config import ConfigError, config_from_dict
from spintorque.constants import MU0
from spintorque.io.ovf import write_ovf
from spintorque.mesh import Grid
from spintorque.simulation import build, build_sample, run_hash

SHAPE = (6, 4, 3)
CELL = (2e-9, 2e-9, 1e-9)
MS = 8e5


def config(tmp_path, tables=(), ku=0.0) -> dict:
    return {
        "mesh": {"cell": list(CELL), "size": [SHAPE[0] * CELL[0], SHAPE[1] * CELL[1], 3e-9]},
        "layer": [{"name": "bottom", "thickness": 1e-9, "material": "fm"},
                  {"name": "top", "thickness": 2e-9, "material": "fm",
                   "initial": {"uniform": [0.3, 0.4, 0.8]}}],
        "material": {"fm": {"Ms": MS, "A": 1e-11, "Ku": ku, "axis": [0, 0, 1], "alpha": 0.1}},
        "cell_values": list(tables),
        "demag": {"enabled": False},
        "run": {"duration": 1e-12, "output_every": 1e-12},
    }


def npy(tmp_path, name, values) -> str:
    path = tmp_path / name
    np.save(path, np.asarray(values, float))
    return str(path)


def anisotropy_field(problem) -> np.ndarray:
    term = next(t for t in problem.terms if type(t).__name__ == "UniaxialAnisotropy")
    return term.field(problem.m0)


def test_per_cell_ku_and_axis_give_the_closed_form_field(tmp_path):
    rng = np.random.default_rng(1)
    ku = rng.uniform(1e5, 1e6, SHAPE)
    axis = rng.normal(size=(*SHAPE, 3))
    tables = [{"key": "Ku", "file": npy(tmp_path, "ku.npy", ku)},
              {"key": "axis", "file": npy(tmp_path, "axis.npy", axis)}]
    # the material has Ku = 0: the term must still be built from the per-cell values
    problem = build(config_from_dict(config(tmp_path, tables)))
    u = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    m = problem.m0
    expected = (2 * ku / (MU0 * MS) * np.einsum("...i,...i", m, u))[..., None] * u
    np.testing.assert_allclose(anisotropy_field(problem), expected, rtol=1e-12,
                               atol=1e-12 * np.abs(expected).max())


def test_region_and_order_match_with_param(tmp_path):
    ku_all = np.full(SHAPE, 2e5)
    ku_top = np.full(SHAPE, 7e5)
    tables = [{"key": "Ku", "file": npy(tmp_path, "a.npy", ku_all)},
              {"key": "Ku", "file": npy(tmp_path, "b.npy", ku_top), "region": "top"}]
    sample = build_sample(config_from_dict(config(tmp_path, tables, ku=1e5)))
    plain = build_sample(config_from_dict(config(tmp_path, ku=1e5)))
    python = plain.with_param("Ku", ku_all).with_param("Ku", ku_top, region="top")
    np.testing.assert_array_equal(sample.param("Ku"), python.param("Ku"))
    assert sample.param("Ku")[:, :, 0].max() == 2e5 and sample.param("Ku")[:, :, 1:].min() == 7e5


def test_ovf_file_and_hash_by_content(tmp_path):
    grid = Grid(SHAPE, CELL)
    ms = np.full(SHAPE, MS)
    ms[0] = 0.5 * MS
    path = write_ovf(tmp_path / "ms.ovf", ms, grid, title="Ms", labels=("Ms",), units=("A/m",))
    cfg = config_from_dict(config(tmp_path, [{"key": "Ms", "file": str(path)}]))
    np.testing.assert_array_equal(build_sample(cfg).param("Ms"), ms)
    before = run_hash(cfg)
    ms[1] = 0.25 * MS
    write_ovf(path, ms, grid, title="Ms", labels=("Ms",), units=("A/m",))
    assert run_hash(config_from_dict(config(tmp_path, [{"key": "Ms", "file": str(path)}]))) \
        != before
    # no tables: the key is left out of the hash (configs written before it keep theirs)
    plain = config_from_dict(config(tmp_path))
    assert "cell_values" not in plain.model_dump(exclude_defaults=True)
    assert run_hash(plain) == run_hash(config_from_dict(
        {k: v for k, v in config(tmp_path).items() if k != "cell_values"}))


@pytest.mark.parametrize("table, path", [
    (lambda d: {"key": "D0", "file": npy(d, "x.npy", np.ones(SHAPE))}, r"cell_values\[0\]\.key"),
    (lambda d: {"key": "Ku", "file": npy(d, "x.npy", np.ones((2, 2, 2)))},
     r"cell_values\[0\]\.file"),
    (lambda d: {"key": "axis", "file": npy(d, "x.npy", np.ones(SHAPE))}, r"cell_values\[0\]\.file"),
    (lambda d: {"key": "Ms", "file": npy(d, "x.npy", -np.ones(SHAPE))}, r"cell_values\[0\]\.file"),
    (lambda d: {"key": "Ku", "file": npy(d, "x.npy", np.full(SHAPE, np.nan))},
     r"cell_values\[0\]\.file"),
    (lambda d: {"key": "Ku", "file": npy(d, "x.npy", np.ones(SHAPE)), "region": "middle"},
     r"cell_values\[0\]\.region"),
    (lambda d: {"key": "Ku", "file": str(d / "missing.npy")}, r"cell_values\[0\]\.file"),
    (lambda d: {"key": "Ku", "file": npy(d, "x.npy", np.ones(SHAPE)).replace(".npy", ".txt")},
     r"cell_values\[0\]\.file"),
])
def test_errors_name_the_table(tmp_path, table, path):
    with pytest.raises(ConfigError, match=path):
        config_from_dict(config(tmp_path, [table(tmp_path)]))
