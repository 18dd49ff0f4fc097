"""Fixed-step explicit Euler and classical RK4 (reference schemes for temporal-order tests)."""

from __future__ import annotations

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


class _FixedStep(FixedStepMixin):
    name = ""
    order = 0
    _c: tuple[float, ...] = ()
    _a: tuple[tuple[float, ...], ...] = ()
    _b: tuple[float, ...] = ()

    def __init__(self, llg: LLG, dt: float = 1e-13, normalize: bool = True):
        """``dt``: the step [s]; ``normalize``: project |m| = 1 after each step."""
        self.llg = llg
        self.dt = check_positive("dt", dt)
        self._normalize = Normalizer(llg.sample.magnetic) if normalize else None
        shape = llg.sample.grid.vshape
        self._k = [np.zeros(shape) for _ in self._b]
        self._y = np.zeros(shape)
        self.stats = {"steps": 0, "rejected": 0, "evaluations": 0}

    def step(self, t: float, m: np.ndarray, t_max: float | None = None) -> tuple[float, np.ndarray]:
        """One step of ``dt`` (clipped at ``t_max``); returns ``(t_new, m_new)``."""
        check_m(self.llg, m, self.name)
        check_t_max(t, t_max, self.name)
        dt = self.dt if t_max is None else min(self.dt, t_max - t)
        if t_max is not None and t + 1.01 * dt >= t_max:
            dt = t_max - t
        for i, (c, a) in enumerate(zip(self._c, self._a, strict=False)):
            self._y[...] = m
            for aj, kj in zip(a, self._k, strict=False):
                if aj:
                    self._y += (aj * dt) * kj
            self.llg.rhs(t + c * dt, self._y, out=self._k[i])
            self.stats["evaluations"] += 1
        m_new = np.array(m, dtype=float, copy=True)
        for bi, ki in zip(self._b, self._k, strict=False):
            m_new += (bi * dt) * ki
        if not finite(m_new):
            raise IntegrationError(
                f"{self.name}: NaN or Inf in the state after the step at t = {t:.6e} s"
            )
        if self._normalize is not None:
            self._normalize(m_new)
        self.stats["steps"] += 1
        return (t_max if t_max is not None and dt == t_max - t else t + dt), m_new



class Euler(_FixedStep):
    """Explicit Euler, first order."""

    name = "euler"
    order = 1
    _c = (0.0,)
    _a = ((),)
    _b = (1.0,)


class RK4(_FixedStep):
    """Classical fourth-order Runge-Kutta."""

    name = "rk4"
    order = 4
    _c = (0.0, 0.5, 0.5, 1.0)
    _a = ((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0))
    _b = (1 / 6, 1 / 3, 1 / 3, 1 / 6)
