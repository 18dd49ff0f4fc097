"""CLI verbs for following up a switching sweep (click; registered lazily in
``spintorque.cli.LAZY_COMMANDS``).

``spintorque continue`` (:func:`~spintorque.experiments.followups.continue_run`),
``spintorque refine`` (:func:`~spintorque.experiments.followups.refine_relaxed`),
``spintorque archive`` (:func:`~spintorque.sweep.archive.archive_sweep`),
``spintorque compare`` (:func:`~spintorque.experiments.analysis.compare_runs`) and
``spintorque excursions`` (:func:`~spintorque.experiments.analysis.excursions`). Current densities
on the command line are in 1e10 A/m², times in ns and cells in nm; the API functions take SI.
Bad input exits with code 2 and a message naming the argument (a click usage error, or a
:class:`~spintorque.io.errors.UserError` from the API that the ``spintorque`` group prints
without a traceback).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import click

from .trilayer import MODELS, PRESETS

UNIT = 1e10  # A/m² per command-line current unit
_PRESETS = click.Choice(sorted(PRESETS))
_DIR = click.Path(file_okay=False, path_type=Path)
_EXISTING_DIR = click.Path(exists=True, file_okay=False, path_type=Path)


def _positive(option: str, unit: str):
    def check(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and value > 0):
            raise click.BadParameter(f"{option} = {value!r} {unit}: must be positive, finite")
        return value
    return check


def _finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value!r}: must be a finite number")
    return value


@click.command("continue")
@click.argument("run_dir", type=_DIR)
@click.argument("out_dir", type=_DIR)
@click.option("--model", required=True, type=click.Choice(MODELS),
              help="Transport model of the new leg (as the first leg's).")
@click.option("--current", type=float, required=True, callback=_finite,
              help="Current density in 1e10 A/m², FM1 → FM2 (as the first leg's).")
@click.option("--preset", "preset_name", type=_PRESETS, default="full", show_default=True,
              help="Experiment preset of the first leg (its grid must match final.npy).")
@click.option("--duration", type=float, default=2.0, show_default=True,
              callback=_positive("--duration", "ns"),
              help="Length of the new leg in ns, run in full (no early stop).")
@click.option("--transport-update", type=click.Choice(["step", "evaluation", "accepted"]),
              default=None, help="When the spin transport is solved (default: the preset's).")
@click.option("--moving-threshold", type=float, default=None, callback=_finite,
              help="Label FM2 'FM2 moving' when its average [1] changed by more than this over "
                   "the last settle window (e.g. 0.2; default: none).")
def continue_cmd(run_dir, out_dir, model, current, preset_name, duration, transport_update,
                 moving_threshold):
    """Continue the finished run in RUN_DIR from its final state, at the same current.

    RUN_DIR is a run's folder of a sweep (runs/<model>/j<J>e10/, holding final.npy); the new
    leg starts from that m, with the spin accumulation solved afresh (the transport is
    quasi-static), and writes its table.tsv, final.npy and figures into OUT_DIR; its time starts
    at 0 (overlay both legs with spintorque compare OUT.png
    "LABEL=RUN_DIR/table.tsv::OUT_DIR/table.tsv"). Prints the result (state, motion, steps,
    wall time in s, final layer averages) as one JSON line. Checkpoints every minute, so the same
    command again resumes. The Krylov vector operations are memory-bound: with several runs
    at once, set OPENBLAS_NUM_THREADS=1.
    """
    from .followups import continue_run

    t0 = time.perf_counter()
    res = continue_run(run_dir, out_dir, model, current * UNIT, preset=preset_name,
                       duration=duration * 1e-9, transport_update=transport_update,
                       moving_threshold=moving_threshold)
    click.echo(json.dumps({"model": model, "current_1e10": current, "label": res["label"],
                           "state": res["state"], "motion": res.get("motion"),
                           "steps": res["steps"], "wall_s": round(time.perf_counter() - t0, 1),
                           "averages": res["averages"]}))


def _cell_nm(text: str) -> tuple[float, ...]:
    try:
        edges = tuple(float(v) for v in text.split(","))
    except ValueError:
        edges = ()
    if len(edges) not in (1, 3) or not all(math.isfinite(e) and e > 0 for e in edges):
        raise click.BadParameter(f"{text!r}: need one positive edge or DX,DY,DZ in nm, e.g. "
                                 "4,4,2", param_hint="--cell")
    return edges


@click.command("refine")
@click.argument("coarse", metavar="RELAXED.npy",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_dir", type=_DIR)
@click.option("--cell", required=True,
              help="Fine cell in nm: DX,DY,DZ (or one edge); each coarse cell edge must be a "
                   "whole number of these.")
@click.option("--preset", "preset_name", type=_PRESETS, default="full", show_default=True,
              help="Experiment preset of the sweep that will load the state.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Seed of FM1's random initial state, as the sweep's (default: the preset's).")
def refine_cmd(coarse, out_dir, cell, preset_name, seed):
    """Carry a relaxed state to a finer mesh, relax it there, and put it where a sweep looks.

    Splits every cell of RELAXED.npy (a sweep's relaxed_<hash>.npy) into whole sub-cells of
    --cell, relaxes on the fine mesh with the preset's relaxation, and writes
    OUT_DIR/relaxed_<hash>.npy, the cache a sweep with --out OUT_DIR loads instead of
    relaxing (the hash is the experiment's, so --preset, --cell and --seed must match the
    sweep's). A mesh check should change the mesh, not the start: relaxed from scratch on a
    finer grid, FM1's random start is a different realization. For example:

    \b
        spintorque refine runs/full/relaxed_<hash>.npy runs/dz2 --cell 4,4,2
        spintorque sweep --preset full --cell 4,4,2 --out runs/dz2 --currents 60,62
    """
    from .followups import refine_relaxed

    edges = _cell_nm(cell)
    cell_m = edges[0] * 1e-9 if len(edges) == 1 else tuple(e * 1e-9 for e in edges)
    try:
        from .trilayer import preset

        preset(preset_name, cell=cell_m, **({} if seed is None else {"seed": seed}))
    except ValueError as err:
        raise click.BadParameter(f"{cell!r} nm does not tile the {preset_name!r} sample: {err}",
                                 param_hint="--cell") from err
    try:
        res = refine_relaxed(coarse, out_dir, cell_m, preset=preset_name, seed=seed)
    except FloatingPointError as err:  # a numerical fault, not bad input
        click.echo(f"error: {err}", err=True)
        raise click.exceptions.Exit(1) from err
    click.echo(f"refined {res['coarse_shape']} -> {res['fine_shape']} (factors "
               f"{res['factors']}), relaxed in {res['wall_s']:.1f} s ({res['iterations']} "
               f"iterations, largest change of a cell component {res['max_change']:.3g}); "
               f"wrote {res['path']}")


@click.command("archive")
@click.argument("sweep_dir", type=_EXISTING_DIR)
@click.argument("dest", type=_DIR)
def archive_cmd(sweep_dir, dest):
    """Copy a sweep's resumable state from SWEEP_DIR (its --out folder) to DEST.

    Copies a consistent backup of store.sqlite (safe while a client writes), the relaxed
    state, and per run its table.tsv and mt.png plus, for runs still in flight,
    checkpoint.npz (final.npy and layers.png are left out: 0.9 MB each on the full mesh). To
    resume, copy DEST anywhere and run the same spintorque switching command on it (the store's
    task paths are rewritten to the folder it is found in).
    """
    from ..sweep.archive import archive_sweep

    counts = archive_sweep(sweep_dir, dest)
    click.echo(f"archived {sweep_dir} -> {dest} ({counts['runs']} runs, {counts['in_flight']} "
               f"in flight, {counts['relaxed']} relaxed states)")


@click.command("compare")
@click.argument("out", metavar="OUT.png", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("runs", metavar="LABEL=PATH...", nargs=-1, required=True)
@click.option("--layer", default="FM2", show_default=True,
              help="Layer whose average to draw (columns mx_<layer>, my_<layer>, mz_<layer>).")
@click.option("--title", default=None, help="Title of the figure.")
def compare_cmd(out, runs, layer, title):
    """Overlay one layer's average magnetization of several runs against time (PNG).

    Each run is LABEL=PATH to a table.tsv written by a run (columns t (s), mx_FM2, ...), or
    LABEL=PATH1::PATH2::... for a run continued from the final state of the one before (each
    table's time starts where the previous one ended). One panel per component, time in ns,
    averages dimensionless.
    """
    from .analysis import compare_runs, parse_run_spec

    specs = [parse_run_spec(spec) for spec in runs]
    png = compare_runs(out, specs, layer=layer, title=title)
    click.echo(f"wrote {png}")


@click.command("excursions")
@click.argument("sweep_dir", type=_EXISTING_DIR)
@click.option("--after", type=float, default=1.0, show_default=True, callback=_finite,
              help="Start of the window in ns.")
@click.option("--level", type=float, default=-0.5, show_default=True, callback=_finite,
              help="FM2 <mx> [1] that counts as leaving -x.")
def excursions_cmd(sweep_dir, after, level):
    """When does FM2 leave its reversed state? One row per run of SWEEP_DIR.

    Reads every runs/<model>/j<J>e10/table.tsv under SWEEP_DIR (a sweep's --out folder or an
    archive of one) and prints a Markdown table: the largest <mx> of FM2 from --after [ns] to
    the end, and the first time [ns] it rises above --level [1] there. Above the onset of
    sustained motion FM2, reversed to -x within about 1 ns, leaves -x in excursions (<mx> up
    to +0.2...+0.6); at rest, or in a wobble, <mx> stays below about -0.65. Runs that end
    before --after (unfinished) are skipped with a note on stderr.
    """
    from .analysis import excursions, excursions_markdown

    rows, skipped = excursions(sweep_dir, after * 1e-9, level)
    for note in skipped:
        click.echo(f"skipped: {note}", err=True)
    click.echo(excursions_markdown(rows, after * 1e-9, level))


COMMANDS = {"continue": continue_cmd, "refine": refine_cmd, "archive": archive_cmd,
            "compare": compare_cmd, "excursions": excursions_cmd}


def register(group: click.Group) -> None:
    """Add ``continue``, ``refine``, ``archive``, ``compare`` and ``excursions`` to a group."""
    for name, cmd in COMMANDS.items():
        group.add_command(cmd, name)
