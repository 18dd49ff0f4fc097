"""Zeeman field: an applied field given as mu0·H in tesla (constant, per region, or of time).

Time dependence is a Python callable ``f(t) -> (Bx, By, Bz)`` [T] in the API; configs use the
safe named forms of :mod:`spintorque.config` (nothing in a config is ever evaluated as code).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..constants import MU0
from ..materials import Sample
from .base import linear_energy

FieldOfTime = Callable[[float], Sequence[float]]


class Zeeman:
    name = "zeeman"

    def __init__(
        self,
        sample: Sample,
        B: Sequence[float] | FieldOfTime | None = None,
        per_region: Mapping[str, Sequence[float]] | None = None,
    ):
        """``B``: mu0·H [T] everywhere (3-vector or callable of t [s]); ``per_region``: name ->
        mu0·H [T] added in that region only."""
        self._magnetic = sample.magnetic[..., None]
        self._static = np.zeros(sample.grid.vshape)
        self._func: FieldOfTime | None = None
        if callable(B):
            self._func = B
        elif B is not None:
            self._static[...] = np.asarray(B, float) / MU0
        self._regions = [(sample.mask(name), np.asarray(value, float) / MU0)
                         for name, value in (per_region or {}).items()]
        for mask, value in self._regions:
            self._static[mask] += value
        self._static *= self._magnetic
        self._uniform = np.zeros(3)  # the uniform static part [A/m], changed by set_B
        if B is not None and not callable(B):
            self._uniform = np.asarray(B, float) / MU0
        self._ms_volume = sample.param("Ms") * sample.grid.cell_volume
        self._tmp = np.zeros(sample.grid.vshape)

    def set_B(self, B: Sequence[float]) -> None:
        """Replace the uniform static field by ``B`` = mu0·H [T] (3-vector); the per-region
        parts and a time dependence stay (used between the steps of a hysteresis sweep)."""
        new = np.asarray(B, float) / MU0
        if new.shape != (3,) or not np.all(np.isfinite(new)):
            raise ValueError(f"Zeeman.set_B: B = {B!r} must be a finite 3-vector [T]")
        self._static[...] = new  # rebuilt as the constructor builds it: bit for bit the same
        for mask, value in self._regions:
            self._static[mask] += value
        self._static *= self._magnetic
        self._uniform = new

    @property
    def B(self) -> np.ndarray:
        """The uniform static field mu0·H [T] (3-vector; set by the constructor or set_B)."""
        return self._uniform * MU0

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros_like(m) if out is None else out
        out[...] = self._static
        if self._func is not None:
            out += self._magnetic * (np.asarray(self._func(t), float) / MU0)
        return out

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """out += this term's field [A/m]."""
        out += self._static
        if self._func is not None:
            out += self._magnetic * (np.asarray(self._func(t), float) / MU0)
        return out

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        """Energy [J] from this term's field ``h`` = ``field(m)`` already computed."""
        return linear_energy(self._ms_volume, m, h)

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        return linear_energy(self._ms_volume, m, self.field(m, t, out=self._tmp))
