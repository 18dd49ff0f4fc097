"""Current pulses (spintorque.waveforms, the ``[pulse]`` table).

The shape is exact arithmetic (round-off tolerances). The physics check is a closed form: with no
field, no damping and Λ = 1, the Slonczewski torque turns m towards p as
d(cos θ)/dt = β ε (1 − cos² θ), so artanh(cos θ) grows by β ε ∫ w dt = β ε · FWHM over the whole
pulse; the integrated angle after the pulse is compared at the adaptive integrator's tolerance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _config_samples import base, with_torques

from spintorque import Grid, Material, Sample
from spintorque.config import ConfigError, config_from_dict
from spintorque.drive import Stop, drive
from spintorque.dynamics.torques import Slonczewski
from spintorque.io.errors import UserError
from spintorque.problem import Problem, Stepping
from spintorque.simulation import build
from spintorque.waveforms import Pulse, ScaledTorque, scaled_current


def test_pulse_shape_is_the_trapezoid():
    p = Pulse(start=1e-9, rise=0.2e-9, duration=1e-9, fall=0.4e-9)
    times = [0.0, 1e-9, 1.1e-9, 1.2e-9, 1.7e-9, 2.2e-9, 2.4e-9, 2.6e-9, 5e-9]
    expected = [0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0, 0.0]
    for t, w in zip(times, expected, strict=True):
        assert p(t) == pytest.approx(w, abs=1e-12), t
    assert p.fwhm == pytest.approx(1.3e-9, rel=1e-15)
    assert p.end == pytest.approx(2.6e-9, rel=1e-15)
    assert Pulse(duration=1e-9).fall == 0.0  # a step: fall defaults to the rise
    assert Pulse(rise=1e-10, duration=1e-9).fall == 1e-10


@pytest.mark.parametrize("kw", [{"rise": -1e-9, "duration": 1e-9}, {"duration": 0.0},
                                {"start": math.nan, "duration": 1e-9}])
def test_bad_pulse_is_refused_with_its_field(kw):
    with pytest.raises(UserError, match="pulse"):
        Pulse(**kw)


def test_scaled_torque_is_the_torque_of_the_scaled_current():
    mat = Material("fm", Ms=8e5, A=1e-11, alpha=0.02, P=0.6, Lambda=2.0, eps_prime=0.1)
    sample = Sample.uniform(Grid((3, 2, 2), (2e-9,) * 3), mat)
    m = np.random.default_rng(1).normal(size=sample.grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    pulse = Pulse(start=0.1e-9, rise=0.1e-9, duration=0.5e-9)
    scaled = ScaledTorque(Slonczewski(sample, 1e11, (0, 0, 1)), pulse)
    out, ref = np.zeros_like(m), np.zeros_like(m)
    for t in (0.0, 0.15e-9, 0.5e-9, 0.75e-9, 1e-9):
        scaled.rate(m, t, out)
        Slonczewski(sample, 1e11 * pulse(t), (0, 0, 1)).rate(m, t, ref)
        np.testing.assert_allclose(out, ref, rtol=1e-13, atol=1e-30 * np.abs(ref).max())
    assert scaled.beta is scaled.torque.beta  # attributes pass through
    f = scaled_current((1e11, 0.0, 2e11), pulse)
    assert f(0.15e-9) == pytest.approx((0.5e11, 0.0, 1e11))
    assert scaled_current(3e11, pulse)(0.5e-9) == 3e11


def test_slonczewski_pulse_turns_m_by_the_pulse_area():
    # one cell, no field, alpha = 0, Lambda = 1 (eps = P/2 at every angle): closed form
    P, d, j = 0.5, 2e-9, 2e11
    mat = Material("free", Ms=1e6, alpha=0.0, P=P, Lambda=1.0)
    sample = Sample.uniform(Grid((1, 1, 1), (2e-9, 2e-9, d)), mat)
    pulse = Pulse(start=0.2e-9, rise=0.1e-9, duration=0.3e-9, fall=0.2e-9)
    torque = Slonczewski(sample, j, (0, 0, 1), alpha=0.0)
    theta0 = math.radians(170.0)
    m0 = (math.sin(theta0), 0.0, math.cos(theta0))
    problem = Problem(sample, m0, [], torques=[ScaledTorque(torque, pulse)], alpha=0.0,
                      stepping=Stepping("rk45", rtol=1e-9))
    stops = [Stop(k * 0.1e-9) for k in range(13)]
    result = drive(problem, problem.m0, stops)
    eps = P / 2.0
    grown = math.atanh(math.cos(theta0)) + float(torque.beta.max()) * eps * pulse.fwhm
    expected = math.tanh(grown)
    assert float(torque.beta.max()) * eps * pulse.fwhm > 1.0  # a large turn, not a nudge
    assert result.m[0, 0, 0, 2] == pytest.approx(expected, abs=1e-7)  # rk45 at rtol 1e-9


def test_config_pulse_shapes_every_current():
    d = with_torques()
    d["pulse"] = {"start": 1e-11, "rise": 1e-11, "duration": 1e-10}
    problem = build(config_from_dict(d, check_memory=False))
    assert problem.torques and all(isinstance(t, ScaledTorque) for t in problem.torques)
    d = base()
    d["pulse"] = {"rise": 1e-11, "duration": 1e-10}
    problem = build(config_from_dict(d, check_memory=False))
    spin = problem.term("spin_accumulation")  # the base config drives a spin accumulation
    assert spin is not None and spin._current_fn is not None
    assert spin._current_fn(5e-12) == pytest.approx(0.5 * d["transport"]["current_density"])
    assert spin._current_fn(0.5e-10) == d["transport"]["current_density"]


def test_config_pulse_without_current_or_too_short_is_refused():
    d = base()
    d["transport"] = {"model": "none"}
    d["pulse"] = {"duration": 1e-9}
    with pytest.raises(ConfigError, match=r"pulse: .*has none"):
        config_from_dict(d, check_memory=False)
    d = with_torques()
    d["pulse"] = {"duration": d["run"]["output_every"] / 2}
    with pytest.raises(ConfigError, match=r"pulse\.duration"):
        config_from_dict(d, check_memory=False)
    d = with_torques()
    d["pulse"] = {"duration": 1e-9, "rise": -1.0}
    with pytest.raises(ConfigError, match=r"pulse\.rise"):
        config_from_dict(d, check_memory=False)
