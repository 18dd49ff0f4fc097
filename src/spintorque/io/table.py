"""``table.tsv``: one row of averages and energies per output time.

Tab-separated text; the first line holds the header cells ``name (unit)`` (``mx`` and the other
dimensionless columns carry no unit). Every value is written as the shortest repr that reads back
to the same float64, and each row is flushed at once, so a killed run leaves whole rows behind (at
most one partial last row, which readers skip); a resumed run first cuts the file back to the row
count stored in its checkpoint (:func:`truncate_rows`).

Every reader of these files goes through :func:`read_table`, which returns a :class:`Table`
(columns by header cell or by name without the unit, the units, a layer's averages).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import UserError, show_value


class TableWriter:
    """Append rows to a tab-separated table.

    ``columns``: header cells, e.g. ``["t (s)", "mx", "my", "mz", "E_total (J)"]``. With
    ``resume_rows=None`` the file is created anew; with an integer the existing file is kept, its
    header checked against ``columns`` and cut back to its first ``resume_rows`` data rows.
    """

    def __init__(self, path: str | os.PathLike, columns: Sequence[str],
                 resume_rows: int | None = None):
        self.path = Path(path)
        self.columns = list(columns)
        if resume_rows is None:
            self._f = open(self.path, "w", encoding="utf-8")
            self._f.write("\t".join(self.columns) + "\n")
            self._f.flush()
            self.rows = 0
        else:
            header = read_header(self.path)
            if header != self.columns:
                raise ValueError(
                    f"{self.path}: header {header} differs from the columns of this run "
                    f"{self.columns}"
                )
            truncate_rows(self.path, resume_rows)
            self._f = open(self.path, "a", encoding="utf-8")
            self.rows = resume_rows

    def append(self, values: Sequence[float]) -> None:
        """Write one row (one value per column) and flush it to the OS."""
        if len(values) != len(self.columns):
            raise ValueError(f"row has {len(values)} values for {len(self.columns)} columns")
        # repr is the shortest string that reads back to the same float; + 0.0 turns -0.0 into 0.0
        self._f.write("\t".join(repr(float(v) + 0.0) for v in values) + "\n")
        self._f.flush()
        self.rows += 1

    def sync(self) -> None:
        """Flush and fsync, so the rows counted in a checkpoint are on disk before it."""
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_header(path: str | os.PathLike) -> list[str]:
    """Header cells of a table file."""
    with open(path, encoding="utf-8") as f:
        return f.readline().rstrip("\n").split("\t")


def split_cell(cell: str) -> tuple[str, str]:
    """``("t", "s")`` from the header cell ``"t (s)"``; ``("mx", "")`` from ``"mx"`` (no unit)."""
    name, sep, rest = cell.partition(" (")
    if sep and rest.endswith(")"):
        return name, rest[:-1]
    return cell, ""


class ColumnNotFound(UserError, KeyError):
    """A column asked for by name that the table does not have (the message lists those it has).

    A :class:`~spintorque.io.errors.UserError` (the CLI prints it and exits with code 2) and a
    ``KeyError`` (what a lookup by name raises)."""

    __str__ = BaseException.__str__  # not KeyError's repr of the message


@dataclass(frozen=True, eq=False)
class Table:
    """A ``table.tsv`` read into memory: header cells and values, one row per output time.

    ``columns``: the header cells as written, e.g. ``["t (s)", "mx", "mx_FM2", "E_total (J)"]``;
    ``data``: float64 array of shape ``(rows, len(columns))`` in the columns' units (SI);
    ``source``: the file it was read from (None if built in memory).

    A column is found by its header cell (``"t (s)"``) or by its name without the unit
    (``"t"``): ``table.column("t")`` or ``table["t"]``. For code written against the older
    ``(columns, data)`` tuple, ``columns, data = table`` and ``table[0]``, ``table[1]`` still
    work.
    """

    columns: list[str]
    data: np.ndarray
    source: Path | None = None

    def __post_init__(self) -> None:
        data = np.asarray(self.data, dtype=float)
        if data.ndim != 2 or data.shape[1] != len(self.columns):
            raise ValueError(f"{self._where()}table data of shape {data.shape} for "
                             f"{len(self.columns)} columns")
        object.__setattr__(self, "columns", list(self.columns))
        object.__setattr__(self, "data", data)

    def _where(self) -> str:
        return f"{self.source}: " if self.source is not None else ""

    @property
    def names(self) -> list[str]:
        """Column names without their units, in column order (``"t"``, ``"mx_FM2"``, ...)."""
        return [split_cell(c)[0] for c in self.columns]

    @property
    def units(self) -> dict[str, str]:
        """``{name: unit}`` for every column (``{"t": "s", "mx": "", ...}``); "" for the
        dimensionless columns, whose header cells carry no unit."""
        return dict(split_cell(c) for c in self.columns)

    @property
    def rows(self) -> int:
        """Number of complete data rows."""
        return self.data.shape[0]

    def index(self, name: str) -> int:
        """Position of a column given by header cell (``"t (s)"``) or bare name (``"t"``).

        Raises :class:`ColumnNotFound` naming the table and the columns it has."""
        if name in self.columns:
            return self.columns.index(name)
        names = self.names
        if name in names:
            return names.index(name)
        raise ColumnNotFound(f"{self._where()}no column {name!r}; columns are {self.columns}")

    def column(self, name: str) -> np.ndarray:
        """One column's values (a view, in the column's unit) by header cell or bare name."""
        return self.data[:, self.index(name)]

    def has(self, name: str) -> bool:
        """Whether a column of that header cell or bare name exists."""
        return name in self.columns or name in self.names

    @property
    def layers(self) -> list[str]:
        """Layers with a full set of average columns ``mx_<layer>``, ``my_<layer>``,
        ``mz_<layer>``, in column order (``["FM1", "FM2"]``; [] for a single-body table)."""
        names = set(self.names)
        return [n[3:] for n in self.names
                if n.startswith("mx_") and {f"my_{n[3:]}", f"mz_{n[3:]}"} <= names]

    def averages(self, layer: str | None = None) -> np.ndarray:
        """Average unit magnetization [1], shape ``(rows, 3)``: of ``layer`` (columns
        ``mx_<layer>``, ...) or, with None, of the whole magnet (``mx``, ``my``, ``mz``).

        Raises :class:`ColumnNotFound` naming the layers the table has."""
        names = [f"m{c}_{layer}" if layer else f"m{c}" for c in "xyz"]
        missing = [n for n in names if not self.has(n)]
        if missing:
            have = ", ".join(self.layers) or "none (no mx_<layer> columns)"
            raise ColumnNotFound(f"{self._where()}no columns {missing}; layers in it: {have}")
        return self.data[:, [self.index(n) for n in names]]

    @property
    def time(self) -> np.ndarray:
        """The time column ``t`` [s]."""
        return self.column("t")

    def __iter__(self) -> Iterator[Any]:  # ``columns, data = read_table(path)``
        return iter((self.columns, self.data))

    def __getitem__(self, key: int | str) -> Any:
        """``table["mx_FM2"]``: a column (as :meth:`column`); ``table[0]``, ``table[1]``: the
        columns and the data (the older tuple return of :func:`read_table`)."""
        if isinstance(key, str):
            return self.column(key)
        return (self.columns, self.data)[key]


def read_table(path: str | os.PathLike) -> Table:
    """The table in ``path`` as a :class:`Table` (which also unpacks as ``columns, data``).

    A trailing partial row (from a kill in the middle of a write) is ignored. A file that is not
    such a table (no header, a row with the wrong number of cells or a cell that is not a number
    before the last line) raises a :class:`~spintorque.io.errors.UserError` naming the file and
    the line; a missing file raises ``FileNotFoundError``."""
    path = Path(path)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    columns = lines[0].split("\t")
    if not lines[0].strip():
        raise UserError(f"{path}: not a table (empty first line; a table.tsv starts with its "
                        "tab-separated header)")
    # the last element is "" after a complete final row; anything else there is a partial row
    body = [ln.split("\t") for ln in lines[1:-1]]
    try:
        data = np.array(body, dtype=float).reshape(len(body), len(columns))
    except ValueError:
        for number, cells in enumerate(body, start=2):
            if len(cells) != len(columns):
                raise UserError(f"{path}, line {number}: {len(cells)} cells for "
                                f"{len(columns)} columns") from None
            try:
                [float(c) for c in cells]
            except ValueError:
                text = show_value("\t".join(cells))
                raise UserError(f"{path}, line {number}: not all numbers: {text}") from None
        raise
    return Table(columns, data, path)


def column(path: str | os.PathLike, name: str) -> np.ndarray:
    """One column of a table file by its header cell (``"t (s)"``) or bare name (``"t"``)."""
    return read_table(path).column(name)


def truncate_rows(path: str | os.PathLike, rows: int) -> None:
    """Keep the header and the first ``rows`` data rows of a table file, drop the rest."""
    path = Path(path)
    with open(path, "rb+") as f:
        content = f.read()
        offset = -1
        for _ in range(rows + 1):  # header + rows newlines
            offset = content.find(b"\n", offset + 1)
            if offset < 0:
                raise ValueError(f"{path}: fewer than {rows} complete rows; cannot resume")
        f.truncate(offset + 1)
        f.flush()
        os.fsync(f.fileno())
