"""A run in an output folder: relax, drive, and everything that makes the folder a record of the
run that survives a kill (``spintorque run`` and :func:`spintorque.run`).

Files written into the folder:

- ``table.tsv``: one row per output time (:mod:`spintorque.outputs`), the first at t = 0;
- ``m_NNNNNN.ovf``: OVF 2.0 snapshots of Ms·m [A/m], numbered from 0 at t = 0, every
  ``snapshot_every`` seconds (if set); ``relaxed.ovf`` after relaxation and ``final.ovf`` at the
  end;
- ``table.txt`` when ``table_formats`` has ``"mumax3"``: the same rows in mumax3's layout, which
  ``ubermagtable`` reads (:mod:`spintorque.io.ubermag_table`);
- with ``vtk``: ``m_NNNNNN.vti``, ``relaxed.vti``, ``final.vti`` beside the OVF files and the
  series ``m.pvd`` for ParaView (:mod:`spintorque.io.vtk`);
- ``checkpoint.npz``: written every ``checkpoint_every`` seconds of wall time and at the end;
- ``DONE``: JSON marker of a finished run (final time, identity hash, integrator statistics);
  ``FAILED`` after a numerical fault (the message; the last good checkpoint is kept);
- ``relaxed.json``: the relaxation's record (method, converged, reason, iterations, max|m×H|
  [A/m], energy [J]); a relaxation that did not converge stops the run (``FAILED``) unless the
  relaxation allows it; during relaxation ``checkpoint.npz`` holds the relaxer's state;
- ``config.json`` when the problem came from a config.

Running again on the same folder resumes an unfinished run from its checkpoint (the table is cut
back to the checkpoint's row count, so no row is duplicated) and returns at once for a finished
one. Another problem in the same folder is refused (``restart=True`` starts afresh). An
exclusive lock on ``.lock`` keeps a second process out while one runs.

:func:`run` is the Python entry (``spintorque.run(problem, duration, output_every, out)``).

Relaxation is done at zero drive (the drives start at t = 0, as in muMAG SP4).
"""

from __future__ import annotations

import fcntl
import json
import math
import sys
import time as _time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .drive import Checkpointing, SimulationError, Stop, drive, numerical_errors
from .io.checkpoint import Checkpoint, load_checkpoint, write_text
from .io.errors import ResumeError, UserError
from .io.ubermag_table import TABLE_FILES, check_layout
from .io.vtk import SERIES, require_pyvista
from .outputs import SnapshotOutput, TableOutput, write_snapshot
from .problem import Problem
from .switching_time import SwitchingTime

CHECKPOINT = "checkpoint.npz"
TABLE = "table.tsv"
DONE = "DONE"
FAILED = "FAILED"


class ConfigMismatchError(UserError):
    """The output folder holds a run of a different problem (a user error: a ValueError)."""


class BusyError(UserError):
    """Another process is running in the output folder."""


@dataclass(frozen=True)
class Schedule:
    """Times of a run: ``duration`` [s] after relaxation, a table row every ``output_every``
    [s], an OVF snapshot every ``snapshot_every`` [s] (None: none), a checkpoint every
    ``checkpoint_every`` s of wall time. ``table_formats``: the tables written (``"tsv"``,
    always, and ``"mumax3"``: ``table.txt``); ``vtk``: every snapshot also as ``.vti`` with the
    series ``m.pvd``."""

    duration: float
    output_every: float
    snapshot_every: float | None = None
    checkpoint_every: float = 60.0
    table_formats: tuple[str, ...] = ("tsv",)
    vtk: bool = False

    def stops(self) -> list[Stop]:
        return output_stops(self.duration, self.output_every, self.snapshot_every)


@dataclass
class RunResult:
    """What a run did: final time ``t`` [s] and state ``m``; ``rows`` in the table; ``resumed``
    from a checkpoint; ``already_done`` (nothing recomputed); ``wall`` [s]; the relaxation's
    record and the integrator's statistics."""

    t: float
    m: np.ndarray
    out_dir: Path
    rows: int
    resumed: bool = False
    already_done: bool = False
    wall: float = 0.0
    relax: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    switching_time: float | None = None


