"""The talk's rescaled 1D moment system, its asymptotic-preserving scheme and its diffusion limit.

All quantities are dimensionless (the talk's rescaled variables; docs/theory/hierarchy.md, moment
level and diffusion limit). On a periodic interval ``[0, length)`` with ``n`` cells, the spin
density m lives at cell centres, the spin current j at faces (face ``i`` sits between cells ``i``
and ``i + 1``)::

    eps dm/dt + dj/dx - eps w M x m = -eps g m
    eps dj/dt + v2 dm/dx - E m - a (M x j)/eps = -j/eps

with precession rate ``w`` and spin-flip rate ``g`` of m (both 1 in the talk) and the ratio ``a``
of current precession to current relaxation (1 in the talk). As eps -> 0,
``j = -eps (I - a[M]x)^-1 (v2 dm/dx - E m) + O(eps^2)`` and m solves the diffusion limit::

    dm/dt = d/dx[ A(M) (v2 dm/dx - E m) ] + w M x m - g m,   A(M) = (I - a[M]x)^-1
          = (I + a[M]x + a^2 M M^T) / (1 + a^2 |M|^2)

i.e. ½(I + [M]x + M M^T) for a = 1, |M| = 1: longitudinal diffusivity v2, transverse v2/(1 - iM).
Arrays: m and j have shape ``(n, 3)``; M is given at cells and at faces, shape ``(n, 3)`` each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = [
    "MomentSystem1D",
    "cross_matrix",
    "inverse_p_minus_qK",
    "mode_matrices",
]


def cross_matrix(M: np.ndarray) -> np.ndarray:
    """[M]x, the matrix of v -> M x v; M shape ``(..., 3)`` -> ``(..., 3, 3)``."""
    M = np.asarray(M, dtype=float)
    K = np.zeros(M.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2] = -M[..., 2], M[..., 1]
    K[..., 1, 0], K[..., 1, 2] = M[..., 2], -M[..., 0]
    K[..., 2, 0], K[..., 2, 1] = -M[..., 1], M[..., 0]
    return K


def inverse_p_minus_qK(p: float, q: float, M: np.ndarray) -> np.ndarray:
    """Closed form of (p I - q [M]x)^-1 for any M (docs/theory/hierarchy.md, moment level); shape
    ``(..., 3, 3)``.

    (pI - qK)(p²I + pqK + q²MMᵀ) = p(p² + q²|M|²) I because K M = 0 and K² = MMᵀ - |M|² I.
    """
    M = np.asarray(M, dtype=float)
    K = cross_matrix(M)
    MM = M[..., :, None] * M[..., None, :]
    m2 = np.sum(M * M, axis=-1)[..., None, None]
    return (p * p * np.eye(3) + p * q * K + q * q * MM) / (p * (p * p + q * q * m2))


def _blockdiag(blocks: np.ndarray) -> sp.csr_matrix:
    """Sparse block-diagonal matrix from ``(n, 3, 3)`` blocks (unknown index 3*i + c)."""
    n = blocks.shape[0]
    rows = (3 * np.arange(n)[:, None, None] + np.arange(3)[None, :, None]) * np.ones((1, 1, 3))
    cols = (3 * np.arange(n)[:, None, None] + np.arange(3)[None, None, :]) * np.ones((1, 3, 1))
    return sp.csr_matrix(
        (blocks.ravel(), (rows.ravel().astype(int), cols.ravel().astype(int))),
        shape=(3 * n, 3 * n),
    )


def _validate_positive(name: str, value: float) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} = {value!r}: must be a positive finite number")
    return value


def _field_on(M: np.ndarray | Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Evaluate M (callable of x, constant 3-vector, or ``(n, 3)`` array) at the points x."""
    if callable(M):
        out = np.asarray(M(x), dtype=float)
    else:
        out = np.asarray(M, dtype=float)
        if out.shape == (3,):
            out = np.broadcast_to(out, (x.size, 3)).copy()
    if out.shape != (x.size, 3):
        raise ValueError(
            f"M has shape {out.shape}: need (3,), ({x.size}, 3) or a callable x -> (n, 3)"
        )
    return out


