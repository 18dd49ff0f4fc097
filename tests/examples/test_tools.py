"""The helper scripts in tools/: continue a finished run from its final state and overlay
both legs (smoke preset, seconds)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "tools" / name), *args],
                          capture_output=True, text=True, timeout=300)


def test_continue_run_starts_from_the_final_state_and_compare_runs_joins_the_legs(tmp_path):
    from spintorque.experiments.runner import run_switching_point
    from spintorque.experiments.trilayer import preset

    first = tmp_path / "first"
    exp = preset("smoke", model="diffusion", duration=0.05e-9, min_duration=0.05e-9)
    run_switching_point(exp, 10e10, out_dir=first, figures=False, checkpoint_every=None)
    second = tmp_path / "second"
    done = _tool("continue_run.py", str(first), str(second), "--model", "diffusion",
                 "--current", "10", "--preset", "smoke", "--duration", "0.05",
                 "--moving-threshold", "0.2")
    assert done.returncode == 0, done.stderr
    res = json.loads(done.stdout.strip().splitlines()[-1])
    assert res["state"] == "FM2 +x" and set(res["motion"]) == {"FM1", "FM2"}
    # the second leg's m starts exactly where the first ended (s is solved afresh, so the
    # transport columns agree only to the solver tolerance)
    header = (first / "table.tsv").read_text(encoding="utf-8").splitlines()[0].split("\t")
    m_cols = [i for i, name in enumerate(header) if re.fullmatch(r"m[xyz](_\w+)?", name)]
    assert len(m_cols) >= 9  # total, FM1, FM2
    head = np.loadtxt(second / "table.tsv", skiprows=1, ndmin=2)[0, m_cols]
    tail = np.loadtxt(first / "table.tsv", skiprows=1, ndmin=2)[-1, m_cols]
    np.testing.assert_allclose(head, tail, atol=1e-12)

    png = tmp_path / "both.png"
    joined = _tool("compare_runs.py", str(png),
                   f"10={first / 'table.tsv'}::{second / 'table.tsv'}")
    assert joined.returncode == 0 and png.stat().st_size > 5000, joined.stderr

    missing = _tool("continue_run.py", str(tmp_path), str(tmp_path / "x"), "--model",
                    "diffusion", "--current", "10", "--preset", "smoke")
    assert missing.returncode != 0 and "no final.npy" in missing.stderr
    assert "Traceback" not in missing.stderr


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
    done = _tool("excursions.py", str(tmp_path))
    assert done.returncode == 0, done.stderr
    rows = {line.split("|")[2].strip(): line.split("|")[3:5] for line in done.stdout.splitlines()
            if line.startswith("| moment")}
    assert set(rows) == {"86.8", "86.9"}  # 90 ends at 0.49 ns, before --after 1 ns: skipped
    assert float(rows["86.8"][0]) < -0.7 and rows["86.8"][1].strip() == "none"
    assert float(rows["86.9"][0]) == 0.3 and float(rows["86.9"][1]) == 1.5
    assert "ends at 0.49 ns" in done.stderr

    empty = _tool("excursions.py", str(tmp_path / "runs"))
    assert empty.returncode == 2 and "no runs/" in empty.stderr and "Traceback" not in empty.stderr


def test_refine_relaxed_writes_the_cache_a_finer_sweep_loads(tmp_path):
    """The coarse relaxed state, split into sub-cells and relaxed again, lands under the name
    the sweep's relax task looks for; a cell that does not refine the grid is a clear error."""
    from spintorque.experiments.runner import relax_state
    from spintorque.experiments.trilayer import preset

    coarse_exp = preset("smoke")
    coarse = tmp_path / "coarse.npy"
    m_coarse, _ = relax_state(coarse_exp, coarse)
    out = tmp_path / "fine"
    done = _tool("refine_relaxed.py", str(coarse), str(out), "--preset", "smoke",
                 "--cell", "16,16,10")
    assert done.returncode == 0, done.stderr
    fine_exp = preset("smoke", cell=(16e-9, 16e-9, 10e-9))
    cache = out / f"relaxed_{fine_exp.digest(relax_only=True)}.npy"
    m_fine, info = relax_state(fine_exp, cache)
    assert info == {"cached": str(cache)}  # the sweep would load it, not relax afresh
    assert m_fine.shape == (*m_coarse.shape[:2], 2 * m_coarse.shape[2], 3)
    # a state relaxed on the coarse grid is near a fine-grid minimum: the average moves by
    # 1.6e-3 here, where a fresh fine-grid relaxation (a new random FM1) ends 1.0e-2 away in
    # mx and 7e-3 in my, so 3e-3 tells the two apart
    np.testing.assert_allclose(m_fine.mean(axis=(0, 1, 2)), m_coarse.mean(axis=(0, 1, 2)),
                               atol=3e-3)

    bad = _tool("refine_relaxed.py", str(coarse), str(out), "--preset", "smoke",
                "--cell", "16,16,15")
    assert bad.returncode == 2 and "whole number of cells" in bad.stderr
    assert "Traceback" not in bad.stderr
