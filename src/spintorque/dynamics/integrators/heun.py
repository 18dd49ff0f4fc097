"""Stochastic Heun: the fixed-step predictor-corrector for the LLG with a thermal field.

One step of Δt from m_n (f the LLG right-hand side with the step's thermal field H_th):

    draw H_th (once; every stage of the step sees the same field)
    k1 = f(t_n, m_n)
    m̃  = m_n + Δt k1                        (predictor, not normalized)
    k2 = f(t_n + Δt, m̃)
    m_{n+1} = normalize(m_n + Δt/2 (k1 + k2))

With white noise the scheme converges to the Stratonovich solution of the stochastic LLG (the
interpretation in which |m| is conserved and the Brown variance gives the Boltzmann
distribution), weak order 1 (measured in ``tests/unit/test_thermal.py``, see
docs/theory/thermal.md); without noise it is the explicit trapezoidal rule, second order.
The step is fixed: adaptive error control would need the same Brownian path at a rejected
step's shorter step (a Brownian bridge), which the adaptive schemes do not do, so they refuse a
problem with a thermal field (:func:`.registry.make_integrator`).

Field terms with ``stochastic = True`` (:class:`spintorque.fields.thermal.ThermalField`) get
``use_damping(llg.alpha)`` once, ``begin_step(dt)`` before the first stage and ``end_step()``
after the last. The integrator's checkpoint state is ``dt`` and the counters; the random stream
is the thermal term's state (the problem's ``state_dict``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..llg import LLG
from .base import (
    FixedStepMixin,
    IntegrationError,
    Normalizer,
    check_m,
    check_positive,
    check_t_max,
    finite,
)


def stochastic_terms(llg: LLG) -> list[Any]:
    """The field terms of ``llg`` that are drawn once per step (``stochastic = True``)."""
    return [term for term in getattr(llg.field, "terms", ())
            if getattr(term, "stochastic", False)]


class Heun(FixedStepMixin):
    """Stochastic Heun with fixed step ``dt`` [s] (see the module docstring).

    ``normalize``: project |m| = 1 after each step (the predictor is not projected).
    """

    name = "heun"
    order = 1  # weak order with noise; 2 without

    def __init__(self, llg: LLG, dt: float = 1e-13, normalize: bool = True):
        self.llg = llg
        self.dt = check_positive("dt", dt)
        self._normalize = Normalizer(llg.sample.magnetic) if normalize else None
        self._noise = stochastic_terms(llg)
        for term in self._noise:
            term.use_damping(llg.alpha)
        shape = llg.sample.grid.vshape
        self._k1 = np.zeros(shape)
        self._k2 = np.zeros(shape)
        self._y = np.zeros(shape)
        self.stats = {"steps": 0, "rejected": 0, "evaluations": 0}

    def step(self, t: float, m: np.ndarray, t_max: float | None = None) -> tuple[float, np.ndarray]:
        """One step of ``dt`` (clipped at ``t_max``) with one draw of the thermal field;
        returns ``(t_new, m_new)``."""
        check_m(self.llg, m, self.name)
        check_t_max(t, t_max, self.name)
        dt = self.dt if t_max is None else min(self.dt, t_max - t)
        if t_max is not None and t + 1.01 * dt >= t_max:
            dt = t_max - t
        for term in self._noise:
            term.begin_step(dt)
        try:
            k1 = self.llg.rhs(t, m, out=self._k1)
            np.multiply(k1, dt, out=self._y)
            self._y += m
            k2 = self.llg.rhs(t + dt, self._y, out=self._k2)
        finally:
            for term in self._noise:
                term.end_step()
        self.stats["evaluations"] += 2
        m_new = np.add(k1, k2)
        m_new *= 0.5 * dt
        m_new += m
        if not finite(m_new):
            raise IntegrationError(
                f"{self.name}: NaN or Inf in the state after the step at t = {t:.6e} s"
            )
        if self._normalize is not None:
            self._normalize(m_new)
        self.stats["steps"] += 1
        return (t_max if t_max is not None and dt == t_max - t else t + dt), m_new
