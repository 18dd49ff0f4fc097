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


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"fm1": "fixed"}, "fm1"), ({"fm1": "uniform"}, "fm1"), ({"z_refine": 0}, "z_refine"),
     ({"z_refine": 17}, "z_refine"), ({"z_refine": 2.5}, "z_refine"),
     ({"z_refine": True}, "z_refine"), ({"t_fm2": 0.0}, "t_fm2"),
     ({"t_fm2": 5e-9}, "t_fm2"), ({"materials": "magnumfe-inconsistent"}, "materials"),
     ({"fm1_tilt": 1.0}, "fm1_tilt"), ({"fm1": "pinned", "fm1_tilt": 90.0}, "fm1_tilt"),
     ({"fm1": "pinned", "fm1_tilt": float("nan")}, "fm1_tilt")],
)
def test_new_options_refuse_bad_values_naming_the_field(changes, field):
    with pytest.raises(ValueError, match=field):
        preset("quick", **changes)  # 20 nm cells along z: a 5 nm FM2 does not tile


def test_new_options_keep_existing_digests_and_the_relaxed_state():
    base = preset("quick")
    assert preset("quick", fm1="random") == base  # the default, stored as None
    assert preset("quick", fm1="random").digest() == base.digest()
    assert "fm1" not in base.to_dict() and "z_refine" not in base.to_dict()
    refined = base.with_(z_refine=5)
    assert refined.digest() != base.digest()
    assert refined.digest(relax_only=True) == base.digest(relax_only=True)  # transport only
    pinned = base.with_(fm1="pinned")
    assert pinned.digest(relax_only=True) != base.digest(relax_only=True)
    assert TrilayerExperiment.from_dict(pinned.with_(z_refine=5).to_dict()) == \
        pinned.with_(z_refine=5)


def test_precision_option_reaches_the_stray_field_and_keeps_digests():
    base = preset("smoke")
    assert preset("smoke", precision="float64") == base  # the default, stored as None
    assert "precision" not in base.to_dict()
    single = base.with_(precision="float32")
    assert single.digest() != base.digest()
    assert single.digest(relax_only=True) == base.digest(relax_only=True)  # relaxes in float64
    assert TrilayerExperiment.from_dict(single.to_dict()) == single
    assert single.problem(1e11).term("demag").precision == "float32"
    assert base.problem(1e11).term("demag").precision == "float64"
    cfg = config_from_dict(single.to_config(1e11), check_memory=False)
    assert cfg.run.precision == "float32"
    with pytest.raises(ValueError, match="precision = 'float16'"):
        preset("smoke", precision="float16")


def test_t_fm2_and_z_refine_reach_the_grid_the_config_and_the_transport():
    exp = preset("quick", fm1="pinned", t_fm1=10e-9, t_fm2=2e-9, cell=(16e-9, 16e-9, 2e-9),
                 z_refine=3)
    assert exp.shape == (8, 4, 5 + 10 + 1)
    cfg = config_from_dict(exp.to_config(1e11), check_memory=False)
    assert cfg.grid_shape == exp.shape and cfg.transport.z_refine == 3
    assert [layer.thickness for layer in cfg.layer] == pytest.approx([10e-9, 20e-9, 2e-9])
    problem = exp.problem(1e11)
    assert [(name, k1 - k0) for name, k0, k1 in problem.sample.magnetic_layers()] == \
        [("FM1", 5), ("FM2", 1)]
    (drive,) = problem.drives
    assert drive.model.mesh.z_refine == 3


