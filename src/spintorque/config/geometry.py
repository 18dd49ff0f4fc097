"""Shapes and regions in a run config: ``shape = {...}`` on a ``[[layer]]`` (the layer is only
the cells inside it, the rest of its slab empty) and the ``[[region]]`` list (a material on the
cells of a shape or mask file within a z range, over the layers).

Coordinates are in m from the lower corner of the grid: x in [0, mesh.size[0]], y in
[0, mesh.size[1]], z in [0, mesh.size[2]]. A cell belongs to a shape when its centre does
(the staircase approximation, docs/theory/staircase.md). :func:`shaped_sample` builds the
:class:`~spintorque.materials.Sample`; :func:`geometry_config_problems` and
:func:`region_cell_problems` are the cross-field checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import Field, Strict, ValidationInfo, field_validator, model_validator

from ..geometry import Cylinder, Polygon, Shape, region_mask
from ..io.errors import UserError
from ..materials import EMPTY, Sample
from ..mesh import Grid
from .base import REL_TOL, Float, Name, Positive, SchemaModel, raise_if

if TYPE_CHECKING:
    from .run_config import RunConfig

__all__ = ["RegionConfig", "ShapeConfig", "geometry_config_problems", "region_cell_problems",
           "shaped_sample", "uses_geometry"]

Problem = tuple[str, Any, str]
XY = tuple[Float, Float]

_CENTER = "centre (x, y) [m] from the grid's lower corner; default: the middle of the xy plane"


class CylinderShape(SchemaModel):
    """``shape = { cylinder = { diameter, center } }``: a circular cross-section."""

    diameter: Positive = Field(description="diameter [m], > 0")
    center: XY | None = Field(None, description=_CENTER)


class EllipseShape(SchemaModel):
    """``shape = { ellipse = { a, b, center, angle } }``: an elliptic cross-section."""

    a: Positive = Field(description="semi-axis along x (turned by angle) [m], > 0")
    b: Positive = Field(description="semi-axis along y (turned by angle) [m], > 0")
    center: XY | None = Field(None, description=_CENTER)
    angle: Float = Field(0.0, description="rotation of the a axis from x towards y [rad]")


class RectangleShape(SchemaModel):
    """``shape = { rectangle = { size, center } }``: an axis-aligned rectangle."""

    size: tuple[Positive, Positive] = Field(description="edge lengths (x, y) [m], each > 0")
    center: XY | None = Field(None, description=_CENTER)


class PolygonShape(SchemaModel):
    """``shape = { polygon = { vertices } }``: a simple polygon (even-odd rule)."""

    vertices: list[XY] = Field(min_length=3, max_length=10_000,
                               description="corners [[x, y], ...] [m], 3 to 10000, either order")

    @field_validator("vertices")
    @classmethod
    def _area(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        x, y = np.array(v, float).T
        if not abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) > 0:
            raise ValueError("the polygon has zero area")
        return v


_KINDS = ("cylinder", "ellipse", "rectangle", "polygon", "union", "intersection", "difference")
#: the combinations: their value is a list of shapes (difference: the first less the others)
_COMBINATIONS = ("union", "intersection", "difference")


class ShapeConfig(SchemaModel):
    """The xy cross-section of a layer or region: exactly one of the four forms or of the three
    combinations of shapes (nested to any depth), extruded over the layer's (or region's) z
    range."""

    cylinder: CylinderShape | None = Field(None, description="circle of a diameter")
    ellipse: EllipseShape | None = Field(None, description="ellipse of semi-axes a, b")
    rectangle: RectangleShape | None = Field(None, description="axis-aligned rectangle")
    polygon: PolygonShape | None = Field(None, description="polygon of vertices")
    union: list[ShapeConfig] | None = Field(
        None, min_length=2, max_length=100, description="cells in any of 2 to 100 shapes")
    intersection: list[ShapeConfig] | None = Field(
        None, min_length=2, max_length=100, description="cells in all of 2 to 100 shapes")
    difference: list[ShapeConfig] | None = Field(
        None, min_length=2, max_length=100,
        description="cells in the first of 2 to 100 shapes and in none of the others")

    @model_validator(mode="after")
    def _exactly_one(self) -> ShapeConfig:
        given = [k for k in _KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise_if([("", given or {}, "exactly one of cylinder, ellipse, rectangle, polygon, "
                       "union, intersection, difference must be given")])
        return self

    @property
    def kind(self) -> str:
        return next(k for k in _KINDS if getattr(self, k) is not None)

    def dump(self) -> Any:
        """The value of the form given (for messages)."""
        spec = getattr(self, self.kind)
        if self.kind in _COMBINATIONS:
            return [part.model_dump(exclude_none=True) for part in spec]
        return spec.model_dump()

    def to_shape(self, size_xy: tuple[float, float], z: tuple[float, float]) -> Shape:
        """The :class:`~spintorque.geometry.Shape` on a grid of xy size ``size_xy`` [m] between
        ``z = (z0, z1)`` [m]."""
        spec = getattr(self, self.kind)
        if self.kind in _COMBINATIONS:
            parts = [part.to_shape(size_xy, z) for part in spec]
            combined = parts[0]
            for part in parts[1:]:
                combined = {"union": combined.__or__, "intersection": combined.__and__,
                            "difference": combined.__sub__}[self.kind](part)
            return combined
        if self.kind == "polygon":
            return Polygon(tuple(spec.vertices), z=z)
        center = spec.center if spec.center is not None else (size_xy[0] / 2, size_xy[1] / 2)
        if self.kind == "cylinder":
            return Cylinder(center, spec.diameter / 2, z=z)
        if self.kind == "ellipse":
            return Cylinder(center, spec.a, spec.b, z=z, angle=spec.angle)
        half = (spec.size[0] / 2, spec.size[1] / 2)
        return Polygon(((center[0] - half[0], center[1] - half[1]),
                        (center[0] + half[0], center[1] - half[1]),
                        (center[0] + half[0], center[1] + half[1]),
                        (center[0] - half[0], center[1] + half[1])), z=z)


class RegionConfig(SchemaModel):
    """``[[region]]``: a material on the cells of a shape or mask within a z range; regions are
    placed over the layers in the order given (later ones over earlier ones)."""

    name: Name = Field(description="unique name among layers and regions, [A-Za-z0-9_-]+, "
                       f"not {EMPTY!r}")
    material: Name = Field(description="key of a [material.<key>] table")
    shape: ShapeConfig | None = Field(None, description="xy cross-section (one of shape, mask)")
    mask: Annotated[str, Strict(), Field(min_length=1, max_length=4096)] | None = Field(
        None, description="path (relative to the config file) to a .npy array or .ovf file of "
        "the grid's (nx, ny, nz) or (nx, ny) cells; nonzero = inside (one of shape, mask)"
    )
    z: tuple[Float, Float] | None = Field(
        None, description="z range (z0, z1) [m], 0 <= z0 < z1 <= mesh.size[2]; default: all"
    )
    initial: Any = Field(None, description="initial magnetization, as a layer's initial")

    @field_validator("initial", mode="before")
    @classmethod
    def _initial(cls, v: Any, info: ValidationInfo) -> Any:
        if v is None:
            return None
        from .sections import InitialConfig  # the same forms as a layer's

        return InitialConfig.model_validate(v, context=info.context)

    @field_validator("mask")
    @classmethod
    def _mask_file(cls, v: str | None, info: ValidationInfo) -> str | None:
        return None if v is None else data_file(v, info)

    @model_validator(mode="after")
    def _one_of(self) -> RegionConfig:
        if (self.shape is None) == (self.mask is None):
            raise_if([("", "shape and mask" if self.shape else "neither shape nor mask",
                       "exactly one of shape, mask must be given")])
        if self.z is not None and not self.z[0] < self.z[1]:
            raise_if([("z", list(self.z), "need z0 < z1 [m]")])
        return self


def data_file(v: str, info: ValidationInfo) -> str:
    """The absolute path of a ``.npy`` or ``.ovf`` file named in a config (relative to the
    validation context's ``base_dir``); ValueError if it has another suffix or does not exist."""
    if not v.lower().endswith((".npy", ".ovf")):
        raise ValueError("must name a .npy or .ovf file")
    base = (info.context or {}).get("base_dir")
    path = Path(v) if base is None else Path(base) / v
    try:
        ok = path.is_file()
    except (OSError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"file not found (looked for {str(path)!r})")
    return str(path.resolve())


# -- derived geometry ------------------------------------------------------------------------


def uses_geometry(cfg: RunConfig) -> bool:
    """Whether the config gives shapes or regions (else the sample is the plain layer stack)."""
    return bool(cfg.region) or any(layer.shape is not None for layer in cfg.layer)


def _grid(cfg: RunConfig) -> Grid:
    return Grid(cfg.grid_shape, tuple(float(c) for c in cfg.mesh.cell))


def _entries(cfg: RunConfig, grid: Grid) -> list[tuple[str, str, Any, int]]:
    """``(name, material key, shape or mask, index)`` of every layer then region; index:
    position in ``cfg.layer`` (layers) or in ``cfg.region`` (regions), negative for regions
    (``-1 - i``)."""
    cell_z, size = grid.cell[2], grid.size
    out = []
    for i, (layer, (_, k0, k1)) in enumerate(zip(cfg.layer, cfg.layer_cells(), strict=True)):
        z = (k0 * cell_z, k1 * cell_z)
        if layer.shape is None:
            spec: Any = np.zeros(grid.shape, bool)
            spec[:, :, k0:k1] = True
        else:
            spec = layer.shape.to_shape(size[:2], z)
        out.append((layer.name, layer.material, spec, i))
    for i, reg in enumerate(cfg.region):
        z = reg.z if reg.z is not None else (0.0, size[2])
        if reg.shape is not None:
            spec = reg.shape.to_shape(size[:2], z)
        else:
            spec = _ZLimited(reg.mask, z)
        out.append((reg.name, reg.material, spec, -1 - i))
    return out


class _ZLimited:
    """A mask file limited to a z range: resolved by :func:`_resolve`."""

    def __init__(self, path: str, z: tuple[float, float]) -> None:
        self.path, self.z = path, z


def _resolve(grid: Grid, name: str, spec: Any) -> Any:
    if isinstance(spec, _ZLimited):
        mask = region_mask(grid, spec.path, name)
        zc = grid.centers(2)
        return mask & ((zc >= spec.z[0]) & (zc <= spec.z[1]))[None, None, :]
    return spec


def shaped_sample(cfg: RunConfig) -> Sample:
    """The sample of a config with shapes or regions: every layer (its whole slab, or the cells
    of its shape in the slab) then every region, later over earlier; cells in none are empty
    (``"empty"``: Ms = 0, D0 = 0)."""
    grid = _grid(cfg)
    entries = _entries(cfg, grid)
    mats = {key: cfg.material[key].to_material(key) for _, key, _, _ in entries}
    return Sample.from_regions(grid, [(name, mats[key], _resolve(grid, name, spec))
                                      for name, key, spec, _ in entries])


def _where(index: int) -> str:
    return f"layer[{index}]" if index >= 0 else f"region[{-1 - index}]"


def geometry_config_problems(cfg: RunConfig) -> list[Problem]:
    """Names, materials and extents of shapes and regions (no grid arrays made): unique names
    among layers and regions, none ``"empty"``, known materials, initial states only on magnetic
    materials, shapes inside the grid's xy extent, z ranges inside [0, mesh.size[2]]."""
    out: list[Problem] = []
    size = cfg.mesh.size
    seen = {layer.name for layer in cfg.layer}
    for i, layer in enumerate(cfg.layer):
        if layer.name == EMPTY and uses_geometry(cfg):
            out.append((f"layer[{i}].name", layer.name, f"{EMPTY!r} is the name of the cells "
                        "outside every shape; choose another"))
        if layer.shape is not None:
            out += _extent_problems(f"layer[{i}].shape", layer.shape, size)
    from .checks import choices  # the names of the materials, with a close match

    for i, reg in enumerate(cfg.region):
        where = f"region[{i}]"
        if reg.name in seen or reg.name == EMPTY:
            out.append((f"{where}.name", reg.name, "must differ from every layer and region "
                        f"name and from {EMPTY!r}"))
        seen.add(reg.name)
        mat = cfg.material.get(reg.material)
        if mat is None:
            out.append((f"{where}.material", reg.material,
                        "must be a [material.*] key: " + choices(reg.material, cfg.material)))
        elif reg.initial is not None and not mat.magnetic:
            out.append((f"{where}.initial", reg.initial.kind,
                        f"not allowed: material {reg.material!r} is non-magnetic (Ms = 0)"))
        if reg.z is not None:
            for a, v in enumerate(reg.z):
                if not -REL_TOL * size[2] <= v <= size[2] * (1 + REL_TOL):
                    out.append((f"{where}.z[{a}]", v,
                                f"must lie in [0, mesh.size[2] = {size[2]!r}] m"))
        if reg.shape is not None:
            out += _extent_problems(f"{where}.shape", reg.shape, size)
    return out


def _extent_problems(path: str, shape: ShapeConfig, size: Any) -> list[Problem]:
    lo, hi = shape.to_shape((size[0], size[1]), (0.0, 1.0)).bounds()
    tol = [REL_TOL * s for s in size]
    bad = [a for a in range(2) if lo[a] < -tol[a] or hi[a] > size[a] + tol[a]]
    if not bad:
        return []
    span = ", ".join(f"{'xy'[a]} from {lo[a]:.6g} to {hi[a]:.6g} m" for a in range(2))
    grid = ", ".join(f"{'xy'[a]} in [0, {size[a]!r}] m" for a in range(2))
    return [(f"{path}.{shape.kind}", shape.dump(),
             f"must lie inside the grid ({grid}); it spans {span}")]


def region_cell_problems(cfg: RunConfig) -> list[Problem]:
    """Problems found on the grid (run once the rest passes and the grid fits in memory): a
    mask file that cannot be read or has the wrong shape, a layer or region without cells (none
    at the start or all covered by later ones), a region's initial file that does not fit."""
    if not uses_geometry(cfg):
        return []
    grid = _grid(cfg)
    entries = _entries(cfg, grid)
    index = np.full(grid.shape, -1, np.int32)
    out: list[Problem] = []
    for n, (name, _, spec, where) in enumerate(entries):
        try:
            mask = region_mask(grid, _resolve(grid, name, spec), name)
        except UserError as exc:
            out.append((f"{_where(where)}.mask", cfg.region[-1 - where].mask, str(exc)))
            continue
        if not mask.any():
            out.append((_shape_path(cfg, where), _shape_value(cfg, where),
                        f"contains no cell centre of the grid (cells {grid.shape} of "
                        f"{grid.cell} m): make it larger or move it"))
            continue
        index[mask] = n
    if out:
        return out
    for n, (name, _, _, where) in enumerate(entries):
        if not (index == n).any():
            out.append((_where(where), name, "has no cells left: later regions cover all of it"))
    for i, reg in enumerate(cfg.region):
        if not out and reg.initial is not None and reg.initial.file is not None:
            out += _initial_file_problem(grid, index == len(cfg.layer) + i, i, reg.initial.file)
    return out


def _shape_path(cfg: RunConfig, where: int) -> str:
    if where >= 0:
        return f"layer[{where}].shape"
    reg = cfg.region[-1 - where]
    return f"{_where(where)}.{'shape' if reg.shape is not None else 'mask'}"


def _shape_value(cfg: RunConfig, where: int) -> Any:
    obj = cfg.layer[where].shape if where >= 0 else cfg.region[-1 - where].shape
    if obj is None:
        return cfg.region[-1 - where].mask
    return {obj.kind: obj.dump()}


def _initial_file_problem(grid: Grid, cells: np.ndarray, i: int, path: str) -> list[Problem]:
    from ..io.ovf import read_initial_state

    ks = np.nonzero(cells.any(axis=(0, 1)))[0]
    try:
        read_initial_state(path, grid, (grid.n[0], grid.n[1], int(ks[-1] - ks[0] + 1)),
                           magnetic=cells)
    except UserError as exc:
        return [(f"region[{i}].initial.file", path, str(exc))]
    return []


def layer_cells_mask(cfg: RunConfig, i: int) -> np.ndarray | None:
    """Cells of a shaped ``layer[i]`` on the grid (None: the layer has no shape)."""
    layer = cfg.layer[i]
    if layer.shape is None:
        return None
    grid = _grid(cfg)
    _, k0, k1 = cfg.layer_cells()[i]
    return layer.shape.to_shape(grid.size[:2], (k0 * grid.cell[2], k1 * grid.cell[2])).on(grid)
