"""Predictive and optimized pacing: dialing ahead of agents who are about to be free.

Both pacers forecast, at every decision, the difference M between the agents who will be free
when a new dial is answered and the answers already on their way (see :mod:`dialer.forecast`),
and choose how many new dials to place from it. Both start in progressive mode (one dial per
free agent, which cannot abandon) until ``dialing.history_length`` dial results give a hit
ratio, and decide after every change they can observe and every ``decision_interval_s``.

``predictive`` is the classical rule: the most dials n such that the expected share of answers
finding no agent, E[(X_n - M)+] / E[answers], stays at ``dialing.target_abandon_rate``. The
target it feeds the rule is corrected by the overdial rate it actually observes (every
connect nudges it up, every abandon down, in balance exactly at the target), because the
snapshot is an approximation of the dynamics and would otherwise miss the target by a fixed
bias.

``optimized`` spends the abandon allowance where it buys the most: it places a dial only while
the marginal probability that *this* dial's answer finds no agent stays under a threshold
theta (an average rule lets a few very risky dials ride on many safe ones). Theta is steered so
that the compliance window's abandon rate ends under ``dialing.max_abandon_rate``: it aims for
the limit less a safety margin, plus the window's unspent allowance spread over the next
answers (so it runs looser while under budget and tighter, down to progressive, when the
window's rate nears the limit). With a goal of ``busy_factor`` or ``agent_wait_s`` a second
controller holds occupancy or agent wait at ``goal_target`` and theta is the smaller of the two.
"""

from __future__ import annotations

import math

import numpy as np

from .clock import Calendar
from .config import Campaign
from .forecast import (
    GRID_S,
    AgentForecast,
    DialHistory,
    Snapshot,
    dials_average_rule,
    dials_marginal_rule,
    human_verdict_pmf,
)
from .pacing import ABANDONED, CONNECTED, HUMAN_VERDICT, Observation, Pacer


def allowed_abandon_rate(limit: float, regime: str, fp_estimate: float) -> float:
    """The abandoned / live-answer rate that keeps the regime's rate at ``limit``.

    Under Ofcom the centre's AMD false-positive estimate e is added in:
    (A + E) / (L + E) with E = L e / (1 - e), i.e. (1 - e) A / L + e, so A / L may reach
    (limit - e) / (1 - e) (nothing at all once e >= limit).
    """
    if regime == "ofcom":
        return max(0.0, (limit - fp_estimate) / (1.0 - fp_estimate))
    return limit


class Forecasting(Pacer):
    """What predictive and optimized share: history, forecasts, warm-up, the snapshot."""

    def __init__(self, campaign: Campaign):
        d, cpd = campaign.dialing, campaign.cpd
        self.tick_s = d.decision_interval_s
        self.warmup_results = d.history_length
        verdict = human_verdict_pmf(campaign)
        self.verdict_sf = np.concatenate([np.cumsum(verdict[::-1])[::-1], [0.0]])
        self.agents = AgentForecast(campaign, verdict)
        max_age = cpd.ring_timeout_s + (cpd.detect_time_s.mean + 6 * cpd.detect_time_s.std if cpd.amd else 0) + 5
        self.history = DialHistory(d.history_length, max_age)
        self.resolved = 0
        self.n_cap = 4 * campaign.agents.count + 10

    def on_result(self, now: float, result: int, age: float) -> None:
        if result <= HUMAN_VERDICT:  # a CPD verdict: failed, machine or human
            self.history.add(age, result == HUMAN_VERDICT)
            self.resolved += 1

    def warming_up(self) -> bool:
        return self.resolved < self.warmup_results

    @staticmethod
    def progressive(obs: Observation) -> int:
        """One dial per free agent, none of which can be abandoned."""
        return max(0, obs.ready - obs.waiting - obs.in_flight)

    def hit_ratio(self) -> float:
        n = len(self.history)
        return max(self.history.hit_ratio, 0.5 / max(n, 1))

    def human_in_flight(self, ages: np.ndarray, p: float) -> np.ndarray:
        """P(a dial still unresolved at each age will end in a human verdict): Bayes with the
        answer-time survival of persons and the observed survival of failures."""
        i = np.minimum((ages / GRID_S).astype(np.int64), len(self.verdict_sf) - 1)
        sv = p * self.verdict_sf[i]
        sf = (1.0 - p) * self.history.failure_survival(ages)
        total = sv + sf
        return np.divide(sv, total, out=np.zeros_like(sv), where=total > 0)

    def snapshot(self, obs: Observation, p: float) -> Snapshot:
        free = self.agents.free_probabilities(obs.busy_agents())
        flight = self.human_in_flight(np.asarray(obs.flight_ages(), dtype=float), p)
        return Snapshot(obs.ready - obs.waiting, free, flight)

    def room(self, obs: Observation) -> int:
        free = obs.line_limit - obs.lines_in_use
        return int(min(self.n_cap, free)) if free < math.inf else self.n_cap


