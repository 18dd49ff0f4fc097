"""Spinor Schrödinger (Strang splitting), Wigner transform and Liouville characteristics."""

import numpy as np
import pytest

from spintorque.hierarchy.liouville import characteristics, liouville_observables
from spintorque.hierarchy.quantum import (
    SpinorSchrodinger1D,
    current,
    density,
    spin_density,
    wigner,
    wigner_moments,
    wkb_state,
)

L = 2 * np.pi


def _rotating_M(x):
    return np.stack([np.sin(x), 0.3 * np.cos(2 * x), np.cos(x)], axis=1)


def _packet(q, eps, p=0.5):
    a = np.exp(-(q.x**2) / (2 * 0.4**2))
    return wkb_state(q.x, eps, a, p * q.x, np.array([1.0, 0.5j]))


def test_norm_conserved_to_roundoff():
    # Both split steps are unitary; only FFT round-off (~1e-16 per step) can change the norm.
    q = SpinorSchrodinger1D(256, L, 0.1, V=lambda x: 0.5 * np.cos(x), M=_rotating_M, x0=-np.pi)
    psi0 = _packet(q, 0.1)
    psi = q.evolve(psi0, 1.0, 0.005)
    assert abs(q.norm(psi) / q.norm(psi0) - 1) < 1e-13


def test_strang_second_order_in_time():
    # Potential, spin and kinetic parts do not commute, so Strang's error is O(dt²): measured order.
    eps = 0.1
    q = SpinorSchrodinger1D(256, L, eps, V=lambda x: 0.5 * np.cos(x), M=_rotating_M, x0=-np.pi)
    psi0 = _packet(q, eps)
    ref = q.evolve(psi0, 0.4, 0.4 / 1024)
    errs = [q.norm(q.evolve(psi0, 0.4, 0.4 / n) - ref) for n in (16, 32, 64)]
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(np.abs(orders - 2) < 0.1), orders  # asymptotic regime: order within 0.1 of 2


def test_uniform_M_precession_rate_exact():
    # Uniform M: kinetic and spin parts commute: the splitting is exact, s(t) = Rot_M(|M| t) s0.
    eps, Mv = 0.05, np.array([0.0, 0.0, 2.0])
    q = SpinorSchrodinger1D(128, L, eps, M=Mv)
    k = 3  # a plane wave that fits the box
    chi = np.array([1.0, 1.0]) / np.sqrt(2)  # s0 = e_x
    psi0 = np.exp(1j * k * q.x)[None, :] * chi[:, None]
    t = 0.7
    psi = q.evolve(psi0, t, 0.1)
    s = spin_density(psi)
    th = 2.0 * t
    expect = np.array([np.cos(th), np.sin(th), 0.0])  # ds/dt = M x s: counter-clockwise about z
    assert np.max(np.abs(s - expect[:, None])) < 1e-12
    assert np.max(np.abs(current(psi, eps, L) - eps * k)) < 1e-11  # J = eps k |psi|² (spectral)


def test_wigner_moments_and_peak():
    eps = 0.05
    q = SpinorSchrodinger1D(256, L, eps, M=_rotating_M, x0=-np.pi)
    psi = _packet(q, eps, p=0.5)
    p, W = wigner(psi, eps, L)
    mom = wigner_moments(p, W)
    # zeroth moments are exact identities of the discrete transform (round-off)
    assert np.max(np.abs(mom["n"] - density(psi))) < 1e-12
    assert np.max(np.abs(mom["s"] - spin_density(psi))) < 1e-12
    # first moment = current, up to the p-grid quadrature (spectral for this smooth packet)
    assert np.max(np.abs(mom["J"] - current(psi, eps, L))) < 1e-6 * np.max(density(psi))
    # W is Hermitian in the spin indices
    assert np.allclose(W, np.conj(np.swapaxes(W, 2, 3)), atol=1e-14)
    # tr W at the packet centre peaks at p = S' = 0.5 (within one p-cell)
    f0 = np.real(np.trace(W[np.argmin(np.abs(q.x)), :, :, :], axis1=1, axis2=2))
    assert abs(p[np.argmax(f0)] - 0.5) <= p[1] - p[0]


def test_characteristics_harmonic_potential():
    # V = x²/2: X = x0 cos t + p0 sin t, J = cos t + p0' sin t; uniform M rotates s about M.
    x0 = np.linspace(-1, 1, 5)
    p0, dp0 = 0.3 * x0, np.full(5, 0.3)
    s0 = np.tile([[1.0], [0.0], [0.0]], (1, 5))
    t = 1.1
    ch = characteristics(
        x0, p0, s0, t, lambda X: np.tile([0.0, 0.0, 1.5], (X.size, 1)),
        dV=lambda X: X, d2V=lambda X: np.ones_like(X), dp0=dp0, nsteps=400,
    )  # fmt: skip
    assert np.max(np.abs(ch["X"] - (x0 * np.cos(t) + p0 * np.sin(t)))) < 1e-9  # RK4 h^4 error
    assert np.max(np.abs(ch["J"] - (np.cos(t) + 0.3 * np.sin(t)))) < 1e-9
    assert np.max(np.abs(ch["s"][0] - np.cos(1.5 * t))) < 1e-9
    assert np.max(np.abs(ch["s"][1] - np.sin(1.5 * t))) < 1e-9


def test_liouville_detects_caustic():
    x0 = np.linspace(-1, 1, 11)
    with pytest.raises(ValueError, match="caustic"):
        liouville_observables(
            x0, L, x0, np.ones(11), -x0, -np.ones(11), np.tile([[0], [0], [1.0]], (1, 11)), 2.0,
            lambda X: np.tile([0.0, 0.0, 1.0], (X.size, 1)),
        )  # fmt: skip


def test_bad_input_raises():
    with pytest.raises(ValueError, match="eps"):
        SpinorSchrodinger1D(64, L, -1.0)
    with pytest.raises(ValueError, match="M has shape"):
        SpinorSchrodinger1D(64, L, 0.1, M=np.zeros((3, 3)))
