"""Run configuration: a TOML file -> validated, immutable pydantic objects.

The schema (documented for users in ``docs/config.md``) is the contract between this module and
:mod:`spintorque.simulation`: :class:`RunConfig` has one attribute per TOML table (``mesh``,
``layer``, ``material``, ``field``, ``demag``, ``exchange``, ``transport``, ``torque``, ``relax``,
``run``). All quantities are SI. Every model forbids unknown keys, every number must be finite and
of the right type (no strings or booleans where numbers go), ranges are checked per field and
cross-field rules (cells tiling the layers, material names that exist, memory that fits) in
:meth:`RunConfig._cross_checks`.

Configs are data: the TOML file is parsed by :mod:`tomllib` (no code execution), time-dependent
fields exist only as the named forms :class:`SineField`, :class:`PulseField`, :class:`RampField`,
and nothing here unpickles anything.

Entry points: :func:`load_config` (a file; raises :class:`ConfigError` for every user mistake),
:func:`config_from_dict` (a mapping; same errors) and ``RunConfig.model_validate(dict)`` (raises
pydantic's ``ValidationError``, a ``ValueError``).
"""

from __future__ import annotations

import difflib
import json
import math
import sys
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .constants import GAMMA0
from .dynamics.integrators.registry import (
    DEFAULT_INTEGRATOR,
    INTEGRATORS,
    integrator_spec,
    transport_update_names,
)
from .io import memory
from .io.errors import ConfigError, ConfigFileNotFoundError, Finding, show_value
from .io.memory import available_memory, estimate_memory, format_bytes
from .io.toml_writer import BARE_KEY, dumps
from .materials import Material
from .transport.models import NO_TRANSPORT, TRANSPORT_MODELS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "ConfigError",
    "DemagConfig",
    "ExchangeConfig",
    "FieldConfig",
    "InitialConfig",
    "LayerConfig",
    "MaterialConfig",
    "MeshConfig",
    "PulseField",
    "RampField",
    "RelaxConfig",
    "RunConfig",
    "RunParams",
    "SineField",
    "SlonczewskiConfig",
    "TorqueConfig",
    "TransportConfig",
    "ZhangLiConfig",
    "available_memory",
    "config_from_dict",
    "dumps_toml",
    "estimate_memory",
    "load_config",
]

#: relative tolerance for "a whole number of cells"
REL_TOL = 1e-9
#: a config file is a few kB; anything this large is not one
MAX_FILE_BYTES = 1 << 20
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


def _either(names: Any) -> str:
    """``'a', 'b' or 'c'`` (the form of pydantic's Literal messages)."""
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _registered(names: Any, optional: bool = False) -> Any:
    """A str field whose allowed values are read from a registry when a config is validated
    (so that a scheme or model registered later is accepted); ``names()`` gives them in order.
    The message has the form of a Literal's."""

    def check(value: Any) -> Any:
        if value is None and optional:
            return None
        allowed = tuple(names())
        if not (isinstance(value, str) and value in allowed):
            raise ValueError("Input should be " + _either(allowed))
        return value

    return Annotated[Any, PlainValidator(check)]


IntegratorName = _registered(lambda: INTEGRATORS)
TransportModelName = _registered(lambda: (NO_TRANSPORT, *TRANSPORT_MODELS))
TransportUpdate = _registered(transport_update_names, optional=True)


def _integrator_help() -> str:
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


def _adaptive_names() -> str:
    return "/".join(s.name for s in INTEGRATORS.values() if s.adaptive)


def _transport_update_help() -> str:
    what = {"evaluation": "every field evaluation", "step": "once per step, predicted in between",
            "accepted": "once per accepted step, after an error test on predicted s"}
    forms = []
    for mode in transport_update_names():
        able = [s.name for s in INTEGRATORS.values() if mode in s.transport_updates]
        only = "" if len(able) == len(INTEGRATORS) else "/".join(able) + ": "
        forms.append(f"{mode!r} ({only}{what.get(mode, mode)})")
    defaults = ", ".join(f"{s.name} {s.default_transport_update!r}"
                         for s in INTEGRATORS.values() if s.takes_transport_update)
    return f"transport solves: {', '.join(forms)}; default: {defaults}"


def _transport_model_help() -> str:
    models = ", ".join(f"{s.name!r} ({s.summary})" for s in TRANSPORT_MODELS.values())
    return f"{NO_TRANSPORT!r} (no spin transport) or a model: {models}"


