"""Frozen materials (fixed spins): their m never moves, they still act through the field terms.

Checks are exact (the frozen cells' rate is multiplied by 0, so they stay bit for bit) or against
a closed form: a free macrospin exchange-coupled to a frozen neighbour cell precesses in the
exchange field of a fixed moment, the Larmor frequency γ0 H/(2π) of that field (rk45 at rtol 1e-9,
tolerance 1e-6 relative).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _config_samples import base

from spintorque import Grid, Material, Sample
from spintorque.config import ConfigError, config_from_dict
from spintorque.constants import MU0
from spintorque.drive import Stop, drive
from spintorque.dynamics.integrators import make_integrator
from spintorque.dynamics.torques import Slonczewski
from spintorque.fields import Exchange, UniaxialAnisotropy, Zeeman
from spintorque.problem import Problem, Relaxation, Stepping

FREE = Material("free", Ms=8e5, A=1.3e-11, alpha=0.0, P=0.5)
PINNED = Material("pinned", Ms=8e5, A=1.3e-11, alpha=0.0, frozen=True)


def pair() -> Sample:
    """Two cells along x: a free one and a frozen one."""
    region = np.array([0, 1], np.int16).reshape(2, 1, 1)
    return Sample(Grid((2, 1, 1), (2e-9, 2e-9, 2e-9)), region, (FREE, PINNED), ("free", "ref"))


def test_frozen_cell_never_moves_and_the_free_one_precesses_in_its_exchange_field():
    sample = pair()
    m0 = np.zeros(sample.grid.vshape)
    m0[0, 0, 0] = (1.0, 0.0, 0.0)
    m0[1, 0, 0] = (0.0, 0.0, 1.0)
    torque = Slonczewski(sample, 1e12, (0, 1, 0), region=None, alpha=0.0)
    problem = Problem(sample, m0, [Exchange(sample)], torques=[torque], alpha=0.0,
                      stepping=Stepping("rk45", rtol=1e-9))
    # the torque acts on the free cell only; check the frozen cell through the whole run
    problem_no_torque = Problem(sample, m0, [Exchange(sample)], alpha=0.0,
                                stepping=Stepping("rk45", rtol=1e-9))
    h_ex = 2 * FREE.A / (MU0 * FREE.Ms * 2e-9**2)  # field of the frozen neighbour [A/m]
    period = 2 * math.pi / (FREE.gamma0 * h_ex)
    stops = [Stop(k * period / 8) for k in range(9)]
    result = drive(problem_no_torque, problem_no_torque.m0, stops)
    assert np.array_equal(result.m[1, 0, 0], (0.0, 0.0, 1.0))
    # H_ex = h_ex (m_frozen − m_free): precession about z at γ0 h_ex, one period back to +x
    np.testing.assert_allclose(result.m[0, 0, 0], (1.0, 0.0, 0.0), atol=1e-6)
    result = drive(problem, problem.m0, stops[:3])
    assert np.array_equal(result.m[1, 0, 0], (0.0, 0.0, 1.0))


def test_relaxation_ignores_the_torque_on_frozen_cells():
    # the frozen cell sits against its anisotropy and a field: it never relaxes, yet the
    # relaxation of the free cell converges
    sample = pair()
    m0 = np.zeros(sample.grid.vshape)
    m0[0, 0, 0] = (0.0, 1.0, 0.0)
    m0[1, 0, 0] = (1.0, 1.0, 0.0)
    problem = Problem(sample, m0, [Exchange(sample), Zeeman(sample, B=(0, 0, 0.1))],
                      relaxation=Relaxation("minimize", tol=1e-3))
    m, info = problem.relax()
    assert info["converged"]
    # not moved: only the renormalization's round-off (one ulp) touches it
    np.testing.assert_allclose(m[1, 0, 0], problem.m0[1, 0, 0], rtol=0, atol=4e-16)
    assert problem.llg.max_torque(m) < 1e-3


def test_gspm_refuses_frozen_cells():
    sample = Sample.stack((2, 2), (2e-9,) * 3, [("ref", 2e-9, PINNED), ("sp", 2e-9, Material()),
                                                  ("free", 2e-9, FREE)])
    problem = Problem(sample, (1, 0, 0), [Exchange(sample), UniaxialAnisotropy(sample)])
    with pytest.raises(ValueError, match="frozen"):
        make_integrator("gspm", problem.llg, dt=1e-13)


def test_config_frozen_material_and_gspm_refused():
    d = base()
    key = d["layer"][0]["material"]
    d["material"][key]["frozen"] = True
    cfg = config_from_dict(d, check_memory=False)
    assert cfg.material[key].to_material(key).frozen
    d["run"]["integrator"] = "gspm"
    d["run"]["dt"] = 1e-13
    d["transport"] = {"model": "none"}
    with pytest.raises(ConfigError, match=r"run\.integrator: 'gspm' -> cannot hold"):
        config_from_dict(d, check_memory=False)


def test_unused_later_keys_leave_run_hash_and_identity_unchanged():
    from spintorque.materials import material_fingerprint
    from spintorque.simulation import run_hash

    d = base()
    plain = run_hash(config_from_dict(d, check_memory=False))
    key = d["layer"][0]["material"]
    d["material"][key].update({"frozen": False, "Dind": 0.0, "Kc1": 0.0,
                               "cubic_axis1": [1.0, 0.0, 0.0]})
    assert run_hash(config_from_dict(d, check_memory=False)) == plain
    d["material"][key]["frozen"] = True
    assert run_hash(config_from_dict(d, check_memory=False)) != plain
    assert material_fingerprint(FREE) == repr(FREE).split(", sigma=")[0] + ")"
    assert "frozen=True" in material_fingerprint(PINNED)
