"""Time one field evaluation of the DMI and cubic-anisotropy terms against exchange on the same
grid.

Terms, each ``term.field(m, out=buf)`` on a random unit m (float64, C-contiguous, preallocated
output): ``Exchange``, ``UniaxialAnisotropy``, ``InterfacialDMI``, ``BulkDMI``,
``CubicAnisotropy``. Each figure is the minimum over 5 batches of the mean time per call (about
0.2 s per batch), as wall-clock and as process CPU time (the latter is less disturbed when other
jobs share the cores), after a warm-up call (Numba compiled or loaded from its cache). The ratio
columns divide by exchange on the same grid. Single-threaded (the kernels are serial).
Run: ``.venv/bin/python benchmarks/bench_terms.py [--grids 128x128x1,64x64x16]`` (about 15 s).
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time

import numpy as np

from spintorque.fields import (
    BulkDMI,
    CubicAnisotropy,
    Exchange,
    InterfacialDMI,
    UniaxialAnisotropy,
)
from spintorque.materials import Material, Sample
from spintorque.mesh import Grid

GRIDS = {
    "128x128x1": (128, 128, 1),
    "64x64x16": (64, 64, 16),
    "256x256x1": (256, 256, 1),
}
CELL = (2e-9, 2e-9, 2e-9)
MATERIAL = Material("chiral", Ms=8.6e5, A=1.3e-11, Ku=4e5, axis=(0, 0, 1), Dind=3e-3,
                    Dbulk=1.5e-3, Kc1=4.8e4, Kc2=1e4, cubic_axis1=(1, 1, 0),
                    cubic_axis2=(-1, 1, 0))
TERMS = (("exchange", Exchange), ("uniaxial", UniaxialAnisotropy),
         ("dmi_interfacial", InterfacialDMI), ("dmi_bulk", BulkDMI),
         ("cubic", CubicAnisotropy))


def best_time(func, target: float = 0.2, batches: int = 5) -> tuple[float, float]:
    """(wall, CPU) seconds per call: minima over ``batches`` of the batch means."""
    func()
    t0 = time.perf_counter()
    func()
    once = max(time.perf_counter() - t0, 1e-7)
    reps = max(1, int(target / once))
    wall = cpu = np.inf
    for _ in range(batches):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            func()
        wall = min(wall, (time.perf_counter() - t0) / reps)
        cpu = min(cpu, (time.process_time() - c0) / reps)
    return wall, cpu


def bench(shape: tuple[int, int, int]) -> list[tuple[str, tuple[float, float]]]:
    sample = Sample.uniform(Grid(shape, CELL), MATERIAL)
    rng = np.random.default_rng(0)
    m = rng.normal(size=sample.grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    out = np.zeros_like(m)
    rows = []
    for name, cls in TERMS:
        term = cls(sample)
        rows.append((name, best_time(lambda term=term: term.field(m, out=out))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", default="128x128x1,64x64x16")
    args = parser.parse_args()
    print(f"# {datetime.date.today()}  {platform.processor() or platform.machine()}  "
          f"python {platform.python_version()}")
    print("| grid | term | ms per call, wall / CPU | ratio to exchange, wall / CPU |")
    print("|---|---|---|---|")
    for key in args.grids.split(","):
        rows = bench(GRIDS[key])
        ref_wall, ref_cpu = rows[0][1]
        for name, (wall, cpu) in rows:
            print(f"| {key} | {name} | {wall * 1e3:.3f} / {cpu * 1e3:.3f} | "
                  f"{wall / ref_wall:.2f} / {cpu / ref_cpu:.2f} |")


if __name__ == "__main__":
    main()
