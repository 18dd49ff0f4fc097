"""Stand-in task functions for the switching commands, for testing the search, the store and the
CLI end to end in seconds (``"spintorque.experiments.stand_ins:talk_response"`` in place of
``commands.SWITCHING_TASK``, ``...:talk_relax`` in place of ``commands.RELAX_TASK``).

They live with the experiment, not in :mod:`spintorque.sweep`, because they know the talk's
table; the sweep layer imports nothing from :mod:`spintorque.experiments`.
"""

from __future__ import annotations

from .search import TALK_TABLE, UNIT


def talk_relax(params: dict) -> dict:
    """Stand-in for the relaxation task: writes a placeholder ``.npy`` to ``params["cache"]``."""
    import numpy as np

    np.save(params["cache"], np.zeros(1))
    return {"cache": params["cache"]}


def talk_response(params: dict) -> dict:
    """Stand-in for a switching run whose final state follows the talk's table exactly
    (docs/theory/switching.md (critical-current search and the table); current in 1e10 A/m²)."""
    k = round(params["current"] / (0.1 * UNIT))  # on the 0.1e10 lattice
    for lo, hi, state in TALK_TABLE[params["model"]]:
        if (lo is None or k >= round(lo * 10)) and (hi is None or k <= round(hi * 10)):
            return {"state": state, "label": state, "current": params["current"], "files": {}}
    raise ValueError(f"current {params['current']!r} A/m^2 falls in no window of the talk")
