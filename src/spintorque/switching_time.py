"""The switching time of a run: when the average magnetization of a region first crosses a
threshold, read at the run's output times.

:class:`SwitchingTime` is a hook of the run loop (:func:`spintorque.drive.drive`): at every stop
it takes the chosen component of ⟨m⟩ over the region and, at the first stop where it has crossed
``threshold`` (from the side it started on), records the crossing time by linear interpolation
between that stop and the previous one (so its resolution is the output interval; the error of
the interpolation is second order in it). With ``stop_after`` it also ends the run that long
after the crossing (:meth:`until`). Its state travels with checkpoints, so a resumed run reports
the same time. The same reading of a finished table: :func:`crossing_time`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .io.errors import UserError

if TYPE_CHECKING:
    from .drive import Stop
    from .materials import Sample

COMPONENTS = {"x": 0, "y": 1, "z": 2}


def crossing_time(times: Sequence[float], values: Sequence[float],
                  threshold: float = 0.0) -> float | None:
    """First time [s] at which ``values`` cross ``threshold`` from the side of ``values[0]``,
    linearly interpolated between the samples; None if they never do (or start on it)."""
    t = np.asarray(times, float)
    v = np.asarray(values, float) - threshold
    if v.size == 0 or v[0] == 0:
        return None
    side = math.copysign(1.0, v[0])
    crossed = np.nonzero(side * v <= 0)[0]
    if crossed.size == 0:
        return None
    k = int(crossed[0])
    v0, v1 = v[k - 1], v[k]
    return float(t[k - 1] + (t[k] - t[k - 1]) * v0 / (v0 - v1))


class SwitchingTime:
    """Hook: the first time [s] the ``component`` (``"x"``, ``"y"``, ``"z"``) of ⟨m⟩ over
    ``region`` (None: all magnetic cells) crosses ``threshold`` [1]; ``stop_after`` [s]: end the
    run that long after it (None: run to the end). ``time`` is None until it happens."""

    def __init__(self, sample: Sample, region: str | None = None, component: str = "z",
                 threshold: float = 0.0, stop_after: float | None = None) -> None:
        if component not in COMPONENTS:
            raise UserError(f"switching.component = {component!r}; allowed: {list(COMPONENTS)}")
        if not (-1.0 < threshold < 1.0):
            raise UserError(f"switching.threshold = {threshold!r}: must be in (-1, 1)")
        if region is not None and region not in sample.names:
            raise UserError(f"switching.region = {region!r}: no such region; regions are "
                            f"{list(sample.names)}")
        if stop_after is not None and not stop_after >= 0:
            raise UserError(f"switching.stop_after = {stop_after!r} s: must be >= 0")
        self.sample, self.region = sample, region
        self.axis, self.threshold, self.stop_after = COMPONENTS[component], threshold, stop_after
        self.time: float | None = None
        self._last: tuple[float, float] | None = None
        self._side = 0.0

    def value(self, m: np.ndarray) -> float:
        """The watched component of ⟨m⟩ [1]."""
        return float(self.sample.average(m, self.region)[self.axis])

    def open(self, resume_state: dict[str, Any] | None) -> None:
        state = (resume_state or {}).get("switching")
        if isinstance(state, dict):
            self.time = state.get("time")
            last = state.get("last")
            self._last = None if last is None else (float(last[0]), float(last[1]))
            self._side = float(state.get("side", 0.0))

    def __call__(self, stop: Stop, t: float, m: np.ndarray) -> None:
        v = self.value(m) - self.threshold
        if self.time is None:
            if self._side == 0.0 and v != 0.0:
                self._side = math.copysign(1.0, v)
            elif self._side != 0.0 and self._side * v <= 0 and self._last is not None:
                t0, v0 = self._last
                self.time = t0 + (t - t0) * v0 / (v0 - v) if v0 != v else t
        self._last = (t, v)

    def until(self, t: float, m: np.ndarray) -> bool:
        """True once the run is ``stop_after`` past the crossing (the run loop's stop rule)."""
        return (self.stop_after is not None and self.time is not None
                and t >= self.time + self.stop_after)

    def state(self) -> dict[str, Any]:
        return {"switching": {"time": self.time, "last": self._last, "side": self._side}}

    def close(self) -> None:
        pass
