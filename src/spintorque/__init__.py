"""spintorque: spin-transfer torque in magnetic multilayers.

Micromagnetics (LLG on finite-difference grids) coupled to spin transport (Zhang-Levy-Fert
diffusion and the Chen-García-Cervera-Yang moment model), the trilayer switching experiment and
the quantum → kinetic → moment → diffusion model hierarchy. SI units at every public interface.

Everything a script needs is importable from here (``import spintorque as st``): the parts of a
problem (:class:`Grid`, :class:`Material`, :class:`Sample`, the field terms, torques and the spin
accumulation), :class:`Problem` with its :class:`Stepping` and :class:`Relaxation`, the driver
:func:`run` (an output folder with table, snapshots and checkpoints, resumable), the
config front end (:func:`load_config`, :func:`build`, :func:`run_config`) and
:func:`limit_threads` (compute threads; 1 per run by default). Heavy modules (the
stray field's FFTs, the transport solvers) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .constants import GAMMA0, MU0
from .materials import Material, Sample
from .mesh import Grid

__version__ = "0.1.0"

# name -> module it lives in, imported on first access (keeps `spintorque --help` fast)
_LAZY = {
    "Problem": "problem", "Stepping": "problem", "Relaxation": "problem",
    "Exchange": "fields.exchange", "UniaxialAnisotropy": "fields.anisotropy",
    "Zeeman": "fields.zeeman", "Demag": "fields.demag", "ThermalField": "fields.thermal",
    "InterfacialDMI": "fields.dmi", "BulkDMI": "fields.dmi", "CubicAnisotropy": "fields.cubic",
    "SpinAccumulationField": "transport.coupling",
    "ZhangLi": "dynamics.torques", "Slonczewski": "dynamics.torques",
    "Stop": "drive", "SimulationError": "drive",
    "read_table": "io.table", "read_ovf": "io.ovf",
    "run": "simulation", "load_config": "config", "build": "simulation",
    "run_config": "simulation", "limit_threads": "threads",
    "InterlayerExchange": "fields.interlayer", "hysteresis": "hysteresis",
    "Box": "geometry", "Cylinder": "geometry", "Ellipsoid": "geometry", "Polygon": "geometry",
    "ChargeSolver": "transport.charge", "Contact": "transport.charge",
    "Pulse": "waveforms", "SwitchingTime": "switching_time",
}

__all__ = ["GAMMA0", "MU0", "Grid", "Material", "Sample", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'spintorque' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
