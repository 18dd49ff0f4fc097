"""Materials and their placement on the grid (regions).

A :class:`Material` holds the magnetic and transport parameters of one region in SI units.
A :class:`Sample` assigns one region to every cell of a :class:`~spintorque.mesh.Grid` and
turns per-region parameters into per-cell arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .constants import GAMMA0, HBAR, MU0
from .io.errors import UserError
from .mesh import Grid

if TYPE_CHECKING:
    from .geometry import MaskSpec


@dataclass(frozen=True)
class Material:
    """Parameters of one material, SI units.

    Magnetic: ``Ms`` [A/m] (0 for non-magnetic), ``A`` exchange stiffness [J/m], ``Ku`` uniaxial
    anisotropy [J/m^3] with energy density ``-Ku (m·axis)^2``, ``alpha`` Gilbert damping,
    ``gamma0`` = mu0·gamma [m/(A·s)].

    Transport (Zhang-Levy-Fert / moment model): ``D0`` diffusion constant [m^2/s] (0 means the
    region does not conduct), ``beta``, ``beta_prime`` polarizations, ``lambda_sf`` spin-flip
    length [m], ``J_sd`` s-d exchange energy [J]. ``lambda_J`` [m] and ``c_sd`` [T·m/A] override
    the values derived from ``J_sd`` (the magnum.fe-style legacy pair, docs/theory/parameters.md,
    the s-d coupling). Slonczewski (fixed-polarizer) parameters: ``P`` polarization, ``Lambda`` and
    ``eps_prime``. ``frozen``: the magnetization of this material does not move (a pinned
    reference layer, OOMMF's fixed spins, mumax3's ``FrozenSpins``); it still acts through every
    field term and drives the spin transport. Charge transport: ``sigma`` electrical
    conductivity [S/m] (None: not given; the charge-current solver of
    :mod:`spintorque.transport.charge` needs it wherever D0 > 0).

    Chiral and cubic terms (docs/theory/dmi.md): ``Dind`` interfacial DMI [J/m^2] (energy density
    ``Dind [m_z div m − (m·grad) m_z]``, interface normal +z), ``Dbulk`` bulk DMI [J/m^2]
    (``Dbulk m·curl m``); ``Kc1``, ``Kc2`` cubic anisotropy [J/m^3] (energy density
    ``Kc1 (a1²a2² + a2²a3² + a3²a1²) + Kc2 a1²a2²a3²``, ``a_k`` = m on the cube axes) with cube
    axes ``cubic_axis1``, ``cubic_axis2`` (orthogonal within 1e-6 in cos; stored orthonormal) and
    their cross product.
    """

    name: str = "vacuum"
    Ms: float = 0.0
    A: float = 0.0
    Ku: float = 0.0
    axis: tuple[float, float, float] = (1.0, 0.0, 0.0)
    alpha: float = 0.0
    gamma0: float = GAMMA0
    D0: float = 0.0
    beta: float = 0.0
    beta_prime: float = 0.0
    lambda_sf: float = math.inf
    J_sd: float = 0.0
    lambda_J: float | None = None
    c_sd: float | None = None
    P: float = 0.0
    Lambda: float = 1.0
    eps_prime: float = 0.0
    sigma: float | None = None
    Dind: float = 0.0
    Dbulk: float = 0.0
    Kc1: float = 0.0
    Kc2: float = 0.0
    cubic_axis1: tuple[float, float, float] = (1.0, 0.0, 0.0)
    cubic_axis2: tuple[float, float, float] = (0.0, 1.0, 0.0)
    frozen: bool = False

    def __post_init__(self) -> None:
        axis = np.asarray(self.axis, dtype=float)
        norm = float(np.linalg.norm(axis))
        if axis.shape != (3,) or not norm > 0:
            raise ValueError(
                f"material {self.name!r}: axis = {self.axis!r} must be a nonzero 3-vector"
            )
        object.__setattr__(self, "axis", tuple(float(v) for v in axis / norm))
        for key in ("Ms", "A", "Ku", "alpha", "gamma0", "D0", "J_sd"):
            value = getattr(self, key)
            if not (np.isfinite(value)):
                raise ValueError(f"material {self.name!r}: {key} = {value!r} must be finite")
        for key in ("Ms", "A", "alpha", "D0", "J_sd"):
            if getattr(self, key) < 0:
                raise ValueError(
                    f"material {self.name!r}: {key} = {getattr(self, key)!r} must be >= 0"
                )
        self._check_chiral_cubic()
        if self.sigma is not None and not (np.isfinite(self.sigma) and self.sigma >= 0):
            raise ValueError(
                f"material {self.name!r}: sigma = {self.sigma!r} S/m must be finite and >= 0"
            )

    def _check_chiral_cubic(self) -> None:
        """DMI and cubic-anisotropy parameters finite; cube axes nonzero and orthogonal within
        1e-6 (|cos| of their angle), then stored orthonormal (axis 2 made exactly orthogonal)."""
        for key in ("Dind", "Dbulk", "Kc1", "Kc2"):
            value = getattr(self, key)
            try:
                ok = bool(np.isfinite(float(value)))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ValueError(
                    f"material {self.name!r}: {key} = {value!r} must be a finite number"
                )
        units = []
        for key in ("cubic_axis1", "cubic_axis2"):
            raw = getattr(self, key)
            vec = np.asarray(raw, dtype=float)
            if vec.shape != (3,) or not np.all(np.isfinite(vec)):
                raise ValueError(f"material {self.name!r}: {key} = {raw!r} must be a finite "
                                 "3-vector")
            scale = float(np.abs(vec).max())
            if not scale > 0:
                raise ValueError(f"material {self.name!r}: {key} = {raw!r} must be nonzero")
            vec = vec / scale
            units.append(vec / np.linalg.norm(vec))
        cos = float(units[0] @ units[1])
        if abs(cos) > 1e-6:
            raise ValueError(
                f"material {self.name!r}: cubic_axis2 = {self.cubic_axis2!r} must be orthogonal "
                f"to cubic_axis1 = {self.cubic_axis1!r} (cos of their angle = {cos:.3g}; "
                "allowed |cos| <= 1e-6)"
            )
        second = units[1] - cos * units[0]
        second /= np.linalg.norm(second)
        object.__setattr__(self, "cubic_axis1", tuple(float(v) for v in units[0]))
        object.__setattr__(self, "cubic_axis2", tuple(float(v) for v in second))

    @property
    def magnetic(self) -> bool:
        return self.Ms > 0

    @property
    def conducting(self) -> bool:
        return self.D0 > 0

    @property
    def omega_J(self) -> float:
        """s-d precession frequency 2 D0 / lambda_J^2 [1/s] (0 if no s-d coupling)."""
        lj = self.effective_lambda_J
        return 0.0 if not math.isfinite(lj) else 2.0 * self.D0 / lj**2

    @property
    def effective_lambda_J(self) -> float:
        """lambda_J [m]: the override, else sqrt(2 hbar D0 / J_sd); inf without coupling."""
        if self.lambda_J is not None:
            return float(self.lambda_J)
        if self.J_sd > 0 and self.D0 > 0:
            return math.sqrt(2.0 * HBAR * self.D0 / self.J_sd)
        return math.inf

    @property
    def effective_c_sd(self) -> float:
        """s-d coupling c [T·m/A]: the override if given, else J_sd / (hbar gamma Ms)."""
        if self.c_sd is not None:
            return float(self.c_sd)
        if self.J_sd > 0 and self.Ms > 0:
            return self.J_sd * MU0 / (HBAR * self.gamma0 * self.Ms)
        return 0.0


VACUUM = Material()

#: parameters added after the first release, with the value that means "not used": left out of
#: :func:`material_fingerprint` at that value, so existing problems keep their identity
LATER_KEYS: dict[str, object] = {
    "sigma": None, "Dind": 0.0, "Dbulk": 0.0, "Kc1": 0.0, "Kc2": 0.0,
    "cubic_axis1": (1.0, 0.0, 0.0), "cubic_axis2": (0.0, 1.0, 0.0), "frozen": False,
}


def material_fingerprint(material: Material) -> str:
    """The dataclass ``repr`` of ``material`` without the :data:`LATER_KEYS` at their unused
    value (what problem identities hash)."""
    from dataclasses import fields

    parts = [f"{f.name}={getattr(material, f.name)!r}" for f in fields(material)
             if f.repr and not (f.name in LATER_KEYS
                                and getattr(material, f.name) == LATER_KEYS[f.name])]
    return f"{type(material).__name__}({', '.join(parts)})"

#: name of the region of cells that no shape or mask of :meth:`Sample.from_regions` covers
EMPTY = "empty"
#: parameters read per region by the transport (not through ``Sample.param``): no per-cell values
_PER_REGION_ONLY = ("name", "D0", "beta", "beta_prime", "lambda_sf", "J_sd", "lambda_J", "c_sd")


@dataclass(frozen=True)
class Sample:
    """Regions on a grid: ``region[i, j, k]`` indexes ``materials``.

    Parameters
    ----------
    grid : Grid
    region : int array, shape ``grid.shape``
    materials : one Material per region
    names : one name per region (e.g. layer names ``"FM1"``, ``"spacer"``)
    overrides : per-cell values ``(key, array)`` that replace the materials' values of a
        parameter (made by :meth:`with_param`; read-only arrays of ``grid.shape``, ``grid.vshape``
        for ``axis``)
    """

    grid: Grid
    region: np.ndarray
    materials: tuple[Material, ...]
    names: tuple[str, ...] = field(default=())
    overrides: tuple[tuple[str, np.ndarray], ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        region = np.asarray(self.region, dtype=np.int16)
        if region.shape != self.grid.shape:
            raise ValueError(f"region shape {region.shape} != grid shape {self.grid.shape}")
        if region.min() < 0 or region.max() >= len(self.materials):
            raise ValueError("region index out of range of materials")
        region.setflags(write=False)
        object.__setattr__(self, "region", region)
        object.__setattr__(self, "materials", tuple(self.materials))
        names = tuple(self.names) or tuple(m.name for m in self.materials)
        if len(names) != len(self.materials):
            raise ValueError("need one name per region")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "overrides", tuple(self.overrides))

    # -- construction helpers -------------------------------------------------------------
    @classmethod
    def uniform(cls, grid: Grid, material: Material, name: str | None = None) -> Sample:
        """The whole grid filled with one material."""
        return cls(grid, np.zeros(grid.shape, np.int16), (material,), (name or material.name,))

    @classmethod
    def box(cls, size: Sequence[float], cell: Sequence[float], material: Material,
            name: str | None = None) -> Sample:
        """A box of ``size`` [m] filled with one material, cut into cells of ``cell`` [m] (each
        size a whole number of cells, relative tolerance 1e-9)."""
        counts = []
        for axis, (length, step) in enumerate(zip(size, cell, strict=True)):
            ratio = float(length) / float(step)
            k = int(round(ratio))
            if k < 1 or abs(ratio - k) > 1e-9 * max(1.0, ratio):
                raise ValueError(f"size[{axis}] = {length!r} m is not a positive whole number of "
                                 f"cells of {step!r} m")
            counts.append(k)
        grid = Grid(tuple(counts), tuple(float(c) for c in cell))
        return cls.uniform(grid, material, name)

    @classmethod
    def stack(
        cls,
        nxy: tuple[int, int],
        cell: tuple[float, float, float],
        layers: Sequence[tuple[str, float, Material]],
    ) -> Sample:
        """Layers stacked along z, bottom first: ``(name, thickness [m], material)``.

        Every thickness must be a whole number of cells (relative tolerance 1e-9).
        """
        counts = []
        for name, thickness, _ in layers:
            ratio = thickness / cell[2]
            k = int(round(ratio))
            if k < 1 or abs(ratio - k) > 1e-9 * max(1.0, ratio):
                raise ValueError(
                    f"layer {name!r}: thickness = {thickness!r} m is not a positive whole number "
                    f"of cells of {cell[2]!r} m"
                )
            counts.append(k)
        grid = Grid((nxy[0], nxy[1], sum(counts)), cell)
        region = np.empty(grid.shape, np.int16)
        k0 = 0
        for idx, k in enumerate(counts):
            region[:, :, k0 : k0 + k] = idx
            k0 += k
        return cls(grid, region, tuple(m for _, _, m in layers), tuple(n for n, _, _ in layers))

    @classmethod
    def from_regions(
        cls, grid: Grid, regions: Sequence[tuple[str, Material, MaskSpec]],
    ) -> Sample:
        """Regions ``(name, material, shape_or_mask)`` on ``grid``, later entries over earlier
        ones; cells in none form the region ``"empty"`` (:data:`VACUUM`: Ms = 0, D0 = 0, no
        moment and no conduction). ``shape_or_mask``: a :class:`~spintorque.geometry.Shape`, a
        boolean array of ``grid.shape`` (or ``(nx, ny)``, taken for every z), a ``.npy`` or
        ``.ovf`` file (nonzero = inside), or a callable ``f(x, y, z)`` of cell centres [m]
        (:func:`spintorque.geometry.region_mask`). A cell belongs to a shape when its centre
        does (staircase). Unique names, none called ``"empty"``, and every region with at least
        one cell, else :class:`~spintorque.io.errors.UserError`."""
        from .geometry import region_index

        names = [str(name) for name, _, _ in regions]
        for name in names:
            if name == EMPTY or names.count(name) > 1:
                raise UserError(f"region name {name!r}: names must be unique and not {EMPTY!r} "
                                "(the name of the cells outside every region)")
        for name, mat, _ in regions:
            if not isinstance(mat, Material):
                raise UserError(f"region {name!r}: material is a {type(mat).__name__}; need a "
                                "spintorque.Material")
        index = region_index(grid, [(name, spec) for name, _, spec in regions])
        mats = [mat for _, mat, _ in regions]
        if (index < 0).any():
            index = np.where(index < 0, len(mats), index).astype(np.int16)
            mats.append(VACUUM)
            names.append(EMPTY)
        return cls(grid, index, tuple(mats), tuple(names))

    def with_param(
        self, key: str, values: float | np.ndarray | Callable[..., Any], region: str | None = None,
    ) -> Sample:
        """A new Sample whose parameter ``key`` takes per-cell ``values`` in ``region`` (None:
        every cell); the other cells keep their value. ``values``: a number, an array of
        ``grid.shape`` (``grid.vshape`` for ``axis``), or a callable ``f(x, y, z)`` of cell
        centres [m] returning such values (for ``axis``: ``(..., 3)`` or a 3-tuple of arrays).
        Every term that reads :meth:`param` / :meth:`axis` sees them. Units as in
        :class:`Material`; axis vectors are normalized. Transport parameters (``D0``, ``beta``,
        ``beta_prime``, ``lambda_sf``, ``J_sd``, ``lambda_J``, ``c_sd``) are read per region and
        cannot vary within one."""
        allowed = [k for k in Material.__dataclass_fields__ if k not in _PER_REGION_ONLY]
        if key not in allowed:
            raise UserError(f"with_param: key = {key!r}; per-cell values are allowed for "
                            f"{allowed} (the transport reads its parameters per region)")
        grid, is_axis = self.grid, key == "axis"
        shape = grid.vshape if is_axis else grid.shape
        if callable(values):
            x, y, z = grid.coordinates()
            values = values(x, y, z)
            if is_axis and isinstance(values, (tuple, list)) and len(values) == 3:
                values = np.stack(np.broadcast_arrays(*values), axis=-1)
        try:
            arr = np.broadcast_to(np.asarray(values, dtype=float), shape)
        except ValueError:
            raise UserError(f"with_param({key!r}): values of shape {np.shape(values)}; expected "
                            f"a number or the grid's {shape}") from None
        cells = np.ones(grid.shape, bool) if region is None else self.mask(region)
        if not np.all(np.isfinite(arr[cells])):
            raise UserError(f"with_param({key!r}): values must be finite in the cells set")
        if key in ("Ms", "A", "alpha") and np.any(arr[cells] < 0):
            raise UserError(f"with_param({key!r}): values must be >= 0")
        old = self.axis() if is_axis else self.param(key)
        if is_axis:
            norm = np.linalg.norm(arr, axis=-1)
            if np.any(norm[cells] == 0):
                raise UserError("with_param('axis'): axis vectors must be nonzero")
            arr = arr / np.where(norm > 0, norm, 1.0)[..., None]
            new = np.where(cells[..., None], arr, old)
        else:
            new = np.where(cells, arr, old)
        new = np.ascontiguousarray(new, dtype=float)
        new.setflags(write=False)
        kept = tuple((k, v) for k, v in self.overrides if k != key)
        return Sample(grid, self.region, self.materials, self.names, (*kept, (key, new)))

    # -- per-cell views -------------------------------------------------------------------
    def param(self, key: str) -> np.ndarray:
        """Per-cell array of a scalar material parameter, shape ``grid.shape`` (the
        :meth:`with_param` values where given)."""
        for k, v in self.overrides:
            if k == key:
                return v.copy()
        values = np.array([float(getattr(m, key)) for m in self.materials])
        return values[self.region]

    def axis(self) -> np.ndarray:
        """Per-cell anisotropy axis, shape ``grid.vshape`` (the :meth:`with_param` values where
        given)."""
        for k, v in self.overrides:
            if k == "axis":
                return v.copy()
        return np.array([m.axis for m in self.materials])[self.region]

    @property
    def magnetic(self) -> np.ndarray:
        """Boolean mask of magnetic cells."""
        return self.param("Ms") > 0

    @property
    def frozen(self) -> np.ndarray:
        """Boolean mask of the magnetic cells whose m is held fixed (materials with ``frozen``)."""
        return self.magnetic & np.array([bool(m.frozen) for m in self.materials])[self.region]

    def mask(self, name: str) -> np.ndarray:
        """Boolean mask of the cells of the region called ``name``."""
        if name not in self.names:
            raise KeyError(f"no region named {name!r}; regions are {list(self.names)}")
        return self.region == self.names.index(name)

    def z_range(self, name: str) -> tuple[int, int]:
        """``(k0, k1)``: the cells of region ``name`` lie in z cells ``k0 <= k < k1`` (for a layer
        of :meth:`stack`, its slab; for any other region, the slab holding it)."""
        ks = np.nonzero(self.mask(name).any(axis=(0, 1)))[0]
        if ks.size == 0:
            raise UserError(f"region {name!r} has no cells")
        return int(ks[0]), int(ks[-1]) + 1

    def is_slab(self, name: str) -> bool:
        """Whether region ``name`` fills whole xy planes of the z cells it spans."""
        k0, k1 = self.z_range(name)
        return bool(self.mask(name)[:, :, k0:k1].all())

    def is_layered(self) -> bool:
        """Whether every magnetic region is a full-plane z slab (as made by :meth:`stack`)."""
        return all(self.is_slab(n) for n, m in zip(self.names, self.materials, strict=True)
                   if m.magnetic and self.mask(n).any())

    def magnetic_layers(self) -> list[tuple[str, int, int]]:
        """Magnetic regions that are full-plane z slabs, as ``(name, k0, k1)``, bottom first.
        A magnetic region that is not (a shape, regions side by side) is a
        :class:`~spintorque.io.errors.UserError`: callers that need slabs cannot use it."""
        out = []
        for idx, mat in enumerate(self.materials):
            if not mat.magnetic:
                continue
            name = self.names[idx]
            k0, k1 = self.z_range(name)
            if not self.is_slab(name):
                raise UserError(f"magnetic region {name!r} is not a full-plane z layer (it "
                                f"fills {int(self.mask(name).sum())} of the "
                                f"{self.grid.n[0] * self.grid.n[1] * (k1 - k0)} cells of z "
                                f"cells {k0}..{k1 - 1}); this needs a layered sample")
            out.append((name, k0, k1))
        return sorted(out, key=lambda t: t[1])

    def average(self, m: np.ndarray, name: str | None = None) -> np.ndarray:
        """Average of unit vectors ``m`` over the magnetic cells (or over region ``name``)."""
        sel = self.magnetic if name is None else self.mask(name)
        return m[sel].mean(axis=0) if sel.any() else np.zeros(3)
