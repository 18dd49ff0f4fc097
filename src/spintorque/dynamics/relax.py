"""Relaxation drivers: energy minimization or damped LLG at zero drive, each ending for a
reason, resumable from a checkpoint.

Both take the relaxation's LLG (the always-on terms alone) and stop when max|m × H| < tol
[A/m] (converged), or on their documented floor, or after ``max_iter`` iterations. The record
they return (:meth:`Relaxer.info`) has ``method``, ``converged``, ``reason``, ``iterations``,
``evaluations``, ``max_torque`` [A/m] and ``energy`` [J].

``"minimize"``: Barzilai-Borwein descent (:class:`~spintorque.dynamics.minimize.Minimizer`);
its floor is a step that lowers the energy at no step length (round-off).

``"llg"``: rk45 at damping ``alpha`` with a tolerance ladder of its own (independent of the
run's rtol). At a fixed error tolerance the step control holds the stiffest modes at about
rtol·|H|, so max|m × H| floats at that floor instead of falling to tol. The ladder: an energy
phase at rtol 1e-5 that steps while the energy falls (tested every 3 steps), then a torque phase
that divides rtol by √2 and steps while the root-mean-square torque falls (smoother than the
maximum, which decides convergence), down to rtol 1e-9; when it has made no new low there for
150 steps, the relaxation ends unconverged with that reason. (Where the step is limited by
stability rather than accuracy, as for exchange-dominated fine meshes, tightening costs nothing
and the ladder reaches the floor quickly; the patience then separates a slow approach from a
floor.)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..io.checkpoint import Checkpoint, flatten, load_checkpoint, save_checkpoint, unflatten
from .llg import LLG

if TYPE_CHECKING:
    from ..problem import Relaxation, Stepping

Report = Callable[[int, float, float], None]  # (iteration, energy [J], max|m x H| [A/m])

LADDER_START = 1e-5  # rk45 tolerance of the energy phase
LADDER_FLOOR = 1e-9  # tightest tolerance of the torque phase
BLOCK = 3  # steps between two energy/torque tests
PATIENCE = 50  # blocks without a new low of the rms torque that end it at the floor


class Relaxer(Protocol):
    """One relaxation, advanced a block of iterations at a time (the common interface)."""

    method: str
    m: np.ndarray

    def advance(self) -> bool:
        """Advance by a block; True while the relaxation goes on."""

    def info(self) -> dict[str, Any]:
        """The record: method, converged, reason, iterations, evaluations, torque, energy."""

    def progress(self) -> tuple[int, float, float]:
        """(iterations, energy [J] or NaN where not tracked, max|m × H| [A/m]); no evaluation."""

    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed relaxation needs."""

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""


class MinimizeRelaxer:
    """Energy minimization to ``tol`` (see the module docstring)."""

    method = "minimize"

    def __init__(self, llg: LLG, m: np.ndarray, spec: Relaxation) -> None:
        from .minimize import Minimizer

        self.run = Minimizer(llg, m, spec.tol)
        self.max_iter = int(spec.max_iter)
        self.reason = ""

    @property
    def m(self) -> np.ndarray:
        return self.run.m

    def advance(self) -> bool:
        run = self.run
        if not math.isfinite(run.torque) or not math.isfinite(run.energy):
            self.reason = "NaN/Inf in the field or the energy"
            return False
        if run.done:
            self.reason = "converged"
            return False
        if run.iteration >= self.max_iter:
            self.reason = f"max_iter = {self.max_iter} reached"
            return False
        if not run.step():
            self.reason = run.message
            return False
        return True

    def info(self) -> dict[str, Any]:
        run = self.run
        return {"method": self.method, "converged": bool(run.torque < run.tol or run.torque == 0),
                "reason": self.reason, "iterations": run.iteration,
                "evaluations": run.evaluations, "max_torque": float(run.torque),
                "energy": float(run.energy)}

    def progress(self) -> tuple[int, float, float]:
        return self.run.iteration, float(self.run.energy), float(self.run.torque)

    def state_dict(self) -> dict[str, Any]:
        return {"minimizer": self.run.state_dict()}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.run.load_state_dict(d["minimizer"])


