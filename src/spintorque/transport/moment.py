"""Quasi-static moment model (Chen-García-Cervera-Yang, the talk's model),
docs/theory/transport.md (model equations: moment model).

The spin current solves ``J_a A(m) = R_a`` with ``A(m) = I + a[m]_×`` acting on the spin index
and R_a the ZLF flux of :mod:`.diffusion`, hence ``J_a = A(m)^{-T} R_a`` with the closed form

    A(m)^{-T} = (I + a[m]_× + a² m mᵀ)/(1 + a²|m|²)          (identity in non-magnetic cells).

So every cell gets D̂_i = A_i^{-T} D_i and d̂_i = A_i^{-T} d_i, and the same two-point flux of
:mod:`.fv` (valid for non-symmetric D̂) applies. The s equation keeps the ZLF relaxation and
precession. The longitudinal flux is unchanged; the transverse one is divided by (1 − i a).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..materials import Sample
from .diffusion import DiffusionModel, cross_matrix
from .fv import matmul3, matvec3


def a_inverse_transpose(mc: np.ndarray, a: float) -> np.ndarray:
    """``A(m)^{-T}`` for m ``(3, N)`` -> ``(3, 3, N)`` (closed form, any |m|)."""
    m2 = np.einsum("in,in->n", mc, mc)
    out = a * cross_matrix(mc) + (a * a) * (mc[:, None, :] * mc[None, :, :])
    for c in range(3):
        out[c, c] += 1.0
    out /= 1.0 + a * a * m2
    return out


class MomentModel(DiffusionModel):
    """The moment model: :class:`DiffusionModel` with fluxes multiplied by ``A(m)^{-T}``.

    ``a`` is the precession/relaxation ratio ω_J τ_p of the spin current (1 in the talk).
    """

    name = "moment"

    def __init__(
        self,
        sample: Sample,
        current_density: float | Sequence[float] = 0.0,
        *,
        a: float = 1.0,
        bc: str = "N",
        z_refine: int = 1,
        sign_e: float = -1.0,
    ):
        if not (np.isfinite(a) and a >= 0):
            raise ValueError(f"a = {a!r}: must be a finite number >= 0")
        super().__init__(sample, current_density, bc=bc, z_refine=z_refine, sign_e=sign_e)
        self.a = float(a)
        self._flux_a = self.a

    def coefficients(self, mc: np.ndarray, current: np.ndarray | None = None):
        D, drift, R = super().coefficients(mc, current)
        ait = a_inverse_transpose(mc, self.a)
        drift_hat = np.stack([matvec3(ait, drift[k]) for k in range(3)])
        return matmul3(ait, D), drift_hat, R
