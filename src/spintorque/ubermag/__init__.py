"""spintorque as an Ubermag calculator: run a ``micromagneticmodel.System`` with spintorque,
in-process, and read the results with ``micromagneticdata`` and ``ubermagtable``::

    import discretisedfield as df
    import micromagneticmodel as mm
    import spintorque.ubermag as sc

    mesh = df.Mesh(p1=(0, 0, 0), p2=(500e-9, 125e-9, 3e-9), cell=(5e-9, 5e-9, 3e-9))
    system = mm.System(name="sp4")
    system.energy = mm.Exchange(A=1.3e-11) + mm.Demag()
    system.dynamics = mm.Precession(gamma0=mm.consts.gamma0) + mm.Damping(alpha=0.02)
    system.m = df.Field(mesh, nvdim=3, value=(1, 0.25, 0.1), norm=8e5)
    sc.MinDriver().drive(system)
    system.energy += mm.Zeeman(H=(-24.6e-3 / mm.consts.mu0, 4.3e-3 / mm.consts.mu0, 0))
    sc.TimeDriver().drive(system, t=1e-9, n=200)

Drivers: :class:`TimeDriver`, :class:`MinDriver`, :class:`HysteresisDriver`; :func:`compute`
(energy, energy density, effective field of the energy or a term); :func:`delete`. OOMMF's
evolver names are accepted (:class:`RungeKuttaEvolver`, :class:`CGEvolver`, the thermal ones,
...). spintorque's own physics: the dynamics terms :class:`SpinDiffusion` and
:class:`SpinMoment`. LLG relaxation: ``spintorque.ubermag.drivers.RelaxDriver`` (or a
``TimeDriver`` with damping), see docs/ubermag.md for why it is not an attribute here. Mistakes
in a system raise :class:`UbermagSystemError` (a ``ValueError``) naming the term.

Needs the optional extra: ``pip install "spintorque[ubermag]"``.
"""

from __future__ import annotations

try:
    import discretisedfield  # noqa: F401
    import micromagneticmodel  # noqa: F401
    import ubermagtable  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(f"spintorque.ubermag needs the Ubermag packages ({exc.name} is missing): "
                      'pip install "spintorque[ubermag]"') from None

from ._values import UbermagSystemError
from .drivers import (
    CGEvolver,
    EulerEvolver,
    HysteresisDriver,
    MinDriver,
    RungeKuttaEvolver,
    SpinTEvolver,
    SpinXferEvolver,
    TimeDriver,
    UHH_ThetaEvolver,
    Xf_ThermHeunEvolver,
    Xf_ThermSpinXferEvolver,
    compute,
    delete,
)
from .spin import SpinDiffusion, SpinMoment
from .translate import translate

__all__ = ["CGEvolver", "EulerEvolver", "HysteresisDriver", "MinDriver", "RungeKuttaEvolver",
           "SpinDiffusion", "SpinMoment", "SpinTEvolver", "SpinXferEvolver", "TimeDriver",
           "UHH_ThetaEvolver", "UbermagSystemError", "Xf_ThermHeunEvolver",
           "Xf_ThermSpinXferEvolver", "compute", "delete", "translate"]
