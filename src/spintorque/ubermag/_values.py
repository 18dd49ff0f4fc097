"""Ubermag parameter values on spintorque's grid: numbers, vectors, ``{region: value}``
dictionaries (with ``"default"`` and ``"a:b"`` pair keys) and ``discretisedfield.Field`` objects
become per-cell arrays; the mesh's subregions become cell labels."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..io.errors import UserError
from ..mesh import Grid


class UbermagSystemError(UserError):
    """Something in an Ubermag system that spintorque cannot simulate, or a mistake in it (an
    unsupported term or crystal class, a region that does not exist, a field on another mesh).
    A ``ValueError``; the message names the term or parameter."""


@dataclass(frozen=True)
class Cells:
    """The cell labels of an Ubermag mesh: ``grid``, ``names`` of the subregions (in the mesh's
    order) and ``label[i, j, k]`` (index into ``names``, -1 in cells of no subregion)."""

    grid: Grid
    names: tuple[str, ...]
    label: np.ndarray

    def mask(self, name: str, what: str) -> np.ndarray:
        """Cells of subregion ``name``; :class:`UbermagSystemError` naming ``what`` if none."""
        if name == "default":
            return self.label < 0
        if name not in self.names:
            raise UbermagSystemError(
                f"{what}: region {name!r} does not exist; the mesh's subregions are "
                f"{list(self.names) or 'none'} (and 'default' for the cells outside them)")
        return self.label == self.names.index(name)


def mesh_cells(mesh: Any) -> Cells:
    """Grid and subregion labels of a ``discretisedfield.Mesh`` (3-D). A cell belongs to the
    first subregion (in the mesh's order) that contains its centre."""
    n = tuple(int(v) for v in mesh.n)
    if len(n) != 3:
        raise UbermagSystemError(f"mesh with {len(n)} dimensions: spintorque needs a 3-D mesh")
    grid = Grid(n, tuple(float(c) for c in mesh.cell),
                tuple(float(p) for p in mesh.region.pmin))
    label = np.full(n, -1, np.int16)
    names = tuple(str(k) for k in (mesh.subregions or {}))
    centres = [grid.centers(a) for a in range(3)]
    for idx, name in enumerate(names):
        sub = mesh.subregions[name]
        tol = [1e-9 * c for c in grid.cell]
        inside = [(centres[a] >= sub.pmin[a] - tol[a]) & (centres[a] <= sub.pmax[a] + tol[a])
                  for a in range(3)]
        box = inside[0][:, None, None] & inside[1][None, :, None] & inside[2][None, None, :]
        label[box & (label < 0)] = idx
    return Cells(grid, names, label)


def _is_vector(v: Any) -> bool:
    return isinstance(v, (tuple, list, np.ndarray)) and np.shape(v) == (3,)


def cell_values(value: Any, cells: Cells, what: str, vector: bool = False,
                default: float | tuple[float, float, float] | None = 0.0) -> np.ndarray:
    """Per-cell array (``grid.shape``, or ``grid.vshape`` for ``vector``) of an Ubermag
    parameter ``value``: a number (vector), a ``{region: value}`` dict (``"default"`` for the
    other cells; pair keys ``"a:b"`` are left out here) or a ``discretisedfield.Field`` on the
    system's mesh. Errors name ``what``."""
    grid = cells.grid
    shape = grid.vshape if vector else grid.shape
    if isinstance(value, Mapping):
        base = value.get("default", default)
        if base is None or (vector and np.ndim(base) == 0 and base == 0):
            base = (0.0, 0.0, 0.0) if vector else 0.0
        out = np.empty(shape)
        out[...] = _single(base, what, vector)
        for key, v in value.items():
            if key == "default" or ":" in str(key):
                continue
            out[cells.mask(str(key), what)] = _single(v, what, vector)
        return out
    if hasattr(value, "array") and hasattr(value, "mesh"):  # discretisedfield.Field
        arr = np.asarray(value.array, float)
        if arr.shape[:3] != grid.shape:
            raise UbermagSystemError(f"{what}: a field on a mesh of {arr.shape[:3]} cells; the "
                                     f"system's mesh has {grid.shape}")
        if vector:
            if arr.shape[-1] != 3:
                raise UbermagSystemError(f"{what}: need a 3-component field, got "
                                         f"{arr.shape[-1]} components")
            return arr.reshape(shape).copy()
        if arr.ndim == 4 and arr.shape[-1] != 1:
            raise UbermagSystemError(f"{what}: need a scalar field, got {arr.shape[-1]} "
                                     "components")
        return arr.reshape(shape).copy()
    out = np.empty(shape)
    out[...] = _single(value, what, vector)
    return out


def _single(v: Any, what: str, vector: bool) -> Any:
    if vector:
        if not _is_vector(v):
            raise UbermagSystemError(f"{what}: {v!r} is not a 3-vector")
        return np.asarray(v, float)
    if not isinstance(v, numbers.Real):
        raise UbermagSystemError(f"{what}: {v!r} is not a number")
    return float(v)


def pair_values(value: Any, cells: Cells, what: str) -> dict[tuple[str, str], float]:
    """The ``"a:b"`` entries of a dict parameter as ``{(a, b): value}`` (regions checked)."""
    out: dict[tuple[str, str], float] = {}
    if isinstance(value, Mapping):
        for key, v in value.items():
            if ":" in str(key):
                a, b = str(key).split(":", 1)
                cells.mask(a, what)
                cells.mask(b, what)
                out[(a, b)] = float(v)
    return out


def attr(term: Any, name: str, default: Any = None) -> Any:
    """The attribute ``name`` of an Ubermag term, ``default`` when it is not set (an unset
    attribute of Ubermag's typesystem reads as its descriptor)."""
    value = getattr(term, name, default)
    if value is None or type(value).__module__.startswith("ubermagutil.typesystem"):
        return default
    return value
