"""The narrow interface every effective-field term implements.

A term is bound to a :class:`~spintorque.materials.Sample` at construction. ``field`` returns the
effective field H [A/m], shape ``(nx, ny, nz, 3)``, zero in non-magnetic cells; ``energy``
returns the term's energy [J]. ``m`` is the unit magnetization, zero in non-magnetic cells.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from ..constants import MU0


@runtime_checkable
class FieldTerm(Protocol):
    name: str

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        """Effective field H [A/m]; written into ``out`` if given (and returned)."""
        ...

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        """Energy [J]."""
        ...


def write_or_add(out: np.ndarray, h: np.ndarray, accumulate: bool) -> np.ndarray:
    """``out += h`` if ``accumulate`` else ``out[...] = h`` (the two modes of ``field`` and
    ``add_field``); returns out."""
    if accumulate:
        out += h
    else:
        out[...] = h
    return out


def _moment_dot(ms_volume: np.ndarray, m: np.ndarray, h: np.ndarray) -> float:
    """sum over cells of Ms V m·H [A·m^2 · A/m]; one BLAS dot over the moments."""
    return float(np.vdot(ms_volume[..., None] * m, h))


def quadratic_energy(ms_volume: np.ndarray, m: np.ndarray, h: np.ndarray) -> float:
    """Energy of a term quadratic in m: ``-mu0/2 · sum(Ms V m·H)`` [J].

    ``ms_volume`` is the per-cell ``Ms · V`` [A·m^2], shape ``grid.shape``.
    """
    return -0.5 * MU0 * _moment_dot(ms_volume, m, h)


def linear_energy(ms_volume: np.ndarray, m: np.ndarray, h: np.ndarray) -> float:
    """Energy of a term linear in m (Zeeman): ``-mu0 · sum(Ms V m·H)`` [J]."""
    return -MU0 * _moment_dot(ms_volume, m, h)


class EffectiveField:
    """Sum of field terms, with a preallocated buffer so hot loops allocate nothing."""

    def __init__(self, terms: list[FieldTerm], shape: tuple[int, int, int, int]):
        self.terms = list(terms)
        self._buf = np.zeros(shape)

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        """H [A/m] summed over the terms: the first writes ``out``, the others add to it, in
        place where they offer ``add_field(m, t, out)`` (no buffer pass; measured 2–4 ms less
        per RK45 step on the 4 nm trilayer, docs/performance.md)."""
        out = np.zeros_like(m) if out is None else out
        if not self.terms:
            out[...] = 0.0
            return out
        self.terms[0].field(m, t, out=out)
        for term in self.terms[1:]:
            add = getattr(term, "add_field", None)
            if add is not None:
                add(m, t, out)
            else:
                out += term.field(m, t, out=self._buf)
        return out

    def energies(self, m: np.ndarray, t: float = 0.0) -> dict[str, float]:
        """Energy of each term [J], keyed by term name."""
        return {term.name: term.energy(m, t) for term in self.terms}

    def field_and_energies(
        self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None
    ) -> tuple[np.ndarray, dict[str, float]]:
        """The total field H [A/m] and each term's energy [J] from one evaluation of each term.

        Terms that define ``energy_from_field(m, h)`` get their energy from the field just
        computed (no second evaluation); others fall back to ``energy(m, t)``.
        """
        out = np.zeros_like(m) if out is None else out
        out[...] = 0.0
        parts: dict[str, float] = {}
        for term in self.terms:
            h = term.field(m, t, out=self._buf)
            from_field = getattr(term, "energy_from_field", None)
            parts[term.name] = from_field(m, h) if from_field else term.energy(m, t)
            out += h
        return out, parts

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        return float(sum(self.energies(m, t).values()))
