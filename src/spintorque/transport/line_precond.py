"""Compiled (Numba) kernels of the z-line preconditioners of :class:`.solver.TransportSolver`:
the line blocks of K gathered per cell, block-Thomas factorization and solve of the block
tridiagonal z-line part, and the symmetric block Gauss-Seidel sweep over z-lines."""

from __future__ import annotations

import numba
import numpy as np

from .linalg3 import inv3_block

__all__ = ["block_thomas_factor", "block_thomas_solve", "line_blocks", "line_sgs"]


@numba.njit(cache=True)
def line_blocks(cell, off, zabove, lo_ptr, lo_face, up_ptr, up_face, upper, diag):
    """The blocks the line preconditioners need, gathered per cell in one pass:
    ``upper[i]`` = the z-face block from cell i to i + 1 (``off[zabove[i]]``, 0 where the line
    ends; ``upper[i − 1]`` is then also row i's block below the diagonal) and K's diagonal block
    ``diag[i]`` = C_i − Σ off over the cell's faces (z faces: upper[i], upper[i − 1]; lateral:
    the CSR lists of :attr:`TransportSolver._lateral`)."""
    for i in range(zabove.shape[0]):
        f = zabove[i]
        for r in range(3):
            for c in range(3):
                u = off[f, r, c] if f >= 0 else 0.0
                upper[i, r, c] = u
                diag[i, r, c] = cell[i, r, c] - u - (upper[i - 1, r, c] if i > 0 else 0.0)
        for ptr, face in ((lo_ptr, lo_face), (up_ptr, up_face)):
            for p in range(ptr[i], ptr[i + 1]):
                g = face[p]
                for r in range(3):
                    for c in range(3):
                        diag[i, r, c] -= off[g, r, c]


@numba.njit(cache=True)
def block_thomas_factor(diag, upper, dinv, lfac):
    """Block LU of a block-tridiagonal matrix with equal blocks above and below the diagonal
    (B_i = U_{i−1}, true of K's z-faces): Dhat_i = D_i − L_i U_{i−1}, L_i = B_i Dhat_{i−1}⁻¹.

    Fills ``dinv`` (Dhat_i⁻¹) and ``lfac`` (L_i), both ``(N, 3, 3)``, and returns them.
    """
    n = diag.shape[0]
    dh = np.empty((3, 3))
    for r in range(3):
        for c in range(3):
            lfac[0, r, c] = 0.0
    inv3_block(diag[0], dinv[0])
    for i in range(1, n):
        for r in range(3):
            for c in range(3):
                acc = 0.0
                for k in range(3):
                    acc += upper[i - 1, r, k] * dinv[i - 1, k, c]
                lfac[i, r, c] = acc
        for r in range(3):
            for c in range(3):
                acc = diag[i, r, c]
                for k in range(3):
                    acc -= lfac[i, r, k] * upper[i - 1, k, c]
                dh[r, c] = acc
        inv3_block(dh, dinv[i])
    return dinv, lfac


@numba.njit(cache=True)
def block_thomas_solve(dinv, lfac, upper, v):
    n = v.shape[0]
    y = np.empty_like(v)
    for c in range(3):
        y[0, c] = v[0, c]
    for i in range(1, n):
        for r in range(3):
            y[i, r] = v[i, r] - (
                lfac[i, r, 0] * y[i - 1, 0]
                + lfac[i, r, 1] * y[i - 1, 1]
                + lfac[i, r, 2] * y[i - 1, 2]
            )
    x = np.empty_like(v)
    for r in range(3):
        x[n - 1, r] = (
            dinv[n - 1, r, 0] * y[n - 1, 0]
            + dinv[n - 1, r, 1] * y[n - 1, 1]
            + dinv[n - 1, r, 2] * y[n - 1, 2]
        )
    w = np.empty(3)
    for i in range(n - 2, -1, -1):
        for r in range(3):
            w[r] = y[i, r] - (
                upper[i, r, 0] * x[i + 1, 0]
                + upper[i, r, 1] * x[i + 1, 1]
                + upper[i, r, 2] * x[i + 1, 2]
            )
        for r in range(3):
            x[i, r] = dinv[i, r, 0] * w[0] + dinv[i, r, 1] * w[1] + dinv[i, r, 2] * w[2]
    return x


