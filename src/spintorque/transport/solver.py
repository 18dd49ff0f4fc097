"""Linear solves of the transport system: quasi-static and implicit-Euler time stepping.

The matrix depends on m, so it changes at every LLG stage and a factorization can be reused only
while m is frozen. Methods (measured in ``benchmarks/bench_transport.py`` and
``docs/theory/transport.md``):

- ``"bicgstab"`` (own implementation with fused vector updates, after up to ``gmres_steps``
  steps of GMRES; on a breakdown it continues with LGMRES from where it stopped), ``"lgmres"``,
  ``"gmres"`` (scipy, restart 50) or
  ``"auto"`` (default: BiCGSTAB; LGMRES for the moment model with a preconditioner other than
  ``line_sgs``, where its rotated transverse fluxes make BiCGSTAB break down): Krylov solves
  warm-started from the minimal-residual combination of the last ``history`` solutions
  (default 6, see :class:`TransportSolver`), applying K by the fused block product of
  :func:`.fv.block_matvec`, and preconditioned by
  ``"line"`` (exact solve of the z-line part of the matrix, the diagonal 3×3 blocks
  plus the z-face blocks, by block Thomas in Numba; O(N) to build and apply),
  ``"line_sgs"`` (default: a symmetric block Gauss-Seidel sweep over the z-lines built on that
  solve, which also takes in the x/y-face couplings; about three line solves per application),
  ``"block_jacobi"`` (inverse of each cell's 3×3 diagonal block), ``"ilu"`` (SuperLU
  incomplete LU) or ``"auto"`` (= line_sgs). The spin-flip and s-d terms screen the operator
  (lengths of a few cells), so tens of iterations suffice.
  A Krylov solve whose start already meets the stopping test returns after one product,
  without building the preconditioner.
- ``"splu"``: sparse direct LU (SuperLU, COLAMD ordering) of the whole system.

All solves are of ``(shift·I + K) s = b + shift·s_old`` with K, b from the model
(``model.system_blocks``; the BSR matrix is built only for ``splu`` and ``ilu``).

The Krylov iterations are in :mod:`.krylov`, the compiled kernels of the line preconditioners in
:mod:`.line_precond`; this module chooses and drives them (:class:`TransportSolver`).
"""

from __future__ import annotations

import time
from functools import cached_property

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .krylov import bicgstab, gmres_short
from .linalg3 import inv3, matvec3
from .line_precond import block_thomas_factor, block_thomas_solve, line_blocks, line_sgs
from .models import TRANSPORT_MODELS

METHODS = ("auto", "bicgstab", "lgmres", "gmres", "splu")
PRECONDITIONERS = ("auto", "line", "line_sgs", "block_jacobi", "ilu", "none")

_gmres_short = gmres_short  # the name the tests import


class _Blocks:
    """K as blocks (see :meth:`.fv.FVOperator.assemble_blocks`): ``K @ x`` for x ``(3N,)`` or
    rows ``(k, 3N)`` by the fused Numba product, ``diag`` (K's diagonal blocks, built on first
    use: only preconditioners need them) and ``tocsc()`` for the sparse direct methods."""

    def __init__(self, op, cell: np.ndarray, off: np.ndarray, b: np.ndarray | None = None):
        self.op, self.cell, self.off, self.b = op, cell, off, b
        self.shape = (3 * op.n, 3 * op.n)

    @cached_property
    def diag(self) -> np.ndarray:
        return self.op.diagonal(self.cell, self.off)

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        return self.op.matvec(self.cell, self.off, x)

    def tocsc(self) -> sp.csc_matrix:
        return sp.csc_matrix(self.op.to_bsr(self.cell, self.off))


