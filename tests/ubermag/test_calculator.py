"""spintorque.ubermag against spintorque's own front ends: SP4 through Ubermag gives the run of
examples/sp4_field1.toml, the spin-transport dynamics terms give the run of the equivalent TOML
problem, and mistakes in a system are named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

df = pytest.importorskip("discretisedfield")
mm = pytest.importorskip("micromagneticmodel")

import spintorque.ubermag as sc  # noqa: E402
from spintorque.config import config_from_dict, load_config  # noqa: E402
from spintorque.constants import GAMMA0  # noqa: E402
from spintorque.io.table import read_table  # noqa: E402
from spintorque.simulation import build, run_config  # noqa: E402
from spintorque.ubermag.translate import translate  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MU0 = mm.consts.mu0


def _m_columns(table_tsv: Path) -> np.ndarray:
    """t, mx, my, mz of spintorque's table.tsv, without the t = 0 row (Ubermag's table starts at
    the first step; the initial state is m0.omf)."""
    return read_table(table_tsv).data[1:, :4]


# -- SP4 -------------------------------------------------------------------------------------------
def _sp4_system(name: str) -> mm.System:
    mesh = df.Mesh(p1=(0, 0, 0), p2=(500e-9, 125e-9, 3e-9), cell=(5e-9, 5e-9, 3e-9))
    system = mm.System(name=name)
    system.energy = mm.Exchange(A=1.3e-11) + mm.Demag()
    # SP4 prescribes gamma0 = 2.211e5 m/(A s) (spintorque's GAMMA0), not mm.consts.gamma0
    system.dynamics = mm.Precession(gamma0=GAMMA0) + mm.Damping(alpha=0.02)
    system.m = df.Field(mesh, nvdim=3, value=(1, 0.25, 0.1), norm=8e5)
    return system


SP4_ZEEMAN = (-24.6e-3 / MU0, 4.3e-3 / MU0, 0.0)  # A/m (mu0 H = (-24.6, 4.3, 0) mT)


@pytest.fixture(scope="module")
def sp4_cli(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sp4") / "cli"
    run_config(load_config(EXAMPLES / "sp4_field1.toml"), out, progress=None)
    return out


def test_sp4_through_ubermag_matches_the_toml_run(sp4_cli: Path):
    """MinDriver to the s-state, then TimeDriver in field 1 for 1 ns with a row every 1 ps (the
    TOML's output_every: the output times are stops of the adaptive rk45, so the same steps).
    Both relaxations stop at max|m x H| < 0.1 A/m (the TOML's relax tolerance) by different
    minimizers, so the s-states differ slightly (measured: 4e-8 in <m>); through the switching
    this grows to at most 1.5e-7 (measured). Tolerances: 2e-6 on every row's <m>, 2e-7 on the
    time averages."""
    system = _sp4_system("sp4")
    sc.MinDriver(stopping_mxHxm=0.1).drive(system)
    system.energy += mm.Zeeman(H=SP4_ZEEMAN)
    sc.TimeDriver().drive(system, t=1e-9, n=1000)
    ub = system.table.data[["t", "mx", "my", "mz"]].to_numpy()
    cli = _m_columns(sp4_cli / "table.tsv")
    assert ub.shape == cli.shape == (1000, 4)
    np.testing.assert_allclose(ub[:, 0], cli[:, 0], rtol=1e-12)
    assert np.abs(ub[:, 1:] - cli[:, 1:]).max() < 2e-6
    assert np.abs(ub[:, 1:].mean(axis=0) - cli[:, 1:].mean(axis=0)).max() < 2e-7
    assert cli[-1, 1] < -0.9  # switched: the comparison is through the reversal
    np.testing.assert_allclose(system.m.orientation.mean(), ub[-1, 1:], atol=1e-12)


def test_sp4_time_drive_from_the_toml_relaxed_state_is_the_same_run(sp4_cli: Path):
    """From the TOML run's relaxed.ovf the TimeDriver integrates the same problem with the same
    scheme and stops: the same trajectory up to round-off (tolerance 1e-12)."""
    system = _sp4_system("sp4_from_relaxed")
    system.energy += mm.Zeeman(H=SP4_ZEEMAN)
    system.m = df.Field.from_file(str(sp4_cli / "relaxed.ovf"))
    sc.TimeDriver().drive(system, t=1e-9, n=1000)
    ub = system.table.data[["t", "mx", "my", "mz"]].to_numpy()
    cli = _m_columns(sp4_cli / "table.tsv")
    assert np.abs(ub[:, 1:] - cli[:, 1:]).max() < 1e-12


# -- clear errors ---------------------------------------------------------------------------------
def _small_system(name: str = "errors") -> mm.System:
    mesh = df.Mesh(p1=(0, 0, 0), p2=(10e-9, 10e-9, 10e-9), cell=(5e-9, 5e-9, 5e-9),
                   subregions={"top": df.Region(p1=(0, 0, 5e-9), p2=(10e-9, 10e-9, 10e-9))})
    system = mm.System(name=name)
    system.energy = mm.Exchange(A=1e-11)
    system.dynamics = mm.Precession(gamma0=GAMMA0) + mm.Damping(alpha=0.5)
    system.m = df.Field(mesh, nvdim=3, value=(0, 0, 1), norm=8e5)
    return system


def test_unsupported_energy_term_is_named():
    system = _small_system()
    system.energy += mm.MagnetoElastic(B1=1e6, B2=1e6, e_diag=(1e-3, 0, 0),
                                       e_offdiag=(0, 0, 0), name="mel")
    with pytest.raises(sc.UbermagSystemError, match=r"MagnetoElastic \('mel'\) is not "
                       "supported.*supported energy terms: Exchange"):
        sc.MinDriver().drive(system)


def test_unsupported_dynamics_term_is_named():
    class Spin3D(mm.DynamicsTerm):
        _allowed_attributes: list[str] = []

        @property
        def _reprlatex(self) -> str:
            return "x"

        def dmdt(self, m, Heff):  # pragma: no cover - never evaluated
            raise NotImplementedError

    system = _small_system()
    system.dynamics += Spin3D(name="mystery")
    with pytest.raises(sc.UbermagSystemError, match=r"Spin3D \('mystery'\) is not supported"):
        sc.TimeDriver().drive(system, t=1e-12, n=1)


@pytest.mark.parametrize("energy, name", [
    (lambda: mm.Exchange(A={"top": 1e-11, "bottom": 1e-11}), "bottom"),
    (lambda: mm.Exchange(A={"top": 1e-11, "top:nowhere": 1e-12}), "nowhere"),
    (lambda: mm.RKKY(sigma=-1e-4, subregions=["top", "lower"]), "lower"),
    (lambda: mm.Zeeman(H={"upper": (0, 0, 1e5)}), "upper"),
])
def test_region_that_does_not_exist_is_named(energy, name):
    system = _small_system()
    system.energy = energy()
    with pytest.raises(sc.UbermagSystemError) as info:
        sc.MinDriver().drive(system)
    text = str(info.value)
    assert f"region {name!r} does not exist" in text
    assert "['top']" in text  # the regions that do


def test_fixed_subregion_that_does_not_exist_is_named():
    with pytest.raises(sc.UbermagSystemError, match=r"\['pinned'\] do not exist"):
        sc.MinDriver().drive(_small_system(), fixed_subregions=["pinned"])


def test_spin_transport_region_that_does_not_exist_is_named():
    system = _small_system()
    system.dynamics += sc.SpinDiffusion(j=1e11, D0={"top": 1e-3, "middle": 5e-3})
    with pytest.raises(sc.UbermagSystemError, match=r"D0 names region\(s\) \['middle'\]"):
        sc.TimeDriver().drive(system, t=1e-12, n=1)


def test_errors_are_value_errors_with_no_traceback_from_inside():
    """UbermagSystemError is spintorque's UserError (a ValueError): the CLI and scripts report
    it as the user's mistake; it is raised before any folder content is simulated."""
    assert issubclass(sc.UbermagSystemError, ValueError)


# -- RelaxDriver (not an attribute of spintorque.ubermag, see docs/ubermag.md) --------------------
def test_relaxdriver_relaxes_along_the_field():
    from spintorque.ubermag.drivers import RelaxDriver

    mesh = df.Mesh(p1=(0, 0, 0), p2=(5e-9, 5e-9, 5e-9), n=(5, 5, 5))
    system = mm.System(name="relaxdriver")
    system.energy = mm.Exchange(A=1e-12) + mm.Zeeman(H=(0, 0, 1e6))
    system.dynamics = mm.Damping(alpha=0.5)
    system.m = df.Field(mesh, nvdim=3, value=(0, 1, 0.01), norm=1e6)
    md = RelaxDriver()
    md.drive(system)
    assert np.linalg.norm(np.subtract(system.m(mesh.region.center), (0, 0, 1e6))) < 1e-2
    assert system.table.x == md._x
    assert not hasattr(sc, "RelaxDriver")


# -- spintorque's own dynamics terms: SpinDiffusion, SpinMoment -----------------------------------
CELL = (4e-9, 4e-9, 2e-9)
SIZE = (16e-9, 8e-9, 20e-9)
FM1_TOP, FM2_BOTTOM = 8e-9, 12e-9  # FM1 8 nm, spacer 4 nm, FM2 8 nm
PY = {"Ms": 8.0e5, "A": 1.3e-11, "Ku": 500.0, "axis": [1.0, 0.0, 0.0], "alpha": 0.1,
      "D0": 1e-3, "beta": 0.9, "beta_prime": 0.8, "lambda_sf": 10e-9, "lambda_J": 4e-9,
      "c_sd": 3.125e-3}
CU = {"Ms": 0.0, "D0": 5e-3, "lambda_sf": 10e-9}
J = 5e11  # A/m^2
M_FM1, M_FM2 = (0.0, 0.6, 0.8), (1.0, 0.2, 0.0)


def _trilayer_config(model: str, duration: float, every: float) -> dict:
    return {
        "title": "small trilayer",
        "mesh": {"cell": list(CELL), "size": list(SIZE)},
        "layer": [
            {"name": "FM1", "thickness": FM1_TOP, "material": "py",
             "initial": {"uniform": list(M_FM1)}},
            {"name": "spacer", "thickness": FM2_BOTTOM - FM1_TOP, "material": "cu"},
            {"name": "FM2", "thickness": SIZE[2] - FM2_BOTTOM, "material": "py",
             "initial": {"uniform": list(M_FM2)}},
        ],
        "material": {"py": PY, "cu": CU},
        "demag": {"enabled": True},
        "transport": {"model": model, "current_density": J, "z_refine": 2},
        "relax": {"enabled": False},
        "run": {"duration": duration, "output_every": every, "integrator": "rk45"},
    }


def _trilayer_system(term_cls: type, name: str) -> mm.System:
    regions = {"FM1": df.Region(p1=(0, 0, 0), p2=(SIZE[0], SIZE[1], FM1_TOP)),
               "spacer": df.Region(p1=(0, 0, FM1_TOP), p2=(SIZE[0], SIZE[1], FM2_BOTTOM)),
               "FM2": df.Region(p1=(0, 0, FM2_BOTTOM), p2=SIZE)}
    mesh = df.Mesh(p1=(0, 0, 0), p2=SIZE, cell=CELL, subregions=regions)
    fm = {"FM1": None, "FM2": None}

    def per_fm(key: str, spacer: float = 0.0) -> dict:
        return {**{r: PY[key] for r in fm}, "spacer": spacer}

    system = mm.System(name=name)
    system.energy = (mm.Exchange(A=per_fm("A")) + mm.UniaxialAnisotropy(K=per_fm("Ku"),
                                                                         u=(1, 0, 0))
                     + mm.Demag())
    system.dynamics = (
        mm.Precession(gamma0=GAMMA0) + mm.Damping(alpha=PY["alpha"])
        + term_cls(j=J, z_refine=2, D0=per_fm("D0", CU["D0"]), beta=per_fm("beta"),
                   beta_prime=per_fm("beta_prime"),
                   lambda_sf=per_fm("lambda_sf", CU["lambda_sf"]),
                   lambda_J={r: PY["lambda_J"] for r in fm}, c_sd={r: PY["c_sd"] for r in fm}))

    def m0(p):
        z = p[2]
        return M_FM1 if z < FM1_TOP else (M_FM2 if z > FM2_BOTTOM else (0, 0, 0))

    system.m = df.Field(mesh, nvdim=3, value=m0,
                        norm=lambda p: 0.0 if FM1_TOP < p[2] < FM2_BOTTOM else PY["Ms"])
    return system


@pytest.mark.parametrize("term_cls, model", [(sc.SpinDiffusion, "diffusion"),
                                              (sc.SpinMoment, "moment")])
def test_spin_transport_terms_match_the_toml_problem(tmp_path, term_cls, model):
    """The same trilayer as an Ubermag system with SpinDiffusion / SpinMoment and as a TOML
    problem: the same dm/dt at the start (the spin-transfer torque included; relative 1e-10)
    and the same trajectory over 50 ps with the same scheme, solver and stops. Tolerance 2e-7 in
    <m> (m moves by ~0.15): the start vectors differ at round-off (discretisedfield normalises
    them), and the iterative transport solve, which stops at a relative residual of 1e-6 (the
    config's default), can then stop at a slightly different iterate; measured 1e-9 (diffusion)
    and 3e-8 (moment)."""
    system = _trilayer_system(term_cls, f"trilayer_{model}")
    cfg = config_from_dict(_trilayer_config(model, 50e-12, 5e-12))
    ref = build(cfg)
    tr = translate(system)
    # discretisedfield normalises the vectors its own way: equal up to round-off
    np.testing.assert_allclose(tr.problem.m0, ref.m0, rtol=0, atol=1e-15)
    rate_ub = tr.problem.llg.rhs(0.0, ref.m0.copy())
    rate_ref = ref.llg.rhs(0.0, ref.m0.copy())
    scale = np.abs(rate_ref).max()
    assert scale > 0
    assert np.abs(rate_ub - rate_ref).max() < 1e-10 * scale
    # the current matters: without the transport term dm/dt differs by far more
    plain = build(config_from_dict({**_trilayer_config(model, 50e-12, 5e-12),
                                    "transport": {"model": "none"}}))
    assert np.abs(plain.llg.rhs(0.0, ref.m0.copy()) - rate_ref).max() > 1e-3 * scale

    sc.TimeDriver().drive(system, t=50e-12, n=10)
    run_config(cfg, tmp_path / "toml", progress=None)
    ub = system.table.data[["t", "mx", "my", "mz"]].to_numpy()
    cli = _m_columns(tmp_path / "toml" / "table.tsv")
    assert ub.shape == cli.shape == (10, 4)
    assert np.abs(ub[:, 1:] - cli[:, 1:]).max() < 2e-7
    assert np.abs(cli[-1, 1:] - cli[0, 1:]).max() > 0.05  # m moved
