"""Gauss-Seidel projection method (Wang, García-Cervera & E 2001) in physical units.

Time scaling (Gilbert -> LL). :class:`~spintorque.dynamics.llg.LLG` solves the Gilbert equation in
its explicit Landau-Lifshitz form ``dm/dt = −γ' [m × H + α m × (m × H)]`` with
``γ' = γ0/(1 + α²)``. With ``τ = γ' Ms t`` and ``h = H/Ms`` this is GSPM01's dimensionless LL
equation ``m_τ = −m × h − α m × (m × h)``, ``h = ε Δm + f``, ``ε = 2A/(μ0 Ms²)`` [m²],
``f = H_other/Ms``. One step Δt [s] is a GSPM step of ``Δτ = γ' Ms Δt``; in physical units

    c = ε Δτ = 2 A γ' Δt / (μ0 Ms)        [m²]     (per magnetic layer)
    p = Δτ / Ms = γ' Δt                   [m/A]    (multiplies H_other [A/m])

1. gyromagnetic step, Gauss-Seidel in the components (m* = m − m × g with the latest values):
   ``g_i = (I − c Δ_h)^{-1} (m_i + p F_i)``, F = H_other(m^n, t) [A/m] (reused for g*, as in
   CuPyMag: cheaper, still first order); 4 scalar solves;
2. damping: ``m** = (I − α c Δ_h)^{-1} (m* + α p F*)``, F* = H_other(m*, t + Δt); 3 solves;
3. projection ``m^{n+1} = m** / |m**|``.

The step has no damping in 1. and no precession in 2.: the scheme is first order in Δt (measured in
the tests), unconditionally stable in the exchange term. Δ_h is the cell-centred 7-point Laplacian
with Neumann faces, exactly the stencil of :class:`~spintorque.fields.exchange.Exchange`; on each
magnetic layer ``(I − c Δ_h)`` is diagonal in the DCT-II basis (``scipy.fft.dctn`` type 2, ortho)
with eigenvalues ``1 + c Σ_d (4/h_d²) sin²(π k_d / (2 N_d))``.

Cost and accuracy: 2 explicit field evaluations and 7 scalar DCT solves per step. Measured on muMAG
SP4 (5 nm cells, 0.4 ns): dt = 0.2 / 0.1 / 0.05 ps put the first <mx> zero crossing within 0.14 /
0.001 / 0.07 ps of magnum.np and the trajectory RMS at 0.0055 / 0.0029 / 0.0020 (rk45: 0.0019).
For such thin films rk45 needs fewer field evaluations; gspm pays off when exchange makes the
explicit step stiff (fine cells, thick layers).

Spin transport (``transport_update``): a :class:`~spintorque.transport.coupling.
SpinAccumulationField` among the explicit terms is solved at m^n only (``"step"``, default) and
extrapolated in time from the last two solves for F*, or solved at both m^n and m*
(``"evaluation"``). Both are first order, like the rest of the step; ``"step"`` halves the
transport solves, which are ~90 % of a coupled step (the difference between the two is measured
in ``tests/unit/test_transport_models.py`` and ``docs/theory/transport.md``).

Limits (ValueError at construction): every magnetic region must be a full-plane z slab with uniform
Ms, A, α and γ0; magnetic layers may not touch (there is no exchange through a spacer, and the
per-layer solves cannot carry exchange between touching layers); ``llg.torques`` must be empty:
torques that are not fields (Zhang-Li, Slonczewski) are not supported; the spin-accumulation
coupling enters as a field term (c·s/μ0) and is treated explicitly with the other fields.
"""

from __future__ import annotations

import numpy as np
from scipy import fft

from ...constants import MU0
from ...fields.base import EffectiveField
from ...fields.exchange import Exchange
from ..llg import LLG
from .base import (
    FixedStepMixin,
    IntegrationError,
    Normalizer,
    TransportHold,
    check_m,
    check_positive,
    check_t_max,
    finite,
)


def _uniform(values: np.ndarray, what: str, layer: str) -> float:
    v = float(values.flat[0])
    if not np.allclose(values, v, rtol=1e-12, atol=0.0):
        raise ValueError(
            f"gspm: {what} varies inside magnetic layer {layer!r} "
            f"(range {values.min():.6g}..{values.max():.6g}); gspm needs it uniform per layer"
        )
    return v


