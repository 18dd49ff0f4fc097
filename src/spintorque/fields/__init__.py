"""Effective-field terms: exchange, uniaxial and cubic anisotropy, DMI, Zeeman and stray field
(demag)."""

from .anisotropy import UniaxialAnisotropy
from .base import EffectiveField, FieldTerm
from .cubic import CubicAnisotropy
from .demag import Demag
from .dmi import BulkDMI, InterfacialDMI
from .exchange import Exchange
from .interlayer import InterlayerExchange
from .zeeman import Zeeman

__all__ = ["BulkDMI", "CubicAnisotropy", "Demag", "EffectiveField", "Exchange", "FieldTerm",
           "InterfacialDMI", "InterlayerExchange", "UniaxialAnisotropy", "Zeeman"]
