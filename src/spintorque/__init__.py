"""spintorque: spin-transfer torque in magnetic multilayers.

Micromagnetics (LLG on finite-difference grids) coupled to spin transport (Zhang-Levy-Fert
diffusion and the Chen-García-Cervera-Yang moment model), the trilayer switching experiment and
the quantum → kinetic → moment → diffusion model hierarchy. SI units at every public interface.
"""

from .constants import GAMMA0, MU0
from .materials import Material, Sample
from .mesh import Grid

__version__ = "0.1.0"

__all__ = ["GAMMA0", "MU0", "Grid", "Material", "Sample", "__version__"]
