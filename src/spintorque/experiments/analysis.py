"""Looking at the tables of switching runs: overlay runs, find where FM2 leaves −x.

:func:`compare_runs` (``spintorque compare``) overlays one layer's average magnetization of
several runs against time, joining the legs of a continued run
(:func:`~spintorque.experiments.followups.continue_run`) into one curve. :func:`excursions`
(``spintorque excursions``) reads every run of a sweep's folder and reports, per run, the
largest FM2 ⟨mx⟩ late in the run and when it first rose above a level: above the onset of
sustained motion FM2, reversed to −x within about 1 ns, leaves −x in excursions (⟨mx⟩ up to
+0.2…+0.6); at rest, or in a wobble that the ``moving_threshold`` classifier may still count as
moving, ⟨mx⟩ stays below about −0.65. So this criterion separates an excursion from a wobble,
which the final-window motion does not (``docs/results/switching.md``, "Onset of sustained
motion").

Every table is read with :func:`spintorque.io.table.read_table`. Times are in s and current
densities in A/m² at this interface; averages of the unit magnetization are dimensionless.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io.errors import UserError
from ..io.table import read_table

#: a run's folder in a sweep: ``runs/<model>/j<J>e10`` with J in units of 1e10 A/m²
RUN_DIR = re.compile(r"j([+-]?[0-9.]+)e10$")
#: where the runs' tables lie under a sweep's ``--out`` folder (or an archive of one)
RUN_TABLES = "runs/*/*/table.tsv"

PathLike = str | os.PathLike


# -- overlaying runs -------------------------------------------------------------------------

def parse_run_spec(spec: str) -> tuple[str, list[Path]]:
    """``"LABEL=PATH"`` or ``"LABEL=PATH1::PATH2::..."`` (the legs of a continued run) as
    ``(label, [paths])``; a :class:`~spintorque.io.errors.UserError` if it is not of that form."""
    label, sep, paths = spec.partition("=")
    legs = paths.split("::")
    if not sep or not label or not all(legs):
        raise UserError(f"run {spec!r}: expected LABEL=PATH to a table.tsv, or "
                        "LABEL=PATH1::PATH2 for a run continued from the final state of the "
                        "one before")
    return label, [Path(p) for p in legs]


def read_layer(path: PathLike, layer: str = "FM2") -> tuple[np.ndarray, np.ndarray]:
    """``(t [s], averages [1] of shape (rows, 3))`` of ``layer`` from a run's ``table.tsv``.

    Raises :class:`~spintorque.io.table.ColumnNotFound` (naming the layers the table has) if
    the table has no ``mx_<layer>``, ``my_<layer>``, ``mz_<layer>`` columns and a
    :class:`~spintorque.io.errors.UserError` if it has no rows yet."""
    table = read_table(path)
    m = table.averages(layer)
    if table.rows == 0:
        raise UserError(f"{path}: no rows yet (a run that has not written its first output)")
    return table.time, m


def read_continued(paths: Sequence[PathLike], layer: str = "FM2"
                   ) -> tuple[np.ndarray, np.ndarray]:
    """One run from the tables of its consecutive legs: ``(t [s], averages [1] (n, 3))``.

    Each leg's time is shifted to start where the previous one ended (the first starts at 0);
    a continued leg repeats its start, the previous leg's end, which is dropped."""
    if not paths:
        raise ValueError("paths is empty: need at least one table")
    ts, ms, t_end = [], [], 0.0
    for i, path in enumerate(paths):
        t, m = read_layer(path, layer)
        t = t - t[0] + t_end
        if i:
            t, m = t[1:], m[1:]
        ts.append(t)
        ms.append(m)
        t_end = t[-1] if t.size else t_end
    return np.concatenate(ts), np.concatenate(ms)


def compare_runs(
    png: PathLike,
    runs: Mapping[str, Sequence[PathLike]] | Iterable[tuple[str, Sequence[PathLike]]],
    layer: str = "FM2",
    title: str | None = None,
) -> Path:
    """Overlay ``layer``'s average magnetization [1] of several runs against time [ns] (PNG).

    ``runs``: ``{label: [table.tsv of each leg]}`` or ``(label, [tables])`` pairs (a label may
    then repeat); one leg is a plain run, several the legs of a continued run, joined by
    :func:`read_continued`. One panel per component. Returns the PNG's path. Raises a
    :class:`~spintorque.io.errors.UserError` naming the run for a missing table or one without
    the layer's columns.
    """
    items = list(runs.items()) if isinstance(runs, Mapping) else list(runs)
    if not items:
        raise UserError("no runs given: need at least one LABEL=PATH")
    curves = []
    for label, paths in items:
        legs = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
        for path in legs:
            if not Path(path).is_file():
                raise UserError(f"run {label!r}: no such table {str(path)!r}")
        t, m = read_continued(legs, layer)
        curves.append((label, t, m))
    from .. import plot  # matplotlib only when drawing

    return plot.plot_layer_overlay(curves, png, layer=layer, title=title)


