"""Charge-current solver (spintorque.transport.charge) and the non-uniform current in the spin
transport models and local torques.

References: a pillar of uniform cross-section (R = L/(σA), uniform j), two materials in series,
the spreading resistance R = 1/(4σa) of a disk contact of radius a on a half-space (Holm), and the
uniform-current transport system, which a solved pillar current must reproduce."""

from __future__ import annotations

import numpy as np
import pytest

from spintorque.config import ConfigError, config_from_dict
from spintorque.dynamics.torques import Slonczewski, ZhangLi
from spintorque.materials import Material, Sample
from spintorque.mesh import Grid
from spintorque.transport.charge import ChargeSolver, Contact, cell_conductivity
from spintorque.transport.current_field import CurrentField
from spintorque.transport.diffusion import DiffusionModel
from spintorque.transport.moment import MomentModel
from spintorque.transport.solver import TransportSolver

VAC = Material()
FM = Material(name="FM", Ms=8e5, A=1e-11, alpha=0.1, D0=1e-3, beta=0.8, beta_prime=0.6,
              lambda_sf=10e-9, J_sd=1.6e-20, P=0.5, sigma=5e6)
NM = Material(name="NM", D0=5e-3, lambda_sf=100e-9, sigma=2e7)


def pillar(nxy=(6, 6), footprint=(slice(1, 5), slice(1, 5)), nz=12, cell=(2e-9, 2e-9, 1e-9)):
    """FM(4) / NM(4) / FM(4) pillar inside vacuum; regions 0 vacuum, 1 FM, 2 NM."""
    g = Grid((*nxy, nz), cell)
    reg = np.zeros(g.shape, int)
    q = nz // 3
    reg[(*footprint, slice(0, q))] = 1
    reg[(*footprint, slice(q, 2 * q))] = 2
    reg[(*footprint, slice(2 * q, nz))] = 1
    return Sample(g, reg, (VAC, FM, NM), ("vac", "FM", "NM"))


def random_m(grid, seed=0):
    m = np.random.default_rng(seed).normal(size=grid.vshape)
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


# -- the charge solver against exact references ---------------------------------------------------

def test_uniform_pillar_gives_the_uniform_current_and_L_over_sigma_A():
    """A single-material pillar surrounded by vacuum: j = I/A in every pillar cell and no lateral
    current, R = L/(σA). Exact in the discretization (1D problem), so to round-off: 1e-10."""
    mat = Material(name="Cu", D0=1e-3, sigma=5.8e7)
    g = Grid((8, 8, 12), (2e-9, 2e-9, 1e-9))
    reg = np.zeros(g.shape, int)
    reg[2:6, 2:6, :] = 1
    s = Sample(g, reg, (VAC, mat), ("vac", "Cu"))
    sol = ChargeSolver(s, [Contact("bottom"), Contact("top")]).drive(total=1e-3)
    area = 16 * 4e-18
    assert sol.resistance == pytest.approx(12e-9 / (5.8e7 * area), rel=1e-10)
    j = sol.current_density
    assert np.abs(j[2:6, 2:6, :, 2] / (1e-3 / area) - 1).max() < 1e-10
    assert np.abs(j[..., :2]).max() < 1e-10 * 1e-3 / area
    assert np.all(j[~(reg == 1)] == 0)  # zero in insulating cells
    assert sol.contact_currents == pytest.approx([1e-3, -1e-3], rel=1e-10)
    # the face currents are divergence-free (relative to j/h of one face)
    assert np.abs(sol.field.divergence()).max() < 1e-10 * (1e-3 / area) / 1e-9


def test_series_resistance_of_two_materials_is_exact():
    """σ1 = 5e6 over 5 cells and σ2 = 2e7 over 7 cells: R = (L1/σ1 + L2/σ2)/A; the harmonic
    face conductance makes the interface exact, so 1e-10 (round-off)."""
    g = Grid((3, 4, 12), (3e-9, 2e-9, 1e-9))
    reg = np.ones(g.shape, int)
    reg[:, :, 5:] = 2
    s = Sample(g, reg, (VAC, FM, NM))
    sol = ChargeSolver(s, [Contact("top"), Contact("bottom")]).drive(density=2e11)
    area = 9e-9 * 8e-9
    assert sol.resistance == pytest.approx((5e-9 / 5e6 + 7e-9 / 2e7) / area, rel=1e-10)
    # current enters at the top: flows along -z with the density asked for
    assert np.abs(sol.current_density[..., 2] / -2e11 - 1).max() < 1e-10


