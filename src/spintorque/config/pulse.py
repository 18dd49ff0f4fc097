"""``[pulse]``: the time form of the current (:mod:`spintorque.waveforms`). Every current drive
of the run (the spin accumulation's current, the Zhang-Li and Slonczewski currents) is
multiplied by the trapezoidal pulse shape w(t); without the table the current is on from t = 0."""

from __future__ import annotations

from pydantic import Field

from ..waveforms import Pulse
from .base import Float, Positive, SchemaModel


class PulseConfig(SchemaModel):
    """``[pulse]``: start, linear rise, flat top, linear fall of every current drive."""

    start: Float = Field(0.0, ge=0, description="time the rise begins [s], >= 0")
    rise: Float = Field(0.0, ge=0, description="linear rise time [s], >= 0 (0: a step)")
    duration: Positive = Field(description="flat-top length [s], > 0")
    fall: Float | None = Field(
        None, ge=0, description="linear fall time [s], >= 0; omitted = the rise time"
    )

    def shape(self) -> Pulse:
        """The :class:`~spintorque.waveforms.Pulse` w(t) [1]."""
        return Pulse(self.start, self.rise, self.duration, self.fall)
