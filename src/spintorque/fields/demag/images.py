"""Periodic images: the tensor of a sample repeated ``2R + 1`` times along an axis.

With ``R`` copies on each side along axis a, the field in the central copy is that of all
``2R + 1`` copies, ``K(d) = sum_{k=-R..R} N(d + k n_a e_a)``. As a function of the in-grid offset
``d`` (|d_a| < n_a) this is still an ordinary, zero-padded convolution, so the same pruned FFT
applies; only the tensor changes. It is exact for the finite macro-geometry (tested against the
open-boundary field of the tiled grid); R -> infinity approaches the periodic limit, with the
usual shape dependence of the lattice sum (a film repeated in-plane tends to N_zz = 1).
"""

from __future__ import annotations

import numpy as np

from .newell import R_SWITCH, demag_tensor

PARITY = np.array([(1, 1, 1), (1, 1, 1), (1, 1, 1), (-1, -1, 1), (-1, 1, -1), (1, -1, -1)], float)
"""Sign of each component (xx, yy, zz, xy, xz, yz) under reflection of x, y or z."""


def validate_repeats(repeats: tuple[int, int, int] | None) -> tuple[int, int, int]:
    """``(Rx, Ry, Rz)`` as non-negative ints; ``None`` means open boundaries ``(0, 0, 0)``."""
    if repeats is None:
        return (0, 0, 0)
    values = tuple(repeats)
    if len(values) != 3 or any(int(v) != v or v < 0 for v in values):
        raise ValueError(f"pbc = {repeats!r}: need three non-negative integers (images per side)")
    return tuple(int(v) for v in values)  # type: ignore[return-value]


def image_tensor(
    n: tuple[int, int, int],
    cell: tuple[float, float, float],
    repeats: tuple[int, int, int],
    r_switch: float = R_SWITCH,
) -> np.ndarray:
    """Tensor ``(6, nx, ny, nz)`` on non-negative offsets including ``repeats`` images per side.

    Computes the open tensor on offsets up to ``(R + 1) n`` and folds it one axis at a time (the
    image sum is separable over axes; each fold keeps the parity of the others).
    """
    repeats = validate_repeats(repeats)
    n = tuple(int(v) for v in n)
    big = tuple(n[a] * (repeats[a] + 1) for a in range(3))
    t = demag_tensor(big, cell, r_switch)
    for axis in range(3):
        r = repeats[axis]
        if r == 0:
            continue
        na = n[axis]
        shape = [1, 1, 1, 1]
        shape[axis + 1] = na
        sign = PARITY[:, axis].reshape(6, 1, 1, 1)
        acc = 0.0
        d = np.arange(na)
        for k in range(-r, r + 1):
            offset = d + k * na
            part = np.take(t, np.abs(offset), axis=axis + 1)
            negative = (offset < 0).reshape(shape)
            acc = acc + np.where(negative, sign * part, part)
        t = np.ascontiguousarray(acc)
    return t
