"""Critical-current search on a synthetic response with known thresholds: exact to 0.1e10 A/m²."""

from __future__ import annotations

import csv
import heapq
import io
import random

import pytest

from spintorque.experiments.search import (
    UNIT,
    Bisection,
    FirstCrossings,
    bisect_search,
    departs,
    first_crossing,
    propose_across,
    reversed_family,
    reverses,
    table_csv,
    table_markdown,
)

RES = 0.1 * UNIT


def talk_like(edges_1e10, states):
    """A step response: states[i] on [edges[i-1], edges[i]) in 1e10 A/m² (lattice-exact)."""
    calls = []

    def evaluate(currents):
        calls.append(list(currents))
        out = []
        for j in currents:
            k = round(j / RES)
            i = sum(k >= round(e * 10) for e in edges_1e10)
            out.append(states[i])
        return out

    return evaluate, calls


def test_bisection_recovers_the_talks_diffusion_windows_exactly():
    # the talk's diffusion row: S1 ≤ 7.4, S2 7.5–9.9, S3 at 10.0 only, S2 ≥ 10.1
    evaluate, calls = talk_like([7.5, 10.0, 10.1], ["S1", "S2", "S3", "S2"])
    coarse = [k * UNIT for k in (5, 6, 7, 8, 9, 10, 11, 12)]  # 10.0 is on the coarse grid
    res = bisect_search(evaluate, coarse, RES)
    got = [(w.state, round(w.j_min / UNIT, 6), round(w.j_max / UNIT, 6)) for w in res.windows()]
    assert got == [("S1", 5.0, 7.4), ("S2", 7.5, 9.9), ("S3", 10.0, 10.0), ("S2", 10.1, 12.0)]
    assert [w.describe() for w in res.windows()] == ["≤ 7.4", "7.5 – 9.9", "10.0", "≥ 10.1"]
    # bisection, not a fine scan: each 1e10 gap needs ceil(log2 10) = 4 halvings, batched per round
    assert res.evaluations <= len(coarse) + 3 * 4
    assert len(calls) == res.rounds <= 1 + 4


def test_third_state_found_inside_a_bisected_interval():
    # moment-like row with a window the coarse grid misses (9.7–10.1 between 9 and 11 is hit
    # by the first midpoint 10.0)
    evaluate, _ = talk_like([9.1, 9.7, 10.2], ["S1", "S2", "S3", "S2"])
    res = bisect_search(evaluate, [k * UNIT for k in (7, 9, 11, 13)], RES)
    assert [w.describe() for w in res.windows()] == ["≤ 9.0", "9.1 – 9.6", "9.7 – 10.1", "≥ 10.2"]
    for (lo, hi, a, b) in res.thresholds():
        assert hi - lo == pytest.approx(RES) and a != b


def test_tables_layout_and_values():
    ev1, _ = talk_like([7.5, 10.0, 10.1], ["S1", "S2", "S3", "S2"])
    ev2, _ = talk_like([9.1, 9.7, 10.2], ["S1", "S2", "S3", "S2"])
    coarse = [k * UNIT for k in range(5, 13)]
    results = {"diffusion": bisect_search(ev1, coarse), "moment": bisect_search(ev2, coarse)}
    md = table_markdown(results)
    assert "| diffusion | ≤ 7.4: S1 | 7.5 – 9.9: S2 | 10.0: S3 | ≥ 10.1: S2 |" in md
    assert "| moment | ≤ 9.0 | 9.1 – 9.6 | 9.7 – 10.1 | ≥ 10.2 |" in md  # the talk's row
    rows = list(csv.DictReader(io.StringIO(table_csv(results))))
    ours = [r for r in rows if r["source"] == "spintorque" and r["model"] == "moment"]
    talk = [r for r in rows if r["source"] == "talk" and r["model"] == "moment"]
    assert [(r["j_min_1e10"], r["j_max_1e10"]) for r in ours] == [
        (t["j_min_1e10"], t["j_max_1e10"]) for t in talk]  # same windows as the talk here