class _Layer:
    """One magnetic slab k0:k1 and its DCT-diagonal operators.

    ``rate`` = 2 A γ'/(μ0 Ms) [m²/s], so that c = rate · dt; ``lam`` holds the eigenvalues
    −(DCT symbol of Δ_h) ≥ 0 [1/m²]."""

    def __init__(self, name: str, k0: int, k1: int, rate: float, alpha: float, cell, n):
        self.name, self.k0, self.k1 = name, k0, k1
        self.rate = rate
        self.alpha = alpha
        nz = k1 - k0
        lam = np.zeros((n[0], n[1], nz))
        for axis, nd in enumerate((n[0], n[1], nz)):
            k = np.arange(nd)
            ev = (4.0 / cell[axis] ** 2) * np.sin(np.pi * k / (2 * nd)) ** 2
            shape = [1, 1, 1]
            shape[axis] = nd
            lam = lam + ev.reshape(shape)
        self.lam = lam
        self._cache: dict[tuple[float, bool], np.ndarray] = {}

    def c(self, dt: float) -> float:
        """c = 2 A γ' dt/(μ0 Ms) [m²] for a step dt [s]."""
        return self.rate * dt

    def inverse(self, dt: float, damping: bool) -> np.ndarray:
        """1/(1 + c' λ) with c' = c (gyromagnetic step) or α c (damping step); cached."""
        key = (dt, damping)
        if key not in self._cache:
            if len(self._cache) > 6:  # clipped last steps of advance() use other dt's
                self._cache.clear()
            scale = self.alpha * self.c(dt) if damping else self.c(dt)
            self._cache[key] = 1.0 / (1.0 + scale * self.lam)
        return self._cache[key]

    def solve(self, rhs: np.ndarray, out: np.ndarray, inv: np.ndarray, implicit: bool) -> None:
        """out[layer] = (I − c' Δ_h)^{-1} rhs[layer] for one scalar component."""
        sl = (slice(None), slice(None), slice(self.k0, self.k1))
        if not implicit:
            out[sl] = rhs[sl]
            return
        spec = fft.dctn(rhs[sl], type=2, norm="ortho")
        spec *= inv
        out[sl] = fft.idctn(spec, type=2, norm="ortho")


