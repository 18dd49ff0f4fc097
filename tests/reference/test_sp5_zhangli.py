"""muMAG standard problem 5: a vortex driven by an in-plane current (Zhang-Li torque, ξ = 0.05).

Reference (in the ``refdata`` folder that tests/conftest.py locates): D. Porter's OOMMF solution
`Boris2__muMAG5_Porter_OOMMF_solution_beta_0.05.txt`: first <mx> minimum −0.3518 at 0.669 ns,
<m>(10 ns) = (−0.2145, 0.0191) (still ringing by ±3e-4; (−0.2142, 0.0189) at 11.1 ns).

Velocity convention: the specification's u = μB P j/(e Ms) = 72.35 m/s without mumax3's 1/(1+ξ²),
i.e. ``ZhangLi(convention="oommf")``; mumax3's convention would lower u by 0.25 %.

Two checks, each at a mesh CI can afford (2 cores):

1. Dynamics: relax, switch the current on, integrate to 0.8 ns with rk45 (rtol 1e-5) and find the
   first minimum of <mx> (parabola through the three 10 ps samples around it). Issue tolerance:
   2 % in value and 10 ps in time.
2. Final state (2.5 nm cubes, started from the 5 nm steady state): a steady state solves the
   Gilbert equation with dm/dt = 0, i.e. −γ0 m×H − (u·∇)m + ξ m×(u·∇)m = 0, which does not
   contain α. So the state the α = 0.1 run reaches after 10 ns is found in a fraction of the time
   by integrating with α = 0.5 (near-critically damped gyration) until <m> changes by less than
   1e-5 per 0.1 ns. Checked: at 5 nm cells the α = 0.5 steady state and the α = 0.1 state at
   10 ns agree to 1e-6 in <mx> and 3e-4 in <my>
   (the ringing left at 10 ns). Compared with the reference at 10 ns.

Mesh convergence measured (cell in-plane × thickness; first minimum: value, time shift; final):

| mesh | first min | Δt | final (<mx>, <my>) | |Δ<m>|/|<m>_ref| | cost (2 busy cores) |
|---|---|---|---|---|---|
| 5 nm × 5 nm (20×20×2) | −0.3267 (−7.1 %) | −7.4 ps | (−0.2045, 0.0140) | 5.2 % | 4 s/ns |
| 2.5 nm × 10 nm (40×40×1) | −0.3470 (−1.4 %) | −4.3 ps | (−0.2116, 0.0186) | 1.4 % | 13 s/ns |
| 2.5 nm × 5 nm (40×40×2) | −0.3491 (−0.8 %) | +0.3 ps | (−0.2128, 0.0187) | 0.82 % | 36 s/ns |

With mumax3's convention (u/(1+ξ²)) the 40×40×2 final state is (−0.2123, 0.0186), 1.07 % off:
the specification's convention is the closer one, but by less than the mesh error.

The full 10 ns run at α = 0.1 on 40×40×2 (256 s, not run here) ends at (−0.2130, 0.0190), 0.71 %
from the reference, and follows it with an RMS of 1.6e-3 over the 10 ns.

The final state needs the 2.5 nm cubes to be within the issue's 1 %; the first minimum is within
its tolerances already at 2.5 nm × 10 nm, the cheaper mesh used for it here.

The physical parameters are module constants so that `examples/sp5_zhangli.toml` can be written
from them.
"""

from __future__ import annotations

import numpy as np
import pytest

from spintorque import Grid, Material, Sample
from spintorque.dynamics import LLG
from spintorque.dynamics.integrators import make_integrator
from spintorque.dynamics.minimize import minimize
from spintorque.dynamics.torques import ZhangLi
from spintorque.fields import EffectiveField, Exchange
from spintorque.fields.demag import Demag

REFERENCE = "Boris2__muMAG5_Porter_OOMMF_solution_beta_0.05.txt"

# --- the problem (SI) --------------------------------------------------------------------------
SIZE = (100e-9, 100e-9, 10e-9)  # m
MS = 8.0e5  # A/m
A_EX = 1.3e-11  # J/m
ALPHA = 0.1
XI = 0.05
P = 1.0
CURRENT_DENSITY = (1e12, 0.0, 0.0)  # A/m², conventional current along +x (electrons along −x)
CONVENTION = "oommf"  # u = μB P j/(e Ms) = 72.35 m/s, as the specification
VORTEX_CORE = 10e-9  # m: initial m ∝ (−y, x, R) about the centre, relaxed
DURATION = 10e-9  # s, the reference run (the example config runs it in full)
OUTPUT_EVERY = 1e-11  # s

# --- meshes used here (see the table above) ----------------------------------------------------
DYNAMICS_MESH = (40, 40, 1)
DYNAMICS_DURATION = 0.8e-9  # s: past the first minimum at 0.669 ns
FINAL_MESH = (40, 40, 2)
COARSE_MESH = (20, 20, 2)  # start of the final-state solve
STEADY_ALPHA = 0.5
STEADY_TOL = 1e-5  # max change of <m> per 0.1 ns

REF_FIRST_MIN = (0.669e-9, -0.3518)  # (s, <mx>), from the file (checked below)


def relaxed_vortex(
    cells: tuple[int, int, int], relax: bool = True
) -> tuple[Sample, EffectiveField, np.ndarray]:
    """Sample, field (exchange + demag) and the vortex m ∝ (−y, x, R), relaxed if ``relax``."""
    grid = Grid(cells, tuple(s / n for s, n in zip(SIZE, cells, strict=True)))
    sample = Sample.uniform(grid, Material("py", Ms=MS, A=A_EX, alpha=ALPHA, P=P))
    field = EffectiveField([Exchange(sample), Demag(sample)], grid.vshape)
    x, y, _ = grid.coordinates()
    m = np.zeros(grid.vshape)
    m[..., 0] = -(y - SIZE[1] / 2)
    m[..., 1] = x - SIZE[0] / 2
    m[..., 2] = VORTEX_CORE
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    if not relax:
        return sample, field, m
    relaxed = minimize(LLG(sample, field), m)
    assert relaxed.converged, relaxed.max_torque
    return sample, field, relaxed.m


