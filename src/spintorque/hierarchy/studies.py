"""The four numerical studies of the model hierarchy (quantum -> kinetic -> moments -> diffusion).

``run_study(name, out_dir, quick=False)`` runs one study, writes ``<name>.csv``, ``<name>.md``
(a Markdown table with the measured rates and the wall time) and ``<name>.png`` into out_dir, and
returns the path of the Markdown table. ``hierarchy_command(study, out)`` is the CLI hook
(``spintorque hierarchy STUDY --out DIR``; ``STUDY`` may be ``all``). Everything is dimensionless
(the talk's rescaled variables); the figures label their axes as such.

Studies:

- ``schrodinger-liouville``: WKB data, eps -> 0, density and spin density against the Liouville
  (characteristics) solution before caustics.
- ``kinetic-moment-diffusion``: one Fourier mode, uniform M; the spinor BGK moments against the
  moment system and against the diffusion limit for eps = 1 ... 1e-3 (exact in time and x).
- ``moment-diffusion``: moment system against its diffusion limit, well-prepared data, a single
  mode (PHYSICS.md §5.5) and a layered-M case (finite volumes, exact in time).
- ``ap``: the AP schemes (kinetic micro-macro and moment) with one dt for eps = 1 ... 1e-4:
  bounded solutions and convergence to the limit scheme.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.linalg

from .kinetic import KineticBGK1D, kinetic_mode_matrix
from .liouville import characteristics, liouville_observables
from .moments import MomentSystem1D, inverse_p_minus_qK, mode_matrices
from .quantum import SpinorSchrodinger1D, density, spin_density, wigner, wigner_moments, wkb_state

__all__ = ["STUDIES", "hierarchy_command", "rate", "run_study"]


def rate(eps: np.ndarray, err: np.ndarray) -> float:
    """Least-squares slope of log(err) against log(eps)."""
    return float(np.polyfit(np.log(np.asarray(eps)), np.log(np.asarray(err)), 1)[0])


def _pairwise(eps: list[float], err: list[float]) -> list[float]:
    return [float("nan")] + [
        float(np.log(err[i] / err[i - 1]) / np.log(eps[i] / eps[i - 1])) for i in range(1, len(eps))
    ]


def _write(out_dir: Path, name: str, header: list[str], rows: list[list], notes: list[str]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / f"{name}.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)

    def fmt(v: object) -> str:
        if isinstance(v, float):
            return "—" if np.isnan(v) else f"{v:.3g}"
        return str(v)

    lines = [f"| {' | '.join(header)} |", "|" + "---|" * len(header)]
    lines += [f"| {' | '.join(fmt(v) for v in r)} |" for r in rows]
    lines += [""] + notes + [""]
    path = out_dir / f"{name}.md"
    path.write_text("\n".join(lines))
    return path


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# ---------------------------------------------------------------------------------------------
# 1. Schrödinger -> Liouville
# ---------------------------------------------------------------------------------------------
WKB_SIGMA = 0.3  # Gaussian amplitude width (dimensionless)


def _zero(x: np.ndarray) -> np.ndarray:
    return np.zeros_like(x)


def wkb_case(name: str) -> dict:
    """WKB test cases: amplitude a, phase S, u0 = S', S'', potential V, V', V'', magnetization M.

    ``spreading``: u0 = 0.5 + 0.3 tanh x (increasing: no caustic ever), V = 0.
    ``focusing``: u0 = 0.5 - 0.3 tanh x (a caustic forms later), V = 0.2 (1 - cos x).
    Both: a = exp(-x²/(2·0.3²)), chi = spin up, M = (sin x, 0, cos x).
    """
    sign = {"spreading": 1.0, "focusing": -1.0}[name]
    c = 0.0 if name == "spreading" else 0.2
    return {
        "a": lambda x: np.exp(-(x**2) / (2 * WKB_SIGMA**2)),
        "S": lambda x: 0.5 * x + sign * 0.3 * np.log(np.cosh(x)),
        "p0": lambda x: 0.5 + sign * 0.3 * np.tanh(x),
        "dp0": lambda x: sign * 0.3 / np.cosh(x) ** 2,
        "V": lambda x: c * (1 - np.cos(x)),
        "dV": lambda x: c * np.sin(x),
        "d2V": lambda x: c * np.cos(x),
        "M": lambda x: np.stack([np.sin(x), np.zeros_like(x), np.cos(x)], axis=1),
    }


def schrodinger_liouville_errors(case: str, eps: float, T: float = 1.0, dt: float = 0.01):
    """Max-norm errors of n and s against the Liouville solution; returns a dict."""
    L, x0 = 2 * np.pi, -np.pi
    c = wkb_case(case)
    xl = np.linspace(-2.6, 2.6, 6001)
    s0 = np.tile(np.array([[0.0], [0.0], [1.0]]), (1, xl.size))
    n = int(2 ** np.ceil(np.log2(20.0 / eps)))  # resolves wave numbers up to ~ 10/eps
    q = SpinorSchrodinger1D(n, L, eps, V=c["V"], M=c["M"], x0=x0)
    psi0 = wkb_state(q.x, eps, c["a"](q.x), c["S"](q.x), np.array([1.0, 0.0]))
    psi = q.evolve(psi0, T, dt)
    lv = liouville_observables(
        q.x, L, xl, c["a"](xl), c["p0"](xl), c["dp0"](xl), s0, T, c["M"], c["dV"], c["d2V"], 200
    )
    ch = characteristics(xl, c["p0"](xl), s0, T, c["M"], c["dV"], c["d2V"], c["dp0"](xl), 200)
    return {
        "N": n,
        "err_n": float(np.max(np.abs(density(psi) - lv["n"]))),
        "err_s": float(np.max(np.abs(spin_density(psi) - lv["s"]))),
        "drift": abs(q.norm(psi) - q.norm(psi0)) / q.norm(psi0),
        "min_J": float(np.min(ch["J"])),
        "q": q,
        "psi": psi,
        "lv": lv,
    }


def study_schrodinger_liouville(out_dir: Path, quick: bool = False) -> Path:
    t_start = time.perf_counter()
    eps_list = [0.01, 0.005, 0.0025] if quick else [0.04, 0.02, 0.01, 0.005, 0.0025, 0.00125]
    T, dt = 1.0, 0.01
    rows, errs, keep, fits, minJ = [], {}, {}, {}, {}
    for case in ("spreading", "focusing"):
        en, es = [], []
        for eps in eps_list:
            tic = time.perf_counter()
            r = schrodinger_liouville_errors(case, eps, T, dt)
            en.append(r["err_n"])
            es.append(r["err_s"])
            minJ[case] = r["min_J"]
            rows.append([case, eps, r["N"], r["err_n"], r["err_s"], r["drift"],
                         time.perf_counter() - tic])  # fmt: skip
            keep[(case, eps)] = r
        rn, rs = _pairwise(eps_list, en), _pairwise(eps_list, es)
        for row, a1, a2 in zip(rows[-len(eps_list) :], rn, rs, strict=True):
            row[5:5] = [a1, a2]
        k = min(3, len(eps_list))
        fits[case] = (rate(eps_list[-k:], en[-k:]), rate(eps_list[-k:], es[-k:]))
        errs[case] = (en, es)
    # Wigner check at one eps: its moments reproduce n and s, and it concentrates on p = u(x, t)
    eps_w, L = 0.02, 2 * np.pi
    c = wkb_case("spreading")
    qw = SpinorSchrodinger1D(512, L, eps_w, M=c["M"], x0=-np.pi)
    psiw = qw.evolve(wkb_state(qw.x, eps_w, c["a"](qw.x), c["S"](qw.x), np.array([1.0, 0])), T, dt)
    p, W = wigner(psiw, eps_w, L)
    mom = wigner_moments(p, W)
    wig_err = max(
        np.max(np.abs(mom["n"] - density(psiw))), np.max(np.abs(mom["s"] - spin_density(psiw)))
    )
    wall = time.perf_counter() - t_start
    header = ["case", "eps", "N", "err n", "err s", "rate n", "rate s", "norm drift", "time [s]"]
    notes = [
        f"Least-squares rates over the {min(3, len(eps_list))} smallest eps: "
        + "; ".join(
            f"{case}: density {fn:.2f}, spin density {fs:.2f}" for case, (fn, fs) in fits.items()
        )
        + ".",
        f"Wigner check (spreading, eps = {eps_w}, N = 512): max |∫W dp - (n, s)| = {wig_err:.1e}.",
        f"Setup: a = exp(-x²/(2·{WKB_SIGMA}²)), chi = spin up, M = (sin x, 0, cos x), T = {T}, "
        f"dt = {dt}, periodic box [-π, π), N ≈ 20/eps. 'spreading': S' = 0.5 + 0.3 tanh x, V = 0 "
        f"(no caustic ever; min dX/dx0 = {minJ['spreading']:.2f}). 'focusing': "
        f"S' = 0.5 - 0.3 tanh x, V = 0.2 (1 - cos x) (before the caustic: min dX/dx0 = "
        f"{minJ['focusing']:.2f} at T). Errors: max norm on the grid against the characteristics "
        f"solution. Total wall time {wall:.1f} s.",
    ]
    path = _write(out_dir, "schrodinger-liouville", header, rows, notes)
    plt = _figure()
    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    e_show = 0.01
    r = keep[("focusing", e_show)]
    q, psi, lv = r["q"], r["psi"], r["lv"]
    sd = spin_density(psi)
    ax[0].plot(q.x, density(psi), label=f"n, Schrödinger ε={e_show}")
    ax[0].plot(q.x, lv["n"], "--", label="n, Liouville")
    ax[0].plot(q.x, sd[0], label="s_x, Schrödinger")
    ax[0].plot(q.x, lv["s"][0], "--", label="s_x, Liouville")
    ax[0].set_xlim(-1.0, 2.0)
    ax[0].set_title("focusing case, T = 1")
    ax[0].set_xlabel("x (dimensionless)")
    ax[0].set_ylabel("density, spin density (dimensionless)")
    ax[0].legend(fontsize=7)
    for case, mk in (("spreading", "o"), ("focusing", "s")):
        (en, es), (fn, fs) = errs[case], fits[case]
        ax[1].loglog(eps_list, en, mk + "-", label=f"{case}: density (rate {fn:.2f})")
        ax[1].loglog(eps_list, es, mk + "--", label=f"{case}: spin density (rate {fs:.2f})")
    e = np.array(eps_list)
    es = errs["spreading"][1]
    ax[1].loglog(e, es[-1] * e / e[-1], "k:", label="slope 1")
    ax[1].set_xlabel("ε (dimensionless)")
    ax[1].set_ylabel("max-norm error at T = 1 (dimensionless)")
    ax[1].xaxis.set_minor_formatter(plt.NullFormatter())
    ax[1].legend(fontsize=7)
    f = np.real(np.einsum("xpaa->px", W))
    ax[2].pcolormesh(qw.x, p, f, shading="auto")
    ax[2].set_ylim(-0.5, 1.5)
    ax[2].set_xlim(-1.5, 2.5)
    ax[2].set_xlabel("x (dimensionless)")
    ax[2].set_ylabel("p (dimensionless)")
    ax[2].set_title(f"tr W, spreading case, ε = {eps_w}, T = {T}")
    fig.tight_layout()
    fig.savefig(out_dir / "schrodinger-liouville.png", dpi=110)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------
# 2. kinetic -> moments -> diffusion
# ---------------------------------------------------------------------------------------------
def _mode_compare(eps: float, times: np.ndarray, k=1.0, E=1.0, M=(0.0, 0.0, 1.0), m0=(1.0, 0, 0)):
    """m̂(t) of the kinetic, moment and diffusion models for one mode, local-equilibrium data."""
    A, gr = kinetic_mode_matrix(k, eps, n_v=48, v_max=7.0, M=M, E=E)
    Sm, Ld = mode_matrices(k, eps, M=M, E=E, v2=gr["v2"])
    m0 = np.asarray(m0, dtype=complex)
    g = np.outer(m0, gr["mu"]).ravel()  # local equilibrium, zero current
    y = np.concatenate([m0, np.zeros(3)])
    md = m0.copy()
    out = np.zeros((3, times.size, 3), dtype=complex)
    t_prev = 0.0
    cache: dict[float, tuple] = {}  # equal time increments reuse one exponential
    for i, t in enumerate(times):
        h = round(float(t - t_prev), 12)
        if h > 0:
            if h not in cache:
                cache[h] = tuple(scipy.linalg.expm(h * X) for X in (A, Sm, Ld))
            eA, eS, eL = cache[h]
            g, y, md = eA @ g, eS @ y, eL @ md
        out[0, i], out[1, i], out[2, i] = gr["m_of"](g), y[:3], md
        t_prev = t
    return out


def kinetic_layered_compare(eps: float, n: int = 64, T: float = 0.5):
    """Layered M, local-equilibrium data: kinetic AP solver vs moment and diffusion (exact in time).

    Returns ``(m_kinetic, m_moment, m_diffusion, x)``, each m of shape ``(n, 3)``.
    """
    L = 2 * np.pi
    kin = KineticBGK1D(n, L, eps, n_v=32, v_max=6.0, M=layered_M(L), E=1.0)
    m0 = np.zeros((4, n))
    m0[1], m0[2], m0[3] = 1 + np.cos(kin.x), 0.5 * np.sin(2 * kin.x), np.cos(kin.x)
    m, h = kin.initial(m0, well_prepared=False)
    m, h = kin.evolve(m, h, T, min(0.004, kin.dx**2 / 3))
    ms = MomentSystem1D(n, L, eps, M=layered_M(L), E=1.0, v2=kin.v2)
    mm, _ = ms.evolve_exact(m0[1:].T.copy(), np.zeros((n, 3)), T)
    md = ms.evolve_diffusion_exact(m0[1:].T.copy(), T)
    return m[1:].T, mm, md, kin.x


def study_kinetic_moment_diffusion(out_dir: Path, quick: bool = False) -> Path:
    t_start = time.perf_counter()
    eps_list = [1.0, 0.1, 0.01] if quick else [1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001]
    times = np.array([0.2, 1.0])
    rows, res = [], {}
    for eps in eps_list:
        tic = time.perf_counter()
        out = _mode_compare(eps, times)
        dt_ = time.perf_counter() - tic
        res[eps] = out
        for i, t in enumerate(times):
            ekm = float(np.max(np.abs(out[0, i] - out[1, i])))
            ekd = float(np.max(np.abs(out[0, i] - out[2, i])))
            rows.append([eps, float(t), ekm, ekd, ekd / ekm, dt_])
    notes = []
    for t in times:
        sel = [r for r in rows if r[1] == t and r[0] <= 0.1]
        if len(sel) >= 2:
            e = [r[0] for r in sel]
            notes.append(
                f"T = {t}: rate (eps <= 0.1) kinetic-moment {rate(e, [r[2] for r in sel]):.2f}, "
                f"kinetic-diffusion {rate(e, [r[3] for r in sel]):.2f}."
            )
    closer = [f"(ε={r[0]:g}, T={r[1]:g})" for r in rows if r[4] > 1]
    notes.append(
        "Moment model closer to the kinetic moments than diffusion (ratio > 1) at: "
        + (", ".join(closer) if closer else "nowhere")
    )
    notes.append(
        "Setup: one Fourier mode k = 1, M = e_z, E = 1, m(0) = (1, 0, 0), kinetic data the local "
        "equilibrium g = m mu (moment and diffusion data: same m, j = 0); velocity grid 48 points "
        "on (-7, 7); all three models integrated exactly in time (matrix exponential). Error = "
        "max over x and components of |m_kinetic - m_model|."
    )
    # space-dependent companion: layered M with the kinetic AP solver (64 cells; the 32-cell
    # run gives a discretization-error indicator)
    lrows, lay = [], {}
    for eps in [1.0] if quick else [1.0, 0.3, 0.1]:
        tic = time.perf_counter()
        mk, mm, md, x = kinetic_layered_compare(eps)
        mk32 = kinetic_layered_compare(eps, n=32)[0]
        disc = float(np.max(np.abs(mk32 - 0.5 * (mk[0::2] + mk[1::2]))))
        lay[eps] = (mk, mm, md, x)
        ekm, ekd = float(np.max(np.abs(mk - mm))), float(np.max(np.abs(mk - md)))
        lrows.append([eps, 0.5, ekm, ekd, ekd / ekm, disc, time.perf_counter() - tic])
    _write(
        out_dir,
        "kinetic-moment-diffusion-layered",
        [
            "eps",
            "T",
            "err kin-mom",
            "err kin-diff",
            "ratio diff/mom",
            "disc. indicator",
            "time [s]",
        ],
        lrows,
        [
            "Layered M (e_z / e_x / e_z, tanh walls), E = 1, local-equilibrium data "
            "m(0) = (1 + cos x, ½ sin 2x, cos x), zero current; kinetic AP solver on 64 cells, "
            "32 velocities, dt = min(0.004, dx²/3); moment and diffusion semi-discrete on the same "
            "grid, exact in time. 'disc. indicator' = max difference of the 32- and 64-cell "
            "kinetic runs (second-order scheme with dt ∝ dx²: the 64-cell error is about a third "
            "of it)."
        ],
    )
    notes.append(
        "Layered-M companion table: kinetic-moment-diffusion-layered.md (kinetic AP solver). "
        f"Total wall time (both tables) {time.perf_counter() - t_start:.1f} s."
    )
    header = ["eps", "T", "err kin-mom", "err kin-diff", "ratio diff/mom", "time [s]"]
    path = _write(out_dir, "kinetic-moment-diffusion", header, rows, notes)
    plt = _figure()
    fig, ax = plt.subplots(1, 3, figsize=(15, 4))
    for t in times:
        sel = [r for r in rows if r[1] == t]
        ax[0].loglog(
            [r[0] for r in sel], [r[2] for r in sel], "o-", label=f"kinetic vs moment, T={t:g}"
        )
        ax[0].loglog(
            [r[0] for r in sel], [r[3] for r in sel], "s--", label=f"kinetic vs diffusion, T={t:g}"
        )
    ax[0].set_xlabel("ε (dimensionless)")
    ax[0].set_ylabel("max-norm error in m (dimensionless)")
    ax[0].legend(fontsize=7)
    tt = np.linspace(0.0, 1.0, 41)
    e_show = 1.0
    out = _mode_compare(e_show, tt)
    for j, (lab, st) in enumerate([("kinetic", "-"), ("moment", "--"), ("diffusion", ":")]):
        ax[1].plot(tt, out[j, :, 0].real, st, label=f"{lab}: Re m̂_x")
        ax[1].plot(tt, out[j, :, 1].real, st, label=f"{lab}: Re m̂_y")
    ax[1].set_xlabel("t (dimensionless)")
    ax[1].set_ylabel(f"mode amplitude, ε = {e_show:g} (dimensionless)")
    ax[1].legend(fontsize=7)
    mk, mm, md, x = lay[1.0]
    for c, lab in ((0, "x"), (2, "z")):
        ax[2].plot(x, mk[:, c], "-", label=f"kinetic m_{lab}")
        ax[2].plot(x, mm[:, c], "--", label=f"moment m_{lab}")
        ax[2].plot(x, md[:, c], ":", label=f"diffusion m_{lab}")
    ax[2].set_xlabel("x (dimensionless)")
    ax[2].set_ylabel("spin density (dimensionless)")
    ax[2].set_title("layered M, ε = 1, T = 0.5")
    ax[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_dir / "kinetic-moment-diffusion.png", dpi=110)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------
# 3. moments -> diffusion
# ---------------------------------------------------------------------------------------------
def single_mode_error(
    eps: float, k=1.0, E=1.0, T=1.0, M=(0.0, 0.0, 1.0), m0=(1.0, 0.0, 0.0)
) -> float:
    """max |m_moment - m_diffusion| at T for one mode, well-prepared data (PHYSICS.md §5.5)."""
    S, L = mode_matrices(k, eps, M=M, E=E)
    m0 = np.asarray(m0, dtype=complex)
    j0 = -eps * inverse_p_minus_qK(1.0, 1.0, np.asarray(M, float)) @ ((1j * k - E) * m0)
    y = scipy.linalg.expm(T * S) @ np.concatenate([m0, j0])
    md = scipy.linalg.expm(T * L) @ m0
    return float(np.max(np.abs(y[:3] - md)))


def layered_M(length: float, width: float = 0.15) -> Callable[[np.ndarray], np.ndarray]:
    """Two layers on a periodic interval: M = e_z, and M = e_x on (L/4, 3L/4), tanh walls."""

    def M(x: np.ndarray) -> np.ndarray:
        s = 0.5 * (np.tanh((x - length / 4) / width) - np.tanh((x - 3 * length / 4) / width))
        phi = 0.5 * np.pi * s
        return np.stack([np.sin(phi), np.zeros_like(x), np.cos(phi)], axis=1)

    return M


def layered_error(
    eps: float, n: int = 96, T: float = 1.0, E: float = 1.0
) -> tuple[float, np.ndarray, np.ndarray, MomentSystem1D]:
    L = 2 * np.pi
    ms = MomentSystem1D(n, L, eps, M=layered_M(L), E=E)
    m0 = np.stack([1 + np.cos(ms.x), 0.5 * np.sin(2 * ms.x), np.cos(ms.x)], axis=1)
    m, _ = ms.evolve_exact(m0, ms.well_prepared_current(m0), T)
    md = ms.evolve_diffusion_exact(m0, T)
    return float(np.max(np.abs(m - md))), m, md, ms


def study_moment_diffusion(out_dir: Path, quick: bool = False) -> Path:
    t_start = time.perf_counter()
    eps_list = [0.1, 0.03, 0.01] if quick else [0.1, 0.03, 0.01, 0.003, 0.001]
    n_layer = 48 if quick else 96
    rows, e1, e2 = [], [], []
    keep = None
    for eps in eps_list:
        tic = time.perf_counter()
        a = single_mode_error(eps)
        b, m, md, ms = layered_error(eps, n=n_layer)
        if keep is None:
            keep = (eps, m, md, ms)
        e1.append(a)
        e2.append(b)
        rows.append([eps, a, b, time.perf_counter() - tic])
    r1, r2 = _pairwise(eps_list, e1), _pairwise(eps_list, e2)
    for r, a1, a2 in zip(rows, r1, r2, strict=True):
        r[3:3] = [a1, a2]
    notes = [
        f"Least-squares rates: single mode {rate(eps_list, e1):.2f}, "
        f"layered M {rate(eps_list, e2):.2f}.",
        "PHYSICS.md §5.5 quotes 2.3e-3, 2.1e-4, 2.3e-5 for eps = 0.1, 0.03, 0.01 (single mode).",
        "Single mode: k = 1, M = e_z, E = 1, v2 = 1, m(0) = (1, 0, 0), well-prepared "
        "j(0) = -eps (I - [M]x)^-1 (v2 ikm - Em), T = 1, exact (matrix exponential, no grid).",
        f"Layered: M = e_z / e_x / e_z with tanh walls (width 0.15) on [0, 2π), E = 1, {n_layer} "
        "cells (staggered finite volumes, same grid for both models), well-prepared data "
        "m(0) = (1 + cos x, ½ sin 2x, cos x), T = 1, exact in time. "
        f"Total wall time {time.perf_counter() - t_start:.1f} s.",
    ]
    header = ["eps", "single mode", "layered M", "rate single", "rate layered", "time [s]"]
    path = _write(out_dir, "moment-diffusion", header, rows, notes)
    plt = _figure()
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    e = np.array(eps_list)
    ax[0].loglog(e, e1, "o-", label="single mode")
    ax[0].loglog(e, e2, "s-", label="layered M")
    ax[0].loglog(e, e1[0] * (e / e[0]) ** 2, "k:", label="slope 2")
    ax[0].set_xlabel("ε (dimensionless)")
    ax[0].set_ylabel("max |m_mom - m_diff|, T = 1 (dimensionless)")
    ax[0].legend(fontsize=8)
    eps0, m, md, ms = keep
    for c, lab in enumerate("xyz"):
        ax[1].plot(ms.x, m[:, c], label=f"m_{lab} moment, ε={eps0:g}")
        ax[1].plot(ms.x, md[:, c], "--", label=f"m_{lab} diffusion")
    ax[1].plot(ms.x, ms.Mc[:, 0], "k:", label="M_x (layers)")
    ax[1].set_xlabel("x (dimensionless)")
    ax[1].set_ylabel("spin density at T = 1 (dimensionless)")
    ax[1].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out_dir / "moment-diffusion.png", dpi=110)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------
# 4. AP property
# ---------------------------------------------------------------------------------------------
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
    path = _write(out_dir, "ap", header, rows, notes)
    plt = _figure()
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


STUDIES: dict[str, Callable[[Path, bool], Path]] = {
    "schrodinger-liouville": study_schrodinger_liouville,
    "kinetic-moment-diffusion": study_kinetic_moment_diffusion,
    "moment-diffusion": study_moment_diffusion,
    "ap": study_ap,
}


def run_study(name: str, out_dir: str | Path, quick: bool = False) -> Path:
    """Run study ``name`` (a key of ``STUDIES``); write CSV, Markdown and PNG to out_dir.

    Returns the path of the Markdown table. ``quick`` runs a reduced eps list (for tests).
    """
    if name not in STUDIES:
        raise ValueError(f"study = {name!r}: choose one of {sorted(STUDIES)}")
    return STUDIES[name](Path(out_dir), quick)


def hierarchy_command(study: str, out: Path, quick: bool = False) -> list[Path]:
    """CLI hook for ``spintorque hierarchy STUDY --out DIR``; STUDY may be ``all``.

    Runs the study (or all four), prints each table path and wall time, returns the paths.
    """
    names = sorted(STUDIES) if study == "all" else [study]
    paths = []
    for name in names:
        tic = time.perf_counter()
        path = run_study(name, out, quick=quick)
        print(f"{name}: {path} ({time.perf_counter() - tic:.1f} s)")
        paths.append(path)
    return paths
