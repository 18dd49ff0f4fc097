"""Quasi-static hysteresis: relax at each applied field of a sweep and tabulate ⟨m⟩ against B.

:func:`hysteresis` takes a :class:`~spintorque.problem.Problem` (or a run config with a
``[hysteresis]`` table) and a list of applied fields B = mu0·H [T] (3-vectors), or
``B_start``/``B_stop``/``steps`` along ``direction`` (a loop ``start -> stop -> start`` with
``loop=True``). At each field it relaxes from the previous step's state by the problem's
:class:`~spintorque.problem.Relaxation` (minimize or damped LLG) under the always-on terms plus
the applied field, and appends a row to ``table.tsv``:

``step``, ``Bx (T)``, ``By (T)``, ``Bz (T)``, ``B (T)`` and ``H (A/m)`` (the field's component
along the sweep direction), ``mx``, ``my``, ``mz`` (average over the magnetic cells), per magnetic
layer ``mx_<layer>``, ``my_<layer>``, ``mz_<layer>`` when there are several, ``m_par`` (⟨m⟩
along the sweep direction), ``E_<term> (J)`` per term (the sweep's field is ``zeeman``),
``E_total (J)``, ``max|mxH| (A/m)``, ``iterations``, ``converged`` (1 or 0).

A relaxation that ends unconverged is never hidden: its row has ``converged = 0``, a warning is
printed, and ``hysteresis.json`` lists it (with its reason) among ``unconverged``.

The problem's drives (its own applied field, spin accumulation) and torques are not used; a
constant bias field can be given as ``bias`` (uniform) and ``per_region``.

Symmetric states: a uniform saturated state, or the antiparallel state of two identical layers
with the field along their axis, is an exact equilibrium (zero torque) even where it is
unstable, and a relaxation started on it stays on it. ``perturbation`` [rad] tilts every cell of
the start state of each step by a random angle of about that size (seeded per step: a resumed
sweep draws the same numbers), so unstable states decay at the field where they lose
stability, as thermal fluctuations would make them; a stable state relaxes back.

Output folder: ``table.tsv``, ``hysteresis.json`` (fields, record of each step's relaxation),
``checkpoint.npz`` after every step (state and row count: a killed sweep resumes at the next
field step, the table cut back to the checkpoint's rows), ``m_NNNNNN.ovf`` per step with
``snapshots=True``, ``DONE`` at the end. Running again on a finished folder returns its result;
a folder of another sweep or problem is refused (``restart=True`` starts afresh).
"""

from __future__ import annotations

import json
import math
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np

from .constants import MU0
from .dynamics.llg import LLG, cross
from .fields.base import EffectiveField
from .fields.zeeman import Zeeman
from .io.checkpoint import Checkpoint, config_hash, load_checkpoint, save_checkpoint, write_text
from .io.errors import ResumeError, UserError
from .io.table import TableWriter, read_table
from .outputs import write_snapshot
from .problem import Problem, Relaxation

__all__ = ["HysteresisResult", "hysteresis", "hysteresis_cmd", "sweep_fields"]

TABLE = "table.tsv"
RECORD = "hysteresis.json"
CHECKPOINT = "checkpoint.npz"
DONE = "DONE"


def sweep_fields(B_start: float, B_stop: float, steps: int,
                 direction: Sequence[float] = (1.0, 0.0, 0.0), loop: bool = True) -> np.ndarray:
    """Applied fields [T], shape (n, 3): ``steps`` values from ``B_start`` to ``B_stop``
    (inclusive, evenly spaced, [T] along the unit vector of ``direction``), and with ``loop``
    back again to ``B_start`` (the turning point not repeated): 2·steps − 1 values."""
    if not (isinstance(steps, (int, np.integer)) and steps >= 2):
        raise UserError(f"hysteresis: steps = {steps!r}; allowed: a whole number >= 2")
    u = _unit(direction)
    b = np.linspace(float(B_start), float(B_stop), int(steps))
    if loop:
        b = np.concatenate([b, b[-2::-1]])
    return b[:, None] * u[None, :]