def output_stops(duration: float, output_every: float,
                 snapshot_every: float | None = None) -> list[Stop]:
    """Stops from 0 to ``duration`` [s] inclusive: rows every ``output_every``, snapshots every
    ``snapshot_every``. Times are integer multiples (no accumulated round-off); a stop within
    1e-9 of an interval of another is merged with it."""
    def grid(every: float) -> list[float]:
        n = int(math.floor(duration / every * (1 + 1e-12) + 1e-9))
        times = [k * every for k in range(n + 1)]
        if duration - times[-1] > 1e-9 * every:
            times.append(duration)
        return times

    stops: dict[float, list[bool]] = {t: [True, False] for t in grid(output_every)}
    if snapshot_every:
        keys = sorted(stops)
        for ts in grid(snapshot_every):
            k = int(np.searchsorted(keys, ts))
            near = [keys[j] for j in (k - 1, k) if 0 <= j < len(keys)
                    and abs(keys[j] - ts) <= 1e-9 * min(output_every, snapshot_every)]
            stops.setdefault(near[0] if near else ts, [False, False])[1] = True
    return [Stop(t, row, snap) for t, (row, snap) in sorted(stops.items())]


def run(
    problem: Problem,
    duration: float,
    output_every: float,
    out: str | Path,
    *,
    snapshot_every: float | None = None,
    checkpoint_every: float = 60.0,
    restart: bool = False,
    progress: Callable[[str], None] | None = print,
    progress_every: float = 10.0,
    switching: SwitchingTime | None = None,
    table_format: Sequence[str] = ("tsv",),
    vtk: bool = False,
) -> RunResult:
    """Relax ``problem`` (if its ``relaxation`` is set), then run it for ``duration`` [s] with a
    table row every ``output_every`` [s] and an OVF snapshot every ``snapshot_every`` [s],
    writing into the folder ``out`` exactly as ``spintorque run`` does; resumes an unfinished
    run found there (``spintorque.run``). ``switching``: read the switching time at the rows
    (:class:`spintorque.switching_time.SwitchingTime`; ``RunResult.switching_time``).
    ``table_format``, ``vtk``: further files, as ``[run] table_format`` and ``[run] vtk``."""
    schedule = Schedule(duration, output_every, snapshot_every, checkpoint_every,
                        table_formats=tuple(table_format), vtk=vtk)
    return run_in_folder(problem, out, schedule, restart=restart, progress=progress,
                         switching=switching,
                         progress_every=progress_every)


@contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """Exclusive lock on ``out/.lock`` for the whole run; the kernel drops it when the process
    dies (even by SIGKILL), so a killed run never leaves a stale lock behind."""
    with open(out / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BusyError(f"{out}: another process is running in this folder") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_in_folder(
    problem: Problem | Callable[[], Problem],
    out_dir: str | Path,
    schedule: Schedule,
    *,
    identity: str | None = None,
    restart: bool = False,
    record: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = print,
    progress_every: float = 10.0,
    switching: SwitchingTime | Callable[[Problem], SwitchingTime] | None = None,
) -> RunResult:
    """Relax (if ``problem.relaxation``) and run ``problem`` by ``schedule`` in ``out_dir``.

    ``problem`` may be a function that builds it, with its ``identity`` given: a finished run
    then returns without building anything. ``record``: written as ``config.json`` when the run
    starts (e.g. the config it came from).
    ``progress`` receives a short line about every ``progress_every`` s of wall time (None:
    silent). ``switching`` (or a function of the built problem that makes it) reads the
    switching time (``DONE`` and ``RunResult.switching_time``) and may end the run after it.
    Raises :class:`ConfigMismatchError` if the folder holds another problem's run,
    :class:`ResumeError` if its files do not fit together and :class:`SimulationError` on a
    numerical fault (``FAILED`` is written, the last good checkpoint kept).
    """
    wall0 = _time.monotonic()
    for layout in schedule.table_formats:
        if layout != "tsv":
            check_layout(layout)
    if schedule.vtk:
        require_pyvista()  # before any work, not at the first snapshot
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with folder_lock(out):
        if identity is None:
            problem = problem() if callable(problem) and not isinstance(problem, Problem) \
                else problem
            identity = problem.identity()
        return _run_locked(problem, identity, out, schedule, restart, record,
                           progress or (lambda _s: None), progress_every, wall0, switching)


def _clean(out: Path, restart: bool) -> None:
    for stale in out.glob("*.tmp"):
        stale.unlink()  # temporary files left by a kill during an atomic write
    if restart:
        for name in (CHECKPOINT, DONE, FAILED, TABLE, "final.ovf", "relaxed.ovf",
                     *TABLE_FILES.values(), "final.vti", "relaxed.vti", SERIES):
            (out / name).unlink(missing_ok=True)
        for snap in [*out.glob("m_*.ovf"), *out.glob("m_*.vti")]:
            snap.unlink()


def _mismatch(out: Path) -> str:
    return (f"{out} holds a run of a different config (config hash differs); use another output "
            "folder, or delete this one to start afresh")


def _resume_point(problem: Problem, out: Path, digest: str) -> Checkpoint:
    ck = load_checkpoint(out / CHECKPOINT)
    if ck.config_hash != digest:
        raise ConfigMismatchError(_mismatch(out))
    if ck.m.shape != problem.sample.grid.vshape:
        raise ResumeError(f"{out / CHECKPOINT}: m of shape {ck.m.shape}, but the grid is "
                          f"{problem.sample.grid.vshape}")
    (out / FAILED).unlink(missing_ok=True)
    return ck


class RelaxationError(SimulationError):
    """The relaxation before the run did not converge (and ``allow_unconverged`` is not set),
    or produced NaN/Inf."""


def _relax_first(problem: Problem, out: Path, digest: str, every: float,
                 say: Callable[[str], None], progress_every: float, vtk: bool = False
                 ) -> tuple[np.ndarray, dict[str, Any]]:
    """The state at t = 0: m0, relaxed if the problem asks for it (``relaxed.ovf`` written;
    the relaxation checkpoints into ``checkpoint.npz`` and continues from it)."""
    from .dynamics.relax import RelaxCheckpoint

    spec = problem.relaxation
    if spec is None:
        return problem.m0, {}
    plan = RelaxCheckpoint(out / CHECKPOINT, digest, every)
    if plan.load() is not None:
        say(f"{out}: resuming the relaxation from {CHECKPOINT}")
    try:
        m, info = problem.relax(problem.m0, progress=say, progress_every=progress_every,
                                checkpoint=plan)
    except numerical_errors() as exc:
        raise RelaxationError(f"relaxation (before t = 0 s) stopped: {type(exc).__name__}: "
                              f"{exc}; {diagnose(problem, problem.m0)}") from exc
    if not (np.isfinite(m).all() and math.isfinite(info["max_torque"])
            and math.isfinite(info["energy"])):
        raise RelaxationError(f"relaxation (before t = 0 s) produced NaN/Inf "
                              f"({info['reason']}); {diagnose(problem, problem.m0)}")
    write_snapshot(problem, out / "relaxed.ovf", 0.0, m, vtk=vtk)
    write_text(out / "relaxed.json", json.dumps(info, indent=2) + "\n")
    say(f"relaxed ({info['method']}): {info['iterations']} iterations, max|mxH| = "
        f"{info['max_torque']:.3g} A/m, converged = {info['converged']} ({info['reason']})")
    if not info["converged"]:
        text = (f"relaxation ({info['method']}) did not converge: {info['reason']}; max|mxH| = "
                f"{info['max_torque']:.3g} A/m, tol = {spec.tol} A/m")
        if not spec.allow_unconverged:
            raise RelaxationError(f"{text}. Raise relax.max_iter, loosen relax.tol or set "
                                  "relax.allow_unconverged = true to run from this state "
                                  f"(saved as {out / 'relaxed.ovf'})")
        print(f"warning: {text}; running from it (relax.allow_unconverged = true)",
              file=sys.stderr)
    return m, info


def diagnose(problem: Problem, m: np.ndarray) -> str:
    """Which term's field is not finite at ``m`` and the parameters it depends on (a hint for
    the user), or that every field is finite there (the stepping diverged)."""
    suspects = {"exchange": "A, Ms", "anisotropy": "Ku, Ms", "demag": "Ms",
                "zeeman": "field.B", "spin_accumulation": "transport parameters, current"}
    buf = np.zeros(problem.sample.grid.vshape)
    with np.errstate(all="ignore"):
        for term in problem.all_terms:
            h = term.field(m, 0.0, out=buf)
            if not np.isfinite(h).all():
                return (f"the {term.name} field is NaN/Inf at the start state: check "
                        f"{suspects.get(term.name, 'its parameters')} of the materials")
    return ("every field is finite at the start state: the stepping diverged (check run.dt, "
            "run.dt_max, alpha and the largest field scales)")


def _run_locked(problem: Problem | Callable[[], Problem], digest: str, out: Path,
                schedule: Schedule, restart: bool, record: dict[str, Any] | None,
                say: Callable[[str], None], progress_every: float, wall0: float,
                switching: Any = None) -> RunResult:
    _clean(out, restart)
    if (out / DONE).exists():
        info = json.loads((out / DONE).read_text())
        if info.get("config_hash") != digest:
            raise ConfigMismatchError(_mismatch(out))
        ck = load_checkpoint(out / CHECKPOINT)
        say(f"{out}: finished earlier at t = {ck.t:.6g} s; nothing to do")
        return RunResult(ck.t, ck.m, out, ck.rows, already_done=True,
                         wall=_time.monotonic() - wall0,
                         switching_time=info.get("switching_time"))
    if not isinstance(problem, Problem):
        problem = problem()
    (out / FAILED).unlink(missing_ok=True)  # this attempt writes its own if it fails
    resume = _resume_point(problem, out, digest) if (out / CHECKPOINT).exists() else None
    if resume is not None and resume.extra.get("stage") == "relax":
        resume = None  # a relaxation in progress: _relax_first continues it
    if resume is not None:
        relax_info = resume.extra.get("relax") if isinstance(resume.extra.get("relax"),
                                                             dict) else {}
        m = resume.m
        say(f"{out}: resuming at t = {resume.t:.6g} s from {CHECKPOINT} ({resume.rows} table "
            "rows)")
    else:
        if record is not None:
            write_text(out / "config.json", json.dumps(record, indent=2, default=str))
        try:
            m, relax_info = _relax_first(problem, out, digest, schedule.checkpoint_every, say,
                                         progress_every, vtk=schedule.vtk)
        except RelaxationError as exc:
            write_text(out / FAILED, f"{exc}\n")
            raise
    stops = schedule.stops()
    mirrors = [(layout, out / TABLE_FILES[layout])
               for layout in dict.fromkeys(schedule.table_formats) if layout != "tsv"]
    hooks = [TableOutput(problem, out / TABLE, mirrors),
             SnapshotOutput(problem, out, stops, vtk=schedule.vtk)]
    if switching is not None and not isinstance(switching, SwitchingTime):
        switching = switching(problem)
    if switching is not None:
        hooks.append(switching)
    plan = Checkpointing(out / CHECKPOINT, digest, schedule.checkpoint_every,
                         extra={"relax": relax_info}, at_start=True, at_end=True)

    def progress(t: float, m: np.ndarray) -> None:
        mean = problem.sample.average(m)
        say(f"t = {t:.4g} s ({100 * t / max(schedule.duration, 1e-300):.0f}%), "
            f"<m> = ({mean[0]:+.4f}, {mean[1]:+.4f}, {mean[2]:+.4f}), "
            f"wall {_time.monotonic() - wall0:.1f} s")

    try:
        result = drive(problem, m, stops, hooks=hooks, checkpointing=plan, resume=resume,
                       progress=progress, progress_every=progress_every,
                       until=switching.until if switching is not None else None)
    except SimulationError as exc:
        write_text(out / FAILED, f"{exc}\n")
        raise
    write_snapshot(problem, out / "final.ovf", result.t, result.m, vtk=schedule.vtk)
    rows = result.checkpoint.rows if result.checkpoint is not None else 0
    done = {"t": result.t, "config_hash": digest, "rows": rows, "stats": result.stats,
            "relax": relax_info}
    if switching is not None:
        done["switching_time"] = switching.time
    write_text(out / DONE, json.dumps(done, default=str) + "\n")
    wall = _time.monotonic() - wall0
    say(f"done: t = {result.t:.6g} s, {rows} rows, wall {wall:.2f} s")
    return RunResult(result.t, result.m, out, rows, resumed=resume is not None, wall=wall,
                     relax=relax_info, stats=result.stats,
                     switching_time=switching.time if switching is not None else None)
