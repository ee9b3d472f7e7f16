"""VICIdial's adaptive mode as VICIdial 2.14's code runs it (issue 16).

Each test holds the smallest input we found where VICIdial (AST_VDadapt.pl, AST_VDauto_dial.pl,
read in VICIdial 2.14b0.5 and run against the port with a faked database) and the earlier port
disagree, and asserts VICIdial's answer. The pacers are driven by hand-built observations: no
SimPy here.
"""

from __future__ import annotations

import pytest

from dialer.codes import LOGGED_OUT, READY, TALKING, WRAP_UP
from dialer.config import Adaptive as AdaptiveSettings
from dialer.config import load_campaign
from dialer.pacing.adaptive import (
    Adaptive,
    AgentCounts,
    DropStats,
    join_drop_rate_groups,
    next_dial_level,
    percent,
    stored,
)
from dialer.pacing.base import (
    AGENT_MACHINE,
    CONNECTED,
    DROPPED,
    FAILED,
    HUMAN_VERDICT,
    Observation,
)
from dialer.sim.beliefs import pacer_inputs

B2C = load_campaign("campaigns/b2c-renewals.yaml")  # starts 09:00 New York, abandon_after_s 2


def pacer(**adaptive) -> Adaptive:
    over = {"dialing.mode": "adaptive"}
    over.update({f"dialing.adaptive.{k}": v for k, v in adaptive.items()})
    return Adaptive(pacer_inputs(B2C.override(over)))


def observe(now, ready=0, talking=0, wrapping=0, waiting=0, lines=None, agents=10):
    """The OCS's view: agents by state (the rest logged out), its calls; by default every call
    up is with an agent or waiting (no dial in flight)."""
    obs = Observation(agents)
    obs.now = now
    obs.counts[READY], obs.counts[TALKING], obs.counts[WRAP_UP] = ready, talking, wrapping
    obs.counts[LOGGED_OUT] = agents - ready - talking - wrapping
    obs.waiting = waiting
    obs.lines_in_use = talking + waiting if lines is None else lines
    obs.in_flight = obs.lines_in_use - talking - waiting
    return obs


def run(p: Adaptive, until: float, state, events=()) -> dict[float, int]:
    """Decide every half second from 0 to ``until`` with ``state(t)`` (keyword arguments of
    :func:`observe`), feeding ``events`` ((time, result) pairs, in time order) as they come;
    return the dials asked for at each 2.5-second dialing step."""
    pending = sorted(events, key=lambda e: e[0])
    placed: dict[float, int] = {}
    for k in range(int(until * 2) + 1):
        t = k / 2
        while pending and pending[0][0] <= t:
            when, result = pending.pop(0)
            p.on_result(when, result, 10.0)
        n = p.decide(observe(t, **state(t)))
        if t % 2.5 == 0:
            placed[t] = n
    return placed


# -- 1. who the dialer dials for (AST_VDauto_dial.pl ~516, ~1135, ~1202-1228) ----------------------
def test_agents_in_wrap_up_are_not_dialed_for():
    # one ready agent, one in wrap-up (PAUSED): round(1.0 x 1) = 1 call (the old port: 2)
    p = pacer()
    assert p.decide(observe(0.0, ready=1, wrapping=1)) == 1


def test_dl_diff_target_is_added_to_the_agents_only_with_calls_placed():
    # ADAPT_CALC_ONLY (VICIdial's default) zeroes the diff target before the agents are counted
    assert pacer(adaptive_dl_diff_target=2).decide(observe(0.0, ready=1)) == 1
    # CALLS_PLACED adds it: 1.0 x (1 + 2) = 3 (the old port never added it: 1)
    p = pacer(adaptive_dl_diff_target=2, dl_diff_target_method="CALLS_PLACED")
    assert p.decide(observe(0.0, ready=1)) == 3
    # and never below no agent
    p = pacer(adaptive_dl_diff_target=-5, dl_diff_target_method="CALLS_PLACED")
    assert p.decide(observe(0.0, ready=1)) == 0


