"""``[[interlayer]]`` tables (interlayer exchange across a spacer) and ``[[exchange.pair]]``
tables (exchange stiffness at the faces between two touching magnetic layers), with their rules
across tables (:func:`interlayer_problems`, run from :mod:`.checks`).

Bounds: ``|J1|``, ``|J2|`` at most :data:`J_MAX` = 0.1 J/m^2 (measured couplings through Ru, Cr,
Ir peak near 5e-3 J/m^2; 0.1 J/m^2 is twenty times that), nonzero magnitudes at least
:data:`J_MIN` = 1e-9 J/m^2 (below, the coupling field of a 1 nm film is under 1 A/m: a unit
mistake); ``J2 > 0`` is refused (E/A = −J1 m1·m2 − J2 (m1·m2)^2: ``J2 < 0`` favours 90°, a
positive J2 only stiffens the collinear states and is not what measured biquadratic couplings
give). The surface field J/(mu0 Ms dz) must stay below the field-scale bound of
:mod:`.bounds` (1e12 A/m).
"""

from __future__ import annotations

import difflib
import math
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import Float, Name, SchemaModel

if TYPE_CHECKING:
    from .run_config import RunConfig

__all__ = ["J_MAX", "J_MIN", "ExchangePairConfig", "InterlayerConfig", "interlayer_problems"]

J_MAX = 0.1
J_MIN = 1e-9
FIELD_MAX = 1e12  # A/m, as bounds.FIELD_SCALE_MAX
A_MAX = 1e-8  # J/m, as the bound on a material's A


class InterlayerConfig(SchemaModel):
    """``[[interlayer]]``: E/A = −J1 m1·m2 − J2 (m1·m2)^2 between two magnetic layers across a
    non-magnetic spacer (facing surface cells)."""

    layers: tuple[Name, Name] | None = Field(
        None, description="the two magnetic layers, e.g. [\"FM1\", \"FM2\"] (or bottom/top)")
    bottom: Name | None = Field(None, description="lower layer (with top, instead of layers)")
    top: Name | None = Field(None, description="upper layer (with bottom, instead of layers)")
    J1: Float = Field(description="bilinear coupling [J/m^2], |J1| <= 0.1; < 0 antiparallel")
    J2: Float = Field(0.0, description="biquadratic coupling [J/m^2], -0.1 <= J2 <= 0; "
                                       "< 0 favours 90°")

    @field_validator("J1", "J2")
    @classmethod
    def _bound(cls, value: float, info: ValidationInfo) -> float:
        if info.field_name == "J2" and value > 0:
            raise ValueError("must be <= 0: in E/A = -J1 m1·m2 - J2 (m1·m2)^2 a biquadratic "
                             "coupling J2 > 0 is not allowed (J2 < 0 favours 90°)")
        if value != 0 and not (J_MIN <= abs(value) <= J_MAX):
            raise ValueError(f"nonzero magnitudes must lie in [{J_MIN:g}, {J_MAX:g}] J/m^2 "
                             "(a unit mistake?)")
        return value

    @model_validator(mode="after")
    def _check(self) -> InterlayerConfig:
        if self.layers is None and (self.bottom is None or self.top is None):
            raise ValueError("give layers = [\"A\", \"B\"] or both bottom and top")
        if self.layers is not None and (self.bottom is not None or self.top is not None):
            raise ValueError("give either layers or bottom/top, not both")
        return self

    @property
    def pair(self) -> tuple[str, str]:
        return self.layers if self.layers is not None else (self.bottom, self.top)


class ExchangePairConfig(SchemaModel):
    """``[[exchange.pair]]``: exchange stiffness at the faces between two touching magnetic
    layers (replaces the harmonic mean of their A and ``interregion_scale`` there)."""

    layers: tuple[Name, Name] = Field(description="the two touching magnetic layers")
    A: Float = Field(ge=0, le=A_MAX, description="face stiffness [J/m], 0 to 1e-8; 0 decouples")


def _choices(value: str, names: list[str]) -> str:
    close = difflib.get_close_matches(value, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{names}{hint}"


def interlayer_problems(cfg: RunConfig) -> list[tuple[str, Any, str]]:
    """Layers of ``[[interlayer]]`` and ``[[exchange.pair]]`` tables exist and are magnetic;
    interlayer pairs are separated by non-magnetic layers only, exchange pairs touch."""
    out: list[tuple[str, Any, str]] = []
    names = [layer.name for layer in cfg.layer]
    cells = {name: (k0, k1) for name, k0, k1 in cfg.layer_cells()}

    def magnetic(name: str) -> bool:
        mat = cfg.material.get(cfg.layer[names.index(name)].material)
        return mat is None or mat.magnetic  # an unknown material is reported elsewhere

    def known(path: str, pair: tuple[str, str]) -> bool:
        ok = True
        for name in pair:
            if name not in names:
                out.append((path, name, f"must be one of the layers: {_choices(name, names)}"))
                ok = False
            elif not magnetic(name):
                out.append((path, name, "must be a magnetic layer (its material has Ms = 0)"))
                ok = False
        if ok and pair[0] == pair[1]:
            out.append((path, list(pair), "must name two different layers"))
            ok = False
        return ok

    dz = cfg.mesh.cell[2]
    for i, spec in enumerate(getattr(cfg, "interlayer", None) or []):
        path = f"interlayer[{i}].layers" if spec.layers is not None else f"interlayer[{i}]"
        pair = spec.pair
        if not known(path, pair):
            continue
        lo, hi = sorted(pair, key=lambda n: cells[n][0])
        between = [n for n in names if cells[lo][1] <= cells[n][0] and cells[n][1] <= cells[hi][0]]
        if cells[lo][1] == cells[hi][0]:
            out.append((path, list(pair), "these layers touch (no spacer between them); couple "
                        "touching layers with an [[exchange.pair]] table instead"))
        elif any(magnetic(n) for n in between):
            out.append((path, list(pair), "the layers between them must all be non-magnetic, "
                        f"but {[n for n in between if magnetic(n)]} are magnetic"))
        for name in pair:
            ms = cfg.material[cfg.layer[names.index(name)].material].Ms
            for key in ("J1", "J2"):
                j = abs(getattr(spec, key))
                if j and ms and j / (4e-7 * math.pi * ms * dz) > FIELD_MAX:
                    out.append((f"interlayer[{i}].{key}", getattr(spec, key),
                                f"too large for layer {name!r}: the surface field "
                                f"|{key}|/(mu0 Ms dz) exceeds {FIELD_MAX:g} A/m"))
    exchange = getattr(cfg, "exchange", None)
    for i, spec in enumerate(getattr(exchange, "pair", None) or []):
        path = f"exchange.pair[{i}].layers"
        if not known(path, spec.layers):
            continue
        a, b = (cells[n] for n in spec.layers)
        if not (a[1] == b[0] or b[1] == a[0]):
            out.append((path, list(spec.layers), "these layers do not touch; couple layers "
                        "across a spacer with an [[interlayer]] table instead"))
    return out
