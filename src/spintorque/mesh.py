"""Uniform cuboid finite-difference grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: index tuple of a 3D cell array
Index = tuple[slice, slice, slice]


def face_slices(axis: int) -> tuple[Index, Index]:
    """``(lo, hi)``: indices that pick, for every interior face normal to ``axis``, the cell
    below it (``a[lo]``) and the cell above it (``a[hi]``); both views have the face array's
    shape (one fewer along ``axis``)."""
    lo = [slice(None)] * 3
    hi = [slice(None)] * 3
    lo[axis] = slice(None, -1)
    hi[axis] = slice(1, None)
    return tuple(lo), tuple(hi)  # type: ignore[return-value]


@dataclass(frozen=True)
class Grid:
    """A uniform grid of ``n = (nx, ny, nz)`` cuboid cells of size ``cell`` [m].

    Cell ``(i, j, k)`` covers ``origin + (i, j, k) * cell`` to ``origin + (i+1, j+1, k+1) * cell``.
    Arrays defined on the grid have shape ``(nx, ny, nz)`` (scalars) or ``(nx, ny, nz, 3)``
    (vectors), float64.
    """

    n: tuple[int, int, int]
    cell: tuple[float, float, float]
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        n = tuple(int(v) for v in self.n)
        cell = tuple(float(v) for v in self.cell)
        origin = tuple(float(v) for v in self.origin)
        if len(n) != 3 or any(v < 1 for v in n):
            raise ValueError(f"grid.n = {self.n!r}: need three positive integers")
        if len(cell) != 3 or any(not (v > 0 and np.isfinite(v)) for v in cell):
            raise ValueError(f"grid.cell = {self.cell!r}: need three positive finite lengths in m")
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "cell", cell)
        object.__setattr__(self, "origin", origin)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Scalar array shape ``(nx, ny, nz)``."""
        return self.n

    @property
    def vshape(self) -> tuple[int, int, int, int]:
        """Vector array shape ``(nx, ny, nz, 3)``."""
        return (*self.n, 3)

    @property
    def ncells(self) -> int:
        return self.n[0] * self.n[1] * self.n[2]

    @property
    def cell_volume(self) -> float:
        """Volume of one cell [m^3]."""
        return self.cell[0] * self.cell[1] * self.cell[2]

    @property
    def size(self) -> tuple[float, float, float]:
        """Edge lengths of the whole grid [m]."""
        return tuple(n * h for n, h in zip(self.n, self.cell, strict=True))  # type: ignore[return-value]

    def centers(self, axis: int) -> np.ndarray:
        """Cell-centre coordinates along ``axis`` [m], shape ``(n[axis],)``."""
        return self.origin[axis] + (np.arange(self.n[axis]) + 0.5) * self.cell[axis]

    def coordinates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Broadcastable cell-centre coordinates ``(x, y, z)`` [m]."""
        x, y, z = (self.centers(a) for a in range(3))
        return x[:, None, None], y[None, :, None], z[None, None, :]

    def zeros(self, vector: bool = True) -> np.ndarray:
        return np.zeros(self.vshape if vector else self.shape)
