"""The simulation driver: a validated config -> sample, fields, LLG -> relax -> run with outputs.

``build(cfg)`` turns a :class:`spintorque.config.RunConfig` into a :class:`Simulation` (sample,
initial magnetization, field terms, torques, LLG). ``run_config(cfg, out_dir)`` relaxes (if
enabled) and integrates for ``cfg.run.duration`` seconds, writing into ``out_dir``:

- ``table.tsv``: one row per output time (:mod:`spintorque.io.table`), the first at t = 0;
- ``m_NNNNNN.ovf``: OVF 2.0 snapshots of Ms·m [A/m], numbered from 0 at t = 0, every
  ``run.snapshot_every`` seconds (if set); ``relaxed.ovf`` after relaxation and ``final.ovf``
  at the end;
- ``checkpoint.npz``: written every ``run.checkpoint_every`` seconds of wall time and at the end;
- ``DONE``: JSON marker of a finished run (final time, config hash); ``FAILED`` after a numerical
  fault (the message; the last good checkpoint is kept).

Running ``run_config`` again on the same folder resumes an unfinished run from its checkpoint (the
table is cut back to the checkpoint's row count, so no row is duplicated) and returns at once for a
finished one. A different config in the same folder is refused (``restart=True`` starts afresh).

Relaxation is done at zero applied field and zero current (the drives start at t = 0, as in muMAG
SP4): the relaxation field has every term except the Zeeman and the spin-accumulation terms, and no
current-driven torque.
"""

from __future__ import annotations

import json
import math
import time as _time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .constants import MU0
from .dynamics.llg import LLG, cross
from .fields.anisotropy import UniaxialAnisotropy
from .fields.base import EffectiveField
from .fields.exchange import Exchange
from .fields.zeeman import Zeeman
from .initial import initial_state
from .io.checkpoint import (
    Checkpoint,
    atomic_write,
    config_hash,
    load_checkpoint,
    rng_from_state,
    rng_state,
    save_checkpoint,
)
from .io.errors import UserError
from .io.ovf import write_magnetization
from .io.table import TableWriter
from .materials import Material, Sample

CHECKPOINT = "checkpoint.npz"
TABLE = "table.tsv"
DONE = "DONE"
FAILED = "FAILED"


class SimulationError(RuntimeError):
    """A run stopped on a numerical fault; the message names the time [s] and the cause."""


class ConfigMismatchError(UserError):
    """The output folder holds a run of a different config (a user error: a ValueError)."""


class BusyError(UserError):
    """Another process is running in the output folder."""