def test_bad_input():
    ev, _ = talk_like([1.0], ["a", "b"])
    with pytest.raises(ValueError, match="multiple of the resolution"):
        bisect_search(ev, [0.0, 1.05 * UNIT])
    with pytest.raises(ValueError, match="at least two"):
        bisect_search(ev, [UNIT, UNIT])
    with pytest.raises(ValueError, match="resolution"):
        bisect_search(ev, [0.0, UNIT], resolution=0.0)


def run_pool(responses, coarse, workers, durations, seed=0):
    """Drive one search per model through a simulated pool of ``workers``, each run taking
    ``durations[model](current)`` time units; results arrive in finishing order."""
    rng = random.Random(seed)
    searches = {m: Bisection(coarse, RES) for m in responses}
    running, clock, evaluated = [], 0.0, {m: [] for m in responses}
    while True:
        while len(running) < workers and (pick := propose_across(searches)) is not None:
            model, k = pick
            jitter = 1 + 0.1 * rng.random()  # runs of equal length finish in a random order
            heapq.heappush(running, (clock + durations[model](k * RES) * jitter, model, k))
        if not running:
            return searches, clock, evaluated
        clock, model, k = heapq.heappop(running)
        evaluated[model].append(k)
        searches[model].record(k, responses[model]([k * RES])[0])


DIFFUSION = ([7.5, 10.0, 10.1], ["S1", "S2", "S3", "S2"])
MOMENT = ([9.1, 9.7, 10.2], ["S1", "S2", "S3", "S2"])


@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_pipelined_search_finds_the_same_windows_with_any_pool(workers):
    """Driven point by point, with runs finishing in any order, each model's windows are those
    of the round-by-round bisection; with one worker it evaluates exactly the same currents."""
    coarse = [k * UNIT for k in (5, 8, 11, 12)]
    responses = {"diffusion": talk_like(*DIFFUSION)[0], "moment": talk_like(*MOMENT)[0]}
    slow = {"diffusion": lambda j: 1.0, "moment": lambda j: 1.5}  # moment runs take longer
    searches, _, evaluated = run_pool(responses, coarse, workers, slow, seed=workers)
    for model, respond in responses.items():
        ref = bisect_search(respond, coarse, RES)
        got = searches[model]
        assert got.finished and not got.pending
        assert [(w.state, w.j_min, w.j_max) for w in got.result.windows()] == \
            [(w.state, w.j_min, w.j_max) for w in ref.windows()]
        assert len(evaluated[model]) == len(set(evaluated[model]))  # no current run twice
        if workers == 1:
            assert sorted(evaluated[model]) == sorted(ref.points)


def test_idle_workers_speculate_and_shorten_a_lone_bisection():
    """One threshold, one model: a second worker halves the widest gap next to the pending
    midpoint (trisection), so the search closes in fewer run lengths than with one worker, and
    the threshold is the same to the resolution."""
    evaluate, _ = talk_like([137.3], ["+x", "vortex"])
    coarse = [100 * UNIT, 200 * UNIT]  # 1000 lattice steps: 10 halvings
    one = lambda j: 1.0  # noqa: E731
    s1, t1, ev1 = run_pool({"m": evaluate}, coarse, 1, {"m": one})
    s2, t2, ev2 = run_pool({"m": evaluate}, coarse, 2, {"m": one})
    for s in (s1, s2):
        (lo, hi, a, b), = s["m"].result.thresholds()
        assert (round(lo / UNIT, 6), round(hi / UNIT, 6), a, b) == (137.2, 137.3, "+x", "vortex")
    assert len(ev1["m"]) == 2 + 10  # the coarse pair, then 10 halvings
    assert 12 <= t1 <= 12 * 1.1  # one after the other (runs last 1 to 1.1 units)
    print(f"one worker: {t1:.2f} units, {len(ev1['m'])} runs; two: {t2:.2f}, {len(ev2['m'])}")
    assert t2 < 0.75 * t1  # ~log3(1000) = 6.3 rounds of two runs instead of 10 of one


