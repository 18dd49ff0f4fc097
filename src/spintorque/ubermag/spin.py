"""spintorque's spin transport as Ubermag dynamics terms: :class:`SpinDiffusion` (the
Zhang-Levy-Fert spin-diffusion model) and :class:`SpinMoment` (the moment model with
``A(M) = I + a [M]×``). Ubermag has no term for either: they add the spin accumulation's
field, solved self-consistently at every step, to a system's dynamics::

    system.dynamics = (mm.Precession(gamma0=mm.consts.gamma0) + mm.Damping(alpha=0.02)
                       + SpinMoment(j=1e11, D0={"FM1": 1e-3, "spacer": 5e-3, "FM2": 1e-3},
                                    beta={"FM1": 0.9, "FM2": 0.9}, ...))

Parameters are numbers (everywhere) or ``{region: value}`` dicts over the mesh's subregions
(``"default"``: the cells outside them); the transport reads them per region. Units as in
:class:`spintorque.Material`: ``D0`` [m^2/s] (0: not conducting), ``beta``, ``beta_prime``,
``lambda_sf`` [m], ``lambda_J`` [m] and ``c_sd`` [T·m/A] (or ``J_sd`` [J]); ``j`` [A/m^2], the
current density along z (positive: conventional current towards +z) or a function of t [s];
``z_refine`` transport sub-cells per cell along z; ``a`` the moment model's coefficient.
The magnetic layers must be full-plane z slabs (spintorque's transport geometry).
"""

from __future__ import annotations

import math
from typing import Any

import micromagneticmodel as mm

from ._values import UbermagSystemError, attr

#: material keys the transport reads, with their value where a region does not give one
TRANSPORT_KEYS: dict[str, Any] = {"D0": 0.0, "beta": 0.0, "beta_prime": 0.0,
                                  "lambda_sf": math.inf, "lambda_J": None, "c_sd": None,
                                  "J_sd": 0.0}


class _SpinTransport(mm.DynamicsTerm):
    _allowed_attributes = ["j", *TRANSPORT_KEYS, "z_refine", "a"]
    _spintorque_transport = True
    _model = ""

    @property
    def _reprlatex(self) -> str:
        return rf"\text{{spin accumulation ({self._model} model)}}"

    def dmdt(self, m: Any, Heff: Any) -> Any:
        # the spin accumulation needs the whole stack's transport solve, which only the
        # drivers set up: a pointwise dm/dt (micromagneticmodel's interface) cannot give it
        raise UbermagSystemError(f"{type(self).__name__} has no pointwise dm/dt: run the system "
                                 "with spintorque.ubermag's drivers")

    def material_parameters(self, subregion: str, name: str) -> dict[str, Any]:
        """Transport parameters of the spintorque region ``name`` (part of ``subregion``)."""
        out: dict[str, Any] = {}
        for key, fallback in TRANSPORT_KEYS.items():
            value = attr(self, key)
            if isinstance(value, dict):
                value = value.get(subregion, value.get("default", fallback))
            elif value is None:
                value = fallback
            if value is not None:
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    raise UbermagSystemError(f"{type(self).__name__}: {key} = {value!r} is not a "
                                             "number") from None
            if value is not None and value != fallback:
                out[key] = value
        return out

    def check_regions(self, known: set[str]) -> None:
        for key in TRANSPORT_KEYS:
            value = attr(self, key)
            if isinstance(value, dict):
                unknown = set(value) - known - {"default"}
                if unknown:
                    raise UbermagSystemError(
                        f"{type(self).__name__}: {key} names region(s) {sorted(unknown)} that do "
                        f"not exist; the mesh's subregions are {sorted(known)}")

    def build(self, sample: Any) -> Any:
        """The spintorque spin-accumulation field term on ``sample``."""
        from ..transport.coupling import SpinAccumulationField

        j = attr(self, "j", 0.0)
        try:
            return SpinAccumulationField(sample, self._model, current_density=j,
                                         z_refine=int(attr(self, "z_refine", 1)),
                                         a=float(attr(self, "a", 1.0)))
        except ValueError as exc:
            raise UbermagSystemError(f"{type(self).__name__}: {exc}") from None


class SpinDiffusion(_SpinTransport):
    """The spin accumulation of the Zhang-Levy-Fert diffusion model, solved self-consistently
    with m (see the module docstring for the parameters)."""

    _model = "diffusion"


class SpinMoment(_SpinTransport):
    """The spin accumulation of the moment model (``A(M) = I + a [M]×``), solved
    self-consistently with m (see the module docstring for the parameters)."""

    _model = "moment"
