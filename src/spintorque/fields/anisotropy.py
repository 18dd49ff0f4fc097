"""Uniaxial anisotropy: energy density −Ku (m·u)², field H = 2 Ku/(mu0 Ms) (m·u) u [A/m]."""

from __future__ import annotations

import numpy as np

from ..constants import MU0
from ..materials import Sample
from .base import quadratic_energy


class UniaxialAnisotropy:
    name = "anisotropy"

    def __init__(self, sample: Sample):
        ms = sample.param("Ms")
        ku = sample.param("Ku")
        magnetic = ms > 0
        pref = np.where(magnetic, 2.0 * ku / (MU0 * np.where(magnetic, ms, 1.0)), 0.0)
        self._u = sample.axis()
        self._pu = pref[..., None] * self._u
        # energy relative to the easy-axis state: −Ku (m·u)² (sign of Ku picks easy axis/plane)
        self._ms_volume = ms * sample.grid.cell_volume
        self._tmp = np.zeros(sample.grid.vshape)
        self.active = bool(np.any(pref != 0))

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros_like(m) if out is None else out
        if not self.active:
            out[...] = 0.0
            return out
        mu = np.einsum("ijkl,ijkl->ijk", m, self._u)
        np.multiply(self._pu, mu[..., None], out=out)
        return out

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        """Energy [J] from this term's field ``h`` = ``field(m)`` already computed."""
        return quadratic_energy(self._ms_volume, m, h)

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        return quadratic_energy(self._ms_volume, m, self.field(m, t, out=self._tmp))
