"""The one run loop: step a problem through a list of stops, call the output hooks at each,
stop early on a rule, checkpoint on a wall-clock interval, resume from a checkpoint.

Used by ``spintorque run`` and :meth:`Problem.run` (:mod:`spintorque.run_folder`), by the
switching experiment's points (:mod:`spintorque.experiments.runner`) and so by continued runs.

A checkpoint holds t [s], m, the index of the next stop, the integrator's ``state_dict``, the
problem's stateful terms' ``state_dict`` (``"<term>/<key>"`` entries of ``extra``), the hooks'
states (the table's row count as ``rows``, anything else in ``extra``) and the constant entries
the caller adds. Resumed from it, the run continues bit for bit.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .io.checkpoint import Checkpoint, save_checkpoint

if TYPE_CHECKING:
    from .problem import Problem


class SimulationError(RuntimeError):
    """A run stopped on a numerical fault; the message names the time [s] and the cause and,
    when there is one, the last good checkpoint."""


@dataclass(frozen=True, eq=False)
class Stop:
    """An output time ``t`` [s]: write a table ``row`` and/or a ``snapshot`` there."""

    t: float
    row: bool = True
    snapshot: bool = False


class Hook(Protocol):
    """An output of the run loop (:mod:`spintorque.outputs`)."""

    def open(self, resume_state: dict[str, Any] | None) -> None: ...
    def __call__(self, stop: Stop, t: float, m: np.ndarray) -> None: ...
    def state(self) -> dict[str, Any]: ...
    def close(self) -> None: ...


@dataclass
class Checkpointing:
    """Where and how often the loop checkpoints: ``path`` (``.npz``), ``digest`` (identity of
    the run), ``every`` [s of wall time], ``extra`` (constant entries, e.g. the relaxation's
    record); ``at_start`` writes one before the first stop, ``at_end`` one after the last."""

    path: Path
    digest: str
    every: float | None = 60.0
    extra: dict[str, Any] = field(default_factory=dict)
    at_start: bool = False
    at_end: bool = False


@dataclass
class DriveResult:
    """Final time ``t`` [s] and state ``m``; ``stopped_early`` by the ``until`` rule;
    ``checkpoint``: the last one written (None if none); ``stats`` of the integrator."""

    t: float
    m: np.ndarray
    stopped_early: bool
    checkpoint: Checkpoint | None
    stats: dict[str, Any]


def numerical_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean a numerical fault of the model, not a bug or bad input."""
    from .dynamics.integrators.base import IntegrationError

    return (IntegrationError, ArithmeticError, np.linalg.LinAlgError, RuntimeError)


