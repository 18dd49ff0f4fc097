"""Semiclassical (eps -> 0) limit of WKB data: the spinor Liouville equation by characteristics.

For psi0 = a(x) e^{iS(x)/eps} chi(x), the Wigner matrix tends, before caustics, to the mono-kinetic
measure W = ½ n(x,t) (I + s_hat(x,t).sigma) delta(p - u(x,t)) transported by
(docs/theory/hierarchy.md, semiclassical limit)::

    dX/dt = P,  dP/dt = -V'(X),  ds/dt = M(X) x s
    X(0) = x0,  P(0) = S'(x0),  s(0) = chi^† sigma chi

and the density follows from the Jacobian J = dX/dx0 (dJ/dt = Q, dQ/dt = -V''(X) J):
n(X(t), t) = a(x0)² / |J(t)|, spin density n s. Dimensionless throughout.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["characteristics", "liouville_observables"]


def _zero(x: np.ndarray) -> np.ndarray:
    return np.zeros_like(x)


def characteristics(
    x0: np.ndarray,
    p0: np.ndarray,
    s0: np.ndarray,
    t: float,
    M: Callable[[np.ndarray], np.ndarray],
    dV: Callable[[np.ndarray], np.ndarray] = _zero,
    d2V: Callable[[np.ndarray], np.ndarray] = _zero,
    dp0: np.ndarray | None = None,
    nsteps: int = 2000,
) -> dict[str, np.ndarray]:
    """Integrate the characteristics with classical RK4 (``nsteps`` steps to time t).

    x0, p0 shape ``(k,)``; s0 shape ``(3, k)``; dp0 = S''(x0) (needed for the Jacobian; zero if
    omitted). M maps x ``(k,)`` to ``(k, 3)``. Returns X, P, J (= dX/dx0) shape
    ``(k,)`` and s ``(3, k)``.
    """
    x0 = np.asarray(x0, dtype=float)
    k = x0.size
    dp0 = np.zeros(k) if dp0 is None else np.asarray(dp0, dtype=float)
    y = np.concatenate([x0, np.asarray(p0, float), np.ones(k), dp0, np.asarray(s0, float).ravel()])

    def rhs(y: np.ndarray) -> np.ndarray:
        X, P, J, Q = y[:k], y[k : 2 * k], y[2 * k : 3 * k], y[3 * k : 4 * k]
        s = y[4 * k :].reshape(3, k)
        Mx = np.asarray(M(X), dtype=float).T  # (3, k)
        return np.concatenate([P, -dV(X), Q, -d2V(X) * J, np.cross(Mx, s, axis=0).ravel()])

    h = t / nsteps if nsteps > 0 else 0.0
    for _ in range(nsteps if t > 0 else 0):
        k1 = rhs(y)
        k2 = rhs(y + 0.5 * h * k1)
        k3 = rhs(y + 0.5 * h * k2)
        k4 = rhs(y + h * k3)
        y = y + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
    return {
        "X": y[:k],
        "P": y[k : 2 * k],
        "J": y[2 * k : 3 * k],
        "s": y[4 * k :].reshape(3, k),
    }


def liouville_observables(
    x: np.ndarray,
    length: float,
    x0: np.ndarray,
    a0: np.ndarray,
    p0: np.ndarray,
    dp0: np.ndarray,
    s0: np.ndarray,
    t: float,
    M: Callable[[np.ndarray], np.ndarray],
    dV: Callable[[np.ndarray], np.ndarray] = _zero,
    d2V: Callable[[np.ndarray], np.ndarray] = _zero,
    nsteps: int = 2000,
) -> dict[str, np.ndarray]:
    """Limit density n ``(len(x),)``, spin density ``(3, len(x))`` and current on the grid x.

    The Lagrangian values at X(t; x0) are interpolated (linear, periodic wrap onto
    ``[x[0], x[0] + length)``) onto x. Raises ValueError if a caustic (J <= 0) has formed.
    """
    ch = characteristics(x0, p0, s0, t, M, dV, d2V, dp0=dp0, nsteps=nsteps)
    if np.any(ch["J"] <= 0):
        raise ValueError(f"t = {t!r}: a caustic has formed (dX/dx0 <= 0); the WKB limit is invalid")
    n_lag = a0**2 / ch["J"]
    X = ch["X"]
    out_n = np.zeros_like(x)
    out_s = np.zeros((3, x.size))
    out_J = np.zeros_like(x)
    for shift in (-length, 0.0, length):  # periodic images
        xs = x - shift
        inside = (xs >= X[0]) & (xs <= X[-1])
        out_n[inside] += np.interp(xs[inside], X, n_lag)
        out_J[inside] += np.interp(xs[inside], X, n_lag * ch["P"])
        for c in range(3):
            out_s[c, inside] += np.interp(xs[inside], X, n_lag * ch["s"][c])
    return {"n": out_n, "s": out_s, "J": out_J}
