"""Analytic checks of the local field terms: exchange, uniaxial anisotropy, Zeeman."""

from __future__ import annotations

import numpy as np
import pytest

from spintorque import MU0, Grid, Material, Sample
from spintorque.fields import Exchange, UniaxialAnisotropy, Zeeman

MS, A = 8.0e5, 1.3e-11


def chain(n: int, h: float, **kw) -> Sample:
    return Sample.uniform(Grid((n, 1, 1), (h, 2e-9, 3e-9)), Material("fm", Ms=MS, A=A, **kw))


def test_uniform_m_has_zero_exchange_field_and_energy():
    sample = Sample.uniform(Grid((5, 4, 3), (2e-9, 3e-9, 4e-9)), Material("fm", Ms=MS, A=A))
    m = np.zeros(sample.grid.vshape)
    m[...] = np.array([1.0, 2.0, 2.0]) / 3.0
    ex = Exchange(sample)
    # exact zero: every face flux is (m_j − m_i) = 0 bit for bit
    assert np.array_equal(ex.field(m), np.zeros_like(m))
    assert ex.energy(m) == 0.0


def spiral_error(n: int, length: float, k: float) -> tuple[float, float]:
    """Max relative error of H_ex for m = (cos kx, sin kx, 0) in the interior cells, and
    the relative energy error against the continuum A k² V."""
    h = length / n
    sample = chain(n, h)
    x = sample.grid.centers(0)
    m = np.zeros(sample.grid.vshape)
    m[:, 0, 0, 0], m[:, 0, 0, 1] = np.cos(k * x), np.sin(k * x)
    H = Exchange(sample).field(m)
    exact = -2 * A * k**2 / (MU0 * MS) * m
    # boundary cells see the Neumann faces: the spiral does not satisfy ∂m/∂x = 0 there
    err = np.abs(H[1:-1] - exact[1:-1]).max() / (2 * A * k**2 / (MU0 * MS))
    energy = Exchange(sample).energy(m)
    volume_inner = (n - 1) * sample.grid.cell_volume  # n − 1 faces carry the twist
    e_err = abs(energy - A * k**2 * volume_inner) / (A * k**2 * volume_inner)
    return err, e_err


def test_spin_spiral_exchange_field_second_order():
    k = 2 * np.pi / 40e-9
    errs, e_errs = zip(*(spiral_error(n, 80e-9, k) for n in (20, 40, 80, 160)), strict=False)
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    e_orders = np.log2(np.array(e_errs[:-1]) / np.array(e_errs[1:]))
    # the stencil error is (kh)²/12 exactly: order 2 to within 1 % once kh is small
    assert np.all(np.abs(orders - 2) < 0.05), orders
    assert np.all(np.abs(e_orders - 2) < 0.05), e_orders
    # and the size matches the Taylor coefficient (k h)²/12 of the 3-point stencil (5 %)
    h = 80e-9 / 160
    assert errs[-1] == pytest.approx((k * h) ** 2 / 12, rel=0.05)


def test_neumann_cosine_mode_is_an_exact_eigenvector():
    """Cell-centred cos(π j x / L) is an eigenvector of the Neumann stencil, eigenvalue
    −(4/h²) sin²(π j h /(2L)); it converges to −(π j/L)² at second order (boundaries included)."""
    L, j = 60e-9, 3
    errs = []
    for n in (30, 60, 120):
        h = L / n
        sample = chain(n, h)
        x = sample.grid.centers(0)
        m = np.zeros(sample.grid.vshape)
        m[:, 0, 0, 2] = np.cos(np.pi * j * x / L)  # H is linear in m: unit length not needed
        H = Exchange(sample).field(m)[:, 0, 0, 2]
        lam_h = -(4 / h**2) * np.sin(np.pi * j * h / (2 * L)) ** 2
        pref = 2 * A / (MU0 * MS)
        # exact discrete eigenvector: round-off only
        assert np.abs(H - pref * lam_h * m[:, 0, 0, 2]).max() < 1e-10 * pref * abs(lam_h)
        errs.append(abs(lam_h + (np.pi * j / L) ** 2) / (np.pi * j / L) ** 2)
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(np.abs(orders - 2) < 0.05), orders


