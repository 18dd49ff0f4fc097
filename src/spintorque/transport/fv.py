"""Conservative cell-centred finite-volume operator for 3-vector spin-transport equations.

Both transport models (diffusion, moment) solve, in every conducting cell i of volume V_i,

    shift·s_i + Σ_faces (J_f·ν_f) A_f / V_i + R_i s_i = shift·s_i^old          (1)

for the spin accumulation s [A/m] (3 components per cell), where the flux along axis a in a cell is
``J = d_i[a] − D_i ∂_a s`` with a per-cell 3×3 matrix D_i [m²/s] and drift vector d_i[a]
[A/m · m/s], R_i [1/s] is the per-cell relaxation/precession matrix and ``shift`` = 1/Δt for the
implicit Euler step (0 in the quasi-static solve). At a face between cells L and R (distance h
along its axis) continuity of s and of the normal flux gives the exact two-point flux of a
piecewise-constant medium (docs/theory/transport.md, equations as discretized;
valid for non-symmetric D as well):

    J_f = D_R S⁻¹ d_L + D_L S⁻¹ d_R − H_f (s_R − s_L)/h,   S = D_L + D_R,   H_f = 2 D_R S⁻¹ D_L.

Boundary faces of the conducting domain (outer faces and faces to non-conducting cells):
``"N"`` (default, magnum.fe): zero diffusive flux, J_f = d_i; ``"Z"``: zero total flux, J_f = 0.

Unknowns are ordered cell-major, component-minor, so the matrix is a 3×3-block sparse (BSR)
matrix whose block pattern is fixed; only values change when m changes. Assembly is vectorized
over faces and cells (no Python loop over cells).

This module holds the face topology and the assembly (:class:`FVOperator`); the transport mesh is
:mod:`.fv_mesh`, the compiled face and block kernels :mod:`.fv_kernels`, the 3×3 block algebra
:mod:`.linalg3` (their names are re-exported here).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .fv_kernels import (
    add_faces,
    block_matmat,
    block_matvec,
    cell_inverses,
    face_kernel,
    face_kernel_harmonic,
)
from .fv_mesh import TransportMesh
from .linalg3 import inv3, inv3_block, matmul3, matvec3

__all__ = [
    "BOUNDARY_CONDITIONS",
    "FVOperator",
    "TransportMesh",
    "add_faces",
    "block_matmat",
    "block_matvec",
    "inv3",
    "inv3_block",
    "matmul3",
    "matvec3",
]

BOUNDARY_CONDITIONS = ("N", "Z")


class FVOperator:
    """Face topology of a :class:`TransportMesh` and the vectorized assembly of system (1).

    Parameters
    ----------
    mesh : TransportMesh
    bc : ``"N"`` (zero diffusive flux at the boundary of the conducting domain) or ``"Z"``
        (zero total spin flux)
    """

    def __init__(self, mesh: TransportMesh, bc: str = "N"):
        if bc not in BOUNDARY_CONDITIONS:
            raise ValueError(f"bc = {bc!r}: allowed values are {BOUNDARY_CONDITIONS}")
        self.mesh = mesh
        self.bc = bc
        idx = mesh.index
        n = mesh.ncells
        L, R, ax = [], [], []
        bcell, bax, bsign = [], [], []
        for a in range(3):
            lo = [slice(None)] * 3
            hi = [slice(None)] * 3
            lo[a] = slice(None, -1)
            hi[a] = slice(1, None)
            il, ir = idx[tuple(lo)], idx[tuple(hi)]
            both = (il >= 0) & (ir >= 0)
            L.append(il[both])
            R.append(ir[both])
            ax.append(np.full(int(both.sum()), a))
            # boundary faces: conducting cell whose neighbour on that side is absent
            pad = np.pad(idx, [(1, 1) if b == a else (0, 0) for b in range(3)], constant_values=-1)
            below = np.take(pad, np.arange(0, idx.shape[a]), axis=a)
            above = np.take(pad, np.arange(2, idx.shape[a] + 2), axis=a)
            for nb, sign in ((below, -1.0), (above, 1.0)):
                sel = (idx >= 0) & (nb < 0)
                bcell.append(idx[sel])
                bax.append(np.full(int(sel.sum()), a))
                bsign.append(np.full(int(sel.sum()), sign))
        self.L = np.concatenate(L)
        self.R = np.concatenate(R)
        self.face_axis = np.concatenate(ax)
        counts = [x.size for x in L]
        self.axis_slices = [slice(sum(counts[:a]), sum(counts[: a + 1])) for a in range(3)]
        h = np.asarray(mesh.grid.cell)
        self.face_h = h[self.face_axis]
        self.bcell = np.concatenate(bcell)
        self.baxis = np.concatenate(bax)
        bsign = np.concatenate(bsign)
        self.nfaces = nf = self.L.size
        self.n = n
        f = np.arange(nf)
        # sparse incidence matrices: diagonal accumulation and discrete divergence A_f/V_i = 1/h
        self._sum = sp.csr_matrix(
            (np.ones(2 * nf), (np.concatenate([self.L, self.R]), np.concatenate([f, f]))), (n, nf)
        )
        inv_h = 1.0 / self.face_h
        self._div = sp.csr_matrix(
            (
                np.concatenate([inv_h, -inv_h]),
                (np.concatenate([self.L, self.R]), np.concatenate([f, f])),
            ),
            (n, nf),
        )
        nb = self.bcell.size
        self._bdiv = sp.csr_matrix((bsign / h[self.baxis], (self.bcell, np.arange(nb))), (n, nb))
        # fixed BSR pattern: diagonal blocks, (L,R) and (R,L) blocks, rows then columns sorted
        rows = np.concatenate([np.arange(n), self.L, self.R])
        cols = np.concatenate([np.arange(n), self.R, self.L])
        order = np.lexsort((cols, rows))
        self._indices = cols[order].astype(np.int32)
        self._indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(
            np.int32
        )
        pos = np.empty_like(order)
        pos[order] = np.arange(order.size)
        self.diag_positions = pos[:n]
        self.offdiag_positions = pos[n:]  # (L,R) blocks of all faces, then (R,L)
        self.nblocks = order.size

    # -- assembly ---------------------------------------------------------------------------
    def face_coefficients(self, D: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per interior face ``(3, 3, F)``: H_f and weights W_L = D_R S⁻¹, W_R = D_L S⁻¹."""
        DL, DR = D[:, :, self.L], D[:, :, self.R]
        Sinv = inv3(DL + DR)
        WL = matmul3(DR, Sinv)
        WR = matmul3(DL, Sinv)
        H = matmul3(WL, DL)
        H *= 2.0
        return H, WL, WR

    def _face_drift(self, drift: np.ndarray, WL: np.ndarray, WR: np.ndarray) -> np.ndarray:
        """Drift part of the face fluxes ``(3, F)``: W_L d_L + W_R d_R along each face's axis."""
        out = np.zeros((3, self.nfaces))
        for a, sl in enumerate(self.axis_slices):
            da = drift[a]
            if sl.stop == sl.start or not np.any(da):
                continue
            out[:, sl] = matvec3(WL[:, :, sl], da[:, self.L[sl]]) + matvec3(
                WR[:, :, sl], da[:, self.R[sl]]
            )
        return out

    def assemble(
        self,
        D: np.ndarray,
        drift: np.ndarray | None,
        R: np.ndarray,
        shift: float = 0.0,
        backend: str = "numba",
    ) -> tuple[sp.bsr_matrix, np.ndarray]:
        """Matrix K (BSR, 3N×3N) and right-hand side b (3N,) of ``(shift + K) s = b``.

        Parameters (matrix indices first, cells last)
        ----------
        D : (3, 3, N) diffusion matrices [m²/s]
        drift : (3, 3, N) drift fluxes, ``drift[a, :, i]`` is the spin flux vector of cell i
            along axis a [A/s], or None for no drift
        R : (3, 3, N) relaxation/precession matrices [1/s] (``R s`` is the loss rate)
        shift : 1/Δt [1/s] added on the diagonal (implicit Euler), 0 for the quasi-static solve
        backend : ``"numba"`` (one fused pass over the faces) or ``"numpy"`` (vectorized
            reference; the two agree to round-off, see the tests)
        """
        if backend == "numba":
            return self._assemble_numba(D, drift, R, shift)
        if backend != "numpy":
            raise ValueError(f"backend = {backend!r}: allowed values are 'numba', 'numpy'")
        n = self.n
        H, WL, WR = self.face_coefficients(D)
        H /= self.face_h**2
        Hf = H.reshape(9, -1).T  # (F, 9)
        diag = (self._sum @ Hf) + R.reshape(9, -1).T
        if shift:
            diag[:, [0, 4, 8]] += shift
        data = np.empty((self.nblocks, 9))
        data[self.diag_positions] = diag
        off = -Hf
        data[self.offdiag_positions[: self.nfaces]] = off
        data[self.offdiag_positions[self.nfaces :]] = off
        K = sp.bsr_matrix(
            (data.reshape(-1, 3, 3), self._indices, self._indptr), shape=(3 * n, 3 * n), copy=False
        )
        b = np.zeros((n, 3))
        if drift is not None:
            b -= self._div @ self._face_drift(drift, WL, WR).T
            if self.bc == "N" and self.bcell.size:
                b -= self._bdiv @ drift[self.baxis, :, self.bcell]
        return K, b.reshape(-1)

    def _assemble_numba(self, D, drift, R, shift):
        cell, off, b = self.assemble_blocks(D, drift, R, shift)
        return self.to_bsr(cell, off), b

    def assemble_blocks(
        self, D: np.ndarray, drift: np.ndarray | None, R: np.ndarray, shift: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """System (1) as blocks: ``cell`` ``(N, 3, 3)``, ``off`` ``(F, 3, 3)`` and b ``(3N,)``.

        ``off[f]`` is both the (L_f, R_f) and the (R_f, L_f) block of K (they are equal), so this
        is half the storage of the BSR matrix and :func:`block_matvec` reads half the bytes.
        ``cell[i]`` = R_i + shift·I is the cell's own part of its diagonal block; the block itself,
        C_i + Σ_f H_f/h², is :meth:`diagonal` (built only where needed: preconditioners, BSR).
        Arguments as in :meth:`assemble` (Numba, one fused pass over the faces)."""
        return self.assemble_cells(
            np.ascontiguousarray(D.transpose(2, 0, 1)),
            None if drift is None else np.ascontiguousarray(drift.transpose(2, 0, 1)),
            np.ascontiguousarray(R.transpose(2, 0, 1)),
            shift,
        )

    def assemble_cells(
        self, D: np.ndarray, drift: np.ndarray | None, R: np.ndarray, shift: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`assemble_blocks` with cell-major C-contiguous inputs ``(N, 3, 3)``
        (``drift[i, a]`` the flux of cell i along axis a); R is overwritten by the cell part."""
        n = self.n
        use_drift = drift is not None
        dr = drift if use_drift else np.zeros((1, 3, 3))
        E = np.empty_like(D)
        e = np.empty_like(D) if use_drift else dr
        if cell_inverses(D, dr, use_drift, E, e):
            return self.assemble_inverses(
                E, e if use_drift else None, np.ones(3), R, shift,
                drift[self.bcell, self.baxis, :] if use_drift else None,
            )
        # a singular D (β β' = 1): the general two-point form
        cell = self._shifted(R, shift)
        off = np.empty((self.nfaces, 3, 3))
        b = np.zeros((n, 3))
        face_kernel(D, dr, use_drift, self.L, self.R, self.face_axis, self.face_h, off, b)
        if use_drift and self.bc == "N" and self.bcell.size:
            b -= self._bdiv @ drift[self.bcell, self.baxis, :]
        return cell, off, b.reshape(-1)

    def assemble_inverses(
        self,
        E: np.ndarray,
        e: np.ndarray | None,
        e_scale: np.ndarray,
        R: np.ndarray,
        shift: float,
        boundary_drift: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`assemble_blocks` from the per-cell inverses E_i = D_i⁻¹ ``(N, 3, 3)`` [s/m²]
        (the models give them in closed form) and e = E d: ``(N, 3, 3)`` with ``e[i, a]`` along
        axis a, or ``(N, 1, 3)`` with the drift along axis a ``e_scale[a] · e[i, 0]``; None for
        no drift. ``boundary_drift`` ``(len(bcell), 3)``: the drift flux of each boundary cell
        along its boundary face's axis (for bc "N"). R is overwritten by the cell part."""
        cell = self._shifted(R, shift)
        off = np.empty((self.nfaces, 3, 3))
        b = np.zeros((self.n, 3))
        use_drift = e is not None
        face_kernel_harmonic(
            E, e if use_drift else np.zeros((1, 1, 3)), np.asarray(e_scale, dtype=float),
            use_drift, self.L, self.R, self.face_axis, self.face_h, off, b,
        )
        if use_drift and self.bc == "N" and self.bcell.size:
            b -= self._bdiv @ boundary_drift
        return cell, off, b.reshape(-1)

    @staticmethod
    def _shifted(R: np.ndarray, shift: float) -> np.ndarray:
        """R (in place) plus ``shift`` on the diagonal of every block: the cell part of K."""
        if shift:
            for c in range(3):
                R[:, c, c] += shift
        return R

    def diagonal(self, cell: np.ndarray, off: np.ndarray) -> np.ndarray:
        """K's diagonal blocks ``(N, 3, 3)``: the cell parts plus Σ_f H_f/h² over each cell's
        faces (a new array)."""
        return add_faces(cell, off, self.L, self.R, -1.0, np.empty_like(cell))

    def to_bsr(self, cell: np.ndarray, off: np.ndarray) -> sp.bsr_matrix:
        """The BSR matrix K (3N×3N) from the blocks of :meth:`assemble_blocks`."""
        n = self.n
        data = np.empty((self.nblocks, 3, 3))
        data[self.diag_positions] = self.diagonal(cell, off)
        data[self.offdiag_positions[: self.nfaces]] = off
        data[self.offdiag_positions[self.nfaces :]] = off
        return sp.bsr_matrix((data, self._indices, self._indptr), shape=(3 * n, 3 * n), copy=False)

    def blocks_of(self, K: sp.bsr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """``(cell, off)`` of a BSR matrix K from :meth:`assemble` (inverse of :meth:`to_bsr`)."""
        off = np.ascontiguousarray(K.data[self.offdiag_positions[: self.nfaces]])
        diag = np.ascontiguousarray(K.data[self.diag_positions])
        return add_faces(diag, off, self.L, self.R, 1.0, diag), off

    def matvec(self, cell: np.ndarray, off: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``K x`` for x ``(3N,)``, or ``K x_j`` for the rows of x ``(k, 3N)`` (same shape out)."""
        if x.ndim == 1:
            y = np.empty((self.n, 3))
            block_matvec(cell, off, self.L, self.R, x.reshape(-1, 3), y)
            return y.reshape(-1)
        xk = np.ascontiguousarray(x).reshape(x.shape[0], self.n, 3)
        y = np.empty_like(xk)
        block_matmat(cell, off, self.L, self.R, xk, y)
        return y.reshape(x.shape)

    def face_values(self, s: np.ndarray, D: np.ndarray, drift: np.ndarray | None) -> np.ndarray:
        """s at every interior face from the two-point reconstruction, shape ``(nfaces, 3)``.

        s_f = S⁻¹ [ (h/2)(d_L − d_R) + D_L s_L + D_R s_R ] (continuity of s and of the flux).
        """
        s = np.asarray(s).reshape(-1, 3).T
        DL, DR = D[:, :, self.L], D[:, :, self.R]
        v = matvec3(DL, s[:, self.L]) + matvec3(DR, s[:, self.R])
        if drift is not None:
            for a, sl in enumerate(self.axis_slices):
                v[:, sl] += (
                    0.5 * self.face_h[sl] * (drift[a][:, self.L[sl]] - drift[a][:, self.R[sl]])
                )
        return matvec3(inv3(DL + DR), v).T
