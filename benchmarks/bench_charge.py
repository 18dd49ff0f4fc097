"""Cost of the charge-current solve next to one spin-transport solve on the same grid.

Device: a 64×64 nm square pillar, FM 16 nm / NM 8 nm / FM 16 nm, 2×2×1 nm cells (32×32×40 =
40,960 cells), a disk contact of radius 10 nm on top and the whole bottom face as the second
contact, 1 mA. Magnum.fe-like transport parameters; σ = 5e6 S/m (FM), 2e7 S/m (NM). FM1 random
(seeded), FM2 +x.

Columns (wall-clock, process CPU): the charge solver's set-up (matrix, connectivity), set-up and
solve together (sparse LU factorization and solve, or CG with Jacobi at rtol 1e-12: both are
timed; LU once, it takes ~10 s), the transport model's set-up and one
quasi-static spin-transport solve from s = 0 with the solved field (``diffusion``, rtol 1e-6),
and the same with the uniform current of the same mean density (the fast path), and the
resistance. BLAS is pinned to one thread.

    .venv/bin/python benchmarks/bench_charge.py [--repeat 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from spintorque.materials import Material, Sample  # noqa: E402
from spintorque.mesh import Grid  # noqa: E402
from spintorque.transport.charge import ChargeSolver, Contact  # noqa: E402
from spintorque.transport.diffusion import DiffusionModel  # noqa: E402
from spintorque.transport.solver import TransportSolver  # noqa: E402


def device() -> Sample:
    fm = Material(name="FM", Ms=8e5, A=1.3e-11, alpha=0.02, D0=1e-3, beta=0.9, beta_prime=0.8,
                  lambda_sf=10e-9, lambda_J=4e-9, c_sd=3.125e-3, sigma=5e6)
    nm = Material(name="NM", D0=5e-3, lambda_sf=10e-9, sigma=2e7)
    g = Grid((32, 32, 40), (2e-9, 2e-9, 1e-9))
    reg = np.ones(g.shape, np.int16)
    reg[:, :, 16:24] = 2
    return Sample(g, reg, (Material(), fm, nm), ("vac", "FM", "NM"))


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = ap.parse_args()
    s = device()
    contacts = [Contact("bottom"), Contact("top", radius=10e-9)]
    m = np.zeros(s.grid.vshape)
    m[..., 0] = 1.0
    rng = np.random.default_rng(1)
    low = rng.normal(size=(32, 32, 16, 3))
    m[:, :, :16] = low / np.linalg.norm(low, axis=-1, keepdims=True)
    rows = []

    def best(label, fn, repeat=None):
        runs = [timed(fn) for _ in range(repeat or args.repeat)]
        out, w, c = min(runs, key=lambda r: r[1])
        rows.append((label, w, c))
        return out

    print(f"grid {s.grid.n}, {s.grid.ncells} cells; 1 mA through a 10 nm disk")
    for method in ("direct", "cg"):
        best(f"charge set-up ({method})",
             lambda method=method: ChargeSolver(s, contacts, method=method))
        sol = best(f"charge set-up + solve ({method})",
                   lambda method=method: ChargeSolver(s, contacts, method=method).drive(total=1e-3),
                   1 if method == "direct" else None)  # LU: ~10 s, timed once
        print(f"  {method}: R = {sol.resistance:.6g} Ohm, CG iterations {sol.iterations}")
    jmean = 1e-3 / (s.grid.size[0] * s.grid.size[1])
    for label, cur in (("field", sol.field), ("uniform", jmean)):
        model = best(f"transport set-up ({label})", lambda cur=cur: DiffusionModel(s, cur))

        def solve(model=model):
            ts = TransportSolver(model)
            ts.solve(m)
            return ts.stats

        stats = best(f"transport solve ({label})", solve)
        print(f"  transport ({label}): {stats['iterations']} iterations")
    print(f"{'':32s} {'wall [s]':>9s} {'CPU [s]':>9s}")
    for label, w, c in rows:
        print(f"{label:32s} {w:9.3f} {c:9.3f}")


if __name__ == "__main__":
    main()
