"""The talk's FM1/spacer/FM2 pillar as an Ubermag system, driven by a current with the moment
model of spin transport, plotted with discretisedfield.

Ubermag (``micromagneticmodel`` for the system, ``discretisedfield`` for fields) describes the
problem; ``spintorque.ubermag`` runs it. The moment model has no Ubermag term: it is
spintorque's own dynamics term :class:`spintorque.ubermag.SpinMoment`, which solves the spin
accumulation self-consistently with m at every step. Parameters are those of
``examples/trilayer_moment.toml`` (permalloy, Cu spacer, the magnum.fe set), on the talk's
128 x 64 nm cross-section with coarse cells (16 x 16 x 10 nm) and for 50 ps, so that the script
runs in well under a minute::

    .venv/bin/python examples/ubermag_trilayer.py [OUTPUT_DIR]

Writes ``trilayer_m.png`` (m in the xz cross-section after the drive, and <m> of FM2 against
time) and the drive folders into OUTPUT_DIR (default: a new temporary directory), and prints
where. Needs the extra ``spintorque[ubermag]`` and matplotlib.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import discretisedfield as df  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import micromagneticmodel as mm  # noqa: E402

import spintorque.ubermag as sc  # noqa: E402
from spintorque.constants import GAMMA0  # noqa: E402

# -- geometry: 128 x 64 nm pillar; FM1 200 nm, Cu spacer 20 nm, FM2 60 nm (from z = 0 up) --------
LX, LY = 128e-9, 64e-9
FM1_TOP, FM2_BOTTOM, TOP = 200e-9, 220e-9, 280e-9
CELL = (16e-9, 16e-9, 10e-9)

# -- materials (examples/trilayer_moment.toml) ---------------------------------------------------
MS = 8.0e5          # A/m, permalloy
A = 1.3e-11         # J/m
KU = 500.0          # J/m^3, easy axis x
ALPHA = 0.02        # damping during the current-driven run
J = 1e12            # A/m^2, conventional current from FM1 (bottom) to FM2 (top)
DURATION = 50e-12   # s
STEPS = 10


def build_system() -> mm.System:
    """The pillar as an Ubermag system: regions, energy, dynamics (with SpinMoment) and m."""
    regions = {"FM1": df.Region(p1=(0, 0, 0), p2=(LX, LY, FM1_TOP)),
               "spacer": df.Region(p1=(0, 0, FM1_TOP), p2=(LX, LY, FM2_BOTTOM)),
               "FM2": df.Region(p1=(0, 0, FM2_BOTTOM), p2=(LX, LY, TOP))}
    mesh = df.Mesh(p1=(0, 0, 0), p2=(LX, LY, TOP), cell=CELL, subregions=regions)

    magnets = ("FM1", "FM2")

    def in_magnets(value: float, spacer: float = 0.0) -> dict[str, float]:
        return {**dict.fromkeys(magnets, value), "spacer": spacer}

    system = mm.System(name="trilayer")
    system.energy = (mm.Exchange(A=in_magnets(A))
                     + mm.UniaxialAnisotropy(K=in_magnets(KU), u=(1, 0, 0))
                     + mm.Demag())
    system.dynamics = (
        mm.Precession(gamma0=GAMMA0) + mm.Damping(alpha=ALPHA)
        + sc.SpinMoment(
            j=J,                                         # A/m^2 along z
            D0=in_magnets(1e-3, spacer=5e-3),            # m^2/s
            beta=in_magnets(0.9), beta_prime=in_magnets(0.8),
            lambda_sf=in_magnets(10e-9, spacer=10e-9),   # m
            lambda_J=dict.fromkeys(magnets, 4e-9),       # m
            c_sd=dict.fromkeys(magnets, 3.125e-3),       # T m/A
            z_refine=2, a=1.0))

    def m0(point):
        z = point[2]
        if z < FM1_TOP:
            return (0.0, 0.3, 1.0)    # the fixed layer, tilted out of the plane
        if z > FM2_BOTTOM:
            return (1.0, 0.0, 0.0)    # the free layer along its easy axis
        return (0.0, 0.0, 0.0)

    def ms(point):
        return 0.0 if FM1_TOP < point[2] < FM2_BOTTOM else MS

    system.m = df.Field(mesh, nvdim=3, value=m0, norm=ms)
    return system


def main(out: str | os.PathLike | None = None) -> Path:
    """Relax at zero current, drive, plot; returns the PNG's path."""
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="ubermag_trilayer_"))
    out.mkdir(parents=True, exist_ok=True)
    system = build_system()

    # relax: the minimizer uses the energy only (the current acts in TimeDriver)
    sc.MinDriver(stopping_mxHxm=1.0).drive(system, dirname=str(out))
    # drive: precession, damping and the moment model's spin accumulation
    sc.TimeDriver().drive(system, t=DURATION, n=STEPS, dirname=str(out))

    table = system.table.data
    fig, (ax_m, ax_t) = plt.subplots(1, 2, figsize=(11, 4.5))
    system.m.sel(y=LY / 2).mpl(ax=ax_m)
    ax_m.set_title(f"m in the xz plane after {DURATION * 1e12:.0f} ps")
    for c in "xyz":
        ax_t.plot(table["t"] * 1e12, table[f"m{c}"], label=f"<m{c}>")
    ax_t.set_xlabel("t (ps)")
    ax_t.set_ylabel("<m> of both magnets (1)")
    ax_t.legend()
    fig.tight_layout()
    png = out / "trilayer_m.png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    print(f"wrote {png}; drive folders in {out / system.name}")
    return png


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
