"""The simple modes: preview, progressive and power."""

from __future__ import annotations

import math

from dialer.codes import READY
from dialer.pacing.base import Observation, Pacer


class Preview(Pacer):
    """An agent takes a record, previews it, dials it and waits on it (one per ready agent)."""

    name = "preview"
    reserve = "preview"

    def decide(self, obs: Observation) -> int:
        return obs.ready


class Progressive(Pacer):
    """One dial per ready agent, the agent reserved for it ("6 agents ready, 6 numbers dialed")."""

    name = "progressive"
    reserve = "progressive"

    def decide(self, obs: Observation) -> int:
        return obs.ready


class Power(Pacer):
    """Keep F = ceil(ratio x (R - W)) dials in flight (lines per ready agent)."""

    name = "power"

    def __init__(self, ratio: float):
        self.ratio = ratio

    def decide(self, obs: Observation) -> int:
        # within_lines(obs, ceil(ratio x (R - W)) - F), written out: every event asks this
        free = obs.counts[READY] - obs.waiting
        if free <= 0:
            return 0
        n = math.ceil(self.ratio * free - 1e-9) - obs.in_flight
        if n <= 0:
            return 0
        room = obs.line_limit - obs.lines_in_use
        return n if n <= room else int(room)
