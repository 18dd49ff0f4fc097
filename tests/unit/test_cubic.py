"""Cubic anisotropy (spintorque.fields.cubic): the energy surface against the formula, the field
against the energy's gradient, easy directions for both signs of Kc1, the switching field of a
macrospin along an easy axis against its analytic value, and input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spintorque import Grid, Material, Sample
from spintorque.constants import MU0
from spintorque.dynamics.llg import LLG
from spintorque.dynamics.minimize import minimize
from spintorque.fields import CubicAnisotropy, EffectiveField, Zeeman

KC1, KC2, MS = 4.8e4, 1.5e4, 1.7e6  # iron-like Kc1; a Kc2 to exercise the sextic term
C1 = np.array([1.0, 1.0, 0.0]) / math.sqrt(2)  # cube axes turned 45° about z
C2 = np.array([-1.0, 1.0, 0.0]) / math.sqrt(2)
C3 = np.cross(C1, C2)


def _material(kc1: float = KC1, kc2: float = KC2) -> Material:
    return Material("fe", Ms=MS, Kc1=kc1, Kc2=kc2, cubic_axis1=tuple(C1), cubic_axis2=tuple(C2),
                    alpha=1.0)


def _macrospin(kc1: float = KC1, kc2: float = KC2) -> Sample:
    return Sample.uniform(Grid((1, 1, 1), (2e-9, 2e-9, 2e-9)), _material(kc1, kc2))


def _density(m: np.ndarray, kc1: float, kc2: float) -> np.ndarray:
    a1, a2, a3 = m @ C1, m @ C2, m @ C3
    return kc1 * (a1**2 * a2**2 + a2**2 * a3**2 + a3**2 * a1**2) + kc2 * (a1 * a2 * a3) ** 2


def test_energy_surface_matches_formula() -> None:
    """Energy of a macrospin at the cube axes (0), face diagonals (Kc1/4), body diagonals
    (Kc1/3 + Kc2/27) and 200 random directions against V·w(m) from the formula, in the turned
    cube frame: relative 1e-12 (round-off)."""
    sample = _macrospin()
    term = CubicAnisotropy(sample)
    v = sample.grid.cell_volume
    special = {
        tuple(C1): 0.0, tuple(C3): 0.0,
        tuple((C1 + C2) / math.sqrt(2)): KC1 / 4,
        tuple((C1 + C2 + C3) / math.sqrt(3)): KC1 / 3 + KC2 / 27,
    }
    for direction, w in special.items():
        m = np.asarray(direction).reshape(1, 1, 1, 3)
        assert term.energy(m) == pytest.approx(v * w, rel=1e-12, abs=1e-12 * v * KC1)
    rng = np.random.default_rng(3)
    dirs = rng.normal(size=(200, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    got = np.array([term.energy(d.reshape(1, 1, 1, 3)) for d in dirs])
    assert np.allclose(got, v * _density(dirs, KC1, KC2), rtol=1e-12, atol=1e-14 * v * KC1)


def test_field_is_minus_energy_gradient() -> None:
    """H = −1/(mu0 Ms V) ∂E/∂m on a 4×3×2 grid with vacuum cells and two materials, checked
    by central differences along random directions (step 1e-5, error O(step^2) = 1e-10 of the
    quartic and sextic terms): relative 1e-7."""
    grid = Grid((4, 3, 2), (1e-9, 2e-9, 3e-9))
    other = Material("ni", Ms=4.8e5, Kc1=-5.7e3, Kc2=-2.3e3, cubic_axis1=(0, 0, 1),
                     cubic_axis2=(1, 0, 0))
    region = np.random.default_rng(4).integers(0, 3, size=grid.shape)
    sample = Sample(grid, region, (Material(), _material(), other))
    term = CubicAnisotropy(sample)
    rng = np.random.default_rng(5)
    m = rng.normal(size=grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    m *= sample.magnetic[..., None]
    h = term.field(m)
    assert np.all(h[~sample.magnetic] == 0)
    ms_v = sample.param("Ms") * grid.cell_volume
    for seed in range(3):
        delta = np.random.default_rng(10 + seed).normal(size=grid.vshape)
        delta *= sample.magnetic[..., None]
        eps = 1e-5
        numeric = (term.energy(m + eps * delta) - term.energy(m - eps * delta)) / (2 * eps)
        analytic = -MU0 * float(np.sum(ms_v[..., None] * delta * h))
        assert numeric == pytest.approx(analytic, rel=1e-7)
    out = np.ones_like(m)
    term.add_field(m, 0.0, out)
    assert np.allclose(out - 1.0, h, rtol=0, atol=1e-12 * np.abs(h).max())
    assert term.energy_from_field(m, h) == term.energy(m)


@pytest.mark.parametrize(("kc1", "cosines"), [(KC1, (1.0, 0.0, 0.0)),
                                              (-KC1, (1 / math.sqrt(3),) * 3)])
def test_easy_directions(kc1: float, cosines) -> None:
    """Kc1 > 0 relaxes a macrospin onto a cube axis, Kc1 < 0 (Kc2 = 0) onto a body diagonal:
    sorted |direction cosines| within 1e-6 of (1, 0, 0) or (1, 1, 1)/sqrt(3)."""
    sample = _macrospin(kc1, 0.0)
    llg = LLG(sample, EffectiveField([CubicAnisotropy(sample)], sample.grid.vshape))
    m0 = np.array([0.3, 0.5, 0.8]).reshape(1, 1, 1, 3)
    res = minimize(llg, m0 / np.linalg.norm(m0), tol=1e-6)
    assert res.converged
    m = res.m[0, 0, 0]
    got = sorted(np.abs([m @ C1, m @ C2, m @ C3]), reverse=True)
    assert np.allclose(got, sorted(cosines, reverse=True), atol=1e-6)


def _switches(field: float) -> bool:
    """Whether a macrospin along −c1 (tilted 1e-3 rad toward c2) ends along +c1 after relaxing
    in the field mu0·H·c1."""
    sample = _macrospin()
    terms = [CubicAnisotropy(sample), Zeeman(sample, B=tuple(MU0 * field * C1))]
    llg = LLG(sample, EffectiveField(terms, sample.grid.vshape))
    phi = 1e-3
    m0 = (-math.cos(phi) * C1 + math.sin(phi) * C2).reshape(1, 1, 1, 3)
    res = minimize(llg, m0, tol=1e-5, max_iter=100_000)
    assert res.converged, res.message
    return float(res.m[0, 0, 0] @ C1) > 0


def test_switching_field_along_easy_axis() -> None:
    """Stoner-Wohlfarth reversal along a cube axis: with the field H along +c1 and m along −c1,
    E(φ) = Kc1 sin^2(2φ)/4 + mu0 Ms H cos φ near φ = 0 (rotation in the c1-c2 plane, a3 = 0, so
    Kc2 plays no part) loses its minimum at H_sw = 2 Kc1/(mu0 Ms) = 44 938 A/m (56.5 mT), and
    E'(φ) < 0 on the way, so m goes all the way to +c1. Bisection of the relaxed end state between
    0.9 and 1.1 H_sw (12 steps, 5e-5 resolution) measured the threshold at 0.99990 H_sw (the start
    tilt of 1e-3 rad and the stopping torque 1e-5 A/m move it below H_sw by < 1e-4); asserted
    within 1e-3 of 2 Kc1/(mu0 Ms)."""
    h_sw = 2 * KC1 / (MU0 * MS)
    lo, hi = 0.9 * h_sw, 1.1 * h_sw
    assert not _switches(lo) and _switches(hi)
    for _ in range(12):
        mid = 0.5 * (lo + hi)
        if _switches(mid):
            hi = mid
        else:
            lo = mid
    assert 0.5 * (lo + hi) == pytest.approx(h_sw, rel=1e-3)


# -- wiring and input errors -----------------------------------------------------------------------


def _cfg(**material) -> dict:
    return {
        "mesh": {"cell": [2e-9, 2e-9, 2e-9], "size": [10e-9, 10e-9, 2e-9]},
        "layer": [{"name": "FM", "thickness": 2e-9, "material": "fe",
                   "initial": {"uniform": [1, 0, 0]}}],
        "material": {"fe": {"Ms": MS, "A": 2e-11, **material}},
        "relax": {"enabled": False},
        "run": {"duration": 1e-12, "output_every": 1e-12},
    }


def test_build_adds_cubic_only_when_a_material_has_it() -> None:
    from spintorque.simulation import build

    assert "cubic_anisotropy" not in [t.name for t in build(_cfg()).terms]
    problem = build(_cfg(Kc1=KC1, cubic_axis1=[1, 1, 0], cubic_axis2=[-1, 1, 0]))
    assert "cubic_anisotropy" in [t.name for t in problem.terms]
    mat = problem.sample.materials[0]
    assert np.allclose(mat.cubic_axis1, C1) and np.allclose(mat.cubic_axis2, C2)


@pytest.mark.parametrize(("material", "key", "words"), [
    ({"Kc1": 1e9}, "Kc1", "J/m^3"),
    ({"Kc2": -5e-324}, "Kc2", "J/m^3"),
    ({"cubic_axis1": [1, 1, 0], "cubic_axis2": [0, 1, 0]}, "cubic_axis2", "orthogonal"),
    ({"cubic_axis1": [0, 0, 0]}, "cubic_axis1", "nonzero"),
])
def test_config_refuses_bad_cubic_input(material, key: str, words: str) -> None:
    from spintorque.config import config_from_dict

    with pytest.raises(ValueError) as err:
        config_from_dict(_cfg(**material))
    text = str(err.value)
    assert key in text and words in text, text


def test_material_refuses_bad_cubic_input() -> None:
    with pytest.raises(ValueError, match="cubic_axis2 .* must be orthogonal"):
        Material("x", Ms=1e5, Kc1=1e4, cubic_axis1=(1, 0, 0), cubic_axis2=(1, 1e-3, 0))
    with pytest.raises(ValueError, match="cubic_axis1 .* must be nonzero"):
        Material("x", Ms=1e5, cubic_axis1=(0, 0, 0))
    with pytest.raises(ValueError, match="Kc2"):
        Material("x", Ms=1e5, Kc2=math.nan)
    # orthogonal within 1e-6: accepted, stored exactly orthonormal
    mat = Material("x", Ms=1e5, cubic_axis1=(2, 0, 0), cubic_axis2=(1e-7, 3, 0))
    assert mat.cubic_axis1 == (1.0, 0.0, 0.0)
    assert abs(np.dot(mat.cubic_axis1, mat.cubic_axis2)) < 1e-15
    assert np.linalg.norm(mat.cubic_axis2) == pytest.approx(1.0, abs=1e-15)
