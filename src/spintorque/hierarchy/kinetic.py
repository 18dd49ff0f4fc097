"""1D-x, 1D-v spinor BGK equation in the diffusive scaling, with a micro-macro AP scheme.

Dimensionless (docs/theory/hierarchy.md, kinetic level). Unknowns: the charge part f(x, v) and the
spin part g(x, v) in R³, stacked as one array with component 0 = charge, 1..3 = spin. In the
diffusive scaling (Knudsen number eps)::

    eps dg/dt + v dg/dx + E dg/dv = -(kappa/eps) (I - a[M]x)(g - m mu) + eps mu (w M x m - g_sf m)

with m = ∫ g dv, mu the Maxwellian of temperature theta, kappa = 1 (0 switches collisions off).
Strong (1/eps) precession acts on the non-equilibrium part, weak precession and spin flip on the
equilibrium part m mu: that is the kinetic model whose first two moments are exactly the talk's
rescaled moment system (``moments.py``) with the closure ∫ v² g dv ≈ v2 m, v2 = theta. The charge
component has no precession and no spin flip. Note the force sign: dv/dt = +E, so the moment
equation has -E m (docs/theory/hierarchy.md, kinetic level, item 2: force sign).

Micro-macro decomposition (Lemou & Mieussens 2008) g = m mu + eps h, <h> = 0::

    dm/dt + d/dx <v h> = w M x m - g_sf m
    dh/dt + (1/eps)(I - Pi)(v dh/dx + E dh/dv)
        = -(1/eps²)[kappa (I - a[M]x) h + v mu dm/dx + E m dmu/dv]

Discretization: m at cell centres, h at faces (staggered, periodic in x); uniform symmetric
velocity grid with conservative centred dv-differences (zero flux at ±v_max), so <dh/dv> = 0
exactly and <v dh/dv> = -<h> up to the Gaussian tail; v dh/dx by second-order one-sided upwind
(``upwind_order=1``: first order). Time: the
micro equation (relaxation, strong precession and transport) is implicit, one sparse LU per
step size; then the macro flux with the new h (conservative: ∑ m dx is conserved to round-off
for the charge and, with w = g_sf = 0, the spin), then the local precession/spin-flip of m
exactly (Rodrigues rotation).
As eps -> 0 the step becomes forward Euler of the diffusion limit on the same grid: the
scheme is asymptotic preserving, dt bounded by the parabolic limit ~dx²/(2 theta), not by eps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .moments import (
    _blockdiag,
    _field_on,
    _validate_positive,
    cross_matrix,
    inverse_p_minus_qK,
)

__all__ = ["KineticBGK1D", "kinetic_mode_matrix", "velocity_grid"]


def velocity_grid(
    n_v: int, v_max: float, theta: float = 1.0
) -> tuple[np.ndarray, float, np.ndarray]:
    """Uniform symmetric grid v_k = -v_max + (k + ½) dv and the discrete Maxwellian.

    Returns ``(v, dv, mu)``, mu normalized so that sum(mu) dv = 1 exactly.
    """
    if int(n_v) < 4 or int(n_v) % 2:
        raise ValueError(f"n_v = {n_v!r}: need an even number >= 4")
    v_max = _validate_positive("v_max", v_max)
    theta = _validate_positive("theta", theta)
    dv = 2 * v_max / n_v
    v = -v_max + (np.arange(n_v) + 0.5) * dv
    mu = np.exp(-(v**2) / (2 * theta))
    return v, dv, mu / (mu.sum() * dv)


def _dv_matrix(n_v: int, dv: float) -> np.ndarray:
    """Conservative centred d/dv: fluxes (h_k + h_{k+1})/2 inside, zero flux at ±v_max.

    Columns sum to zero, so sum_k (D h)_k = 0 exactly; sum_k v_k (D h)_k dv = -<h> up to the
    boundary values h_0, h_{n-1} (Gaussian tails).
    """
    D = (np.diag(np.ones(n_v - 1), 1) - np.diag(np.ones(n_v - 1), -1)) / (2 * dv)
    D[0, 0], D[-1, -1] = 1 / (2 * dv), -1 / (2 * dv)
    return D


def _dv_centred(h: np.ndarray, dv: float) -> np.ndarray:
    """Apply ``_dv_matrix`` along the last axis."""
    return h @ _dv_matrix(h.shape[-1], dv).T


@dataclass
class KineticBGK1D:
    """Spinor BGK on a periodic interval, micro-macro AP time stepping.

    ``n_x`` cells on ``[0, length)``; ``n_v`` velocities on ``(-v_max, v_max)``; ``eps`` Knudsen
    number; ``M`` (constant 3-vector, callable x -> (len(x), 3), or ``(M_cells, M_faces)``);
    ``E`` constant driving field; ``a``, ``w``, ``g_sf`` as in ``moments.MomentSystem1D``;
    ``collisions`` switches the BGK operator (False: free transport); ``upwind_order`` (1 or 2)
    of the implicit x-transport of the micro part. Dimensionless. Accuracy: first order in dt,
    ``upwind_order`` in dx, so second order overall when dt ∝ dx² (the parabolic step bound).
    """

    n_x: int
    length: float
    eps: float
    n_v: int = 32
    v_max: float = 6.0
    M: object = (0.0, 0.0, 1.0)
    E: float = 0.0
    theta: float = 1.0
    a: float = 1.0
    w: float = 1.0
    g_sf: float = 1.0
    collisions: bool = True
    upwind_order: int = 2

    def __post_init__(self) -> None:
        if int(self.n_x) < 3:
            raise ValueError(f"n_x = {self.n_x!r}: need at least 3 cells")
        self.n_x = int(self.n_x)
        if self.upwind_order not in (1, 2):
            raise ValueError(f"upwind_order = {self.upwind_order!r}: allowed 1 or 2")
        self.length = _validate_positive("length", self.length)
        self.eps = _validate_positive("eps", self.eps)
        self.dx = self.length / self.n_x
        self.x = (np.arange(self.n_x) + 0.5) * self.dx
        self.xf = (np.arange(self.n_x) + 1.0) * self.dx
        self.v, self.dv, self.mu = velocity_grid(self.n_v, self.v_max, self.theta)
        self.dmu = _dv_centred(self.mu, self.dv)
        self.v2 = float(np.sum(self.v**2 * self.mu) * self.dv)  # discrete theta: closure constant
        # -<v dmu/dv> = 1 up to the Gaussian tail at v_max: the discrete factor multiplying E m
        self.e_factor = float(-np.sum(self.v * self.dmu) * self.dv)
        if isinstance(self.M, tuple) and len(self.M) == 2 and np.ndim(self.M[0]) == 2:
            self.Mc = _field_on(self.M[0], self.x)
            self.Mf = _field_on(self.M[1], self.xf)
        else:
            self.Mc = _field_on(self.M, self.x)
            self.Mf = _field_on(self.M, self.xf)

    # ---- helpers ------------------------------------------------------------------------------
    def mean(self, phi: np.ndarray) -> np.ndarray:
        """<phi> = sum_k phi_k dv over the last axis."""
        return phi.sum(axis=-1) * self.dv

    def _grad(self, m: np.ndarray) -> np.ndarray:
        return (np.roll(m, -1, axis=-1) - m) / self.dx

    def _avg(self, m: np.ndarray) -> np.ndarray:
        return 0.5 * (np.roll(m, -1, axis=-1) + m)

    def _div(self, F: np.ndarray) -> np.ndarray:
        return (F - np.roll(F, 1, axis=-1)) / self.dx

    def _source(self, m: np.ndarray) -> np.ndarray:
        """(I - Pi) T(m mu) = v mu dm/dx + E m dmu/dv at faces, shape ``(4, n_x, n_v)``."""
        return (
            self._grad(m)[..., None] * (self.v * self.mu)
            + self.E * self._avg(m)[..., None] * self.dmu
        )

    def _macro_propagator(self, dt: float) -> np.ndarray:
        """exp(dt (w [M]x - g_sf I)) per cell, ``(n_x, 3, 3)``, exact (Rodrigues' formula)."""
        r = np.linalg.norm(self.Mc, axis=1)
        Kc = cross_matrix(self.Mc / np.where(r > 0, r, 1.0)[:, None])
        th = (self.w * r * dt)[:, None, None]
        return (np.eye(3) + np.sin(th) * Kc + (1 - np.cos(th)) * (Kc @ Kc)) * np.exp(
            -self.g_sf * dt
        )

    def micro_equilibrium(self, m: np.ndarray) -> np.ndarray:
        """First-order (Chapman-Enskog) micro part h = -(I - a[M]x)^-1 (v mu dm/dx + E m dmu/dv)."""
        m = self._check_m(m)
        S = self._source(m)
        h = -S
        h[1:] = -np.einsum("fab,bfv->afv", inverse_p_minus_qK(1.0, self.a, self.Mf), S[1:])
        return h

    def initial(self, m0: np.ndarray, well_prepared: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """State ``(m, h)`` for macro data m0 ``(4, n_x)``; h from ``micro_equilibrium`` or zero."""
        m0 = self._check_m(m0).copy()
        h0 = (
            self.micro_equilibrium(m0)
            if (well_prepared and self.collisions)
            else np.zeros((4, self.n_x, self.n_v))
        )
        return m0, h0

    def moments(self, m: np.ndarray, h: np.ndarray) -> dict[str, np.ndarray]:
        """Density rho ``(n_x,)``, spin density m ``(3, n_x)`` at cells; currents at faces."""
        J = self.eps * self.mean(self.v * h)
        return {"rho": m[0], "m": m[1:], "j_rho": J[0], "j": J[1:]}

    def distribution(self, m: np.ndarray, h: np.ndarray) -> np.ndarray:
        """g = m mu + eps h at cells (h averaged from the two adjacent faces), ``(4, n_x, n_v)``."""
        hc = 0.5 * (h + np.roll(h, 1, axis=1))
        return m[..., None] * self.mu + self.eps * hc

    # ---- time stepping ----------------------------------------------------------------------
    def _micro_operator(self, dt: float, ncomp: int, blocks: np.ndarray | None) -> spla.SuperLU:
        """LU of the implicit micro operator for ``ncomp`` components (unknown order (f, c, k)).

        (1+κλ) I - κλ a [M_f]x  +  (dt/eps) (I - Pi)(v D_x^upwind + E D_v), λ = dt/eps².
        """
        nx, nv, e = self.n_x, self.n_v, self.eps
        kap = 1.0 if self.collisions else 0.0
        lam = kap * dt / e**2
        eye_x = sp.identity(nx, format="csr")
        shift = sp.csr_matrix(
            (np.ones(nx), (np.arange(nx), (np.arange(nx) + 1) % nx)), shape=(nx, nx)
        )
        if self.upwind_order == 1:
            back = (eye_x - shift.T) / self.dx  # (h_f - h_{f-1})/dx
            fwd = (shift - eye_x) / self.dx  # (h_{f+1} - h_f)/dx
        else:  # second-order one-sided: (3h_f - 4h_{f-1} + h_{f-2})/(2dx) and mirror
            back = (3 * eye_x - 4 * shift.T + shift.T @ shift.T) / (2 * self.dx)
            fwd = (-3 * eye_x + 4 * shift - shift @ shift) / (2 * self.dx)
        Ic = sp.identity(ncomp, format="csr")
        vp, vm = np.maximum(self.v, 0.0), np.minimum(self.v, 0.0)
        Tup = sp.kron(sp.kron(back, Ic), sp.diags(vp)) + sp.kron(sp.kron(fwd, Ic), sp.diags(vm))
        Dv = sp.csr_matrix(_dv_matrix(nv, self.dv))
        proj = sp.identity(nv) - sp.csr_matrix(np.outer(self.mu, np.full(nv, self.dv)))
        Iv = sp.identity(nv, format="csr")
        T = sp.kron(sp.identity(nx * ncomp), proj) @ (
            Tup + self.E * sp.kron(sp.identity(nx * ncomp), Dv)
        )
        if blocks is None:
            relax = (1.0 + lam) * sp.identity(nx * ncomp * nv)
        else:
            B = (1.0 + lam) * np.eye(3) - lam * self.a * blocks
            relax = sp.kron(_blockdiag(B), Iv)
        return spla.splu((relax + (dt / e) * T).tocsc())

    def stepper(
        self, dt: float
    ) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """Return ``step(m, h) -> (m, h)`` advancing by dt (arrays ``(4, n_x)``, ``(4, n_x, n_v)``).

        The micro equation is solved implicitly (relaxation, precession and upwind
        transport together, one sparse LU per call to ``stepper``), so the step is stable
        uniformly in eps; the macro update is explicit, so dt is bounded by the parabolic limit
        dx²/(2 theta) of the diffusion limit (and by nothing that depends on eps).
        """
        dt = _validate_positive("dt", dt)
        e = self.eps
        nx, nv = self.n_x, self.n_v
        lu_c = self._micro_operator(dt, 1, None)
        lu_s = self._micro_operator(dt, 3, cross_matrix(self.Mf))
        R = self._macro_propagator(dt)
        v = self.v

        def step(m: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            rhs = h - (dt / e**2) * self._source(m)
            h1 = np.empty_like(h)
            h1[0] = lu_c.solve(rhs[0].ravel()).reshape(nx, nv)
            rs = np.ascontiguousarray(np.transpose(rhs[1:], (1, 0, 2))).ravel()  # order (f, c, k)
            h1[1:] = np.transpose(lu_s.solve(rs).reshape(nx, 3, nv), (1, 0, 2))
            m1 = m - dt * self._div(self.mean(v * h1))
            m1[1:] = np.einsum("iab,bi->ai", R, m1[1:])
            return m1, h1

        return step

    def limit_stepper(self, dt: float) -> Callable[[np.ndarray], np.ndarray]:
        """The eps -> 0 limit of ``stepper``: forward Euler of the diffusion limit on the same grid,
        m' = R(dt) (m + dt d/dx[A(M)(v2 dm/dx - E m)]), A = (I - a[M]x)^-1 (identity for charge),
        v2 the discrete theta, R the exact precession/spin-flip factor."""
        dt = _validate_positive("dt", dt)
        A = inverse_p_minus_qK(1.0, self.a, self.Mf)
        R = self._macro_propagator(dt)

        def step(m: np.ndarray) -> np.ndarray:
            F = self.v2 * self._grad(m) - self.E * self.e_factor * self._avg(m)
            F[1:] = np.einsum("fab,bf->af", A, F[1:])
            m1 = m + dt * self._div(F)
            m1[1:] = np.einsum("iab,bi->ai", R, m1[1:])
            return m1

        return step

    def evolve(
        self, m: np.ndarray, h: np.ndarray, t: float, dt: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Advance to time t with equal steps of at most dt."""
        nsteps = int(np.ceil(t / dt - 1e-12))
        step = self.stepper(t / nsteps)
        for _ in range(nsteps):
            m, h = step(m, h)
        return m, h

    def _check_m(self, m: np.ndarray) -> np.ndarray:
        m = np.asarray(m, dtype=float)
        if m.shape != (4, self.n_x):
            raise ValueError(f"m has shape {m.shape}: need (4, {self.n_x}) (charge, spin x, y, z)")
        return m


def kinetic_mode_matrix(
    k: float,
    eps: float,
    n_v: int = 48,
    v_max: float = 7.0,
    M=(0.0, 0.0, 1.0),
    E: float = 0.0,
    theta: float = 1.0,
    a: float = 1.0,
    w: float = 1.0,
    g_sf: float = 1.0,
    kappa: float = 1.0,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Spin part of the BGK equation for one Fourier mode e^{ikx}, uniform M, as dĝ/dt = A ĝ.

    ĝ is ordered ``(component, velocity)``, length 3 n_v; ``kappa = 0`` switches collisions
    off. Returns ``(A, grid)`` where grid holds
    v, dv, mu, v2 (the discrete theta) and ``prepare(m0) -> ĝ0`` (well-prepared data, first-order
    Chapman-Enskog) and ``m_of(ĝ) -> m̂``. No space grid: exact in x up to the velocity grid.
    """
    v, dv, mu = velocity_grid(n_v, v_max, theta)
    Dv = _dv_matrix(n_v, dv)
    Pi = np.outer(mu, np.full(n_v, dv))
    K = cross_matrix(np.asarray(M, dtype=float))
    I3, Iv = np.eye(3), np.eye(n_v)
    A = (
        -np.kron(I3, 1j * k * np.diag(v) + E * Dv) / eps
        - kappa * np.kron(I3 - a * K, Iv - Pi) / eps**2
        + np.kron(w * K - g_sf * I3, Pi)
    )
    dmu = Dv @ mu
    Ainv = inverse_p_minus_qK(1.0, a, np.asarray(M, dtype=float))

    def prepare(m0: np.ndarray) -> np.ndarray:
        m0 = np.asarray(m0, dtype=complex)
        S = m0[:, None] * (1j * k * v * mu + E * dmu)[None, :]
        return (m0[:, None] * mu[None, :] - eps * Ainv @ S).ravel()

    def m_of(g: np.ndarray) -> np.ndarray:
        return g.reshape(3, n_v).sum(axis=1) * dv

    grid = {
        "v": v,
        "dv": dv,
        "mu": mu,
        "v2": float(np.sum(v**2 * mu) * dv),
        "prepare": prepare,
        "m_of": m_of,
    }
    return A, grid
