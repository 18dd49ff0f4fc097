"""The 1D FM/NM interface column (docs/theory/transport.md, analytic solutions) and its solution,
shared by the transport unit and convergence tests."""

from __future__ import annotations

import math

import numpy as np

from spintorque import Material, Sample
from spintorque.constants import E_CHARGE, MU_B
from spintorque.transport.diffusion import DiffusionModel
from spintorque.transport.solver import TransportSolver

# magnum.fe parameter set (docs/theory/parameters.md)
FM = Material(
    "fm", Ms=8e5, D0=1e-3, beta=0.9, beta_prime=0.8, lambda_sf=10e-9, lambda_J=4e-9, c_sd=3.125e-3
)
NM = Material("nm", D0=5e-3, lambda_sf=10e-9)
J = 1e11
LF, LN = 40e-9, 30e-9


def interface_column(h: float, bc: str, sign_e: float):
    """1D FM(40 nm, m = +x)/NM(30 nm) column along z, current +z: model, m, s."""
    sample = Sample.stack((1, 1), (h, h, h), [("FM", LF, FM), ("NM", LN, NM)])
    m = np.zeros(sample.grid.vshape)
    m[sample.mask("FM")] = [1.0, 0.0, 0.0]
    model = DiffusionModel(sample, J, bc=bc, sign_e=sign_e)
    s = TransportSolver(model, method="splu").solve(m)
    return sample, model, m, s


def analytic(z: np.ndarray, bc: str) -> tuple[float, np.ndarray]:
    """s(0) and s(z) (docs/theory/transport.md, analytic solutions; e > 0 convention, z measured
    from the interface)."""
    q = FM.beta * MU_B * J / E_CHARGE
    bbp = FM.beta * FM.beta_prime
    dp, lf, ln = 2 * FM.D0 * (1 - bbp), FM.lambda_sf * math.sqrt(1 - bbp), NM.lambda_sf
    a_n = 2 * NM.D0 / ln * math.tanh(LN / ln)
    ch, sh = math.cosh(LF / lf), math.sinh(LF / lf)
    if bc == "N":
        s0 = q / (dp / lf * math.tanh(LF / lf) + a_n)
        fm = s0 * np.cosh((z + LF) / lf) / ch
    else:
        c = q * lf / dp
        a = (q * (1 - ch) - a_n * c * sh) / (dp / lf * sh + a_n * ch)
        s0 = a * ch + c * sh
        fm = a * np.cosh((z + LF) / lf) + c * np.sinh((z + LF) / lf)
    nm = s0 * np.cosh((z - LN) / ln) / math.cosh(LN / ln)
    return s0, np.where(z < 0, fm, nm)
