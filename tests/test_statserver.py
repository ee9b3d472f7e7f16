"""The Stat Server between the agents and the OCS: exact effects of its delay and outages
(constant times: every event known by hand), and the OCS's view of agents."""

from __future__ import annotations

import math

from conftest import event_log, make_campaign
from dialer.codes import LOGGED_OUT, READY, TALKING, WRAP_UP
from dialer.sim.statserver import AgentView


def dials(log):
    return [(t, i) for t, e, i in log if e == "dial"]


def test_progressive_dials_for_an_agent_when_the_stat_server_reports_it_ready():
    # One agent, every dial a person at 10 s, talk 60, wrap 10. The agent is ready at 0 and
    # again at 83 (after 3 + 10 + 60 + 10), but the OCS hears of it 3 s later each time.
    log, calls, result = event_log(make_campaign(horizon_s=200, **{"stat_server.delay_s": 3}))
    assert dials(log) == [(3, 1), (86, 2), (169, 3)]
    assert (0, "ready", "a-1") in log and (83, "ready", "a-1") in log
    assert result.summary["stat_server_delay_mean_s"] == 3.0
    # without the delay the same agent is dialed for at once: cycles of 80 s
    log0, _, _ = event_log(make_campaign(horizon_s=200))
    assert dials(log0) == [(0, 1), (80, 2), (160, 3)]


def test_the_threshold_rule_decides_when_the_stat_server_reports_an_agent_ready():
    # Threshold (ratio 1, extra 0), one agent, every dial a person at 10 s, talk 60, wrap 10.
    # With a 3 s delay the OCS sees no free agent when the run starts, nor when the agent ends
    # its call at 83: it decides again when the Stat Server reports the agent ready (at 3, at
    # 86), as ContactCenters' dialer is triggered when the agents it can dial for increase.
    # Deciding only at the truth's moments, it never dialed at all.
    base = {"dialing.mode": "threshold", "dialing.ratio": 1, "horizon_s": 200}
    log, _, _ = event_log(make_campaign(**base, **{"stat_server.delay_s": 3}))
    assert dials(log) == [(3, 1), (86, 2), (169, 3)]
    log0, _, _ = event_log(make_campaign(**base))
    assert dials(log0) == [(0, 1), (80, 2), (160, 3)]


def test_power_dials_for_an_agent_the_stat_server_still_shows_ready():
    # Power, ratio 2, one agent, every dial a person at 10 s, abandon_after_s 2. With no delay:
    # two dials at 0; at 10 one connects and the OCS knows the agent is talking; the other is
    # dropped at 12; nothing more until the agent is free at 80.
    base = {"dialing.mode": "power", "horizon_s": 79}
    log0, _, r0 = event_log(make_campaign(**base))
    assert dials(log0) == [(0, 1), (0, 2)]
    # With a 3 s delay the OCS hears of the agent at 3 and dials two; at 13 call 1 reaches the
    # agent, but the OCS still shows the agent ready until 16: with call 2 still ringing it
    # dials one more (ceil(2 x 1) - 1) at 13, and again one at 15 when call 2 is dropped.
    # Calls 3 and 4 find the agent talking and are dropped at 25 and 27.
    log3, _, r3 = event_log(make_campaign(**base, **{"stat_server.delay_s": 3}))
    assert dials(log3) == [(3, 1), (3, 2), (13, 3), (15, 4)]
    drops = [(t, i) for t, e, i in log3 if e == "drop"]
    assert drops == [(15, 2), (25, 3), (27, 4)]
    assert (r0.summary["abandoned"], r3.summary["abandoned"]) == (1, 3)


def test_no_dial_while_the_stat_server_is_down_and_fresh_states_after():
    # Progressive, one agent, 80 s cycles: dials at 0 and 80; the agent is ready again at 160,
    # inside an outage from 00:02 to 00:03 (120 s to 180 s): the report is lost and nothing is
    # dialed until the link is back at 180, with every agent's state taken afresh.
    outage = {"stat_server.outages": [{"at": "00:02", "duration_s": 60}]}
    log, _, result = event_log(make_campaign(horizon_s=300, **outage))
    assert dials(log) == [(0, 1), (80, 2), (180, 3), (260, 4)]
    assert result.summary["dials_stopped_by_outage_s"] == 60


def test_the_records_say_when_the_ocs_learned_of_each_state():
    from dialer.experiments.run import simulate

    c = make_campaign(
        horizon_s=300,
        **{
            "stat_server.delay_s": 2,
            "stat_server.outages": [{"at": "00:02", "duration_s": 60}],
        },
    )
    rows = []
    simulate(c, on_interval=lambda a, s, start, end, rep: rows.append((s, start, end, rep)))
    # ready at 0, 82 and 164 (reported 2 s later, and dialed for then); the last one starts in
    # the outage: the OCS first learns of it from the fresh states at 180
    ready = [r for r in rows if r[0] == READY]
    assert ready[:3] == [
        (READY, 0.0, 2.0, 2.0),
        (READY, 82.0, 84.0, 84.0),
        (READY, 164.0, 180.0, 180.0),
    ]
    # every interval follows the last, from 0 to the horizon, for the one agent
    assert rows[0] == (LOGGED_OUT, 0.0, 0.0, 2.0)
    assert all(a[2] == b[1] for a, b in zip(rows, rows[1:]))
    assert rows[-1][2] == 300.0


def test_the_view_ignores_reports_older_than_what_it_knows():
    view = AgentView([0, 0])
    assert view.learn(0, READY, 5.0)
    assert view.counts[READY] == 1 and view.longest_ready() == 0
    assert view.learn(0, TALKING, 7.0)
    assert not view.learn(0, READY, 6.0)  # a stale report: the agent has moved on since
    assert view.counts[TALKING] == 1 and view.counts[READY] == 0
    view.refresh(0, WRAP_UP, 6.5)  # the Stat Server's answer to a query wins
    assert view.state[0] == WRAP_UP and view.counts[TALKING] == 0
    talk, wrap = view.busy[0]
    assert (talk.n, wrap.n) == (0, 1)  # the forecast's counts follow: one agent in wrap-up
    seg, older = wrap.at(10.0, 60)
    assert seg.tolist()[:5] == [0, 0, 0, 0, 1] and older == 0  # entered 4 whole seconds ago
    assert view.counts[LOGGED_OUT] == 1 and view.stamp[1] == -math.inf
