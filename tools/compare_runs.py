"""Overlay one layer's average magnetization of several runs against time (PNG).

    python tools/compare_runs.py OUT.png "step=runs/a/table.tsv" "accepted=runs/b/table.tsv" \
        [--layer FM2] [--title TEXT]

Each run is ``LABEL=PATH`` to a ``table.tsv`` written by a run (columns ``t (s)``,
``mx_FM2``, ...), or ``LABEL=PATH1::PATH2::...`` for a run continued from the final state of the
one before (each table's time starts where the previous one ended). One panel per component,
time in ns, averages dimensionless.
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read_layer(path: str, layer: str) -> tuple[np.ndarray, np.ndarray]:
    """(t [s], averages (n, 3)) of ``layer`` from a run's table."""
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
    names = [f"m{c}_{layer}" for c in "xyz"]
    missing = [n for n in names if n not in header]
    if missing:
        raise SystemExit(f"{path}: no columns {missing}; layers in it: "
                         f"{sorted({h.split('_', 1)[1] for h in header if h.startswith('mx_')})}")
    data = np.loadtxt(path, skiprows=1, ndmin=2)
    return data[:, 0], data[:, [header.index(n) for n in names]]


def read_continued(paths: list[str], layer: str) -> tuple[np.ndarray, np.ndarray]:
    """One run from tables of its consecutive legs, each shifted to start where the last ended
    (a continued leg repeats its start, the previous leg's end, which is dropped)."""
    ts, ms, t_end = [], [], 0.0
    for i, path in enumerate(paths):
        t, m = read_layer(path, layer)
        t = t - t[0] + t_end
        if i:
            t, m = t[1:], m[1:]
        ts.append(t)
        ms.append(m)
        t_end = t[-1]
    return np.concatenate(ts), np.concatenate(ms)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="PNG file to write")
    ap.add_argument("runs", nargs="+",
                    help="LABEL=PATH to a table.tsv (PATH1::PATH2: a continued run)")
    ap.add_argument("--layer", default="FM2")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()
    fig, axes = plt.subplots(3, 1, figsize=(7, 6), sharex=True)
    for spec in args.runs:
        label, sep, path = spec.partition("=")
        if not sep:
            raise SystemExit(f"run {spec!r}: expected LABEL=PATH")
        t, m = read_continued(path.split("::"), args.layer)
        for k, ax in enumerate(axes):
            ax.plot(t * 1e9, m[:, k], label=label, lw=1)
    for k, ax in enumerate(axes):
        ax.set_ylabel(f"⟨m{'xyz'[k]}⟩ {args.layer} (1)")
        ax.set_ylim(-1.05, 1.05)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower left", fontsize=8)
    axes[-1].set_xlabel("t (ns)")
    if args.title:
        axes[0].set_title(args.title, fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
