"""Shapes on the grid: solids that say which cell centres they contain, and their placement as
regions.

A shape has ``contains(x, y, z)`` returning a boolean array (the broadcast shape of the
coordinate arrays, all in m). A cell belongs to a shape when its centre does: the sample is the
staircase approximation of the shape on the grid (docs/theory/staircase.md). Shapes combine with
``a | b`` (:class:`Union`), ``a & b`` (:class:`Intersection`) and ``a - b`` (:class:`Difference`).

:func:`region_mask` turns a shape, a boolean array, a ``.npy`` / ``.ovf`` file or a callable
``f(x, y, z) -> bool`` into a cell mask; :func:`region_index` places several masks on a grid,
later ones over earlier ones.
"""

from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .io.errors import UserError
from .mesh import Grid

__all__ = ["Box", "Cylinder", "Difference", "Ellipsoid", "Intersection", "MaskSpec", "Polygon",
           "Shape", "Union", "region_index", "region_mask"]

_INF = math.inf


def _pair(name: str, value: Sequence[float]) -> tuple[float, float]:
    v = tuple(float(c) for c in value)
    if len(v) != 2 or not all(math.isfinite(c) for c in v):
        raise UserError(f"{name} = {value!r}: need two finite numbers [m]")
    return v  # type: ignore[return-value]


def _z_range(z: Sequence[float] | None) -> tuple[float, float]:
    """``(z0, z1)`` [m] with z0 < z1 (infinite ends allowed); None: all z."""
    if z is None:
        return (-_INF, _INF)
    zz = tuple(float(c) for c in z)
    if len(zz) != 2 or any(math.isnan(c) for c in zz) or not zz[0] < zz[1]:
        raise UserError(f"z = {z!r}: need (z0, z1) [m] with z0 < z1")
    return zz  # type: ignore[return-value]


def _in_z(z: np.ndarray, zr: tuple[float, float]) -> np.ndarray:
    return (z >= zr[0]) & (z <= zr[1])


