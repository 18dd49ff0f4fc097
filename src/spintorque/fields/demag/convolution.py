"""Zero-padded FFT convolution ``H = N * M`` of a symmetric 3x3 kernel with a vector field.

Pruned: each axis of length > 1 is padded to ``P >= 2n - 1`` (an even 5-smooth length); an axis
of length 1 is not padded or transformed. The forward pass transforms the last such axis first
(real to complex), then each further axis only on the slabs that are not pure padding; the
inverse pass mirrors it and never transforms rows that would be cropped. The six kernel spectra
are real (every component is even or odd along each axis), so the Fourier-space product is a real
3x3 symmetric matrix times a complex 3-vector, done in place by one fused Numba kernel.
Transforms are pyFFTW plans made once, on buffers reused for every call; FFTW wisdom is cached
on disk (:func:`wisdom_path`).
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import numba
import numpy as np

from ...io.atomic import atomic_write
from ...threads import check_threads, run_threads
from ..base import write_or_add


def _import_pyfftw():
    """Import pyFFTW without its optional SciPy and Dask interfaces, which would import
    scipy.fft and dask.array (about 1 s of start-up on this machine; we only use ``pyfftw.FFTW``).
    ``None`` entries in ``sys.modules`` make those optional imports fail fast inside pyFFTW's
    ``try/except ImportError``; they are removed again so SciPy and Dask stay importable."""
    if "pyfftw" in sys.modules:
        return sys.modules["pyfftw"]
    blocked = [key for key in ("scipy.fftpack", "dask.array.fft") if key not in sys.modules]
    for key in blocked:
        sys.modules[key] = None  # type: ignore[assignment]
    try:
        import pyfftw
    finally:
        for key in blocked:
            if key in sys.modules and sys.modules[key] is None:
                del sys.modules[key]
    return pyfftw


pyfftw = _import_pyfftw()

_wisdom_loaded = False


def wisdom_path() -> Path:
    """Where FFTW plans measured on this machine are kept between runs (``$SPINTORQUE_CACHE_DIR``,
    default ``~/.cache/spintorque``), so FFTW_MEASURE planning is paid once per machine."""
    root = os.environ.get("SPINTORQUE_CACHE_DIR") or Path.home() / ".cache" / "spintorque"
    return Path(root) / "fftw_wisdom.bin"


def _load_wisdom() -> tuple:
    """Import saved FFTW wisdom once per process; returns the wisdom now in effect."""
    global _wisdom_loaded
    if not _wisdom_loaded:
        _wisdom_loaded = True
        try:
            data = wisdom_path().read_bytes()
            parts, pos = [], 0
            while pos < len(data):  # three length-prefixed byte strings (double, single, long)
                size = int.from_bytes(data[pos : pos + 8], "little")
                parts.append(data[pos + 8 : pos + 8 + size])
                pos += 8 + size
            if len(parts) == 3:
                pyfftw.import_wisdom(tuple(parts))
        except (OSError, ValueError):
            pass  # no or unreadable cache: plan from scratch
    return pyfftw.export_wisdom()


def _save_wisdom(before: tuple) -> None:
    """Write the wisdom if planning added to it; atomic replace, failures ignored (cache only)."""
    wisdom = pyfftw.export_wisdom()
    if wisdom == before:
        return
    path = wisdom_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = b"".join(len(part).to_bytes(8, "little") + part for part in wisdom)
        atomic_write(path, lambda fh: fh.write(blob))
    except OSError:
        pass


#: precisions of the convolution (the rest of a run is float64 either way)
PRECISIONS = ("float64", "float32")

# parity (+1 even, -1 odd) of each component along x, y, z; order of newell.COMPONENTS
_PARITY = ((1, 1, 1), (1, 1, 1), (1, 1, 1), (-1, -1, 1), (-1, 1, -1), (1, -1, -1))


def padded_length(n: int) -> int:
    """Smallest even 5-smooth length >= 2n - 1 (1 for n == 1): circular = linear convolution.

    Even lengths keep the real-to-complex transforms on FFTW's fast path; measured against
    7-smooth and power-of-two lengths (benchmarks/README.md).
    """
    if n == 1:
        return 1
    p = 2 * n - 1 + (2 * n - 1) % 2
    while True:
        q = p
        for f in (2, 3, 5):
            while q % f == 0:
                q //= f
        if q == 1:
            return p
        p += 2


def wrap_kernel(octant: np.ndarray, padded: tuple[int, int, int], out: np.ndarray | None = None):
    """Place the non-negative-offset tensor ``(6, nx, ny, nz)`` on the periodic padded grid.

    Offset ``-d`` goes to index ``P - d`` with the component's parity sign; the gap between the
    positive and negative offsets stays zero. Returns ``(6, Px, Py, Pz)`` (written into ``out``).
    """
    n = octant.shape[1:]
    if out is None:
        out = np.zeros((6, *padded))
    else:
        out[...] = 0.0
    # per axis: (destination, source, which sign) for the non-negative and the negative offsets
    parts = []
    for axis in range(3):
        pos = (slice(0, n[axis]), slice(0, n[axis]), 0)
        if padded[axis] == 1:
            parts.append([pos])
        else:
            neg = (slice(padded[axis] - n[axis] + 1, padded[axis]), slice(n[axis] - 1, 0, -1), 1)
            parts.append([pos, neg])
    for px, py, pz in itertools.product(*parts):
        dst = (slice(None), px[0], py[0], pz[0])
        src = (slice(None), px[1], py[1], pz[1])
        sign = np.array(
            [(par[0] if px[2] else 1) * (par[1] if py[2] else 1) * (par[2] if pz[2] else 1)
             for par in _PARITY],
            float,
        ).reshape(6, 1, 1, 1)
        np.multiply(octant[src], sign, out=out[dst])
    return out


@numba.njit(cache=True, fastmath={"contract"})
def _product(c, k):  # pragma: no cover - compiled
    # c: (3, n) complex spectra of M, overwritten with those of H; k: (6, n) real kernel spectra
    for i in range(c.shape[1]):
        mx, my, mz = c[0, i], c[1, i], c[2, i]
        xx, yy, zz, xy, xz, yz = k[0, i], k[1, i], k[2, i], k[3, i], k[4, i], k[5, i]
        c[0, i] = xx * mx + xy * my + xz * mz
        c[1, i] = xy * mx + yy * my + yz * mz
        c[2, i] = xz * mx + yz * my + zz * mz


@numba.njit(cache=True, fastmath={"contract"})  # FMA only (NaNs still propagate): 8 -> 6 ms
def _product_folded(c, k, ix, sx, iy, sy, iz, sz):  # pragma: no cover - compiled
    # Same product with the kernel stored for non-negative frequencies only: K(P - f) equals
    # K(f) for even components and -K(f) for odd ones. i* map a spectrum index to the stored one,
    # s* are -1 where that index was reflected (odd components change sign there).
    for i in range(c.shape[1]):
        a = ix[i]
        for j in range(c.shape[2]):
            b = iy[j]
            sxy = sx[i] * sy[j]
            for q in range(c.shape[3]):
                d = iz[q]
                mx, my, mz = c[0, i, j, q], c[1, i, j, q], c[2, i, j, q]
                xx, yy, zz = k[0, a, b, d], k[1, a, b, d], k[2, a, b, d]
                xy = sxy * k[3, a, b, d]
                xz = sx[i] * sz[q] * k[4, a, b, d]
                yz = sy[j] * sz[q] * k[5, a, b, d]
                c[0, i, j, q] = xx * mx + xy * my + xz * mz
                c[1, i, j, q] = xy * mx + yy * my + yz * mz
                c[2, i, j, q] = xz * mx + yz * my + zz * mz


@numba.njit(cache=True, fastmath={"contract"})
def _product_folded_parts(c, k, ix, sx, iy, sy, iz, sz):  # pragma: no cover - compiled
    # _product_folded on the real view of the spectra (real and imaginary parts interleaved
    # along the last axis): real arithmetic only. Used for float32, where it is 1.2-1.4x faster
    # than complex64 arithmetic; float64 keeps _product_folded, bit for bit as before.
    for i in range(c.shape[1]):
        a = ix[i]
        for j in range(c.shape[2]):
            b = iy[j]
            sxy = sx[i] * sy[j]
            for q in range(c.shape[3] // 2):
                d = iz[q]
                xx, yy, zz = k[0, a, b, d], k[1, a, b, d], k[2, a, b, d]
                xy = sxy * k[3, a, b, d]
                xz = sx[i] * sz[q] * k[4, a, b, d]
                yz = sy[j] * sz[q] * k[5, a, b, d]
                for p in range(2 * q, 2 * q + 2):
                    mx, my, mz = c[0, i, j, p], c[1, i, j, p], c[2, i, j, p]
                    c[0, i, j, p] = xx * mx + xy * my + xz * mz
                    c[1, i, j, p] = xy * mx + yy * my + yz * mz
                    c[2, i, j, p] = xz * mx + yz * my + zz * mz


@numba.njit(cache=True)
def _gather(buf, m, ms):  # pragma: no cover - compiled
    # buf[c, i, j, k] = Ms[i, j, k] * m[i, j, k, c] for the unpadded cells
    nx, ny, nz = ms.shape
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                s = ms[i, j, k]
                buf[0, i, j, k] = s * m[i, j, k, 0]
                buf[1, i, j, k] = s * m[i, j, k, 1]
                buf[2, i, j, k] = s * m[i, j, k, 2]


@numba.njit(cache=True)
def _scatter(out, buf, mask, accumulate=False):  # pragma: no cover - compiled
    # out[i, j, k, c] (+)= mask[i, j, k] * buf[c, i, j, k]
    nx, ny, nz = mask.shape
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                s = mask[i, j, k]
                if accumulate:
                    out[i, j, k, 0] += s * buf[0, i, j, k]
                    out[i, j, k, 1] += s * buf[1, i, j, k]
                    out[i, j, k, 2] += s * buf[2, i, j, k]
                else:
                    out[i, j, k, 0] = s * buf[0, i, j, k]
                    out[i, j, k, 1] = s * buf[1, i, j, k]
                    out[i, j, k, 2] = s * buf[2, i, j, k]


class PrunedConvolution:
    """``H = N * M`` on an ``n`` grid for the symmetric kernel given on non-negative offsets.

    Transform order: real-to-complex along the last axis of length > 1, then the other axes from
    the outermost in: the large-stride transform (x) then runs while the data is still unpadded
    along y, and the innermost one (y) runs in place on the full spectrum (measured: about twice
    as fast for 128x64x32 as y-then-x). The complex stages run in place after zeroing their
    padding rows, and the inverse runs in place on only the rows that survive the crop.

    Parameters
    ----------
    octant : ``(6, nx, ny, nz)`` kernel for offsets ``0 <= d < n`` (dimensionless), components in
        the order xx, yy, zz, xy, xz, yz, parity as for a demag tensor.
    threads : FFTW threads; None (default): the run's thread count,
        :func:`spintorque.threads.run_threads` (1 unless set by ``run.threads`` / ``--threads``:
        a second thread pays on large grids of a quiet machine, docs/performance.md "Threads",
        but loses several-fold when the cores are shared).
    planner : FFTW planner flag, ``"FFTW_MEASURE"`` (default; planning costs about 0.2 s on
        100x25x1 and 1 s on 128x64x32 once per machine, then comes from the wisdom cache),
        ``"FFTW_ESTIMATE"`` (no planning, 10-20 % slower calls) or ``"FFTW_PATIENT"``.
    precision : ``"float64"`` (default) or ``"float32"``: the transforms, the kernel spectrum and
        the product in single precision (float32 / complex64; the kernel is computed in float64
        and rounded once). m and Ms come in and H goes out in float64 either way; the rounding
        error of H is about 1e-7 of max|H| (docs/performance.md, "Float32").
    """

    def __init__(
        self, octant: np.ndarray, threads: int | None = None, planner: str = "FFTW_MEASURE",
        precision: str = "float64",
    ):
        octant = np.asarray(octant, float)
        if octant.ndim != 4 or octant.shape[0] != 6:
            raise ValueError(f"octant shape {octant.shape}: need (6, nx, ny, nz)")
        if planner not in ("FFTW_ESTIMATE", "FFTW_MEASURE", "FFTW_PATIENT"):
            raise ValueError(
                f"planner = {planner!r}: use FFTW_ESTIMATE, FFTW_MEASURE or FFTW_PATIENT"
            )
        if precision not in PRECISIONS:
            raise ValueError(f"precision = {precision!r}: use {' or '.join(PRECISIONS)}")
        self.precision = precision
        self._real = np.dtype(precision)
        self._complex = np.result_type(self._real, np.complex64)
        self.n = n = tuple(octant.shape[1:])
        self.padded = padded = tuple(padded_length(v) for v in n)
        active = [a for a in (2, 1, 0) if n[a] > 1]
        order = active[:1] + sorted(active[1:])
        self._active = order
        total = int(np.prod(padded))
        threads = run_threads() if threads is None else check_threads(threads)
        self.threads = threads

        if not order:  # a single cell: the kernel is local
            self._local = octant[:, 0, 0, 0].copy()
            return

        spec = list(padded)
        spec[order[0]] = padded[order[0]] // 2 + 1
        self.spectral_shape = tuple(spec)
        self._set_kernel(octant, spec, total)
        self._set_plans(spec, planner)

    def _set_kernel(self, octant: np.ndarray, spec: list[int], total: int) -> None:
        """The kernel's spectrum, real by parity, folded to the kept frequencies."""
        padded, order, threads = self.padded, self._active, self.threads
        # the spectrum is computed in float64 and rounded once to the working precision
        kernel = wrap_kernel(octant, padded, pyfftw.empty_aligned((6, *padded), dtype=np.float64))
        kspec = pyfftw.empty_aligned((6, *spec), dtype=np.complex128)
        pyfftw.FFTW(kernel, kspec, axes=[a + 1 for a in order[::-1]], flags=("FFTW_ESTIMATE",),
                    threads=threads).execute()
        del kernel
        # spectra are real by parity; normalization of the unnormalized inverse folded in. Along
        # the complex axes only frequencies 0..P/2 are kept (the rest follow by parity): a
        # quarter of the kernel memory and traffic on 3D grids
        keep = [slice(None)] * 4
        self._fold = []
        for a in range(3):
            size = spec[a]
            if a in order[1:]:
                keep[a + 1] = slice(0, size // 2 + 1)
                freq = np.arange(size)
                index = np.minimum(freq, size - freq)
                sign = np.where(freq > size // 2, -1.0, 1.0)
            else:
                index, sign = np.arange(size), np.ones(size)
            self._fold += [index.astype(np.int64), sign.astype(self._real)]
        self._kernel = (np.ascontiguousarray(kspec.real[tuple(keep)]) / total).astype(self._real)
        del kspec

    def _set_plans(self, spec: list[int], planner: str) -> None:
        """Buffers and the pruned forward and inverse FFTW plans (wisdom loaded and saved)."""
        n, padded, order, threads = self.n, self.padded, self._active, self.threads

        def cut(array: np.ndarray, axes: list[int]) -> np.ndarray:
            """View of ``array`` keeping only the first n rows along ``axes``."""
            view = [slice(None)] * 4
            for a in axes:
                view[a + 1] = slice(0, n[a])
            return array[tuple(view)]

        def plan(src, dst, axis, direction, extra=()):
            return pyfftw.FFTW(src, dst, axes=(axis + 1,), direction=direction,
                               flags=(planner, *extra), threads=threads)

        wisdom = _load_wisdom() if planner != "FFTW_ESTIMATE" else None
        fwd, inv = "FFTW_FORWARD", "FFTW_BACKWARD"
        shape_in = list(n)
        shape_in[order[0]] = padded[order[0]]
        self._real_in = pyfftw.zeros_aligned((3, *shape_in), dtype=self._real)
        self._real_out = pyfftw.zeros_aligned((3, *shape_in), dtype=self._real)
        self._spec = spectrum = pyfftw.zeros_aligned((3, *spec), dtype=self._complex)
        # stage 0 writes the unpadded rows of the spectrum buffer; each later stage runs in place
        # after zeroing its padding rows (measured: out-of-place strided transforms cost 3x more)
        self._forward = [plan(self._real_in, cut(spectrum, order[1:]), order[0], fwd)]
        self._zero: list = [None]
        for k in range(1, len(order)):
            view = cut(spectrum, order[k + 1:])
            self._forward.append(plan(view, view, order[k], fwd))
            pad = [slice(None)] * 4
            pad[order[k] + 1] = slice(n[order[k]], None)
            self._zero.append(view[tuple(pad)])
        self._inverse = []
        for k in range(len(order) - 1, 0, -1):
            view = cut(spectrum, order[k + 1:])
            self._inverse.append(plan(view, view, order[k], inv))
        self._inverse.append(
            plan(cut(spectrum, order[1:]), self._real_out, order[0], inv, ("FFTW_DESTROY_INPUT",))
        )
        if wisdom is not None:
            _save_wisdom(wisdom)
        # planning with FFTW_MEASURE scribbles on the buffers: restore the zero padding
        self._real_in[...] = 0.0
        self._spec_parts = None if self.precision == "float64" else spectrum.view(self._real)
        self._in_view = cut(self._real_in, [order[0]])
        self._out_view = cut(self._real_out, [order[0]])

    def __call__(
        self, m: np.ndarray, ms: np.ndarray, mask: np.ndarray, out: np.ndarray,
        accumulate: bool = False,
    ) -> np.ndarray:
        """``out = mask * (N * (ms m))`` (``accumulate``: ``out +=``); m, out ``(nx, ny, nz, 3)``;
        ms, mask ``(nx, ny, nz)``."""
        if not self._active:
            mm = ms[..., None] * m
            xx, yy, zz, xy, xz, yz = self._local
            tensor = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
            h = np.einsum("ab,ijkb->ijka", tensor, mm) * mask[..., None]
            return write_or_add(out, h, accumulate)
        _gather(self._in_view, m, ms)
        for stage, pad in zip(self._forward, self._zero, strict=True):
            if pad is not None:
                pad[...] = 0.0
            stage.execute()
        if self._spec_parts is None:
            _product_folded(self._spec, self._kernel, *self._fold)
        else:
            _product_folded_parts(self._spec_parts, self._kernel, *self._fold)
        for stage in self._inverse:
            stage.execute()
        _scatter(out, self._out_view, mask, accumulate)
        return out
