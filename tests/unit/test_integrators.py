"""Time integrators against the analytic macrospin, plus |m| = 1, errors, checkpoints and GSPM."""

from __future__ import annotations

import numpy as np
import pytest

from spintorque import GAMMA0, MU0, Grid, Material, Sample
from spintorque.dynamics import LLG
from spintorque.dynamics.integrators import INTEGRATORS, IntegrationError, make_integrator
from spintorque.fields import EffectiveField, Exchange, UniaxialAnisotropy, Zeeman

ALPHA, BZ, MS, THETA0 = 0.1, 0.1, 8e5, 1.0


def macrospin(alpha: float = ALPHA, bz: float = BZ) -> LLG:
    sample = Sample.uniform(Grid((1, 1, 1), (2e-9,) * 3), Material("m", Ms=MS, alpha=alpha))
    return LLG(sample, EffectiveField([Zeeman(sample, B=(0, 0, bz))], sample.grid.vshape))


def m0_macrospin() -> np.ndarray:
    return np.array([np.sin(THETA0), 0.0, np.cos(THETA0)]).reshape(1, 1, 1, 3)


def exact(t: float, alpha: float = ALPHA, bz: float = BZ) -> np.ndarray:
    """docs/theory/llg.md (analytic checks): Gilbert macrospin in H e_z, angles in closed form."""
    w = GAMMA0 * (bz / MU0) / (1 + alpha**2)
    th = 2 * np.arctan(np.tan(THETA0 / 2) * np.exp(-alpha * w * t))
    return np.array([np.sin(th) * np.cos(w * t), np.sin(th) * np.sin(w * t), np.cos(th)])


def test_rk45_macrospin_matches_analytic_to_1e_6_relative():
    llg = macrospin()
    integ = make_integrator("rk45", llg, rtol=1e-10, atol=1e-10)
    m, t, worst = m0_macrospin(), 0.0, 0.0
    for t1 in np.linspace(0, 1e-9, 11)[1:]:  # 1 ns ≈ 2.8 precession periods, θ: 1 -> 0.2 rad
        m = integ.advance(t, m, t1)
        t = t1
        worst = max(worst, np.abs(m.ravel() - exact(t)).max())
    # |m| = 1, so the max-norm error is relative; 1e-6 is the brief's target at tight tolerance
    assert worst < 1e-6, worst
    # FSAL: one evaluation to start, then 6 per attempted step
    s = integ.stats
    assert s["evaluations"] == 1 + 6 * (s["steps"] + s["rejected"]), s


@pytest.mark.parametrize("name, order, tols, factor", [
    ("rk45", 5, (1e-8, 1e-10, 1e-12), 26), ("rk43", 4, (1e-6, 1e-8, 1e-10), 2.1)])
def test_tolerance_proportionality(name, order, tols, factor):
    """Error control works: the global error over 1 ns tracks the tolerance, a constant multiple
    of it (rk45 measured 25, 27, 27 × tol: the 7FC pair's estimate is about 10× below its error
    on a precession, the 7FM pair's was above it, 1.2 × tol; rk43 2.1 × tol), and the step count
    grows as tol^(-1/order), the order of the local error estimate (rk45: 5, rk43: 4)."""
    llg = macrospin()
    errs, steps = [], []
    for tol in tols:
        integ = make_integrator(name, llg, rtol=tol, atol=tol)
        m = integ.advance(0.0, m0_macrospin(), 1e-9)
        errs.append(np.abs(m.ravel() - exact(1e-9)).max() / tol)
        steps.append(integ.stats["steps"])
    # error within a factor 3 of the measured multiple at every tolerance (a broken controller
    # drifts away)
    assert all(factor / 3 < e < 3 * factor for e in errs), errs
    # order from the step counts: log(100)/log(n2/n1) = order (rk45 measured 5.3, 5.1), ±0.5
    orders = np.log(100.0) / np.log(np.array(steps[1:]) / np.array(steps[:-1]))
    assert np.all(np.abs(orders - order) < 0.5), (steps, orders)


