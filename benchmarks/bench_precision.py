"""Float32 against float64 stray field: speed and accuracy, both precisions in the same run.

Prints markdown tables (docs/performance.md, "Float32"):

1. the bare stray-field convolution (``PrunedConvolution``, 1 FFTW thread), ms per call, wall,
   medians of interleaved repeats, and the relative error max|H32 - H64| / max|H64| on a seeded
   random m and on the uniform m;
2. whole runs, interleaved, float64 then float32 (``run.precision``; the relaxation runs in
   float64 in both): muMAG SP4 field 1 at 5 nm and at 2.5 nm cells (relax + 1 ns, a row every
   1 ps), and the 3D block of ``benchmarks/block_32x16x70.toml`` (0.2 ns from a seeded random
   state). Wall time, steps, field evaluations, final <m>, the first zero crossing of <m_x>
   (SP4) and the largest difference of the total energy over the rows (and over t <= 30 ps,
   before the block's dynamics from a random state turns chaotic) relative to the largest
   energy term.

Usage::

    .venv/bin/python benchmarks/bench_precision.py [--repeats 3] [--cases conv,sp4,sp4-2.5nm,block]
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from spintorque.config import config_from_dict, tomllib
from spintorque.fields.demag.convolution import PrunedConvolution
from spintorque.fields.demag.newell import demag_tensor
from spintorque.io.table import read_table
from spintorque.simulation import run_config

ROOT = Path(__file__).resolve().parents[1]
PRECISIONS = ("float64", "float32")

#: grids of the bare convolution: (name, n, cell [m], Ms [A/m])
GRIDS = [
    ("SP4 5 nm", (100, 25, 1), (5e-9, 5e-9, 3e-9), 8e5),
    ("SP4 2.5 nm", (200, 50, 1), (2.5e-9, 2.5e-9, 3e-9), 8e5),
    ("3D block", (32, 16, 70), (4e-9, 4e-9, 4e-9), 1.42e6),
    ("128x64x32", (128, 64, 32), (5e-9, 5e-9, 5e-9), 8e5),
]


def random_m(n: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=(*n, 3))
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


def bench_conv(repeats: int) -> None:
    print("| grid | float64 [ms] | float32 [ms] | float64 / float32 | "
          "max error, random m | max error, uniform m |")
    print("|---|---|---|---|---|---|")
    for name, n, cell, ms_value in GRIDS:
        tensor = demag_tensor(n, cell)
        convs = {p: PrunedConvolution(tensor, threads=1, precision=p) for p in PRECISIONS}
        ms, mask = np.full(n, ms_value), np.ones(n)
        outs = {p: np.empty((*n, 3)) for p in PRECISIONS}
        errors = []
        uniform = np.zeros((*n, 3))
        uniform[..., 0] = 1.0
        for m in (random_m(n), uniform):
            for p in PRECISIONS:
                convs[p](m, ms, mask, outs[p])
            errors.append(np.abs(outs["float32"] - outs["float64"]).max()
                          / np.abs(outs["float64"]).max())
        m = random_m(n)
        calls = max(3, int(0.2 / (np.prod(n) * 2e-8)))  # about 0.1-0.3 s per batch
        times: dict[str, list[float]] = {p: [] for p in PRECISIONS}
        for _ in range(2 * repeats + 1):
            for p in PRECISIONS:
                t0 = time.perf_counter()
                for _ in range(calls):
                    convs[p](m, ms, mask, outs[p])
                times[p].append((time.perf_counter() - t0) / calls * 1e3)
        a, b = (float(np.median(times[p])) for p in PRECISIONS)
        print(f"| {name} {'x'.join(map(str, n))} | {a:.3g} | {b:.3g} | {a / b:.2f} | "
              f"{errors[0]:.2e} | {errors[1]:.2e} |", flush=True)


def load(path: str, **mesh: object) -> dict:
    with open(ROOT / path, "rb") as fh:
        data = tomllib.load(fh)
    data["mesh"].update(mesh)
    return data


CASES = {
    "sp4": ("SP4 5 nm, relax + 1 ns", lambda: load("examples/sp4_field1.toml")),
    "sp4-2.5nm": ("SP4 2.5 nm, relax + 1 ns",
                  lambda: load("examples/sp4_field1.toml", cell=[2.5e-9, 2.5e-9, 3e-9])),
    "block": ("3D block 32x16x70, 0.2 ns", lambda: load("benchmarks/block_32x16x70.toml")),
}


def zero_crossing(t: np.ndarray, mx: np.ndarray) -> float:
    """First time <m_x> changes sign, linear between rows [s] (nan if never)."""
    k = np.flatnonzero(np.sign(mx[1:]) != np.sign(mx[:-1]))
    if not k.size:
        return float("nan")
    i = k[0]
    return float(t[i] - mx[i] * (t[i + 1] - t[i]) / (mx[i + 1] - mx[i]))


def one_run(data: dict, precision: str) -> dict:
    data = {**data, "run": {**data["run"], "precision": precision}}
    cfg = config_from_dict(data)
    folder = Path(tempfile.mkdtemp(prefix="bench-precision-"))
    try:
        t0 = time.perf_counter()
        result = run_config(cfg, folder / "run", progress=None)
        wall = time.perf_counter() - t0
        table = read_table(folder / "run" / "table.tsv")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    energies = [c.split(" ")[0] for c in table.columns
                if c.startswith("E_") and not c.startswith("E_total")]
    return {"wall": wall, "steps": result.stats.get("steps"),
            "evaluations": result.stats.get("evaluations"),
            "m": np.array([table["mx"][-1], table["my"][-1], table["mz"][-1]]),
            "t0": zero_crossing(table["t"], table["mx"]), "E": table["E_total"], "t": table["t"],
            "scale": max(np.abs(table[k]).max() for k in energies)}


def bench_runs(cases: list[str], repeats: int) -> None:
    print("| case | wall float64 [s] | wall float32 [s] | float64 / float32 | steps (64 / 32) | "
          "evaluations (64 / 32) | max abs diff of final <m> | first <m_x> = 0 (64 / 32) [ps] | "
          "max abs diff of E_total / largest energy term (all rows; t <= 30 ps) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key in cases:
        label, make = CASES[key]
        data = make()
        short = {**data, "run": {**data["run"], "duration": 2 * data["run"]["output_every"]}}
        for p in PRECISIONS:  # warm-up: Numba kernels loaded, FFTW plans in the wisdom
            one_run(short, p)
        runs: dict[str, list[dict]] = {p: [] for p in PRECISIONS}
        for _ in range(repeats if key == "sp4" else 1):
            for p in PRECISIONS:
                runs[p].append(one_run(data, p))
        a, b = (runs[p][-1] for p in PRECISIONS)
        wa, wb = (float(np.median([r["wall"] for r in runs[p]])) for p in PRECISIONS)
        dm = float(np.abs(a["m"] - b["m"]).max())
        de = float(np.abs(a["E"] - b["E"]).max() / a["scale"])
        early = a["t"] <= 30e-12 + 1e-18
        de30 = float(np.abs(a["E"] - b["E"])[early].max() / a["scale"])
        cross = (f"{a['t0'] * 1e12:.2f} / {b['t0'] * 1e12:.2f}"
                 if key.startswith("sp4") and np.isfinite(a["t0"]) else "–")
        print(f"| {label} | {wa:.2f} | {wb:.2f} | {wa / wb:.2f} | {a['steps']} / {b['steps']} | "
              f"{a['evaluations']} / {b['evaluations']} | {dm:.1e} | {cross} | "
              f"{de:.1e}; {de30:.1e} |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats (conv; SP4 5 nm runs)")
    parser.add_argument("--cases", default="conv,sp4,sp4-2.5nm,block")
    args = parser.parse_args()
    cases = args.cases.split(",")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()
    print(f"# bench_precision  {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} "
          f"UTC, commit {commit}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}\n")
    if "conv" in cases:
        bench_conv(args.repeats)
        print()
    runs = [c for c in cases if c in CASES]
    if runs:
        bench_runs(runs, args.repeats)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
