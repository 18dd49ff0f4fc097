"""Parameter sweeps: a resumable SQLite result store and a Dask runner (imported on use, so
importing the store does not import Dask)."""

from .store import Store, StoreLocked

__all__ = ["Store", "StoreLocked"]
