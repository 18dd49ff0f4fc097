"""Pieces shared by the time integrators: errors, |m| = 1 projection, input checks, the
transport hold (one spin-accumulation solve per step)."""

from __future__ import annotations

import math
from contextlib import contextmanager

import numba
import numpy as np

from ..llg import LLG

# the transport_update modes are defined with the registry ("step", "evaluation"; adaptive
# Runge-Kutta also "accepted": one solve per accepted step, after the error test)
from .registry import PREDICTING_TRANSPORT_UPDATES, TRANSPORT_UPDATES


class TransportHold:
    """The field terms that can predict instead of solve (those with a ``hold`` flag, i.e. the
    spin accumulation) and the integrator's ``transport_update`` choice.

    ``with hold(True): rhs(...)`` evaluates with the terms predicting s (only when
    ``transport_update`` is one of ``PREDICTING_TRANSPORT_UPDATES``); the flags are always
    reset afterwards. ``allowed``: the choices the integrator supports."""

    def __init__(self, terms, transport_update: str, who: str,
                 allowed: tuple[str, ...] = TRANSPORT_UPDATES):
        if transport_update not in allowed:
            raise ValueError(
                f"{who}: transport_update = {transport_update!r}; allowed: {allowed}"
            )
        predicting = transport_update in PREDICTING_TRANSPORT_UPDATES
        self.terms = [t for t in terms if hasattr(t, "hold")] if predicting else []
        for term in self.terms:
            getattr(term, "once_per_step", lambda: None)()

    @contextmanager
    def __call__(self, on: bool):
        for term in self.terms:
            term.hold = on
        try:
            yield
        finally:
            for term in self.terms:
                term.hold = False


class IntegrationError(RuntimeError):
    """A time step could not be taken (step collapse, NaN/Inf in the state or the field)."""


def lincomb(out: np.ndarray, y0: np.ndarray, k: np.ndarray, coef: np.ndarray) -> None:
    """out = y0 + sum_i coef[i] k[i] on flat arrays (``k`` shape (>= stages, N)).

    A BLAS gemv over the stage rows: measured faster than a fused Numba loop here."""
    np.dot(coef, k[: coef.shape[0]], out=out)
    out += y0


@numba.njit(cache=True)
def error_norm(d: np.ndarray, y0: np.ndarray, y1: np.ndarray, atol: float, rtol: float) -> float:
    """max_j |d_j| / (atol + rtol max(|y0_j|, |y1_j|)) on flat arrays; inf if any is NaN/Inf."""
    best = 0.0
    for j in range(y0.shape[0]):
        v = abs(d[j]) / (atol + rtol * max(abs(y0[j]), abs(y1[j])))
        if not v <= 1e300:  # NaN or Inf
            return math.inf
        if v > best:
            best = v
    return best


