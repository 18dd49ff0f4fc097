"""Time integrators for the LLG, registered by name.

Every integrator implements ``step(t, m) -> (t_new, m_new)``, ``advance(t0, m, t1) -> m`` (landing
exactly on t1), ``dt`` [s], ``stats`` (steps, rejected, evaluations) and
``state_dict()/load_state_dict()`` with plain numbers for checkpoints, and ``reset()`` to drop
cached stages after the problem was changed between steps (rk45's FSAL stage).

- ``rk45``: adaptive Dormand-Prince 5(4), FSAL, |m| = 1 projection (:mod:`.rk45`)
- ``rk43``: adaptive classical RK4 with an embedded 3rd-order FSAL estimate (:mod:`.rk45`):
  4 evaluations per step and a larger stability interval, for stability-bound runs
- ``gspm``: Gauss-Seidel projection method, implicit exchange, fixed dt (:mod:`.gspm`)
- ``euler``, ``rk4``: fixed-step references for order tests (:mod:`.fixed`)
"""

from __future__ import annotations

from typing import Any

from ..llg import LLG
from .base import IntegrationError
from .fixed import RK4, Euler
from .gspm import GSPM
from .rk45 import RK43, RK45

INTEGRATORS: dict[str, type] = {
    "rk45": RK45, "rk43": RK43, "gspm": GSPM, "euler": Euler, "rk4": RK4,
}


def make_integrator(name: str, llg: LLG, **options: Any):
    """Build the integrator called ``name`` for ``llg`` with scheme-specific ``options``.

    Unknown names or options raise ValueError naming what is allowed.
    """
    if name not in INTEGRATORS:
        raise ValueError(f"integrator = {name!r}: unknown; allowed: {sorted(INTEGRATORS)}")
    cls = INTEGRATORS[name]
    try:
        return cls(llg, **options)
    except TypeError as exc:
        import inspect

        params = inspect.signature(cls.__init__).parameters
        allowed = [p for p in params if p not in ("self", "llg")]
        raise ValueError(
            f"integrator {name!r}: bad options {sorted(options)} ({exc}); allowed: {allowed}"
        ) from None


__all__ = [
    "GSPM", "INTEGRATORS", "RK4", "RK43", "RK45", "Euler", "IntegrationError", "make_integrator",
]
