"""Kill -9 stress run (not collected by pytest; the CI version is test_checkpoint.py).

    .venv/bin/python tests/unit/kill_stress.py [TRIALS] [DIR]

Each trial starts a run in a subprocess and kills it with SIGKILL after a random wall time (which
may fall in the start-up, the relaxation, the run or a checkpoint write) or once a random number
of rows is on disk; it does that 1-3 times in a row, then lets the run finish and compares the
final state and the table with an uninterrupted run. Prints one line per trial and a summary:
trials, kills, mismatches (rows lost or duplicated, final state off by more than 1e-12).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from spintorque.io.checkpoint import load_checkpoint
from spintorque.io.table import read_table
from spintorque.simulation import run_config

RUNNER = (
    "import json, sys; from spintorque.simulation import run_config; "
    "run_config(json.loads(sys.argv[1]), sys.argv[2], progress=None)"
)


def _rows(out: Path) -> int:
    try:
        return (out / "table.tsv").read_bytes().count(b"\n") - 1
    except FileNotFoundError:
        return 0


def config() -> dict:
    return {
        "mesh": {"cell": [5e-9, 5e-9, 3e-9], "size": [80e-9, 40e-9, 3e-9]},
        "layer": [{"name": "film", "thickness": 3e-9, "material": "py",
                   "initial": {"random": {"seed": 3}}}],
        "material": {"py": {"Ms": 8e5, "A": 1.3e-11, "alpha": 0.02}},
        "field": {"B": [-24.6e-3, 4.3e-3, 0.0]},
        "demag": {"enabled": False},
        "relax": {"enabled": True, "method": "minimize", "tol": 1.0},
        "run": {"duration": 1.5e-9, "output_every": 1e-12, "integrator": "rk45",
                "checkpoint_every": 0.05, "snapshot_every": 1e-10},
    }


def main(trials: int, root: Path) -> int:
    cfg = config()
    t0 = time.monotonic()
    ref = run_config(cfg, root / "ref", progress=None, restart=True)
    ref_wall = time.monotonic() - t0
    print(f"uninterrupted run: {ref_wall:.2f} s wall in-process")
    ref_table = read_table(root / "ref" / "table.tsv")[1]
    rng = np.random.default_rng(int(time.time()))
    kills = bad = 0
    for trial in range(trials):
        out = root / f"trial{trial}"
        shutil.rmtree(out, ignore_errors=True)
        times = []
        for _ in range(int(rng.integers(1, 4))):  # 1-3 kills in a row
            proc = subprocess.Popen([sys.executable, "-c", RUNNER, json.dumps(cfg), str(out)])
            if rng.random() < 0.5:
                # by wall time: may fall in the start-up, the relaxation or the run
                wait = float(rng.uniform(0.2, 2.0 + ref_wall))
                try:
                    proc.wait(timeout=wait)
                except subprocess.TimeoutExpired:
                    pass
            else:
                # by progress: once a random number of new rows is on disk
                target = _rows(out) + int(rng.integers(1, 1500 - _rows(out) // 2))
                while _rows(out) < target and proc.poll() is None:
                    time.sleep(0.001)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                ck = out / "checkpoint.npz"
                times.append(load_checkpoint(ck).t if ck.exists() else None)
        result = run_config(cfg, out, progress=None)
        table = read_table(out / "table.tsv")[1]
        same = (np.abs(result.m - ref.m).max() <= 1e-12 and table.shape == ref_table.shape
                and np.array_equal(table, ref_table))
        bad += not same
        print(f"trial {trial}: kills at checkpoints {times}, rows {table.shape[0]}, "
              f"max|dm| {np.abs(result.m - ref.m).max():.1e}, {'OK' if same else 'MISMATCH'}")
    print(f"{trials} trials, {kills} SIGKILLs, {bad} mismatches (rows lost or duplicated, "
          f"or final state off by more than 1e-12)")
    return 1 if bad else 0


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp())
    sys.exit(main(n, folder))