class _Model(BaseModel):
    """Base: unknown keys are errors, numbers must be finite, objects are immutable."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class _Problems(ValueError):
    """Several problems found by one cross-field check; paths relative to the model checked."""

    def __init__(self, items: list[tuple[str, Any, str]]) -> None:
        self.items = items
        super().__init__("; ".join(f"{p}: {show_value(v)} -> {a}" for p, v, a in items))


def _raise_if(problems: list[tuple[str, Any, str]]) -> None:
    if problems:
        raise _Problems(problems)


def _whole(ratio: float) -> int | None:
    """``round(ratio)`` if ``ratio`` is a positive whole number to REL_TOL, else None."""
    if not math.isfinite(ratio) or ratio < 0.5:
        return None
    k = round(ratio)
    return k if abs(ratio - k) <= REL_TOL * ratio else None


# -- mesh, layers, initial states ------------------------------------------------------------------


class MeshConfig(_Model):
    """``[mesh]``: the uniform grid of cuboid cells covering the whole stack."""

    cell: Length3 = Field(description="cell edge lengths (dx, dy, dz) [m], each > 0")
    size: Length3 = Field(
        description="edge lengths of the sample [m], each > 0; size[0], size[1] whole multiples "
        "of cell; size[2] = sum of the layer thicknesses"
    )


class RandomInit(_Model):
    """``initial = { random = { seed = 1 } }``: independent uniformly random directions per cell."""

    seed: Int = Field(0, ge=0, le=2**63 - 1, description="RNG seed, integer in [0, 2^63)")


class VortexInit(_Model):
    """``initial = { vortex = {...} }``: an in-plane curling state with an out-of-plane core."""

    center: tuple[Float, Float] | None = Field(
        None, description="core position (x, y) [m] inside the sample; default: the middle"
    )
    polarity: Sign = Field(1, description="core direction along z, +1 or -1")
    chirality: Sign = Field(1, description="+1 counter-clockwise, -1 clockwise (seen from +z)")
    core_radius: Positive = Field(10e-9, description="core radius [m], > 0")


class InitialConfig(_Model):
    """Initial magnetization of one layer: exactly one of the four forms."""

    uniform: Nonzero3 | None = Field(None, description="direction [x, y, z], nonzero, normalized")
    random: RandomInit | None = Field(None, description="random directions, seeded")
    vortex: VortexInit | None = Field(None, description="vortex state")
    file: Annotated[str, Strict(), Field(min_length=1, max_length=4096)] | None = Field(
        None,
        description="path to an OVF 2.0 file (relative to the config file) with the grid's shape",
    )

    @field_validator("file")
    @classmethod
    def _file_exists(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return v
        if not v.lower().endswith(".ovf"):
            raise ValueError("must name an OVF 2.0 file ending in .ovf")
        base = (info.context or {}).get("base_dir")
        try:
            path = Path(v) if base is None else Path(base) / v
            ok = path.is_file()
        except (OSError, ValueError):  # name too long, NUL byte, ...
            ok = False
        if not ok:
            raise ValueError(f"file not found (looked for {str(path)!r})")
        return str(path.resolve())

    @model_validator(mode="after")
    def _exactly_one(self) -> InitialConfig:
        given = [k for k in ("uniform", "random", "vortex", "file") if getattr(self, k) is not None]
        if len(given) != 1:
            _raise_if(
                [("", given or {}, "exactly one of uniform, random, vortex, file must be given")]
            )
        return self

    @property
    def kind(self) -> str:
        """Which form was given: ``"uniform"``, ``"random"``, ``"vortex"`` or ``"file"``."""
        for k in ("uniform", "random", "vortex", "file"):
            if getattr(self, k) is not None:
                return k
        raise AssertionError("validated InitialConfig without a form")


class LayerConfig(_Model):
    """``[[layer]]``: one slab of the stack, listed bottom (z = 0) to top."""

    name: Name = Field(description="unique layer name, [A-Za-z0-9_-]+, at most 64 characters")
    thickness: Positive = Field(description="thickness along z [m], a whole number of cells")
    material: Name = Field(description="key of a [material.<key>] table")
    initial: InitialConfig | None = Field(
        None, description="initial magnetization (magnetic layers only); default: uniform +x"
    )


# -- materials -------------------------------------------------------------------------------------


class MaterialConfig(_Model):
    """``[material.<key>]``: parameters of one material, SI units (see materials.Material).

    ``beta`` and ``beta_prime`` in [0, 1) make ``beta * beta_prime < 1``, so the diffusion matrix
    2 D0 (I - beta beta' m m^T) is positive definite in every magnetic cell.
    """

    Ms: Float = Field(ge=0, description="saturation magnetization [A/m], >= 0 (0 = non-magnetic)")
    A: Float = Field(0.0, ge=0, description="exchange stiffness [J/m], >= 0")
    Ku: Float = Field(0.0, description="uniaxial anisotropy [J/m^3], energy -Ku (m.axis)^2")
    axis: Nonzero3 = Field((1.0, 0.0, 0.0), description="anisotropy axis, nonzero 3-vector")
    alpha: Float = Field(0.0, ge=0, description="Gilbert damping [1], >= 0")
    gamma0: Float = Field(GAMMA0, gt=0, description="mu0 * gyromagnetic ratio [m/(A s)], > 0")
    D0: Float = Field(0.0, ge=0, description="spin diffusion constant [m^2/s], >= 0 (0: insulator)")
    beta: Float = Field(0.0, ge=0, lt=1, description="spin polarization of conductivity, [0, 1)")
    beta_prime: Float = Field(0.0, ge=0, lt=1, description="polarization of D0, [0, 1)")
    lambda_sf: Positive | None = Field(
        None, description="spin-flip length [m], > 0; omitted = no spin flip"
    )
    J_sd: Float = Field(0.0, ge=0, description="s-d exchange energy [J], >= 0")
    lambda_J: Positive | None = Field(None, description="override of sqrt(2 hbar D0/J_sd) [m], > 0")
    c_sd: Float | None = Field(None, ge=0, description="override of the s-d coupling [T m/A], >= 0")
    P: Float = Field(0.0, ge=-1, le=1, description="Slonczewski polarization [1], [-1, 1]")
    Lambda: Positive = Field(1.0, description="Slonczewski asymmetry parameter [1], > 0")
    eps_prime: Float = Field(0.0, description="secondary spin-torque parameter [1]")

    @property
    def magnetic(self) -> bool:
        return self.Ms > 0

    def to_material(self, name: str) -> Material:
        """The :class:`~spintorque.materials.Material` these parameters describe."""
        axis = np.asarray(self.axis, float)
        axis = axis / np.abs(axis).max()  # scale first: a huge axis must not overflow the norm
        kw = self.model_dump()
        kw["axis"] = tuple(axis)
        kw["lambda_sf"] = math.inf if self.lambda_sf is None else self.lambda_sf
        return Material(name=name, **kw)


# -- applied field ---------------------------------------------------------------------------------


class SineField(_Model):
    """``time = { kind = "sine", ... }``: adds amplitude * sin(2 pi frequency t + phase)."""

    kind: Literal["sine"] = Field(description='"sine"')
    amplitude: Vec3 = Field(description="amplitude mu0*H [T]")
    frequency: Positive = Field(description="frequency [Hz], > 0")
    phase: Float = Field(0.0, description="phase [rad]")

    def value(self, t: float) -> np.ndarray:
        """Time-dependent part of mu0*H [T] at time ``t`` [s], shape (3,)."""
        return np.asarray(self.amplitude) * math.sin(2 * math.pi * self.frequency * t + self.phase)


class PulseField(_Model):
    """``time = { kind = "pulse", ... }``: adds amplitude while start <= t < stop."""

    kind: Literal["pulse"] = Field(description='"pulse"')
    amplitude: Vec3 = Field(description="pulse field mu0*H [T]")
    start: Float = Field(0.0, ge=0, description="switch-on time [s], >= 0")
    stop: Float = Field(description="switch-off time [s], > start")

    @model_validator(mode="after")
    def _order(self) -> PulseField:
        if not self.stop > self.start:
            _raise_if([("stop", self.stop, f"must be > start = {self.start!r} s")])
        return self

    def value(self, t: float) -> np.ndarray:
        """Time-dependent part of mu0*H [T] at time ``t`` [s], shape (3,)."""
        on = self.start <= t < self.stop
        return np.asarray(self.amplitude) * (1.0 if on else 0.0)


class RampField(_Model):
    """``time = { kind = "ramp", ... }``: adds rate * (t - start) from start, held after stop."""

    kind: Literal["ramp"] = Field(description='"ramp"')
    rate: Vec3 = Field(description="ramp rate d(mu0*H)/dt [T/s]")
    start: Float = Field(0.0, ge=0, description="ramp start [s], >= 0")
    stop: Float | None = Field(None, description="ramp end [s], > start; omitted = never")

    @model_validator(mode="after")
    def _order(self) -> RampField:
        if self.stop is not None and not self.stop > self.start:
            _raise_if([("stop", self.stop, f"must be > start = {self.start!r} s")])
        return self

    def value(self, t: float) -> np.ndarray:
        """Time-dependent part of mu0*H [T] at time ``t`` [s], shape (3,)."""
        end = t if self.stop is None else min(t, self.stop)
        return np.asarray(self.rate) * max(end - self.start, 0.0)


TimeDependence = Annotated[SineField | PulseField | RampField, Field(discriminator="kind")]


class FieldConfig(_Model):
    """``[field]``: applied field mu0*H [T] = B + time part (uniform) + per_region (static)."""

    B: Vec3 = Field((0.0, 0.0, 0.0), description="uniform applied field mu0*H [T]")
    per_region: dict[Name, Vec3] = Field(
        default_factory=dict, description="extra static field [T] per layer name"
    )
    time: TimeDependence | None = Field(
        None,
        description='a table with kind = "sine" | "pulse" | "ramp"; expressions are never evaluated'
    )

    def applied(self, t: float) -> np.ndarray:
        """Uniform applied field mu0*H [T] at run time ``t`` [s] (B plus the time part)."""
        b = np.asarray(self.B, float)
        return b if self.time is None else b + self.time.value(t)


# -- field terms, transport, torques ---------------------------------------------------------------


class DemagConfig(_Model):
    """``[demag]``: stray field by FFT convolution with the Newell tensor."""

    enabled: Bool = Field(True, description="include the stray field (true/false)")


class ExchangeConfig(_Model):
    """``[exchange]``."""

    interregion_scale: Float = Field(
        1.0, ge=0, description="scale of exchange across touching magnetic layers [1], >= 0"
    )


class TransportConfig(_Model):
    """``[transport]``: spin accumulation model and the current driving it."""

    model: TransportModelName = Field(NO_TRANSPORT, description=_transport_model_help())
    current_density: CurrentDensity = Field(
        0.0, description="charge current density [A/m^2]: a number is along +z (bottom -> top "
        "layer), a 3-vector is the uniform current density (e.g. in-plane for muMAG SP5)"
    )
    moment_a: Float = Field(1.0, ge=0, description="coefficient a in A(M) = I + a[M]x [1], >= 0")
    boundary: Literal["neumann", "zero_flux"] = Field(
        "neumann", description="outer boundary of s: 'neumann' (zero diffusive flux) or 'zero_flux'"
    )
    z_refine: Int = Field(
        1, ge=1, le=16, description="transport cells per grid cell along z, 1 to 16"
    )
    mode: Literal["quasistatic", "implicit"] = Field(
        "quasistatic", description="'quasistatic' (steady s per step) or 'implicit' (Euler)"
    )
    rtol: Positive = Field(
        1e-6, lt=1, description="relative residual at which a transport solve stops [1], (0, 1)"
    )


class ZhangLiConfig(_Model):
    """``[torque.zhang_li]``: current-in-plane (local) spin-transfer torque."""

    current_density: Vec3 = Field(description="current density vector [A/m^2]")
    P: Float = Field(1.0, ge=-1, le=1, description="spin polarization [1], [-1, 1]")
    xi: Float = Field(0.0, description="non-adiabaticity [1]")
    convention: Literal["mumax3", "oommf"] = Field(
        "mumax3",
        description="'mumax3' divides u by 1+xi^2; 'oommf' does not (muMAG SP5 specification)",
    )


class SlonczewskiConfig(_Model):
    """``[torque.slonczewski]``: fixed-polarizer torque, current along z."""

    current_density: Float = Field(description="current density along z [A/m^2]")
    p: Nonzero3 = Field(description="polarizer direction, nonzero 3-vector (normalized)")
    P: Float = Field(0.5669, ge=-1, le=1, description="spin polarization [1], [-1, 1]")
    Lambda: Positive = Field(1.0, description="asymmetry parameter [1], > 0")
    eps_prime: Float = Field(0.0, description="secondary spin-torque parameter [1]")
    region: Name | None = Field(None, description="magnetic layer it acts on; default: all")
    thickness: Positive | None = Field(
        None, description="free-layer thickness [m], > 0; default: z extent of the region"
    )


class TorqueConfig(_Model):
    """``[torque]``: local spin-transfer torques (no spin accumulation)."""

    zhang_li: ZhangLiConfig | None = None
    slonczewski: SlonczewskiConfig | None = None


# -- relaxation and run ----------------------------------------------------------------------------


class RelaxConfig(_Model):
    """``[relax]``: relaxation before the run, without applied field, current or torques."""

    enabled: Bool = Field(False, description="relax before the run (true/false)")
    method: Literal["minimize", "llg"] = Field("minimize", description="'minimize' or 'llg'")
    tol: Positive = Field(0.1, description="stop when max |m x H| < tol [A/m], > 0")
    max_iter: Int = Field(20000, ge=1, le=100_000_000, description="iteration limit, >= 1")
    alpha: Positive = Field(1.0, le=10, description="damping for method = 'llg' [1], (0, 10]")
    allow_unconverged: Bool = Field(
        False, description="run from a relaxation that did not reach tol (warns on stderr); "
        "default false: such a run stops with exit 1 and FAILED"
    )


class RunParams(_Model):
    """``[run]``: time integration and outputs."""

    duration: Float = Field(ge=0, description="simulated time after relaxation [s], >= 0")
    output_every: Positive = Field(description="table row interval [s], > 0")
    integrator: IntegratorName = Field(DEFAULT_INTEGRATOR, description=_integrator_help())
    rtol: Positive = Field(
        1e-5, lt=1, description=f"{_adaptive_names()} relative tolerance [1], (0, 1)"
    )
    dt: Positive = Field(
        1e-13, description=f"step [s] of fixed-step schemes, {DEFAULT_INTEGRATOR}'s first step"
    )
    dt_max: Positive | None = Field(
        None, description=f"{_adaptive_names()}'s largest step [s], > 0 (or none)"
    )
    alpha: Float | None = Field(None, ge=0, description="damping override for the run [1], >= 0")
    transport_update: TransportUpdate = Field(None, description=_transport_update_help())
    snapshot_every: Positive | None = Field(None, description="OVF snapshot interval [s], > 0")
    checkpoint_every: Positive = Field(
        60.0, description="wall-clock time between checkpoints [s], > 0"
    )

    @model_validator(mode="after")
    def _transport_update_is_supported(self) -> RunParams:
        # e.g. "accepted" solves after an error test: only the adaptive schemes have one
        # (checked before relaxing)
        update = self.transport_update
        if update is not None and update not in integrator_spec(self.integrator).transport_updates:
            able = [s.name for s in INTEGRATORS.values() if update in s.transport_updates]
            _raise_if([("transport_update", update,
                        f"needs integrator {_either(able)} (integrator = {self.integrator!r})")])
        return self


# -- the whole run ---------------------------------------------------------------------------------


class RunConfig(_Model):
    """A whole run: ``RunConfig.model_validate(toml_dict)`` or :func:`load_config`.

    Validation context (``model_validate(d, context=...)``): ``base_dir`` resolves relative
    ``initial.file`` paths; ``check_memory=False`` skips the memory guard.
    """

    title: Annotated[str, Strict(), Field(max_length=200)] | None = Field(
        None, description="free text, at most 200 characters"
    )
    mesh: MeshConfig = Field(description="[mesh] table with cell and size")
    layer: list[LayerConfig] = Field(
        min_length=1, max_length=1000, description="[[layer]] tables, 1 to 1000, bottom to top"
    )
    material: dict[Name, MaterialConfig] = Field(
        min_length=1, max_length=1000, description="[material.<key>] tables, 1 to 1000"
    )
    field: FieldConfig | None = Field(None, description="[field] table; omitted = no field")
    demag: DemagConfig = Field(default_factory=DemagConfig, description="[demag] table")
    exchange: ExchangeConfig = Field(default_factory=ExchangeConfig, description="[exchange]")
    transport: TransportConfig = Field(default_factory=TransportConfig, description="[transport]")
    torque: TorqueConfig = Field(default_factory=TorqueConfig, description="[torque.*] tables")
    relax: RelaxConfig = Field(default_factory=RelaxConfig, description="[relax] table")
    run: RunParams = Field(description="[run] table with at least duration and output_every")

    # -- derived geometry (valid only after validation) -------------------------------------
    @property
    def grid_shape(self) -> tuple[int, int, int]:
        """Cells ``(nx, ny, nz)`` of the grid."""
        cell, size = self.mesh.cell, self.mesh.size
        nz = sum(round(layer.thickness / cell[2]) for layer in self.layer)
        return round(size[0] / cell[0]), round(size[1] / cell[1]), nz

    @property
    def ncells(self) -> int:
        nx, ny, nz = self.grid_shape
        return nx * ny * nz

    def layer_cells(self) -> list[tuple[str, int, int]]:
        """``(name, k0, k1)`` z-cell range of every layer, bottom first."""
        out, k0 = [], 0
        for layer in self.layer:
            k = round(layer.thickness / self.mesh.cell[2])
            out.append((layer.name, k0, k0 + k))
            k0 += k
        return out

    def stack(self) -> list[tuple[str, float, Material]]:
        """Layers as ``(name, thickness [m], Material)`` for ``Sample.stack``, bottom first."""
        return [
            (layer.name, layer.thickness, self.material[layer.material].to_material(layer.material))
            for layer in self.layer
        ]

    # -- cross-field rules ------------------------------------------------------------------
    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> RunConfig:
        problems = self._geometry_problems()
        problems += self._reference_problems()
        problems += self._run_problems()
        if not problems and (info.context or {}).get("check_memory", True):
            problems += _memory_problems(self)
        _raise_if(problems)
        return self

    def _geometry_problems(self) -> list[tuple[str, Any, str]]:
        out: list[tuple[str, Any, str]] = []
        cell, size = self.mesh.cell, self.mesh.size
        for a, axis in enumerate("xy"):
            if _whole(size[a] / cell[a]) is None:
                out.append(
                    (f"mesh.size[{a}]", size[a],
                     f"must be a whole multiple of mesh.cell[{a}] = {cell[a]!r} m ({axis})")
                )
        total = 0.0
        for i, layer in enumerate(self.layer):
            total += layer.thickness
            if _whole(layer.thickness / cell[2]) is None:
                out.append(
                    (f"layer[{i}].thickness", layer.thickness,
                     f"must be a whole number of cells of mesh.cell[2] = {cell[2]!r} m")
                )
        if not abs(total - size[2]) <= REL_TOL * max(total, size[2]):
            out.append(
                ("mesh.size[2]", size[2], f"must equal the sum of layer thicknesses = {total!r} m")
            )
        if not out:
            for a, n in enumerate(self.grid_shape):
                if n > MAX_CELLS_PER_AXIS:
                    out.append(
                        (f"mesh.cell[{a}]", cell[a],
                         f"too small: {n} cells along axis {a}, at most {MAX_CELLS_PER_AXIS}")
                    )
        seen: set[str] = set()
        for i, layer in enumerate(self.layer):
            if layer.name in seen:
                out.append((f"layer[{i}].name", layer.name, "layer names must be unique"))
            seen.add(layer.name)
        return out

    def _reference_problems(self) -> list[tuple[str, Any, str]]:
        out: list[tuple[str, Any, str]] = []
        names = [layer.name for layer in self.layer]
        magnetic = set()
        for i, layer in enumerate(self.layer):
            mat = self.material.get(layer.material)
            if mat is None:
                out.append(
                    (f"layer[{i}].material", layer.material,
                     "must be a [material.*] key: " + _choices(layer.material, self.material))
                )
                continue
            if mat.magnetic:
                magnetic.add(layer.name)
            elif layer.initial is not None:
                out.append(
                    (f"layer[{i}].initial", layer.initial.kind,
                     f"not allowed: material {layer.material!r} is non-magnetic (Ms = 0)")
                )
            vortex = layer.initial.vortex if layer.initial is not None else None
            if vortex is not None and vortex.center is not None:
                for a in range(2):
                    if not 0 <= vortex.center[a] <= self.mesh.size[a]:
                        out.append(
                            (f"layer[{i}].initial.vortex.center[{a}]", vortex.center[a],
                             f"must lie in [0, mesh.size[{a}] = {self.mesh.size[a]!r}] m")
                        )
        if not out and not magnetic:
            out.append(("layer", names, "at least one layer must be magnetic (material Ms > 0)"))
        if self.field is not None:
            for key in self.field.per_region:
                if key not in names:
                    out.append(
                        (f"field.per_region.{key}", key,
                         "must be a layer name: " + _choices(key, names))
                    )
        slon = self.torque.slonczewski
        if slon is not None and slon.region is not None and slon.region not in magnetic:
            out.append(
                ("torque.slonczewski.region", slon.region,
                 "must name a magnetic layer: " + _choices(slon.region, sorted(magnetic)))
            )
        if self.transport.model != NO_TRANSPORT:
            for i, layer in enumerate(self.layer):
                mat = self.material.get(layer.material)
                if mat is not None and mat.D0 <= 0:
                    out.append(
                        (f"material.{layer.material}.D0", mat.D0,
                         f"must be > 0: layer[{i}] ({layer.name!r}) carries the current of "
                         f"transport.model = {self.transport.model!r}")
                    )
            for key in ("zhang_li", "slonczewski"):
                if getattr(self.torque, key) is not None:
                    out.append(
                        (f"torque.{key}", "given",
                         f"not allowed with transport.model = {self.transport.model!r}: the "
                         "transport model already produces the spin torque (use one or the other)")
                    )
        return out

    def _run_problems(self) -> list[tuple[str, Any, str]]:
        out: list[tuple[str, Any, str]] = []
        run = self.run
        if run.duration / run.output_every > MAX_OUTPUT_ROWS:
            out.append(
                ("run.output_every", run.output_every,
                 f"too small: duration / output_every must be <= {MAX_OUTPUT_ROWS} table rows")
            )
        if run.snapshot_every is not None and run.duration / run.snapshot_every > MAX_SNAPSHOTS:
            out.append(
                ("run.snapshot_every", run.snapshot_every,
                 f"too small: duration / snapshot_every must be <= {MAX_SNAPSHOTS} snapshots")
            )
        fixed_step = not integrator_spec(run.integrator).adaptive
        if fixed_step and run.duration / run.dt > MAX_FIXED_STEPS:
            out.append(
                ("run.dt", run.dt,
                 f"too small for integrator {run.integrator!r}: duration / dt must be <= "
                 f"{MAX_FIXED_STEPS} steps")
            )
        return out


def _choices(value: str, options: Any) -> str:
    options = sorted(options)
    text = ", ".join(repr(o) for o in options) if options else "(none defined)"
    close = difflib.get_close_matches(value, options, n=1)
    return text + (f" (did you mean {close[0]!r}?)" if close else "")


def _memory_problems(config: RunConfig) -> list[tuple[str, Any, str]]:
    need = memory.estimate_memory(config)
    have = memory.available_memory()  # looked up at call time so that tests can patch it
    if have is not None and need > have:
        nx, ny, nz = config.grid_shape
        return [
            ("mesh", f"{nx} x {ny} x {nz} = {nx * ny * nz} cells",
             f"estimated memory {format_bytes(need)} ({need} bytes) exceeds the available "
             f"{format_bytes(have)}; use larger cells or a smaller sample")
        ]
    return []


# -- errors: pydantic -> ConfigError ---------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional from a type annotation."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _walk(loc: tuple) -> tuple[str, Any, type[BaseModel] | None]:
    """Dotted TOML path of a pydantic ``loc``, the FieldInfo at its end and the enclosing model."""
    tp: Any = RunConfig
    path = ""
    info = None
    parent: type[BaseModel] | None = None
    for key in loc:
        tp = _unwrap(tp)
        if isinstance(key, int):
            path += f"[{key}]"
            args = [a for a in get_args(tp) if a is not Ellipsis]
            tp = args[min(key, len(args) - 1)] if args else Any
            continue
        key = str(key)
        if key == "[key]":  # pydantic's marker for a bad dict key: the path already ends in it
            continue
        origin, args = get_origin(tp), get_args(tp)
        members = [_unwrap(a) for a in args] if origin in (Union, types.UnionType) else []
        if members and all(_is_model(m) for m in members):
            tagged = [m for m in members if get_args(m.model_fields["kind"].annotation) == (key,)]
            if tagged:  # discriminated union: the tag is no part of the TOML path
                tp = tagged[0]
                continue
        shown = key if BARE_KEY.match(key) else json.dumps(key)
        path = f"{path}.{shown}" if path else shown
        if _is_model(tp):
            parent = tp
            info = tp.model_fields.get(key)
            tp = info.annotation if info is not None else Any
        elif origin is dict:
            tp = args[1]
        else:
            tp = Any
    return path, info, parent


def _problem(err: dict) -> list[Finding]:
    loc = tuple(err.get("loc", ()))
    path, info, parent = _walk(loc)
    kind = err.get("type", "")
    described = f" ({info.description})" if info is not None and info.description else ""
    if kind == "value_error" and isinstance((err.get("ctx") or {}).get("error"), _Problems):
        out = []
        for rel, value, allowed in err["ctx"]["error"].items:
            full = ".".join(p for p in (path, rel) if p) if not rel.startswith("[") else path + rel
            if rel and not loc:  # cross checks on RunConfig give complete paths
                full = rel
            out.append(Finding(full, show_value(value), allowed))
        return out
    if kind == "missing" and loc and isinstance(loc[-1], int):  # a too short fixed-size vector
        path, info, _ = _walk(loc[:-1])
        described = f" ({info.description})" if info is not None and info.description else ""
        return [Finding(path, show_value(err.get("input")), "too few components" + described)]
    if kind == "missing":
        return [Finding(path, "(missing)", "required" + described)]
    if kind == "extra_forbidden":
        allowed = sorted(parent.model_fields) if parent is not None else []
        name = str(loc[-1]) if loc else ""
        return [
            Finding(path, show_value(err.get("input")),
                    "unknown key; allowed here: " + _choices(name, allowed))
        ]
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    msg = msg[:1].lower() + msg[1:]
    if loc and loc[-1] == "[key]":
        return [Finding(path, show_value(err.get("input")), "invalid table key: " + msg)]
    return [Finding(path, show_value(err.get("input")), msg + described)]


def problems_from_validation(exc: ValidationError) -> list[Finding]:
    """One :class:`Finding` per pydantic error (cross checks may yield several)."""
    out: list[Finding] = []
    for err in exc.errors(include_url=False):
        out.extend(_problem(err))
    return out


# -- loading and writing ---------------------------------------------------------------------------


def config_from_dict(
    data: Any,
    *,
    source: str | None = None,
    base_dir: str | Path | None = None,
    check_memory: bool = True,
) -> RunConfig:
    """Validate a parsed config (a mapping as TOML gives it).

    Parameters
    ----------
    data : the parsed TOML document
    source : where it came from, for messages
    base_dir : directory that relative ``initial.file`` paths are relative to (default: cwd)
    check_memory : refuse a grid whose estimated memory exceeds the available memory

    Raises
    ------
    ConfigError
        listing every problem found as ``field.path: value -> what is allowed``.
    """
    if not isinstance(data, dict):
        raise ConfigError.single("", show_value(data), "a config must be a table of keys", source)
    base = None if base_dir is None else str(base_dir)
    context = {"base_dir": base, "check_memory": check_memory}
    try:
        return RunConfig.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc), source) from None
    except RecursionError:
        raise ConfigError.single("", "(deeply nested)", "too deeply nested", source) from None


def load_config(path: str | Path, *, check_memory: bool = True) -> RunConfig:
    """Read and validate a TOML config file.

    Relative ``initial.file`` paths are taken relative to the config file's directory. Nothing is
    executed or unpickled: the file is parsed as TOML data only.

    Raises
    ------
    ConfigError
        for anything wrong with the file or its contents (a missing file raises
        :class:`~spintorque.io.errors.ConfigFileNotFoundError`, also a ``FileNotFoundError``);
        TOML syntax errors give the line and column.
    """
    path = Path(path)
    source = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigFileNotFoundError(
            [Finding("(file)", repr(source), "no such config file")], source
        ) from None
    except OSError as exc:
        why = f"cannot read: {exc.strerror or exc}"
        raise ConfigError.single("(file)", repr(source), why, source) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError.single(
            "(file)", f"more than {MAX_FILE_BYTES} bytes", "must be under 1 MiB", source
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError.single(
            "(file)", f"byte {exc.start}", "a config file must be UTF-8 text (TOML)", source
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError.single("(file)", "TOML syntax error", str(exc), source) from None
    except RecursionError:
        raise ConfigError.single("", "(deeply nested)", "too deeply nested", source) from None
    return config_from_dict(data, source=source, base_dir=path.parent, check_memory=check_memory)


def dumps_toml(config: RunConfig) -> str:
    """The config as TOML text; loading it gives back an equal :class:`RunConfig`."""
    return dumps(config.model_dump(exclude_none=True))
