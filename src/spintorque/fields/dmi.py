"""Dzyaloshinskii-Moriya interaction (DMI): interfacial (class Cnv, interface normal +z) and bulk
(class T), on the 6-neighbour stencil.

Energy densities [J/m^3], D [J/m^2] per material (``Material.Dind``, ``Material.Dbulk``):

- interfacial: ``w = Dind [m_z div m − (m·grad) m_z]``, field ``H = 2 Dind/(mu0 Ms) [grad m_z −
  z div m]``;
- bulk: ``w = Dbulk m·(curl m)``, field ``H = −2 Dbulk/(mu0 Ms) curl m``.

Both are sums of Lifshitz invariants, ``w = D sum_d (m × ∂_d m)·u_d`` with ``u_d = z × e_d``
(interfacial: u_x = +y, u_y = −x, u_z = 0) or ``u_d = −e_d`` (bulk). The signs are those of
mumax3 (docs/conventions.md compares OOMMF and Ubermag).

Discretization (variational, energy first). On every face between two cells ``i`` and
``j = i + e_d`` the energy is ``V D_f/h_d (m_i × m_j)·u_d`` (V the cell volume, ``h_d`` the cell
edge, ``D_f`` the face value of D); the field is its exact gradient,
``H_i = −1/(mu0 Ms_i) sum_d [D_f+/h_d (m_{i+e_d} × u_d) − D_f-/h_d (m_{i−e_d} × u_d)]``, the central
difference of the continuum field inside a material. The energy is a quadratic form of m, so
``E = −mu0/2 sum Ms V m·H`` exactly.

Free boundary condition. Faces to non-magnetic cells and to the outside carry no link (no
exchange, no DMI). This imposes the DMI-modified Neumann condition of the continuum problem,
``2A ∂m/∂n = Dind (n × z) × m`` (interfacial) and ``2A ∂m/∂n = Dbulk n × m`` (bulk), as the
natural boundary condition of the discrete energy: at a boundary cell the equilibrium equation of
the exchange + DMI energy is the interior one with a ghost neighbour across the free face turned
by the angle Δ that solves ``(2A/h^2) sin Δ + (D/h) cos Δ = 0`` — the condition 2A θ' = −D
differenced at the face itself, second order in h. mumax3 imposes the same condition through
explicit ghost cells in its fused exchange+DMI kernel (there linearized in h); the two schemes
differ by O(h^2) at an edge. The variational form is kept because the field stays an exact
gradient: the energy minimizer's monotone safeguard, the table's energies and the field agree,
and the term remains independent of exchange (no A in the DMI kernel). tests/unit/test_dmi.py
measures the resulting edge canting against the analytic profile at three cell sizes.

Between two materials ``D_f`` is the harmonic mean ``2 D1 D2/(D1 + D2)`` when both have the same
sign, else 0 (as exchange uses the harmonic mean of A; a face to a material without DMI, or to a
non-magnetic cell, carries no DMI).
"""

from __future__ import annotations

import numba
import numpy as np

from ..constants import MU0
from ..materials import Sample
from ..mesh import face_slices
from .base import quadratic_energy

__all__ = ["BulkDMI", "InterfacialDMI", "face_mean"]