def test_synchronous_batches_do_not_speculate():
    b = Bisection([0.0, 10 * UNIT], RES)
    assert b.next_batch() == [0, 100]
    b.record(0, "a")
    b.record(100, "b")
    assert b.next_batch() == [50]  # one midpoint per open interval, nothing speculative
    assert b.candidate(speculate=False) is None and b.candidate() is not None


def test_a_worker_does_not_idle_while_a_long_coarse_run_is_pending():
    """Coarse runs whose length grows with the current (as at high current): when 100 is done
    and 200 still runs, the free worker starts 150 instead of waiting (time units: a run at j
    takes j/100; 150 then ends at 2.5–2.75, where waiting for 200 first would end the third run
    at 3.25 or later), and the threshold is found all the same."""
    evaluate, _ = talk_like([137.3], ["+x", "vortex"])
    coarse = [100 * UNIT, 200 * UNIT]
    searches = {"m": Bisection(coarse, RES)}
    running, clock, arrivals = [], 0.0, []
    while True:
        while len(running) < 2 and (pick := propose_across(searches)) is not None:
            _, k = pick
            heapq.heappush(running, (clock + k * RES / (100 * UNIT), k))
        if not running:
            break
        clock, k = heapq.heappop(running)
        arrivals.append((k, clock))
        searches["m"].record(k, evaluate([k * RES])[0])
    assert [k for k, _ in arrivals[:3]] == [1000, 2000, 1500]
    assert arrivals[2][1] == pytest.approx(2.5)
    (lo, hi, a, b), = searches["m"].result.thresholds()
    assert (round(lo / UNIT, 6), round(hi / UNIT, 6)) == (137.2, 137.3)
    # no speculation next to a pending point between two known equal states
    b2 = Bisection([0.0, 5 * UNIT, 10 * UNIT], RES)
    for k in (100, 50, 0):
        b2.take(k)
    b2.record(0, "a")
    b2.record(100, "a")
    assert b2.candidate() is None  # 50 pending inside (0, 100), both ends "a"


def test_first_crossings_bracket_departure_and_reversal_and_nothing_else():
    """FM2 +x up to 7.4, multidomain 7.5-10.0, −x from 10.1 except +x again at 12.0-12.9: the
    search with both predicates brackets 7.4/7.5 and 10.0/10.1 to the resolution, leaves the
    window at 12 (between two −x coarse points) unresolved and costs the coarse scan plus one
    bisection per bracket."""
    evaluate, _ = talk_like([7.5, 10.1, 12.0, 13.0],
                            ["FM2 +x", "FM2 multidomain", "FM2 −x", "FM2 +x", "FM2 −x"])
    coarse = [k * UNIT for k in (2, 6, 11, 14, 18)]
    search = FirstCrossings(coarse, RES, [departs("FM2 +x"), reverses("FM2 +x")])
    while batch := search.next_batch():
        for k, state in zip(batch, evaluate([search.current(k) for k in batch]), strict=True):
            search.record(k, state)
    pts = [(search.current(k), s) for k, s in search.result.points.items()]
    assert [round(j / UNIT, 6) for j in first_crossing(pts, departs("FM2 +x"))] == [7.4, 7.5]
    assert [round(j / UNIT, 6) for j in first_crossing(pts, reverses("FM2 +x"))] == [10.0, 10.1]
    assert not any(11 < j / UNIT < 14 for j, _ in pts)  # the window at 12: not refined
    assert search.result.evaluations <= len(coarse) + 2 * 6  # ceil(log2 50) = 6 per bracket
    # a scan that never reverses has no reversal bracket: below = the highest current evaluated
    assert first_crossing([(1.0, "FM2 +x"), (2.0, "FM2 multidomain")],
                          reverses("FM2 +x")) == (2.0, None)


def test_reversed_family_flips_the_direction_and_rejects_other_states():
    assert reversed_family("FM2 +x") == "FM2 −x" and reversed_family("FM2 −z") == "FM2 +z"
    with pytest.raises(ValueError, match="'FM2 vortex \\(cw\\)'"):
        reversed_family("FM2 vortex (cw)")
