"""Time one field evaluation of the interlayer-exchange term against exchange on the same grid.

A stack FM1 / Ru / FM2 (``nz`` cells: FM layers of (nz − 2)/2 cells, a 2-cell spacer), random
unit m (float64, C-contiguous, preallocated output). Terms: ``Exchange.field``,
``InterlayerExchange.field`` (zeroes the whole output, then writes the two surface planes) and
``InterlayerExchange.add_field`` (the path the summed effective field takes: only the two surface
planes are touched), with J1 and J2 both nonzero. Each figure is the minimum over 5 batches of the
mean wall time per call (about 0.2 s per batch) after a warm-up call; the ratio divides by
exchange on the same grid. Single-threaded. Run:
``.venv/bin/python benchmarks/bench_interlayer.py [--grids 128x128x4,64x64x16]`` (about 10 s).
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time

import numpy as np

from spintorque.fields import Exchange, InterlayerExchange
from spintorque.materials import Material, Sample

GRIDS = {"128x128x4": (128, 128, 4), "64x64x16": (64, 64, 16), "256x256x4": (256, 256, 4)}
CELL = (2e-9, 2e-9, 0.4e-9)
FM = Material("cofeb", Ms=1.2e6, A=1.5e-11)
RU = Material("ru")


def best_time(func, target: float = 0.2, batches: int = 5) -> float:
    """Wall seconds per call: minimum over ``batches`` of the batch means."""
    func()
    t0 = time.perf_counter()
    func()
    once = max(time.perf_counter() - t0, 1e-7)
    reps = max(1, int(target / once))
    best = np.inf
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(reps):
            func()
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def bench(shape: tuple[int, int, int]) -> list[tuple[str, float]]:
    nx, ny, nz = shape
    k = (nz - 2) // 2
    dz = CELL[2]
    sample = Sample.stack((nx, ny), CELL, [("FM1", k * dz, FM), ("Ru", 2 * dz, RU),
                                           ("FM2", (nz - 2 - k) * dz, FM)])
    rng = np.random.default_rng(0)
    m = rng.normal(size=sample.grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    m *= sample.magnetic[..., None]
    out = np.zeros_like(m)
    ex = Exchange(sample)
    il = InterlayerExchange(sample, [("FM1", "FM2", -1e-3, -1e-4)])
    return [("exchange", best_time(lambda: ex.field(m, out=out))),
            ("interlayer field", best_time(lambda: il.field(m, out=out))),
            ("interlayer add_field", best_time(lambda: il.add_field(m, 0.0, out)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", default="128x128x4,64x64x16")
    args = parser.parse_args()
    print(f"# {datetime.date.today()}  {platform.processor() or platform.machine()}  "
          f"python {platform.python_version()}")
    print("| grid | term | ms per call | ratio to exchange |")
    print("|---|---|---|---|")
    for key in args.grids.split(","):
        rows = bench(GRIDS[key])
        ref = rows[0][1]
        for name, sec in rows:
            print(f"| {key} | {name} | {sec * 1e3:.3f} | {sec / ref:.2f} |")


if __name__ == "__main__":
    main()
