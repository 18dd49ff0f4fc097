"""Follow-ups of a switching sweep: continue a finished run, refine a relaxed state.

:func:`continue_run` (``spintorque continue``) runs a finished run on from its final state at
the same current, e.g. to see whether a state at rest at 2 ns stays at rest, or whether motion
at 2 ns goes on. :func:`refine_relaxed` (``spintorque refine``) carries a relaxed state to a
finer mesh, relaxes it there and puts it where a sweep on that mesh looks for it, so that a mesh
check changes the mesh and not the start.

Both go through the public entry points of :mod:`spintorque.experiments.runner`
(:func:`~spintorque.experiments.runner.run_switching_point`,
:func:`~spintorque.experiments.runner.relax_state`) and the sweep's cache name
(:func:`~spintorque.experiments.commands.relaxed_cache`). Units: SI (A/m², s, m).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..io.errors import UserError
from .trilayer import MODELS, PRESETS, TrilayerExperiment
from .trilayer import preset as make_preset


def _preset(name: str, what: str, **overrides: Any) -> TrilayerExperiment:
    if name not in PRESETS:
        raise UserError(f"preset = {name!r}; allowed: {', '.join(sorted(PRESETS))}")
    try:
        return make_preset(name, **overrides)
    except ValueError as err:
        raise UserError(f"{what}: {err}") from err


def continue_run(
    run_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    model: str,
    current: float,
    preset: str = "full",
    duration: float = 2e-9,
    transport_update: str | None = None,
    moving_threshold: float | None = None,
) -> dict[str, Any]:
    """Continue the finished run in ``run_dir`` from its ``final.npy`` for ``duration`` more.

    ``run_dir``: a run's folder of a sweep (``runs/<model>/j<J>e10/``); ``out_dir``: where the
    new leg writes its ``table.tsv``, ``final.npy``, figures and checkpoints (calling again on
    it resumes the leg); ``model``: ``"diffusion"`` or ``"moment"``; ``current``: current
    density [A/m², FM1 → FM2]; ``preset``: the experiment preset of the first leg (``"full"``,
    ``"medium"``, ``"quick"``, ``"smoke"``), whose grid ``final.npy`` must have;
    ``duration`` [s]: the length of the new leg, run in full (no early stop when the averages
    settle); ``transport_update``: ``"step"``, ``"evaluation"`` or ``"accepted"`` (None: the
    preset's); ``moving_threshold`` [1]: label FM2 "FM2 moving" above this motion over the
    last settle window (None: the preset's, i.e. no such label).

    m starts from the first leg's final state; the spin accumulation is solved afresh (the
    transport is quasi-static), so only the transport columns of the first row differ from the
    first leg's last row, to the solver tolerance. The new leg's time starts at 0 (overlay both
    with :func:`spintorque.experiments.analysis.compare_runs`).

    Returns :func:`~spintorque.experiments.runner.run_switching_point`'s result (``label``,
    ``state``, ``motion``, ``steps``, ``averages``, ``wall_s`` [s], ``files``, ...). Raises
    :class:`~spintorque.io.errors.UserError` for a folder without ``final.npy``, a state that
    does not fit the preset's grid, or an invalid option.
    """
    from .runner import run_switching_point

    run_dir = Path(run_dir)
    final = run_dir / "final.npy"
    if not final.is_file():
        raise UserError(f"RUN_DIR = {str(run_dir)!r}: no final.npy (a finished run's folder "
                        "is needed, e.g. runs/<model>/j<J>e10/ of a sweep)")
    if model not in MODELS:
        raise UserError(f"model = {model!r}; allowed: {', '.join(MODELS)}")
    if not np.isfinite(current):
        raise UserError(f"current = {current!r} A/m²: must be finite")
    over: dict[str, Any] = {"model": model, "duration": duration,
                            "min_duration": duration}  # no early stop: the whole leg
    if transport_update is not None:
        over["transport_update"] = transport_update
    if moving_threshold is not None:
        over["moving_threshold"] = moving_threshold
    exp = _preset(preset, f"preset {preset!r}", **over)
    try:
        m = np.load(final)
    except (OSError, ValueError) as err:
        raise UserError(f"{final}: not a readable .npy state ({err})") from err
    if m.shape != (*exp.shape, 3):
        raise UserError(f"{final}: shape {m.shape}, but preset {preset!r} has grid {exp.shape} "
                        f"(need {(*exp.shape, 3)}; give the first leg's --preset)")
    return run_switching_point(exp, current, out_dir=out_dir, relaxed=m)


def _whole_factors(fine: Sequence[int], coarse: Sequence[int]) -> list[int]:
    """Per axis the number of fine cells per coarse cell, 0 where it is not a whole number."""
    return [f // c if c and f % c == 0 else 0 for f, c in zip(fine, coarse, strict=True)]


def refine_relaxed(
    coarse: str | os.PathLike,
    out_dir: str | os.PathLike,
    cell: float | Sequence[float],
    preset: str = "full",
    seed: int | None = None,
) -> dict[str, Any]:
    """Relax the coarse relaxed state ``coarse`` (``.npy``) again on the mesh of ``cell`` [m]
    and write it as ``out_dir/relaxed_<hash>.npy``, the cache a sweep in ``out_dir`` loads.

    Every coarse cell is split into whole sub-cells (the coarse cell must be an integer
    multiple of ``cell`` along each axis: one edge or ``(dx, dy, dz)`` [m]), then relaxed with
    the preset's relaxation from there. The hash is that of the experiment ``preset`` with
    ``cell`` and ``seed`` (FM1's random initial state; None: the preset's), so a sweep finds
    the state only with the same ``--preset``, ``--cell`` and ``--seed``. A cache already
    there is replaced.

    Returns ``{"path": the cache written, "coarse_shape", "fine_shape" (cells nx, ny, nz),
    "factors" (sub-cells per coarse cell per axis), "iterations", "wall_s" [s],
    "max_change" [1] (largest change of a cell component by the relaxation)}``. Raises
    :class:`~spintorque.io.errors.UserError` for an unreadable state, a cell that does not
    tile the sample or does not refine the coarse grid, and ``FloatingPointError`` if the
    relaxation produced NaN/Inf.
    """
    from .commands import relaxed_cache
    from .runner import relax_state

    coarse, out = Path(coarse), Path(out_dir)
    try:
        m_coarse = np.load(coarse)
    except (OSError, ValueError) as err:
        raise UserError(f"{coarse}: not a readable .npy state ({err})") from err
    over: dict[str, Any] = {"cell": cell}
    if seed is not None:
        over["seed"] = seed
    exp = _preset(preset, f"cell = {cell!r} m", **over)
    shape = getattr(m_coarse, "shape", ())
    factors = _whole_factors(exp.shape, shape[:3]) if len(shape) == 4 else [0, 0, 0]
    if len(shape) != 4 or shape[3] != 3 or not all(factors):
        raise UserError(f"{coarse}: shape {shape} does not refine to the fine grid {exp.shape} "
                        f"by whole factors (cell {exp.cell} m; the coarse cell must be a whole "
                        "number of fine cells along each axis)")
    norm = np.linalg.norm(m_coarse, axis=-1)  # 1 in magnetic cells, 0 in the spacer
    if not ((np.abs(norm - 1) < 1e-6) | (norm == 0)).all() or not (norm > 0).any():
        raise UserError(f"{coarse}: not a unit magnetization (|m| must be 1, or 0 in "
                        "non-magnetic cells; a sweep's relaxed_<hash>.npy is needed)")
    m0 = m_coarse
    for axis, factor in enumerate(factors):
        m0 = np.repeat(m0, factor, axis=axis)
    target = relaxed_cache(exp, out)
    out.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)  # relax_state would load an old cache instead of relaxing
    t0 = time.perf_counter()
    m, info = relax_state(exp, target, start=m0)
    return {"path": target, "coarse_shape": tuple(shape[:3]), "fine_shape": exp.shape,
            "factors": factors, "iterations": info.get("iterations"),
            "wall_s": time.perf_counter() - t0, "max_change": float(np.abs(m - m0).max())}
