"""Critical-current search: a coarse scan, then bisection between neighbouring currents whose
final states differ, down to a fixed resolution (0.1e10 A/m^2 by default, PHYSICS.md §9.9).

Currents live on the integer lattice ``j = k * resolution`` so that "exact to the resolution"
means exact integer arithmetic, not float comparisons. The search evaluates whole batches of
currents at once (every open interval's midpoint in one round) so that a Dask sweep can run
them in parallel; ``evaluate`` is any callable ``list[float] -> list[str]`` (currents in A/m^2
to state labels).

Output: :class:`Window` runs of equal state, the talk's table layout as Markdown and CSV next to
the talk's numbers (PHYSICS.md §6, in units of 1e10 A/m^2).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

UNIT = 1e10  # A/m^2: the talk's table unit (PHYSICS.md §6)

#: The talk's table (PHYSICS.md §6), currents in 1e10 A/m^2: (j_min, j_max, state) per window,
#: None for an open end.
TALK_TABLE: dict[str, list[tuple[float | None, float | None, str]]] = {
    "diffusion": [(None, 7.4, "S1"), (7.5, 9.9, "S1→S2"), (10.0, 10.0, "S1→S3"),
                  (10.1, None, "S1→S2")],
    "moment": [(None, 9.0, "S1"), (9.1, 9.6, "S1→S2"), (9.7, 10.1, "S1→S3"),
               (10.2, None, "S1→S2")],
}


@dataclass(frozen=True)
class Window:
    """A maximal run of evaluated currents with the same final state.

    ``j_min``/``j_max`` [A/m^2] are the smallest and largest evaluated currents of the run;
    ``open_low``/``open_high`` mark the first and last window (the scan's ends).
    """

    state: str
    j_min: float
    j_max: float
    open_low: bool = False
    open_high: bool = False

    def describe(self, unit: float = UNIT) -> str:
        """The talk's notation in units of ``unit``: "≤ 7.4", "7.5 – 9.9", "10.0", "≥ 10.1"."""
        lo, hi = self.j_min / unit, self.j_max / unit
        if self.open_low and not self.open_high:
            return f"≤ {hi:.1f}"
        if self.open_high and not self.open_low:
            return f"≥ {lo:.1f}"
        if math.isclose(lo, hi):
            return f"{lo:.1f}"
        return f"{lo:.1f} – {hi:.1f}"


@dataclass
class SearchResult:
    """All evaluated currents of one search and the windows they form.

    ``points``: {k: state}, current = k * resolution [A/m^2]; ``rounds``: number of evaluation
    batches; ``evaluations``: number of currents evaluated.
    """

    resolution: float
    points: dict[int, str] = field(default_factory=dict)
    rounds: int = 0

    @property
    def evaluations(self) -> int:
        return len(self.points)

    def currents(self) -> list[float]:
        """Evaluated currents [A/m^2], ascending."""
        return [k * self.resolution for k in sorted(self.points)]

    def windows(self) -> list[Window]:
        """Maximal runs of equal state over the evaluated currents, ascending in current."""
        ks = sorted(self.points)
        out: list[Window] = []
        start = 0
        for i in range(1, len(ks) + 1):
            if i == len(ks) or self.points[ks[i]] != self.points[ks[start]]:
                out.append(Window(self.points[ks[start]], ks[start] * self.resolution,
                                  ks[i - 1] * self.resolution))
                start = i
        if out:
            out[0] = Window(out[0].state, out[0].j_min, out[0].j_max, True, out[0].open_high)
            out[-1] = Window(out[-1].state, out[-1].j_min, out[-1].j_max, out[-1].open_low, True)
        return out

    def thresholds(self) -> list[tuple[float, float, str, str]]:
        """Transitions as ``(j_below, j_above, state_below, state_above)`` [A/m^2]."""
        w = self.windows()
        return [(a.j_max, b.j_min, a.state, b.state) for a, b in zip(w, w[1:], strict=False)]


def to_lattice(currents: Iterable[float], resolution: float) -> list[int]:
    """Currents [A/m^2] -> sorted unique lattice indices; each must be a multiple of resolution."""
    ks = set()
    for j in currents:
        if not math.isfinite(j):
            raise ValueError(f"current = {j!r} A/m^2 must be finite")
        k = round(j / resolution)
        if abs(j / resolution - k) > 1e-6:
            raise ValueError(
                f"current = {j!r} A/m^2 is not a multiple of the resolution {resolution!r} A/m^2"
            )
        ks.add(int(k))
    return sorted(ks)


class Bisection:
    """The search as a stepper, so several searches (one per model) can share evaluation rounds.

    ``coarse``: currents [A/m^2] of the coarse scan, multiples of ``resolution`` [A/m^2] (> 0).
    Loop: ``batch = s.next_batch()`` (lattice indices to evaluate; empty when finished), then
    ``s.record(k, state)`` for each. ``s.result`` holds every evaluated point.

    Every interval whose ends differ is halved on the lattice until its ends are neighbours.
    A midpoint with a third state splits the interval in two, both refined, so a window that
    the coarse scan skipped over but a bisection lands in is found too (a window narrower than
    the coarse step that no midpoint hits can be missed: that is the coarse scan's limit).
    """

    def __init__(self, coarse: Sequence[float], resolution: float = 0.1 * UNIT) -> None:
        if not (resolution > 0 and math.isfinite(resolution)):
            raise ValueError(f"resolution = {resolution!r} A/m^2 must be positive and finite")
        ks = to_lattice(coarse, resolution)
        if len(ks) < 2:
            raise ValueError(f"coarse = {list(coarse)!r}: need at least two distinct currents")
        self.resolution = resolution
        self.result = SearchResult(resolution)
        self._first = ks

    def current(self, k: int) -> float:
        """Current density [A/m^2] of lattice index ``k``."""
        return k * self.resolution

    def next_batch(self) -> list[int]:
        """Lattice indices to evaluate next (the coarse scan first); [] when the search is done."""
        if self._first is not None:
            batch, self._first = self._first, None
        else:
            pts = self.result.points
            known = sorted(pts)
            batch = [(a + b) // 2 for a, b in zip(known, known[1:], strict=False)
                     if b - a > 1 and pts[a] != pts[b]]
        if batch:
            self.result.rounds += 1
        return batch

    def record(self, k: int, state: str) -> None:
        self.result.points[int(k)] = str(state)


def bisect_search(
    evaluate: Callable[[list[float]], Sequence[str]],
    coarse: Sequence[float],
    resolution: float = 0.1 * UNIT,
    max_rounds: int = 64,
) -> SearchResult:
    """Coarse scan then bisection between neighbours with different final states.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(currents [A/m^2]) -> states`` (one label per current, same order); called
        once per round with every open interval's midpoint.
    coarse : currents [A/m^2] of the coarse scan, multiples of ``resolution``; at least two.
    resolution : float
        Final spacing of the bracketing currents [A/m^2], > 0.

    See :class:`Bisection` for what is and is not guaranteed.
    """
    search = Bisection(coarse, resolution)
    for _ in range(max_rounds + 1):
        batch = search.next_batch()
        if not batch:
            return search.result
        states = list(evaluate([search.current(k) for k in batch]))
        if len(states) != len(batch):
            raise ValueError(f"evaluate returned {len(states)} states for {len(batch)} currents")
        for k, state in zip(batch, states, strict=True):
            search.record(k, state)
    raise RuntimeError(f"bisection did not close within {max_rounds} rounds")


# -- the talk's table layout ----------------------------------------------------------------

def _describe_talk(lo: float | None, hi: float | None) -> str:
    return Window("", (lo or 0) * UNIT, (hi or 0) * UNIT, lo is None, hi is None).describe()


def table_rows(results: dict[str, SearchResult]) -> list[dict]:
    """Long-format rows: one per (source, model, window), currents in 1e10 A/m^2."""
    rows = []
    for model, res in results.items():
        for i, w in enumerate(res.windows()):
            rows.append({
                "source": "spintorque", "model": model, "window": i + 1,
                "j_min_1e10": None if w.open_low else round(w.j_min / UNIT, 6),
                "j_max_1e10": None if w.open_high else round(w.j_max / UNIT, 6),
                "range": w.describe(), "state": w.state,
            })
    for model, wins in TALK_TABLE.items():
        for i, (lo, hi, state) in enumerate(wins):
            rows.append({
                "source": "talk", "model": model, "window": i + 1,
                "j_min_1e10": lo, "j_max_1e10": hi,
                "range": _describe_talk(lo, hi), "state": state,
            })
    return rows


def table_csv(results: dict[str, SearchResult]) -> str:
    """CSV text of :func:`table_rows` (currents in 1e10 A/m^2, empty for an open end)."""
    buf = io.StringIO()
    cols = ["source", "model", "window", "j_min_1e10", "j_max_1e10", "range", "state"]
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    for row in table_rows(results):
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in cols})
    return buf.getvalue()


def table_markdown(results: dict[str, SearchResult]) -> str:
    """The talk's layout: one row per model, one column per current window (ascending), each
    cell "range: state"; followed by the talk's own table for comparison."""
    lines = ["Final state per current window (current density in 1e10 A/m², current FM1 → FM2)",
             ""]
    width = max([len(r.windows()) for r in results.values()] + [1])
    lines.append("| model | " + " | ".join(f"window {i + 1}" for i in range(width)) + " |")
    lines.append("|---|" + "---|" * width)
    for model, res in results.items():
        cells = [f"{w.describe()}: {w.state}" for w in res.windows()]
        cells += [""] * (width - len(cells))
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    lines += ["", "The talk's table (PHYSICS.md §6; unit read as 1e10 A/m²):", "",
              "| model | stays S1 | S1→S2 | S1→S3 | S1→S2 |", "|---|---|---|---|---|"]
    for model, wins in TALK_TABLE.items():
        lines.append(f"| {model} | " + " | ".join(_describe_talk(lo, hi) for lo, hi, _ in wins)
                     + " |")
    return "\n".join(lines) + "\n"
