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
    llg.free_cells(cross(m, tmp, out=g))  # frozen cells do not move
    torque = float(np.sqrt(np.max(np.einsum("ijkl,ijkl->ijk", g, g))))
    return float(sum(parts.values())), float(sum(abs(v) for v in parts.values())), torque


class Minimizer:
    """The Barzilai-Borwein descent one accepted step at a time, resumable.

    ``state_dict()`` holds m, the step length τ, the iteration count and the energy history;
    after ``load_state_dict`` the next steps are those the uninterrupted run takes (the field at
    m is recomputed, which gives the same numbers in the same process).
    """

    def __init__(self, llg: LLG, m: np.ndarray, tol: float | None = None, t: float = 0.0):
        check_m(llg, m, "minimize")
        self.llg, self.t = llg, t
        ms_max = float(np.max(llg.sample.param("Ms")))
        self.tol = 1e-5 * ms_max if tol is None else check_positive("tol", tol)
        self._normalize = Normalizer(llg.sample.magnetic)
        shape = llg.sample.grid.vshape
        self.g, self._g_new, self._tmp = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        self._m_new, self._s = np.zeros(shape), np.zeros(shape)
        self.iteration, self.message = 0, "max_iter reached"
        self._start(self._normalize(np.array(m, dtype=float, copy=True)), None)

    def _start(self, m: np.ndarray, tau: float | None) -> None:
        self.m = m
        self.energy, self.e_abs, self.torque = _evaluate(self.llg, m, self.t, self.g, self._tmp)
        self.evaluations = 1
        self.history = [self.energy]
        # first step: at most 0.01 rad
        self.tau = (0.01 / self.torque if self.torque > 0 else 0.0) if tau is None else tau

    @property
    def done(self) -> bool:
        """At the tolerance, at an exact equilibrium (torque 0) or at a NaN torque."""
        return not (self.torque >= self.tol and self.torque > 0)

    def step(self) -> bool:
        """One accepted step; False if no step length lowers the energy (round-off floor)."""
        tau = min(self.tau, 1.0 / self.torque)  # never turn a cell by much more than a radian
        m, g, m_new, g_new = self.m, self.g, self._m_new, self._g_new
        for _ in range(60):
            np.multiply(g, -tau, out=m_new)
            m_new += m
            self._normalize(m_new)
            e_new, e_abs_new, torque_new = _evaluate(self.llg, m_new, self.t, g_new, self._tmp)
            self.evaluations += 1
            if e_new <= self.energy + 1e-12 * max(self.e_abs, e_abs_new):
                break
            tau *= 0.5
        else:
            self.message = "stalled: no energy decrease at any step length (round-off floor)"
            return False
        self.torque = torque_new
        s = np.subtract(m_new, m, out=self._s)
        np.subtract(g_new, g, out=g)  # g now holds y = g_new − g
        sy = float(np.vdot(s, g))
        if sy > 0:
            tau = float(np.vdot(s, s)) / sy if self.iteration % 2 == 0 \
                else sy / float(np.vdot(g, g))
        else:
            tau *= 2.0  # non-convex direction: grow the step, the safeguard guards it
        self.tau = tau
        self.m, self._m_new = m_new, m
        self.g, self._g_new = g_new, g
        self.energy, self.e_abs = e_new, e_abs_new
        self.history.append(self.energy)
        self.iteration += 1
        return True

    def state_dict(self) -> dict:
        return {"m": self.m.copy(), "tau": self.tau, "iteration": self.iteration,
                "energies": np.asarray(self.history), "evaluations": self.evaluations}

    def load_state_dict(self, d: dict) -> None:
        self._start(np.array(d["m"], dtype=float), float(d["tau"]))
        self.iteration = int(d["iteration"])
        self.history = [float(e) for e in d["energies"]]
        self.evaluations = int(d["evaluations"])

    def result(self) -> MinimizeResult:
        converged = self.torque < self.tol or self.torque == 0
        if not math.isfinite(self.torque):
            raise FloatingPointError("minimize: the field became NaN or Inf")
        return MinimizeResult(m=self.m.copy(), iterations=self.iteration,
                              max_torque=self.torque, energy_history=np.asarray(self.history),
                              converged=converged, evaluations=self.evaluations,
                              message="converged" if converged else self.message)


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
    if int(max_iter) < 0:
        raise ValueError(f"max_iter = {max_iter!r}: need a non-negative integer")
    run = Minimizer(llg, m, tol, t)
    while not run.done and run.iteration < max_iter:
        if not run.step():
            break
        if callback is not None and callback(run.iteration, run.m, run.energy, run.torque):
            run.message = "stopped by callback"
            break
    return run.result()