class Shape(ABC):
    """A solid: ``contains(x, y, z)`` [m] -> bool array; ``|``, ``&``, ``-`` combine solids."""

    @abstractmethod
    def contains(self, x: Any, y: Any, z: Any) -> np.ndarray:
        """Whether each point (x, y, z) [m] lies inside (closed boundary)."""

    @abstractmethod
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper corner [m] of a box holding the shape (may be infinite)."""

    def __or__(self, other: Shape) -> Shape:
        return Union(self, other)

    def __and__(self, other: Shape) -> Shape:
        return Intersection(self, other)

    def __sub__(self, other: Shape) -> Shape:
        return Difference(self, other)

    def on(self, grid: Grid) -> np.ndarray:
        """Boolean mask of the cells of ``grid`` whose centres lie in the shape, ``grid.shape``."""
        x, y, z = grid.coordinates()
        return np.broadcast_to(self.contains(x, y, z), grid.shape).copy()


@dataclass(frozen=True)
class Box(Shape):
    """The cuboid ``lower <= (x, y, z) <= upper`` [m]."""

    lower: tuple[float, float, float]
    upper: tuple[float, float, float]

    def __post_init__(self) -> None:
        lo = tuple(float(v) for v in self.lower)
        hi = tuple(float(v) for v in self.upper)
        if len(lo) != 3 or len(hi) != 3 or any(math.isnan(v) for v in lo + hi) \
                or not all(a < b for a, b in zip(lo, hi, strict=True)):
            raise UserError(f"Box(lower = {self.lower!r}, upper = {self.upper!r}): need two "
                            "3-vectors [m] with lower < upper along every axis")
        object.__setattr__(self, "lower", lo)
        object.__setattr__(self, "upper", hi)

    def contains(self, x: Any, y: Any, z: Any) -> np.ndarray:
        (x0, y0, z0), (x1, y1, z1) = self.lower, self.upper
        return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1) & (z >= z0) & (z <= z1)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.lower), np.array(self.upper)


@dataclass(frozen=True)
class Cylinder(Shape):
    """An elliptic cylinder along z: ``((x'/a)^2 + (y'/b)^2 <= 1`` and ``z0 <= z <= z1``.

    ``center`` (xc, yc) [m]; semi-axes ``a`` along x' and ``b`` along y' [m] (``b`` None: a
    circle of radius ``a``); ``angle`` [rad] turns x' from x towards y; ``z`` = (z0, z1) [m]
    (None: unbounded along z).
    """

    center: tuple[float, float]
    a: float
    b: float | None = None
    z: tuple[float, float] | None = None
    angle: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "center", _pair("Cylinder center", self.center))
        b = self.a if self.b is None else self.b
        for key, v in (("a", self.a), ("b", b)):
            if not (math.isfinite(float(v)) and float(v) > 0):
                raise UserError(f"Cylinder {key} = {v!r}: need a positive semi-axis [m]")
        if not math.isfinite(float(self.angle)):
            raise UserError(f"Cylinder angle = {self.angle!r}: need a finite angle [rad]")
        object.__setattr__(self, "a", float(self.a))
        object.__setattr__(self, "b", float(b))
        object.__setattr__(self, "z", _z_range(self.z))
        object.__setattr__(self, "angle", float(self.angle))

    def contains(self, x: Any, y: Any, z: Any) -> np.ndarray:
        dx, dy = x - self.center[0], y - self.center[1]
        c, s = math.cos(self.angle), math.sin(self.angle)
        u, v = c * dx + s * dy, -s * dx + c * dy
        return ((u / self.a) ** 2 + (v / self.b) ** 2 <= 1.0) & _in_z(z, self.z)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        c, s = math.cos(self.angle), math.sin(self.angle)
        hx = math.hypot(self.a * c, self.b * s)  # half widths of the turned ellipse
        hy = math.hypot(self.a * s, self.b * c)
        (xc, yc), (z0, z1) = self.center, self.z
        return np.array([xc - hx, yc - hy, z0]), np.array([xc + hx, yc + hy, z1])


@dataclass(frozen=True)
class Ellipsoid(Shape):
    """``sum(((r - center)/semi_axes)^2) <= 1``, axes along x, y, z [m]."""

    center: tuple[float, float, float]
    semi_axes: tuple[float, float, float]

    def __post_init__(self) -> None:
        c = tuple(float(v) for v in self.center)
        r = tuple(float(v) for v in self.semi_axes)
        if len(c) != 3 or len(r) != 3 or not all(math.isfinite(v) for v in c) \
                or not all(math.isfinite(v) and v > 0 for v in r):
            raise UserError(f"Ellipsoid(center = {self.center!r}, semi_axes = "
                            f"{self.semi_axes!r}): need a finite centre and three positive "
                            "semi-axes [m]")
        object.__setattr__(self, "center", c)
        object.__setattr__(self, "semi_axes", r)

    def contains(self, x: Any, y: Any, z: Any) -> np.ndarray:
        (xc, yc, zc), (a, b, c) = self.center, self.semi_axes
        return ((x - xc) / a) ** 2 + ((y - yc) / b) ** 2 + ((z - zc) / c) ** 2 <= 1.0

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        c, r = np.array(self.center), np.array(self.semi_axes)
        return c - r, c + r


@dataclass(frozen=True)
class Polygon(Shape):
    """A prism along z over a simple polygon: ``vertices`` [(x, y), ...] [m] (3 or more, either
    orientation; even-odd rule), ``z`` = (z0, z1) [m] (None: unbounded along z)."""

    vertices: tuple[tuple[float, float], ...]
    z: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        try:
            v = np.asarray(self.vertices, dtype=float)
        except (TypeError, ValueError):
            v = np.zeros((0,))
        if v.ndim != 2 or v.shape[1] != 2 or v.shape[0] < 3 or not np.all(np.isfinite(v)):
            raise UserError(f"Polygon vertices = {self.vertices!r}: need 3 or more finite "
                            "(x, y) points [m]")
        x, y = v[:, 0], v[:, 1]
        area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
        if not area > 0:
            raise UserError(f"Polygon vertices = {self.vertices!r}: the polygon has zero area")
        object.__setattr__(self, "vertices", tuple((float(a), float(b)) for a, b in v))
        object.__setattr__(self, "z", _z_range(self.z))

    def contains(self, x: Any, y: Any, z: Any) -> np.ndarray:
        x, y = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
        inside = np.zeros(x.shape, bool)
        v = self.vertices
        for (xi, yi), (xj, yj) in zip(v, v[1:] + v[:1], strict=True):
            # even-odd rule: count crossings of the ray from (x, y) towards +x; half-open in y
            # so that a ray through a vertex counts once
            crosses = (yi > y) != (yj > y)
            if not crosses.any():
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                x_cut = xi + (y - yi) * (xj - xi) / (yj - yi)
            inside ^= crosses & (x < x_cut)
        return inside & _in_z(z, self.z)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        v = np.array(self.vertices)
        return (np.array([*v.min(axis=0), self.z[0]]),  # type: ignore[index]
                np.array([*v.max(axis=0), self.z[1]]))  # type: ignore[index]


@dataclass(frozen=True)
class Union(Shape):
    """Cells in any of ``parts``."""

    parts: tuple[Shape, ...]

    def __init__(self, *parts: Shape) -> None:
        object.__setattr__(self, "parts", _shapes("Union", parts))

    def contains(self, x: Any, y: Any, z: Any) -> np.ndarray:
        out = self.parts[0].contains(x, y, z)
        for p in self.parts[1:]:
            out = out | p.contains(x, y, z)
        return out

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        los, his = zip(*(p.bounds() for p in self.parts), strict=True)
        return np.min(los, axis=0), np.max(his, axis=0)


@dataclass(frozen=True)
class Intersection(Shape):
    """Cells in every one of ``parts``."""

    parts: tuple[Shape, ...]

    def __init__(self, *parts: Shape) -> None:
        object.__setattr__(self, "parts", _shapes("Intersection", parts))

    def contains(self, x: Any, y: Any, z: Any) -> np.ndarray:
        out = self.parts[0].contains(x, y, z)
        for p in self.parts[1:]:
            out = out & p.contains(x, y, z)
        return out

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        los, his = zip(*(p.bounds() for p in self.parts), strict=True)
        return np.max(los, axis=0), np.min(his, axis=0)


@dataclass(frozen=True)
class Difference(Shape):
    """Cells in ``base`` and not in ``cut``."""

    base: Shape
    cut: Shape

    def __post_init__(self) -> None:
        _shapes("Difference", (self.base, self.cut))

    def contains(self, x: Any, y: Any, z: Any) -> np.ndarray:
        return self.base.contains(x, y, z) & ~self.cut.contains(x, y, z)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return self.base.bounds()


def _shapes(kind: str, parts: Sequence[Any]) -> tuple[Shape, ...]:
    if len(parts) < 1 or not all(isinstance(p, Shape) for p in parts):
        raise UserError(f"{kind} needs one or more shapes, got "
                        f"{[type(p).__name__ for p in parts]}")
    return tuple(parts)


#: what a region may be given as: a shape, a bool array of the grid's shape, a .npy / .ovf
#: file, or a callable f(x, y, z) -> bool on cell centres [m]
MaskSpec = Shape | np.ndarray | str | os.PathLike | Callable[..., Any]


def _mask_from_file(grid: Grid, path: Path, name: str) -> np.ndarray:
    if not path.is_file():
        raise UserError(f"region {name!r}: mask file {str(path)!r} not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            values = np.load(path, allow_pickle=False)  # data only, nothing executed
        elif suffix == ".ovf":
            from .io.ovf import read_ovf

            values = read_ovf(path).values
            # a vector field marks the cells with a nonzero vector, a scalar one nonzero values
            values = np.linalg.norm(values, axis=-1) if values.shape[-1] > 1 else values[..., 0]
        else:
            raise UserError(f"region {name!r}: mask file {str(path)!r}: allowed are .npy "
                            "(a boolean or numeric array) and .ovf (nonzero = inside)")
    except UserError:
        raise
    except (OSError, ValueError) as exc:
        raise UserError(f"region {name!r}: mask file {str(path)!r} cannot be read: {exc}") \
            from None
    return _as_mask(grid, values, name, f"mask file {str(path)!r}")


def _as_mask(grid: Grid, values: Any, name: str, what: str) -> np.ndarray:
    """Boolean ``grid.shape`` mask from an array: nonzero = inside; an ``(nx, ny)`` array is
    taken for every z."""
    arr = np.asarray(values)
    if arr.dtype == object or not (arr.dtype == bool or np.issubdtype(arr.dtype, np.number)):
        raise UserError(f"region {name!r}: {what} has dtype {arr.dtype}; need a boolean or "
                        "numeric array")
    if arr.shape == grid.shape[:2] and grid.shape[2:] != ():
        arr = np.repeat(arr[:, :, None], grid.shape[2], axis=2)
    if arr.shape != grid.shape:
        raise UserError(f"region {name!r}: {what} has shape {arr.shape}; expected the grid's "
                        f"{grid.shape} (nx, ny, nz) or {grid.shape[:2]} (nx, ny)")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise UserError(f"region {name!r}: {what} holds NaN or infinite values")
    return arr != 0


def region_mask(grid: Grid, spec: MaskSpec, name: str = "region") -> np.ndarray:
    """Boolean mask ``grid.shape`` of the cells of ``spec`` (a :class:`Shape`, a boolean array of
    shape ``grid.shape`` or ``(nx, ny)``, a ``.npy`` or ``.ovf`` file path, or a callable
    ``f(x, y, z)`` of cell-centre coordinates [m] returning booleans). Errors name ``name``."""
    if isinstance(spec, Shape):
        return spec.on(grid)
    if isinstance(spec, (str, os.PathLike)):
        return _mask_from_file(grid, Path(spec), name)
    if isinstance(spec, np.ndarray):
        return _as_mask(grid, spec, name, "mask array")
    if callable(spec):
        x, y, z = grid.coordinates()
        try:
            values = np.broadcast_to(np.asarray(spec(x, y, z)), grid.shape)
        except ValueError as exc:
            raise UserError(f"region {name!r}: mask function returned values that do not "
                            f"broadcast to the grid's {grid.shape}: {exc}") from None
        return _as_mask(grid, values, name, "mask function result")
    raise UserError(f"region {name!r}: mask of type {type(spec).__name__}; allowed: a Shape, "
                    "a boolean array, a .npy or .ovf file, or a function f(x, y, z) -> bool")


def region_index(grid: Grid, entries: Sequence[tuple[str, MaskSpec]]) -> np.ndarray:
    """Region numbers on ``grid`` (int16, ``grid.shape``): entry ``i`` of ``(name, spec)`` gets
    ``i``, later entries over earlier ones, cells matched by none ``-1``. A region without cells
    (from the start or once later ones are placed) is a :class:`UserError` naming it."""
    if len(entries) >= np.iinfo(np.int16).max:
        raise UserError(f"{len(entries)} regions: at most {np.iinfo(np.int16).max - 1}")
    out = np.full(grid.shape, -1, np.int16)
    for i, (name, spec) in enumerate(entries):
        mask = region_mask(grid, spec, name)
        if not mask.any():
            raise UserError(f"region {name!r} contains no cell centre of the grid (cells "
                            f"{grid.shape}, size {grid.size} m, origin {grid.origin} m)")
        out[mask] = i
    for i, (name, _) in enumerate(entries):
        if not (out == i).any():
            raise UserError(f"region {name!r} has no cells left: later regions cover all of it")
    return out
