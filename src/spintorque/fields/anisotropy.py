"""Uniaxial anisotropy: energy density −Ku (m·u)², field H = 2 Ku/(mu0 Ms) (m·u) u [A/m]."""

from __future__ import annotations

import numba
import numpy as np

from ..constants import MU0
from ..materials import Sample
from .base import quadratic_energy, write_or_add


@numba.njit(cache=True)
def _uniaxial(m, u, pu, out, accumulate):
    """out (+)= pu (m·u) per cell, arrays ``(cells, 3)``: one pass instead of einsum + product."""
    for i in range(m.shape[0]):
        mu = m[i, 0] * u[i, 0] + m[i, 1] * u[i, 1] + m[i, 2] * u[i, 2]
        if accumulate:
            for c in range(3):
                out[i, c] += pu[i, c] * mu
        else:
            for c in range(3):
                out[i, c] = pu[i, c] * mu


class UniaxialAnisotropy:
    name = "anisotropy"

    def __init__(self, sample: Sample):
        ms = sample.param("Ms")
        ku = sample.param("Ku")
        magnetic = ms > 0
        pref = np.where(magnetic, 2.0 * ku / (MU0 * np.where(magnetic, ms, 1.0)), 0.0)
        self._u = np.ascontiguousarray(sample.axis(), dtype=float)
        self._pu = np.ascontiguousarray(pref[..., None] * self._u)
        # energy relative to the easy-axis state: −Ku (m·u)² (sign of Ku picks easy axis/plane)
        self._ms_volume = ms * sample.grid.cell_volume
        self._tmp = np.zeros(sample.grid.vshape)
        self.active = bool(np.any(pref != 0))

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros_like(m) if out is None else out
        if not self.active:
            out[...] = 0.0
            return out
        self._apply(m, out, False)
        return out

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """out += this term's field [A/m] (no temporary)."""
        if self.active:
            self._apply(m, out, True)
        return out

    def _apply(self, m: np.ndarray, out: np.ndarray, accumulate: bool) -> None:
        if m.flags.c_contiguous and out.flags.c_contiguous and m.dtype == np.float64:
            _uniaxial(m.reshape(-1, 3), self._u.reshape(-1, 3), self._pu.reshape(-1, 3),
                      out.reshape(-1, 3), accumulate)
            return
        write_or_add(out, self._pu * np.einsum("ijkl,ijkl->ijk", m, self._u)[..., None],
                     accumulate)

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        """Energy [J] from this term's field ``h`` = ``field(m)`` already computed."""
        return quadratic_energy(self._ms_volume, m, h)

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        return quadratic_energy(self._ms_volume, m, self.field(m, t, out=self._tmp))
