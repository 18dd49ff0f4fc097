"""The stray-field (demag) term: ``H = N * (Ms m)`` with the Newell tensor; open boundaries or
periodic images."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
    precision : ``"float64"`` (default) or ``"float32"``: the FFT convolution in single
        precision (float32 transforms, complex64 spectra, the tensor spectrum stored in float32);
        m in and H out stay float64, and so does everything outside this term. H is then exact
        to about 1e-7 of max|H| (docs/performance.md, "Float32").
    pbc : ``(Rx, Ry, Rz)`` periodic images on each side along x, y, z (0: open, the default);
        the field is that of ``2R + 1`` copies of the sample (:mod:`.images`). Set-up cost and
        tensor memory grow like ``prod(R + 1)``.

    Energy: ``-mu0/2 sum(Ms V m·H)`` [J]. An instance reuses its FFT buffers: use one instance
    per thread.
    """

    name = "demag"
    precision = "float64"
    """Precision of the convolution; an instance attribute only when not the default, so that
    :meth:`spintorque.problem.Problem.identity` of a float64 problem stays as it was."""

    def __init__(
        self,
        sample: Sample,
        r_switch: float = R_SWITCH,
        threads: int | None = None,
        planner: str = "FFTW_MEASURE",
        pbc: tuple[int, int, int] | None = None,
        precision: str = "float64",
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
        self._planner = planner
        self._conv = PrunedConvolution(self.tensor, threads=threads, planner=planner,
                                       precision=precision)
        if precision != Demag.precision:
            self.precision = precision
        self.threads = self._conv.threads
        """FFTW threads of the transforms."""
        self._ms_volume = self._ms * grid.cell_volume
        self._vshape = grid.vshape
        self._tmp = np.zeros(grid.vshape)

    @contextmanager
    def full_precision(self) -> Iterator[None]:
        """Inside the block the field is computed in float64 whatever ``precision`` says (the
        relaxations use it: their energy-decrease tests stall on float32 round-off). A float32
        term builds a float64 convolution for the block and drops it after."""
        if self._conv.precision == "float64":
            yield
            return
        working = self._conv
        self._conv = PrunedConvolution(self.tensor, threads=working.threads,
                                       planner=self._planner)
        try:
            yield
        finally:
            self._conv = working

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
