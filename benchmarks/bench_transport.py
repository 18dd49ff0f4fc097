"""Cost of the spin-transport solve per LLG step on the talk's trilayer, next to the stray field.

Device: FM1 200 nm / spacer 20 nm / FM2 60 nm, 128×64 nm in plane, 4 nm cells (32×16×70 =
35,840 cells, 107,520 unknowns; ×2 at ``z_refine = 2``), magnum.fe parameters
(docs/theory/parameters.md), j = 1e11 A/m² along z. State: FM1 random (seeded, the experiment's
start), FM2 +x.

A "step" is what one field evaluation in an LLG stage costs: m moves by a small random
rotation (``--dm``, default 1e-3 rad per cell, about one RK45 stage at 0.1 ps), then the
transport model is re-assembled and solved, warm-started from the previous s. Columns, all in
one run on the same machine: assembly and solve time per step [ms] (mean over ``--steps``
steps after 3 warm-up steps), Krylov iterations per step (as each method counts them: LGMRES
counts outer cycles), matrix-vector products per step (Kv), and the ratio to one
``Demag.field`` call (min over batches). Wall-clock and process CPU times are both printed;
on a shared machine the CPU time is the steadier figure. BLAS is pinned to one thread (the
Krylov vector operations are BLAS level 1; extra BLAS threads only contend on a loaded machine)
and FFTW runs single-threaded by default, so both sides use one core.

    .venv/bin/python benchmarks/bench_transport.py [--steps 10] [--dm 1e-3] [--quick] [--llg]
        [--step] [--gspm]

``--llg`` also times 10 real RK45 steps (after 3) of the coupled LLG (exchange, anisotropy,
Demag and the spin-accumulation field) for both models at z_refine 1 and 2. That is the
realistic measure: the random per-cell steps of the table above are uncorrelated from one
solve to the next, the worst case for the solver's projected warm start (which pays when
successive m lie in a few directions, as the stages of an RK45 step do), so the table counts
its 6 extra products without their benefit. ``--llg`` also times RK45 with one transport
solve per step (at rtol 1e-3), and RK43 the same way (the switching experiment's full preset;
``--step`` alone runs just these two), ``--gspm`` GSPM at 1 ps with one solve per step (rtol
1e-5); 100 steps after 3 each (about half the once-per-step solves need no iteration, so fewer
steps scatter).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from spintorque import Material, Sample  # noqa: E402
from spintorque.experiments.trilayer import MATERIAL_SETS  # noqa: E402
from spintorque.transport.diffusion import DiffusionModel  # noqa: E402
from spintorque.transport.moment import MomentModel  # noqa: E402
from spintorque.transport.solver import TransportSolver  # noqa: E402

# the switching experiment's magnum.fe set (docs/theory/parameters.md), so the benchmark times what
# it runs
FM = Material("FM", **MATERIAL_SETS["magnumfe"]["fm"])
NM = Material("Cu", **MATERIAL_SETS["magnumfe"]["nm"])


def trilayer(nxy=(32, 16), fm1=200e-9) -> tuple[Sample, np.ndarray]:
    sample = Sample.stack(
        nxy, (4e-9,) * 3, [("FM1", fm1, FM), ("spacer", 20e-9, NM), ("FM2", 60e-9, FM)]
    )
    m = np.random.default_rng(1).normal(size=sample.grid.vshape)
    m[sample.mask("FM2")] = [1.0, 0.0, 0.0]
    m[sample.mask("spacer")] = 0.0
    return sample, normalize(m)


def normalize(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-300)


def time_demag(sample: Sample, m: np.ndarray) -> tuple[float, float, str]:
    """(wall, CPU) s per Demag.field call, and what was timed."""
    try:
        from spintorque.fields.demag import Demag

        term = Demag(sample)
        out = np.empty_like(m)

        def call():
            term.field(m, out=out)

        what = "Demag.field"
    except ImportError:  # stand-in: the bare zero-padded FFT convolution
        shape = tuple(2 * n for n in sample.grid.n)
        kern = np.fft.rfftn(np.random.default_rng(0).normal(size=(6, *shape)), axes=(1, 2, 3))

        def call():
            f = np.fft.rfftn(m.transpose(3, 0, 1, 2), s=shape, axes=(1, 2, 3))
            h = np.stack(
                [
                    kern[0] * f[0] + kern[3] * f[1] + kern[4] * f[2],
                    kern[3] * f[0] + kern[1] * f[1] + kern[5] * f[2],
                    kern[4] * f[0] + kern[5] * f[1] + kern[2] * f[2],
                ]
            )
            np.fft.irfftn(h, s=shape, axes=(1, 2, 3))

        what = "bare numpy FFT convolution (Demag not importable)"
    call()
    wall = cpu = np.inf
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(5):
            call()
        wall = min(wall, (time.perf_counter() - t0) / 5)
        cpu = min(cpu, (time.process_time() - c0) / 5)
    return wall, cpu, what


def time_transport(model, m, method, precond, steps, dm, rng, rtol) -> dict:
    solver = TransportSolver(model, method=method, preconditioner=precond, rtol=rtol)
    mm = m.copy()
    solver.solve(mm)
    cold_its = solver.stats["iterations"]
    for _ in range(3):  # warm-up steps
        mm = normalize(
            mm + dm * rng.normal(size=mm.shape) * (np.abs(mm).sum(-1, keepdims=True) > 0)
        )
        solver.solve(mm)
    solver.stats.update(solves=0, iterations=0, assemble_s=0.0, solve_s=0.0, matvecs=0)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        mm = normalize(
            mm + dm * rng.normal(size=mm.shape) * (np.abs(mm).sum(-1, keepdims=True) > 0)
        )
        solver.solve(mm)
    wall, cpu = (time.perf_counter() - t0) / steps, (time.process_time() - c0) / steps
    st = solver.stats
    return {
        "wall": wall,
        "cpu": cpu,
        "asm": st["assemble_s"] / steps,
        "solve": st["solve_s"] / steps,
        "its": st["iterations"] / steps,
        "matvecs": st.get("matvecs", 0) / steps,
        "cold_its": cold_its,
    }


#: coupled-run setups: integrator, its options, transport rtol
SETUPS = {
    "rk45": ("rk45", {}, 1e-6),  # s solved at every stage
    "rk45-step": ("rk45", {"transport_update": "step"}, 1e-3),
    "rk43-step": ("rk43", {"transport_update": "step"}, 1e-3),  # the full switching preset
    "gspm": ("gspm", {"dt": 1e-12}, 1e-5),  # s solved once per 1 ps step
}


def time_llg(sample, m, model, r, demag_cpu, steps=10, setup="rk45") -> None:
    """A real coupled run: exchange + anisotropy + Demag + SpinAccumulationField, integrated as
    in ``SETUPS[setup]``: RK45 (default tolerances) solving s at every stage to rtol 1e-6, RK45
    or RK43 solving s once per step to rtol 1e-3 (RK43: the switching experiment's full
    preset), or GSPM at 1 ps solving s once per step to rtol 1e-5. Prints the transport cost
    per step next to the stray-field cost per step (Demag calls per step × the CPU time of one
    call)."""
    from spintorque.dynamics import LLG
    from spintorque.dynamics.integrators import make_integrator
    from spintorque.fields import EffectiveField, Exchange, UniaxialAnisotropy
    from spintorque.fields.demag import Demag
    from spintorque.transport.coupling import SpinAccumulationField

    integrator, options, rtol = SETUPS[setup]
    tr = SpinAccumulationField(sample, model, 1e11, z_refine=r, rtol=rtol)
    demag = Demag(sample)
    calls = [0]
    demag_field = demag.field

    def counted(*args, **kwargs):
        calls[0] += 1
        return demag_field(*args, **kwargs)

    demag_add = demag.add_field

    def counted_add(*args, **kwargs):  # EffectiveField adds every term after the first in place
        calls[0] += 1
        return demag_add(*args, **kwargs)

    demag.field = counted
    demag.add_field = counted_add
    terms = [Exchange(sample), UniaxialAnisotropy(sample), demag, tr]
    llg = LLG(sample, EffectiveField(terms, sample.grid.vshape))
    integ = make_integrator(integrator, llg, **options)
    t, mm = 0.0, m.copy()
    for _ in range(3):
        t, mm = integ.step(t, mm)
    tr.solver.stats.update(solves=0, iterations=0, assemble_s=0.0, solve_s=0.0, matvecs=0)
    calls[0] = 0
    c0 = time.process_time()
    for _ in range(steps):
        t, mm = integ.step(t, mm)
    cpu = (time.process_time() - c0) / steps
    st = tr.solver.stats
    per_solve = (st["assemble_s"] + st["solve_s"]) / st["solves"]
    per_step = (st["assemble_s"] + st["solve_s"]) / steps
    demag_step = demag_cpu * calls[0] / steps
    dt = integ.dt
    print(
        f"LLG {setup:>9} {model:>9} r={r}: {cpu:.3f} s CPU per step of {dt:.2e} s "
        f"({cpu / dt * 2e-9 / 60:.1f} min per 2 ns), transport {per_step:.3f} s per step "
        f"({st['solves'] / steps:.1f} solves, {st['matvecs'] / st['solves']:.1f} Kv, "
        f"{1e3 * st['assemble_s'] / st['solves']:.1f} + {1e3 * st['solve_s'] / st['solves']:.1f} "
        f"ms assembly + solve each), stray field {1e3 * demag_step:.1f} ms per step "
        f"({calls[0] / steps:.0f} calls): transport / stray field per step "
        f"{per_step / demag_step:.1f}x, per call {per_solve / demag_cpu:.1f}x"
    )


def time_splu(sample, m) -> float:
    model = DiffusionModel(sample, 1e11)
    solver = TransportSolver(model, method="splu")
    t0 = time.perf_counter()
    solver.solve(m)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--dm", type=float, default=1e-3)
    ap.add_argument("--rtol", type=float, default=1e-6, help="Krylov relative residual")
    ap.add_argument("--llg", action="store_true", help="also time real coupled RK45 steps")
    ap.add_argument("--step", action="store_true",
                    help="also time coupled RK45 and RK43 steps with one transport solve per step")
    ap.add_argument("--gspm", action="store_true",
                    help="also time real coupled GSPM steps (1 ps, one transport solve per step)")
    ap.add_argument("--quick", action="store_true", help="default solver only")
    ap.add_argument("--no-table", action="store_true", help="skip the random-step table")
    args = ap.parse_args()
    rng = np.random.default_rng(2)
    sample, m = trilayer()
    print(
        f"# bench_transport  {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC  "
        f"{platform.processor() or platform.machine()}  load avg {os.getloadavg()[0]:.1f}"
    )
    print(
        f"# trilayer {sample.grid.n} cells of 4 nm, j = 1e11 A/m^2, dm = {args.dm} rad per step, "
        f"rtol = {args.rtol}"
    )
    dw, dc, what = time_demag(sample, m)
    print(f"stray field ({what}): wall {1e3 * dw:.1f} ms, CPU {1e3 * dc:.1f} ms per call")
    cases = [(name, r, "auto", "auto") for name in ("diffusion", "moment") for r in (1, 2)]
    if not args.quick:
        cases += [
            (name, 1, meth, pc)
            for name in ("diffusion", "moment")
            for meth in ("bicgstab", "lgmres", "gmres")
            for pc in ("block_jacobi", "line")
            if (meth, pc) != ("lgmres" if name == "moment" else "bicgstab", "line")
        ]
    print(
        f"{'model':>9} {'r':>2} {'unknowns':>9} {'method':>8} {'precond':>12} {'cold its':>8} "
        f"{'its/step':>8} {'Kv/step':>7} {'asm ms':>7} {'solve ms':>8} {'wall ms':>8} "
        f"{'CPU ms':>7} {'CPU/demag':>9}"
    )
    for name, r, method, pc in [] if args.no_table else cases:
        cls = DiffusionModel if name == "diffusion" else MomentModel
        model = cls(sample, 1e11, z_refine=r)
        res = time_transport(model, m, method, pc, args.steps, args.dm, rng, args.rtol)
        if pc == "auto":
            chosen = TransportSolver(model)
            method, pc = chosen.method + "*", chosen.preconditioner + "*"
        print(
            f"{name:>9} {r:>2} {3 * model.ncells:>9} {method:>8} {pc:>12} {res['cold_its']:>8} "
            f"{res['its']:>8.1f} {res['matvecs']:>7.1f} {1e3 * res['asm']:>7.1f} "
            f"{1e3 * res['solve']:>8.1f} {1e3 * res['wall']:>8.1f} {1e3 * res['cpu']:>7.1f} "
            f"{res['cpu'] / dc:>9.2f}"
        )
    setups = [name for name, on in (("rk45", args.llg), ("rk45-step", args.llg or args.step),
                                    ("rk43-step", args.llg or args.step),
                                    ("gspm", args.gspm)) if on]
    if setups:
        # the coupled runs start from the switching experiment's relaxed state (FM1 relaxed
        # from random, FM2 +x): the unrelaxed random FM1 forces 3x smaller steps and harder solves
        from spintorque.experiments.runner import relax_state
        from spintorque.experiments.trilayer import preset

        m, _ = relax_state(preset("full"))
        print("# coupled runs from the relaxed state of the full switching preset")
    for setup in setups:
        for name in ("diffusion", "moment"):
            for r in (1, 2):
                time_llg(sample, m, name, r, dc, steps=10 if setup == "rk45" else 100,
                         setup=setup)
    if not args.quick:
        # sparse direct LU: fill grows fast with the cross-section, so only small ones
        for nxy in ((4, 2), (8, 4), (16, 4)):
            s2, m2 = trilayer(nxy)
            t = time_splu(s2, m2)
            print(f"splu (one factorization + solve) at {s2.grid.n}: {t:.2f} s wall")


if __name__ == "__main__":
    main()
