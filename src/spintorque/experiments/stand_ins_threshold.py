"""Stand-in switching task with one first critical current and one reversal current per
model, for testing ``spintorque switching --first --reversal`` and :mod:`.model_difference` in
seconds (in place of ``commands.SWITCHING_TASK``, with :func:`.stand_ins.talk_relax` as the
relaxation).

FM2 stays "FM2 +x" up to the talk's first thresholds (diffusion ≤ 7.4, moment ≤ 9.0 ×
1e10 A/m²), is "FM2 multidomain" above them, "FM2 −x" from the talk's last window on
(diffusion ≥ 10.1, moment ≥ 10.2), and back at "FM2 +x" from 12.0 to 12.9 (a window above both
thresholds that a first-crossing search must not resolve).
"""

from __future__ import annotations

from .classify import MINUS
from .search import UNIT

#: highest current [1e10 A/m²] at which FM2 stays +x, per model
STAYS = {"diffusion": 7.4, "moment": 9.0}
#: lowest current [1e10 A/m²] at which FM2 ends at −x, per model
REVERSES = {"diffusion": 10.1, "moment": 10.2}


def first_threshold_response(params: dict) -> dict:
    k = round(params["current"] / (0.1 * UNIT))  # on the 0.1e10 lattice
    stays = k <= round(STAYS[params["model"]] * 10) or 120 <= k <= 129
    if stays:
        state = "FM2 +x"
    elif k >= round(REVERSES[params["model"]] * 10):
        state = f"FM2 {MINUS}x"
    else:
        state = "FM2 multidomain"
    return {"state": state, "label": state, "current": params["current"], "files": {}}
