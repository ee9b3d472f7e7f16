"""Pacers on hand-built observations (no SimPy): the rules, the forecasts, VICIdial's examples."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_campaign
from dialer.codes import TALKING, WRAP_UP
from dialer.config import Adaptive as AdaptiveSettings
from dialer.config import load_campaign
from dialer.pacing.adaptive import Adaptive, next_dial_level
from dialer.pacing.ages import Ages
from dialer.pacing.base import ABANDONED, BUSY_BIN_S, CONNECTED, FAILED, HUMAN_VERDICT, Observation
from dialer.pacing.forecast import (
    AgentForecast,
    DialHistory,
    Snapshot,
    dials_marginal_rule,
    human_verdict_pmf,
    next_binomial,
)
from dialer.pacing.modes import make_pacer
from dialer.pacing.predictive import Optimized, Predictive
from dialer.regulation import allowed_abandon_rate
from dialer.sim.beliefs import pacer_inputs

B2C = load_campaign("campaigns/b2c-renewals.yaml")


def observation(
    ready=0,
    waiting=0,
    in_flight=0,
    lines_in_use=0,
    line_limit=math.inf,
    agents=25,
    busy=(),
    flight=(),
    now=100.0,
):
    """An observation at ``now``: ``busy`` as (state, seconds in it, group), ``flight`` as the
    ages of the dials in flight."""
    groups = max((g for _, _, g in busy), default=0) + 1
    obs = Observation(agents, busy=[(Ages(BUSY_BIN_S), Ages(BUSY_BIN_S)) for _ in range(groups)])
    obs.now, obs.ready, obs.waiting, obs.in_flight = now, ready, waiting, in_flight
    obs.lines_in_use, obs.line_limit = lines_in_use, line_limit
    for state, elapsed, group in busy:
        obs.busy[group][state == "wrap"].add(now - elapsed)
    for age in flight:
        obs.flight.add(now - age)
    return obs


def warmed(pacer, hits=40, dials=200):
    """Feed a pacer enough dial results to leave its progressive warm-up (by t = 100 s)."""
    for i in range(dials):
        pacer.on_result(30.0, HUMAN_VERDICT if i < hits else FAILED, 9.0 if i < hits else 25.0)
    return pacer


# -- the snapshot rule against direct enumeration ------------------------------------------------


def brute_force(base, free_ps, flight_ps):
    """Exact distribution of M = base + sum(free) - sum(flight) by enumerating every outcome."""
    dist: dict[int, float] = {}
    ps = list(free_ps) + list(flight_ps)
    signs = [1] * len(free_ps) + [-1] * len(flight_ps)
    for outcome in itertools.product((0, 1), repeat=len(ps)):
        prob = math.prod(p if o else 1 - p for p, o in zip(ps, outcome, strict=True))
        m = base + sum(s * o for s, o in zip(signs, outcome, strict=True))
        dist[m] = dist.get(m, 0.0) + prob
    return dist


@pytest.mark.parametrize(
    "base, free_ps, flight_ps, p",
    [
        (2, [0.3, 0.7, 0.05], [0.4, 0.2], 0.25),
        (0, [0.9, 0.9, 0.5, 0.1, 0.2], [0.6, 0.6, 0.3, 0.1], 0.2),
        (-1, [0.5], [0.99, 0.5, 0.2], 0.4),
        (3, [], [], 0.3),
    ],
)
def test_snapshot_rule_matches_direct_binomial_computation(base, free_ps, flight_ps, p):
    snap = Snapshot(base, np.array(free_ps), np.array(flight_ps))
    dist = brute_force(base, free_ps, flight_ps)
    binom = np.ones(1)
    # the distribution of M itself: P(M <= x) at every x
    for x in range(-6, 8):
        assert snap.p_m_at_most(np.array([x]))[0] == pytest.approx(
            sum(prob for m, prob in dist.items() if m <= x), abs=1e-12
        )
    for k in range(8):
        # P(X_k >= M), X_k ~ Binomial(k, p): the chance the (k+1)-th new answer finds no agent
        direct = sum(
            math.comb(k, x)
            * p**x
            * (1 - p) ** (k - x)
            * sum(prob for m, prob in dist.items() if m <= x)
            for x in range(k + 1)
        )
        assert snap.marginal(k, p, binom) == pytest.approx(direct, abs=1e-12)

        # and E[(X_{k+1} - M)+] - E[(X_k - M)+] = p P(X_k >= M): the snapshot rule's increments
        def e_abandons(n):
            return sum(
                math.comb(n, x)
                * p**x
                * (1 - p) ** (n - x)
                * sum(prob * max(x - m, 0) for m, prob in dist.items())
                for x in range(n + 1)
            )

        assert e_abandons(k + 1) - e_abandons(k) == pytest.approx(p * direct, abs=1e-12)
        binom = next_binomial(binom, p)


def test_marginal_rule_stops_at_the_threshold():
    snap = Snapshot(2, np.array([0.5, 0.5]), np.array([0.3]))
    placed = dials_marginal_rule(snap, 0.3, 0.05, 50)
    assert placed and all(m <= 0.05 for m in placed)
    assert placed == sorted(placed)
    binom = np.ones(1)
    for _ in placed:
        binom = next_binomial(binom, 0.3)
    assert snap.marginal(len(placed), 0.3, binom) > 0.05


# -- forecasts ----------------------------------------------------------------------------------


def test_residual_life_probability_matches_monte_carlo():
    c = B2C
    verdict = human_verdict_pmf(pacer_inputs(c))
    forecast = AgentForecast(pacer_inputs(c), verdict)
    g = c.agents.groups[0]
    rng = np.random.default_rng(3)
    n = 400_000
    # horizon: a new dial's human verdict time (answer in time + detection) plus the 2 s grace
    answer = g_answer = c.population.answer_time_s.sample(rng, 3 * n)
    answer = g_answer[g_answer <= c.cpd.ring_timeout_s][:n]
    horizon = answer + c.cpd.detect_time_s.sample(rng, n) + c.dialing.abandon_after_s
    for elapsed in (0.0, 60.0, 180.0, 400.0):
        talk = g.talk_time_s.sample(rng, 40 * n)
        rest = talk[talk > elapsed][:n] - elapsed
        free = rest + g.wrap_time_s.sample(rng, n) <= horizon
        se = math.sqrt(free.mean() * (1 - free.mean()) / n)
        q = forecast.tables[0][0].q[int(elapsed)]  # talk table, group 0
        assert q == pytest.approx(free.mean(), abs=4 * se + 0.004), elapsed
    for elapsed in (0.0, 30.0):
        w = g.wrap_time_s.sample(rng, 10 * n)
        rest = w[w > elapsed][:n] - elapsed
        free = rest <= horizon
        q = forecast.tables[0][1].q[int(elapsed)]  # wrap-up table, group 0
        assert q == pytest.approx(free.mean(), abs=0.005)


def test_dial_history_is_a_sliding_window_in_dial_order():
    h = DialHistory(size=4, max_age=30)
    for i, human in enumerate((True, False, False, False)):
        h.add(40.0 + i, 10.0, human)  # dialed at 30, 31, 32, 33
    h.add(40.0, 5.0, True)  # dialed at 35
    h.add(41.0, 3.0, True)  # dialed at 38: answered before the failures above came back
    h.mature(62.0)  # dials placed by 32 are surely resolved
    assert (len(h), h.hit_ratio) == (3, 1 / 3)
    h.mature(70.0)  # all six; the first two left the window of four
    assert h.hit_ratio == 0.5
    assert h.failure_survival(np.array([4.0, 12.0])).tolist() == [1.0, 0.0]


def test_a_burst_of_quick_failures_does_not_lower_the_hit_ratio():
    h = DialHistory(size=200, max_age=30)
    for i in range(200):  # history: one dial in five reached a person
        h.add(100.0, 9.0 if i % 5 == 0 else 25.0, i % 5 == 0)
    h.mature(200.0)
    for _ in range(30):  # a burst dialed at 195: its busy signals are back at 199
        h.add(199.0, 4.0, False)
    h.mature(200.0)
    assert h.hit_ratio == 0.2


def test_ofcom_allowance_accounts_for_the_amd_estimate():
    assert allowed_abandon_rate(0.03, "fcc", 0.05) == 0.03
    assert allowed_abandon_rate(0.03, "ofcom", 0.01) == pytest.approx(0.02 / 0.99)
    assert allowed_abandon_rate(0.03, "ofcom", 0.05) == 0.0


# -- every pacer: never negative, within the lines, only observable input ---------------------


busy_agent = st.tuples(st.sampled_from(["talk", "wrap"]), st.floats(0, 2000), st.just(0))


@settings(max_examples=150, deadline=None)
@given(
    mode=st.sampled_from(
        ["preview", "progressive", "power", "predictive", "optimized", "adaptive"]
    ),
    ready=st.integers(0, 25),
    waiting=st.integers(0, 5),
    in_flight=st.integers(0, 60),
    lines=st.one_of(st.none(), st.integers(0, 80)),
    used=st.integers(0, 80),
    busy=st.lists(busy_agent, max_size=25),
    flight=st.lists(st.floats(0, 40), max_size=60),
    now=st.floats(0, 30000),
)
def test_pacers_never_ask_for_negative_dials_nor_more_than_the_free_lines(
    mode, ready, waiting, in_flight, lines, used, busy, flight, now
):
    pacer = warmed(make_pacer(pacer_inputs(B2C.override({"dialing.mode": mode}))))
    line_limit = math.inf if lines is None else lines
    used = min(used, lines) if lines is not None else used
    obs = observation(
        ready, waiting, in_flight, used, line_limit, busy=busy, flight=flight, now=now
    )
    n = pacer.decide(obs)
    assert isinstance(n, int) and n >= 0
    if pacer.reserve is None:
        assert n <= line_limit - used


def test_forecasting_pacers_warm_up_in_progressive_mode():
    for cls in (Predictive, Optimized):
        pacer = cls(pacer_inputs(B2C))
        obs = observation(ready=5, waiting=1, in_flight=2)
        assert pacer.decide(obs) == 2  # one dial per free agent: 5 ready - 1 waiting - 2 in flight
        warmed(pacer)
        assert not pacer.warming_up(100.0)


def test_predictive_dials_ahead_of_agents_about_to_be_free():
    pacer = warmed(Predictive(pacer_inputs(B2C)))
    wrapping = [("wrap", 15.0, 0)] * 10  # ten agents in wrap-up: about half free within 13 s
    early_talk = [("talk", 5.0, 0)] * 10  # ten agents just started talking: none free soon
    assert (
        pacer.decide(observation(busy=wrapping)) > pacer.decide(observation(busy=early_talk)) == 0
    )


def test_predictive_feedback_lowers_the_rate_after_abandons():
    pacer = warmed(Predictive(pacer_inputs(B2C)))
    assert pacer.feedback_rate(0.03) == 0.03
    for _ in range(100):
        pacer.on_result(1000.0, CONNECTED, 20.0)
    for _ in range(10):
        pacer.on_result(1000.0, ABANDONED, 12.0)
    assert pacer.feedback_rate(0.03) < 0.03  # 10 abandons in 110 answers: over the aim


# -- VICIdial's adaptive algorithm: the worked examples of domain.md ------------------------------


VICI = AdaptiveSettings()


def test_adaptive_raises_the_level_with_idle_agents():
    # L = 2.0, 10 agents, 2 idle, 0 waiting: 2.0 x (1 + 2/10) = 2.4
    assert next_dial_level(2.0, VICI, ready_avg=2, waiting_avg=0, agents_avg=10, hhmm=1200) == 2.4


def test_adaptive_lowers_the_level_with_calls_waiting():
    # L = 2.0, 10 agents, 0 idle, 1 waiting: 2.0 x (1 - 1/10) = 1.8
    assert next_dial_level(2.0, VICI, ready_avg=0, waiting_avg=1, agents_avg=10, hhmm=1200) == 1.8


def test_adaptive_tapered_rate_at_five_pm():
    tapered = AdaptiveSettings(dial_method="ADAPT_TAPERED")
    # the daily cap reads VICIdial's rounded percentage, no longer the counts (issue 16)
    over = {"calls_today": 100, "drops_today_pct": 10.0}  # 10% > 3%
    # (2100 - 1700) / 1000 = 0.4 of a level of 3.0
    assert next_dial_level(
        3.0, tapered, ready_avg=0, waiting_avg=0, agents_avg=10, hhmm=1700, **over
    ) == pytest.approx(1.2)
    # more than ten "hours" left: no taper; after the latest server time: 1.0
    assert (
        next_dial_level(3.0, tapered, ready_avg=0, waiting_avg=0, agents_avg=10, hhmm=1000, **over)
        == 3.0
    )
    assert (
        next_dial_level(3.0, tapered, ready_avg=0, waiting_avg=0, agents_avg=10, hhmm=2130, **over)
        == 1.0
    )


def test_adaptive_daily_caps_and_the_one_minute_rule():
    over = {"calls_today": 100, "drops_today_pct": 10.0}
    kw = {"ready_avg": 0, "waiting_avg": 0, "agents_avg": 10, "hhmm": 1200}
    assert (
        next_dial_level(2.6, AdaptiveSettings(dial_method="ADAPT_HARD_LIMIT"), **kw, **over) == 1.0
    )
    assert next_dial_level(2.6, AdaptiveSettings(dial_method="ADAPT_AVERAGE"), **kw, **over) == 1.3
    # 50 dials or fewer today: no daily cap yet
    assert (
        next_dial_level(
            2.6,
            AdaptiveSettings(dial_method="ADAPT_HARD_LIMIT"),
            **kw,
            calls_today=50,
            drops_today_pct=50.0,
        )
        == 2.6
    )
    # over 20 dials in the last minute, more than half dropped: halve
    assert next_dial_level(2.6, VICI, **kw, calls_one=30, drops_one_pct=53.33) == 1.3
    # intensity: +50 moves up one and a half times as fast, and down half as fast
    hot = AdaptiveSettings(adaptive_intensity=50)
    assert next_dial_level(2.0, hot, ready_avg=2, waiting_avg=0, agents_avg=10, hhmm=1200) == 2.6
    assert next_dial_level(2.0, hot, ready_avg=0, waiting_avg=1, agents_avg=10, hhmm=1200) == 1.9
    # the level stays within [1, adaptive_maximum_level]
    assert next_dial_level(2.9, VICI, ready_avg=5, waiting_avg=0, agents_avg=10, hhmm=1200) == 3.0
    assert next_dial_level(1.05, VICI, ready_avg=0, waiting_avg=5, agents_avg=10, hhmm=1200) == 1.0


def test_adaptive_dials_level_times_agents_minus_active_calls_every_two_and_a_half_seconds():
    pacer = Adaptive(
        pacer_inputs(
            B2C.override({"dialing.mode": "adaptive", "dialing.adaptive.auto_dial_level": 2.0})
        )
    )
    obs = observation(ready=3, lines_in_use=30, agents=25, now=0.0)
    obs.counts[TALKING], obs.counts[WRAP_UP] = 17, 5
    # round(2.0 x 20 agents ready or in a call) - 30 calls up; the 5 in wrap-up (VICIdial's
    # PAUSED) are not dialed for (issue 16: it used to be 2.0 x 25 logged in)
    assert pacer.decide(obs) == 10
    obs.now = 1.0
    assert pacer.decide(obs) == 0  # between dialing steps
    obs.now = 2.5
    assert pacer.decide(obs) == 10


def test_adaptive_in_a_run_counts_logged_in_agents_once():
    c = make_campaign(
        **{
            "dialing.mode": "adaptive",
            "agents.groups.a.count": 4,
            "horizon_s": 120,
            "population.human": 0.2,
            "population.no_answer": 0.8,
        }
    )
    from dialer.experiments.run import simulate

    pacer = make_pacer(pacer_inputs(c))
    simulate(c, pacer=pacer)
    assert all(s[2] == 4 for s in pacer.samples)


def test_predictive_small_group_rule_waits_for_the_whole_batch():
    pacer = warmed(Predictive(pacer_inputs(B2C.override({"dialing.small_group_agents": 8}))))
    wrapping = [("wrap", 15.0, 0)] * 3
    # 5 agents logged in (fewer than 8): no new batch while a dial of the last one is in flight
    assert (
        pacer.decide(observation(ready=2, in_flight=1, agents=5, busy=wrapping, flight=[3.0])) == 0
    )
    assert pacer.decide(observation(ready=2, in_flight=0, agents=5, busy=wrapping)) > 0
