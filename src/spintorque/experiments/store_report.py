"""The outputs of a switching store: the critical-current table (``table.md``, ``table.csv``),
one row per run (``runs.md``, ``runs.csv``), the switching diagram and FM2's motion against
current (``switching.png``, ``motion.png``), written by ``spintorque switching | table | plot``.
"""

from __future__ import annotations

import math
from pathlib import Path

import click

from .search import UNIT, SearchResult, table_csv, table_markdown
from .trilayer import TrilayerExperiment

__all__ = ["RUN_COLUMNS", "results_by_model", "run_rows", "runs_markdown", "write_outputs"]


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


def _motion_from_table(row, layer: str, store) -> float | None:
    """A layer's motion over the last settle window, from the run's table (older results); the
    table is looked for where the result says or, for a moved or archived store, where
    :meth:`~spintorque.sweep.store.Store.resolve_path` finds it under the store's folder."""
    from ..io.table import read_table
    from .runner import motion

    stored = (row.result.get("files") or {}).get("table")
    if not stored:
        return None
    tsv = store.resolve_path(stored)
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
            mot = _motion_from_table(row, "FM2", store)
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
