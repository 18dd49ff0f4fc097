"""Exchange field on the 6-neighbour stencil.

H_i = 2/(mu0 Ms_i) · sum_nbr A_f (m_j − m_i)/h_d^2, with A_f the harmonic mean of the two cells'
stiffness (continuity of the exchange flux at a face between different materials, as in
mumax3/OOMMF). Faces to non-magnetic cells or to the outside carry no flux: Neumann ∂m/∂ν = 0.
No coupling through a spacer: spacer cells have Ms = 0. Exchange across a direct contact of two
different magnetic regions can be scaled by ``interregion_scale`` (0 decouples them), or set per
pair of regions by ``pair_A``: ``{(region_a, region_b): A_face [J/m]}`` replaces the face stiffness
at the faces between those two regions (either order; ``interregion_scale`` does not apply there).
"""

from __future__ import annotations

from collections.abc import Mapping

import numba
import numpy as np

from ..constants import MU0
from ..materials import Sample
from ..mesh import face_slices
from .base import quadratic_energy


@numba.njit(cache=True)
def _exchange_field(m, cx, cy, cz, inv_ms, out, accumulate=False):
    """out_i = inv_ms_i · sum over faces c_f (m_j − m_i) (``accumulate``: out_i +=): one pass,
    no temporaries.

    ``cx`` has shape (nx−1, ny, nz) (face between i and i+1), likewise ``cy``, ``cz``."""
    nx, ny, nz = m.shape[0], m.shape[1], m.shape[2]
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                if i > 0:
                    c = cx[i - 1, j, k]
                    s0 += c * (m[i - 1, j, k, 0] - m[i, j, k, 0])
                    s1 += c * (m[i - 1, j, k, 1] - m[i, j, k, 1])
                    s2 += c * (m[i - 1, j, k, 2] - m[i, j, k, 2])
                if i < nx - 1:
                    c = cx[i, j, k]
                    s0 += c * (m[i + 1, j, k, 0] - m[i, j, k, 0])
                    s1 += c * (m[i + 1, j, k, 1] - m[i, j, k, 1])
                    s2 += c * (m[i + 1, j, k, 2] - m[i, j, k, 2])
                if j > 0:
                    c = cy[i, j - 1, k]
                    s0 += c * (m[i, j - 1, k, 0] - m[i, j, k, 0])
                    s1 += c * (m[i, j - 1, k, 1] - m[i, j, k, 1])
                    s2 += c * (m[i, j - 1, k, 2] - m[i, j, k, 2])
                if j < ny - 1:
                    c = cy[i, j, k]
                    s0 += c * (m[i, j + 1, k, 0] - m[i, j, k, 0])
                    s1 += c * (m[i, j + 1, k, 1] - m[i, j, k, 1])
                    s2 += c * (m[i, j + 1, k, 2] - m[i, j, k, 2])
                if k > 0:
                    c = cz[i, j, k - 1]
                    s0 += c * (m[i, j, k - 1, 0] - m[i, j, k, 0])
                    s1 += c * (m[i, j, k - 1, 1] - m[i, j, k, 1])
                    s2 += c * (m[i, j, k - 1, 2] - m[i, j, k, 2])
                if k < nz - 1:
                    c = cz[i, j, k]
                    s0 += c * (m[i, j, k + 1, 0] - m[i, j, k, 0])
                    s1 += c * (m[i, j, k + 1, 1] - m[i, j, k, 1])
                    s2 += c * (m[i, j, k + 1, 2] - m[i, j, k, 2])
                w = inv_ms[i, j, k]
                if accumulate:
                    out[i, j, k, 0] += w * s0
                    out[i, j, k, 1] += w * s1
                    out[i, j, k, 2] += w * s2
                else:
                    out[i, j, k, 0] = w * s0
                    out[i, j, k, 1] = w * s1
                    out[i, j, k, 2] = w * s2


class Exchange:
    name = "exchange"

    def __init__(self, sample: Sample, interregion_scale: float = 1.0,
                 pair_A: Mapping[tuple[str, str], float] | None = None):
        self.sample = sample
        pairs = []
        for (a, b), value in (pair_A or {}).items():
            for name in (a, b):
                if name not in sample.names:
                    raise ValueError(f"exchange pair_A: no region named {name!r}; regions are "
                                     f"{list(sample.names)}")
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"exchange pair_A[{a!r}, {b!r}] = {value!r} J/m; allowed: a "
                                 "finite value >= 0")
            pairs.append((sample.names.index(a), sample.names.index(b), float(value)))
        if pairs:  # part of Problem.identity (absent by default: identities stay as they were)
            self.pair_A = tuple((str(a), str(b), float(v)) for (a, b), v in pair_A.items())
        grid = sample.grid
        A = sample.param("A")
        magnetic = sample.magnetic
        A = np.where(magnetic, A, 0.0)
        ms = sample.param("Ms")
        # per-axis face coefficients 2 A_f/(mu0 h^2), shape of the face arrays along that axis
        self._coef = []
        for axis in range(3):
            h = grid.cell[axis]
            lo, hi = face_slices(axis)
            a1, a2 = A[lo], A[hi]
            with np.errstate(divide="ignore", invalid="ignore"):
                af = np.where(a1 + a2 > 0, 2 * a1 * a2 / (a1 + a2), 0.0)
            r1, r2 = sample.region[lo], sample.region[hi]
            af = np.where(r1 != r2, af * interregion_scale, af)
            for ia, ib, value in pairs:  # per-pair face stiffness [J/m]
                face = ((r1 == ia) & (r2 == ib)) | ((r1 == ib) & (r2 == ia))
                both = magnetic[lo] & magnetic[hi]
                af = np.where(face & both, value, af)
            coef = 2.0 * af / (MU0 * h * h)
            self._coef.append((lo, hi, coef[..., None] if coef.size else None))
        with np.errstate(divide="ignore"):
            self._inv_ms = np.where(magnetic, 1.0 / np.where(magnetic, ms, 1.0), 0.0)[..., None]
        # contiguous face-coefficient arrays for the fused kernel
        self._faces = tuple(
            np.ascontiguousarray(c[..., 0]) if c is not None else np.zeros((0, 0, 0))
            for _, _, c in self._coef
        )
        self._inv_ms_flat = np.ascontiguousarray(self._inv_ms[..., 0])
        self._ms_volume = ms * grid.cell_volume
        self._tmp = np.zeros(grid.vshape)

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros_like(m) if out is None else out
        if m.flags.c_contiguous and out.flags.c_contiguous and m.dtype == np.float64:
            _exchange_field(m, *self._faces, self._inv_ms_flat, out)
            return out
        out[...] = 0.0
        for lo, hi, coef in self._coef:
            if coef is None:
                continue
            flux = (m[hi] - m[lo]) * coef
            out[lo] += flux
            out[hi] -= flux
        out *= self._inv_ms
        return out

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """out += this term's field [A/m] (no temporary)."""
        if m.flags.c_contiguous and out.flags.c_contiguous and m.dtype == np.float64:
            _exchange_field(m, *self._faces, self._inv_ms_flat, out, True)
        else:
            out += self.field(m, t, out=self._tmp)
        return out

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        """Energy [J] from this term's field ``h`` = ``field(m)`` already computed."""
        return quadratic_energy(self._ms_volume, m, h)

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        return quadratic_energy(self._ms_volume, m, self.field(m, t, out=self._tmp))