class _Loop:
    """State of one :func:`drive` call (kept small: one method per phase)."""

    def __init__(self, problem: Problem, stops: Sequence[Stop], hooks: Sequence[Hook],
                 checkpointing: Checkpointing | None) -> None:
        self.problem = problem
        self.stops = list(stops)
        self.hooks = list(hooks)
        self.plan = checkpointing
        self.integ = problem.integrator() if len(self.stops) > 1 else None
        self.t, self.m, self.good = 0.0, problem.m0, None

    def restore(self, m: np.ndarray, resume: Checkpoint | None) -> int:
        """Start state; the index of the first stop to run."""
        if resume is None:
            self.m = m
            for hook in self.hooks:
                hook.open(None)
            return 0
        self.t, self.m, self.good = resume.t, resume.m, resume
        if self.integ is not None and resume.integrator:
            self.integ.load_state_dict(resume.integrator)
        self.problem.load_state_dict(resume.extra)
        for hook in self.hooks:
            hook.open({**resume.extra, "rows": resume.rows})
        return resume.stop_index

    def save(self, index: int) -> Checkpoint:
        states: dict[str, Any] = {}
        for hook in self.hooks:
            states.update(hook.state())
        rows = int(states.pop("rows", 0))
        ck = Checkpoint(self.t, self.m, self.plan.digest, rows=rows, stop_index=index,
                        integrator=self.integ.state_dict() if self.integ is not None else {},
                        extra={**self.plan.extra, **states, **self.problem.state_dict()})
        save_checkpoint(self.plan.path, ck)
        self.good = ck
        return ck

    def saved_t(self) -> float:
        """Time [s] of the last checkpoint (the start if none): a stop that did not move past
        it needs no new one."""
        return self.good.t if self.good is not None else 0.0

    def fault(self, message: str) -> SimulationError:
        if self.plan is not None and self.plan.path.exists() and self.good is not None:
            return SimulationError(f"{message}; run stopped. The last good checkpoint "
                                   f"(t = {self.good.t:.9g} s) is kept in {self.plan.path}")
        return SimulationError(f"{message}; run stopped.")

    def check_finite(self) -> None:
        if not np.isfinite(self.m).all():
            raise self.fault(f"t = {self.t:.9g} s: NaN/Inf in m")
        for term in self.problem.all_terms:
            s = getattr(term, "s", None)
            if isinstance(s, np.ndarray) and not np.isfinite(s).all():
                raise self.fault(f"t = {self.t:.9g} s: NaN/Inf in the {term.name} term's state")

    def advance(self, t1: float) -> None:
        if t1 > self.t:
            try:
                self.m = self.integ.advance(self.t, self.m, t1)
            except numerical_errors() as exc:
                raise self.fault(f"t = {self.t:.9g} s (integrating to {t1:.9g} s): "
                                 f"{type(exc).__name__}: {exc}") from exc
        self.t = t1
        self.check_finite()

    def output(self, stop: Stop) -> None:
        try:
            for hook in self.hooks:
                hook(stop, self.t, self.m)
        except numerical_errors() as exc:
            raise self.fault(f"t = {self.t:.9g} s (computing the table row): "
                             f"{type(exc).__name__}: {exc}") from exc


def drive(
    problem: Problem,
    m: np.ndarray,
    stops: Sequence[Stop],
    *,
    hooks: Sequence[Hook] = (),
    until: Callable[[float, np.ndarray], bool] | None = None,
    checkpointing: Checkpointing | None = None,
    resume: Checkpoint | None = None,
    progress: Callable[[float, np.ndarray], None] | None = None,
    progress_every: float = 10.0,
) -> DriveResult:
    """Run ``problem`` from ``m`` at t = 0 (or from ``resume``) through ``stops``.

    At each stop: integrate to its time, check that m and the terms' states are finite, call
    every hook, then ``until(t, m)`` (True ends the run there), then checkpoint if ``every``
    seconds of wall time have passed (not after the last stop: ``at_end`` does that) and call
    ``progress(t, m)`` about every ``progress_every`` s. Raises :class:`SimulationError` on a
    numerical fault (the last good checkpoint is kept). Hooks are closed in every case.
    """
    loop = _Loop(problem, stops, hooks, checkpointing)
    first = loop.restore(m, resume)
    plan = checkpointing
    last_ck = last_say = _time.monotonic()
    stopped = False
    try:
        if plan is not None and plan.at_start and resume is None:
            loop.save(0)
        for index in range(first, len(loop.stops)):
            loop.advance(loop.stops[index].t)
            loop.output(loop.stops[index])
            if until is not None and until(loop.t, loop.m):
                stopped = True
                break
            now = _time.monotonic()
            if (plan is not None and plan.every is not None and now - last_ck >= plan.every
                    and index + 1 < len(loop.stops) and loop.t > loop.saved_t()):
                loop.save(index + 1)
                last_ck = now
            if progress is not None and now - last_say >= progress_every:
                progress(loop.t, loop.m)
                last_say = now
        if plan is not None and plan.at_end:
            loop.save(len(loop.stops))
    finally:
        for hook in loop.hooks:
            hook.close()
    stats = dict(getattr(loop.integ, "stats", {}) or {})
    return DriveResult(loop.t, loop.m, stopped, loop.good, stats)
