"""Shared output of the hierarchy studies: convergence rates, CSV + Markdown tables, pyplot."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

__all__ = ["pairwise", "pyplot", "rate", "write_table"]


def rate(eps: np.ndarray, err: np.ndarray) -> float:
    """Least-squares slope of log(err) against log(eps)."""
    return float(np.polyfit(np.log(np.asarray(eps)), np.log(np.asarray(err)), 1)[0])


def pairwise(eps: list[float], err: list[float]) -> list[float]:
    return [float("nan")] + [
        float(np.log(err[i] / err[i - 1]) / np.log(eps[i] / eps[i - 1])) for i in range(1, len(eps))
    ]


def write_table(
    out_dir: Path, name: str, header: list[str], rows: list[list], notes: list[str]
) -> Path:
    """Write ``<name>.csv`` and ``<name>.md`` (table + notes) into out_dir; return the .md path."""
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


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
