"""The simple modes: preview, progressive and power, and their agentless (IVR) kin."""

from __future__ import annotations

import math

from dialer.codes import READY
from dialer.pacing.base import Observation, Pacer, within_lines


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


class ProgressiveIvr(Pacer):
    """Progressive GVP: one dial per free IVR port, so every answer finds a port (no agents)."""

    name = "progressive_ivr"

    def decide(self, obs: Observation) -> int:
        return within_lines(obs, obs.ivr_free - obs.in_flight)


class PowerIvr(Pacer):
    """Power GVP: keep F = ceil(ratio x free IVR ports) dials in flight (no agents); an answer
    that finds every port playing is dropped."""

    name = "power_ivr"

    def __init__(self, ratio: float):
        self.ratio = ratio

    def decide(self, obs: Observation) -> int:
        if obs.ivr_free <= 0:
            return 0
        return within_lines(obs, math.ceil(self.ratio * obs.ivr_free - 1e-9) - obs.in_flight)