class LLGRelaxer:
    """Damped LLG with the tolerance ladder (see the module docstring)."""

    method = "llg"

    def __init__(self, llg: LLG, m: np.ndarray, spec: Relaxation, stepping: Stepping) -> None:
        from .integrators import make_integrator

        self.llg = LLG(llg.sample, llg.field, alpha=float(spec.alpha))
        options = {k: v for k, v in stepping.options("rk45").items()
                   if k in ("dt", "dt_max")}  # the ladder sets its own tolerance
        self.integ = make_integrator("rk45", self.llg, rtol=LADDER_START, atol=LADDER_START,
                                     **options)
        self.tol = 0.1 if spec.tol is None else float(spec.tol)
        self.max_iter = int(spec.max_iter)
        self.t, self.m = 0.0, np.array(m, dtype=float)
        self.steps = 0
        self.phase = "energy"
        self.best, self.stale = math.inf, 0  # lowest rms torque at the floor, blocks since
        self.last = self.llg.field.energy(self.m)  # energy (phase 1) or rms torque (phase 2)
        self.torque, self.rms = self.llg.torque_stats(self.m)
        self.reason = ""

    @property
    def rtol(self) -> float:
        return self.integ.rtol

    def _set_rtol(self, rtol: float) -> None:
        self.integ.rtol = self.integ.atol = rtol

    def advance(self) -> bool:
        if not (math.isfinite(self.torque) and math.isfinite(self.last)):
            self.reason = "NaN/Inf in the field or the energy"
            return False
        if self.torque <= self.tol:
            self.reason = "converged"
            return False
        if self.steps >= self.max_iter:
            self.reason = f"max_iter = {self.max_iter} reached"
            return False
        for _ in range(BLOCK):
            self.t, self.m = self.integ.step(self.t, self.m)
            self.steps += 1
        self.torque, self.rms = self.llg.torque_stats(self.m)
        if self.phase == "energy":
            energy = self.llg.field.energy(self.m)
            if not energy < self.last:  # at the energy's noise floor: tighten on the torque
                self.phase, energy = "torque", self.rms
            self.last = energy
            return True
        at_floor = self.rtol <= LADDER_FLOOR * (1 + 1e-9)
        if at_floor:  # stop once the rms torque has made no new low for PATIENCE blocks
            self.stale = 0 if self.rms < self.best else self.stale + 1
            self.best = min(self.best, self.rms)
            if self.stale >= PATIENCE:
                self.reason = (f"torque no longer falls at the tightest tolerance (rtol "
                               f"{LADDER_FLOOR:g}, no new low in {PATIENCE * BLOCK} steps): "
                               f"floor {self.torque:.3g} A/m")
                return False
        elif not self.rms < self.last:  # torque no longer falls: tighten the tolerance
            self._set_rtol(max(self.rtol / math.sqrt(2.0), LADDER_FLOOR))
        self.last = self.rms
        return True

    def info(self) -> dict[str, Any]:
        return {"method": self.method, "converged": bool(self.torque <= self.tol),
                "reason": self.reason, "iterations": self.steps,
                "evaluations": int(self.integ.stats.get("evaluations", 0)),
                "max_torque": float(self.torque),
                "energy": float(self.llg.field.energy(self.m)), "rtol": self.rtol}

    def progress(self) -> tuple[int, float, float]:
        energy = self.last if self.phase == "energy" else math.nan
        return self.steps, float(energy), float(self.torque)

    def state_dict(self) -> dict[str, Any]:
        return {"t": self.t, "m": self.m.copy(), "steps": self.steps, "phase": self.phase,
                "last": self.last, "rtol": self.rtol, "best": self.best, "stale": self.stale,
                "integrator": self.integ.state_dict()}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.t, self.m = float(d["t"]), np.array(d["m"], dtype=float)
        self.steps, self.phase, self.last = int(d["steps"]), str(d["phase"]), float(d["last"])
        self._set_rtol(float(d["rtol"]))
        self.best, self.stale = float(d["best"]), int(d["stale"])
        self.integ.load_state_dict(d["integrator"])
        self.torque, self.rms = self.llg.torque_stats(self.m)


def make_relaxer(llg: LLG, m: np.ndarray, spec: Relaxation, stepping: Stepping) -> Relaxer:
    """The relaxer of ``spec.method`` for the relaxation's LLG from ``m``."""
    if spec.method == "minimize":
        return MinimizeRelaxer(llg, m, spec)
    return LLGRelaxer(llg, m, spec, stepping)


@dataclass
class RelaxCheckpoint:
    """Where a relaxation checkpoints: ``path`` (``.npz``, stage ``"relax"``), ``digest``
    (identity of the problem and start state), ``every`` [s of wall time]."""

    path: Path
    digest: str
    every: float = 60.0

    def load(self) -> dict[str, Any] | None:
        """The relaxer state saved at ``path`` for this digest, or None."""
        if not self.path.is_file():
            return None
        ck = load_checkpoint(self.path)
        if ck.config_hash != self.digest or ck.extra.get("stage") != "relax":
            return None
        return unflatten("relax_state", ck.extra)

    def save(self, relaxer: Relaxer) -> None:
        extra = {"stage": "relax", "method": relaxer.method,
                 **flatten("relax_state", relaxer.state_dict())}
        save_checkpoint(self.path, Checkpoint(0.0, relaxer.m, self.digest, extra=extra))


def relax(llg: LLG, m: np.ndarray, spec: Relaxation, stepping: Stepping,
          report: Report | None = None,
          checkpoint: RelaxCheckpoint | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Relax ``m`` under ``llg.field`` by ``spec`` until it ends (see the module docstring).

    ``report(iteration, energy [J], max|m × H| [A/m])`` is called after every block. With
    ``checkpoint`` the relaxer's state is saved every ``checkpoint.every`` s of wall time, and
    a matching state found there is continued (the record's ``resumed_at`` is its iteration).
    Returns the final m and the record (:meth:`Relaxer.info`).
    """
    relaxer = make_relaxer(llg, m, spec, stepping)
    resumed = checkpoint.load() if checkpoint is not None else None
    if resumed is not None:
        relaxer.load_state_dict(resumed)
    start = relaxer.progress()[0] if resumed is not None else None
    last = time.monotonic()
    while relaxer.advance():
        if report is not None:
            report(*relaxer.progress())
        if checkpoint is not None and time.monotonic() - last >= checkpoint.every:
            checkpoint.save(relaxer)
            last = time.monotonic()
    info = relaxer.info()
    if start is not None:
        info["resumed_at"] = start
    return relaxer.m, info
