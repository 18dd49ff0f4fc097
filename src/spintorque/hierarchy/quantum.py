"""1D spinor Schrödinger equation in the semiclassical scaling: Strang time-splitting spectral.

Dimensionless (docs/theory/hierarchy.md, quantum level)::

    i eps dpsi/dt = -(eps²/2) d²psi/dx² + V(x) psi + (eps/2) (sigma . M(x)) psi,   psi(x) in C²

on a periodic interval ``[x0, x0 + length)`` with ``n`` equispaced points. psi has shape ``(2, n)``
(complex). The kinetic step is exact in Fourier space; the potential-plus-spin step is exact
pointwise::

    exp(-i (V + (eps/2) sigma.M) dt/eps)
        = e^{-iV dt/eps} [cos(|M|dt/2) I - i sin(|M|dt/2) sigma.M/|M|]

Both steps are unitary, so the discrete L2 norm is conserved to round-off. Observables: density
n = psi^dagger psi, spin density s = psi^dagger sigma psi (so ds/dt = M x s for uniform M),
current J = eps Im(psi^dagger dpsi/dx), and the 2×2 Wigner matrix with its moments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "PAULI",
    "SpinorSchrodinger1D",
    "current",
    "density",
    "spin_density",
    "wigner",
    "wigner_moments",
    "wkb_state",
]

PAULI = np.array(
    [[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex
)  # sigma_x, sigma_y, sigma_z


def density(psi: np.ndarray) -> np.ndarray:
    """n = |psi_1|² + |psi_2|², shape ``(n,)``."""
    return np.sum(np.abs(psi) ** 2, axis=0)


def spin_density(psi: np.ndarray) -> np.ndarray:
    """s_k = psi^dagger sigma_k psi, shape ``(3, n)``."""
    return np.real(np.einsum("an,kab,bn->kn", psi.conj(), PAULI, psi))


def _dx_spectral(psi: np.ndarray, length: float) -> np.ndarray:
    k = 2 * np.pi * np.fft.fftfreq(psi.shape[-1], d=length / psi.shape[-1])
    return np.fft.ifft(1j * k * np.fft.fft(psi, axis=-1), axis=-1)


def current(psi: np.ndarray, eps: float, length: float) -> np.ndarray:
    """Charge current J = eps Im(psi^dagger dpsi/dx) (spectral derivative), shape ``(n,)``."""
    return eps * np.sum(np.imag(psi.conj() * _dx_spectral(psi, length)), axis=0)


def wkb_state(
    x: np.ndarray, eps: float, amplitude: np.ndarray, phase: np.ndarray, spinor: np.ndarray
) -> np.ndarray:
    """WKB data psi0 = a(x) e^{i S(x)/eps} chi(x); a, S ``(n,)``; chi ``(2, n)`` or ``(2,)``."""
    chi = np.asarray(spinor, dtype=complex)
    if chi.ndim == 1:
        chi = chi[:, None] * np.ones_like(x)[None, :]
    chi = chi / np.sqrt(np.sum(np.abs(chi) ** 2, axis=0))
    return amplitude[None, :] * np.exp(1j * phase / eps)[None, :] * chi


@dataclass
class SpinorSchrodinger1D:
    """Strang splitting (half kinetic, full potential+spin, half kinetic) on a periodic grid.

    ``n`` points on ``[x0, x0 + length)``; ``eps`` the scaled Planck constant; ``V`` potential and
    ``M`` magnetization (callables of x, or arrays of shape ``(n,)`` and ``(n, 3)`` / ``(3,)``).
    Everything is dimensionless.
    """

    n: int
    length: float
    eps: float
    V: Callable[[np.ndarray], np.ndarray] | np.ndarray | float = 0.0
    M: Callable[[np.ndarray], np.ndarray] | np.ndarray = (0.0, 0.0, 1.0)
    x0: float = 0.0

    def __post_init__(self) -> None:
        self.n = int(self.n)
        if self.n < 4:
            raise ValueError(f"n = {self.n!r}: need at least 4 grid points")
        for name in ("length", "eps"):
            v = float(getattr(self, name))
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"{name} = {v!r}: must be a positive finite number")
            setattr(self, name, v)
        self.dx = self.length / self.n
        self.x = self.x0 + np.arange(self.n) * self.dx
        self.k = 2 * np.pi * np.fft.fftfreq(self.n, d=self.dx)
        V = self.V(self.x) if callable(self.V) else self.V
        self.Vx = np.broadcast_to(np.asarray(V, dtype=float), (self.n,)).copy()
        M = self.M(self.x) if callable(self.M) else np.asarray(self.M, dtype=float)
        M = np.asarray(M, dtype=float)
        if M.shape == (3,):
            M = np.broadcast_to(M, (self.n, 3)).copy()
        if M.shape != (self.n, 3):
            raise ValueError(f"M has shape {M.shape}: need (3,) or ({self.n}, 3)")
        self.Mx = M
        self._cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    def _propagators(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        if dt not in self._cache:
            kin = np.exp(-0.5j * self.eps * self.k**2 * (dt / 2))  # half step, exact in Fourier
            nrm = np.linalg.norm(self.Mx, axis=1)
            safe = np.where(nrm > 0, nrm, 1.0)
            u = self.Mx / safe[:, None]
            c, s = np.cos(nrm * dt / 2), np.sin(nrm * dt / 2)
            sig_u = np.einsum("nk,kab->nab", u, PAULI)
            U = c[:, None, None] * np.eye(2) - 1j * s[:, None, None] * sig_u
            U *= np.exp(-1j * self.Vx * dt / self.eps)[:, None, None]
            self._cache = {dt: (kin, U)}
        return self._cache[dt]

    def step(self, psi: np.ndarray, dt: float) -> np.ndarray:
        """One Strang step of size dt; psi shape ``(2, n)`` complex. Returns a new array."""
        kin, U = self._propagators(float(dt))
        psi = np.fft.ifft(kin * np.fft.fft(psi, axis=1), axis=1)
        psi = np.stack(
            [U[:, 0, 0] * psi[0] + U[:, 0, 1] * psi[1], U[:, 1, 0] * psi[0] + U[:, 1, 1] * psi[1]]
        )
        return np.fft.ifft(kin * np.fft.fft(psi, axis=1), axis=1)

    def evolve(self, psi0: np.ndarray, t: float, dt: float) -> np.ndarray:
        """Advance psi0 to time t with steps of at most dt (equal steps, last one not clipped)."""
        psi = np.asarray(psi0, dtype=complex)
        if psi.shape != (2, self.n):
            raise ValueError(f"psi0 has shape {psi.shape}: need (2, {self.n})")
        if not (dt > 0 and t >= 0):
            raise ValueError(f"dt = {dt!r}, t = {t!r}: need dt > 0 and t >= 0")
        nsteps = max(1, int(np.ceil(t / dt - 1e-12))) if t > 0 else 0
        for _ in range(nsteps):
            psi = self.step(psi, t / nsteps)
        return psi

    def norm(self, psi: np.ndarray) -> float:
        """Discrete L2 norm sqrt(sum |psi|² dx)."""
        return float(np.sqrt(np.sum(np.abs(psi) ** 2) * self.dx))


def wigner(psi: np.ndarray, eps: float, length: float) -> tuple[np.ndarray, np.ndarray]:
    """2×2 Wigner matrix W(x_j, p_l) = (1/2π) ∫ psi(x - eps y/2) psi*(x + eps y/2)^T e^{ipy} dy.

    psi is first interpolated spectrally onto a twice finer grid so that the lag eps*y/2 runs over
    multiples of dx/2; the y-integral is then a discrete Fourier transform over the lags. Returns
    ``(p, W)`` with p shape ``(n,)`` (ascending, spacing 2π eps/length, |p| <= π eps/dx) and W shape
    ``(n, n, 2, 2)`` indexed ``[x, p, a, b]``. Sum over p of W dp equals psi psi^dagger exactly.
    """
    psi = np.asarray(psi, dtype=complex)
    n = psi.shape[1]
    dx = length / n
    # spectral 2x upsampling
    hat = np.fft.fft(psi, axis=1)
    big = np.zeros((2, 2 * n), dtype=complex)
    half = n // 2
    big[:, :half] = hat[:, :half]
    big[:, -half:] = hat[:, -half:]
    fine = np.fft.ifft(big, axis=1) * 2.0  # fine[:, 2j] = psi[:, j]
    lags = np.arange(n) - half  # lag index r: x -/+ r dx/2
    idx = 2 * np.arange(n)[:, None]
    minus = fine[:, (idx - lags[None, :]) % (2 * n)]  # (2, n_x, n_lag)
    plus = fine[:, (idx + lags[None, :]) % (2 * n)]
    prod = minus[:, None] * plus.conj()[None, :]  # (a, b, x, lag)
    dy = dx / eps  # eps*y/2 = r dx/2  ->  y = r dx/eps
    # sum over lags of prod e^{i p y_r}, p_l = 2π l/(n dy)
    shifted = np.fft.ifftshift(prod, axes=-1)  # lag 0 first
    Wt = np.fft.fft(shifted.conj(), axis=-1).conj() * dy / (2 * np.pi)  # e^{+i p y}
    Wt = np.fft.fftshift(Wt, axes=-1)
    p = 2 * np.pi * (np.arange(n) - half) / (n * dy)
    return p, np.transpose(Wt, (2, 3, 0, 1))


def wigner_moments(p: np.ndarray, W: np.ndarray) -> dict[str, np.ndarray]:
    """Moments of W = ½(f I + g.sigma): f = tr W, g = tr(sigma W).

    Returns ``n = ∫f dp`` (n,), ``s = ∫g dp`` (3, n), ``J = ∫p f dp`` (n,), ``Js = ∫p g dp`` (3, n).
    """
    dp = p[1] - p[0]
    f = np.real(np.einsum("xpaa->xp", W))
    g = np.real(np.einsum("kba,xpab->kxp", PAULI, W))
    return {
        "n": f.sum(axis=1) * dp,
        "s": g.sum(axis=2) * dp,
        "J": (f * p[None, :]).sum(axis=1) * dp,
        "Js": (g * p[None, None, :]).sum(axis=2) * dp,
    }
