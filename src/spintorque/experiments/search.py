"""Critical-current search: a coarse scan, then bisection between neighbouring currents whose
final states differ, down to a fixed resolution (0.1e10 A/m^2 by default;
docs/theory/switching.md, critical-current search and the table).

Currents live on the integer lattice ``j = k * resolution`` so that "exact to the resolution"
means exact integer arithmetic, not float comparisons. The search evaluates whole batches of
currents at once (every open interval's midpoint in one round) so that a Dask sweep can run
them in parallel; ``evaluate`` is any callable ``list[float] -> list[str]`` (currents in A/m^2
to state labels).

Output: :class:`Window` runs of equal state, the talk's table layout as Markdown and CSV next to
the talk's numbers (in units of 1e10 A/m^2; docs/theory/switching.md, critical-current search and
the table).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

#: A/m^2: the talk's table unit (docs/theory/switching.md, critical-current search and the table)
UNIT = 1e10

#: The talk's table (docs/theory/switching.md, critical-current search and the table), currents in
#: 1e10 A/m^2: (j_min, j_max, state) per window, None for an open end.
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
    """The search as a stepper, so several searches (one per model) can share a pool of workers.

    Two ways to drive it:

    * in rounds: ``batch = s.next_batch()`` (lattice indices to evaluate; empty when finished),
      then ``s.record(k, state)`` for each (:func:`bisect_search`);
    * one point at a time, as workers free up: ``s.propose()`` gives the next index and marks
      it pending, ``s.record(k, state)`` settles it; ``s.candidate()`` peeks at the next
      proposal and its priority so a driver can pick across several searches.

    Every interval whose ends differ is halved on the lattice until its ends are neighbours.
    A midpoint with a third state splits the interval in two, both refined, so a window that
    the coarse scan skipped over but a bisection lands in is found too (a window narrower than
    the coarse step that no midpoint hits can be missed: that is the coarse scan's limit).
    Driven one point at a time, an interval whose midpoint is still pending is refined only when
    no interval without a pending point is left (a worker would otherwise idle): the widest gap
    between its known and pending points is halved, which turns the search into trisection,
    quadrisection, ... when there are more workers than open intervals. The guarantee is the
    same; the set of evaluated currents may then depend on which run finishes first.
    """

    def __init__(self, coarse: Sequence[float], resolution: float = 0.1 * UNIT) -> None:
        if not (resolution > 0 and math.isfinite(resolution)):
            raise ValueError(f"resolution = {resolution!r} A/m^2 must be positive and finite")
        ks = to_lattice(coarse, resolution)
        if len(ks) < 2:
            raise ValueError(f"coarse = {list(coarse)!r}: need at least two distinct currents")
        self.resolution = resolution
        self.result = SearchResult(resolution)
        self.pending: set[int] = set()
        self._first = ks  # coarse points not yet handed out, ascending

    def current(self, k: int) -> float:
        """Current density [A/m^2] of lattice index ``k``."""
        return k * self.resolution

    @property
    def finished(self) -> bool:
        """Nothing pending and nothing left to propose."""
        return not self.pending and self.candidate() is None

    def candidate(self, speculate: bool = True) -> tuple[tuple[int, int], int] | None:
        """``(priority, k)`` of the next point to evaluate, or None; lower priority first.

        Coarse points come first, highest current first (the longest runs start first).
        Then, per interval whose known ends differ, the midpoint of its widest gap between
        known and pending points, preferring intervals with fewer pending points; with
        ``speculate=False`` intervals that already hold a pending point are skipped. With
        nothing else to propose, a gap next to a pending point (:meth:`_beside_pending`).
        """
        if self._first:
            return (-1, -self._first[-1]), self._first[-1]
        pts = self.result.points
        known = sorted(pts)
        best = self._split([(a, b) for a, b in zip(known, known[1:], strict=False)
                            if pts[a] != pts[b]], speculate)
        if best is None and speculate and self.pending:
            best = self._beside_pending(known)
        return best

    def _split(self, intervals: Iterable[tuple[int, int]], speculate: bool
               ) -> tuple[tuple[int, int], int] | None:
        """``(priority, k)``: over the open ``intervals`` (lattice index pairs), the midpoint of
        the widest gap between their ends and pending points, preferring intervals with fewer
        pending points; with ``speculate=False`` intervals holding a pending point are skipped.
        None when no interval has room for a point."""
        best = None
        for a, b in intervals:
            if b - a < 2:
                continue
            inside = sorted(p for p in self.pending if a < p < b)
            if inside and not speculate:
                continue
            edges = [a, *inside, b]
            lo, hi = max(zip(edges, edges[1:], strict=False), key=lambda g: g[1] - g[0])
            if hi - lo < 2:
                continue
            cand = ((len(inside), lo - hi), (lo + hi) // 2)
            if best is None or cand < best:
                best = cand
        return best

    def _beside_pending(self, known: list[int]) -> tuple[tuple[int, int], int] | None:
        """Last resort of a worker that would idle: the midpoint of the widest gap that has a
        pending point at one end and no known pair with equal states around it (e.g. 150
        while 200 of a coarse pair still runs and 100 is done). Ranked after every other
        proposal; wasted only if the pending point's state turns out equal to its neighbour's."""
        pts = self.result.points
        marks = sorted(set(known) | self.pending)
        best = None
        for lo, hi in zip(marks, marks[1:], strict=False):
            if hi - lo < 2 or (lo in pts and hi in pts):
                continue
            left = [k for k in known if k <= lo]
            right = [k for k in known if k >= hi]
            if left and right and pts[left[-1]] == pts[right[0]]:
                continue
            cand = ((len(self.pending) + 10**9, lo - hi), (lo + hi) // 2)
            if best is None or cand < best:
                best = cand
        return best

    def take(self, k: int) -> None:
        """Mark ``k`` as handed out (pending until :meth:`record`)."""
        if self._first and k == self._first[-1]:
            self._first.pop()
        self.pending.add(int(k))

    def propose(self, speculate: bool = True) -> int | None:
        """The next lattice index to evaluate, marked pending; None if there is none now."""
        cand = self.candidate(speculate)
        if cand is None:
            return None
        self.take(cand[1])
        return cand[1]

    def next_batch(self) -> list[int]:
        """Lattice indices to evaluate next (the coarse scan first); [] when the search is done.

        Every open interval's midpoint at once; record them all before the next call.
        """
        if self._first:
            batch, self._first = list(self._first), []
            self.pending.update(batch)
        else:
            batch = []
            while (k := self.propose(speculate=False)) is not None:
                batch.append(k)
            batch.sort()
        if batch:
            self.result.rounds += 1
        return batch

    def record(self, k: int, state: str) -> None:
        self.pending.discard(int(k))
        self.result.points[int(k)] = str(state)

    def preload(self, k: int, state: str) -> None:
        """Record a result known before the search started (a resumed store): it counts like
        an evaluated point, and a coarse point known this way is not handed out again."""
        k = int(k)
        if k in self._first:
            self._first.remove(k)
        self.record(k, state)


class FirstCrossings(Bisection):
    """The search for first crossings only: for each predicate ``reached(state)``, the lowest
    evaluated current at which it holds, bracketed to the resolution by the highest current
    below it at which it does not.

    After the coarse scan only these brackets are refined (the widest gap of any of them
    first); windows above them are not resolved. A predicate that holds at the lowest coarse
    current leaves nothing to bracket (below the scan); one that never holds has no bracket
    (above the scan). :func:`first_crossing` reads a bracket back from evaluated points.
    """

    def __init__(self, coarse: Sequence[float], resolution: float,
                 reached: Sequence[Callable[[str], bool]]) -> None:
        super().__init__(coarse, resolution)
        if not reached:
            raise ValueError("reached: need at least one predicate")
        self.reached = list(reached)

    def candidate(self, speculate: bool = True) -> tuple[tuple[int, int], int] | None:
        if self._first:
            return super().candidate(speculate)
        brackets = {first_bracket_where(self.result.points, r) for r in self.reached}
        return self._split(sorted((lo, hi) for lo, hi in brackets
                                  if lo is not None and hi is not None), speculate)


def departs(initial: str) -> Callable[[str], bool]:
    """Predicate of the first critical current: FM2's state family is no longer ``initial``."""
    return lambda state: state != initial


def reverses(initial: str) -> Callable[[str], bool]:
    """Predicate of the reversal current: FM2's state family is ``initial`` reversed ("FM2 +x"
    -> "FM2 −x"), uniform or C/S-state along the opposite direction."""
    target = reversed_family(initial)
    return lambda state: state == target


def reversed_family(family: str) -> str:
    """The family along the opposite direction: ``"FM2 +x"`` <-> ``"FM2 −x"`` (true minus)."""
    from .classify import MINUS

    layer, _, axis = family.rpartition(" ")
    if len(axis) != 2 or axis[0] not in ("+", MINUS) or axis[1] not in "xyz":
        raise ValueError(f"family = {family!r} is not a uniform family like 'FM2 +x'")
    return f"{layer} {MINUS if axis[0] == '+' else '+'}{axis[1]}"


class FirstDeparture(FirstCrossings):
    """The search for the first critical current only: the lowest evaluated current at which
    the state is no longer ``initial`` (FM2 has left its initial state family), bracketed to the
    resolution (:class:`FirstCrossings` with :func:`departs`). :func:`first_departure` reads the
    bracket.
    """

    def __init__(self, coarse: Sequence[float], resolution: float = 0.1 * UNIT,
                 initial: str = "FM2 +x") -> None:
        super().__init__(coarse, resolution, [departs(initial)])
        self.initial = initial


def first_bracket_where(points: dict[int, str], reached: Callable[[str], bool]
                        ) -> tuple[int | None, int | None]:
    """``(k_before, k_reached)``: the lowest lattice index whose state satisfies ``reached``
    and the highest index below it whose state does not; None where there is none."""
    hits = [k for k in sorted(points) if reached(points[k])]
    if not hits:
        return (max(points) if points else None), None
    before = [k for k in points if k < hits[0] and not reached(points[k])]
    return (max(before) if before else None), hits[0]


def first_crossing(points: Iterable[tuple[float, str]], reached: Callable[[str], bool]
                   ) -> tuple[float | None, float | None]:
    """``(j_before, j_reached)`` [A/m²] from evaluated ``(current, state)`` pairs: the lowest
    current whose state satisfies ``reached`` and the highest current below it whose state does
    not. The crossing lies between them; ``j_before`` None: below the lowest current evaluated;
    ``j_reached`` None: above the highest (then ``j_before`` is the highest evaluated)."""
    pts = sorted(points)
    hits = [j for j, state in pts if reached(state)]
    if not hits:
        return (pts[-1][0] if pts else None), None
    before = [j for j, state in pts if j < hits[0] and not reached(state)]
    return (before[-1] if before else None), hits[0]


def first_departure(points: Iterable[tuple[float, str]], initial: str = "FM2 +x"
                    ) -> tuple[float | None, float | None]:
    """``(j_stay, j_left)`` [A/m²] from evaluated ``(current, state)`` pairs: the lowest current
    whose state is not ``initial`` and the highest current below it whose state is. The first
    critical current lies between them; ``j_stay`` None: below the lowest current evaluated;
    ``j_left`` None: above the highest."""
    return first_crossing(points, departs(initial))


def propose_across(searches: dict[str, Bisection]) -> tuple[str, int] | None:
    """The best next point over several searches (one per model), taken: ``(name, k)``.

    The lowest :meth:`Bisection.candidate` priority wins (coarse points, highest current first;
    then intervals without a pending point; then the widest gap); ties go to the first search.
    None when no search has anything to propose now.
    """
    best = None
    for i, (name, search) in enumerate(searches.items()):
        cand = search.candidate()
        if cand is not None and (best is None or (cand[0], i) < best[0]):
            best = ((cand[0], i), name, cand[1])
    if best is None:
        return None
    _, name, k = best
    searches[name].take(k)
    return name, k


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
    lines += ["", "The talk's table (docs/theory/switching.md; unit read as 1e10 A/m²):", "",
              "| model | stays S1 | S1→S2 | S1→S3 | S1→S2 |", "|---|---|---|---|---|"]
    for model, wins in TALK_TABLE.items():
        lines.append(f"| {model} | " + " | ".join(_describe_talk(lo, hi) for lo, hi, _ in wins)
                     + " |")
    return "\n".join(lines) + "\n"
