"""Barzilai-Borwein minimizer: Stoner-Wohlfarth macrospin, Bloch wall width and its convergence."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq, curve_fit

from spintorque import MU0, Grid, Material, Sample
from spintorque.dynamics import LLG
from spintorque.dynamics.minimize import MinimizeResult, minimize
from spintorque.fields import EffectiveField, Exchange, UniaxialAnisotropy, Zeeman

MS = 8e5


def monotone(result: MinimizeResult, field: EffectiveField) -> None:
    """Accepted energies never rise by more than round-off: 1e-12 of the sum of the terms'
    |energies| (the scale of the cancellation in the total)."""
    e = result.energy_history
    scale = sum(abs(v) for v in field.energies(result.m).values())
    assert np.all(np.diff(e) <= 1e-12 * scale), np.diff(e).max()
    assert e[-1] < e[0]


@pytest.mark.parametrize("psi", [0.3, 2.0, 3.0])
def test_macrospin_in_oblique_field_reaches_stoner_wohlfarth_equilibrium(psi):
    ku, b = 5e4, 0.05  # H/H_K = 0.4: below the switching field at every angle
    sample = Sample.uniform(
        Grid((1, 1, 1), (2e-9,) * 3), Material("m", Ms=MS, Ku=ku, axis=(0, 0, 1))
    )
    field = EffectiveField(
        [UniaxialAnisotropy(sample), Zeeman(sample, B=(b * np.sin(psi), 0, b * np.cos(psi)))],
        sample.grid.vshape,
    )
    m0 = np.array([0.0, 0.05, 1.0]).reshape(1, 1, 1, 3) / np.sqrt(1.0025)
    result = minimize(LLG(sample, field), m0, tol=1e-4)
    assert result.converged and result.max_torque < 1e-4
    monotone(result, field)

    # e(θ) = Ku sin²θ − Ms B cos(θ − ψ), minimum reached from θ ≈ 0 in the x-z plane
    def de(th):
        return ku * np.sin(2 * th) + MS * b * np.sin(th - psi)

    grid = np.linspace(0.0, np.pi, 1001)  # the first minimum from θ = 0: de goes − to +
    k = int(np.nonzero((de(grid[:-1]) < 0) & (de(grid[1:]) >= 0))[0][0])
    th_exact = brentq(de, grid[k], grid[k + 1], xtol=1e-15)
    m = result.m[0, 0, 0]
    # angle error ≈ torque/H_stiff = 1e-4 A/m / 4e4 A/m: 1e-8 rad, with margin for round-off
    assert abs(np.arctan2(m[0], m[2]) - th_exact) < 1e-8
    assert abs(m[1]) < 1e-8


def bloch_wall(h: float, delta: float, a_ex: float, ku: float):
    length = 24 * delta
    n = int(round(length / h))
    sample = Sample.uniform(
        Grid((n, 1, 1), (h, 1e-9, 1e-9)), Material("m", Ms=MS, A=a_ex, Ku=ku, axis=(0, 0, 1))
    )
    field = EffectiveField([Exchange(sample), UniaxialAnisotropy(sample)], sample.grid.vshape)
    x = sample.grid.centers(0) - length / 2
    # start from a wall 1.5x too wide, rotating in the y-z plane (no demag: Bloch = Néel here)
    th = 2 * np.arctan(np.exp(x / (1.5 * delta)))
    m = np.zeros(sample.grid.vshape)
    m[:, 0, 0, 1], m[:, 0, 0, 2] = np.sin(th), np.cos(th)
    h_k = 2 * ku / (MU0 * MS)
    result = minimize(LLG(sample, field), m, tol=1e-7 * h_k)
    return x, result, field


def test_bloch_wall_width_and_second_order_profile_convergence():
    a_ex, ku = 1.3e-11, 5e5
    # docs/theory/llg.md (analytic checks), with the −Ku (m·u)² convention: 5.1 nm
    delta = np.sqrt(a_ex / ku)
    errs, widths = [], []
    for h in (delta / 2, delta / 4, delta / 8):
        x, result, field = bloch_wall(h, delta, a_ex, ku)
        assert result.converged, result.message
        monotone(result, field)
        mz = result.m[:, 0, 0, 2]
        assert np.abs(result.m[:, 0, 0, 0]).max() < 1e-12  # stays in the wall plane
        # θ(x) = 2 arctan exp((x − x0)/δ)  <=>  m_z = −tanh((x − x0)/δ); x0 is free (Neumann ends)
        (x0, d), _ = curve_fit(lambda x, x0, d: -np.tanh((x - x0) / d), x, mz, p0=(0.0, delta))
        widths.append(d)
        errs.append(np.abs(mz + np.tanh((x - x0) / delta)).max())
    # at h = δ/8 the discrete wall width is within 0.5 % of sqrt(A/K) (the discretization
    # error (h/δ)²/12 ≈ 1.3e-3 with margin); the other factor-2 convention would give 41 %
    assert widths[-1] == pytest.approx(delta, rel=5e-3), widths
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    # second order in the cell size (2.05, 2.03 measured)
    assert np.all(np.abs(orders - 2) < 0.15), (errs, orders)


def test_spacer_cells_stay_zero_callback_and_bad_input():
    py = Material("py", Ms=MS, A=1.3e-11, Ku=1e4, axis=(1, 0, 0))
    sample = Sample.stack(
        (4, 3), (2e-9,) * 3, [("FM1", 4e-9, py), ("NM", 2e-9, Material("cu")), ("FM2", 4e-9, py)]
    )
    field = EffectiveField([Exchange(sample), UniaxialAnisotropy(sample)], sample.grid.vshape)
    llg = LLG(sample, field)
    m = np.random.default_rng(2).normal(size=sample.grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    m[~sample.magnetic] = 0
    m_in = m.copy()
    result = minimize(llg, m)
    assert np.array_equal(m, m_in)  # input untouched
    assert result.converged and result.max_torque < 1e-5 * MS
    monotone(result, field)
    assert np.array_equal(result.m[sample.mask("NM")], np.zeros((12, 3)))
    norms = np.linalg.norm(result.m[sample.magnetic], axis=-1)
    assert np.abs(norms - 1).max() < 1e-14
    # each layer relaxes to uniform along ±x (exchange + easy axis, no coupling); the tilt left
    # is about torque/H_K = 8 A/m / 2e4 A/m = 4e-4 rad (factor 2 margin)
    h_k = 2 * 1e4 / (MU0 * MS)
    for name in ("FM1", "FM2"):
        transverse = np.linalg.norm(result.m[sample.mask(name)][:, 1:], axis=-1)
        assert transverse.max() < 2 * 1e-5 * MS / h_k

    seen = []
    stopped = minimize(llg, m, callback=lambda it, mm, e, tq: seen.append(it) or it == 3)
    assert seen == [1, 2, 3] and stopped.iterations == 3 and not stopped.converged
    with pytest.raises(ValueError, match="tol = -1"):
        minimize(llg, m, tol=-1.0)
    with pytest.raises(ValueError, match="shape"):
        minimize(llg, m[:1])


def test_exact_equilibrium_and_nonmagnetic_sample_return_at_once():
    for mat in (Material("py", Ms=MS, A=1.3e-11), Material("cu")):
        sample = Sample.uniform(Grid((3, 1, 1), (1e-9,) * 3), mat)
        m = np.zeros(sample.grid.vshape)
        m[..., 0] = 1.0 if mat.magnetic else 0.0
        result = minimize(LLG(sample, EffectiveField([Exchange(sample)], sample.grid.vshape)), m)
        assert result.converged and result.iterations == 0 and result.max_torque == 0.0
        assert np.array_equal(result.m, m)
