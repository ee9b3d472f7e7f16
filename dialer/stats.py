"""Small statistics in one place: a fixed-bin histogram, and the intervals every experiment
reports (the t-interval of a mean over replications, the paired interval of a difference pair
by pair, exact and Wilson intervals of a share).

A leaf module: the records keep waits in a histogram, the predictive pacers the ages at which
their dials' verdicts come back; sweeps, comparisons and plans take their intervals from here.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import numpy as np

LEVEL = 0.95


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


def t_interval(values: list[float], level: float = LEVEL) -> dict:
    """n, mean, sd and the t-interval of the mean (None where n is too small)."""
    n = len(values)
    out: dict[str, Any] = {"n": n, "mean": None, "sd": None, "ci_low": None, "ci_high": None}
    if n == 0:
        return out
    mean = statistics.fmean(values)
    out["mean"] = mean
    if n < 2:
        return out
    sd = statistics.stdev(values)
    out["sd"] = sd
    from scipy.special import stdtrit  # scipy only when an interval is asked for

    half = float(stdtrit(n - 1, 0.5 + level / 2)) * sd / math.sqrt(n)
    out["ci_low"], out["ci_high"] = mean - half, mean + half
    return out


def proportion_interval(successes: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Clopper-Pearson (exact) interval of a success share: never narrower than the truth."""
    if n == 0:
        return (0.0, 1.0)
    from scipy.special import betaincinv

    alpha = 1 - level
    low = 0.0 if successes == 0 else float(betaincinv(successes, n - successes + 1, alpha / 2))
    high = 1.0 if successes == n else float(betaincinv(successes + 1, n - successes, 1 - alpha / 2))
    return (low, high)


def paired_interval(a: list[float | None], b: list[float | None], level: float = LEVEL) -> dict:
    """The t-interval of mean(a - b) over the pairs where both are known (common random
    numbers: much narrower than the two intervals side by side when a and b move together)."""
    return t_interval(
        [x - y for x, y in zip(a, b, strict=True) if x is not None and y is not None], level
    )


def wilson(successes: float, n: int, z: float = 1.959964) -> tuple[float | None, float | None]:
    """The Wilson 95% interval of a share observed as ``successes`` out of ``n``."""
    if n <= 0:
        return None, None
    p = successes / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / d
    return max(0.0, centre - half), min(1.0, centre + half)
