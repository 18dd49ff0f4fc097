"""Interlayer exchange (RKKY): field = −δE/δm, energies of given states, shaped layers, the
saturation and spin-flop fields of two coupled macrospins measured from hysteresis sweeps,
per-pair exchange at touching layers, and bad input.

Macrospin model (two layers of one cell each, Ms, t, no stray field), per unit area
E/A = −J1 cos θ12 − J2 cos² θ12 − mu0 Ms t H (cos θ1 + cos θ2) − Ku t (cos² θ1 + cos² θ2),
with H_J = −J1/(mu0 Ms t), H_2 = J2/(mu0 Ms t), H_K = 2 Ku/(mu0 Ms):

* saturation (the saturated state's scissor mode goes soft): H_sat = 2 (H_J − 2 H_2) − H_K,
  i.e. mu0 H_sat = −2 (J1 + 2 J2)/(Ms t) − mu0 H_K;
* with Ku = J2 = 0 the scissor state has m·ĥ = H/H_sat exactly;
* field along the easy axis: the antiparallel state loses stability at
  H_up = sqrt(H_K (2 H_J + H_K)), the canted state returns to it at
  H_down = (2 H_J − H_K) sqrt(H_K/(2 H_J + H_K)); their geometric mean is the equal-energy
  spin-flop field sqrt(H_K (2 H_J − H_K)).
"""

from __future__ import annotations

import numpy as np
import pytest

import spintorque as st
from spintorque.config import ConfigError, config_from_dict
from spintorque.constants import MU0
from spintorque.fields.interlayer import InterlayerExchange
from spintorque.hysteresis import hysteresis
from spintorque.io.errors import UserError

MS, T, DZ = 8e5, 1e-9, 1e-9
FM = st.Material("fm", Ms=MS, A=1e-11, alpha=0.02)
RU = st.Material("ru")


def _stack(nxy=(1, 1), fm_cells=1, spacer_cells=1, fm=FM):
    return st.Sample.stack(nxy, (5e-9, 5e-9, DZ),
                           [("FM1", fm_cells * DZ, fm), ("Ru", spacer_cells * DZ, RU),
                            ("FM2", fm_cells * DZ, fm)])


