"""The integrator registry: the one place that knows which time integrators exist.

Everything that names an integrator reads it from here: :func:`make_integrator`, the config
schema (``run.integrator``, ``run.transport_update``), the experiment CLIs' choices, the trilayer
experiment's checks and the memory estimate (:attr:`IntegratorSpec.state_arrays`). Adding an
integrator means one :class:`IntegratorSpec` (an entry in :data:`INTEGRATORS` below, or a
:func:`register_integrator` call in its own module) plus its test;
``tests/unit/test_registries.py`` checks that every entry agrees with what its class accepts.

This module imports nothing heavy (no numpy, no numba): a spec's ``factory`` may be the import
path ``"package.module:Class"``, resolved only when an integrator is built, so that validating a
config does not compile any kernel.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ...io.errors import UserError

__all__ = [
    "ADAPTIVE_TRANSPORT_UPDATES",
    "DEFAULT_INTEGRATOR",
    "INTEGRATORS",
    "PREDICTING_TRANSPORT_UPDATES",
    "SOLVE_AFTER_ACCEPTANCE",
    "TRANSPORT_UPDATES",
    "IntegratorSpec",
    "integrator_options",
    "integrator_spec",
    "make_integrator",
    "register_integrator",
    "transport_update_names",
]

#: ``transport_update`` modes: "evaluation" solves s at every field evaluation, "step" once per
#: step (predicted in between)
TRANSPORT_UPDATES = ("step", "evaluation")
#: adaptive Runge-Kutta schemes also take "accepted": one solve per accepted step, after the
#: error test on the predicted s, and "corrected": the same with the step corrected by the
#: prediction error that solve measures
ADAPTIVE_TRANSPORT_UPDATES = (*TRANSPORT_UPDATES, "accepted", "corrected")
#: the modes that solve s once an adaptive step has passed its error test
SOLVE_AFTER_ACCEPTANCE = ("accepted", "corrected")
#: the modes whose evaluations predict s between solves (``TransportHold``)
PREDICTING_TRANSPORT_UPDATES = ("step", *SOLVE_AFTER_ACCEPTANCE)


def _resolve(ref: str) -> Callable[..., Any]:
    module, _, attr = ref.partition(":")
    if not module or not attr:
        raise ValueError(f"factory = {ref!r}: need 'package.module:attribute'")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class IntegratorSpec:
    """What the program needs to know about one time integrator.

    Attributes
    ----------
    name : the name used in configs, on the command line and in checkpoints
    factory : the class (or callable) called as ``factory(llg, **options)``, or its import path
        ``"package.module:Class"`` (imported on first use; see :attr:`target`)
    adaptive : True for schemes with error control (take ``rtol``/``atol``/``dt_max``; no
        fixed-step limit on ``duration / dt``)
    transport_updates : the ``transport_update`` modes the scheme supports (how often a coupled
        spin accumulation is solved); a scheme without a ``transport_update`` option lists the
        one it does implicitly
    default_transport_update : the mode it uses when none is given
    state_arrays : grid-sized vector arrays (3 float64 per cell) the scheme keeps at its peak,
        for the memory estimate (:mod:`spintorque.io.memory`)
    summary : one line for CLI help and docs
    options : the keyword options ``factory`` accepts besides ``llg``
    reference : a reference scheme for tests (temporal order): accepted by the config, not
        offered by the experiments' ``--integrator`` choices
    monotone_stages : its evaluations within a step never go back in time, so a time-dependent
        spin accumulation (``transport.mode = "implicit"``) can be stepped between them (Runge-
        Kutta stages revisit earlier times)
    stochastic : it draws the stochastic field terms (the thermal field) once per step and
        converges to the Stratonovich solution; only such schemes take a problem with T > 0
    """

    name: str
    factory: Callable[..., Any] | str
    adaptive: bool
    transport_updates: tuple[str, ...]
    default_transport_update: str
    state_arrays: int
    summary: str
    options: tuple[str, ...]
    reference: bool = False
    monotone_stages: bool = False
    stochastic: bool = False

    def __post_init__(self) -> None:
        for key in ("transport_updates", "options"):
            object.__setattr__(self, key, tuple(getattr(self, key)))
        if not (isinstance(self.name, str) and self.name):
            raise ValueError(f"IntegratorSpec.name = {self.name!r}: need a non-empty string")
        if not (callable(self.factory) or isinstance(self.factory, str)):
            raise ValueError(f"IntegratorSpec {self.name!r}: factory = {self.factory!r} is "
                             "neither callable nor an import path")
        if self.default_transport_update not in self.transport_updates:
            raise ValueError(
                f"IntegratorSpec {self.name!r}: default_transport_update = "
                f"{self.default_transport_update!r} is not in transport_updates = "
                f"{self.transport_updates}")
        if not (isinstance(self.state_arrays, int) and self.state_arrays >= 1):
            raise ValueError(f"IntegratorSpec {self.name!r}: state_arrays = "
                             f"{self.state_arrays!r}: need an integer >= 1")

    @property
    def target(self) -> Callable[..., Any]:
        """The factory itself (an import path is imported here)."""
        return _resolve(self.factory) if isinstance(self.factory, str) else self.factory

    @property
    def takes_transport_update(self) -> bool:
        """Whether ``transport_update`` is one of its options (else it is not passed)."""
        return "transport_update" in self.options


#: name -> spec, in the order the config's error messages list them
INTEGRATORS: dict[str, IntegratorSpec] = {}
#: the scheme a run uses when its config names none
DEFAULT_INTEGRATOR = "rk45"


def register_integrator(spec: IntegratorSpec, *, replace: bool = False) -> IntegratorSpec:
    """Add ``spec`` to :data:`INTEGRATORS` (ValueError if the name is taken, unless
    ``replace``); returns it. Remove an entry with ``del INTEGRATORS[name]``."""
    if not isinstance(spec, IntegratorSpec):
        raise TypeError(f"register_integrator: need an IntegratorSpec, got {spec!r}")
    if spec.name in INTEGRATORS and not replace:
        raise ValueError(f"integrator {spec.name!r} is already registered")
    INTEGRATORS[spec.name] = spec
    return spec


def _names(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names)


def integrator_spec(name: str) -> IntegratorSpec:
    """The spec registered as ``name``; :class:`UserError` naming the allowed ones otherwise."""
    spec = INTEGRATORS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise UserError(f"integrator = {name!r}: unknown; allowed: {sorted(INTEGRATORS)}")
    return spec


def transport_update_names(specs: Iterable[IntegratorSpec] | None = None) -> tuple[str, ...]:
    """Every ``transport_update`` mode some integrator supports, in order of appearance."""
    out: dict[str, None] = {}
    for spec in INTEGRATORS.values() if specs is None else specs:
        out.update(dict.fromkeys(spec.transport_updates))
    return tuple(out)


def make_integrator(name: str, llg: Any, **options: Any) -> Any:
    """Build the integrator called ``name`` for ``llg`` with scheme-specific ``options``.

    Unknown names raise :class:`UserError`, unknown options ValueError; both name what is
    allowed.
    """
    spec = integrator_spec(name)
    terms = getattr(getattr(llg, "field", None), "terms", ())
    noisy = [getattr(term, "name", "?") for term in terms
             if getattr(term, "stochastic", False) and getattr(term, "noisy", True)]
    if noisy and not spec.stochastic:
        able = [s.name for s in INTEGRATORS.values() if s.stochastic]
        raise UserError(f"integrator = {name!r} cannot integrate the stochastic {noisy} field "
                        f"(T > 0): use integrator = {' or '.join(map(repr, able))} (fixed dt)")
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise ValueError(f"integrator {name!r}: bad options {sorted(options)} (unknown: "
                         f"{unknown}); allowed: {list(spec.options)}")
    try:
        return spec.target(llg, **options)
    except TypeError as exc:
        raise ValueError(
            f"integrator {name!r}: bad options {sorted(options)} ({exc}); "
            f"allowed: {list(spec.options)}"
        ) from None


def integrator_options(
    name: str,
    *,
    dt: float | None = None,
    rtol: float | None = None,
    dt_max: float | None = None,
    transport_update: str | None = None,
) -> dict[str, Any]:
    """The run settings that integrator ``name`` takes, as options for :func:`make_integrator`.

    ``dt`` [s] goes to every scheme with a ``dt`` option; ``rtol`` (also as ``atol``) and
    ``dt_max`` [s] to adaptive schemes only; ``transport_update`` only to schemes with that
    option (the others ignore it: they have one mode). None means "the scheme's default".
    """
    spec = integrator_spec(name)
    out: dict[str, Any] = {}
    if dt is not None and "dt" in spec.options:
        out["dt"] = float(dt)
    if spec.adaptive and rtol is not None:
        for key in ("rtol", "atol"):
            if key in spec.options:
                out[key] = float(rtol)
    if spec.adaptive and dt_max is not None and "dt_max" in spec.options:
        out["dt_max"] = float(dt_max)
    if transport_update is not None and spec.takes_transport_update:
        out["transport_update"] = str(transport_update)
    return out


# -- the built-in schemes --------------------------------------------------------------------------

_RK_OPTIONS = ("rtol", "atol", "dt", "dt_min", "dt_max", "adaptive", "normalize", "safety",
               "transport_update")
_PKG = __name__.rpartition(".")[0]

for _spec in (
    # 7 stage rows (6 stages + FSAL), stage argument, candidate, last state handed out
    IntegratorSpec(
        "rk45", f"{_PKG}.rk45:RK45", adaptive=True,
        transport_updates=ADAPTIVE_TRANSPORT_UPDATES, default_transport_update="evaluation",
        state_arrays=12, options=_RK_OPTIONS,
        summary="adaptive Dormand-Prince 5(4) with FSAL"),
    # 5 stage rows (4 stages + FSAL), stage argument, candidate, last state handed out
    IntegratorSpec(
        "rk43", f"{_PKG}.rk45:RK43", adaptive=True,
        transport_updates=ADAPTIVE_TRANSPORT_UPDATES, default_transport_update="evaluation",
        state_arrays=8, options=_RK_OPTIONS,
        summary="adaptive classical RK4 with a 3rd-order FSAL estimate (stability-bound runs)"),
    # field buffer, the m*/m** copies and stacked result, scalar work arrays (documented count,
    # checked against the measured peak in tests/unit/test_config.py)
    IntegratorSpec(
        "gspm", f"{_PKG}.gspm:GSPM", adaptive=False,
        transport_updates=TRANSPORT_UPDATES, default_transport_update="step",
        state_arrays=8, options=("dt", "transport_update"), monotone_stages=True,
        summary="Gauss-Seidel projection, implicit exchange, fixed dt"),
    # 4 stages, stage argument, result, a temporary
    IntegratorSpec(
        "rk4", f"{_PKG}.fixed:RK4", adaptive=False,
        transport_updates=("evaluation",), default_transport_update="evaluation",
        state_arrays=7, options=("dt", "normalize"), reference=True,
        summary="classical RK4, fixed dt (reference for order tests)"),
    # stage, stage argument, result
    IntegratorSpec(
        "euler", f"{_PKG}.fixed:Euler", adaptive=False,
        transport_updates=("evaluation",), default_transport_update="evaluation",
        state_arrays=3, options=("dt", "normalize"), reference=True,
        summary="explicit Euler, fixed dt (reference for order tests)"),
    # two stages, the predictor, result
    IntegratorSpec(
        "heun", f"{_PKG}.heun:Heun", adaptive=False,
        transport_updates=("evaluation",), default_transport_update="evaluation",
        state_arrays=4, options=("dt", "normalize"), stochastic=True,
        summary="stochastic Heun, fixed dt (thermal field; Stratonovich, weak order 1)"),
):
    register_integrator(_spec)
del _spec
