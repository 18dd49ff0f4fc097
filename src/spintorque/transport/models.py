"""The transport-model registry: the one place that knows which spin-transport models exist.

The config schema (``transport.model``), :class:`~spintorque.transport.coupling.
SpinAccumulationField`, the solver's method choice, the trilayer experiment and the switching
CLI's ``--models`` read it. ``"none"`` is not a model: it is the config's way of saying "no
transport" (:data:`NO_TRANSPORT`).

Adding a model: a class with the constructor ``(sample, current_density, *, bc, z_refine,
sign_e, **params)`` and the interface of :class:`~spintorque.transport.diffusion.DiffusionModel`,
plus one :func:`register_transport_model` call (or an entry below) and its test. This module
imports nothing heavy: ``factory`` may be an import path resolved when a model is built.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..io.errors import UserError

__all__ = [
    "NO_TRANSPORT",
    "TRANSPORT_MODELS",
    "TransportModelSpec",
    "build_transport_model",
    "register_transport_model",
    "transport_model",
]

#: the config's ``transport.model`` for "no spin transport" (not a model)
NO_TRANSPORT = "none"
#: keyword options every model's factory takes
COMMON_OPTIONS = ("bc", "z_refine", "sign_e")


@dataclass(frozen=True)
class TransportModelSpec:
    """One spin-transport model.

    Attributes
    ----------
    name : the name in configs (``transport.model``), experiments and on the command line
    summary : one line for CLI help and docs
    factory : the model class (or callable) ``factory(sample, current_density, **options)``, or
        its import path ``"package.module:Class"`` (imported on first use; see :attr:`target`)
    options : the keyword options it takes (:data:`COMMON_OPTIONS` plus its own, e.g. ``a``)
    line_method : the Krylov method :class:`~spintorque.transport.solver.TransportSolver`
        picks (``method = "auto"``) with the plain line preconditioner; with ``line_sgs`` it is
        BiCGSTAB for every model (measured in ``docs/performance.md``)
    """

    name: str
    summary: str
    factory: Callable[..., Any] | str
    options: tuple[str, ...] = COMMON_OPTIONS
    line_method: str = "bicgstab"

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(self.options))
        if not (isinstance(self.name, str) and self.name) or self.name == NO_TRANSPORT:
            raise ValueError(f"TransportModelSpec.name = {self.name!r}: need a non-empty string "
                             f"other than {NO_TRANSPORT!r}")
        if not (callable(self.factory) or isinstance(self.factory, str)):
            raise ValueError(f"TransportModelSpec {self.name!r}: factory = {self.factory!r} is "
                             "neither callable nor an import path")

    @property
    def target(self) -> Callable[..., Any]:
        """The factory itself (an import path is imported here)."""
        if not isinstance(self.factory, str):
            return self.factory
        module, _, attr = self.factory.partition(":")
        return getattr(importlib.import_module(module), attr)

    def build(self, sample: Any, current_density: float | Sequence[float] = 0.0,
              **options: Any) -> Any:
        """The model for ``sample``; ``options`` it does not take (e.g. ``a`` for the
        diffusion model) are dropped."""
        return self.target(sample, current_density,
                           **{k: v for k, v in options.items() if k in self.options})


#: name -> spec, in the order the config's error messages list them
TRANSPORT_MODELS: dict[str, TransportModelSpec] = {}


def register_transport_model(spec: TransportModelSpec, *,
                             replace: bool = False) -> TransportModelSpec:
    """Add ``spec`` to :data:`TRANSPORT_MODELS` (ValueError if the name is taken, unless
    ``replace``); returns it."""
    if not isinstance(spec, TransportModelSpec):
        raise TypeError(f"register_transport_model: need a TransportModelSpec, got {spec!r}")
    if spec.name in TRANSPORT_MODELS and not replace:
        raise ValueError(f"transport model {spec.name!r} is already registered")
    TRANSPORT_MODELS[spec.name] = spec
    return spec


def transport_model(name: str) -> TransportModelSpec:
    """The spec registered as ``name``; :class:`UserError` naming the allowed ones otherwise."""
    spec = TRANSPORT_MODELS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise UserError(f"transport model = {name!r}: unknown; allowed: {list(TRANSPORT_MODELS)}")
    return spec


def build_transport_model(name: str, sample: Any, current_density: Any = 0.0,
                          **options: Any) -> Any:
    """``transport_model(name).build(sample, current_density, **options)``."""
    return transport_model(name).build(sample, current_density, **options)


_PKG = __name__.rpartition(".")[0]
register_transport_model(TransportModelSpec(
    "diffusion", "Zhang-Levy-Fert spin diffusion", f"{_PKG}.diffusion:DiffusionModel"))
register_transport_model(TransportModelSpec(
    "moment", "the talk's moment model: ZLF fluxes times A(m)^-T, A = I + a[m]x",
    f"{_PKG}.moment:MomentModel", options=(*COMMON_OPTIONS, "a"),
    # BiCGSTAB breaks down on the rotated transverse fluxes with the plain line solve
    line_method="lgmres"))
