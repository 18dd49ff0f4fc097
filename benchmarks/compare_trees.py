"""The same cases with two source trees, paired and alternated in one run: to show that a
change of shape costs no time (docs/performance.md, "The problem object and the run loop").

    git worktree add /tmp/old 0337351
    .venv/bin/python benchmarks/compare_trees.py /tmp/old/src [--pairs 5]

Cases: muMAG SP4 field 1 (relax + 1 ns, a row every 1 ps) through ``run_config``, and one
switching point of the quick preset (moment model, 2e12 A/m², 0.3 ns) from a relaxed state
cached once. Each run is a fresh process with one OpenBLAS thread; reported: medians of wall
and process CPU time [s] and the CPU ratio this tree / the other tree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from process_timing import time_process

ROOT = Path(__file__).resolve().parents[1]
SP4 = f"""
try:
    from spintorque.config import load_config
except ImportError:
    from spintorque.io.config import load_config
from spintorque.simulation import run_config
run_config(load_config({str(ROOT / 'examples' / 'sp4_field1.toml')!r}), OUT, progress=None)
"""
POINT = """
import numpy as np
from spintorque.experiments.runner import run_switching_point
from spintorque.experiments.trilayer import preset
exp = preset('quick', duration=0.3e-9, min_duration=0.3e-9, model='moment')
run_switching_point(exp, 2e12, out_dir=OUT, relaxed=np.load(RELAXED), figures=False)
"""
PREP = """
import numpy as np
from spintorque.experiments.runner import relax_state
from spintorque.experiments.trilayer import preset
np.save(RELAXED, relax_state(preset('quick', model='moment'))[0])
"""


def timed(src: str, tree: str) -> tuple[float, float]:
    """(wall, CPU) [s] of one fresh process running ``src`` with ``tree`` on the path."""
    out = tempfile.mkdtemp()
    env = dict(os.environ, PYTHONPATH=tree, OPENBLAS_NUM_THREADS="1")
    try:
        return time_process(src.replace("OUT", repr(out + "/run")), env)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("other", help="the other tree's src/ folder")
    ap.add_argument("--pairs", type=int, default=5)
    args = ap.parse_args()
    trees = {"other": args.other, "this": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        relaxed = repr(str(Path(tmp) / "relaxed.npy"))
        timed(PREP.replace("RELAXED", relaxed), trees["this"])
        cases = {"SP4 relax + 1 ns": SP4, "switching point, quick, 0.3 ns": POINT.replace(
            "RELAXED", relaxed)}
        for name, src in cases.items():
            runs: dict[str, list[tuple[float, float]]] = {k: [] for k in trees}
            for _ in range(args.pairs):
                for key, tree in trees.items():
                    runs[key].append(timed(src, tree))
            med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
                   for k, v in runs.items()}
            print(f"{name}: other {med['other'][0]:.2f} s wall / {med['other'][1]:.2f} s CPU, "
                  f"this {med['this'][0]:.2f} / {med['this'][1]:.2f}, CPU this/other "
                  f"{med['this'][1] / med['other'][1]:.3f}")


if __name__ == "__main__":
    main()
