"""``[switching]``: read the switching time of the run (:mod:`spintorque.switching_time`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Float, Name, Positive, SchemaModel


class SwitchingConfig(SchemaModel):
    """``[switching]``: the first time the ``component`` of ⟨m⟩ over ``layer`` crosses
    ``threshold``, interpolated between table rows; recorded in ``DONE`` as ``switching_time``."""

    layer: Name | None = Field(None, description="magnetic layer watched; omitted = all magnets")
    component: Literal["x", "y", "z"] = Field("z", description="component of <m>: x, y or z")
    threshold: Float = Field(0.0, gt=-1, lt=1, description="crossing level [1], in (-1, 1)")
    stop_after: Positive | None = Field(
        None, description="end the run this long after the crossing [s], > 0; omitted = run on"
    )
