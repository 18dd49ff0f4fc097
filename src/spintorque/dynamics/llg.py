"""Right-hand side of the Landau-Lifshitz-Gilbert equation (pure: it never mutates its inputs).

Gilbert form  dm/dt = −γ0 m × H + α m × dm/dt  is solved explicitly as the LL form

    dm/dt = −γ0/(1+α²) [ m × H + α m × (m × H) ] + Σ torques,

with H [A/m] the effective field, γ0 [m/(A·s)] and α per cell. Extra torques (Zhang-Li,
Slonczewski) implement ``rate(m, t, out) -> dm/dt`` [1/s] already in this explicit form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numba
import numpy as np

from ..fields.base import EffectiveField
from ..materials import Sample


class Torque(Protocol):
    name: str

    def rate(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """Contribution to dm/dt [1/s], written into ``out`` and returned."""
        ...


def cross(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Cross product over the last axis of ``(..., 3)`` arrays (faster than np.cross)."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape)) if out is None else out
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    out[..., 0] = a1 * b2 - a2 * b1
    out[..., 1] = a2 * b0 - a0 * b2
    out[..., 2] = a0 * b1 - a1 * b0
    return out


@numba.njit(cache=True)
def _ll_rate(m: np.ndarray, h: np.ndarray, pref: np.ndarray, alpha: np.ndarray, out: np.ndarray):
    """out = pref (m × h + alpha m × (m × h)) on flat (N, 3) arrays, one pass, no temporaries."""
    for i in range(m.shape[0]):
        m0, m1, m2 = m[i, 0], m[i, 1], m[i, 2]
        h0, h1, h2 = h[i, 0], h[i, 1], h[i, 2]
        a0 = m1 * h2 - m2 * h1
        a1 = m2 * h0 - m0 * h2
        a2 = m0 * h1 - m1 * h0
        al, p = alpha[i], pref[i]
        out[i, 0] = p * (a0 + al * (m1 * a2 - m2 * a1))
        out[i, 1] = p * (a1 + al * (m2 * a0 - m0 * a2))
        out[i, 2] = p * (a2 + al * (m0 * a1 - m1 * a0))


class LLG:
    """The LLG right-hand side for a sample, an effective field and optional torques.

    ``alpha`` overrides the materials' damping everywhere (e.g. α = 1 for relaxation).
    """

    def __init__(
        self,
        sample: Sample,
        field: EffectiveField,
        torques: Sequence[Torque] = (),
        alpha: float | None = None,
    ):
        self.sample = sample
        self.field = field
        self.torques = list(torques)
        a = sample.param("alpha") if alpha is None else np.full(sample.grid.shape, float(alpha))
        g = sample.param("gamma0")
        self.alpha = a
        frozen = sample.frozen
        # frozen cells (fixed spins): no precession, damping or noise (prefactor 0) and no
        # torque (masked after the torques are added)
        self._free = (~frozen).astype(float)[..., None] if frozen.any() else None
        self._pref = (-g / (1.0 + a * a))[..., None]
        if self._free is not None:
            self._pref = self._pref * self._free
        self._alpha = a[..., None]
        shape = sample.grid.vshape
        self.h = np.zeros(shape)
        self._mxh = np.zeros(shape)
        self._mxmxh = np.zeros(shape)
        self._torque_buf = np.zeros(shape)
        self._pref_flat = np.ascontiguousarray(self._pref).reshape(-1)
        self._alpha_flat = np.ascontiguousarray(self._alpha).reshape(-1)
        self.evaluations = 0

    def rhs(self, t: float, m: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """dm/dt [1/s] at time t [s]; the field used is left in ``self.h``."""
        out = np.empty_like(m) if out is None else out
        self.evaluations += 1
        h = self.field.field(m, t, out=self.h)
        if out.flags.c_contiguous and m.flags.c_contiguous and h.flags.c_contiguous:
            # fused kernel: the two cross products and the damping term in one pass
            _ll_rate(
                m.reshape(-1, 3),
                h.reshape(-1, 3),
                self._pref_flat,
                self._alpha_flat,
                out.reshape(-1, 3),
            )
        else:
            mxh = cross(m, h, out=self._mxh)
            mxmxh = cross(m, mxh, out=self._mxmxh)
            np.multiply(self._alpha, mxmxh, out=out)
            out += mxh
            out *= self._pref
        for torque in self.torques:
            out += torque.rate(m, t, self._torque_buf)
        if self._free is not None and self.torques:
            out *= self._free
        return out

    def free_cells(self, v: np.ndarray) -> np.ndarray:
        """``v`` (a per-cell vector field) set to zero in frozen cells, in place."""
        if self._free is not None:
            v *= self._free
        return v

    def field_rate(self, m: np.ndarray, h: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The LL rate −γ0/(1+α²) [m × h + α m × (m × h)] [1/s] of a field h [A/m] alone at m.

        The rate is linear in the field, so a change δH of one term changes dm/dt by exactly
        ``field_rate(m, δH)``: integrators use it to update a stage after re-solving the spin
        accumulation without evaluating the other terms again. ``m``, ``h``, ``out``:
        C-contiguous, shape ``grid.vshape``."""
        _ll_rate(m.reshape(-1, 3), h.reshape(-1, 3), self._pref_flat, self._alpha_flat,
                 out.reshape(-1, 3))
        return out

    def max_torque(self, m: np.ndarray, t: float = 0.0) -> float:
        """max |m × H| [A/m] over the cells, the relaxation criterion."""
        return self.torque_stats(m, t)[0]

    def torque_stats(self, m: np.ndarray, t: float = 0.0) -> tuple[float, float]:
        """(max, root mean square over the cells) of |m × H| [A/m], from one field evaluation;
        the mean is the smoother measure of progress, the max the convergence criterion."""
        h = self.field.field(m, t, out=self.h)
        mxh = self.free_cells(cross(m, h, out=self._mxh))  # frozen cells never relax
        sq = np.einsum("ijkl,ijkl->ijk", mxh, mxh)
        return float(np.sqrt(np.max(sq))), float(np.sqrt(np.mean(sq)))
