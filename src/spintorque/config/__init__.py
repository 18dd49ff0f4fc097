"""Run configuration: a TOML file -> validated, immutable pydantic objects.

The schema (documented for users in ``docs/config.md``) is the contract between this module and
:mod:`spintorque.simulation`: :class:`RunConfig` has one attribute per TOML table (``mesh``,
``layer``, ``material``, ``field``, ``demag``, ``exchange``, ``transport``, ``torque``, ``relax``,
``run``). All quantities are SI. Every model forbids unknown keys, every number must be finite and
of the right type (no strings or booleans where numbers go), ranges are checked per field and
cross-field rules (cells tiling the layers, material names that exist, memory that fits) in
:mod:`.checks`.

Configs are data: the TOML file is parsed by :mod:`tomllib` (no code execution), time-dependent
fields exist only as the named forms :class:`SineField`, :class:`PulseField`, :class:`RampField`,
and nothing here unpickles anything.

Entry points: :func:`load_config` (a file; raises :class:`ConfigError` for every user mistake),
:func:`config_from_dict` (a mapping; same errors) and ``RunConfig.model_validate(dict)`` (raises
pydantic's ``ValidationError``, a ``ValueError``).

Modules: :mod:`.base` (model base, field types, limits), :mod:`.sections` (one model per table),
:mod:`.run_config` (:class:`RunConfig`), :mod:`.checks` (rules across tables), :mod:`.translate`
(pydantic errors -> :class:`ConfigError` lines), :mod:`.loading` (files, mappings, TOML text).
"""

from __future__ import annotations

from ..io.errors import ConfigError
from ..io.memory import available_memory, estimate_memory
from .base import (
    MAX_CELLS_PER_AXIS,
    MAX_FIXED_STEPS,
    MAX_OUTPUT_ROWS,
    MAX_SNAPSHOTS,
    REL_TOL,
)
from .geometry import RegionConfig, ShapeConfig
from .loading import MAX_FILE_BYTES, config_from_dict, dumps_toml, load_config, tomllib
from .run_config import RunConfig
from .sections import (
    DemagConfig,
    ExchangeConfig,
    FieldConfig,
    InitialConfig,
    LayerConfig,
    MaterialConfig,
    MeshConfig,
    PulseField,
    RampField,
    RandomInit,
    RelaxConfig,
    RunParams,
    SineField,
    SlonczewskiConfig,
    TorqueConfig,
    TransportConfig,
    VortexInit,
    ZhangLiConfig,
)
from .thermal import ThermalConfig
from .translate import problems_from_validation

__all__ = [
    "MAX_CELLS_PER_AXIS",
    "MAX_FILE_BYTES",
    "MAX_FIXED_STEPS",
    "MAX_OUTPUT_ROWS",
    "MAX_SNAPSHOTS",
    "REL_TOL",
    "ConfigError",
    "DemagConfig",
    "ExchangeConfig",
    "FieldConfig",
    "InitialConfig",
    "LayerConfig",
    "MaterialConfig",
    "MeshConfig",
    "PulseField",
    "RampField",
    "RandomInit",
    "RegionConfig",
    "RelaxConfig",
    "RunConfig",
    "RunParams",
    "ShapeConfig",
    "SineField",
    "SlonczewskiConfig",
    "ThermalConfig",
    "TorqueConfig",
    "TransportConfig",
    "VortexInit",
    "ZhangLiConfig",
    "available_memory",
    "config_from_dict",
    "dumps_toml",
    "estimate_memory",
    "load_config",
    "problems_from_validation",
    "tomllib",
]
