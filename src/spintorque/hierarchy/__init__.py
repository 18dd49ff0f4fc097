"""Reduced-dimension levels of the talk's model hierarchy and their measured connections.

Quantum (``quantum``: 1D spinor Schrödinger, Strang splitting, Wigner transform) -> its
semiclassical limit (``liouville``: characteristics) -> kinetic (``kinetic``: 1D-x 1D-v spinor BGK,
micro-macro AP scheme) -> moments (``moments``: the talk's rescaled 1D moment system, AP scheme,
diffusion limit). ``studies`` runs the four connection studies. All dimensionless.
"""

from .kinetic import KineticBGK1D, kinetic_mode_matrix, velocity_grid
from .liouville import characteristics, liouville_observables
from .moments import MomentSystem1D, cross_matrix, inverse_p_minus_qK, mode_matrices
from .quantum import (
    SpinorSchrodinger1D,
    current,
    density,
    spin_density,
    wigner,
    wigner_moments,
    wkb_state,
)
from .studies import STUDIES, hierarchy_command, run_study

__all__ = [
    "STUDIES",
    "KineticBGK1D",
    "MomentSystem1D",
    "SpinorSchrodinger1D",
    "characteristics",
    "cross_matrix",
    "current",
    "density",
    "hierarchy_command",
    "inverse_p_minus_qK",
    "kinetic_mode_matrix",
    "liouville_observables",
    "mode_matrices",
    "run_study",
    "spin_density",
    "velocity_grid",
    "wigner",
    "wigner_moments",
    "wkb_state",
]