def test_rk43_macrospin_accuracy_order_and_evaluations():
    """rk43 (classical RK4 + embedded 3rd-order FSAL estimate): at tight tolerance it meets the
    analytic macrospin to 1e-6 with 4 evaluations per attempted step (its error control:
    :func:`test_tolerance_proportionality`); with fixed steps the global error falls 16× per
    halving of dt (4th order)."""
    llg = macrospin()
    integ = make_integrator("rk43", llg, rtol=1e-10, atol=1e-10)
    m = integ.advance(0.0, m0_macrospin(), 1e-9)
    assert np.abs(m.ravel() - exact(1e-9)).max() < 1e-6
    st = integ.stats
    assert st["evaluations"] == 1 + 4 * (st["steps"] + st["rejected"]), st
    gaps = []
    for n in (50, 100, 200):
        fixed = make_integrator("rk43", llg, dt=1e-9 / n, adaptive=False)
        gaps.append(np.abs(fixed.advance(0.0, m0_macrospin(), 1e-9).ravel() - exact(1e-9)).max())
    ratios = np.array(gaps[:-1]) / np.array(gaps[1:])
    assert np.all(np.abs(np.log2(ratios) - 4) < 0.3), (gaps, ratios)


def test_rk43_takes_fewer_evaluations_where_stability_bounds_them():
    """A smooth precessing state on 1 nm cells: the dynamics would allow long steps, but
    exchange makes the spectrum stiff and nearly imaginary (α = 0.02), so the steps sit at the
    stability limit. On the line z = iy(1 + 0.02i) RK4's stability interval reaches y = 2.87 and
    rk45's (Dormand-Prince RK5(4)7FC) 3.39: rk43's steps are 0.85× rk45's (measured 0.85), but
    with 4 instead of 6 evaluations per step it needs fewer evaluations per simulated ps
    (measured 0.79×, one rejection). With the 7FM tableau (rk45's until 2026-12, interval 2.08)
    the step ratio was 1.38 and the evaluations 0.49×."""
    mat = Material("fm", Ms=MS, A=1.3e-11, alpha=0.02)
    sample = Sample.uniform(Grid((16, 8, 4), (1e-9,) * 3), mat)
    field = EffectiveField([Exchange(sample), Zeeman(sample, B=(0, 0, 0.1))], sample.grid.vshape)
    llg = LLG(sample, field)
    x, _, _ = sample.grid.coordinates()
    m0 = np.zeros(sample.grid.vshape)
    m0[..., 0], m0[..., 2] = 1.0, 0.5
    m0[..., 1] = 0.3 * np.cos(np.pi * x / sample.grid.size[0])
    m0 /= np.linalg.norm(m0, axis=-1, keepdims=True)
    stats = {}
    for name in ("rk45", "rk43"):
        integ = make_integrator(name, llg)
        m = integ.advance(0.0, m0, 5e-12)  # past the start transient
        s0 = dict(integ.stats)
        integ.advance(5e-12, m, 25e-12)
        stats[name] = {k: integ.stats[k] - s0[k] for k in s0}
    ratio = stats["rk45"]["steps"] / stats["rk43"]["steps"]
    evals = stats["rk43"]["evaluations"] / stats["rk45"]["evaluations"]
    assert abs(ratio - 2.87 / 3.39) < 0.1, (ratio, stats)
    assert evals < 0.85, (evals, stats)
    assert stats["rk43"]["rejected"] <= 0.02 * stats["rk43"]["steps"], stats


