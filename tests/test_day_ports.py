"""The dialing hardware's limits and the agentless modes: CPD ports, the transfer delay, ASM's
engaging ports, IVR ports; exact logs with constant times, and the records behind the figures."""

from __future__ import annotations

import copy

import pytest
from test_records import assert_recomputed, run_with_records

from conftest import CONSTANT_WORLD, event_log, make_campaign
from dialer.config import load_campaign
from dialer.errors import InputError
from dialer.sim.ports import Ports
from recompute import recompute

AGENTLESS = copy.deepcopy(CONSTANT_WORLD)
AGENTLESS["agents"]["groups"][0]["count"] = 0
AGENTLESS["dialing"]["mode"] = "progressive_ivr"
AGENTLESS["ivr"] = {"ports": 2, "message_s": 30, "machine_message_s": 20}


def test_a_cpd_port_shortage_delays_a_dial_exactly():
    # Power, one agent, ratio 2: two dials at 0 s, but one CPD port: the second waits until the
    # first's verdict (10 s) frees it, and goes out then (it waited 10 s).
    c = make_campaign(
        horizon_s=30, **{"dialing.mode": "power", "cpd.ports": 1, "cpd.port_wait_s": 20}
    )
    log, calls, result = event_log(c)
    assert log == [
        (0, "ready", "a-1"),
        (0, "dial", 1),
        (10, "verdict", 1),
        (10, "dial", 2),
        (10, "talking", "a-1"),
        (10, "connect", 1),
        (20, "verdict", 2),
        (22, "drop", 2),
        (22, "end", 2),
    ]
    assert [x.port_wait for x in calls] == [0.0, 10.0]
    s = result.summary
    assert (s["port_waits"], s["port_wait_mean_s"], s["port_failures"], s["peak_cpd_ports"]) == (
        1,
        10.0,
        0,
        1,
    )


def test_a_dial_that_finds_no_port_in_time_fails_with_no_free_port():
    # The same with cpd.port_wait_s 7: the second dial fails at 7 s (result 44; its record is
    # due again at once and waits for the port once more, from 7 s: it goes out at 10 s).
    c = make_campaign(
        horizon_s=30, **{"dialing.mode": "power", "cpd.ports": 1, "cpd.port_wait_s": 7}
    )
    log, calls, result = event_log(c)
    assert log[:5] == [
        (0, "ready", "a-1"),
        (0, "dial", 1),
        (7, "no_port", 2),
        (10, "verdict", 1),
        (10, "dial", 3),
    ]
    failed = calls[1]
    assert (failed.result, failed.dialed_at, failed.ended_at, failed.truth) == (44, 0, 7, -1)
    assert (calls[2].record is failed.record, calls[2].attempt, calls[2].port_wait) == (
        True,
        1,
        3.0,
    )
    s = result.summary
    assert (s["port_failures"], s["dials"], s["port_waits"]) == (1, 2, 1)


def test_the_transfer_delay_reserves_the_agent_and_counts_against_the_two_seconds():
    # Progressive, transfer 1.5 s: the verdict at 10 s, the person hears the agent at 11.5 s.
    c = make_campaign(horizon_s=30, **{"dialing.transfer_delay_s": 1.5})
    log, calls, result = event_log(c)
    assert log == [
        (0, "ready", "a-1"),
        (0, "reserved", "a-1"),
        (0, "dial", 1),
        (10, "verdict", 1),
        (11.5, "talking", "a-1"),
        (11.5, "connect", 1),
    ]
    assert result.summary["mean_answer_wait_s"] == 1.5
    # a transfer longer than abandon_after_s (2 s) never reaches the person: dropped at 12 s
    log, calls, result = event_log(make_campaign(horizon_s=30, **{"dialing.transfer_delay_s": 2.5}))
    assert log[3:7] == [(10, "verdict", 1), (12, "drop", 1), (12, "end", 1), (12, "ready", "a-1")]
    assert result.summary["abandoned"] == 2  # and the next one, at 24 s


