"""One switching run: relax at zero current (once, shared), apply the current, run until the state
settles or the time limit, classify, read out the TMR, draw the figures.

The task functions :func:`relax_task` and :func:`switching_task` take and return plain dicts, so
they run as Dask tasks (``"spintorque.experiments.runner:switching_task"``) and their results go to
the sweep store as JSON.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..drive import Checkpointing, SimulationError, Stop, drive
from ..dynamics.relax import RelaxCheckpoint
from ..io.atomic import save_npy
from ..io.checkpoint import Checkpoint, config_hash, load_checkpoint
from ..outputs import TableOutput
from ..problem import Problem
from ..threads import limit_threads, reapply
from .classify import classify_layer, state_label
from .tmr import readout
from .trilayer import TrilayerExperiment


def settled(
    times: Sequence[float],
    averages: np.ndarray,
    window: float,
    tol: float,
) -> bool:
    """True if over the last ``window`` seconds no averaged component moved more than ``tol``.

    ``times``: output times [s], ascending, shape (n,); ``averages``: shape (n, k) (any layer
    averages side by side). Needs at least ``window`` of history.
    """
    t = np.asarray(times, float)
    a = np.asarray(averages, float).reshape(len(t), -1)
    if len(t) < 2 or t[-1] - t[0] < window * (1 - 1e-9):
        return False
    recent = a[t >= t[-1] - window * (1 + 1e-9)]
    return bool(np.all(recent.max(axis=0) - recent.min(axis=0) <= tol))


def motion(times: Sequence[float], averages: np.ndarray, window: float) -> float:
    """Largest change (max − min) of any averaged component over the last ``window`` seconds.

    ``averages``: shape (n, k) (layer averages of m, dimensionless). 0 for a state at rest; a
    large value marks a final state that is a snapshot of ongoing motion, not a stable state.
    """
    t = np.asarray(times, float)
    a = np.asarray(averages, float).reshape(len(t), -1)
    recent = a[t >= t[-1] - window * (1 + 1e-9)]
    return float(np.max(recent.max(axis=0) - recent.min(axis=0)))


def _experiment(exp: TrilayerExperiment | dict) -> TrilayerExperiment:
    return exp if isinstance(exp, TrilayerExperiment) else TrilayerExperiment.from_dict(exp)


def relax_state(exp: TrilayerExperiment | dict, cache: str | os.PathLike | None = None,
                start: np.ndarray | None = None,
                threads: int | None = None) -> tuple[np.ndarray, dict]:
    """The relaxed zero-current state (unit m, shape ``grid.vshape``) and what relaxing did.

    The relaxed state does not depend on the model or the current (the relaxation has no
    transport term), so it is computed once and cached as ``cache`` (``.npy``) if given; an
    existing cache is loaded, not relaxed again. ``start``: the state to relax from (default:
    the experiment's initial state, FM1 random and FM2 uniform), e.g. a coarser mesh's relaxed
    state carried to this mesh (``spintorque refine``). ``threads``: compute threads
    (:mod:`spintorque.threads`; default: those of the caller's ``limit_threads`` block, e.g. a
    sweep worker's, else 1).
    """
    exp = _experiment(exp)
    if cache is not None and Path(cache).is_file():
        return np.load(cache), {"cached": str(cache)}
    with limit_threads(threads, blas=1):
        return _relax(exp, cache, start)


def _relax(exp: TrilayerExperiment, cache: str | os.PathLike | None,
           start: np.ndarray | None) -> tuple[np.ndarray, dict]:
    problem = exp.problem(0.0)
    reapply()  # thread pools the problem loaded (pyFFTW's OpenMP, SciPy's OpenBLAS)
    plan = None
    if cache is not None:  # the relaxation checkpoints beside its cache and continues from it
        begin = "m0" if start is None else hashlib.sha256(
            np.ascontiguousarray(start, dtype=float).tobytes()).hexdigest()
        plan = RelaxCheckpoint(Path(f"{cache}.relax.npz"),
                               config_hash({"relax": exp.digest(relax_only=True),
                                            "start": begin}))
    t0 = time.perf_counter()
    m, info = problem.relax(start, checkpoint=plan)
    info = {**info, "wall_s": time.perf_counter() - t0}
    if not (np.isfinite(m).all() and math.isfinite(info["max_torque"])):
        raise SimulationError("relaxation produced NaN/Inf in m or the field")
    if not info["converged"]:  # never cached, never used as the start of a switching run
        raise SimulationError(f"relaxation ({info['method']}) did not converge: {info['reason']}"
                              f"; max|mxH| = {info['max_torque']:.3g} A/m > relax_tol = "
                              f"{exp.relax_tol} A/m (raise relax_max_iter or relax_tol)")
    if cache is not None:
        save_npy(cache, m)
        plan.path.unlink(missing_ok=True)
    return m, info


def classify_state(sample: Any, m: np.ndarray) -> dict[str, Any]:
    """Classified states of every magnetic layer and the TMR read-out, as JSON-friendly dicts."""
    cell = sample.grid.cell
    states = {}
    for name, k0, k1 in sample.magnetic_layers():
        states[name] = classify_layer(m[:, :, k0:k1], name, (cell[0], cell[1]))
    out: dict[str, Any] = {
        "states": {k: s.to_dict() for k, s in states.items()},
        "label": state_label(list(states.values())),
    }
    layers = sample.magnetic_layers()
    if len(layers) >= 2:
        (n1, _, k1_top), (n2, k2_bot, _) = layers[0], layers[1]
        out["interface"] = (n1, n2)
        out["m_interface"] = (m[:, :, k1_top - 1], m[:, :, k2_bot])
    return out


class _History:
    """Hook of the switching run: layer averages at every stop (for the settle test and the
    motion measure), the table (with an output folder) and FM2's z-averaged frames (animation);
    all of it travels in checkpoints."""

    def __init__(self, problem: Problem, table: Path | None, animate: bool) -> None:
        self.sample = problem.sample
        self.layers = problem.sample.magnetic_layers()
        self.fm2 = next((k for k in self.layers if k[0] == "FM2"), self.layers[-1])
        self.table = TableOutput(problem, table) if table is not None else None
        self.animate = animate
        self.times: list[float] = []
        self.avgs: list[np.ndarray] = []
        self.frames: list[np.ndarray] = []
        self.wall_before, self.wall0 = 0.0, time.perf_counter()

    def open(self, resume_state: dict[str, Any] | None) -> None:
        if resume_state is not None:
            self.times = [float(x) for x in resume_state["times"]]
            self.avgs = list(np.asarray(resume_state["averages"]))
            self.frames = list(np.asarray(resume_state.get("frames", np.zeros((0,)))))
            self.wall_before = float(resume_state.get("wall_s", 0.0))
        if self.table is not None:
            self.table.open(resume_state)

    def __call__(self, stop: Stop, t: float, m: np.ndarray) -> None:
        self.times.append(t)
        self.avgs.append(np.concatenate([self.sample.average(m, name)
                                         for name, _, _ in self.layers]))
        if self.table is not None:
            self.table(stop, t, m)
        if self.animate:
            self.frames.append(m[:, :, self.fm2[1]:self.fm2[2]].mean(axis=2))

    def wall(self) -> float:
        """Wall time [s] of the run, over every process that worked on it."""
        return self.wall_before + time.perf_counter() - self.wall0

    def state(self) -> dict[str, Any]:
        out = self.table.state() if self.table is not None else {}
        out.update({"times": np.array(self.times), "averages": np.array(self.avgs),
                    "wall_s": self.wall()})
        if self.animate:
            out["frames"] = np.array(self.frames)
        return out

    def close(self) -> None:
        if self.table is not None:
            self.table.close()


def _start_state(exp: TrilayerExperiment,
                 relaxed: np.ndarray | str | os.PathLike | None) -> tuple[np.ndarray, dict]:
    if relaxed is None:
        return relax_state(exp)
    if isinstance(relaxed, np.ndarray):
        return np.array(relaxed, float), {"given": True}
    return np.load(relaxed), {"cached": str(relaxed)}


def run_switching_point(
    experiment: TrilayerExperiment | dict,
    current: float,
    out_dir: str | os.PathLike | None = None,
    relaxed: np.ndarray | str | os.PathLike | None = None,
    figures: bool = True,
    animate: bool = False,
    checkpoint_every: float | None = 60.0,
    threads: int | None = None,
) -> dict[str, Any]:
    """One point of the switching experiment at current density ``current`` [A/m², FM1 → FM2].

    Relaxes at zero current (or starts from ``relaxed``: an array or a ``.npy`` path), runs with
    the current until the layer averages settle (:func:`settled`, with the experiment's window,
    tolerance and torque bound) or ``experiment.duration`` is reached, then classifies each
    layer. With ``out_dir``: writes ``table.tsv``, ``final.npy`` and (``figures``) ``mt.png``,
    ``layers.png``; ``animate`` adds ``FM2.gif`` (z-averaged FM2 over time).

    With ``out_dir`` the run also writes ``checkpoint.npz`` at an output time about every
    ``checkpoint_every`` seconds of wall time (None: never) and, called again on the same folder
    for the same experiment, current and starting state, continues from it bit for bit; the
    checkpoint is removed when the run ends. A sweep whose client or worker was killed thus
    loses at most a minute of each run in flight.

    ``threads``: compute threads of the run (:mod:`spintorque.threads`; default: those of the
    caller's ``limit_threads`` block, e.g. a sweep worker's ``--threads``, else 1).

    Returns a JSON-friendly dict: ``current`` [A/m²], ``model``, ``label`` (all layers),
    ``state`` (FM2's label family, e.g. "FM2 +x" for a C-state along +x; "FM2 moving" if the
    experiment's ``moving_threshold`` is set and exceeded), ``state_detail``
    (FM2's full label), ``states`` (per layer: label, family, kind, mean, circulation, ...),
    ``averages`` {layer: [mx, my, mz]}, ``tmr`` (relative orientation and TMR), ``t_end`` [s],
    ``settled``, ``motion`` {layer: largest change of a component of its average over the last
    settle window, see :func:`motion`}, ``steps``, ``transport_stats`` (solves, Krylov
    iterations, ... of this process's part of the run), ``wall_s`` [s], ``resumed_at`` [s]
    (None if not resumed), ``files`` {name: path}.
    """
    with limit_threads(threads, blas=1):
        return _switching_point(_experiment(experiment), float(current), out_dir, relaxed,
                                figures, animate, checkpoint_every)


def _switching_point(exp: TrilayerExperiment, j: float, out_dir: str | os.PathLike | None,
                     relaxed: np.ndarray | str | os.PathLike | None, figures: bool,
                     animate: bool, checkpoint_every: float | None) -> dict[str, Any]:
    problem = exp.problem(j)
    reapply()  # thread pools the problem loaded (pyFFTW's OpenMP, SciPy's OpenBLAS)
    m, relax_info = _start_state(exp, relaxed)
    if m.shape != problem.sample.grid.vshape:
        raise ValueError(f"relaxed state has shape {m.shape}; the grid needs "
                         f"{problem.sample.grid.vshape}")
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.npz" if out is not None and checkpoint_every is not None else None
    digest = _run_digest(exp, j, m)
    resume = _matching_checkpoint(ckpt, digest)
    history = _History(problem, out / "table.tsv" if out is not None else None, animate)
    ms_max = max(mat.Ms for mat in problem.sample.materials)

    def is_settled(t: float, m: np.ndarray) -> bool:
        return (t >= exp.min_duration - 1e-18
                and settled(history.times, np.array(history.avgs), exp.settle_window,
                            exp.settle_tol)
                and problem.llg.max_torque(m, t) <= exp.settle_torque * ms_max)

    n_out = max(1, int(math.ceil(exp.duration / exp.output_every - 1e-9)))
    stops = [Stop(min(i * exp.output_every, exp.duration)) for i in range(n_out + 1)]
    plan = Checkpointing(ckpt, digest, checkpoint_every) if ckpt is not None else None
    result = drive(problem, m, stops, hooks=[history], until=is_settled, checkpointing=plan,
                   resume=resume)
    files = _write_outputs(exp, j, problem, result.m, history, out, figures, animate)
    if ckpt is not None:
        ckpt.unlink(missing_ok=True)  # the run is over: a re-run starts afresh
    return {**_summary(exp, problem, result.m, history), "current": j, "model": exp.model,
            "t_end": result.t, "settled": result.stopped_early,
            "steps": int(result.stats.get("steps", -1)),
            "transport_stats": _transport_stats(problem),
            "relax": {k: v for k, v in relax_info.items()
                      if isinstance(v, (int, float, str, bool))},
            "wall_s": history.wall(), "resumed_at": resume.t if resume is not None else None,
            "files": files}


def _transport_stats(problem: Problem) -> dict[str, float]:
    """Solves, Krylov iterations, ... of the spin accumulation's solver (this process)."""
    stats: dict[str, Any] = {}
    for term in problem.drives:
        stats.update(getattr(getattr(term, "solver", None), "stats", None) or {})
    return {k: v for k, v in stats.items() if isinstance(v, (int, float)) and math.isfinite(v)}


def _summary(exp: TrilayerExperiment, problem: Problem, m: np.ndarray,
             history: _History) -> dict[str, Any]:
    """Classified layers, averages, motion, TMR and FM2's state of the final m."""
    sample, layers = problem.sample, history.layers
    cls = classify_state(sample, m)
    averages = {name: [float(v) for v in sample.average(m, name)] for name, _, _ in layers}
    track = np.array(history.avgs).reshape(len(history.times), len(layers), 3)
    moving = {name: motion(history.times, track[:, i], exp.settle_window)
              for i, (name, _, _) in enumerate(layers)}
    tmr: dict[str, Any] = {}
    if "interface" in cls:
        n1, n2 = cls["interface"]
        tmr = readout(np.array(averages[n1]), np.array(averages[n2]), exp.P_L, exp.P_R,
                      m_interface=cls["m_interface"])
    states = cls["states"]
    fm2_name = "FM2" if "FM2" in states else next(iter(states))
    state = states[fm2_name]["family"]
    if exp.moving_threshold is not None and moving.get(fm2_name, 0.0) > exp.moving_threshold:
        state = f"{fm2_name} moving"
    return {"label": cls["label"], "state": state, "state_detail": states[fm2_name]["label"],
            "states": states, "averages": averages, "tmr": tmr, "motion": moving}


def _write_outputs(exp: TrilayerExperiment, j: float, problem: Problem, m: np.ndarray,
                   history: _History, out: Path | None, figures: bool,
                   animate: bool) -> dict[str, str]:
    """``final.npy`` and the figures in ``out``; their paths by name."""
    if out is None:
        return {}
    save_npy(out / "final.npy", m)
    files = {"table": str(out / "table.tsv"), "final": str(out / "final.npy")}
    if figures or (animate and history.frames):
        from .. import plot
    if figures:
        label = classify_state(problem.sample, m)["label"]
        title = f"{exp.model}, j = {j / 1e10:.2f}e10 A/m², {label}"
        files["mt"] = str(plot.plot_mt(out / "table.tsv", out / "mt.png", title))
        files["layers"] = str(plot.plot_layers(m, history.layers, problem.sample.grid.cell,
                                               out / "layers.png", title))
    if animate and history.frames:
        gif = plot.animate_layer(np.array(history.frames), history.times,
                                 problem.sample.grid.cell, out / "FM2.gif",
                                 title=f"FM2, j = {j / 1e10:.2f}e10 A/m²,")
        if gif is not None:
            files["animation"] = str(gif)
    return files


def _run_digest(exp: TrilayerExperiment, current: float, m0: np.ndarray) -> str:
    """Hash of what a switching run's trajectory depends on: experiment, current, start state."""
    start = hashlib.sha256(np.ascontiguousarray(m0, dtype=float).tobytes()).hexdigest()
    # "loop": the checkpoint layout of spintorque.drive (older checkpoints are not resumed)
    return config_hash({"experiment": exp.to_dict(), "current": float(current), "start": start,
                        "loop": 2})


def _matching_checkpoint(path: Path | None, digest: str) -> Checkpoint | None:
    """The checkpoint at ``path`` if it belongs to this run (same digest); else None."""
    if path is None or not path.is_file():
        return None
    try:
        ck = load_checkpoint(path)
    except (OSError, ValueError, KeyError) as exc:  # unreadable: start afresh, say why
        import warnings

        warnings.warn(f"{path}: ignored, cannot be read ({exc}); the run starts afresh",
                      stacklevel=3)
        return None
    return ck if ck.config_hash == digest else None


# -- Dask task functions (params dict -> JSON dict) -------------------------------------------

def relax_task(params: dict) -> dict:
    """``{"experiment": {...}, "cache": path}`` -> relaxes once and saves the ``.npy`` cache."""
    m, info = relax_state(params["experiment"], params["cache"])
    return {"cache": params["cache"], "shape": list(m.shape),
            **{k: v for k, v in info.items() if isinstance(v, (int, float, str, bool))}}


def switching_task(params: dict) -> dict:
    """``{"experiment": {...}, "current": A/m², "out": dir, "relaxed": .npy path or None,
    "animate": bool}`` -> :func:`run_switching_point`'s dict."""
    return run_switching_point(
        params["experiment"], params["current"], out_dir=params.get("out"),
        relaxed=params.get("relaxed"), figures=params.get("figures", True),
        animate=params.get("animate", False),
    )