def _unit(direction: Sequence[float]) -> np.ndarray:
    u = np.asarray(direction, float)
    norm = float(np.linalg.norm(u)) if u.shape == (3,) else 0.0
    if not (math.isfinite(norm) and norm > 0):
        raise UserError(f"hysteresis: direction = {direction!r}; allowed: a nonzero 3-vector")
    return u / norm


@dataclass
class HysteresisResult:
    """What a sweep did: the table (:class:`~spintorque.io.table.Table`), the final state
    ``m``, the folder, the relaxation records per step, steps done in this call, whether it
    resumed or was already done."""

    table: Any
    m: np.ndarray
    out_dir: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    computed: int = 0
    resumed: bool = False
    already_done: bool = False

    @property
    def unconverged(self) -> list[int]:
        """Steps whose relaxation did not converge."""
        return [r["step"] for r in self.records if not r["converged"]]


def _layers(problem: Problem) -> list[tuple[str, np.ndarray]]:
    """(name, mask of its magnetic cells) of each magnetic region, bottom first."""
    sample = problem.sample
    out = []
    for idx, name in enumerate(sample.names):
        if sample.materials[idx].magnetic:
            mask = (sample.region == idx) & sample.magnetic
            if mask.any():
                out.append((name, mask))
    return sorted(out, key=lambda t: int(np.nonzero(t[1].any(axis=(0, 1)))[0][0]))


class _Sweep:
    """The bound equations and table of one sweep."""

    def __init__(self, problem: Problem, bias: Sequence[float],
                 per_region: Mapping[str, Sequence[float]] | None) -> None:
        self.problem = problem
        self.bias = np.asarray(bias, float)
        self.zeeman = Zeeman(problem.sample, B=self.bias, per_region=per_region)
        if any(t.name == self.zeeman.name for t in problem.terms):
            raise UserError("hysteresis: the problem's always-on terms already hold a term "
                            "named 'zeeman'; give the applied field as the sweep instead")
        self.terms = [*problem.terms, self.zeeman]
        grid = problem.sample.grid
        self.llg = LLG(problem.sample, EffectiveField(self.terms, grid.vshape))
        self.layers = _layers(problem)
        self.magnetic = problem.sample.magnetic

    def set_field(self, b: np.ndarray) -> None:
        self.zeeman.set_B(self.bias + b)

    def columns(self) -> list[str]:
        cols = ["step", "Bx (T)", "By (T)", "Bz (T)", "B (T)", "H (A/m)", "mx", "my", "mz"]
        if len(self.layers) > 1:
            for name, _ in self.layers:
                cols += [f"mx_{name}", f"my_{name}", f"mz_{name}"]
        cols += ["m_par"] + [f"E_{t.name} (J)" for t in self.terms]
        return cols + ["E_total (J)", "max|mxH| (A/m)", "iterations", "converged"]

    def row(self, step: int, b: np.ndarray, u: np.ndarray, m: np.ndarray,
            info: dict[str, Any]) -> list[float]:
        mean = m[self.magnetic].mean(axis=0)
        values = [step, *b, float(b @ u), float(b @ u) / MU0, *mean]
        if len(self.layers) > 1:
            for _, mask in self.layers:
                values += list(m[mask].mean(axis=0))
        values.append(float(mean @ u))
        h, parts = self.llg.field.field_and_energies(m, 0.0)
        mxh = cross(m, h)
        torque = float(np.sqrt(np.max(np.einsum("ijkl,ijkl->ijk", mxh, mxh))))
        energies = [parts[t.name] for t in self.terms]
        return values + energies + [sum(energies), torque, info["iterations"],
                                    1.0 if info["converged"] else 0.0]


