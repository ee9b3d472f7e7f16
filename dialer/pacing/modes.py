"""Every dialing mode by name: the pacer a campaign's settings ask for."""

from __future__ import annotations

from collections.abc import Callable

from dialer.pacing.adaptive import Adaptive
from dialer.pacing.base import Pacer
from dialer.pacing.inputs import PacerInputs
from dialer.pacing.predictive import Optimized, Predictive
from dialer.pacing.simple import (
    Power,
    PowerIvr,
    Preview,
    Progressive,
    ProgressiveIvr,
    Threshold,
)

PACERS: dict[str, Callable[[PacerInputs], Pacer]] = {
    "preview": lambda _inputs: Preview(),
    "progressive": lambda _inputs: Progressive(),
    "power": lambda inputs: Power(inputs.ratio),
    "predictive": Predictive,
    "optimized": Optimized,
    "adaptive": Adaptive,
    "threshold": lambda inputs: Threshold(inputs.ratio, inputs.extra, inputs.min_free_in_groups),
    "power_ivr": lambda inputs: PowerIvr(inputs.ratio),
    "progressive_ivr": lambda _inputs: ProgressiveIvr(),
}


def make_pacer(inputs: PacerInputs) -> Pacer:
    """The pacer of ``inputs.mode``, built from its settings and beliefs only."""
    return PACERS[inputs.mode](inputs)
