"""Property tests: random configs give a RunConfig or a ConfigError, never anything else.

Four sources of input, all derandomized so CI sees the same examples every time:
random TOML-like structures, random perturbations of a valid config (replace, delete, add a key,
rescale a number), random text and bytes as a config file, and a sample through the ``validate``
command (exit 0 or 2, never a traceback).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
from _config_samples import base, with_torques
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spintorque.cli import main
from spintorque.config import ConfigError, RunConfig, config_from_dict, load_config
from spintorque.io.toml_writer import dumps

FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)

SCHEMA_KEYS = sorted({
    "title", "mesh", "cell", "size", "layer", "name", "thickness", "material", "initial",
    "uniform", "random", "seed", "vortex", "center", "polarity", "chirality", "core_radius", "file",
    "Ms", "A", "Ku", "axis", "alpha", "gamma0", "D0", "beta", "beta_prime", "lambda_sf", "J_sd",
    "lambda_J", "c_sd", "P", "Lambda", "eps_prime", "field", "B", "per_region", "time", "kind",
    "amplitude", "frequency", "phase", "start", "stop", "rate", "demag", "enabled", "exchange",
    "interregion_scale", "transport", "model", "current_density", "moment_a", "boundary",
    "z_refine", "mode", "torque", "zhang_li", "xi", "slonczewski", "p", "region", "relax",
    "method", "tol", "max_iter", "run", "duration", "output_every", "integrator", "rtol", "dt",
    "snapshot_every", "checkpoint_every", "py", "cu", "FM1", "FM2", "spacer", "sine", "pulse",
})

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
special_floats = st.sampled_from(
    [0.0, -0.0, 1.0, -1.0, 1e-9, 2e-9, 4e-9, 1e300, -1e300, 5e-324, math.nan, math.inf, -math.inf]
)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    special_floats,
    text,
    st.sampled_from(["rk45", "gspm", "sine", "pulse", "ramp", "diffusion", "none", "py", "FM1"]),
)
keys = st.one_of(st.sampled_from(SCHEMA_KEYS), text)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=12,
)


def _check(data: object) -> RunConfig | None:
    """Validate ``data``; only success or ConfigError are acceptable outcomes."""
    try:
        return config_from_dict(data)
    except ConfigError as err:
        assert err.problems, "a ConfigError must list at least one problem"
        assert all(p.allowed for p in err.problems)
        return None


@settings(FUZZ, max_examples=300)
@given(st.dictionaries(keys, values, max_size=8))
def test_random_structures(data: dict) -> None:
    _check(data)


@settings(FUZZ, max_examples=200)
@given(st.fixed_dictionaries(
    {"mesh": st.fixed_dictionaries({"cell": values, "size": values}),
     "layer": st.lists(st.dictionaries(keys, values, max_size=5), max_size=3),
     "material": st.dictionaries(keys, st.dictionaries(keys, values, max_size=5), max_size=2),
     "run": st.dictionaries(keys, values, max_size=4)}))
def test_random_structures_with_the_right_tables(data: dict) -> None:
    _check(data)


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every path into a nested dict/list config, leaves and containers alike."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


VALID = [base(), with_torques()]
PATHS = [_paths(d) for d in VALID]


@st.composite
def perturbed(draw: st.DrawFn) -> dict:
    """A valid config with one to three random edits."""
    which = draw(st.integers(0, len(VALID) - 1))
    d = copy.deepcopy(VALID[which])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS[which]))
        parent = d
        try:
            for key in path[:-1]:
                parent = parent[key]
            old = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed this path
        op = draw(st.sampled_from(["replace", "delete", "add", "scale", "scale"]))
        if op == "replace":
            parent[path[-1]] = draw(values)
        elif op == "delete":
            del parent[path[-1]]
        elif op == "add" and isinstance(old, dict):
            old[draw(keys)] = draw(values)
        elif op == "add" and isinstance(old, list):
            old.append(draw(values))
        elif op == "scale" and isinstance(old, (int, float)) and not isinstance(old, bool):
            factor = draw(st.sampled_from([0, -1, 0.5, 2, 1e-300, 1e300, 1 + 1e-12, 3]))
            parent[path[-1]] = type(old)(old * factor) if isinstance(old, float) else old * factor
    return d


@settings(FUZZ, max_examples=2000)
@given(perturbed())
def test_perturbed_valid_configs(data: dict) -> None:
    cfg = _check(data)
    if cfg is not None:  # anything accepted must survive its own round trip
        assert RunConfig.model_validate(cfg.model_dump()) == cfg


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(FUZZ, max_examples=300)
@given(data=perturbed())
def test_perturbed_configs_as_files(data: dict, workdir: Path) -> None:
    path = workdir / "c.toml"
    path.write_text(dumps(data), encoding="utf-8")
    try:
        load_config(path)
    except ConfigError:
        pass


@settings(FUZZ, max_examples=300)
@given(raw=st.one_of(st.binary(max_size=300), text.map(str.encode),
                 st.sampled_from([b"[" * 5000, b"a = " + b"[" * 5000, b"a = {" * 3000,
                                  b"[mesh]\ncell = [1e-9, 1e-9\n", b"\x00", b"title = nan"])))
def test_random_bytes_as_files(raw: bytes, workdir: Path) -> None:
    path = workdir / "b.toml"
    path.write_bytes(raw)
    try:
        load_config(path)
    except ConfigError:
        pass


@settings(FUZZ, max_examples=150)
@given(data=perturbed())
def test_validate_command_never_shows_a_traceback(data: dict, workdir: Path) -> None:
    path = workdir / "v.toml"
    path.write_text(dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