def test_rk45_default_tolerance_zero_crossing_on_macrospin():
    """SP4 asks for the first <mx> zero crossing within 2 ps; on the macrospin with default
    tolerance and 1 ps outputs the crossing must be far better than that (0.01 ps)."""
    llg = macrospin(alpha=0.02, bz=0.025)
    integ = make_integrator("rk45", llg)
    w = GAMMA0 * (0.025 / MU0) / (1 + 0.02**2)
    times = np.arange(1, 400) * 1e-12
    mx, m, t = np.empty(len(times)), m0_macrospin(), 0.0
    for i, t1 in enumerate(times):
        m = integ.advance(t, m, t1)
        t = t1
        mx[i] = m[0, 0, 0, 0]
    k = int(np.nonzero((mx[:-1] > 0) & (mx[1:] <= 0))[0][0])
    zc = times[k] + (times[k + 1] - times[k]) * mx[k] / (mx[k] - mx[k + 1])
    # linear interpolation of cos(wt) between 1 ps samples costs < (w·1ps)²/8 /w ≈ 0.002 ps
    assert abs(zc - np.pi / (2 * w)) < 1e-14, (zc, np.pi / (2 * w))


def chain_llg(with_spacer: bool = True, smooth: bool = False) -> tuple[LLG, np.ndarray]:
    py = Material("py", Ms=MS, A=1.3e-11, Ku=5e3, axis=(1, 0, 0), alpha=0.05)
    layers = [("FM1", 6e-9, py), ("spacer", 3e-9, Material("cu")), ("FM2", 6e-9, py)]
    if not with_spacer:
        layers = [layers[0]]
    sample = Sample.stack((6, 4), (3e-9, 3e-9, 3e-9), layers)
    field = EffectiveField(
        [
            Exchange(sample),
            UniaxialAnisotropy(sample),
            Zeeman(sample, B=lambda t: (0.0, 0.02 * np.sin(2e10 * t), 0.05)),
        ],
        sample.grid.vshape,
    )
    if smooth:  # one Neumann mode per direction, tilted 0.5 rad: exchange field ~ 0.5 Ms
        x, y, z = sample.grid.coordinates()
        lx, ly, _ = sample.grid.size
        m = np.zeros(sample.grid.vshape)
        m[..., 0] = 1.0
        m[..., 1] = 0.5 * np.cos(np.pi * x / lx) + 0 * y
        m[..., 2] = 0.5 * np.cos(np.pi * y / ly) + 1e9 * z
    else:
        m = np.random.default_rng(7).normal(size=sample.grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    m[~sample.magnetic] = 0.0
    return LLG(sample, field), m


@pytest.mark.parametrize("name", ["rk45", "rk43", "rk4", "euler", "gspm"])
def test_unit_length_kept_and_spacer_stays_zero(name):
    llg, m = chain_llg()
    opts = {} if name in ("rk45", "rk43") else {"dt": 2e-14}
    integ = make_integrator(name, llg, **opts)
    m = integ.advance(0.0, m, 2e-12)
    norms = np.linalg.norm(m, axis=-1)
    assert np.abs(norms[llg.sample.magnetic] - 1).max() < 1e-14
    assert np.array_equal(m[~llg.sample.magnetic], np.zeros((int((~llg.sample.magnetic).sum()), 3)))


@pytest.mark.parametrize("name", ["rk45", "rk43", "rk4", "gspm"])
def test_advance_lands_exactly_and_checkpoint_resume_is_exact(name):
    llg, m0 = chain_llg()
    opts = {"dt": 1e-13} if name in ("rk45", "rk43") else {"dt": 3e-14}
    ref = make_integrator(name, llg, **opts)
    m_ref = ref.advance(0.0, m0, 1e-12)
    m_ref = ref.advance(1e-12, m_ref, 2.5e-12)
    first = make_integrator(name, llg, **opts)
    m_half = first.advance(0.0, m0, 1e-12)
    state = first.state_dict()
    assert all(isinstance(v, (int, float, str, bool)) for v in state.values()), state
    resumed = make_integrator(name, llg, **opts)
    resumed.load_state_dict(state)
    m_res = resumed.advance(1e-12, m_half.copy(), 2.5e-12)
    # a restart recomputes the FSAL stage from (t, m): the run must be reproduced to 1e-12
    assert np.abs(m_res - m_ref).max() < 1e-12
    assert resumed.stats["steps"] == ref.stats["steps"]


def test_rk45_step_collapse_names_time_and_dt():
    # a precession at 2.8e12 rad/s cannot be resolved to 1e-14 with steps above 1e-14 s (rk45
    # settles at 6e-15 s there)
    llg = macrospin(alpha=0.1, bz=10.0)
    integ = make_integrator("rk45", llg, rtol=1e-14, atol=1e-14, dt=1e-12, dt_min=1e-14)
    with pytest.raises(IntegrationError, match=r"collapsed at t = 0\.0+e\+00 s: dt = .* < dt_min"):
        integ.advance(0.0, m0_macrospin(), 1e-11)


class NaNAfter:
    """A field term that turns NaN after time t_bad (a diverging coupled solver, say)."""

    name = "nan"

    def __init__(self, t_bad: float):
        self.t_bad = t_bad

    def field(self, m, t=0.0, out=None):
        out = np.zeros_like(m) if out is None else out
        out[...] = np.nan if t > self.t_bad else 0.0
        return out

    def energy(self, m, t=0.0):
        return 0.0


@pytest.mark.parametrize("name", sorted(INTEGRATORS))
def test_nan_in_field_raises_clear_error(name):
    llg, m = chain_llg()
    llg.field.terms.append(NaNAfter(5e-13))
    integ = make_integrator(name, llg, dt=1e-13)
    with pytest.raises(IntegrationError, match="NaN"):
        integ.advance(0.0, m, 2e-12)


def test_nan_in_initial_state_and_bad_options():
    llg, m = chain_llg()
    m[0, 0, 0, 0] = np.nan
    with pytest.raises(IntegrationError, match="NaN"):
        make_integrator("rk45", llg).step(0.0, m)
    with pytest.raises(ValueError, match="'verlet'.*allowed"):
        make_integrator("verlet", llg)
    with pytest.raises(ValueError, match="dt = -1"):
        make_integrator("rk45", llg, dt=-1.0)
    with pytest.raises(ValueError, match="bad options.*allowed"):
        make_integrator("gspm", llg, rtol=1e-6)
    with pytest.raises(ValueError, match="shape"):
        make_integrator("rk4", llg).step(0.0, m[:2])
    for name in sorted(INTEGRATORS):
        with pytest.raises(ValueError, match="t_max = 0.0 s must be after t = 1e-12 s"):
            make_integrator(name, llg).step(1e-12, np.zeros_like(m), t_max=0.0)
    with pytest.raises(ValueError, match="'gspm' cannot be loaded into 'rk45'"):
        make_integrator("rk45", llg).load_state_dict(make_integrator("gspm", llg).state_dict())


# -- GSPM ----------------------------------------------------------------------------------


def test_gspm_dct_solve_inverts_the_exchange_stencil():
    """(I − c Δ_h) x = b with Δ_h taken from the Exchange term itself (Neumann faces, two
    layers with different A and Ms): the DCT solve must invert it to round-off."""
    fm1 = Material("a", Ms=8e5, A=1.3e-11)
    fm2 = Material("b", Ms=1.4e6, A=3e-11)
    sample = Sample.stack(
        (7, 5),
        (2e-9, 3e-9, 2e-9),
        [("FM1", 6e-9, fm1), ("NM", 2e-9, Material()), ("FM2", 4e-9, fm2)],
    )
    ex = Exchange(sample)
    llg = LLG(sample, EffectiveField([ex], sample.grid.vshape))
    integ = make_integrator("gspm", llg, dt=1e-12)
    rng = np.random.default_rng(3)
    b = rng.normal(size=sample.grid.shape) * sample.magnetic
    x = integ._solve(b, np.zeros(sample.grid.shape), integ.dt)
    vec = np.zeros(sample.grid.vshape)
    vec[..., 0] = x
    lap = (
        ex.field(vec)[..., 0]
        * MU0
        * sample.param("Ms")
        / (2 * np.where(sample.magnetic, sample.param("A"), 1))
    )
    c = np.zeros(sample.grid.shape)
    for layer in integ._layers:
        c[:, :, layer.k0 : layer.k1] = layer.c(integ.dt)
    residual = x - c * lap - b
    assert np.abs(residual).max() < 1e-12 * np.abs(b).max()
    # c·4/h² > 1: the operator is far from the identity, the test is not trivial
    assert max(layer.c(integ.dt) for layer in integ._layers) * 4 / 2e-9**2 > 1.0


def gspm_error(llg: LLG, m0: np.ndarray, t1: float, dt: float, ref: np.ndarray) -> float:
    return float(np.abs(make_integrator("gspm", llg, dt=dt).advance(0.0, m0, t1) - ref).max())


@pytest.mark.parametrize("alpha", [0.1, 1.0])
def test_gspm_macrospin_converges_first_order_to_analytic(alpha):
    """No exchange: checks the LL time scale γ0/(1+α²) of both the precession and the damping
    step. A wrong scale (e.g. Gilbert's γ0, off by 2 at α = 1) would leave an O(α²) error that
    does not shrink with dt (order -> 0)."""
    llg, t1 = macrospin(alpha=alpha), 2e-10
    target = exact(t1, alpha=alpha).reshape(1, 1, 1, 3)
    errs = [gspm_error(llg, m0_macrospin(), t1, t1 / n, target) for n in (200, 400, 800)]
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    # first-order splitting: measured order within 0.1 of 1; m moves by ~1 rad in t1
    assert np.all(np.abs(orders - 1) < 0.1), (errs, orders)
    assert errs[-1] < 1e-3


def test_gspm_with_implicit_exchange_converges_first_order_to_rk45():
    """Exchange dominated, nonuniform m, two layers: GSPM -> the rk45 reference at first order,
    with steps where explicit Euler on the exchange would be unstable."""
    llg, m0 = chain_llg(smooth=True)
    t1 = 4e-12
    ref = make_integrator("rk45", llg, rtol=1e-11, atol=1e-11).advance(0.0, m0, t1)
    errs = [gspm_error(llg, m0, t1, t1 / n, ref) for n in (40, 80, 160)]
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    # first order, approached from below (0.90, 0.96 measured): 0.15 margin
    assert np.all(np.abs(orders - 1) < 0.15), (errs, orders)
    assert errs[-1] < 0.1 * np.abs(ref - m0).max()


def test_gspm_rejects_unsupported_setups():
    llg, _ = chain_llg()

    class Torque:
        name = "slonczewski"

        def rate(self, m, t, out):
            return out

    with pytest.raises(ValueError, match="torques"):
        make_integrator("gspm", LLG(llg.sample, llg.field, torques=[Torque()]))
    a = Material("a", Ms=8e5, A=1e-11)
    b = Material("b", Ms=8e5, A=2e-11)
    touching = Sample.stack((2, 2), (1e-9,) * 3, [("A", 1e-9, a), ("B", 1e-9, b)])
    with pytest.raises(ValueError, match="touch"):
        make_integrator("gspm", LLG(touching, EffectiveField([Exchange(touching)], (2, 2, 2, 3))))
    region = np.zeros((2, 2, 1), int)
    region[0, 0, 0] = 1
    patchy = Sample(Grid((2, 2, 1), (1e-9,) * 3), region, (a, Material()))
    with pytest.raises(ValueError, match="full-plane"):
        make_integrator("gspm", LLG(patchy, EffectiveField([Exchange(patchy)], (2, 2, 1, 3))))


def test_rk45_reset_drops_the_fsal_stage_after_a_change_of_field():
    llg = macrospin()
    integ = make_integrator("rk45", llg, rtol=1e-10, atol=1e-10)
    m = integ.advance(0.0, m0_macrospin(), 1e-10)
    llg.field.terms[0] = Zeeman(llg.sample, B=(0, 0, 2 * BZ))  # a new applied field
    integ.reset()
    evals = integ.stats["evaluations"]
    t_new, m_new = integ.step(1e-10, m)
    # the first stage is recomputed (1), then 6 per attempt (rejections possible: field doubled)
    assert (integ.stats["evaluations"] - evals) % 6 == 1
    # and the stage kept for the next step is f(t_new, m_new) of the new problem, bit for bit
    assert np.array_equal(integ._kv[0], llg.rhs(t_new, m_new))