def _random_m(sample, seed=0):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal(sample.grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    return m * sample.magnetic[..., None]


def test_field_is_minus_energy_gradient():
    """H = −(1/(mu0 Ms V)) ∂E/∂m by central differences on a random state, J1 and J2 both on;
    tolerance 1e-6 relative (difference step 1e-6: truncation O(h²) ~ 1e-12, round-off of
    E ~ 1e-16·E/h ~ 1e-10 of the field)."""
    s = _stack((3, 2), fm_cells=2)
    term = InterlayerExchange(s, [("FM1", "FM2", -1.3e-3, -4e-4)])
    m = _random_m(s)
    h = term.field(m)
    vol = s.grid.cell_volume
    k_surface = [1, 3]  # top of FM1 (cells 0, 1), bottom of FM2 (cells 3, 4)
    assert np.all(h[:, :, [0, 2, 4]] == 0)
    eps = 1e-6
    for i, j, k in [(0, 0, 1), (2, 1, 1), (1, 0, 3), (2, 1, 3)]:
        assert k in k_surface
        for c in range(3):
            mp, mm = m.copy(), m.copy()
            mp[i, j, k, c] += eps
            mm[i, j, k, c] -= eps
            grad = (term.energy(mp) - term.energy(mm)) / (2 * eps)
            assert -grad / (MU0 * MS * vol) == pytest.approx(h[i, j, k, c], rel=1e-6, abs=1e-6)
    # add_field adds the same field; energy_from_field agrees with energy
    out = np.ones_like(m)
    term.add_field(m, 0.0, out)
    assert np.allclose(out - 1.0, h, rtol=0, atol=1e-9 * np.abs(h).max())
    assert term.energy_from_field(m, h) == term.energy(m)
    # the NumPy path (non-contiguous m) gives the fused kernel's field
    h_np = term.field(np.asfortranarray(m))
    assert np.allclose(h_np, h, rtol=0, atol=1e-12 * np.abs(h).max())


@pytest.mark.parametrize("angle", [0.0, np.pi / 3, np.pi / 2, np.pi])
def test_energy_of_given_configurations(angle):
    """E = nx ny dx dy [−J1 cos θ − J2 cos² θ] for layers at angle θ (exact to round-off)."""
    s = _stack((4, 3), fm_cells=2, spacer_cells=2)
    J1, J2 = -1e-3, -2e-4
    term = InterlayerExchange(s, [("FM2", "FM1", J1, J2)])  # either order
    m = np.zeros(s.grid.vshape)
    m[:, :, :2] = (1.0, 0.0, 0.0)
    m[:, :, 4:] = (np.cos(angle), np.sin(angle), 0.0)
    area = 4 * 3 * 5e-9 * 5e-9
    c = np.cos(angle)
    assert term.energy(m) == pytest.approx(area * (-J1 * c - J2 * c * c), rel=1e-12, abs=1e-30)


def test_shaped_layers_couple_over_their_overlap_only():
    """Cells of FM2 that are vacuum (another region, Ms = 0) take no part: energy counts the
    overlapping columns, the field is zero on the vacuum columns."""
    base = _stack((4, 1))
    region = np.array(base.region)
    region[3, 0, 2] = 3  # a vacuum column in FM2
    s = st.Sample(base.grid, region, (*base.materials, st.Material("vacuum")),
                  (*base.names, "vac"))
    term = InterlayerExchange(s, [("FM1", "FM2", -1e-3)])
    m = np.zeros(s.grid.vshape)
    m[:, :, 0] = (1, 0, 0)
    m[:, :, 2] = (-1, 0, 0)
    m *= s.magnetic[..., None]
    assert term.energy(m) == pytest.approx(3 * 25e-18 * (-1e-3), rel=1e-12)
    h = term.field(m)
    assert np.all(h[3, 0] == 0)
    assert h[0, 0, 0, 0] == pytest.approx(-1e-3 * -1 / (MU0 * MS * DZ), rel=1e-12)


def test_exchange_pair_sets_the_face_stiffness():
    """Exchange(pair_A={(a, b): A}) replaces the face stiffness between touching layers: the
    energy of two touching 1-cell layers at angle θ is (A_face/dz) |m1 − m2|² dx dy; the
    default (no pair_A) keeps the harmonic mean."""
    s = st.Sample.stack((1, 1), (5e-9, 5e-9, DZ), [("FM1", DZ, FM), ("FM2", DZ, FM)])
    m = np.zeros(s.grid.vshape)
    m[0, 0, 0] = (1, 0, 0)
    m[0, 0, 1] = (0, 1, 0)
    area = 25e-18
    for pair, a_face in [(None, 1e-11), ({("FM2", "FM1"): 3e-12}, 3e-12), ({("FM1", "FM2"): 0.0},
                                                                            0.0)]:
        e = st.Exchange(s, pair_A=pair).energy(m)
        assert e == pytest.approx(a_face / DZ * 2.0 * area, rel=1e-12, abs=1e-40)
    with pytest.raises(ValueError, match="no region named 'FM3'"):
        st.Exchange(s, pair_A={("FM1", "FM3"): 1e-12})


def _macrospin_problem(J1, J2=0.0, Ku=0.0, m1=(0, 1, 0), m2=(0, -1, 0)):
    fm = st.Material("fm", Ms=MS, A=1e-11, Ku=Ku, axis=(1, 0, 0), alpha=0.02)
    s = _stack(fm=fm)
    m0 = np.zeros(s.grid.vshape)
    m0[0, 0, 0], m0[0, 0, 2] = m1, m2
    terms = [st.Exchange(s), InterlayerExchange(s, [("FM1", "FM2", J1, J2)])]
    if Ku:
        terms.append(st.UniaxialAnisotropy(s))
    return st.Problem(s, m0, terms, relaxation=st.Relaxation("minimize", tol=1e-4))


def _saturation(table, start=0):
    """First field (along the sweep) where m_par ≥ 1 − 1e-9, and the field where the straight
    line through the two rows before it reaches m_par = 1 (the scissor branch is linear in H
    near saturation: 1 − cos φ ∝ H_sat − H)."""
    b, mp = table.column("B")[start:], table.column("m_par")[start:]
    k = int(np.nonzero(mp >= 1 - 1e-9)[0][0])
    slope = (mp[k - 1] - mp[k - 2]) / (b[k - 1] - b[k - 2])
    return b[k], b[k - 1] + (1 - mp[k - 1]) / slope


@pytest.mark.parametrize("J1,J2", [(-1e-3, 0.0), (-1e-3, -2e-4)])
def test_saturation_field_of_two_coupled_layers(J1, J2, tmp_path):
    """mu0 H_sat = −2 (J1 + 2 J2)/(Ms t) from an up-sweep out of the scissor state (field ⟂ the
    antiparallel axis). Sweep step 2 % of B_sat: the saturation is bracketed by the first
    saturated step and the one before (tolerance one step); the line through the last two
    unsaturated rows hits m_par = 1 within 1e-3 of B_sat (exactly linear for J2 = 0; for J2 ≠ 0
    the curvature of m_par(H) over one step, ~(ΔB/B)² ~ 4e-4)."""
    b_sat = -2 * (J1 + 2 * J2) / (MS * T)
    r = hysteresis(_macrospin_problem(J1, J2), out=tmp_path, B_start=0.0, B_stop=1.2 * b_sat,
                   steps=61, direction=(1, 0, 0), loop=False, progress=None)
    assert np.all(r.table.column("converged") == 1)
    first, line = _saturation(r.table)
    step = 0.02 * b_sat
    assert first - step * (1 + 1e-9) <= b_sat <= first * (1 + 1e-12)
    assert line == pytest.approx(b_sat, rel=1e-3)
    if J2 == 0:  # scissor branch: m·ĥ = H/H_sat exactly (to the relaxation's tolerance)
        b, mp = r.table.column("B"), r.table.column("m_par")
        below = b < b_sat * (1 - 1e-9)
        assert np.allclose(mp[below], b[below] / b_sat, rtol=0, atol=1e-8)


def test_spin_flop_and_saturation_along_the_easy_axis(tmp_path):
    """Field along the easy axis, start antiparallel along it; H_K = 0.1 H_J. Up-sweep: the
    antiparallel state flops at H_up = sqrt(H_K (2 H_J + H_K)), the canted state saturates at
    2 H_J − H_K; down-sweep: back to antiparallel at H_down = (2 H_J − H_K) sqrt(H_K/(2 H_J +
    H_K)). A perturbation of 1e-4 rad per step lets the exact (symmetric) equilibria decay where
    they lose stability. Sweep step 1 % of H_J: every transition lies within one step of the
    analytic field."""
    J1 = -1e-3
    hj = -J1 / (MU0 * MS * T)
    hk = 0.1 * hj
    ku = hk * MU0 * MS / 2
    b_up = MU0 * np.sqrt(hk * (2 * hj + hk))
    b_down = MU0 * (2 * hj - hk) * np.sqrt(hk / (2 * hj + hk))
    b_sat = MU0 * (2 * hj - hk)
    step = 0.01 * MU0 * hj
    n = int(round(1.05 * b_sat / step)) + 1
    p = _macrospin_problem(J1, Ku=ku, m1=(1, 0, 0), m2=(-1, 0, 0))
    r = hysteresis(p, out=tmp_path, B_start=0.0, B_stop=(n - 1) * step, steps=n,
                   direction=(1, 0, 0), loop=True, perturbation=1e-4, seed=3, progress=None)
    assert np.all(r.table.column("converged") == 1)
    b, mp = r.table.column("B"), r.table.column("m_par")
    up, down = slice(0, n), slice(n - 1, None)
    flop = b[up][np.nonzero(mp[up] > 0.05)[0][0]]  # first canted field on the way up
    assert b_up <= flop <= b_up + step * (1 + 1e-9)
    sat = b[up][np.nonzero(mp[up] >= 1 - 1e-6)[0][0]]
    assert b_sat - step <= sat <= b_sat + step
    back = b[down][np.nonzero(mp[down] < 0.05)[0][0]]  # first antiparallel field on the way down
    assert b_down - step <= back <= b_down
    # the canted branch: cos φ = H/(2 H_J − H_K)
    canted = (b > flop + step) & (b < b_sat - step) & (np.arange(len(b)) < n)
    assert np.allclose(mp[canted], b[canted] / b_sat, atol=1e-6)


def _cfg(**extra):
    data = {
        "mesh": {"cell": [5e-9, 5e-9, 1e-9], "size": [5e-9, 5e-9, 3e-9]},
        "layer": [{"name": "FM1", "thickness": 1e-9, "material": "fm"},
                  {"name": "Ru", "thickness": 1e-9, "material": "ru"},
                  {"name": "FM2", "thickness": 1e-9, "material": "fm"}],
        "material": {"fm": {"Ms": MS, "A": 1e-11}, "ru": {"Ms": 0.0}},
        "run": {"duration": 0.0, "output_every": 1e-12},
    }
    data.update(extra)
    return data


def test_config_builds_the_term():
    cfg = config_from_dict(_cfg(interlayer=[{"layers": ["FM1", "FM2"], "J1": -1e-3,
                                             "J2": -1e-4}]))
    problem = st.build(cfg)
    term = problem.term("interlayer")
    assert term is not None and term.couplings == (("FM1", "FM2", -1e-3, -1e-4),)
    cfg2 = config_from_dict(_cfg(interlayer=[{"bottom": "FM1", "top": "FM2", "J1": -1e-3}]))
    assert st.build(cfg2).term("interlayer").couplings == (("FM1", "FM2", -1e-3, 0.0),)
    # a config without the new tables keeps its run hash (resumable folders stay valid)
    from spintorque.simulation import run_hash

    assert run_hash(config_from_dict(_cfg())) == run_hash(config_from_dict(_cfg(interlayer=[])))


@pytest.mark.parametrize("entry,match", [
    ({"layers": ["FM1", "FM3"], "J1": -1e-3}, "must be one of the layers"),
    ({"layers": ["FM1", "FM2"], "J1": -1e-3, "J2": 1e-4},
     "interlayer\\[0\\].J2: 0.0001 -> must be <= 0"),
    ({"layers": ["FM1", "Ru"], "J1": -1e-3}, "must be a magnetic layer"),
    ({"layers": ["FM1", "FM2"], "J1": -2.0}, "nonzero magnitudes must lie in"),
    ({"layers": ["FM1", "FM2"], "bottom": "FM1", "J1": -1e-3}, "either layers or bottom/top"),
])
def test_bad_interlayer_tables(entry, match):
    with pytest.raises(ConfigError, match=match):
        config_from_dict(_cfg(interlayer=[entry]))


def test_touching_layers_are_refused_with_a_hint():
    data = _cfg(interlayer=[{"layers": ["FM1", "FM2"], "J1": -1e-3}])
    data["layer"] = [data["layer"][0], data["layer"][2]]
    data["mesh"]["size"][2] = 2e-9
    with pytest.raises(ConfigError, match="touch.*exchange.pair"):
        config_from_dict(data)
    data.pop("interlayer")
    data["exchange"] = {"pair": [{"layers": ["FM1", "FM2"], "A": 2e-12}]}
    problem = st.build(config_from_dict(data))
    assert problem.term("exchange").pair_A == (("FM1", "FM2", 2e-12),)


def test_term_refuses_bad_input():
    s = _stack()
    with pytest.raises(UserError, match="no layer named 'FM3'"):
        InterlayerExchange(s, [("FM1", "FM3", -1e-3)])
    with pytest.raises(UserError, match="J2 = 0.001"):
        InterlayerExchange(s, [("FM1", "FM2", -1e-3, 1e-3)])
    with pytest.raises(UserError, match="not magnetic"):
        InterlayerExchange(s, [("FM1", "Ru", -1e-3)])
    touching = st.Sample.stack((1, 1), (5e-9, 5e-9, DZ), [("FM1", DZ, FM), ("FM2", DZ, FM)])
    with pytest.raises(UserError, match="touch"):
        InterlayerExchange(touching, [("FM1", "FM2", -1e-3)])
    between = st.Sample.stack((1, 1), (5e-9, 5e-9, DZ),
                              [("FM1", DZ, FM), ("Ru", DZ, RU), ("Mid", DZ, FM), ("Ru2", DZ, RU),
                               ("FM2", DZ, FM)])
    with pytest.raises(UserError, match="magnetic cell lies between"):
        InterlayerExchange(between, [("FM1", "FM2", -1e-3)])
