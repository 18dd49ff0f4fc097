"""examples/ubermag_trilayer.py (the talk's pillar from an Ubermag system with SpinMoment,
plotted with discretisedfield) runs and writes its figure and drive folders."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

pytest.importorskip("discretisedfield")
pytest.importorskip("micromagneticmodel")
pytest.importorskip("matplotlib")
pytest.importorskip("micromagneticdata")

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "ubermag_trilayer.py"


def test_ubermag_trilayer_example(tmp_path: Path):
    import micromagneticdata as md

    script = runpy.run_path(str(SCRIPT))
    png = script["main"](tmp_path / "out")
    assert png.is_file() and png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = md.Data("trilayer", dirname=str(tmp_path / "out"))
    assert data.n == 2  # MinDriver, TimeDriver
    drive = data[1]
    assert len(drive.table.data) == script["STEPS"]
    assert drive.n == script["STEPS"]
