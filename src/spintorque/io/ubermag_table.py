"""A run's table in the layout Ubermag's readers take: mumax3's ``table.txt``.

``ubermagtable.Table.fromfile`` (and ``micromagneticdata``, which reads a mumax3 drive's
``table.txt`` through it) accepts two layouts: OOMMF's ``.odt`` and mumax3's ``table.txt``. This
module writes the mumax3 one, because it maps onto ``table.tsv`` cell for cell:

- one header line, ``# `` then tab-separated cells ``name (unit)``, dimensionless columns with
  an empty unit ``()`` (``# t (s)<TAB>mx ()<TAB>my ()<TAB>mz ()<TAB>E_total (J) ...``);
- then one line of tab-separated numbers per output time, in the columns' SI units, each the
  shortest ``repr`` that reads back to the same float64 (as in ``table.tsv``).

(An OOMMF ``.odt`` would have to name every column after an OOMMF class, ``Oxs_<Class>:<term>:
<quantity>``, which the reader splits and renames by class: spintorque's own columns, the per-layer
averages, ``|s|_<layer>`` or ``T``, have no such class.)

Column names are those of ``table.tsv`` (:mod:`spintorque.outputs`), so every column keeps its
meaning and unit. ``ubermagtable`` renames a few mumax3 names when it reads the file; of
spintorque's columns only the total energy changes name: ``E_total`` is read as ``E``, the name
both Ubermag calculators give the total energy. :func:`ubermag_name` gives the name a column has
once read (``t``, ``mx``, ``my``, ``mz``, ``E``, ``E_exchange``, ``E_demag``, ``mx_FM1``,
``max|mxH|``, ``|s|_NM (A/m)`` read as ``|s|_NM``, ...). A name may not contain white space (the
reader splits a cell at its first space); any is written as ``_``.

Entry points:

- :func:`write_ubermag_table`: convert a finished (or running) ``table.tsv`` into ``table.txt``
  (``spintorque export table RUN_DIR``);
- :class:`UbermagTableWriter`: append rows as they come (what the run loop uses with
  ``[run] table_format = ["tsv", "mumax3"]``), resumable like ``table.tsv``'s writer;
- :func:`ubermag_header` / :func:`ubermag_name`: the header cells and the names after reading,
  for code that writes such a table itself (e.g. a calculator's drive folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import UserError
from .table import read_table, split_cell, truncate_rows

__all__ = ["LAYOUTS", "TABLE_FILES", "UbermagTableWriter", "check_layout", "table_path",
           "ubermag_header", "ubermag_name", "write_ubermag_table"]

#: layouts this module writes (``"mumax3"``: mumax3's ``table.txt``)
LAYOUTS: tuple[str, ...] = ("mumax3",)

#: the file name each layout has in a run folder (the name micromagneticdata looks for)
TABLE_FILES: dict[str, str] = {"mumax3": "table.txt"}

#: names ubermagtable's reader gives spintorque columns whose mumax3 name it renames
_RENAMED: dict[str, str] = {"E_total": "E"}

_SPACE = re.compile(r"\s+")


def check_layout(layout: str) -> str:
    """``layout`` if it is one of :data:`LAYOUTS`, else a :class:`UserError` naming it."""
    if layout not in LAYOUTS:
        raise UserError(f"table layout {layout!r} is not known; allowed: "
                        + ", ".join(repr(x) for x in LAYOUTS))
    return layout


def table_path(run_dir: str | os.PathLike, layout: str = "mumax3") -> Path:
    """Where a run folder holds its table in ``layout`` (``RUN_DIR/table.txt`` for mumax3)."""
    return Path(run_dir) / TABLE_FILES[check_layout(layout)]


def _cell(cell: str) -> tuple[str, str]:
    name, unit = split_cell(cell)
    return _SPACE.sub("_", name.strip()), _SPACE.sub("_", unit.strip())


def ubermag_header(columns: Iterable[str], layout: str = "mumax3") -> str:
    """The header line (with its newline) for ``table.tsv``-style cells ``name (unit)``.

    ``ubermag_header(["t (s)", "mx", "E_total (J)"])`` is ``"# t (s)\\tmx ()\\tE_total (J)\\n"``.
    """
    check_layout(layout)
    cells = [f"{name} ({unit})" for name, unit in map(_cell, columns)]
    return "# " + "\t".join(cells) + "\n"


def ubermag_name(cell: str) -> str:
    """The column name ``ubermagtable.Table.fromfile`` gives the ``table.tsv`` column ``cell``
    (header cell or bare name): ``"E_total (J)"`` -> ``"E"``, ``"t (s)"`` -> ``"t"``,
    ``"mx_FM1"`` -> ``"mx_FM1"``. Its unit is the cell's (``""`` for dimensionless columns)."""
    name = _cell(cell)[0]
    return _RENAMED.get(name, name)


