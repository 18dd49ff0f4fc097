"""Julliere TMR and its angular generalisation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spintorque.experiments.tmr import (
    interface_cosine,
    julliere_tmr,
    orientation_label,
    readout,
    relative_angle,
    tmr_from_cosine,
)


def test_julliere_values():
    # Julliere's Fe/Ge/Co numbers: P = 0.44 and 0.34 -> 2PP/(1-PP) = 0.3508 (pure arithmetic)
    assert julliere_tmr(0.44, 0.34) == pytest.approx(2 * 0.1496 / (1 - 0.1496), rel=1e-14)
    assert julliere_tmr(0.0, 0.9) == 0.0
    assert julliere_tmr(0.5, 0.5) == pytest.approx(2 / 3, rel=1e-14)


def test_angular_form_limits_and_conductance_identity():
    pl, pr = 0.6, 0.4
    assert tmr_from_cosine(1.0, pl, pr) == 0.0
    assert tmr_from_cosine(-1.0, pl, pr) == pytest.approx(julliere_tmr(pl, pr), rel=1e-14)
    # TMR(θ) = G_P / G(θ) − 1 with G ∝ 1 + P_L P_R cos θ, at any angle
    for th in np.linspace(0, math.pi, 7):
        g = 1 + pl * pr * math.cos(th)
        assert tmr_from_cosine(math.cos(th), pl, pr) == pytest.approx((1 + pl * pr) / g - 1,
                                                                      rel=1e-13, abs=1e-15)


def test_orientation_and_readout():
    assert relative_angle(np.array([1, 0, 0]), np.array([-2, 0, 0])) == pytest.approx(math.pi)
    assert orientation_label(0.1) == "parallel"
    assert orientation_label(math.pi) == "antiparallel"
    assert orientation_label(math.pi / 2) == "perpendicular"
    assert orientation_label(math.nan) == "undefined"
    r = readout(np.array([0.9, 0.1, 0]), np.array([-0.95, 0.0, 0.1]), 0.5, 0.5)
    assert r["orientation"] == "antiparallel" and r["tmr"] > 0.6
    v = readout(np.array([1.0, 0, 0]), np.zeros(3))
    assert v["orientation"] == "undefined" and v["tmr"] is None


def test_interface_cosine_area_average():
    a = np.zeros((4, 2, 3))
    a[..., 0] = 1
    b = a.copy()
    b[:2, :, 0] = -1  # half the junction antiparallel
    assert interface_cosine(a, b) == pytest.approx(0.0, abs=1e-15)
    r = readout(np.array([1.0, 0, 0]), np.array([0.0, 0, 0.5]), 0.5, 0.5, m_interface=(a, b))
    assert r["cos_eff"] == pytest.approx(0.0, abs=1e-15)
    assert r["tmr"] == pytest.approx(0.25 / 1.0, rel=1e-14)


def test_bad_polarization():
    with pytest.raises(ValueError, match="P_L"):
        julliere_tmr(1.0, 0.5)
    with pytest.raises(ValueError, match="cos_theta"):
        tmr_from_cosine(1.5, 0.5, 0.5)
