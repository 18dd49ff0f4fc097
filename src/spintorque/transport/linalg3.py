"""3×3 block algebra of the transport operator: inverses, products and matrix-vector products
of 3×3 matrices stored with the matrix indices first (NumPy, vectorized over the trailing axes),
and the one-block inverse the compiled kernels inline."""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["inv3", "inv3_block", "matmul3", "matvec3"]


def inv3(a: np.ndarray) -> np.ndarray:
    """Inverse of 3×3 matrices stored with the matrix indices first, shape ``(3, 3, ...)``.

    Adjugate formula, vectorized over the trailing axes (contiguous per entry, so fast).
    """
    c = np.empty_like(a)
    c[0, 0] = a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1]
    c[0, 1] = a[0, 2] * a[2, 1] - a[0, 1] * a[2, 2]
    c[0, 2] = a[0, 1] * a[1, 2] - a[0, 2] * a[1, 1]
    c[1, 0] = a[1, 2] * a[2, 0] - a[1, 0] * a[2, 2]
    c[1, 1] = a[0, 0] * a[2, 2] - a[0, 2] * a[2, 0]
    c[1, 2] = a[0, 2] * a[1, 0] - a[0, 0] * a[1, 2]
    c[2, 0] = a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]
    c[2, 1] = a[0, 1] * a[2, 0] - a[0, 0] * a[2, 1]
    c[2, 2] = a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
    det = a[0, 0] * c[0, 0] + a[0, 1] * c[1, 0] + a[0, 2] * c[2, 0]
    c /= det
    return c


def matmul3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Products of 3×3 matrices in ``(3, 3, ...)`` layout (27 vector multiply-adds)."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    for i in range(3):
        for j in range(3):
            out[i, j] = a[i, 0] * b[0, j] + a[i, 1] * b[1, j] + a[i, 2] * b[2, j]
    return out


def matvec3(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``a @ v`` for matrices ``(3, 3, ...)`` and vectors ``(3, ...)``."""
    return a[:, 0] * v[0] + a[:, 1] * v[1] + a[:, 2] * v[2]


@numba.njit(cache=True)
def inv3_block(a, out):
    """out = a^-1 for one 3x3 block (cofactors; inlined by LLVM into the kernels)."""
    c00 = a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1]
    c01 = a[0, 2] * a[2, 1] - a[0, 1] * a[2, 2]
    c02 = a[0, 1] * a[1, 2] - a[0, 2] * a[1, 1]
    c10 = a[1, 2] * a[2, 0] - a[1, 0] * a[2, 2]
    c11 = a[0, 0] * a[2, 2] - a[0, 2] * a[2, 0]
    c12 = a[0, 2] * a[1, 0] - a[0, 0] * a[1, 2]
    c20 = a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]
    c21 = a[0, 1] * a[2, 0] - a[0, 0] * a[2, 1]
    c22 = a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
    idet = 1.0 / (a[0, 0] * c00 + a[0, 1] * c10 + a[0, 2] * c20)
    out[0, 0], out[0, 1], out[0, 2] = c00 * idet, c01 * idet, c02 * idet
    out[1, 0], out[1, 1], out[1, 2] = c10 * idet, c11 * idet, c12 * idet
    out[2, 0], out[2, 1], out[2, 2] = c20 * idet, c21 * idet, c22 * idet

