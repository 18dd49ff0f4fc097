"""Cell-averaged demagnetizing tensor of a uniform grid of cuboid cells (open boundaries).

``N_ab(d)`` is the field in a cell per unit magnetization of a cell at offset ``d`` (in cells):
``h = N * M`` (so the self term of a cube is ``-1/3`` on the diagonal). Near offsets use Newell's
exact f/g formulas (Newell, Williams & Dunlop, JGR 98 (1993) 9551; docs/theory/llg.md, stray
field). The sixth difference of f and g cancels about ``6 log10(r)`` digits, so beyond ``r_switch``
(distance in units of the largest cell edge) the tensor is the point-dipole kernel averaged over the
source and target cells by tensor-product Gauss quadrature with tent weights (error ~ ``r**-2p`` for
p points per half-axis). The switch point is measured in ``benchmarks/demag_far_field.py``.

Only non-negative offsets are returned; the other octants follow from parity (diagonal components
are even in every axis; ``N_ab`` with ``a != b`` is odd along ``a`` and ``b``, even along the
third).
"""

from __future__ import annotations

import math

import numba
import numpy as np

COMPONENTS = ("xx", "yy", "zz", "xy", "xz", "yz")
"""Order of the six independent tensor components."""

R_SWITCH = 6.0
"""Default switch distance from Newell to the far-field quadrature [largest cell edges].

Measured against 40-digit Newell (benchmarks/demag_far_field.py): float64 Newell errs by 1.6e-11
(cube) and 5.2e-10 (cells 4:4:1) at r = 6, growing like r**6 (3.7e-5 at r = 64 for cubes); the
order-4 quadrature errs by 5.5e-10 at r = 6, falling like r**-8.
"""

FAR_ORDERS = ((6.0, 4), (12.0, 3), (64.0, 2))
"""(from distance, Gauss points per half-axis): measured far-field error at most 5.5e-10 (r = 6,
order 4), 1.5e-9 (r = 12, order 3), 5.2e-9 (r = 64, order 2), each falling with r."""


def _safe_asinh(num: np.ndarray, den2: np.ndarray) -> np.ndarray:
    """asinh(num/sqrt(den2)), 0 where den2 == 0 (the term's prefactor vanishes there)."""
    ok = den2 > 0
    den = np.sqrt(np.where(ok, den2, 1))
    return np.where(ok, np.arcsinh(num / den), 0)


