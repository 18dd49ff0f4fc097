"""Zhang-Levy-Fert spin diffusion model on the finite-volume operator of :mod:`.fv`.

    ∂s/∂t = −∇·J_s − s/τ_sf + ω_J m × s,                       τ_sf = λ_sf²/(2D0), ω_J = 2D0/λ_J²
    J_a   = sign_e (β μB/|e|) j_a m − 2D0 (I − ββ' m mᵀ) ∂_a s   (spin flux along axis a)

(docs/theory/transport.md, diffusion model). Per conducting cell i: D_i = 2D0 (I − ββ' m_i m_iᵀ)
[m²/s], drift d_i[a] = sign_e β μB j_a m_i/|e| [A/s] and R_i = I/τ_sf − ω_J [m_i]_× [1/s]
(``[m]_× v = m × v``). In non-magnetic cells m = 0, so only diffusion and spin flip remain.

Sign convention (docs/theory/transport.md, signs and conventions): positive j is conventional
current along +z (from FM1 at low z to FM2); electrons, which carry the spin, move the other way, so
the drift is J_s = −(β μB/|e|) m ⊗ j: ``sign_e = -1`` (default). ``sign_e = +1`` is the e > 0 form
of the magnum.fe documentation, where s at an FM→NM interface (current FM→NM) is parallel to m.

Non-uniform current (a :class:`~.current_field.CurrentField`, e.g. from the charge solver of
:mod:`.charge`): the drift at the face f between cells L and R uses that face's own normal current
j_f in both half cells, d_L = j_f q_L m_L and d_R = j_f q_R m_R, in the same two-point flux as the
uniform case (docs/theory/transport.md, charge current). Since the charge solution's j_f is
divergence-free cell by cell, a uniform m carries no spurious spin source, and a uniform field
(j_f = j_a on every face along a) gives exactly the uniform-current system. A uniform vector keeps
the original (fastest) path.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np
import scipy.sparse as sp

from ..constants import E_CHARGE, MU_B
from ..materials import Sample
from .current_field import CurrentField, drift_rhs_general, drift_rhs_harmonic
from .fv import FVOperator, TransportMesh


def current_vector(current_density: float | Sequence[float]) -> np.ndarray:
    """A scalar current density [A/m²] means ``j e_z``; a 3-vector is taken as is."""
    j = np.asarray(current_density, dtype=float)
    if j.shape == ():
        j = np.array([0.0, 0.0, float(j)])
    if j.shape != (3,) or not np.all(np.isfinite(j)):
        raise ValueError(
            f"current_density = {current_density!r}: need a finite scalar (along z) "
            "or 3-vector in A/m^2"
        )
    return j


def cross_matrix(m: np.ndarray) -> np.ndarray:
    """``[m]_×`` for vectors ``(3, N)`` -> ``(3, 3, N)`` with ``[m]_× v = m × v``."""
    out = np.zeros((3, 3, *m.shape[1:]))
    out[0, 1] = -m[2]
    out[0, 2] = m[1]
    out[1, 0] = m[2]
    out[1, 2] = -m[0]
    out[2, 0] = -m[1]
    out[2, 1] = m[0]
    return out


@numba.njit(cache=True)
def _cell_kernel(m_flat, src, magnetic, two_d0, bbp, omega_j, inv_tau_sf, q, j, a, D, drift, R):
    """Cell-major ``(N, 3, 3)`` D, drift (``drift[i, axis]``) and R of :meth:`coefficients` in
    one pass (the NumPy version allocates ~20 temporaries). m of transport cell i is
    ``m_flat[src[i]]`` (m on the sample grid as ``(cells, 3)``), zero where not ``magnetic``.
    ``a < 0``: ZLF; ``a ≥ 0``: fluxes multiplied by the moment model's A(m)^{-T}
    (:func:`.moment.a_inverse_transpose`)."""
    X = np.empty((3, 3))
    T = np.empty((3, 3))
    tmp = np.empty((3, 3))
    mc = np.empty((1, 3))
    for i in range(src.shape[0]):
        if magnetic[i]:
            mc[0, 0], mc[0, 1], mc[0, 2] = m_flat[src[i], 0], m_flat[src[i], 1], m_flat[src[i], 2]
        else:
            mc[0, 0], mc[0, 1], mc[0, 2] = 0.0, 0.0, 0.0
        m0, m1, m2 = mc[0, 0], mc[0, 1], mc[0, 2]
        X[0, 0], X[0, 1], X[0, 2] = 0.0, -m2, m1
        X[1, 0], X[1, 1], X[1, 2] = m2, 0.0, -m0
        X[2, 0], X[2, 1], X[2, 2] = -m1, m0, 0.0
        c = two_d0[i] * bbp[i]
        for r in range(3):
            for k in range(3):
                D[i, r, k] = -c * mc[0, r] * mc[0, k]
                R[i, r, k] = -omega_j[i] * X[r, k]
            D[i, r, r] += two_d0[i]
            R[i, r, r] += inv_tau_sf[i]
            for ax in range(3):
                drift[i, ax, r] = j[ax] * q[i] * mc[0, r]
        if a >= 0.0:
            den = 1.0 + a * a * (m0 * m0 + m1 * m1 + m2 * m2)
            for r in range(3):
                for k in range(3):
                    T[r, k] = (a * X[r, k] + a * a * mc[0, r] * mc[0, k]) / den
                T[r, r] += 1.0 / den
            for r in range(3):
                for k in range(3):
                    tmp[r, k] = T[r, 0] * D[i, 0, k] + T[r, 1] * D[i, 1, k] + T[r, 2] * D[i, 2, k]
            for ax in range(3):
                d0, d1, d2 = drift[i, ax, 0], drift[i, ax, 1], drift[i, ax, 2]
                for r in range(3):
                    drift[i, ax, r] = T[r, 0] * d0 + T[r, 1] * d1 + T[r, 2] * d2
            for r in range(3):
                for k in range(3):
                    D[i, r, k] = tmp[r, k]


@numba.njit(cache=True)
def _cell_inverse_kernel(m_flat, src, magnetic, two_d0, bbp, omega_j, inv_tau_sf, q, a, E, ev, R):
    """What the face assembly needs, in closed form and one pass: E_i = D̂_i⁻¹, the drift
    ``ev`` with E_i d̂_i[axis] = j_axis ev_i, and R_i (arguments as in :func:`_cell_kernel`).

    D = 2D0 (I − ββ' m mᵀ) gives D⁻¹ = (I + κ m mᵀ)/(2D0), κ = ββ'/(1 − ββ'|m|²)
    (Sherman-Morrison); the moment model's D̂ = A^{-T} D with A = I + a[m]_× has
    D̂⁻¹ = D⁻¹ Aᵀ = (I + κ m mᵀ − a[m]_×)/(2D0) (mᵀ[m]_× = 0), and since Aᵀ m = m both models
    have E d̂ = D⁻¹ d = j q m / (2D0 (1 − ββ'|m|²)). No D, no drift array, no 3×3 inversion.
    Returns False, leaving the arrays partly filled, if some 1 − ββ'|m|² ≤ 1e-12 (D singular)."""
    for i in range(src.shape[0]):
        if magnetic[i]:
            m0, m1, m2 = m_flat[src[i], 0], m_flat[src[i], 1], m_flat[src[i], 2]
        else:
            m0, m1, m2 = 0.0, 0.0, 0.0
        den = 1.0 - bbp[i] * (m0 * m0 + m1 * m1 + m2 * m2)
        if not den > 1e-12:
            return False
        c = 1.0 / two_d0[i]
        k = c * bbp[i] / den
        ca = c * a if a > 0.0 else 0.0
        E[i, 0, 0] = c + k * m0 * m0
        E[i, 0, 1] = k * m0 * m1 + ca * m2
        E[i, 0, 2] = k * m0 * m2 - ca * m1
        E[i, 1, 0] = k * m1 * m0 - ca * m2
        E[i, 1, 1] = c + k * m1 * m1
        E[i, 1, 2] = k * m1 * m2 + ca * m0
        E[i, 2, 0] = k * m2 * m0 + ca * m1
        E[i, 2, 1] = k * m2 * m1 - ca * m0
        E[i, 2, 2] = c + k * m2 * m2
        g = q[i] * c / den
        ev[i, 0, 0], ev[i, 0, 1], ev[i, 0, 2] = g * m0, g * m1, g * m2
        w, t = omega_j[i], inv_tau_sf[i]
        R[i, 0, 0], R[i, 0, 1], R[i, 0, 2] = t, w * m2, -w * m1
        R[i, 1, 0], R[i, 1, 1], R[i, 1, 2] = -w * m2, t, w * m0
        R[i, 2, 0], R[i, 2, 1], R[i, 2, 2] = w * m1, -w * m0, t
    return True


class DiffusionModel:
    """ZLF spin diffusion on the conducting cells of a sample.

    Parameters
    ----------
    sample : Sample; per region D0 [m²/s], beta, beta_prime, lambda_sf [m] and the s-d coupling
        (``effective_lambda_J``, ``omega_J``) are used. Cells with D0 = 0 are not in the domain.
    current_density : charge current density [A/m²]: uniform, a scalar (along z) or 3-vector
        (the fast path); or non-uniform, a :class:`~.current_field.CurrentField` (e.g. from
        :class:`~.charge.ChargeSolver`) or a cell array, on the sample grid or the transport
        mesh (``vshape``); see :meth:`as_current` and the module docstring
    bc : outer boundary condition of the conducting domain, ``"N"`` or ``"Z"`` (see :mod:`.fv`)
    z_refine : transport sub-cells per magnetization cell along z
    sign_e : sign of the carrier charge in the drift term (-1: electrons;
        docs/theory/transport.md, signs and conventions)
    """

    name = "diffusion"
    _flux_a = -1.0  # no flux transform (the moment model sets its a ≥ 0)

    def __init__(
        self,
        sample: Sample,
        current_density: float | Sequence[float] = 0.0,
        *,
        bc: str = "N",
        z_refine: int = 1,
        sign_e: float = -1.0,
    ):
        if sign_e not in (-1, 1, -1.0, 1.0):
            raise ValueError(f"sign_e = {sign_e!r}: allowed values are -1 and +1")
        self.sample = sample
        self.mesh = TransportMesh(sample, z_refine)
        self.op = FVOperator(self.mesh, bc)
        self._field_cache: tuple | None = None
        self.current = self.as_current(current_density)
        self.sign_e = float(sign_e)
        mesh = self.mesh
        d0 = mesh.cell_param("D0")
        lsf = mesh.cell_param("lambda_sf")
        self._two_d0 = 2.0 * d0
        self._inv_tau_sf = np.where(np.isfinite(lsf), 2.0 * d0 / lsf**2, 0.0)
        magnetic = mesh.cell_param("Ms") > 0
        self._magnetic = magnetic[:, None]  # (N, 1) mask for prolonged m
        self._magnetic_cells = np.ascontiguousarray(magnetic)
        self._src = mesh.coarse_flat  # each transport cell's magnetization cell in m (flat)
        self._omega_j = np.where(magnetic, mesh.cell_param("omega_J"), 0.0)
        self._bbp = np.where(magnetic, mesh.cell_param("beta") * mesh.cell_param("beta_prime"), 0.0)
        self._q = np.where(magnetic, self.sign_e * mesh.cell_param("beta") * MU_B / E_CHARGE, 0.0)

    @property
    def ncells(self) -> int:
        return self.mesh.ncells

    def cell_m(self, m: np.ndarray) -> np.ndarray:
        """m on the conducting transport cells, ``(3, N)`` (zero in non-magnetic cells)."""
        return (self.mesh.prolong(m) * self._magnetic).T

    def coefficients(
        self, mc: np.ndarray, current: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-cell ``(D, drift, R)``, each ``(3, 3, N)``, for m on the cells ``mc`` ``(3, N)``.

        ``drift[a, :, i]`` is the drift spin flux of cell i along axis a; see the module docstring.
        """
        j = self.current if current is None else self.as_current(current)
        # a field: its cell-centred j, (3, 1, N) (the assembly uses the face currents instead)
        jc = self._field_arrays(j)[2].T[:, None, :] if isinstance(j, CurrentField) else None
        D = -(self._two_d0 * self._bbp) * (mc[:, None, :] * mc[None, :, :])
        R = -self._omega_j * cross_matrix(mc)
        for c in range(3):
            D[c, c] += self._two_d0
            R[c, c] += self._inv_tau_sf
        qm = self._q * mc
        drift = (j[:, None, None] if jc is None else jc) * qm[None, :, :]
        return D, drift, R

    def system(
        self, m: np.ndarray, current: np.ndarray | None = None, shift: float = 0.0
    ) -> tuple[sp.bsr_matrix, np.ndarray]:
        """Matrix K and right-hand side b of ``(shift + K) s = b`` for m on the sample grid."""
        if isinstance(self.current if current is None else self.as_current(current),
                      CurrentField):
            cell, off, b = self.system_blocks(m, current, shift)
            return self.op.to_bsr(cell, off), b
        D, drift, R = self.coefficients(self.cell_m(m), current)
        return self.op.assemble(D, drift, R, shift)

    def system_blocks(
        self, m: np.ndarray, current: np.ndarray | None = None, shift: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(cell, off, b)`` of the same system, see :meth:`.fv.FVOperator.assemble_blocks`."""
        j = self.current if current is None else self.as_current(current)
        n = self.ncells
        m_flat = np.ascontiguousarray(m).reshape(-1, 3)
        if isinstance(j, CurrentField):
            return self._system_blocks_field(m_flat, j, shift)
        use_drift = bool(np.any(j))
        E, ev, R = np.empty((n, 3, 3)), np.empty((n, 1, 3)), np.empty((n, 3, 3))
        if _cell_inverse_kernel(m_flat, self._src, self._magnetic_cells, self._two_d0,
                                self._bbp, self._omega_j, self._inv_tau_sf, self._q,
                                self._flux_a, E, ev, R):
            bdrift = None
            if use_drift:  # d̂ = d = j q m at the boundary cells (Aᵀ m = m)
                op = self.op
                bdrift = np.zeros((op.bcell.size, 3))
                sel = np.flatnonzero(j[op.baxis] * self._q[op.bcell])  # faces with a drift
                cells = op.bcell[sel]
                bdrift[sel] = ((j[op.baxis[sel]] * self._q[cells])[:, None]
                               * m_flat[self._src[cells]])
            return self.op.assemble_inverses(E, ev if use_drift else None, j, R, shift, bdrift)
        # ββ'|m|² = 1 somewhere (D singular): D itself and the general two-point flux
        D, drift = np.empty((n, 3, 3)), np.empty((n, 3, 3))
        _cell_kernel(m_flat, self._src, self._magnetic_cells, self._two_d0, self._bbp,
                     self._omega_j, self._inv_tau_sf, self._q, j, self._flux_a, D, drift, R)
        return self.op.assemble_cells(D, drift if use_drift else None, R, shift)

    # -- non-uniform current ------------------------------------------------------------------
    def as_current(self, value) -> np.ndarray | CurrentField:
        """A current density [A/m²] as this model takes it: a uniform 3-vector (scalar: along
        z), or a :class:`CurrentField` on the transport mesh. Cell arrays (``vshape`` of the
        sample grid or of the transport mesh) become fields by :meth:`CurrentField.from_cells`;
        fields on the sample grid are refined along z (:meth:`CurrentField.refined_z`)."""
        if isinstance(value, CurrentField):
            field = value
        else:
            arr = np.asarray(value, dtype=float) if not np.isscalar(value) else None
            if arr is None or arr.ndim <= 1:
                return current_vector(value)
            grids = {self.sample.grid.vshape: self.sample.grid, self.mesh.grid.vshape:
                     self.mesh.grid}
            if arr.shape not in grids:
                raise ValueError(f"current density field of shape {arr.shape}: expected "
                                 f"{self.sample.grid.vshape} (sample grid) or "
                                 f"{self.mesh.grid.vshape} (transport mesh)")
            field = CurrentField.from_cells(grids[arr.shape], arr)
        g, fine = field.grid, self.mesh.grid
        if g.n == fine.n:
            return field
        sg = self.sample.grid
        if g.n == sg.n:
            return field.refined_z(self.mesh.z_refine)
        raise ValueError(f"current field on a grid of {g.n} cells: expected {sg.n} (sample grid) "
                         f"or {fine.n} (transport mesh)")

    def _field_arrays(self, field: CurrentField) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(j on each interior face of :attr:`op`, j on each boundary face, cell-centred j
        ``(N, 3)``) of a field on the transport mesh [A/m²]; the last field's are cached."""
        if self._field_cache is not None and self._field_cache[0] is field:
            return self._field_cache[1]
        op, mesh = self.op, self.mesh
        if not hasattr(self, "_face_lookup"):
            pos = np.argwhere(mesh.conducting)  # unknown i sits at pos[i] (C order)
            interior = field.face_index(pos[op.L], op.face_axis, np.ones(op.nfaces, bool))
            bsign = np.asarray(op._bdiv[op.bcell, np.arange(op.bcell.size)]).ravel()
            boundary = field.face_index(pos[op.bcell], op.baxis, bsign > 0)
            self._face_lookup = (interior, boundary)
        flat = field.flat_faces()
        arrays = (np.ascontiguousarray(flat[self._face_lookup[0]]),
                  flat[self._face_lookup[1]], field.cell[mesh.conducting])
        self._field_cache = (field, arrays)
        return arrays

    def _system_blocks_field(self, m_flat: np.ndarray, field: CurrentField, shift: float):
        """:meth:`system_blocks` for a non-uniform current: the matrix without drift, then the
        drift of each face's own current (module docstring, non-uniform current)."""
        n, op = self.ncells, self.op
        jf, jb, _ = self._field_arrays(field)
        E, ev, R = np.empty((n, 3, 3)), np.empty((n, 1, 3)), np.empty((n, 3, 3))
        if _cell_inverse_kernel(m_flat, self._src, self._magnetic_cells, self._two_d0,
                                self._bbp, self._omega_j, self._inv_tau_sf, self._q,
                                self._flux_a, E, ev, R):
            cell, off, b = op.assemble_inverses(E, None, np.ones(3), R, shift, None)
            drift_rhs_harmonic(off, ev, jf, op.L, op.R, op.face_h, b.reshape(-1, 3))
        else:
            D, drift = np.empty((n, 3, 3)), np.empty((n, 3, 3))
            _cell_kernel(m_flat, self._src, self._magnetic_cells, self._two_d0, self._bbp,
                         self._omega_j, self._inv_tau_sf, self._q, np.zeros(3), self._flux_a,
                         D, drift, R)
            cell, off, b = op.assemble_cells(D, None, R, shift)
            v = self._q[:, None] * m_flat[self._src] * self._magnetic_cells[:, None]
            drift_rhs_general(D, np.ascontiguousarray(v), jf, op.L, op.R, op.face_h,
                              b.reshape(-1, 3))
        if self.op.bc == "N" and op.bcell.size and np.any(jb):
            cells = op.bcell
            bdrift = ((jb * self._q[cells])[:, None] * m_flat[self._src[cells]]
                      * self._magnetic_cells[cells, None])
            b -= (op._bdiv @ bdrift).reshape(-1)
        return cell, off, b

    def interface_values(self, m: np.ndarray, s: np.ndarray, current=None) -> np.ndarray:
        """s at the interior faces (two-point reconstruction), ``(nfaces, 3)`` [A/m]."""
        D, drift, _ = self.coefficients(self.cell_m(m), current)
        return self.op.face_values(s, D, drift)
