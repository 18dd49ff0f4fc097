"""The thermal field and the stochastic Heun scheme against analytic references.

Statistics come from ensembles of independent macrospins: a 64 x 64 x 1 (or 128 x 128 x 1) grid
of cells with uniaxial anisotropy along z, no exchange and no stray field, so that every cell is
one particle. Tolerances are 5 standard errors of the estimate (about 1 false failure in 1.7
million per check for Gaussian errors) plus, where stated, a bound on the time-step bias; the
seeds are fixed, so every run of this file draws the same numbers.

Units: t_K = (1 + α²)/(α γ0 H_K) is the damping time of the anisotropy field H_K = 2K/(μ0 Ms);
σ = K V / (k_B T) is the barrier in units of k_B T.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from scipy import integrate

from spintorque import Grid, Material, Sample
from spintorque.config import ConfigError, config_from_dict
from spintorque.constants import GAMMA0, MU0
from spintorque.drive import Checkpointing, Stop, drive
from spintorque.dynamics import LLG
from spintorque.dynamics.integrators import INTEGRATORS, make_integrator
from spintorque.fields import EffectiveField, Zeeman
from spintorque.fields.anisotropy import UniaxialAnisotropy
from spintorque.fields.thermal import K_B, ThermalField
from spintorque.io.checkpoint import load_checkpoint
from spintorque.io.errors import UserError
from spintorque.io.table import read_table
from spintorque.problem import Problem, Stepping
from spintorque.simulation import build, run_config

CELL = 5e-9  # m, cube
VOLUME = CELL**3
MS = 1e6  # A/m
KU = 2e5  # J/m^3
HK = 2 * KU / (MU0 * MS)  # A/m
SIGMA_AT = {s: KU * VOLUME / (s * K_B) for s in (1.0, 3.0, 5.0, 7.0, 8.0, 2.0)}  # sigma -> T [K]


def t_k(alpha: float) -> float:
    """Damping time (1 + α²)/(α γ0 H_K) [s] of the macrospins."""
    return (1 + alpha**2) / (alpha * GAMMA0 * HK)


def macrospins(n: int = 64, alpha: float = 1.0) -> Sample:
    """n x n x 1 independent uniaxial particles (easy axis z)."""
    mat = Material("particle", Ms=MS, Ku=KU, axis=(0, 0, 1), alpha=alpha)
    return Sample.uniform(Grid((n, n, 1), (CELL,) * 3), mat)


def heun(sample: Sample, thermal: ThermalField, dt: float, extra=()):
    terms = [UniaxialAnisotropy(sample), *extra, thermal]
    llg = LLG(sample, EffectiveField(terms, sample.grid.vshape))
    return make_integrator("heun", llg, dt=dt)


def up(sample: Sample) -> np.ndarray:
    m = np.zeros(sample.grid.vshape)
    m[..., 2] = 1.0
    return m


# -- the field itself ------------------------------------------------------------------------------


def test_field_variance_is_the_fluctuation_dissipation_value():
    """σ² = 2 α k_B T / (γ0 μ0 Ms V Δt) per component, zero where T = 0, Ms = 0 or α = 0; one
    draw per step, the same field for every evaluation within the step, zero outside."""
    hot = Material("hot", Ms=MS, alpha=0.3)
    still = Material("still", Ms=MS, alpha=0.0)
    region = np.broadcast_to(np.array([0, 1, 2, 0], np.int16), (64, 64, 4)).copy()
    sample = Sample(Grid((64, 64, 4), (CELL,) * 3), region,
                    (hot, Material("vacuum"), still), ("a", "gap", "b"))
    th = ThermalField(sample, T=300.0, seed=3, per_region={"a": 450.0})
    dt = 1e-13
    m = up(sample)
    assert not th.field(m).any() and th.energy(m) == 0.0  # off outside a step
    th.begin_step(dt)
    h = th.field(m)
    assert np.array_equal(h, th.field(m))  # the same field at every stage
    expect = 2 * 0.3 * K_B * 450.0 / (GAMMA0 * MU0 * MS * VOLUME * dt)
    region = sample.region
    values = h[region == 0].ravel()
    n = values.size  # 3 x 2 layers x 4096 cells
    # the sample variance has relative standard error sqrt(2/n)
    assert abs(values.var() / expect - 1) < 5 * math.sqrt(2 / n)
    assert abs(values.mean()) < 5 * math.sqrt(expect / n)
    assert not h[region != 0].any()  # vacuum and α = 0: no noise
    th.end_step()
    assert not th.field(m).any()
    th.begin_step(dt)
    assert not np.array_equal(th.field(m), h)  # a new step draws anew
    assert th.steps_drawn == 2


# -- equilibrium -----------------------------------------------------------------------------------


def boltzmann_cos2(sigma: float) -> float:
    """⟨cos²θ⟩ of p(θ) ∝ sinθ exp(−σ sin²θ) (numerical quadrature)."""
    weight = lambda x, p: x**p * math.exp(-sigma * (1 - x * x))  # noqa: E731  x = cosθ
    return (integrate.quad(weight, 0, 1, args=(2,))[0]
            / integrate.quad(weight, 0, 1, args=(0,))[0])


def boltzmann_bins(sigma: float, edges: np.ndarray) -> np.ndarray:
    """Probability of each bin of |cosθ| ∈ [0, 1] under p ∝ exp(−σ (1 − x²)) dx."""
    cdf = [integrate.quad(lambda x: math.exp(-sigma * (1 - x * x)), 0, e)[0] for e in edges]
    return np.diff(cdf) / cdf[-1]


@pytest.mark.parametrize("sigma", [1.0, 3.0, 8.0])
def test_equilibrium_distribution_is_boltzmann(sigma):
    """4096 particles at α = 1, Δt = 0.02 t_K: after 5 t_K, 40 samples 1 t_K apart per particle.
    ⟨cos²θ⟩ and a 10-bin histogram of |cosθ| agree with p(θ) ∝ sinθ exp(−σ sin²θ) within 5
    standard errors; the errors are computed from the particles' time averages (independent
    particles, so no autocorrelation assumption). Both observables are even in m_z: the
    Fokker-Planck operator commutes with m_z -> −m_z, so their relaxation from the start m = +z
    involves only the fast even modes, not the slow hopping between the wells (at σ = 3 the
    wells are still unequally filled after 45 t_K). Measured ⟨cos²θ⟩: σ = 1: 0.43003 ± 0.00083
    (exact 0.42923), σ = 3: 0.62595 ± 0.00103 (0.62619), σ = 8: 0.86197 ± 0.00049 (0.86207)."""
    sample = macrospins(64, alpha=1.0)
    h = 0.02
    integ = heun(sample, ThermalField(sample, T=SIGMA_AT[sigma], seed=11), h * t_k(1.0))
    t, m = 0.0, up(sample)
    burn, every = int(round(5 / h)), int(round(1 / h))
    edges = np.linspace(0, 1, 11)
    cos2 = np.zeros(sample.grid.shape)
    counts = np.zeros((10, *sample.grid.shape))
    samples = 40
    for i in range(burn + samples * every):
        t, m = integ.step(t, m)
        if i >= burn and (i - burn) % every == every - 1:
            z = m[..., 2]
            cos2 += z * z
            idx = np.clip(np.searchsorted(edges, np.abs(z), side="right") - 1, 0, 9)
            for b in range(10):
                counts[b] += idx == b
    per_cell = cos2.ravel() / samples
    ncell = per_cell.size
    est, se = per_cell.mean(), per_cell.std(ddof=1) / math.sqrt(ncell)
    assert abs(est - boltzmann_cos2(sigma)) < 5 * se, (est, se, boltzmann_cos2(sigma))
    frac = counts.reshape(10, -1) / samples  # per-particle bin fractions
    p_hat = frac.mean(axis=1)
    p_se = frac.std(axis=1, ddof=1) / math.sqrt(ncell) + 1e-4 / math.sqrt(ncell)
    expect = boltzmann_bins(sigma, edges)
    assert np.all(np.abs(p_hat - expect) < 5 * p_se), (p_hat, expect, p_se)


# -- escape over the barrier -----------------------------------------------------------------------


def exact_passage_time(sigma: float, c: float) -> float:
    """Mean time [t_K] from cosθ = c to cosθ = −c for p ∝ exp(−σ sin²θ) on the sphere: the exact
    first-passage integral of the axially symmetric Fokker-Planck equation,
    T = (1/D) ∫_a^b dy e^{σ sin²y}/sin y ∫_0^y sin z e^{−σ sin²z} dz, with the rotational
    diffusion constant D = α γ0 k_B T/((1 + α²) μ0 Ms V) = 1/(2σ t_K)."""
    a, b = math.acos(c), math.pi - math.acos(c)

    def inner(y: float) -> float:
        return integrate.quad(lambda z: math.sin(z) * math.exp(-sigma * math.sin(z) ** 2),
                              0, y)[0]

    outer = integrate.quad(lambda y: math.exp(sigma * math.sin(y) ** 2) / math.sin(y)
                           * inner(y), a, b, limit=200)[0]
    return 2 * sigma * outer


def brown_time(sigma: float) -> float:
    """Brown's high-barrier escape time [t_K] out of one well, 1/f0 e^σ with
    f0 = α γ0 H_K/(1 + α²) √(σ/π): t_K √(π/σ) e^σ (half of it is Brown's relaxation time of the
    two-well population difference)."""
    return math.sqrt(math.pi / sigma) * math.exp(sigma)


@pytest.mark.parametrize(("sigma", "duration"), [(5.0, 100.0), (7.0, 300.0)])
def test_escape_time_against_brown(sigma, duration):
    """4096 particles at α = 1, Δt = 0.02 t_K, from m = +z; a particle has escaped when
    m·z crosses −0.8 (then +0.8 on the way back, and so on). The mean time between crossings is
    the total time over the number of crossings (exponential waiting times; relative standard
    error 1/√n). It must match the exact first-passage integral within 5 standard errors plus a
    3 % allowance for the step bias (measured at σ = 6: +2.5 % ± 2.5 % at Δt = 0.02 t_K, +1.5 %
    at 0.01), and Brown's asymptotic formula within its finite-barrier correction, which is
    ≈ 1.4/σ here (exact/Brown = 1.29 at σ = 5, 1.19 at σ = 7) and is bounded by 2/σ.
    Measured [t_K]: σ = 5: 152.2 ± 2.9 (2692 crossings; exact 151.8, Brown 117.6), σ = 7:
    882 ± 24 (1393; exact 877, Brown 735)."""
    alpha, h, c = 1.0, 0.02, 0.8
    sample = macrospins(64, alpha=alpha)
    integ = heun(sample, ThermalField(sample, T=SIGMA_AT[sigma], seed=int(sigma)),
                 h * t_k(alpha))
    t, m = 0.0, up(sample)
    side = np.ones(sample.grid.shape)
    events = 0
    steps = int(round(duration / h))
    for _ in range(steps):
        t, m = integ.step(t, m)
        crossed = m[..., 2] * side < -c
        k = int(np.count_nonzero(crossed))
        if k:
            events += k
            side[crossed] *= -1.0
    assert events > 1000
    measured = steps * h * side.size / events  # [t_K]
    rel_se = 1 / math.sqrt(events)
    exact, brown = exact_passage_time(sigma, c), brown_time(sigma)
    assert abs(measured / exact - 1) < 5 * rel_se + 0.03, (measured, exact, events)
    assert 1 - 5 * rel_se < measured / brown < 1 + 2 / sigma + 5 * rel_se + 0.03, \
        (measured, brown)


# -- weak order ------------------------------------------------------------------------------------


class CoupledNoise(ThermalField):
    """The thermal field of a step of k fine steps: the normalized sum of the k fine standard
    normals, drawn from the same seeded stream, so that runs at Δt and Δt/k follow the same
    Brownian path (their difference then has the small variance of the strong error)."""

    def __init__(self, *args, substeps: int = 1, **kwargs):
        self.substeps = substeps
        super().__init__(*args, **kwargs)

    def _standard_normal(self, out: np.ndarray) -> None:
        out[...] = 0.0
        fine = np.empty_like(out)
        for _ in range(self.substeps):
            self._rng.standard_normal(out=fine)
            out += fine
        out *= 1.0 / math.sqrt(self.substeps)


def test_weak_order_of_stochastic_heun():
    """⟨m_z(4 t_p)⟩ of 16384 particles (α = 0.1, σ = 2, a transverse field 0.3 H_K, start 11°
    off x; t_p = 1/(γ0 H_K)) at Δt = 0.4, 0.2, 0.1, 0.05 t_p against Δt = 0.00625 t_p on the
    same Brownian paths. The weak error must be resolved (> 5 standard errors) at every step
    and its fitted order lie within 1 ± 0.3 (the fit's statistical error is about 0.1).
    Measured: errors 4.19e-3, 2.31e-3, 1.24e-3, 0.70e-3 (± 0.43, 0.27, 0.18, 0.12 e-3), order
    0.87 (pairwise 0.86, 0.90, 0.83)."""
    sample = macrospins(128, alpha=0.1)
    tp = 1 / (GAMMA0 * HK)
    steps, ref_step = [0.4, 0.2, 0.1, 0.05], 0.00625

    def run(h: float) -> np.ndarray:
        th = CoupledNoise(sample, T=SIGMA_AT[2.0], seed=5, substeps=int(round(h / ref_step)))
        integ = heun(sample, th, h * tp, extra=[Zeeman(sample, B=(0.3 * MU0 * HK, 0, 0))])
        m = np.zeros(sample.grid.vshape)
        m[..., 0], m[..., 2] = 1.0, 0.2
        m /= np.linalg.norm(m, axis=-1, keepdims=True)
        return integ.advance(0.0, m, 4 * tp)[..., 2].ravel()

    ref = run(ref_step)
    errors, ses = [], []
    for h in steps:
        d = run(h) - ref
        errors.append(d.mean())
        ses.append(d.std(ddof=1) / math.sqrt(d.size))
    errors, ses = np.abs(errors), np.array(ses)
    assert np.all(errors > 5 * ses), (errors, ses)
    order = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert 0.7 < order < 1.3, (order, errors)


def test_without_noise_heun_is_second_order():
    """T = 0: the explicit trapezoidal rule, order 2 against rk4 at a small step."""
    sample = macrospins(1, alpha=0.1)
    th = ThermalField(sample, T=0.0)
    extra = [Zeeman(sample, B=(0.3 * MU0 * HK, 0, 0))]
    tp = 1 / (GAMMA0 * HK)
    m0 = np.zeros(sample.grid.vshape)
    m0[..., 0], m0[..., 2] = 1.0, 0.5
    m0 /= np.linalg.norm(m0, axis=-1, keepdims=True)
    terms = [UniaxialAnisotropy(sample), *extra]
    ref = make_integrator("rk4", LLG(sample, EffectiveField(terms, sample.grid.vshape)),
                          dt=0.002 * tp).advance(0.0, m0, 5 * tp)
    errs = [np.abs(heun(sample, th, h * tp, extra).advance(0.0, m0, 5 * tp) - ref).max()
            for h in (0.1, 0.05, 0.025)]
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(np.abs(orders - 2) < 0.2), orders


# -- reproducibility and checkpoints ---------------------------------------------------------------


def _trajectory(seed: int, steps: int = 50) -> np.ndarray:
    sample = macrospins(8, alpha=0.5)
    integ = heun(sample, ThermalField(sample, T=300.0, seed=seed), 1e-13)
    t, m = 0.0, up(sample)
    for _ in range(steps):
        t, m = integ.step(t, m)
    return m


def test_same_seed_same_trajectory():
    a, b, c = _trajectory(1), _trajectory(1), _trajectory(2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.allclose(np.linalg.norm(a, axis=-1), 1.0, atol=1e-14)


def thermal_config(rows: int = 200, checkpoint_every: float = 60.0) -> dict:
    """A 8 x 8 x 1 PMA film with exchange at 300 K, stepped by heun (no stray field)."""
    return {
        "mesh": {"cell": [2.5e-9, 2.5e-9, 1.5e-9], "size": [20e-9, 20e-9, 1.5e-9]},
        "layer": [{"name": "dot", "thickness": 1.5e-9, "material": "cofeb",
                   "initial": {"uniform": [0.0, 0.1, 1.0]}}],
        "material": {"cofeb": {"Ms": 1.1e6, "A": 1.5e-11, "Ku": 1.2e6, "axis": [0, 0, 1],
                               "alpha": 0.05}},
        "demag": {"enabled": False},
        "thermal": {"T": 300.0, "seed": 7},
        "run": {"duration": rows * 1e-12, "output_every": 1e-12, "integrator": "heun",
                "dt": 2e-14, "checkpoint_every": checkpoint_every},
    }


def test_resume_from_checkpoint_continues_the_same_trajectory(tmp_path):
    """Drive to t1 and checkpoint there; a fresh problem (its generator freshly seeded) resumed
    from the file ends bit for bit where the uninterrupted run ends."""
    cfg = thermal_config()
    stops = [Stop(k * 1e-12) for k in range(41)]
    ref = build(cfg)
    full = drive(ref, ref.m0, stops)
    plan = Checkpointing(tmp_path / "ck.npz", "x", every=None, at_end=True)
    first = build(cfg)
    drive(first, first.m0, stops[:17], checkpointing=plan)
    ck = load_checkpoint(tmp_path / "ck.npz")
    assert ck.t == stops[16].t and ck.stop_index == 17
    assert isinstance(ck.extra["thermal/rng"]["state"]["state"], int)  # 128-bit, exact in JSON
    second = build(cfg)
    resumed = drive(second, ck.m, stops, resume=ck)
    assert np.array_equal(resumed.m, full.m)
    assert second.term("thermal").steps_drawn == first.term("thermal").steps_drawn + 24 * 50
    # without the stream's state the continuation differs (the test would notice a lost state)
    del ck.extra["thermal/rng"]
    assert not np.array_equal(drive(build(cfg), ck.m, stops, resume=ck).m, full.m)


RUNNER = ("import json, sys; from spintorque.simulation import run_config; "
          "run_config(json.loads(sys.argv[1]), sys.argv[2], progress=None)")


def test_sigkill_and_resume_is_bit_identical(tmp_path):
    """``spintorque run`` killed with SIGKILL mid-run and started again on the folder ends with
    the same m and the same table as an uninterrupted run."""
    cfg = thermal_config(rows=800, checkpoint_every=0.05)
    ref = run_config(cfg, tmp_path / "ref", progress=None)
    cols, ref_table = read_table(tmp_path / "ref" / "table.tsv")
    for attempt in range(3):  # a busy machine may let a run finish before the kill: retry
        out = tmp_path / f"killed{attempt}"
        proc = subprocess.Popen([sys.executable, "-c", RUNNER, json.dumps(cfg), str(out)])
        deadline = time.monotonic() + 60
        while proc.poll() is None:
            assert time.monotonic() < deadline, "runner made no progress"
            try:
                if load_checkpoint(out / "checkpoint.npz").t > 0:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode == -signal.SIGKILL:
            break
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert load_checkpoint(out / "checkpoint.npz").t > 0
    result = run_config(cfg, out, progress=None)
    assert result.resumed
    assert np.array_equal(result.m, ref.m)
    again_cols, table = read_table(out / "table.tsv")
    assert again_cols == cols and "T (K)" in cols
    assert np.array_equal(table, ref_table)


# -- the integrator registry and bad input ---------------------------------------------------------


def test_heun_registry_entry_agrees_with_the_class():
    import test_registries as reg

    assert INTEGRATORS["heun"].stochastic and not INTEGRATORS["rk45"].stochastic
    reg.test_spec_agrees_with_what_the_class_accepts_and_does("heun")
    reg.test_state_arrays_against_the_measured_step("heun")


def test_adaptive_and_other_schemes_refuse_a_thermal_field():
    sample = macrospins(4)
    hot = LLG(sample, EffectiveField([ThermalField(sample, T=300.0)], sample.grid.vshape))
    for name in ("rk45", "rk43", "gspm", "rk4", "euler"):
        with pytest.raises(UserError, match="use integrator = 'heun'"):
            make_integrator(name, hot, dt=1e-13)
    cold = LLG(sample, EffectiveField([ThermalField(sample, T=0.0)], sample.grid.vshape))
    make_integrator("rk45", cold)  # T = 0: no noise, any scheme
    problem = Problem(sample, (0, 0, 1), [UniaxialAnisotropy(sample)],
                      drives=[ThermalField(sample, T=300.0)], stepping=Stepping("rk45"))
    with pytest.raises(UserError, match="heun"):
        problem.integrator()


def test_alpha_override_scales_the_noise():
    """The run's damping override reaches the noise amplitude (σ² ∝ α)."""
    sample = macrospins(64, alpha=0.01)
    th = ThermalField(sample, T=300.0, seed=1)
    problem = Problem(sample, (0, 0, 1), [UniaxialAnisotropy(sample)], drives=[th], alpha=0.5,
                      stepping=Stepping("heun", dt=1e-13))
    problem.integrator()
    th.begin_step(1e-13)
    values = th.field(up(sample)).ravel()
    expect = 2 * 0.5 * K_B * 300.0 / (GAMMA0 * MU0 * MS * VOLUME * 1e-13)
    assert abs(values.var() / expect - 1) < 5 * math.sqrt(2 / values.size)


@pytest.mark.parametrize(("change", "message"), [
    ({"T": -1.0}, r"thermal\.T.*greater than or equal to 0"),
    ({"T": float("nan")}, r"thermal\.T.*finite"),
    ({"T": "300"}, r"thermal\.T"),
    ({"T": 2e4}, r"thermal\.T.*less than or equal"),
    ({"seed": -1}, r"thermal\.seed"),
    ({"seed": 1.5}, r"thermal\.seed"),
    ({"seed": True}, r"thermal\.seed"),
    ({"per_region": {"dot": -5.0}}, r"thermal\.per_region\.dot"),
    ({"per_region": {"nowhere": 5.0}}, r"thermal\.per_region\.nowhere.*layer or region name"),
    ({"bogus": 1}, r"thermal\.bogus"),
])
def test_bad_thermal_tables_are_refused_naming_the_key(change, message):
    cfg = thermal_config()
    cfg["thermal"].update(change)
    with pytest.raises(ConfigError, match=message):
        config_from_dict(cfg)


@pytest.mark.parametrize("scheme", ["rk45", "rk43", "gspm"])
def test_config_refuses_t_above_zero_without_heun(scheme):
    cfg = thermal_config()
    cfg["run"]["integrator"] = scheme
    with pytest.raises(ConfigError, match=r"thermal\.T.*use integrator = 'heun'"):
        config_from_dict(cfg)
    cfg["thermal"] = {"T": 0.0, "per_region": {"dot": 10.0}}
    with pytest.raises(ConfigError, match=r"thermal\.per_region.*'heun'"):
        config_from_dict(cfg)
    cfg["thermal"] = {"T": 0.0, "seed": 3}
    assert not build(config_from_dict(cfg)).term("thermal")  # 0 K: no term, any scheme


def test_api_bad_input():
    sample = macrospins(2)
    with pytest.raises(ValueError, match="T = -1"):
        ThermalField(sample, T=-1.0)
    with pytest.raises(ValueError, match="T = nan"):
        ThermalField(sample, T=float("nan"))
    with pytest.raises(ValueError, match="no region named 'x'"):
        ThermalField(sample, T=1.0, per_region={"x": 1.0})
    with pytest.raises(ValueError, match="seed"):
        ThermalField(sample, T=1.0, seed=-3)
    th = ThermalField(sample, T=1.0)
    with pytest.raises(ValueError, match="dt"):
        th.begin_step(0.0)
    with pytest.raises(ValueError, match="PCG64"):
        th.load_state_dict({"rng": {"bit_generator": "MT19937"}})
