"""Effective-field terms: exchange, uniaxial anisotropy, Zeeman and stray field (demag)."""

from .anisotropy import UniaxialAnisotropy
from .base import EffectiveField, FieldTerm
from .demag import Demag
from .exchange import Exchange
from .interlayer import InterlayerExchange
from .zeeman import Zeeman

__all__ = ["Demag", "EffectiveField", "Exchange", "FieldTerm", "InterlayerExchange",
           "UniaxialAnisotropy", "Zeeman"]
