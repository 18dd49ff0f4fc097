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

from ..io.checkpoint import Checkpoint, config_hash, load_checkpoint, save_checkpoint
from ..simulation import _load_transport_state, _transport_state
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


def _build(exp: TrilayerExperiment, current: float):
    from ..config import config_from_dict
    from ..simulation import build

    return build(config_from_dict(exp.to_config(current, relax=False)))


def _atomic_save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, array)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def relax_state(exp: TrilayerExperiment | dict, cache: str | os.PathLike | None = None,
                start: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """The relaxed zero-current state (unit m, shape ``grid.vshape``) and what relaxing did.

    The relaxed state does not depend on the model or the current (the relaxation has no
    transport term), so it is computed once and cached as ``cache`` (``.npy``) if given; an
    existing cache is loaded, not relaxed again. ``start``: the state to relax from (default:
    the experiment's initial state, FM1 random and FM2 uniform), e.g. a coarser mesh's relaxed
    state carried to this mesh (``tools/refine_relaxed.py``).
    """
    exp = _experiment(exp)
    if cache is not None and Path(cache).is_file():
        return np.load(cache), {"cached": str(cache)}
    sim = _build(exp, 0.0)
    t0 = time.perf_counter()
    m, info = sim.relax(sim.m0 if start is None else start)
    info = {**info, "wall_s": time.perf_counter() - t0}
    if not np.isfinite(m).all():
        raise FloatingPointError("relaxation produced NaN/Inf in m")
    if cache is not None:
        _atomic_save(Path(cache), m)
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


def run_switching_point(
    experiment: TrilayerExperiment | dict,
    current: float,
    out_dir: str | os.PathLike | None = None,
    relaxed: np.ndarray | str | os.PathLike | None = None,
    figures: bool = True,
    animate: bool = False,
    checkpoint_every: float | None = 60.0,
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
    from ..io.table import TableWriter

    wall0 = time.perf_counter()
    exp = _experiment(experiment)
    j = float(current)
    sim = _build(exp, j)
    sample = sim.sample
    if relaxed is None:
        m, relax_info = relax_state(exp)
    elif isinstance(relaxed, np.ndarray):
        m, relax_info = np.array(relaxed, float), {"given": True}
    else:
        m, relax_info = np.load(relaxed), {"cached": str(relaxed)}
    if m.shape != sample.grid.vshape:
        raise ValueError(f"relaxed state has shape {m.shape}; the grid needs {sample.grid.vshape}")
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    layers = sample.magnetic_layers()
    ms_max = max(mat.Ms for mat in sample.materials)
    integ = sim.make_integrator()
    ckpt = out / "checkpoint.npz" if out is not None and checkpoint_every is not None else None
    digest = _run_digest(exp, j, m)
    resume = _matching_checkpoint(ckpt, digest)
    times, avgs, frames = [], [], []
    t, first, wall_before = 0.0, 1, 0.0
    if resume is not None:
        m, t, first = resume.m, resume.t, resume.stop_index + 1
        integ.load_state_dict(resume.integrator)
        _load_transport_state(sim, resume.s, resume.extra)
        times = [float(x) for x in resume.extra["times"]]
        avgs = list(np.asarray(resume.extra["averages"]))
        frames = list(np.asarray(resume.extra.get("frames", np.zeros((0,)))))
        wall_before = float(resume.extra.get("wall_s", 0.0))
    table = (TableWriter(out / "table.tsv", sim.columns(),
                         resume_rows=resume.rows if resume is not None else None)
             if out is not None else None)
    fm2 = next((k for k in layers if k[0] == "FM2"), layers[-1])

    def record(t: float) -> None:
        times.append(t)
        avgs.append(np.concatenate([sample.average(m, name) for name, _, _ in layers]))
        if table is not None:
            table.append(sim.row(t, m))
        if animate:
            frames.append(m[:, :, fm2[1]:fm2[2]].mean(axis=2))

    def save(index: int) -> None:
        table.sync()  # the rows the checkpoint counts are on disk before it
        s = sim.spin_accumulation()
        extra = {"times": np.array(times), "averages": np.array(avgs),
                 "wall_s": wall_before + time.perf_counter() - wall0,
                 **_transport_state(sim)}
        if animate:
            extra["frames"] = np.array(frames)
        save_checkpoint(ckpt, Checkpoint(t, m, digest, rows=table.rows, stop_index=index,
                                         s=None if s is None else np.array(s),
                                         integrator=integ.state_dict(), extra=extra))

    is_settled = False
    n_out = max(1, int(math.ceil(exp.duration / exp.output_every - 1e-9)))
    last_save = time.perf_counter()
    try:
        if resume is None:
            record(t)
        for i in range(first, n_out + 1):
            t1 = min(i * exp.output_every, exp.duration)
            m = integ.advance(t, m, t1)
            t = t1
            if not np.isfinite(m).all():
                raise FloatingPointError(f"NaN/Inf in m at t = {t:.6g} s (j = {j:.6g} A/m^2)")
            record(t)
            if (t >= exp.min_duration - 1e-18
                    and settled(times, np.array(avgs), exp.settle_window, exp.settle_tol)
                    and sim.llg.max_torque(m, t) <= exp.settle_torque * ms_max):
                is_settled = True
                break
            # after the settle test, so a run resumed from here has taken every decision at i
            if ckpt is not None and time.perf_counter() - last_save >= checkpoint_every:
                save(i)
                last_save = time.perf_counter()
    finally:
        if table is not None:
            table.close()
    cls = classify_state(sample, m)
    solver_stats = getattr(getattr(sim.transport, "solver", None), "stats", None) or {}
    averages = {name: [float(v) for v in sample.average(m, name)] for name, _, _ in layers}
    history = np.array(avgs).reshape(len(times), len(layers), 3)
    moving = {name: motion(times, history[:, i], exp.settle_window)
              for i, (name, _, _) in enumerate(layers)}
    tmr: dict[str, Any] = {}
    if "interface" in cls:
        n1, n2 = cls["interface"]
        tmr = readout(np.array(averages[n1]), np.array(averages[n2]), exp.P_L, exp.P_R,
                      m_interface=cls["m_interface"])
    files: dict[str, str] = {}
    if out is not None:
        _atomic_save(out / "final.npy", m)
        if ckpt is not None:
            ckpt.unlink(missing_ok=True)  # the run is over: a re-run starts afresh
        files["table"] = str(out / "table.tsv")
        files["final"] = str(out / "final.npy")
        if figures:
            from .. import plot

            title = f"{exp.model}, j = {j / 1e10:.2f}e10 A/m², {cls['label']}"
            files["mt"] = str(plot.plot_mt(out / "table.tsv", out / "mt.png", title))
            files["layers"] = str(plot.plot_layers(m, layers, sample.grid.cell,
                                                   out / "layers.png", title))
        if animate and frames:
            from .. import plot

            gif = plot.animate_layer(np.array(frames), times, sample.grid.cell, out / "FM2.gif",
                                     title=f"FM2, j = {j / 1e10:.2f}e10 A/m²,")
            if gif is not None:
                files["animation"] = str(gif)
    states = cls["states"]
    fm2_name = "FM2" if "FM2" in states else next(iter(states))
    fm2 = states[fm2_name]
    state = fm2["family"]
    if exp.moving_threshold is not None and moving.get(fm2_name, 0.0) > exp.moving_threshold:
        state = f"{fm2_name} moving"
    return {
        "current": j,
        "model": exp.model,
        "label": cls["label"],
        "state": state,
        "state_detail": fm2["label"],
        "states": states,
        "averages": averages,
        "tmr": tmr,
        "t_end": t,
        "settled": is_settled,
        "motion": moving,
        "steps": int(dict(getattr(integ, "stats", {}) or {}).get("steps", -1)),
        "transport_stats": {k: v for k, v in solver_stats.items()
                            if isinstance(v, (int, float)) and math.isfinite(v)},
        "relax": {k: v for k, v in relax_info.items() if isinstance(v, (int, float, str, bool))},
        "wall_s": wall_before + time.perf_counter() - wall0,
        "resumed_at": resume.t if resume is not None else None,
        "files": files,
    }


def _run_digest(exp: TrilayerExperiment, current: float, m0: np.ndarray) -> str:
    """Hash of what a switching run's trajectory depends on: experiment, current, start state."""
    start = hashlib.sha256(np.ascontiguousarray(m0, dtype=float).tobytes()).hexdigest()
    return config_hash({"experiment": exp.to_dict(), "current": float(current), "start": start})


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
