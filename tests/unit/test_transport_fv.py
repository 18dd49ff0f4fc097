"""Finite-volume transport operator: FM/NM interface accumulation (docs/theory/transport.md,
analytic solutions), BCs, signs."""

from __future__ import annotations

import numpy as np
import pytest
from transport_cases import FM, LF, LN, NM, J, analytic, interface_column  # noqa: F401

from spintorque import Material, Sample
from spintorque.transport.diffusion import DiffusionModel
from spintorque.transport.fv import inv3, matmul3
from spintorque.transport.moment import MomentModel
from spintorque.transport.solver import TransportSolver


def test_analytic_reference_values():
    # the published numbers (docs/theory/transport.md, analytic solutions: 4.732, 4.727, -49.2 A/m)
    # pin the analytic formulas used below
    assert analytic(np.array([0.0]), "N")[0] == pytest.approx(4.732, abs=5e-4)
    s0, prof = analytic(np.array([-LF]), "Z")
    assert s0 == pytest.approx(4.727, abs=5e-4)
    assert prof[0] == pytest.approx(-49.2, abs=0.05)


@pytest.mark.parametrize("bc", ["N", "Z"])
@pytest.mark.parametrize("sign_e", [1.0, -1.0])
def test_interface_accumulation_within_1_percent(bc, sign_e):
    # 1 % (issue 3); at h = 0.5 nm the O(h^2) error measured in the convergence test is ~7e-4
    h = 0.5e-9
    sample, model, m, s = interface_column(h, bc, sign_e)
    z = sample.grid.centers(2) - LF
    s0, prof = analytic(z, bc)
    k = int(round(LF / h))
    s_face = model.interface_values(m, s)[k - 1]  # face between the last FM and first NM cell
    assert s_face[0] * sign_e == pytest.approx(s0, rel=1e-2)
    assert np.abs(s[:, 0] * sign_e - prof).max() < 1e-2 * abs(prof).max()
    # collinear problem: no transverse accumulation (round-off only)
    assert np.abs(s[:, 1:]).max() < 1e-12 * abs(s0)
    # e > 0 form: s parallel to m at the FM->NM interface with current FM->NM
    # (docs/theory/transport.md, signs and conventions)
    assert np.sign(s_face[0]) == np.sign(sign_e)


def test_moment_model_longitudinal_flux_unchanged():
    # docs/theory/transport.md (model equations): A^-T leaves the flux along m unchanged, so the
    # collinear profile equals ZLF's
    h = 1e-9
    sample, model, m, s = interface_column(h, "N", -1.0)
    mom = MomentModel(sample, J, a=1.0, sign_e=-1.0)
    s_m = TransportSolver(mom, method="splu").solve(m)
    assert np.abs(s_m - s).max() < 1e-10 * np.abs(s).max()


