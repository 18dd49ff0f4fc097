"""Critical-current search on a synthetic response with known thresholds: exact to 0.1e10 A/m²."""

from __future__ import annotations

import csv
import io

import pytest

from spintorque.experiments.search import UNIT, bisect_search, table_csv, table_markdown

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
