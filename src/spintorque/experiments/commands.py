"""CLI commands of the switching experiment and of sweeps (click).

``spintorque switching``: the main job — relax once, then for each model a coarse current scan
and bisection to the resolution, every run a Dask task, results in ``DIR/store.sqlite``; prints the
critical-current table. ``spintorque sweep``: final states over an explicit current list (or any
task function over a JSON task list). ``spintorque table STORE`` / ``spintorque plot STORE``:
regenerate the table and figures from a store.

Current densities on the command line are in units of 1e10 A/m² (the talk's unit), positive from
FM1 to FM2. :func:`register` adds the commands to a click group.

The shared options are in :mod:`.command_options`, the table and figures written from a store in
:mod:`.store_report`; this module holds the commands and the task parameters they submit.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from .command_options import (
    COARSE,
    SCANS,
    geometry_overrides,
    make_experiment,
    parse_floats,
    parse_models,
    run_options,
    stepping_overrides,
)
from .search import UNIT, Bisection, FirstCrossings, departs, propose_across, reverses
from .store_report import (
    RUN_COLUMNS,
    results_by_model,
    run_rows,
    runs_markdown,
    write_outputs,
)
from .trilayer import PRESETS, TrilayerExperiment, experiment_models, initial_family

SWITCHING_TASK = "spintorque.experiments.runner:switching_task"
RELAX_TASK = "spintorque.experiments.runner:relax_task"

__all__ = [
    "COARSE",
    "RELAX_TASK",
    "RUN_COLUMNS",
    "SCANS",
    "SWITCHING_TASK",
    "plot_cmd",
    "register",
    "relaxed_cache",
    "results_by_model",
    "run_rows",
    "runs_markdown",
    "sweep",
    "switching",
    "table",
    "write_outputs",
]


def _point_key(exp: TrilayerExperiment, j: float) -> str:
    return f"{exp.model}/j={j / UNIT:.4g}e10/{exp.digest()}"


def _known_points(store, exp: TrilayerExperiment, resolution: float) -> dict[int, str]:
    """FM2 states of the finished runs of ``exp`` in ``store`` whose current lies on the search
    lattice ``k * resolution`` [A/m²], by lattice index: what a resumed search starts from,
    including runs that another search or scan put in the same store."""
    digest, known = exp.digest(), {}
    for row in store.rows("done"):
        params = row.params
        if params.get("kind") != "switching" or params.get("model") != exp.model:
            continue
        if TrilayerExperiment.from_dict(params["experiment"]).digest() != digest:
            continue
        k = round(params["current"] / resolution)
        if abs(params["current"] / resolution - k) <= 1e-6:
            known[k] = row.result["state"]
    return known


def _point_params(exp: TrilayerExperiment, j: float, out: Path, relaxed: str | None,
                  animate: bool = False) -> dict:
    return {"kind": "switching", "model": exp.model, "current": j,
            "experiment": exp.to_dict(), "relaxed": relaxed, "animate": animate,
            "out": str(out / "runs" / exp.model / f"j{j / UNIT:+.4g}e10")}


def _runner(scheduler: str | None, workers: int | None, threads: int = 1):
    from ..sweep.dask_runner import SweepRunner

    return SweepRunner(scheduler=scheduler, workers=workers, threads=threads)


#: ``--threads`` of ``switching`` and ``sweep``: compute threads of each run on its worker
threads_option = click.option(
    "--threads", type=click.IntRange(1, 1024), default=1, show_default=True,
    help="Compute threads per worker: FFTW threads of the stray field (BLAS stays at 1); "
         "workers x threads cores in use.")


def _adopt_folder(store, out: Path) -> None:
    """Record ``out`` as the sweep's folder; if the store was made in another folder (moved or
    copied here), rewrite its task paths to this one so that it resumes here."""
    old = store.get_meta("out_dir")
    if old is None:  # stores from before the out_dir record: the relaxed-state cache's folder
        caches = [r.params["cache"] for r in store.rows() if r.params.get("kind") == "relax"]
        old = str(Path(caches[0]).parent) if caches else None
    if old is not None and old != str(out):
        n = store.relocate(old, str(out))
        click.echo(f"store moved from {old} to {out}: {n} tasks now point here", err=True)
    store.set_meta("out_dir", str(out))


def relaxed_cache(exp: TrilayerExperiment, out: Path) -> Path:
    """Where a sweep in ``out`` keeps (and looks for) the relaxed state of ``exp``."""
    return out / f"relaxed_{exp.digest(relax_only=True)}.npy"


def _relax_once(runner, store, exp: TrilayerExperiment, out: Path) -> str:
    """Relax the zero-current state once (shared by all models and currents); its .npy path."""
    cache = relaxed_cache(exp, out)
    key = f"relax/{exp.digest(relax_only=True)}"
    runner.run(store, RELAX_TASK, {key: {"kind": "relax", "experiment": exp.to_dict(),
                                         "cache": str(cache)}}, progress=False)
    row = store.get(key)
    if row is None or row.status != "done" or not cache.is_file():
        raise click.ClickException(f"relaxation failed: {row.error if row else 'no result'}")
    return str(cache)


@click.command()
@click.option("--preset", "preset_name", type=click.Choice(sorted(PRESETS)), default="quick",
              show_default=True,
              help="quick: 16 nm cells, minutes; medium: 8 nm; full: 4 nm cells, about 1 min "
                   "per simulated ns on one core (more at the highest currents), an hour or two "
                   "for a table on 2 cores.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Output folder (store, runs, table, figures); re-run resumes.")
@click.option("--scheduler", default=None, help="Address of an existing Dask scheduler.")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Local Dask worker processes (default: CPU count).")
@threads_option
@click.option("--models", default=",".join(experiment_models()), show_default=True,
              help="Transport models, comma-separated.")
@click.option("--currents", default=None,
              help="Coarse scan, comma-separated, in 1e10 A/m² (default per preset).")
@click.option("--resolution", type=float, default=None,
              help="Bisection resolution in 1e10 A/m² (default per preset: 10, full 0.1).")
@click.option("--first", "first_only", is_flag=True,
              help="Bracket only the first critical current (the lowest current at which FM2 "
                   "leaves its initial state family) instead of every window.")
@click.option("--reversal", is_flag=True,
              help="Bracket the reversal current (the lowest current at which FM2 ends along "
                   "the opposite of its initial direction, e.g. -x for +x); with --first both, "
                   "alone only this one, instead of every window.")
@run_options
def switching(preset_name, out_dir, scheduler, workers, threads, models, currents, resolution,
              first_only, reversal, materials, t_fm1, t_fm2, fm1, fm1_tilt, z_refine, cell, seed,
              duration, rtol, integrator, dt_ps, dt_max_ps, transport_update, transport_mode,
              precision, transport_predict, transport_rtol, moving_threshold):
    """Critical currents of the FM1/spacer/FM2 pillar for both transport models (talk's table)."""
    from ..sweep.store import Store

    if resolution is None:
        resolution = SCANS[preset_name][1]
    if not (math.isfinite(resolution) and resolution > 0):
        raise click.BadParameter(f"--resolution = {resolution!r} must be positive")
    res = resolution * UNIT
    coarse = parse_floats(currents, "--currents") if currents else COARSE[preset_name]
    coarse = [round(c / resolution) * res for c in coarse]
    base = make_experiment(preset_name, materials, t_fm1, duration, rtol,
                           **stepping_overrides(integrator, dt_ps, dt_max_ps, moving_threshold,
                                                transport_update, cell, seed,
                                                transport_mode, precision,
                                                transport_predict, transport_rtol),
                           **geometry_overrides(fm1, t_fm2, z_refine, fm1_tilt))
    out_dir = out_dir.resolve()  # task params hold absolute paths: same from any cwd
    out_dir.mkdir(parents=True, exist_ok=True)
    crossings = {name: predicate(initial_family(base)) for name, predicate, wanted in
                 (("first", departs, first_only), ("reversal", reverses, reversal)) if wanted}
    if crossings:
        searches = {m: FirstCrossings(coarse, res, list(crossings.values()))
                    for m in parse_models(models)}
    else:
        searches = {m: Bisection(coarse, res) for m in parse_models(models)}
    exps = {m: base.with_(model=m) for m in searches}
    click.echo(f"switching: preset {preset_name}, grid {base.shape}, cell "
               f"{tuple(round(c * 1e9, 3) for c in base.cell)} nm, models {list(searches)}, "
               f"coarse {[c / UNIT for c in coarse]} x 1e10 A/m², resolution {resolution} x 1e10")
    with Store(out_dir / "store.sqlite") as store, \
            _runner(scheduler, workers, threads) as runner:
        store.acquire()
        _adopt_folder(store, out_dir)
        store.set_meta("experiment", base.to_dict())
        store.set_meta("resolution", res)
        if crossings:
            store.set_meta("search", "+".join(crossings))
        relaxed = _relax_once(runner, store, base, out_dir)
        for model, search in searches.items():  # resume from every run the store holds
            for k, state in _known_points(store, exps[model], res).items():
                search.preload(k, state)
        # One pipeline per model: a model's next point is chosen as soon as its last result is
        # in, not when every model's round is done (the moment model's runs take ~1.5x longer).
        owner: dict[str, tuple[str, int]] = {}

        def feed(free: int) -> dict[str, dict]:
            new: dict[str, dict] = {}
            for _ in range(free):
                if (pick := propose_across(searches)) is None:
                    break
                model, k = pick
                j = searches[model].current(k)
                key = _point_key(exps[model], j)
                owner[key] = (model, k)
                new[key] = _point_params(exps[model], j, out_dir, relaxed)
            return new

        def record(key: str, status: str, payload) -> None:
            model, k = owner.pop(key)
            searches[model].record(k, payload["state"] if status == "done" else "failed")

        runner.run(store, SWITCHING_TASK, None, on_result=record, feed=feed)
        md = write_outputs(store, out_dir, res)
        failed = store.counts()["failed"]
    click.echo(md)
    click.echo(f"outputs: {out_dir / 'table.md'}, {out_dir / 'table.csv'}, "
               f"{out_dir / 'switching.png'}, runs under {out_dir / 'runs'}")
    if failed:
        store_file = out_dir / "store.sqlite"
        click.echo(f"warning: {failed} runs failed; see `spintorque table {store_file}` and "
                   "re-run to retry them", err=True)


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--preset", "preset_name", type=click.Choice(sorted(PRESETS)), default="quick",
              show_default=True)
