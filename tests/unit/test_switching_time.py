"""The switching time read at a run's rows (spintorque.switching_time, ``[switching]``).

Reference: with no field, no damping and Λ = 1 the Slonczewski torque gives
cos θ(t) = tanh(artanh(cos θ0) + β ε t), so m_z crosses 0 at t* = −artanh(cos θ0)/(β ε) and
0.5 at t* + artanh(0.5)/(β ε). The hook interpolates linearly between rows, so its error is
second order in the row interval: the test checks it at two intervals and that halving the
interval cuts the error by about 4 (between 3 and 5; the crossing lies at the same fraction
s(1 − s) of a row interval in both)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _config_samples import with_torques

import spintorque as st
from spintorque import Grid, Material, Sample
from spintorque.config import ConfigError, config_from_dict
from spintorque.dynamics.torques import Slonczewski
from spintorque.io.errors import UserError
from spintorque.problem import Problem, Stepping
from spintorque.switching_time import SwitchingTime, crossing_time

P, D, J = 0.5, 2e-9, 1e11
THETA0 = math.radians(170.0)


def macrospin() -> tuple[Problem, float]:
    sample = Sample.uniform(Grid((1, 1, 1), (2e-9, 2e-9, D)), Material("free", Ms=1e6, P=P))
    torque = Slonczewski(sample, J, (0, 0, 1), Lambda=1.0, alpha=0.0)
    t_star = -math.atanh(math.cos(THETA0)) / (float(torque.beta.max()) * P / 2)
    problem = Problem(sample, (math.sin(THETA0), 0, math.cos(THETA0)), [], torques=[torque],
                      alpha=0.0, stepping=Stepping("rk45", rtol=1e-9))
    return problem, t_star


def test_crossing_time_interpolates_the_first_crossing():
    assert crossing_time([0, 1, 2, 3], [-1.0, -0.5, 0.5, -1.0]) == pytest.approx(1.5)
    assert crossing_time([0, 1, 2], [0.8, 0.6, 0.2], threshold=0.5) == pytest.approx(1.25)
    assert crossing_time([0, 1], [1.0, 0.5]) is None
    assert crossing_time([], []) is None


def test_switching_time_converges_at_second_order(tmp_path):
    errors = []
    # the crossing of m_z = 0.5, where m_z(t) is curved (at m_z = 0 tanh'' vanishes)
    for k, rows in enumerate((4, 8)):
        problem, t_star = macrospin()
        t_half = t_star * (1 + math.atanh(0.5) / -math.atanh(math.cos(THETA0)))
        every = 0.3 * t_half / rows  # t_half at 1/3 and 2/3 of a row interval: same s(1 - s)
        watch = SwitchingTime(problem.sample, "free", "z", threshold=0.5)
        result = st.run(problem, 2 * t_half, every, tmp_path / f"r{k}", progress=None,
                        switching=watch)
        errors.append(abs(result.switching_time - t_half))
        done = json.loads((tmp_path / f"r{k}" / "DONE").read_text())
        assert done["switching_time"] == result.switching_time
    assert errors[0] < 0.002 * t_half  # rows 0.075 t_half apart: the interpolation is already close
    assert 3.0 < errors[0] / errors[1] < 5.0  # second order in the row interval


def test_stop_after_ends_the_run_and_a_finished_run_reports_it_again(tmp_path):
    problem, t_star = macrospin()
    every = t_star / 20
    watch = SwitchingTime(problem.sample, None, "z", stop_after=3 * every)
    result = st.run(problem, 10 * t_star, every, tmp_path / "r", progress=None, switching=watch)
    assert result.t == pytest.approx(t_star + 3 * every, abs=1.01 * every)
    again = st.run(problem, 10 * t_star, every, tmp_path / "r", progress=None,
                   switching=SwitchingTime(problem.sample, None, "z", stop_after=3 * every))
    assert again.already_done and again.switching_time == result.switching_time


def test_switching_state_survives_a_checkpoint():
    problem, _ = macrospin()
    a = SwitchingTime(problem.sample, "free", "z")
    m = problem.m0.copy()
    a(None, 0.0, m)
    b = SwitchingTime(problem.sample, "free", "z")
    b.open(json.loads(json.dumps(a.state())))  # through the checkpoint's JSON
    m2 = m.copy()
    m2[..., 2] = 0.5
    m2 /= np.linalg.norm(m2, axis=-1, keepdims=True)
    a(None, 1.0, m2)
    b(None, 1.0, m2)
    assert a.time is not None and a.time == b.time


def test_bad_switching_input_is_refused():
    problem, _ = macrospin()
    with pytest.raises(UserError, match="switching.component"):
        SwitchingTime(problem.sample, None, "w")
    with pytest.raises(UserError, match="switching.region = 'nope'"):
        SwitchingTime(problem.sample, "nope")
    d = with_torques()
    d["switching"] = {"layer": "FM9"}
    with pytest.raises(ConfigError, match=r"switching\.layer: 'FM9'"):
        config_from_dict(d, check_memory=False)
    d = with_torques()
    d["switching"] = {"threshold": 1.0}
    with pytest.raises(ConfigError, match=r"switching\.threshold"):
        config_from_dict(d, check_memory=False)