def _perturb(m: np.ndarray, magnetic: np.ndarray, angle: float, seed: int, step: int
             ) -> np.ndarray:
    """m tilted in every magnetic cell by a Gaussian vector of rms ``angle`` [rad] per
    component (random generator seeded by (seed, step)), renormalized."""
    rng = np.random.default_rng([int(seed), int(step)])
    out = m + angle * rng.standard_normal(m.shape) * magnetic[..., None]
    norms = np.linalg.norm(out, axis=-1, keepdims=True)
    return np.where(magnetic[..., None], out / np.where(norms > 0, norms, 1.0), 0.0)


def hysteresis(
    problem: Problem | Any,
    fields: Sequence[Sequence[float]] | np.ndarray | None = None,
    out: str | Path | None = None,
    *,
    B_start: float | None = None,
    B_stop: float | None = None,
    steps: int | None = None,
    direction: Sequence[float] | None = None,
    loop: bool = True,
    relaxation: Relaxation | None = None,
    perturbation: float = 0.0,
    seed: int = 0,
    bias: Sequence[float] = (0.0, 0.0, 0.0),
    per_region: Mapping[str, Sequence[float]] | None = None,
    snapshots: bool = False,
    stop_after: int | None = None,
    restart: bool = False,
    progress: Callable[[str], None] | None = print,
) -> HysteresisResult:
    """Relax at each applied field of a sweep and tabulate the loop (module docstring).

    ``problem``: a :class:`Problem`, or a run config (``RunConfig`` or dict) whose
    ``[hysteresis]`` table gives the sweep and options (arguments given here take precedence).
    ``fields``: applied fields mu0·H [T], shape (n, 3); or ``B_start``, ``B_stop`` [T] along
    ``direction`` with ``steps`` points each way (:func:`sweep_fields`). ``direction``: also the
    axis of the ``B``, ``H`` and ``m_par`` columns (default: the direction of the largest field).
    ``relaxation``: default the problem's (else :class:`Relaxation`'s defaults).
    ``perturbation`` [rad], ``seed``: see the module docstring. ``bias`` [T] and
    ``per_region`` (name -> [T]): constant fields added to every step. ``out``: the output
    folder (required). ``stop_after``: return after that many steps of this call (the sweep
    resumes from the folder later). Returns a :class:`HysteresisResult`.
    """
    if not isinstance(problem, Problem):
        return _from_config(problem, fields, out, B_start=B_start, B_stop=B_stop, steps=steps,
                            direction=direction, loop=loop, relaxation=relaxation,
                            perturbation=perturbation, seed=seed, bias=bias,
                            per_region=per_region, snapshots=snapshots, stop_after=stop_after,
                            restart=restart, progress=progress)
    if out is None:
        raise UserError("hysteresis: out (the output folder) is required")
    if fields is None:
        if B_start is None or B_stop is None or steps is None:
            raise UserError("hysteresis: give fields (a list of 3-vectors [T]) or B_start, "
                            "B_stop and steps")
        fields = sweep_fields(B_start, B_stop, steps, direction or (1.0, 0.0, 0.0), loop)
    b_all = np.asarray(fields, float)
    if b_all.ndim != 2 or b_all.shape[1] != 3 or len(b_all) < 1 \
            or not np.all(np.isfinite(b_all)):
        raise UserError(f"hysteresis: fields of shape {b_all.shape}; allowed: a nonempty list "
                        "of finite 3-vectors [T]")
    if direction is not None:
        u = _unit(direction)
    else:
        big = b_all[int(np.argmax(np.linalg.norm(b_all, axis=1)))]
        u = _unit(big) if np.any(big != 0) else np.array([1.0, 0.0, 0.0])
    if not (math.isfinite(perturbation) and perturbation >= 0):
        raise UserError(f"hysteresis: perturbation = {perturbation!r} rad; allowed: >= 0")
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise UserError(f"hysteresis: seed = {seed!r}; allowed: a whole number >= 0")
    spec = relaxation or problem.relaxation or Relaxation()
    say = progress or (lambda _s: None)
    sweep = _Sweep(problem, bias, per_region)
    digest = config_hash({"problem": problem.identity(), "fields": b_all.tolist(),
                          "direction": u.tolist(), "relaxation": repr(spec),
                          "perturbation": float(perturbation), "seed": int(seed),
                          "bias": sweep.bias.tolist(),
                          "per_region": {k: list(map(float, v))
                                         for k, v in (per_region or {}).items()}})
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    from .run_folder import folder_lock

    with folder_lock(folder):
        return _sweep_locked(problem, sweep, b_all, u, spec, float(perturbation), int(seed),
                             digest, folder, snapshots, stop_after, restart, say)


