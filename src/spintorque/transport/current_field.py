"""A non-uniform charge current density on a grid, stored on the cell faces (docs/theory/
transport.md, charge current).

:class:`CurrentField` holds the face-normal current density [A/m²] on every face of a
:class:`~spintorque.mesh.Grid` (staggered arrays ``fx (nx+1, ny, nz)``, ``fy (nx, ny+1, nz)``,
``fz (nx, ny, nz+1)``) and the cell-centred vector field derived from it (the mean of a cell's two
opposite faces per axis). The face values are what the charge solver of :mod:`.charge` conserves
exactly (their discrete divergence vanishes in every cell); the spin transport models use them as
the current of their drift flux at each face (:mod:`.diffusion`), the local torques use the
cell-centred field.

This module also holds the compiled kernels that add the drift of a face current to the
right-hand side of the transport system (one pass over the faces, no extra 3×3 inversion).
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

from ..mesh import Grid

__all__ = ["CurrentField", "drift_rhs_general", "drift_rhs_harmonic"]


def _check_faces(grid: Grid, faces: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    nx, ny, nz = grid.n
    shapes = ((nx + 1, ny, nz), (nx, ny + 1, nz), (nx, ny, nz + 1))
    out = []
    for a, (f, shape) in enumerate(zip(faces, shapes, strict=True)):
        f = np.ascontiguousarray(f, dtype=float)
        if f.shape != shape:
            raise ValueError(f"face current along axis {a}: shape {f.shape}, expected {shape}")
        if not np.all(np.isfinite(f)):
            raise ValueError(f"face current along axis {a} has non-finite values")
        f.setflags(write=False)
        out.append(f)
    return tuple(out)


class CurrentField:
    """Charge current density [A/m²] on the faces of ``grid`` (conventional current).

    Parameters
    ----------
    grid : the grid the faces belong to
    faces : ``(fx, fy, fz)``, the normal component of j on each face [A/m²], positive along +axis;
        shapes ``(nx+1, ny, nz)``, ``(nx, ny+1, nz)``, ``(nx, ny, nz+1)``

    Attributes
    ----------
    cell : cell-centred j, shape ``grid.vshape`` [A/m²]: per axis the mean of the cell's two faces
        (exact for a uniform current; zero in a cell all of whose faces carry no current)
    """

    def __init__(self, grid: Grid, faces: Sequence[np.ndarray]):
        self.grid = grid
        self.faces = _check_faces(grid, faces)
        fx, fy, fz = self.faces
        cell = np.empty(grid.vshape)
        cell[..., 0] = 0.5 * (fx[:-1] + fx[1:])
        cell[..., 1] = 0.5 * (fy[:, :-1] + fy[:, 1:])
        cell[..., 2] = 0.5 * (fz[:, :, :-1] + fz[:, :, 1:])
        cell.setflags(write=False)
        self.cell = cell

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def uniform(cls, grid: Grid, j: Sequence[float]) -> CurrentField:
        """The uniform current density vector ``j`` [A/m²] on every face."""
        j = np.asarray(j, dtype=float)
        if j.shape != (3,):
            raise ValueError(f"j = {j!r}: need a 3-vector in A/m^2")
        nx, ny, nz = grid.n
        return cls(grid, (np.full((nx + 1, ny, nz), j[0]), np.full((nx, ny + 1, nz), j[1]),
                          np.full((nx, ny, nz + 1), j[2])))

    @classmethod
    def from_cells(cls, grid: Grid, j: np.ndarray) -> CurrentField:
        """A field from cell-centred values ``j`` ``grid.vshape`` [A/m²]: each interior face gets
        the mean of its two cells' normal components, each outer face its cell's value. (A
        cell field given this way is not divergence-free in general; the charge solver's
        :class:`CurrentField` is.)"""
        j = np.asarray(j, dtype=float)
        if j.shape != grid.vshape:
            raise ValueError(f"current density field of shape {j.shape}: expected {grid.vshape}")
        faces = []
        for a in range(3):
            c = j[..., a]
            pad = [(0, 0)] * 3
            pad[a] = (1, 1)
            e = np.pad(c, pad, mode="edge")
            lo = [slice(None)] * 3
            hi = [slice(None)] * 3
            lo[a] = slice(None, -1)
            hi[a] = slice(1, None)
            faces.append(0.5 * (e[tuple(lo)] + e[tuple(hi)]))
        return cls(grid, faces)

    # -- derived fields ----------------------------------------------------------------------
    def scaled(self, factor: float) -> CurrentField:
        """This field times ``factor``."""
        return CurrentField(self.grid, tuple(factor * f for f in self.faces))

    def refined_z(self, r: int) -> CurrentField:
        """The same current on the grid with ``r`` sub-cells per cell along z.

        x and y faces keep their current density; the z faces inside a cell get the linear
        interpolation between the cell's bottom and top faces, which keeps the discrete
        divergence of every sub-cell equal to 1/r of its cell's (zero for a charge solution)."""
        if r == 1:
            return self
        g = self.grid
        fine = Grid((g.n[0], g.n[1], g.n[2] * r), (g.cell[0], g.cell[1], g.cell[2] / r), g.origin)
        fx, fy, fz = self.faces
        w = np.arange(r) / r  # sub-face s of cell k at k + s/r, s = 0..r-1
        lo, hi = fz[:, :, :-1, None], fz[:, :, 1:, None]
        inner = (lo + w * (hi - lo)).reshape(g.n[0], g.n[1], g.n[2] * r)
        fz_fine = np.concatenate([inner, fz[:, :, -1:]], axis=2)
        return CurrentField(fine, (np.repeat(fx, r, axis=2), np.repeat(fy, r, axis=2), fz_fine))

    def is_uniform(self) -> bool:
        """True if every face along each axis carries the same value (then :meth:`vector`)."""
        return all(float(f.min()) == float(f.max()) for f in self.faces)

    def vector(self) -> np.ndarray:
        """The current density vector [A/m²] of a uniform field (ValueError otherwise)."""
        if not self.is_uniform():
            raise ValueError("the current field is not uniform")
        return np.array([float(f.flat[0]) for f in self.faces])

    def divergence(self) -> np.ndarray:
        """Discrete divergence per cell, ``grid.shape`` [A/m³] (flux out / volume)."""
        fx, fy, fz = self.faces
        hx, hy, hz = self.grid.cell
        return ((fx[1:] - fx[:-1]) / hx + (fy[:, 1:] - fy[:, :-1]) / hy
                + (fz[:, :, 1:] - fz[:, :, :-1]) / hz)

    def face_index(self, cells: np.ndarray, axis: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Flat indices into :meth:`flat_faces` of the faces of ``cells`` (``(k, 3)`` integer
        cell positions) normal to ``axis``, the upper (``upper`` True) or lower face."""
        nx, ny, nz = self.grid.n
        shapes = ((nx + 1, ny, nz), (nx, ny + 1, nz), (nx, ny, nz + 1))
        offsets = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
        out = np.empty(len(cells), dtype=np.int64)
        for a in range(3):
            sel = axis == a
            pos = cells[sel].copy()
            pos[:, a] += upper[sel].astype(np.int64)
            out[sel] = offsets[a] + np.ravel_multi_index(tuple(pos.T), shapes[a])
        return out

    def flat_faces(self) -> np.ndarray:
        """All face values as one array: fx, fy, fz raveled and concatenated [A/m²]."""
        return np.concatenate([f.reshape(-1) for f in self.faces])


@numba.njit(cache=True)
def drift_rhs_harmonic(off, ev, jf, L, R, h, b):
    """b (``(N, 3)``) −= the divergence of the drift flux of face currents ``jf`` [A/m²].

    Face f between cells L, R (distance h): the two-point drift flux G (E_L d_L + E_R d_R) with
    d = j_f q m per cell (:mod:`.diffusion`) is j_f G (ev_L + ev_R), and G/h = −off[f] h/2
    (``off`` = −2G/h² from :meth:`.fv.FVOperator.assemble_inverses`), so no inverse is needed."""
    for f in range(L.size):
        j = jf[f]
        if j == 0.0:
            continue
        lc, rc = L[f], R[f]
        c = -0.5 * h[f] * j
        e0 = ev[lc, 0, 0] + ev[rc, 0, 0]
        e1 = ev[lc, 0, 1] + ev[rc, 0, 1]
        e2 = ev[lc, 0, 2] + ev[rc, 0, 2]
        for i in range(3):
            fl = c * (off[f, i, 0] * e0 + off[f, i, 1] * e1 + off[f, i, 2] * e2)
            b[lc, i] -= fl
            b[rc, i] += fl


@numba.njit(cache=True)
def drift_rhs_general(D, v, jf, L, R, h, b):
    """:func:`drift_rhs_harmonic` for any D (singular ones included): the two-point drift flux
    j_f (D_R S⁻¹ v_L + D_L S⁻¹ v_R)/h, S = D_L + D_R, with v = q m per cell (``(N, 3)``)."""
    S = np.empty((3, 3))
    for f in range(L.size):
        j = jf[f]
        if j == 0.0:
            continue
        lc, rc = L[f], R[f]
        for r in range(3):
            for c in range(3):
                S[r, c] = D[lc, r, c] + D[rc, r, c]
        Si = np.linalg.inv(S)
        # y = S⁻¹ v_L and z = S⁻¹ v_R, then D_R y + D_L z
        y = Si @ v[lc]
        z = Si @ v[rc]
        for i in range(3):
            fl = 0.0
            for k in range(3):
                fl += D[rc, i, k] * y[k] + D[lc, i, k] * z[k]
            fl *= j / h[f]
            b[lc, i] -= fl
            b[rc, i] += fl
