"""Relative orientation of FM1 and FM2 and the tunnelling magnetoresistance it would read out.

Julliere (the talk): with spin polarizations ``P_L``, ``P_R`` of the two electrodes,
``TMR = (G_P − G_AP) / G_AP = (R_AP − R_P) / R_P = 2 P_L P_R / (1 − P_L P_R)``.

Generalised to an angle θ between the two magnetizations (Slonczewski's form of the Julliere
model, conductance ``G(θ) = G_0 (1 + P_L P_R cos θ)``), the read-out relative to the parallel
state is

    TMR(θ) = (R(θ) − R_P) / R_P = G_P / G(θ) − 1 = P_L P_R (1 − cos θ) / (1 + P_L P_R cos θ),

which is 0 for parallel layers and the Julliere value for antiparallel ones. For non-uniform
layers the conductance is averaged over the junction area: channels in parallel add, so
``G ∝ 1 + P_L P_R <m_1 · m_2>`` with the dot product taken column by column across the two
facing interface slices; :func:`interface_cosine` computes that effective cos θ.
"""

from __future__ import annotations

import math

import numpy as np


def _check_p(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and 0.0 <= value < 1.0):
        raise ValueError(f"{name} = {value!r} must lie in [0, 1) (spin polarization)")
    return value


def julliere_tmr(P_L: float, P_R: float) -> float:
    """Julliere TMR ``2 P_L P_R / (1 − P_L P_R)`` (dimensionless, P in [0, 1))."""
    p = _check_p("P_L", P_L) * _check_p("P_R", P_R)
    return 2.0 * p / (1.0 - p)


def tmr_from_cosine(cos_theta: float, P_L: float, P_R: float) -> float:
    """``TMR(θ) = P_L P_R (1 − cos θ) / (1 + P_L P_R cos θ)`` for a given cos θ in [−1, 1]."""
    c = float(cos_theta)
    if not (math.isfinite(c) and -1.0 - 1e-12 <= c <= 1.0 + 1e-12):
        raise ValueError(f"cos_theta = {cos_theta!r} must lie in [-1, 1]")
    c = min(1.0, max(-1.0, c))
    p = _check_p("P_L", P_L) * _check_p("P_R", P_R)
    return p * (1.0 - c) / (1.0 + p * c)


def relative_angle(m1: np.ndarray, m2: np.ndarray) -> float:
    """Angle [rad] between two layer-average vectors (3,), in [0, π]; NaN if either is ~0."""
    a = np.asarray(m1, dtype=float)
    b = np.asarray(m2, dtype=float)
    if a.shape != (3,) or b.shape != (3,):
        raise ValueError(f"m1, m2 have shapes {a.shape}, {b.shape}; need (3,) each")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-9 or nb < 1e-9:
        return math.nan
    return float(np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0)))


def interface_cosine(m_bottom: np.ndarray, m_top: np.ndarray) -> float:
    """Area-averaged ``<m_1 · m_2>`` over two facing interface slices, each shape (nx, ny, 3)."""
    a = np.asarray(m_bottom, dtype=float)
    b = np.asarray(m_top, dtype=float)
    if a.shape != b.shape or a.ndim != 3 or a.shape[-1] != 3:
        raise ValueError(
            f"interface slices have shapes {a.shape}, {b.shape}; need equal (nx, ny, 3)"
        )
    return float(np.einsum("ijk,ijk->ij", a, b).mean())


def orientation_label(theta: float) -> str:
    """"parallel" (θ < 30°), "antiparallel" (θ > 150°), "perpendicular" (60°–120°), else
    "θ = N°"; "undefined" for NaN (a layer with ~zero average, e.g. a vortex)."""
    if math.isnan(theta):
        return "undefined"
    deg = math.degrees(theta)
    if deg < 30:
        return "parallel"
    if deg > 150:
        return "antiparallel"
    if 60 <= deg <= 120:
        return "perpendicular"
    return f"θ = {deg:.0f}°"


def readout(
    mean1: np.ndarray,
    mean2: np.ndarray,
    P_L: float = 0.5,
    P_R: float = 0.5,
    m_interface: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Relative orientation and TMR of a final state, as a JSON-friendly dict.

    ``angle_deg``: angle between the layer averages; ``cos_eff``: the effective cos θ the TMR
    uses; ``orientation``: :func:`orientation_label` of arccos(cos_eff).

    ``mean1``/``mean2``: layer averages of FM1/FM2 (3,); ``m_interface``: optional facing
    slices (FM1 top, FM2 bottom), each (nx, ny, 3), for the area-averaged cos θ; without them
    cos θ of the normalised averages is used.
    """
    theta = relative_angle(mean1, mean2)
    if m_interface is not None:
        cos_eff = interface_cosine(*m_interface)
    else:
        cos_eff = math.nan if math.isnan(theta) else math.cos(theta)
    tmr = math.nan if math.isnan(cos_eff) else tmr_from_cosine(cos_eff, P_L, P_R)
    # the orientation the junction "sees": from the effective cos θ (the area average when the
    # interface slices are given, which stays meaningful when a layer average is ~0)
    theta_eff = math.nan if math.isnan(cos_eff) else math.acos(min(1.0, max(-1.0, cos_eff)))
    return {
        "angle_deg": math.degrees(theta) if not math.isnan(theta) else None,
        "orientation": orientation_label(theta_eff),
        "cos_eff": None if math.isnan(cos_eff) else cos_eff,
        "tmr": None if math.isnan(tmr) else tmr,
        "tmr_max": julliere_tmr(P_L, P_R),
        "P_L": float(P_L),
        "P_R": float(P_R),
    }
