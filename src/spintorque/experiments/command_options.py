"""Command-line options of the switching experiment shared by ``spintorque switching`` and
``spintorque sweep``: the default scans per preset, parsing of comma-separated numbers and model
lists, the experiment built from the options, and the stepping options as one click decorator.

Current densities on the command line are in units of 1e10 A/m² (the talk's unit), lengths in
nm, times in ns or ps as each option says; the experiment gets SI values.
"""

from __future__ import annotations

import math

import click

from ..dynamics.integrators.registry import INTEGRATORS
from .trilayer import (
    FM1_STATES,
    MATERIAL_SETS,
    PRESETS,
    TRANSPORT_MODES,
    TrilayerExperiment,
    experiment_integrators,
    experiment_models,
    experiment_transport_updates,
    preset,
)

__all__ = ["COARSE", "SCANS", "geometry_overrides", "make_experiment", "parse_floats",
           "parse_models", "run_options", "stepping_overrides"]

#: Default scans per preset: (coarse currents, bisection resolution), both in 1e10 A/m². With the
#: magnumfe set FM2 stays near +x for 0.5 ns at 2e12 A/m² and breaks up at 4e12 A/m² and above
#: (quick mesh, both models; at 1e12 nothing happens in 0.5 ns on the medium mesh), so the scans
#: span 1e12 to 1.6e13 A/m²; the quick/medium resolution 1e11 A/m² is the talk's 0.1 read in units
#: of 1e12 A/m². The full mesh leaves +x between 5e11 and 1e12 A/m² within 1 ns
#: (docs/results/switching.md), so its scan starts at the talk's 5e10 A/m².
#: ``--currents``/``--resolution`` override.
SCANS = {
    "quick": ([100.0, 200.0, 400.0, 800.0, 1600.0], 10.0),
    "medium": ([100.0, 200.0, 400.0, 800.0, 1600.0], 10.0),
    "full": ([5.0, 10.0, 20.0, 50.0, 100.0, 200.0], 0.1),
    "smoke": ([5.0, 15.0], 0.1),
}
COARSE = {name: scan[0] for name, scan in SCANS.items()}


def parse_floats(text: str, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"{what} = {text!r}: need comma-separated numbers") from exc
    if not values or not all(math.isfinite(v) for v in values):
        raise click.BadParameter(f"{what} = {text!r}: need finite numbers")
    return values


def parse_models(text: str) -> list[str]:
    models = [m.strip() for m in text.split(",") if m.strip()]
    allowed = experiment_models()
    bad = [m for m in models if m not in allowed]
    if not models or bad:
        raise click.BadParameter(f"--models = {text!r}; allowed: {', '.join(allowed)}")
    return models


def make_experiment(name: str, materials: str, t_fm1_nm: float | None,
                    duration_ns: float | None = None, rtol: float | None = None,
                    **extra) -> TrilayerExperiment:
    overrides = {"materials": materials, **extra}
    if rtol is not None:
        overrides["rtol"] = rtol
    if t_fm1_nm is not None:
        overrides["t_fm1"] = t_fm1_nm * 1e-9
    if duration_ns is not None:
        overrides["duration"] = duration_ns * 1e-9
        overrides["min_duration"] = min(PRESETS[name].get("min_duration", 0.5e-9),
                                        duration_ns * 1e-9)
    try:
        return preset(name, **overrides)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _cell(text: str | None) -> dict:
    """``--cell`` [nm]: one edge or DX,DY,DZ, as the experiment's ``cell`` [m]."""
    if text is None:
        return {}
    edges = parse_floats(text, "--cell")
    if len(edges) not in (1, 3) or not all(e > 0 for e in edges):
        raise click.BadParameter(f"--cell = {text!r} nm: need one positive edge or DX,DY,DZ")
    return {"cell": edges[0] * 1e-9 if len(edges) == 1 else tuple(e * 1e-9 for e in edges)}


def stepping_overrides(integrator: str | None, dt_ps: float | None,
                       dt_max_ps: float | None, moving_threshold: float | None = None,
                       transport_update: str | None = None, cell: str | None = None,
                       seed: int | None = None, transport_mode: str | None = None,
                       precision: str | None = None, transport_predict: int | None = None,
                       transport_rtol: float | None = None) -> dict:
    """Experiment overrides from ``--integrator``, ``--dt``, ``--dt-max`` [ps],
    ``--moving-threshold``, ``--transport-update``, ``--cell`` [nm], ``--seed``,
    ``--transport-mode``, ``--precision``, ``--transport-predict`` and ``--transport-rtol``."""
    out: dict = _cell(cell)
    if precision is not None:
        out["precision"] = precision
    if transport_predict is not None:
        out["transport_predict"] = transport_predict
    if transport_rtol is not None:
        if not (math.isfinite(transport_rtol) and 0 < transport_rtol < 1):
            raise click.BadParameter(f"--transport-rtol = {transport_rtol!r}: must be in (0, 1)")
        out["transport_rtol"] = transport_rtol
    if transport_mode is not None:
        out["transport_mode"] = transport_mode
    if seed is not None:
        out["seed"] = seed
    if transport_update is not None:
        out["transport_update"] = transport_update
    if moving_threshold is not None:
        out["moving_threshold"] = moving_threshold
    if integrator is not None:
        out["integrator"] = integrator
    for option, key, value in (("--dt", "dt", dt_ps), ("--dt-max", "dt_max", dt_max_ps)):
        if value is not None:
            if not (math.isfinite(value) and value > 0):
                raise click.BadParameter(f"{option} = {value!r} ps: must be positive")
            out[key] = value * 1e-12
    return out


