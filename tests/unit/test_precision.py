"""Float32 stray field (``[run] precision``, ``Demag(sample, precision=...)``): accuracy against
float64, the run setting and its validation, and the float64 default left as it was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import spintorque as st
from spintorque.cli import main
from spintorque.config import ConfigError, config_from_dict, tomllib
from spintorque.fields.demag import Demag
from spintorque.fields.demag.convolution import PrunedConvolution
from spintorque.simulation import run_config, run_hash

ROOT = Path(__file__).resolve().parents[2]

#: float32 rounding (eps 6e-8) grows like log N through the FFTs and the product; measured
#: 2.3e-7 to 3.2e-7 of max|H| on 100x25x1 to 128x64x32 grids: the bound leaves a margin of ~6x
FIELD_RTOL = 2e-6


def _sp4_data() -> dict:
    with open(ROOT / "examples" / "sp4_field1.toml", "rb") as fh:
        return tomllib.load(fh)


def _random_m(shape: tuple[int, ...], seed: int = 3) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=(*shape, 3))
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


@pytest.mark.parametrize("n, cell", [((50, 20, 1), (5e-9, 5e-9, 3e-9)),
                                     ((12, 8, 10), (4e-9, 4e-9, 4e-9))])
def test_float32_demag_field_is_close_to_float64(n, cell) -> None:
    py = st.Material("py", Ms=8.0e5, A=1.3e-11, alpha=0.02)
    sample = st.Sample.box(tuple(a * b for a, b in zip(n, cell, strict=True)), cell=cell,
                           material=py)
    m = _random_m(n)
    h64 = Demag(sample).field(m)
    term32 = Demag(sample, precision="float32")
    h32 = term32.field(m)
    assert h32.dtype == np.float64
    err = np.abs(h32 - h64).max() / np.abs(h64).max()
    assert 0 < err < FIELD_RTOL
    # the energy and the in-place sum agree to the same order
    e64, e32 = Demag(sample).energy(m), term32.energy(m)
    assert abs(e32 - e64) < FIELD_RTOL * abs(e64) * 10
    acc = np.ones_like(m)
    term32.add_field(m, 0.0, acc)
    np.testing.assert_array_equal(acc, 1.0 + h32)
    with term32.full_precision():  # relaxations: float64 inside the block
        np.testing.assert_array_equal(term32.field(m), h64)
    np.testing.assert_array_equal(term32.field(m), h32)


def test_convolution_buffers_follow_the_precision() -> None:
    tensor = np.random.default_rng(0).normal(size=(6, 4, 3, 2))
    c64, c32 = PrunedConvolution(tensor), PrunedConvolution(tensor, precision="float32")
    assert (c64._spec.dtype, c64._kernel.dtype) == (np.complex128, np.float64)
    assert (c32._spec.dtype, c32._kernel.dtype) == (np.complex64, np.float32)
    with pytest.raises(ValueError, match="precision = 'float16'"):
        PrunedConvolution(tensor, precision="float16")


def _small_sp4(precision: str) -> st.Problem:
    py = st.Material("py", Ms=8.0e5, A=1.3e-11, alpha=0.02)
    sample = st.Sample.box((200e-9, 50e-9, 3e-9), cell=(5e-9, 5e-9, 3e-9), material=py)
    return st.Problem(sample, m0=(1.0, 0.25, 0.1),
                      terms=[st.Exchange(sample), st.Demag(sample, precision=precision)],
                      drives=[st.Zeeman(sample, B=(-24.6e-3, 4.3e-3, 0.0))],
                      relaxation=st.Relaxation("minimize", tol=0.1))


def test_sp4_like_run_in_float32_follows_float64() -> None:
    ends = {}
    for precision in ("float64", "float32"):
        problem = _small_sp4(precision)
        m, info = problem.relax()  # in float64 for both: the same state bit for bit
        assert info["converged"]
        ends[precision] = (m, problem.integrator().advance(0.0, m, 50e-12))
    np.testing.assert_array_equal(ends["float32"][0], ends["float64"][0])
    # The field error (~2e-7 * Ms = 0.2 A/m) can flip a step-size decision (measured: one more
    # rejected step of 28); from there the runs differ by the step control's local error bound
    # (3e-6 per step): per cell 1.5e-5 measured, <m> 1e-9
    diff = ends["float32"][1] - ends["float64"][1]
    assert 0 < np.abs(diff).max() < 1e-4
    assert np.abs(diff.reshape(-1, 3).mean(axis=0)).max() < 1e-6


def test_precision_is_left_out_of_the_identity_at_its_default() -> None:
    data = _sp4_data()
    default = run_hash(config_from_dict(data))
    data["run"]["precision"] = "float64"
    assert run_hash(config_from_dict(data)) == default
    data["run"]["precision"] = "float32"
    cfg32 = config_from_dict(data)
    assert run_hash(cfg32) != default
    assert st.build(cfg32).term("demag").precision == "float32"
    # Python problems: a float64 Demag hashes as before (no instance attribute), float32 not
    assert "precision" not in vars(_small_sp4("float64").term("demag"))
    assert _small_sp4("float64").identity() != _small_sp4("float32").identity()


def test_bad_precision_is_rejected_with_the_key_and_the_choices(tmp_path: Path) -> None:
    data = _sp4_data()
    data["run"]["precision"] = "float16"
    with pytest.raises(ConfigError, match=r"run\.precision: 'float16' -> .*'float64' or "
                                          r"'float32'"):
        config_from_dict(data)
    with pytest.raises(ConfigError, match=r"run\.precision"):
        run_config(config_from_dict(_sp4_data()), tmp_path / "run", precision="half")
    result = CliRunner().invoke(main, ["run", str(ROOT / "examples" / "sp4_field1.toml"),
                                       "--out", str(tmp_path / "cli"), "--precision", "half"])
    assert result.exit_code == 2
    assert "--precision" in result.output