def test_a_waiting_call_needs_an_agent_early_enough_for_its_transfer():
    # Power, ratio 2, one agent, abandon after 20 s, transfer 5 s: the second answer waits; the
    # agent is busy until 80 s, later than 10 + 20 - 5: the call is lost at 30 s (dropped).
    c = make_campaign(
        horizon_s=40,
        **{"dialing.mode": "power", "dialing.abandon_after_s": 20, "dialing.transfer_delay_s": 5},
    )
    log, calls, result = event_log(c)
    assert (15, "talking", "a-1") in log and (30, "drop", 2) in log
    assert calls[1].connected_at is None and calls[1].ended_at == 30


def test_asm_engages_the_agent_first_and_bridges_at_once():
    # ASM (progressive with seizing), engaging takes 3 s: the agent is reserved 0-3 s, then
    # dialed for; the answer is bridged at the verdict, with no transfer delay.
    c = make_campaign(
        horizon_s=100,
        **{"dialing.asm": True, "cpd.engage_time_s": 3, "dialing.transfer_delay_s": 1.5},
    )
    log, calls, result = event_log(c)
    assert log[:10] == [
        (0, "reserved", "a-1"),
        (3, "ready", "a-1"),
        (3, "reserved", "a-1"),
        (3, "dial", 1),
        (13, "verdict", 1),
        (13, "talking", "a-1"),
        (13, "connect", 1),
        (73, "end", 1),
        (73, "wrap_up", "a-1"),
        (83, "reserved", "a-1"),
    ]
    assert (86, "dial", 2) in log


def test_an_agent_without_an_engaging_port_waits_for_one():
    # Two agents, one engaging port: a-2 waits (reserved) until a-1's call ends at 70 s.
    c = make_campaign(
        horizon_s=100,
        **{"dialing.asm": True, "cpd.engage_ports": 1, "agents.groups.a.count": 2},
    )
    log, _, _ = event_log(c)
    a2 = [(t, e) for t, e, who in log if who == "a-2"]
    assert a2[:3] == [(0, "reserved"), (70, "ready"), (70, "reserved")]


def test_progressive_ivr_dials_one_per_free_port_and_plays_the_message():
    log, calls, result = event_log(make_campaign(AGENTLESS, horizon_s=60))
    assert log == [
        (0, "dial", 1),
        (0, "dial", 2),
        (10, "verdict", 1),
        (10, "message", 1),
        (10, "verdict", 2),
        (10, "message", 2),
        (40, "end", 1),
        (40, "dial", 3),
        (40, "end", 2),
        (40, "dial", 4),
        (50, "verdict", 3),
        (50, "message", 3),
        (50, "verdict", 4),
        (50, "message", 4),
    ]
    s = result.summary  # four messages played (two still playing at the horizon)
    assert (s["ivr_messages_persons"], s["ivr_dropped"], s["connects"]) == (4, 0, 4)
    assert s["ivr_messages_per_port_hour"] == 4 / (2 * 60 / 3600)
    assert s["agent_hours"] == 0 and s["occupancy"] is None


def test_power_ivr_drops_the_answers_no_port_can_take():
    c = make_campaign(
        AGENTLESS,
        horizon_s=20,
        **{"dialing.mode": "power_ivr", "ivr.ports": 1, "dialing.ratio": 3},
    )
    log, calls, result = event_log(c)
    assert [e for e in log if e[0] == 0] == [(0, "dial", 1), (0, "dial", 2), (0, "dial", 3)]
    s = result.summary
    assert (s["ivr_messages_persons"], s["ivr_dropped"], s["abandoned"]) == (1, 2, 2)
    assert sorted(x.message for x in calls) == ["none", "none", "person"]


def test_machines_get_the_machine_message_and_its_result():
    c = make_campaign(
        AGENTLESS,
        horizon_s=60,
        **{"population.human": 0.0, "population.machine": 1.0, "cpd.amd": True},
    )
    _, calls, result = event_log(c)
    done = [x for x in calls if x.ended_at is not None]
    assert {(x.message, x.result, x.ended_at - x.connected_at) for x in done} == {
        ("machine", 9, 20.0)
    }
    assert result.summary["ivr_messages_machines"] == len(calls) > len(done) > 0