class ResumeError(UserError):
    """The output folder's checkpoint and table do not fit together (e.g. a table was edited)."""


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """Attribute or mapping entry ``key`` of a config section (None-safe)."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        value = obj.get(key, default)
    else:
        value = getattr(obj, key, default)
    return default if value is None else value


def _dump(cfg: Any) -> Any:
    if hasattr(cfg, "model_dump"):
        return cfg.model_dump(mode="json")
    return cfg


# -- building -------------------------------------------------------------------------------------


def make_material(name: str, spec: Any) -> Material:
    """A :class:`Material` from a ``[material.NAME]`` section (only the keys Material knows)."""
    from dataclasses import fields

    kwargs = {}
    for f in fields(Material):
        if f.name == "name":
            continue
        value = _get(spec, f.name)
        if value is not None:
            kwargs[f.name] = tuple(value) if f.name == "axis" else value
    return Material(name=name, **kwargs)


def build_sample(cfg: Any) -> Sample:
    """Layers of the config stacked along z, bottom first (:meth:`Sample.stack`)."""
    cell = tuple(float(c) for c in cfg.mesh.cell)
    size = cfg.mesh.size
    nxy = (round(size[0] / cell[0]), round(size[1] / cell[1]))
    materials = {key: make_material(key, spec) for key, spec in cfg.material.items()}
    layers = [(layer.name, float(layer.thickness), materials[layer.material])
              for layer in cfg.layer]
    return Sample.stack(nxy, cell, layers)


def applied_field(spec: Any) -> Callable[[float], np.ndarray] | np.ndarray:
    """mu0·H(t) [T] of the ``[field]`` section: the constant ``B`` plus the named time form's
    ``value(t)`` (``sine``, ``pulse``, ``ramp`` of :mod:`spintorque.config`; never code)."""
    b0 = np.asarray(_get(spec, "B", (0.0, 0.0, 0.0)), float)
    form = _get(spec, "time")
    if form is None:
        return b0
    return lambda t: b0 + form.value(t)


@dataclass
class Simulation:
    """Everything bound to one config.

    ``llg`` is the run's LLG (all terms and torques, ``run.alpha`` override); ``relax_llg`` the
    relaxation one (no Zeeman, no transport, no torques). ``m0`` is the initial unit
    magnetization, shape ``grid.vshape``. ``transport`` is the spin-accumulation field term or None.
    """

    cfg: Any
    sample: Sample
    m0: np.ndarray
    terms: list
    llg: LLG
    relax_llg: LLG
    transport: Any = None
    torques: list = field(default_factory=list)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    _row_buf: tuple | None = field(default=None, repr=False)
    _ms_volume: np.ndarray | None = field(default=None, repr=False)

    # -- relaxation -------------------------------------------------------------------------------
    def relax(self, m: np.ndarray, progress: Callable[[str], None] | None = None,
              progress_every: float = 10.0) -> tuple[np.ndarray, dict[str, Any]]:
        """Relaxed unit magnetization from ``m`` and a dict of what the relaxation did.

        ``progress`` gets a line (iteration, energy, max|m × H|) about every ``progress_every``
        seconds of wall time.
        """
        spec = self.cfg.relax
        method = _get(spec, "method", "minimize")
        tol = _get(spec, "tol")
        max_iter = int(_get(spec, "max_iter", 20000))
        last = [_time.monotonic()]

        def report(iteration: int, energy: float, torque: float) -> None:
            now = _time.monotonic()
            if progress is not None and now - last[0] >= progress_every:
                progress(f"relaxing ({method}): iteration {iteration}, E = {energy:.6g} J, "
                         f"max|mxH| = {torque:.3g} A/m (tol {tol} A/m)")
                last[0] = now

        if method == "minimize":
            from .dynamics.minimize import minimize

            kwargs: dict[str, Any] = {"max_iter": max_iter}
            if tol is not None:
                kwargs["tol"] = float(tol)
            result = minimize(self.relax_llg, m,
                              callback=lambda i, _m, e, torque: report(i, e, torque), **kwargs)
            info = {"method": method, "converged": bool(getattr(result, "converged", True)),
                    "iterations": int(getattr(result, "iterations", -1)),
                    "max_torque": float(self.relax_llg.max_torque(result.m))}
            return result.m, info
        if method == "llg":
            from .dynamics.integrators import make_integrator

            alpha = float(_get(spec, "alpha", 1.0))
            llg = LLG(self.sample, self.relax_llg.field, alpha=alpha)
            integ = make_integrator("rk45", llg, **self._integrator_options("rk45"))
            tol = 1e-1 if tol is None else float(tol)
            t, steps, torque = 0.0, 0, llg.max_torque(m)
            while torque > tol and steps < max_iter:
                t, m = integ.step(t, m)
                steps += 1
                if steps % 20 == 0:
                    torque = llg.max_torque(m)
                    report(steps, llg.field.energy(m), torque)
            torque = llg.max_torque(m)
            return m, {"method": method, "converged": torque <= tol, "iterations": steps,
                       "max_torque": torque}
        raise UserError(f"relax.method = {method!r}; allowed: 'minimize', 'llg'")

    # -- integration ------------------------------------------------------------------------------
    def _integrator_options(self, name: str) -> dict[str, Any]:
        run = self.cfg.run
        options: dict[str, Any] = {}
        if _get(run, "dt") is not None:
            options["dt"] = float(run.dt)
        adaptive = name in ("rk45", "rk43")
        if adaptive and _get(run, "rtol") is not None:
            options["rtol"] = float(run.rtol)
            options["atol"] = float(run.rtol)
        if adaptive and _get(run, "dt_max") is not None:
            options["dt_max"] = float(run.dt_max)
        update = _get(run, "transport_update")
        if update is not None and name in ("rk45", "rk43", "gspm"):
            options["transport_update"] = str(update)
        return options

    def make_integrator(self) -> Any:
        """The run's integrator (``run.integrator``) from the shared registry."""
        from .dynamics.integrators import make_integrator

        name = _get(self.cfg.run, "integrator", "rk45")
        return make_integrator(name, self.llg, **self._integrator_options(name))

    # -- outputs ----------------------------------------------------------------------------------
    @cached_property
    def _slabs(self) -> list[tuple[str, int, int]]:
        return self.sample.magnetic_layers()

    def _magnetic_layer_names(self) -> list[str]:
        return [name for name, _, _ in self._slabs]

    def _transport_layers(self) -> list[str]:
        return [layer.name for layer in self.cfg.layer
                if self.sample.materials[self.sample.names.index(layer.name)].conducting]

    def columns(self) -> list[str]:
        """Header cells of ``table.tsv``."""
        cols = ["t (s)", "mx", "my", "mz"]
        layers = self._magnetic_layer_names()
        if len(layers) > 1:
            for name in layers:
                cols += [f"mx_{name}", f"my_{name}", f"mz_{name}"]
        cols += [f"E_{term.name} (J)" for term in self.terms]
        cols += ["E_total (J)", "max|mxH| (A/m)"]
        if self.transport is not None:
            cols += [f"|s|_{name} (A/m)" for name in self._transport_layers()]
        return cols

    def spin_accumulation(self) -> np.ndarray | None:
        """The transport term's current s [A/m] on the grid (None without transport)."""
        if self.transport is None:
            return None
        s = getattr(self.transport, "s", None)
        return None if s is None else np.asarray(s)

    def _energies_and_torque(self, t: float, m: np.ndarray) -> tuple[list[float], float]:
        """Energy of each term [J] and max|m × H| [A/m] from one field evaluation per term.

        Terms of known form reuse their field: quadratic (exchange, anisotropy, demag)
        E = −mu0/2 Σ Ms V m·H, linear (Zeeman) E = −mu0 Σ Ms V m·H; any other term is asked for
        its ``energy``. Same numbers as ``term.energy``, about half the cost of calling it.
        """
        from .fields.demag import Demag

        if self._row_buf is None:
            vshape = self.sample.grid.vshape
            self._row_buf = (np.zeros(vshape), np.zeros(vshape), np.zeros(vshape),
                             np.zeros(vshape))
            self._ms_volume = (self.sample.param("Ms") * self.sample.grid.cell_volume)[..., None]
        total, buf, mxh, moment = self._row_buf
        np.multiply(self._ms_volume, m, out=moment)  # Ms V m [A m^2]
        total[...] = 0.0
        energies = []
        for term in self.llg.field.terms:
            h = term.field(m, t, out=buf)
            total += h
            if isinstance(term, (Exchange, UniaxialAnisotropy, Demag)):
                energies.append(-0.5 * MU0 * float(np.vdot(moment, h)))
            elif isinstance(term, Zeeman):
                energies.append(-MU0 * float(np.vdot(moment, h)))
            else:
                energies.append(float(term.energy(m, t)))
        cross(m, total, out=mxh)
        torque = float(np.sqrt(np.max(np.einsum("ijkl,ijkl->ijk", mxh, mxh))))
        return energies[: len(self.terms)], torque

    def averages(self, m: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """<m> over all magnetic cells and per magnetic layer (full-plane z slabs).

        Sums over the slabs rather than boolean indexing: no copies, no per-row mask building.
        """
        total, count, per_layer = np.zeros(3), 0, {}
        for name, k0, k1 in self._slabs:
            part = m[:, :, k0:k1].sum(axis=(0, 1, 2))
            n = m.shape[0] * m.shape[1] * (k1 - k0)
            per_layer[name] = part / n
            total += part
            count += n
        return (total / count if count else total), per_layer

    def row(self, t: float, m: np.ndarray) -> list[float]:
        """One table row at time t [s] for the state m (same order as :meth:`columns`)."""
        sample = self.sample
        mean, per_layer = self.averages(m)
        values = [t, *mean]
        if len(per_layer) > 1:
            for name in self._magnetic_layer_names():
                values += list(per_layer[name])
        energies, torque = self._energies_and_torque(t, m)
        values += energies
        values += [sum(energies), torque]
        if self.transport is not None:
            s = self.spin_accumulation()
            for name in self._transport_layers():
                if s is None or s.shape != sample.grid.vshape:
                    values.append(math.nan)
                else:
                    values.append(float(np.linalg.norm(s[sample.mask(name)], axis=-1).mean()))
        return values

    def snapshot(self, path: Path, t: float, m: np.ndarray) -> None:
        """OVF 2.0 snapshot of Ms·m [A/m]."""
        write_magnetization(path, m, self.sample.param("Ms"), self.sample.grid, t=t)


_BC = {"neumann": "N", "zero_flux": "Z"}


def _transport_term(cfg: Any, sample: Sample) -> Any:
    spec = _get(cfg, "transport")
    model = _get(spec, "model", "none")
    if model == "none":
        return None
    mode = _get(spec, "mode", "quasistatic")
    integrator = _get(_get(cfg, "run"), "integrator", "rk45")
    if mode == "implicit" and integrator != "gspm":
        raise UserError(f"transport.mode = 'implicit' needs run.integrator = 'gspm' (got "
                        f"{integrator!r}): the time-dependent s is stepped between evaluation "
                        "times, which RK stages revisit")
    boundary = _get(spec, "boundary", "neumann")
    if boundary not in _BC:
        raise UserError(f"transport.boundary = {boundary!r}; allowed: {sorted(_BC)}")
    # imported lazily: runs without transport never need the transport package
    from .transport.coupling import SpinAccumulationField

    return SpinAccumulationField(
        sample, model=model, current_density=_current(_get(spec, "current_density", 0.0)),
        bc=_BC[boundary], z_refine=int(_get(spec, "z_refine", 1)),
        a=float(_get(spec, "moment_a", 1.0)), rtol=float(_get(spec, "rtol", 1e-6)),
        mode=mode,
    )


def _current(value: Any) -> float | tuple[float, float, float]:
    """A number (along +z) or a uniform current-density vector [A/m^2]."""
    if isinstance(value, (int, float)):
        return float(value)
    return tuple(float(v) for v in value)  # type: ignore[return-value]


def _torques(cfg: Any, sample: Sample, alpha: float | None) -> list:
    spec = _get(cfg, "torque")
    out: list = []
    zl = _get(spec, "zhang_li")
    sl = _get(spec, "slonczewski")
    if zl is None and sl is None:
        return out
    from .dynamics.torques import Slonczewski, ZhangLi

    if zl is not None:
        out.append(ZhangLi(sample, current_density=tuple(_get(zl, "current_density")),
                           P=_get(zl, "P"), xi=float(_get(zl, "xi", 0.0)),
                           convention=_get(zl, "convention", "mumax3"), alpha=alpha))
    if sl is not None:
        out.append(Slonczewski(sample, current_density=float(_get(sl, "current_density")),
                               p=tuple(_get(sl, "p")), P=_get(sl, "P"),
                               Lambda=_get(sl, "Lambda"), eps_prime=_get(sl, "eps_prime"),
                               region=_get(sl, "region"), thickness=_get(sl, "thickness"),
                               alpha=alpha))
    return out


def as_config(cfg: Any) -> Any:
    """A validated ``RunConfig`` from a ``RunConfig`` or a plain dict (validated here)."""
    if isinstance(cfg, dict):
        from .config import config_from_dict

        return config_from_dict(cfg)
    return cfg


def build(cfg: Any) -> Simulation:
    """A :class:`Simulation` from a validated ``RunConfig`` (or a dict, validated first)."""
    cfg = as_config(cfg)
    sample = build_sample(cfg)
    vshape = sample.grid.vshape
    base_terms: list = [Exchange(sample, float(_get(_get(cfg, "exchange"), "interregion_scale",
                                                   1.0)))]
    if any(mat.Ku != 0 for mat in sample.materials if mat.magnetic):
        base_terms.append(UniaxialAnisotropy(sample))
    if _get(_get(cfg, "demag"), "enabled", True):
        from .fields.demag import Demag

        base_terms.append(Demag(sample))
    drive_terms: list = []
    fspec = _get(cfg, "field")
    if fspec is not None:
        b = applied_field(fspec)
        per_region = _get(fspec, "per_region")
        has_static = not isinstance(b, np.ndarray) or np.any(b != 0)
        if has_static or per_region:
            drive_terms.append(Zeeman(sample, B=b, per_region=per_region))
    transport = _transport_term(cfg, sample)
    if transport is not None:
        drive_terms.append(transport)
    alpha = _get(_get(cfg, "run"), "alpha")
    torques = _torques(cfg, sample, alpha)
    terms = base_terms + drive_terms
    llg = LLG(sample, EffectiveField(terms, vshape), torques=torques, alpha=alpha)
    relax_llg = LLG(sample, EffectiveField(base_terms, vshape))
    return Simulation(cfg, sample, initial_state(cfg, sample), terms, llg, relax_llg,
                      transport=transport, torques=torques,
                      rng=np.random.default_rng(_seed(cfg)))


def _seed(cfg: Any) -> int:
    return int(run_hash(cfg)[:16], 16)


def run_hash(cfg: Any) -> str:
    """Hash of everything that determines the result (``title`` and ``run.checkpoint_every``
    excluded; initial OVF files also by content)."""
    data = json.loads(json.dumps(_dump(cfg), default=str))
    if isinstance(data, dict):
        data.pop("title", None)
        if isinstance(data.get("run"), dict):
            data["run"].pop("checkpoint_every", None)
    files = {}
    for layer in getattr(cfg, "layer", []) or []:
        path = _get(_get(layer, "initial"), "file")
        if path is not None and Path(path).is_file():
            import hashlib

            files[layer.name] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return config_hash({"config": data, "files": files})


# -- the run --------------------------------------------------------------------------------------


def output_stops(duration: float, output_every: float,
                 snapshot_every: float | None = None) -> list[tuple[float, bool, bool]]:
    """Times [s] the integrator stops at, as ``(t, write_row, write_snapshot)``, from 0 to
    ``duration`` inclusive. Times are integer multiples (no accumulated round-off); a stop within
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
    return [(t, row, snap) for t, (row, snap) in sorted(stops.items())]


@dataclass
class RunResult:
    """What :func:`run_config` did: final time ``t`` [s] and state ``m``; ``rows`` in the table;
    ``resumed`` from a checkpoint; ``already_done`` (nothing recomputed); ``wall`` [s]."""

    t: float
    m: np.ndarray
    out_dir: Path
    rows: int
    resumed: bool = False
    already_done: bool = False
    wall: float = 0.0
    relax: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)


def _numerical_errors() -> tuple[type[BaseException], ...]:
    from .dynamics.integrators.base import IntegrationError

    return (IntegrationError, ArithmeticError, np.linalg.LinAlgError, RuntimeError)


def _transport_state(sim: Simulation) -> dict[str, np.ndarray]:
    """Arrays that make a resumed transport solve start where the killed one was: ``s`` on the
    grid [A/m] and the solver's warm start on the transport mesh."""
    if sim.transport is None:
        return {}
    out = {}
    warm = getattr(getattr(sim.transport, "solver", None), "s", None)
    if isinstance(warm, np.ndarray):
        out["transport_warm"] = warm.copy()
    past = getattr(getattr(sim.transport, "solver", None), "warm_history", None)
    if isinstance(past, np.ndarray) and past.size:  # projected warm start (past solutions)
        out["transport_history"] = past
    t_last = getattr(sim.transport, "t_last", None)
    if t_last is not None:  # time-dependent mode: time of the last implicit step [s]
        out["transport_time"] = np.array(t_last)
    solves = getattr(sim.transport, "solves", None)
    if solves:  # the last solves, from which stages between solves predict s
        out["transport_solve_times"] = np.array([ts for ts, _ in solves])
        out["transport_solves"] = np.array([ss for _, ss in solves])
    return out


def _load_transport_state(sim: Simulation, s: np.ndarray | None, extra: dict[str, Any]) -> None:
    if sim.transport is None:
        return
    if s is not None and hasattr(sim.transport, "s"):
        sim.transport.s = np.array(s)
    warm = extra.get("transport_warm")
    solver = getattr(sim.transport, "solver", None)
    if isinstance(warm, np.ndarray) and solver is not None:
        solver.s = np.array(warm)
    past = extra.get("transport_history")
    if isinstance(past, np.ndarray) and solver is not None and hasattr(solver, "warm_history"):
        solver.warm_history = past
    t_last = extra.get("transport_time")
    if isinstance(t_last, np.ndarray) and hasattr(sim.transport, "t_last"):
        sim.transport.t_last = float(t_last)
    times, solves = extra.get("transport_solve_times"), extra.get("transport_solves")
    if isinstance(times, np.ndarray) and isinstance(solves, np.ndarray) and hasattr(
        sim.transport, "solves"
    ):
        sim.transport.solves = [(float(ts), np.array(ss)) for ts, ss in zip(times, solves,
                                                                            strict=True)]


def run_config(
    cfg: Any,
    out_dir: str | Path,
    *,
    restart: bool = False,
    progress: Callable[[str], None] | None = print,
    progress_every: float = 10.0,
) -> RunResult:
    """Relax (if enabled) and run ``cfg`` for ``cfg.run.duration`` seconds, writing into
    ``out_dir``; resumes an unfinished run found there, returns a finished one unchanged.

    ``restart`` discards whatever run the folder holds. ``progress`` receives a short line about
    every ``progress_every`` seconds of wall time (None: silent). Raises
    :class:`ConfigMismatchError` if the folder holds another config's run and
    :class:`SimulationError` on a numerical fault (the last good checkpoint is kept).
    """
    wall0 = _time.monotonic()
    cfg = as_config(cfg)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with _folder_lock(out):
        return _run_locked(cfg, out, restart, progress, progress_every, wall0)


@contextmanager
def _folder_lock(out: Path) -> Iterator[None]:
    """Exclusive lock on ``out/.lock`` for the whole run; the kernel drops it when the process
    dies (even by SIGKILL), so a killed run never leaves a stale lock behind."""
    import fcntl

    with open(out / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BusyError(f"{out}: another process is running in this folder") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_locked(cfg: Any, out: Path, restart: bool, progress: Callable[[str], None] | None,
                progress_every: float, wall0: float) -> RunResult:
    say = progress or (lambda _s: None)
    digest = run_hash(cfg)
    ckpt_path, done_path = out / CHECKPOINT, out / DONE
    for stale in out.glob("*.tmp"):
        stale.unlink()  # temporary files left by a kill during an atomic write
    if restart:
        for name in (CHECKPOINT, DONE, FAILED, TABLE, "final.ovf", "relaxed.ovf"):
            (out / name).unlink(missing_ok=True)
        for snap in out.glob("m_*.ovf"):
            snap.unlink()
    if done_path.exists():
        info = json.loads(done_path.read_text())
        if info.get("config_hash") != digest:
            raise ConfigMismatchError(_mismatch(out))
        ck = load_checkpoint(ckpt_path)
        say(f"{out}: finished earlier at t = {ck.t:.6g} s; nothing to do")
        return RunResult(ck.t, ck.m, out, ck.rows, already_done=True,
                         wall=_time.monotonic() - wall0)
    run = cfg.run
    sim = build(cfg)
    resumed = ckpt_path.exists()
    relax_info: dict[str, Any] = {}
    if resumed:
        ck = load_checkpoint(ckpt_path)
        if ck.config_hash != digest:
            raise ConfigMismatchError(_mismatch(out))
        if ck.m.shape != sim.sample.grid.vshape:
            raise ResumeError(f"{ckpt_path}: m of shape {ck.m.shape}, but the grid is "
                              f"{sim.sample.grid.vshape}")
        (out / FAILED).unlink(missing_ok=True)
        t, m = ck.t, ck.m
        if ck.rng:
            sim.rng = rng_from_state(ck.rng)
        _load_transport_state(sim, ck.s, ck.extra)
        relax_info = ck.extra.get("relax", {}) if isinstance(ck.extra.get("relax"), dict) else {}
        say(f"{out}: resuming at t = {t:.6g} s from {CHECKPOINT} ({ck.rows} table rows)")
    else:
        _write_text(out / "config.json", json.dumps(_dump(cfg), indent=2, default=str))
        m = sim.m0
        t = 0.0
        if _get(_get(cfg, "relax"), "enabled", False):
            try:
                m, relax_info = sim.relax(m, say, progress_every)
            except _numerical_errors() as exc:
                raise SimulationError(f"relaxation (before t = 0 s) stopped: "
                                      f"{type(exc).__name__}: {exc}") from exc
            if not np.isfinite(m).all():
                raise SimulationError("relaxation (before t = 0 s) produced NaN/Inf in m")
            sim.snapshot(out / "relaxed.ovf", 0.0, m)
            say(f"relaxed ({relax_info.get('method')}): {relax_info.get('iterations')} "
                f"iterations, max|mxH| = {relax_info.get('max_torque', math.nan):.3g} A/m, "
                f"converged = {relax_info.get('converged')}")
        ck = Checkpoint(0.0, m, digest, rows=0, stop_index=0, rng=rng_state(sim.rng),
                        extra={"relax": relax_info})
    stops = output_stops(float(run.duration), float(run.output_every),
                         _get(run, "snapshot_every"))
    # snapshots are numbered 0, 1, 2, ... in time order (m_000000.ovf is t = 0)
    snap_number = {i: k for k, i in enumerate(i for i, st in enumerate(stops) if st[2])}
    integ = sim.make_integrator() if len(stops) > 1 else None
    if resumed and integ is not None and ck.integrator:
        integ.load_state_dict(ck.integrator)
    try:
        table = TableWriter(out / TABLE, sim.columns(), resume_rows=ck.rows if resumed else None)
    except (ValueError, FileNotFoundError) as exc:
        raise ResumeError(f"{out}: cannot resume: {exc}; use another output folder, or delete "
                          "this one to start afresh") from None
    errors = _numerical_errors()
    every = float(_get(run, "checkpoint_every", 60.0))
    last_ck = _time.monotonic()
    last_say = last_ck
    good = ck  # the last checkpoint on disk (or the initial state)

    def checkpoint(index: int) -> Checkpoint:
        table.sync()  # the rows a checkpoint counts must be on disk before it
        s = sim.spin_accumulation()
        new = Checkpoint(t, m, digest, rows=table.rows, stop_index=index,
                         s=None if s is None else np.array(s),
                         integrator=integ.state_dict() if integ is not None else {},
                         rng=rng_state(sim.rng),
                         extra={"relax": relax_info, **_transport_state(sim)})
        save_checkpoint(ckpt_path, new)
        return new

    def fail(message: str, exc: BaseException | None = None) -> SimulationError:
        table.close()
        text = (f"{message}; run stopped. The last good checkpoint (t = {good.t:.9g} s) is kept "
                f"in {ckpt_path}" if ckpt_path.exists() else f"{message}; run stopped.")
        _write_text(out / FAILED, text + "\n")
        return SimulationError(text)

    try:
        if not resumed:
            good = checkpoint(0)
        for index in range(ck.stop_index, len(stops)):
            t1, write_row, write_snap = stops[index]
            if t1 > t:
                try:
                    m = integ.advance(t, m, t1)
                except errors as exc:
                    raise fail(f"t = {t:.9g} s (integrating to {t1:.9g} s): "
                               f"{type(exc).__name__}: {exc}", exc) from exc
            t = t1
            if not np.isfinite(m).all():
                raise fail(f"t = {t:.9g} s: NaN/Inf in m")
            s = sim.spin_accumulation()
            if s is not None and not np.isfinite(s).all():
                raise fail(f"t = {t:.9g} s: NaN/Inf in the spin accumulation s")
            if write_row:
                try:
                    row = sim.row(t, m)
                except errors as exc:
                    raise fail(f"t = {t:.9g} s (computing the table row): "
                               f"{type(exc).__name__}: {exc}", exc) from exc
                table.append(row)
            if write_snap:
                sim.snapshot(out / f"m_{snap_number[index]:06d}.ovf", t, m)
            now = _time.monotonic()
            if now - last_ck >= every and index + 1 < len(stops):
                good = checkpoint(index + 1)
                last_ck = now
            if now - last_say >= progress_every:
                mean = sim.sample.average(m)
                say(f"t = {t:.4g} s ({100 * t / max(run.duration, 1e-300):.0f}%), "
                    f"<m> = ({mean[0]:+.4f}, {mean[1]:+.4f}, {mean[2]:+.4f}), "
                    f"wall {now - wall0:.1f} s")
                last_say = now
        good = checkpoint(len(stops))
        sim.snapshot(out / "final.ovf", t, m)
    finally:
        table.close()
    stats = dict(getattr(integ, "stats", {}) or {})
    done = {"t": t, "config_hash": digest, "rows": good.rows, "stats": stats}
    _write_text(done_path, json.dumps(done, default=str) + "\n")
    wall = _time.monotonic() - wall0
    say(f"done: t = {t:.6g} s, {good.rows} rows, wall {wall:.2f} s")
    return RunResult(t, m, out, good.rows, resumed=resumed, wall=wall, relax=relax_info,
                     stats=stats)


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def _mismatch(out: Path) -> str:
    return (f"{out} holds a run of a different config (config hash differs); use another output "
            "folder, or delete this one to start afresh")
