"""micromagnetictests, the Ubermag calculators' shared test suite, against spintorque.ubermag.

The whole suite runs here (``pytest tests/ubermag``); docs/ubermag.md lists the two tests that
are skipped and why."""

import pytest

mt = pytest.importorskip("micromagnetictests")
from micromagnetictests.calculatortests import Ms, system  # noqa: E402, F401 (fixtures)

SKIPPED = {
    "test_relaxdriver": "spintorque.ubermag has no RelaxDriver attribute: micromagnetictests "
    "treats a calculator with one as mumax3 and then expects mumax3's limits (DMI without "
    "exchange refused, Cnv_x/Cnv_y/D2d refused), which spintorque does not have; LLG "
    "relaxation is spintorque.ubermag.drivers.RelaxDriver (tested in test_calculator.py)",
    "test_relax_check_for_energy": "the same: no RelaxDriver attribute (see test_relaxdriver)",
}

for _name, _obj in mt.get_tests():
    if _name in SKIPPED:
        globals()[_name] = pytest.mark.skip(reason=SKIPPED[_name])(_obj)
    else:
        globals()[_name] = _obj