def geometry_overrides(fm1: str | None = None, t_fm2_nm: float | None = None,
                       z_refine: int | None = None, fm1_tilt: float | None = None) -> dict:
    """Experiment overrides from ``--fm1``, ``--fm1-tilt`` [degrees], ``--t-fm2`` [nm] and
    ``--z-refine``."""
    out: dict = {}
    if fm1 is not None:
        out["fm1"] = fm1
    if fm1_tilt is not None:
        out["fm1_tilt"] = fm1_tilt
    if t_fm2_nm is not None:
        if not (math.isfinite(t_fm2_nm) and t_fm2_nm > 0):
            raise click.BadParameter(f"--t-fm2 = {t_fm2_nm!r} nm: must be positive")
        out["t_fm2"] = t_fm2_nm * 1e-9
    if z_refine is not None:
        out["z_refine"] = z_refine
    return out


def _adaptive() -> str:
    return "/".join(n for n in experiment_integrators() if INTEGRATORS[n].adaptive)


def _integrator_help() -> str:
    schemes = "; ".join(f"{n}: {INTEGRATORS[n].summary}" for n in experiment_integrators())
    return f"Time stepper ({schemes}). Default per preset: rk43 for full, else rk45."


def run_options(command):
    """The experiment options shared by ``switching`` and ``sweep`` (materials, FM1, stepping)."""
    options = [
        click.option("--materials", type=click.Choice(sorted(MATERIAL_SETS)),
                     default="magnumfe", show_default=True),
        click.option("--t-fm1", "t_fm1", type=float, default=None, help="FM1 thickness in nm."),
        click.option("--t-fm2", "t_fm2", type=float, default=None,
                     help="FM2 thickness in nm (default 60; a whole number of z cells, "
                          "--cell)."),
        click.option("--fm1", type=click.Choice(FM1_STATES), default=None,
                     help="FM1's start: random (default, seeded by --seed, free) or pinned "
                          "(uniform along +x and held there: a polarizer)."),
        click.option("--fm1-tilt", "fm1_tilt", type=float, default=None,
                     help="In-plane angle of the pinned FM1 from +x in degrees (default 0; "
                          "with --fm1 pinned)."),
        click.option("--z-refine", "z_refine", type=click.IntRange(1, 16), default=None,
                     help="Transport sub-cells per cell along z (default 1), e.g. 5 on the "
                          "quick mesh's 20 nm cells for a 4 nm transport mesh."),
        click.option("--cell", default=None,
                     help="Cell in nm: one edge or DX,DY,DZ (default per preset: full 4, "
                          "medium 8,8,10, quick 16,16,20); for mesh checks."),
        click.option("--seed", type=click.IntRange(min=0), default=None,
                     help="Seed of FM1's random initial state (default 1)."),
        click.option("--duration", type=float, default=None, help="Time limit per run in ns."),
        click.option("--rtol", type=float, default=None,
                     help=f"{_adaptive()} relative tolerance (default 1e-5)."),
        click.option("--integrator", type=click.Choice(experiment_integrators()), default=None,
                     help=_integrator_help()),
        click.option("--dt", "dt_ps", type=float, default=None,
                     help="GSPM time step in ps (default 0.1 ps)."),
        click.option("--dt-max", "dt_max_ps", type=float, default=None,
                     help=f"Largest {_adaptive()} step in ps (default: none; for time-step "
                          "checks)."),
        click.option("--transport-update", type=click.Choice(experiment_transport_updates()),
                     default=None,
                     help="When the spin transport is solved (default per preset: 'step' for "
                          "full; 'accepted' is faster at high current, and 'corrected' with "
                          "--transport-predict 2 --rtol 1e-3 faster again, "
                          "docs/performance.md)."),
        click.option("--transport-mode", "transport_mode", type=click.Choice(TRANSPORT_MODES),
                     default=None,
                     help="How the spin accumulation follows m: quasistatic (default, the "
                          "steady s of the current m) or implicit (time-dependent, one implicit "
                          "Euler step per evaluation time; needs --integrator gspm)."),
        click.option("--transport-predict", "transport_predict", type=click.IntRange(1, 2),
                     default=None,
                     help="With one transport solve per step: predict s between solves "
                          "linearly (1, default) or quadratically (2, with --transport-rtol "
                          "1e-4 or less; docs/performance.md)."),
        click.option("--transport-rtol", "transport_rtol", type=float, default=None,
                     help="Relative residual of each transport solve (default per preset: "
                          "1e-3 for full, 1e-6 otherwise)."),
        click.option("--precision", type=click.Choice(["float64", "float32"]), default=None,
                     help="The stray field's FFT convolution: float64 (default) or float32 "
                          "(about 10 % faster per step on the full preset, docs/performance.md; "
                          "relaxation stays float64)."),
        click.option("--moving-threshold", type=float, default=None,
                     help="Label FM2 'FM2 moving' when its average changed by more than this "
                          "over the last settle window (e.g. 0.2; default: the 2 ns snapshot's "
                          "class)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command
