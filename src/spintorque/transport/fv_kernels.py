"""Compiled (Numba) kernels of the finite-volume transport operator: the per-face blocks of
system (1) of :mod:`.fv` (general two-point form and the harmonic form from the cell inverses),
the per-cell inverses, and the block products ``K x`` from cell parts and face blocks."""

from __future__ import annotations

import numba
import numpy as np

from .linalg3 import inv3_block

__all__ = ["add_faces", "block_matmat", "block_matvec", "cell_inverses", "face_kernel",
           "face_kernel_harmonic"]


@numba.njit(cache=True)
def face_kernel(D, drift, use_drift, L, R, axis, h, off, b):
    """Per interior face: −H_f/h² into ``off[f]`` (the (L,R) and (R,L) blocks, which are equal;
    K's diagonal blocks get +H_f/h², see :func:`add_faces`) and the drift divergence into b
    (same formulas as the NumPy path of ``assemble``). ``D`` is cell-major ``(N, 3, 3)`` and
    ``drift`` ``(N, axis, 3)``."""
    S = np.empty((3, 3))
    Si = np.empty((3, 3))
    WL = np.empty((3, 3))
    WR = np.empty((3, 3))
    for f in range(L.size):
        lc, rc, a = L[f], R[f], axis[f]
        for i in range(3):
            for j in range(3):
                S[i, j] = D[lc, i, j] + D[rc, i, j]
        inv3_block(S, Si)
        for i in range(3):
            for j in range(3):
                wl = 0.0
                wr = 0.0
                for k in range(3):
                    wl += D[rc, i, k] * Si[k, j]
                    wr += D[lc, i, k] * Si[k, j]
                WL[i, j] = wl
                WR[i, j] = wr
        inv_h = 1.0 / h[f]
        scale = 2.0 * inv_h * inv_h
        for i in range(3):
            for j in range(3):
                hij = 0.0
                for k in range(3):
                    hij += WL[i, k] * D[lc, k, j]
                off[f, i, j] = -hij * scale
        if use_drift:
            for i in range(3):
                fl = 0.0
                for k in range(3):
                    fl += WL[i, k] * drift[lc, a, k] + WR[i, k] * drift[rc, a, k]
                fl *= inv_h
                b[lc, i] -= fl
                b[rc, i] += fl


@numba.njit(cache=True, error_model="numpy")
def cell_inverses(D, drift, use_drift, E, e):
    """Per cell E_i = D_i⁻¹ and e_i[a] = E_i d_i[a]; returns False if some D_i is (nearly)
    singular (|det| ≤ 1e-12 (tr/3)³), where the harmonic form of the face flux does not apply."""
    for i in range(D.shape[0]):
        a00, a01, a02 = D[i, 0, 0], D[i, 0, 1], D[i, 0, 2]
        a10, a11, a12 = D[i, 1, 0], D[i, 1, 1], D[i, 1, 2]
        a20, a21, a22 = D[i, 2, 0], D[i, 2, 1], D[i, 2, 2]
        c00 = a11 * a22 - a12 * a21
        c10 = a12 * a20 - a10 * a22
        c20 = a10 * a21 - a11 * a20
        det = a00 * c00 + a01 * c10 + a02 * c20
        tr = (a00 + a11 + a22) * (1.0 / 3.0)
        if not abs(det) > 1e-12 * abs(tr * tr * tr):
            return False
        idet = 1.0 / det
        E[i, 0, 0] = c00 * idet
        E[i, 0, 1] = (a02 * a21 - a01 * a22) * idet
        E[i, 0, 2] = (a01 * a12 - a02 * a11) * idet
        E[i, 1, 0] = c10 * idet
        E[i, 1, 1] = (a00 * a22 - a02 * a20) * idet
        E[i, 1, 2] = (a02 * a10 - a00 * a12) * idet
        E[i, 2, 0] = c20 * idet
        E[i, 2, 1] = (a01 * a20 - a00 * a21) * idet
        E[i, 2, 2] = (a00 * a11 - a01 * a10) * idet
        if use_drift:
            for a in range(3):
                d0, d1, d2 = drift[i, a, 0], drift[i, a, 1], drift[i, a, 2]
                for r in range(3):
                    e[i, a, r] = E[i, r, 0] * d0 + E[i, r, 1] * d1 + E[i, r, 2] * d2
    return True


