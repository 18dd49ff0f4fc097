"""Field terms and time functions the Ubermag translation needs beyond spintorque's own terms:
a Zeeman field given per cell with Ubermag's time dependences, the quartic uniaxial constant
``K2``, cubic anisotropy with per-cell axes, DMI of every crystal class Ubermag names (with
region-pair constants), OOMMF-style surface RKKY coupling between two regions on any axis, the
wrap-around links of periodic boundaries, and the LLG without precession.

Every term follows :class:`spintorque.fields.base.FieldTerm` (``name``, ``field(m, t, out)``
[A/m], ``energy(m, t)`` [J]) and adds ``density(m, t)`` [J/m^3] per cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..constants import MU0
from ..dynamics.llg import LLG, cross
from ..fields.cubic import CubicAnisotropy
from ..fields.dmi import _DMI, face_mean
from ..materials import Sample
from ..mesh import face_slices
from ._values import UbermagSystemError, attr

TimeFunction = Callable[[float], Any]


# -- time dependence ---------------------------------------------------------------------------
#: values a Zeeman time function returns (without the time derivatives that OOMMF's scripts add)
#: for each ``type`` of OOMMF's Oxs_TransformZeeman
TRANSFORM_TYPES = {"identity": 1, "diagonal": 3, "upper_triangular": 6, "general": 9}


def tcl_function(tcl_strings: dict[str, str], what: str) -> TimeFunction:
    """A Python function of t [s] from an Ubermag ``tcl_strings`` dict (``script`` defining the
    Tcl proc ``script_name``, called with ``script_args``; only ``total_time`` is supported):
    the proc runs in a Tcl interpreter (Python's ``tkinter.Tcl``, no display needed) and its
    result list is returned as floats."""
    for key in ("script", "script_name"):
        if key not in tcl_strings:
            raise UbermagSystemError(f"{what}: tcl_strings needs the key {key!r}")
    args = str(tcl_strings.get("script_args", "total_time")).split()
    if args != ["total_time"]:
        raise UbermagSystemError(f"{what}: tcl_strings script_args = {args}; spintorque "
                                 "supports 'total_time' only (a drive is one stage)")
    try:
        import tkinter
        interp = tkinter.Tcl()
    except Exception as exc:  # Python built without Tcl
        raise UbermagSystemError(f"{what}: tcl_strings need a Tcl interpreter, and this Python "
                                 f"has none ({exc}); give the time dependence as a Python "
                                 "function (func=..., dt=...)") from None
    try:
        interp.eval(tcl_strings["script"])
    except Exception as exc:
        raise UbermagSystemError(f"{what}: the Tcl script does not evaluate: {exc}") from None
    name = tcl_strings["script_name"]

    def f(t: float) -> list[float]:
        return [float(v) for v in interp.eval(f"{name} {float(t)!r}").split()]

    return f


class _Absolute:
    """A time function whose value is the field itself (OOMMF's Oxs_ScriptUZeeman: the script
    returns Hx, Hy, Hz [A/m] and their time derivatives; the term's H is not used)."""

    absolute = True

    def __init__(self, raw: Callable[[float], Any], what: str) -> None:
        self.raw, self.what = raw, what

    def __call__(self, t: float) -> np.ndarray:
        v = np.asarray(self.raw(t), float).ravel()
        if v.size not in (3, 6):
            raise UbermagSystemError(f"{self.what}: the Oxs_ScriptUZeeman script returned "
                                     f"{v.size} values; need 6 (Hx Hy Hz and their derivatives)")
        return v[:3]


def _matrix(v: np.ndarray, kind: str, what: str) -> Any:
    """The 3x3 transform (or a factor) from the values of an Oxs_TransformZeeman script of type
    ``kind`` (time derivatives, the second half, are not needed)."""
    k = TRANSFORM_TYPES[kind]
    if v.size not in (k, 2 * k):
        raise UbermagSystemError(f"{what}: the time function of type {kind!r} returned {v.size} "
                                 f"values; need {k} (and optionally their {k} time derivatives)")
    v = v[:k]
    if kind == "identity":
        return float(v[0])
    if kind == "diagonal":
        return np.diag(v)
    if kind == "upper_triangular":  # xx xy xz yy yz zz, symmetric
        xx, xy, xz, yy, yz, zz = v
        return np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
    return v.reshape(3, 3)


def time_function(term: Any, what: str) -> TimeFunction | None:
    """The time dependence of an Ubermag Zeeman, ZhangLi or Slonczewski term: None (constant),
    or a function of t [s] returning a factor or a 3x3 matrix applied to the term's value, or
    (Oxs_ScriptUZeeman scripts) the field itself (an object with ``absolute = True``).
    ``func='sin'``: sin(2πf(t−t0)); ``'sinc'``: sin(x)/x with x = 2πf(t−t0); a callable ``func``
    is called at each t (the ``dt`` it comes with is not needed: no sampling, no interpolation)
    and returns a factor, or 9 values (a 3x3 matrix, row by row; 18 with the derivatives);
    ``tcl_strings``: :func:`tcl_function`, read as OOMMF reads the script of its ``energy``
    (Oxs_ScriptUZeeman: the field; Oxs_TransformZeeman: a transform of ``type`` identity,
    diagonal, upper_triangular or general; ZhangLi and Slonczewski: a factor)."""
    func = attr(term, "func")
    tcl = attr(term, "tcl_strings")
    if func is None and attr(term, "wave") is not None:
        func = attr(term, "wave")
    if func is None and tcl is None:
        return None
    kind = None
    if tcl is not None:
        raw = tcl_function(tcl, what)
        energy = tcl.get("energy")
        if energy == "Oxs_ScriptUZeeman":
            return _Absolute(raw, what)
        if energy == "Oxs_TransformZeeman":
            kind = str(tcl.get("type", "identity"))
            if kind not in TRANSFORM_TYPES:
                raise UbermagSystemError(f"{what}: tcl_strings type = {kind!r}; allowed: "
                                         f"{list(TRANSFORM_TYPES)}")
        elif energy is not None:
            raise UbermagSystemError(f"{what}: tcl_strings energy = {energy!r}; allowed: "
                                     "'Oxs_ScriptUZeeman', 'Oxs_TransformZeeman'")
    elif isinstance(func, str):
        f, t0 = float(attr(term, "f", 0.0)), float(attr(term, "t0", 0.0))
        if func == "sin":
            def raw(t: float) -> float:
                return math.sin(2 * math.pi * f * (t - t0))
        elif func == "sinc":
            def raw(t: float) -> float:
                x = 2 * math.pi * f * (t - t0)
                return 1.0 if x == 0 else math.sin(x) / x
        else:
            raise UbermagSystemError(f"{what}: func = {func!r}; allowed: 'sin', 'sinc' or a "
                                     "callable")
    elif callable(func):
        raw = func
    else:
        raise UbermagSystemError(f"{what}: func = {func!r} is not callable")

    def shaped(t: float) -> Any:
        v = np.asarray(raw(t), float).ravel()
        if kind is not None:
            return _matrix(v, kind, what)
        if v.size in (1, 2):  # a factor (and its derivative)
            return float(v[0])
        if v.size in (9, 18):  # a 3x3 matrix (and its derivative)
            return v[:9].reshape(3, 3)
        raise UbermagSystemError(f"{what}: the time function returned {v.size} values; need "
                                 "1 (a factor) or 9 (a 3x3 matrix)")
    return shaped


def scaled(value: Any, t: float, fn: TimeFunction | None) -> Any:
    """``value`` (vectors on the last axis) times ``fn(t)`` (a factor or a 3x3 matrix), or
    ``fn(t)`` itself in every cell when ``fn`` gives the field (``fn.absolute``; the value in
    non-magnetic cells acts on nothing)."""
    if fn is None:
        return value
    s = fn(t)
    if getattr(fn, "absolute", False):
        return np.broadcast_to(s, np.shape(value))
    if np.ndim(s) == 0:
        return value * s
    return value @ np.asarray(s).T


# -- Zeeman --------------------------------------------------------------------------------------
class UbermagZeeman:
    """Applied field H [A/m] per cell times an Ubermag time dependence (:func:`time_function`);
    energy ``−mu0 Σ Ms V m·H`` [J]. ``set_H`` replaces it by a uniform field (hysteresis)."""

    def __init__(self, sample: Sample, H: np.ndarray, fn: TimeFunction | None = None,
                 name: str = "zeeman") -> None:
        self.name = name
        self._magnetic = sample.magnetic[..., None]
        self._H = np.asarray(H, float) * self._magnetic
        self.fn = fn
        self._ms = sample.param("Ms")
        self._volume = sample.grid.cell_volume
        self._ms_volume = self._ms * self._volume

    def table_columns(self) -> list[str]:
        """The applied field mu0·<H> [T] over the magnetic cells, per component."""
        return [f"B{c}_{self.name} (T)" for c in "xyz"]

    def table_values(self, m: np.ndarray, t: float) -> list[float]:
        mag = self._magnetic[..., 0]
        h = scaled(self._H, t, self.fn)[mag]
        return [float(v) for v in MU0 * h.mean(axis=0)] if h.size else [0.0, 0.0, 0.0]

    def set_H(self, H: Sequence[float]) -> None:
        """A uniform field H [A/m] from now on (time dependence kept)."""
        self._H = np.broadcast_to(np.asarray(H, float), self._H.shape) * self._magnetic

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        out = np.empty(m.shape) if out is None else out
        out[...] = scaled(self._H, t, self.fn)
        return out

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        out += scaled(self._H, t, self.fn)
        return out

    def density(self, m: np.ndarray, t: float = 0.0) -> np.ndarray:
        return -MU0 * self._ms * np.einsum("...i,...i", m, scaled(self._H, t, self.fn))

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        return float(self.density(m, t).sum() * self._volume)

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        return float(-MU0 * np.sum(self._ms_volume * np.einsum("...i,...i", m, h)))


# -- anisotropies --------------------------------------------------------------------------------
class QuarticAnisotropy:
    """The ``−K2 (m·u)^4`` part of Ubermag's uniaxial anisotropy [J/m^3]; field
    ``4 K2 (m·u)^3 u/(mu0 Ms)`` [A/m]."""

    name = "anisotropy_k2"

    def __init__(self, sample: Sample, K2: np.ndarray, u: np.ndarray) -> None:
        ms = sample.param("Ms")
        magnetic = ms > 0
        self._k2 = np.where(magnetic, K2, 0.0)
        norm = np.linalg.norm(u, axis=-1, keepdims=True)
        self._u = np.where(norm > 0, u / np.where(norm > 0, norm, 1.0), 0.0)
        self._pref = np.where(magnetic, 4 * self._k2 / (MU0 * np.where(magnetic, ms, 1.0)), 0.0)
        self._volume = sample.grid.cell_volume

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        out = np.empty(m.shape) if out is None else out
        mu = np.einsum("...i,...i", m, self._u)
        out[...] = (self._pref * mu**3)[..., None] * self._u
        return out

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        out += self.field(m, t)
        return out

    def density(self, m: np.ndarray, t: float = 0.0) -> np.ndarray:
        return -self._k2 * np.einsum("...i,...i", m, self._u) ** 4

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        return float(self.density(m).sum() * self._volume)

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        return self.energy(m)


class CellCubicAnisotropy(CubicAnisotropy):
    """:class:`spintorque.CubicAnisotropy` with K [J/m^3] and both cube axes given per cell
    (Ubermag's ``K``, ``u1``, ``u2`` as fields); energy density ``K Σ a_i² a_j²``, the sign
    that OOMMF (K1), mumax3 (Kc1) and micromagnetictests use for Ubermag's ``K`` (K > 0: easy
    cube axes)."""

    def __init__(self, sample: Sample, K: np.ndarray, u1: np.ndarray, u2: np.ndarray) -> None:
        self.sample = sample
        grid = sample.grid
        ms = sample.param("Ms")
        magnetic = ms > 0
        kc1 = np.where(magnetic, K, 0.0)
        n = grid.ncells
        safe = np.where(magnetic, ms, 1.0)
        self._k1 = np.ascontiguousarray((2.0 * kc1 / (MU0 * safe)).reshape(n))
        self._k2 = np.zeros(n)
        self._kc1 = np.ascontiguousarray(kc1.reshape(n))
        self._kc2 = np.zeros(n)

        def unit(v: np.ndarray) -> np.ndarray:
            norm = np.linalg.norm(v, axis=-1, keepdims=True)
            return np.where(norm > 0, v / np.where(norm > 0, norm, 1.0), 0.0)

        a1 = unit(np.asarray(u1, float))
        a2 = np.asarray(u2, float)
        a2 = unit(a2 - np.einsum("...i,...i", a2, a1)[..., None] * a1)
        a3 = np.cross(a1, a2)
        self._c = tuple(np.ascontiguousarray(a.reshape(n, 3)) for a in (a1, a2, a3))
        self._volume = grid.cell_volume
        self.active = bool(np.any(self._k1 != 0))
        self._shape = grid.shape

    def density(self, m: np.ndarray, t: float = 0.0) -> np.ndarray:
        a = [np.einsum("...i,...i", m, c.reshape(m.shape)) ** 2 for c in self._c]
        k = self._kc1.reshape(self._shape)
        return k * (a[0] * a[1] + a[1] * a[2] + a[2] * a[0])


# -- DMI -------------------------------------------------------------------------------------------
def _cnv(axis: np.ndarray) -> np.ndarray:
    # OOMMF/Ubermag Cnv: w = D (m·grad m_n − m_n div m) = −D Σ_d (m × ∂_d m)·(n × e_d)
    return -np.array([np.cross(axis, e) for e in np.eye(3)])


_E = np.eye(3)
#: rows u_d of w = D Σ_d (m × ∂_d m)·u_d for each Ubermag crystal class (D in Ubermag's sign)
DMI_CLASSES: dict[str, np.ndarray] = {
    "T": -_E, "O": -_E,
    "Cnv_x": _cnv(_E[0]), "Cnv_y": _cnv(_E[1]), "Cnv_z": _cnv(_E[2]), "Cnv": _cnv(_E[2]),
    # D2d_z: w = D m·(∂_x m × x − ∂_y m × y), and its cyclic permutations
    "D2d_z": np.array([_E[0], -_E[1], 0 * _E[2]]),
    "D2d_x": np.array([0 * _E[0], _E[1], -_E[2]]),
    "D2d_y": np.array([-_E[0], 0 * _E[1], _E[2]]),
}
DMI_CLASSES["D2d"] = DMI_CLASSES["D2d_z"]


class UbermagDMI(_DMI):
    """DMI of an Ubermag crystal class with D [J/m^2] per cell in Ubermag's sign, region-pair
    values on the faces between two regions (``{"r1:r2": D}``); spintorque's variational
    6-neighbour scheme (:mod:`spintorque.fields.dmi`)."""

    name = "dmi"

    def __init__(self, sample: Sample, D: np.ndarray, crystalclass: str,
                 pairs: Sequence[tuple[np.ndarray, np.ndarray, float]] = ()) -> None:
        self.sample = sample
        grid = sample.grid
        magnetic = sample.magnetic
        d = np.where(magnetic, D, 0.0)
        ms = sample.param("Ms")
        faces = []
        for axis in range(3):
            lo, hi = face_slices(axis)
            df = face_mean(d[lo], d[hi])
            both = magnetic[lo] & magnetic[hi]
            for ma, mb, value in pairs:
                face = ((ma[lo] & mb[hi]) | (mb[lo] & ma[hi])) & both
                df = np.where(face, value, df)
            faces.append(np.ascontiguousarray(df / (MU0 * grid.cell[axis]), dtype=float))
        self._faces = tuple(faces)
        self._u_rows = np.ascontiguousarray(DMI_CLASSES[crystalclass], dtype=float)
        with np.errstate(divide="ignore"):
            self._inv_ms = np.ascontiguousarray(
                np.where(magnetic, 1.0 / np.where(magnetic, ms, 1.0), 0.0))
        self._ms_volume = ms * grid.cell_volume
        self._tmp = np.zeros(grid.vshape)
        self.active = bool(any(np.any(f != 0) for f in faces))


# -- RKKY ------------------------------------------------------------------------------------------
class SurfaceRKKY:
    """OOMMF-style two-surface exchange between regions ``a`` and ``b`` separated along one
    axis: every cell of a's surface facing b couples to the cell of b's facing surface in the
    same column, ``E = −Σ A_f [σ m_a·m_b + σ2 (m_a·m_b)²]`` [J] (A_f the cell face area;
    σ [J/m^2] > 0 ferromagnetic, < 0 antiferromagnetic)."""

    name = "rkky"

    def __init__(self, sample: Sample, mask_a: np.ndarray, mask_b: np.ndarray,
                 sigma: float, sigma2: float, what: str) -> None:
        magnetic = sample.magnetic
        ma, mb = mask_a & magnetic, mask_b & magnetic
        if not ma.any() or not mb.any():
            raise UbermagSystemError(f"{what}: both regions need magnetic cells")
        axis = None
        for ax in range(3):
            other = tuple(a for a in range(3) if a != ax)
            ia = np.nonzero(ma.any(axis=other))[0]
            ib = np.nonzero(mb.any(axis=other))[0]
            if ia.max() < ib.min() or ib.max() < ia.min():
                axis = ax
                break
        if axis is None:
            raise UbermagSystemError(f"{what}: the two regions overlap along every axis; "
                                     "RKKY couples regions separated along x, y or z")
        if ia.max() > ib.min():  # a above b: swap so that a is the lower one
            ma, mb = mb, ma
            ia, ib = ib, ia
        self.axis, self.ka, self.kb = axis, int(ia.max()), int(ib.min())
        sa = np.take(ma, self.ka, axis=axis)
        sb = np.take(mb, self.kb, axis=axis)
        self._pair = sa & sb
        if not self._pair.any():
            raise UbermagSystemError(f"{what}: the facing surfaces of the two regions do not "
                                     "overlap")
        cell = sample.grid.cell
        self._area = cell[0] * cell[1] * cell[2] / cell[axis]
        self._volume = sample.grid.cell_volume
        ms = sample.param("Ms")
        self._ms_a = np.take(ms, self.ka, axis=axis)
        self._ms_b = np.take(ms, self.kb, axis=axis)
        self.sigma, self.sigma2 = float(sigma), float(sigma2)

    def _planes(self, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.take(m, self.ka, axis=self.axis), np.take(m, self.kb, axis=self.axis)

    def _put(self, out: np.ndarray, k: int, h: np.ndarray) -> None:
        index = [slice(None)] * 3
        index[self.axis] = k
        out[tuple(index)] += h

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros(m.shape) if out is None else out
        out[...] = 0.0
        return self.add_field(m, t, out)

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        a, b = self._planes(m)
        dot = np.einsum("...i,...i", a, b)
        w = np.where(self._pair, (self.sigma + 2 * self.sigma2 * dot) * self._area, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ca = np.where(self._pair, w / (MU0 * np.where(self._pair, self._ms_a, 1.0)
                                           * self._volume), 0.0)
            cb = np.where(self._pair, w / (MU0 * np.where(self._pair, self._ms_b, 1.0)
                                           * self._volume), 0.0)
        self._put(out, self.ka, ca[..., None] * b)
        self._put(out, self.kb, cb[..., None] * a)
        return out

    def density(self, m: np.ndarray, t: float = 0.0) -> np.ndarray:
        a, b = self._planes(m)
        dot = np.einsum("...i,...i", a, b)
        e = np.where(self._pair, -(self.sigma * dot + self.sigma2 * dot**2) * self._area, 0.0)
        out = np.zeros(m.shape[:3])
        index = [slice(None)] * 3
        index[self.axis] = self.ka
        out[tuple(index)] += e / (2 * self._volume)
        index[self.axis] = self.kb
        out[tuple(index)] += e / (2 * self._volume)
        return out

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        return float(self.density(m).sum() * self._volume)

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        return self.energy(m)


# -- exchange between two regions ------------------------------------------------------------------
class RegionPairExchange:
    """Exchange across the faces between two regions with its own constant A_ab [J/m] (Ubermag's
    ``{"a:b": A}``; negative values couple antiferromagnetically): per face
    ``A_ab V/h² |m_i − m_j|²``."""

    name = "exchange_pairs"

    def __init__(self, sample: Sample, pairs: Sequence[tuple[np.ndarray, np.ndarray, float]]
                 ) -> None:
        grid = sample.grid
        magnetic = sample.magnetic
        ms = sample.param("Ms")
        inv = np.where(magnetic, 1 / np.where(magnetic, ms, 1.0), 0.0)
        self._faces = []
        for axis in range(3):
            lo, hi = face_slices(axis)
            coef = np.zeros(tuple(n - (a == axis) for a, n in enumerate(grid.n)))
            both = magnetic[lo] & magnetic[hi]
            for ma, mb, value in pairs:
                face = ((ma[lo] & mb[hi]) | (mb[lo] & ma[hi])) & both
                coef = np.where(face, 2 * value / (MU0 * grid.cell[axis] ** 2), coef)
            if np.any(coef):
                self._faces.append((lo, hi, coef[..., None], inv[lo][..., None],
                                    inv[hi][..., None]))
        self._ms_volume = ms * grid.cell_volume

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        for lo, hi, c, inv_lo, inv_hi in self._faces:
            d = m[hi] - m[lo]
            out[lo] += c * inv_lo * d
            out[hi] -= c * inv_hi * d
        return out

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros(m.shape) if out is None else out
        out[...] = 0.0
        return self.add_field(m, t, out)

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        return float(-0.5 * MU0 * np.sum(self._ms_volume * np.einsum("...i,...i", m, h)))

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        return self.energy_from_field(m, self.field(m, t))


# -- periodic boundaries ---------------------------------------------------------------------------
class PeriodicLinks:
    """The faces that periodic boundaries add: between the last and the first cell along each
    periodic axis, the exchange link ``A_f V/h² |m_i − m_j|²`` (harmonic-mean A) and the DMI link
    ``V D_f/h (m_i × m_j)·u_d`` of the DMI term's class (:class:`UbermagDMI`)."""

    name = "periodic_links"

    def __init__(self, sample: Sample, axes: Sequence[int], A: np.ndarray | None,
                 dmi: tuple[np.ndarray, np.ndarray] | None) -> None:
        grid = sample.grid
        magnetic = sample.magnetic
        ms = sample.param("Ms")
        self._links = []
        for axis in axes:
            if grid.n[axis] < 2:
                continue
            hi = [slice(None)] * 3
            lo = [slice(None)] * 3
            hi[axis], lo[axis] = grid.n[axis] - 1, 0  # i = last (lower side), j = first
            hi, lo = tuple(hi), tuple(lo)
            both = magnetic[hi] & magnetic[lo]
            h = grid.cell[axis]
            cex = np.zeros(both.shape)
            if A is not None:
                a1, a2 = A[hi], A[lo]
                with np.errstate(divide="ignore", invalid="ignore"):
                    af = np.where(both & (a1 + a2 > 0), 2 * a1 * a2 / (a1 + a2), 0.0)
                cex = 2 * af / (MU0 * h * h)
            cd, u = np.zeros(both.shape), np.zeros(3)
            if dmi is not None:
                d, rows = dmi
                cd = np.where(both, face_mean(d[hi], d[lo]), 0.0) / (MU0 * h)
                u = rows[axis]
            inv_hi = np.where(magnetic[hi], 1 / np.where(magnetic[hi], ms[hi], 1.0), 0.0)
            inv_lo = np.where(magnetic[lo], 1 / np.where(magnetic[lo], ms[lo], 1.0), 0.0)
            self._links.append((hi, lo, cex[..., None], cd[..., None], u, inv_hi[..., None],
                                inv_lo[..., None]))
        self._ms_volume = ms * grid.cell_volume

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        for hi, lo, cex, cd, u, inv_hi, inv_lo in self._links:
            mi, mj = m[hi], m[lo]
            # exchange: 2A/(mu0 Ms h²)(m_j − m_i)
            out[hi] += cex * inv_hi * (mj - mi)
            out[lo] += cex * inv_lo * (mi - mj)
            if np.any(cd):
                out[hi] -= inv_hi * cd * np.cross(mj, u)
                out[lo] += inv_lo * cd * np.cross(mi, u)
        return out

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros(m.shape) if out is None else out
        out[...] = 0.0
        return self.add_field(m, t, out)

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        h = self.field(m, t)
        return float(-0.5 * MU0 * np.sum(self._ms_volume * np.einsum("...i,...i", m, h)))

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        return float(-0.5 * MU0 * np.sum(self._ms_volume * np.einsum("...i,...i", m, h)))


# -- LLG without precession ------------------------------------------------------------------------
class DampingOnlyLLG(LLG):
    """The LLG without its precession term (an Ubermag system with ``Damping`` but no
    ``Precession``): dm/dt = −γ0 α/(1+α²) m × (m × H) + torques."""

    def rhs(self, t: float, m: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        out = np.empty_like(m) if out is None else out
        self.evaluations += 1
        h = self.field.field(m, t, out=self.h)
        return self._finish(m, h, t, out)

    def _finish(self, m: np.ndarray, h: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        self.field_rate(m, h, out)
        for torque in self.torques:
            out += torque.rate(m, t, self._torque_buf)
        if self._free is not None and self.torques:
            out *= self._free
        return out

    def field_rate(self, m: np.ndarray, h: np.ndarray, out: np.ndarray) -> np.ndarray:
        mxh = cross(m, h, out=self._mxh)
        mxmxh = cross(m, mxh, out=self._mxmxh)
        np.multiply(self._alpha, mxmxh, out=out)
        out *= self._pref
        return out