def test_the_ports_peak_is_settled_per_instant():
    p = Ports(2, warmup=5.0)
    assert p.take(0.0) and p.take(0.0) and not p.take(1.0)
    assert p.release(3.0) is None and p.take(3.0)  # freed and taken at one instant: no new peak
    p.close(4.0)
    assert p.peak == 0  # all before the warm-up
    p.release(6.0)
    p.close(10.0)
    assert p.peak == 2  # the count at the warm-up edge


@pytest.mark.parametrize(
    ("dotted", "message"),
    [
        ({"cpd.ports": 0}, "cpd.ports: expected an integer >= 1"),
        ({"ivr.ports": 0}, "ivr.ports: expected an integer >= 1"),
        ({"cpd.port_wait_s": 0}, "cpd.port_wait_s: expected a number > 0"),
        ({"cpd.engage_ports": 2}, "cpd.engage_ports: expected null without dialing.asm"),
        ({"dialing.asm": True, "dialing.mode": "power"}, "dialing.asm: expected false"),
        ({"dialing.mode": "power_ivr"}, "agents.groups: expected no agents"),
        ({"dialing.transfer_delay_s": -1}, "dialing.transfer_delay_s: expected a number >= 0"),
    ],
)
def test_bad_port_settings_are_one_line_each(dotted, message):
    with pytest.raises(InputError) as err:
        make_campaign(**dotted)
    assert str(err.value).startswith(message)


def test_an_agentless_mode_needs_ports_and_takes_no_requests():
    with pytest.raises(InputError) as err:
        make_campaign(AGENTLESS, **{"ivr.ports": None, "population.callback_request": 0.1})
    assert str(err.value).splitlines() == [
        "ivr.ports: expected a number of IVR ports >= 1 for mode progressive_ivr",
        "population.callback_request: expected 0 in the agentless mode progressive_ivr (only "
        "an agent takes requests), got 0.1",
    ]


@pytest.mark.parametrize("mode", ["progressive", "predictive", "preview"])
def test_the_days_figures_come_from_the_records(mode, tmp_path):
    campaign = load_campaign(
        "campaigns/smoke.yaml",
        {
            "dialing.mode": mode,
            "warmup_s": 300,
            "calling_list.size": 3000,
            "population.dnc_request": 0.05,
            "population.callback_request": 0.2,
            "population.personal_callback": 0.5,
            "population.callback_delay_s": {"dist": "uniform", "low": 0, "high": 1200},
            "callbacks.personal_timeout_s": 300,
            "callbacks.window_s": 900,
            "callbacks.on_time_s": 30,
            "dnc.requests_per_hour": 100,
            "dnc.refresh_s": 600,
            "cpd.ports": 2,
            "cpd.port_wait_s": 3,
            "dialing.transfer_delay_s": 0.5,
        },
    )
    summary = run_with_records(campaign, tmp_path)
    for key in ("dnc_violations", "callbacks_made", "callbacks_late", "port_waits"):
        assert summary[key] > 0, key
    assert_recomputed(summary, recompute(tmp_path, campaign))


@pytest.mark.parametrize("mode", ["power_ivr", "progressive_ivr"])
def test_the_agentless_figures_come_from_the_records(mode, tmp_path):
    campaign = load_campaign(
        "campaigns/smoke.yaml",
        {
            "dialing.mode": mode,
            "agents.groups": [{"name": "none", "count": 0}],
            "ivr.ports": 6,
            "ivr.message_s": {"dist": "uniform", "low": 20, "high": 40},
            "warmup_s": 300,
        },
    )
    summary = run_with_records(campaign, tmp_path)
    assert summary["ivr_messages_persons"] > 0 and summary["ivr_messages_machines"] > 0
    assert_recomputed(summary, recompute(tmp_path, campaign))
