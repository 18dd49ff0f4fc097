"""Physical constants in SI units (CODATA values as used by OOMMF / magnum.fe)."""

from __future__ import annotations

import math

MU0: float = 4e-7 * math.pi
"""Vacuum permeability [T·m/A] (the classical value used by OOMMF and mumax3)."""

GAMMA0: float = 2.211e5
"""Gyromagnetic ratio times mu0 [m/(A·s)] (the muMAG / OOMMF value)."""

GAMMA: float = GAMMA0 / MU0
"""Gyromagnetic ratio [rad/(s·T)]."""

MU_B: float = 9.2740154e-24
"""Bohr magneton [J/T] (magnum.fe value)."""

E_CHARGE: float = 1.602176487e-19
"""Elementary charge [C], positive."""

HBAR: float = 1.054571628e-34
"""Reduced Planck constant [J·s]."""
