"""Effective-field terms: exchange, uniaxial and cubic anisotropy, DMI, Zeeman, stray field
(demag) and the thermal field."""

from .anisotropy import UniaxialAnisotropy
from .base import EffectiveField, FieldTerm
from .cubic import CubicAnisotropy
from .demag import Demag
from .dmi import BulkDMI, InterfacialDMI
from .exchange import Exchange
from .interlayer import InterlayerExchange
from .thermal import ThermalField
from .zeeman import Zeeman

__all__ = ["BulkDMI", "CubicAnisotropy", "Demag", "EffectiveField", "Exchange", "FieldTerm",
           "InterfacialDMI", "InterlayerExchange", "ThermalField", "UniaxialAnisotropy", "Zeeman"]
