"""The state classifier on constructed layer states (exact constructions, so exact labels)."""

from __future__ import annotations

import numpy as np
import pytest

from spintorque.experiments.classify import MINUS, Thresholds, circulation, classify_layer

NX, NY, NZ = 32, 16, 3  # 128 x 64 nm at 4 nm cells, 3 cells thick
CELL = (4e-9, 4e-9)


def _xy():
    x = (np.arange(NX) + 0.5 - NX / 2) * CELL[0]
    y = (np.arange(NY) + 0.5 - NY / 2) * CELL[1]
    return np.meshgrid(x, y, indexing="ij")


def _block(mx, my, mz=None):
    mz = np.zeros_like(mx) if mz is None else mz
    m = np.stack([mx, my, mz], axis=-1)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    return np.repeat(m[:, :, None, :], NZ, axis=2)


def _uniform(v):
    m = np.zeros((NX, NY, NZ, 3))
    m[...] = np.asarray(v, float) / np.linalg.norm(v)
    return m


@pytest.mark.parametrize(
    ("v", "label"),
    [((1, 0, 0), "FM2 +x"), ((-1, 0, 0), f"FM2 {MINUS}x"), ((0, 1, 0), "FM2 +y"),
     ((0, -1, 0), f"FM2 {MINUS}y"), ((0, 0, 1), "FM2 +z"), ((-1, 0.2, 0.1), f"FM2 {MINUS}x")],
)
def test_uniform_states(v, label):
    s = classify_layer(_uniform(v), "FM2", CELL)
    assert s.label == label and s.kind == "uniform"
    np.testing.assert_allclose(s.mean, np.asarray(v) / np.linalg.norm(v), atol=1e-12)
    assert abs(s.circulation) < 1e-12  # mirror symmetry: exactly zero


@pytest.mark.parametrize(("chirality", "name"), [(1, "ccw"), (-1, "cw")])
@pytest.mark.parametrize("polarity", [1, -1])
def test_vortex(chirality, name, polarity):
    x, y = _xy()
    r = np.hypot(x, y)
    core = 10e-9  # m
    mz = polarity * np.exp(-((r / core) ** 2))
    scale = np.sqrt(1 - mz**2) / np.maximum(r, 1e-30)
    m = _block(-chirality * y * scale, chirality * x * scale, mz)
    s = classify_layer(m, "FM2", CELL)
    assert s.label == f"FM2 vortex ({name})"
    assert s.kind == "vortex" and s.polarity == polarity
    assert chirality * s.circulation > 0.8  # pure azimuthal away from the core


def _ends(tilt_left, tilt_right, sign=1.0):
    """+x (or −x) body; the end quarter domains tilt by the given m_y (C/S/flower states)."""
    x, _ = _xy()
    mx = np.full((NX, NY), sign)
    my = np.zeros((NX, NY))
    my[x < -0.3 * NX * CELL[0]] = tilt_left
    my[x > 0.3 * NX * CELL[0]] = tilt_right
    return _block(mx, my)


def test_c_state_and_s_state():
    c = classify_layer(_ends(-0.6, 0.6), "FM2", CELL)
    assert c.label == "FM2 C-state +x" and c.kind == "C-state"
    s = classify_layer(_ends(0.6, 0.6, sign=-1.0), "FM2", CELL)
    assert s.label == f"FM2 S-state {MINUS}x" and s.kind == "S-state"


def test_flower_state_is_uniform():
    """Ends that splay symmetrically (a flower state) have no net end tilt: still "+x"."""
    x, y = _xy()
    my = np.where(np.abs(x) > 0.3 * NX * CELL[0], 0.5 * np.sign(x * y), 0.0)
    s = classify_layer(_block(np.ones((NX, NY)), my), "FM2", CELL)
    assert s.label == "FM2 +x"


def test_multidomain_stripes_and_random():
    x, _ = _xy()
    stripes = np.where(np.floor(x / (NX * CELL[0] / 4)) % 2 == 0, 1.0, -1.0)
    s = classify_layer(_block(stripes, np.zeros((NX, NY))), "FM1", CELL)
    assert s.label == "FM1 multidomain"
    rng = np.random.default_rng(1)
    r = rng.normal(size=(NX, NY, NZ, 3))
    r /= np.linalg.norm(r, axis=-1, keepdims=True)
    assert classify_layer(r, "FM1", CELL).label == "FM1 multidomain"


def test_circulation_ignores_empty_cells_and_bad_input():
    m = _uniform((1, 0, 0))
    m[:4] = 0.0  # non-magnetic cells
    assert classify_layer(m, "FM2", CELL).label == "FM2 +x"
    with pytest.raises(ValueError, match="shape"):
        circulation(np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="no magnetic cells"):
        classify_layer(np.zeros((4, 4, 1, 3)))
    with pytest.raises(ValueError, match="Thresholds.uniform"):
        Thresholds(uniform=1.5)


def test_family_merges_end_domain_detail():
    c = classify_layer(_ends(-0.6, 0.6), "FM2", CELL)
    assert c.family == "FM2 +x" and c.to_dict()["family"] == "FM2 +x"
    x, y = _xy()
    r = np.hypot(x, y)
    v = classify_layer(_block(-y / r, x / r), "FM2", CELL)
    assert v.family == v.label == "FM2 vortex (ccw)"
