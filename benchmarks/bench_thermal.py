"""Cost of temperature per step: stochastic Heun with T > 0 against Heun at 0 K and rk45.

Grid 64 x 64 x 4 (4 nm cells) of permalloy with exchange, anisotropy and the stray field, from a
smooth state (m in the plane, turning by 90° along x, tilted 0.1 out of it); per scheme the
wall-clock and process CPU time per step (minimum over 3 batches of the batch mean, after a
warm-up):

- ``heun T=300K``: Heun with the thermal field drawn once per step (3 standard normals per cell
  from PCG64, scaled, added at both stages);
- ``heun T=0``: the same scheme without the thermal term (its noise-free cost);
- ``rk45``: the adaptive default without noise (per step, with its mean step and rejected steps
  in the timed batches; rk45 cannot take a thermal field);
- ``draw``: :meth:`ThermalField.begin_step` alone (the noise draw per step).

Run: ``.venv/bin/python benchmarks/bench_thermal.py`` (about 5 s; one thread, BLAS included, as
``spintorque run`` with ``threads = 1``).
"""

from __future__ import annotations

import datetime
import platform
import time

import numpy as np

from spintorque.dynamics import LLG
from spintorque.dynamics.integrators import make_integrator
from spintorque.fields import EffectiveField, Exchange, UniaxialAnisotropy
from spintorque.fields.demag import Demag
from spintorque.fields.thermal import ThermalField
from spintorque.materials import Material, Sample
from spintorque.mesh import Grid
from spintorque.threads import limit_threads

PERMALLOY = Material(name="Py", Ms=8.0e5, A=1.3e-11, Ku=5.0e2, axis=(1.0, 0.0, 0.0), alpha=0.02)
SHAPE, CELL = (64, 64, 4), (4e-9, 4e-9, 4e-9)
DT = 5e-14  # s, Heun's step (stable for 4 nm permalloy cells)


def best(func, repeats: int, batches: int = 3) -> tuple[float, float]:
    """(wall, CPU) seconds per call, minima over ``batches`` of batch means."""
    walls, cpus = [], []
    for _ in range(batches):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(repeats):
            func()
        walls.append((time.perf_counter() - w0) / repeats)
        cpus.append((time.process_time() - c0) / repeats)
    return min(walls), min(cpus)


def main() -> None:
    sample = Sample.uniform(Grid(SHAPE, CELL), PERMALLOY)
    x = (np.arange(SHAPE[0]) + 0.5) / SHAPE[0]
    phi = 0.5 * np.pi * x[:, None, None]
    m0 = np.stack(np.broadcast_arrays(np.cos(phi), np.sin(phi), np.full(phi.shape, 0.1)), -1)
    m0 = np.ascontiguousarray(np.broadcast_to(m0, sample.grid.vshape))
    m0 /= np.linalg.norm(m0, axis=-1, keepdims=True)
    base = [Exchange(sample), UniaxialAnisotropy(sample), Demag(sample)]
    thermal = ThermalField(sample, T=300.0, seed=1)

    def stepper(name: str, terms: list, **options):
        integ = make_integrator(name, LLG(sample, EffectiveField(terms, sample.grid.vshape)),
                                **options)
        state = {"t": 0.0, "m": m0.copy()}

        def step() -> None:
            state["t"], state["m"] = integ.step(state["t"], state["m"])

        for _ in range(3):
            step()  # warm-up: kernels, FFTW plans, rk45's first step
        return step, integ

    rows = []
    hot, _ = stepper("heun", [*base, thermal], dt=DT)
    rows.append(("heun T=300K", *best(hot, 40), DT))
    cold, _ = stepper("heun", list(base), dt=DT)
    rows.append(("heun T=0", *best(cold, 40), DT))
    rk, integ = stepper("rk45", list(base))
    before = dict(integ.stats)
    state_t = []

    def rk_step() -> None:
        rk()
        state_t.append(integ.dt)

    wall, cpu = best(rk_step, 20)
    taken = integ.stats["steps"] - before["steps"]
    rejected = integ.stats["rejected"] - before["rejected"]
    evals = (integ.stats["evaluations"] - before["evaluations"]) / max(taken, 1)
    rows.append(("rk45", wall, cpu, float(np.mean(state_t))))
    rows.append(("draw", *best(lambda: thermal.begin_step(DT), 200), DT))
    print(f"# bench_thermal {datetime.date.today()} {platform.processor() or platform.machine()}"
          f", grid {SHAPE[0]}x{SHAPE[1]}x{SHAPE[2]} ({np.prod(SHAPE)} cells), exchange + "
          "anisotropy + demag")
    print(f"{'scheme':<14} {'wall ms/step':>13} {'CPU ms/step':>12} {'dt (s)':>10}")
    for name, wall, cpu, dt in rows:
        print(f"{name:<14} {wall * 1e3:13.3f} {cpu * 1e3:12.3f} {dt:10.3g}")
    print(f"rk45: {taken} steps timed, {rejected} rejected, {evals:.2f} evaluations per step "
          "(dt column: its mean proposed step)")
    hot_w, cold_w = rows[0][1], rows[1][1]
    print(f"thermal overhead per Heun step: {100 * (hot_w / cold_w - 1):.1f} % (wall), "
          f"{(hot_w - cold_w) * 1e3:.3f} ms; Heun T=0 / rk45 per step: "
          f"{cold_w / rows[2][1]:.2f}")


if __name__ == "__main__":
    with limit_threads(1, blas=1):  # as a run does (spintorque run, threads = 1)
        main()