def test_goal_calls_round_half_to_even_like_perl():
    # sprintf("%.0f"): 2.5 x 1 = 2.5 -> 2, 1.5 x 1 -> 2, 2.5 x 3 = 7.5 -> 8
    assert pacer(auto_dial_level=2.5).decide(observe(0.0, ready=1)) == 2
    assert pacer(auto_dial_level=1.5).decide(observe(0.0, ready=1)) == 2
    assert pacer(auto_dial_level=2.5).decide(observe(0.0, ready=3)) == 8


# -- 2. what counts as an answer (AST_VDadapt.pl ~3444) --------------------------------------------
def test_an_agents_answering_machine_disposition_is_not_an_answer():
    # 51 calls today; 33 connected: 32 persons, 1 machine the agent dispositioned as such; 1
    # drop. At the recount at 61 s (the second: at 0 s, then 60 s of loops after the first)
    # VICIdial finds 1 / (32 + 1) = 3.03% > 3: HARD_LIMIT sets 1.0. The old port counted the
    # machine: 1 / 34 = 2.94%, no cut.
    p = pacer(auto_dial_level=2.0)
    events = [(0.5, FAILED)] * 17 + [(0.5, HUMAN_VERDICT), (0.5, CONNECTED)] * 33
    events += [(1.0, AGENT_MACHINE), (1.0, HUMAN_VERDICT), (3.0, DROPPED)]
    # every agent in a call, with none ready, until all have dispositioned their calls at 59 s
    run(p, 61.0, lambda t: {"talking": 10} if t < 59 else {"ready": 10}, events)
    assert p.stats.calls_today == 51
    assert p.stats.answers_today == 33 and p.stats.machines_today == 1
    assert p.level == 1.0


def test_an_answer_counts_once_its_agent_has_dispositioned_it():
    # the same day with the 32 persons still with their agents (talking or in wrap-up) at the
    # recount: no human-answered status yet, so the drop is 1 of 1 answer
    p = pacer(auto_dial_level=2.0)
    events = [(0.5, HUMAN_VERDICT), (0.5, CONNECTED)] * 32
    events += [(1.0, HUMAN_VERDICT), (3.0, DROPPED)]
    run(p, 61.0, lambda t: {"talking": 20, "wrapping": 12, "agents": 40}, events)
    assert p.stats.handled_today == 0 and p.stats.answers_today == 1


# -- 3. rounded percentages (AST_VDadapt.pl ~3121, ~3944; compared at ~6987, ~6992) ---------------
def test_drop_percentages_are_compared_rounded_to_two_decimals():
    # HARD_LIMIT, L = 2.0, 10 agents in call, 500 calls today, 233 answers, 7 drops: 3.0043%
    # is "3.00", not over 3: the level stays 2.0 (the old port compared 3.0043 and cut to 1.0)
    stats = DropStats(calls_today=500, drops_today=7, handled_today=226)
    assert stats.answers_today == 233
    assert stats.today_pct() == 3.0
    kw = {"ready_avg": 0, "waiting_avg": 0, "agents_avg": 10, "hhmm": 1200}
    level = next_dial_level(
        2.0, AdaptiveSettings(), **kw, calls_today=500, drops_today_pct=stats.today_pct()
    )
    assert level == 2.0
    # the one-minute rule reads a rounded percentage too
    assert DropStats(calls_one=21, drops_one=11).one_minute_pct() == percent(11, 21) == 52.38


# -- 4. the update schedule after a gap with no agents (AST_VDadapt.pl ~640-652, ~6797) -----------
def test_level_updates_restart_their_count_when_agents_come_back():
    # no agent for 40 s, then 10 ready: the agent average is above zero from t = 40, when the
    # level moves at once (the 15 samples hold one of 10 ready agents: m = 1, L = 2.0) and then
    # 15 s later, at 55 (the old port kept its 15 s grid: 45 and 60)
    p = pacer(auto_dial_level=1.0)
    levels = {}

    def state(t):
        levels[t] = p.level
        return {"ready": 10} if t >= 40 else {}

    run(p, 56.0, state)
    assert levels[40.0] == 1.0  # read before the decision at 40
    assert p.level == 3.0  # 2.0 at 40, then 2.0 x 2 capped at 3.0 at 55
    run_levels = [levels[t] for t in (40.5, 45.0, 45.5, 54.5, 55.0, 55.5)]
    assert run_levels == [2.0, 2.0, 2.0, 2.0, 2.0, 3.0]


