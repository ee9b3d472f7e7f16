"""Pacers decide from the Stat Server's view and their beliefs alone.

A pacer is built from :class:`~dialer.pacing.inputs.PacerInputs` (settings and beliefs, never
the campaign) and, during the run, sees only observations and the results of its own dials.
These tests run every mode with beliefs that are wrong (talk time 30% short, answer time 40%
long) and a late Stat Server, record everything each pacer was shown, and replay it into a
fresh pacer built from the same inputs, with no model, no campaign and no truth anywhere: the
decisions must be identical. They also check that what the pacer was shown is the Stat
Server's view, which differs from the agents' real states while reports are late.
"""

from __future__ import annotations

import dataclasses

import pytest

from dialer.clock import Calendar
from dialer.config import MODES, load_campaign
from dialer.config import Adaptive as AdaptiveSettings
from dialer.pacing.base import Observation, Pacer
from dialer.pacing.inputs import Beliefs, GroupTimes, PacerInputs
from dialer.pacing.modes import make_pacer
from dialer.rng import Dist
from dialer.sim.beliefs import pacer_inputs
from dialer.sim.model import Model
from stats import mean_se, runs

WRONG = {
    # the centre believes 126 s of talk (the agents talk 180 s) and persons answering at 12.6 s
    # (they answer at 9 s): 30% and 40% off
    "ocs.talk_time_s": {"dist": "lognormal", "mean": 126, "sd": 84},
    "ocs.answer_time_s": {"dist": "lognormal", "mean": 12.6, "sd": 5.6},
}


def b2c(**changes):
    return load_campaign(
        "campaigns/b2c-renewals.yaml",
        {"agents.groups.0.count": 20, "calling_list.size": None, "dialing.lines": None, **changes},
    )


def test_pacer_inputs_hold_settings_and_beliefs_only():
    allowed = (
        PacerInputs,
        int,
        float,
        str,
        bool,
        Dist,
        Beliefs,
        GroupTimes,
        Calendar,
        AdaptiveSettings,
    )

    def walk(value, where):
        if isinstance(value, tuple):
            for i, v in enumerate(value):
                walk(v, f"{where}[{i}]")
            return
        assert isinstance(value, allowed), f"{where}: {type(value).__name__}"
        if dataclasses.is_dataclass(value) and not isinstance(value, Dist):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), f"{where}.{f.name}")

    walk(pacer_inputs(b2c(**WRONG)), "inputs")


def test_beliefs_default_to_the_truth_but_are_their_own_values():
    truth = b2c()
    inputs = pacer_inputs(truth)
    g = truth.agents.groups[0]
    assert inputs.beliefs.groups[0].talk_time_s == g.talk_time_s
    assert inputs.beliefs.answer_time_s == truth.population.answer_time_s
    wrong = b2c(**WRONG, **{"ocs.groups": [{"name": "renewals", "wrap_time_s": 5}]})
    mine = pacer_inputs(wrong).beliefs
    assert mine.groups[0].talk_time_s.mean == 126 and mine.answer_time_s.mean == 12.6
    assert mine.groups[0].wrap_time_s.mean == 5  # the group's own belief over ocs-wide ones
    assert wrong.agents.groups[0].talk_time_s.mean == 180  # the truth is untouched


class Recorder(Pacer):
    """Wraps a pacer and keeps, in order, everything it was shown and what it decided."""

    def __init__(self, inner: Pacer):
        self.inner = inner
        self.name, self.reserve = inner.name, inner.reserve
        self.tick_s, self.tick_strict = inner.tick_s, inner.tick_strict
        self.needs_ages = inner.needs_ages
        self.events: list[tuple] = []
        self.model: Model | None = None
        self.stale = 0  # decisions where the view's ready agents were not the real ones

    def decide(self, obs: Observation) -> int:
        model = self.model
        assert model is not None
        assert obs.counts == model.view.counts  # the pacer is shown the Stat Server's view
        self.stale += obs.ready != len(model.ready)
        shown = frozen(obs)
        n = self.inner.decide(obs)
        self.events.append(("decide", shown, n))
        return n

    def on_dial(self, now: float) -> None:
        self.events.append(("dial", now))
        self.inner.on_dial(now)

    def on_result(self, now: float, result: int, age: float) -> None:
        self.events.append(("result", now, result, age))
        self.inner.on_result(now, result, age)


def frozen(obs: Observation) -> Observation:
    """A copy of an observation as it was then (its counts by age included)."""
    busy = [(talk.copy(), wrap.copy()) for talk, wrap in obs.busy]
    out = Observation(obs.agents, list(obs.counts), busy, obs.flight.copy())
    out.now, out.waiting, out.in_flight = obs.now, obs.waiting, obs.in_flight
    out.lines_in_use, out.line_limit = obs.lines_in_use, obs.line_limit
    return out


def replay(inputs: PacerInputs, events: list[tuple]) -> list[int]:
    pacer = make_pacer(inputs)
    out = []
    for event in events:
        if event[0] == "decide":
            out.append(pacer.decide(event[1]))
        elif event[0] == "dial":
            pacer.on_dial(event[1])
        else:
            pacer.on_result(*event[1:])
    return out


@pytest.mark.parametrize("mode", MODES)
def test_every_pacer_decides_from_the_view_and_its_beliefs_alone(mode):
    campaign = b2c(
        **WRONG,
        **{"dialing.mode": mode, "horizon_s": 3600, "stat_server.delay_s": 2.0},
    )
    inputs = pacer_inputs(campaign)
    recorder = Recorder(make_pacer(inputs))
    model = Model(campaign, recorder)
    recorder.model = model
    model.run()
    decisions = [e[2] for e in recorder.events if e[0] == "decide"]
    if recorder.reserve is None:
        assert sum(decisions) > 100, "the pacer took decisions"
        assert recorder.stale > 0, "the view was late at some decisions"
    assert replay(inputs, recorder.events) == decisions


def test_the_beliefs_reach_the_forecast():
    # the same observation, two beliefs about talk time: a predictive pacer that believes in
    # shorter calls expects busy agents to free sooner and dials more
    from dialer.pacing.forecast import AgentForecast, human_verdict_pmf

    right, wrong = pacer_inputs(b2c()), pacer_inputs(b2c(**WRONG))
    # P(an agent 100 s into a call is free in time), from each group's talk table
    p_right = AgentForecast(right, human_verdict_pmf(right)).tables[0][0].q[100]
    p_wrong = AgentForecast(wrong, human_verdict_pmf(wrong)).tables[0][0].q[100]
    assert p_wrong > p_right


@pytest.mark.slow
def test_predictive_and_optimized_hold_their_targets_with_wrong_beliefs():
    # calibration (observed against forecast abandons) and the abandon feedback correct the
    # forecast's error: the targets hold within their statistical bands
    base = {**WRONG, "agents.groups.0.count": 25, "horizon_s": 4 * 3600, "warmup_s": 900}
    pred = runs(b2c(**base, **{"dialing.mode": "predictive"}), 5, seed0=300)
    mean, se = mean_se([s["overdial_rate"] for s in pred])
    assert abs(mean - 0.03) <= 4 * se + 0.001, (mean, se)
    opt = runs(b2c(**base, **{"dialing.mode": "optimized"}), 5, seed0=300)
    assert all(s["compliance_ok"] for s in opt), [s["compliance_worst_rate"] for s in opt]