# -- excursions of FM2 from -x ---------------------------------------------------------------

@dataclass(frozen=True)
class Excursion:
    """One run's excursion summary (a row of :func:`excursions_markdown`).

    ``model``: the folder's model; ``current`` [A/m²]; ``peak`` [1]: the largest FM2 ⟨mx⟩ from
    the window's start to the end; ``t_first`` [s]: the first time in that window FM2 ⟨mx⟩ rose
    above the level (None: never); ``t_end`` [s]: the table's last time; ``table``: its path.
    """

    model: str
    current: float
    peak: float
    t_first: float | None
    t_end: float
    table: Path


def first_excursion(path: PathLike, after: float = 1e-9, level: float = -0.5
                    ) -> tuple[float, float | None, float]:
    """``(largest FM2 ⟨mx⟩ [1] from after [s] on, first time [s] above level [1] or None,
    t_end [s])`` from a run's ``table.tsv``.

    Raises ``ValueError`` (a :class:`~spintorque.io.errors.UserError` for a table without an
    ``mx_FM2`` column or rows) if the table ends before ``after``: an unfinished run."""
    table = read_table(path)
    mx = table.column("mx_FM2")
    t = table.time
    if t.size == 0:
        raise UserError(f"{path}: no rows yet")
    late = t >= after
    if not late.any():
        raise ValueError(f"{path}: ends at {t[-1] * 1e9:.3g} ns, before the window from "
                         f"{after * 1e9:g} ns (--after)")
    above = np.flatnonzero(mx[late] > level)
    return float(mx[late].max()), float(t[late][above[0]]) if above.size else None, float(t[-1])


def run_tables(folder: PathLike) -> list[Path]:
    """The ``runs/<model>/j<J>e10/table.tsv`` files under a sweep's folder, sorted."""
    return sorted(p for p in Path(folder).glob(RUN_TABLES)
                  if RUN_DIR.search(p.parent.name) is not None)


def excursions(folder: PathLike, after: float = 1e-9, level: float = -0.5
               ) -> tuple[list[Excursion], list[str]]:
    """:func:`first_excursion` of every run of a sweep's ``--out`` folder (or its archive).

    ``after`` [s]: start of the window; ``level`` [1]: the FM2 ⟨mx⟩ that counts as leaving −x.
    Returns the rows, by model and current, and one message per table skipped (a run that
    ends before ``after``, or a table without FM2). Raises
    :class:`~spintorque.io.errors.UserError` if the folder holds no run tables.
    """
    tables = run_tables(folder)
    if not tables:
        raise UserError(f"SWEEP_DIR = {str(folder)!r}: no runs/<model>/j<J>e10/table.tsv under "
                        "it (a sweep's --out folder or its archive is needed)")
    rows, skipped = [], []
    for path in tables:
        match = RUN_DIR.search(path.parent.name)
        assert match is not None  # run_tables keeps only these
        try:
            peak, t_first, t_end = first_excursion(path, after, level)
        except ValueError as err:  # an unfinished run (or a table without FM2): say so, go on
            skipped.append(str(err))
            continue
        rows.append(Excursion(path.parent.parent.name, float(match.group(1)) * 1e10, peak,
                              t_first, t_end, path))
    rows.sort(key=lambda r: (r.model, r.current))
    return rows, skipped


def excursions_markdown(rows: Sequence[Excursion], after: float = 1e-9,
                        level: float = -0.5) -> str:
    """The rows of :func:`excursions` as a Markdown table (current in 1e10 A/m², times in ns)."""
    lines = [f"| model | j (1e10 A/m²) | max FM2 <mx> after {after * 1e9:g} ns (1) "
             f"| first FM2 <mx> > {level:g} (ns) | t_end (ns) |",
             "|---|---|---|---|---|"]
    for r in rows:
        first = "none" if r.t_first is None else f"{r.t_first * 1e9:.2f}"
        lines.append(f"| {r.model} | {r.current / 1e10:g} | {r.peak:.3f} | {first} "
                     f"| {r.t_end * 1e9:.2f} |")
    return "\n".join(lines)
