"""The tables of a run config, one pydantic model each: ``[mesh]``, ``[[layer]]`` with its
``initial`` state, ``[material.<key>]``, ``[field]`` (with the named time forms sine, pulse,
ramp), ``[demag]``, ``[exchange]``, ``[transport]``, ``[torque.*]``, ``[relax]`` and ``[run]``.
Per-field ranges are checked here; rules across tables are in :mod:`.checks`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, Strict, ValidationInfo, field_validator, model_validator

from ..constants import GAMMA0
from ..dynamics.integrators.registry import DEFAULT_INTEGRATOR, INTEGRATORS, integrator_spec
from ..materials import Material
from ..transport.models import NO_TRANSPORT
from . import bounds
from .base import (
    Bool,
    CurrentDensity,
    Float,
    Int,
    IntegratorName,
    Length3,
    Name,
    Nonzero3,
    Positive,
    SchemaModel,
    Sign,
    TransportModelName,
    TransportUpdate,
    Vec3,
    adaptive_names,
    either,
    integrator_help,
    raise_if,
    transport_model_help,
    transport_update_help,
)
from .current import Conductivity
from .geometry import ShapeConfig
from .interlayer import ExchangePairConfig


def _bounded(tp: Any, bound: bounds.Bound) -> Any:
    """``tp`` (a number, vector or current-density type) whose values must fit ``bound``."""
    return Annotated[tp, bound.validator]


CellEdge = Annotated[float, Strict(), Field(gt=0), bounds.CELL.validator]
Field3 = _bounded(Vec3, bounds.APPLIED_FIELD)


# -- mesh, layers, initial states ------------------------------------------------------------------


class MeshConfig(SchemaModel):
    """``[mesh]``: the uniform grid of cuboid cells covering the whole stack."""

    cell: tuple[CellEdge, CellEdge, CellEdge] = Field(
        description="cell edge lengths (dx, dy, dz) [m], each in [1e-12, 1]"
    )
    size: Length3 = Field(
        description="edge lengths of the sample [m], each > 0; size[0], size[1] whole multiples "
        "of cell; size[2] = sum of the layer thicknesses"
    )


class RandomInit(SchemaModel):
    """``initial = { random = { seed = 1 } }``: independent uniformly random directions per cell."""

    seed: Int = Field(0, ge=0, le=2**63 - 1, description="RNG seed, integer in [0, 2^63)")


class VortexInit(SchemaModel):
    """``initial = { vortex = {...} }``: an in-plane curling state with an out-of-plane core."""

    center: tuple[Float, Float] | None = Field(
        None, description="core position (x, y) [m] inside the sample; default: the middle"
    )
    polarity: Sign = Field(1, description="core direction along z, +1 or -1")
    chirality: Sign = Field(1, description="+1 counter-clockwise, -1 clockwise (seen from +z)")
    core_radius: _bounded(Positive, bounds.LENGTH) = Field(
        10e-9, description="core radius [m], in [1e-12, 1]"
    )


class InitialConfig(SchemaModel):
    """Initial magnetization of one layer: exactly one of the four forms."""

    uniform: Nonzero3 | None = Field(None, description="direction [x, y, z], nonzero, normalized")
    random: RandomInit | None = Field(None, description="random directions, seeded")
    vortex: VortexInit | None = Field(None, description="vortex state")
    file: Annotated[str, Strict(), Field(min_length=1, max_length=4096)] | None = Field(
        None,
        description="path to an OVF file (relative to the config file) on the grid or on the "
        "layer, with the mesh's cell size; opened and checked when the config is validated",
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
            raise_if(
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


class LayerConfig(SchemaModel):
    """``[[layer]]``: one slab of the stack, listed bottom (z = 0) to top."""

    name: Name = Field(description="unique layer name, [A-Za-z0-9_-]+, at most 64 characters")
    thickness: Positive = Field(description="thickness along z [m], a whole number of cells")
    material: Name = Field(description="key of a [material.<key>] table")
    initial: InitialConfig | None = Field(
        None, description="initial magnetization (magnetic layers only); default: uniform +x"
    )
    shape: ShapeConfig | None = Field(
        None, description="xy cross-section (cylinder, ellipse, rectangle or polygon): the layer "
        "is only the cells inside it, the rest of its slab empty; default: the whole slab"
    )


# -- materials -------------------------------------------------------------------------------------


class MaterialConfig(SchemaModel):
    """``[material.<key>]``: parameters of one material, SI units (see materials.Material).

    ``beta`` and ``beta_prime`` in [0, 1) make ``beta * beta_prime < 1``, so the diffusion matrix
    2 D0 (I - beta beta' m m^T) is positive definite in every magnetic cell.
    """

    Ms: _bounded(Float, bounds.MS) = Field(
        ge=0, description="saturation magnetization [A/m], >= 0 (0 = non-magnetic); nonzero: "
        "1e-3 to 1e8 (known magnets reach 2e6)"
    )
    A: _bounded(Float, bounds.EXCHANGE) = Field(
        0.0, ge=0, description="exchange stiffness [J/m], >= 0; nonzero: 1e-18 to 1e-8 (known: "
        "1e-13 to 1e-10)"
    )
    Ku: _bounded(Float, bounds.KU) = Field(
        0.0, description="uniaxial anisotropy [J/m^3], energy -Ku (m.axis)^2; nonzero |Ku|: 1e-3 "
        "to 1e8 (known: up to 1.7e7)"
    )
    axis: Nonzero3 = Field((1.0, 0.0, 0.0), description="anisotropy axis, nonzero 3-vector")
    alpha: _bounded(Float, bounds.ALPHA) = Field(
        0.0, ge=0, description="Gilbert damping [1], 0 to 1e3"
    )
    gamma0: _bounded(Float, bounds.GAMMA0) = Field(
        GAMMA0, gt=0, description="mu0 * gyromagnetic ratio [m/(A s)], 1e3 to 1e8 (g = 2: 2.2e5)"
    )
    D0: _bounded(Float, bounds.D0) = Field(
        0.0, ge=0, description="spin diffusion constant [m^2/s], >= 0 (0: insulator); nonzero: "
        "1e-9 to 1e2"
    )
    beta: Float = Field(0.0, ge=0, lt=1, description="spin polarization of conductivity, [0, 1)")
    beta_prime: Float = Field(0.0, ge=0, lt=1, description="polarization of D0, [0, 1)")
    lambda_sf: _bounded(Positive, bounds.LENGTH) | None = Field(
        None, description="spin-flip length [m], 1e-12 to 1; omitted = no spin flip"
    )
    J_sd: _bounded(Float, bounds.J_SD) = Field(
        0.0, ge=0, description="s-d exchange energy [J], >= 0; nonzero: 1e-25 to 1e-17"
    )
    lambda_J: _bounded(Positive, bounds.LENGTH) | None = Field(
        None, description="override of sqrt(2 hbar D0/J_sd) [m], 1e-12 to 1"
    )
    c_sd: _bounded(Float, bounds.C_SD) | None = Field(
        None, ge=0, description="override of the s-d coupling [T m/A], >= 0; nonzero: 1e-15 to 1e3"
    )
    P: Float = Field(0.0, ge=-1, le=1, description="Slonczewski polarization [1], [-1, 1]")
    Lambda: Positive = Field(1.0, description="Slonczewski asymmetry parameter [1], > 0")
    eps_prime: Float = Field(0.0, description="secondary spin-torque parameter [1]")
    sigma: Conductivity | None = Field(
        None, description="electrical conductivity [S/m] for [current], >= 0; nonzero: 1e-6 to "
        "1e9; omitted = not given (needed where D0 > 0 when [current] is used)"
    )
    frozen: Bool = Field(
        False, description="true: its magnetization is held fixed (a pinned reference layer)"
    )
    Dind: _bounded(Float, bounds.DMI) = Field(
        0.0, description="interfacial DMI [J/m^2], energy Dind [m_z div m - (m.grad) m_z], "
        "interface normal +z (mumax3 sign); nonzero |Dind|: 1e-8 to 1 (known: 1e-4 to 1e-2)"
    )
    Dbulk: _bounded(Float, bounds.DMI) = Field(
        0.0, description="bulk DMI [J/m^2], energy Dbulk m.(curl m) (mumax3 sign); nonzero "
        "|Dbulk|: 1e-8 to 1 (known: 1e-4 to 1e-2)"
    )
    Kc1: _bounded(Float, bounds.KC) = Field(
        0.0, description="cubic anisotropy [J/m^3], energy Kc1 (a1^2 a2^2 + a2^2 a3^2 + a3^2 "
        "a1^2), a_k = m.cube axis k; > 0: easy cube axes; nonzero |Kc1|: 1e-3 to 1e8"
    )
    Kc2: _bounded(Float, bounds.KC) = Field(
        0.0, description="second cubic constant [J/m^3], energy Kc2 a1^2 a2^2 a3^2; nonzero "
        "|Kc2|: 1e-3 to 1e8"
    )
    cubic_axis1: Nonzero3 = Field(
        (1.0, 0.0, 0.0), description="first cube axis, nonzero 3-vector (normalized)"
    )
    cubic_axis2: Nonzero3 = Field(
        (0.0, 1.0, 0.0), description="second cube axis, nonzero 3-vector orthogonal to "
        "cubic_axis1 (|cos| <= 1e-6); the third is cubic_axis1 x cubic_axis2"
    )

    @model_validator(mode="after")
    def _cube_axes_orthogonal(self) -> MaterialConfig:
        a1 = np.asarray(self.cubic_axis1, float)
        a2 = np.asarray(self.cubic_axis2, float)
        a1, a2 = a1 / np.abs(a1).max(), a2 / np.abs(a2).max()
        cos = float(a1 @ a2 / (np.linalg.norm(a1) * np.linalg.norm(a2)))
        if abs(cos) > 1e-6:
            raise_if([("cubic_axis2", self.cubic_axis2,
                       f"must be orthogonal to cubic_axis1 = {list(self.cubic_axis1)} (cos of "
                       f"their angle = {cos:.3g}; allowed |cos| <= 1e-6)")])
        return self

    @property
    def magnetic(self) -> bool:
        return self.Ms > 0

    def to_material(self, name: str) -> Material:
        """The :class:`~spintorque.materials.Material` these parameters describe."""
        axis = np.asarray(self.axis, float)
        axis = axis / np.abs(axis).max()  # scale first: a huge axis must not overflow the norm
        kw = self.model_dump()
        kw["axis"] = tuple(axis)
        for key in ("cubic_axis1", "cubic_axis2"):  # scaled like axis
            vec = np.asarray(kw[key], float)
            kw[key] = tuple(vec / np.abs(vec).max())
        kw["lambda_sf"] = math.inf if self.lambda_sf is None else self.lambda_sf
        return Material(name=name, **kw)


# -- applied field ---------------------------------------------------------------------------------


class SineField(SchemaModel):
    """``time = { kind = "sine", ... }``: adds amplitude * sin(2 pi frequency t + phase)."""

    kind: Literal["sine"] = Field(description='"sine"')
    amplitude: Field3 = Field(description="amplitude mu0*H [T], each within ±1e6")
    frequency: _bounded(Positive, bounds.FREQUENCY) = Field(
        description="frequency [Hz], > 0 and <= 1e15"
    )
    phase: Float = Field(0.0, description="phase [rad]")

    def value(self, t: float) -> np.ndarray:
        """Time-dependent part of mu0*H [T] at time ``t`` [s], shape (3,)."""
        return np.asarray(self.amplitude) * math.sin(2 * math.pi * self.frequency * t + self.phase)


class PulseField(SchemaModel):
    """``time = { kind = "pulse", ... }``: adds amplitude while start <= t < stop."""

    kind: Literal["pulse"] = Field(description='"pulse"')
    amplitude: Field3 = Field(description="pulse field mu0*H [T], each within ±1e6")
    start: Float = Field(0.0, ge=0, description="switch-on time [s], >= 0")
    stop: Float = Field(description="switch-off time [s], > start")

    @model_validator(mode="after")
    def _order(self) -> PulseField:
        if not self.stop > self.start:
            raise_if([("stop", self.stop, f"must be > start = {self.start!r} s")])
        return self

    def value(self, t: float) -> np.ndarray:
        """Time-dependent part of mu0*H [T] at time ``t`` [s], shape (3,)."""
        on = self.start <= t < self.stop
        return np.asarray(self.amplitude) * (1.0 if on else 0.0)


class RampField(SchemaModel):
    """``time = { kind = "ramp", ... }``: adds rate * (t - start) from start, held after stop."""

    kind: Literal["ramp"] = Field(description='"ramp"')
    rate: Vec3 = Field(description="ramp rate d(mu0*H)/dt [T/s]")
    start: Float = Field(0.0, ge=0, description="ramp start [s], >= 0")
    stop: Float | None = Field(None, description="ramp end [s], > start; omitted = never")

    @model_validator(mode="after")
    def _order(self) -> RampField:
        if self.stop is not None and not self.stop > self.start:
            raise_if([("stop", self.stop, f"must be > start = {self.start!r} s")])
        return self

    def value(self, t: float) -> np.ndarray:
        """Time-dependent part of mu0*H [T] at time ``t`` [s], shape (3,)."""
        end = t if self.stop is None else min(t, self.stop)
        return np.asarray(self.rate) * max(end - self.start, 0.0)


TimeDependence = Annotated[SineField | PulseField | RampField, Field(discriminator="kind")]


class FieldConfig(SchemaModel):
    """``[field]``: applied field mu0*H [T] = B + time part (uniform) + per_region (static)."""

    B: Field3 = Field(
        (0.0, 0.0, 0.0), description="uniform applied field mu0*H [T], each within ±1e6"
    )
    per_region: dict[Name, Field3] = Field(
        default_factory=dict, description="extra static field [T] per layer name, each within ±1e6"
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


class DemagConfig(SchemaModel):
    """``[demag]``: stray field by FFT convolution with the Newell tensor."""

    enabled: Bool = Field(True, description="include the stray field (true/false)")


class ExchangeConfig(SchemaModel):
    """``[exchange]``."""

    interregion_scale: Float = Field(
        1.0, ge=0, description="scale of exchange across touching magnetic layers [1], >= 0"
    )
    pair: list[ExchangePairConfig] = Field(
        default_factory=list, max_length=1000,
        description="[[exchange.pair]] tables: face stiffness A [J/m] between two touching layers"
    )


class TransportConfig(SchemaModel):
    """``[transport]``: spin accumulation model and the current driving it."""

    model: TransportModelName = Field(NO_TRANSPORT, description=transport_model_help())
    current_density: _bounded(CurrentDensity, bounds.CURRENT_DENSITY) = Field(
        0.0, description="charge current density [A/m^2]: a number is along +z (bottom -> top "
        "layer), a 3-vector is the uniform current density (e.g. in-plane for muMAG SP5); each "
        "within ±1e15"
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
    predict_order: Literal[1, 2] = Field(
        1, description="with one transport solve per step (run.transport_update 'step' or "
        "'accepted'), the degree of the extrapolation in time that predicts s between solves: "
        "1 (linear, from the last two solves) or 2 (quadratic, from the last three; pair it "
        "with rtol <= 1e-4, docs/performance.md)"
    )


class ZhangLiConfig(SchemaModel):
    """``[torque.zhang_li]``: current-in-plane (local) spin-transfer torque."""

    current_density: _bounded(Vec3, bounds.CURRENT_DENSITY) | None = Field(
        None, description="current density vector [A/m^2], each within ±1e15; omitted only "
        "with [current] (then the solved current of every cell)"
    )
    P: Float = Field(1.0, ge=-1, le=1, description="spin polarization [1], [-1, 1]")
    xi: Float = Field(0.0, description="non-adiabaticity [1]")
    convention: Literal["mumax3", "oommf"] = Field(
        "mumax3",
        description="'mumax3' divides u by 1+xi^2; 'oommf' does not (muMAG SP5 specification)",
    )


class SlonczewskiConfig(SchemaModel):
    """``[torque.slonczewski]``: fixed-polarizer torque, current along z."""

    current_density: _bounded(Float, bounds.CURRENT_DENSITY) | None = Field(
        None, description="current density [A/m^2] through the free layer, within ±1e15; "
        "positive: electrons flow from the fixed layer into the free layer (OOMMF's sign); "
        "omitted only with [current] (then the solved j_z of every cell, signed by fixed_layer)"
    )
    fixed_layer: Literal["below", "above"] | None = Field(
        None, description="with [current]: where the fixed layer sits along z ('below': "
        "conventional current along +z carries electrons from the free into the fixed layer, "
        "J = -j_z; 'above': J = +j_z); required with [current], not allowed without"
    )
    p: Nonzero3 = Field(description="polarizer direction, nonzero 3-vector (normalized)")
    P: Float = Field(0.5669, ge=-1, le=1, description="spin polarization [1], [-1, 1]")
    Lambda: Positive = Field(1.0, description="asymmetry parameter [1], > 0")
    eps_prime: Float = Field(0.0, description="secondary spin-torque parameter [1]")
    region: Name | None = Field(None, description="magnetic layer it acts on; default: all")
    thickness: _bounded(Positive, bounds.LENGTH) | None = Field(
        None, description="free-layer thickness [m], 1e-12 to 1; default: by thickness_convention"
    )
    thickness_convention: Literal["layer", "cell"] = Field(
        "layer", description="without thickness: 'layer' (z extent of the region, mumax3) or "
        "'cell' (the cell size along z, OOMMF's Oxs_SpinXferEvolve)"
    )


class TorqueConfig(SchemaModel):
    """``[torque]``: local spin-transfer torques (no spin accumulation)."""

    zhang_li: ZhangLiConfig | None = None
    slonczewski: SlonczewskiConfig | None = None


# -- relaxation and run ----------------------------------------------------------------------------


class RelaxConfig(SchemaModel):
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


#: ``[run] table_format`` values: ``table.tsv`` and mumax3's ``table.txt``
#: (:mod:`spintorque.io.ubermag_table`)
TableFormatName = Literal["tsv", "mumax3"]


class RunParams(SchemaModel):
    """``[run]``: time integration and outputs."""

    duration: _bounded(Float, bounds.DURATION) = Field(
        ge=0, description="simulated time after relaxation [s], 0 to 1"
    )
    output_every: Positive = Field(description="table row interval [s], > 0")
    integrator: IntegratorName = Field(DEFAULT_INTEGRATOR, description=integrator_help())
    rtol: Annotated[Positive, Field(lt=1)] | None = Field(
        None, description=f"{adaptive_names()} relative (and absolute) tolerance [1], (0, 1); "
        "default: the scheme's own (rk45 3e-6, rk43 1e-5)"
    )
    dt: Positive = Field(
        1e-13, description=f"step [s] of fixed-step schemes, {DEFAULT_INTEGRATOR}'s first step"
    )
    dt_max: Positive | None = Field(
        None, description=f"{adaptive_names()}'s largest step [s], > 0 (or none)"
    )
    alpha: _bounded(Float, bounds.ALPHA) | None = Field(
        None, ge=0, description="damping override for the run [1], 0 to 1e3"
    )
    transport_update: TransportUpdate = Field(None, description=transport_update_help())
    snapshot_every: Positive | None = Field(None, description="OVF snapshot interval [s], > 0")
    table_format: list[TableFormatName] = Field(
        ["tsv"], min_length=1, description="tables written: 'tsv' (table.tsv, always written) "
        "and 'mumax3' (table.txt, mumax3's layout that ubermagtable reads)"
    )
    vtk: Bool = Field(
        False, description="also write each OVF snapshot as VTK image data (m_NNNNNN.vti, "
        "relaxed.vti, final.vti) and the series m.pvd for ParaView; needs pyvista"
    )
    checkpoint_every: Positive = Field(
        60.0, description="wall-clock time between checkpoints [s], > 0"
    )
    precision: Literal["float64", "float32"] = Field(
        "float64", description="precision of the stray field's FFT convolution: 'float64' "
        "(default) or 'float32' (single-precision transforms; m, the integrator and the other "
        "terms stay float64)"
    )
    threads: Int = Field(
        1, ge=1, le=1024, description="compute threads of the run: FFTW threads of the stray "
        "field (BLAS pools stay at 1), 1 to 1024"
    )

    @model_validator(mode="after")
    def _transport_update_is_supported(self) -> RunParams:
        # e.g. "accepted" solves after an error test: only the adaptive schemes have one
        # (checked before relaxing)
        update = self.transport_update
        if update is not None and update not in integrator_spec(self.integrator).transport_updates:
            able = [s.name for s in INTEGRATORS.values() if update in s.transport_updates]
            raise_if([("transport_update", update,
                        f"needs integrator {either(able)} (integrator = {self.integrator!r})")])
        return self
