"""The transport mesh: the sample grid refined along z, its conducting cells and their numbering,
with the maps between magnetization cells and transport unknowns."""

from __future__ import annotations

import numba
import numpy as np

from ..materials import Sample
from ..mesh import Grid

__all__ = ["TransportMesh"]


@numba.njit(cache=True)
def _restrict(s, coarse, w, out):
    """out[coarse[i]] += w s[i] for the conducting cells i (out zeroed by the caller)."""
    for i in range(coarse.shape[0]):
        j = coarse[i]
        out[j, 0] += w * s[i, 0]
        out[j, 1] += w * s[i, 1]
        out[j, 2] += w * s[i, 2]


class TransportMesh:
    """The transport mesh: the sample grid with ``z_refine`` sub-cells per cell along z.

    m is taken piecewise constant on the sub-cells; quantities on the transport mesh are averaged
    back over the sub-cells of each magnetization cell. Only conducting cells (``D0 > 0``) carry
    unknowns; ``index`` maps transport-grid cells to unknown numbers (-1 outside the domain).

    Attributes
    ----------
    grid : Grid of shape ``(nx, ny, nz·r)``
    region : int array on ``grid`` (the sample's regions repeated along z)
    conducting : bool array on ``grid``
    index : int array on ``grid``; cell number in ``0..ncells-1`` or -1
    ncells : number of conducting transport cells N
    """

    def __init__(self, sample: Sample, z_refine: int = 1):
        if int(z_refine) != z_refine or z_refine < 1:
            raise ValueError(f"z_refine = {z_refine!r}: must be a positive integer")
        r = int(z_refine)
        self.sample = sample
        self.z_refine = r
        g = sample.grid
        self.grid = Grid(
            (g.n[0], g.n[1], g.n[2] * r), (g.cell[0], g.cell[1], g.cell[2] / r), g.origin
        )
        self.region = np.repeat(sample.region, r, axis=2)
        d0 = np.array([m.D0 for m in sample.materials])[self.region]
        self.conducting = d0 > 0
        self.index = np.full(self.grid.shape, -1, dtype=np.int64)
        self.ncells = int(self.conducting.sum())
        if self.ncells == 0:
            raise ValueError("sample has no conducting cell (every material has D0 = 0)")
        self.index[self.conducting] = np.arange(self.ncells)
        # (i, j, k_coarse) of each conducting transport cell, for prolongation of m
        ii, jj, kk = np.nonzero(self.conducting)
        self._coarse = (ii, jj, kk // r)
        # flat index of each conducting cell's magnetization cell in a (cells, 3) view of m
        self.coarse_flat = np.ravel_multi_index(self._coarse, g.shape).astype(np.int64)
        self.cell_region = self.region[self.conducting]

    def cell_param(self, key: str) -> np.ndarray:
        """Per-conducting-cell array of a scalar material parameter (attribute or property)."""
        values = np.array([float(getattr(m, key)) for m in self.sample.materials])
        return values[self.cell_region]

    def prolong(self, v: np.ndarray) -> np.ndarray:
        """Vector field on the sample grid ``(nx, ny, nz, 3)`` -> conducting cells ``(N, 3)``."""
        return v[self._coarse]

    def to_grid(self, s: np.ndarray) -> np.ndarray:
        """Unknowns ``(N, 3)`` -> full transport grid ``(nx, ny, nz·r, 3)``, zero outside."""
        out = np.zeros(self.grid.vshape)
        out[self.conducting] = s.reshape(-1, 3)
        return out

    def restrict(self, s: np.ndarray) -> np.ndarray:
        """Unknowns ``(N, 3)`` -> sample grid ``(nx, ny, nz, 3)``: mean over the z sub-cells
        (zero where no sub-cell conducts)."""
        out = np.zeros(self.sample.grid.vshape)
        _restrict(np.ascontiguousarray(s, dtype=float).reshape(-1, 3), self.coarse_flat,
                  1.0 / self.z_refine, out.reshape(-1, 3))
        return out

