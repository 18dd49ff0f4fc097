"""Local spin-transfer torques: Zhang-Li (current in plane) and Slonczewski (fixed polarizer).

Both are given by their authors in the Gilbert form ``dm/dt = −γ0 m×H + α m×dm/dt + T`` and
implement the :class:`~spintorque.dynamics.llg.Torque` protocol: ``rate(m, t, out)`` returns their
contribution to dm/dt [1/s] **in the explicit Landau-Lifshitz form** of ``LLG.rhs``. Since ``m×``
of the Gilbert equation gives ``(1+α²) dm/dt = A + α m×A`` for ``A = −γ0 m×H + T`` (``T ⊥ m``),
each torque contributes ``(T + α m×T)/(1+α²)``. Conventions, signs and their derivation:
``docs/theory/local_torques.md``.

Zhang-Li (mumax3 / OOMMF sign; muMAG SP5)::

    T = −(u·∇)m + ξ m×(u·∇)m,   u = −μB P j /(e Ms) [/(1+ξ²) in mumax3's convention]
    rate = [(1+αξ) m×(m×D) + (ξ−α) m×D]/(1+α²),   D = (u·∇)m

Slonczewski (OOMMF Oxs_SpinXferEvolve, mumax3)::

    T = β [ε m×(p×m) − ε′ m×p],   β = ħ γ0 J /(μ0 e d Ms) [1/s],
    ε = P Λ² / ((Λ²+1) + (Λ²−1) m·p)
    rate = β [(ε + αε′) m×(p×m) − (ε′ − αε) m×p]/(1+α²)

Positive J drives m towards p (electrons flow from the fixed layer into the free layer).
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

from ..constants import E_CHARGE, HBAR, MU0, MU_B
from ..materials import Sample
from ..mesh import face_slices
from .llg import cross

ZHANG_LI_CONVENTIONS = ("mumax3", "oommf")
THICKNESS_CONVENTIONS = ("layer", "cell")  # Slonczewski's d: the layer (mumax3) or a cell (OOMMF)
DERIVATIVE_BOUNDARIES = ("mirror", "one-sided")


def _finite(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} = {value!r} must be finite")
    return value


def _vector(name: str, value: Sequence[float], unit: bool = False) -> np.ndarray:
    vec = np.asarray(value, dtype=float)
    if vec.shape != (3,) or not np.all(np.isfinite(vec)):
        raise ValueError(f"{name} = {value!r} must be a finite 3-vector")
    if unit:
        norm = float(np.linalg.norm(vec))
        if not norm > 0:
            raise ValueError(f"{name} = {value!r} must be a nonzero 3-vector")
        vec = vec / norm
    return vec


def _current_field(sample: Sample, value) -> np.ndarray:
    """A current density [A/m²]: a uniform 3-vector, or a per-cell field ``grid.vshape`` (from an
    array or an object with a ``cell`` array, such as a ``CurrentField``)."""
    value = getattr(value, "cell", value)
    arr = np.asarray(value, dtype=float)
    if arr.ndim <= 1:
        return _vector("current_density", value)
    if arr.shape != sample.grid.vshape or not np.all(np.isfinite(arr)):
        raise ValueError(f"current_density: a per-cell field must be finite with shape "
                         f"{sample.grid.vshape}, got shape {arr.shape}")
    return arr


def _per_cell(sample: Sample, key: str, value: float | None) -> np.ndarray:
    """The material parameter ``key`` per cell, or ``value`` everywhere if given."""
    if value is None:
        return sample.param(key)
    return np.full(sample.grid.shape, _finite(key, value))


def _alpha(sample: Sample, alpha: float | None) -> np.ndarray:
    if alpha is not None and not (np.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha = {alpha!r} must be finite and >= 0")
    return _per_cell(sample, "alpha", alpha)


@numba.njit(cache=True)
def _zhang_li_kernel(m, cp, cm, c1, c2, out):
    """Fused (u·∇)m and LL mixing on ``(nx, ny, nz, 3)`` arrays. ``cp[d]``, ``cm[d]``: per-cell
    coefficients [1/s] of the forward and backward differences along axis d (zero across a
    missing face), so D = Σ_d cp[d]·(m_next − m) + cm[d]·(m − m_prev)."""
    nx, ny, nz = m.shape[0], m.shape[1], m.shape[2]
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                m0, m1, m2 = m[i, j, k, 0], m[i, j, k, 1], m[i, j, k, 2]
                d0 = d1 = d2 = 0.0
                for ax in range(3):
                    f = cp[ax, i, j, k]
                    g = cm[ax, i, j, k]
                    if f != 0.0:
                        i1, j1, k1 = i + (ax == 0), j + (ax == 1), k + (ax == 2)
                        d0 += f * (m[i1, j1, k1, 0] - m0)
                        d1 += f * (m[i1, j1, k1, 1] - m1)
                        d2 += f * (m[i1, j1, k1, 2] - m2)
                    if g != 0.0:
                        i1, j1, k1 = i - (ax == 0), j - (ax == 1), k - (ax == 2)
                        d0 += g * (m0 - m[i1, j1, k1, 0])
                        d1 += g * (m1 - m[i1, j1, k1, 1])
                        d2 += g * (m2 - m[i1, j1, k1, 2])
                a0 = m1 * d2 - m2 * d1  # m × D
                a1 = m2 * d0 - m0 * d2
                a2 = m0 * d1 - m1 * d0
                p, q = c1[i, j, k], c2[i, j, k]
                out[i, j, k, 0] = p * (m1 * a2 - m2 * a1) + q * a0
                out[i, j, k, 1] = p * (m2 * a0 - m0 * a2) + q * a1
                out[i, j, k, 2] = p * (m0 * a1 - m1 * a0) + q * a2


@numba.njit(cache=True)
def _slonczewski_kernel(m, p, pol, lam2, eps_prime, b, alpha, out):
    """Fused β[(ε+αε′) m×(p×m) − (ε′−αε) m×p]/(1+α²) on flat (N, 3) arrays; b = β/(1+α²)."""
    p0, p1, p2 = p[0], p[1], p[2]
    for i in range(m.shape[0]):
        m0, m1, m2 = m[i, 0], m[i, 1], m[i, 2]
        mp = m0 * p0 + m1 * p1 + m2 * p2
        eps = pol[i] * lam2[i] / ((lam2[i] + 1.0) + (lam2[i] - 1.0) * mp)
        cd = b[i] * (eps + alpha[i] * eps_prime[i])
        cf = b[i] * (eps_prime[i] - alpha[i] * eps)
        x0 = p1 * m2 - p2 * m1  # p × m
        x1 = p2 * m0 - p0 * m2
        x2 = p0 * m1 - p1 * m0
        out[i, 0] = cd * (m1 * x2 - m2 * x1) + cf * x0
        out[i, 1] = cd * (m2 * x0 - m0 * x2) + cf * x1
        out[i, 2] = cd * (m0 * x1 - m1 * x0) + cf * x2


class ZhangLi:
    """Zhang-Li torque of a current density flowing in the magnet.

    Parameters
    ----------
    sample : the sample; the torque acts in its magnetic cells (per-cell Ms, α, P)
    current_density : (jx, jy, jz) [A/m²], uniform, conventional current; or a per-cell field
        ``grid.vshape`` [A/m²] (e.g. ``ChargeSolution.current_density``), or a
        :class:`~spintorque.transport.current_field.CurrentField` on the sample grid (its
        cell-centred values)
    P : spin polarization; None takes each material's ``P``
    xi : non-adiabaticity ξ (dimensionless)
    convention : ``"mumax3"`` divides u by (1+ξ²) (what the diffusion model's local limit gives,
        docs/theory/parameters.md, the s-d coupling); ``"oommf"`` does not (the muMAG SP5
        specification, u = 72.35 m/s for P·j = 1e12 A/m²)
    boundary : derivative at Neumann boundaries and next to non-magnetic cells: ``"mirror"``
        (ghost value = the cell itself, ∂m/∂ν = 0, as mumax3) or ``"one-sided"``
    alpha : override of the materials' damping (must match the ``LLG``'s ``alpha``)
    """

    name = "zhang_li"

    def __init__(
        self,
        sample: Sample,
        current_density: Sequence[float] | np.ndarray,
        P: float | None = None,
        xi: float = 0.0,
        convention: str = "mumax3",
        boundary: str = "mirror",
        alpha: float | None = None,
    ):
        if convention not in ZHANG_LI_CONVENTIONS:
            raise ValueError(f"convention = {convention!r}; allowed: {ZHANG_LI_CONVENTIONS}")
        if boundary not in DERIVATIVE_BOUNDARIES:
            raise ValueError(f"boundary = {boundary!r}; allowed: {DERIVATIVE_BOUNDARIES}")
        self.sample = sample
        self.current_density = _current_field(sample, current_density)
        self.xi = _finite("xi", xi)
        self.convention = convention
        grid = sample.grid
        magnetic = sample.magnetic
        ms = sample.param("Ms")
        pol = _per_cell(sample, "P", P)
        a = _alpha(sample, alpha)
        scale = 1.0 + self.xi**2 if convention == "mumax3" else 1.0
        # u = −μB P j/(e Ms): the magnetization pattern moves with the electrons (against j)
        with np.errstate(divide="ignore", invalid="ignore"):
            speed = np.where(magnetic, -MU_B * pol / (E_CHARGE * np.where(magnetic, ms, 1.0)), 0.0)
        self.u = speed[..., None] * self.current_density / scale
        """Spin-drift velocity u [m/s] per cell, shape ``grid.vshape`` (zero where non-magnetic)."""
        c1 = (1.0 + a * self.xi) / (1.0 + a * a) * magnetic
        c2 = (self.xi - a) / (1.0 + a * a) * magnetic
        self._c1, self._c2 = c1[..., None], c2[..., None]
        self._c1_flat, self._c2_flat = np.ascontiguousarray(c1), np.ascontiguousarray(c2)
        self._cp = np.zeros((3, *grid.shape))  # kernel coefficients, see _zhang_li_kernel
        self._cm = np.zeros((3, *grid.shape))
        # per axis: face weights (1 across a face between two magnetic cells, else 0) and the
        # per-cell divisor h·(number of faces used) of the difference quotient
        self._axes = []
        for axis in range(3):
            if grid.n[axis] < 2 or not np.any(self.u[..., axis]):
                continue
            lo, hi = face_slices(axis)
            face = (magnetic[lo] & magnetic[hi]).astype(float)
            nfaces = np.zeros(grid.shape)
            nfaces[lo] += face
            nfaces[hi] += face
            h = grid.cell[axis]
            if boundary == "mirror":
                divisor = np.full(grid.shape, 2.0 * h)
            else:
                divisor = h * np.maximum(nfaces, 1.0)
            coef = self.u[..., axis] / divisor
            # D_i gets coef_i·(f_{i+1/2} + f_{i−1/2}): fold the face weight into both sides
            bufs = (np.zeros((*face.shape, 3)), np.zeros((*face.shape, 3)))
            coef_lo, coef_hi = coef[lo] * face, coef[hi] * face
            self._cp[axis][lo] = coef_lo
            self._cm[axis][hi] = coef_hi
            self._axes.append((lo, hi, coef_lo[..., None], coef_hi[..., None], bufs))
        self._d = np.zeros(grid.vshape)
        self._mxd = np.zeros(grid.vshape)
        self._mxmxd = np.zeros(grid.vshape)

    def advective_derivative(self, m: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """D = (u·∇)m [1/s] by central differences, shape ``grid.vshape``."""
        out = np.zeros_like(m) if out is None else out
        out[...] = 0.0
        for lo, hi, coef_lo, coef_hi, (diff, tmp) in self._axes:
            np.subtract(m[hi], m[lo], out=diff)
            out[lo] += np.multiply(coef_lo, diff, out=tmp)
            out[hi] += np.multiply(coef_hi, diff, out=tmp)
        return out

    def rate(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """LL-form contribution [(1+αξ) m×(m×D) + (ξ−α) m×D]/(1+α²) to dm/dt [1/s]."""
        if m.flags.c_contiguous and out.flags.c_contiguous and m.dtype == out.dtype == float:
            _zhang_li_kernel(m, self._cp, self._cm, self._c1_flat, self._c2_flat, out)
            return out
        return self.rate_numpy(m, t, out)

    def rate_numpy(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """Same as :meth:`rate` with NumPy array operations (any memory layout)."""
        d = self.advective_derivative(m, out=self._d)
        mxd = cross(m, d, out=self._mxd)
        mxmxd = cross(m, mxd, out=self._mxmxd)
        np.multiply(self._c1, mxmxd, out=out)
        out += np.multiply(self._c2, mxd, out=self._d)
        return out


class Slonczewski:
    """Slonczewski torque of a current through a fixed polarizer into a free layer.

    Parameters
    ----------
    sample : the sample (per-cell Ms, α, γ0)
    current_density : J [A/m²] through the free layer; positive when electrons flow from the
        fixed layer into the free layer, which drives m towards p (OOMMF's sign); a number, or
        per cell ``grid.shape`` [A/m²] (a non-uniform current, e.g. ``−j_z`` of a charge
        solution for a fixed layer below the free layer)
    p : fixed-layer polarization direction (normalized here)
    P, Lambda, eps_prime : polarization, asymmetry Λ > 0 and field-like ε′; None takes each
        material's value
    thickness : free-layer thickness d [m]; None: by ``thickness_convention``
    thickness_convention : with ``thickness`` None, ``"layer"`` (default, mumax3's choice): d is
        the z extent of ``region`` (or of the magnetic cells); ``"cell"`` (OOMMF's
        Oxs_SpinXferEvolve): d is the cell size along z, so a layer of n cells feels an n×
        stronger torque than with ``"layer"``
    region : name of the region the torque acts in; None: all magnetic cells
    alpha : override of the materials' damping (must match the ``LLG``'s ``alpha``)
    """

    name = "slonczewski"

    def __init__(
        self,
        sample: Sample,
        current_density: float | np.ndarray,
        p: Sequence[float],
        P: float | None = None,
        Lambda: float | None = None,
        eps_prime: float | None = None,
        thickness: float | None = None,
        region: str | None = None,
        alpha: float | None = None,
        thickness_convention: str = "layer",
    ):
        if thickness_convention not in THICKNESS_CONVENTIONS:
            raise ValueError(f"thickness_convention = {thickness_convention!r}; allowed: "
                             f"{list(THICKNESS_CONVENTIONS)}")
        self.sample = sample
        if np.ndim(current_density) == 0:
            self.current_density = _finite("current_density", current_density)
        else:
            jc = np.asarray(current_density, dtype=float)
            if jc.shape != sample.grid.shape or not np.all(np.isfinite(jc)):
                raise ValueError(f"current_density: a per-cell field must be finite with shape "
                                 f"{sample.grid.shape}, got shape {jc.shape}")
            self.current_density = jc
        self.p = _vector("p", p, unit=True)
        grid = sample.grid
        if region is not None and region not in sample.names:
            raise ValueError(f"region = {region!r}: unknown; regions are {list(sample.names)}")
        active = sample.magnetic if region is None else sample.mask(region) & sample.magnetic
        if not active.any():
            raise ValueError(f"region = {region!r} has no magnetic cells for the torque to act on")
        if thickness is None and thickness_convention == "cell":
            thickness = grid.cell[2]
        elif thickness is None:
            ks = np.nonzero(active.any(axis=(0, 1)))[0]
            thickness = (ks[-1] - ks[0] + 1) * grid.cell[2]
        thickness = _finite("thickness", thickness)
        if not thickness > 0:
            raise ValueError(f"thickness = {thickness!r} m must be > 0")
        self.thickness = thickness
        lam = _per_cell(sample, "Lambda", Lambda)
        if np.any(active & ~(lam > 0)):
            raise ValueError(f"Lambda = {Lambda!r} must be > 0 (in every active cell)")
        self._pol = np.ascontiguousarray(np.where(active, _per_cell(sample, "P", P), 0.0))
        self._lam2 = np.ascontiguousarray(np.where(active, lam, 1.0) ** 2)
        eps_prime_cells = np.where(active, _per_cell(sample, "eps_prime", eps_prime), 0.0)
        self._eps_prime = np.ascontiguousarray(eps_prime_cells)
        ms = sample.param("Ms")
        a = _alpha(sample, alpha)
        # β = ħ γ0 J/(μ0 e d Ms) [1/s], folded with 1/(1+α²)
        beta = np.where(
            active,
            HBAR * sample.param("gamma0") * self.current_density
            / (MU0 * E_CHARGE * thickness * np.where(active, ms, 1.0)),
            0.0,
        )
        self.beta = beta
        """β = ħ γ0 J/(μ0 e d Ms) [1/s] per cell, shape ``grid.shape`` (zero outside)."""
        self._b = np.ascontiguousarray(beta / (1.0 + a * a))
        self._a = np.ascontiguousarray(a)
        self._pxm = np.zeros(grid.vshape)
        self._mxpxm = np.zeros(grid.vshape)

    def epsilon(self, m: np.ndarray) -> np.ndarray:
        """Efficiency ε = P Λ²/((Λ²+1) + (Λ²−1) m·p) per cell, shape ``grid.shape``."""
        mp = m @ self.p
        return self._pol * self._lam2 / ((self._lam2 + 1.0) + (self._lam2 - 1.0) * mp)

    def rate(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """LL-form contribution β[(ε+αε′) m×(p×m) − (ε′−αε) m×p]/(1+α²) to dm/dt [1/s]."""
        if m.flags.c_contiguous and out.flags.c_contiguous and m.dtype == out.dtype == float:
            flat = (self._pol, self._lam2, self._eps_prime, self._b, self._a)
            _slonczewski_kernel(
                m.reshape(-1, 3), self.p, *(x.reshape(-1) for x in flat), out.reshape(-1, 3)
            )
            return out
        return self.rate_numpy(m, t, out)

    def rate_numpy(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """Same as :meth:`rate` with NumPy array operations (any memory layout)."""
        eps = self.epsilon(m)
        c_damp = (self._b * (eps + self._a * self._eps_prime))[..., None]
        c_field = (self._b * (self._eps_prime - self._a * eps))[..., None]
        pxm = cross(self.p, m, out=self._pxm)
        mxpxm = cross(m, pxm, out=self._mxpxm)
        np.multiply(c_damp, mxpxm, out=out)
        out += c_field * pxm
        return out
