"""Randomness: named streams from one seed, and the distributions durations are drawn from.

A run never touches global randomness. Every random quantity comes from a stream named by
what it is for (``stream(seed, "truth", block, attempt)``), so adding a new random quantity
never shifts an existing one, and a record's behaviour does not depend on what else was
drawn before it. That is what makes two modes comparable on one seed (common random numbers).

Distributions turn uniforms into durations through their inverse CDF (:meth:`Dist.ppf`), so the
same uniform gives the same rank under any parameter: a sweep over mean talk time moves every
call's talk time monotonically instead of redrawing it.
"""

from __future__ import annotations

import functools
import math
import zlib
from dataclasses import dataclass

import numpy as np
from scipy import special

DIST_KINDS = ("constant", "exponential", "lognormal", "gamma", "weibull", "uniform", "empirical")


def _key(part: int | str) -> int:
    if isinstance(part, str):
        return zlib.crc32(part.encode())
    return int(part)


def stream(seed: int, *names: int | str) -> np.random.Generator:
    """An independent generator for ``names`` under ``seed`` (stable across runs and versions)."""
    seq = np.random.SeedSequence(entropy=int(seed), spawn_key=tuple(_key(n) for n in names))
    return np.random.Generator(np.random.PCG64(seq))


def derived_seed(seed: int, *names: int | str) -> int:
    """A seed of its own for ``names`` under ``seed`` (e.g. each campaign of a centre)."""
    seq = np.random.SeedSequence(entropy=int(seed), spawn_key=tuple(_key(n) for n in names))
    return int(seq.generate_state(1, np.uint32)[0])


@functools.lru_cache(maxsize=256)
def weibull_shape(cv: float) -> float:
    """The Weibull shape k whose coefficient of variation is ``cv``.

    cv² = Γ(1 + 2/k) / Γ(1 + 1/k)² − 1 falls steadily as k grows, so a bisection on log k finds it.
    """
    target = math.log1p(cv * cv)

    def excess(log_k: float) -> float:
        k = math.exp(log_k)
        return math.lgamma(1 + 2 / k) - 2 * math.lgamma(1 + 1 / k) - target

    lo, hi = math.log(0.05), math.log(200.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        if excess(mid) > 0:
            lo = mid
        else:
            hi = mid
    return math.exp((lo + hi) / 2)


@dataclass(frozen=True)
class Dist:
    """A non-negative duration distribution, parameterised the way planners speak of it.

    ``lognormal``, ``gamma`` and ``weibull`` take the mean and standard deviation of the
    duration itself (not of its logarithm, nor the families' shape and scale); ``empirical``
    draws uniformly from the listed values.
    """

    kind: str
    value: float = 0.0
    mean_: float = 0.0
    sd: float = 0.0
    low: float = 0.0
    high: float = 0.0
    values: tuple[float, ...] = ()

    @staticmethod
    def constant(value: float) -> Dist:
        return Dist("constant", value=float(value))

    # -- moments -------------------------------------------------------------------------
    @property
    def mean(self) -> float:
        k = self.kind
        if k == "constant":
            return self.value
        if k in ("exponential", "lognormal", "gamma", "weibull"):
            return self.mean_
        if k == "uniform":
            return (self.low + self.high) / 2
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        k = self.kind
        if k == "constant":
            return 0.0
        if k == "exponential":
            return self.mean_
        if k in ("lognormal", "gamma", "weibull"):
            return self.sd
        if k == "uniform":
            return (self.high - self.low) / math.sqrt(12)
        return float(np.std(self.values))

    @property
    def is_constant(self) -> bool:
        return self.kind == "constant" or self.std == 0.0

    # -- parameters of the underlying families ---------------------------------------------
    def _lognormal(self) -> tuple[float, float]:
        s2 = math.log1p((self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - s2 / 2, math.sqrt(s2)

    def _gamma(self) -> tuple[float, float]:
        shape = (self.mean_ / self.sd) ** 2
        return shape, self.sd**2 / self.mean_

    def _weibull(self) -> tuple[float, float]:
        shape = weibull_shape(self.sd / self.mean_)
        return shape, self.mean_ / math.gamma(1 + 1 / shape)

    # -- transforms --------------------------------------------------------------------------
    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF applied to uniforms in [0, 1)."""
        u = np.asarray(u, dtype=float)
        k = self.kind
        if k == "constant" or self.std == 0.0:
            return np.full(u.shape, self.mean)
        if k == "exponential":
            return -self.mean_ * np.log1p(-u)
        if k == "lognormal":
            mu, sigma = self._lognormal()
            return np.exp(mu + sigma * special.ndtri(np.clip(u, 1e-12, 1 - 1e-12)))
        if k == "gamma":
            shape, scale = self._gamma()
            return special.gammaincinv(shape, u) * scale
        if k == "weibull":
            shape, scale = self._weibull()
            return scale * (-np.log1p(-u)) ** (1 / shape)
        if k == "uniform":
            return self.low + u * (self.high - self.low)
        vals = np.asarray(self.values, dtype=float)
        idx = np.minimum((u * len(vals)).astype(np.int64), len(vals) - 1)
        return vals[idx]

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        """P(duration <= x)."""
        x = np.asarray(x, dtype=float)
        k = self.kind
        if k == "constant" or self.std == 0.0:
            return (x >= self.mean).astype(float)
        if k == "exponential":
            return np.where(x > 0, -np.expm1(-np.maximum(x, 0) / self.mean_), 0.0)
        if k == "lognormal":
            mu, sigma = self._lognormal()
            with np.errstate(divide="ignore"):
                z = (np.log(np.maximum(x, 1e-300)) - mu) / sigma
            return np.where(x > 0, special.ndtr(z), 0.0)
        if k == "gamma":
            shape, scale = self._gamma()
            return special.gammainc(shape, np.maximum(x, 0) / scale)
        if k == "weibull":
            shape, scale = self._weibull()
            return -np.expm1(-((np.maximum(x, 0) / scale) ** shape))
        if k == "uniform":
            return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)
        vals = np.sort(np.asarray(self.values, dtype=float))
        return np.searchsorted(vals, x, side="right") / len(vals)

    def sf(self, x: np.ndarray | float) -> np.ndarray:
        """P(duration > x)."""
        return 1.0 - self.cdf(x)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        return self.ppf(rng.random(size))

    # -- the campaign-file form ---------------------------------------------------------------
    def to_yaml(self) -> float | dict:
        k = self.kind
        if k == "constant":
            return self.value
        if k == "exponential":
            return {"dist": k, "mean": self.mean_}
        if k in ("lognormal", "gamma", "weibull"):
            return {"dist": k, "mean": self.mean_, "sd": self.sd}
        if k == "uniform":
            return {"dist": k, "low": self.low, "high": self.high}
        return {"dist": k, "values": list(self.values)}

    def __repr__(self) -> str:
        return f"Dist({self})"

    def __str__(self) -> str:
        y = self.to_yaml()
        if isinstance(y, float):
            return f"{y:g} s"
        args = ", ".join(f"{k}={v}" for k, v in y.items() if k != "dist")
        return f"{self.kind}({args})"
