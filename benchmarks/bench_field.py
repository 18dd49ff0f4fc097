"""Time one effective-field evaluation (exchange + anisotropy + Zeeman + demag) per grid.

Columns, all measured in this run on the same machine:
- ``field``: ``EffectiveField([Exchange, UniaxialAnisotropy, Zeeman, Demag]).field(m, out=...)``;
- ``demag``: the Demag term alone (pruned pyFFTW transforms + fused Numba product);
- ``floor``: bare unpruned convolution with the same backend: forward real FFT of the three
  zero-padded components over all padded axes, the same fused product, three inverse FFTs
  (no copies in or out, axes of length 1 not padded);
- ``setup``: building the four terms (tensor, FFTW plans), after a warm-up build;
- ``magnum.np``: its full effective field on the same grid if ``import magnumnp`` works.

Each figure is the minimum over 5 batches of the mean time per call, as wall-clock time and as
process CPU time (the latter is less disturbed when other jobs share the cores; FFTW runs
single-threaded by default, so CPU time = busy time of the one core used). Run:
``.venv/bin/python benchmarks/bench_field.py [--grids 100x25x1,256x256x1]``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import numpy as np
import pyfftw

from spintorque.fields import EffectiveField, Exchange, UniaxialAnisotropy, Zeeman
from spintorque.fields.demag import Demag
from spintorque.fields.demag.convolution import _product, padded_length, wrap_kernel
from spintorque.materials import Material, Sample
from spintorque.mesh import Grid

GRIDS = {
    "100x25x1": ((100, 25, 1), (5e-9, 5e-9, 3e-9)),
    "256x256x1": ((256, 256, 1), (5e-9, 5e-9, 3e-9)),
    "32x16x70": ((32, 16, 70), (4e-9, 4e-9, 4e-9)),
    "128x64x32": ((128, 64, 32), (4e-9, 4e-9, 4e-9)),
}
PERMALLOY = Material(name="Py", Ms=8.0e5, A=1.3e-11, Ku=5.0e2, axis=(1.0, 0.0, 0.0), alpha=0.02)


# magnum.np 2.2.0, full field, 2 torch threads, quiet machine (docs/performance.md, time per
# evaluation) [ms]
MAGNUMNP_NOTES = {"100x25x1": 0.88, "256x256x1": 8.1, "128x64x32": 85.0}


def best_time(func, target: float = 0.25, batches: int = 5) -> tuple[float, float]:
    """(wall, CPU) seconds per call: minima over ``batches`` of the batch means."""
    func()
    t0 = time.perf_counter()
    func()
    once = max(time.perf_counter() - t0, 1e-6)
    reps = max(1, int(target / once))
    wall = cpu = np.inf
    for _ in range(batches):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            func()
        wall = min(wall, (time.perf_counter() - t0) / reps)
        cpu = min(cpu, (time.process_time() - c0) / reps)
    return wall, cpu


def random_m(shape: tuple[int, int, int, int], seed: int = 1) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=shape)
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


def build_terms(sample: Sample, threads: int = 1) -> EffectiveField:
    terms = [
        Exchange(sample),
        UniaxialAnisotropy(sample),
        Zeeman(sample, B=(0.0, 0.0, 0.01)),
        Demag(sample, threads=threads),
    ]
    return EffectiveField(terms, sample.grid.vshape)


class UnprunedFloor:
    """Reference convolution: full padded real FFTs, fused product, inverse FFTs (same backend)."""

    def __init__(self, demag: Demag):
        conv = demag._conv
        n, padded = conv.n, conv.padded
        active = [a for a in (2, 1, 0) if n[a] > 1]
        axes = tuple(a + 1 for a in active[::-1])
        spec = list(padded)
        spec[active[0]] = padded[active[0]] // 2 + 1
        self.real = pyfftw.zeros_aligned((3, *padded), dtype=np.float64)
        self.spec = pyfftw.zeros_aligned((3, *spec), dtype=np.complex128)
        self.back = pyfftw.zeros_aligned((3, *padded), dtype=np.float64)
        flags = ("FFTW_MEASURE",)
        threads = conv.threads
        self.fwd = pyfftw.FFTW(self.real, self.spec, axes=axes, flags=flags, threads=threads)
        self.inv = pyfftw.FFTW(self.spec, self.back, axes=axes, direction="FFTW_BACKWARD",
                               flags=(*flags, "FFTW_DESTROY_INPUT"), threads=threads)
        # the full (unfolded) kernel spectrum for the plain product; not timed
        kernel = np.fft.rfftn(wrap_kernel(demag.tensor, padded), axes=axes).real
        self.kernel = np.ascontiguousarray(kernel / np.prod(padded)).reshape(6, -1)
        sl = tuple(slice(0, v) for v in n)
        self.real[...] = 0.0
        self.real[(slice(None), *sl)] = np.moveaxis(random_m((*n, 3)), -1, 0)

    def __call__(self) -> None:
        self.fwd.execute()
        _product(self.spec.reshape(3, -1), self.kernel)
        self.inv.execute()


def numpy_product(spec: np.ndarray, kernel: np.ndarray) -> None:
    """The Fourier-space product with NumPy temporaries (what the fused kernel replaces)."""
    mx, my, mz = spec[0].copy(), spec[1].copy(), spec[2].copy()
    xx, yy, zz, xy, xz, yz = kernel
    spec[0] = xx * mx + xy * my + xz * mz
    spec[1] = xy * mx + yy * my + yz * mz
    spec[2] = xz * mx + yz * my + zz * mz


class ScipyFloor:
    """The unpruned floor with scipy.fft (1 worker) and either product."""

    def __init__(self, floor: UnprunedFloor, fused: bool):
        import scipy.fft

        self.fft = scipy.fft
        self.real = np.array(floor.real)
        self.axes = floor.fwd.axes
        self.shape = [floor.real.shape[a] for a in self.axes]
        self.kernel = floor.kernel
        self.fused = fused

    def __call__(self) -> None:
        spec = self.fft.rfftn(self.real, axes=self.axes, workers=1)
        flat = spec.reshape(3, -1)
        if self.fused:
            _product(flat, self.kernel)
        else:
            numpy_product(flat, self.kernel)
        self.fft.irfftn(spec, s=self.shape, axes=self.axes, workers=1)


def magnumnp_subprocess(n: tuple[int, int, int]) -> tuple[float, float] | None:
    """magnum.np timed by ``benchmarks/peers/magnumnp_bench.py`` in the interpreter named by
    ``SPINTORQUE_PEER_PYTHON`` (a venv with ``torch==2.13.0 magnumnp``, kept apart from ours).
    Returns (wall, wall): only its wall time is measured (it runs 2 torch threads)."""
    python = os.environ.get("SPINTORQUE_PEER_PYTHON")
    if not python:
        return None
    import json
    import subprocess
    script = os.path.join(os.path.dirname(__file__), "peers", "magnumnp_bench.py")
    done = subprocess.run([python, script, "field", *map(str, n)], capture_output=True,
                          text=True, timeout=1800)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        return None
    seconds = json.loads(lines[-1])["ms_per_field"] / 1e3
    return seconds, seconds


def magnumnp_time(
    n: tuple[int, int, int], cell: tuple[float, float, float]
) -> tuple[float, float] | None:
    """(wall, CPU) seconds per full effective field in magnum.np, or None if not installed."""
    try:
        import magnumnp as mnp
        import torch
    except Exception:
        return magnumnp_subprocess(n)
    # same set-up as benchmarks/peers/magnumnp_bench.py: float64, 2 threads, four terms
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(2)
    state = mnp.State(mnp.Mesh(n, cell))
    state.material = {"Ms": PERMALLOY.Ms, "A": PERMALLOY.A, "Ku": PERMALLOY.Ku,
                      "Ku_axis": state.Constant([1.0, 0.0, 0.0]), "alpha": PERMALLOY.alpha}
    state.m = state.Constant([0.0, 0.0, 0.0])
    state.m[...] = torch.from_numpy(random_m((*n, 3)))
    terms = [mnp.DemagField(), mnp.ExchangeField(), mnp.UniaxialAnisotropyField(),
             mnp.ExternalField([0.0, 0.0, 0.01 / (4e-7 * np.pi)])]
    with torch.no_grad():
        return best_time(lambda: sum(t.h(state) for t in terms))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", default=",".join(GRIDS), help="comma-separated grid names")
    parser.add_argument("--threads", type=int, default=1,
                        help="FFTW threads for Demag and the floor (default 1)")
    args = parser.parse_args()
    rows, variants = [], []
    mnp_status = "not installed"
    for key in args.grids.split(","):
        if key not in GRIDS:
            raise SystemExit(f"--grids: unknown grid {key!r}; choose from {list(GRIDS)}")
        n, cell = GRIDS[key]
        sample = Sample.uniform(Grid(n, cell), PERMALLOY)
        build_terms(sample, args.threads)  # warm-up: Numba cache load, FFTW wisdom
        t0 = time.perf_counter()
        field = build_terms(sample, args.threads)
        setup = time.perf_counter() - t0
        demag = field.terms[-1]
        m = random_m(sample.grid.vshape)
        out = np.empty(sample.grid.vshape)
        buf = np.empty(sample.grid.vshape)
        t_field = best_time(lambda: field.field(m, 0.0, out=out))  # noqa: B023
        t_demag = best_time(lambda: demag.field(m, 0.0, out=buf))  # noqa: B023
        floor = UnprunedFloor(demag)
        t_floor = best_time(floor)
        flat = floor.spec.reshape(3, -1)
        variants.append((
            key,
            best_time(lambda: numpy_product(flat, floor.kernel)),  # noqa: B023
            best_time(lambda: _product(flat, floor.kernel)),  # noqa: B023
            best_time(ScipyFloor(floor, fused=False)),
            best_time(ScipyFloor(floor, fused=True)),
            t_floor,
        ))
        t_mnp = magnumnp_time(n, cell)
        if t_mnp is not None:
            mnp_status = "installed"
        padded = "×".join(str(padded_length(v)) for v in n)
        rows.append((key, padded, setup, t_field, t_demag, t_floor, t_mnp))

    print(f"# bench_field  {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}; FFTW threads {args.threads}; "
          f"magnum.np {mnp_status}\n")
    print("ms per evaluation, wall / CPU; ratios from CPU times of this run\n")
    print("| grid | padded | setup [ms] | full field | demag | unpruned floor | demag / floor "
          "| field / floor | magnum.np (this run) | magnum.np (notes) | field / notes |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")

    def pair(t: tuple[float, float]) -> str:
        return f"{t[0] * 1e3:.3g} / {t[1] * 1e3:.3g}"

    for key, padded, setup, tf, td, tfl, tm in rows:
        mnp = "not installed" if tm is None else pair(tm)
        notes = MAGNUMNP_NOTES.get(key)
        ratio = "–" if notes is None else f"{tf[1] * 1e3 / notes:.2f}"
        print(f"| {key} | {padded} | {setup * 1e3:.0f} | {pair(tf)} | {pair(td)} | {pair(tfl)} "
              f"| {td[1] / tfl[1]:.2f} | {tf[1] / tfl[1]:.2f} | {mnp} "
              f"| {'–' if notes is None else notes} | {ratio} |")
    print("\nBackends and products for the unpruned floor, ms per call, wall / CPU\n")
    print("| grid | product, NumPy temporaries | product, fused Numba | scipy.fft + NumPy product "
          "| scipy.fft + Numba product | pyFFTW + Numba product |")
    print("|---|---|---|---|---|---|")
    for key, *times in variants:
        print(f"| {key} | " + " | ".join(pair(t) for t in times) + " |")


if __name__ == "__main__":
    main()
