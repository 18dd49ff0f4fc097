"""Zero-padded FFT convolution ``H = N * M`` of a symmetric 3x3 kernel with a vector field.

Pruned: each axis of length > 1 is padded to ``P >= 2n - 1`` (a 7-smooth length); an axis of length
1 is not padded or transformed. The forward pass transforms the last such axis first (real to
complex), then each further axis only on the slabs that are not pure padding; the inverse pass
mirrors it and never transforms rows that would be cropped. The six kernel spectra are real (every
component is even or odd along each axis), so the Fourier-space product is a real 3x3 symmetric
matrix times a complex 3-vector, done in place by one fused Numba kernel. Transforms are pyFFTW
plans made once, on buffers reused for every call.
"""

from __future__ import annotations

import sys

import numba
import numpy as np


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

# parity (+1 even, -1 odd) of each component along x, y, z; order of newell.COMPONENTS
_PARITY = ((1, 1, 1), (1, 1, 1), (1, 1, 1), (-1, -1, 1), (-1, 1, -1), (1, -1, -1))


def padded_length(n: int) -> int:
    """Smallest 7-smooth length >= 2n - 1 (1 for n == 1): circular = linear convolution."""
    if n == 1:
        return 1
    p = 2 * n - 1
    while True:
        q = p
        for f in (2, 3, 5, 7):
            while q % f == 0:
                q //= f
        if q == 1:
            return p
        p += 1


def wrap_kernel(octant: np.ndarray, padded: tuple[int, int, int]) -> np.ndarray:
    """Place the non-negative-offset tensor ``(6, nx, ny, nz)`` on the periodic padded grid.

    Offset ``-d`` goes to index ``P - d``, with the component's parity sign; the rest stays zero.
    """
    out = octant
    for axis in range(3):
        n, p = out.shape[axis + 1], padded[axis]
        if p == 1:
            continue
        shape = list(out.shape)
        shape[axis + 1] = p
        full = np.zeros(shape)
        lead = [slice(None)] * 4
        lead[axis + 1] = slice(0, n)
        full[tuple(lead)] = out
        # negative offsets -1 .. -(n-1) at P-1 .. P-n+1
        src = [slice(None)] * 4
        src[axis + 1] = slice(n - 1, 0, -1)
        dst = [slice(None)] * 4
        dst[axis + 1] = slice(p - n + 1, p)
        sign = np.array([par[axis] for par in _PARITY], float).reshape(6, 1, 1, 1)
        full[tuple(dst)] = sign * out[tuple(src)]
        out = full
    return out


@numba.njit(cache=True, fastmath=False)
def _product(c, k):  # pragma: no cover - compiled
    # c: (3, n) complex spectra of M, overwritten with those of H; k: (6, n) real kernel spectra
    for i in range(c.shape[1]):
        mx, my, mz = c[0, i], c[1, i], c[2, i]
        xx, yy, zz, xy, xz, yz = k[0, i], k[1, i], k[2, i], k[3, i], k[4, i], k[5, i]
        c[0, i] = xx * mx + xy * my + xz * mz
        c[1, i] = xy * mx + yy * my + yz * mz
        c[2, i] = xz * mx + yz * my + zz * mz


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
def _scatter(out, buf, mask):  # pragma: no cover - compiled
    # out[i, j, k, c] = mask[i, j, k] * buf[c, i, j, k]
    nx, ny, nz = mask.shape
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                s = mask[i, j, k]
                out[i, j, k, 0] = s * buf[0, i, j, k]
                out[i, j, k, 1] = s * buf[1, i, j, k]
                out[i, j, k, 2] = s * buf[2, i, j, k]


