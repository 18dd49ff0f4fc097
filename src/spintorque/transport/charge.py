"""Charge current through the conductors of a sample: ∇·(σ∇V) = 0 with contacts
(docs/theory/transport.md, charge current).

Domain: the cells whose material has a conductivity ``sigma`` > 0 [S/m]. A material that
conducts spin (``D0`` > 0) must state ``sigma`` (> 0) when this solver is used; a material with no
``sigma`` and D0 = 0 is an insulator. Boundary conditions: zero normal current on every face of the
domain except the **contacts**, sets of outer faces at z-min (``"bottom"``) or z-max (``"top"``),
optionally restricted to a disk or a mask in xy, each held at a fixed potential.

Discretization (cell-centred finite volumes, one unknown V_i per conducting cell): the current
through the face between cells L and R along axis a (area A_a, distance h_a) is
``I_f = g_f (V_L − V_R)`` with the harmonic-mean conductance ``g_f = A_a 2σ_Lσ_R/((σ_L+σ_R) h_a)``
(series resistance of the two half cells, exact for a layered medium); a contact face of cell i at
potential V_c carries ``g_c (V_c − V_i)``, ``g_c = 2σ_i A_z/h_z`` (the half cell to the face).
The system is symmetric positive definite once every connected part of the domain touches a
contact; parts that touch none carry no current and are left out. It is solved by sparse LU
(``"direct"``) or conjugate gradients with a Jacobi preconditioner (``"cg"``).

The problem is linear: :meth:`ChargeSolver.drive` solves once with the first contact at 1 V and the
second at 0 V, which gives the resistance R = 1/I [Ω], and scales the solution to the requested
total current I [A] or mean current density over the smaller contact [A/m²]. The result is a
:class:`~.current_field.CurrentField`: face currents j_f = I_f/A_f (divergence-free to solver
tolerance) and the cell-centred field (zero in insulating cells) that the spin transport and the
local torques take.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from ..materials import Sample
from .current_field import CurrentField

__all__ = ["CONTACT_FACES", "ChargeSolution", "ChargeSolver", "Contact", "cell_conductivity"]

CONTACT_FACES = ("bottom", "top")
METHODS = ("auto", "direct", "cg")
_DIRECT_MAX = 5_000  # "auto": sparse LU up to this many unknowns, CG above (3D fill-in: LU
# took 10.6 s at 40,960 cells against 0.1 s for CG, benchmarks/bench_charge.py)


@dataclass(frozen=True)
class Contact:
    """An electrode on the outer z faces of the grid.

    Parameters
    ----------
    face : ``"bottom"`` (z-min) or ``"top"`` (z-max)
    radius : radius [m] of a disk contact; None: the whole face (or ``mask``)
    center : disk centre ``(x, y)`` [m] in grid coordinates; None: the centre of the grid's face
    mask : boolean ``(nx, ny)`` footprint instead of a disk (cells whose face belongs to it)
    name : label used in messages
    """

    face: str
    radius: float | None = None
    center: tuple[float, float] | None = None
    mask: np.ndarray | None = field(default=None, compare=False)
    name: str = ""

    def __post_init__(self) -> None:
        if self.face not in CONTACT_FACES:
            raise ValueError(f"contact {self.label}: face = {self.face!r}; allowed: "
                             f"{list(CONTACT_FACES)}")
        if self.radius is not None and not (np.isfinite(self.radius) and self.radius > 0):
            raise ValueError(f"contact {self.label}: radius = {self.radius!r} must be > 0 m")
        if self.center is not None:
            c = np.asarray(self.center, dtype=float)
            if c.shape != (2,) or not np.all(np.isfinite(c)):
                raise ValueError(f"contact {self.label}: center = {self.center!r} must be two "
                                 "finite coordinates (x, y) in m")
            object.__setattr__(self, "center", (float(c[0]), float(c[1])))
        if self.mask is not None and self.radius is not None:
            raise ValueError(f"contact {self.label}: give either radius or mask, not both")

    @property
    def label(self) -> str:
        return repr(self.name) if self.name else f"on the {self.face} face"

    def footprint(self, sample: Sample) -> np.ndarray:
        """Boolean ``(nx, ny)``: the cells of the contact face that belong to the contact."""
        g = sample.grid
        if self.mask is not None:
            mask = np.asarray(self.mask, dtype=bool)
            if mask.shape != g.n[:2]:
                raise ValueError(f"contact {self.label}: mask of shape {mask.shape}, expected "
                                 f"{g.n[:2]}")
            return mask
        if self.radius is None:
            return np.ones(g.n[:2], dtype=bool)
        x0, y0 = g.origin[0], g.origin[1]
        sx, sy = g.size[0], g.size[1]
        cx, cy = self.center if self.center is not None else (x0 + sx / 2, y0 + sy / 2)
        if not (x0 <= cx <= x0 + sx and y0 <= cy <= y0 + sy):
            raise ValueError(f"contact {self.label}: center ({cx:.4g}, {cy:.4g}) m lies outside "
                             f"the grid's face [{x0:.4g}, {x0 + sx:.4g}] x [{y0:.4g}, "
                             f"{y0 + sy:.4g}] m")
        x = g.centers(0)[:, None]
        y = g.centers(1)[None, :]
        return (x - cx) ** 2 + (y - cy) ** 2 <= self.radius**2


def cell_conductivity(sample: Sample) -> np.ndarray:
    """σ [S/m] per cell, ``grid.shape``; ValueError where a material conducts spin (D0 > 0) but
    has no ``sigma`` (or sigma = 0). Materials without sigma and D0 = 0 are insulators (0)."""
    values = []
    for name, mat in zip(sample.names, sample.materials, strict=True):
        sigma = getattr(mat, "sigma", None)
        if mat.D0 > 0 and not (sigma is not None and sigma > 0):
            raise ValueError(
                f"material of region {name!r} conducts spin (D0 = {mat.D0:g} m^2/s) but has no "
                "conductivity: set its sigma [S/m] > 0 to solve for the charge current"
            )
        values.append(0.0 if sigma is None else float(sigma))
    return np.asarray(values)[sample.region]


@dataclass(frozen=True)
class ChargeSolution:
    """Result of a charge-current solve.

    Attributes
    ----------
    field : the current density (faces and cells) [A/m²]
    potential : V per cell [V], ``grid.shape``; NaN in insulating cells and in conductors that
        touch no contact
    contact_currents : current flowing into the conductor through each contact [A]
    contact_areas : conducting area of each contact [m²]
    resistance : R between the first two contacts [Ω] (for a two-contact solve), else NaN
    iterations : CG iterations (0 for the direct solve); solve_s : wall time of the solve [s]
    """

    field: CurrentField
    potential: np.ndarray
    contact_currents: np.ndarray
    contact_areas: np.ndarray
    resistance: float
    iterations: int
    solve_s: float

    @property
    def current_density(self) -> np.ndarray:
        """Cell-centred j [A/m²], ``grid.vshape`` (zero in insulating cells)."""
        return self.field.cell


class ChargeSolver:
    """∇·(σ∇V) = 0 on the conducting cells of ``sample`` with fixed-potential contacts.

    Parameters
    ----------
    sample : Sample; conductivity per material from ``Material.sigma`` [S/m] (see
        :func:`cell_conductivity`), or ``sigma`` per cell
    contacts : at least two :class:`Contact` (two for :meth:`drive`); they must not share faces
    sigma : optional per-cell conductivity ``grid.shape`` [S/m] overriding the materials'
    method : ``"auto"`` (direct up to 5,000 conducting cells, else CG), ``"direct"``, ``"cg"``
    rtol : relative residual of the CG solve
    """

    def __init__(
        self,
        sample: Sample,
        contacts: Sequence[Contact],
        *,
        sigma: np.ndarray | None = None,
        method: str = "auto",
        rtol: float = 1e-12,
    ):
        if method not in METHODS:
            raise ValueError(f"method = {method!r}; allowed: {list(METHODS)}")
        if not (0 < rtol < 1):
            raise ValueError(f"rtol = {rtol!r} must be in (0, 1)")
        contacts = list(contacts)
        if len(contacts) < 2:
            raise ValueError(f"need at least two contacts, got {len(contacts)}")
        self.sample, self.contacts, self.method, self.rtol = sample, contacts, method, rtol
        g = sample.grid
        sig = cell_conductivity(sample) if sigma is None else np.asarray(sigma, dtype=float)
        if sig.shape != g.shape or not np.all(np.isfinite(sig)) or np.any(sig < 0):
            raise ValueError(f"sigma: need finite values >= 0 of shape {g.shape}")
        self.sigma = sig
        cond = sig > 0
        if not cond.any():
            raise ValueError("no conducting cell (sigma > 0) in the sample")
        idx = np.full(g.shape, -1, dtype=np.int64)
        n = int(cond.sum())
        idx[cond] = np.arange(n)
        h = np.asarray(g.cell)
        area = np.array([h[1] * h[2], h[0] * h[2], h[0] * h[1]])
        # interior faces between two conducting cells
        rows, cols, gvals, self._faces = [], [], [], []
        for a in range(3):
            lo = [slice(None)] * 3
            hi = [slice(None)] * 3
            lo[a], hi[a] = slice(None, -1), slice(1, None)
            lo, hi = tuple(lo), tuple(hi)
            both = cond[lo] & cond[hi]
            sl, sr = sig[lo][both], sig[hi][both]
            gf = area[a] * 2.0 * sl * sr / ((sl + sr) * h[a])
            il, ir = idx[lo][both], idx[hi][both]
            pos = np.argwhere(both)  # lower cell positions; the face is its upper face
            self._faces.append((il, ir, gf, pos))
            rows.append(il)
            cols.append(ir)
            gvals.append(gf)
        # contact faces
        occupied = {face: np.zeros(g.n[:2], dtype=bool) for face in CONTACT_FACES}
        self._contact_cells = []
        for c in contacts:
            foot = c.footprint(sample)
            if not foot.any():
                raise ValueError(f"contact {c.label}: covers no cell face of the grid (radius "
                                 f"{c.radius!r} m too small or mask empty)")
            if np.any(foot & occupied[c.face]):
                raise ValueError(f"contact {c.label}: overlaps another contact on the {c.face} "
                                 "face")
            occupied[c.face] |= foot
            k = 0 if c.face == "bottom" else g.n[2] - 1
            on = foot & cond[:, :, k]
            if not on.any():
                raise ValueError(f"contact {c.label}: lies on an insulating face (no conducting "
                                 f"cell under it at z index {k})")
            ii, jj = np.nonzero(on)
            cells = idx[ii, jj, k]
            gc = 2.0 * sig[ii, jj, k] * area[2] / h[2]
            self._contact_cells.append((cells, gc, ii, jj, k))
        self.contact_areas = np.array([cc[0].size * area[2] for cc in self._contact_cells])
        self.n, self.index, self.conducting, self._area = n, idx, cond, area
        r, c_, v = (np.concatenate(x) for x in (rows, cols, gvals))
        lap = sp.coo_matrix((np.concatenate([-v, -v]), (np.concatenate([r, c_]),
                                                        np.concatenate([c_, r]))), (n, n)).tocsr()
        diag = -np.asarray(lap.sum(axis=1)).ravel()
        for cells, gc, *_ in self._contact_cells:
            np.add.at(diag, cells, gc)
        # parts of the domain without a contact carry no current: leave them out
        ncomp, label = csgraph.connected_components(lap, directed=False)
        self.component = label
        touched = np.zeros(ncomp, dtype=bool)
        self.contact_component = []
        for cells, *_ in self._contact_cells:
            comps = np.unique(label[cells])
            touched[comps] = True
            self.contact_component.append(comps)
        self.active = touched[label]
        act = np.flatnonzero(self.active)
        self._act = act
        A = (lap + sp.diags(diag)).tocsr()[act][:, act]
        self._A = A.tocsc() if self._use_direct(act.size) else A.tocsr()
        self._lu = None

    def _use_direct(self, n: int) -> bool:
        return self.method == "direct" or (self.method == "auto" and n <= _DIRECT_MAX)

    # -- solves ------------------------------------------------------------------------------
    def solve(self, potentials: Sequence[float]) -> ChargeSolution:
        """Potentials of the contacts [V], one per contact -> the current (not scaled)."""
        pots = np.asarray(potentials, dtype=float)
        if pots.shape != (len(self.contacts),) or not np.all(np.isfinite(pots)):
            raise ValueError(f"potentials = {potentials!r}: need {len(self.contacts)} finite "
                             "values in V")
        b = np.zeros(self.n)
        for (cells, gc, *_), vc in zip(self._contact_cells, pots, strict=True):
            np.add.at(b, cells, gc * vc)
        t0 = time.perf_counter()
        its = 0
        ba = b[self._act]
        if self._use_direct(self._act.size):
            if self._lu is None:
                self._lu = spla.splu(self._A)
            x = self._lu.solve(ba)
        else:
            dinv = 1.0 / self._A.diagonal()
            pre = spla.LinearOperator(self._A.shape, lambda v: dinv * v, dtype=float)
            count = [0]

            def cb(_):
                count[0] += 1

            x, info = spla.cg(self._A, ba, rtol=self.rtol, atol=0.0, M=pre, callback=cb,
                              maxiter=20 * self._act.size)
            if info != 0:
                raise RuntimeError(f"charge solve: CG did not reach rtol = {self.rtol:g} "
                                   f"({count[0]} iterations)")
            its = count[0]
        solve_s = time.perf_counter() - t0
        V = np.full(self.n, np.nan)
        V[self._act] = x
        return self._solution(V, pots, its, solve_s)

    def _solution(self, V: np.ndarray, pots: np.ndarray, its: int, solve_s: float):
        g = self.sample.grid
        nx, ny, nz = g.n
        shapes = ((nx + 1, ny, nz), (nx, ny + 1, nz), (nx, ny, nz + 1))
        faces = [np.zeros(s) for s in shapes]
        Vz = np.nan_to_num(V)  # inactive parts: no current
        for a, (il, ir, gf, pos) in enumerate(self._faces):
            p = pos.copy()
            p[:, a] += 1
            faces[a][tuple(p.T)] = gf * (Vz[il] - Vz[ir]) / self._area[a]
        currents = []
        for (cells, gc, ii, jj, k), vc in zip(self._contact_cells, pots, strict=True):
            act = self.active[cells]
            i_in = np.where(act, gc * (vc - Vz[cells]), 0.0)  # into the conductor [A]
            currents.append(float(i_in.sum()))
            if k == 0:
                faces[2][ii, jj, 0] = i_in / self._area[2]  # inflow at z-min is along +z
            else:
                faces[2][ii, jj, nz] = -i_in / self._area[2]
        potential = np.full(g.shape, np.nan)
        potential[self.conducting] = V
        I = np.asarray(currents)
        dv = pots[0] - pots[1]
        R = dv / I[0] if len(self.contacts) == 2 and I[0] != 0 else float("nan")
        return ChargeSolution(CurrentField(g, faces), potential, I, self.contact_areas.copy(),
                              float(R), its, solve_s)

    def drive(self, total: float | None = None, density: float | None = None) -> ChargeSolution:
        """Two contacts: the current of a total ``total`` [A] entering at the first contact and
        leaving at the second (positive: conventional current from contact 0 to contact 1), or
        of a mean current density ``density`` [A/m²] over the smaller contact (the first if they
        are equal), so total = density · area. Solved once at 1 V / 0 V and scaled."""
        if len(self.contacts) != 2:
            raise ValueError(f"drive needs exactly two contacts, got {len(self.contacts)}")
        if (total is None) == (density is None):
            raise ValueError("give exactly one of total [A] and density [A/m^2]")
        if not set(self.contact_component[0]) & set(self.contact_component[1]):
            raise ValueError(f"no conducting path between contact {self.contacts[0].label} and "
                             f"contact {self.contacts[1].label}")
        value = total if total is not None else density
        if not np.isfinite(value):
            raise ValueError(f"total/density = {value!r} must be finite")
        if total is None:
            total = float(density) * float(self.contact_areas.min())
        unit = self.solve([1.0, 0.0])
        scale = float(total) / unit.contact_currents[0]
        return ChargeSolution(unit.field.scaled(scale), unit.potential * scale,
                              unit.contact_currents * scale, unit.contact_areas,
                              unit.resistance, unit.iterations, unit.solve_s)


def solve_config_current(spec, sample: Sample) -> ChargeSolution:
    """The charge current of a ``[current]`` table (:class:`~spintorque.config.current.
    CurrentConfig`) on ``sample``; ValueError for contacts or materials that do not allow it."""
    if spec.solver != "charge":
        raise ValueError(f"[current] solver = {spec.solver!r}: only 'charge' is available")
    contacts = [Contact(c.face, radius=c.radius, center=None if c.center is None else
                        tuple(o + x for o, x in zip(sample.grid.origin[:2], c.center,
                                                    strict=True)),
                        name=c.name or f"contacts[{i}]")
                for i, c in enumerate(spec.contacts)]
    return ChargeSolver(sample, contacts).drive(total=spec.total, density=spec.density)


def scaled_field(field: CurrentField, shape) -> object:
    """``t -> w(t)·field`` for a time shape ``w`` [1] (the same object while w does not change,
    so the transport model reuses its face arrays on a pulse's plateau)."""
    last: list = [None, None]

    def at(t: float) -> CurrentField:
        w = float(shape(t))
        if last[0] != w:
            last[0], last[1] = w, field.scaled(w)
        return last[1]

    return at
