"""Measured rates of the four hierarchy studies (reduced-size variants, ``quick=True``)."""

import csv

import numpy as np
import pytest

from spintorque.hierarchy.studies import rate, run_study


def _num(v):
    try:
        return float(v)
    except ValueError:
        return v  # a label column (e.g. the WKB case)


def _table(path):
    with open(path.with_suffix(".csv")) as fh:
        rows = list(csv.reader(fh))
    return rows[0], [[_num(v) for v in r] for r in rows[1:]]


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("hierarchy")


def test_schrodinger_to_liouville_rate(out):
    path = run_study("schrodinger-liouville", out, quick=True)
    assert (out / "schrodinger-liouville.png").stat().st_size > 0
    head, rows = _table(path)
    assert max(r[head.index("norm drift")] for r in rows) < 1e-12  # unitary splitting
    for case, (lo_n, hi_n), (lo_s, hi_s) in (
        # eps = 0.01 .. 0.0025, measured: spreading 1.45 (n) and 1.12 (s); focusing 1.69 and 1.52.
        # The rates tend to 1 (O(eps)) from above as eps falls (an O(eps²) part still shows at
        # the larger eps; the full study reaches 1.02 for s); the margins bracket that.
        ("spreading", (1.0, 1.8), (0.9, 1.5)),
        ("focusing", (1.0, 2.0), (0.9, 1.9)),
    ):
        sel = [r for r in rows if r[0] == case]
        eps = [r[1] for r in sel]
        en, es = [r[head.index("err n")] for r in sel], [r[head.index("err s")] for r in sel]
        assert lo_n < rate(eps, en) < hi_n, (case, en)
        assert lo_s < rate(eps, es) < hi_s, (case, es)
        assert es[-1] < 5e-3


def test_kinetic_moment_diffusion_rates(out):
    path = run_study("kinetic-moment-diffusion", out, quick=True)
    head, rows = _table(path)
    for T in (0.2, 1.0):
        sel = [r for r in rows if r[1] == T and r[0] <= 0.1]
        eps = [r[0] for r in sel]
        # both model errors O(eps²) in the diffusive regime (measured 2.00 ± 0.02)
        assert abs(rate(eps, [r[2] for r in sel]) - 2) < 0.1
        assert abs(rate(eps, [r[3] for r in sel]) - 2) < 0.1
    # kinetic regime, short time: the moment model is far closer than diffusion (measured 559x)
    r = next(r for r in rows if r[0] == 1.0 and r[1] == 0.2)
    assert r[head.index("ratio diff/mom")] > 100


def test_moment_diffusion_rates(out):
    path = run_study("moment-diffusion", out, quick=True)
    head, rows = _table(path)
    eps = [r[0] for r in rows]
    e1, e2 = [r[1] for r in rows], [r[2] for r in rows]
    assert abs(rate(eps, e1) - 2) < 0.05 and abs(rate(eps, e2) - 2) < 0.05  # well-prepared: O(eps²)
    # docs/theory/hierarchy.md (diffusion limit), quoted to 2 digits
    assert np.allclose(e1, [2.3e-3, 2.1e-4, 2.3e-5], rtol=0.03)


def test_ap_study(out):
    path = run_study("ap", out, quick=True)
    head, rows = _table(path)
    eps = [r[0] for r in rows]
    assert all(np.isfinite(r[1]) and r[1] < 2.0 for r in rows)  # data max is 1.5: no blow-up
    assert all(np.isfinite(r[4]) and r[4] < 1.0 for r in rows)
    small = [i for i, e in enumerate(eps) if e <= 1e-2]
    dk = [rows[i][head.index("kin AP-limit")] for i in small]
    dm = [rows[i][head.index("mom AP-limit")] for i in small]
    # kinetic: at least O(eps) (measured 1.00 here, 32 cells; 1.25 in the 64-cell study, where the
    # O(eps²) continuous gap still shows at eps = 1e-2 before the O(eps dx^p) upwind term)
    assert 0.9 < rate([eps[i] for i in small], dk) < 2.1
    assert dk[-1] < 1e-5
    assert abs(rate([eps[i] for i in small], dm) - 2) < 0.1  # moment: O(eps²) (measured 2.00)