def random_stack(rng, small: bool = False) -> tuple[Sample, np.ndarray]:
    """FM1 8 nm / NM 4 nm / FM2 6 nm on 4×3 cells of 2 nm (``small``: 4 / 2 / 3 nm on 3×2 cells
    of 2 × 2 × 1 nm), with a random unit m everywhere."""
    if small:
        sample = Sample.stack(
            (3, 2), (2e-9, 2e-9, 1e-9), [("FM1", 4e-9, FM), ("NM", 2e-9, NM), ("FM2", 3e-9, FM)]
        )
    else:
        sample = Sample.stack(
            (4, 3), (2e-9,) * 3, [("FM1", 8e-9, FM), ("NM", 4e-9, NM), ("FM2", 6e-9, FM)]
        )
    m = rng.normal(size=sample.grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    return sample, m


def test_krylov_matches_direct_and_warm_start_helps():
    # a 3D problem with m varying in x, y, z: BiCGSTAB/GMRES with block Jacobi agree with SuperLU
    rng = np.random.default_rng(3)
    sample, m = random_stack(rng)
    m[sample.mask("NM")] = 0.0
    for model in (DiffusionModel(sample, J), MomentModel(sample, J, a=0.7)):
        ref = TransportSolver(model, method="splu").solve(m)
        for method, pc in (
            ("bicgstab", "line"),
            ("gmres", "line"),
            ("lgmres", "line"),
            ("bicgstab", "block_jacobi"),
            ("gmres", "ilu"),
            ("lgmres", "none"),
        ):
            solver = TransportSolver(model, method=method, preconditioner=pc, rtol=1e-10)
            s = solver.solve(m)
            # the true residual is 1e-10 ‖b‖; the error is bounded by cond·1e-10, a few 1e-9
            assert np.abs(s - ref).max() < 1e-7 * np.abs(ref).max()
            cold = solver.stats["matvecs"]
            m2 = m + 1e-3 * rng.normal(size=m.shape)
            m2[sample.mask("NM")] = 0.0
            m2 /= np.maximum(np.linalg.norm(m2, axis=-1, keepdims=True), 1e-300)
            solver.solve(m2)
            if pc != "ilu":  # ILU is nearly exact on this small problem: 5 products either way
                assert solver.stats["matvecs"] - cold < cold  # warm start needs fewer products


def test_short_gmres_is_the_minimal_residual_krylov_solution():
    # k steps of right-preconditioned GMRES give x0 + Z y with the least ‖b − A x‖ over the
    # span of M r0, M A M r0, ...: compared with that least-squares problem solved directly
    from spintorque.transport.solver import _gmres_short

    rng = np.random.default_rng(5)
    n = 60
    A = np.eye(n) * 4 + rng.normal(size=(n, n)) / np.sqrt(n)  # nonsymmetric, well conditioned
    Minv = np.diag(1.0 / np.diag(A)) + 0.01 * rng.normal(size=(n, n))
    b, x0 = rng.normal(size=n), rng.normal(size=n)
    r0 = b - A @ x0
    for k in (1, 2, 3, 5):
        V, Z = np.empty((k + 1, n)), np.empty((k, n))
        x, r, steps, done = _gmres_short(lambda v: A @ v, lambda v: Minv @ v, r0, x0, 0.0, V, Z)
        assert steps == k and not done
        basis, v = [], r0
        for _ in range(k):  # the Krylov space of A M⁻¹, mapped back by M⁻¹
            v = Minv @ v
            basis.append(v)
            v = A @ v
        B = np.array(basis).T
        c, *_ = np.linalg.lstsq(A @ B, r0, rcond=None)
        best = x0 + B @ c
        assert np.linalg.norm(x - best) < 1e-10 * np.linalg.norm(best)
        assert np.linalg.norm(r - (b - A @ x)) < 1e-10 * np.linalg.norm(r0)  # r from the basis
    # a loose target is met early, and then no residual vector is formed
    atol = 0.5 * np.linalg.norm(r0)
    x, r, steps, done = _gmres_short(lambda v: A @ v, lambda v: Minv @ v, r0, x0, atol,
                                     np.empty((6, n)), np.empty((5, n)))
    assert done and r is None and steps < 5
    assert np.linalg.norm(b - A @ x) <= atol


@pytest.mark.parametrize("name", ["diffusion", "moment"])
def test_gmres_start_then_bicgstab_meets_the_residual_test(name):
    # the default solve (GMRES steps, then BiCGSTAB) and plain BiCGSTAB both stop at
    # ‖b − K s‖ ≤ rtol ‖b‖ and agree with SuperLU to cond · rtol
    rng = np.random.default_rng(8)
    sample, m = random_stack(rng)
    m[sample.mask("NM")] = 0.0
    model = (DiffusionModel if name == "diffusion" else MomentModel)(sample, J)
    ref = TransportSolver(model, method="splu").solve(m)
    K, b = model.system(m)
    for steps in (0, 1, 3):
        for rtol in (1e-3, 1e-9):
            s = TransportSolver(model, rtol=rtol, gmres_steps=steps).solve(m)
            assert np.linalg.norm(b - K @ s.reshape(-1)) <= rtol * np.linalg.norm(b) * (1 + 1e-6)
            assert np.abs(s - ref).max() < 100 * rtol * np.abs(ref).max()
    with pytest.raises(ValueError, match="gmres_steps"):
        TransportSolver(model, gmres_steps=-1)


def test_block_helpers():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3, 50)) + 3 * np.eye(3)[:, :, None]
    ident = matmul3(a, inv3(a))
    assert np.abs(ident - np.eye(3)[:, :, None]).max() < 1e-12


def test_non_conducting_cells_are_excluded():
    # vacuum (D0 = 0) between two conductors: no unknowns there, and no coupling through it
    sample = Sample.stack(
        (1, 1), (1e-9,) * 3, [("FM", 10e-9, FM), ("gap", 2e-9, Material("vac")), ("NM", 10e-9, NM)]
    )
    model = DiffusionModel(sample, J)
    assert model.ncells == 20
    assert model.op.nfaces == 18


