"""table.tsv writer: header cells, full precision, flush per row, truncation for resume."""

from __future__ import annotations

import numpy as np
import pytest

from spintorque.io.table import TableWriter, column, read_header, read_table, truncate_rows

COLUMNS = ["t (s)", "mx", "my", "mz", "E_total (J)"]


def test_rows_roundtrip_exactly(tmp_path):
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(7, 5)) * 1e-19
    path = tmp_path / "table.tsv"
    with TableWriter(path, COLUMNS) as table:
        for row in rows:
            table.append(row)
            # flushed at once: a reader sees the row before the writer closes
            assert read_table(path)[1].shape[0] == table.rows
    columns, data = read_table(path)
    assert columns == COLUMNS
    assert np.array_equal(data, rows)  # repr round-trips float64 exactly
    assert np.array_equal(column(path, "t"), rows[:, 0])
    assert np.array_equal(column(path, "E_total (J)"), rows[:, 4])
    text = path.read_text().splitlines()
    assert text[0] == "\t".join(COLUMNS)
    assert all(len(line.split("\t")) == 5 for line in text)


def test_partial_last_row_ignored_and_truncated(tmp_path):
    path = tmp_path / "table.tsv"
    with TableWriter(path, COLUMNS) as table:
        for k in range(5):
            table.append([k, 1, 0, 0, -k])
    with open(path, "a") as f:
        f.write("5\t1\t0")  # a kill in the middle of a row
    assert read_table(path)[1].shape == (5, 5)
    with TableWriter(path, COLUMNS, resume_rows=3) as table:
        table.append([3, 1, 0, 0, -3])
    data = read_table(path)[1]
    assert np.array_equal(data[:, 0], [0, 1, 2, 3])


def test_resume_checks_header_and_rows(tmp_path):
    path = tmp_path / "table.tsv"
    with TableWriter(path, COLUMNS) as table:
        table.append([0, 1, 0, 0, 0])
    with pytest.raises(ValueError, match="header"):
        TableWriter(path, COLUMNS[:4], resume_rows=1)
    with pytest.raises(ValueError, match="fewer than 4"):
        truncate_rows(path, 4)
    assert read_header(path) == COLUMNS
    with TableWriter(path, COLUMNS) as table, pytest.raises(ValueError, match="5 columns"):
        table.append([1.0, 2.0])
    with pytest.raises(KeyError, match="no column"):
        column(path, "mq")
