"""Carry a relaxed state to a finer mesh, relax it there, and put it where a sweep looks for it.

    python tools/refine_relaxed.py data/switching-4nm-onset/relaxed_2b38a2d9fb9b.npy runs/dz2 \
        --cell 4,4,2 [--preset full] [--seed 1]
    spintorque sweep --preset full --cell 4,4,2 --out runs/dz2 --currents 60,62 ...

A mesh check of the switching experiment should change the mesh, not the start: relaxed from
scratch on a finer grid, FM1's random start is a different realization (one random direction
per cell) and FM2 relaxes to a different C-state (``docs/results/switching.md``, "Mesh along
z"). This splits every cell of the coarse state into whole sub-cells (the coarse cell must be an
integer multiple of ``--cell`` along each axis), relaxes on the fine mesh with the preset's
relaxation, and writes ``OUT_DIR/relaxed_<hash>.npy``, the cache the sweep's relax task loads
instead of relaxing (the hash is the experiment's, so ``--preset``, ``--cell`` and ``--seed``
must match the sweep's).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    from spintorque.experiments.commands import relaxed_cache
    from spintorque.experiments.runner import relax_state
    from spintorque.experiments.trilayer import preset

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("coarse", type=Path, help="relaxed state (.npy) of the coarse mesh")
    ap.add_argument("out_dir", type=Path, help="the sweep's --out folder")
    ap.add_argument("--cell", required=True, help="fine cell in nm: DX,DY,DZ")
    ap.add_argument("--preset", default="full")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args(argv)
    try:
        coarse = np.load(args.coarse)
        cell = tuple(float(v) * 1e-9 for v in args.cell.split(","))
        if len(cell) != 3:
            raise ValueError(f"--cell = {args.cell!r}: need DX,DY,DZ in nm")
        over = {"cell": cell} if args.seed is None else {"cell": cell, "seed": args.seed}
        exp = preset(args.preset, **over)
        factors = [f // c if c and f % c == 0 else 0
                   for f, c in zip(exp.shape, coarse.shape[:3], strict=True)]
        if coarse.ndim != 4 or coarse.shape[3] != 3 or not all(factors):
            raise ValueError(f"{args.coarse}: shape {coarse.shape} does not refine to the "
                             f"fine grid {exp.shape} by whole factors")
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    m0 = coarse
    for axis, factor in enumerate(factors):
        m0 = np.repeat(m0, factor, axis=axis)
    target = relaxed_cache(exp, args.out_dir)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)  # relax_state would load an old cache instead of relaxing
    t0 = time.perf_counter()
    try:
        m, info = relax_state(exp, target, start=m0)
    except FloatingPointError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"refined {coarse.shape[:3]} -> {exp.shape} (factors {factors}), relaxed in "
          f"{time.perf_counter() - t0:.1f} s ({info.get('iterations')} iterations, largest "
          f"change of a cell component {float(np.abs(m - m0).max()):.3g}); wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