def face_mean(d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """Face value of D [J/m^2] between two cells: harmonic mean if both have the same sign,
    0 otherwise (either zero or opposite signs)."""
    same = d1 * d2 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(same, 2.0 * d1 * d2 / np.where(same, d1 + d2, 1.0), 0.0)


@numba.njit(cache=True)
def _dmi_field(m, cx, cy, cz, u, inv_ms, out, accumulate):
    """out_i (+)= inv_ms_i · sum_d [c_f- (m_{i−e_d} × u_d) − c_f+ (m_{i+e_d} × u_d)].

    ``cx`` (nx−1, ny, nz) holds D_f/(mu0 h_x) on the faces between i and i+1, likewise ``cy``,
    ``cz``; ``u`` (3, 3) the vectors u_d by row. One pass, no temporaries."""
    nx, ny, nz = m.shape[0], m.shape[1], m.shape[2]
    use_z = u[2, 0] != 0.0 or u[2, 1] != 0.0 or u[2, 2] != 0.0
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                # accumulate w = sum c± (m± × u) with sign: −c+ for the upper, +c− for the lower
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                for d in range(3):
                    if d == 2 and not use_z:
                        continue
                    u0, u1, u2 = u[d, 0], u[d, 1], u[d, 2]
                    # lower neighbour
                    if d == 0:
                        has_lo, has_hi = i > 0, i < nx - 1
                    elif d == 1:
                        has_lo, has_hi = j > 0, j < ny - 1
                    else:
                        has_lo, has_hi = k > 0, k < nz - 1
                    if has_lo:
                        if d == 0:
                            c = cx[i - 1, j, k]
                            a0, a1, a2 = m[i - 1, j, k, 0], m[i - 1, j, k, 1], m[i - 1, j, k, 2]
                        elif d == 1:
                            c = cy[i, j - 1, k]
                            a0, a1, a2 = m[i, j - 1, k, 0], m[i, j - 1, k, 1], m[i, j - 1, k, 2]
                        else:
                            c = cz[i, j, k - 1]
                            a0, a1, a2 = m[i, j, k - 1, 0], m[i, j, k - 1, 1], m[i, j, k - 1, 2]
                        if c != 0.0:
                            s0 += c * (a1 * u2 - a2 * u1)
                            s1 += c * (a2 * u0 - a0 * u2)
                            s2 += c * (a0 * u1 - a1 * u0)
                    if has_hi:
                        if d == 0:
                            c = cx[i, j, k]
                            a0, a1, a2 = m[i + 1, j, k, 0], m[i + 1, j, k, 1], m[i + 1, j, k, 2]
                        elif d == 1:
                            c = cy[i, j, k]
                            a0, a1, a2 = m[i, j + 1, k, 0], m[i, j + 1, k, 1], m[i, j + 1, k, 2]
                        else:
                            c = cz[i, j, k]
                            a0, a1, a2 = m[i, j, k + 1, 0], m[i, j, k + 1, 1], m[i, j, k + 1, 2]
                        if c != 0.0:
                            s0 -= c * (a1 * u2 - a2 * u1)
                            s1 -= c * (a2 * u0 - a0 * u2)
                            s2 -= c * (a0 * u1 - a1 * u0)
                w = inv_ms[i, j, k]
                if accumulate:
                    out[i, j, k, 0] += w * s0
                    out[i, j, k, 1] += w * s1
                    out[i, j, k, 2] += w * s2
                else:
                    out[i, j, k, 0] = w * s0
                    out[i, j, k, 1] = w * s1
                    out[i, j, k, 2] = w * s2


_U_INTERFACIAL = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # z × e_d
_U_BULK = -np.eye(3)  # −e_d


class _DMI:
    """Shared machinery of the two DMI classes (see the module docstring)."""

    name = "dmi"
    _key = ""
    _u = np.zeros((3, 3))

    def __init__(self, sample: Sample):
        self.sample = sample
        grid = sample.grid
        magnetic = sample.magnetic
        d = np.where(magnetic, sample.param(self._key), 0.0)
        ms = sample.param("Ms")
        faces = []
        for axis in range(3):
            lo, hi = face_slices(axis)
            df = face_mean(d[lo], d[hi])
            coef = df / (MU0 * grid.cell[axis])
            faces.append(np.ascontiguousarray(coef, dtype=float))
        self._faces = tuple(faces)
        self._u_rows = np.ascontiguousarray(self._u, dtype=float)
        with np.errstate(divide="ignore"):
            self._inv_ms = np.ascontiguousarray(
                np.where(magnetic, 1.0 / np.where(magnetic, ms, 1.0), 0.0))
        self._ms_volume = ms * grid.cell_volume
        self._tmp = np.zeros(grid.vshape)
        self.active = bool(any(np.any(f != 0) for f in faces))

    def _apply(self, m: np.ndarray, out: np.ndarray, accumulate: bool) -> None:
        if not (m.flags.c_contiguous and m.dtype == np.float64):
            m = np.ascontiguousarray(m, dtype=float)
        if out.flags.c_contiguous and out.dtype == np.float64:
            _dmi_field(m, *self._faces, self._u_rows, self._inv_ms, out, accumulate)
            return
        h = np.zeros(m.shape)
        _dmi_field(m, *self._faces, self._u_rows, self._inv_ms, h, False)
        if accumulate:
            out += h
        else:
            out[...] = h

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        """DMI field H [A/m], zero in non-magnetic cells; written into ``out`` if given."""
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

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        """Energy [J] from this term's field ``h`` = ``field(m)`` already computed."""
        return quadratic_energy(self._ms_volume, m, h)

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        """Energy [J]: ``−mu0/2 sum Ms V m·H`` (exact: the discrete energy is quadratic in m)."""
        return quadratic_energy(self._ms_volume, m, self.field(m, t, out=self._tmp))


class InterfacialDMI(_DMI):
    """Interfacial DMI (class Cnv, interface normal +z): ``w = Dind [m_z div m − (m·grad) m_z]``
    [J/m^3] with ``Material.Dind`` [J/m^2]; no coupling along z (each layer of cells carries its
    own interface term). Free edges obey ``2A ∂m/∂n = Dind (n × z) × m``."""

    name = "dmi_interfacial"
    _key = "Dind"
    _u = _U_INTERFACIAL


class BulkDMI(_DMI):
    """Bulk DMI (class T, B20 helimagnets): ``w = Dbulk m·(curl m)`` [J/m^3] with
    ``Material.Dbulk`` [J/m^2], coupling along x, y and z. Free surfaces obey
    ``2A ∂m/∂n = Dbulk n × m``."""

    name = "dmi_bulk"
    _key = "Dbulk"
    _u = _U_BULK
