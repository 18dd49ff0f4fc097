"""examples/trilayer_torque_profile.py on the switching pillar: the torque that the spin current
from a uniform FM1 exerts on a uniform FM2 decays into FM2 with the analytic transverse decay
lengths of the two models (docs/theory/transport.md, analytic solutions: 5.22 nm diffusion,
7.35 nm moment)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from spintorque.config import config_from_dict
from spintorque.experiments.trilayer import preset
from spintorque.simulation import build_sample

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "trilayer_torque_profile.py"


def load_example():
    spec = importlib.util.spec_from_file_location("trilayer_torque_profile", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("model, length", [("diffusion", 5.22e-9), ("moment", 7.35e-9)])
def test_interface_torque_decays_with_the_analytic_length(model, length):
    # 0.5 nm along z (32 nm laterally: the state is uniform in-plane); FM1 along +y polarizes
    # the current, FM2 along +x receives it: |m × c s| ∝ |s_⊥| ∝ exp(−z/ℓ) away from the spacer.
    # Fitted from 4 to 24 nm depth (past the interface layer, far from FM2's top). Measured
    # errors 0.6 / 3.2 % at 2 nm and 0.15 / 0.8 % at 1 nm (O(h²)); 1 % at 0.5 nm, as issue 3
    # asks of the decay lengths.
    dz = 0.5e-9
    exp = preset("full", cell=(32e-9, 32e-9, dz))
    sample = build_sample(config_from_dict(exp.to_config(6e11, relax=False)))
    m = np.zeros(sample.grid.vshape)
    m[sample.mask("FM1")] = (0.0, 1.0, 0.0)
    m[sample.mask("FM2")] = (1.0, 0.0, 0.0)
    k0, k1 = next((a, b) for name, a, b in sample.magnetic_layers() if name == "FM2")
    depth = (np.arange(k1 - k0) + 0.5) * dz
    torque = load_example().torque_field(sample, m, model, 6e11)[:, :, k0:k1].mean(axis=(0, 1))
    sel = (depth > 4e-9) & (depth < 24e-9)
    fitted = -1.0 / np.polyfit(depth[sel], np.log(torque[sel]), 1)[0]
    assert fitted == pytest.approx(length, rel=1e-2)
    assert np.all(np.diff(torque[: np.flatnonzero(sel)[-1]]) < 0)  # monotone decay from the spacer
