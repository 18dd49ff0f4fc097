"""muMAG SP4 (field 1, 5 nm cells) end to end: process start, relaxation, 1 ns of dynamics.

Runs ``spintorque run examples/sp4_field1.toml`` in a fresh process (table written every 1 ps, as
OOMMF's reference table) and reports the wall time of the whole process, measured from outside,
best of ``--repeats``. If ``SPINTORQUE_PEER_PYTHON`` names an interpreter with
``torch==2.13.0 magnumnp``, magnum.np's SP4 (benchmarks/peers/magnumnp_bench.py) is timed the same
way in the same run. Usage: ``.venv/bin/python benchmarks/bench_sp4.py [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
    return time.perf_counter() - t0, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("spintorque"))
    ours = []
    for _ in range(args.repeats):
        out = Path(tempfile.mkdtemp(prefix="sp4-"))
        try:
            wall, log = timed([exe, "run", "examples/sp4_field1.toml", "--out", str(out / "run")])
        finally:
            shutil.rmtree(out, ignore_errors=True)
        ours.append(wall)
    print(f"# bench_sp4  {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}\n")
    print("| code | end-to-end wall [s] (best of runs) | details |")
    print("|---|---|---|")
    last = [ln for ln in log.splitlines() if ln.startswith(("relaxed", "done"))]
    print(f"| spintorque | {min(ours):.2f} | {'; '.join(last)} |")
    peer = os.environ.get("SPINTORQUE_PEER_PYTHON")
    if peer:
        wall, log = timed([peer, str(ROOT / "benchmarks/peers/magnumnp_bench.py"), "sp4"])
        info = json.loads([ln for ln in log.splitlines() if ln.startswith("{")][-1])
        print(f"| magnum.np | {wall:.2f} | import {info['import_s']:.1f} s, relax "
              f"{info['relax_s']:.1f} s, 1 ns {info['run_s']:.1f} s |")
        print(f"\nratio magnum.np / spintorque: {wall / min(ours):.1f}")
    else:
        print("| magnum.np | not installed (set SPINTORQUE_PEER_PYTHON) | |")


if __name__ == "__main__":
    main()
