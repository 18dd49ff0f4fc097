"""Interlayer exchange (RKKY) between two magnetic layers across a non-magnetic spacer.

Surface energy per unit area between the facing surfaces of the two layers::

    E/A = −J1 (m1·m2) − J2 (m1·m2)^2

``J1`` (bilinear) and ``J2`` (biquadratic) in J/m^2: ``J1 < 0`` favours antiparallel layers,
``J2 < 0`` favours 90°. The coupling acts between the top cell plane of the lower layer and the
bottom cell plane of the upper layer, cell by cell in xy, only where both cells belong to their
layer and are magnetic (so shaped layers couple over their overlap only). Energy
``E = Σ dx dy [−J1 (m_p·m_q) − J2 (m_p·m_q)^2]`` over the coupled cell pairs (p, q) [J]; the
field on a surface cell p is its negative variational derivative::

    H_p = −(1/(mu0 Ms_p V)) ∂E/∂m_p = (1/(mu0 Ms_p dz)) [J1 m_q + 2 J2 (m_p·m_q) m_q]   [A/m]

and zero elsewhere. Layers that touch directly are coupled by the exchange term instead
(:class:`~spintorque.fields.exchange.Exchange` with ``pair_A``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numba
import numpy as np

from ..constants import MU0
from ..io.errors import UserError
from ..materials import Sample


class Coupling(NamedTuple):
    """One coupled pair: layer names (either order) and ``J1``, ``J2`` [J/m^2]."""

    bottom: str
    top: str
    J1: float
    J2: float = 0.0


@numba.njit(cache=True)
def _add_pair_field(m, ka, kb, wa, wb, J1, J2, out):
    """out[:, :, ka] += wa (J1 + 2 J2 d) m[:, :, kb] and out[:, :, kb] += wb (...) m[:, :, ka],
    d = m_a·m_b per column: one pass over the two planes, no temporaries."""
    nx, ny = wa.shape
    for i in range(nx):
        for j in range(ny):
            a, b = wa[i, j], wb[i, j]
            if a == 0.0 and b == 0.0:
                continue
            d = (m[i, j, ka, 0] * m[i, j, kb, 0] + m[i, j, ka, 1] * m[i, j, kb, 1]
                 + m[i, j, ka, 2] * m[i, j, kb, 2])
            s = J1 + 2.0 * J2 * d
            for c in range(3):
                out[i, j, ka, c] += a * s * m[i, j, kb, c]
                out[i, j, kb, c] += b * s * m[i, j, ka, c]


class _Pair:
    """Precomputed geometry of one coupling: the two surface planes, per-column weights."""

    def __init__(self, sample: Sample, c: Coupling) -> None:
        for name in (c.bottom, c.top):
            if name not in sample.names:
                raise UserError(f"interlayer: no layer named {name!r}; layers are "
                                f"{list(sample.names)}")
            if not sample.materials[sample.names.index(name)].magnetic:
                raise UserError(f"interlayer: layer {name!r} is not magnetic (Ms = 0); "
                                "the coupling joins two magnetic layers")
        if c.bottom == c.top:
            raise UserError(f"interlayer: layers = [{c.bottom!r}, {c.top!r}] must be two "
                            "different layers")
        if c.J2 > 0:
            raise UserError(f"interlayer {c.bottom}/{c.top}: J2 = {c.J2!r} J/m^2 > 0; allowed: "
                            "J2 <= 0 (E/A = -J1 m1·m2 - J2 (m1·m2)^2, J2 < 0 favours 90°)")
        lo, hi = (c.bottom, c.top)
        if sample.z_range(lo)[0] > sample.z_range(hi)[0]:
            lo, hi = hi, lo
        (a0, a1), (b0, b1) = sample.z_range(lo), sample.z_range(hi)
        if b0 < a1:
            raise UserError(f"interlayer: layers {lo!r} (z cells {a0}..{a1 - 1}) and {hi!r} "
                            f"(z cells {b0}..{b1 - 1}) overlap in z; they must be separated by "
                            "a non-magnetic spacer")
        if b0 == a1:
            raise UserError(f"interlayer: layers {lo!r} and {hi!r} touch (no spacer between "
                            "them); couple touching layers by exchange pairs instead "
                            "([[exchange.pair]] or Exchange(sample, pair_A=...))")
        self.ka, self.kb = a1 - 1, b0
        ia, ib = sample.names.index(lo), sample.names.index(hi)
        ms = sample.param("Ms")
        mask = ((sample.region[:, :, self.ka] == ia) & (ms[:, :, self.ka] > 0)
                & (sample.region[:, :, self.kb] == ib) & (ms[:, :, self.kb] > 0))
        between = sample.magnetic[:, :, a1:b0] & mask[:, :, None]
        if between.any():
            raise UserError(f"interlayer: a magnetic cell lies between layers {lo!r} and {hi!r}; "
                            "the spacer between coupled layers must be non-magnetic")
        if not mask.any():
            raise UserError(f"interlayer: layers {lo!r} and {hi!r} have no facing magnetic "
                            "cells (they do not overlap in xy)")
        dz = sample.grid.cell[2]
        with np.errstate(divide="ignore"):
            self.wa = np.where(mask, 1.0 / (MU0 * np.where(mask, ms[:, :, self.ka], 1.0) * dz),
                               0.0)[..., None]
            self.wb = np.where(mask, 1.0 / (MU0 * np.where(mask, ms[:, :, self.kb], 1.0) * dz),
                               0.0)[..., None]
        self._wa = np.ascontiguousarray(self.wa[..., 0])
        self._wb = np.ascontiguousarray(self.wb[..., 0])
        self.area = float(sample.grid.cell[0] * sample.grid.cell[1])
        self.mask = mask
        self.J1, self.J2 = float(c.J1), float(c.J2)
        self.names = (lo, hi)

    def dot(self, m: np.ndarray) -> np.ndarray:
        """m_p·m_q per column, shape (nx, ny) (0 where not coupled: non-magnetic m is 0)."""
        return np.einsum("ijl,ijl->ij", m[:, :, self.ka], m[:, :, self.kb])

    def add(self, m: np.ndarray, out: np.ndarray) -> None:
        """out += this pair's field [A/m] on both surface planes."""
        if m.flags.c_contiguous and out.flags.c_contiguous and m.dtype == np.float64:
            _add_pair_field(m, self.ka, self.kb, self._wa, self._wb, self.J1, self.J2, out)
            return
        s = self.J1 + 2.0 * self.J2 * self.dot(m)[..., None] if self.J2 else self.J1
        out[:, :, self.ka] += (self.wa * s) * m[:, :, self.kb]
        out[:, :, self.kb] += (self.wb * s) * m[:, :, self.ka]

    def energy(self, m: np.ndarray) -> float:
        d = self.dot(m)[self.mask]
        return float(self.area * np.sum(-self.J1 * d - self.J2 * d * d))


