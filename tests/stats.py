"""Replication statistics for the statistical tests."""

from __future__ import annotations

import math
import statistics

from dialer.experiment import simulate


def replicate(campaign, keys: list[str], reps: int, seed0: int = 100) -> dict[str, tuple[float, float]]:
    """{key: (mean, standard error)} over ``reps`` seeds."""
    values: dict[str, list[float]] = {k: [] for k in keys}
    for r in range(reps):
        s = simulate(campaign.override({"seed": seed0 + r})).summary
        for k in keys:
            values[k].append(s[k])
    return {k: (statistics.fmean(v), statistics.stdev(v) / math.sqrt(len(v))) for k, v in values.items()}


def assert_close(observed: tuple[float, float], expected: float, z: float = 4.0, floor: float = 0.0) -> None:
    mean, se = observed
    tol = z * se + floor
    assert abs(mean - expected) <= tol, f"mean {mean:.5f} vs exact {expected:.5f} (tolerance {tol:.5f}, se {se:.5f})"
