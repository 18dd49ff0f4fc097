"""Derived scales of a run config that must stay representable (the bounds of :mod:`.bounds`).

Per-key bounds keep each number in a physical range; some overflows come only from combinations
(a small Ms with a fine mesh, a current density with a thin free layer). For every magnetic
material used by a layer, the field scales it gives in this mesh must each be at most
:data:`~.bounds.FIELD_SCALE_MAX` = 1e12 A/m (|mu0 H| <= 1.26e6 T):

- exchange field 2A/(mu0 Ms dx^2), dx the smallest cell edge (and the exchange length
  sqrt(2A/(mu0 Ms^2)) in [1e-13, 1e3] m);
- anisotropy field 2|Ku|/(mu0 Ms), cubic anisotropy fields 2|Kc1|/(mu0 Ms), 2|Kc2|/(mu0 Ms);
- DMI fields 2|Dind|/(mu0 Ms dx), 2|Dbulk|/(mu0 Ms dx);
- Zhang-Li: u/(gamma0 dx) with u = |P| mu_B |j| / (e Ms), the drift of m across one cell;
- Slonczewski: hbar |P| |j| / (2 e mu0 Ms d), d the free-layer thickness;
- the applied field: B, per-region fields and the time part (a ramp up to the end of the run).

Each problem names the key to change and quotes the value it gives.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..constants import E_CHARGE, HBAR, MU0, MU_B
from .bounds import EXCHANGE_LENGTH_MAX, EXCHANGE_LENGTH_MIN, FIELD_SCALE_MAX, number

if TYPE_CHECKING:
    from .run_config import RunConfig

__all__ = ["scale_problems"]

Problem = tuple[str, Any, str]

_LIMIT = (f"field scales must be <= {number(FIELD_SCALE_MAX)} A/m "
          f"(|mu0 H| <= {number(round(FIELD_SCALE_MAX * MU0, -4))} T)")


def _peak(values: Any) -> float:
    return max((abs(v) for v in values), default=0.0)


def scale_problems(cfg: RunConfig) -> list[Problem]:
    """Problems with the derived scales of ``cfg`` (which passed every other check)."""
    out: list[Problem] = []
    dx = min(cfg.mesh.cell)
    thickness: dict[str, float] = {}
    for layer in cfg.layer:
        thickness[layer.material] = min(thickness.get(layer.material, math.inf), layer.thickness)
    for key in thickness:
        mat = cfg.material[key]
        if mat.magnetic:
            out += _material_problems(cfg, key, dx)
    out += _applied_problems(cfg)
    return out


def _material_problems(cfg: RunConfig, key: str, dx: float) -> list[Problem]:
    out: list[Problem] = []
    mat = cfg.material[key]
    ms = mat.Ms
    where = f"material.{key}"
    with_ms = f"with Ms = {ms!r} A/m"
    if mat.A > 0:
        length = math.sqrt(2.0 * mat.A / MU0) / ms
        if not EXCHANGE_LENGTH_MIN <= length <= EXCHANGE_LENGTH_MAX:
            out.append((f"{where}.A", mat.A,
                        f"gives the exchange length sqrt(2A/(mu0 Ms^2)) = {length:.3g} m "
                        f"{with_ms}; it must lie in [{number(EXCHANGE_LENGTH_MIN)}, "
                        f"{number(EXCHANGE_LENGTH_MAX)}] m"))
        h_ex = 2.0 * mat.A / (MU0 * ms) / dx / dx
        if not h_ex <= FIELD_SCALE_MAX:
            out.append((f"{where}.A", mat.A,
                        f"gives the exchange field 2A/(mu0 Ms dx^2) = {h_ex:.3g} A/m {with_ms} and "
                        f"the smallest cell edge dx = {dx!r} m; {_LIMIT}: use larger cells or "
                        "check A and Ms"))
    if mat.Ku != 0:
        h_k = 2.0 * abs(mat.Ku) / (MU0 * ms)
        if not h_k <= FIELD_SCALE_MAX:
            out.append((f"{where}.Ku", mat.Ku,
                        f"gives the anisotropy field 2|Ku|/(mu0 Ms) = {h_k:.3g} A/m {with_ms}; "
                        f"{_LIMIT}"))
    for name in ("Kc1", "Kc2"):  # cubic anisotropy field scale
        value = getattr(mat, name, 0.0)
        h_c = 2.0 * abs(value) / (MU0 * ms)
        if not h_c <= FIELD_SCALE_MAX:
            out.append((f"{where}.{name}", value,
                        f"gives the cubic anisotropy field 2|{name}|/(mu0 Ms) = {h_c:.3g} A/m "
                        f"{with_ms}; {_LIMIT}"))
    for name in ("Dind", "Dbulk"):  # DMI field scale 2|D|/(mu0 Ms dx)
        value = getattr(mat, name, 0.0)
        h_d = 2.0 * abs(value) / (MU0 * ms) / dx
        if not h_d <= FIELD_SCALE_MAX:
            out.append((f"{where}.{name}", value,
                        f"gives the DMI field 2|{name}|/(mu0 Ms dx) = {h_d:.3g} A/m {with_ms} and "
                        f"the smallest cell edge dx = {dx!r} m; {_LIMIT}"))
    zl = cfg.torque.zhang_li
    if zl is not None and zl.current_density is not None:
        u = abs(zl.P) * MU_B * _peak(zl.current_density) / (E_CHARGE * ms)
        h = u / (mat.gamma0 * dx)
        if not h <= FIELD_SCALE_MAX:
            out.append(("torque.zhang_li.current_density", zl.current_density,
                        f"gives the Zhang-Li rate u/(gamma0 dx) = {h:.3g} A/m in material {key!r} "
                        f"({with_ms}, u = P mu_B j/(e Ms) = {u:.3g} m/s, dx = {dx!r} m); "
                        f"{_LIMIT}"))
    slon = cfg.torque.slonczewski
    if (slon is not None and slon.current_density is not None
            and _acts_on(cfg, slon.region, key)):
        if slon.thickness is not None:
            d = slon.thickness
        elif getattr(slon, "thickness_convention", "layer") == "cell":
            d = cfg.mesh.cell[2]
        else:
            d = _thickness(cfg, slon.region, key)
        a_j = HBAR * abs(slon.P) * abs(slon.current_density) / (2.0 * E_CHARGE * MU0 * ms) / d
        if not a_j <= FIELD_SCALE_MAX:
            out.append(("torque.slonczewski.current_density", slon.current_density,
                        f"gives the Slonczewski field hbar P j/(2 e mu0 Ms d) = {a_j:.3g} A/m in "
                        f"material {key!r} ({with_ms}, d = {d!r} m); {_LIMIT}"))
    return out


def _acts_on(cfg: RunConfig, region: str | None, key: str) -> bool:
    """Whether the Slonczewski torque (on ``region``, or every magnetic layer) reaches ``key``."""
    return any(layer.material == key and region in (None, layer.name) for layer in cfg.layer)


def _thickness(cfg: RunConfig, region: str | None, key: str) -> float:
    return min(layer.thickness for layer in cfg.layer
               if layer.material == key and region in (None, layer.name))


def _applied_problems(cfg: RunConfig) -> list[Problem]:
    field = cfg.field
    if field is None:
        return []
    out: list[Problem] = []
    static = _peak(field.B) + max((_peak(v) for v in field.per_region.values()), default=0.0)
    time = field.time
    time_part = 0.0
    if time is not None and time.kind == "ramp":
        end = cfg.run.duration if time.stop is None else min(time.stop, cfg.run.duration)
        time_part = _peak(time.rate) * max(end - time.start, 0.0)
        if not time_part <= FIELD_SCALE_MAX * MU0:
            return [("field.time.rate", time.rate,
                     f"ramps the field to {time_part:.3g} T by t = {end!r} s; {_LIMIT}")]
    elif time is not None:
        time_part = _peak(time.amplitude)
    total = static + time_part
    if not total <= FIELD_SCALE_MAX * MU0:
        out.append(("field", f"up to {total:.3g} T",
                    f"B, per_region and the time part add up to |mu0 H| = {total:.3g} T; "
                    f"{_LIMIT}"))
    return out
