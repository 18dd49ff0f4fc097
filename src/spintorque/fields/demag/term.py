"""The stray-field (demag) term: ``H = N * (Ms m)`` with the Newell tensor; open boundaries or
periodic images."""

from __future__ import annotations

import numpy as np

from ...materials import Sample
from ..base import quadratic_energy
from .convolution import PrunedConvolution
from .images import image_tensor, validate_repeats
from .newell import R_SWITCH, demag_tensor


class Demag:
    """Stray field H [A/m] of the magnetization ``Ms m``, shape ``(nx, ny, nz, 3)``.

    Parameters
    ----------
    sample : the grid and per-cell ``Ms`` [A/m]; non-magnetic cells (Ms = 0) are sources of
        nothing and get H = 0 (the field there is never used).
    r_switch : distance [largest cell edges] beyond which the tensor is the cell-averaged
        point-dipole kernel instead of Newell's formulas (see :mod:`.newell`).
    threads, planner : FFTW options, see :class:`.convolution.PrunedConvolution`; ``threads``
        None (default): the run's thread count (:func:`spintorque.threads.run_threads`, 1 unless
        ``run.threads`` / ``--threads`` / :func:`spintorque.threads.limit_threads` set it).
    pbc : ``(Rx, Ry, Rz)`` periodic images on each side along x, y, z (0: open, the default);
        the field is that of ``2R + 1`` copies of the sample (:mod:`.images`). Set-up cost and
        tensor memory grow like ``prod(R + 1)``.

    Energy: ``-mu0/2 sum(Ms V m·H)`` [J]. An instance reuses its FFT buffers: use one instance
    per thread.
    """

    name = "demag"

    def __init__(
        self,
        sample: Sample,
        r_switch: float = R_SWITCH,
        threads: int | None = None,
        planner: str = "FFTW_MEASURE",
        pbc: tuple[int, int, int] | None = None,
    ):
        grid = sample.grid
        self.sample = sample
        self._ms = np.ascontiguousarray(sample.param("Ms"), dtype=float)
        self._mask = sample.magnetic.astype(float)
        self.pbc = validate_repeats(pbc)
        if any(self.pbc):
            self.tensor = image_tensor(grid.n, grid.cell, self.pbc, r_switch)
        else:
            self.tensor = demag_tensor(grid.n, grid.cell, r_switch)
        """Tensor on non-negative offsets, ``(6, nx, ny, nz)``: xx, yy, zz, xy, xz, yz."""
        self._conv = PrunedConvolution(self.tensor, threads=threads, planner=planner)
        self.threads = self._conv.threads
        """FFTW threads of the transforms."""
        self._ms_volume = self._ms * grid.cell_volume
        self._vshape = grid.vshape
        self._tmp = np.zeros(grid.vshape)

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        """Stray field H [A/m] of unit magnetization ``m`` ``(nx, ny, nz, 3)``; ``t`` is unused."""
        if m.shape != self._vshape:
            raise ValueError(f"m.shape = {m.shape}: expected {self._vshape}")
        out = np.empty(self._vshape) if out is None else out
        return self._conv(np.ascontiguousarray(m, dtype=float), self._ms, self._mask, out)

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """out += the stray field [A/m] (the scatter adds, no temporary)."""
        if m.shape != self._vshape:
            raise ValueError(f"m.shape = {m.shape}: expected {self._vshape}")
        return self._conv(np.ascontiguousarray(m, dtype=float), self._ms, self._mask, out, True)

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        """Energy [J] from this term's field ``h`` = ``field(m)`` already computed."""
        return quadratic_energy(self._ms_volume, m, h)

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        """Magnetostatic energy [J]."""
        return quadratic_energy(self._ms_volume, m, self.field(m, t, out=self._tmp))