@numba.njit(cache=True, inline="always")
def _minus_neighbours(r0, r1, r2, off, p0, p1, face, nbr, u):
    """r − Σ_p off[face[p]] u[nbr[p]] over p in [p0, p1) (one cell's lateral neighbours)."""
    for p in range(p0, p1):
        f, q = face[p], nbr[p]
        u0, u1, u2 = u[q, 0], u[q, 1], u[q, 2]
        r0 -= off[f, 0, 0] * u0 + off[f, 0, 1] * u1 + off[f, 0, 2] * u2
        r1 -= off[f, 1, 0] * u0 + off[f, 1, 1] * u1 + off[f, 1, 2] * u2
        r2 -= off[f, 2, 0] * u0 + off[f, 2, 1] * u1 + off[f, 2, 2] * u2
    return r0, r1, r2


@numba.njit(cache=True)
def line_sgs(dinv, lfac, upper, off, lo_ptr, lo_nbr, lo_face, up_ptr, up_nbr, up_face, starts,
             v, y, x):
    """Symmetric block Gauss-Seidel over z-lines: x = M⁻¹ v with
    M = (D_z + L_lat) D_z⁻¹ (D_z + U_lat), D_z the z-line part of K (factored by
    :func:`block_thomas_factor`), L_lat / U_lat its x- and y-face blocks to lower / higher
    numbered cells. Forward sweep over the lines, y = (D_z + L_lat)⁻¹ v, then backward,
    x = (D_z + U_lat)⁻¹ (v − L_lat y); each line one block-Thomas solve. ``*_ptr``/``*_nbr``/
    ``*_face``: per cell, its lateral neighbours below / above and the faces to them;
    ``starts``: first cell of each line, then N."""
    for sweep in range(2):
        nl = starts.shape[0] - 1
        for li in range(nl):
            ln = li if sweep == 0 else nl - 1 - li
            s, e = starts[ln], starts[ln + 1]
            out = y if sweep == 0 else x
            for c in range(s, e):
                r0, r1, r2 = _minus_neighbours(v[c, 0], v[c, 1], v[c, 2], off,
                                               lo_ptr[c], lo_ptr[c + 1], lo_face, lo_nbr, y)
                if sweep == 1:
                    r0, r1, r2 = _minus_neighbours(r0, r1, r2, off, up_ptr[c], up_ptr[c + 1],
                                                   up_face, up_nbr, x)
                if c > s:  # forward elimination along the line
                    p0, p1, p2 = out[c - 1, 0], out[c - 1, 1], out[c - 1, 2]
                    r0 -= lfac[c, 0, 0] * p0 + lfac[c, 0, 1] * p1 + lfac[c, 0, 2] * p2
                    r1 -= lfac[c, 1, 0] * p0 + lfac[c, 1, 1] * p1 + lfac[c, 1, 2] * p2
                    r2 -= lfac[c, 2, 0] * p0 + lfac[c, 2, 1] * p1 + lfac[c, 2, 2] * p2
                out[c, 0], out[c, 1], out[c, 2] = r0, r1, r2
            for c in range(e - 1, s - 1, -1):  # back substitution
                r0, r1, r2 = out[c, 0], out[c, 1], out[c, 2]
                if c < e - 1:
                    n0, n1, n2 = out[c + 1, 0], out[c + 1, 1], out[c + 1, 2]
                    r0 -= upper[c, 0, 0] * n0 + upper[c, 0, 1] * n1 + upper[c, 0, 2] * n2
                    r1 -= upper[c, 1, 0] * n0 + upper[c, 1, 1] * n1 + upper[c, 1, 2] * n2
                    r2 -= upper[c, 2, 0] * n0 + upper[c, 2, 1] * n1 + upper[c, 2, 2] * n2
                for k in range(3):
                    out[c, k] = dinv[c, k, 0] * r0 + dinv[c, k, 1] * r1 + dinv[c, k, 2] * r2
    return x