@numba.njit(cache=True)
def cell_error_norm(d: np.ndarray, y0: np.ndarray, y1: np.ndarray, atol: float,
                    rtol: float) -> float:
    """max_i |d_i| / (atol + rtol max(|y0_i|, |y1_i|)) over the cells i (rows of 3 of the flat
    arrays; |.| the Euclidean length of the cell's vector): rotation invariant, unlike the
    componentwise :func:`error_norm`. inf if any entry is NaN/Inf."""
    best = 0.0
    for i in range(y0.shape[0] // 3):
        j = 3 * i
        dd = d[j] * d[j] + d[j + 1] * d[j + 1] + d[j + 2] * d[j + 2]
        a = y0[j] * y0[j] + y0[j + 1] * y0[j + 1] + y0[j + 2] * y0[j + 2]
        b = y1[j] * y1[j] + y1[j + 1] * y1[j + 1] + y1[j + 2] * y1[j + 2]
        v = math.sqrt(dd) / (atol + rtol * math.sqrt(max(a, b)))
        if not v <= 1e300:  # NaN or Inf
            return math.inf
        if v > best:
            best = v
    return best


@numba.njit(cache=True)
def _normalize_cells(m: np.ndarray) -> None:
    """m_i /= |m_i| for every row of an (N, 3) array with |m_i| > 0; zero rows stay zero."""
    for i in range(m.shape[0]):
        n2 = m[i, 0] * m[i, 0] + m[i, 1] * m[i, 1] + m[i, 2] * m[i, 2]
        if n2 > 0.0:
            s = 1.0 / math.sqrt(n2)
            m[i, 0] *= s
            m[i, 1] *= s
            m[i, 2] *= s


class Normalizer:
    """Projects m back onto |m| = 1 in the magnetic cells (zero elsewhere), in place, no allocation.

    ``magnetic``: boolean mask, shape ``grid.shape``.
    """

    def __init__(self, magnetic: np.ndarray):
        self._scale = np.zeros(magnetic.shape)
        self._norm2 = np.zeros(magnetic.shape)
        self._magnetic = magnetic.astype(float)
        self._all = bool(magnetic.all())

    def __call__(self, m: np.ndarray) -> np.ndarray:
        if self._all and m.flags.c_contiguous:
            _normalize_cells(m.reshape(-1, 3))
            return m
        np.einsum("ijkl,ijkl->ijk", m, m, out=self._norm2)
        if self._all:
            np.sqrt(self._norm2, out=self._scale)
            np.divide(1.0, self._scale, out=self._scale)
        else:
            # non-magnetic cells have |m| = 0: keep them at exactly zero
            np.sqrt(self._norm2, out=self._scale)
            np.divide(self._magnetic, self._scale, out=self._scale, where=self._norm2 > 0)
            self._scale[self._norm2 <= 0] = 0.0
        m *= self._scale[..., None]
        return m


def check_m(llg: LLG, m: np.ndarray, who: str) -> None:
    """ValueError unless ``m`` has the grid's vector shape and finite entries."""
    shape = llg.sample.grid.vshape
    if np.shape(m) != shape:
        raise ValueError(f"{who}: m has shape {np.shape(m)}, expected the grid's {shape}")
    if not math.isfinite(float(np.sum(m))):
        raise IntegrationError(f"{who}: m contains NaN or Inf")


def check_positive(name: str, value: float, allow_none: bool = False) -> float | None:
    """ValueError unless ``value`` is a positive finite number."""
    if value is None and allow_none:
        return None
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r}: need a positive finite number") from None
    if not (v > 0 and math.isfinite(v)):
        raise ValueError(f"{name} = {value!r}: need a positive finite number")
    return v


def finite(a: np.ndarray) -> bool:
    """True if every entry of ``a`` is finite (one reduction, no boolean temporary)."""
    return math.isfinite(float(np.sum(a)))


def check_state_name(name: str, d: dict) -> None:
    """ValueError if a checkpointed state belongs to another integrator."""
    if d.get("name", name) != name:
        raise ValueError(
            f"integrator state: name = {d.get('name')!r} cannot be loaded into {name!r}"
        )


def check_t_max(t: float, t_max: float | None, who: str) -> None:
    """ValueError unless ``t_max`` (if given) lies after ``t``."""
    if t_max is not None and not t_max > t:
        raise ValueError(f"{who}: t_max = {t_max!r} s must be after t = {t!r} s")


class FixedStepMixin:
    """What every fixed-step scheme shares: ``advance`` by clipped steps and a checkpointable
    state made of ``dt`` [s] and the step counters. Needs ``name``, ``dt``, ``stats`` and
    ``step(t, m, t_max)``."""

    name: str
    dt: float
    stats: dict

    def reset(self) -> None:
        """Nothing is cached between steps (interface parity with rk45)."""

    def advance(self, t0: float, m: np.ndarray, t1: float) -> np.ndarray:
        """Integrate from ``t0`` to exactly ``t1`` [s] (last step clipped)."""
        if t1 < t0:
            raise ValueError(f"advance: t1 = {t1!r} s is before t0 = {t0!r} s")
        t, m = float(t0), np.array(m, dtype=float, copy=True)
        while t < t1:
            t, m = self.step(t, m, t_max=float(t1))  # type: ignore[attr-defined]
        return m

    def state_dict(self) -> dict:
        stats = {k: int(v) for k, v in self.stats.items()}
        return {"name": self.name, "dt": float(self.dt), **stats}

    def load_state_dict(self, d: dict) -> None:
        check_state_name(self.name, d)
        self.dt = check_positive("dt", d["dt"])
        for k in self.stats:
            self.stats[k] = int(d.get(k, 0))