def test_bad_input_names_the_field():
    sample = Sample.stack((1, 1), (1e-9,) * 3, [("FM", 4e-9, FM)])
    with pytest.raises(ValueError, match="bc"):
        DiffusionModel(sample, J, bc="X")
    with pytest.raises(ValueError, match="z_refine"):
        DiffusionModel(sample, J, z_refine=0)
    with pytest.raises(ValueError, match="sign_e"):
        DiffusionModel(sample, J, sign_e=2)
    with pytest.raises(ValueError, match="current_density"):
        DiffusionModel(sample, [1.0, 2.0])
    with pytest.raises(ValueError, match="method"):
        TransportSolver(DiffusionModel(sample, J), method="cg")
    with pytest.raises(ValueError, match="a ="):
        MomentModel(sample, J, a=-1.0)
    with pytest.raises(ValueError, match="conducting"):
        DiffusionModel(Sample.stack((1, 1), (1e-9,) * 3, [("v", 2e-9, Material("vac"))]), J)


def test_numba_and_numpy_assembly_agree():
    rng = np.random.default_rng(5)
    sample, m = random_stack(rng, small=True)
    for model in (DiffusionModel(sample, [2e10, -1e10, 1e11]), MomentModel(sample, J, a=0.5)):
        D, drift, R = model.coefficients(model.cell_m(m))
        K1, b1 = model.op.assemble(D, drift, R, 1e12, backend="numba")
        K2, b2 = model.op.assemble(D, drift, R, 1e12, backend="numpy")
        assert abs(K1 - K2).max() < 1e-13 * abs(K2).max()
        assert np.abs(b1 - b2).max() < 1e-13 * np.abs(b2).max()


