"""Physical bounds of the run parameters: finite numbers whose derived scales stay representable.

pydantic already refuses NaN, ±Inf, wrong types and negative values where they make no sense. A
finite value can still make a derived quantity overflow or vanish in float64: ``Ms = 5e-324``
(a subnormal) makes the exchange field 2A/(mu0 Ms dx^2) infinite, ``Ku = 1e308`` overflows the
anisotropy field 2Ku/(mu0 Ms) and every energy. Each bound below is wide around every known
material and device, so a real parameter never reaches it; a value past it is a typo or a unit
mistake (nm for m, kA/m for A/m), and the message gives the range. Where 0 switches something off
(non-magnetic, no exchange, insulator) 0 stays allowed and the range is that of nonzero
magnitudes, so subnormal values such as 5e-324 are refused.

=================  ==================  =========================================================
key                nonzero magnitude   why
=================  ==================  =========================================================
``mesh.cell``      [1e-12, 1] m        below 1 pm (1 % of an atomic spacing) no continuum model
                                       holds and 1/dx^2 (exchange, diffusion) nears overflow
``Ms``             [1e-3, 1e8] A/m     known magnets: up to 1.95e6 A/m (FeCo); fields that scale
                                       as 1/Ms (exchange, anisotropy, s-d) overflow below 1e-3
``A``              [1e-18, 1e-8] J/m   known: 1e-13 to 1e-10 J/m
``|Ku|``           [1e-3, 1e8] J/m^3   known: up to 1.7e7 J/m^3 (SmCo5)
``|Kc1|``,         [1e-3, 1e8] J/m^3   cubic: Fe 4.8e4, Ni -5.7e3 J/m^3 (Kc1)
``|Kc2|``
``|Dind|``,        [1e-8, 1] J/m^2     DMI: known 1e-4 to 1e-2 J/m^2; 3 (mJ/m^2 typed as J/m^2)
``|Dbulk|``                            is refused
``gamma0``         [1e3, 1e8] m/(A s)  g-factors from 0.01 to 900 (g = 2: 2.2e5)
``alpha``          <= 1e3              1 + alpha^2 enters the LLG; real dampings are < 1
``D0``             [1e-9, 1e2] m^2/s   metals and semiconductors: 1e-4 to 1e-1 m^2/s
``lambda_sf``,     [1e-12, 1] m        1 nm (Pt) to 10 um (graphene); omit for no spin flip
``lambda_J``
``J_sd``           [1e-25, 1e-17] J    s-d exchange: 1e-3 to 10 eV (1.6e-22 to 1.6e-18 J)
``c_sd``           [1e-15, 1e3] T m/A  the magnum.fe value is 3.125e-3 T m/A
current densities  <= 1e15 A/m^2       switching needs 1e10 to 1e13 A/m^2
applied fields     <= 1e6 T            per component of mu0*H (laboratory fields: < 1e3 T)
``frequency``      <= 1e15 Hz          optical frequencies; LLG time scales are ps
``run.duration``   <= 1 s              micromagnetic runs last ns to us
=================  ==================  =========================================================

Derived scales (checked across tables in :mod:`.scales`): for every magnetic material in the
mesh, the exchange field 2A/(mu0 Ms dx_min^2), the anisotropy field 2|Ku|/(mu0 Ms), the
demagnetizing scale Ms, the applied field and the local spin-torque fields must each be at most
:data:`FIELD_SCALE_MAX` = 1e12 A/m (|mu0 H| <= 1.26e6 T): the precession rate gamma0 H stays below
2.2e17 rad/s, and squares summed over every cell (H^2 N <= 1e24 x 1e28) stay far below the
largest double, 1.8e308. The exchange length sqrt(2A/(mu0 Ms^2)) must lie in
[:data:`EXCHANGE_LENGTH_MIN`, :data:`EXCHANGE_LENGTH_MAX`] = [1e-13, 1e3] m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import AfterValidator

__all__ = [
    "ALPHA",
    "APPLIED_FIELD",
    "CELL",
    "CURRENT_DENSITY",
    "C_SD",
    "D0",
    "DMI",
    "DURATION",
    "EXCHANGE",
    "EXCHANGE_LENGTH_MAX",
    "EXCHANGE_LENGTH_MIN",
    "FIELD_SCALE_MAX",
    "FREQUENCY",
    "GAMMA0",
    "J_SD",
    "KC",
    "KU",
    "LENGTH",
    "MS",
    "Bound",
    "number",
]

#: largest field scale [A/m] of a magnetic material in the mesh (|mu0 H| <= 1.26e6 T)
FIELD_SCALE_MAX = 1e12
#: range of the exchange length sqrt(2A/(mu0 Ms^2)) [m] of a magnetic material with A > 0
EXCHANGE_LENGTH_MIN = 1e-13
EXCHANGE_LENGTH_MAX = 1e3


def number(x: float) -> str:
    """A bound as written in the docs: ``1e-3``, ``1e8``, ``1.26e6``, ``1``."""
    if x == 0 or 1e-2 <= abs(x) < 1e3 and float(f"{x:g}") == x:
        return f"{x:g}"
    mantissa, exponent = f"{x:e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


@dataclass(frozen=True)
class Bound:
    """Allowed magnitudes of one parameter (or of each component of a vector): 0 (when ``zero``
    says what it means) or ``low <= |value| <= high`` (``low`` None: anything up to ``high`` in
    magnitude); ``signed``: negative values are allowed (other checks may refuse them)."""

    low: float | None
    high: float
    unit: str
    zero: str | None = None
    signed: bool = False

    def allowed(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        hi = number(self.high)
        if self.low is None:
            return f"must lie in [-{hi}, {hi}]{unit}" if self.signed else f"must be <= {hi}{unit}"
        span = f"in [{number(self.low)}, {hi}]{unit}"
        span = f"of magnitude {span}" if self.signed else span
        return f"must be 0 ({self.zero}) or {span}" if self.zero else f"must be {span}"

    def ok(self, value: float) -> bool:
        size = abs(value)
        if size == 0:
            return self.zero is not None or self.low is None
        return (self.low is None or size >= self.low) and size <= self.high

    def check(self, value: Any) -> Any:
        """Raise ValueError(:meth:`allowed`) unless ``value`` (a number, a vector or None) fits."""
        if value is None:
            return value
        values = value if isinstance(value, (tuple, list)) else (value,)
        for v in values:
            if isinstance(v, (int, float)) and math.isfinite(v) and not self.ok(float(v)):
                raise ValueError(self.allowed())
        return value

    @property
    def validator(self) -> AfterValidator:
        return AfterValidator(self.check)


CELL = Bound(1e-12, 1.0, "m")
LENGTH = Bound(1e-12, 1.0, "m")
MS = Bound(1e-3, 1e8, "A/m", zero="non-magnetic")
EXCHANGE = Bound(1e-18, 1e-8, "J/m", zero="no exchange")
KU = Bound(1e-3, 1e8, "J/m^3", zero="no anisotropy", signed=True)
DMI = Bound(1e-8, 1.0, "J/m^2", zero="no DMI", signed=True)
KC = Bound(1e-3, 1e8, "J/m^3", zero="no cubic anisotropy", signed=True)
GAMMA0 = Bound(1e3, 1e8, "m/(A s)")
ALPHA = Bound(None, 1e3, "")
D0 = Bound(1e-9, 1e2, "m^2/s", zero="insulator")
J_SD = Bound(1e-25, 1e-17, "J", zero="no s-d coupling")
C_SD = Bound(1e-15, 1e3, "T m/A", zero="no s-d coupling")
CURRENT_DENSITY = Bound(None, 1e15, "A/m^2", signed=True)
APPLIED_FIELD = Bound(None, 1e6, "T", signed=True)
FREQUENCY = Bound(None, 1e15, "Hz")
DURATION = Bound(None, 1.0, "s")
