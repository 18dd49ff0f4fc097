"""The trilayer switching experiment: the experiment object, the state classifier, the
critical-current search and the TMR read-out (``runner`` and ``commands`` are imported on use)."""

from .classify import LayerState, classify_layer
from .search import Bisection, SearchResult, bisect_search
from .tmr import julliere_tmr, readout, tmr_from_cosine
from .trilayer import TrilayerExperiment, preset

__all__ = [
    "Bisection",
    "LayerState",
    "SearchResult",
    "TrilayerExperiment",
    "bisect_search",
    "classify_layer",
    "julliere_tmr",
    "preset",
    "readout",
    "tmr_from_cosine",
]
