"""The Python-first problem object gives the CLI's run: examples/sp4_python.py (one import line,
SP4 set up from parts) writes the same table, final state and files as
``spintorque run examples/sp4_field1.toml``, bit for bit (same process, so the same FFT plans)."""

from __future__ import annotations

import runpy
from pathlib import Path

from spintorque.config import load_config
from spintorque.simulation import run_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_sp4_from_python_matches_the_cli(tmp_path: Path):
    script = runpy.run_path(str(EXAMPLES / "sp4_python.py"))
    script["main"](str(tmp_path / "py"))
    run_config(load_config(EXAMPLES / "sp4_field1.toml"), tmp_path / "cli", progress=None)
    for name in ("table.tsv", "relaxed.ovf", "final.ovf"):
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    for name in ("checkpoint.npz", "DONE"):
        assert (tmp_path / "py" / name).is_file()
    assert len((tmp_path / "py" / "table.tsv").read_text().splitlines()) == 1002
