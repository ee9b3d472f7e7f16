"""Small statistics shared by the records and the pacers: a fixed-bin histogram.

A leaf module (numpy only): the records keep waits in it, the predictive pacers the ages at
which their dials' verdicts come back.
"""

from __future__ import annotations

import numpy as np


class Histogram:
    """Values in bins of ``width`` from 0 (flat memory), with an overflow beyond the last bin.

    Weights may be negative (a value leaving a moving window); :meth:`survival` gives the share
    of the counted values beyond given points.
    """

    __slots__ = ("width", "bins", "over", "n", "sum", "_sf")

    def __init__(self, width: float, nbins: int):
        self.width = width
        self.bins = [0] * nbins
        self.over = 0
        self.n = 0
        self.sum = 0.0
        self._sf: np.ndarray | None = None

    def add(self, x: float, weight: int = 1) -> None:
        self.n += weight
        self.sum += x * weight
        i = int(x / self.width)
        if i < len(self.bins):
            self.bins[i] += weight
        else:
            self.over += weight
        self._sf = None

    @property
    def mean(self) -> float | None:
        return self.sum / self.n if self.n else None

    def survival(self, x: np.ndarray) -> np.ndarray:
        """Share of the counted values in bins after the one holding each ``x`` (overflow
        included); 1 while nothing is counted."""
        if self.n <= 0:
            return np.ones(len(x))
        if self._sf is None:
            counts = np.array([*self.bins, self.over, 0], dtype=float)
            self._sf = np.cumsum(counts[::-1])[::-1] / self.n
        i = np.minimum((x / self.width).astype(np.int64) + 1, len(self._sf) - 1)
        return self._sf[i]

    def to_dict(self) -> dict:
        """Bins of ``width`` seconds from 0 (trailing empty bins left out) and the overflow."""
        last = max((i for i, c in enumerate(self.bins) if c), default=-1)
        return {
            "width_s": self.width,
            "bins": self.bins[: last + 1],
            "over": self.over,
            "n": self.n,
            "mean": self.mean,
        }
