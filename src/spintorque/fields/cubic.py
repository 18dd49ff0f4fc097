"""Cubic magnetocrystalline anisotropy.

Energy density [J/m^3], with ``a_k = m·c_k`` the direction cosines on the material's cube axes
``c1 = Material.cubic_axis1``, ``c2 = Material.cubic_axis2``, ``c3 = c1 × c2``:

    w = Kc1 (a1² a2² + a2² a3² + a3² a1²) + Kc2 a1² a2² a3²

(the convention of OOMMF's Oxs_CubicAnisotropy and mumax3's Kc1/Kc2). ``Kc1 > 0``: easy axes
along the cube axes <100> (iron); ``Kc1 < 0``: easy axes along the body diagonals <111>
(nickel). ``w = 0`` with m along a cube axis. Field ``H = −1/(mu0 Ms) ∂w/∂m``:

    H = −2/(mu0 Ms) sum_k [Kc1 a_k (a_l² + a_n²) + Kc2 a_k a_l² a_n²] c_k   ({k, l, n} = {1, 2, 3})

The energy is of degree 4 and 6 in m, not quadratic: it is summed directly (``energy_from_field``
ignores the field and does the same), not as −mu0/2 Ms V m·H.
"""

from __future__ import annotations

import numba
import numpy as np

from ..constants import MU0
from ..materials import Sample

__all__ = ["CubicAnisotropy"]


@numba.njit(cache=True)
def _cubic_field(m, c1, c2, c3, k1, k2, out, accumulate):
    """out (+)= the cubic field per cell on flat (N, 3) arrays; ``k1``, ``k2`` = 2 Kc/(mu0 Ms)
    per cell [A/m] (0 outside the material)."""
    for i in range(m.shape[0]):
        p1 = k1[i]
        p2 = k2[i]
        if p1 == 0.0 and p2 == 0.0:
            if not accumulate:
                out[i, 0] = 0.0
                out[i, 1] = 0.0
                out[i, 2] = 0.0
            continue
        m0, m1, m2 = m[i, 0], m[i, 1], m[i, 2]
        a1 = m0 * c1[i, 0] + m1 * c1[i, 1] + m2 * c1[i, 2]
        a2 = m0 * c2[i, 0] + m1 * c2[i, 1] + m2 * c2[i, 2]
        a3 = m0 * c3[i, 0] + m1 * c3[i, 1] + m2 * c3[i, 2]
        q1, q2, q3 = a1 * a1, a2 * a2, a3 * a3
        g1 = -(p1 * a1 * (q2 + q3) + p2 * a1 * q2 * q3)
        g2 = -(p1 * a2 * (q1 + q3) + p2 * a2 * q1 * q3)
        g3 = -(p1 * a3 * (q1 + q2) + p2 * a3 * q1 * q2)
        for c in range(3):
            h = g1 * c1[i, c] + g2 * c2[i, c] + g3 * c3[i, c]
            if accumulate:
                out[i, c] += h
            else:
                out[i, c] = h


@numba.njit(cache=True)
def _cubic_energy_density(m, c1, c2, c3, kc1, kc2):
    """sum over cells of Kc1 (a1²a2² + a2²a3² + a3²a1²) + Kc2 a1²a2²a3² [J/m^3]."""
    total = 0.0
    for i in range(m.shape[0]):
        if kc1[i] == 0.0 and kc2[i] == 0.0:
            continue
        m0, m1, m2 = m[i, 0], m[i, 1], m[i, 2]
        a1 = m0 * c1[i, 0] + m1 * c1[i, 1] + m2 * c1[i, 2]
        a2 = m0 * c2[i, 0] + m1 * c2[i, 1] + m2 * c2[i, 2]
        a3 = m0 * c3[i, 0] + m1 * c3[i, 1] + m2 * c3[i, 2]
        q1, q2, q3 = a1 * a1, a2 * a2, a3 * a3
        total += kc1[i] * (q1 * q2 + q2 * q3 + q3 * q1) + kc2[i] * q1 * q2 * q3
    return total


class CubicAnisotropy:
    """Cubic anisotropy of every material with nonzero ``Kc1`` or ``Kc2`` [J/m^3], cube axes
    ``cubic_axis1``, ``cubic_axis2`` (orthonormal, checked by :class:`~spintorque.materials.
    Material`) and their cross product."""

    name = "cubic_anisotropy"

    def __init__(self, sample: Sample):
        self.sample = sample
        grid = sample.grid
        ms = sample.param("Ms")
        magnetic = ms > 0
        kc1 = np.where(magnetic, sample.param("Kc1"), 0.0)
        kc2 = np.where(magnetic, sample.param("Kc2"), 0.0)
        safe_ms = np.where(magnetic, ms, 1.0)
        n = grid.ncells
        self._k1 = np.ascontiguousarray((2.0 * kc1 / (MU0 * safe_ms)).reshape(n))
        self._k2 = np.ascontiguousarray((2.0 * kc2 / (MU0 * safe_ms)).reshape(n))
        self._kc1 = np.ascontiguousarray(kc1.reshape(n))
        self._kc2 = np.ascontiguousarray(kc2.reshape(n))
        a1 = np.array([mat.cubic_axis1 for mat in sample.materials], float)
        a2 = np.array([mat.cubic_axis2 for mat in sample.materials], float)
        a3 = np.cross(a1, a2)
        region = sample.region.reshape(n)
        self._c = tuple(np.ascontiguousarray(a[region]) for a in (a1, a2, a3))
        self._volume = grid.cell_volume
        self.active = bool(np.any(self._k1 != 0) or np.any(self._k2 != 0))

    def _apply(self, m: np.ndarray, out: np.ndarray, accumulate: bool) -> None:
        mf = np.ascontiguousarray(m, dtype=float).reshape(-1, 3)
        if out.flags.c_contiguous and out.dtype == np.float64:
            _cubic_field(mf, *self._c, self._k1, self._k2, out.reshape(-1, 3), accumulate)
            return
        h = np.zeros(mf.shape)
        _cubic_field(mf, *self._c, self._k1, self._k2, h, False)
        if accumulate:
            out += h.reshape(out.shape)
        else:
            out[...] = h.reshape(out.shape)

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        """Cubic-anisotropy field H [A/m], zero in non-magnetic cells."""
        out = np.zeros_like(m) if out is None else out
        if not self.active:
            out[...] = 0.0
            return out
        self._apply(m, out, False)
        return out

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """out += this term's field [A/m] (no temporary)."""
        if self.active:
            self._apply(m, out, True)
        return out

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        """Energy [J], zero with every cell along a cube axis."""
        if not self.active:
            return 0.0
        mf = np.ascontiguousarray(m, dtype=float).reshape(-1, 3)
        return self._volume * float(_cubic_energy_density(mf, *self._c, self._kc1, self._kc2))

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        """Energy [J] (summed from m directly; the term is not quadratic in m)."""
        return self.energy(m)
