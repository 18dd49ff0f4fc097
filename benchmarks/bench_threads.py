"""Whole-process CPU and wall time of runs with 1 (the default) and 2 compute threads
(``run.threads``), paired and alternated: does the default keep to one core, and where do two
threads pay? (docs/performance.md, "Threads")

    .venv/bin/python benchmarks/bench_threads.py [--cases sp4-5nm,sp4-2.5nm,block]
        [--repeats 3] [--settings 1,2] [--ns NS] [--before /tmp/old/src]

Cases: muMAG SP4 field 1 (``examples/sp4_field1.toml``: relax, then 1 ns with a row every 1 ps)
at 5 nm and 2.5 nm cells (200×50×1), and the 3D block ``benchmarks/block_32x16x70.toml``
(32×16×70 cells of 4 nm, 0.2 ns from a seeded random state); ``--ns`` sets every case's run time
(SP4's relaxation stays). Each
run is a fresh process calling ``run_config`` (as ``spintorque run`` does) in a new output
folder; the Numba cache and the FFTW wisdom of both thread counts are made by one short untimed
run per case and setting first.
Reported per case and setting: medians of wall and of user + system CPU time [s]
(``RUSAGE_CHILDREN``), CPU / wall, and wall / the default's wall. ``--before SRC`` adds the same
runs with another source tree (e.g. ``git archive 506acb1 src | tar -x -C /tmp/old``, the commit
before the thread limit) in the same rotation. The settings are rotated each repeat so that
drifts of the machine's load fall on all of them alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from process_timing import time_process

ROOT = Path(__file__).resolve().parents[1]
SP4 = ROOT / "examples" / "sp4_field1.toml"
CASES = {  # name: (label, config, cell override, run time [ns], relaxed first)
    "sp4-5nm": ("SP4 5 nm (100×25×1)", SP4, None, 1.0, True),
    "sp4-2.5nm": ("SP4 2.5 nm (200×50×1)", SP4, [2.5e-9, 2.5e-9, 3e-9], 1.0, True),
    "block": ("3D block 32×16×70", ROOT / "benchmarks" / "block_32x16x70.toml", None, 0.2, False),
}
RUN = """
import sys
from spintorque.config import config_from_dict, load_config
from spintorque.simulation import run_config
cfg = load_config({path!r})
data = cfg.model_dump(mode="json")
cell, duration = {cell!r}, {duration!r}
if cell is not None:
    data["mesh"]["cell"] = cell
if duration is not None:
    data["run"]["duration"] = duration
if {warm!r}:
    data["run"]["duration"] = 2e-12
cfg = config_from_dict(data)
run_config(cfg, {out!r}, progress=None, **{options!r})
"""


def timed(case: str, tree: str, threads: int | None, warm: bool = False,
          duration: float | None = None) -> tuple[float, float]:
    """(wall, user + system CPU) [s] of one fresh process running ``case`` for ``duration`` [s]
    (default: the config's; ``warm``: 2 ps, to fill the Numba cache and the FFTW wisdom)."""
    _, path, cell, _, _ = CASES[case]
    out = tempfile.mkdtemp(prefix="bench_threads_")
    options = {} if threads is None else {"threads": threads}
    src = RUN.format(path=str(path), cell=cell, out=out + "/run", options=options, warm=warm,
                     duration=duration)
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env["PYTHONPATH"] = tree
    try:
        return time_process(src, env)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--settings", default="1,2", help="thread counts to run (1 is the default)")
    ap.add_argument("--ns", type=float, default=None, help="run time of every case [ns]")
    ap.add_argument("--before", default=None, help="another tree's src/ folder (no threads)")
    args = ap.parse_args()
    this = str(ROOT / "src")
    settings = {("threads = 1 (default)" if n == "1" else f"threads = {n}"): (this, int(n))
                for n in args.settings.split(",")}
    settings["threads = 1 (default)"] = (this, None)  # the reference: plain run_config
    if args.before:
        settings = {"before (no limit)": (args.before, None), **settings}
    print(f"# {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    rows = []
    for case in args.cases.split(","):
        for tree, threads in settings.values():
            timed(case, tree, threads, warm=True)  # Numba cache, FFTW wisdom: untimed
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in settings}
        loads = []
        names = list(settings)
        for r in range(args.repeats):
            for name in names[r % len(names):] + names[:r % len(names)]:
                tree, threads = settings[name]
                loads.append(os.getloadavg()[0])
                duration = args.ns * 1e-9 if args.ns is not None else None
                runs[name].append(timed(case, tree, threads, duration=duration))
                print(f"  {case} {name}: {runs[name][-1][0]:.2f} s wall, "
                      f"{runs[name][-1][1]:.2f} s CPU, load {loads[-1]:.2f}", flush=True)
        base = statistics.median(w for w, _ in runs["threads = 1 (default)"])
        for name, values in runs.items():
            wall = statistics.median(w for w, _ in values)
            cpu = statistics.median(c for _, c in values)
            label, _, _, ns, relax = CASES[case]
            ns = args.ns if args.ns is not None else ns
            label += f", {'relax + ' if relax else ''}{ns:g} ns"
            rows.append((label, name, wall, cpu, cpu / wall, wall / base,
                         statistics.median(loads)))
    print(f"\n# {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, load average "
          f"{os.getloadavg()[0]:.2f} at the end; medians of {args.repeats} runs\n")
    print("| case | setting | wall [s] | user + system CPU [s] | CPU / wall | wall / default "
          "| load |")
    print("|---|---|---|---|---|---|---|")
    for case, name, wall, cpu, ratio, rel, load in rows:
        print(f"| {case} | {name} | {wall:.2f} | {cpu:.2f} | {ratio:.2f} | {rel:.2f} | "
              f"{load:.1f} |")


if __name__ == "__main__":
    main()
