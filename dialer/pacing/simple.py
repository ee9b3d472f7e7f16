"""The simple modes: preview, progressive and power, their agentless (IVR) kin, and the
threshold rule of blending."""

from __future__ import annotations

import math

from dialer.codes import READY
from dialer.pacing.base import Observation, Pacer, within_lines


class Preview(Pacer):
    """An agent takes a record, previews it, dials it and waits on it (one per ready agent)."""

    name = "preview"
    reserve: str | None = "preview"

    def decide(self, obs: Observation) -> int:
        return obs.ready


class Progressive(Pacer):
    """One dial per ready agent, the agent reserved for it ("6 agents ready, 6 numbers dialed")."""

    name = "progressive"
    reserve: str | None = "progressive"

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


class Threshold(Pacer):
    """ContactCenters' threshold dialer (DIALXFREE, Deslauriers et al. 2007), the baseline of
    the blending literature: when the campaign becomes active and each time an agent of the
    centre ends a call (after it has taken any call waiting for it), if at least
    ``min_free_in_groups`` agents of the campaign are free, dial
    max(round(ratio x free agents) + extra - dials in flight, 0). It decides at no other moment.
    (The centre's own rule, at least ``blending.min_free_agents`` agents of the centre free, is
    the OCS's, as for every mode.)"""

    name = "threshold"
    at_agent_free = True

    def __init__(self, ratio: float, extra: int, min_free_in_groups: int):
        self.ratio = ratio
        self.extra = extra
        self.min_free = min_free_in_groups

    def decide(self, obs: Observation) -> int:
        free = obs.counts[READY]
        if free < self.min_free:
            return 0
        n = math.floor(self.ratio * free + 0.5) + self.extra - obs.in_flight  # half rounds up
        return within_lines(obs, n)


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
