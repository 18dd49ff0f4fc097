"""Slonczewski (CPP) reversal of a permalloy C-state against OOMMF (mumax2 certification 5a).

Reference (in the ``refdata`` folder that tests/conftest.py locates):
`mumax2__certification_stdproblem5a_m-oommf.txt`, OOMMF Oxs_SpinXferEvolve at the same 64×32×1 mesh,
<m>(t) every 1 ps; first zero crossing of <mx> at zc = 1.0442 ns (mumax2: 1.0479 ns, 0.35 % later).
Measured here (rk45, rtol = atol = 1e-5, minimizer relaxation): zc = 1.04414 ns (−0.006 %), RMS of
<mx> − <mx>_OOMMF over 0-1.1 ns 7.6e-4, <m>(1 ps) within 1.2e-4 of OOMMF's. Runtime: 6 s (load 5) to
90 s (load 18) on 2 cores.

The physical parameters are module constants so that `examples/slonczewski_std5a.toml` can be
written from them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from spintorque import Grid, Material, Sample
from spintorque.dynamics import LLG
from spintorque.dynamics.integrators import make_integrator
from spintorque.dynamics.minimize import minimize
from spintorque.dynamics.torques import Slonczewski
from spintorque.fields import EffectiveField, Exchange
from spintorque.fields.demag import Demag

REFERENCE = "mumax2__certification_stdproblem5a_m-oommf.txt"

# --- the problem (SI) --------------------------------------------------------------------------
SIZE = (160e-9, 80e-9, 5e-9)  # m
CELLS = (64, 32, 1)  # 2.5 nm × 2.5 nm × 5 nm, OOMMF's mesh
MS = 8.0e5  # A/m
A_EX = 13e-12  # J/m
ALPHA = 0.01
P = 0.5669
LAMBDA = 1.0
EPS_PRIME = 0.0
POLARIZER = (math.cos(math.radians(1.0)), math.sin(math.radians(1.0)), 0.0)  # fixed layer p
CURRENT = -8e-3  # A, through the 160 nm × 80 nm element
CURRENT_DENSITY = CURRENT / (SIZE[0] * SIZE[1])  # −6.25e11 A/m², OOMMF's J
FREE_LAYER_THICKNESS = 5e-9  # m
C_STATE_ENDS = (0.0, -1.0, -0.1)  # m for x < L/4 and x > 3L/4, relaxed first
C_STATE_MIDDLE = (1.0, 0.0, 0.0)
DURATION = 1.1e-9  # s: past the reference crossing (1.0442 ns)
OUTPUT_EVERY = 1e-12  # s, as the reference table
ZC_OOMMF = 1.0442e-9  # s


def zero_crossing(t: np.ndarray, mx: np.ndarray) -> float:
    """Time of the first sign change of <mx>, linear interpolation [s]."""
    k = int(np.nonzero((mx[:-1] > 0) & (mx[1:] <= 0))[0][0])
    return float(t[k] + (t[k + 1] - t[k]) * mx[k] / (mx[k] - mx[k + 1]))


def c_state(sample: Sample) -> np.ndarray:
    x, _, _ = sample.grid.coordinates()
    ends = np.broadcast_to((x < SIZE[0] / 4) | (x > 3 * SIZE[0] / 4), sample.grid.shape)
    m = np.empty(sample.grid.vshape)
    m[ends] = C_STATE_ENDS
    m[~ends] = C_STATE_MIDDLE
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def trajectory() -> tuple[np.ndarray, np.ndarray]:
    grid = Grid(CELLS, tuple(s / n for s, n in zip(SIZE, CELLS, strict=True)))
    sample = Sample.uniform(grid, Material("py", Ms=MS, A=A_EX, alpha=ALPHA))
    field = EffectiveField([Exchange(sample), Demag(sample)], grid.vshape)
    relaxed = minimize(LLG(sample, field), c_state(sample))
    assert relaxed.converged, relaxed.max_torque
    torque = Slonczewski(
        sample,
        CURRENT_DENSITY,
        p=POLARIZER,
        P=P,
        Lambda=LAMBDA,
        eps_prime=EPS_PRIME,
        thickness=FREE_LAYER_THICKNESS,
    )
    integ = make_integrator("rk45", LLG(sample, field, torques=[torque]), rtol=1e-5, atol=1e-5)
    times = OUTPUT_EVERY * np.arange(1, int(round(DURATION / OUTPUT_EVERY)) + 1)
    averages = np.empty((len(times), 3))
    m, t = relaxed.m, 0.0
    for i, t_out in enumerate(times):
        m = integ.advance(t, m, float(t_out))
        t = float(t_out)
        averages[i] = m.reshape(-1, 3).mean(axis=0)
    return times, averages


@pytest.fixture(scope="module")
def reference(refdata) -> np.ndarray:
    return np.loadtxt(refdata / REFERENCE, comments="#")


@pytest.mark.slow
def test_switching_time_matches_oommf(trajectory, reference):
    times, m = trajectory
    assert zero_crossing(reference[:, 0], reference[:, 1]) == pytest.approx(ZC_OOMMF, abs=1e-13)
    zc = zero_crossing(times, m[:, 0])
    # the tolerance: 1 % (mumax2 and OOMMF differ by 0.35 % on this problem)
    assert abs(zc / ZC_OOMMF - 1) < 0.01, zc


@pytest.mark.slow
def test_trajectory_follows_oommf(trajectory, reference):
    times, m = trajectory
    ref = np.column_stack([np.interp(times, reference[:, 0], reference[:, c]) for c in (1, 2, 3)])
    # start: same mesh and relaxed C-state, so <m>(1 ps) agrees to the spread of minimizers (2e-3)
    assert np.max(np.abs(m[0] - ref[0])) < 2e-3, (m[0], ref[0])
    # trajectory: RMS of <mx> ≤ 0.01 over the run. Shifting OOMMF's curve by the mumax2-OOMMF
    # spread (3.7 ps) gives RMS 0.028 here; at OOMMF's own mesh we ask for a third of that
    rms = float(np.sqrt(np.mean((m[:, 0] - ref[:, 0]) ** 2)))
    assert rms < 0.01, rms
    # and the reversal has gone the way OOMMF's does: away from p (OOMMF: <mx>(1.1 ns) = −0.878)
    assert m[-1, 0] < -0.5 and ref[-1, 0] < -0.5
