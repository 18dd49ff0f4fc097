"""muMAG standard problem 4 (field 1) against published trajectories.

References (in the ``refdata`` folder that tests/conftest.py locates): magnum.np at 5 nm cells
(zc ≈ 138.6 ps) and OOMMF at 2.5 nm cells (zc = 138.50 ps). Tolerances from the issue: relaxed
S-state within 3e-3 of (0.967, 0.125, 0) (the spread between minimizers and meshes), first zero
crossing of <mx> within 2 ps of the reference at the same mesh (independent codes agree to 1-2 ps),
trajectory RMS ≤ 0.02 over 1 ns (solver-to-solver parity used elsewhere; trajectories spread by a
few hundredths late in the run).
"""

from __future__ import annotations

import numpy as np
import pytest

from spintorque import Grid, Material, Sample
from spintorque.dynamics import LLG
from spintorque.dynamics.integrators import make_integrator
from spintorque.dynamics.minimize import minimize
from spintorque.fields import EffectiveField, Exchange, Zeeman
from spintorque.fields.demag import Demag

PY = Material("py", Ms=8.0e5, A=1.3e-11, alpha=0.02)
FIELD1 = (-24.6e-3, 4.3e-3, 0.0)  # T


def zero_crossing(t: np.ndarray, mx: np.ndarray) -> float:
    """Time of the first sign change of <mx>, linear interpolation [s]."""
    k = int(np.nonzero((mx[:-1] > 0) & (mx[1:] <= 0))[0][0])
    return float(t[k] + (t[k + 1] - t[k]) * mx[k] / (mx[k] - mx[k + 1]))


def relaxed_s_state(cell: float) -> tuple[Sample, np.ndarray, list]:
    grid = Grid((round(500e-9 / cell), round(125e-9 / cell), 1), (cell, cell, 3e-9))
    sample = Sample.uniform(grid, PY)
    terms = [Exchange(sample), Demag(sample)]
    llg = LLG(sample, EffectiveField(terms, grid.vshape))
    m = np.zeros(grid.vshape)
    m[...] = np.array([1.0, 0.25, 0.1]) / np.linalg.norm([1.0, 0.25, 0.1])
    result = minimize(llg, m)
    assert result.converged
    return sample, result.m, terms


def run_sp4(
    cell: float, integrator: str, times: np.ndarray, **options
) -> tuple[np.ndarray, np.ndarray]:
    sample, m, terms = relaxed_s_state(cell)
    field = EffectiveField([*terms, Zeeman(sample, B=FIELD1)], sample.grid.vshape)
    llg = LLG(sample, field)
    integ = make_integrator(integrator, llg, **options)
    out = np.empty((len(times), 3))
    t = 0.0
    for i, t_out in enumerate(times):
        m = integ.advance(t, m, float(t_out))
        t = float(t_out)
        out[i] = m.reshape(-1, 3).mean(axis=0)
    return out, m


@pytest.fixture(scope="module")
def magnumnp_ref(refdata):
    return np.loadtxt(refdata / "magnum.np__sp4_ref_m_test.dat")


@pytest.fixture(scope="module")
def oommf_ref(refdata):
    return np.loadtxt(refdata / "fidimag__std4_oommf.txt")


def test_relaxed_s_state_5nm():
    sample, m, _ = relaxed_s_state(5e-9)
    avg = m.reshape(-1, 3).mean(axis=0)
    assert np.allclose(avg, [0.967, 0.125, 0.0], atol=3e-3), avg


@pytest.fixture(scope="module")
def rk45_5nm(magnumnp_ref):
    times = np.arange(1, 1001) * 1e-12
    traj, _ = run_sp4(5e-9, "rk45", times)
    return times, traj


def test_sp4_rk45_5nm_crossing_and_rms(rk45_5nm, magnumnp_ref):
    times, traj = rk45_5nm
    zc = zero_crossing(times, traj[:, 0])
    zc_ref = zero_crossing(magnumnp_ref[:, 0], magnumnp_ref[:, 1])
    assert abs(zc - zc_ref) < 2e-12, (zc, zc_ref)
    ours = np.column_stack([np.interp(magnumnp_ref[:, 0], times, traj[:, i]) for i in range(3)])
    rms = np.sqrt(np.mean(np.sum((ours - magnumnp_ref[:, 1:4]) ** 2, axis=1)))
    assert rms <= 0.02, rms


@pytest.mark.slow
def test_sp4_rk45_2p5nm_against_oommf(oommf_ref):
    times = oommf_ref[:, 0]
    traj, _ = run_sp4(2.5e-9, "rk45", times)
    zc = zero_crossing(times, traj[:, 0])
    assert abs(zc - 138.50e-12) < 2e-12, zc
    rms = np.sqrt(np.mean(np.sum((traj - oommf_ref[:, 1:4]) ** 2, axis=1)))
    assert rms <= 0.02, rms


GSPM_DT = 2e-13  # s: the documented GSPM step for SP4 at 5 nm (docs/theory/integrators.md, GSPM)


def test_sp4_gspm_crossing(magnumnp_ref):
    """First-order GSPM at 0.2 ps: crossing within 2 ps (measured: 138.45 ps at 0.2 ps, 138.59 at
    0.1 ps, 138.70 at 0.025 ps, converging to the rk45 value 138.73 ps)."""
    times = np.arange(1, 201) * 1e-12
    traj, _ = run_sp4(5e-9, "gspm", times, dt=GSPM_DT)
    zc = zero_crossing(times, traj[:, 0])
    zc_ref = zero_crossing(magnumnp_ref[:, 0], magnumnp_ref[:, 1])
    assert abs(zc - zc_ref) < 2e-12, (zc, zc_ref)
