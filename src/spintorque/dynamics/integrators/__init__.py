"""Time integrators for the LLG, registered by name in :mod:`.registry`.

Every integrator implements ``step(t, m) -> (t_new, m_new)``, ``advance(t0, m, t1) -> m`` (landing
exactly on t1), ``dt`` [s], ``stats`` (steps, rejected, evaluations) and
``state_dict()/load_state_dict()`` with plain numbers for checkpoints, and ``reset()`` to drop
cached stages after the problem was changed between steps (rk45's FSAL stage).

- ``rk45``: adaptive Dormand-Prince 5(4), FSAL, |m| = 1 projection (:mod:`.rk45`)
- ``rk43``: adaptive classical RK4 with an embedded 3rd-order FSAL estimate (:mod:`.rk45`):
  4 evaluations per step and a larger stability interval, for stability-bound runs
- ``gspm``: Gauss-Seidel projection method, implicit exchange, fixed dt (:mod:`.gspm`)
- ``euler``, ``rk4``: fixed-step references for order tests (:mod:`.fixed`)
- ``heun``: stochastic Heun, fixed dt, the scheme for a thermal field (:mod:`.heun`)

:data:`INTEGRATORS` maps each name to its :class:`IntegratorSpec` (factory, adaptivity,
``transport_update`` modes, memory, options); :func:`make_integrator` builds one and
:func:`integrator_options` picks the run settings a scheme takes. The classes are imported on
first use, so that reading the registry (config validation) compiles no kernel.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .registry import (
    DEFAULT_INTEGRATOR,
    INTEGRATORS,
    IntegratorSpec,
    integrator_options,
    integrator_spec,
    make_integrator,
    register_integrator,
    transport_update_names,
)

if TYPE_CHECKING:
    from .base import IntegrationError
    from .fixed import RK4, Euler
    from .gspm import GSPM
    from .heun import Heun
    from .rk45 import RK43, RK45

_LAZY = {"IntegrationError": ".base", "Euler": ".fixed", "RK4": ".fixed", "GSPM": ".gspm",
         "Heun": ".heun",
         "RK43": ".rk45", "RK45": ".rk45"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_INTEGRATOR", "GSPM", "INTEGRATORS", "RK4", "RK43", "RK45", "Euler", "Heun",
    "IntegrationError",
    "IntegratorSpec", "integrator_options", "integrator_spec", "make_integrator",
    "register_integrator", "transport_update_names",
]
