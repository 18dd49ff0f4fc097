"""Follow-ups of a switching sweep, as API functions and ``spintorque`` verbs: continue a
finished run from its final state and overlay both legs, refine a relaxed state to a finer
mesh, archive a sweep's resumable state, find FM2's excursions from −x (smoke preset,
seconds)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from spintorque.cli import main as cli
from spintorque.experiments.analysis import (
    compare_runs,
    excursions,
    excursions_markdown,
    read_continued,
)
from spintorque.experiments.followups import continue_run, refine_relaxed
from spintorque.io.errors import UserError
from spintorque.io.table import read_table
from spintorque.sweep.archive import archive_sweep


def _cli(*args: str):
    """Run ``spintorque ARGS`` in-process; a bug (an exception other than a clean exit) fails
    the test with its traceback instead of passing as exit code 1."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _m_columns(table) -> list[int]:
    """Positions of the magnetization averages (total, per layer) among a table's columns."""
    return [i for i, name in enumerate(table.names)
            if name[:2] in ("mx", "my", "mz") and (len(name) == 2 or name[2] == "_")]


def test_continue_starts_from_the_final_state_and_compare_joins_the_legs(tmp_path):
    from spintorque.experiments.runner import run_switching_point
    from spintorque.experiments.trilayer import preset

    first = tmp_path / "first"
    exp = preset("smoke", model="diffusion", duration=0.05e-9, min_duration=0.05e-9)
    run_switching_point(exp, 10e10, out_dir=first, figures=False, checkpoint_every=None)
    second = tmp_path / "second"
    done = _cli("continue", first, second, "--model", "diffusion", "--current", "10",
                "--preset", "smoke", "--duration", "0.05", "--moving-threshold", "0.2")
    assert done.exit_code == 0, done.output
    res = json.loads(done.stdout.strip().splitlines()[-1])
    assert res["state"] == "FM2 +x" and set(res["motion"]) == {"FM1", "FM2"}
    assert res["current_1e10"] == 10 and res["model"] == "diffusion"
    # the second leg's m starts exactly where the first ended (s is solved afresh, so the
    # transport columns agree only to the solver tolerance)
    one, two = read_table(first / "table.tsv"), read_table(second / "table.tsv")
    m_cols = _m_columns(one)
    assert len(m_cols) >= 9  # total, FM1, FM2
    assert two.columns == one.columns
    np.testing.assert_allclose(two.data[0, m_cols], one.data[-1, m_cols], atol=1e-12)

    # the API: a third leg from the second's final state, 0.05 ns [s] at 10e10 A/m²
    third = tmp_path / "third"
    res3 = continue_run(second, third, "diffusion", 10e10, preset="smoke", duration=0.05e-9)
    assert res3["current"] == 10e10 and res3["t_end"] == pytest.approx(0.05e-9)
    three = read_table(third / "table.tsv")
    np.testing.assert_allclose(three.data[0, m_cols], two.data[-1, m_cols], atol=1e-12)

    png = tmp_path / "both.png"
    joined = _cli("compare", png, f"10={first / 'table.tsv'}::{second / 'table.tsv'}",
                  "--title", "two legs")
    assert joined.exit_code == 0 and png.stat().st_size > 5000, joined.output
    # the joined run: each leg's time continues the last, the repeated start dropped
    legs = [first / "table.tsv", second / "table.tsv", third / "table.tsv"]
    t, m = read_continued(legs, "FM2")
    assert t.size == one.rows + two.rows + three.rows - 2 and np.all(np.diff(t) > 0)
    assert t[-1] == pytest.approx(0.15e-9)
    np.testing.assert_array_equal(m[: one.rows], one.averages("FM2"))
    api_png = compare_runs(tmp_path / "api.png", {"three legs": legs, "first": [legs[0]]},
                           layer="FM1")
    assert api_png.stat().st_size > 5000

    missing = _cli("continue", tmp_path, tmp_path / "x", "--model", "diffusion",
                   "--current", "10", "--preset", "smoke")
    assert missing.exit_code == 2 and "no final.npy" in missing.stderr
    assert "RUN_DIR" in missing.stderr
    with pytest.raises(UserError, match="no final.npy"):
        continue_run(tmp_path, tmp_path / "x", "diffusion", 10e10, preset="smoke")
    wrong_grid = _cli("continue", first, tmp_path / "x", "--model", "diffusion",
                      "--current", "10", "--preset", "medium")
    assert wrong_grid.exit_code == 2 and "shape" in wrong_grid.stderr
    bad_model = _cli("continue", first, tmp_path / "x", "--model", "drift", "--current", "10")
    assert bad_model.exit_code == 2 and "diffusion" in bad_model.stderr

    no_layer = _cli("compare", png, f"a={first / 'table.tsv'}", "--layer", "FM3")
    assert no_layer.exit_code == 2 and "FM3" in no_layer.stderr and "FM2" in no_layer.stderr
    no_label = _cli("compare", png, str(first / "table.tsv"))
    assert no_label.exit_code == 2 and "LABEL=PATH" in no_label.stderr
    no_file = _cli("compare", png, f"a={tmp_path / 'nope.tsv'}")
    assert no_file.exit_code == 2 and "nope.tsv" in no_file.stderr