def test_singular_diffusion_matrix_uses_the_general_face_flux():
    # beta beta' = 1 makes D_i = 2 D0 (I - m m^T) singular: the harmonic form (E_L + E_R)^-1
    # does not exist, the assembly falls back to D_R S^-1 D_L and must still match NumPy
    rng = np.random.default_rng(6)
    full = Material("FMfull", Ms=8e5, D0=1e-3, beta=1.0, beta_prime=1.0, lambda_sf=10e-9,
                    lambda_J=4e-9, c_sd=1e-4)
    sample = Sample.stack((3, 2), (2e-9, 2e-9, 1e-9), [("FM1", 4e-9, full), ("NM", 2e-9, NM)])
    m = rng.normal(size=sample.grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    model = DiffusionModel(sample, J)
    D, drift, R = model.coefficients(model.cell_m(m))
    K1, b1 = model.op.assemble(D, drift, R, 0.0, backend="numba")
    K2, b2 = model.op.assemble(D, drift, R, 0.0, backend="numpy")
    assert np.all(np.isfinite(K1.data))
    assert abs(K1 - K2).max() < 1e-13 * abs(K2).max()
    assert np.abs(b1 - b2).max() < 1e-13 * np.abs(b2).max()


def test_auto_choices():
    sample = Sample.stack((1, 1), (1e-9,) * 3, [("FM", 4e-9, FM), ("NM", 2e-9, NM)])
    assert TransportSolver(DiffusionModel(sample, J)).method == "bicgstab"
    assert TransportSolver(MomentModel(sample, J)).method == "bicgstab"
    assert TransportSolver(MomentModel(sample, J), preconditioner="line").method == "lgmres"
    assert TransportSolver(DiffusionModel(sample, J)).preconditioner == "line_sgs"


def test_line_preconditioner_is_the_exact_z_line_inverse():
    # on a 1D column the z-line part is the whole matrix: one application solves the system
    sample = Sample.stack(
        (1, 1), (1e-9,) * 3, [("FM1", 6e-9, FM), ("NM", 3e-9, NM), ("FM2", 5e-9, FM)]
    )
    rng = np.random.default_rng(9)
    m = rng.normal(size=sample.grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    m[sample.mask("NM")] = 0.0
    for model in (DiffusionModel(sample, J), MomentModel(sample, J)):
        K, b = model.system(m)
        solver = TransportSolver(model, preconditioner="line")
        x = solver._precond(K) @ b
        assert np.linalg.norm(K @ x - b) < 1e-12 * np.linalg.norm(b)


def test_line_gauss_seidel_matches_its_sparse_definition():
    # M⁻¹ v of the numba sweep against M = (D_z + L)(D_z)⁻¹(D_z + U) built from the BSR matrix
    # and solved with SuperLU (D_z: diagonal and z-face blocks; L, U: x/y-face blocks below and
    # above the diagonal), on a 3D stack with conducting holes so that lines start anywhere
    import scipy.sparse as sps
    import scipy.sparse.linalg as spla

    rng = np.random.default_rng(12)
    sample, m = random_stack(rng)
    m[sample.mask("NM")] = 0.0
    region = sample.region.copy()
    region[1, 2, 2:4] = len(sample.materials)  # a non-conducting pocket splits some z-lines
    sample = Sample(sample.grid, region, (*sample.materials, Material("vac")), (*sample.names, "v"))
    for model in (DiffusionModel(sample, J), MomentModel(sample, J, a=0.8)):
        Kb, _ = model.system(m)
        op = model.op
        K = sps.csr_matrix(Kb)
        rows, cols = K.nonzero()
        cz = np.zeros((op.n, op.n), bool)
        cz[op.L[op.axis_slices[2]], op.R[op.axis_slices[2]]] = True
        cz |= cz.T
        cz[np.arange(op.n), np.arange(op.n)] = True
        in_line = cz[rows // 3, cols // 3]
        vals = np.asarray(K[rows, cols]).ravel()
        Dz, Lo, Up = (
            sps.csc_matrix((vals[sel], (rows[sel], cols[sel])), shape=K.shape)
            for sel in (in_line, ~in_line & (cols < rows), ~in_line & (cols > rows))
        )
        v = rng.normal(size=K.shape[0])
        ref = spla.splu(Dz + Up).solve(Dz @ spla.splu(Dz + Lo).solve(v))
        got = TransportSolver(model, preconditioner="line_sgs")._precond(Kb) @ v
        assert np.linalg.norm(got - ref) < 1e-10 * np.linalg.norm(ref)


def test_fused_cell_blocks_match_the_coefficient_path():
    # the solver's path (Numba cell kernel + face blocks + block product) against the BSR
    # matrix assembled from model.coefficients: same numbers up to round-off
    rng = np.random.default_rng(11)
    sample, m = random_stack(rng, small=True)
    m[sample.mask("NM")] = 0.0
    for model in (DiffusionModel(sample, [2e10, -1e10, 1e11], z_refine=2),
                  MomentModel(sample, J, a=0.5)):
        K, b = model.system(m, shift=1e12)
        cell, off, b2 = model.system_blocks(m, shift=1e12)
        K2 = model.op.to_bsr(cell, off)
        assert abs(K - K2).max() < 1e-13 * abs(K).max()
        assert np.abs(b - b2).max() < 1e-13 * np.abs(b).max()
        x = rng.normal(size=(4, b.size))
        scale = 1e-13 * abs(K).max() * 4  # round-off of a 7-block row sum
        assert np.abs(model.op.matvec(cell, off, x) - (K @ x.T).T).max() < scale
        assert np.abs(model.op.matvec(cell, off, x[0]) - K @ x[0]).max() < scale
        # and back: the blocks of the BSR matrix are the assembled ones
        cell2, off2 = model.op.blocks_of(K2)
        assert np.abs(cell2 - cell).max() < 1e-13 * abs(K).max()
        assert np.array_equal(off2, off)


def precessing(rng, n_states: int, step: float):
    """(sample, states): m of :func:`random_stack` rotated about a random axis per cell
    (Rodrigues) by ``step`` × k rad for k = 0 … n_states − 1, zero in the spacer: m moving
    smoothly, as across RK stages or from one LLG step to the next."""
    sample, m0 = random_stack(rng)
    axis = rng.normal(size=sample.grid.vshape)
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    nm = sample.mask("NM")
    states = []
    for k in range(n_states):
        th = step * k
        m = (m0 * np.cos(th) + np.cross(axis, m0) * np.sin(th)
             + axis * np.sum(axis * m0, -1, keepdims=True) * (1 - np.cos(th)))
        m[nm] = 0.0
        states.append(m)
    return sample, states


def test_projected_warm_start_same_answer_fewer_products():
    # m precessing smoothly (as across RK45 stages): the minimal-residual start over the past
    # solutions must give answers within the solver tolerance of the plain warm start, with
    # fewer matrix-vector products in total
    sample, states = precessing(np.random.default_rng(4), 18, 0.02)
    for model in (DiffusionModel(sample, J), MomentModel(sample, J)):
        ref = TransportSolver(model, method="splu")
        plain = TransportSolver(model, history=0)
        proj = TransportSolver(model)  # history = 6
        for m in states:
            s_ref = ref.solve(m)
            for solver in (plain, proj):
                # the residual is 1e-6 ‖b‖; the error is bounded by cond·1e-6 (cond ≲ 100 here)
                assert np.abs(solver.solve(m) - s_ref).max() < 1e-4 * np.abs(s_ref).max()
        assert proj.stats["matvecs"] < 0.8 * plain.stats["matvecs"]  # measured: 0.5
        assert proj.warm_history.shape == (6, model.ncells, 3)


def test_once_per_step_start_extrapolates_from_two_solutions():
    # one solve per LLG step (the integrators' TransportHold): the field keeps a history of two
    # solutions, so a start that misses the tolerance becomes the fitted linear extrapolation
    # s_n + c (s_n - s_(n-1)). With m moving steadily between solves (a strongly driven run) it
    # must give the same answers within the tolerance and fewer Krylov iterations than the last
    # solution alone (measured on the 4 nm trilayer at 2e12 A/m^2: 5.8 -> 2.9 per solve)
    from spintorque.transport.coupling import SpinAccumulationField

    sample, states = precessing(np.random.default_rng(5), 16, 0.05)
    for name in ("diffusion", "moment"):
        field = SpinAccumulationField(sample, model=name, current_density=J, rtol=1e-3)
        field.once_per_step()
        assert field.solver.history == 2
        ref = TransportSolver(field.model, method="splu")
        plain = TransportSolver(field.model, rtol=1e-3, history=0)
        for m in states:
            s_ref = ref.solve(m)
            for solver in (plain, field.solver):
                # residual 1e-3 ‖b‖, error up to cond · 1e-3 (measured: 2.6e-3 and 5.5e-3)
                assert np.abs(solver.solve(m) - s_ref).max() < 2e-2 * np.abs(s_ref).max()
        its = (field.solver.stats["iterations"], plain.stats["iterations"])
        assert its[0] < 0.7 * its[1], (name, its)  # measured: 42/84 and 41/83


def test_warm_history_round_trip_and_bad_input():
    sample = Sample.stack((2, 1), (2e-9,) * 3, [("FM", 6e-9, FM), ("NM", 4e-9, NM)])
    m = np.zeros(sample.grid.vshape)
    m[sample.mask("FM")] = [0.0, 1.0, 0.0]
    model = DiffusionModel(sample, J)
    solver = TransportSolver(model)
    solver.solve(m)
    solver.solve(m)  # same m, same answer: not a second history entry (exact resume)
    assert solver.warm_history.shape == (1, model.ncells, 3)
    other = TransportSolver(model)
    other.warm_history = solver.warm_history
    assert np.array_equal(other.warm_history, solver.warm_history)
    with pytest.raises(ValueError, match="warm_history"):
        other.warm_history = np.zeros((2, 3))
    with pytest.raises(ValueError, match="history"):
        TransportSolver(model, history=-1)


def test_quadratic_start_solves_with_minimal_residual_steps_and_no_projection():
    # once per step with predict_order 2: the Krylov start is the quadratic prediction, the
    # solver keeps no history and takes up to 8 GMRES steps. On m moving steadily (one solve
    # per "step" of 1e-13 s) it must meet the same tolerance with fewer products than the
    # projected start over two solutions (history 2, 3 GMRES steps then BiCGSTAB), which spends
    # two products per solve on a projection the prediction no longer needs
    from spintorque.transport.coupling import SpinAccumulationField

    sample, states = precessing(np.random.default_rng(5), 16, 0.05)
    for name in ("diffusion", "moment"):
        products = []
        for configure in (False, True):
            field = SpinAccumulationField(sample, model=name, current_density=J, rtol=1e-4,
                                          predict_order=2)
            field.once_per_step()
            if not configure:  # the configuration before: projection and short GMRES
                field.solver.history, field.solver.gmres_steps = 2, 3
            else:
                assert (field.solver.history, field.solver.gmres_steps) == (0, 8)
            ref = TransportSolver(field.model, method="splu")
            for k, m in enumerate(states):
                s = field.solve(m, k * 1e-13)
                s_ref = field.model.mesh.restrict(ref.solve(m))
                # residual 1e-4 ‖b‖, error up to cond · 1e-4
                assert np.abs(s - s_ref).max() < 2e-3 * np.abs(s_ref).max()
            products.append(field.solver.stats["matvecs"])
        # measured: 100/125 (diffusion), 104/123 (moment)
        assert products[1] < 0.9 * products[0], (name, products)