class GSPM(FixedStepMixin):  # operators are built (and cached) per dt
    """Gauss-Seidel projection method with fixed step ``dt`` [s] (see the module docstring)."""

    name = "gspm"
    order = 1

    def __init__(self, llg: LLG, dt: float = 1e-13, transport_update: str = "step"):
        self.llg = llg
        self.dt = check_positive("dt", dt)
        self.transport_update = transport_update
        if llg.torques:
            names = [getattr(tq, "name", type(tq).__name__) for tq in llg.torques]
            raise ValueError(
                f"gspm: llg.torques = {names}: torques other than fields are not supported by "
                "gspm; use rk45 (the spin-accumulation coupling as a field term is fine)"
            )
        if llg.sample.frozen.any():
            raise ValueError("gspm: the sample has frozen cells (a material with frozen = true), "
                             "which gspm's implicit exchange solve would move; use rk45, rk43 "
                             "or a fixed-step Runge-Kutta scheme")
        exchange = [term for term in llg.field.terms if isinstance(term, Exchange)]
        if len(exchange) > 1:
            raise ValueError(f"gspm: {len(exchange)} Exchange terms in the field; need at most one")
        others = [term for term in llg.field.terms if not isinstance(term, Exchange)]
        sample = llg.sample
        grid = sample.grid
        self._explicit = EffectiveField(others, grid.vshape)
        # the spin accumulation predicts s for F* instead of solving (transport_update "step")
        self._hold = TransportHold(others, transport_update, "gspm")
        ms, a_ex = sample.param("Ms"), sample.param("A")
        alpha, gamma0 = llg.alpha, sample.param("gamma0")
        self._layers: list[_Layer] = []
        self._gamma = np.zeros(grid.shape)  # γ' = γ0/(1+α²) [m/(A·s)] per cell
        self._alpha_gamma = np.zeros(grid.shape)
        self._p = np.zeros(grid.shape)  # γ' dt [m/A], filled per step
        self._alpha_p = np.zeros(grid.shape)
        covered = np.zeros(grid.shape, bool)
        for name, k0, k1 in sample.magnetic_layers():
            mask = sample.mask(name)
            if not mask[:, :, k0:k1].all() or mask.sum() != grid.n[0] * grid.n[1] * (k1 - k0):
                raise ValueError(
                    f"gspm: magnetic region {name!r} is not a full-plane z slab; gspm needs "
                    "rectangular magnetic layers (use rk45)"
                )
            sl = (slice(None), slice(None), slice(k0, k1))
            ms_l = _uniform(ms[sl], "Ms", name)
            a_l = _uniform(a_ex[sl], "A", name) if exchange else 0.0
            al_l = _uniform(alpha[sl], "alpha", name)
            g_l = _uniform(gamma0[sl], "gamma0", name) / (1.0 + al_l * al_l)
            rate = 2.0 * a_l * g_l / (MU0 * ms_l)
            self._layers.append(_Layer(name, k0, k1, rate, al_l, grid.cell, grid.n))
            self._gamma[sl] = g_l
            self._alpha_gamma[sl] = al_l * g_l
            covered[sl] = True
        if not np.array_equal(covered, sample.magnetic):
            raise ValueError("gspm: some magnetic cells are not in a full-plane magnetic layer")
        for lo, hi in zip(self._layers[:-1], self._layers[1:], strict=False):
            if exchange and lo.k1 == hi.k0 and lo.rate > 0 and hi.rate > 0:
                raise ValueError(
                    f"gspm: magnetic layers {lo.name!r} and {hi.name!r} touch; gspm has no "
                    "exchange between layers (separate them by a spacer or use rk45)"
                )
        self._implicit = bool(exchange) and any(layer.rate > 0 for layer in self._layers)
        self._normalize = Normalizer(sample.magnetic)
        self._f = np.zeros(grid.vshape)
        self._b = np.zeros(grid.shape)
        self._g = np.zeros((3, *grid.shape))
        self.stats = {"steps": 0, "rejected": 0, "evaluations": 0}

    def _solve(self, rhs: np.ndarray, out: np.ndarray, dt: float, damping: bool = False):
        """out = (I − c' Δ_h)^{-1} rhs per magnetic layer (zero elsewhere), scalar arrays."""
        out[...] = 0.0
        for layer in self._layers:
            implicit = self._implicit and layer.rate > 0
            inv = layer.inverse(dt, damping) if implicit else None
            layer.solve(rhs, out, inv, implicit)
        return out

    def step(self, t: float, m: np.ndarray, t_max: float | None = None) -> tuple[float, np.ndarray]:
        """One GSPM step of ``dt`` (clipped at ``t_max``); returns ``(t_new, m_new)``."""
        check_m(self.llg, m, "gspm")
        t = float(t)
        check_t_max(t, t_max, "gspm")
        dt = self.dt
        clipped = t_max is not None and t + 1.01 * dt >= t_max
        if clipped:
            dt = t_max - t
        np.multiply(self._gamma, dt, out=self._p)
        np.multiply(self._alpha_gamma, dt, out=self._alpha_p)
        p, b, (g1, g2, g3) = self._p, self._b, self._g
        f = self._explicit.field(m, t, out=self._f)
        self.stats["evaluations"] += 1
        m1, m2, m3 = (np.array(m[..., i]) for i in range(3))
        f1, f2, f3 = f[..., 0], f[..., 1], f[..., 2]
        # 1. gyromagnetic Gauss-Seidel sweep, m* = m − m × g with the latest values
        self._solve(np.add(m2, p * f2, out=b), g2, dt)
        self._solve(np.add(m3, p * f3, out=b), g3, dt)
        m1 += g2 * m3 - g3 * m2
        self._solve(np.add(m1, p * f1, out=b), g1, dt)
        m2 += g3 * m1 - g1 * m3
        self._solve(np.add(m2, p * f2, out=b), g2, dt)
        m3 += g1 * m2 - g2 * m1
        m_new = np.stack((m1, m2, m3), axis=-1)
        # 2. damping as an implicit heat flow with the explicit field at m*
        with self._hold(True):
            f = self._explicit.field(m_new, t + dt, out=self._f)
        self.stats["evaluations"] += 1
        for i in range(3):
            np.add(m_new[..., i], self._alpha_p * f[..., i], out=b)
            m_new[..., i] = self._solve(b, g1, dt, damping=True)
        if not finite(m_new):
            raise IntegrationError(f"gspm: NaN or Inf in the state after the step at t = {t:.6e} s")
        # 3. projection
        self._normalize(m_new)
        self.stats["steps"] += 1
        return (t_max if clipped else t + dt), m_new