def spreading(a_cells: int, size_over_a: int) -> float:
    """4σa·R for a disk contact of radius a = a_cells cells on the top face of a cube of side
    size_over_a·a (one quarter, by symmetry: the disk centred on the grid's corner, the
    insulating faces are the mirror planes), the whole bottom face grounded."""
    h, sigma = 1e-9, 5e6
    n = a_cells * size_over_a
    s = Sample.uniform(Grid((n, n, n), (h, h, h)), Material(name="m", D0=1e-3, sigma=sigma))
    a = a_cells * h
    solver = ChargeSolver(s, [Contact("top", radius=a, center=(0.0, 0.0)), Contact("bottom")],
                          method="cg", rtol=1e-10)
    return solver.drive(total=1.0).resistance / 4 * 4 * sigma * a


def test_spreading_resistance_of_a_disk_contact_converges_to_holm():
    """R = 1/(4σa) for a disk of radius a on a half-space. Two errors: the finite domain (the
    bottom electrode at depth L and the walls at L) lowers R by ~c/L, and the staircase disk of
    a few cells (edge singularity under-resolved) raises it. Measured 4σaR (docs/theory/
    transport.md, charge current):

    a = 4 cells: L/a = 4, 8, 16 -> 1.0075, 1.0352, 1.0503 (steps 0.0277, 0.0151: ~1/L),
    extrapolated in 1/L -> 1.066; a = 8 cells: L/a = 4, 8 -> 0.9648, 0.9922, extrapolated
    (same two-point rule as a = 4 on L/a = 4, 8: 1.063) -> 1.020. The discretization error
    falls from 6.3 % to 2.0 % when the disk's radius doubles in cells."""
    r4 = [spreading(4, k) for k in (4, 8, 16)]
    assert r4[0] < r4[1] < r4[2]  # the finite-domain error shrinks monotonically
    assert (r4[2] - r4[1]) / (r4[1] - r4[0]) == pytest.approx(0.5, abs=0.1)  # ~1/L
    ext4 = (8 * r4[2] - 6 * r4[1] + r4[0]) / 3  # Richardson in 1/L, three sizes
    r8 = [spreading(8, k) for k in (4, 8)]
    ext4_2, ext8 = 2 * r4[1] - r4[0], 2 * r8[1] - r8[0]
    assert ext4 == pytest.approx(1.066, abs=0.005)
    assert abs(ext8 - 1) < 0.03
    assert abs(ext8 - 1) < 0.5 * abs(ext4_2 - 1)  # converges towards Holm's value


# -- the solved current in the spin transport ----------------------------------------------------

@pytest.mark.parametrize("model_cls", [DiffusionModel, MomentModel])
@pytest.mark.parametrize("z_refine", [1, 3])
@pytest.mark.parametrize("bc", ["N", "Z"])
def test_solved_pillar_current_reproduces_the_uniform_transport(model_cls, z_refine, bc):
    """FM/NM/FM pillar in vacuum: the solved current is j e_z inside, so the transport system
    and s must equal those of the uniform current (1e-12 relative: round-off of the scaled
    charge solution; s to 1e-10: the same Krylov iterations on the same system)."""
    s = pillar()
    sol = ChargeSolver(s, [Contact("bottom"), Contact("top")]).drive(density=1e11)
    m = random_m(s.grid)
    uni = model_cls(s, 1e11, z_refine=z_refine, bc=bc)
    fld = model_cls(s, sol.field, z_refine=z_refine, bc=bc)
    cu, ou, bu = uni.system_blocks(m)
    cf, of, bf = fld.system_blocks(m)
    assert np.abs(cu - cf).max() <= 1e-12 * np.abs(cu).max()
    assert np.abs(ou - of).max() <= 1e-12 * np.abs(ou).max()
    assert np.abs(bu - bf).max() <= 1e-12 * np.abs(bu).max()
    su, sf = TransportSolver(uni).solve(m), TransportSolver(fld).solve(m)
    assert np.abs(su - sf).max() <= 1e-10 * np.abs(su).max()
    # the cell array of the same current takes the same path
    arr = model_cls(s, sol.current_density, z_refine=z_refine, bc=bc)
    assert np.abs(arr.system_blocks(m)[2] - bu).max() <= 1e-12 * np.abs(bu).max()


