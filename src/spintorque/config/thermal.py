"""``[thermal]``: temperature of the run (Brown's stochastic thermal field, docs/theory/thermal.md).

TOML::

    [thermal]
    T = 300.0                       # [K] everywhere, >= 0; 0 = no thermal field
    seed = 42                       # the run's random stream (PCG64), an integer >= 0
    per_region = { free = 300.0, reference = 0.0 }   # optional: T [K] per layer/region name

A run with T > 0 somewhere needs a stochastic integrator (``run.integrator = "heun"``, fixed
``run.dt``); the adaptive schemes are refused. The relaxation before the run is done at T = 0
(the thermal field is a drive of the run only). :func:`thermal_problems` holds the rules that
involve other tables (integrator, layer names).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, Strict

from ..dynamics.integrators.registry import INTEGRATORS, integrator_spec
from .base import Int, Name, SchemaModel

if TYPE_CHECKING:
    from .run_config import RunConfig

__all__ = ["MAX_TEMPERATURE", "ThermalConfig", "thermal_problems"]

#: upper limit of a temperature [K] (a typo guard: far above every Curie temperature)
MAX_TEMPERATURE = 1e4

Temperature = Annotated[float, Strict(), Field(ge=0, le=MAX_TEMPERATURE)]


class ThermalConfig(SchemaModel):
    """``[thermal]``: temperature [K] and the seed of the thermal field's random stream."""

    T: Temperature = Field(
        0.0, description=f"temperature [K] of every magnetic cell, 0 to {MAX_TEMPERATURE:g}; "
        "0 = no thermal field (needs run.integrator = 'heun' when > 0)"
    )
    seed: Int = Field(
        0, ge=0, le=2**63 - 1, description="seed of the run's random stream (PCG64), an integer "
        ">= 0; the same seed gives the same trajectory"
    )
    per_region: dict[Name, Temperature] = Field(
        default_factory=dict, description="temperature [K] per layer (or region) name, "
        "overriding T there"
    )

    @property
    def active(self) -> bool:
        """True if some temperature is above 0 K."""
        return self.T > 0 or any(v > 0 for v in self.per_region.values())


def thermal_problems(cfg: RunConfig) -> list[tuple[str, Any, str]]:
    """``(path, value, allowed)`` for the rules of ``[thermal]`` that involve other tables: its
    region names must exist, and T > 0 needs a stochastic integrator."""
    spec = getattr(cfg, "thermal", None)
    if spec is None:
        return []
    out: list[tuple[str, Any, str]] = []
    names = [layer.name for layer in cfg.layer]
    names += [reg.name for reg in getattr(cfg, "region", None) or []]
    for key in spec.per_region:
        if key not in names:
            from .checks import choices

            out.append((f"thermal.per_region.{key}", key,
                        "must be a layer or region name: " + choices(key, names)))
    if spec.active and not integrator_spec(cfg.run.integrator).stochastic:
        able = [name for name, s in INTEGRATORS.items() if s.stochastic]
        hot = spec.T if spec.T > 0 else max(spec.per_region.values())
        key = "thermal.T" if spec.T > 0 else "thermal.per_region"
        out.append((key, hot,
                    f"T > 0 needs a stochastic integrator: use integrator = "
                    f"{' or '.join(map(repr, able))} (run.integrator = {cfg.run.integrator!r} "
                    "cannot integrate the thermal field: its error control would need the "
                    "same noise at another step)"))
    return out
