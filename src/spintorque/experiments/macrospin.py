"""Macrospin (Slonczewski) estimate of the first critical current of a free layer under a pinned
polarizer (``fm1 = "pinned"``), with the spin-torque efficiency eta of each transport model
measured from that model's own steady spin accumulation (docs/results/model_difference.md).

For FM2 uniform, FM1 pinned along +x, current j along +z, the linearized LLG about m = +x with a
damping-like torque of amplitude a_J = hbar eta j / (2 e mu0 Ms t) [A/m] loses stability at

    j_c = (2 e alpha mu0 Ms t / (hbar eta)) * (H_1 + H_2) / 2,
    H_1 = H_k + H_x + (N_y - N_x) Ms,   H_2 = H_k + H_x + (N_z - N_x) Ms,

(Sun 2000; for a thin film N_z - N_x = 1, N_y - N_x = 0 and (H_1 + H_2)/2 = H_k + H_x + Ms/2),
with t FM2's thickness, H_k = 2 Ku / (mu0 Ms), H_x FM1's stray field averaged over FM2 (along x;
negative: it favours the antiparallel state) and N the demagnetizing factors of FM2 alone. N and
H_x come from the experiment's own stray-field operator on its own mesh.

eta (dimensionless): with FM2 uniform at an in-plane angle theta from FM1's +x, the transport
model's field H_s = c s / mu0 in FM2 has a component along z (out of the m-p plane), which exerts
the damping-like torque; its depth integral is a_J t = hbar eta(theta) j sin(theta) /
(2 e mu0 Ms), so eta(theta) = 2 e mu0 Ms (integral of H_s,z dz) / (hbar j sin theta). The
instability of the parallel state needs eta(theta -> 0); it is evaluated at theta = 1 degree (and
at 90 degrees for comparison) on a 1D column (one cell in-plane, 0.5 nm along z), solved to a
relative residual of 1e-10. The field-like part (H_s along the in-plane normal to m) shifts the
effective field and is left out.

Within a time limit T: above j_c a deviation theta_0 grows as exp(t / tau) with
1 / tau = alpha gamma0 / (1 + alpha^2) (H_1 + H_2) / 2 (j / j_c - 1) (linearized), so FM2 leaves
+x (theta = 60 degrees, <mx> = 0.5) within T from

    j_T = j_c (1 + ln(60 degrees / theta_0) / (T alpha gamma0 / (1 + alpha^2) (H_1 + H_2) / 2)),

a factor common to both models (their ratio is j_c's); theta_0 is the polarizer's tilt.

    python -m spintorque.experiments.macrospin [--t-fm2 60 20 10 5 2] [--t-fm1 10]
        [--materials magnumfe magnumfe-consistent] [--cell auto] [--duration 2] [--theta0 1]
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from ..constants import E_CHARGE, GAMMA0, HBAR, MU0
from .trilayer import MATERIAL_SETS, TrilayerExperiment, preset


@dataclass(frozen=True)
class Estimate:
    """The macrospin inputs and j_c per model [A/m²]; fields in A/m, lengths in m."""

    t_fm2: float
    Ms: float
    alpha: float
    H_k: float
    H_x: float
    N: tuple[float, float, float]
    eta: dict[str, float]
    eta_90: dict[str, float]
    j_c: dict[str, float]
    eta_fl: dict[str, float] = None  # type: ignore[assignment]  # field-like, at 1 degree

    def time_factor(self, duration: float, theta0_deg: float, gamma0: float) -> float:
        """j_T / j_c for a time limit ``duration`` [s] from ``theta0_deg`` (module docstring)."""
        rate = self.alpha * gamma0 / (1 + self.alpha**2) * self.stiffness
        return 1 + math.log(60.0 / theta0_deg) / (duration * rate)

    @property
    def stiffness(self) -> float:
        """(H_1 + H_2) / 2 [A/m]."""
        nx, ny, nz = self.N
        return self.H_k + self.H_x + 0.5 * ((ny - nx) + (nz - nx)) * self.Ms


def demag_inputs(exp: TrilayerExperiment) -> tuple[tuple[float, float, float], float]:
    """FM2's demagnetizing factors (N_x, N_y, N_z) and FM1's stray field H_x averaged over FM2
    [A/m] (FM1 uniform along +x), from the experiment's stray-field operator on its mesh."""
    from ..fields.demag import Demag

    sample = exp.problem(0.0).sample
    demag = Demag(sample)
    fm1, fm2 = sample.mask("FM1"), sample.mask("FM2")
    ms = float(sample.param("Ms")[fm2].mean())
    n = []
    for axis in range(3):
        m = np.zeros(sample.grid.vshape)
        m[fm2, axis] = 1.0
        h = demag.field(m)
        n.append(-float(h[fm2, axis].mean()) / ms)
    m = np.zeros(sample.grid.vshape)
    m[fm1, 0] = 1.0
    h_x = float(demag.field(m)[fm2, 0].mean())
    return (n[0], n[1], n[2]), h_x


