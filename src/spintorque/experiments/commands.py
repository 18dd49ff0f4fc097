"""CLI commands of the switching experiment and of sweeps (click).

``spintorque switching``: the main job — relax once, then for each model a coarse current scan
and bisection to the resolution, every run a Dask task, results in ``DIR/store.sqlite``; prints the
critical-current table. ``spintorque sweep``: final states over an explicit current list (or any
task function over a JSON task list). ``spintorque table STORE`` / ``spintorque plot STORE``:
regenerate the table and figures from a store.

Current densities on the command line are in units of 1e10 A/m² (the talk's unit), positive from
FM1 to FM2. :func:`register` adds the commands to a click group.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from .search import UNIT, Bisection, SearchResult, propose_across, table_csv, table_markdown
from .trilayer import MATERIAL_SETS, MODELS, PRESETS, TrilayerExperiment, preset

SWITCHING_TASK = "spintorque.experiments.runner:switching_task"
RELAX_TASK = "spintorque.experiments.runner:relax_task"

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


def _floats(text: str, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"{what} = {text!r}: need comma-separated numbers") from exc
    if not values or not all(math.isfinite(v) for v in values):
        raise click.BadParameter(f"{what} = {text!r}: need finite numbers")
    return values


def _models(text: str) -> list[str]:
    models = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in models if m not in MODELS]
    if not models or bad:
        raise click.BadParameter(f"--models = {text!r}; allowed: {', '.join(MODELS)}")
    return models


def _experiment(name: str, materials: str, t_fm1_nm: float | None,
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
    edges = _floats(text, "--cell")
    if len(edges) not in (1, 3) or not all(e > 0 for e in edges):
        raise click.BadParameter(f"--cell = {text!r} nm: need one positive edge or DX,DY,DZ")
    return {"cell": edges[0] * 1e-9 if len(edges) == 1 else tuple(e * 1e-9 for e in edges)}


def _overrides(integrator: str | None, dt_ps: float | None, dt_max_ps: float | None,
              moving_threshold: float | None = None,
              transport_update: str | None = None, cell: str | None = None,
              seed: int | None = None) -> dict:
    """Experiment overrides from ``--integrator``, ``--dt``, ``--dt-max`` [ps],
    ``--moving-threshold``, ``--transport-update``, ``--cell`` [nm] and ``--seed``."""
    out: dict = _cell(cell)
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


def _run_options(command):
    """The experiment options shared by ``switching`` and ``sweep`` (materials, FM1, stepping)."""
    options = [
        click.option("--materials", type=click.Choice(sorted(MATERIAL_SETS)),
                     default="magnumfe", show_default=True),
        click.option("--t-fm1", "t_fm1", type=float, default=None, help="FM1 thickness in nm."),
        click.option("--cell", default=None,
                     help="Cell in nm: one edge or DX,DY,DZ (default per preset: full 4, "
                          "medium 8,8,10, quick 16,16,20); for mesh checks."),
        click.option("--seed", type=click.IntRange(min=0), default=None,
                     help="Seed of FM1's random initial state (default 1)."),
        click.option("--duration", type=float, default=None, help="Time limit per run in ns."),
        click.option("--rtol", type=float, default=None,
                     help="rk45/rk43 relative tolerance (default 1e-5)."),
        click.option("--integrator", type=click.Choice(["rk45", "rk43", "gspm"]), default=None,
                     help="Time stepper (default per preset: rk43 for full, else rk45)."),
        click.option("--dt", "dt_ps", type=float, default=None,
                     help="GSPM time step in ps (default 0.1 ps)."),
        click.option("--dt-max", "dt_max_ps", type=float, default=None,
                     help="Largest rk45/rk43 step in ps (default: none; for time-step checks)."),
        click.option("--transport-update", type=click.Choice(["step", "evaluation", "accepted"]),
                     default=None,
                     help="When the spin transport is solved (default per preset: 'step' for "
                          "full; 'accepted' is faster at high current, docs/performance.md)."),
        click.option("--moving-threshold", type=float, default=None,
                     help="Label FM2 'FM2 moving' when its average changed by more than this "
                          "over the last settle window (e.g. 0.2; default: the 2 ns snapshot's "
                          "class)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _point_key(exp: TrilayerExperiment, j: float) -> str:
    return f"{exp.model}/j={j / UNIT:.4g}e10/{exp.digest()}"


def _point_params(exp: TrilayerExperiment, j: float, out: Path, relaxed: str | None,
                  animate: bool = False) -> dict:
    return {"kind": "switching", "model": exp.model, "current": j,
            "experiment": exp.to_dict(), "relaxed": relaxed, "animate": animate,
            "out": str(out / "runs" / exp.model / f"j{j / UNIT:+.4g}e10")}


def _runner(scheduler: str | None, workers: int | None):
    from ..sweep.dask_runner import SweepRunner

    return SweepRunner(scheduler=scheduler, workers=workers)


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


def results_by_model(store) -> dict[str, list[tuple[float, str]]]:
    """``{model: [(current [A/m²], FM2 state label), ...]}`` from the done switching rows."""
    out: dict[str, list[tuple[float, str]]] = {}
    for row in store.rows("done"):
        if row.params.get("kind") == "switching":
            out.setdefault(row.params["model"], []).append((row.params["current"],
                                                            row.result["state"]))
    for pts in out.values():
        pts.sort()
    return out


def _search_results(points: dict[str, list[tuple[float, str]]], resolution: float
                    ) -> dict[str, SearchResult]:
    results = {}
    for model, pts in points.items():
        res = SearchResult(resolution)
        for j, state in pts:
            res.points[round(j / resolution)] = state
        results[model] = res
    return results


RUN_COLUMNS = ["model", "j (1e10 A/m²)", "FM2 state", "FM2 <mx>", "FM2 <my>", "FM2 <mz>",
               "FM2 motion (1)", "FM1 state", "t_end (ns)", "settled", "steps", "wall (s)"]


def _motion_from_table(row, layer: str, folder: Path) -> float | None:
    """A layer's motion over the last settle window, from the run's table (older results); the
    table is looked for where the result says and, for a copied store, at the same place under
    ``folder`` (``runs/<model>/<j>/table.tsv``)."""
    from ..io.table import read_table
    from .runner import motion

    tsv = (row.result.get("files") or {}).get("table")
    if not tsv:
        return None
    if not Path(tsv).is_file():
        tsv = folder.joinpath(*Path(tsv).parts[-4:])
        if not tsv.is_file():
            return None
    cols, data = read_table(tsv)
    try:
        idx = [cols.index(f"m{c}_{layer}") for c in "xyz"]
    except ValueError:
        return None
    window = TrilayerExperiment.from_dict(row.params["experiment"]).settle_window
    return motion(data[:, 0], data[:, idx], window)


def _rounded(x: float, digits: int) -> float | None:
    return round(x, digits) if math.isfinite(x) else None


def run_rows(store) -> list[list]:
    """One row per finished switching run (columns :data:`RUN_COLUMNS`), by model and current.

    "FM2 motion" is the largest change of a component of FM2's average over the last settle
    window (0.3 ns in the presets): near 0 for a state at rest, tenths for a state in motion.
    """
    rows = []
    for row in store.rows("done"):
        if row.params.get("kind") != "switching":
            continue
        r = row.result
        fm2 = r.get("averages", {}).get("FM2", [math.nan] * 3)
        mot = r.get("motion", {}).get("FM2")
        if mot is None:
            mot = _motion_from_table(row, "FM2", Path(store.path).parent)
        fm1 = r.get("states", {}).get("FM1", {}).get("label", "")
        rows.append([row.params["model"], round(row.params["current"] / UNIT, 6),
                     r.get("state_detail", r["state"]),
                     *(_rounded(v, 3) for v in fm2), None if mot is None else round(mot, 3), fm1,
                     _rounded(r.get("t_end", math.nan) * 1e9, 4), bool(r.get("settled")),
                     r.get("steps"), _rounded(r.get("wall_s", math.nan), 0)])
    return sorted(rows, key=lambda x: (x[0], x[1]))


def runs_markdown(rows: list[list]) -> str:
    lines = ["| " + " | ".join(RUN_COLUMNS) + " |", "|" + "---|" * len(RUN_COLUMNS)]
    for x in rows:
        lines.append("| " + " | ".join("" if v is None else f"{v:g}" if isinstance(v, float)
                                       else str(v) for v in x) + " |")
    return "\n".join(lines) + "\n"


def write_outputs(store, out: Path, resolution: float) -> str:
    """Write ``table.md``, ``table.csv``, ``runs.md``, ``runs.csv`` (every run),
    ``switching.png`` and, where the runs' motion is known, ``motion.png`` into ``out``; return
    the table's Markdown."""
    import csv

    from .. import plot

    points = results_by_model(store)
    if not points:
        raise click.ClickException(f"{store.path}: no finished switching runs")
    results = _search_results(points, resolution)
    md = table_markdown(results)
    runs = [r.result for r in store.rows("done") if r.params.get("kind") == "switching"]
    unsettled = sum(1 for r in runs if not r.get("settled", True))
    if unsettled:
        md += (f"\n{unsettled} of {len(runs)} runs reached the time limit without settling; their "
               "states are snapshots at the time limit, not locally stable states.\n")
    (out / "table.md").write_text(md, encoding="utf-8")
    (out / "table.csv").write_text(table_csv(results), encoding="utf-8")
    rows = run_rows(store)
    (out / "runs.md").write_text(runs_markdown(rows), encoding="utf-8")
    with open(out / "runs.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(RUN_COLUMNS)
        writer.writerows([["" if v is None else v for v in x] for x in rows])
    plot.plot_switching_diagram(points, out / "switching.png", "final FM2 state vs current")
    _plot_motion(store, rows, out / "motion.png")
    return md


def _plot_motion(store, rows: list[list], png: Path) -> None:
    """``motion.png``: FM2's motion against current, both models, with the store's moving
    threshold if its runs used one; nothing when no run's motion is known."""
    from .. import plot

    i_model, i_j, i_motion = (RUN_COLUMNS.index(c) for c in
                              ("model", "j (1e10 A/m²)", "FM2 motion (1)"))
    points: dict[str, list[tuple[float, float]]] = {}
    for x in rows:
        if x[i_motion] is not None:
            points.setdefault(x[i_model], []).append((x[i_j] * UNIT, x[i_motion]))
    if not points:
        return
    thresholds = {row.params.get("experiment", {}).get("moving_threshold")
                  for row in store.rows("done") if row.params.get("kind") == "switching"}
    thresholds.discard(None)
    plot.plot_motion(points, png, next(iter(thresholds)) if len(thresholds) == 1 else None,
                     "FM2 motion at the end of each run")


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
@click.option("--models", default="diffusion,moment", show_default=True)
@click.option("--currents", default=None,
              help="Coarse scan, comma-separated, in 1e10 A/m² (default per preset).")
@click.option("--resolution", type=float, default=None,
              help="Bisection resolution in 1e10 A/m² (default per preset: 10, full 0.1).")
@_run_options
def switching(preset_name, out_dir, scheduler, workers, models, currents, resolution, materials,
              t_fm1, cell, seed, duration, rtol, integrator, dt_ps, dt_max_ps, transport_update,
              moving_threshold):
    """Critical currents of the FM1/spacer/FM2 pillar for both transport models (talk's table)."""
    from ..sweep.store import Store

    if resolution is None:
        resolution = SCANS[preset_name][1]
    if not (math.isfinite(resolution) and resolution > 0):
        raise click.BadParameter(f"--resolution = {resolution!r} must be positive")
    res = resolution * UNIT
    coarse = _floats(currents, "--currents") if currents else COARSE[preset_name]
    coarse = [round(c / resolution) * res for c in coarse]
    base = _experiment(preset_name, materials, t_fm1, duration, rtol,
                       **_overrides(integrator, dt_ps, dt_max_ps, moving_threshold,
                                    transport_update, cell, seed))
    out_dir = out_dir.resolve()  # task params hold absolute paths: same from any cwd
    out_dir.mkdir(parents=True, exist_ok=True)
    searches = {m: Bisection(coarse, res) for m in _models(models)}
    exps = {m: base.with_(model=m) for m in searches}
    click.echo(f"switching: preset {preset_name}, grid {base.shape}, cell "
               f"{tuple(round(c * 1e9, 3) for c in base.cell)} nm, models {list(searches)}, "
               f"coarse {[c / UNIT for c in coarse]} x 1e10 A/m², resolution {resolution} x 1e10")
    with Store(out_dir / "store.sqlite") as store, _runner(scheduler, workers) as runner:
        store.acquire()
        _adopt_folder(store, out_dir)
        store.set_meta("experiment", base.to_dict())
        store.set_meta("resolution", res)
        relaxed = _relax_once(runner, store, base, out_dir)
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
@click.option("--models", default="diffusion,moment", show_default=True)
@click.option("--currents", default=None, help="Comma-separated, in 1e10 A/m².")
@click.option("--logspace", nargs=3, type=float, default=None,
              help="START STOP N: N currents log-spaced from START to STOP (1e10 A/m²).")
@_run_options
@click.option("--animate", is_flag=True, help="Also write an FM2 animation (GIF) per run.")
@click.option("--task", default=None,
              help="Generic sweep: 'package.module:function' run on each params of --tasks.")
@click.option("--tasks", "tasks_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="JSON object {key: params} for --task.")
@click.option("--scheduler", default=None, help="Address of an existing Dask scheduler.")
@click.option("--workers", type=click.IntRange(1, 256), default=None)
def sweep(out_dir, preset_name, models, currents, logspace, materials, t_fm1, cell, seed,
          duration, rtol, integrator, dt_ps, dt_max_ps, transport_update, moving_threshold,
          animate, task, tasks_file, scheduler, workers):
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
        with Store(out_dir / "store.sqlite") as store, _runner(scheduler, workers) as runner:
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
        values = _floats(currents, "--currents")
    else:
        values = COARSE[preset_name]
    base = _experiment(preset_name, materials, t_fm1, duration, rtol,
                       **_overrides(integrator, dt_ps, dt_max_ps, moving_threshold,
                                    transport_update, cell, seed))
    with Store(out_dir / "store.sqlite") as store, _runner(scheduler, workers) as runner:
        store.acquire()
        _adopt_folder(store, out_dir)
        store.set_meta("experiment", base.to_dict())
        relaxed = _relax_once(runner, store, base, out_dir)
        tasks = {}
        for model in _models(models):
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
            tsv = files.get("table")
            if tsv and Path(tsv).is_file():
                plot.plot_mt(tsv, Path(tsv).with_name("mt.png"),
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
