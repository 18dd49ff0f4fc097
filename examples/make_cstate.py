"""Write the initial C-state of the Slonczewski example (examples/data/cstate_64x32x1.ovf).

m = (0, −1, −0.1)/|.| for x < L/4 and x > 3L/4, (1, 0, 0) elsewhere, on 64 × 32 × 1 cells of
2.5 nm × 2.5 nm × 5 nm (the OOMMF / mumax2 certification problem). Run from the repository root:
``.venv/bin/python examples/make_cstate.py``.
"""

from pathlib import Path

import numpy as np

from spintorque import Grid
from spintorque.io.ovf import write_ovf

grid = Grid((64, 32, 1), (2.5e-9, 2.5e-9, 5e-9))
x, _, _ = grid.coordinates()
length = grid.size[0]
m = np.zeros(grid.vshape)
ends = (x < length / 4) | (x > 3 * length / 4)
ends = np.broadcast_to(ends, grid.shape)
m[ends] = np.array([0.0, -1.0, -0.1]) / np.linalg.norm([0.0, -1.0, -0.1])
m[~ends] = (1.0, 0.0, 0.0)
out = Path(__file__).with_name("data") / "cstate_64x32x1.ovf"
write_ovf(out, m, grid, fmt="text", title="C-state, unit magnetization")
print(out)
