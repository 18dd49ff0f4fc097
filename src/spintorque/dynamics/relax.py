"""Relaxation drivers: energy minimization or damped LLG at zero drive.

Both take the relaxation's LLG (the always-on terms alone) and stop when max|m × H| < tol
[A/m] or after ``max_iter`` iterations; they return the relaxed unit m and a dict with
``method``, ``converged``, ``iterations`` and ``max_torque`` [A/m].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .llg import LLG

if TYPE_CHECKING:
    from ..problem import Relaxation, Stepping

Report = Callable[[int, float, float], None]  # (iteration, energy [J], max|m x H| [A/m])


def relax(llg: LLG, m: np.ndarray, spec: Relaxation, stepping: Stepping,
          report: Report | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Relax ``m`` under ``llg.field`` with the method of ``spec`` (see the module docstring).

    ``stepping`` gives the LLG relaxation its rk45 options (first step, tolerance, largest
    step); ``report`` is called with (iteration, energy [J], max|m × H| [A/m]) as it goes.
    """
    report = report or (lambda _i, _e, _t: None)
    if spec.method == "minimize":
        return _minimize(llg, m, spec, report)
    return _damped_llg(llg, m, spec, stepping, report)


def _minimize(llg: LLG, m: np.ndarray, spec: Relaxation,
              report: Report) -> tuple[np.ndarray, dict[str, Any]]:
    from .minimize import minimize

    kwargs: dict[str, Any] = {"max_iter": int(spec.max_iter)}
    if spec.tol is not None:
        kwargs["tol"] = float(spec.tol)
    result = minimize(llg, m, callback=lambda i, _m, e, torque: report(i, e, torque), **kwargs)
    info = {"method": "minimize", "converged": bool(result.converged),
            "iterations": int(result.iterations), "max_torque": float(llg.max_torque(result.m))}
    return result.m, info


def _damped_llg(llg: LLG, m: np.ndarray, spec: Relaxation, stepping: Stepping,
                report: Report) -> tuple[np.ndarray, dict[str, Any]]:
    """rk45 at damping ``spec.alpha`` until max|m × H| < tol (tested every 20 steps)."""
    from .integrators import make_integrator

    damped = LLG(llg.sample, llg.field, alpha=float(spec.alpha))
    integ = make_integrator("rk45", damped, **stepping.options("rk45"))
    tol = 1e-1 if spec.tol is None else float(spec.tol)
    t, steps, torque = 0.0, 0, damped.max_torque(m)
    while torque > tol and steps < spec.max_iter:
        t, m = integ.step(t, m)
        steps += 1
        if steps % 20 == 0:
            torque = damped.max_torque(m)
            report(steps, damped.field.energy(m), torque)
    torque = damped.max_torque(m)
    return m, {"method": "llg", "converged": torque <= tol, "iterations": steps,
               "max_torque": torque}