@pytest.mark.parametrize("materials", ["magnumfe", "magnumfe-consistent", "co"])
def test_pinned_fm1_is_its_own_material_with_the_free_layers_transport(materials):
    """A pinned FM1: uniform +x, Ku = PINNED_KU, gamma0 = PINNED_GAMMA0, and exactly the FM
    set's lambda_J and c (so the transport sees FM1 as before); the config validates."""
    from spintorque.experiments.trilayer import PINNED_GAMMA0, PINNED_KU

    exp = preset("smoke", fm1="pinned", materials=materials)
    problem = exp.problem(1e11)
    fm1, _, fm2 = problem.sample.materials
    assert (fm1.Ku, fm1.gamma0, fm1.axis) == (PINNED_KU, PINNED_GAMMA0, (1.0, 0.0, 0.0))
    assert fm1.effective_c_sd == pytest.approx(fm2.effective_c_sd, rel=1e-12)
    assert fm1.effective_lambda_J == pytest.approx(fm2.effective_lambda_J, rel=1e-12)
    assert fm1.Ms == fm2.Ms and fm2.Ku == MATERIAL_SETS[materials]["fm"]["Ku"]
    np.testing.assert_array_equal(problem.m0[problem.sample.mask("FM1")], [[1.0, 0.0, 0.0]] *
                                  int(problem.sample.mask("FM1").sum()))
    cfg = config_from_dict(exp.to_config(1e11), check_memory=False)
    assert cfg.layer[0].material == "fm1" and cfg.material["fm1"].gamma0 == PINNED_GAMMA0
    tilted = exp.with_(fm1_tilt=2.0).problem(1e11)
    want = (np.cos(np.radians(2.0)), np.sin(np.radians(2.0)), 0.0)
    np.testing.assert_allclose(tilted.sample.materials[0].axis, want, rtol=1e-12)
    np.testing.assert_allclose(tilted.m0[tilted.sample.mask("FM1")][0], want, rtol=1e-12)
    assert exp.with_(fm1_tilt=2.0).digest(relax_only=True) != exp.digest(relax_only=True)


def test_consistent_material_sets_give_one_j_sd():
    from spintorque.materials import Material

    def fm(name):
        d = MATERIAL_SETS[name]["fm"]
        return Material(**{k: tuple(v) if k == "axis" else v for k, v in d.items()})

    legacy, lam, c = fm("magnumfe"), fm("magnumfe-consistent"), fm("magnumfe-consistent-c")
    assert (legacy.effective_lambda_J, legacy.effective_c_sd) == (4e-9, 3.125e-3)
    assert lam.effective_lambda_J == pytest.approx(4e-9, rel=1e-12)
    assert lam.effective_c_sd == pytest.approx(8.88e-4, rel=2e-3)  # docs/theory/parameters.md
    assert c.effective_c_sd == pytest.approx(3.125e-3, rel=1e-12)
    assert c.effective_lambda_J == pytest.approx(2.13e-9, rel=2e-3)


def test_pinned_fm1_stays_uniform_under_current(tmp_path):
    """The polarizer holds: after relaxing and 0.1 ns at 4e12 A/m² (above every threshold
    measured with it), every FM1 cell is within 1e-3 of +x, while FM2 moves."""
    exp = preset("smoke", fm1="pinned", t_fm1=20e-9, duration=0.1e-9, z_refine=2)
    m0, info = relax_state(exp)
    problem = exp.problem(0.0)
    fm1 = problem.sample.mask("FM1")
    assert info["converged"] and np.all(m0[fm1][:, 0] > 1 - 1e-3)
    res = run_switching_point(exp, 400e10, out_dir=tmp_path / "run", relaxed=m0, figures=False,
                              checkpoint_every=None)
    m = np.load(res["files"]["final"])
    assert np.all(m[fm1][:, 0] > 1 - 1e-3)
    assert np.abs(m[problem.sample.mask("FM2")] - m0[problem.sample.mask("FM2")]).max() > 1e-2
    assert res["averages"]["FM1"][0] > 1 - 1e-3


def test_macrospin_estimate_of_the_polarizer_geometry():
    """The macrospin inputs are sane: FM2's demagnetizing factors add up to 1 and order as the
    box's edges, the pinned FM1's stray field opposes +x, each model's eta lies in (0, 1), and
    j_c follows the formula of spintorque.experiments.macrospin."""
    from spintorque.constants import E_CHARGE, HBAR, MU0
    from spintorque.experiments.macrospin import estimate

    exp = preset("quick", fm1="pinned", t_fm1=10e-9, t_fm2=10e-9, cell=(16e-9, 16e-9, 10e-9))
    e = estimate(exp)
    assert sum(e.N) == pytest.approx(1.0, abs=2e-3) and e.N[0] < e.N[1] < e.N[2]
    assert e.H_x < 0
    for model in ("diffusion", "moment"):
        assert 0 < e.eta[model] < 1 and 0 < e.eta_90[model] < 1
        want = (2 * E_CHARGE * e.alpha * MU0 * e.Ms * 10e-9 / HBAR) * e.stiffness / e.eta[model]
        assert e.j_c[model] == pytest.approx(want, rel=1e-12)


