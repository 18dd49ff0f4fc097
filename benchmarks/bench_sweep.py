"""Sweep throughput with 1 and 2 local Dask workers, and one switching run's wall time.

    python benchmarks/bench_sweep.py throughput [--points 8] [--kind synthetic|smoke]
    python benchmarks/bench_sweep.py run --preset full --model diffusion \
        [--duration 2] [--current 10]

``throughput`` runs the same points into fresh stores with 1 and then 2 workers and prints
points/s and the ratio (target: 2 workers ≥ 1.8× one, on an otherwise idle 2-core machine;
the load average is printed because other processes make the ratio meaningless).
``synthetic`` points are CPU-bound pure-Python sums (~1.5 s each); ``smoke`` points are real
1 ns switching runs on the 16 nm mesh (~1 s each). Each worker runs one untimed point first.
"""

from __future__ import annotations

import argparse
import os

# the Krylov vector operations are memory-bound BLAS-1: extra BLAS threads only contend (two
# 2 ns runs side by side with 2 OpenBLAS threads each took > 10 min instead of ~7)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import tempfile  # noqa: E402
import time  # noqa: E402


def _tasks(kind: str, n: int, out: str) -> tuple[str, dict]:
    if kind == "synthetic":
        return "spintorque.sweep.tasks:synthetic_point", {
            f"p{i}": {"x": 0.001 * (i + 1), "n": 15_000_000} for i in range(n)}
    from spintorque.experiments.runner import relax_state
    from spintorque.experiments.trilayer import preset

    exp = preset("smoke", duration=1e-9, min_duration=1e-9)  # seconds per point
    relaxed = os.path.join(out, "relaxed.npy")
    relax_state(exp, relaxed)
    return "spintorque.experiments.runner:switching_task", {
        f"j{i}": {"experiment": exp.to_dict(), "current": (i + 1) * 1e10, "relaxed": relaxed,
                  "figures": False} for i in range(n)}


def _warm(task: str, params: dict) -> None:
    """One untimed point on a worker: numba compiles its kernels once per process."""
    from spintorque.sweep.dask_runner import resolve

    resolve(task)(params)


def throughput(kind: str, n: int) -> None:
    from spintorque.sweep.dask_runner import SweepRunner
    from spintorque.sweep.store import Store

    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        task, tasks = _tasks(kind, n, tmp)
        for workers in (1, 2):
            with SweepRunner(workers=workers) as runner:
                runner.client.run(_warm, task, next(iter(tasks.values())))  # JIT, not timed
                with Store(os.path.join(tmp, f"w{workers}.sqlite")) as st:
                    t0 = time.perf_counter()
                    s = runner.run(st, task, tasks, progress=False)
                    wall = time.perf_counter() - t0
            assert s.failed == 0, s
            rates[workers] = n / wall
            print(f"{kind}: {workers} worker(s): {n} points in {wall:.2f} s, "
                  f"{rates[workers]:.3f} points/s, load average {os.getloadavg()[0]:.1f}")
    print(f"speed-up 2 workers / 1 worker: {rates[2] / rates[1]:.2f} (target >= 1.8)")


def one_run(preset_name: str, model: str, duration_ns: float | None, current: float = 10.0,
            transport_rtol: float | None = None, relaxed: str | None = None,
            transport_update: str | None = None, out: str | None = None,
            precision: str | None = None, rtol: float | None = None,
            transport_predict: int | None = None) -> None:
    """One switching run alone at ``current`` [1e10 A/m²] from the relaxed state (relaxed
    here, or read from / cached in the ``.npy`` file ``relaxed``); ``out``: folder for the
    run's table and final state (``final.npy``, to compare settings)."""
    from spintorque.experiments.runner import relax_state, run_switching_point
    from spintorque.experiments.trilayer import preset

    over = {"model": model}
    if duration_ns:
        over.update(duration=duration_ns * 1e-9, min_duration=duration_ns * 1e-9)  # no early stop
    if transport_rtol:
        over["transport_rtol"] = transport_rtol
    if transport_update:
        over["transport_update"] = transport_update
    if precision:
        over["precision"] = precision
    if rtol:
        over["rtol"] = rtol
    if transport_predict:
        over["transport_predict"] = transport_predict
    exp = preset(preset_name, **over)
    t0 = time.perf_counter()
    m, _ = relax_state(exp, relaxed)
    t1 = time.perf_counter()
    res = run_switching_point(exp, current * 1e10, out_dir=out, relaxed=m, figures=False,
                              checkpoint_every=None)
    t2 = time.perf_counter()
    print(f"{preset_name} {model} j = {current:g}e10 A/m^2: grid {exp.shape}, "
          f"relax {t1 - t0:.1f} s, run of "
          f"{res['t_end'] * 1e9:.2f} ns {t2 - t1:.1f} s ({res['steps']} steps), state "
          f"{res['label']}, load average {os.getloadavg()[0]:.1f}")
    ts = res["transport_stats"]
    if ts.get("solves"):
        print(f"  transport rtol {exp.transport_rtol:g}: {ts['solves']} solves, "
              f"{ts['iterations'] / ts['solves']:.1f} iterations per solve, mean step "
              f"{res['t_end'] / max(res['steps'], 1) * 1e12:.3f} ps")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("throughput")
    a.add_argument("--points", type=int, default=8)
    a.add_argument("--kind", choices=("synthetic", "smoke"), default="synthetic")
    b = sub.add_parser("run")
    b.add_argument("--preset", default="full")
    b.add_argument("--model", default="diffusion")
    b.add_argument("--duration", type=float, default=None, help="ns")
    b.add_argument("--current", type=float, default=10.0, help="1e10 A/m^2 (default 10)")
    b.add_argument("--transport-rtol", type=float, default=None,
                   help="relative residual of each transport solve (default: the preset's)")
    b.add_argument("--relaxed", default=None, help=".npy file of the relaxed state (cache)")
    b.add_argument("--transport-update", default=None,
                   choices=("step", "evaluation", "accepted", "corrected"),
                   help="when the transport is solved (default: the preset's)")
    b.add_argument("--out", default=None, help="folder for table.tsv and final.npy")
    b.add_argument("--rtol", type=float, default=None,
                   help="the integrator's rtol (default: the preset's, 1e-5)")
    b.add_argument("--transport-predict", type=int, default=None, choices=(1, 2),
                   help="degree of the prediction of s between solves (default 1)")
    b.add_argument("--precision", default=None, choices=("float64", "float32"),
                   help="the stray field's convolution (default: the preset's, float64)")
    args = ap.parse_args()
    if args.cmd == "throughput":
        throughput(args.kind, args.points)
    else:
        one_run(args.preset, args.model, args.duration, args.current, args.transport_rtol,
                args.relaxed, args.transport_update, args.out, args.precision, args.rtol,
                args.transport_predict)
