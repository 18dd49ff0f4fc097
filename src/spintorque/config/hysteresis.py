"""``[hysteresis]``: the field sweep of ``spintorque hysteresis`` (:mod:`spintorque.hysteresis`).

Either ``B_start``, ``B_stop`` [T] and ``steps`` along ``direction`` (with ``loop`` also back
again), or an explicit list ``B`` of 3-vectors [T]. Fields within ±1e6 T (the applied-field
bound of :mod:`.bounds`), at most :data:`MAX_STEPS` field values.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from . import bounds
from .base import Bool, Float, Int, Nonzero3, SchemaModel, Vec3

__all__ = ["MAX_STEPS", "HysteresisConfig"]

MAX_STEPS = 100_000
Field3 = Annotated[Vec3, bounds.APPLIED_FIELD.validator]
Tesla = Annotated[Float, Field(ge=-1e6, le=1e6)]


class HysteresisConfig(SchemaModel):
    """``[hysteresis]`` table (see the module docstring)."""

    B_start: Tesla | None = Field(None, description="first field along direction [T]")
    B_stop: Tesla | None = Field(None, description="turning field along direction [T]")
    steps: Int | None = Field(None, ge=2, le=MAX_STEPS,
                              description="field values from B_start to B_stop inclusive, >= 2")
    direction: Nonzero3 = Field((1.0, 0.0, 0.0), description="sweep axis (normalized)")
    loop: Bool = Field(True, description="sweep back from B_stop to B_start too")
    B: list[Field3] | None = Field(None, min_length=1, max_length=MAX_STEPS,
                                   description="explicit fields [[Bx, By, Bz], ...] [T]")
    perturbation: Float = Field(0.0, ge=0, le=0.5,
                                description="random tilt of each step's start state [rad]")
    seed: Int = Field(0, ge=0, le=2**63 - 1, description="seed of the perturbation")
    snapshots: Bool = Field(False, description="an OVF file per field step")

    @model_validator(mode="after")
    def _one_form(self) -> HysteresisConfig:
        ranged = [k for k in ("B_start", "B_stop", "steps") if getattr(self, k) is not None]
        if self.B is not None and ranged:
            raise ValueError(f"give either B (a list of fields) or B_start/B_stop/steps, not "
                             f"both (got B and {ranged})")
        if self.B is None and len(ranged) != 3:
            missing = [k for k in ("B_start", "B_stop", "steps") if getattr(self, k) is None]
            raise ValueError(f"missing {missing}: give B_start, B_stop and steps, or B")
        return self

    def sweep_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`spintorque.hysteresis.hysteresis`."""
        out: dict[str, Any] = {"direction": tuple(self.direction),
                               "perturbation": float(self.perturbation), "seed": int(self.seed),
                               "snapshots": bool(self.snapshots)}
        if self.B is not None:
            out["fields"] = [tuple(b) for b in self.B]
        else:
            out.update(B_start=float(self.B_start), B_stop=float(self.B_stop),
                       steps=int(self.steps), loop=bool(self.loop))
        return out