def _sweep_locked(problem: Problem, sweep: _Sweep, b_all: np.ndarray, u: np.ndarray,
                  spec: Relaxation, perturbation: float, seed: int, digest: str, folder: Path,
                  snapshots: bool, stop_after: int | None, restart: bool,
                  say: Callable[[str], None]) -> HysteresisResult:
    from .dynamics.relax import relax

    for stale in folder.glob("*.tmp"):
        stale.unlink()
    if restart:
        for name in (CHECKPOINT, DONE, TABLE, RECORD):
            (folder / name).unlink(missing_ok=True)
        for snap in folder.glob("m_*.ovf"):
            snap.unlink()
    record_path = folder / RECORD
    ck_path = folder / CHECKPOINT
    records: list[dict[str, Any]] = []
    start, m, rows, resumed = 0, problem.m0.copy(), None, False
    if ck_path.is_file():
        ck = load_checkpoint(ck_path)
        if ck.config_hash != digest or ck.extra.get("stage") != "hysteresis":
            raise UserError(f"{folder} holds another sweep or problem (hash differs); use "
                            "another output folder, or restart to start afresh")
        if ck.m.shape != m.shape:
            raise ResumeError(f"{ck_path}: m of shape {ck.m.shape}, grid {m.shape}")
        start, m, rows, resumed = ck.stop_index, ck.m, ck.rows, True
        if record_path.is_file():
            records = json.loads(record_path.read_text())["steps"][:start]
    elif (folder / TABLE).exists() and not restart:
        raise UserError(f"{folder} holds a table but no checkpoint; use another output folder, "
                        "or restart to start afresh")
    if (folder / DONE).is_file() and start >= len(b_all):
        return HysteresisResult(read_table(folder / TABLE), m, folder, records,
                                resumed=True, already_done=True)
    try:
        writer = TableWriter(folder / TABLE, sweep.columns(), resume_rows=rows)
    except (ValueError, FileNotFoundError) as exc:
        raise ResumeError(f"{folder}: cannot resume: {exc}") from None
    if resumed:
        say(f"{folder}: resuming the sweep at step {start} of {len(b_all)}")
    computed = 0
    try:
        for step in range(start, len(b_all)):
            if stop_after is not None and computed >= stop_after:
                break
            b = b_all[step]
            sweep.set_field(b)
            m0 = _perturb(m, sweep.magnetic, perturbation, seed, step) if perturbation else m
            with problem.full_precision():  # relaxations run in float64
                m, info = relax(sweep.llg, m0, spec, problem.stepping)
            if not np.all(np.isfinite(m)):
                raise UserError(f"hysteresis step {step} (B = {b.tolist()} T): the relaxation "
                                f"produced NaN/Inf ({info['reason']})")
            writer.append(sweep.row(step, b, u, m, info))
            rec = {"step": step, "B": b.tolist(), **{k: info[k] for k in
                   ("method", "converged", "reason", "iterations", "max_torque", "energy")}}
            records.append(rec)
            if not info["converged"]:
                print(f"warning: hysteresis step {step} (B = {b.tolist()} T): relaxation did "
                      f"not converge: {info['reason']}; max|mxH| = {info['max_torque']:.3g} "
                      f"A/m (row marked converged = 0)", file=sys.stderr)
            if snapshots:
                write_snapshot(problem, folder / f"m_{step:06d}.ovf", float(step), m)
            _write_record(record_path, b_all, u, records)
            writer.sync()
            save_checkpoint(ck_path, Checkpoint(float(step), m, digest, rows=writer.rows,
                                                stop_index=step + 1,
                                                extra={"stage": "hysteresis"}))
            computed += 1
            say(f"hysteresis step {step + 1}/{len(b_all)}: B = {float(b @ u):.6g} T, m_par = "
                f"{float(m[sweep.magnetic].mean(axis=0) @ u):.6f}, converged = "
                f"{info['converged']}")
    finally:
        writer.close()
    if len(records) >= len(b_all):
        write_text(folder / DONE, json.dumps({"steps": len(b_all), "hash": digest}) + "\n")
    result = HysteresisResult(read_table(folder / TABLE), m, folder, records, computed, resumed)
    if result.unconverged:
        say(f"warning: {len(result.unconverged)} step(s) did not converge: "
            f"{result.unconverged} (see {record_path})")
    return result


