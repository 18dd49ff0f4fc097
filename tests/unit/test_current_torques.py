"""The local torques (Zhang-Li, Slonczewski) driven by the current that ``[current]`` solves.

References: a pillar of uniform cross-section between two whole-face contacts carries the uniform
current exactly (the charge solver reproduces it to ~1e-14), so the torques built from the solved
field must equal the torques of the same uniform ``current_density`` to round-off; under a
nanocontact the Slonczewski prefactor of every cell must follow that cell's own j_z."""

import numpy as np
import pytest

from spintorque.config import ConfigError, config_from_dict
from spintorque.constants import E_CHARGE, HBAR, MU0
from spintorque.simulation import build

J = 1e11  # A/m^2
SIZE = 8e-9  # m, the pillar's edge (4 x 4 cells in-plane)


def config(torque: dict, current: dict | None = None) -> dict:
    cfg = {
        "mesh": {"cell": [2e-9, 2e-9, 1e-9], "size": [SIZE, SIZE, 6e-9]},
        "layer": [{"name": "fixed", "thickness": 2e-9, "material": "nm"},
                  {"name": "free", "thickness": 4e-9, "material": "fm",
                   "initial": {"uniform": [1.0, 0.2, 0.3]}}],
        "material": {"fm": {"Ms": 8e5, "A": 1e-11, "alpha": 0.1, "sigma": 5e6},
                     "nm": {"Ms": 0.0, "sigma": 2e7}},
        "torque": torque,
        "run": {"duration": 1e-12, "output_every": 1e-12},
    }
    if current is not None:
        cfg["current"] = current
    return cfg


def whole_faces(**drive) -> dict:
    return {"solver": "charge", "contacts": [{"face": "bottom"}, {"face": "top"}], **drive}


def torque_rate(cfg: dict) -> tuple[np.ndarray, object]:
    problem = build(config_from_dict(cfg))
    torque = problem.torques[0]
    torque = getattr(torque, "torque", torque)
    out = np.zeros(problem.sample.grid.vshape)
    torque.rate(problem.m0, 0.0, out)
    return out, torque


SLON = {"p": [0.0, 0.0, 1.0], "P": 0.5, "Lambda": 1.5, "region": "free"}


@pytest.mark.parametrize("side, sign", [("below", -1.0), ("above", 1.0)])
def test_slonczewski_from_the_solved_uniform_current(side, sign):
    # j along +z carries electrons towards -z: from the free layer into a fixed layer below it,
    # so the OOMMF-signed J through the free layer is -j_z (below) or +j_z (above)
    solved, _ = torque_rate(config({"slonczewski": {**SLON, "fixed_layer": side}},
                                   whole_faces(density=J)))
    uniform, _ = torque_rate(config({"slonczewski": {**SLON, "current_density": sign * J}}))
    assert np.abs(uniform).max() > 0
    np.testing.assert_allclose(solved, uniform, rtol=1e-12, atol=1e-12 * np.abs(uniform).max())


def test_zhang_li_from_the_solved_uniform_current():
    zl = {"P": 0.6, "xi": 0.05}
    cfg = config({"zhang_li": zl}, whole_faces(density=J))
    cfg["layer"][1]["initial"] = {"random": {"seed": 3}}  # a gradient along z for u·∇m
    solved, _ = torque_rate(cfg)
    cfg_u = config({"zhang_li": {**zl, "current_density": [0.0, 0.0, J]}})
    cfg_u["layer"][1]["initial"] = {"random": {"seed": 3}}
    uniform, _ = torque_rate(cfg_u)
    assert np.abs(uniform).max() > 0
    np.testing.assert_allclose(solved, uniform, rtol=1e-12, atol=1e-12 * np.abs(uniform).max())


def test_slonczewski_follows_the_local_current_under_a_nanocontact():
    contact = {"solver": "charge", "total": 1e-4,
               "contacts": [{"face": "bottom"}, {"face": "top", "radius": 2.5e-9}]}
    cfg = config({"slonczewski": {**SLON, "fixed_layer": "below"}}, contact)
    problem = build(config_from_dict(cfg))
    torque = problem.torques[0]
    from spintorque.transport.charge import solve_config_current

    jz = solve_config_current(config_from_dict(cfg).current, problem.sample).field.cell[..., 2]
    free = problem.sample.mask("free")
    assert jz[free].max() > 1.5 * jz[free].min() > 0  # the current is not uniform in the layer
    d, ms, gamma0 = 4e-9, 8e5, problem.sample.param("gamma0")
    expected = HBAR * gamma0 * (-jz) / (MU0 * E_CHARGE * d * ms)
    np.testing.assert_allclose(torque.beta[free], expected[free], rtol=1e-12)


@pytest.mark.parametrize("torque, current, path", [
    ({"slonczewski": {**SLON, "current_density": J, "fixed_layer": "below"}}, True,
     "torque.slonczewski.current_density"),
    ({"slonczewski": SLON}, True, "torque.slonczewski.fixed_layer"),
    ({"zhang_li": {"current_density": [0, 0, J]}}, True, "torque.zhang_li.current_density"),
    ({"slonczewski": SLON}, False, "torque.slonczewski.current_density"),
    ({"zhang_li": {}}, False, "torque.zhang_li.current_density"),
    ({"slonczewski": {**SLON, "current_density": J, "fixed_layer": "above"}}, False,
     "torque.slonczewski.fixed_layer"),
    ({"slonczewski": {**SLON, "fixed_layer": "left"}}, True, "fixed_layer"),
])
def test_torque_current_errors_name_the_field(torque, current, path):
    cfg = config(torque, whole_faces(density=J) if current else None)
    with pytest.raises(ConfigError, match=path.replace(".", r"\.")):
        config_from_dict(cfg)