# -- 5. what counts as a call (AST_VDauto_dial.pl ~2732, ~3980) ------------------------------------
def test_calls_are_counted_as_log_rows_when_their_result_is_known():
    # 30 dials in the first half minute; 16 answered at 40 s and dropped; 14 still ringing at
    # the recount at 61 s: 16 rows, not over 20, so no halving (the old port counted 30 dials,
    # 16 dropped = 53%: it halved the level)
    p = pacer(auto_dial_level=2.0)
    for k in range(30):
        p.on_dial(float(k))
    events = [(40.0, HUMAN_VERDICT)] * 16 + [(42.0, DROPPED)] * 16
    run(p, 61.0, lambda t: {"talking": 10}, events)
    assert p.stats.calls_one == 16 and p.stats.drops_one == 16
    assert p.level == 2.0


# -- 6. the stored level (auto_dial_level VARCHAR(6)) ----------------------------------------------
def test_the_level_is_stored_in_six_characters():
    # ADAPT_TAPERED over the daily limit at 14:37: 2.345 x (2100 - 1437) / 1000 = 1.554735,
    # stored "1.5547" (the old port kept 1.554735)
    tapered = AdaptiveSettings(dial_method="ADAPT_TAPERED")
    level = next_dial_level(
        2.345,
        tapered,
        ready_avg=0,
        waiting_avg=0,
        agents_avg=10,
        hhmm=1437,
        calls_today=100,
        drops_today_pct=10.0,
    )
    assert level == 1.5547
    assert stored(3.0) == 3.0 and stored(1.1725) == 1.1725 and stored(2.996001) == 2.996


# -- 7. the missing settings ---------------------------------------------------------------------
def test_dial_level_threshold_holds_the_level_at_one():
    # LOGGED-IN_AGENTS 5: with 4 logged in, the level update sets 1.0 whatever the samples say
    s = AdaptiveSettings(dial_level_threshold="LOGGED-IN_AGENTS", dial_level_threshold_agents=5)
    kw = {"ready_avg": 2, "waiting_avg": 0, "agents_avg": 4, "hhmm": 1200}
    assert next_dial_level(2.0, s, **kw, agents=AgentCounts(4, 2, 2)) == 1.0
    assert next_dial_level(2.0, s, **kw, agents=AgentCounts(5, 2, 2)) == 3.0
    # the dialer applies it too, counting only agents not paused as logged in: 5 logged in,
    # one in wrap-up, so 4 < 5 and it dials 1.0 x 4 (AST_VDadapt would count 5 here)
    p = pacer(
        auto_dial_level=2.0, dial_level_threshold="LOGGED-IN_AGENTS", dial_level_threshold_agents=5
    )
    assert p.decide(observe(0.0, ready=2, talking=2, wrapping=1)) == 4 - 2
    # WAITING_AGENTS: fewer than 3 ready
    p = pacer(
        auto_dial_level=2.0, dial_level_threshold="WAITING_AGENTS", dial_level_threshold_agents=3
    )
    assert p.decide(observe(0.0, ready=2, talking=2)) == 4 - 2


def test_available_only_tally_dials_for_ready_agents_plus_the_calls_they_hold():
    # L = 2.0, 3 ready, 5 talking, 2 in wrap-up, 9 calls up (5 with agents, 4 ringing):
    # 2.0 x 3 + 5 - 9 = 2 (without the tally: 2.0 x 8 - 9 = 7)
    state = {"ready": 3, "talking": 5, "wrapping": 2, "lines": 9}
    assert pacer(auto_dial_level=2.0).decide(observe(0.0, **state)) == 7
    p = pacer(auto_dial_level=2.0, available_only_ratio_tally=True)
    assert p.decide(observe(0.0, **state)) == 2
    # its threshold: fewer than 4 ready agents (WAITING_AGENTS) switches to the same tally
    p = pacer(
        auto_dial_level=2.0,
        available_only_tally_threshold="WAITING_AGENTS",
        available_only_tally_threshold_agents=4,
    )
    assert p.decide(observe(0.0, **state)) == 2