def first_minimum(t: np.ndarray, mx: np.ndarray) -> tuple[float, float]:
    """(time [s], value) of the first local minimum of mx, parabola through three samples."""
    k = int(np.nonzero((mx[1:-1] < mx[:-2]) & (mx[1:-1] <= mx[2:]))[0][0]) + 1
    y0, y1, y2 = mx[k - 1 : k + 2]
    shift = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)  # in samples, |shift| <= 1/2
    return float(t[k] + shift * (t[k + 1] - t[k])), float(y1 - 0.25 * (y0 - y2) * shift)


@pytest.fixture(scope="module")
def reference(refdata) -> np.ndarray:
    data = np.loadtxt(refdata / REFERENCE)
    return np.column_stack([data[:, 0], data[:, 1] / MS, data[:, 2] / MS])


@pytest.mark.slow
def test_first_minimum_of_mx(reference):
    t_ref, mx_ref = reference[:, 0], reference[:, 1]
    early = t_ref < 1.2e-9
    k = int(np.argmin(mx_ref[early]))
    assert abs(t_ref[k] - REF_FIRST_MIN[0]) < 1e-12 and abs(mx_ref[k] - REF_FIRST_MIN[1]) < 1e-4

    sample, field, m = relaxed_vortex(DYNAMICS_MESH)
    torque = ZhangLi(sample, CURRENT_DENSITY, P=P, xi=XI, convention=CONVENTION)
    integ = make_integrator("rk45", LLG(sample, field, torques=[torque]), rtol=1e-5, atol=1e-5)
    times = OUTPUT_EVERY * np.arange(1, int(round(DYNAMICS_DURATION / OUTPUT_EVERY)) + 1)
    mxy = np.empty((len(times), 2))
    t = 0.0
    for i, t_out in enumerate(times):
        m = integ.advance(t, m, float(t_out))
        t = float(t_out)
        mxy[i] = m[..., 0].mean(), m[..., 1].mean()
    mx = mxy[:, 0]
    assert mx[0] < 0  # u along −x pushes the counter-clockwise, +z core so that <mx> drops
    ref = np.column_stack([np.interp(times, t_ref, reference[:, c]) for c in (1, 2)])
    # trajectory RMS of |Δ(<mx>, <my>)| ≤ 0.01 over 0-0.8 ns: the 2 % at the minimum is
    # 0.007 in <mx>; measured 0.004 here, while the 5 nm mesh (which fails the minimum) gives 0.020
    rms = float(np.sqrt(np.mean(np.sum((mxy - ref) ** 2, axis=1))))
    assert rms < 0.01, rms
    t_min, mx_min = first_minimum(times, mx)
    # issue tolerances; measured −1.4 % and −4.3 ps at this mesh (−0.8 %, +0.3 ps at 2.5 nm cubes)
    assert abs(mx_min / REF_FIRST_MIN[1] - 1) < 0.02, mx_min
    assert abs(t_min - REF_FIRST_MIN[0]) < 10e-12, t_min


def steady_state(sample: Sample, field: EffectiveField, m: np.ndarray) -> np.ndarray:
    """Integrate at α = STEADY_ALPHA until <m> changes by less than STEADY_TOL per 0.1 ns."""
    torque = ZhangLi(
        sample, CURRENT_DENSITY, P=P, xi=XI, convention=CONVENTION, alpha=STEADY_ALPHA
    )
    llg = LLG(sample, field, torques=[torque], alpha=STEADY_ALPHA)
    integ = make_integrator("rk45", llg, rtol=1e-5, atol=1e-5)
    t, previous = 0.0, m.reshape(-1, 3).mean(axis=0)
    for _ in range(100):  # at most 10 ns
        m = integ.advance(t, m, t + 1e-10)
        t += 1e-10
        current = m.reshape(-1, 3).mean(axis=0)
        change, previous = float(np.max(np.abs(current - previous))), current
        if change < STEADY_TOL:
            return m
    raise AssertionError(f"no steady state after {t} s: <m> still changes by {change}")


@pytest.mark.slow
def test_final_state(reference):
    # coarse to fine: the steady state on the 5 nm mesh, each cell split in 2×2 in-plane, is the
    # start on the 2.5 nm mesh (saves a third of the fine-mesh steps; same end state within 3e-5)
    sample, field, m = relaxed_vortex(COARSE_MESH)
    m = steady_state(sample, field, m)
    fx, fy = FINAL_MESH[0] // COARSE_MESH[0], FINAL_MESH[1] // COARSE_MESH[1]
    m = np.repeat(np.repeat(m, fx, axis=0), fy, axis=1)
    sample, field, _ = relaxed_vortex(FINAL_MESH, relax=False)
    final = steady_state(sample, field, m).reshape(-1, 3).mean(axis=0)[:2]
    ref = np.array([np.interp(DURATION, reference[:, 0], reference[:, c]) for c in (1, 2)])
    # issue tolerance: 1 % of |<m>| (in-plane); measured 0.82 %. The reference still rings by
    # 3e-4 (0.15 %) at 10 ns
    error = float(np.linalg.norm(final - ref) / np.linalg.norm(ref))
    assert error < 0.01, (final, ref, error)