def _synthetic_table(folder: Path, mx_fm2: np.ndarray, dt: float = 1e-11) -> None:
    folder.mkdir(parents=True)
    t = dt * np.arange(mx_fm2.size)
    rows = "\n".join(f"{a:.17g}\t{b:.17g}\t0.0" for a, b in zip(t, mx_fm2, strict=True))
    (folder / "table.tsv").write_text(f"t (s)\tmx_FM2\tmy_FM2\n{rows}\n", encoding="utf-8")


def test_excursions_separates_an_excursion_from_a_wobble_at_minus_x(tmp_path):
    t = 1e-11 * np.arange(201)  # 0 .. 2 ns
    reversed_ = np.where(t < 0.8e-9, 0.75 - 2e9 * t, -0.85)
    wobble = reversed_ + 0.1 * np.sin(2 * np.pi * t / 0.2e-9) * (t > 1e-9)
    excursion = np.where((t >= 1.5e-9) & (t < 1.8e-9), 0.3, reversed_)
    _synthetic_table(tmp_path / "runs" / "moment" / "j+86.8e10", wobble)
    _synthetic_table(tmp_path / "runs" / "moment" / "j+86.9e10", excursion)
    _synthetic_table(tmp_path / "runs" / "moment" / "j+90e10", reversed_[:50])  # unfinished
    done = _cli("excursions", tmp_path)
    assert done.exit_code == 0, done.output
    rows = {line.split("|")[2].strip(): line.split("|")[3:5] for line in done.stdout.splitlines()
            if line.startswith("| moment")}
    assert set(rows) == {"86.8", "86.9"}  # 90 ends at 0.49 ns, before --after 1 ns: skipped
    assert float(rows["86.8"][0]) < -0.7 and rows["86.8"][1].strip() == "none"
    assert float(rows["86.9"][0]) == 0.3 and float(rows["86.9"][1]) == 1.5
    assert "ends at 0.49 ns" in done.stderr

    # the API, in SI: the same rows, the window from 1 ns
    found, skipped = excursions(tmp_path, after=1e-9, level=-0.5)
    assert [(r.model, r.current) for r in found] == [("moment", 86.8e10), ("moment", 86.9e10)]
    assert found[0].t_first is None and found[1].t_first == pytest.approx(1.5e-9)
    assert found[1].peak == 0.3 and found[1].t_end == pytest.approx(2e-9)
    assert len(skipped) == 1 and "ends at 0.49 ns" in skipped[0]
    assert excursions_markdown(found) == "\n".join(
        ln for ln in done.stdout.strip().splitlines())
    # a lower window start sees the unfinished run too; a higher level misses the excursion
    early, _ = excursions(tmp_path, after=0.2e-9, level=0.5)
    assert len(early) == 3 and all(r.t_first is None for r in early)

    empty = _cli("excursions", tmp_path / "runs")
    assert empty.exit_code == 2 and "no runs/" in empty.stderr
    with pytest.raises(UserError, match="no runs/"):
        excursions(tmp_path / "runs")
    # the installed entry point: a clean message, no traceback
    proc = subprocess.run([sys.executable, "-m", "spintorque.cli", "excursions",
                           str(tmp_path / "runs")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "no runs/" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_refine_writes_the_cache_a_finer_sweep_loads(tmp_path):
    """The coarse relaxed state, split into sub-cells and relaxed again, lands under the name
    the sweep's relax task looks for; a cell that does not refine the grid is a clear error."""
    from spintorque.experiments.runner import relax_state
    from spintorque.experiments.trilayer import preset

    coarse_exp = preset("smoke")
    coarse = tmp_path / "coarse.npy"
    m_coarse, _ = relax_state(coarse_exp, coarse)
    out = tmp_path / "fine"
    done = _cli("refine", coarse, out, "--preset", "smoke", "--cell", "16,16,10")
    assert done.exit_code == 0, done.output
    fine_exp = preset("smoke", cell=(16e-9, 16e-9, 10e-9))
    cache = out / f"relaxed_{fine_exp.digest(relax_only=True)}.npy"
    assert str(cache) in done.stdout and "factors [1, 1, 2]" in done.stdout
    m_fine, info = relax_state(fine_exp, cache)
    assert info == {"cached": str(cache)}  # the sweep would load it, not relax afresh
    assert m_fine.shape == (*m_coarse.shape[:2], 2 * m_coarse.shape[2], 3)
    # a state relaxed on the coarse grid is near a fine-grid minimum: the average moves by
    # 1.6e-3 here, where a fresh fine-grid relaxation (a new random FM1) ends 1.0e-2 away in
    # mx and 7e-3 in my, so 3e-3 tells the two apart
    np.testing.assert_allclose(m_fine.mean(axis=(0, 1, 2)), m_coarse.mean(axis=(0, 1, 2)),
                               atol=3e-3)

    bad = _cli("refine", coarse, out, "--preset", "smoke", "--cell", "16,16,15")
    assert bad.exit_code == 2 and "whole number of cells" in bad.stderr
    assert "--cell" in bad.stderr
    malformed = _cli("refine", coarse, out, "--preset", "smoke", "--cell", "16,16")
    assert malformed.exit_code == 2 and "DX,DY,DZ" in malformed.stderr
    no_file = _cli("refine", tmp_path / "nope.npy", out, "--cell", "4,4,2")
    assert no_file.exit_code == 2 and "nope.npy" in no_file.stderr
    # the API, in m: a state whose grid the fine cell does not divide
    odd = tmp_path / "odd.npy"
    np.save(odd, np.ones((3, 3, 3, 3)) / np.sqrt(3))
    with pytest.raises(UserError, match="whole factors"):
        refine_relaxed(odd, out, (16e-9, 16e-9, 10e-9), preset="smoke")
    np.save(odd, np.zeros_like(m_coarse))  # the right grid, but not a magnetization
    with pytest.raises(UserError, match="not a unit magnetization"):
        refine_relaxed(odd, out, (16e-9, 16e-9, 10e-9), preset="smoke")


def test_archive_copies_what_a_resume_needs(tmp_path):
    from spintorque.sweep.store import Store

    src = tmp_path / "sweep"
    src.mkdir()
    with Store(src / "store.sqlite") as store:
        store.add("moment/j=10e10/x", {"kind": "switching", "out": str(src / "runs")})
        store.set_meta("out_dir", str(src))
    np.save(src / "relaxed_abc.npy", np.ones((2, 2, 2, 3)))
    done_run = src / "runs" / "moment" / "j+10e10"
    busy_run = src / "runs" / "moment" / "j+20e10"
    for run in (done_run, busy_run):
        run.mkdir(parents=True)
        (run / "table.tsv").write_text("t (s)\tmx\n0.0\t1.0\n", encoding="utf-8")
    for name in ("final.npy", "layers.png", "mt.png"):
        (done_run / name).write_bytes(b"x")
    (busy_run / "checkpoint.npz").write_bytes(b"ck")
    dest = tmp_path / "archive"
    stale = dest / "runs" / "moment" / "j+10e10" / "checkpoint.npz"  # from an earlier archive
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")

    done = _cli("archive", src, dest)
    assert done.exit_code == 0, done.output
    assert f"archived {src} -> {dest}" in done.stdout
    copied = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert copied == ["relaxed_abc.npy", "runs/moment/j+10e10/mt.png",
                      "runs/moment/j+10e10/table.tsv", "runs/moment/j+20e10/checkpoint.npz",
                      "runs/moment/j+20e10/table.tsv", "store.sqlite"]
    with sqlite3.connect(dest / "store.sqlite") as db:
        assert db.execute("SELECT key FROM tasks").fetchall() == [("moment/j=10e10/x",)]
    assert archive_sweep(src, dest) == {"runs": 2, "in_flight": 1, "relaxed": 1}

    no_store = _cli("archive", tmp_path / "archive" / "runs", tmp_path / "x")
    assert no_store.exit_code == 2 and "no store.sqlite" in no_store.stderr
    assert "SWEEP_DIR" in no_store.stderr
    itself = _cli("archive", src, src)
    assert itself.exit_code == 2 and "DEST" in itself.stderr
    absent = _cli("archive", tmp_path / "nowhere", tmp_path / "x")
    assert absent.exit_code == 2 and "nowhere" in absent.stderr