def test_singular_diffusion_matrix_path_matches_the_uniform_current():
    """ββ' = 1 makes D singular in magnetic cells: the general two-point flux is used; the face
    drift of a uniform field must equal the uniform path there too."""
    fm = Material(name="FM", Ms=8e5, D0=1e-3, beta=1.0, beta_prime=1.0, lambda_sf=10e-9,
                  sigma=5e6)
    g = Grid((3, 3, 6), (2e-9, 2e-9, 1e-9))
    reg = np.ones(g.shape, int)
    reg[:, :, 2:4] = 2
    s = Sample(g, reg, (VAC, fm, NM))
    m = random_m(g, 3)
    j = np.array([1e10, -2e10, 1e11])
    bu = DiffusionModel(s, j).system_blocks(m)[2]
    bf = DiffusionModel(s, CurrentField.uniform(g, j)).system_blocks(m)[2]
    assert np.abs(bu - bf).max() <= 1e-12 * np.abs(bu).max()


def test_uniform_m_gets_no_spin_source_from_a_divergence_free_current():
    """A nanocontact on a uniform ferromagnet: the drift of the face currents has zero discrete
    divergence in every cell (bc "N": the contact faces carry their current's drift), which
    cell-centred currents would not give."""
    mat = Material(name="FM", Ms=8e5, D0=1e-3, beta=0.8, beta_prime=0.6, lambda_sf=10e-9,
                   sigma=5e6)
    g = Grid((8, 8, 6), (2e-9, 2e-9, 2e-9))
    s = Sample.uniform(g, mat)
    sol = ChargeSolver(s, [Contact("top", radius=5e-9), Contact("bottom")]).drive(total=1e-4)
    m = np.zeros(g.vshape)
    m[..., 0] = 1.0
    model = DiffusionModel(s, sol.field, bc="N")
    b = model.system_blocks(m)[2]
    jmax = np.abs(sol.current_density).max()
    flux = jmax * 0.8 * 9.274e-24 / 1.602e-19 / 2e-9  # one face's drift term
    assert np.abs(b).max() < 1e-9 * flux
    # the cell-centred field (faces averaged back from cells) is not divergence-free
    approx = DiffusionModel(s, sol.current_density, bc="N").system_blocks(m)[2]
    assert np.abs(approx).max() > 1e-3 * flux


def test_refined_field_keeps_zero_divergence():
    s = Sample.uniform(Grid((6, 6, 4), (2e-9, 2e-9, 2e-9)), FM)
    sol = ChargeSolver(s, [Contact("top", radius=3e-9), Contact("bottom")]).drive(total=1e-4)
    fine = sol.field.refined_z(4)
    scale = np.abs(sol.current_density).max() / 0.5e-9
    assert fine.grid.n == (6, 6, 16)
    assert np.abs(fine.divergence()).max() < 1e-10 * scale
    assert np.allclose(fine.faces[2][:, :, ::4], sol.field.faces[2])


def test_local_torques_take_a_per_cell_current():
    """ZhangLi with a uniform field array and Slonczewski with a uniform per-cell J equal their
    uniform-current versions exactly."""
    s = Sample.uniform(Grid((6, 5, 3), (2e-9, 2e-9, 2e-9)), FM)
    m = random_m(s.grid, 1)
    j = np.array([3e11, -1e11, 2e11])
    out_u, out_f = np.empty_like(m), np.empty_like(m)
    ZhangLi(s, j, xi=0.1).rate(m, 0.0, out_u)
    ZhangLi(s, CurrentField.uniform(s.grid, j), xi=0.1).rate(m, 0.0, out_f)
    assert np.array_equal(out_u, out_f)
    Slonczewski(s, 2e11, p=(0, 0, 1)).rate(m, 0.0, out_u)
    Slonczewski(s, np.full(s.grid.shape, 2e11), p=(0, 0, 1)).rate(m, 0.0, out_f)
    assert np.array_equal(out_u, out_f)
    with pytest.raises(ValueError, match="per-cell field"):
        ZhangLi(s, np.zeros((2, 2, 2, 3)))
    with pytest.raises(ValueError, match="per-cell field"):
        Slonczewski(s, np.zeros((2, 2)), p=(0, 0, 1))


# -- bad input -------------------------------------------------------------------------------------