def _format_row(values: Sequence[float]) -> str:
    # as table.tsv: shortest repr that reads back to the same float; + 0.0 turns -0.0 into 0.0
    return "\t".join(repr(float(v) + 0.0) for v in values) + "\n"


class UbermagTableWriter:
    """Append rows to a table in an Ubermag-readable layout (mumax3 ``table.txt``).

    Parameters
    ----------
    path : the file to write (``RUN_DIR/table.txt`` in a run folder)
    columns : header cells as in ``table.tsv``, ``name (unit)`` with SI units, no unit for
        dimensionless columns (e.g. ``["t (s)", "mx", "my", "mz", "E_total (J)"]``)
    layout : ``"mumax3"``
    resume_rows : None: the file is created anew. An integer: the existing file is kept, its
        header checked against ``columns`` and cut back to its first ``resume_rows`` rows (a
        ``ValueError`` if it cannot be: another header, fewer rows).

    ``append(values)`` writes one row (values in the columns' units) and flushes it, so a killed
    run leaves whole rows (at most one partial last row); ``sync()`` also fsyncs.
    """

    def __init__(self, path: str | os.PathLike, columns: Sequence[str],
                 layout: str = "mumax3", resume_rows: int | None = None) -> None:
        self.path = Path(path)
        self.layout = check_layout(layout)
        self.columns = list(columns)
        self.header = ubermag_header(self.columns, layout)
        if resume_rows is None:
            self._f = open(self.path, "w", encoding="utf-8")
            self._f.write(self.header)
            self._f.flush()
            self.rows = 0
        else:
            with open(self.path, encoding="utf-8") as f:
                found = f.readline()
            if found != self.header:
                raise ValueError(f"{self.path}: header {found.rstrip()!r} differs from the "
                                 f"columns of this run {self.header.rstrip()!r}")
            truncate_rows(self.path, resume_rows)
            self._f = open(self.path, "a", encoding="utf-8")
            self.rows = resume_rows

    def append(self, values: Sequence[float]) -> None:
        """Write one row (one value per column, in the columns' units) and flush it."""
        if len(values) != len(self.columns):
            raise ValueError(f"row has {len(values)} values for {len(self.columns)} columns")
        self._f.write(_format_row(values))
        self._f.flush()
        self.rows += 1

    def sync(self) -> None:
        """Flush and fsync (before a checkpoint counts the rows)."""
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self) -> UbermagTableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_ubermag_table(tsv_path: str | os.PathLike, out_path: str | os.PathLike | None = None,
                        layout: str = "mumax3", *, rows: int | None = None) -> Path:
    """Write the ``table.tsv`` at ``tsv_path`` in ``layout``; returns the path written.

    ``out_path``: None writes next to it under the layout's name (``table.txt``); a folder
    writes that name into it. ``rows``: only the first ``rows`` rows (None: all complete rows;
    a partial last row from a killed run is left out). Same values (bit for bit), same units.

    Raises :class:`UserError` for an unknown layout or a file that is not a table
    (:func:`spintorque.io.table.read_table`), ``FileNotFoundError`` for a missing one.
    """
    check_layout(layout)
    tsv_path = Path(tsv_path)
    table = read_table(tsv_path)
    if out_path is None:
        out = tsv_path.parent / TABLE_FILES[layout]
    else:
        out = Path(out_path)
        if out.is_dir():
            out = out / TABLE_FILES[layout]
    data = table.data if rows is None else table.data[:rows]
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(ubermag_header(table.columns, layout))
        f.writelines(_format_row(row) for row in data)
    os.replace(tmp, out)
    return out
