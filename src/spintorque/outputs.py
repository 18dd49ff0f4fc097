"""What a run writes at its output times: table rows, OVF snapshots and in-memory frames.

Each output is a hook of :func:`spintorque.drive.drive`: called at the stops it asks for, asked
for its state before a checkpoint and given it back on resume.

Table columns: ``t (s)``, ``mx``, ``my``, ``mz`` (average over the magnetic cells), per magnetic
layer ``mx_<layer>``... when there are several, ``E_<term> (J)`` per term, ``E_total (J)``,
``max|mxH| (A/m)``, then the columns terms add themselves (``table_columns``; the spin
accumulation adds ``|s|_<layer> (A/m)`` per conducting layer).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .dynamics.llg import cross
from .io.errors import ResumeError
from .io.ovf import write_magnetization
from .io.table import TableWriter
from .io.ubermag_table import UbermagTableWriter, write_ubermag_table

if TYPE_CHECKING:
    from .drive import Stop
    from .problem import Problem


class TableFormat:
    """Columns and rows of a problem's table (see the module docstring)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self._buf: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @cached_property
    def _slabs(self) -> list[tuple[str, int, int]]:
        sample = self.problem.sample
        if sample.is_layered():
            return sample.magnetic_layers()
        # shaped or side-by-side regions: averaged by mask (see averages), listed bottom first
        regions = [(name, *sample.z_range(name))
                   for name, mat in zip(sample.names, sample.materials, strict=True)
                   if mat.magnetic and sample.mask(name).any()]
        return sorted(regions, key=lambda t: t[1])

    @cached_property
    def _masks(self) -> dict[str, np.ndarray] | None:
        """Cell masks of the magnetic regions when they are not all full-plane slabs."""
        sample = self.problem.sample
        if sample.is_layered():
            return None
        return {name: sample.mask(name) & sample.magnetic for name, _, _ in self._slabs}

    def columns(self) -> list[str]:
        """Header cells, ``name (unit)``."""
        cols = ["t (s)", "mx", "my", "mz"]
        if len(self._slabs) > 1:
            for name, _, _ in self._slabs:
                cols += [f"mx_{name}", f"my_{name}", f"mz_{name}"]
        terms = self.problem.all_terms
        cols += [f"E_{term.name} (J)" for term in terms]
        cols += ["E_total (J)", "max|mxH| (A/m)"]
        for term in terms:
            if hasattr(term, "table_columns"):
                cols += term.table_columns()
        return cols

    def averages(self, m: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """<m> over all magnetic cells and per magnetic layer (full-plane z slabs); sums over
        the slabs rather than boolean indexing (no copies)."""
        total, count, per_layer = np.zeros(3), 0, {}
        if self._masks is not None:
            for name, mask in self._masks.items():
                part, n = m[mask].sum(axis=0), int(mask.sum())
                per_layer[name] = part / max(n, 1)
                total += part
                count += n
            return (total / count if count else total), per_layer
        for name, k0, k1 in self._slabs:
            part = m[:, :, k0:k1].sum(axis=(0, 1, 2))
            n = m.shape[0] * m.shape[1] * (k1 - k0)
            per_layer[name] = part / n
            total += part
            count += n
        return (total / count if count else total), per_layer

    def energies_and_torque(self, t: float, m: np.ndarray) -> tuple[list[float], float]:
        """Energy of each term [J] and max|m × H| [A/m] from one field evaluation per term
        (a term's ``energy_from_field`` reuses the field just computed)."""
        if self._buf is None:
            vshape = self.problem.sample.grid.vshape
            self._buf = (np.zeros(vshape), np.zeros(vshape), np.zeros(vshape))
        total, buf, mxh = self._buf
        total[...] = 0.0
        energies = []
        for term in self.problem.all_terms:
            h = term.field(m, t, out=buf)
            total += h
            from_field = getattr(term, "energy_from_field", None)
            energies.append(float(from_field(m, h)) if from_field is not None
                            else float(term.energy(m, t)))
        self.problem.llg.free_cells(cross(m, total, out=mxh))  # frozen cells are held
        torque = float(np.sqrt(np.max(np.einsum("ijkl,ijkl->ijk", mxh, mxh))))
        return energies, torque

    def row(self, t: float, m: np.ndarray) -> list[float]:
        """One row at time t [s] for the state m, in the order of :meth:`columns`."""
        mean, per_layer = self.averages(m)
        values = [t, *mean]
        if len(per_layer) > 1:
            for name, _, _ in self._slabs:
                values += list(per_layer[name])
        energies, torque = self.energies_and_torque(t, m)
        values += energies
        values += [sum(energies), torque]
        for term in self.problem.all_terms:
            if hasattr(term, "table_values"):
                values += term.table_values(m, t)
        return values


def write_snapshot(problem: Problem, path: str | Path, t: float, m: np.ndarray,
                   vtk: bool = False) -> None:
    """OVF 2.0 snapshot of Ms·m [A/m] at time t [s]; with ``vtk`` also the same snapshot as
    VTK image data beside it (suffix ``.vti``: :func:`spintorque.io.vtk.write_vti`, with the
    region index)."""
    sample = problem.sample
    ms = sample.param("Ms")
    write_magnetization(path, m, ms, sample.grid, t=t)
    if vtk:
        from .io.vtk import write_vti

        write_vti(Path(path).with_suffix(".vti"), m * ms[..., None], sample.grid,
                  region=sample.region, region_names=sample.names)


class TableOutput:
    """Hook: a row of ``path`` (tab-separated, :class:`TableFormat`) at every stop with
    ``row``; resumes by cutting the file back to the checkpoint's row count.

    ``mirrors``: ``(layout, path)`` of further tables with the same rows in another layout
    (``("mumax3", out / "table.txt")``: :mod:`spintorque.io.ubermag_table`). A row is computed
    once and written to each. On resume a mirror is rewritten from ``path``'s kept rows (so one
    added to a run that has already started holds every row too)."""

    def __init__(self, problem: Problem, path: str | Path,
                 mirrors: Sequence[tuple[str, str | Path]] = ()) -> None:
        self.format = TableFormat(problem)
        self.path = Path(path)
        self.mirrors = [(layout, Path(p)) for layout, p in mirrors]
        self.writer: TableWriter | None = None
        self.mirror_writers: list[UbermagTableWriter] = []

    def open(self, resume_state: dict[str, Any] | None) -> None:
        rows = None if resume_state is None else int(resume_state.get("rows", 0))
        columns = self.format.columns()
        try:
            self.writer = TableWriter(self.path, columns, resume_rows=rows)
        except (ValueError, FileNotFoundError) as exc:
            raise ResumeError(f"{self.path.parent}: cannot resume: {exc}; use another output "
                              "folder, or delete this one to start afresh") from None
        for layout, path in self.mirrors:
            if rows is not None:  # the kept rows of table.tsv, bit for bit
                write_ubermag_table(self.path, path, layout, rows=rows)
            self.mirror_writers.append(UbermagTableWriter(path, columns, layout,
                                                          resume_rows=rows))

    def __call__(self, stop: Stop, t: float, m: np.ndarray) -> None:
        if stop.row:
            values = self.format.row(t, m)
            self.writer.append(values)
            for mirror in self.mirror_writers:
                mirror.append(values)

    def state(self) -> dict[str, Any]:
        self.writer.sync()  # the rows a checkpoint counts are on disk before it
        for mirror in self.mirror_writers:
            mirror.sync()
        return {"rows": self.writer.rows}

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        for mirror in self.mirror_writers:
            mirror.close()


class SnapshotOutput:
    """Hook: ``folder/m_NNNNNN.ovf`` at every stop with ``snapshot``, numbered 0, 1, 2, ... in
    time order (the number is the count of snapshot stops before it). With ``vtk`` also
    ``m_NNNNNN.vti`` beside each and the collection ``m.pvd`` (:mod:`spintorque.io.vtk`) of
    the snapshots so far with their times [s], rewritten at every checkpoint and at the end."""

    def __init__(self, problem: Problem, folder: str | Path, stops: list[Stop],
                 vtk: bool = False) -> None:
        self.problem = problem
        self.folder = Path(folder)
        self.number = {id(st): k for k, st in enumerate(st for st in stops if st.snapshot)}
        self.vtk = vtk
        self._series: dict[str, tuple[float, Path]] = {}
        self._stale = False

    def open(self, resume_state: dict[str, Any] | None) -> None:
        if self.vtk and resume_state is not None:
            from .io.vtk import SERIES, read_pvd

            pvd = self.folder / SERIES
            if pvd.is_file():  # the snapshots before the checkpoint stay in the series
                self._series = {p.name: (t, p) for t, p in read_pvd(pvd) if p.is_file()}

    def __call__(self, stop: Stop, t: float, m: np.ndarray) -> None:
        if stop.snapshot:
            path = self.folder / f"m_{self.number[id(stop)]:06d}.ovf"
            write_snapshot(self.problem, path, t, m, vtk=self.vtk)
            if self.vtk:
                vti = path.with_suffix(".vti")
                self._series[vti.name] = (t, vti)
                self._stale = True

    def _write_series(self) -> None:
        if self._stale:
            from .io.vtk import SERIES, write_pvd

            write_pvd(self.folder / SERIES, list(self._series.values()))
            self._stale = False

    def state(self) -> dict[str, Any]:
        self._write_series()
        return {}

    def close(self) -> None:
        self._write_series()
