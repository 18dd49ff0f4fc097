"""``table.tsv``: one row of averages and energies per output time.

Tab-separated text; the first line holds the header cells ``name (unit)`` (``mx`` and the other
dimensionless columns carry no unit). Every value is written as the shortest repr that reads back
to the same float64, and each row is flushed at once, so a killed run leaves whole rows behind (at
most one partial last row, which readers skip); a resumed run first cuts the file back to the row
count stored in its checkpoint (:func:`truncate_rows`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


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


def read_table(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """``(columns, data)`` with ``data`` of shape ``(rows, columns)``; a trailing partial row
    (from a kill in the middle of a write) is ignored."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    columns = lines[0].split("\t")
    # the last element is "" after a complete final row; anything else there is a partial row
    body = [ln.split("\t") for ln in lines[1:-1]]
    data = np.array(body, dtype=float).reshape(len(body), len(columns))
    return columns, data


def column(path: str | os.PathLike, name: str) -> np.ndarray:
    """One column by its header cell (``"t (s)"``) or bare name (``"t"``)."""
    columns, data = read_table(path)
    bare = [c.split(" (")[0] for c in columns]
    for names in (columns, bare):
        if name in names:
            return data[:, names.index(name)]
    raise KeyError(f"no column {name!r}; columns are {columns}")


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
