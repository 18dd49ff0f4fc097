"""A valid config that touches every table, shared by the config tests (not a test module)."""

from __future__ import annotations

import copy

from spintorque.config import tomllib

#: a small trilayer that uses every table of the schema (2 + 1 + 3 = 6 cells along z)
BASE_TOML = """
title = "catalogue base"

[mesh]
cell = [4e-9, 4e-9, 2e-9]
size = [32e-9, 16e-9, 12e-9]

[[layer]]
name = "FM1"
thickness = 4e-9
material = "py"
initial = { random = { seed = 1 } }

[[layer]]
name = "spacer"
thickness = 2e-9
material = "cu"

[[layer]]
name = "FM2"
thickness = 6e-9
material = "py"
initial = { vortex = { center = [16e-9, 8e-9], polarity = -1, chirality = 1, core_radius = 5e-9 } }

[material.py]
Ms = 8.0e5
A = 1.3e-11
Ku = 500.0
axis = [1, 0, 0]
alpha = 0.02
gamma0 = 2.211e5
D0 = 1e-3
beta = 0.9
beta_prime = 0.8
lambda_sf = 10e-9
J_sd = 0.0
lambda_J = 4e-9
c_sd = 3.125e-3
P = 0.5
Lambda = 1.0
eps_prime = 0.0

[material.cu]
Ms = 0.0
D0 = 5e-3
lambda_sf = 10e-9

[field]
B = [-24.6e-3, 4.3e-3, 0.0]
per_region = { FM2 = [0.01, 0, 0] }
time = { kind = "sine", amplitude = [1e-3, 0, 0], frequency = 1e9, phase = 0.0 }

[demag]
enabled = true

[exchange]
interregion_scale = 1.0

[transport]
model = "diffusion"
current_density = 1.0e11
moment_a = 1.0
boundary = "neumann"
z_refine = 2
mode = "quasistatic"

[relax]
enabled = true
method = "minimize"
tol = 0.1
max_iter = 20000
alpha = 1.0

[run]
duration = 1e-9
output_every = 1e-12
integrator = "rk45"
rtol = 1e-5
dt = 1e-13
alpha = 0.02
snapshot_every = 1e-10
checkpoint_every = 60.0
"""

BASE = tomllib.loads(BASE_TOML)

#: the same device driven by local torques instead of the transport model
TORQUES = {
    "zhang_li": {"current_density": [1e12, 0, 0], "P": 1.0, "xi": 0.05},
    "slonczewski": {
        "current_density": -6.25e11,
        "p": [0.99985, 0.01745, 0],
        "P": 0.5669,
        "Lambda": 1.0,
        "eps_prime": 0.0,
        "region": "FM2",
    },
}


def base() -> dict:
    """A fresh deep copy of the valid base config."""
    return copy.deepcopy(BASE)


def with_torques() -> dict:
    """The base config with transport off and both local torques on (also valid)."""
    d = base()
    d["transport"] = {"model": "none"}
    d["torque"] = copy.deepcopy(TORQUES)
    return d