def efficiency(exp: TrilayerExperiment, model: str, theta_deg: float, j: float = 1e11,
               dz: float = 0.5e-9, field_like: bool = False) -> float:
    """eta(theta) of ``model`` for FM2 uniform at ``theta_deg`` from FM1's +x (see the module
    docstring), on a 1D column of the experiment's stack with cells ``dz`` thick;
    ``field_like``: the same for the in-plane component of H_s normal to m (the field-like
    torque's), e_theta = (-sin theta, cos theta, 0)."""
    from ..transport.models import transport_model
    from ..transport.solver import TransportSolver

    column = exp.with_(cell=(exp.length, exp.width, dz), model=model, z_refine=None)
    sample = column.problem(j).sample
    th = math.radians(theta_deg)
    m = np.zeros(sample.grid.vshape)
    m[sample.mask("FM1")] = (1.0, 0.0, 0.0)
    m[sample.mask("FM2")] = (math.cos(th), math.sin(th), 0.0)
    tm = transport_model(model).build(sample, j, a=float(exp.moment_a))
    s = tm.mesh.restrict(TransportSolver(tm, rtol=1e-10).solve(m))
    c = np.array([mat.effective_c_sd for mat in sample.materials])[sample.region]
    fm2 = sample.mask("FM2")
    if field_like:
        comp = -math.sin(th) * s[..., 0] + math.cos(th) * s[..., 1]
    else:
        comp = s[..., 2]
    hz = (c * comp / MU0)[fm2].reshape(-1)  # one column: the cells of FM2 along z
    ms = float(sample.param("Ms")[fm2].mean())
    integral = float(hz.sum()) * dz
    return 2 * E_CHARGE * MU0 * ms * integral / (HBAR * j * math.sin(th))


def estimate(exp: TrilayerExperiment, models: tuple[str, ...] = ("diffusion", "moment")
             ) -> Estimate:
    """The macrospin j_c of FM2 under a pinned FM1 for each model (module docstring)."""
    fm = MATERIAL_SETS[exp.materials]["fm"]
    ms, alpha, ku = fm["Ms"], fm["alpha"], fm["Ku"]
    n, h_x = demag_inputs(exp)
    h_k = 2 * ku / (MU0 * ms)
    eta = {m: efficiency(exp, m, 1.0) for m in models}
    eta90 = {m: efficiency(exp, m, 90.0) for m in models}
    eta_fl = {m: efficiency(exp, m, 1.0, field_like=True) for m in models}
    est = Estimate(exp.t_fm2, ms, alpha, h_k, h_x, n, eta, eta90, {})
    pre = 2 * E_CHARGE * alpha * MU0 * ms * exp.t_fm2 / HBAR
    j_c = {m: pre * est.stiffness / abs(eta[m]) for m in models}
    return Estimate(exp.t_fm2, ms, alpha, h_k, h_x, n, eta, eta90, j_c, eta_fl)


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--t-fm2", type=float, nargs="+", default=[60.0], help="nm")
    ap.add_argument("--t-fm1", type=float, default=10.0, help="nm")
    ap.add_argument("--materials", nargs="+", default=["magnumfe"])
    ap.add_argument("--cell", default="auto",
                    help="nm, DX,DY,DZ of the stray-field mesh (DZ divides every thickness); "
                         "'auto': 16,16,DZ with DZ the largest common divisor of FM1's and "
                         "FM2's thickness and 20 nm")
    ap.add_argument("--duration", type=float, default=2.0, help="time limit T in ns")
    ap.add_argument("--theta0", type=float, default=1.0, help="start angle in degrees")
    args = ap.parse_args(argv)
    print("| materials | FM2 (nm) | N_x, N_y, N_z | H_x stray (mT) | (H_1+H_2)/2 (mT) | "
          "eta diffusion (1°, 90°) | eta moment (1°, 90°) | j_c diffusion | j_c moment | "
          f"ratio m/d | j_T / j_c ({args.duration:g} ns, from {args.theta0:g}°) | "
          "field-like / damping-like, diffusion, moment |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for mats in args.materials:
        for t2 in args.t_fm2:
            if args.cell == "auto":
                dz = math.gcd(int(round(t2)), 20, int(round(args.t_fm1)))
                cell = (16e-9, 16e-9, dz * 1e-9)
            else:
                cell = tuple(float(v) * 1e-9 for v in args.cell.split(","))
            exp = preset("quick", fm1="pinned", t_fm1=args.t_fm1 * 1e-9, t_fm2=t2 * 1e-9,
                         materials=mats, cell=cell)
            e = estimate(exp)
            print(f"| {mats} | {t2:g} | {e.N[0]:.3f}, {e.N[1]:.3f}, {e.N[2]:.3f} | "
                  f"{e.H_x * MU0 * 1e3:.1f} | {e.stiffness * MU0 * 1e3:.1f} | "
                  f"{e.eta['diffusion']:.4f}, {e.eta_90['diffusion']:.4f} | "
                  f"{e.eta['moment']:.4f}, {e.eta_90['moment']:.4f} | "
                  f"{e.j_c['diffusion'] / 1e10:.1f} | {e.j_c['moment'] / 1e10:.1f} | "
                  f"{e.j_c['moment'] / e.j_c['diffusion']:.3f} | "
                  f"{e.time_factor(args.duration * 1e-9, args.theta0, GAMMA0):.2f} | "
                  f"{e.eta_fl['diffusion'] / e.eta['diffusion']:.2f}, "
                  f"{e.eta_fl['moment'] / e.eta['moment']:.2f} |",
                  flush=True)
    print("j_c in 1e10 A/m²; eta from each model's steady spin accumulation (module docstring).")


if __name__ == "__main__":  # pragma: no cover - command line
    main(sys.argv[1:])
