"""Rescaled 1D moment system, AP scheme and diffusion limit (docs/theory/hierarchy.md, moment level
and diffusion limit)."""

import numpy as np
import pytest
import scipy.linalg

from spintorque.hierarchy.moments import (
    MomentSystem1D,
    cross_matrix,
    inverse_p_minus_qK,
    mode_matrices,
)
from spintorque.hierarchy.studies import layered_error, layered_M, single_mode_error

L = 2 * np.pi


def test_closed_form_inverse_matches_numpy():
    rng = np.random.default_rng(1)
    M = rng.normal(size=(5, 3))  # not unit: the |M|² denominator must be right too
    for p, q in [(1.0, 1.0), (2.5, -0.7), (1e3, 1e3 - 1)]:
        ref = np.linalg.inv(p * np.eye(3) - q * cross_matrix(M))
        assert np.allclose(inverse_p_minus_qK(p, q, M), ref, rtol=1e-12, atol=1e-15)


def test_transverse_coefficients_of_the_talk():
    # a = 1, M = e_z: A = ½(I + [M]x + MMᵀ); on m± = m_x ± i m_y it is 1/(1 ∓ i), longitudinal 1.
    Mz = np.array([0.0, 0.0, 1.0])
    A = inverse_p_minus_qK(1.0, 1.0, Mz)
    half = 0.5 * (np.eye(3) + cross_matrix(Mz) + np.outer(Mz, Mz))
    assert np.allclose(A, half, atol=1e-15)
    # m± = l±·m with l± = (1, ±i, 0): (A m)± = m±/(1 ∓ i) for every m, i.e. l± A = l±/(1 ∓ i)
    plus, minus = np.array([1, 1j, 0]), np.array([1, -1j, 0])
    assert np.allclose(plus @ A, plus / (1 - 1j), atol=1e-15)
    assert np.allclose(minus @ A, minus / (1 + 1j), atol=1e-15)
    assert np.isclose(A[2, 2], 1.0)


def test_single_mode_reproduces_physics_md_numbers():
    # docs/theory/hierarchy.md (diffusion limit): 2.3e-3, 2.1e-4, 2.3e-5 for eps = 0.1, 0.03, 0.01
    # (two significant digits).
    errs = [single_mode_error(e) for e in (0.1, 0.03, 0.01)]
    for got, want in zip(errs, (2.3e-3, 2.1e-4, 2.3e-5), strict=True):
        assert abs(got / want - 1) < 0.03, errs  # quoted to 2 digits: ±3% covers the rounding
    order = np.log(errs[0] / errs[2]) / np.log(10.0)
    assert abs(order - 2) < 0.05  # O(eps²) for well-prepared data


def test_finite_volumes_converge_to_the_mode_solution():
    # Staggered FV on one mode (uniform M): second order in dx against the exact mode solution.
    eps, E, t = 0.1, 1.0, 0.5
    S, _ = mode_matrices(1.0, eps, E=E)
    m0h = np.array([1.0, 0.0, 0.0], complex)
    j0h = -eps * inverse_p_minus_qK(1.0, 1.0, np.array([0, 0, 1.0])) @ ((1j - E) * m0h)
    yh = scipy.linalg.expm(t * S) @ np.concatenate([m0h, j0h])
    errs = []
    for n in (16, 32):
        ms = MomentSystem1D(n, L, eps, E=E)
        m0 = np.real(m0h[None, :] * np.exp(1j * ms.x)[:, None])
        j0 = np.real(j0h[None, :] * np.exp(1j * ms.xf)[:, None])
        m, _ = ms.evolve_exact(m0, j0, t)
        errs.append(np.max(np.abs(m - np.real(yh[None, :3] * np.exp(1j * ms.x)[:, None]))))
    assert 1.8 < np.log2(errs[0] / errs[1]) < 2.3, errs  # second-order staggered differences


def test_layered_M_error_is_second_order_in_eps():
    e1, *_ = layered_error(0.03, n=48)
    e2, *_ = layered_error(0.01, n=48)
    order = np.log(e1 / e2) / np.log(3.0)
    assert abs(order - 2) < 0.1, (e1, e2)  # well-prepared data: O(eps²), measured 2.00


def test_ap_scheme_uniform_in_eps_and_limit():
    # One dt for eps = 1 and 1e-4: no blow-up, and as eps -> 0 the AP step tends to backward
    # Euler of the diffusion limit (difference O(eps²) here: the j-memory term is O(eps²/dt)).
    dt, T = 0.02, 0.4
    diffs = {}
    for eps in (1.0, 1e-2, 1e-3, 1e-4):
        ms = MomentSystem1D(32, L, eps, M=layered_M(L), E=1.0)
        m0 = np.stack([np.cos(ms.x), np.zeros(32), np.sin(ms.x)], axis=1)
        j0 = ms.well_prepared_current(m0)
        step, lim = ms.ap_stepper(dt), ms.limit_stepper(dt)
        m, j, ml = m0, j0, m0
        for _ in range(int(round(T / dt))):
            m, j = step(m, j)
            ml = lim(ml)
        assert np.all(np.isfinite(m)) and np.max(np.abs(m)) <= np.max(np.abs(m0))
        diffs[eps] = np.max(np.abs(m - ml))
    assert diffs[1e-4] < 1e-7
    assert 1.8 < np.log10(diffs[1e-3] / diffs[1e-4]) < 2.2, diffs


def test_ap_scheme_first_order_in_time_at_eps_one():
    ms = MomentSystem1D(32, L, 1.0, M=layered_M(L), E=1.0)
    m0 = np.stack([np.cos(ms.x), np.zeros(32), np.sin(ms.x)], axis=1)
    j0 = ms.well_prepared_current(m0)
    mex, _ = ms.evolve_exact(m0, j0, 0.4)
    errs = []
    for nsteps in (20, 40, 80):
        step = ms.ap_stepper(0.4 / nsteps)
        m, j = m0, j0
        for _ in range(nsteps):
            m, j = step(m, j)
        errs.append(np.max(np.abs(m - mex)))
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(np.abs(orders - 1) < 0.15), orders  # backward Euler


def test_bad_input_raises():
    with pytest.raises(ValueError, match="eps"):
        MomentSystem1D(16, L, 0.0)
    with pytest.raises(ValueError, match="M has shape"):
        MomentSystem1D(16, L, 0.1, M=np.zeros((4, 3)))
    ms = MomentSystem1D(16, L, 0.1)
    with pytest.raises(ValueError, match="m0 has shape"):
        ms.evolve_diffusion_exact(np.zeros((3, 16)), 1.0)
    with pytest.raises(ValueError, match="dt"):
        ms.ap_stepper(-1.0)
