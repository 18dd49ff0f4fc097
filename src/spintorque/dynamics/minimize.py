"""Energy minimization: Barzilai-Borwein steepest descent on the sphere (Exl et al. 2014).

Iteration: ``g = m × (m × H)`` (= −(H − (m·H) m), the projected negative field, A/m), trial
``m' = (m − τ g)/|m − τ g|`` (curvilinear step with renormalization), step lengths alternating
BB1 ``τ = s·s / s·y`` and BB2 ``τ = s·y / y·y`` with ``s = m' − m``, ``y = g' − g``.

Monotone safeguard: a trial whose energy exceeds the current one by more than round-off
(1e-12 of the sum of the terms' |energies|) is rejected and τ halved, so the accepted energies in
``energy_history`` never rise. Stops when ``max |m × H| < tol`` [A/m].

Default ``tol = 1e-5 · max(Ms)`` (8 A/m for permalloy): the angle to equilibrium is about
``|m × H| / H_stiff``; for any mode stiffer than 1 % of Ms (demag, exchange, the fields of the
standard problems) this is below 1e-3 rad, well inside the spread between published minimizers,
while still above the round-off floor of the field (~1e-12 Ms). Only ``llg.field`` is used:
torques from currents are not conservative and are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .integrators.base import Normalizer, check_m, check_positive
from .llg import LLG, cross


@dataclass
class MinimizeResult:
    """Outcome of :func:`minimize`.

    ``m``: relaxed unit magnetization, shape ``(nx, ny, nz, 3)``; ``iterations``: accepted steps;
    ``max_torque``: final max |m × H| [A/m]; ``energy_history``: energy [J] of the start state and
    after each accepted step (non-increasing up to round-off); ``converged``: max_torque < tol.
    """

    m: np.ndarray
    iterations: int
    max_torque: float
    energy_history: np.ndarray
    converged: bool
    evaluations: int = 0
    message: str = field(default="")


def _evaluate(
    llg: LLG, m: np.ndarray, t: float, g: np.ndarray, tmp: np.ndarray
) -> tuple[float, float, float]:
    """One field evaluation gives everything a trial needs: g = m × (m × H(m)) and
    ``(energy [J], sum of |term energies| [J], max |m × H| [A/m])``."""
    h, parts = llg.field.field_and_energies(m, t, out=llg.h)
    cross(m, h, out=tmp)
    cross(m, tmp, out=g)
    torque = float(np.sqrt(np.max(np.einsum("ijkl,ijkl->ijk", g, g))))
    return float(sum(parts.values())), float(sum(abs(v) for v in parts.values())), torque


def minimize(
    llg: LLG,
    m: np.ndarray,
    tol: float | None = None,
    max_iter: int = 50_000,
    callback: Callable[[int, np.ndarray, float, float], bool | None] | None = None,
    t: float = 0.0,
) -> MinimizeResult:
    """Relax ``m`` (unit vectors, zero in non-magnetic cells) to a local energy minimum.

    Parameters
    ----------
    llg : its ``field`` (terms, energies) is minimized at time ``t`` [s].
    m : start state, shape ``grid.vshape``; not modified.
    tol : stop when max |m × H| < tol [A/m]; default 1e-5 · max(Ms).
    max_iter : cap on accepted iterations.
    callback : ``callback(iteration, m, energy [J], max_torque [A/m])`` after each accepted step;
        returning True stops the minimization.
    """
    check_m(llg, m, "minimize")
    ms_max = float(np.max(llg.sample.param("Ms")))
    tol = 1e-5 * ms_max if tol is None else check_positive("tol", tol)
    if int(max_iter) < 0:
        raise ValueError(f"max_iter = {max_iter!r}: need a non-negative integer")
    normalize = Normalizer(llg.sample.magnetic)
    shape = llg.sample.grid.vshape
    m = normalize(np.array(m, dtype=float, copy=True))
    g, g_new, tmp = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    m_new, s = np.zeros(shape), np.zeros(shape)

    e, e_abs, torque = _evaluate(llg, m, t, g, tmp)
    evaluations = 1
    history = [e]
    tau = 0.01 / torque if torque > 0 else 0.0  # first step: at most 0.01 rad
    it, message = 0, "max_iter reached"
    while torque >= tol and torque > 0:  # torque 0: exact equilibrium (or nothing magnetic)
        if it >= max_iter:
            break
        tau = min(tau, 1.0 / torque)  # never turn a cell by much more than a radian at once
        accepted = False
        for _ in range(60):
            np.multiply(g, -tau, out=m_new)
            m_new += m
            normalize(m_new)
            e_new, e_abs_new, torque_new = _evaluate(llg, m_new, t, g_new, tmp)
            evaluations += 1
            if e_new <= e + 1e-12 * max(e_abs, e_abs_new):
                accepted = True
                break
            tau *= 0.5
        if not accepted:
            message = "stalled: no energy decrease at any step length (round-off floor)"
            break
        torque = torque_new
        np.subtract(m_new, m, out=s)
        np.subtract(g_new, g, out=g)  # g now holds y = g_new − g
        sy = float(np.vdot(s, g))
        if sy > 0:
            tau = float(np.vdot(s, s)) / sy if it % 2 == 0 else sy / float(np.vdot(g, g))
        else:
            tau *= 2.0  # non-convex direction: grow the step, the safeguard guards it
        m, m_new = m_new, m
        g, g_new = g_new, g
        e, e_abs = e_new, e_abs_new
        history.append(e)
        it += 1
        if callback is not None and callback(it, m, e, torque):
            message = "stopped by callback"
            break
    converged = torque < tol or torque == 0
    if converged:
        message = "converged"
    if not math.isfinite(torque):
        raise FloatingPointError("minimize: the field became NaN or Inf")
    return MinimizeResult(
        m=m.copy(),
        iterations=it,
        max_torque=torque,
        energy_history=np.asarray(history),
        converged=converged,
        evaluations=evaluations,
        message=message,
    )
