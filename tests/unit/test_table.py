"""table.tsv writer: header cells, full precision, flush per row, truncation for resume."""

from __future__ import annotations

import numpy as np
import pytest

from spintorque.io.errors import UserError
from spintorque.io.table import (
    ColumnNotFound,
    Table,
    TableWriter,
    column,
    read_header,
    read_table,
    split_cell,
    truncate_rows,
)

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


def test_table_reader_columns_units_and_layers(tmp_path):
    """The one reader of table.tsv: exact header cells, names without units, units, a layer's
    averages, and the older ``(columns, data)`` unpacking."""
    columns = ["t (s)", "mx", "my", "mz", "mx_FM1", "my_FM1", "mz_FM1", "mx_FM2", "my_FM2",
               "mz_FM2", "E_total (J)", "s_max (A/m)"]
    rows = np.arange(3 * len(columns), dtype=float).reshape(3, len(columns)) * 0.5
    path = tmp_path / "table.tsv"
    with TableWriter(path, columns) as table:
        for row in rows:
            table.append(row)
    tab = read_table(path)
    assert isinstance(tab, Table) and tab.source == path
    assert tab.columns == columns and tab.rows == 3
    assert tab.data.shape == (3, len(columns)) and tab.data.dtype == np.float64
    assert np.array_equal(tab.data, rows)
    assert tab.names[:2] == ["t", "mx"] and tab.names[-2:] == ["E_total", "s_max"]
    assert tab.units["t"] == "s" and tab.units["E_total"] == "J" and tab.units["s_max"] == "A/m"
    assert tab.units["mx_FM2"] == ""  # dimensionless columns carry no unit
    assert split_cell("t (s)") == ("t", "s") and split_cell("mx") == ("mx", "")
    # by exact header cell or by name without the unit
    assert np.array_equal(tab.column("t (s)"), rows[:, 0])
    assert np.array_equal(tab.column("t"), rows[:, 0]) and np.array_equal(tab.time, rows[:, 0])
    assert np.array_equal(tab["E_total"], rows[:, 10])
    assert tab.index("E_total (J)") == tab.index("E_total") == 10
    assert tab.has("mz_FM1") and not tab.has("mq")
    assert tab.layers == ["FM1", "FM2"]
    assert np.array_equal(tab.averages("FM2"), rows[:, 7:10])
    assert np.array_equal(tab.averages(), rows[:, 1:4])
    cols, data = tab  # the older tuple return
    assert cols == columns and data is tab.data and tab[1] is tab.data and tab[0] == columns


def test_table_reader_errors_name_the_file_and_what_is_there(tmp_path):
    path = tmp_path / "table.tsv"
    with TableWriter(path, COLUMNS) as table:
        table.append([0, 1, 0, 0, 0])
    tab = read_table(path)
    with pytest.raises(ColumnNotFound) as err:
        tab.column("mx_FM2")
    # a KeyError (a lookup by name) and a UserError (the CLI prints it, exit 2)
    assert isinstance(err.value, KeyError) and isinstance(err.value, UserError)
    text = str(err.value)
    assert text.startswith(f"{path}: no column 'mx_FM2'") and "E_total (J)" in text
    with pytest.raises(KeyError, match="no columns .*mx_FM2.*layers in it: none"):
        tab.averages("FM2")
    with pytest.raises(KeyError, match="no column 'E'"):
        tab["E"]  # a bare name is the whole name before " (", not a prefix

    bad = tmp_path / "bad.tsv"
    bad.write_text("t (s)\tmx\n0.0\t1.0\n1e-12\t0.5\t7\n2e-12\t0.4\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad.tsv, line 3: 3 cells for 2 columns"):
        read_table(bad)
    bad.write_text("t (s)\tmx\n0.0\tnan\n1e-12\tone\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad.tsv, line 3: not all numbers"):
        read_table(bad)
    bad.write_text("", encoding="utf-8")
    with pytest.raises(UserError, match="not a table"):
        read_table(bad)
    header_only = tmp_path / "new.tsv"
    TableWriter(header_only, COLUMNS).close()  # a run before its first row
    assert read_table(header_only).data.shape == (0, 5)
