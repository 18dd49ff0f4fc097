"""Transport models against analytic solutions (docs/theory/transport.md, analytic solutions):
transverse decay, 0D relaxation and precession, the Zhang-Li local limit
(docs/theory/parameters.md, the s-d coupling), and the coupling field term."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from spintorque import Grid, Material, Sample
from spintorque.constants import E_CHARGE, GAMMA0, HBAR, MU0, MU_B
from spintorque.fields.base import FieldTerm
from spintorque.transport.coupling import SpinAccumulationField
from spintorque.transport.diffusion import DiffusionModel
from spintorque.transport.moment import MomentModel
from spintorque.transport.solver import TransportSolver

FM = Material(
    "fm", Ms=8e5, D0=1e-3, beta=0.9, beta_prime=0.8, lambda_sf=10e-9, lambda_J=4e-9, c_sd=3.125e-3
)
NM = Material("nm", D0=5e-3, lambda_sf=10e-9)
J = 1e11


def analytic_k(a: float) -> complex:
    """Complex transverse wave number [1/m], k² = (1 − i a)(1/λ_sf² − i/λ_J²)
    (docs/theory/transport.md, analytic solutions)."""
    k = np.sqrt((1 - 1j * a) * (1 / FM.lambda_sf**2 - 1j / FM.lambda_J**2))
    return complex(k if k.real > 0 else -k)


def fitted_k(z: np.ndarray, s: np.ndarray) -> complex:
    """Least-squares fit of s⊥ = s_x + i s_y ∝ exp(−k z) (m = e_z)."""
    sp = s[:, 0] + 1j * s[:, 1]
    A = np.vstack([np.ones_like(z), z]).T
    kr = -np.linalg.lstsq(A, np.log(np.abs(sp)), rcond=None)[0][1]
    ki = -np.linalg.lstsq(A, np.unwrap(np.angle(sp)), rcond=None)[0][1]
    return complex(kr, ki)


def trilayer_column(h: float, model_cls, **kw):
    """FM1 (m = +x) / NM / FM2 (m = +z) along z with current: s⊥ in FM2 is pure decay."""
    sample = Sample.stack(
        (1, 1), (h, h, h), [("FM1", 40e-9, FM), ("NM", 10e-9, NM), ("FM2", 80e-9, FM)]
    )
    m = np.zeros(sample.grid.vshape)
    m[sample.mask("FM1")] = [1.0, 0.0, 0.0]
    m[sample.mask("FM2")] = [0.0, 0.0, 1.0]
    model = model_cls(sample, J, **kw)
    s = TransportSolver(model, method="splu").solve(m)
    return sample, s


def test_analytic_lengths_are_the_published_ones():
    # docs/theory/transport.md (analytic solutions): 5.22/38.5 nm and 7.35/23.6 nm, quoted to
    # 3 digits
    for a, decay, period in ((0.0, 5.22e-9, 38.5e-9), (1.0, 7.35e-9, 23.6e-9)):
        k = analytic_k(a)
        assert 1 / k.real == pytest.approx(decay, rel=2e-3)
        assert 2 * math.pi / abs(k.imag) == pytest.approx(period, rel=2e-3)


@pytest.mark.parametrize(
    "model_cls, kw, a",
    [(DiffusionModel, {}, 0.0), (MomentModel, {"a": 1.0}, 1.0), (MomentModel, {"a": 0.5}, 0.5)],
)
def test_transverse_decay_length_and_period_within_1_percent(model_cls, kw, a):
    # 1 % (issue 3); h = 0.5 nm gives (k h)^2/24 ~ 1e-4 discretization error, the fit window
    # 5-30 nm into FM2 avoids the interface kink and the far boundary (e^{-2 Re k·50 nm} ~ 1e-8)
    h = 0.5e-9
    sample, s = trilayer_column(h, model_cls, **kw)
    k0, _ = sample.z_range("FM2")
    sel = slice(k0 + 10, k0 + 60)
    z = sample.grid.centers(2)[sel]
    k = fitted_k(z, s[sel])
    ka = analytic_k(a)
    assert 1 / k.real == pytest.approx(1 / ka.real, rel=1e-2)
    assert abs(k.imag) == pytest.approx(abs(ka.imag), rel=1e-2)


@pytest.mark.parametrize("model_name", ["diffusion", "moment"])
def test_uniform_relaxation_and_precession_0d(model_name):
    # 0D relaxation and precession (docs/theory/transport.md, analytic solutions), implicit
    # Euler: first order in dt, measured; 1 % at the finest step
    mat = Material("fm", Ms=8e5, D0=1e-3, beta=0.9, beta_prime=0.8, lambda_sf=10e-9, lambda_J=4e-9)
    sample = Sample.uniform(Grid((1, 1, 1), (2e-9,) * 3), mat)
    mdir = np.array([0.0, 0.6, 0.8])
    m = np.broadcast_to(mdir, sample.grid.vshape).copy()
    model = (DiffusionModel if model_name == "diffusion" else MomentModel)(sample, 0.0)
    solver = TransportSolver(model, method="splu")
    tau, omega = mat.lambda_sf**2 / (2 * mat.D0), mat.omega_J
    s0 = np.array([1.0, 2.0, -0.5])
    t_end = 2 * math.pi / omega  # one precession period (~ 0.16 tau_sf)
    par = (s0 @ mdir) * mdir
    perp = s0 - par
    exact = math.exp(-t_end / tau) * (
        par + math.cos(omega * t_end) * perp + math.sin(omega * t_end) * np.cross(mdir, perp)
    )
    errors = []
    for nsteps in (200, 400, 800):
        s = s0[None, :]
        for _ in range(nsteps):
            s = solver.step(m, s, t_end / nsteps)
        errors.append(np.linalg.norm(s[0] - exact) / np.linalg.norm(s0))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(np.abs(orders - 1.0) < 0.1), orders
    assert errors[-1] < 1e-2


def zhang_li_case(axis: int, model_sign: float):
    """Helix with period 640 nm along ``axis`` in a uniform FM, current along the same axis."""
    jsd = 2 * HBAR * 1e-3 / (4e-9) ** 2  # J_sd giving lambda_J = 4 nm; c from the same J_sd
    mat = Material("fm", Ms=8e5, D0=1e-3, beta=0.9, beta_prime=0.8, lambda_sf=10e-9, J_sd=jsd)
    h, period = 2e-9, 640e-9
    n = [1, 1, 1]
    n[axis] = int(round(2 * period / h))
    grid = Grid(tuple(n), (h, h, h))
    x = grid.centers(axis)
    k = 2 * math.pi / period
    e1, e2 = [(1, 2), (2, 0), (0, 1)][axis]  # helix plane transverse to the axis
    mline = np.zeros((x.size, 3))
    mline[:, e1], mline[:, e2] = np.cos(k * x), np.sin(k * x)
    dm = np.zeros_like(mline)
    dm[:, e1], dm[:, e2] = -k * np.sin(k * x), k * np.cos(k * x)
    m = mline.reshape(grid.vshape)
    jvec = np.zeros(3)
    jvec[axis] = J
    term = SpinAccumulationField(
        Sample.uniform(grid, mat), "diffusion", jvec, sign_e=model_sign, method="splu"
    )
    h_field = term.field(m).reshape(-1, 3)
    torque = -GAMMA0 * np.cross(mline, h_field)  # Gilbert-form term −γ m × (c s)
    xi = (mat.effective_lambda_J / mat.lambda_sf) ** 2
    u = mat.beta * MU_B * J / (E_CHARGE * mat.Ms)
    zl = u / (1 + xi**2) * (dm - xi * np.cross(mline, dm))  # mumax3 Zhang-Li, Gilbert form
    mid = slice(x.size // 4, 3 * x.size // 4)  # away from the Neumann ends
    return torque[mid], zl[mid], np.abs(zl).max()


@pytest.mark.parametrize("axis", [0, 2])
def test_zhang_li_limit_of_the_diffusion_model(axis):
    # 2 % (issue 3): the local limit neglects O((k·5 nm)^2) ~ 2e-3 gradient corrections
    torque, zl, scale = zhang_li_case(axis, -1.0)
    assert np.abs(torque - zl).max() < 2e-2 * scale
    # the sign is physics: electrons (sign_e = -1) drag the pattern along their flow (SP5: j
    # along +x gives u along -x); the e > 0 form gives the opposite torque
    torque_pos, _, _ = zhang_li_case(axis, +1.0)
    assert np.abs(torque_pos + zl).max() < 2e-2 * scale


def trilayer_3d(model: str, z_refine: int, **kw):
    """The two-model comparison state: FM1 +x, FM2 +z, 2×2 cells of 4 nm in plane."""
    sample = Sample.stack(
        (2, 2), (4e-9,) * 3, [("FM1", 40e-9, FM), ("spacer", 12e-9, NM), ("FM2", 60e-9, FM)]
    )
    m = np.zeros(sample.grid.vshape)
    m[sample.mask("FM1")] = [1.0, 0.0, 0.0]
    m[sample.mask("FM2")] = [0.0, 0.0, 1.0]
    term = SpinAccumulationField(sample, model, J, z_refine=z_refine, **kw)
    hs = term.field(m)
    torque = -GAMMA0 * np.cross(m, hs)
    return sample, term, m, torque


def test_models_give_different_torques_matching_the_transverse_lengths():
    # same state, two models: the torque in FM2 decays from the interface with each model's
    # analytic complex length (1 % like the analytic lengths above; transport mesh 0.5 nm via
    # z_refine = 8)
    ks = {}
    torques = {}
    for model, a in (("diffusion", 0.0), ("moment", 1.0)):
        sample, term, m, torque = trilayer_3d(model, 8)
        k0, _ = sample.z_range("FM2")
        zf = term.model.mesh.grid.centers(2)
        sel = slice(8 * k0 + 10, 8 * k0 + 60)
        s_line = term.s_fine[0, 0, sel]
        ks[model] = fitted_k(zf[sel], s_line)
        ka = analytic_k(a)
        assert 1 / ks[model].real == pytest.approx(1 / ka.real, rel=1e-2)
        assert abs(ks[model].imag) == pytest.approx(abs(ka.imag), rel=1e-2)
        torques[model] = torque[sample.mask("FM2")].sum(axis=0)
    # the layer torques differ by far more than the discretization error (~1e-3)
    diff = np.linalg.norm(torques["diffusion"] - torques["moment"])
    assert diff > 0.1 * np.linalg.norm(torques["diffusion"])


def test_field_term_contract():
    sample, term, m, _ = trilayer_3d("diffusion", 2)
    assert isinstance(term, FieldTerm)
    assert term.energy(m) == 0.0
    out = np.full(sample.grid.vshape, np.nan)
    hs = term.field(m, 0.0, out=out)
    assert hs is out and hs.shape == sample.grid.vshape
    assert np.all(hs[~sample.magnetic] == 0.0)
    # H = c s / mu0 with s the mean over the z sub-cells of the transport mesh
    fine = term.s_fine.reshape(2, 2, -1, 2, 3).mean(axis=3)
    assert np.allclose(term.s, fine, rtol=0, atol=1e-14 * np.abs(fine).max())
    mag = sample.magnetic
    assert np.allclose(hs[mag], FM.effective_c_sd / MU0 * term.s[mag])
    # the warm start is used: the second solve of the same m takes no iterations
    its = term.solver.stats["iterations"]
    term.field(m)
    assert term.solver.stats["iterations"] == its
    # time-dependent current through a callable
    tt = SpinAccumulationField(sample, "moment", lambda t: 2 * J * t, z_refine=2)
    assert np.allclose(tt.field(m, t=0.5), hs * 0 + tt.field(m, t=0.5))
    assert np.abs(tt.field(m, t=0.0)).max() == 0.0
    with pytest.raises(ValueError, match="model"):
        SpinAccumulationField(sample, "kinetic", J)


def coupled_trilayer(alpha: float) -> tuple[Sample, np.ndarray]:
    """2×2 cells in-plane, FM1 10 nm along +x / spacer 6 nm / FM2 10 nm at 60° in-plane, 2 nm
    cells: a small stack for the coupled LLG + transport tests."""
    fm = dataclasses.replace(FM, A=1.3e-11, alpha=alpha)
    sample = Sample.stack(
        (2, 2), (2e-9,) * 3, [("FM1", 10e-9, fm), ("spacer", 6e-9, NM), ("FM2", 10e-9, fm)]
    )
    m0 = np.zeros(sample.grid.vshape)
    m0[sample.mask("FM1")] = [1.0, 0.0, 0.0]
    m0[sample.mask("FM2")] = [0.5, math.sqrt(3) / 2, 0.0]
    return sample, m0


@pytest.mark.parametrize("model", ["diffusion", "moment"])
def test_coupled_llg_with_rk45_and_gspm(model):
    # the term drives both integrators (s re-solved at every stage, warm-started): over 2 ps the
    # FM2 change is in the linear regime (~5e-3 rad), so it must equal rate(m0)·t within 2 %
    # (curvature O(rate·t) and exchange response), and the two integrators agree within 2 %
    from spintorque.dynamics import LLG
    from spintorque.dynamics.integrators import make_integrator
    from spintorque.fields import EffectiveField, Exchange

    sample, m0 = coupled_trilayer(alpha=0.02)
    t_end = 2e-12
    changes = {}
    for name, opts in (("rk45", {"rtol": 1e-8, "atol": 1e-8}), ("gspm", {"dt": 2e-14})):
        term = SpinAccumulationField(sample, model, 1e11, z_refine=2)
        field = EffectiveField([Exchange(sample), term], sample.grid.vshape)
        llg = LLG(sample, field)
        rate = sample.average(llg.rhs(0.0, m0), "FM2")
        m = make_integrator(name, llg, **opts).advance(0.0, m0.copy(), t_end)
        changes[name] = sample.average(m, "FM2") - sample.average(m0, "FM2")
        assert np.linalg.norm(changes[name] - rate * t_end) < 2e-2 * np.linalg.norm(rate * t_end)
        assert term.solver.stats["solves"] > 10
    diff = np.linalg.norm(changes["rk45"] - changes["gspm"])
    assert diff < 2e-2 * np.linalg.norm(changes["rk45"])


def test_implicit_euler_relaxes_to_the_quasi_static_solution():
    # time-dependent mode with transport: from s = 0, 60 steps of 20 fs (24 tau_sf(FM) in all)
    # reach the quasi-static FM/NM solution to 1e-6 (slowest relaxation ~ tau_sf(FM) = 50 fs:
    # factor 1/(1 + dt/tau) ≈ 0.71 per step, 0.71^60 ≈ 1e-9)
    sample = Sample.stack((1, 1), (1e-9,) * 3, [("FM", 20e-9, FM), ("NM", 20e-9, NM)])
    m = np.zeros(sample.grid.vshape)
    m[sample.mask("FM")] = [0.0, 0.6, 0.8]
    model = DiffusionModel(sample, J)
    solver = TransportSolver(model, method="splu")
    ref = solver.solve(m)
    s = np.zeros_like(ref)
    for _ in range(60):
        s = solver.step(m, s, 20e-15)
    assert np.abs(s - ref).max() < 1e-6 * np.abs(ref).max()
    # and one step is the implicit Euler formula: (I/dt + K) s1 = b + s0/dt
    s0 = ref * 0.5
    s1 = solver.step(m, s0, 1e-15)
    K, b = model.system(m)
    resid = (K @ s1.reshape(-1) + (s1 - s0).reshape(-1) / 1e-15) - b
    assert np.linalg.norm(resid) < 1e-10 * np.linalg.norm(b)


def update_mode_gaps(name: str, dts, evaluations_per_step: int, **options) -> list[float]:
    """Max |m_step − m_evaluation| after 4 ps on :func:`coupled_trilayer` (α = 0.1, diffusion,
    j = 1e12 A/m²) for integrator ``name`` at each dt; checks the solve counts per step."""
    from spintorque.dynamics import LLG
    from spintorque.dynamics.integrators import make_integrator
    from spintorque.fields import EffectiveField, Exchange

    sample, m0 = coupled_trilayer(alpha=0.1)
    gaps = []
    for dt in dts:
        ends = {}
        for update, per_step in (("step", 1), ("evaluation", evaluations_per_step)):
            term = SpinAccumulationField(sample, "diffusion", 1e12, z_refine=2, rtol=1e-11)
            llg = LLG(sample, EffectiveField([Exchange(sample), term], sample.grid.vshape))
            integ = make_integrator(name, llg, dt=dt, transport_update=update, **options)
            ends[update] = integ.advance(0.0, m0.copy(), 4e-12)
            assert term.solver.stats["solves"] == per_step * integ.stats["steps"]
        gaps.append(float(np.abs(ends["step"] - ends["evaluation"]).max()))
    with pytest.raises(ValueError, match="transport_update"):
        make_integrator(name, llg, transport_update="stage")
    return gaps


def test_gspm_one_transport_solve_per_step_is_first_order():
    # GSPM with transport_update = "step" solves s at m^n only and reuses it for the damping
    # half-step at m*; "evaluation" solves at both. Both are first order, so the gap between the
    # two must shrink like dt (ratio ~2 per halving, accepted 1.6-2.5), and "step" must make
    # exactly one solve per step.
    gaps = update_mode_gaps("gspm", (8e-14, 4e-14, 2e-14), 2)
    assert gaps[-1] > 0
    ratios = [gaps[0] / gaps[1], gaps[1] / gaps[2]]
    assert all(1.6 < r < 2.5 for r in ratios), (gaps, ratios)


def test_time_dependent_mode_builds_up_and_reaches_the_quasi_static_torque():
    # transport mode "implicit" under GSPM: s starts at 0 when the current is switched on; the
    # transverse s (the torque) builds up at the complex rate k = 1/tau_sf + i/tau_J with
    # tau_sf = lambda_sf²/D0 = 100 fs, tau_J = lambda_J²/D0 = 16 fs, i.e. in |1/k| = 15.8 fs
    # (docs/theory/transport.md, quasi-static and time-dependent solves), then tracks the
    # quasi-static s. So over T = 2 ps the FM2 change lags the quasi-static run by about
    # |1/k|/T = 0.8 % (accepted: 0.5-2 × that; implicit Euler at 10 fs adds ~dt/2), and at the
    # end the two s differ by < 1 %.
    from spintorque.dynamics import LLG
    from spintorque.dynamics.integrators import make_integrator
    from spintorque.fields import EffectiveField, Exchange

    sample, m0 = coupled_trilayer(alpha=0.02)
    changes, terms = {}, {}
    for mode in ("quasistatic", "implicit"):
        term = SpinAccumulationField(sample, "diffusion", 1e11, z_refine=2, mode=mode, rtol=1e-10)
        llg = LLG(sample, EffectiveField([Exchange(sample), term], sample.grid.vshape))
        m = make_integrator("gspm", llg, dt=1e-14).advance(0.0, m0.copy(), 2e-12)
        changes[mode] = sample.average(m, "FM2") - sample.average(m0, "FM2")
        terms[mode] = term
    lag = 1 - np.dot(changes["implicit"], changes["quasistatic"]) / np.dot(
        changes["quasistatic"], changes["quasistatic"]
    )
    expected = abs(1 / complex(FM.D0 / FM.lambda_sf**2, FM.D0 / 4e-9**2)) / 2e-12
    assert 0.5 * expected < lag < 2 * expected, (lag, expected)
    s_q, s_i = terms["quasistatic"].s, terms["implicit"].s
    assert np.abs(s_i - s_q).max() < 1e-2 * np.abs(s_q).max()
    # evaluations may not go back in time
    with pytest.raises(ValueError, match="implicit"):
        terms["implicit"].field(m0, 1e-12)
    with pytest.raises(ValueError, match="mode"):
        SpinAccumulationField(sample, "diffusion", 1e11, mode="explicit")


@pytest.mark.parametrize("name, evaluations", [("rk45", 6), ("rk43", 4)])
def test_rk_one_transport_solve_per_step_is_second_order(name, evaluations):
    # rk45 / rk43 with transport_update = "step" predict s at the inner stages by linear
    # extrapolation in time from the last two solves: O(dt²) in s, so the gap to the
    # every-stage solve must shrink like dt² (fixed steps; ratio ~4 per halving, accepted
    # 3-5.5; measured rk45 4.03, 4.02), one solve per step
    gaps = update_mode_gaps(name, (2e-13, 1e-13, 5e-14), evaluations, adaptive=False)
    ratios = [gaps[0] / gaps[1], gaps[1] / gaps[2]]
    assert all(3.0 < r < 5.5 for r in ratios), (gaps, ratios)


def prediction_errors(order: int, dts) -> list[float]:
    """Largest |s_predicted − s_solved| [A/m] over the solves after the first 1 ps of a coupled
    rk43 run (fixed steps dt, one solve per step at its start, :func:`coupled_trilayer`,
    diffusion, j = 1e12 A/m²) with the given ``predict_order``: the error of the prediction one
    step ahead, in the dynamics of a coupled run."""
    from spintorque.dynamics import LLG
    from spintorque.dynamics.integrators import make_integrator
    from spintorque.fields import EffectiveField, Exchange

    sample, m0 = coupled_trilayer(alpha=0.1)
    out = []
    for dt in dts:
        term = SpinAccumulationField(sample, "diffusion", 1e12, z_refine=2, rtol=1e-12,
                                     predict_order=order)
        solve, worst = term.solve, [0.0]

        def recording(m, t=0.0, solve=solve, term=term, worst=worst):
            ahead = term.predict(t) if len(term.solves) == order + 1 else None
            s = solve(m, t)
            if ahead is not None and t > 1e-12:
                worst[0] = max(worst[0], float(np.abs(ahead - s).max()))
            return s

        term.solve = recording
        llg = LLG(sample, EffectiveField([Exchange(sample), term], sample.grid.vshape))
        make_integrator("rk43", llg, dt=dt, adaptive=False,
                        transport_update="step").advance(0.0, m0.copy(), 3e-12)
        out.append(worst[0])
    return out


def test_quadratic_prediction_of_s_is_third_order():
    # one solve per step: the prediction of s one step ahead errs by O(dt²) when linear
    # (predict_order 1) and O(dt³) when quadratic (2), measured in a coupled run with fixed
    # steps: ratios ~4 and ~8 per halving (accepted 3-5 and 6-10; measured 3.96, 3.99 and
    # 7.62, 7.92), and the quadratic prediction far closer at the smallest step (0.09× the
    # linear one's at 50 fs)
    dts = (2e-13, 1e-13, 5e-14)
    linear, quadratic = prediction_errors(1, dts), prediction_errors(2, dts)
    lin = [linear[0] / linear[1], linear[1] / linear[2]]
    quad = [quadratic[0] / quadratic[1], quadratic[1] / quadratic[2]]
    assert all(3.0 < r < 5.0 for r in lin), (linear, lin)
    assert all(6.0 < r < 10.0 for r in quad), (quadratic, quad)
    assert quadratic[-1] < 0.2 * linear[-1]


def test_quadratic_prediction_is_exact_for_a_quadratic_in_time():
    # the prediction from three solves at uneven times reproduces s(t) = a + b t + c t² to
    # round-off at any t, in field() under hold as in predict(); the checkpoint carries the
    # solves on both meshes
    sample, m0 = coupled_trilayer(alpha=0.1)
    term = SpinAccumulationField(sample, "diffusion", 1e12, z_refine=2, predict_order=2)
    rng = np.random.default_rng(7)
    a, b, c = (rng.normal(size=sample.grid.vshape) for _ in range(3))

    def s_of(t):
        return a + b * t + c * t * t

    term.solves = [(t, s_of(t)) for t in (0.0, 0.7, 1.9)]
    for t in (2.5, 3.1):
        np.testing.assert_allclose(term.predict(t), s_of(t), rtol=0, atol=1e-12 * 20)
        term.hold = True
        h = term.field(m0, t)
        np.testing.assert_allclose(h, s_of(t) * term._c_over_mu0, rtol=1e-12,
                                   atol=1e-12 * np.abs(h).max())
        term.hold = False
    with pytest.raises(ValueError, match="predict_order"):
        SpinAccumulationField(sample, "diffusion", 1e12, predict_order=3)
    term.solves = []
    for k, t in enumerate((0.0, 1e-13, 2e-13)):  # three solves at slightly different m
        m = m0.copy()
        m[sample.magnetic, 1] += 0.01 * k
        m[sample.magnetic] /= np.linalg.norm(m[sample.magnetic], axis=-1, keepdims=True)
        term.solve(m, t)
    state = term.state_dict()
    assert state["fine_solves"].shape[0] == 3 and state["solves"].shape[0] == 3
    other = SpinAccumulationField(sample, "diffusion", 1e12, z_refine=2, predict_order=2)
    other.load_state_dict(state)
    assert np.array_equal(other._predict_fine(3e-13), term._predict_fine(3e-13))
    assert np.array_equal(other.predict(3e-13), term.predict(3e-13))


def test_rk_solve_after_acceptance_keeps_the_solve_noise_out_of_the_step_size():
    # transport_update = "accepted": the error estimate sees the predicted s only, and s is
    # solved once a step has passed. A loose transport tolerance (1e-3: each solve off by about
    # that, differently every time) must then not shorten the steps: rk43 at rtol 1e-6 on the
    # coupled trilayer (j = 1e12 A/m², 20 ps) took 92 steps against 88 with exact solves
    # (accepted: 15 %), where "step", whose FSAL stage carries the fresh solve into the
    # estimate, took 193 (accepted: at least 1.5× "accepted"). The result stays as close to
    # the every-stage reference (rk45, rtol 1e-10, exact solves) as "step"'s (measured 2.8e-4
    # and 3.2e-4, both set by the transport tolerance; accepted: within 1.5×), and a rejected
    # step costs no solve (solves = accepted steps + the first).
    from spintorque.dynamics import LLG
    from spintorque.dynamics.integrators import make_integrator
    from spintorque.fields import EffectiveField, Exchange

    sample, m0 = coupled_trilayer(alpha=0.1)

    def run(name, update, rtol, transport_rtol):
        term = SpinAccumulationField(sample, "diffusion", 1e12, z_refine=2, rtol=transport_rtol)
        llg = LLG(sample, EffectiveField([Exchange(sample), term], sample.grid.vshape))
        integ = make_integrator(name, llg, rtol=rtol, atol=rtol, transport_update=update)
        m = integ.advance(0.0, m0.copy(), 20e-12)
        return m, integ.stats, term.solver.stats["solves"]

    ref = run("rk45", "evaluation", 1e-10, 1e-12)[0]
    m_exact, st_exact, _ = run("rk43", "accepted", 1e-6, 1e-11)
    m_acc, st_acc, solves = run("rk43", "accepted", 1e-6, 1e-3)
    m_step, st_step, _ = run("rk43", "step", 1e-6, 1e-3)
    assert st_acc["steps"] <= 1.15 * st_exact["steps"], (st_acc, st_exact)
    assert st_step["steps"] >= 1.5 * st_acc["steps"], (st_step, st_acc)
    assert solves == st_acc["steps"] + 1
    err_acc, err_step = np.abs(m_acc - ref).max(), np.abs(m_step - ref).max()
    assert err_acc <= 1.5 * err_step, (err_acc, err_step)
    # with exact solves the lag the estimate no longer sees stays below the rtol-scale error
    # of the scheme over 20 ps (measured 1.4e-5)
    assert np.abs(m_exact - ref).max() < 5e-5


def test_corrected_update_raises_the_coupling_order_from_two_to_four():
    # transport_update = "corrected": after the solve at the end of an accepted step, the step
    # is corrected by dt · mean(ω/ω(t1)) · rate(c δs/mu0), δs the prediction's measured error.
    # Fixed steps (dt_max = dt, no rejections) with exact solves on the coupled trilayer at
    # 3e12 A/m², 4 ps, against rk45 with s solved at every stage (rtol 1e-11): "accepted" errs
    # at second order (the first step predicts s constant: O(dt²) per step; measured ratios
    # 3.90, 3.98 per halving), "corrected" at fourth (the leading lag term is removed; measured
    # 15.8, 15.7, error 21× and 84× smaller at 100 and 50 fs). Tolerated: ratios 3-5 and 12-20.
    from spintorque.dynamics import LLG
    from spintorque.dynamics.integrators import make_integrator
    from spintorque.fields import EffectiveField, Exchange

    sample, m0 = coupled_trilayer(alpha=0.1)

    def run(update, dt=None):
        term = SpinAccumulationField(sample, "diffusion", 3e12, z_refine=2, rtol=1e-12,
                                     predict_order=2)
        llg = LLG(sample, EffectiveField([Exchange(sample), term], sample.grid.vshape))
        steps = ({"rtol": 1e-11, "atol": 1e-11} if dt is None
                 else {"rtol": 1.0, "atol": 1.0, "dt": dt, "dt_max": dt})
        integ = make_integrator("rk45" if dt is None else "rk43", llg,
                                transport_update=update, **steps)
        m = integ.advance(0.0, m0.copy(), 4e-12)
        if dt is not None:
            assert integ.stats["steps"] == round(4e-12 / dt) and integ.stats["rejected"] == 0
        return m

    ref = run("evaluation")
    dts = (2e-13, 1e-13, 5e-14)
    errs = {u: [float(np.abs(run(u, dt) - ref).max()) for dt in dts]
            for u in ("accepted", "corrected")}
    acc, cor = errs["accepted"], errs["corrected"]
    assert all(3.0 < acc[i] / acc[i + 1] < 5.0 for i in range(2)), acc
    assert all(12.0 < cor[i] / cor[i + 1] < 20.0 for i in range(2)), cor
    assert cor[-1] < 0.05 * acc[-1], (acc, cor)
