"""Study ``schrodinger-liouville``: WKB data, eps -> 0, the spinor Schrödinger density and spin
density against the Liouville (characteristics) solution before caustics."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..liouville import characteristics, liouville_observables
from ..quantum import SpinorSchrodinger1D, density, spin_density, wigner, wigner_moments, wkb_state
from .report import pairwise, pyplot, rate, write_table

__all__ = ["WKB_SIGMA", "schrodinger_liouville_errors", "study_schrodinger_liouville", "wkb_case"]

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
        rn, rs = pairwise(eps_list, en), pairwise(eps_list, es)
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
    path = write_table(out_dir, "schrodinger-liouville", header, rows, notes)
    plt = pyplot()
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
