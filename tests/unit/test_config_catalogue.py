"""A catalogue of malformed configs: each is refused, and the message names the field.

Every case changes one thing in the valid base config of ``_config_samples`` (so the message is
about that one thing) and states the dotted path the message must name. A subset also goes through
the command line, which must exit with code 2 and print no traceback.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _config_samples import BASE_TOML, base, with_torques
from click.testing import CliRunner

from spintorque.cli import main
from spintorque.config import ConfigError, config_from_dict, load_config
from spintorque.io.toml_writer import dumps

NAN, INF = float("nan"), float("inf")
_MISSING = object()


def _keys(path: str) -> list:
    """'layer[1].initial.uniform' -> ['layer', 1, 'initial', 'uniform']."""
    out: list = []
    for part in path.split("."):
        name, *idx = re.split(r"\[(\d+)\]", part)
        if name:
            out.append(name)
        out += [int(i) for i in idx if i]
    return out


def put(path: str, value=_MISSING, start: Callable[[], dict] = base) -> Callable[[], dict]:
    """A config with ``path`` set to ``value`` (deleted when no value is given)."""

    def make() -> dict:
        d = start()
        *head, last = _keys(path)
        node = d
        for key in head:
            node = node[key]
        if value is _MISSING:
            del node[last]
        else:
            node[last] = value
        return d

    return make


def torques(path: str, value=_MISSING) -> Callable[[], dict]:
    return put(path, value, start=with_torques)


def both(first: Callable[[], dict], path: str, value) -> Callable[[], dict]:
    """``first`` with ``path`` also set to ``value`` (two changes that only together are bad)."""
    return put(path, value, start=first)


def no_transport(path: str, value=_MISSING) -> Callable[[], dict]:
    def start() -> dict:
        d = base()
        d["transport"] = {"model": "none"}
        return d

    return put(path, value, start=start)


def _nonmagnetic() -> dict:
    d = base()
    d["material"]["py"]["Ms"] = 0.0
    for layer in d["layer"]:
        layer.pop("initial", None)
    return d


# (id, config maker, the path the message must name)
CASES: list[tuple[str, Callable[[], dict], str]] = [
    # materials: ranges, types, finiteness
    ("negative Ms", put("material.py.Ms", -8e5), "material.py.Ms"),
    ("NaN Ms", put("material.py.Ms", NAN), "material.py.Ms"),
    ("Inf Ms", put("material.py.Ms", INF), "material.py.Ms"),
    ("string Ms", put("material.py.Ms", "8e5"), "material.py.Ms"),
    ("boolean Ms", put("material.py.Ms", True), "material.py.Ms"),
    ("list Ms", put("material.py.Ms", [8e5]), "material.py.Ms"),
    ("missing Ms", put("material.py.Ms"), "material.py.Ms"),
    ("negative A", put("material.py.A", -1e-11), "material.py.A"),
    ("-Inf Ku", put("material.py.Ku", -INF), "material.py.Ku"),
    ("negative alpha", put("material.py.alpha", -0.01), "material.py.alpha"),
    ("zero gamma0", put("material.py.gamma0", 0.0), "material.py.gamma0"),
    ("zero axis", put("material.py.axis", [0, 0, 0]), "material.py.axis"),
    ("2-component axis", put("material.py.axis", [1, 0]), "material.py.axis"),
    ("beta = 1", put("material.py.beta", 1.0), "material.py.beta"),
    ("negative beta_prime", put("material.py.beta_prime", -0.1), "material.py.beta_prime"),
    ("zero lambda_sf", put("material.py.lambda_sf", 0.0), "material.py.lambda_sf"),
    ("negative lambda_J", put("material.py.lambda_J", -4e-9), "material.py.lambda_J"),
    ("negative D0", put("material.cu.D0", -5e-3), "material.cu.D0"),
    ("P > 1", put("material.py.P", 2.0), "material.py.P"),
    ("zero Lambda", put("material.py.Lambda", 0.0), "material.py.Lambda"),
    ("NaN J_sd", put("material.py.J_sd", NAN), "material.py.J_sd"),
    ("bad material key", put('material.p y', {"Ms": 1.0}), 'material."p y"'),
    ("no materials", put("material", {}), "material"),
    # unknown keys at every level
    ("unknown top-level key", put("colour", "red"), "colour"),
    ("unknown key in mesh", put("mesh.cells", [1e-9, 1e-9, 1e-9]), "mesh.cells"),
    ("unknown key in layer", put("layer[1].thikness", 2e-9), "layer[1].thikness"),
    ("unknown initial form", put("layer[0].initial", {"spiral": {}}), "layer[0].initial.spiral"),
    ("unknown key in random", put("layer[0].initial.random.sed", 3), "layer[0].initial.random.sed"),
    ("unknown key in vortex", put("layer[2].initial.vortex.size", 1),
     "layer[2].initial.vortex.size"),
    ("unknown key in material", put("material.py.Mss", 8e5), "material.py.Mss"),
    ("unknown key in field", put("field.H", [0, 0, 1]), "field.H"),
    ("unknown key in field.time", put("field.time.omega", 1.0), "field.time.omega"),
    ("unknown key in demag", put("demag.periodic", True), "demag.periodic"),
    ("unknown key in exchange", put("exchange.scale", 1.0), "exchange.scale"),
    ("unknown key in transport", put("transport.sign_e", 1), "transport.sign_e"),
    ("unknown torque", put("torque", {"stt": {}}), "torque.stt"),
    ("unknown key in zhang_li", torques("torque.zhang_li.beta", 0.1), "torque.zhang_li.beta"),
    ("unknown key in slonczewski", torques("torque.slonczewski.q", 1), "torque.slonczewski.q"),
    ("unknown key in relax", put("relax.steps", 10), "relax.steps"),
    ("unknown key in run", put("run.t_end", 1e-9), "run.t_end"),
    # mesh and layers
    ("negative cell", put("mesh.cell[0]", -4e-9), "mesh.cell[0]"),
    ("zero cell", put("mesh.cell[2]", 0.0), "mesh.cell[2]"),
    ("NaN cell", put("mesh.cell[1]", NAN), "mesh.cell[1]"),
    ("string cell", put("mesh.cell[1]", "4e-9"), "mesh.cell[1]"),
    ("2-component cell", put("mesh.cell", [4e-9, 4e-9]), "mesh.cell"),
    ("cell not dividing a layer", put("mesh.cell[2]", 4e-9), "layer[1].thickness"),
    ("cell not dividing size x", put("mesh.size[0]", 30e-9), "mesh.size[0]"),
    ("cell not dividing size y", put("mesh.size[1]", 17e-9), "mesh.size[1]"),
    ("size z != sum of layers", put("mesh.size[2]", 14e-9), "mesh.size[2]"),
    ("missing mesh", put("mesh"), "mesh"),
    ("missing cell", put("mesh.cell"), "mesh.cell"),
    ("more than 2^31 cells along x", put("mesh.size[0]", 4e-9 * 2**32), "mesh.cell[0]"),
    ("cell count overflowing a float", put("mesh.size[0]", 1e300), "mesh.size[0]"),
    ("zero thickness", put("layer[0].thickness", 0.0), "layer[0].thickness"),
    ("duplicate layer name", put("layer[2].name", "FM1"), "layer[2].name"),
    ("layer name with a space", put("layer[0].name", "FM 1"), "layer[0].name"),
    ("undefined material", put("layer[0].material", "pyy"), "layer[0].material"),
    ("missing layer material", put("layer[0].material"), "layer[0].material"),
    ("no layers", put("layer", []), "layer"),
    ("layer not a table", put("layer", [1, 2]), "layer[0]"),
    ("no magnetic layer", _nonmagnetic, "layer"),
    # initial states
    ("initial on a spacer", put("layer[1].initial", {"uniform": [1, 0, 0]}), "layer[1].initial"),
    ("two initial forms", put("layer[0].initial.uniform", [1, 0, 0]), "layer[0].initial"),
    ("empty initial", put("layer[0].initial", {}), "layer[0].initial"),
    ("zero uniform", put("layer[0].initial", {"uniform": [0, 0, 0]}), "layer[0].initial.uniform"),
    ("negative seed", put("layer[0].initial.random.seed", -1), "layer[0].initial.random.seed"),
    ("float seed", put("layer[0].initial.random.seed", 1.5), "layer[0].initial.random.seed"),
    ("polarity 2", put("layer[2].initial.vortex.polarity", 2), "layer[2].initial.vortex.polarity"),
    ("vortex outside", put("layer[2].initial.vortex.center", [1e-6, 0]),
     "layer[2].initial.vortex.center[0]"),
    ("missing OVF file", put("layer[0].initial", {"file": "absent.ovf"}), "layer[0].initial.file"),
    ("pickle as initial file", put("layer[0].initial", {"file": "m0.pkl"}),
     "layer[0].initial.file"),
    # applied field: data only, never code
    ("string in B", put("field.B[1]", "4.3e-3"), "field.B[1]"),
    ("Inf in B", put("field.B[0]", INF), "field.B[0]"),
    ("field for an unknown layer", put("field.per_region.FM3", [0, 0, 1]), "field.per_region.FM3"),
    ("expression as time field", put("field.time", "1e-3*sin(2*pi*1e9*t)"), "field.time"),
    ("unknown time kind", put("field.time.kind", "exp"), "field.time"),
    ("zero frequency", put("field.time.frequency", 0.0), "field.time.frequency"),
    ("pulse ending before start",
     put("field.time", {"kind": "pulse", "amplitude": [0, 0, 1], "start": 2e-9, "stop": 1e-9}),
     "field.time.stop"),
    ("ramp without rate", put("field.time", {"kind": "ramp"}), "field.time.rate"),
    # transport and torques
    ("bad transport model", put("transport.model", "drift"), "transport.model"),
    ("implicit transport under rk45", put("transport.mode", "implicit"), "transport.mode"),
    ("zero z_refine", put("transport.z_refine", 0), "transport.z_refine"),
    ("float z_refine", put("transport.z_refine", 1.5), "transport.z_refine"),
    ("NaN current density", put("transport.current_density", NAN), "transport.current_density"),
    ("bad boundary", put("transport.boundary", "dirichlet"), "transport.boundary"),
    ("insulating layer with transport", put("material.cu.D0", 0.0), "material.cu.D0"),
    ("torque and transport together", put("torque", {"zhang_li": {"current_density": [1, 0, 0]}}),
     "torque.zhang_li"),
    ("Slonczewski on a spacer", torques("torque.slonczewski.region", "spacer"),
     "torque.slonczewski.region"),
    ("zero polarizer", torques("torque.slonczewski.p", [0, 0, 0]), "torque.slonczewski.p"),
    ("missing Zhang-Li current", torques("torque.zhang_li.current_density"),
     "torque.zhang_li.current_density"),
    # relaxation and run
    ("bad relax method", put("relax.method", "newton"), "relax.method"),
    ("negative relax tol", put("relax.tol", -0.1), "relax.tol"),
    ("zero max_iter", put("relax.max_iter", 0), "relax.max_iter"),
    ("relax enabled as string", put("relax.enabled", "yes"), "relax.enabled"),
    ("demag enabled as number", put("demag.enabled", 1), "demag.enabled"),
    ("missing run", put("run"), "run"),
    ("missing duration", put("run.duration"), "run.duration"),
    ("negative duration", put("run.duration", -1e-9), "run.duration"),
    ("zero output_every", put("run.output_every", 0.0), "run.output_every"),
    ("zero dt", put("run.dt", 0.0), "run.dt"),
    ("negative dt", put("run.dt", -1e-13), "run.dt"),
    ("bad integrator", put("run.integrator", "rk23"), "run.integrator"),
    ("rtol = 1", put("run.rtol", 1.0), "run.rtol"),
    ("zero checkpoint interval", put("run.checkpoint_every", 0.0), "run.checkpoint_every"),
    ("too many table rows", put("run.output_every", 1e-25), "run.output_every"),
    ("too many fixed steps", no_transport("run", {"duration": 1.0, "output_every": 1e-3,
                                                  "integrator": "gspm", "dt": 1e-15}), "run.dt"),
    ("number as title", put("title", 42), "title"),
    # resources
    ("grid that will not fit", put("mesh", {"cell": [1e-9, 1e-9, 2e-9],
                                            "size": [1e-3, 1e-3, 12e-9]}), "mesh"),
    # finite values whose derived scales overflow or vanish (spintorque.config.bounds)
    ("subnormal Ms", put("material.py.Ms", 5e-324), "material.py.Ms"),
    ("Ms above 1e8 A/m", put("material.py.Ms", 1e9), "material.py.Ms"),
    ("subnormal A", put("material.py.A", 5e-324), "material.py.A"),
    ("A above 1e-8 J/m", put("material.py.A", 1e-3), "material.py.A"),
    ("Ku = 1e308", put("material.py.Ku", 1e308), "material.py.Ku"),
    ("Ku = -1e308", put("material.py.Ku", -1e308), "material.py.Ku"),
    ("subnormal Ku", put("material.py.Ku", -5e-324), "material.py.Ku"),
    ("gamma0 = 1e300", put("material.py.gamma0", 1e300), "material.py.gamma0"),
    ("alpha = 1e200", put("material.py.alpha", 1e200), "material.py.alpha"),
    ("subnormal D0", put("material.cu.D0", 5e-324), "material.cu.D0"),
    ("D0 = 1e300", put("material.cu.D0", 1e300), "material.cu.D0"),
    ("subnormal lambda_sf", put("material.py.lambda_sf", 5e-324), "material.py.lambda_sf"),
    ("lambda_sf = 1e300", put("material.cu.lambda_sf", 1e300), "material.cu.lambda_sf"),
    ("subnormal lambda_J", put("material.py.lambda_J", 5e-324), "material.py.lambda_J"),
    ("J_sd = 1e300", put("material.py.J_sd", 1e300), "material.py.J_sd"),
    ("subnormal J_sd", put("material.py.J_sd", 5e-324), "material.py.J_sd"),
    ("c_sd = 1e300", put("material.py.c_sd", 1e300), "material.py.c_sd"),
    ("subnormal cell", put("mesh.cell[0]", 5e-324), "mesh.cell[0]"),
    ("cell of 1 km", put("mesh.cell[1]", 1e3), "mesh.cell[1]"),
    ("vortex core of 1e300 m", put("layer[2].initial.vortex.core_radius", 1e300),
     "layer[2].initial.vortex.core_radius"),
    ("current density 1e300", put("transport.current_density", 1e300),
     "transport.current_density"),
    ("current vector 1e300", put("transport.current_density", [0, -1e300, 0]),
     "transport.current_density"),
    ("Zhang-Li current 1e300", torques("torque.zhang_li.current_density", [1e300, 0, 0]),
     "torque.zhang_li.current_density"),
    ("Slonczewski current 1e300", torques("torque.slonczewski.current_density", 1e300),
     "torque.slonczewski.current_density"),
    ("B = 1e300 T", put("field.B[0]", 1e300), "field.B"),
    ("per-region field 1e300 T", put("field.per_region.FM2", [1e300, 0, 0]),
     "field.per_region.FM2"),
    ("sine amplitude 1e300 T", put("field.time.amplitude", [0, 1e300, 0]),
     "field.time.amplitude"),
    ("frequency 1e300 Hz", put("field.time.frequency", 1e300), "field.time.frequency"),
    ("duration 1e300 s", put("run.duration", 1e300), "run.duration"),
    ("run alpha 1e300", put("run.alpha", 1e300), "run.alpha"),
    ("subnormal Slonczewski thickness", torques("torque.slonczewski.thickness", 5e-324),
     "torque.slonczewski.thickness"),
    # derived scales of valid numbers in this mesh (spintorque.config.scales)
    ("exchange field of Ms = 1e-3 A/m", put("material.py.Ms", 1e-3), "material.py.A"),
    ("anisotropy field of Ku = 1e8 with Ms = 10", both(put("material.py.Ms", 10.0),
                                                       "material.py.Ku", 1e8), "material.py.Ku"),
    ("exchange length below 1e-13 m", both(put("material.py.Ms", 1e8), "material.py.A", 1e-18),
     "material.py.A"),
    ("Zhang-Li rate of a weak magnet", both(torques("material.py.Ms", 0.1),
                                            "torque.zhang_li.current_density", [1e15, 0, 0]),
     "torque.zhang_li.current_density"),
    ("Slonczewski field of a weak magnet", both(torques("material.py.Ms", 1e-3),
                                                "torque.slonczewski.current_density", 1e15),
     "torque.slonczewski.current_density"),
    ("applied fields adding up", both(put("field.B", [1e6, 0, 0]), "field.per_region.FM2",
                                      [1e6, 0, 0]), "field"),
    ("ramp to 1e300 T", put("field.time", {"kind": "ramp", "rate": [1e300, 0, 0]}),
     "field.time.rate"),
    ("too many steps under dt_max", put("run.dt_max", 1e-25), "run.dt_max"),
]


def _lines(err: ConfigError) -> list[str]:
    return str(err).splitlines()[1:]


def test_catalogue_is_large_and_distinct() -> None:
    assert len(CASES) >= 50
    assert len({case_id for case_id, _, _ in CASES}) == len(CASES)
    config_from_dict(base())  # the unmodified base is valid: every refusal is the mutation's
    config_from_dict(with_torques())


@pytest.mark.parametrize(("make", "path"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_config_is_refused_naming_the_field(make, path: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict(make(), source="case.toml")
    lines = _lines(err.value)
    # each problem reads "path: value -> allowed"; one of them is about this field
    assert all(" -> " in line for line in lines), str(err.value)
    assert any(line.strip().startswith(f"{path}:") for line in lines), str(err.value)


def test_huge_grid_message_gives_the_estimate() -> None:
    make = dict((c[0], c[1]) for c in CASES)["grid that will not fit"]
    with pytest.raises(ConfigError, match=r"1000000 x 1000000 x 6 = 6000000000000 cells' -> "
                                          r"estimated memory [\d.]+ PiB \(\d+ bytes\) exceeds"):
        config_from_dict(make())


def test_every_problem_is_reported_at_once() -> None:
    d = base()
    d["material"]["py"]["Ms"] = -1.0
    d["mesh"]["cell"][0] = NAN
    d["run"]["integrator"] = "euler2"
    d["relax"]["colour"] = 1
    with pytest.raises(ConfigError) as err:
        config_from_dict(d)
    paths = {line.split(":")[0].strip() for line in _lines(err.value)}
    assert paths == {"material.py.Ms", "mesh.cell[0]", "run.integrator", "relax.colour"}
    assert "4 problems" in str(err.value)


def test_unknown_key_message_suggests_the_close_one() -> None:
    with pytest.raises(ConfigError, match=r"did you mean 'thickness'\?"):
        config_from_dict(put("layer[1].thikness", 2e-9)())


CLI_SUBSET = [
    "negative Ms", "NaN Ms", "string Ms", "unknown key in mesh", "unknown key in slonczewski",
    "cell not dividing a layer", "undefined material", "expression as time field",
    "bad integrator", "zero dt", "missing run", "grid that will not fit",
]


@pytest.mark.parametrize("case_id", CLI_SUBSET)
def test_cli_refuses_with_exit_2_and_no_traceback(case_id: str, tmp_path: Path) -> None:
    make, path = {c[0]: c[1:] for c in CASES}[case_id]
    config = tmp_path / "bad.toml"
    config.write_text(dumps(make()))
    runner = CliRunner()
    for args in (["validate", str(config)], ["run", str(config), "--out", str(tmp_path / "o")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert f"\n  {path}:" in result.stderr
        assert not (tmp_path / "o").exists()  # refused before any work started


def test_toml_syntax_error_through_the_cli(tmp_path: Path) -> None:
    config = tmp_path / "syntax.toml"
    config.write_text(BASE_TOML.replace('material = "cu"', 'material = cu'))
    line = BASE_TOML[: BASE_TOML.index('material = "cu"')].count("\n") + 1
    result = CliRunner().invoke(main, ["validate", str(config)])
    assert result.exit_code == 2 and f"line {line}" in result.stderr
    with pytest.raises(ConfigError):
        load_config(config)


def test_real_process_prints_one_paragraph_and_exits_2(tmp_path: Path) -> None:
    """The installed entry point, not click's test runner: stderr is what a user sees."""
    config = tmp_path / "bad.toml"
    config.write_text(BASE_TOML.replace("Ms = 8.0e5", "Ms = -8.0e5"))
    proc = subprocess.run(
        [sys.executable, "-m", "spintorque.cli", "run", str(config), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: invalid config")
    assert "\n  material.py.Ms: -800000.0 -> " in proc.stderr
    assert "" not in proc.stderr.strip().split("\n")  # one paragraph: no blank lines


# -- initial-state files: opened when the config is validated ------------------------------------


def _fm1_file(tmp_path: Path, defect: str) -> Path:
    """An initial state for layer FM1 of the base config (8 x 4 x 2 cells of 4 x 4 x 2 nm) with
    one ``defect``; "none" gives a valid file."""
    import numpy as np

    from spintorque.io.ovf import write_ovf
    from spintorque.mesh import Grid

    grid = Grid((8, 4, 2), (4e-9, 4e-9, 2e-9))
    m = np.zeros(grid.vshape)
    m[..., 0] = 8e5
    path = tmp_path / "m0.ovf"
    if defect == "NaN":
        m[3, 2, 1, 2] = np.nan
    elif defect == "zero vector":
        m[5, 0, 0] = 0.0
    elif defect == "shape":
        grid = Grid((4, 4, 2), grid.cell)
        m = m[:4]
    elif defect == "cell size":
        grid = Grid(grid.n, (4e-9, 4e-9, 2.5e-9))
    write_ovf(path, m, grid, fmt="text" if defect == "bad token" else "binary")
    raw = path.read_bytes()
    if defect == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif defect == "bad token":
        lines = raw.decode().splitlines()
        first = lines.index("# Begin: Data Text") + 1
        lines[first + 4] = "800000.0 abc 0.0"
        path.write_text("\n".join(lines) + "\n")
    elif defect == "not OVF":
        import pickle

        path.write_bytes(pickle.dumps({"not": "an OVF file"}))
    return path


INITIAL_FILE_DEFECTS = {
    "truncated": "truncated binary data",
    "bad token": r"line \d+: 'abc' is not a number",
    "NaN": r"NaN or infinite values in 1 cell\(s\), first at cell \(3, 2, 1\)",
    "zero vector": r"zero vectors in 1 magnetic cell\(s\), first at cell \(5, 0, 0\)",
    "shape": r"values on 4 x 4 x 2 cells .*allowed: the grid \(8, 4, 6\) or the layer \(8, 4, 2\)",
    "cell size": r"cell size \(4e-09, 4e-09, 2.5e-09\) differs from the mesh's",
    "not OVF": "not an OVF file",
}


def _config_with_file(tmp_path: Path) -> Path:
    config = tmp_path / "c.toml"
    config.write_text(BASE_TOML.replace("initial = { random = { seed = 1 } }",
                                        'initial = { file = "m0.ovf" }'))
    return config


def test_valid_initial_file_is_accepted(tmp_path: Path) -> None:
    _fm1_file(tmp_path, "none")
    cfg = load_config(_config_with_file(tmp_path))
    assert cfg.layer[0].initial.file == str((tmp_path / "m0.ovf").resolve())


@pytest.mark.parametrize("defect", sorted(INITIAL_FILE_DEFECTS))
def test_bad_initial_file_is_refused_by_validate_and_run(defect: str, tmp_path: Path) -> None:
    """``validate`` and ``run`` both open the file and exit 2 naming it and what is wrong
    (before this check, ``validate`` called such a file valid and the run failed later)."""
    path = str(_fm1_file(tmp_path, defect).resolve())
    config = _config_with_file(tmp_path)
    with pytest.raises(ConfigError) as err:
        load_config(config)
    line = next(x for x in _lines(err.value) if x.strip().startswith("layer[0].initial.file:"))
    assert re.search(INITIAL_FILE_DEFECTS[defect], line) and path in line, line
    runner = CliRunner()
    for args in (["validate", str(config)], ["run", str(config), "--out", str(tmp_path / "o")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert "\n  layer[0].initial.file: " in result.stderr and path in result.stderr
        assert re.search(INITIAL_FILE_DEFECTS[defect], result.stderr)
        assert not (tmp_path / "o").exists()