class Predictive(Forecasting):
    """Classical predictive pacing to a target overdial rate (the binomial snapshot rule)."""

    name = "predictive"
    STEP = 0.002  # feedback step: an abandon moves the target by -STEP (1 - t) / t, a connect by +STEP

    def __init__(self, campaign: Campaign):
        super().__init__(campaign)
        d = campaign.dialing
        self.target = d.target_abandon_rate
        self.small_group = d.small_group_agents
        self.log_gain = 0.0

    @property
    def effective_target(self) -> float:
        return min(0.5, self.target * math.exp(self.log_gain))

    def on_result(self, now: float, result: int, age: float) -> None:
        super().on_result(now, result, age)
        if (result == CONNECTED or result == ABANDONED) and self.target > 0:
            y = 1.0 if result == ABANDONED else 0.0
            scale = max(self.target, 0.005)
            self.log_gain = min(3.0, max(-3.0, self.log_gain + self.STEP * (self.target - y) / scale))

    def decide(self, obs: Observation) -> int:
        if self.warming_up():
            return self.progressive(obs)
        if obs.logged_in < self.small_group and obs.in_flight > 0:
            return 0  # small group: the next batch waits for every dial of this one
        room = self.room(obs)
        if room <= 0:
            return 0
        p = self.hit_ratio()
        snap = self.snapshot(obs, p)
        return dials_average_rule(snap, obs.waiting, p, self.effective_target, room)


class Optimized(Forecasting):
    """The planner's goal, the abandon limit never exceeded over the compliance window."""

    name = "optimized"
    MARGIN = 0.10  # aim this share under the limit: the OCS cannot tell persons from machines
    SPEND = 150.0  # answers over which the window's unspent allowance (or excess) is spread
    STEP = 0.01  # feedback step of log(theta) per answer, in units of the aimed rate
    GOAL_TAU_S = 600.0  # smoothing of the occupancy / wait measured for the goal

    def __init__(self, campaign: Campaign):
        super().__init__(campaign)
        d, comp = campaign.dialing, campaign.compliance
        self.limit = allowed_abandon_rate(d.max_abandon_rate, comp.regime, campaign.cpd.amd_false_positive_estimate)
        self.aim = self.limit * (1 - self.MARGIN)
        self.goal, self.goal_target = d.goal, d.goal_target
        self.log_theta = math.log(max(self.aim, 1e-4) * 2)
        self.log_theta_goal = 0.0
        self.answers = 0
        self.abandons = 0
        # the Ofcom window is the site's calendar day: the counts restart at each midnight
        self.midnights: list[float] = []
        if comp.regime == "ofcom":
            cal = Calendar(campaign.start, campaign.site_timezone, campaign.horizon_s)
            self.midnights = [m for m in cal.site_midnights() if m > 0]
        self.last_t = 0.0
        self.busy_avg = None
        self.idle_s = 0.0  # agent-seconds ready, smoothed
        self.connects_s = 0.0  # connects, smoothed

    @property
    def theta(self) -> float:
        t = self.log_theta
        if self.goal != "max_talk":
            t = min(t, self.log_theta_goal)
        return min(0.95, math.exp(t))

    def on_result(self, now: float, result: int, age: float) -> None:
        super().on_result(now, result, age)
        if result != CONNECTED and result != ABANDONED:
            return
        while self.midnights and now >= self.midnights[0]:
            self.midnights.pop(0)
            self.answers = self.abandons = 0
        y = 1 if result == ABANDONED else 0
        self.answers += 1
        self.abandons += y
        if result == CONNECTED:
            self.connects_s += 1.0
        if self.aim <= 0:
            self.log_theta = math.log(1e-6)
            return
        unspent = self.aim * self.answers - self.abandons
        wanted = min(3 * self.aim, max(0.0, self.aim + unspent / self.SPEND))
        self.log_theta = min(0.0, max(math.log(1e-6), self.log_theta + self.STEP * (wanted - y) / self.aim))

    def _track_goal(self, obs: Observation) -> None:
        dt = obs.now - self.last_t
        self.last_t = obs.now
        if dt <= 0 or obs.logged_in <= 0:
            return
        decay = math.exp(-dt / self.GOAL_TAU_S)
        if self.goal == "busy_factor":
            busy = (obs.talking + obs.wrapping) / obs.logged_in
            self.busy_avg = busy if self.busy_avg is None else decay * self.busy_avg + (1 - decay) * busy
            error = self.goal_target - self.busy_avg  # positive: dial harder
        else:
            self.idle_s = decay * self.idle_s + obs.ready * dt
            self.connects_s *= decay
            wait = self.idle_s / max(self.connects_s, 1e-9)
            error = (wait - self.goal_target) / max(self.goal_target, 1.0)
        self.log_theta_goal = min(self.log_theta + 1.0, max(math.log(1e-6), self.log_theta_goal + 0.5 * error * dt / 60))

    def decide(self, obs: Observation) -> int:
        if self.goal != "max_talk":
            self._track_goal(obs)
        if self.warming_up():
            return self.progressive(obs)
        room = self.room(obs)
        if room <= 0:
            return 0
        p = self.hit_ratio()
        snap = self.snapshot(obs, p)
        return dials_marginal_rule(snap, p, self.theta, room)