def _over_the_limit() -> list:
    """A day over 3%: 60 rows, 4 drops of 4 answers (every agent still ready at the end)."""
    events = [(0.5, FAILED)] * 56 + [(1.0, HUMAN_VERDICT)] * 4 + [(3.0, DROPPED)] * 4
    return events


def test_a_drop_rate_group_reads_the_percentage_gathered_one_recount_earlier():
    # alone in its group, the campaign's cap at 61 s reads the group's figure gathered (at 60 s)
    # from its recount at 0 s (no drop yet): the level stays; at 121 s it reads the 61 s
    # recount: 1.0
    def state(t):
        return {"talking": 10}

    grouped = pacer(auto_dial_level=2.0, drop_rate_group="G1")
    run(grouped, 61.0, state, _over_the_limit())
    assert grouped.stats.today_pct() == 100.0
    assert grouped.level == 2.0
    alone = pacer(auto_dial_level=2.0)
    run(alone, 61.0, state, _over_the_limit())
    assert alone.level == 1.0
    grouped.decide(observe(121.0, talking=10))
    assert grouped.level == 1.0


def test_drop_rate_group_members_share_one_percentage():
    a = pacer(auto_dial_level=2.0, drop_rate_group="G1")
    b = pacer(auto_dial_level=2.0, drop_rate_group="G1")
    join_drop_rate_groups([a, b])
    assert a.group is b.group and len(a.group.members) == 2
    for when, result in _over_the_limit():
        a.on_result(when, result, 10.0)
    # b has 60 rows and 4 answers its agents have dispositioned, none dropped
    for when in [0.5] * 56:
        b.on_result(when, FAILED, 10.0)
    for when in [1.0] * 4:
        b.on_result(when, HUMAN_VERDICT, 10.0)
        b.on_result(when, CONNECTED, 10.0)
    for t in range(0, 121):
        a.decide(observe(float(t), talking=10))
        b.decide(observe(float(t), ready=10))
    # pooled at the 121 s recounts (from the gathering of the 61 s recounts): 4 drops of 8
    # answers = 50% over 3% for both
    assert a.drops_today_pct == b.drops_today_pct == 50.0
    assert b.stats.today_pct() == 0.0


def test_ofcom_drop_formula_discounts_the_agents_machine_share():
    # 4 drops, 120 persons and 40 machines dispositioned by agents: Ofcom counts
    # 4 - 4 x 40/160 = 3.000 drops over 120 + 3 = 2.44%; the US figure is 4/124 = 3.23%
    stats = DropStats(calls_today=300, drops_today=4, handled_today=120, machines_today=40)
    assert stats.today_pct() == 3.23
    assert stats.today_pct(ofcom=True) == 2.44
    p = pacer(auto_dial_level=2.0, ofcom_uk_drop_calc=True)
    assert p.settings.ofcom_uk_drop_calc


def test_timeclock_end_of_day_restarts_the_level_process():
    # end of day 09:01 on a campaign starting at 09:00: the level process is down from 60 s to
    # 120 s and starts again with no samples and its counts from scratch: its first level
    # update comes at 136 s (an update every 15 s would have come at 61, 76, ... 121)
    p = pacer(auto_dial_level=1.0, timeclock_end_of_day=901)
    levels = {}

    def state(t):
        levels[t] = p.level
        if t < 50:
            return {"ready": 5, "talking": 5}  # m = 0.5: raises the level
        return {"talking": 10, "waiting": 2, "lines": 12}  # m = -0.2: lowers it

    run(p, 137.0, state)
    # updates at 16, 31, 46 (x 1.5 each, capped at 3.0); none while down; at 136 s the 15
    # samples since the restart all lower it: 3.0 x 0.8
    assert [levels[t] for t in (16.5, 31.5, 46.5)] == [1.5, 2.25, 3.0]
    assert levels[135.5] == 3.0 and levels[136.5] == 2.4
    assert p.loops == 18  # 120 ... 137 s
    # without the restart the level would have gone down from 61 s on
    q = pacer(auto_dial_level=1.0)
    run(q, 62.0, state)
    assert q.level < 3.0