def _write_record(path: Path, b_all: np.ndarray, u: np.ndarray,
                  records: list[dict[str, Any]]) -> None:
    data = {"fields_T": b_all.tolist(), "direction": u.tolist(), "steps": records,
            "unconverged": [r["step"] for r in records if not r["converged"]]}
    write_text(path, json.dumps(data, indent=1) + "\n")


def _from_config(cfg: Any, fields: Any, out: Any, **kw: Any) -> HysteresisResult:
    """The sweep of a run config: its problem, its ``[hysteresis]`` table (keywords given to
    :func:`hysteresis` that differ from their defaults take precedence)."""
    from .simulation import as_config, build

    cfg = as_config(cfg)
    spec = getattr(cfg, "hysteresis", None)
    problem = build(cfg)
    if cfg.field is not None and cfg.field.time is not None:
        raise UserError("hysteresis: [field] has a time dependence; a sweep takes only a "
                        "static bias ([field] B and per_region)")
    options: dict[str, Any] = {}
    if spec is not None:
        options = spec.sweep_options()
    if cfg.field is not None:
        options["bias"] = tuple(cfg.field.B)
        options["per_region"] = dict(cfg.field.per_region) or None
    defaults = {"B_start": None, "B_stop": None, "steps": None, "direction": None, "loop": True,
                "relaxation": None, "perturbation": 0.0, "seed": 0, "bias": (0.0, 0.0, 0.0),
                "per_region": None, "snapshots": False}
    for key, value in kw.items():
        if key not in defaults or value != defaults[key]:
            options[key] = value
    if fields is not None:
        options["fields"] = fields
        for key in ("B_start", "B_stop", "steps"):
            options.pop(key, None)
    if "fields" not in options and options.get("B_start") is None:
        raise UserError("hysteresis: the config has no [hysteresis] table and no fields were "
                        "given")
    if out is None:
        raise UserError("hysteresis: out (the output folder) is required")
    return hysteresis(problem, out=out, **options)


@click.command("hysteresis")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (table.tsv, hysteresis.json, checkpoint); an unfinished sweep "
                   "there resumes at its next field step.")
@click.option("--restart", is_flag=True, help="Discard the sweep the output folder holds.")
def hysteresis_cmd(config: Path, out_dir: Path, restart: bool) -> None:
    """Hysteresis loop of CONFIG (a TOML file with a [hysteresis] table): relax at each field
    of the sweep and write <m> against B to OUT/table.tsv."""
    from .config import load_config

    cfg = load_config(config)
    if getattr(cfg, "hysteresis", None) is None:
        raise UserError(f"{config}: no [hysteresis] table (docs/config.md, [hysteresis])")
    result = hysteresis(cfg, out=out_dir, restart=restart)
    click.echo(f"{out_dir}: {len(result.records)} field steps, unconverged: "
               f"{result.unconverged or 'none'}")


class _CallableModule(types.ModuleType):
    """``spintorque.hysteresis(...)`` calls :func:`hysteresis` even where this module, not the
    function, is the package's attribute (after ``import spintorque.hysteresis``)."""

    def __call__(self, *args: Any, **kwargs: Any) -> HysteresisResult:
        return hysteresis(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
