"""Spin transport: spin accumulation s [A/m] solved self-consistently with m, and its torque.

``SpinAccumulationField`` is the field term c·s/mu0 coupling s to the LLG; ``DiffusionModel``
(Zhang-Levy-Fert) and ``MomentModel`` (A(m)^-T fluxes) assemble the finite-volume system of
:mod:`.fv`; ``TransportSolver`` solves it (quasi-static or implicit Euler). The local Zhang-Li
and Slonczewski torques are in :mod:`.local`.
"""

from .coupling import SpinAccumulationField
from .diffusion import DiffusionModel
from .moment import MomentModel
from .solver import TransportSolver

__all__ = ["DiffusionModel", "MomentModel", "SpinAccumulationField", "TransportSolver"]
