"""Time forms of the current: a dimensionless shape w(t) that multiplies every current drive.

A current pulse as device engineers specify it: off before ``start``, a linear ``rise`` to full
amplitude, a flat top of ``duration``, a linear ``fall`` back to zero::

    w(t) = 0                          t < start
           (t − start)/rise           start ≤ t < start + rise
           1                          on the flat top
           1 − (t − t_off)/fall       t_off ≤ t < t_off + fall,  t_off = start + rise + duration
           0                          after

(rise or fall 0: a step). The full width at half maximum is ``duration + (rise + fall)/2``.

Every current drive of this code is linear in the current density at fixed m: the Slonczewski
and Zhang-Li torques (β, u ∝ j) and the spin accumulation of both transport models (the
right-hand side b of K(m) s = b is linear in j, K does not depend on j). So scaling the drive by
w(t) is exactly the drive of the current w(t)·j: :class:`ScaledTorque` wraps a local torque, and
the spin accumulation takes ``current_density`` as a callable of t.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .io.errors import UserError


@dataclass(frozen=True)
class Pulse:
    """Trapezoidal pulse shape (module docstring); times in s."""

    start: float = 0.0
    rise: float = 0.0
    duration: float = math.inf
    fall: float | None = None

    def __post_init__(self) -> None:
        fall = self.rise if self.fall is None else self.fall
        object.__setattr__(self, "fall", float(fall))
        for key in ("start", "rise", "fall"):
            value = getattr(self, key)
            if not (math.isfinite(value) and value >= 0):
                raise UserError(f"pulse.{key} = {value!r} s: must be a finite number >= 0")
        if not self.duration > 0 or math.isnan(self.duration):
            raise UserError(f"pulse.duration = {self.duration!r} s: must be > 0")

    @property
    def end(self) -> float:
        """Time [s] after which the current is off for good."""
        return self.start + self.rise + self.duration + float(self.fall)

    @property
    def fwhm(self) -> float:
        """Full width at half maximum [s]."""
        return self.duration + 0.5 * (self.rise + float(self.fall))

    def __call__(self, t: float) -> float:
        """w(t) in [0, 1] at time ``t`` [s]."""
        x = t - self.start
        if x < 0:
            return 0.0
        if x < self.rise:
            return x / self.rise
        x -= self.rise
        if x < self.duration:
            return 1.0
        x -= self.duration
        fall = float(self.fall)
        if x < fall:
            return 1.0 - x / fall
        return 0.0

    def breakpoints(self) -> list[float]:
        """Times [s] where w(t) has a kink (for step control that should not step over one)."""
        pts = [self.start, self.start + self.rise, self.start + self.rise + self.duration, self.end]
        return sorted({p for p in pts if math.isfinite(p)})


class ScaledTorque:
    """A local torque driven by the current ``w(t)·j`` instead of ``j``: its rate times w(t)
    (exact: the torques are linear in j at fixed m, module docstring)."""

    def __init__(self, torque: object, shape: Callable[[float], float]) -> None:
        self.torque = torque
        self.shape = shape
        self.name = getattr(torque, "name", "torque")

    def rate(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """w(t) × the wrapped torque's contribution to dm/dt [1/s]."""
        w = float(self.shape(t))
        if w == 0.0:
            out[...] = 0.0
            return out
        self.torque.rate(m, t, out)
        if w != 1.0:
            out *= w
        return out

    def __getattr__(self, item: str) -> object:  # beta, p, thickness ... of the wrapped torque
        return getattr(self.torque, item)


def scaled_current(current_density: float | tuple[float, float, float],
                   shape: Callable[[float], float]) -> Callable[[float], object]:
    """``t -> w(t)·j`` for the spin accumulation's ``current_density`` [A/m²]."""
    j = np.asarray(current_density, float)

    def at(t: float) -> object:
        value = j * float(shape(t))
        return float(value) if value.ndim == 0 else tuple(float(v) for v in value)

    return at
