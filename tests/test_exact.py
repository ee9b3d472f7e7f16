"""Exact tiny scenarios with constant times: the full event sequence is known by hand."""

from __future__ import annotations

import pytest

from conftest import event_log, make_campaign


def test_progressive_one_agent_full_sequence():
    # Every dial is a person answering at 10 s; talk 60, wrap 10: a cycle of 80 s.
    log, calls, result = event_log(make_campaign(horizon_s=170))
    assert log == [
        (0, "ready", "a-1"),
        (0, "reserved", "a-1"),
        (0, "dial", 1),
        (10, "verdict", 1),
        (10, "talking", "a-1"),
        (10, "connect", 1),
        (70, "end", 1),
        (70, "wrap_up", "a-1"),
        (80, "ready", "a-1"),
        (80, "reserved", "a-1"),
        (80, "dial", 2),
        (90, "verdict", 2),
        (90, "talking", "a-1"),
        (90, "connect", 2),
        (150, "end", 2),
        (150, "wrap_up", "a-1"),
        (160, "ready", "a-1"),
        (160, "reserved", "a-1"),
        (160, "dial", 3),
    ]
    s = result.summary
    assert (s["dials"], s["connects"], s["abandoned"]) == (3, 2, 0)
    # agent time over 170 s: talk 120, wrap 20, reserved 10+10+10, idle 0
    assert s["talk_share"] == pytest.approx(120 / 170)
    assert s["wrap_share"] == pytest.approx(20 / 170)
    assert s["reserved_share"] == pytest.approx(30 / 170)
    assert s["occupancy"] == pytest.approx(140 / 170)
    assert s["mean_agent_wait_s"] == pytest.approx(10)  # from ready to connect
    assert [c.connected_at for c in calls[:2]] == [10, 90]
    assert calls[2].ended_at is None  # still ringing at the horizon


def test_power_abandons_second_answer_after_two_seconds():
    # One agent, ratio 2: two dials; both persons answer at 10 s; one waits and the OCS's
    # timer drops it at 12 s (abandon_after_s = 2 < patience 100): a Dropped call (26) that the
    # regulator counts as abandoned. Nothing more is dialed until the agent is ready at 80 s.
    log, calls, result = event_log(make_campaign(**{"dialing.mode": "power", "horizon_s": 85}))
    assert log == [
        (0, "ready", "a-1"),
        (0, "dial", 1),
        (0, "dial", 2),
        (10, "verdict", 1),
        (10, "talking", "a-1"),
        (10, "connect", 1),
        (10, "verdict", 2),
        (12, "drop", 2),
        (12, "end", 2),
        (70, "end", 1),
        (70, "wrap_up", "a-1"),
        (80, "ready", "a-1"),
        (80, "dial", 3),
        (80, "dial", 4),
    ]
    s = result.summary
    assert (s["live_answers"], s["connects"], s["abandoned"]) == (2, 1, 1)
    assert s["abandon_rate"] == 0.5
    assert [c.abandoned for c in calls[:2]] == [False, True]
    assert calls[1].result == 26  # Genesys Dropped: the OCS's timer ended it
    assert (s["ocs_dropped"], s["ocs_abandoned"]) == (1, 0)


def test_power_waiting_call_taken_when_agent_frees():
    # Patience and abandon limit longer than the talk + wrap: the second call waits 70 s.
    c = make_campaign(**{"dialing.mode": "power", "dialing.abandon_after_s": 100, "horizon_s": 145})
    log, calls, result = event_log(c)
    assert (80, "talking", "a-1") in log and (80, "connect", 2) in log
    assert calls[1].connected_at - calls[1].verdict_at == 70
    assert result.summary["mean_answer_wait_s"] == pytest.approx(35)  # (0 + 70) / 2


def test_preview_agent_previews_then_dials_and_waits():
    log, calls, result = event_log(make_campaign(**{"dialing.mode": "preview", "horizon_s": 100}))
    assert log[:8] == [
        (0, "ready", "a-1"),
        (0, "preview", "a-1"),
        (15, "reserved", "a-1"),
        (15, "dial", 1),
        (25, "verdict", 1),
        (25, "talking", "a-1"),
        (25, "connect", 1),
        (85, "end", 1),
    ]
    assert result.summary["mean_agent_wait_s"] == pytest.approx(25)


def test_amd_machine_and_false_negative_costs_agent_time():
    # All machines; AMD off: every machine is passed to the agent for 5 s, no wrap-up.
    c = make_campaign(
        **{
            "population.human": 0.0,
            "population.machine": 1.0,
            "horizon_s": 40,
        }
    )
    log, calls, result = event_log(c)
    assert log[:10] == [
        (0, "ready", "a-1"),
        (0, "reserved", "a-1"),
        (0, "dial", 1),
        (12, "verdict", 1),
        (12, "on_machine", "a-1"),
        (12, "connect", 1),
        (17, "end", 1),
        (17, "ready", "a-1"),
        (17, "reserved", "a-1"),
        (17, "dial", 2),
    ]
    s = result.summary
    assert (
        s["machines"] == 2
        and s["machines_to_agents"] == 2
        and s["dials"] == 3
        and s["connects"] == 0
    )
    assert s["machine_share"] == pytest.approx(10 / 40)


