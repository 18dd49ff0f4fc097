"""Building blocks of the config schema: the pydantic base model (unknown keys refused, numbers
finite, objects frozen), the field types (strict numbers, vectors, names, current densities,
names read from the integrator and transport-model registries), the error type of cross-field
checks, and the limits that guard against runs that would never finish or fill the disk."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, Strict

from ..dynamics.integrators.registry import INTEGRATORS, transport_update_names
from ..io.errors import show_value
from ..transport.models import NO_TRANSPORT, TRANSPORT_MODELS

#: relative tolerance for "a whole number of cells"
REL_TOL = 1e-9
#: guards against runs that would never finish or fill the disk
MAX_OUTPUT_ROWS = 10_000_000
MAX_SNAPSHOTS = 100_000
MAX_FIXED_STEPS = 1_000_000_000
MAX_CELLS_PER_AXIS = 2**31 - 1


# -- field types -----------------------------------------------------------------------------------


def _nonzero(v: tuple[float, ...]) -> tuple[float, ...]:
    if not any(c != 0 for c in v):
        raise ValueError("must be a nonzero vector")
    return v


def _sign(v: int) -> int:
    if v not in (-1, 1):
        raise ValueError("must be +1 or -1")
    return v


Float = Annotated[float, Strict()]
Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]
Text = Annotated[str, Strict()]
Positive = Annotated[float, Strict(), Field(gt=0)]
Vec3 = tuple[Float, Float, Float]
Nonzero3 = Annotated[Vec3, AfterValidator(_nonzero)]
Length3 = tuple[Positive, Positive, Positive]
Name = Annotated[str, Strict(), Field(pattern=r"^[A-Za-z0-9_-]+$", min_length=1, max_length=64)]
Sign = Annotated[int, Strict(), AfterValidator(_sign)]


def _current_density(value: Any) -> float | tuple[float, float, float]:
    """A finite number (along +z) or a 3-vector of finite numbers [A/m^2]; one message either way
    (a plain Union would report one line per alternative)."""
    allowed = "must be a finite number (along +z) or a list of 3 finite numbers [A/m^2]"

    def number(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(allowed)
        return float(v)

    if isinstance(value, (list, tuple)):
        if len(value) != 3:
            raise ValueError(allowed)
        return (number(value[0]), number(value[1]), number(value[2]))
    return number(value)


CurrentDensity = Annotated[Any, PlainValidator(_current_density)]


def either(names: Any) -> str:
    """``'a', 'b' or 'c'`` (the form of pydantic's Literal messages)."""
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def registered(names: Any, optional: bool = False) -> Any:
    """A str field whose allowed values are read from a registry when a config is validated
    (so that a scheme or model registered later is accepted); ``names()`` gives them in order.
    The message has the form of a Literal's."""

    def check(value: Any) -> Any:
        if value is None and optional:
            return None
        allowed = tuple(names())
        if not (isinstance(value, str) and value in allowed):
            raise ValueError("Input should be " + either(allowed))
        return value

    return Annotated[Any, PlainValidator(check)]


IntegratorName = registered(lambda: INTEGRATORS)
TransportModelName = registered(lambda: (NO_TRANSPORT, *TRANSPORT_MODELS))
TransportUpdate = registered(transport_update_names, optional=True)


def integrator_help() -> str:
    specs = list(INTEGRATORS.values())
    adaptive = [s.name for s in specs if s.adaptive]
    fixed = [s.name for s in specs if not s.adaptive and not s.reference]
    reference = [s.name for s in specs if s.reference]
    parts = [f"{', '.join(map(repr, adaptive))} (adaptive)"] if adaptive else []
    parts += [f"{', '.join(map(repr, fixed))} (fixed dt)"] if fixed else []
    text = ", ".join(parts)
    if reference:
        text += "; " + "/".join(map(repr, reference)) + " fixed-step (tests)"
    return text


def adaptive_names() -> str:
    return "/".join(s.name for s in INTEGRATORS.values() if s.adaptive)


def transport_update_help() -> str:
    what = {"evaluation": "every field evaluation", "step": "once per step, predicted in between",
            "accepted": "once per accepted step, after an error test on predicted s",
            "corrected": "as 'accepted', and each step corrected by the measured lag of the "
                         "prediction"}
    forms = []
    for mode in transport_update_names():
        able = [s.name for s in INTEGRATORS.values() if mode in s.transport_updates]
        only = "" if len(able) == len(INTEGRATORS) else "/".join(able) + ": "
        forms.append(f"{mode!r} ({only}{what.get(mode, mode)})")
    defaults = ", ".join(f"{s.name} {s.default_transport_update!r}"
                         for s in INTEGRATORS.values() if s.takes_transport_update)
    return f"transport solves: {', '.join(forms)}; default: {defaults}"


def transport_model_help() -> str:
    models = ", ".join(f"{s.name!r} ({s.summary})" for s in TRANSPORT_MODELS.values())
    return f"{NO_TRANSPORT!r} (no spin transport) or a model: {models}"


class SchemaModel(BaseModel):
    """Base: unknown keys are errors, numbers must be finite, objects are immutable."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class Problems(ValueError):
    """Several problems found by one cross-field check; paths relative to the model checked."""

    def __init__(self, items: list[tuple[str, Any, str]]) -> None:
        self.items = items
        super().__init__("; ".join(f"{p}: {show_value(v)} -> {a}" for p, v, a in items))


def raise_if(problems: list[tuple[str, Any, str]]) -> None:
    if problems:
        raise Problems(problems)


def whole(ratio: float) -> int | None:
    """``round(ratio)`` if ``ratio`` is a positive whole number to REL_TOL, else None."""
    if not math.isfinite(ratio) or ratio < 0.5:
        return None
    k = round(ratio)
    return k if abs(ratio - k) <= REL_TOL * ratio else None
