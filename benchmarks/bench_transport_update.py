"""When to solve the spin transport in an adaptive run: cost and accuracy of each choice.

Runs the full switching preset (4 nm, rk43) for a short time from its relaxed state at one
current with ``transport_update`` = "step" and "accepted" (transport rtol 1e-3, the preset's)
and compares each final state with a reference that solves at every stage to rtol 1e-7 with
rk45 at rtol 1e-7. Reports steps, rejected steps, transport solves, wall time and the
deviation from the reference: the largest cell |Δm| and the largest change of a layer average
(dimensionless).

    python benchmarks/bench_transport_update.py --model moment --current 200 --duration 0.05
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from spintorque.experiments.runner import relax_state
from spintorque.experiments.trilayer import preset

CASES = {  # name: (label, overrides of the full preset)
    "step": ("step, transport 1e-3 (preset), rk43 1e-5", {"transport_update": "step"}),
    "accepted": ("accepted, transport 1e-3, rk43 1e-5", {"transport_update": "accepted"}),
    "step-t5": ("step, transport 1e-5, rk43 1e-5",
                {"transport_update": "step", "transport_rtol": 1e-5}),
    "accepted-t5": ("accepted, transport 1e-5, rk43 1e-5",
                    {"transport_update": "accepted", "transport_rtol": 1e-5}),
    "step-r4": ("step, transport 1e-3, rk43 1e-4", {"transport_update": "step", "rtol": 1e-4}),
    "accepted-r6": ("accepted, transport 1e-3, rk43 1e-6",
                    {"transport_update": "accepted", "rtol": 1e-6}),
    "accepted-r7": ("accepted, transport 1e-3, rk43 1e-7",
                    {"transport_update": "accepted", "rtol": 1e-7}),
}
REFERENCE = {"integrator": "rk45", "rtol": 1e-7, "transport_update": "evaluation",
             "transport_rtol": 1e-7}


def run(model: str, current: float, duration: float, m0: np.ndarray, over: dict):
    """(final m, stats dict) of one run of ``duration`` [s] at ``current`` [A/m²]."""
    exp = preset("full", model=model, **over)
    problem = exp.problem(current)
    integ = problem.integrator()
    t0 = time.perf_counter()
    m = integ.advance(0.0, m0.copy(), duration)
    wall = time.perf_counter() - t0
    solver = problem.term("spin_accumulation").solver
    return m, {"steps": integ.stats["steps"], "rejected": integ.stats["rejected"],
               "solves": solver.stats.get("solves", 0), "wall": wall}


def layer_means(m: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Average m of each magnetic region, shape (regions, 3)."""
    return np.array([m[region == r].mean(axis=0) for r in np.unique(region)
                     if np.any(np.linalg.norm(m[region == r], axis=-1) > 0)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="moment", choices=("diffusion", "moment"))
    ap.add_argument("--current", type=float, default=200.0, help="1e10 A/m^2")
    ap.add_argument("--duration", type=float, default=0.05, help="ns")
    ap.add_argument("--relaxed", default=None, help=".npy cache of the relaxed state")
    ap.add_argument("--no-reference", action="store_true", help="cost only")
    ap.add_argument("--reference-cache", default=None,
                    help=".npy file: the reference's final state (read if present, else saved)")
    ap.add_argument("--cases", default="step,accepted,step-t5,accepted-t5",
                    help=f"comma-separated, of {', '.join(CASES)}")
    args = ap.parse_args()
    j, T = args.current * 1e10, args.duration * 1e-9
    exp = preset("full", model=args.model)
    m0, _ = relax_state(exp, args.relaxed)
    region = exp.problem(j).sample.region
    ref = None
    cache = args.reference_cache
    if not args.no_reference and cache and os.path.isfile(cache):
        ref = np.load(cache)
    elif not args.no_reference:
        ref, st = run(args.model, j, T, m0, REFERENCE)
        print(f"reference (rk45 1e-7, every stage, transport 1e-7): {st['steps']} steps, "
              f"{st['wall']:.1f} s")
        if cache:
            np.save(cache, ref)
    print(f"{args.model}, j = {args.current:g}e10 A/m^2, {args.duration:g} ns from the relaxed "
          f"state, load average {os.getloadavg()[0]:.1f}")
    print("| transport update, rtol | steps | rejected | solves | mean step (ps) | wall (s) "
          "| max cell abs(dm) | max layer-average change |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.cases.split(","):
        label, over = CASES[name]
        m, st = run(args.model, j, T, m0, over)
        if ref is not None:
            cell = float(np.max(np.linalg.norm(m - ref, axis=-1)))
            avg = float(np.max(np.abs(layer_means(m, region) - layer_means(ref, region))))
            dev = f"{cell:.2e} | {avg:.2e}"
        else:
            dev = "- | -"
        print(f"| {label} | {st['steps']} | {st['rejected']} | {st['solves']} | "
              f"{T / st['steps'] * 1e12:.3f} | {st['wall']:.1f} | {dev} |", flush=True)


if __name__ == "__main__":
    main()
