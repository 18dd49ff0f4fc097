"""Union, intersection and difference of shapes in a TOML config (``shape = { difference =
[...] }``), against the same combination of :mod:`spintorque.geometry` shapes from Python (the
cell masks must be identical: both staircase the same analytic inside test)."""

import numpy as np
import pytest
import tomllib

from spintorque.config import ConfigError, config_from_dict
from spintorque.geometry import Cylinder, Polygon
from spintorque.simulation import build_sample

TOML = """
[mesh]
cell = [2e-9, 2e-9, 2e-9]
size = [64e-9, 48e-9, 2e-9]

[[layer]]
name = "free"
thickness = 2e-9
material = "py"

[material.py]
Ms = 8e5
A = 1.3e-11
alpha = 0.02

[run]
duration = 1e-12
output_every = 1e-12
"""

RING = {"difference": [{"cylinder": {"diameter": 40e-9}}, {"cylinder": {"diameter": 20e-9}}]}
PAIR = {"union": [{"cylinder": {"diameter": 20e-9, "center": [16e-9, 24e-9]}},
                  {"cylinder": {"diameter": 20e-9, "center": [48e-9, 24e-9]}}]}
LENS = {"intersection": [{"cylinder": {"diameter": 30e-9, "center": [26e-9, 24e-9]}},
                         {"cylinder": {"diameter": 30e-9, "center": [38e-9, 24e-9]}}]}
# a ring with a slot cut through it: combinations nest
SLOTTED = {"difference": [RING, {"rectangle": {"size": [4e-9, 48e-9]}}]}


def mask_of(shape: dict) -> np.ndarray:
    d = tomllib.loads(TOML)
    d["layer"][0]["shape"] = shape
    return build_sample(config_from_dict(d)).mask("free")


def python_mask(shape) -> np.ndarray:
    d = tomllib.loads(TOML)
    grid = build_sample(config_from_dict(d)).grid
    return shape.on(grid)


Z = (0.0, 2e-9)
C = (32e-9, 24e-9)


@pytest.mark.parametrize("toml_shape, python_shape, cells", [
    (RING, Cylinder(C, 20e-9, z=Z) - Cylinder(C, 10e-9, z=Z), None),
    (PAIR, Cylinder((16e-9, 24e-9), 10e-9, z=Z) | Cylinder((48e-9, 24e-9), 10e-9, z=Z), None),
    (LENS, Cylinder((26e-9, 24e-9), 15e-9, z=Z) & Cylinder((38e-9, 24e-9), 15e-9, z=Z), None),
    (SLOTTED, (Cylinder(C, 20e-9, z=Z) - Cylinder(C, 10e-9, z=Z))
     - Polygon(((30e-9, 0.0), (34e-9, 0.0), (34e-9, 48e-9), (30e-9, 48e-9)), z=Z), None),
])
def test_toml_combinations_equal_python(toml_shape, python_shape, cells):
    got = mask_of(toml_shape)
    assert got.any() and np.array_equal(got, python_mask(python_shape))


def test_ring_area_converges_to_the_annulus():
    # staircase area of the ring against pi (R^2 - r^2): within the cell-boundary error
    # (perimeter x cell / 2 on each edge at most) on this 2 nm mesh
    area = mask_of(RING).sum() * 4e-18
    exact = np.pi * (20e-9**2 - 10e-9**2)
    assert abs(area - exact) < 0.5 * 2 * np.pi * (20e-9 + 10e-9) * 2e-9
    assert abs(area / exact - 1) < 0.05


@pytest.mark.parametrize("shape, path, text", [
    ({"union": [{"cylinder": {"diameter": 20e-9}}]}, "layer[0].shape.union", "at least 2"),
    ({"difference": [{"cylinder": {"diameter": 20e-9}}, {"square": {}}]},
     "layer[0].shape.difference[1].square", "unknown key"),
    ({"union": [{"cylinder": {"diameter": 20e-9}},
                {"cylinder": {"diameter": 20e-9, "center": [60e-9, 24e-9]}}]},
     "layer[0].shape.union", "must lie inside the grid"),
])
def test_bad_combinations_name_the_key(shape, path, text):
    d = tomllib.loads(TOML)
    d["layer"][0]["shape"] = shape
    with pytest.raises(ConfigError) as err:
        config_from_dict(d)
    message = str(err.value)
    assert path in message and text in message, message
