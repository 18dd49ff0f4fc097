"""Translate a ``micromagneticmodel.System`` into a spintorque :class:`~spintorque.Problem`, in
memory. The mapping of every term and its sign convention is tabulated in docs/ubermag.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..materials import Material, Sample
from ..problem import Problem, Stepping
from ._values import Cells, UbermagSystemError, attr, cell_values, mesh_cells, pair_values
from .terms import (
    DMI_CLASSES,
    CellCubicAnisotropy,
    DampingOnlyLLG,
    PeriodicLinks,
    QuarticAnisotropy,
    RegionPairExchange,
    SurfaceRKKY,
    UbermagDMI,
    UbermagZeeman,
    time_function,
)

MU_B = 9.2740100783e-24  # Bohr magneton [J/T]
E_CHARGE = 1.602176634e-19  # elementary charge [C]
#: periodic images per side along each periodic axis of the stray field (Demag with mesh.bc)
PBC_IMAGES = 5

ENERGY_TERMS = ("Exchange", "UniaxialAnisotropy", "CubicAnisotropy", "Zeeman", "Demag", "DMI",
                "RKKY")
DYNAMICS_TERMS = ("Precession", "Damping", "ZhangLi", "Slonczewski", "SpinDiffusion",
                  "SpinMoment")


@dataclass
class Translation:
    """A translated system: the ``problem``, the mesh's ``cells``, per-cell ``ms`` [A/m], the
    spintorque terms of each Ubermag energy term (by Ubermag name), the Zeeman terms (for the
    hysteresis driver) and whether the system has a temperature."""

    problem: Problem
    cells: Cells
    ms: np.ndarray
    by_term: dict[str, list[Any]] = field(default_factory=dict)
    zeemans: list[UbermagZeeman] = field(default_factory=list)
    thermal: bool = False


def _kind(term: Any) -> str:
    return type(term).__name__


def _regions(cells: Cells, magnetic: np.ndarray, fixed: set[str]) -> tuple[np.ndarray, list]:
    """spintorque regions: each subregion (``default``: the cells outside all), split into its
    magnetic and non-magnetic cells when it has both."""
    index = np.zeros(cells.grid.shape, np.int16)
    entries: list[tuple[str, str, bool]] = []  # (name, subregion, magnetic)
    for lab in [-1, *range(len(cells.names))]:
        sub = "default" if lab < 0 else cells.names[lab]
        inside = cells.label == lab
        if not inside.any():
            continue
        parts = [(inside & magnetic, True), (inside & ~magnetic, False)]
        parts = [(mask, mag) for mask, mag in parts if mask.any()]
        for mask, mag in parts:
            name = sub if len(parts) == 1 or mag else f"{sub}_nonmagnetic"
            index[mask] = len(entries)
            entries.append((name, sub, mag))
    unknown = fixed - {e[1] for e in entries} - set(cells.names)
    if unknown:
        raise UbermagSystemError(f"fixed_subregions: region(s) {sorted(unknown)} do not exist; "
                                 f"the mesh's subregions are {list(cells.names)}")
    return index, entries


def translate(system: Any, *, fixed_subregions: Any = (), integrator: str = "rk45",
              dt: float | None = None, seed: int = 0, pbc_images: int = PBC_IMAGES
              ) -> Translation:
    """The :class:`Translation` of ``system``; :class:`UbermagSystemError` names anything that
    cannot be translated."""
    import micromagneticmodel as mm

    if system.m is None:
        raise UbermagSystemError("system.m is not set: give the system a magnetization field")
    mesh = system.m.mesh
    cells = mesh_cells(mesh)
    grid = cells.grid
    arr = np.asarray(system.m.array, float).reshape(grid.vshape)
    ms = np.linalg.norm(arr, axis=-1)
    magnetic = ms > 0
    if not magnetic.any():
        raise UbermagSystemError("system.m is zero everywhere: no magnetic cell to simulate")
    m0 = np.where(magnetic[..., None], arr / np.where(magnetic, ms, 1.0)[..., None], 0.0)
    periodic = [a for a, c in enumerate("xyz") if c in str(getattr(mesh, "bc", "") or "")]

    # -- dynamics parameters ------------------------------------------------------------------
    gamma0 = np.full(grid.shape, float(mm.consts.gamma0))
    alpha = np.zeros(grid.shape)
    precession = False
    torques_spec: list[Any] = []
    transport = None
    for term in system.dynamics:
        kind = _kind(term)
        what = f"dynamics term {kind} ({term.name!r})"
        if isinstance(term, mm.Precession):
            gamma0 = cell_values(term.gamma0, cells, what)
            precession = True
        elif isinstance(term, mm.Damping):
            alpha = cell_values(term.alpha, cells, what)
        elif isinstance(term, (mm.ZhangLi, mm.Slonczewski)):
            torques_spec.append(term)
        elif getattr(term, "_spintorque_transport", False):
            if transport is not None:
                raise UbermagSystemError(f"{what}: only one spin-transport term per system")
            transport = term
        else:
            raise UbermagSystemError(f"{what} is not supported by spintorque.ubermag; "
                                     f"supported dynamics terms: {', '.join(DYNAMICS_TERMS)}")
    if np.any(alpha[magnetic] < 0):
        raise UbermagSystemError("Damping: alpha must be >= 0")

    # -- regions and materials ----------------------------------------------------------------
    fixed = {str(s) for s in (fixed_subregions or ())}
    index, entries = _regions(cells, magnetic, fixed)
    slon = [t for t in torques_spec if isinstance(t, mm.Slonczewski)]
    mats = []
    for i, (name, sub, mag) in enumerate(entries):
        sel = index == i
        kw: dict[str, Any] = {}
        if transport is not None:
            kw = transport.material_parameters(sub, name)
        mats.append(Material(name=name, Ms=float(ms[sel].mean()) if mag else 0.0,
                             frozen=bool(mag and sub in fixed), **kw))
    sample = Sample(grid, index, tuple(mats), tuple(e[0] for e in entries))
    sample = sample.with_param("Ms", ms).with_param("alpha", np.where(magnetic, alpha, 0.0))
    sample = sample.with_param("gamma0", gamma0)

    # -- energy terms ----------------------------------------------------------------------------
    by_term: dict[str, list[Any]] = {}
    pending: list[tuple[Any, str]] = []
    A = None
    dmi_link = None
    uni: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for term in system.energy:
        kind = _kind(term)
        what = f"energy term {kind} ({term.name!r})"
        if isinstance(term, mm.Exchange):
            A = cell_values(term.A, cells, f"{what}: A")
            if np.any(A < 0):
                raise UbermagSystemError(f"{what}: A must be >= 0")
            pending.append((term, "exchange"))
        elif isinstance(term, mm.UniaxialAnisotropy):
            if uni:
                raise UbermagSystemError(f"{what}: one UniaxialAnisotropy term per system; "
                                         "give K and u per region instead")
            k1 = attr(term, "K1")
            k1 = attr(term, "K") if k1 is None else k1
            K1 = cell_values(0.0 if k1 is None else k1, cells, f"{what}: K")
            K2 = cell_values(attr(term, "K2", 0.0), cells, f"{what}: K2")
            u = cell_values(term.u, cells, f"{what}: u", vector=True)
            if np.any((np.linalg.norm(u, axis=-1) == 0) & magnetic & ((K1 != 0) | (K2 != 0))):
                raise UbermagSystemError(f"{what}: u must be nonzero where K is")
            uni.append((K1, K2, u))
            pending.append((term, "uniaxial"))
        elif isinstance(term, mm.DMI):
            cc = str(term.crystalclass)
            if cc not in DMI_CLASSES:
                raise UbermagSystemError(f"{what}: crystalclass {cc!r} is not supported; "
                                         f"supported: {sorted(DMI_CLASSES)}")
            pending.append((term, "dmi"))
        elif isinstance(term, (mm.CubicAnisotropy, mm.Zeeman, mm.Demag, mm.RKKY)):
            pending.append((term, kind))
        else:
            raise UbermagSystemError(f"{what} is not supported by spintorque.ubermag; "
                                     f"supported energy terms: {', '.join(ENERGY_TERMS)}")
    if A is not None:
        sample = sample.with_param("A", np.where(magnetic, A, 0.0))
    for K1, _K2, u in uni:
        sample = sample.with_param("Ku", np.where(magnetic, K1, 0.0))
        norm = np.linalg.norm(u, axis=-1)
        sample = sample.with_param("axis", np.where((norm > 0)[..., None], u, (1.0, 0, 0)))
    # Slonczewski parameters are read from the sample (per cell)
    for term in slon:
        what = f"dynamics term Slonczewski ({term.name!r})"
        sample = sample.with_param("P", cell_values(term.P, cells, f"{what}: P"))
        sample = sample.with_param("Lambda", cell_values(term.Lambda, cells, f"{what}: Lambda"))
        sample = sample.with_param("eps_prime", cell_values(attr(term, "eps_prime", 0.0),
                                                            cells, f"{what}: eps_prime"))

    from ..fields.anisotropy import UniaxialAnisotropy
    from ..fields.exchange import Exchange

    terms: list[Any] = []
    zeemans: list[UbermagZeeman] = []
    for term, kind in pending:
        what = f"energy term {_kind(term)} ({term.name!r})"
        made: list[Any] = []
        if kind == "exchange":
            pairs = pair_values(term.A, cells, f"{what}: A")
            # faces between two regions with an "a:b" value: spintorque's Exchange leaves them
            # out (pair value 0), RegionPairExchange carries them (any sign: < 0 is AFM)
            made.append(Exchange(sample, pair_A={k: 0.0 for k in pairs} or None))
            if pairs:
                made.append(RegionPairExchange(
                    sample, [(cells.mask(a, what), cells.mask(b, what), v)
                             for (a, b), v in pairs.items()]))
        elif kind == "uniaxial":
            K1, K2, u = uni[0]
            made.append(UniaxialAnisotropy(sample))
            if np.any(K2 != 0):
                made.append(QuarticAnisotropy(sample, K2, u))
        elif kind == "CubicAnisotropy":
            K = cell_values(term.K, cells, f"{what}: K")
            u1 = cell_values(term.u1, cells, f"{what}: u1", vector=True)
            u2 = cell_values(term.u2, cells, f"{what}: u2", vector=True)
            made.append(CellCubicAnisotropy(sample, K, u1, u2))
        elif kind == "dmi":
            D = cell_values(term.D, cells, f"{what}: D")
            pairs = [(cells.mask(a, what), cells.mask(b, what), v)
                     for (a, b), v in pair_values(term.D, cells, f"{what}: D").items()]
            made.append(UbermagDMI(sample, D, str(term.crystalclass), pairs))
            dmi_link = (np.where(magnetic, D, 0.0), DMI_CLASSES[str(term.crystalclass)])
        elif kind == "Zeeman":
            H = cell_values(term.H, cells, f"{what}: H", vector=True)
            z = UbermagZeeman(sample, H, time_function(term, what), name=term.name)
            zeemans.append(z)
            made.append(z)
        elif kind == "Demag":
            from ..fields.demag import Demag

            if len(periodic) > 1:
                raise UbermagSystemError(
                    f"{what} with periodic boundaries along {len(periodic)} axes "
                    f"(mesh.bc = {mesh.bc!r}) is not supported: the periodic stray field is a "
                    "sum over images that converges only conditionally in 2-D and 3-D lattices "
                    "(its value depends on the shape of the truncated sum); one periodic axis "
                    "is supported")
            pbc = tuple(pbc_images if a in periodic else 0 for a in range(3))
            made.append(Demag(sample, pbc=pbc if any(pbc) else None))
        elif kind == "RKKY":
            subs = list(term.subregions)
            if len(subs) != 2:
                raise UbermagSystemError(f"{what}: subregions must name two regions")
            ma, mb = (cells.mask(str(s), what) for s in subs)
            r = SurfaceRKKY(sample, ma, mb, float(term.sigma),
                            float(attr(term, "sigma2", 0.0)), what)
            r.name = term.name
            made.append(r)
        for t in made:
            if kind not in ("Zeeman", "RKKY") and len(made) == 1 and t.name != term.name:
                pass  # spintorque's own names stay (exchange, anisotropy, demag, ...)
        by_term[term.name] = made
        terms += made
    if periodic and (A is not None or dmi_link is not None):
        links = PeriodicLinks(sample, periodic, None if A is None else np.where(magnetic, A, 0.0),
                              dmi_link)
        terms.append(links)
        for ts in by_term.values():
            if ts and ts[0].name in ("exchange", "dmi"):
                ts.append(links)
                break
    names = [t.name for t in terms]
    for i, t in enumerate(terms):  # two terms of the same spintorque name (e.g. two DMI terms)
        if names.count(t.name) > 1:
            t.name = f"{t.name}_{i}"

    # -- drives and torques ------------------------------------------------------------------------
    drives: list[Any] = []
    if transport is not None:
        transport.check_regions(set(cells.names))
        if periodic:
            raise UbermagSystemError(f"{_kind(transport)}: spin transport with periodic "
                                     "boundaries is not supported")
        drives.append(transport.build(sample))
    T = attr(system, "T", 0) or 0
    thermal = False
    if not (isinstance(T, (int, float)) and T == 0):
        from ..fields.thermal import ThermalField

        Tc = cell_values(T, cells, "system.T")
        if np.any(Tc < 0):
            raise UbermagSystemError("system.T must be >= 0 K")
        if np.any(Tc > 0):
            drives.append(ThermalField(sample, T=Tc, seed=seed))
            thermal = True
    torques = _torques(sample, cells, torques_spec, ms, magnetic, periodic)

    stepping = Stepping(integrator=integrator, dt=dt)
    problem = Problem(sample, m0, terms, drives, torques, stepping=stepping, relaxation=None)
    if not precession:
        from ..fields.base import EffectiveField

        problem.__dict__["llg"] = DampingOnlyLLG(
            sample, EffectiveField(problem.all_terms, grid.vshape), torques=torques)
    return Translation(problem, cells, ms, by_term, zeemans, thermal)


class _TimeScaled:
    """A torque times a time dependence (Ubermag ``func``/``tcl_strings`` of ZhangLi and
    Slonczewski: u(t) = u f(t), J(t) = J f(t); both torques are linear in them)."""

    def __init__(self, torque: Any, fn: Any) -> None:
        self.torque, self.fn = torque, fn
        self.name = getattr(torque, "name", "torque")

    def rate(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        self.torque.rate(m, t, out)
        out *= float(self.fn(t))
        return out


def _torques(sample: Sample, cells: Cells, specs: list[Any], ms: np.ndarray,
             magnetic: np.ndarray, periodic: list[int]) -> list[Any]:
    import micromagneticmodel as mm

    from ..dynamics.torques import Slonczewski, ZhangLi

    out: list[Any] = []
    for term in specs:
        what = f"dynamics term {_kind(term)} ({term.name!r})"
        fn = time_function(term, what)
        if isinstance(term, mm.ZhangLi):
            if periodic:
                raise UbermagSystemError(f"{what}: Zhang-Li torque with periodic boundaries is "
                                         "not supported")
            u = term.u
            if hasattr(u, "nvdim"):  # discretisedfield.Field
                scalar = u.nvdim == 1
            elif isinstance(u, dict):
                scalar = all(np.ndim(v) == 0 for v in u.values())
            else:
                scalar = np.ndim(u) == 0
            if scalar:
                ux = cell_values(u, cells, f"{what}: u")
                uvec = np.stack([ux, np.zeros_like(ux), np.zeros_like(ux)], axis=-1)
            else:
                uvec = cell_values(u, cells, f"{what}: u", vector=True)
            # spintorque's ZhangLi takes j and P: u = −μB P j/(e Ms); P = 1, j = −u e Ms/μB
            j = np.where(magnetic[..., None], -uvec * (E_CHARGE * ms / MU_B)[..., None], 0.0)
            torque = ZhangLi(sample, j, P=1.0, xi=float(term.beta), convention="oommf")
        else:
            J = cell_values(term.J, cells, f"{what}: J")
            mp = cell_values(term.mp, cells, f"{what}: mp", vector=True)
            key = np.round(mp / np.maximum(np.linalg.norm(mp, axis=-1, keepdims=True), 1e-300),
                           12)
            groups = np.unique(key[magnetic & (J != 0)].reshape(-1, 3), axis=0)
            if len(groups) > 64:
                raise UbermagSystemError(f"{what}: mp takes {len(groups)} directions; at most 64")
            parts = [Slonczewski(sample, np.where(np.all(key == p, axis=-1), J, 0.0), p,
                                 thickness_convention="cell") for p in groups
                     if np.linalg.norm(p) > 0]
            torque = _Sum(parts)
        out.append(torque if fn is None else _TimeScaled(torque, fn))
    return out


class _Sum:
    """Several torques as one (Slonczewski per polarizer direction)."""

    name = "slonczewski"

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts
        self._buf: np.ndarray | None = None

    def rate(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        out[...] = 0.0
        if self._buf is None:
            self._buf = np.zeros(m.shape)
        for p in self.parts:
            out += p.rate(m, t, self._buf)
        return out