@click.option("--models", default=",".join(experiment_models()), show_default=True,
              help="Transport models, comma-separated.")
@click.option("--currents", default=None, help="Comma-separated, in 1e10 A/m².")
@click.option("--logspace", nargs=3, type=float, default=None,
              help="START STOP N: N currents log-spaced from START to STOP (1e10 A/m²).")
@run_options
@click.option("--animate", is_flag=True, help="Also write an FM2 animation (GIF) per run.")
@click.option("--task", default=None,
              help="Generic sweep: 'package.module:function' run on each params of --tasks.")
@click.option("--tasks", "tasks_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="JSON object {key: params} for --task.")
@click.option("--scheduler", default=None, help="Address of an existing Dask scheduler.")
@click.option("--workers", type=click.IntRange(1, 256), default=None)
@threads_option
def sweep(out_dir, preset_name, models, currents, logspace, materials, t_fm1, t_fm2, fm1,
          fm1_tilt, z_refine, cell, seed, duration, rtol, integrator, dt_ps, dt_max_ps,
          transport_update, transport_mode, precision, transport_predict, transport_rtol,
          moving_threshold, animate, task,
          tasks_file,
          scheduler, workers,
          threads):
    """Final states over a list of currents (no bisection), or any task over a JSON task list."""
    from ..sweep.store import Store

    out_dir = out_dir.resolve()  # task params hold absolute paths: same from any cwd
    out_dir.mkdir(parents=True, exist_ok=True)
    if task or tasks_file:
        if not (task and tasks_file):
            raise click.UsageError("--task and --tasks go together")
        try:
            tasks = json.loads(tasks_file.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise click.BadParameter(f"--tasks = {str(tasks_file)!r}: {exc}") from exc
        if not isinstance(tasks, dict) or not all(isinstance(v, dict) for v in tasks.values()):
            raise click.BadParameter("--tasks must hold a JSON object {key: {params}}")
        try:
            from ..sweep.dask_runner import resolve

            resolve(task)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--task") from exc
        with Store(out_dir / "store.sqlite") as store, \
                _runner(scheduler, workers, threads) as runner:
            summary = runner.run(store, task, tasks)
        click.echo(f"{summary.computed} computed, {summary.skipped} already done, "
                   f"{summary.failed} failed, {summary.wall_s:.1f} s")
        return
    if logspace:
        lo, hi, n = logspace
        if not (0 < lo < hi and n >= 2 and n == int(n)):
            raise click.BadParameter(f"--logspace = {logspace!r}: need 0 < START < STOP, N >= 2")
        values = [lo * (hi / lo) ** (i / (int(n) - 1)) for i in range(int(n))]
    elif currents:
        values = parse_floats(currents, "--currents")
    else:
        values = COARSE[preset_name]
    base = make_experiment(preset_name, materials, t_fm1, duration, rtol,
                           **stepping_overrides(integrator, dt_ps, dt_max_ps, moving_threshold,
                                                transport_update, cell, seed,
                                                transport_mode, precision,
                                                transport_predict, transport_rtol),
                           **geometry_overrides(fm1, t_fm2, z_refine, fm1_tilt))
    with Store(out_dir / "store.sqlite") as store, \
            _runner(scheduler, workers, threads) as runner:
        store.acquire()
        _adopt_folder(store, out_dir)
        store.set_meta("experiment", base.to_dict())
        relaxed = _relax_once(runner, store, base, out_dir)
        tasks = {}
        for model in parse_models(models):
            exp = base.with_(model=model)
            for v in values:
                j = float(f"{v:.6g}") * UNIT
                tasks[_point_key(exp, j)] = _point_params(exp, j, out_dir, relaxed, animate)
        summary = runner.run(store, SWITCHING_TASK, tasks)
        for model, pts in sorted(results_by_model(store).items()):
            for j, state in pts:
                click.echo(f"{model:10s} j = {j / UNIT:10.4g}e10 A/m²  {state}")
    click.echo(f"{summary.computed} computed, {summary.skipped} already done, "
               f"{summary.failed} failed, {summary.wall_s:.1f} s")


def _open_store(path: Path):
    from ..sweep.store import Store

    if not path.is_file():
        raise click.BadParameter(f"STORE = {str(path)!r} does not exist")
    return Store(path)


@click.command()
@click.argument("store_path", metavar="STORE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--resolution", type=float, default=None,
              help="Lattice for the windows in 1e10 A/m² (default: the one stored).")
def table(store_path, resolution):
    """Print the critical-current table of a store; write table.md and table.csv beside it."""
    with _open_store(store_path) as store:
        res = resolution * UNIT if resolution else store.get_meta("resolution", 0.1 * UNIT)
        counts = store.counts()
        for row in store.rows("failed"):
            click.echo(f"failed: {row.key}: {(row.error or '').strip().splitlines()[-1:]}",
                       err=True)
        md = write_outputs(store, store_path.parent, res)
    click.echo(md)
    click.echo(f"store: {counts['done']} done, {counts['failed']} failed, "
               f"{counts['pending'] + counts['running']} not finished")


@click.command("plot")
@click.argument("store_path", metavar="STORE", type=click.Path(dir_okay=False, path_type=Path))
def plot_cmd(store_path):
    """Regenerate the switching diagram and each run's m(t) figure from a store."""
    from .. import plot

    n = 0
    with _open_store(store_path) as store:
        res = store.get_meta("resolution", 0.1 * UNIT)
        write_outputs(store, store_path.parent, res)
        for row in store.rows("done"):
            files = (row.result or {}).get("files", {}) if isinstance(row.result, dict) else {}
            # where the run's table is now (a moved or archived store: under its folder)
            tsv = store.resolve_path(files["table"]) if files.get("table") else None
            if tsv is not None and tsv.is_file():
                plot.plot_mt(tsv, tsv.with_name("mt.png"),
                             f"{row.params.get('model')}, j = "
                             f"{row.params.get('current', 0) / UNIT:.2f}e10 A/m², "
                             f"{row.result.get('label', '')}")
                n += 1
    click.echo(f"wrote {store_path.parent / 'switching.png'} and {n} m(t) figures", err=False)


def register(group: click.Group) -> None:
    """Add ``switching``, ``sweep``, ``table`` and ``plot`` to a click group."""
    for cmd, name in ((switching, "switching"), (sweep, "sweep"), (table, "table"),
                      (plot_cmd, "plot")):
        group.add_command(cmd, name)


if __name__ == "__main__":  # pragma: no cover - manual use
    group = click.Group()
    register(group)
    group(sys.argv[1:])
