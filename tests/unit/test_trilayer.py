"""The trilayer experiment object: its config validates, bad input is refused, and one very coarse
switching run goes through the real driver (relax, current, classify, TMR, figures)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spintorque.config import config_from_dict
from spintorque.experiments.runner import motion, relax_state, run_switching_point, settled
from spintorque.experiments.trilayer import MATERIAL_SETS, TrilayerExperiment, preset
from spintorque.io.table import read_table


@pytest.mark.parametrize("materials", sorted(MATERIAL_SETS))
@pytest.mark.parametrize("name", ["quick", "medium", "full", "smoke"])
def test_presets_give_valid_configs(name, materials):
    exp = preset(name, materials=materials, model="moment")
    cfg = config_from_dict(exp.to_config(9.7e10), check_memory=False)
    assert cfg.grid_shape == exp.shape
    assert [layer.name for layer in cfg.layer] == ["FM1", "spacer", "FM2"]
    assert cfg.transport.model == "moment" and cfg.transport.current_density == 9.7e10
    assert cfg.mesh.size[2] == pytest.approx(280e-9, rel=1e-12)  # 200 + 20 + 60 nm


def test_full_preset_is_the_talks_device():
    exp = preset("full")
    assert exp.shape == (32, 16, 70)  # 128 x 64 x 280 nm at 4 nm
    fm = MATERIAL_SETS["magnumfe"]["fm"]
    assert (fm["Ms"], fm["A"], fm["Ku"], fm["lambda_J"]) == (8.0e5, 1.3e-11, 500.0, 4e-9)


def test_round_trip_and_digests():
    exp = preset("quick", t_fm1=100e-9)
    again = TrilayerExperiment.from_dict(json.loads(json.dumps(exp.to_dict())))
    assert again == exp and again.digest() == exp.digest()
    other = exp.with_(model="moment")
    assert other.digest() != exp.digest()
    assert other.digest(relax_only=True) == exp.digest(relax_only=True)  # same relaxed state
    # optional fields at None are left out, so adding one keeps existing digests (stored sweeps)
    assert "dt_max" not in exp.to_dict()
    capped = exp.with_(dt_max=2.5e-13)
    assert capped.digest() != exp.digest()
    assert capped.digest(relax_only=True) == exp.digest(relax_only=True)
    assert TrilayerExperiment.from_dict(capped.to_dict()) == capped


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"t_spacer": 22e-9}, "t_spacer"), ({"model": "drift"}, "model"),
     ({"length": -1.0}, "length"), ({"materials": "iron"}, "materials"),
     ({"P_L": 1.0}, "P_L"), ({"cell": (4e-9, 4e-9)}, "cell"), ({"seed": -1}, "seed"),
     ({"dt_max": 0.0}, "dt_max"), ({"transport_update": "stage"}, "transport_update"),
     ({"transport_update": "accepted", "integrator": "gspm"}, "transport_update")],
)
def test_bad_input_names_the_field(changes, field):
    with pytest.raises(ValueError, match=field):
        TrilayerExperiment(**changes)
    with pytest.raises(ValueError, match="current_density"):
        TrilayerExperiment().to_config(float("nan"))


def test_settle_criterion():
    t = np.arange(0, 11) * 0.1e-9
    a = np.zeros((11, 3))
    a[:, 0] = np.where(t < 0.55e-9, 1 - t / 1e-9, 0.45)  # moves, then frozen from 0.6 ns
    assert settled(t, a, window=0.4e-9, tol=1e-3)
    assert not settled(t, a, window=0.6e-9, tol=1e-3)  # the window reaches back into the motion
    assert not settled(t[:3], a[:3], window=0.4e-9, tol=1.0)  # not enough history


def test_smoke_switching_point(tmp_path):
    """16 nm cells, 0.05 ns: the whole path through the real driver and transport."""
    exp = preset("smoke", duration=0.05e-9, output_every=0.01e-9)
    m0, info = relax_state(exp, tmp_path / "relaxed.npy")
    assert info["converged"] and (tmp_path / "relaxed.npy").is_file()
    res = run_switching_point(exp, 12e10, out_dir=tmp_path / "run", relaxed=tmp_path /
                              "relaxed.npy")
    json.dumps(res, allow_nan=False)  # goes into the store as strict JSON
    assert res["t_end"] == pytest.approx(0.05e-9, rel=1e-9)
    assert res["state"].startswith("FM2 ") and res["label"].startswith("FM1 ")
    assert set(res["averages"]) == {"FM1", "FM2"}
    assert set(res["motion"]) == {"FM1", "FM2"} and all(v >= 0 for v in res["motion"].values())
    assert 0 <= res["tmr"]["tmr"] <= res["tmr"]["tmr_max"]
    for key in ("table", "final", "mt", "layers"):
        assert (tmp_path / "run").joinpath(res["files"][key]).is_file()
    table = read_table(tmp_path / "run" / "table.tsv")
    assert table.rows == 6  # t = 0, 0.01, ..., 0.05 ns
    np.testing.assert_allclose(table.time, np.linspace(0, 0.05e-9, 6), rtol=1e-9, atol=1e-24)
    # j = 0: both transport models must leave the relaxed state exactly where the other does
    finals = []
    for model in ("diffusion", "moment"):
        r = run_switching_point(exp.with_(model=model, duration=0.02e-9), 0.0,
                                out_dir=tmp_path / model, relaxed=m0, figures=False)
        finals.append(np.load(r["files"]["final"]))
    np.testing.assert_allclose(finals[0], finals[1], rtol=0, atol=1e-12)


class _Killed(Exception):
    pass


@pytest.mark.parametrize("stepping", [
    {}, {"integrator": "rk43", "transport_update": "accepted", "transport_rtol": 1e-3}])
def test_switching_point_resumes_bit_for_bit_from_its_checkpoint(tmp_path, monkeypatch,
                                                                  stepping):
    """A run killed after a checkpoint continues from it and ends exactly where an uninterrupted
    run ends (same m to the last bit, same table), and the checkpoint is gone at the end; also
    when the FSAL stage mixes a predicted and a solved s (``"accepted"``: it is checkpointed)."""
    from spintorque import drive

    exp = preset("smoke", duration=0.05e-9, output_every=0.01e-9, model="moment", **stepping)
    m0, _ = relax_state(exp, tmp_path / "relaxed.npy")
    ref = run_switching_point(exp, 12e10, out_dir=tmp_path / "ref", relaxed=m0, figures=False,
                              checkpoint_every=None)
    saves = []
    real_save = drive.save_checkpoint

    def save_then_die(path, ck):
        real_save(path, ck)
        saves.append(ck.t)
        if len(saves) == 2:  # killed just after the checkpoint at t = 0.02 ns
            raise _Killed

    monkeypatch.setattr(drive, "save_checkpoint", save_then_die)
    with pytest.raises(_Killed):
        run_switching_point(exp, 12e10, out_dir=tmp_path / "run", relaxed=m0, figures=False,
                            checkpoint_every=0.0)
    assert (tmp_path / "run" / "checkpoint.npz").is_file()
    assert saves == pytest.approx([0.01e-9, 0.02e-9], rel=1e-12)
    monkeypatch.setattr(drive, "save_checkpoint", real_save)
    res = run_switching_point(exp, 12e10, out_dir=tmp_path / "run", relaxed=m0, figures=False,
                              checkpoint_every=0.0)
    assert res["resumed_at"] == pytest.approx(0.02e-9, rel=1e-12)
    np.testing.assert_array_equal(np.load(res["files"]["final"]), np.load(ref["files"]["final"]))
    assert (tmp_path / "run" / "table.tsv").read_text() == (tmp_path / "ref" /
                                                           "table.tsv").read_text()
    assert res["steps"] == ref["steps"] and res["state_detail"] == ref["state_detail"]
    assert not (tmp_path / "run" / "checkpoint.npz").exists()
    # a checkpoint of another run (other current) in the folder is not used
    monkeypatch.setattr(drive, "save_checkpoint", save_then_die)
    saves.clear()
    with pytest.raises(_Killed):
        run_switching_point(exp, 12e10, out_dir=tmp_path / "other", relaxed=m0, figures=False,
                            checkpoint_every=0.0)
    monkeypatch.setattr(drive, "save_checkpoint", real_save)
    other = run_switching_point(exp, 6e10, out_dir=tmp_path / "other", relaxed=m0,
                                figures=False, checkpoint_every=0.0)
    assert other["resumed_at"] is None


def test_motion_measures_the_last_window_only():
    t = np.arange(0, 21) * 0.1e-9
    a = np.zeros((21, 3))
    a[:, 0] = np.cos(2 * np.pi * t / 0.4e-9)  # precesses with period 0.4 ns ...
    a[t > 1.05e-9, 0] = 0.3  # ... then rests from 1.1 ns
    assert motion(t, a, window=0.5e-9) == 0.0
    assert motion(t, a, window=1.2e-9) == pytest.approx(2.0)  # reaches back to a full swing


def test_moving_threshold_labels_a_moving_fm2_and_keeps_digests(tmp_path):
    """With ``moving_threshold`` FM2 is "FM2 moving" when its motion exceeds it; the option
    left at None leaves every existing experiment's digest (and so stored sweeps) unchanged,
    and it never changes the relaxed state's digest."""
    base = preset("smoke", duration=0.05e-9, output_every=0.01e-9)
    assert "moving_threshold" not in base.to_dict()
    strict = base.with_(moving_threshold=0.0)
    assert strict.digest() != base.digest()
    assert strict.digest(relax_only=True) == base.digest(relax_only=True)
    m0, _ = relax_state(base, tmp_path / "relaxed.npy")
    kw = {"relaxed": m0, "figures": False, "checkpoint_every": None}
    still = run_switching_point(base, 12e10, **kw)
    moving = run_switching_point(strict, 12e10, **kw)
    lenient = run_switching_point(base.with_(moving_threshold=10.0), 12e10, **kw)
    assert moving["motion"]["FM2"] > 0 and moving["state"] == "FM2 moving"
    assert lenient["state"] == still["state"] != "FM2 moving"
    assert moving["state_detail"] == still["state_detail"]  # the snapshot's label is kept
    with pytest.raises(ValueError, match="moving_threshold"):
        base.with_(moving_threshold=-0.1)
