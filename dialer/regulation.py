"""The abandon-rate rules in one place: the three rates of a window, and the Ofcom conversion.

Under Ofcom the centre adds a reasoned estimate of the persons its AMD took for machines (and
hung up on) to the abandoned calls: with e the estimated false-positive share of persons and L
live answers, E = L e / (1 - e) estimated false positives, and the rate is (A + E) / (L + E).
A leaf module: the records compute rates with it, the pacers convert their limits with it.
"""

from __future__ import annotations


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def estimated_false_positives(live: float, e: float) -> float:
    """E = L e / (1 - e): the persons AMD hung up on, by the centre's estimate e."""
    return live * e / (1 - e) if e < 1 else 0.0


def abandon_rates(live: int, abandoned: int, fp_actual: int, fp_estimate_share: float) -> dict:
    """The three abandon rates of a window (US, Ofcom with the estimate, and the true one)."""
    est = estimated_false_positives(live, fp_estimate_share)
    return {
        "abandon_rate": _ratio(abandoned, live),
        "abandon_rate_ofcom": _ratio(abandoned + est, live + est),
        "abandon_rate_true": _ratio(abandoned + fp_actual, live + fp_actual),
    }


def allowed_abandon_rate(limit: float, regime: str, fp_estimate: float) -> float:
    """The abandoned / live-answer rate that keeps the regime's rate at ``limit``.

    Under Ofcom (A + E) / (L + E) = (1 - e) A / L + e, so A / L may reach (limit - e) / (1 - e)
    (nothing at all once e >= limit).
    """
    if regime == "ofcom":
        return max(0.0, (limit - fp_estimate) / (1.0 - fp_estimate))
    return limit
