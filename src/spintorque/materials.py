"""Materials and their placement on the grid (regions).

A :class:`Material` holds the magnetic and transport parameters of one region in SI units.
A :class:`Sample` assigns one region to every cell of a :class:`~spintorque.mesh.Grid` and
turns per-region parameters into per-cell arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .constants import GAMMA0, HBAR, MU0
from .mesh import Grid


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
    ``eps_prime``.
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


@dataclass(frozen=True)
class Sample:
    """Regions on a grid: ``region[i, j, k]`` indexes ``materials``.

    Parameters
    ----------
    grid : Grid
    region : int array, shape ``grid.shape``
    materials : one Material per region
    names : one name per region (e.g. layer names ``"FM1"``, ``"spacer"``)
    """

    grid: Grid
    region: np.ndarray
    materials: tuple[Material, ...]
    names: tuple[str, ...] = field(default=())

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

    # -- per-cell views -------------------------------------------------------------------
    def param(self, key: str) -> np.ndarray:
        """Per-cell array of a scalar material parameter, shape ``grid.shape``."""
        values = np.array([float(getattr(m, key)) for m in self.materials])
        return values[self.region]

    def axis(self) -> np.ndarray:
        """Per-cell anisotropy axis, shape ``grid.vshape``."""
        return np.array([m.axis for m in self.materials])[self.region]

    @property
    def magnetic(self) -> np.ndarray:
        """Boolean mask of magnetic cells."""
        return self.param("Ms") > 0

    def mask(self, name: str) -> np.ndarray:
        """Boolean mask of the cells of the region called ``name``."""
        if name not in self.names:
            raise KeyError(f"no region named {name!r}; regions are {list(self.names)}")
        return self.region == self.names.index(name)

    def z_range(self, name: str) -> tuple[int, int]:
        """``(k0, k1)`` cell range along z of a layer made by :meth:`stack`."""
        ks = np.nonzero(self.mask(name).any(axis=(0, 1)))[0]
        return int(ks[0]), int(ks[-1]) + 1

    def magnetic_layers(self) -> list[tuple[str, int, int]]:
        """Magnetic regions that are full-plane z slabs, as ``(name, k0, k1)``, bottom first."""
        out = []
        for idx, mat in enumerate(self.materials):
            if not mat.magnetic:
                continue
            k0, k1 = self.z_range(self.names[idx])
            out.append((self.names[idx], k0, k1))
        return sorted(out, key=lambda t: t[1])

    def average(self, m: np.ndarray, name: str | None = None) -> np.ndarray:
        """Average of unit vectors ``m`` over the magnetic cells (or over region ``name``)."""
        sel = self.magnetic if name is None else self.mask(name)
        return m[sel].mean(axis=0) if sel.any() else np.zeros(3)
