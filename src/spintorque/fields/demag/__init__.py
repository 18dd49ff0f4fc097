"""Stray field: Newell tensor (:mod:`.newell`), pruned FFT convolution (:mod:`.convolution`)."""

from .term import Demag

__all__ = ["Demag"]
