"""The driver: build from a config dict, outputs of a short run, initial states, guards."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spintorque import simulation
from spintorque.constants import GAMMA0, MU0
from spintorque.io.checkpoint import load_checkpoint
from spintorque.io.ovf import read_ovf, write_magnetization
from spintorque.io.table import TableWriter, read_table, truncate_rows
from spintorque.outputs import TableFormat
from spintorque.problem import Problem
from spintorque.simulation import SimulationError, build, output_stops, run_config

PY = {"Ms": 8e5, "A": 1.3e-11, "alpha": 0.02}


def film(**over) -> dict:
    cfg = {
        "mesh": {"cell": [5e-9, 5e-9, 3e-9], "size": [40e-9, 20e-9, 3e-9]},
        "layer": [{"name": "film", "thickness": 3e-9, "material": "py",
                   "initial": {"uniform": [1, 1, 0]}}],
        "material": {"py": dict(PY)},
        "demag": {"enabled": False},
        "run": {"duration": 2e-12, "output_every": 1e-12},
    }
    cfg.update(over)
    return cfg


def trilayer(**over) -> dict:
    cfg = {
        "mesh": {"cell": [4e-9, 4e-9, 4e-9], "size": [16e-9, 8e-9, 20e-9]},
        "layer": [
            {"name": "FM1", "thickness": 8e-9, "material": "py", "initial": {"uniform": [0, 0, 1]}},
            {"name": "spacer", "thickness": 4e-9, "material": "cu"},
            {"name": "FM2", "thickness": 8e-9, "material": "py", "initial": {"uniform": [1, 0, 0]}},
        ],
        "material": {"py": {**PY, "D0": 1e-3, "beta": 0.9, "beta_prime": 0.8,
                            "lambda_sf": 10e-9, "lambda_J": 4e-9, "c_sd": 3.125e-3},
                     "cu": {"Ms": 0.0, "D0": 5e-3, "lambda_sf": 10e-9}},
        "demag": {"enabled": False},
        "run": {"duration": 1e-12, "output_every": 2e-13},
    }
    cfg.update(over)
    return cfg


def test_macrospin_table_matches_analytic_precession(tmp_path):
    # one cell in mu0*H = 0.1 T along z, no exchange/anisotropy/demag: docs/theory/llg.md (analytic
    # checks)
    alpha, b, theta0 = 0.1, 0.1, math.radians(30)
    cfg = film(mesh={"cell": [5e-9, 5e-9, 3e-9], "size": [5e-9, 5e-9, 3e-9]},
               material={"py": {"Ms": 8e5, "A": 0.0, "alpha": alpha}},
               field={"B": [0, 0, b]},
               run={"duration": 5e-10, "output_every": 5e-12, "rtol": 1e-10, "dt": 1e-14})
    cfg["layer"][0]["initial"] = {"uniform": [math.sin(theta0), 0, math.cos(theta0)]}
    run_config(cfg, tmp_path, progress=None)
    cols, data = read_table(tmp_path / "table.tsv")
    assert cols[:4] == ["t (s)", "mx", "my", "mz"]
    assert data.shape == (101, len(cols))
    t = data[:, 0]
    assert np.allclose(t, np.arange(101) * 5e-12, rtol=1e-15, atol=0)
    h = b / MU0
    theta = 2 * np.arctan(np.tan(theta0 / 2) * np.exp(-alpha * GAMMA0 * h * t / (1 + alpha**2)))
    phi = GAMMA0 * h * t / (1 + alpha**2)
    exact = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], 1)
    # rk45 at rtol 1e-10 over ~1.5 turns: global error well below the 1e-6
    assert np.abs(data[:, 1:4] - exact).max() < 1e-6
    # Zeeman energy -mu0 Ms V m.H and the total of the only term
    volume = 5e-9 * 5e-9 * 3e-9
    e_z = data[:, cols.index("E_zeeman (J)")]
    assert np.allclose(e_z, -8e5 * volume * b * data[:, 3], rtol=1e-12)
    col = {name: data[:, k] for k, name in enumerate(cols)}
    assert np.array_equal(col["E_total (J)"], col["E_zeeman (J)"] + col["E_exchange (J)"])
    # max|m x H| = H sin(theta)
    assert np.allclose(data[:, cols.index("max|mxH| (A/m)")], h * np.sin(theta), rtol=1e-6)


def test_layer_columns_and_initial_states(tmp_path):
    cfg = trilayer()
    cfg["layer"][0]["initial"] = {"random": {"seed": 5}}
    cfg["layer"][2]["initial"] = {"vortex": {"polarity": -1, "chirality": -1,
                                             "core_radius": 3e-9}}
    sim = build(cfg)
    m = sim.m0
    grid = sim.sample.grid
    assert grid.shape == (4, 2, 5)
    # random: unit vectors, reproducible from the seed alone
    assert np.allclose(np.linalg.norm(m[:, :, :2], axis=-1), 1.0, rtol=0, atol=1e-15)
    assert np.array_equal(build(cfg).m0, m)
    assert np.all(m[:, :, 2] == 0.0)  # spacer
    # vortex m ∝ (-c (y - yc), c (x - xc), p R), centre in the middle by default
    x, y = grid.centers(0)[:, None] - 8e-9, grid.centers(1)[None, :] - 4e-9
    v = np.stack(np.broadcast_arrays(y, -x, np.full_like(x * y, -3e-9)), -1)
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    assert np.allclose(m[:, :, 3], v, rtol=0, atol=1e-15)
    assert np.allclose(m[:, :, 4], v, rtol=0, atol=1e-15)
    cols = TableFormat(sim).columns()
    assert cols[:10] == ["t (s)", "mx", "my", "mz", "mx_FM1", "my_FM1", "mz_FM1",
                         "mx_FM2", "my_FM2", "mz_FM2"]
    row = TableFormat(sim).row(0.0, m)
    assert np.allclose(row[1:4], m[sim.sample.magnetic].mean(axis=0), rtol=1e-14)
    assert np.allclose(row[4:7], m[:, :, :2].reshape(-1, 3).mean(axis=0), rtol=1e-14)
    # an initial state from a file (written in A/m): read back exactly up to normalisation
    path = write_magnetization(tmp_path / "start.ovf", m, sim.sample.param("Ms"), grid)
    for layer in cfg["layer"]:
        layer["initial"] = {"file": str(path)} if layer["material"] == "py" else None
    assert np.allclose(build(cfg).m0, m, rtol=0, atol=1e-15)


def test_time_dependent_field():
    cfg = film(field={"B": [0.01, 0, 0],
                      "time": {"kind": "sine", "amplitude": [0, 0.002, 0], "frequency": 1e9,
                               "phase": 0.5}})
    sim = build(cfg)
    zeeman = next(term for term in sim.all_terms if term.name == "zeeman")
    t = 3.1e-10
    h = zeeman.field(sim.m0, t)
    expect = np.array([0.01, 0.002 * math.sin(2 * math.pi * 1e9 * t + 0.5), 0.0]) / MU0
    assert np.allclose(h[0, 0, 0], expect, rtol=1e-14)


def test_snapshots_and_final_state(tmp_path):
    cfg = film(run={"duration": 4e-12, "output_every": 1e-12, "snapshot_every": 2e-12})
    result = run_config(cfg, tmp_path, progress=None)
    names = sorted(p.name for p in tmp_path.glob("m_*.ovf"))
    assert names == ["m_000000.ovf", "m_000001.ovf", "m_000002.ovf"]  # t = 0, 2, 4 ps
    final = read_ovf(tmp_path / "final.ovf")
    assert final.units == ["A/m"] * 3
    assert np.array_equal(final.values, result.m * 8e5)
    assert np.array_equal(read_ovf(tmp_path / names[-1]).values, final.values)
    assert (tmp_path / "DONE").exists()


def test_output_stops_merge():
    stops = output_stops(1e-11, 1e-12, 2.5e-12)
    assert len([s for s in stops if s.row]) == 11
    assert [round(s.t * 1e13) for s in stops if s.snapshot] == [0, 25, 50, 75, 100]
    assert [(s.t, s.row, s.snapshot) for s in output_stops(0.0, 1e-12)] == [(0.0, True, False)]
    last = output_stops(2.5e-12, 1e-12)[-1]
    assert (last.t, last.row, last.snapshot) == (2.5e-12, True, False)


@pytest.mark.parametrize("method", ["llg", "minimize"])
def test_relaxation_reaches_easy_axis(tmp_path, method):
    # anisotropy along x, start 60° away, applied field ignored while relaxing: ends along +x
    cfg = film(material={"py": {**PY, "Ku": 5e4, "axis": [1, 0, 0]}},
               field={"B": [0, 0.5, 0]},
               relax={"enabled": True, "method": method, "tol": 1.0},
               run={"duration": 0.0, "output_every": 1e-12})
    cfg["layer"][0]["initial"] = {"uniform": [0.5, math.sqrt(3) / 2, 0]}
    result = run_config(cfg, tmp_path, progress=None)
    # max|m x H| < 1 A/m with H_K = 2 Ku/(mu0 Ms) ≈ 1e5 A/m: angle < 1e-5 rad
    assert result.relax["converged"]
    assert np.abs(result.m[..., 0] - 1.0).max() < 1e-9
    assert read_table(tmp_path / "table.tsv")[1].shape[0] == 1


class _Fault:
    """A field term that misbehaves from time ``t_bad`` on."""

    name = "fault"

    def __init__(self, kind: str, t_bad: float):
        self.kind, self.t_bad = kind, t_bad

    def field(self, m, t=0.0, out=None):
        out = np.zeros_like(m) if out is None else out
        out[...] = 0.0
        if t > self.t_bad:
            if self.kind == "nan":
                out[0, 0, 0, 0] = np.nan
            elif self.kind == "collapse":
                # a huge field that changes at every evaluation: no step is ever accurate
                seed = int.from_bytes(np.float64(t).tobytes(), "little")
                out[...] = 1e15 * np.random.default_rng(seed).normal(size=m.shape)
            else:
                raise RuntimeError("transport bicgstab solve did not converge")
        return out

    def energy(self, m, t=0.0):
        return 0.0


@pytest.mark.parametrize("kind", ["nan", "solver", "collapse"])
def test_numerical_fault_stops_with_message_and_keeps_checkpoint(tmp_path, monkeypatch, kind):
    real_build = simulation.build

    def faulty_build(cfg):
        sim = real_build(cfg)
        sim.llg.field.terms.append(_Fault(kind, 5.5e-12))
        return sim

    monkeypatch.setattr(simulation, "build", faulty_build)
    cfg = film(run={"duration": 1e-11, "output_every": 1e-12, "checkpoint_every": 1e-9})
    with pytest.raises(SimulationError) as info:
        run_config(cfg, tmp_path, progress=None)
    text = str(info.value)
    assert "t = 5e-12 s" in text  # the last good time, where the failing step started
    cause = {"nan": "NaN", "solver": "did not converge", "collapse": "step size collapsed"}
    assert cause[kind] in text
    assert "last good checkpoint" in text
    assert (tmp_path / "FAILED").read_text().strip() == text
    ck = load_checkpoint(tmp_path / "checkpoint.npz")
    assert ck.t == 5e-12 and np.isfinite(ck.m).all()
    data = read_table(tmp_path / "table.tsv")[1]
    assert data.shape[0] == 6 and np.isfinite(data).all()
    assert not (tmp_path / "DONE").exists()


def test_nan_in_state_caught_after_step(tmp_path, monkeypatch):
    # an integrator that returns NaN without raising: the driver's own check must stop the run
    real = Problem.integrator

    def make(self):
        integ = real(self)
        advance = integ.advance

        def bad_advance(t0, m, t1):
            m = advance(t0, m, t1)
            return m * np.nan if t1 > 2.5e-12 else m

        integ.advance = bad_advance
        return integ

    monkeypatch.setattr(Problem, "integrator", make)
    with pytest.raises(SimulationError, match=r"t = 3e-12 s: NaN/Inf in m"):
        run_config(film(run={"duration": 1e-11, "output_every": 1e-12}), tmp_path,
                   progress=None)


@pytest.mark.parametrize("integrator,mode,update", [
    ("rk45", "quasistatic", "evaluation"), ("rk45", "quasistatic", "step"),
    ("rk43", "quasistatic", "accepted"), ("rk45", "quasistatic", "corrected"),
    ("gspm", "quasistatic", "step"),
    ("gspm", "implicit", "step"),
])
def test_transport_run_resumes_exactly(tmp_path, monkeypatch, integrator, mode, update):
    # spin-diffusion trilayer: the resumed run must restore the solver's warm start (and, in the
    # time-dependent mode, s and the time of its last step), or the iterative transport solves
    # would differ from the uninterrupted run
    cfg = trilayer(transport={"model": "diffusion", "current_density": 1e11, "mode": mode},
                   run={"duration": 1e-12, "output_every": 2e-13, "checkpoint_every": 1e-9,
                        "integrator": integrator, "dt": 2e-14, "transport_update": update})
    ref = run_config(cfg, tmp_path / "ref", progress=None)
    cols, ref_table = read_table(tmp_path / "ref" / "table.tsv")
    assert cols[-3:] == ["|s|_FM1 (A/m)", "|s|_spacer (A/m)", "|s|_FM2 (A/m)"]
    assert np.all(ref_table[1:, -3:] > 0)

    class Killed(BaseException):
        pass

    real_append = TableWriter.append

    def append_then_die(self, values):
        real_append(self, values)
        if self.rows == 4:
            raise Killed

    monkeypatch.setattr(TableWriter, "append", append_then_die)
    with pytest.raises(Killed):
        run_config(cfg, tmp_path / "cut", progress=None)
    monkeypatch.setattr(TableWriter, "append", real_append)
    assert load_checkpoint(tmp_path / "cut" / "checkpoint.npz").rows == 3
    result = run_config(cfg, tmp_path / "cut", progress=None)
    assert result.resumed
    assert np.abs(result.m - ref.m).max() <= 1e-12
    table = read_table(tmp_path / "cut" / "table.tsv")[1]
    assert table.shape == ref_table.shape
    assert np.abs(table - ref_table).max() <= 1e-12 * np.abs(ref_table).max()


def test_row_energies_equal_the_terms_own():
    # the row reuses one field evaluation per term; it must give each term's own energy and
    # LLG.max_torque (same formulas, so agreement to round-off: 1e-12 relative)
    cfg = film(material={"py": {**PY, "Ku": 1e4, "axis": [0, 1, 0]}},
               field={"B": [0.01, 0.02, -0.03]}, demag={"enabled": True})
    cfg["layer"][0]["initial"] = {"random": {"seed": 9}}
    sim = build(cfg)
    t, m = 0.0, sim.m0
    cols, row = TableFormat(sim).columns(), TableFormat(sim).row(t, sim.m0)
    assert [c for c in cols if c.startswith("E_")] == [
        "E_exchange (J)", "E_anisotropy (J)", "E_demag (J)", "E_zeeman (J)", "E_total (J)"]
    for term in sim.all_terms:
        own = term.energy(m, t)
        assert abs(row[cols.index(f"E_{term.name} (J)")] - own) <= 1e-12 * abs(own)
    assert math.isclose(row[cols.index("max|mxH| (A/m)")], sim.llg.max_torque(m, t), rel_tol=1e-12)


@pytest.mark.parametrize("integrator", ["rk45", "gspm"])
def test_interrupted_run_resumes_exactly(tmp_path, monkeypatch, integrator):
    # in-process stand-in for a kill (the SIGKILL test is in test_checkpoint.py): die right after
    # a row that no checkpoint covers; the resumed run must cut that row and redo it exactly
    cfg = film(layer=[{"name": "film", "thickness": 3e-9, "material": "py",
                       "initial": {"random": {"seed": 4}}}],
               field={"B": [-0.02, 0.005, 0.0]},
               run={"duration": 2e-11, "output_every": 1e-12, "integrator": integrator,
                    "dt": 2.5e-13, "checkpoint_every": 1e-9})
    ref = run_config(cfg, tmp_path / "ref", progress=None)
    ref_table = read_table(tmp_path / "ref" / "table.tsv")[1]

    class Killed(BaseException):
        pass

    real_append = TableWriter.append

    def append_then_die(self, values):
        real_append(self, values)
        if self.rows == 13:
            raise Killed

    monkeypatch.setattr(TableWriter, "append", append_then_die)
    with pytest.raises(Killed):
        run_config(cfg, tmp_path / "cut", progress=None)
    monkeypatch.setattr(TableWriter, "append", real_append)
    assert read_table(tmp_path / "cut" / "table.tsv")[1].shape[0] == 13
    result = run_config(cfg, tmp_path / "cut", progress=None)
    assert result.resumed and np.abs(result.m - ref.m).max() <= 1e-12
    assert np.array_equal(read_table(tmp_path / "cut" / "table.tsv")[1], ref_table)
    # a table that lost rows behind the checkpoint's back cannot be resumed silently
    (tmp_path / "ref" / "DONE").unlink()
    truncate_rows(tmp_path / "ref" / "table.tsv", 5)
    with pytest.raises(simulation.ResumeError, match="cannot resume"):
        run_config(cfg, tmp_path / "ref", progress=None)


def test_initial_file_of_wrong_shape_refused(tmp_path):
    from spintorque.io.errors import UserError
    from spintorque.mesh import Grid

    grid = Grid((3, 3, 1), (5e-9, 5e-9, 3e-9))
    path = write_magnetization(tmp_path / "small.ovf", np.ones(grid.vshape), np.ones(grid.shape),
                               grid)
    cfg = film()
    cfg["layer"][0]["initial"] = {"file": str(path)}
    # refused when the config is validated (the file is opened there), naming the file
    with pytest.raises(UserError, match=r"initial.file.*small.ovf.*\(3, 3, 1\)"):
        build(cfg)


def test_driver_needs_no_transport_package_without_transport(monkeypatch):
    import sys

    # a None entry makes any import of the module fail, as if it were not installed
    monkeypatch.setitem(sys.modules, "spintorque.transport.coupling", None)
    sim = build(film())
    assert sim.term("spin_accumulation") is None and [t.name for t in sim.all_terms] == ["exchange"]
    with pytest.raises(ImportError):
        build(trilayer(transport={"model": "diffusion", "current_density": 1e11}))


def test_time_dependent_transport_needs_gspm():
    with pytest.raises(ValueError, match="transport.mode.*needs run.integrator .gspm."):
        build(trilayer(transport={"model": "diffusion", "current_density": 1e11,
                                  "mode": "implicit"}))


def test_local_torques_from_config():
    cfg = film(torque={"slonczewski": {"current_density": -6.25e11, "p": [0, 1, 0],
                                       "region": "film"}},
               run={"duration": 1e-12, "output_every": 1e-12, "alpha": 0.05})
    sim = build(cfg)
    assert [tq.name for tq in sim.torques] == ["slonczewski"]
    assert np.all(sim.llg.alpha == 0.05)  # run.alpha overrides the material's 0.02
    cfg = film(torque={"zhang_li": {"current_density": [1e12, 0, 0], "P": 0.5, "xi": 0.05}})
    assert [tq.name for tq in build(cfg).torques] == ["zhang_li"]


def test_run_dt_max_caps_the_rk45_step():
    sim = build(film(run={"duration": 2e-12, "output_every": 1e-12, "dt_max": 5e-14}))
    integ = sim.integrator()
    assert integ.dt_max == 5e-14
    t, m = 0.0, sim.m0
    for _ in range(20):
        t_new, m = integ.step(t, m)
        assert t_new - t <= 5e-14 * (1 + 1e-12)
        t = t_new
