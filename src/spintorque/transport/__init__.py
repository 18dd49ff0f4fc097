"""Spin transport: spin accumulation s [A/m] solved self-consistently with m, and its torque.

``SpinAccumulationField`` is the field term c·s/mu0 coupling s to the LLG; ``DiffusionModel``
(Zhang-Levy-Fert) and ``MomentModel`` (A(m)^-T fluxes) assemble the finite-volume system of
:mod:`.fv`; ``TransportSolver`` solves it (quasi-static or implicit Euler). The local Zhang-Li
and Slonczewski torques are in :mod:`spintorque.dynamics.torques`. :mod:`.models` registers the
models by name (:data:`TRANSPORT_MODELS`); the classes are imported on first use, so that reading
the registry (config validation) compiles no kernel.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .models import (
    TRANSPORT_MODELS,
    TransportModelSpec,
    register_transport_model,
    transport_model,
)

if TYPE_CHECKING:
    from .coupling import SpinAccumulationField
    from .diffusion import DiffusionModel
    from .moment import MomentModel
    from .solver import TransportSolver

_LAZY = {"SpinAccumulationField": ".coupling", "DiffusionModel": ".diffusion",
         "MomentModel": ".moment", "TransportSolver": ".solver"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "TRANSPORT_MODELS", "DiffusionModel", "MomentModel", "SpinAccumulationField",
    "TransportModelSpec", "TransportSolver", "register_transport_model", "transport_model",
]
