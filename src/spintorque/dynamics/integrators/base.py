"""Pieces shared by the time integrators: errors, |m| = 1 projection, input checks."""

from __future__ import annotations

import math

import numpy as np

from ..llg import LLG


class IntegrationError(RuntimeError):
    """A time step could not be taken (step collapse, NaN/Inf in the state or the field)."""


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