@numba.njit(cache=True, error_model="numpy")
def face_kernel_harmonic(E, e, e_scale, use_drift, L, R, axis, h, off, b):
    """:func:`face_kernel` from the cell inverses E = D⁻¹ and e = E d (of :func:`cell_inverses`
    or a model's closed form): ``e[i, a]`` along axis a when e is ``(N, 3, 3)``, or
    ``e_scale[a] · e[i, 0]`` when e is ``(N, 1, 3)`` (drift of rank one, d_i[a] = j_a v_i).

    With S = D_L + D_R, D_R S⁻¹ D_L = D_L S⁻¹ D_R = (E_L + E_R)⁻¹ =: G (for any invertible
    D_L, D_R), so H_f = 2G, W_L = G E_L, W_R = G E_R and the drift flux is G (e_L + e_R): one
    3×3 inverse per face instead of an inverse and three products (5.7 → 2.7 ms per pass on the
    4 nm trilayer)."""
    S = np.empty((3, 3))
    G = np.empty((3, 3))
    per_axis = e.shape[1] == 3
    for f in range(L.size):
        lc, rc, a = L[f], R[f], axis[f]
        for i in range(3):
            for j in range(3):
                S[i, j] = E[lc, i, j] + E[rc, i, j]
        # nonsingular for β β' < 1: every D⁻¹ has a positive definite symmetric part (both models)
        inv3_block(S, G)
        inv_h = 1.0 / h[f]
        scale = 2.0 * inv_h * inv_h
        for i in range(3):
            for j in range(3):
                off[f, i, j] = -G[i, j] * scale
        if use_drift:
            k = a if per_axis else 0
            w = e_scale[a]
            e0 = (e[lc, k, 0] + e[rc, k, 0]) * w
            e1 = (e[lc, k, 1] + e[rc, k, 1]) * w
            e2 = (e[lc, k, 2] + e[rc, k, 2]) * w
            for i in range(3):
                fl = (G[i, 0] * e0 + G[i, 1] * e1 + G[i, 2] * e2) * inv_h
                b[lc, i] -= fl
                b[rc, i] += fl


@numba.njit(cache=True)
def add_faces(base, off, L, R, sign, out):
    """out = base + sign · Σ_{faces f of i} off[f] per cell i (``(N, 3, 3)``; out may be base).

    K's diagonal block is C_i − Σ off_f (sign −1) for the cell part C_i = R_i + shift·I."""
    if out is not base:
        out[:] = base
    for f in range(L.size):
        lc, rc = L[f], R[f]
        for r in range(3):
            for c in range(3):
                v = sign * off[f, r, c]
                out[lc, r, c] += v
                out[rc, r, c] += v
    return out


@numba.njit(cache=True)
def block_matvec(cell, off, L, R, x, y):
    """``y = K x`` from the cell parts ``(N, 3, 3)`` and the face blocks ``(F, 3, 3)``; x, y
    ``(N, 3)``. Row by row K x = C_i x_i + Σ_f H_f (x_i − x_j) with off = −H_f: one 3×3
    product per face for both of its cells (the face block read once), and no assembled
    diagonal. Bound by memory traffic: 0.75 ms at 107,520 unknowns (scipy's BSR product
    2.9 ms)."""
    n = cell.shape[0]
    for i in range(n):
        x0, x1, x2 = x[i, 0], x[i, 1], x[i, 2]
        for r in range(3):
            y[i, r] = cell[i, r, 0] * x0 + cell[i, r, 1] * x1 + cell[i, r, 2] * x2
    for f in range(L.size):
        lc, rc = L[f], R[f]
        d0 = x[rc, 0] - x[lc, 0]
        d1 = x[rc, 1] - x[lc, 1]
        d2 = x[rc, 2] - x[lc, 2]
        for r in range(3):
            t = off[f, r, 0] * d0 + off[f, r, 1] * d1 + off[f, r, 2] * d2
            y[lc, r] += t
            y[rc, r] -= t
    return y


@numba.njit(cache=True)
def block_matmat(cell, off, L, R, x, y):
    """:func:`block_matvec` for k vectors at once, x and y ``(k, N, 3)``: the blocks are read
    once for all k."""
    n = cell.shape[0]
    k = x.shape[0]
    for i in range(n):
        for r in range(3):
            a0, a1, a2 = cell[i, r, 0], cell[i, r, 1], cell[i, r, 2]
            for c in range(k):
                y[c, i, r] = a0 * x[c, i, 0] + a1 * x[c, i, 1] + a2 * x[c, i, 2]
    for f in range(L.size):
        lc, rc = L[f], R[f]
        for c in range(k):
            d0 = x[c, rc, 0] - x[c, lc, 0]
            d1 = x[c, rc, 1] - x[c, lc, 1]
            d2 = x[c, rc, 2] - x[c, lc, 2]
            for r in range(3):
                t = off[f, r, 0] * d0 + off[f, r, 1] * d1 + off[f, r, 2] * d2
                y[c, lc, r] += t
                y[c, rc, r] -= t
    return y