def test_transport_mode_default_keeps_the_archived_identities():
    """``transport_mode`` at its default (None or "quasistatic", stored as None) leaves the
    experiment's dict, digests and the run's Problem identity as before the option existed:
    the keys of the archived store data/model-difference/ens-quick/seed1 (diffusion
    7c8a1c79608a, moment 0d5394f1328d, relaxed state 60ee163d48ab) still match."""
    base = preset("quick", z_refine=5, seed=1)
    explicit = preset("quick", z_refine=5, seed=1, transport_mode="quasistatic")
    assert explicit == base and "transport_mode" not in explicit.to_dict()
    assert base.digest() == "7c8a1c79608a"
    assert base.with_(model="moment").digest() == "0d5394f1328d"
    assert base.digest(relax_only=True) == "60ee163d48ab"
    assert explicit.problem(1e12).identity() == base.problem(1e12).identity()
    implicit = base.with_(integrator="gspm", transport_mode="implicit")
    assert implicit.digest() != base.with_(integrator="gspm").digest()
    assert implicit.digest(relax_only=True) == base.digest(relax_only=True)  # same relaxed m
    assert TrilayerExperiment.from_dict(implicit.to_dict()) == implicit


def test_transport_mode_reaches_the_spin_accumulation_and_refuses_rk():
    exp = preset("smoke", integrator="gspm", transport_mode="implicit", z_refine=2)
    (drive,) = exp.problem(1e11).drives
    assert drive.mode == "implicit"
    (drive,) = exp.with_(transport_mode=None).problem(1e11).drives
    assert drive.mode == "quasistatic"
    cfg = config_from_dict(exp.to_config(1e11), check_memory=False)
    assert cfg.transport.mode == "implicit" and cfg.run.integrator == "gspm"
    assert "mode" not in exp.with_(transport_mode=None).to_config(1e11)["transport"]
    for integrator in ("rk45", "rk43"):  # Runge-Kutta stages go back in time
        with pytest.raises(ValueError, match=r"transport_mode = 'implicit' needs integrator "
                                             r"'gspm'"):
            exp.with_(integrator=integrator)
    with pytest.raises(ValueError, match="transport_mode"):
        exp.with_(transport_mode="explicit")


def test_implicit_transport_mode_agrees_with_the_quasistatic_one():
    """On a tiny pillar (2 × 2 × 5 cells of 16 × 16 × 10 nm, FM1 random) under gspm at 0.1 ps,
    100 ps at 5e12 A/m²: the time-dependent s (from 0 at switch-on, one implicit Euler step per
    LLG step) relaxes over τ ≈ |1/(1/τ_sf + i/τ_J)| = 16 fs (diffusion) and within about one
    step, both ≪ the 100 ps over which m moves, so the current-driven change of FM2's average
    (run at j minus run at 0) agrees with the quasistatic run's to the lag over the run time:
    measured 0.26 % (diffusion) and 0.71 % (moment; a lag of 0.7 ps), the final s in FM2 within
    0.7 % of the largest |s|; accepted below 2 %."""
    from spintorque.dynamics.integrators import make_integrator

    base = TrilayerExperiment(length=32e-9, width=32e-9, t_fm1=20e-9, t_spacer=10e-9,
                              t_fm2=20e-9, cell=(16e-9, 16e-9, 10e-9), z_refine=2,
                              integrator="gspm", dt=1e-13, seed=3)
    m0, _ = relax_state(base)

    def run(model, mode, j):
        problem = base.with_(model=model, transport_mode=mode).problem(j)
        m = make_integrator("gspm", problem.llg, dt=1e-13).advance(0.0, m0.copy(), 100e-12)
        (drive,) = problem.drives
        fm2 = problem.sample.mask("FM2")
        return problem.sample.average(m, "FM2"), drive.s[fm2]

    for model in ("diffusion", "moment"):
        still, _ = run(model, "quasistatic", 0.0)
        (mq, sq), (mi, si) = (run(model, mode, 5e12) for mode in ("quasistatic", "implicit"))
        driven_q, driven_i = mq - still, mi - still
        assert np.linalg.norm(driven_q) > 1e-2  # the current moved FM2
        assert np.linalg.norm(driven_i - driven_q) < 2e-2 * np.linalg.norm(driven_q), model
        assert np.abs(si - sq).max() < 2e-2 * np.abs(sq).max(), model