def test_amd_on_machine_hung_up_after_detection():
    c = make_campaign(
        **{
            "population.human": 0.0,
            "population.machine": 1.0,
            "cpd.amd": True,
            "cpd.amd_false_negative": 0.0,
            "horizon_s": 30,
        }
    )
    log, calls, _ = event_log(c)
    # machine answers at 12, AMD decides at 14 and hangs up; the agent is released at once
    assert log[:7] == [
        (0, "ready", "a-1"),
        (0, "reserved", "a-1"),
        (0, "dial", 1),
        (14, "verdict", 1),
        (14, "end", 1),
        (14, "ready", "a-1"),
        (14, "reserved", "a-1"),
    ]
    assert calls[0].answered_at == 12 and calls[0].result == 9  # Answering Machine


def test_amd_false_positive_hangs_up_on_a_person():
    c = make_campaign(**{"cpd.amd": True, "cpd.amd_false_positive": 1.0, "horizon_s": 30})
    _, calls, result = event_log(c)
    assert calls[0].verdict_at == 12 and calls[0].connected_at is None
    s = result.summary
    assert s["amd_false_positives"] == 2 and s["live_answers"] == 0
    assert s["abandon_rate_true"] == 1.0  # (0 + 2) / (0 + 2)


def test_ring_timeout_turns_a_late_answer_into_no_answer():
    c = make_campaign(**{"population.answer_time_s": 25, "horizon_s": 45})
    log, calls, result = event_log(c)
    assert (20, "verdict", 1) in log and (40, "verdict", 2) in log
    assert calls[0].result == 7 and calls[0].answered_at is None
    assert result.summary["no_answer"] == 2 and result.summary["live_answers"] == 0


def test_line_limit_holds_dials_back():
    c = make_campaign(
        **{
            "dialing.mode": "power",
            "dialing.ratio": 5.0,
            "dialing.lines": 3,
            "agents.groups.a.count": 2,
            "horizon_s": 5,
        }
    )
    log, _, result = event_log(c)
    assert [e for e in log if e[1] == "dial"] == [(0, "dial", 1), (0, "dial", 2), (0, "dial", 3)]
    assert result.summary["peak_lines"] == 3


def test_two_groups_each_with_its_own_talk_time():
    base = make_campaign(**{"dialing.mode": "progressive", "horizon_s": 100}).to_dict()
    base["agents"]["groups"] = [
        {"name": "fast", "count": 1, "talk_time_s": 30, "wrap_time_s": 0, "machine_time_s": 5},
        {"name": "slow", "count": 1, "talk_time_s": 70, "wrap_time_s": 0, "machine_time_s": 5},
    ]
    log, calls, _ = event_log(make_campaign(base))
    ends = [(t, i) for t, e, i in log if e == "end"]
    assert ends[:3] == [(40, 1), (80, 2), (80, 3)]
    assert {c.agent for c in calls[:2]} == {"fast-1", "slow-1"}


def test_warmup_filters_dials_by_dial_time_and_agent_time_by_clock():
    c = make_campaign(**{"horizon_s": 170, "warmup_s": 80})
    _, _, result = event_log(c)
    s = result.summary
    # dials at 80 and 160 count; the call dialed at 0 does not
    assert s["dials"] == 2 and s["connects"] == 1
    assert s["agent_hours"] == pytest.approx(90 / 3600)
    assert s["talk_share"] == pytest.approx(60 / 90)


def test_stat_server_counts_are_consistent():
    from dialer.sim.model import Model

    m = Model(make_campaign(**{"agents.groups.a.count": 3, "horizon_s": 50}))
    m.run()
    obs = m.observe()
    assert obs.logged_in == 3
    assert obs.ready + obs.talking + obs.wrapping + obs.reserved == 3
    assert obs.counts[6] == 0  # nobody logged out at the end


@pytest.mark.parametrize("mode", ["preview", "progressive", "power"])
def test_skipping_decisions_while_nothing_is_dialable_changes_nothing(mode, monkeypatch):
    # The model does not ask the pacer while no record can be dialed (windows closed, retries
    # not due, list worked). For pacers without memory that must not change a single dial.
    from dialer.config import load_campaign
    from dialer.experiments.run import simulate
    from dialer.sim.campaign import CampaignGroup

    c = load_campaign(
        "campaigns/multi-zone-list.yaml", {"dialing.mode": mode, "horizon_s": 2 * 86400}
    )

    def dials(campaign):
        calls = []
        simulate(campaign, on_call=calls.append)
        return sorted(
            (x.call_id, x.record.record_id, x.dialed_at, x.ended_at, x.agent) for x in calls
        )

    with_skip = dials(c)
    original = CampaignGroup._wake_later

    def never_dry(self):
        original(self)
        self._dry_until = float("-inf")

    monkeypatch.setattr(CampaignGroup, "_wake_later", never_dry)
    assert dials(c) == with_skip and len(with_skip) > 1000