def test_harmonic_mean_coupling_between_regions():
    A1, A2, ms1, ms2, h = 1.0e-11, 3.0e-11, 8e5, 1.4e6, 2e-9
    grid = Grid((2, 1, 1), (h, h, h))
    sample = Sample(
        grid,
        np.array([0, 1]).reshape(2, 1, 1),
        (Material("a", Ms=ms1, A=A1), Material("b", Ms=ms2, A=A2)),
    )
    m = np.zeros(grid.vshape)
    m[0, 0, 0] = [1.0, 0.0, 0.0]
    m[1, 0, 0] = [0.0, 1.0, 0.0]
    H = Exchange(sample).field(m)
    af = 2 * A1 * A2 / (A1 + A2)  # continuity of the exchange flux A ∂m/∂x across the face
    d = m[1, 0, 0] - m[0, 0, 0]
    assert np.allclose(H[0, 0, 0], 2 * af * d / (MU0 * ms1 * h * h), rtol=1e-14, atol=0)
    assert np.allclose(H[1, 0, 0], -2 * af * d / (MU0 * ms2 * h * h), rtol=1e-14, atol=0)
    # interregion_scale scales only that face; 0 decouples the regions
    assert np.array_equal(Exchange(sample, interregion_scale=0.0).field(m), np.zeros_like(m))


def test_no_exchange_through_a_nonmagnetic_spacer():
    py = Material("py", Ms=MS, A=A)
    sample = Sample.stack(
        (3, 2),
        (2e-9, 2e-9, 2e-9),
        [("FM1", 4e-9, py), ("spacer", 2e-9, Material("cu")), ("FM2", 4e-9, py)],
    )
    rng = np.random.default_rng(1)
    m = np.zeros(sample.grid.vshape)
    m[sample.mask("FM1")] = [0.0, 0.0, 1.0]
    fm2 = sample.mask("FM2")
    v = rng.normal(size=(int(fm2.sum()), 3))
    m[fm2] = v / np.linalg.norm(v, axis=1, keepdims=True)
    H = Exchange(sample).field(m)
    # uniform FM1 feels nothing of the random FM2, the spacer has no field: exact zeros
    assert np.array_equal(H[sample.mask("FM1")], np.zeros((int(sample.mask("FM1").sum()), 3)))
    assert np.array_equal(H[sample.mask("spacer")], np.zeros((6, 3)))
    assert np.abs(H[fm2]).max() > 0


@pytest.mark.parametrize("theta", [0.0, 0.4, np.pi / 2, 2.5])
def test_uniaxial_anisotropy_field_and_energy(theta):
    ku, axis = 4.2e5, np.array([1.0, 1.0, 0.0]) / np.sqrt(2)
    sample = Sample.uniform(
        Grid((2, 3, 1), (2e-9, 2e-9, 3e-9)), Material("fm", Ms=MS, Ku=ku, axis=tuple(axis))
    )
    perp = np.array([0.0, 0.0, 1.0])
    m = np.zeros(sample.grid.vshape)
    m[...] = np.cos(theta) * axis + np.sin(theta) * perp
    term = UniaxialAnisotropy(sample)
    H = term.field(m)
    # H = 2 Ku/(mu0 Ms) (m·u) u ; E = −Ku (m·u)² V : round-off tolerance
    assert np.allclose(H, 2 * ku / (MU0 * MS) * np.cos(theta) * axis, rtol=1e-13, atol=1e-9)
    volume = sample.grid.cell_volume * 6
    assert term.energy(m) == pytest.approx(-ku * np.cos(theta) ** 2 * volume, rel=1e-13, abs=1e-40)


def test_zeeman_field_energy_per_region_and_time():
    fm = Material("fm", Ms=MS)
    sample = Sample.stack(
        (2, 2),
        (2e-9, 2e-9, 2e-9),
        [("FM1", 2e-9, fm), ("spacer", 2e-9, Material("cu")), ("FM2", 2e-9, fm)],
    )
    B = np.array([0.01, -0.02, 0.03])
    extra = np.array([0.0, 0.0, 0.1])
    m = np.zeros(sample.grid.vshape)
    m[sample.magnetic] = [0.6, 0.0, 0.8]
    term = Zeeman(sample, B=B, per_region={"FM2": extra})
    H = term.field(m)
    assert np.allclose(H[sample.mask("FM1")], B / MU0, rtol=1e-15)
    assert np.allclose(H[sample.mask("FM2")], (B + extra) / MU0, rtol=1e-15)
    assert np.array_equal(H[sample.mask("spacer")], np.zeros((4, 3)))
    v = sample.grid.cell_volume * 4  # cells per layer
    expect = -MS * v * (m[sample.mask("FM1")][0] @ B + m[sample.mask("FM2")][0] @ (B + extra))
    # E = −Ms B·m V per cell (B = mu0 H): round-off
    assert term.energy(m) == pytest.approx(expect, rel=1e-13)
    pulse = Zeeman(sample, B=lambda t: (0.0, 0.0, 0.05 * t / 1e-9))
    assert np.allclose(pulse.field(m, t=2e-9)[sample.magnetic], [0, 0, 0.1 / MU0], rtol=1e-15)
    assert np.array_equal(pulse.field(m, t=2e-9)[~sample.magnetic], np.zeros((4, 3)))
