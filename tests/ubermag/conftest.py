"""The calculator fixture for micromagnetictests: spintorque.ubermag (skipped without the
``ubermag`` extra)."""

import pytest

pytest.importorskip("micromagnetictests", reason="needs the ubermag extra: "
                    'pip install "spintorque[ubermag]"')


@pytest.fixture(scope="module")
def calculator():
    import spintorque.ubermag

    return spintorque.ubermag


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Every test writes its drive folders into its own temporary directory."""
    monkeypatch.chdir(tmp_path)