@dataclass
class MomentSystem1D:
    """Periodic staggered finite-volume discretization of the rescaled moment system.

    Parameters (all dimensionless): ``n`` cells on ``[0, length)``; ``eps`` Knudsen number;
    ``M`` the magnetization direction (constant 3-vector, callable x -> (len(x), 3), or a
    pair ``(M_cells, M_faces)`` of ``(n, 3)`` arrays); ``E`` driving field; ``v2`` closure
    constant; ``a`` current precession/relaxation ratio; ``w``, ``g`` precession and spin-flip
    rates of m.
    """

    n: int
    length: float
    eps: float
    M: object = (0.0, 0.0, 1.0)
    E: float = 0.0
    v2: float = 1.0
    a: float = 1.0
    w: float = 1.0
    g: float = 1.0
    _ops: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if int(self.n) < 3:
            raise ValueError(f"n = {self.n!r}: need at least 3 cells")
        self.n = int(self.n)
        self.length = _validate_positive("length", self.length)
        self.eps = _validate_positive("eps", self.eps)
        self.v2 = _validate_positive("v2", self.v2)
        self.dx = self.length / self.n
        self.x = (np.arange(self.n) + 0.5) * self.dx
        self.xf = (np.arange(self.n) + 1.0) * self.dx
        if isinstance(self.M, tuple) and len(self.M) == 2 and np.ndim(self.M[0]) == 2:
            self.Mc = _field_on(self.M[0], self.x)
            self.Mf = _field_on(self.M[1], self.xf)
        else:
            self.Mc = _field_on(self.M, self.x)
            self.Mf = _field_on(self.M, self.xf)
        n = self.n
        I3 = sp.identity(3, format="csr")
        shift = sp.csr_matrix((np.ones(n), (np.arange(n), (np.arange(n) + 1) % n)), shape=(n, n))
        eye = sp.identity(n, format="csr")
        # face gradient (m_{i+1} - m_i)/dx, face average, cell divergence (j_i - j_{i-1})/dx
        self.G = sp.kron((shift - eye) / self.dx, I3, format="csr")
        self.P = sp.kron((shift + eye) / 2.0, I3, format="csr")
        self.D = sp.kron((eye - shift.T) / self.dx, I3, format="csr")
        self.Kc = _blockdiag(cross_matrix(self.Mc))
        self.Kf = _blockdiag(cross_matrix(self.Mf))
        self.Af = _blockdiag(inverse_p_minus_qK(1.0, self.a, self.Mf))
        self.F = self.v2 * self.G - self.E * self.P  # face "force" v2 dm/dx - E m

    # ---- semi-discrete operators -------------------------------------------------------------
    def system_matrix(self) -> sp.csr_matrix:
        """d/dt [m; j] = S [m; j] for the full moment system, shape ``(6n, 6n)``."""
        e = self.eps
        I = sp.identity(3 * self.n, format="csr")
        top = sp.hstack([self.w * self.Kc - self.g * I, -self.D / e])
        bot = sp.hstack([-self.F / e, (self.a * self.Kf - I) / e**2])
        return sp.vstack([top, bot], format="csr")

    def diffusion_matrix(self) -> sp.csr_matrix:
        """dm/dt = L m for the diffusion limit, shape ``(3n, 3n)``."""
        I = sp.identity(3 * self.n, format="csr")
        return (self.D @ self.Af @ self.F + self.w * self.Kc - self.g * I).tocsr()

    def well_prepared_current(self, m: np.ndarray) -> np.ndarray:
        """First-order slaved current j = -eps A(M)(v2 dm/dx - E m) at faces, shape ``(n, 3)``."""
        m = self._check(m, "m")
        return (-self.eps * (self.Af @ (self.F @ m.ravel()))).reshape(self.n, 3)

    # ---- exact-in-time solutions of the semi-discrete systems ----------------------------------
    def evolve_exact(
        self, m0: np.ndarray, j0: np.ndarray, t: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact time integration (dense matrix exponential) of the semi-discrete moment system.

        Meant for n up to a few hundred (cost ~ (6n)^3). Returns ``(m, j)`` at time t.
        """
        y0 = np.concatenate([self._check(m0, "m0").ravel(), self._check(j0, "j0").ravel()])
        y = scipy.linalg.expm(t * self.system_matrix().toarray()) @ y0
        return y[: 3 * self.n].reshape(self.n, 3), y[3 * self.n :].reshape(self.n, 3)

    def evolve_diffusion_exact(self, m0: np.ndarray, t: float) -> np.ndarray:
        """Exact time integration of the semi-discrete diffusion limit; returns m at time t."""
        m0 = self._check(m0, "m0").ravel()
        return (scipy.linalg.expm(t * self.diffusion_matrix().toarray()) @ m0).reshape(self.n, 3)

    # ---- asymptotic-preserving time stepping ------------------------------------------------
    def ap_stepper(
        self, dt: float
    ) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """Return ``step(m, j) -> (m, j)`` for the AP scheme (docs/theory/hierarchy.md, moment
        level), step dt.

        j's relaxation and precession (O(1/eps²)) and m's diffusion are implicit:
        ((1+λ)I - λa[M]x) j' = j - (dt/eps)(v2 ∂x m' - E m'),  λ = dt/eps², and
        m' - m + (dt/eps) ∂x j' = dt (w M x m' - g m'). Eliminating j' leaves one sparse linear
        solve for m' (factorized once). As eps -> 0 this becomes backward Euler for the diffusion
        limit (``limit_stepper``), with no restriction of dt by eps.
        """
        dt = _validate_positive("dt", dt)
        e = self.eps
        lam = dt / e**2
        Binv = _blockdiag(inverse_p_minus_qK(1.0 + lam, lam * self.a, self.Mf))
        I = sp.identity(3 * self.n, format="csr")
        # (dt/eps)^2 B^-1 computed as dt * [(eps²/dt)(1+λ) I - (eps²/dt) λ a K]^-1 to avoid overflow
        Bs = _blockdiag(inverse_p_minus_qK(e**2 / dt + 1.0, self.a, self.Mf)) * dt
        lhs = (I - self.D @ Bs @ self.F - dt * (self.w * self.Kc - self.g * I)).tocsc()
        lu = spla.splu(lhs)
        DB = (dt / e) * (self.D @ Binv)
        FB = (dt / e) * (Binv @ self.F)

        def step(m: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            mv, jv = m.ravel(), j.ravel()
            m1 = lu.solve(mv - DB @ jv)
            j1 = Binv @ jv - FB @ m1
            return m1.reshape(self.n, 3), j1.reshape(self.n, 3)

        return step

    def limit_stepper(self, dt: float) -> Callable[[np.ndarray], np.ndarray]:
        """Backward Euler for the diffusion limit (the eps -> 0 limit of ``ap_stepper``)."""
        dt = _validate_positive("dt", dt)
        I = sp.identity(3 * self.n, format="csr")
        lu = spla.splu((I - dt * self.diffusion_matrix()).tocsc())
        return lambda m: lu.solve(m.ravel()).reshape(self.n, 3)

    def _check(self, arr: np.ndarray, name: str) -> np.ndarray:
        arr = np.asarray(arr, dtype=float)
        if arr.shape != (self.n, 3):
            raise ValueError(f"{name} has shape {arr.shape}: need ({self.n}, 3)")
        return arr


def mode_matrices(
    k: float,
    eps: float,
    M=(0.0, 0.0, 1.0),
    E: float = 0.0,
    v2: float = 1.0,
    a: float = 1.0,
    w: float = 1.0,
    g: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Single Fourier mode e^{ikx}, uniform M: the 6×6 moment matrix and the 3×3 limit matrix.

    d/dt [m̂; ĵ] = S [m̂; ĵ] and dm̂/dt = L m̂ (complex). Exact up to round-off, no space grid.
    """
    M = np.asarray(M, dtype=float)
    K = cross_matrix(M)
    I = np.eye(3)
    F = (1j * k * v2 - E) * I
    S = np.block([[w * K - g * I, -1j * k * I / eps], [-F / eps, (a * K - I) / eps**2]])
    L = 1j * k * inverse_p_minus_qK(1.0, a, M) @ F + w * K - g * I
    return S, L