def test_bad_input_gives_clear_errors():
    s = pillar()
    with pytest.raises(ValueError, match="outside the grid"):
        Contact("top", radius=2e-9, center=(50e-9, 0.0)).footprint(s)
    with pytest.raises(ValueError, match="insulating face"):  # a disk on the vacuum corner
        ChargeSolver(s, [Contact("top", radius=1.5e-9, center=(0.0, 0.0)), Contact("bottom")])
    with pytest.raises(ValueError, match="face"):
        Contact("side")
    with pytest.raises(ValueError, match="overlaps"):
        ChargeSolver(s, [Contact("top"), Contact("top", radius=3e-9)])
    with pytest.raises(ValueError, match="at least two"):
        ChargeSolver(s, [Contact("top")])
    solver = ChargeSolver(s, [Contact("top"), Contact("bottom")])
    with pytest.raises(ValueError, match="exactly one"):
        solver.drive(total=1e-3, density=1e11)
    # an insulating layer across the pillar: no path
    reg = np.array(s.region)
    reg[:, :, 5] = 0
    cut = Sample(s.grid, reg, s.materials, s.names)
    with pytest.raises(ValueError, match="no conducting path"):
        ChargeSolver(cut, [Contact("top"), Contact("bottom")]).drive(total=1e-3)
    # D0 > 0 without sigma
    nosig = Sample(s.grid, s.region, (VAC, Material(name="FM", Ms=8e5, D0=1e-3), NM))
    with pytest.raises(ValueError, match="no conductivity"):
        cell_conductivity(nosig)
    with pytest.raises(ValueError, match="sigma"):
        Material(name="x", sigma=-1.0)
    with pytest.raises(ValueError, match="current density field of shape"):
        DiffusionModel(s, np.zeros((2, 2, 2, 3)))


# -- TOML ------------------------------------------------------------------------------------------

def base_config(**current) -> dict:
    cfg = {
        "mesh": {"cell": [2e-9, 2e-9, 1e-9], "size": [12e-9, 12e-9, 12e-9]},
        "layer": [{"name": "FM1", "thickness": 4e-9, "material": "fm"},
                  {"name": "sp", "thickness": 4e-9, "material": "nm"},
                  {"name": "FM2", "thickness": 4e-9, "material": "fm"}],
        "material": {
            "fm": {"Ms": 8e5, "A": 1e-11, "alpha": 0.1, "D0": 1e-3, "beta": 0.8,
                   "beta_prime": 0.6, "lambda_sf": 10e-9, "J_sd": 1.6e-20, "sigma": 5e6},
            "nm": {"Ms": 0.0, "D0": 5e-3, "lambda_sf": 100e-9, "sigma": 2e7},
        },
        "transport": {"model": "diffusion"},
        "run": {"duration": 1e-12, "output_every": 1e-12},
        "current": {"solver": "charge", "total": 1e-4,
                    "contacts": [{"face": "bottom"}, {"face": "top", "radius": 3e-9}]},
    }
    cfg["current"].update(current)
    return cfg


def test_config_current_table_builds_the_solved_field():
    from spintorque.simulation import build

    problem = build(base_config())
    spin = [d for d in problem.drives if getattr(d, "name", "") == "spin_accumulation"][0]
    field = spin.model.current
    assert isinstance(field, CurrentField)
    # 1e-4 A in at the bottom, out through the top disk (radius 3 nm: the 4 cells within 3 nm
    # of the centre), i.e. along +z as a positive [transport].current_density
    assert field.faces[2][:, :, -1].sum() * 4e-18 == pytest.approx(1e-4, rel=1e-10)


@pytest.mark.parametrize("change, path", [
    (lambda c: c["current"].update(total=None), "exactly one of total"),
    (lambda c: c["current"].update(density=1e11), "exactly one of total"),
    (lambda c: c["current"]["contacts"][1].update(center=[40e-9, 0.0]), "center"),
    (lambda c: c["material"]["fm"].pop("sigma"), "material.fm.sigma"),
    (lambda c: c["material"]["nm"].update(D0=0.0, sigma=None), "material.nm.sigma"),
    (lambda c: c["transport"].update(current_density=1e11), "transport.current_density"),
    (lambda c: c["current"].update(contacts=[{"face": "top"}]), "current.contacts"),
    (lambda c: c["current"]["contacts"][0].update(face="left"), "face"),
    (lambda c: c["material"]["fm"].update(sigma=-1.0), "sigma"),
])
def test_config_current_errors(change, path):
    cfg = base_config()
    change(cfg)
    if cfg["material"]["nm"].get("sigma", 0) is None:
        cfg["material"]["nm"].pop("sigma")
    with pytest.raises(ConfigError, match=path.replace(".", r"\.")):
        config_from_dict(cfg)
