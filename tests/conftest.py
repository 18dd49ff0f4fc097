"""Shared test helpers: locations of the published reference data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def refdata_dir() -> Path:
    """`shared/refdata` beside the checkout (CI clones main with shared/ beside it)."""
    candidates = [
        Path(os.environ["SPINTORQUE_REFDATA"]) if "SPINTORQUE_REFDATA" in os.environ else None,
        ROOT.parent / "shared" / "refdata",
        ROOT / "shared" / "refdata",
    ]
    for path in candidates:
        if path is not None and path.is_dir():
            return path
    return ROOT.parent / "shared" / "refdata"


@pytest.fixture(scope="session")
def refdata() -> Path:
    path = refdata_dir()
    if not path.is_dir():
        pytest.fail(f"reference data not found at {path}; set SPINTORQUE_REFDATA")
    return path
