"""When does FM2 leave its reversed state? One row per run of a switching sweep's folder.

    python tools/excursions.py data/switching-4nm-onset [--after 1] [--level -0.5]

Reads every ``runs/<model>/j<J>e10/table.tsv`` under the folder (an ``--out`` folder or an
archive of one) and prints a Markdown table: the largest ⟨mx⟩ of FM2 from ``--after`` [ns] to
the end, and the first time [ns] it rises above ``--level`` [1] there. Above the onset of
sustained motion FM2, reversed to −x within about 1 ns, leaves −x in excursions (⟨mx⟩ up to
+0.2…+0.6); at rest, or in a wobble that the ``--moving-threshold`` classifier may still count
as moving, ⟨mx⟩ stays below about −0.65. So this criterion separates an excursion from a wobble,
which the final-window motion does not (``docs/results/switching.md``, "Onset of sustained
motion").
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

RUN_DIR = re.compile(r"j([+-]?[0-9.]+)e10$")


def first_excursion(path: Path, after_s: float, level: float) -> tuple[float, float | None, float]:
    """(largest FM2 ⟨mx⟩ [1] after ``after_s``, first time [s] above ``level`` or None,
    t_end [s])."""
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
    if "mx_FM2" not in header:
        raise ValueError(f"{path}: no column mx_FM2 (columns: {', '.join(header)})")
    data = np.loadtxt(path, skiprows=1, ndmin=2)
    t, mx = data[:, header.index("t (s)")], data[:, header.index("mx_FM2")]
    late = t >= after_s
    if not late.any():
        raise ValueError(f"{path}: ends at {t[-1] * 1e9:.3g} ns, before --after "
                         f"{after_s * 1e9:g} ns")
    above = np.flatnonzero(mx[late] > level)
    return float(mx[late].max()), float(t[late][above[0]]) if above.size else None, float(t[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="a sweep's --out folder or its archive")
    ap.add_argument("--after", type=float, default=1.0, help="ns; start of the window (default 1)")
    ap.add_argument("--level", type=float, default=-0.5,
                    help="FM2 <mx> [1] that counts as leaving -x (default -0.5)")
    args = ap.parse_args(argv)
    tables = sorted(args.folder.glob("runs/*/*/table.tsv"))
    if not tables:
        print(f"error: {args.folder}: no runs/<model>/j<J>e10/table.tsv under it", file=sys.stderr)
        return 2
    rows = []
    for path in tables:
        match = RUN_DIR.search(path.parent.name)
        if match is None:
            continue
        try:
            peak, t_first, t_end = first_excursion(path, args.after * 1e-9, args.level)
        except ValueError as err:  # an unfinished run: say so, go on
            print(f"skipped: {err}", file=sys.stderr)
            continue
        rows.append((path.parent.parent.name, float(match.group(1)), peak, t_first, t_end))
    print(f"| model | j (1e10 A/m²) | max FM2 <mx> after {args.after:g} ns (1) "
          f"| first FM2 <mx> > {args.level:g} (ns) | t_end (ns) |")
    print("|---|---|---|---|---|")
    for model, j, peak, t_first, t_end in sorted(rows):
        first = "none" if t_first is None else f"{t_first * 1e9:.2f}"
        print(f"| {model} | {j:g} | {peak:.3f} | {first} | {t_end * 1e9:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
