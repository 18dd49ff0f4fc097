"""Relaxation that ends for a reason: convergence is part of the run's record, a relaxation
that did not converge (or went NaN) stops the run with exit 1 and FAILED, relaxations
checkpoint and resume, and the LLG relaxation reaches its tolerance through its own tolerance
ladder (muMAG SP4 at 5 nm: 50.8 A/m after 20,000 steps at a fixed rk45 rtol of 1e-5; with the
ladder 0.097 A/m after about 1,300 steps)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from spintorque import drive
from spintorque.cli import main
from spintorque.io.checkpoint import load_checkpoint
from spintorque.io.ovf import read_ovf
from spintorque.run_folder import run
from spintorque.simulation import SimulationError, build, run_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def film(relax: dict, seed: int = 3) -> dict:
    """16 x 8 x 1 permalloy film with stray field, random start (a few hundred iterations)."""
    return {
        "mesh": {"cell": [5e-9, 5e-9, 3e-9], "size": [80e-9, 40e-9, 3e-9]},
        "layer": [{"name": "film", "thickness": 3e-9, "material": "py",
                   "initial": {"random": {"seed": seed}}}],
        "material": {"py": {"Ms": 8e5, "A": 1.3e-11, "alpha": 0.02}},
        "relax": {"enabled": True, **relax},
        "run": {"duration": 0.0, "output_every": 1e-12},
    }


@pytest.mark.parametrize("method", ["minimize", "llg"])
def test_converged_relaxation_is_recorded(tmp_path, method):
    run_config(film({"method": method, "tol": 0.1}), tmp_path, progress=None)
    record = json.loads((tmp_path / "relaxed.json").read_text())
    assert record["method"] == method and record["converged"] is True
    assert record["reason"] == "converged" and record["max_torque"] < 0.1
    assert record["iterations"] > 0 and np.isfinite(record["energy"])
    assert json.loads((tmp_path / "DONE").read_text())["relax"] == record
    ck = load_checkpoint(tmp_path / "checkpoint.npz")
    assert ck.extra["relax"] == record


def test_unconverged_relaxation_stops_the_run(tmp_path, capsys):
    cfg = film({"method": "minimize", "max_iter": 10})
    with pytest.raises(SimulationError, match="did not converge: max_iter = 10 reached"):
        run_config(cfg, tmp_path / "a", progress=None)
    assert "allow_unconverged" in (tmp_path / "a" / "FAILED").read_text()
    assert not (tmp_path / "a" / "DONE").exists()
    assert json.loads((tmp_path / "a" / "relaxed.json").read_text())["converged"] is False
    # the CLI exits 1 (a numerical result, not bad input) with the message, no traceback
    cli = CliRunner().invoke(main, ["run", str(_write(tmp_path / "c.json", cfg)),
                                    "--out", str(tmp_path / "b")])
    assert cli.exit_code == 1 and "did not converge" in cli.output
    assert "Traceback" not in cli.output
    # allowed: a warning on stderr, the record says so, the run goes on
    cfg["relax"]["allow_unconverged"] = True
    capsys.readouterr()
    run_config(cfg, tmp_path / "c", progress=None)
    assert "warning: relaxation (minimize) did not converge" in capsys.readouterr().err
    assert json.loads((tmp_path / "c" / "DONE").read_text())["relax"]["converged"] is False


def _write(path: Path, cfg: dict) -> Path:
    """The config as TOML (the CLI reads TOML files)."""
    from spintorque.config import config_from_dict, dumps_toml

    path = path.with_suffix(".toml")
    path.write_text(dumps_toml(config_from_dict(copy.deepcopy(cfg))))
    return path


class _NaNField:
    name = "broken"

    def field(self, m, t=0.0, out=None):
        out = np.empty_like(m) if out is None else out
        out[...] = np.nan
        return out

    def energy(self, m, t=0.0):
        return float("nan")


@pytest.mark.parametrize("method", ["minimize", "llg"])
def test_nan_during_relaxation_fails_and_names_the_term(tmp_path, method):
    problem = build(film({"method": method}))
    problem.terms.append(_NaNField())
    with pytest.raises(SimulationError, match="the broken field is NaN/Inf"):
        run(problem, 0.0, output_every=1e-12, out=tmp_path, progress=None)
    assert "NaN" in (tmp_path / "FAILED").read_text()
    assert not (tmp_path / "DONE").exists()


class _Killed(Exception):
    pass


@pytest.mark.parametrize("method", ["minimize", "llg"])
def test_relaxation_killed_after_a_checkpoint_resumes_to_the_same_state(tmp_path, monkeypatch,
                                                                        method):
    cfg = film({"method": method, "tol": 0.1})
    cfg["run"]["checkpoint_every"] = 1e-9  # every block of the relaxation
    run_config(cfg, tmp_path / "ref", progress=None)
    from spintorque.dynamics import relax as relax_module

    real = relax_module.save_checkpoint
    saves = []

    def save_then_die(path, ck):
        real(path, ck)
        saves.append(ck.extra.get("stage"))
        if len(saves) == 3:
            raise _Killed

    monkeypatch.setattr(relax_module, "save_checkpoint", save_then_die)
    with pytest.raises(_Killed):
        run_config(cfg, tmp_path / "run", progress=None)
    assert saves == ["relax"] * 3 and not (tmp_path / "run" / "relaxed.ovf").exists()
    monkeypatch.setattr(relax_module, "save_checkpoint", real)
    lines = []
    run_config(cfg, tmp_path / "run", progress=lines.append)
    assert any("resuming the relaxation" in line for line in lines)
    ref = json.loads((tmp_path / "ref" / "relaxed.json").read_text())
    got = json.loads((tmp_path / "run" / "relaxed.json").read_text())
    assert got["resumed_at"] > 0 and got["iterations"] == ref["iterations"]
    assert abs(got["energy"] - ref["energy"]) <= 1e-12 * abs(ref["energy"])
    a = read_ovf(tmp_path / "ref" / "relaxed.ovf").values
    b = read_ovf(tmp_path / "run" / "relaxed.ovf").values
    assert np.max(np.abs(a - b)) / 8e5 < 1e-6


@pytest.mark.slow
def test_llg_relaxation_converges_on_sp4_with_defaults(tmp_path):
    """muMAG SP4 at 5 nm, method = "llg", tol = 0.1 A/m, nothing else set: converged, and in
    the minimizer's state (|dm| < 1e-5, energy to 1e-9: two routes to the same minimum)."""
    import tomllib

    with open(EXAMPLES / "sp4_field1.toml", "rb") as fh:
        base = tomllib.load(fh)
    base["run"]["duration"] = 0.0
    states = {}
    for method in ("llg", "minimize"):
        cfg = copy.deepcopy(base)
        cfg["relax"] = {"enabled": True, "method": method, "tol": 0.1}
        run_config(cfg, tmp_path / method, progress=None)
        states[method] = (json.loads((tmp_path / method / "relaxed.json").read_text()),
                          read_ovf(tmp_path / method / "relaxed.ovf").values / 8e5)
    record, m = states["llg"]
    assert record["converged"] and record["max_torque"] < 0.1
    assert record["iterations"] < 5000
    ref_record, ref_m = states["minimize"]
    assert np.max(np.abs(m - ref_m)) < 1e-5
    assert abs(record["energy"] - ref_record["energy"]) <= 1e-9 * abs(ref_record["energy"])


def test_drive_reports_nan_in_m(tmp_path):
    """The run loop's own check (the relaxation's has its own above)."""
    problem = build(film({"method": "minimize"}))
    problem.relaxation = None
    m = problem.m0.copy()
    m[0, 0, 0] = np.nan
    with pytest.raises(SimulationError, match="NaN/Inf in m"):
        drive.drive(problem, m, [drive.Stop(0.0)])
