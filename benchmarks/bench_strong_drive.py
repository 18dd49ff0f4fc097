"""Work-precision of the strongly driven switching run: cost and error against a tight reference.

Starts from a state in sustained motion (``--start``: a ``final.npy`` of a run at the same
current, e.g. 0.5 ns of ``bench_sweep.py run --preset full --model moment --current 200
--duration 0.5 --transport-update accepted --out DIR``), solves s afresh, runs ``--window``
picoseconds with each case (overrides of the ``full`` preset) and compares the final m with a
reference (rk45 at rtol 1e-8, s solved at every stage to rtol 1e-7; cached in
``--reference-cache``). Prints steps, transport solves, Krylov iterations per solve and the wall
time per step (all steps but the first, whose solve starts from s = 0 and which compiles; the
first solve of a long run is a negligible part of it), the seconds per simulated ns at that
rate, and the deviation from the reference: the largest and the mean cell |Δm| and the largest
change of a layer average (dimensionless).

    python benchmarks/bench_strong_drive.py --start DIR/final.npy --window 20 \\
        --reference-cache ref.npy --cases "preset;accepted;accepted,transport_predict=2"

A case is names from :data:`CASES` and ``key=value`` pairs joined by commas: experiment fields
(``rtol=3e-5``, ``transport_update=accepted``, ``transport_predict=2``, ``precision=float32``,
...) and the once-per-step transport solver's settings ``history=k`` (projected warm start over
the last k solutions; default 2, 0 with ``transport_predict=2``) and ``gmres_steps=k`` (GMRES
steps before BiCGSTAB; default 3, 8 with ``transport_predict=2``).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from bench_transport_update import layer_means  # noqa: E402  (benchmarks/ is on sys.path)

from spintorque.experiments.trilayer import preset  # noqa: E402

CASES = {
    "preset": "",  # the full preset as the switching tables ran it ("step", rk43 1e-5)
    "accepted": "transport_update=accepted",
    "corrected": "transport_update=corrected",
}
REFERENCE = "integrator=rk45,rtol=1e-8,transport_update=evaluation,transport_rtol=1e-7"


SOLVER_SETTINGS = ("history", "gmres_steps")


def parse(case: str) -> tuple[dict, dict]:
    """(experiment overrides, solver settings) of a case string."""
    items = [CASES.get(s.strip(), s.strip()) for s in case.split(",")]
    over: dict = {}
    solver: dict = {}
    for item in filter(None, (s.strip() for s in ",".join(items).split(","))):
        key, value = item.split("=")
        if key in SOLVER_SETTINGS:
            solver[key] = int(value)
            continue
        try:
            over[key] = int(value) if value.isdigit() else float(value)
        except ValueError:
            over[key] = value
    return over, solver


def run(model: str, current: float, window: float, m0: np.ndarray, case: str):
    """(final m, stats) of ``window`` [s] at ``current`` [A/m²] from ``m0``."""
    over, settings = parse(case)
    exp = preset("full", model=model, **over)
    problem = exp.problem(current)
    integ = problem.integrator()
    solver = problem.term("spin_accumulation").solver
    # the first step is not timed: it solves s from zero (tens of iterations) and compiles
    t, m = integ.step(0.0, m0.copy())
    for key, value in settings.items():  # after the once-per-step set-up, the overrides
        setattr(solver, key, value)
    steps0, solves0, its0 = integ.stats["steps"], solver.stats["solves"], solver.stats["iterations"]
    t0 = time.perf_counter()
    m = integ.advance(t, m, window)
    wall = time.perf_counter() - t0
    return m, {"steps": integ.stats["steps"], "rejected": integ.stats["rejected"],
               "solves": solver.stats["solves"], "its": solver.stats["iterations"],
               "timed_steps": integ.stats["steps"] - steps0,
               "timed_solves": solver.stats["solves"] - solves0,
               "timed_its": solver.stats["iterations"] - its0, "wall": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", required=True, help=".npy state to start from")
    ap.add_argument("--model", default="moment", choices=("diffusion", "moment"))
    ap.add_argument("--current", type=float, default=200.0, help="1e10 A/m^2")
    ap.add_argument("--window", type=float, default=20.0, help="ps")
    ap.add_argument("--reference-cache", default=None,
                    help=".npy: the reference's final state (read if present, else saved)")
    ap.add_argument("--no-reference", action="store_true", help="cost only")
    ap.add_argument("--cases", default="preset;accepted", help="';'-separated cases")
    args = ap.parse_args()
    j, T = args.current * 1e10, args.window * 1e-12
    m0 = np.load(args.start)
    region = preset("full", model=args.model).problem(j).sample.region
    cache = args.reference_cache
    if args.no_reference:
        ref = None
    elif cache and os.path.isfile(cache):
        ref = np.load(cache)
    else:
        ref, st = run(args.model, j, T, m0, REFERENCE)
        print(f"reference ({REFERENCE}): {st['steps']} steps, {st['wall']:.1f} s", flush=True)
        if cache:
            np.save(cache, ref)
    print(f"{args.model}, j = {args.current:g}e10 A/m^2, {args.window:g} ps from {args.start}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| case | steps | rejected | solves | iterations per solve | ms per step "
          "| s per simulated ns | max cell abs(dm) | mean cell abs(dm) "
          "| max layer-average change |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for case in args.cases.split(";"):
        m, st = run(args.model, j, T, m0, case)
        if ref is None:
            dev = "- | - | -"
        else:
            dm = np.linalg.norm(m - ref, axis=-1)
            avg = float(np.max(np.abs(layer_means(m, region) - layer_means(ref, region))))
            dev = f"{dm.max():.2e} | {dm.mean():.2e} | {avg:.2e}"
        print(f"| {case or 'preset'} | {st['steps']} | {st['rejected']} | {st['solves']} | "
              f"{st['timed_its'] / max(st['timed_solves'], 1):.2f} | "
              f"{st['wall'] / st['timed_steps'] * 1e3:.1f} | "
              f"{st['wall'] / st['timed_steps'] * st['steps'] / T * 1e-9:.0f} | {dev} |",
              flush=True)


if __name__ == "__main__":
    main()
