"""Krylov iterations of the transport solves: BiCGSTAB with fused one-pass vector updates
(Numba) and a few steps of right-preconditioned GMRES for starts close to the target."""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["bicgstab", "gmres_short"]


@numba.njit(cache=True)
def _bicg_half(r, v, x, phat, alpha):
    """r −= α v, x += α p̂; returns ‖r‖² (one pass instead of four)."""
    acc = 0.0
    for i in range(r.size):
        ri = r[i] - alpha * v[i]
        r[i] = ri
        x[i] += alpha * phat[i]
        acc += ri * ri
    return acc


@numba.njit(cache=True)
def _bicg_dots(t, r):
    """(t·t, t·r) in one pass."""
    tt = 0.0
    tr = 0.0
    for i in range(t.size):
        tt += t[i] * t[i]
        tr += t[i] * r[i]
    return tt, tr


@numba.njit(cache=True)
def _bicg_full(r, t, x, shat, omega, rhat):
    """x += ω ŝ, r −= ω t; returns (‖r‖², r̂·r)."""
    rr = 0.0
    rho = 0.0
    for i in range(r.size):
        x[i] += omega * shat[i]
        ri = r[i] - omega * t[i]
        r[i] = ri
        rr += ri * ri
        rho += rhat[i] * ri
    return rr, rho


@numba.njit(cache=True)
def _bicg_direction(p, r, v, beta, omega):
    """p = r + β (p − ω v)."""
    for i in range(p.size):
        p[i] = r[i] + beta * (p[i] - omega * v[i])


def bicgstab(A, M, b, x0, atol, maxiter, r0=None):
    """Preconditioned BiCGSTAB (van der Vorst 1992; the recurrences of scipy's ``bicgstab``)
    with the vector updates fused into one-pass Numba loops: the updates are memory-bound, and
    scipy's version made ~10 passes with temporaries per iteration. Stops when the recursively
    updated residual is ≤ atol. ``r0``: b − A x0 if the caller has it (saves a product).

    Returns ``(x, iterations, products, info)``: info 0 converged, 1 ``maxiter`` reached,
    -1 breakdown (ρ or ω vanished; the caller continues with LGMRES from x)."""
    x = np.array(x0, dtype=float)
    r = b - A(x) if r0 is None else np.array(r0, dtype=float)
    nprod = 1 if r0 is None else 0
    atol2 = atol * atol
    rho = float(r @ r)
    if rho <= atol2:
        return x, 0, nprod, 0
    rhat = r.copy()
    rr_hat = rho
    p = r.copy()
    v = np.zeros_like(r)
    rho_old = alpha = omega = 1.0
    tiny = np.finfo(float).eps ** 2
    for it in range(1, maxiter + 1):
        if abs(rho) < tiny * rr_hat:
            return x, it - 1, nprod, -1
        if it > 1:
            _bicg_direction(p, r, v, (rho / rho_old) * (alpha / omega), omega)
        phat = M(p)
        v = A(phat)
        nprod += 1
        rv = float(rhat @ v)
        if rv == 0.0:
            return x, it - 1, nprod, -1
        alpha = rho / rv
        if _bicg_half(r, v, x, phat, alpha) <= atol2:  # r is now s
            return x, it, nprod, 0
        shat = M(r)
        t = A(shat)
        nprod += 1
        tt, tr = _bicg_dots(t, r)
        omega = tr / tt if tt > 0 else 0.0
        rho_old = rho
        rr, rho = _bicg_full(r, t, x, shat, omega, rhat)
        if rr <= atol2:
            return x, it, nprod, 0
        if omega == 0.0:
            return x, it, nprod, -1
    return x, maxiter, nprod, 1


def gmres_short(A, M, r0, x0, atol, V, Z):
    """Up to ``len(Z)`` steps of right-preconditioned GMRES from x0 (residual r0), stopping at
    ‖r‖ ≤ atol: the Krylov solution of least residual after each application of M and A.

    For the once-per-LLG-step solves (start residual a few times the target) this needs fewer
    applications than BiCGSTAB, whose iterations come in pairs and whose first half-step is a
    Galerkin, not a minimal-residual, step (moment model on the 4 nm trilayer, rk43: 1.1 instead of
    1.6 preconditioner applications per LLG step, docs/performance.md). Classical Gram-Schmidt
    (BLAS-2), re-orthogonalized from the second step on; ``V`` ``(k + 1, n)`` and ``Z``
    ``(k, n)`` are the caller's workspace. Returns ``(x, r, steps, converged)``; r = b − A x is
    formed from the Arnoldi basis (no product) and only when not converged (else None)."""
    kmax = Z.shape[0]
    beta = float(np.linalg.norm(r0))
    H = np.zeros((kmax + 1, kmax))
    np.multiply(r0, 1.0 / beta, out=V[0])
    for j in range(kmax):
        Z[j] = M(V[j])
        w = A(Z[j])
        Vj = V[: j + 1]
        h = Vj @ w
        w -= h @ Vj
        if j:  # "twice is enough": one more pass keeps the basis orthogonal to round-off
            h2 = Vj @ w
            w -= h2 @ Vj
            h += h2
        H[: j + 1, j] = h
        hn = float(np.linalg.norm(w))
        H[j + 1, j] = hn
        # min ‖β e₁ − H y‖ over the (j + 2) × (j + 1) Hessenberg matrix (k ≤ 10: tiny)
        rhs = np.zeros(j + 2)
        rhs[0] = beta
        y, *_ = np.linalg.lstsq(H[: j + 2, : j + 1], rhs, rcond=None)
        res_coef = rhs - H[: j + 2, : j + 1] @ y
        converged = float(np.linalg.norm(res_coef)) <= atol or hn == 0.0
        if converged or j == kmax - 1:
            x = x0 + y @ Z[: j + 1]
            if converged:
                return x, None, j + 1, True
            np.multiply(w, 1.0 / hn, out=V[j + 1])
            return x, res_coef @ V[: j + 2], j + 1, False
        np.multiply(w, 1.0 / hn, out=V[j + 1])
    raise AssertionError("unreachable")
