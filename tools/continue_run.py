"""Continue a finished switching run from its final state at the same current (e.g. to see
whether a state at rest at 2 ns stays at rest, or whether motion at 2 ns goes on).

    python tools/continue_run.py RUN_DIR OUT_DIR --model moment --current 87 \
        [--preset full] [--duration 2] [--transport-update accepted] [--moving-threshold 0.2]

``RUN_DIR`` is a run's folder of a sweep (``runs/<model>/j<J>e10/``, holding ``final.npy``);
the new run starts from that m, with s solved afresh (the transport is quasi-static), and
writes its ``table.tsv``, ``final.npy`` and figures into ``OUT_DIR``; its time starts at 0
(overlay both legs with
``tools/compare_runs.py OUT.png "LABEL=RUN_DIR/table.tsv::OUT_DIR/table.tsv"``).
Prints the result (state, motion, steps, wall time) as JSON. Checkpoints every minute, so a
re-run of the same command resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

# the Krylov vector operations are memory-bound: extra BLAS threads only contend
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path, help="a finished run's folder (with final.npy)")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--model", required=True, choices=("diffusion", "moment"))
    ap.add_argument("--current", type=float, required=True, help="1e10 A/m^2")
    ap.add_argument("--preset", default="full")
    ap.add_argument("--duration", type=float, default=2.0, help="ns (default 2)")
    ap.add_argument("--transport-update", default=None,
                    choices=("step", "evaluation", "accepted"))
    ap.add_argument("--moving-threshold", type=float, default=None)
    args = ap.parse_args()

    from spintorque.experiments.runner import run_switching_point
    from spintorque.experiments.trilayer import preset

    final = args.run_dir / "final.npy"
    if not final.is_file():
        raise SystemExit(f"run_dir = {str(args.run_dir)!r}: no final.npy (a finished run's "
                         "folder is needed)")
    over: dict = {"model": args.model, "duration": args.duration * 1e-9,
                  "min_duration": args.duration * 1e-9}  # no early stop: the whole leg
    if args.transport_update:
        over["transport_update"] = args.transport_update
    if args.moving_threshold is not None:
        over["moving_threshold"] = args.moving_threshold
    exp = preset(args.preset, **over)
    m = np.load(final)
    if m.shape != (*exp.shape, 3):
        raise SystemExit(f"{final}: shape {m.shape}, but preset {args.preset!r} has grid "
                         f"{exp.shape}")
    t0 = time.perf_counter()
    res = run_switching_point(exp, args.current * 1e10, out_dir=args.out_dir, relaxed=m)
    print(json.dumps({"model": args.model, "current_1e10": args.current, "label": res["label"],
                      "state": res["state"], "motion": res.get("motion"),
                      "steps": res["steps"], "wall_s": round(time.perf_counter() - t0, 1),
                      "averages": res["averages"]}))


if __name__ == "__main__":
    main()