class PrunedConvolution:
    """``H = N * M`` on an ``n`` grid for the symmetric kernel given on non-negative offsets.

    Parameters
    ----------
    octant : ``(6, nx, ny, nz)`` kernel for offsets ``0 <= d < n`` (dimensionless), components in
        the order xx, yy, zz, xy, xz, yz, parity as for a demag tensor.
    threads : FFTW threads (default 1: a second thread gains about 25 % on 3D grids of a quiet
        2-core machine, PERFORMANCE_NOTES.md, but loses several-fold when the cores are shared).
    planner : FFTW planner flag, ``"FFTW_MEASURE"`` (default: plans once for a few 10 ms on
        mid-size grids) or ``"FFTW_ESTIMATE"`` (no planning time).
    """

    def __init__(
        self, octant: np.ndarray, threads: int | None = None, planner: str = "FFTW_MEASURE"
    ):
        octant = np.asarray(octant, float)
        if octant.ndim != 4 or octant.shape[0] != 6:
            raise ValueError(f"octant shape {octant.shape}: need (6, nx, ny, nz)")
        if planner not in ("FFTW_ESTIMATE", "FFTW_MEASURE", "FFTW_PATIENT"):
            raise ValueError(
                f"planner = {planner!r}: use FFTW_ESTIMATE, FFTW_MEASURE or FFTW_PATIENT"
            )
        self.n = n = tuple(octant.shape[1:])
        self.padded = padded = tuple(padded_length(v) for v in n)
        active = [a for a in (2, 1, 0) if n[a] > 1]  # r2c along the last (contiguous) axis first
        self._active = active
        total = int(np.prod(padded))
        threads = 1 if threads is None else int(threads)
        if threads < 1:
            raise ValueError(f"threads = {threads!r}: must be >= 1")
        self.threads = threads

        if not active:  # a single cell: the kernel is local
            self._local = octant[:, 0, 0, 0].copy()
            return

        spec = list(padded)
        spec[active[0]] = padded[active[0]] // 2 + 1
        self.spectral_shape = tuple(spec)
        kernel = wrap_kernel(octant, padded)
        kspec = np.fft.rfftn(kernel, axes=[a + 1 for a in active[::-1]])
        # spectra are real by parity; normalization of the unnormalized inverse folded in
        self._kernel = np.ascontiguousarray(kspec.real / total).reshape(6, -1)

        # forward stages must keep their zero padding (preserve input); the last inverse stage
        # (complex to real) may scribble on the spectrum, which is rewritten every call
        fwd_flags = (planner,)  # FFTW preserves the input of c2c and r2c plans by default
        inv_flags = (planner, "FFTW_DESTROY_INPUT")
        # forward buffers: stage k transforms along active[k]; axes active[:k] are spectral,
        # active[k] is padded, the others still have their unpadded length
        shape0 = list(n)
        shape0[active[0]] = padded[active[0]]
        self._real_in = pyfftw.zeros_aligned((3, *shape0), dtype=np.float64)
        self._spec = pyfftw.zeros_aligned((3, *spec), dtype=np.complex128)
        self._real_out = pyfftw.zeros_aligned((3, *shape0), dtype=np.float64)
        stages = []
        src = self._real_in
        cur = list(shape0)
        for k, axis in enumerate(active):
            cur[axis] = spec[axis]
            if k + 1 < len(active):
                nxt = list(cur)
                nxt[active[k + 1]] = padded[active[k + 1]]
                dst_full = pyfftw.zeros_aligned((3, *nxt), dtype=np.complex128)
                view = [slice(None)] * 4
                view[active[k + 1] + 1] = slice(0, n[active[k + 1]])
                dst = dst_full[tuple(view)]
            else:
                dst_full = dst = self._spec
            stages.append(
                pyfftw.FFTW(src, dst, axes=(axis + 1,), direction="FFTW_FORWARD",
                            flags=fwd_flags, threads=threads)
            )
            src = dst_full
            cur = list(dst_full.shape[1:])
        self._forward = stages
        # inverse: in place on the spectrum, last forward axis first, skipping cropped rows
        inverse = []
        view = [slice(None)] * 4
        for k in range(len(active) - 1, 0, -1):
            axis = active[k]
            v = self._spec[tuple(view)]
            inverse.append(
                pyfftw.FFTW(v, v, axes=(axis + 1,), direction="FFTW_BACKWARD",
                            flags=inv_flags, threads=threads)
            )
            view[axis + 1] = slice(0, n[axis])
        v = self._spec[tuple(view)]
        inverse.append(
            pyfftw.FFTW(v, self._real_out, axes=(active[0] + 1,), direction="FFTW_BACKWARD",
                        flags=inv_flags, threads=threads)
        )
        self._inverse = inverse
        # planning with FFTW_MEASURE scribbles on the buffers: restore the zero padding
        self._real_in[...] = 0.0
        for stage in stages[1:]:
            stage.input_array[...] = 0.0
        crop = [slice(None)] * 4
        crop[active[0] + 1] = slice(0, n[active[0]])
        self._in_view = self._real_in[tuple(crop)]
        self._out_view = self._real_out[tuple(crop)]

    def __call__(
        self, m: np.ndarray, ms: np.ndarray, mask: np.ndarray, out: np.ndarray
    ) -> np.ndarray:
        """``out = mask * (N * (ms m))``; m, out ``(nx, ny, nz, 3)``; ms, mask ``(nx, ny, nz)``."""
        if not self._active:
            mm = ms[..., None] * m
            xx, yy, zz, xy, xz, yz = self._local
            tensor = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
            np.einsum("ab,ijkb->ijka", tensor, mm, out=out)
            out *= mask[..., None]
            return out
        _gather(self._in_view, m, ms)
        for stage in self._forward:
            stage.execute()
        _product(self._spec.reshape(3, -1), self._kernel)
        for stage in self._inverse:
            stage.execute()
        _scatter(out, self._out_view, mask)
        return out
