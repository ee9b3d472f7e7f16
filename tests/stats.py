"""Replication statistics for the statistical tests."""

from __future__ import annotations

import math
import statistics
from concurrent.futures import ProcessPoolExecutor

from scipy import stats as sps

from dialer.experiments.run import simulate


def _summary(campaign) -> dict:
    return simulate(campaign).summary


def runs(campaign, reps: int, seed0: int = 100, workers: int = 2) -> list[dict]:
    """Summaries of ``reps`` replications (seeds seed0, seed0 + 1, ...), on ``workers`` processes."""
    campaigns = [campaign.override({"seed": seed0 + r}) for r in range(reps)]
    if workers <= 1:
        return [_summary(c) for c in campaigns]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_summary, campaigns))


def mean_se(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


def replicate(
    campaign, keys: list[str], reps: int, seed0: int = 100, workers: int = 2
) -> dict[str, tuple[float, float]]:
    """{key: (mean, standard error)} over ``reps`` seeds."""
    summaries = runs(campaign, reps, seed0, workers)
    return {k: mean_se([s[k] for s in summaries]) for k in keys}


def assert_close(
    observed: tuple[float, float], expected: float, z: float = 4.0, floor: float = 0.0
) -> None:
    mean, se = observed
    tol = z * se + floor
    assert abs(mean - expected) <= tol, (
        f"mean {mean:.5f} vs exact {expected:.5f} (tolerance {tol:.5f}, se {se:.5f})"
    )


def paired_lower_bound(a: list[float], b: list[float], level: float = 0.95) -> float:
    """Lower end of the one-sided t-interval of mean(a - b), pair by pair."""
    d = [x - y for x, y in zip(a, b, strict=True)]
    m, se = mean_se(d)
    return m - sps.t.ppf(level, len(d) - 1) * se
