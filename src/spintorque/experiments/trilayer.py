"""The trilayer switching experiment of the talk (docs/theory/switching.md, device) as one object.

FM1 / spacer / FM2 stacked along z, in-plane 128 × 64 nm, the current density j along +z (from
FM1 to FM2). FM1 starts random (seeded), FM2 uniform along +x. Protocol: relax at zero current,
switch the current on, integrate until the state has settled or the time limit is reached, then
classify each layer's final state.

:class:`TrilayerExperiment` holds all of that; :meth:`TrilayerExperiment.to_config` writes the
run config (the schema of docs/config.md, validated by :mod:`spintorque.config`) for one
current density; :func:`preset` gives the named presets ``quick`` and ``full``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ..constants import GAMMA0, HBAR, MU0
from ..dynamics.integrators.registry import (
    DEFAULT_INTEGRATOR,
    INTEGRATORS,
    integrator_spec,
    transport_update_names,
)
from ..problem import Problem, Relaxation, Stepping
from ..transport.coupling import MODES as TRANSPORT_MODES
from ..transport.models import TRANSPORT_MODELS

#: Transport parameters of the magnum.fe trilayer example shared by both sets
#: (docs/theory/parameters.md, the magnum.fe parameter set).
_CU = {"Ms": 0.0, "D0": 5e-3, "lambda_sf": 10e-9}

#: The magnum.fe FM parameters without the s-d coupling (docs/theory/parameters.md, the magnum.fe
#: parameter set); the sets below add the coupling in three ways.
_MAGNUMFE_FM = {"Ms": 8.0e5, "A": 1.3e-11, "Ku": 500.0, "axis": [1.0, 0.0, 0.0], "alpha": 0.02,
                "D0": 1e-3, "beta": 0.9, "beta_prime": 0.8, "lambda_sf": 10e-9}


def _j_sd_from_lambda_j(lambda_j: float, d0: float) -> float:
    """J_sd [J] = 2 hbar D0 / lambda_J^2 (docs/theory/parameters.md, the s-d coupling)."""
    return 2.0 * HBAR * d0 / lambda_j**2


def _j_sd_from_c(c_sd: float, ms: float, gamma0: float = GAMMA0) -> float:
    """J_sd [J] = c hbar gamma0 Ms / mu0, the J_sd whose c is ``c_sd`` [T m/A]."""
    return c_sd * HBAR * gamma0 * ms / MU0


#: Material sets: FM parameters (SI) and the spacer's (docs/theory/parameters.md). ``magnumfe``:
#: the magnum.fe parameter set with the legacy (lambda_J = 4 nm, c = 3.125e-3 T m/A) pair as an
#: explicit override (parameters.md, the s-d coupling); ``magnumfe-consistent``: the same set with
#: one J_sd = 2 hbar D0 / lambda_J^2 at lambda_J = 4 nm (so c = 8.88e-4 T m/A, 0.28x the
#: override); ``magnumfe-consistent-c``: one J_sd whose c is magnum.fe's 3.125e-3 T m/A (so
#: lambda_J = 2.13 nm); ``co``: the Co-like set (harder, stays closer to uniform), s-d coupling
#: from one J_sd = 2 hbar D0 / lambda_J^2 with lambda_J = 4 nm (consistent pair, parameters.md, the
#: s-d coupling).
MATERIAL_SETS: dict[str, dict[str, dict[str, Any]]] = {
    "magnumfe": {
        "fm": {**_MAGNUMFE_FM, "lambda_J": 4e-9, "c_sd": 3.125e-3},
        "nm": dict(_CU),
    },
    "magnumfe-consistent": {
        "fm": {**_MAGNUMFE_FM, "J_sd": _j_sd_from_lambda_j(4e-9, _MAGNUMFE_FM["D0"])},
        "nm": dict(_CU),
    },
    "magnumfe-consistent-c": {
        "fm": {**_MAGNUMFE_FM, "J_sd": _j_sd_from_c(3.125e-3, _MAGNUMFE_FM["Ms"])},
        "nm": dict(_CU),
    },
    "co": {
        "fm": {"Ms": 1.4e6, "A": 3.0e-11, "Ku": 4.5e5, "axis": [1.0, 0.0, 0.0], "alpha": 0.02,
               "D0": 1e-3, "beta": 0.9, "beta_prime": 0.8, "lambda_sf": 10e-9,
               "J_sd": 2 * 1.054571817e-34 * 1e-3 / (4e-9) ** 2},
        "nm": dict(_CU),
    },
}

#: FM1 states the experiment offers (``TrilayerExperiment.fm1``): ``random`` (the talk's random
#: start, seeded, free) and ``pinned`` (a polarizer: uniform along +x and held there).
FM1_STATES = ("random", "pinned")

#: The pinned FM1 (``fm1 = "pinned"``): its own material ``fm1``, the FM set's parameters with a
#: uniaxial anisotropy of PINNED_KU [J/m^3] along x (mu0 H_k = 2 Ku / Ms = 25 T with the magnum.fe
#: Ms, 1000x any field in the device) and gyromagnetic ratio PINNED_GAMMA0 [m/(A s)] (the config's
#: lower bound), so that the precession about H_k (gamma0 H_k = 2e10 rad/s) stays far below the
#: free layer's rates and does not shorten the time step. The s-d coupling of ``fm1`` is set
#: explicitly to the FM set's effective lambda_J and c (c derived from J_sd would scale with
#: 1/gamma0), so the transport sees FM1 exactly as before; only its dynamics is frozen.
PINNED_KU = 1e7
PINNED_GAMMA0 = 1e3


def pinned_fm1_material(fm: dict[str, Any],
                        direction: tuple[float, float, float] = (1.0, 0.0, 0.0)
                        ) -> dict[str, Any]:
    """The material dict of a pinned FM1 built from the FM set's dict ``fm``, its anisotropy
    axis along ``direction``."""
    from ..materials import Material

    free = Material(name="fm", **{k: tuple(v) if k == "axis" else v for k, v in fm.items()})
    out = {k: v for k, v in fm.items() if k not in ("J_sd", "lambda_J", "c_sd")}
    out.update({"Ku": PINNED_KU, "axis": list(direction), "gamma0": PINNED_GAMMA0,
                "lambda_J": free.effective_lambda_J, "c_sd": free.effective_c_sd})
    return out


def experiment_models() -> tuple[str, ...]:
    """The transport models the experiment runs: every registered one (``TRANSPORT_MODELS``)."""
    return tuple(TRANSPORT_MODELS)


def experiment_integrators() -> tuple[str, ...]:
    """The integrators the experiment offers: the registered ones that are not test references
    (``IntegratorSpec.reference``)."""
    return tuple(name for name, spec in INTEGRATORS.items() if not spec.reference)


def experiment_transport_updates() -> tuple[str, ...]:
    """Every ``transport_update`` some integrator of :func:`experiment_integrators` supports."""
    return transport_update_names(INTEGRATORS[name] for name in experiment_integrators())


#: the transport models as registered when this module was imported (see
#: :func:`experiment_models` for models registered later)
MODELS = experiment_models()


def _cell3(cell: float | tuple[float, float, float]) -> tuple[float, float, float]:
    if isinstance(cell, (int, float)):
        return (float(cell),) * 3
    c = tuple(float(v) for v in cell)
    if len(c) != 3:
        raise ValueError(f"cell = {cell!r}: need one length or three lengths (dx, dy, dz) in m")
    return c  # type: ignore[return-value]


def _whole(length: float, cell: float) -> bool:
    ratio = length / cell
    return round(ratio) >= 1 and abs(ratio - round(ratio)) <= 1e-9 * max(1.0, ratio)


@dataclass(frozen=True)
class TrilayerExperiment:
    """The switching experiment: geometry, mesh, materials, model, seed, protocol.

    Lengths in m, times in s, current densities in A/m^2.

    Parameters
    ----------
    length, width : in-plane size along x and y [m] (128 nm × 64 nm)
    t_fm1, t_spacer, t_fm2 : layer thicknesses [m] (200, 20, 60 nm); FM1's is disputed
        (docs/theory/switching.md, device)
    cell : cell edge [m], one length or (dx, dy, dz); every size a whole number of cells
    materials : key of :data:`MATERIAL_SETS` (``"magnumfe"``, ``"magnumfe-consistent"``,
        ``"magnumfe-consistent-c"``, ``"co"``)
    model : transport model, a name in ``TRANSPORT_MODELS`` (``"diffusion"`` or ``"moment"``);
        ``moment_a``: a in A(M)
    seed : RNG seed of FM1's random initial state; ``fm2_initial``: FM2's initial direction
    relax_method, relax_tol [A/m], relax_max_iter : relaxation at zero current
    duration : time limit of the current run [s]; ``output_every``: table interval [s]
    integrator, dt [s], rtol : time stepping (``run`` table of the config); ``transport_rtol``:
        relative residual of each transport solve (``transport.rtol``); ``transport_update``:
        one of the integrator's ``transport_updates`` (``run.transport_update``; None: the
        integrator's default); ``integrator``: one of :func:`experiment_integrators`;
        ``dt_max`` [s]: an adaptive scheme's largest step (None: no limit; for time-step checks)
    settle_window [s], settle_tol : settled when no layer-average component moved more than
        ``settle_tol`` over the last ``settle_window`` and ``max|m x H| / Ms`` is below
        ``settle_torque`` (dimensionless); ``min_duration`` [s]: never stop before this
    P_L, P_R : spin polarizations for the TMR read-out
    fm1 : FM1's start, one of :data:`FM1_STATES`: ``"random"`` (None, the default: random with
        ``seed``, free) or ``"pinned"`` (uniform along +x, held by :data:`PINNED_KU` and
        :data:`PINNED_GAMMA0`: a polarizer; ``seed`` then plays no role)
    fm1_tilt : in-plane angle [degrees] of the pinned FM1 from +x (towards +y; None: 0), with
        ``fm1 = "pinned"`` only: a small misalignment gives the spin torque on FM2's relaxed
        state a nonzero start (exactly collinear and mirror-symmetric, it has none to grow from)
    z_refine : transport sub-cells per magnetization cell along z (None: 1), e.g. to resolve
        lambda_J and the transverse decay lengths (~5 nm) on a coarse magnetization mesh
    transport_mode : how s follows m, one of :data:`TRANSPORT_MODES` (``mode`` of
        :class:`~spintorque.transport.coupling.SpinAccumulationField`, ``transport.mode`` of the
        config): ``"quasistatic"`` (None, the default: the steady s of the current m) or
        ``"implicit"`` (time-dependent: s from 0 when the current is switched on, one implicit
        Euler step of ds/dt per evaluation time); ``"implicit"`` needs an integrator whose
        evaluations never go back in time (``IntegratorSpec.monotone_stages``: gspm)
    transport_predict : with one transport solve per step, the degree of the extrapolation in
        time that predicts s between solves (``predict_order`` of the spin accumulation,
        ``transport.predict_order`` of the config): 1 (None, the default: linear) or 2
        (quadratic; docs/performance.md, "Work-precision at 2 × 10¹² A/m²")
    precision : the stray field's FFT convolution, ``"float64"`` (None, the default) or
        ``"float32"`` (``run.precision`` of the config; docs/performance.md, "Float32");
        relaxation runs in float64 either way
    moving_threshold : if set, FM2's state is "FM2 moving" when its motion (the largest change of
        a component of its average over the last ``settle_window``, dimensionless) exceeds it,
        so the search brackets the onset of sustained motion instead of a class of a moving
        snapshot; None (default): the snapshot's class
    """

    length: float = 128e-9
    width: float = 64e-9
    t_fm1: float = 200e-9
    t_spacer: float = 20e-9
    t_fm2: float = 60e-9
    cell: float | tuple[float, float, float] = 4e-9
    materials: str = "magnumfe"
    model: str = "diffusion"
    moment_a: float = 1.0
    seed: int = 1
    fm2_initial: tuple[float, float, float] = (1.0, 0.0, 0.0)
    relax_method: str = "minimize"
    relax_tol: float = 1.0
    relax_max_iter: int = 20000
    duration: float = 2e-9
    output_every: float = 10e-12
    integrator: str = DEFAULT_INTEGRATOR
    dt: float = 1e-13
    rtol: float = 1e-5
    transport_rtol: float = 1e-6
    transport_update: str | None = None
    dt_max: float | None = None
    settle_window: float = 0.3e-9
    settle_tol: float = 2e-3
    settle_torque: float = 1e-2
    min_duration: float = 0.5e-9
    demag: bool = True
    P_L: float = 0.5
    P_R: float = 0.5
    moving_threshold: float | None = None
    fm1: str | None = None
    fm1_tilt: float | None = None
    z_refine: int | None = None
    transport_mode: str | None = None
    precision: str | None = None
    transport_predict: int | None = None
    extra: dict = field(default_factory=dict)  # free-form notes kept with the results

    def __post_init__(self) -> None:
        cell = _cell3(self.cell)
        object.__setattr__(self, "cell", cell)
        if self.fm1 == "random":  # the default, stored as None: digests of existing sweeps hold
            object.__setattr__(self, "fm1", None)
        if self.transport_mode == "quasistatic":  # the default, stored as None (digests hold)
            object.__setattr__(self, "transport_mode", None)
        if self.transport_predict == 1:  # the default, stored as None (digests hold)
            object.__setattr__(self, "transport_predict", None)
        if self.transport_predict not in (None, 2):
            raise ValueError(f"TrilayerExperiment.transport_predict = {self.transport_predict!r}"
                             "; allowed: 1, 2")
        if self.precision == "float64":  # the default, stored as None (digests hold)
            object.__setattr__(self, "precision", None)
        if self.precision not in (None, "float32"):
            raise ValueError(f"TrilayerExperiment.precision = {self.precision!r}; allowed: "
                             "'float64', 'float32'")
        if self.transport_mode is not None and self.transport_mode not in TRANSPORT_MODES:
            raise ValueError(f"TrilayerExperiment.transport_mode = {self.transport_mode!r}; "
                             "allowed: " + ", ".join(map(repr, TRANSPORT_MODES)))
        if self.fm1 is not None and self.fm1 not in FM1_STATES:
            raise ValueError(f"TrilayerExperiment.fm1 = {self.fm1!r}; allowed: "
                             + ", ".join(map(repr, FM1_STATES)))
        if self.fm1_tilt is not None and not (
                isinstance(self.fm1_tilt, (int, float)) and math.isfinite(self.fm1_tilt)
                and -90 < self.fm1_tilt < 90 and self.fm1 == "pinned"):
            raise ValueError(f"TrilayerExperiment.fm1_tilt = {self.fm1_tilt!r} must be an angle "
                             "in (-90, 90) degrees, with fm1 = 'pinned' only")
        if self.z_refine is not None and not (
                isinstance(self.z_refine, int) and not isinstance(self.z_refine, bool)
                and 1 <= self.z_refine <= 16):
            raise ValueError(f"TrilayerExperiment.z_refine = {self.z_refine!r} must be an "
                             "integer from 1 to 16 or None")
        object.__setattr__(self, "fm2_initial", tuple(float(v) for v in self.fm2_initial))
        for key in ("length", "width", "t_fm1", "t_spacer", "t_fm2", "duration", "output_every",
                    "dt", "rtol", "transport_rtol", "settle_window", "settle_tol", "settle_torque",
                    "relax_tol"):
            value = getattr(self, key)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"TrilayerExperiment.{key} = {value!r} must be positive, finite")
        if not (math.isfinite(self.min_duration) and 0 <= self.min_duration):
            raise ValueError(
                f"TrilayerExperiment.min_duration = {self.min_duration!r} must be >= 0"
            )
        if any(not (math.isfinite(c) and c > 0) for c in cell):
            raise ValueError(f"TrilayerExperiment.cell = {self.cell!r} must be positive lengths")
        for key, a in (("length", 0), ("width", 1)):
            if not _whole(getattr(self, key), cell[a]):
                raise ValueError(f"TrilayerExperiment.{key} = {getattr(self, key)!r} m is not a "
                                 f"whole number of cells of {cell[a]!r} m")
        for key in ("t_fm1", "t_spacer", "t_fm2"):
            if not _whole(getattr(self, key), cell[2]):
                raise ValueError(f"TrilayerExperiment.{key} = {getattr(self, key)!r} m is not a "
                                 f"whole number of cells of dz = {cell[2]!r} m")
        if self.materials not in MATERIAL_SETS:
            raise ValueError(f"TrilayerExperiment.materials = {self.materials!r}; allowed: "
                             f"{sorted(MATERIAL_SETS)}")
        if self.model not in experiment_models():
            raise ValueError(f"TrilayerExperiment.model = {self.model!r}; "
                             f"allowed: {experiment_models()}")
        if self.relax_method not in ("minimize", "llg"):
            raise ValueError(f"TrilayerExperiment.relax_method = {self.relax_method!r}; "
                             "allowed: 'minimize', 'llg'")
        if self.integrator not in experiment_integrators():
            raise ValueError(f"TrilayerExperiment.integrator = {self.integrator!r}; allowed: "
                             + ", ".join(map(repr, experiment_integrators())))
        if self.dt_max is not None and not (isinstance(self.dt_max, (int, float))
                                            and math.isfinite(self.dt_max) and self.dt_max > 0):
            raise ValueError(f"TrilayerExperiment.dt_max = {self.dt_max!r} must be positive, "
                             "finite or None")
        if self.moving_threshold is not None and not (
                isinstance(self.moving_threshold, (int, float))
                and math.isfinite(self.moving_threshold) and self.moving_threshold >= 0):
            raise ValueError(f"TrilayerExperiment.moving_threshold = {self.moving_threshold!r} "
                             "must be >= 0, finite or None")
        updates = experiment_transport_updates()
        if self.transport_update is not None and self.transport_update not in updates:
            raise ValueError(f"TrilayerExperiment.transport_update = {self.transport_update!r}; "
                             "allowed: " + ", ".join(map(repr, (None, *updates))))
        spec = integrator_spec(self.integrator)
        if self.transport_update is not None and (
                self.transport_update not in spec.transport_updates):
            able = [name for name in experiment_integrators()
                    if self.transport_update in INTEGRATORS[name].transport_updates]
            raise ValueError(f"TrilayerExperiment.transport_update = {self.transport_update!r} "
                             f"needs integrator {' or '.join(map(repr, able))} "
                             f"(integrator = {self.integrator!r})")
        if self.transport_mode == "implicit" and not spec.monotone_stages:
            able = [name for name in experiment_integrators()
                    if INTEGRATORS[name].monotone_stages]
            raise ValueError(f"TrilayerExperiment.transport_mode = 'implicit' needs integrator "
                             f"{' or '.join(map(repr, able))} (integrator = "
                             f"{self.integrator!r}): the time-dependent s is stepped forward "
                             "between evaluation times, which Runge-Kutta stages revisit")
        if not (isinstance(self.seed, int) and self.seed >= 0):
            raise ValueError(f"TrilayerExperiment.seed = {self.seed!r} must be an integer >= 0")
        if not any(self.fm2_initial) or len(self.fm2_initial) != 3:
            raise ValueError(f"TrilayerExperiment.fm2_initial = {self.fm2_initial!r} must be a "
                             "nonzero 3-vector")
        for key in ("P_L", "P_R"):
            if not 0 <= getattr(self, key) < 1:
                raise ValueError(f"TrilayerExperiment.{key} = {getattr(self, key)!r} must lie "
                                 "in [0, 1)")

    # -- derived ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int, int]:
        """Grid cells (nx, ny, nz)."""
        c = self.cell
        nz = sum(round(t / c[2]) for t in (self.t_fm1, self.t_spacer, self.t_fm2))
        return round(self.length / c[0]), round(self.width / c[1]), nz

    @property
    def pinned(self) -> bool:
        """FM1 is a pinned polarizer (``fm1 = "pinned"``)."""
        return self.fm1 == "pinned"

    @property
    def fm1_direction(self) -> tuple[float, float, float]:
        """The pinned FM1's direction: +x turned by ``fm1_tilt`` in-plane."""
        a = math.radians(self.fm1_tilt or 0.0)
        return (math.cos(a), math.sin(a), 0.0)

    def _materials(self) -> dict[str, dict[str, Any]]:
        """Material dicts by key: ``fm``, ``nm`` and, with a pinned FM1, ``fm1``."""
        mats = MATERIAL_SETS[self.materials]
        out = {"fm": dict(mats["fm"]), "nm": dict(mats["nm"])}
        if self.pinned:
            out["fm1"] = pinned_fm1_material(mats["fm"], self.fm1_direction)
        return out

    def _fm1_initial(self) -> dict[str, Any]:
        return ({"uniform": list(self.fm1_direction)} if self.pinned
                else {"random": {"seed": self.seed}})

    def with_(self, **changes: Any) -> TrilayerExperiment:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain JSON-friendly dict (round-trips through :meth:`from_dict`). Optional fields left
        at None are omitted, so adding one keeps the digests (and stored sweeps) of existing
        experiments valid."""
        d = {key: value for key, value in asdict(self).items() if value is not None}
        d["cell"] = list(self.cell)
        d["fm2_initial"] = list(self.fm2_initial)
        return d

    @classmethod
    def from_dict(cls, data: dict) -> TrilayerExperiment:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"TrilayerExperiment: unknown fields {sorted(unknown)}; "
                             f"allowed: {sorted(known)}")
        d = dict(data)
        if isinstance(d.get("cell"), list):
            d["cell"] = tuple(d["cell"])
        if isinstance(d.get("fm2_initial"), list):
            d["fm2_initial"] = tuple(d["fm2_initial"])
        return cls(**d)

    def digest(self, *, relax_only: bool = False) -> str:
        """Short hash of the parameters; ``relax_only``: of those the relaxed state depends on
        (geometry, mesh, magnetic parameters, seed, relaxation), not model or run settings."""
        d = self.to_dict()
        d.pop("extra")
        if relax_only:
            for key in ("model", "moment_a", "duration", "output_every", "integrator", "dt",
                        "rtol", "transport_rtol", "transport_update", "dt_max", "settle_window",
                        "settle_tol", "settle_torque", "min_duration",
                        "P_L", "P_R", "moving_threshold", "z_refine", "transport_mode", "precision",
                        "transport_predict"):
                d.pop(key, None)
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]

    # -- the run config --------------------------------------------------------------------
    def to_config(self, current_density: float, *, relax: bool = True,
                  duration: float | None = None) -> dict:
        """The run config (dict in the TOML schema of ``spintorque.config``) for one current.

        ``current_density`` [A/m^2] along +z, i.e. from FM1 to FM2 (positive: conventional current
        flows from FM1 to FM2). ``relax``: include the zero-current relaxation (the driver relaxes
        without transport and Zeeman terms). ``duration`` [s] overrides the time limit.
        """
        j = float(current_density)
        if not math.isfinite(j):
            raise ValueError(f"current_density = {current_density!r} A/m^2 must be finite")
        mats = self._materials()
        fm1_key = "fm1" if self.pinned else "fm"
        c = self.cell
        return {
            "title": f"trilayer switching, {self.model} model, j = {j:.6g} A/m^2",
            "mesh": {"cell": list(c),
                     "size": [self.length, self.width, self.t_fm1 + self.t_spacer + self.t_fm2]},
            "layer": [
                {"name": "FM1", "thickness": self.t_fm1, "material": fm1_key,
                 "initial": self._fm1_initial()},
                {"name": "spacer", "thickness": self.t_spacer, "material": "nm"},
                {"name": "FM2", "thickness": self.t_fm2, "material": "fm",
                 "initial": {"uniform": list(self.fm2_initial)}},
            ],
            "material": mats,
            "demag": {"enabled": bool(self.demag)},
            "transport": {"model": self.model, "current_density": j,
                          "moment_a": float(self.moment_a),
                          "rtol": float(self.transport_rtol),
                          **({"z_refine": int(self.z_refine)} if self.z_refine else {}),
                          **({"mode": self.transport_mode} if self.transport_mode else {}),
                          **({"predict_order": 2} if self.transport_predict else {})},
            "relax": {"enabled": bool(relax), "method": self.relax_method,
                      "tol": float(self.relax_tol), "max_iter": int(self.relax_max_iter)},
            "run": {"duration": float(self.duration if duration is None else duration),
                    "output_every": float(self.output_every), "integrator": self.integrator,
                    "rtol": float(self.rtol), "dt": float(self.dt),
                    **({"transport_update": self.transport_update}
                       if self.transport_update else {}),
                    **({"dt_max": float(self.dt_max)} if self.dt_max is not None else {}),
                    **({"precision": self.precision} if self.precision else {})},
        }

    # -- the problem -----------------------------------------------------------------------
    def relaxation(self) -> Relaxation:
        """The zero-current relaxation (method, tolerance [A/m], iteration limit)."""
        return Relaxation(self.relax_method, tol=float(self.relax_tol),
                          max_iter=int(self.relax_max_iter))

    def problem(self, current_density: float) -> Problem:
        """The :class:`~spintorque.problem.Problem` of one current density [A/m², FM1 → FM2],
        built from the experiment's own (validated) fields: FM1 random (``seed``), FM2 uniform
        (``fm2_initial``), exchange, anisotropy, stray field, the spin accumulation of ``model``
        as the drive, the experiment's stepping and relaxation. The same problem as
        :meth:`to_config` describes."""
        from ..fields.anisotropy import UniaxialAnisotropy
        from ..fields.demag import Demag
        from ..fields.exchange import Exchange
        from ..initial import combine, random, uniform
        from ..materials import Material, Sample
        from ..transport.coupling import SpinAccumulationField

        j = float(current_density)
        if not math.isfinite(j):
            raise ValueError(f"current_density = {current_density!r} A/m^2 must be finite")
        mats = {key: Material(name=key, **{k: tuple(v) if k == "axis" else v
                                           for k, v in value.items()})
                for key, value in self._materials().items()}
        fm, nm = mats["fm"], mats["nm"]
        fm1 = mats.get("fm1", fm)
        nx, ny, _ = self.shape
        sample = Sample.stack((nx, ny), _cell3(self.cell), [
            ("FM1", self.t_fm1, fm1), ("spacer", self.t_spacer, nm), ("FM2", self.t_fm2, fm)])
        start1 = (uniform(sample, "FM1", self.fm1_direction) if self.pinned
                  else random(sample, "FM1", self.seed))
        m0 = combine(sample, {"FM1": start1,
                              "FM2": uniform(sample, "FM2", self.fm2_initial)})
        terms: list[Any] = [Exchange(sample)]
        if fm.Ku != 0 or fm1.Ku != 0:
            terms.append(UniaxialAnisotropy(sample))
        if self.demag:
            terms.append(Demag(sample, precision=self.precision or "float64"))
        transport = SpinAccumulationField(sample, model=self.model, current_density=j,
                                          a=float(self.moment_a), rtol=float(self.transport_rtol),
                                          z_refine=int(self.z_refine or 1),
                                          mode=self.transport_mode or "quasistatic",
                                          predict_order=int(self.transport_predict or 1))
        stepping = Stepping(self.integrator, dt=float(self.dt), rtol=float(self.rtol),
                            dt_max=self.dt_max, transport_update=self.transport_update)
        return Problem(sample, m0, terms, drives=[transport], stepping=stepping,
                       relaxation=self.relaxation(),
                       description={"experiment": self.to_dict(), "current": j})


def initial_family(exp: TrilayerExperiment) -> str:
    """FM2's initial state family as the classification names it (``"FM2 +x"`` for the default
    ``fm2_initial``): the sign and axis of the largest component of ``fm2_initial``."""
    from .classify import MINUS

    i = max(range(3), key=lambda a: abs(exp.fm2_initial[a]))
    sign = "+" if exp.fm2_initial[i] > 0 else MINUS
    return f"FM2 {sign}{'xyz'[i]}"


#: Named presets. ``quick``: 16 × 16 × 20 nm cells (3 × the exchange length in-plane: crude, but
#: a whole two-model table fits in minutes on 2 cores), 1 ns limit; ``medium``: 8 × 8 × 10 nm,
#: 0.5 ns (a few minutes per run on one core); ``full``: 4 nm cells, 2 ns (the talk's device at the
#: resolution of magnum.fe's replica, docs/theory/switching.md, critical-current search and the
#: table) with rk43 (at 4 nm the step is bounded by the exchange stability limit, where RK4 steps
#: 1.38× further than Dormand-Prince with 4 instead of 6 evaluations) solving the transport once per
#: step (at the FSAL stage, predicted at the inner stages) to a relative residual of 1e-3 (all three
#: checked against rk45 / the every-stage solve at 1e-6 in docs/results/switching.md); ``smoke``:
#: the quick mesh for 0.1 ns, for tests.
PRESETS: dict[str, dict[str, Any]] = {
    "quick": {"cell": (16e-9, 16e-9, 20e-9), "duration": 1e-9, "output_every": 10e-12,
              "min_duration": 0.3e-9, "settle_window": 0.2e-9},
    "medium": {"cell": (8e-9, 8e-9, 10e-9), "duration": 0.5e-9, "output_every": 20e-12,
               "min_duration": 0.3e-9, "settle_window": 0.2e-9},
    "full": {"cell": 4e-9, "duration": 2e-9, "output_every": 10e-12, "integrator": "rk43",
             "transport_update": "step", "transport_rtol": 1e-3},
    "smoke": {"cell": (16e-9, 16e-9, 20e-9), "duration": 0.1e-9, "output_every": 10e-12,
              "min_duration": 0.1e-9},
}


def preset(name: str, **overrides: Any) -> TrilayerExperiment:
    """The named preset (``quick``, ``medium``, ``full``, ``smoke``) with field overrides."""
    if name not in PRESETS:
        raise ValueError(f"preset = {name!r}; allowed: {sorted(PRESETS)}")
    return TrilayerExperiment(**{**PRESETS[name], **overrides})
