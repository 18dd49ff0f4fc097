"""Stray field: Newell tensor identities, far-field switch, FFT convolution vs direct sum, and the
magnetometric demag factors of uniformly magnetized prisms (docs/theory/llg.md, stray field and
analytic checks)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from spintorque.constants import MU0
from spintorque.fields import FieldTerm
from spintorque.fields.demag import Demag
from spintorque.fields.demag.convolution import padded_length
from spintorque.fields.demag.newell import (
    FAR_ORDERS,
    R_SWITCH,
    demag_tensor,
    far_tensor,
    newell_tensor,
    tent_rule,
)
from spintorque.materials import Material, Sample
from spintorque.mesh import Grid

PY = Material(name="Py", Ms=8.0e5, A=1.3e-11)
COMP = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]
PARITY = [(1, 1, 1), (1, 1, 1), (1, 1, 1), (-1, -1, 1), (-1, 1, -1), (1, -1, -1)]


def full_matrix(octant: np.ndarray, d: tuple[int, int, int]) -> np.ndarray:
    """3x3 tensor at a signed offset d from the non-negative-offset array (parity)."""
    out = np.zeros((3, 3))
    ad = tuple(abs(v) for v in d)
    for c, (a, b) in enumerate(COMP):
        sign = np.prod([PARITY[c][x] if d[x] < 0 else 1 for x in range(3)])
        out[a, b] = out[b, a] = sign * octant[(c, *ad)]
    return out


def prism_factors(size: tuple[float, float, float]) -> np.ndarray:
    """Magnetometric demag factors (Nxx, Nyy, Nzz) of a prism: minus the self term of one cell."""
    return -newell_tensor((1, 1, 1), size)[:3, 0, 0, 0]


def uniform_demag_factor(n: tuple[int, int, int], cell, axis: int) -> float:
    """-<H_axis>/Ms of a uniformly magnetized grid computed by the Demag term."""
    sample = Sample.uniform(Grid(n, cell), PY)
    m = np.zeros(sample.grid.vshape)
    m[..., axis] = 1.0
    h = Demag(sample).field(m)
    return float(-h[..., axis].mean() / PY.Ms)


# -- the tensor ----------------------------------------------------------------------------------


def test_self_term_of_a_cube_is_minus_one_third():
    # closed-form f, g at O(1) arguments: rounding only, a few ulps
    t = newell_tensor((1, 1, 1), (2e-9, 2e-9, 2e-9))[:, 0, 0, 0]
    np.testing.assert_allclose(t[:3], -1.0 / 3.0, rtol=1e-14)
    np.testing.assert_allclose(t[3:], 0.0, atol=1e-15)


@pytest.mark.parametrize(
    "cell", [(1, 1, 1), (2, 1, 0.5), (4, 4, 1), (5e-9, 5e-9, 3e-9), (1, 7, 0.1)]
)
def test_trace_of_self_term_is_minus_one(cell):
    # div B = 0: the cell-averaged self field of any cuboid has trace -1; rounding only
    t = newell_tensor((1, 1, 1), cell)[:, 0, 0, 0]
    assert abs(t[:3].sum() + 1.0) < 1e-13
    assert np.all(t[:3] < 0)


def test_trace_vanishes_away_from_the_source():
    # for non-overlapping cells the trace of the cell-averaged tensor is exactly 0 (Laplace);
    # the Newell part loses ~6 log10(r) digits, hence 1e-9 relative to the largest entry
    t = demag_tensor((14, 10, 9), (1.0, 1.3, 0.7))
    trace = t[0] + t[1] + t[2]
    trace[0, 0, 0] += 1.0
    assert np.abs(trace).max() < 1e-9 * np.abs(t).max()


def test_tent_rule_integrates_the_tent_exactly():
    # Gauss-Jacobi on each half: moments of (1 - |u|) on [-1, 1] exact up to degree 2p - 1
    for order in (1, 2, 3, 4):
        u, w = tent_rule(order)
        for k in range(0, 2 * order, 2):
            exact = 2.0 / ((k + 1) * (k + 2))  # integral of u^k (1 - |u|) over [-1, 1]
            assert abs(np.sum(w * u**k) - exact) < 1e-14
    with pytest.raises(ValueError, match="order"):
        tent_rule(0)


def test_far_field_switch_is_continuous():
    # at r_switch both branches must agree to the measured accuracy of each (5.5e-10 for the
    # order-4 quadrature, 5.2e-10 for float64 Newell on 4:4:1 cells; 2e-9 allows both)
    for cell in [(1.0, 1.0, 1.0), (1.0, 1.0, 0.25), (1.0, 0.6, 0.8)]:
        h = np.asarray(cell) / max(cell)
        for direction in [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (1, 1, 1), (3, 1, 2)]:
            v = np.asarray(direction, float) * h
            d = np.ceil(np.asarray(direction) * R_SWITCH / np.linalg.norm(v)).astype(int)
            exact = newell_tensor(tuple(d + 1), cell)[(slice(None), *d)]
            order = FAR_ORDERS[0][1]
            far = far_tensor(d[None, :], cell, order)[:, 0]
            assert np.abs(far - exact).max() < 2e-9 * np.abs(exact).max(), (cell, direction)


def test_far_field_choice_does_not_change_the_tensor():
    # all-Newell (r_switch beyond the grid) vs the default switch: differences are the float64
    # Newell loss at r <= 20 (<= 1e-7 relative, benchmarks/demag_far_field.py) times |N(r)|
    n, cell = (20, 12, 6), (1.0, 1.0, 0.5)
    t_default = demag_tensor(n, cell)
    t_newell = demag_tensor(n, cell, r_switch=1e9)
    assert np.abs(t_default - t_newell).max() < 1e-9 * np.abs(t_default).max()
    with pytest.raises(ValueError, match="r_switch"):
        demag_tensor(n, cell, r_switch=0.0)


def test_weighted_tensor_sum_is_the_prism_factor():
    # sum rule: sum_d w(d) N(d), w = prod (n_a - |d_a|)/n_a, is the cell average of the field of the
    # uniformly magnetized whole prism = minus the self term of one big cell; far-field entries
    # (r >= 6) carry <= 5e-9 relative error, so 1e-9 absolute on O(1) factors
    n, cell = (24, 10, 5), (1.0, 1.5, 0.7)
    t = demag_tensor(n, cell)
    total = np.zeros((3, 3))
    for d in itertools.product(*(range(-v + 1, v) for v in n)):
        w = np.prod([(n[a] - abs(d[a])) / n[a] for a in range(3)])
        total += w * full_matrix(t, d)
    size = tuple(v * h for v, h in zip(n, cell, strict=True))
    np.testing.assert_allclose(np.diag(total), -prism_factors(size), rtol=0, atol=1e-9)
    assert np.abs(total - np.diag(np.diag(total))).max() < 1e-12
    assert abs(np.trace(total) + 1.0) < 1e-9


# -- the convolution -----------------------------------------------------------------------------


def direct_sum(tensor: np.ndarray, mag: np.ndarray) -> np.ndarray:
    """O(N^2) reference H_i = sum_j N(i - j) M_j with the same tensor."""
    n = mag.shape[:3]
    h = np.zeros_like(mag)
    cells = list(np.ndindex(*n))
    for i in cells:
        for j in cells:
            d = tuple(int(a - b) for a, b in zip(i, j, strict=True))
            h[i] += full_matrix(tensor, d) @ mag[j]
    return h


@pytest.mark.parametrize("n", [(6, 5, 4), (7, 3, 1), (1, 6, 1), (1, 1, 5), (2, 1, 3), (1, 1, 1)])
def test_fft_convolution_matches_direct_sum(n):
    # same tensor, so only rounding of the FFTs separates them: 1e-12 relative to max |H|
    rng = np.random.default_rng(7)
    grid = Grid(n, (1e-9, 2e-9, 1.5e-9))
    mats = (Material(name="a", Ms=8e5), Material(name="b", Ms=3.5e5), Material(name="vac"))
    sample = Sample(grid, rng.integers(0, 3, size=n), mats)
    m = rng.normal(size=grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    m[~sample.magnetic] = 0.0
    demag = Demag(sample)
    h = demag.field(m)
    ref = direct_sum(demag.tensor, sample.param("Ms")[..., None] * m) * sample.magnetic[..., None]
    assert np.abs(h - ref).max() <= 1e-12 * np.abs(ref).max()


def test_repeated_calls_keep_the_zero_padding():
    # the buffers are reused: a second call must not see anything of the first
    rng = np.random.default_rng(3)
    sample = Sample.uniform(Grid((9, 7, 5), (2e-9, 2e-9, 2e-9)), PY)
    m1, m2 = rng.normal(size=(2, *sample.grid.vshape))
    demag = Demag(sample)
    demag.field(m1)
    h2 = demag.field(m2).copy()
    np.testing.assert_array_equal(h2, Demag(sample).field(m2))


def test_padded_lengths_avoid_wraparound():
    for n in range(1, 300):
        p = padded_length(n)
        assert (p == 1) if n == 1 else (p >= 2 * n - 1)


# -- physics of uniformly magnetized bodies ------------------------------------------------------


def test_cube_of_many_cells_has_demag_factor_one_third():
    # exact for the cell-averaged tensor: cubic symmetry plus the trace rule (the far-field
    # quadrature is traceless too), so only rounding and a wrong convolution (a lost or doubled
    # pair of cells, a wrapped image) can move it: 1e-9
    for axis in range(3):
        nd = uniform_demag_factor((10, 10, 10), (3e-9, 3e-9, 3e-9), axis)
        assert abs(nd - 1.0 / 3.0) < 1e-9


def test_energy_of_uniform_cube():
    # E = mu0/2 Ms^2 V N with N = 1/3; same accuracy as the demag factor
    n, h = (8, 8, 8), 2.5e-9
    sample = Sample.uniform(Grid(n, (h, h, h)), PY)
    m = np.zeros(sample.grid.vshape)
    m[..., 1] = 1.0
    volume = np.prod(n) * h**3
    expected = 0.5 * MU0 * PY.Ms**2 * volume / 3.0
    assert abs(Demag(sample).energy(m) / expected - 1.0) < 1e-9


def test_thin_film_nzz_tends_to_one():
    # grid sums reproduce the exact prism factor (sum rule, 1e-9), increase with L/t and
    # approach 1 with the thin-plate asymptote 1 - Nzz ~ (2/pi)(t/L) ln(L/t) (Aharoni); the
    # correction is O(1/ln(L/t)) (about 6 % at L/t = 1e5), hence the 10 % band
    values = []
    for lateral in (8, 16, 32, 64):
        nzz = uniform_demag_factor((lateral, lateral, 1), (2e-9, 2e-9, 2e-9), 2)
        exact = prism_factors((lateral, lateral, 1.0))[2]
        assert abs(nzz - exact) < 1e-9
        values.append(nzz)
    assert np.all(np.diff(values) > 0) and values[-1] > 0.95
    ratio = [
        (1 - prism_factors((p, p, 1.0))[2]) / (2 / math.pi * math.log(p) / p)
        for p in (1e3, 1e4, 1e5)
    ]
    assert np.all(np.diff(ratio) < 0) and 1.0 < ratio[-1] < 1.1


def test_nonmagnetic_spacer_is_no_source_and_gets_zero_field():
    # FM1 / spacer / FM2: m in the spacer is ignored (Ms = 0 there) and the field in each layer is
    # the sum of the two layers' fields computed on their own (same tensor entries): 1e-12
    cell = (2e-9, 2e-9, 1e-9)
    fm = Material(name="Py", Ms=8e5)
    sample = Sample.stack((6, 5), cell, [("FM1", 3e-9, fm), ("spacer", 2e-9, Material()),
                                          ("FM2", 2e-9, Material(name="Co", Ms=1.2e6))])
    rng = np.random.default_rng(11)
    m = rng.normal(size=sample.grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    demag = Demag(sample)
    h = demag.field(m)
    spacer = sample.mask("spacer")
    assert np.all(h[spacer] == 0.0)
    m0 = m.copy()
    m0[spacer] = 0.0
    np.testing.assert_allclose(demag.field(m0), h, rtol=0, atol=1e-12 * np.abs(h).max())
    ref = direct_sum(demag.tensor, sample.param("Ms")[..., None] * m0) * sample.magnetic[..., None]
    assert np.abs(h - ref).max() <= 1e-12 * np.abs(ref).max()


def test_demag_is_a_field_term_and_validates_input():
    sample = Sample.uniform(Grid((4, 3, 2), (1e-9, 1e-9, 1e-9)), PY)
    demag = Demag(sample)
    assert isinstance(demag, FieldTerm) and demag.name == "demag"
    out = np.empty(sample.grid.vshape)
    assert demag.field(np.ones(sample.grid.vshape), out=out) is out
    with pytest.raises(ValueError, match="m.shape"):
        demag.field(np.ones((4, 3, 3, 3)))
    with pytest.raises(ValueError, match="planner"):
        Demag(sample, planner="FAST")
    with pytest.raises(ValueError, match="threads"):
        Demag(sample, threads=0)


def test_fftw_wisdom_is_cached_between_runs(tmp_path, monkeypatch):
    # FFTW_MEASURE planning is paid once per machine: the plans are written to the cache dir
    # (a fresh length here, so planning adds wisdom) and read back without error
    from spintorque.fields.demag import convolution

    monkeypatch.setenv("SPINTORQUE_CACHE_DIR", str(tmp_path))
    # start from no wisdom at all: earlier tests in this process may already have planned (or
    # loaded from the user cache) this length, and then planning would add nothing to save
    convolution.pyfftw.forget_wisdom()
    monkeypatch.setattr(convolution, "_wisdom_loaded", False)
    convolution.PrunedConvolution(demag_tensor((1, 1, 97), (1.0, 1.0, 1.0)))
    path = convolution.wisdom_path()
    assert path.parent == tmp_path and path.stat().st_size > 0
    monkeypatch.setattr(convolution, "_wisdom_loaded", False)
    assert len(convolution._load_wisdom()) == 3


# -- periodic images -----------------------------------------------------------------------------


def test_periodic_images_equal_the_tiled_open_grid():
    # pbc = R images per side is exactly the open field of the 2R+1 tiled copies, seen from the
    # central copy (same tensor entries, different FFT sizes): rounding only, 1e-12
    n, repeats, cell = (4, 3, 2), (2, 1, 0), (1e-9, 1.2e-9, 0.8e-9)
    rng = np.random.default_rng(5)
    m = rng.normal(size=(*n, 3))
    h = Demag(Sample.uniform(Grid(n, cell), PY), pbc=repeats).field(m)
    tiles = tuple(2 * r + 1 for r in repeats)
    big = Sample.uniform(Grid(tuple(a * t for a, t in zip(n, tiles, strict=True)), cell), PY)
    h_big = Demag(big).field(np.tile(m, (*tiles, 1)))
    centre = tuple(slice(r * a, (r + 1) * a) for r, a in zip(repeats, n, strict=True))
    assert np.abs(h_big[centre] - h).max() <= 1e-12 * np.abs(h).max()


def test_film_with_inplane_images_tends_to_the_infinite_film():
    # an 8x8x1 film repeated R times per side in x and y: -<Hz>/Ms -> 1 with the edge charges of
    # the (2R+1)-sized patch receding, error ~ 1/R (measured ratios 1.82, 1.90, 1.94 on doubling R);
    # in-plane factor (1 - Nzz)/2 by the trace rule
    sample = Sample.uniform(Grid((8, 8, 1), (2e-9, 2e-9, 2e-9)), PY)
    errors = []
    for r in (2, 4, 8, 16):
        demag = Demag(sample, pbc=(r, r, 0))
        m = np.zeros(sample.grid.vshape)
        m[..., 2] = 1.0
        nzz = -demag.field(m)[..., 2].mean() / PY.Ms
        m = np.zeros(sample.grid.vshape)
        m[..., 0] = 1.0
        nxx = -demag.field(m)[..., 0].mean() / PY.Ms
        assert abs(nxx - (1 - nzz) / 2) < 1e-9
        errors.append(1 - nzz)
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 1.7) & (ratios < 2.1)) and errors[-1] < 4e-3
    with pytest.raises(ValueError, match="pbc"):
        Demag(sample, pbc=(-1, 0, 0))
    with pytest.raises(ValueError, match="pbc"):
        Demag(sample, pbc=(1.5, 0, 0))


def test_nan_in_m_propagates():
    # the drivers' numerical guards look for non-finite fields; the fused product must not
    # assume finite inputs (only FMA contraction is enabled in it)
    sample = Sample.uniform(Grid((6, 5, 3), (2e-9, 2e-9, 2e-9)), PY)
    m = np.zeros(sample.grid.vshape)
    m[..., 0] = 1.0
    m[2, 2, 1, 1] = np.nan
    assert np.isnan(Demag(sample).field(m)).any()
