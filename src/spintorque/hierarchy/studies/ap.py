"""Study ``ap``: the AP schemes (kinetic micro-macro and moment) with one dt for
eps = 1 ... 1e-4: bounded solutions and convergence to the limit scheme."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..kinetic import KineticBGK1D
from ..moments import MomentSystem1D
from .moment_diffusion import layered_M
from .report import pyplot, rate, write_table

__all__ = ["kinetic_ap_run", "moment_ap_run", "study_ap"]


def kinetic_ap_run(
    eps: float, dt: float, n: int = 64, n_v: int = 32, T: float = 0.5, E: float = 1.0
):
    """Kinetic AP solver with layered M; returns (m, m_limit_scheme, kin) at T."""
    L = 2 * np.pi
    kin = KineticBGK1D(n, L, eps, n_v=n_v, v_max=6.0, M=layered_M(L), E=E)
    m0 = np.zeros((4, n))
    m0[0] = 1 + 0.5 * np.cos(kin.x)
    m0[1] = np.cos(kin.x)
    m0[3] = 0.5 * np.sin(kin.x)
    m, h = kin.initial(m0, well_prepared=True)
    m, h = kin.evolve(m, h, T, dt)
    lim = kin.limit_stepper(dt)
    ml = m0.copy()
    for _ in range(int(round(T / dt))):
        ml = lim(ml)
    return m, ml, kin


def moment_ap_run(eps: float, dt: float, n: int = 64, T: float = 0.5, E: float = 1.0):
    """Moment AP scheme with layered M; returns (m, m_limit_scheme, m_exact_semidiscrete)."""
    L = 2 * np.pi
    ms = MomentSystem1D(n, L, eps, M=layered_M(L), E=E)
    m0 = np.stack([np.cos(ms.x), np.zeros(n), 0.5 * np.sin(ms.x)], axis=1)
    j0 = ms.well_prepared_current(m0)
    step, lim = ms.ap_stepper(dt), ms.limit_stepper(dt)
    m, j, ml = m0.copy(), j0.copy(), m0.copy()
    for _ in range(int(round(T / dt))):
        m, j = step(m, j)
        ml = lim(ml)
    mex, _ = ms.evolve_exact(m0, j0, T)
    return m, ml, mex


def study_ap(out_dir: Path, quick: bool = False) -> Path:
    t_start = time.perf_counter()
    eps_list = [1.0, 1e-2, 1e-4] if quick else [1.0, 1e-1, 1e-2, 1e-3, 1e-4]
    dt_k, dt_m = 0.004, 0.01
    n = 32 if quick else 64
    rows, dk, dm, keep = [], [], [], {}
    for eps in eps_list:
        tic = time.perf_counter()
        m, ml, kin = kinetic_ap_run(eps, dt_k, n=n)
        keep[eps] = (m, ml, kin)
        tk = time.perf_counter() - tic
        tic = time.perf_counter()
        mm, mml, mex = moment_ap_run(eps, dt_m, n=n)
        tm = time.perf_counter() - tic
        dk.append(float(np.max(np.abs(m - ml))))
        dm.append(float(np.max(np.abs(mm - mml))))
        rows.append(
            [
                eps,
                float(np.max(np.abs(m))),
                dk[-1],
                tk,
                float(np.max(np.abs(mm))),
                dm[-1],
                float(np.max(np.abs(mm - mex))),
                tm,
            ]
        )
    small = [i for i, e in enumerate(eps_list) if e <= 1e-2]
    notes = [
        f"Kinetic: one dt = {dt_k} (dx = 2π/{n}, parabolic bound dx²/2 = "
        f"{(2 * np.pi / n) ** 2 / 2:.4f}) for every eps; an explicit scheme would need "
        "dt < eps² (relaxation) and dt < eps dx/v_max. "
        f"Rate of convergence to the limit scheme (eps <= 1e-2): "
        f"{rate([eps_list[i] for i in small], [dk[i] for i in small]):.2f}.",
        f"Moment: one dt = {dt_m}; rate to the limit scheme (eps <= 1e-2): "
        f"{rate([eps_list[i] for i in small], [dm[i] for i in small]):.2f}; 'AP-exact' is the "
        "time-discretization error against the exact semi-discrete solution (backward Euler, "
        "first order, uniform in eps).",
        f"Setup: layered M (e_z / e_x / e_z, tanh walls), E = 1, periodic [0, 2π), {n} cells, "
        "32 velocities on (-6, 6), well-prepared data, T = 0.5. "
        f"Total wall time {time.perf_counter() - t_start:.1f} s.",
    ]
    header = [
        "eps",
        "kin max abs m",
        "kin AP-limit",
        "kin time [s]",
        "mom max abs m",
        "mom AP-limit",
        "mom AP-exact",
        "mom time [s]",
    ]
    path = write_table(out_dir, "ap", header, rows, notes)
    plt = pyplot()
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].loglog(eps_list, dk, "o-", label=f"kinetic AP, dt = {dt_k}")
    ax[0].loglog(eps_list, dm, "s-", label=f"moment AP, dt = {dt_m}")
    ax[0].set_xlabel("ε (dimensionless)")
    ax[0].set_ylabel("max |m_AP - m_limit|, T = 0.5 (dimensionless)")
    ax[0].legend(fontsize=8)
    for eps in (eps_list[0], eps_list[-1]):
        m, ml, kin = keep[eps]
        ax[1].plot(kin.x, m[1], label=f"kinetic m_x, ε = {eps:g}")
        ax[1].plot(kin.x, m[3], label=f"kinetic m_z, ε = {eps:g}")
    ax[1].plot(kin.x, ml[1], "k:", label="limit scheme m_x")
    ax[1].set_xlabel("x (dimensionless)")
    ax[1].set_ylabel("spin density at T = 0.5 (dimensionless)")
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_dir / "ap.png", dpi=110)
    plt.close(fig)
    return path
