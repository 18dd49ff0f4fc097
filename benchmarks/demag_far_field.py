"""Where does the float64 Newell tensor lose digits, and where is the far field good enough?

Reference: the same Newell formulas in 40-digit arithmetic (mpmath). Prints, per distance r (in
largest cell edges) and cell shape, the worst relative error over the six components (relative to
the largest component at that offset) of (a) Newell in float64, (b) the far-field quadrature.
Run: ``.venv/bin/python benchmarks/demag_far_field.py``.
"""

from __future__ import annotations

import itertools

import mpmath as mp
import numpy as np

from spintorque.fields.demag.newell import far_tensor, newell_tensor

mp.mp.dps = 40


def _asinh(num, den2):
    return mp.asinh(num / mp.sqrt(den2)) if den2 > 0 else mp.mpf(0)


def _atan(num, den):
    return mp.atan(num / den) if den != 0 else mp.mpf(0)


def f_mp(x, y, z):
    x, y, z = abs(x), abs(y), abs(z)
    x2, y2, z2 = x * x, y * y, z * z
    r = mp.sqrt(x2 + y2 + z2)
    return (
        y * (z2 - x2) * _asinh(y, x2 + z2) / 2
        + z * (y2 - x2) * _asinh(z, x2 + y2) / 2
        - x * y * z * _atan(y * z, x * r)
        + (2 * x2 - y2 - z2) * r / 6
    )


def g_mp(x, y, z):
    z = abs(z)
    x2, y2, z2 = x * x, y * y, z * z
    r = mp.sqrt(x2 + y2 + z2)
    return (
        x * y * z * _asinh(z, x2 + y2)
        + y * (3 * z2 - y2) * _asinh(x, y2 + z2) / 6
        + x * (3 * z2 - x2) * _asinh(y, x2 + z2) / 6
        - z2 * z * _atan(x * y, z * r) / 6
        - z * y2 * _atan(x * z, y * r) / 2
        - z * x2 * _atan(y * z, x * r) / 2
        - x * y * r / 3
    )


def newell_mp(d, cell):
    h = [mp.mpf(c) / mp.mpf(max(cell)) for c in cell]
    out = []
    perms = [(f_mp, (0, 1, 2)), (f_mp, (1, 2, 0)), (f_mp, (2, 0, 1)),
             (g_mp, (0, 1, 2)), (g_mp, (0, 2, 1)), (g_mp, (1, 2, 0))]
    coef = {-1: 1, 0: -2, 1: 1}
    for func, p in perms:
        s = mp.mpf(0)
        for e in itertools.product((-1, 0, 1), repeat=3):
            pos = [(d[a] + e[a]) * h[a] for a in range(3)]
            s += coef[e[0]] * coef[e[1]] * coef[e[2]] * func(pos[p[0]], pos[p[1]], pos[p[2]])
        out.append(s / (4 * mp.pi * h[0] * h[1] * h[2]))
    return np.array([float(v) for v in out])


def main() -> None:
    directions = [(1, 0, 0), (1, 1, 0), (1, 1, 1), (3, 2, 1), (0, 0, 1)]
    for cell in [(1.0, 1.0, 1.0), (1.0, 1.0, 0.25)]:
        hmax = max(cell)
        print(f"cell {cell}: r | Newell float64 | far p=2 | far p=3 | far p=4 "
              "(worst over directions)")
        for r in [2, 4, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64]:
            errs = np.zeros(4)
            for dirn in directions:
                v = np.array(dirn, float) * np.array(cell) / hmax
                d = np.rint(np.array(dirn) * r / np.linalg.norm(v)).astype(int)
                ref = newell_mp(d, cell)
                scale = np.abs(ref).max()
                m = tuple(int(v) + 1 for v in d)
                got = newell_tensor(m, cell)[(slice(None), *d)]
                errs[0] = max(errs[0], np.abs(got - ref).max() / scale)
                for i, order in enumerate((2, 3, 4)):
                    far = far_tensor(d[None, :], cell, order)[:, 0]
                    errs[i + 1] = max(errs[i + 1], np.abs(far - ref).max() / scale)
            print(f"  {r:3d} | " + " | ".join(f"{e:8.1e}" for e in errs))


if __name__ == "__main__":
    main()
