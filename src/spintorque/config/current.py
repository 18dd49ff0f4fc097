"""``[current]``: a non-uniform charge current solved from contacts (docs/config.md, [current];
docs/theory/transport.md, charge current).

    [current]
    solver = "charge"
    total = 1e-3                        # A, or: density = 1e11 (A/m^2, over the smaller contact)
    contacts = [
        { face = "bottom" },                                  # the whole bottom face
        { face = "top", radius = 10e-9, center = [20e-9, 20e-9] },  # a disk (nanocontact)
    ]

The current enters at the first contact and leaves at the second (a positive ``total`` with
``[bottom, top]`` flows along +z, as a positive ``[transport].current_density``). The solved
field replaces ``[transport].current_density``. Cross-table rules (:func:`current_problems`):
contacts inside the mesh, ``sigma`` given for every conducting material, a conducting face under
each contact and no insulating layer between them. The local torques take the solved current
too: ``[torque.zhang_li]`` the current vector of every cell, ``[torque.slonczewski]`` its z
component with the sign given by ``fixed_layer`` (their ``current_density`` omitted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

from . import bounds
from .base import Float, Name, Positive, SchemaModel

if TYPE_CHECKING:
    from .run_config import RunConfig

__all__ = ["Conductivity", "ContactConfig", "CurrentConfig", "current_problems"]

Length = Annotated[Positive, bounds.LENGTH.validator]
Density = Annotated[Float, bounds.CURRENT_DENSITY.validator]
SIGMA = bounds.Bound(1e-6, 1e9, "S/m", zero="insulator")  # metals: 1e6 to 6e7 S/m
Conductivity = Annotated[Float, Field(ge=0), SIGMA.validator]
TOTAL_MAX = 1e3  # A: far above any device current (a 1 mm^2 contact at 1e9 A/m^2 is 1e3 A)


class ContactConfig(SchemaModel):
    """One contact: outer z faces held at a fixed potential."""

    face: Literal["bottom", "top"] = Field(description="'bottom' (z-min) or 'top' (z-max) face")
    radius: Length | None = Field(
        None, description="disk radius [m], 1e-12 to 1; omitted: the whole face"
    )
    center: tuple[Float, Float] | None = Field(
        None, description="disk centre (x, y) [m] from the mesh corner; default: the face centre"
    )
    name: Name | None = Field(None, description="label used in messages")


class CurrentConfig(SchemaModel):
    """``[current]``: charge current from contacts (replaces the uniform current density)."""

    solver: Literal["charge"] = Field(
        "charge", description="'charge': solve div(sigma grad V) = 0 with the contacts"
    )
    total: Float | None = Field(
        None, description=f"total current [A] from the first to the second contact, |I| <= "
        f"{TOTAL_MAX:g}"
    )
    density: Density | None = Field(
        None, description="mean current density [A/m^2] over the smaller contact, within ±1e15"
    )
    contacts: list[ContactConfig] = Field(
        min_length=2, max_length=2, description="exactly two contacts: source, then drain"
    )

    @model_validator(mode="after")
    def _one_drive(self) -> CurrentConfig:
        if (self.total is None) == (self.density is None):
            raise ValueError("give exactly one of total [A] and density [A/m^2]")
        if self.total is not None and abs(self.total) > TOTAL_MAX:
            raise ValueError(f"total = {self.total!r} A: |total| must be <= {TOTAL_MAX:g} A")
        return self


def current_problems(cfg: RunConfig) -> list[tuple[str, Any, str]]:
    """Rules between ``[current]`` and the other tables (empty without ``[current]``)."""
    spec = getattr(cfg, "current", None)
    if spec is None:
        return _uniform_torque_problems(cfg)
    out: list[tuple[str, Any, str]] = []
    size = cfg.mesh.size
    for i, c in enumerate(spec.contacts):
        if c.center is not None:
            for a in range(2):
                if not 0.0 <= c.center[a] <= size[a]:
                    out.append((f"current.contacts[{i}].center", list(c.center),
                                f"must lie on the mesh face: 0 <= center[{a}] <= "
                                f"{size[a]!r} m"))
    faces = [c.face for c in spec.contacts]
    if faces[0] == faces[1] and spec.contacts[0].radius is None and \
            spec.contacts[1].radius is None:
        out.append(("current.contacts", faces, "two whole-face contacts on the same face overlap"))
    for i, layer in enumerate(cfg.layer):
        mat = cfg.material.get(layer.material)
        if mat is None:
            continue
        if mat.D0 > 0 and not (mat.sigma is not None and mat.sigma > 0):
            out.append((f"material.{layer.material}.sigma", mat.sigma,
                        f"must be > 0 S/m: layer[{i}] ({layer.name!r}) conducts spin (D0 > 0) "
                        "and [current] solves for the charge current through it"))
        elif not (mat.sigma is not None and mat.sigma > 0) and mat.D0 == 0:
            out.append((f"material.{layer.material}.sigma", mat.sigma,
                        f"layer[{i}] ({layer.name!r}) is an insulator (no sigma, D0 = 0): no "
                        "conducting path between the contacts of [current]"))
    j = cfg.transport.current_density
    if (j != 0.0 if isinstance(j, (int, float)) else any(v != 0.0 for v in j)):
        out.append(("transport.current_density", j,
                    "must be omitted (0) with [current]: the solved current drives the transport"))
    zl, slon = cfg.torque.zhang_li, cfg.torque.slonczewski
    for key, torque in (("zhang_li", zl), ("slonczewski", slon)):
        if torque is not None and torque.current_density is not None:
            out.append((f"torque.{key}.current_density", torque.current_density,
                        "must be omitted with [current]: the torque takes the solved current "
                        "of every cell"))
    if slon is not None and slon.fixed_layer is None:
        out.append(("torque.slonczewski.fixed_layer", None,
                    "required with [current]: 'below' or 'above' (where the fixed layer sits "
                    "along z, which sets the sign of the electron flow through the free layer)"))
    return out


def _uniform_torque_problems(cfg: RunConfig) -> list[tuple[str, Any, str]]:
    """Without ``[current]`` the local torques need their own current density."""
    out: list[tuple[str, Any, str]] = []
    zl, slon = cfg.torque.zhang_li, cfg.torque.slonczewski
    for key, torque in (("zhang_li", zl), ("slonczewski", slon)):
        if torque is not None and torque.current_density is None:
            out.append((f"torque.{key}.current_density", None,
                        "required (A/m^2) unless a [current] table solves the current"))
    if slon is not None and slon.fixed_layer is not None:
        out.append(("torque.slonczewski.fixed_layer", slon.fixed_layer,
                    "only with [current]; without it, the sign of current_density says the "
                    "direction of the electron flow"))
    return out