@pytest.mark.parametrize("method", ["ADAPT_HARD_LIMIT", "ADAPT_AVERAGE", "ADAPT_TAPERED"])
def test_ratio_and_adapt_methods_store_what_the_dialer_reads(method):
    p = pacer(auto_dial_level=2.0, dial_method=method)
    run(p, 16.0, lambda t: {"ready": 2, "talking": 8})
    # L = 2.0 x (1 + 2/10) = 2.4 at 16 s (the loops at 1 ... 16 s have counted 15 s)
    assert p.level == 2.4
    assert pacer(auto_dial_level=2.0, dial_method="RATIO").level == 2.0


# -- the sequence: a scripted minute ---------------------------------------------------------------
def test_a_scripted_minute_with_wrap_up_and_agent_dispositioned_machines():
    """Ten agents. 0-30 s: 4 ready, 4 talking, 2 in wrap-up, 8 calls up (4 ringing). At 29.8 s
    three ready agents take calls and one talking agent goes to wrap-up; at 29.9 s a person
    answers and waits, dropped at 31.9 s; at 39.9 s an agent dispositions the machine it was
    on as an answering machine and is ready again.

    The level process's first loop (0 s) counts no time, so its updates come at 16, 31, 46 and
    61 s and its drop recounts at 0 and 61 s. Levels: 2.0; at 16 s 2.0 x (1 + 4/10) = 2.8; at
    31 s 2.8 x (1 + 3.467/10) capped at 3.0; at 46 s still 3.0; at 61 s the recount finds 102
    rows, 32 persons dispositioned and 1 drop: 1/33 = 3.03% over 3%: ADAPT_HARD_LIMIT, 1.0.
    Each step dials round(L x (ready + talking)) minus the calls up; the old port dialed
    round(L x 10 logged in) and, counting the machine as an answer (1/42), did not cut.
    """

    def state(t):
        if t < 30:
            return {"ready": 4, "talking": 4, "wrapping": 2, "lines": 8}
        if t < 32:
            return {"ready": 1, "talking": 6, "wrapping": 3, "waiting": 1, "lines": 12}
        if t < 40:
            return {"ready": 1, "talking": 6, "wrapping": 3, "lines": 11}
        return {"ready": 2, "talking": 5, "wrapping": 3, "lines": 10}

    # 32 calls dispositioned just before the minute and the 6 agents busy at its start
    events = [(0.1, HUMAN_VERDICT), (0.1, CONNECTED)] * 38
    events += [(k + 0.5, FAILED) for k in range(60)]
    events += [(29.8, HUMAN_VERDICT), (29.8, CONNECTED)] * 3
    events += [(29.9, HUMAN_VERDICT), (31.9, DROPPED), (39.9, AGENT_MACHINE)]
    p = pacer(auto_dial_level=2.0)
    placed = run(p, 62.5, state, events)
    # 0-15 s: 2.0 x 8 - 8; 17.5-27.5 s: round(2.8 x 8) - 8; 30 s: round(2.8 x 7) - 12;
    # 32.5-37.5 s: 3.0 x 7 - 11; 40-60 s: 3.0 x 7 - 10; 62.5 s: 1.0 x 7 - 10, nothing
    expected = [8] * 7 + [14] * 5 + [8] + [10] * 3 + [11] * 9 + [0]
    assert list(placed.values()) == expected
    assert list(placed) == [k * 2.5 for k in range(26)]
    assert p.stats.calls_today == 102 and p.stats.answers_today == 33
    assert p.level == 1.0
