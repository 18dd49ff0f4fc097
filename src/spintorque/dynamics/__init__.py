"""Magnetization dynamics: LLG right-hand side, time integrators, energy minimization."""

from .llg import LLG, cross

__all__ = ["LLG", "cross"]