def _safe_atan(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """atan(num/den), 0 where den == 0 (the term's prefactor vanishes there)."""
    ok = den != 0
    return np.where(ok, np.arctan(num / np.where(ok, den, 1)), 0)


def newell_f(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Newell's f (for N_xx); even in every argument. Any float dtype (used in that precision)."""
    x, y, z = np.abs(x), np.abs(y), np.abs(z)
    x2, y2, z2 = x * x, y * y, z * z
    r = np.sqrt(x2 + y2 + z2)
    return (
        0.5 * y * (z2 - x2) * _safe_asinh(y, x2 + z2)
        + 0.5 * z * (y2 - x2) * _safe_asinh(z, x2 + y2)
        - x * y * z * _safe_atan(y * z, x * r)
        + (2 * x2 - y2 - z2) * r / 6
    )


def newell_g(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Newell's g (for N_xy); odd in x and y, even in z."""
    z = np.abs(z)
    x2, y2, z2 = x * x, y * y, z * z
    r = np.sqrt(x2 + y2 + z2)
    return (
        x * y * z * _safe_asinh(z, x2 + y2)
        + y * (3 * z2 - y2) * _safe_asinh(x, y2 + z2) / 6
        + x * (3 * z2 - x2) * _safe_asinh(y, x2 + z2) / 6
        - z2 * z * _safe_atan(x * y, z * r) / 6
        - 0.5 * z * y2 * _safe_atan(x * z, y * r)
        - 0.5 * z * x2 * _safe_atan(y * z, x * r)
        - x * y * r / 3
    )


def _second_difference(a: np.ndarray, axis: int) -> np.ndarray:
    """F(i+1) - 2 F(i) + F(i-1) along ``axis`` (drops one point at each end)."""
    n = a.shape[axis]
    lo = [slice(None)] * 3
    mid = [slice(None)] * 3
    hi = [slice(None)] * 3
    lo[axis], mid[axis], hi[axis] = slice(0, n - 2), slice(1, n - 1), slice(2, n)
    return a[tuple(hi)] - 2 * a[tuple(mid)] + a[tuple(lo)]


def newell_tensor(
    m: tuple[int, int, int], cell: tuple[float, float, float], dtype: type = np.float64
) -> np.ndarray:
    """Exact Newell tensor for offsets ``0 <= d_a < m[a]``: array ``(6, mx, my, mz)``.

    Sum over the 64 corner combinations (docs/theory/llg.md, stray field) written as three
    second differences: ``N = D2x D2y D2z F / (4 pi V)``. Lengths are scaled by the largest cell
    edge (the tensor is scale-free), which keeps F of order one near the origin.
    """
    h = np.asarray(cell, dtype=dtype) / dtype(max(cell))
    x, y, z = (
        (np.arange(-1, m[a] + 1, dtype=dtype) * h[a]).reshape(
            [-1 if b == a else 1 for b in range(3)]
        )
        for a in range(3)
    )
    x, y, z = np.broadcast_arrays(x, y, z)
    scale = 1 / (4 * dtype(math.pi) * h[0] * h[1] * h[2])
    calls = (
        (newell_f, (x, y, z)),
        (newell_f, (y, z, x)),
        (newell_f, (z, x, y)),
        (newell_g, (x, y, z)),
        (newell_g, (x, z, y)),
        (newell_g, (y, z, x)),
    )
    out = np.empty((6, *m), dtype=dtype)
    for c, (func, args) in enumerate(calls):
        d = func(*args)
        for axis in range(3):
            d = _second_difference(d, axis)
        out[c] = d * scale
    return out


def tent_rule(order: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes in [-1, 1] and weights (sum 1) integrating against the tent ``1 - |u|``.

    Gauss-Jacobi with weight (1 - s) on each half: exact for polynomials of degree
    ``2 order - 1`` on each half, which is what the kink at 0 requires.
    """
    if not 1 <= order <= 20:
        raise ValueError(f"order = {order!r}: need 1 <= order <= 20 Gauss points per half-axis")
    # Stieltjes procedure on a Gauss-Legendre discretization of the weight (1 - s) on [0, 1]
    # (exact: the 64-point rule integrates degree 127), then Golub-Welsch; avoids importing
    # scipy.special at start-up
    x, wl = np.polynomial.legendre.leggauss(64)
    s = 0.5 * (x + 1.0)
    wt = 0.25 * wl * (2.0 - (x + 1.0))
    p_prev, p = np.zeros_like(s), np.ones_like(s)
    alpha, beta = np.empty(order), np.empty(order)
    norm_prev = 1.0
    for k in range(order):
        norm = np.sum(wt * p * p)
        alpha[k] = np.sum(wt * s * p * p) / norm
        beta[k] = norm / norm_prev if k else norm
        p_prev, p = p, (s - alpha[k]) * p - (beta[k] if k else 0.0) * p_prev
        norm_prev = norm
    jac = np.diag(alpha) + np.diag(np.sqrt(beta[1:]), 1) + np.diag(np.sqrt(beta[1:]), -1)
    nodes, vecs = np.linalg.eigh(jac)
    w = 0.5 * vecs[0] ** 2  # the weight's total mass 1/2 on each half
    return np.concatenate([-nodes[::-1], nodes]), np.concatenate([w[::-1], w])


@numba.njit(cache=True, fastmath=True)
def _far_kernel(out, d, cell, ux, wx, uy, wy, uz, wz):  # pragma: no cover - compiled
    # out: (6, n) cell-averaged dipole tensor at the n offsets d (n, 3) [cells]
    inv4pi = 1.0 / (4.0 * np.pi)
    vol = cell[0] * cell[1] * cell[2]
    for e in range(d.shape[0]):
        sxx = syy = szz = sxy = sxz = syz = 0.0
        for i in range(ux.size):
            x = (d[e, 0] + ux[i]) * cell[0]
            for j in range(uy.size):
                y = (d[e, 1] + uy[j]) * cell[1]
                wij = wx[i] * wy[j]
                for k in range(uz.size):
                    z = (d[e, 2] + uz[k]) * cell[2]
                    r2 = x * x + y * y + z * z
                    ir2 = 1.0 / r2
                    w = wij * wz[k] * ir2 * np.sqrt(ir2) * ir2
                    t = 3.0 * w
                    sxx += t * x * x - w * r2
                    syy += t * y * y - w * r2
                    szz += t * z * z - w * r2
                    sxy += t * x * y
                    sxz += t * x * z
                    syz += t * y * z
        f = vol * inv4pi
        out[0, e] = sxx * f
        out[1, e] = syy * f
        out[2, e] = szz * f
        out[3, e] = sxy * f
        out[4, e] = sxz * f
        out[5, e] = syz * f


def far_tensor(
    offsets: np.ndarray, cell: tuple[float, float, float], order: int = 3
) -> np.ndarray:
    """Point-dipole kernel averaged over source and target cells, ``(6, len(offsets))``.

    ``offsets``: array ``(n, 3)`` in cells, each at least a cell away on some axis.
    """
    u, w = tent_rule(order)
    h = np.asarray(cell, float) / max(cell)
    d = np.ascontiguousarray(offsets, dtype=float).reshape(-1, 3)
    out = np.empty((6, d.shape[0]))
    if d.shape[0]:
        _far_kernel(out, d, h, u, w, u, w, u, w)
    return out


def demag_tensor(
    n: tuple[int, int, int],
    cell: tuple[float, float, float],
    r_switch: float = R_SWITCH,
) -> np.ndarray:
    """Demag tensor for the non-negative offsets of an ``n`` grid: ``(6, nx, ny, nz)``.

    Newell where ``|d ⊙ cell| / max(cell) < r_switch``, the far-field quadrature elsewhere.
    """
    n = tuple(int(v) for v in n)
    h = np.asarray(cell, float) / max(cell)
    if not r_switch > 0:
        raise ValueError(f"r_switch = {r_switch!r}: must be > 0 (in largest cell edges)")
    near = tuple(min(n[a], int(math.ceil(r_switch / h[a])) + 1) for a in range(3))
    out = np.empty((6, *n))
    idx = [np.arange(v, dtype=float) * h[a] for a, v in enumerate(n)]
    r = np.sqrt(idx[0][:, None, None] ** 2 + idx[1][None, :, None] ** 2 + idx[2] ** 2)
    far = r >= r_switch
    # everything outside the near box is far by construction of ``near``
    out[:, : near[0], : near[1], : near[2]] = newell_tensor(near, cell)
    # quadrature order by distance band (fewer points where the kernel is smoother)
    starts = [max(r0, r_switch) for r0, _ in FAR_ORDERS] + [np.inf]
    starts[0] = r_switch
    for (_, order), lo, hi in zip(FAR_ORDERS, starts[:-1], starts[1:], strict=True):
        band = far & (r >= lo) & (r < hi)
        if band.any():
            out[:, band] = far_tensor(np.argwhere(band), cell, order)
    return out