class TransportSolver:
    """Solves a transport model (:class:`~.diffusion.DiffusionModel` or ``MomentModel``) for s.

    Parameters
    ----------
    model : the transport model (provides ``system(m, current, shift)`` and ``ncells``)
    method : one of ``METHODS``
    preconditioner : one of ``PRECONDITIONERS`` (Krylov methods only)
    rtol : relative residual ‖b − K s‖/‖b‖ at which a Krylov solve stops
    maxiter : iteration cap of a Krylov solve (a RuntimeError is raised beyond it)
    history : number of past solutions kept for the projected warm start (0: plain warm start
        from the last s). Before each Krylov solve the start is improved to
        ``s + Σ c_j (s_j − s)`` with c minimizing the new residual ‖b − K x‖ over the last
        ``history`` solutions s_j (one k-column product and a k×k least-squares problem). The
        stages of an RK45 step move m along a few directions, so past solutions span most of
        the change of s: 40 → 23 products per solve in a coupled run (docs/performance.md).
        The result still meets the same residual test; only the starting point differs.
    gmres_steps : with ``method = "bicgstab"``, up to this many steps of right-preconditioned
        GMRES (:func:`.krylov.gmres_short`) before BiCGSTAB takes over from where they stopped;
        0 for plain BiCGSTAB. With one solve per LLG step the start is within a few times the target
        and one or two minimal-residual steps finish most solves.

    ``s`` (the last solution, ``(N, 3)`` [A/m]) is the warm start of the next solve, and
    ``stats`` counts solves, iterations and seconds spent assembling and solving. The past
    solutions are ``warm_history`` (``(k, N, 3)`` array; save it with ``s`` for an exact resume).
    """

    def __init__(
        self,
        model,
        method: str = "auto",
        preconditioner: str = "auto",
        rtol: float = 1e-6,
        maxiter: int = 1000,
        history: int = 6,
        gmres_steps: int = 3,
    ):
        if method not in METHODS:
            raise ValueError(f"method = {method!r}: allowed values are {METHODS}")
        if preconditioner not in PRECONDITIONERS:
            raise ValueError(
                f"preconditioner = {preconditioner!r}: allowed values are {PRECONDITIONERS}"
            )
        if not (0 < rtol < 1):
            raise ValueError(f"rtol = {rtol!r}: must be in (0, 1)")
        if int(history) != history or history < 0:
            raise ValueError(f"history = {history!r}: must be an integer >= 0")
        if int(gmres_steps) != gmres_steps or not 0 <= gmres_steps <= 10:
            raise ValueError(f"gmres_steps = {gmres_steps!r}: must be an integer in 0..10")
        self.model = model
        if preconditioner == "auto":
            # the line Gauss-Seidel sweep costs about 3 line solves per application and cuts
            # the iterations most where the lateral fluxes matter (moment model: rotated
            # transverse fluxes); measured in docs/performance.md: every-stage RK45 on the 4 nm
            # trilayer, moment 202 instead of 404 ms of solve per step, ZLF 156 instead of 169
            preconditioner = "line_sgs"
        if method == "auto":
            # BiCGSTAB is cheapest with either line preconditioner for ZLF; on the moment model
            # it breaks down with the plain line solve, where LGMRES is cheapest (measured): the
            # registry's line_method
            spec = TRANSPORT_MODELS.get(getattr(model, "name", ""))
            line = spec.line_method if spec is not None else "bicgstab"
            method = line if preconditioner != "line_sgs" else "bicgstab"
        self.method = method
        self.preconditioner = preconditioner
        self.rtol = float(rtol)
        self.maxiter = int(maxiter)
        self.history = int(history)
        self.gmres_steps = int(gmres_steps)
        self.s = np.zeros((model.ncells, 3))
        self._workspace: dict = {}
        self._past: list[np.ndarray] = []  # last solutions, flat (3N,), oldest first
        self.stats = {"solves": 0, "iterations": 0, "assemble_s": 0.0, "solve_s": 0.0}

    @property
    def warm_history(self) -> np.ndarray:
        """Past solutions used by the projected warm start, ``(k, N, 3)`` [A/m], oldest first."""
        return np.array(self._past).reshape(len(self._past), *self.s.shape)

    @warm_history.setter
    def warm_history(self, value: np.ndarray) -> None:
        v = np.asarray(value, dtype=float)
        if v.ndim != 3 or v.shape[1:] != self.s.shape:
            raise ValueError(
                f"warm_history shape {v.shape}: need (k, {self.s.shape[0]}, 3)"
            )
        self._past = [row.reshape(-1).copy() for row in v[-self.history :]] if self.history else []

    def reset(self) -> None:
        """Forget the warm start and the statistics."""
        self.s = np.zeros_like(self.s)
        self._past = []
        self.stats = {"solves": 0, "iterations": 0, "assemble_s": 0.0, "solve_s": 0.0}

    def solve(self, m: np.ndarray, current=None, s0: np.ndarray | None = None) -> np.ndarray:
        """Quasi-static s ``(N, 3)`` [A/m] for m on the sample grid; warm start ``s0`` or last s."""
        return self._run(m, current, 0.0, None, s0)

    def step(self, m: np.ndarray, s_old: np.ndarray, dt: float, current=None) -> np.ndarray:
        """One implicit Euler step of ∂s/∂t of length ``dt`` [s] from ``s_old`` ``(N, 3)``."""
        if not dt > 0:
            raise ValueError(f"dt = {dt!r}: must be > 0 s")
        return self._run(m, current, 1.0 / dt, np.asarray(s_old).reshape(-1, 3), s_old)

    # -------------------------------------------------------------------------------------
    def _run(self, m, current, shift, s_old, s0):
        t0 = time.perf_counter()
        K = _Blocks(self.model.op, *self.model.system_blocks(m, current, shift))
        b = K.b
        if s_old is not None:
            b = b + shift * s_old.reshape(-1)
        t1 = time.perf_counter()
        self.stats["assemble_s"] += t1 - t0
        x0 = (self.s if s0 is None else np.asarray(s0, dtype=float)).reshape(-1)
        bnorm = float(np.linalg.norm(b))
        if bnorm == 0.0:
            x = np.zeros_like(b)
            its = 0
        elif self.method == "splu":
            x = spla.splu(K.tocsc()).solve(b)
            its = 1
        else:
            x, its = self._krylov(K, b, x0, bnorm)
        self.stats["solve_s"] += time.perf_counter() - t1
        self.stats["solves"] += 1
        self.stats["iterations"] += its
        self.s = x.reshape(-1, 3)
        if self.history:
            # a repeated solve at the same m (e.g. the FSAL stage recomputed after a resume)
            # must leave the history as it was, or a resumed run would not be exact
            if not (self._past and np.array_equal(self._past[-1], x)):
                self._past = [*self._past, x.copy()][-self.history :]
        return self.s.copy()

    def _precond(self, K):
        """Preconditioner for K (a :class:`_Blocks` or the BSR matrix of ``model.system``).

        Every LinearOperator here is given ``dtype=float``: without it scipy applies the
        operator once to find the dtype (a whole Gauss-Seidel sweep per build, measured)."""
        if not isinstance(K, _Blocks):
            K = _Blocks(self.model.op, *self.model.op.blocks_of(K))
        n3 = K.shape[0]
        if self.preconditioner == "none":
            return None
        if self.preconditioner == "ilu":
            ilu = spla.spilu(K.tocsc(), drop_tol=1e-4, fill_factor=5)
            return spla.LinearOperator((n3, n3), ilu.solve, dtype=float)
        if self.preconditioner == "line":
            return self._line_precond(K)
        if self.preconditioner == "line_sgs":
            return self._line_precond(K, symmetric_gauss_seidel=True)
        binv = inv3(np.ascontiguousarray(K.diag.transpose(1, 2, 0)))

        def apply(v):
            return matvec3(binv, v.reshape(-1, 3).T).T.reshape(-1)

        return spla.LinearOperator((n3, n3), apply, dtype=float)

    @cached_property
    def _zabove(self) -> np.ndarray:
        """Per cell, the z-face to the cell above it (its face index, -1 at a line's end)."""
        op = self.model.op
        zs = op.axis_slices[2]
        za = np.full(op.n, -1, dtype=np.int64)
        za[op.L[zs]] = np.arange(zs.start, zs.stop)
        return za

    @cached_property
    def _lateral(self) -> tuple[np.ndarray, ...]:
        """Per cell, its x/y-face neighbours below and above in the numbering (CSR arrays), and
        the first cell of every z-line; built once per solver (depends only on the mesh)."""
        op = self.model.op
        n = op.n
        lat = np.concatenate([np.arange(op.axis_slices[a].start, op.axis_slices[a].stop)
                              for a in (0, 1)])
        lo_c, lo_n = op.R[lat], op.L[lat]  # cell R has neighbour L below it
        up_c, up_n = op.L[lat], op.R[lat]

        def csr(cells, nbrs, faces):
            order = np.argsort(cells, kind="stable")
            ptr = np.concatenate([[0], np.cumsum(np.bincount(cells, minlength=n))])
            return (ptr.astype(np.int64), nbrs[order].astype(np.int64),
                    faces[order].astype(np.int64))

        zs = op.axis_slices[2]
        has_below = np.zeros(n, bool)
        has_below[op.R[zs]] = True
        starts = np.concatenate([np.flatnonzero(~has_below), [n]]).astype(np.int64)
        return (*csr(lo_c, lo_n, lat), *csr(up_c, up_n, lat), starts)

    def _line_precond(self, K: _Blocks, symmetric_gauss_seidel: bool = False):
        """Exact solve of the z-line part of K (diagonal and z-face blocks) by block LU, or with
        ``symmetric_gauss_seidel`` the symmetric block Gauss-Seidel sweep over z-lines built on
        it (:func:`.line_precond.line_sgs`), which also couples the lateral neighbours.

        Unknowns are numbered in C order with z fastest, so z neighbours are consecutive and the
        z-line part is block tridiagonal (3×3 blocks, zero coupling where a line ends): one
        block-Thomas factorization and O(N) solves (Numba). Without pivoting, which is safe for
        the block diagonally dominant transport matrices (diagonal = R + Σ H_f/h², off = −H_f/h²).
        """
        op = self.model.op
        n3, n = K.shape[0], op.n
        # workspace reused from solve to solve (a preconditioner lives for one solve only):
        # fresh 2.6 MB arrays per build cost page faults comparable to the factorization
        ws = self._workspace
        if ws.get("n") != n:
            ws.clear()
            ws.update(n=n, upper=np.empty((n, 3, 3)), dinv=np.empty((n, 3, 3)),
                      lfac=np.empty((n, 3, 3)), y=np.empty((n, 3)), diag=np.empty((n, 3, 3)))
        upper, lateral = ws["upper"], self._lateral
        # z-face blocks (row i, column i + 1 = row i + 1, column i) and K's diagonal blocks
        line_blocks(K.cell, K.off, self._zabove, lateral[0], lateral[2], lateral[3], lateral[5],
                    upper, ws["diag"])
        dinv, lfac = block_thomas_factor(ws["diag"], upper, ws["dinv"], ws["lfac"])
        if symmetric_gauss_seidel:
            y = ws["y"]

            def apply(v):
                x = np.empty((n, 3))
                line_sgs(dinv, lfac, upper, K.off, *lateral, v.reshape(-1, 3), y, x)
                return x.reshape(-1)

            return spla.LinearOperator((n3, n3), apply, dtype=float)

        def apply(v):
            return block_thomas_solve(dinv, lfac, upper, v.reshape(-1, 3)).reshape(-1)

        return spla.LinearOperator((n3, n3), apply, dtype=float)

    def _project(self, K, b, x0, atol):
        """Minimal-residual start ``x0 + Σ c_j V_j``, V_j = past solutions − x0.

        Returns (start, its residual b − K start, products). x0 is kept when it already meets
        the stopping test (then the Krylov method returns it unchanged, as without a history).
        The residual of the new start is r0 − W c, from products already made."""
        r0 = b - K @ x0
        past = [p for p in self._past if not np.array_equal(p, x0)]  # usually x0 is the last
        if not past or np.linalg.norm(r0) <= atol:
            return x0, r0, 1
        V = np.array(past)  # (k, 3N), one row per past solution
        V -= x0
        W = K @ V  # rows K V_j, one pass over the blocks
        G = W @ W.T
        # normal equations on unit rows (k ≤ 10: cheap); lstsq's cutoff drops dependent ones
        d = np.sqrt(np.diag(G))
        d[d == 0] = 1.0
        c, *_ = np.linalg.lstsq(G / np.outer(d, d), (W @ r0) / d, rcond=1e-12)
        return x0 + (c / d) @ V, r0 - (c / d) @ W, len(V) + 1

    def _krylov(self, K, b, x0, bnorm):
        n3 = K.shape[0]
        count = [0, 0]  # solver iterations (as the method counts them), matrix-vector products
        if self.history and self._past:
            x0, r0, nprod = self._project(K, b, x0, self.rtol * bnorm)
        else:
            r0, nprod = b - K @ x0, 1
        count[1] += nprod
        # a start that already meets the test builds no preconditioner (with one solve per LLG
        # step the last s meets rtol 1e-3 about half the time)
        if float(np.linalg.norm(r0)) <= self.rtol * bnorm:
            self.stats["matvecs"] = self.stats.get("matvecs", 0) + count[1]
            return np.array(x0, dtype=float), 0
        M = self._precond(K)

        def matvec(v):
            count[1] += 1
            return K @ v

        A = spla.LinearOperator((n3, n3), matvec, dtype=float)

        def cb(_):
            count[0] += 1

        # stop on the true residual relative to ‖b‖ (atol makes it independent of x0)
        atol = self.rtol * bnorm
        x, info = x0, -1
        if self.method == "bicgstab":
            Mv = (lambda v: v) if M is None else M.matvec
            r = r0
            if self.gmres_steps:
                ws = self._workspace
                k = self.gmres_steps
                if ws.get("gmres_V") is None or ws["gmres_V"].shape != (k + 1, n3):
                    ws.update(gmres_V=np.empty((k + 1, n3)), gmres_Z=np.empty((k, n3)))
                x0, r, its, done = gmres_short(lambda v: K @ v, Mv, r0, x0, atol,
                                               ws["gmres_V"], ws["gmres_Z"])
                count[0] += its
                count[1] += its
                if done:
                    self.stats["matvecs"] = self.stats.get("matvecs", 0) + count[1]
                    return x0, count[0]
            x, its, nprod, info = bicgstab(lambda v: K @ v, Mv, b, x0, atol, self.maxiter, r0=r)
            count[0] += its
            count[1] += nprod
            if info < 0:  # breakdown (moment model, rotated fluxes): continue with LGMRES
                self.stats["fallbacks"] = self.stats.get("fallbacks", 0) + 1
        elif self.method == "gmres":
            x, info = spla.gmres(
                A,
                b,
                x0=x0,
                rtol=0.0,
                atol=atol,
                restart=50,
                maxiter=self.maxiter,
                M=M,
                callback=cb,
                callback_type="pr_norm",
            )
        if info != 0:  # lgmres, or continuing after a breakdown
            x, info = spla.lgmres(
                A, b, x0=x, rtol=0.0, atol=atol, maxiter=self.maxiter, M=M, callback=cb
            )
        if info != 0:
            res = float(np.linalg.norm(b - K @ x)) / bnorm
            raise RuntimeError(
                f"transport {self.method} solve did not converge (info={info}, relative residual "
                f"{res:.2e} > rtol {self.rtol:.1e}); try method='splu' or a larger maxiter"
            )
        self.stats["matvecs"] = self.stats.get("matvecs", 0) + count[1]
        return x, count[0]
