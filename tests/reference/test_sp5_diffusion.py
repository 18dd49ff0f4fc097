"""muMAG SP5 with the full spin-diffusion model against the same problem with the Zhang-Li torque.

The diffusion model reduces to the Zhang-Li torque with ξ = λ_J²/λ_sf² and u = β μB j/(e Ms)/(1+ξ²)
when m varies slowly on the scale λ_sf (docs/theory/parameters.md, the s-d coupling; checked to
6e-5 on a helix in tests/unit/test_transport_models.py). Here λ_sf = 10 nm, λ_J = 2.236 nm
(ξ = 0.05), β = 0.99 and the Zhang-Li run uses P = 0.99 with mumax3's 1/(1+ξ²). A vortex is NOT
slowly varying in its core (radius ≈ 10 nm ≈ λ_sf), so the two must differ, but only through the
core: O(1) corrections on an area fraction of about (15 nm / 100 nm)² ≈ 2 %. The test therefore
asks agreement of the first <mx> minimum to 5 % in value and 10 % in time, and prints the measured
difference (reported in docs/theory/transport.md; measured on 5 nm cells: −0.3265 at 0.698 ns
against −0.3227 at 0.661 ns, i.e. 1.2 % and 37 ps).
"""

from __future__ import annotations

import numpy as np

from spintorque import Grid, Material, Sample
from spintorque.dynamics import LLG
from spintorque.dynamics.integrators import make_integrator
from spintorque.dynamics.minimize import minimize
from spintorque.dynamics.torques import ZhangLi
from spintorque.fields import EffectiveField, Exchange
from spintorque.fields.demag import Demag
from spintorque.transport.coupling import SpinAccumulationField

CELLS = (20, 20, 2)  # 5 nm cubes
SIZE = (100e-9, 100e-9, 10e-9)  # m
J = (1e12, 0.0, 0.0)  # A/m^2, conventional current along +x
PY = Material("py", Ms=8e5, A=1.3e-11, alpha=0.1, P=0.99, D0=1e-3, beta=0.99, beta_prime=0.0,
              lambda_sf=10e-9, J_sd=4.218286512e-20)  # J_sd -> lambda_J = 2.236 nm
TIMES = np.arange(1, 101) * 1e-11  # s: past the first minimum (~0.67 ns)


def first_minimum(t: np.ndarray, mx: np.ndarray) -> tuple[float, float]:
    k = int(np.nonzero((mx[1:-1] < mx[:-2]) & (mx[1:-1] <= mx[2:]))[0][0]) + 1
    y0, y1, y2 = mx[k - 1 : k + 2]
    shift = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
    return float(t[k] + shift * (t[k + 1] - t[k])), float(y1 - 0.25 * (y0 - y2) * shift)


def trajectory(llg: LLG, m: np.ndarray) -> np.ndarray:
    integ = make_integrator("rk45", llg)
    t, out = 0.0, []
    for t_out in TIMES:
        m = integ.advance(t, m, float(t_out))
        t = float(t_out)
        out.append(m.reshape(-1, 3).mean(axis=0))
    return np.array(out)


def test_diffusion_model_reproduces_zhang_li_vortex_motion():
    assert abs(PY.effective_lambda_J**2 / PY.lambda_sf**2 - 0.05) < 1e-6
    grid = Grid(CELLS, tuple(s / n for s, n in zip(SIZE, CELLS, strict=True)))
    sample = Sample.uniform(grid, PY)
    base = [Exchange(sample), Demag(sample)]
    x, y, _ = grid.coordinates()
    m = np.zeros(grid.vshape)
    m[..., 0] = -(y - SIZE[1] / 2)
    m[..., 1] = x - SIZE[0] / 2
    m[..., 2] = 10e-9
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    m = minimize(LLG(sample, EffectiveField(base, grid.vshape)), m).m
    zl = trajectory(LLG(sample, EffectiveField(base, grid.vshape),
                        torques=[ZhangLi(sample, current_density=J, P=0.99, xi=0.05)]), m)
    spin = SpinAccumulationField(sample, model="diffusion", current_density=J)
    diff = trajectory(LLG(sample, EffectiveField([*base, spin], grid.vshape)), m)
    t_zl, v_zl = first_minimum(TIMES, zl[:, 0])
    t_d, v_d = first_minimum(TIMES, diff[:, 0])
    print(f"first <mx> minimum: Zhang-Li {v_zl:.4f} at {t_zl * 1e9:.3f} ns, diffusion "
          f"{v_d:.4f} at {t_d * 1e9:.3f} ns; max |Δ<m>| over 1 ns "
          f"{np.abs(diff - zl).max(axis=0)}")
    assert v_zl < -0.2 and v_d < -0.2  # both move the core the SP5 way (<mx> goes negative)
    assert abs(v_d - v_zl) <= 0.05 * abs(v_zl)
    assert abs(t_d - t_zl) <= 0.10 * t_zl