class InterlayerExchange:
    """Interlayer exchange between pairs of magnetic layers (module docstring).

    ``couplings``: :class:`Coupling` or ``(layer_a, layer_b, J1, J2)`` tuples, J in J/m^2
    (``J2`` may be left out: 0). Raises :class:`~spintorque.io.errors.UserError` for an unknown
    or non-magnetic layer, ``J2 > 0``, touching or overlapping layers, or a magnetic cell between
    them.
    """

    name = "interlayer"

    def __init__(self, sample: Sample,
                 couplings: Sequence[Coupling | tuple[str, str, float] |
                                     tuple[str, str, float, float]]) -> None:
        self.sample = sample
        cs = tuple(Coupling(*c) for c in couplings)
        self.couplings = tuple(tuple(c) for c in cs)  # plain tuples: part of Problem.identity
        self._pairs = [_Pair(sample, c) for c in cs]
        self._tmp = np.zeros(sample.grid.vshape)

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        """H [A/m], nonzero on the coupled surface cells only."""
        out = np.zeros(m.shape) if out is None else out
        out[...] = 0.0
        for pair in self._pairs:
            pair.add(m, out)
        return out

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """out += this term's field [A/m] (touches the surface planes only)."""
        for pair in self._pairs:
            pair.add(m, out)
        return out

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        """E = Σ dx dy [−J1 m_p·m_q − J2 (m_p·m_q)^2] over coupled cell pairs [J]."""
        return float(sum(pair.energy(m) for pair in self._pairs))

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        """Energy [J]; computed from m on the surface planes (cheaper than using ``h``)."""
        return self.energy(m)
