"""Agent shifts and multi-day runs; day 2 from day 1's written list against one continuous run."""

from __future__ import annotations

import pytest
from lists import list_campaign, read_rows, record, write_dnc, write_list

from conftest import CONSTANT_WORLD, event_log, make_campaign
from dialer.clock import Calendar
from dialer.experiments.run import simulate


def test_a_logout_during_a_call_waits_for_the_call_and_wrap_up():
    # Shift 00:01-00:03 (60-180 s). The agent is talking at 180 s: it leaves at 220 s, after
    # its wrap-up, and takes no new call. Logged-out time is not in the occupancy.
    c = make_campaign(
        horizon_s=300, **{"agents.groups.a.shift": {"start": "00:01", "end": "00:03"}}
    )
    log, calls, result = event_log(c)
    assert log == [
        (60, "ready", "a-1"),
        (60, "reserved", "a-1"),
        (60, "dial", 1),
        (70, "verdict", 1),
        (70, "talking", "a-1"),
        (70, "connect", 1),
        (130, "end", 1),
        (130, "wrap_up", "a-1"),
        (140, "ready", "a-1"),
        (140, "reserved", "a-1"),
        (140, "dial", 2),
        (150, "verdict", 2),
        (150, "talking", "a-1"),
        (150, "connect", 2),
        (210, "end", 2),
        (210, "wrap_up", "a-1"),
        (220, "logged_out", "a-1"),
    ]
    s = result.summary
    assert s["agent_hours"] == pytest.approx(160 / 3600)
    assert s["occupancy"] == pytest.approx(140 / 160) and s["reserved_share"] == pytest.approx(
        20 / 160
    )
    assert result.series[0]["agent_s_logged_out"] == pytest.approx(60 + 80)


def test_an_idle_agent_logs_out_at_the_shift_end_and_back_in_the_next_day():
    c = make_campaign(
        horizon_s=2 * 86400,
        **{
            "calling_list.size": 1,
            "agents.groups.a.shift": {"start": "00:01", "end": "00:03", "days": ["mon", "tue"]},
        },
    )
    log, _, result = event_log(c)
    agent = [(t, e) for t, e, who in log if who == "a-1"]
    assert agent[-4:] == [
        (140, "ready"),
        (180, "logged_out"),
        (86400 + 60, "ready"),
        (86400 + 180, "logged_out"),
    ]
    assert result.summary["agent_hours"] == pytest.approx(240 / 3600)


def test_shifts_nights_and_weekends_over_several_days():
    # Friday to Monday night, New York: a day group on weekdays and a night group
    # (22:00-06:00) that starts on Sunday. Nobody works on Saturday.
    groups = [
        {
            "name": "day",
            "count": 2,
            "talk_time_s": 60,
            "wrap_time_s": 10,
            "machine_time_s": 5,
            "shift": {
                "start": "09:00",
                "end": "17:00",
                "days": ["mon", "tue", "wed", "thu", "fri"],
            },
        },
        {
            "name": "night",
            "count": 1,
            "talk_time_s": 60,
            "wrap_time_s": 10,
            "machine_time_s": 5,
            "shift": {"start": "22:00", "end": "06:00", "days": ["sun"]},
        },
    ]
    c = make_campaign(
        horizon_s=4 * 86400,
        start="2026-03-06T00:00:00",
        site_timezone="America/New_York",
        **{"agents.groups": groups},
    )
    _, calls, result = event_log(c)
    cal = Calendar(c.start, c.site_timezone, c.horizon_s)
    hours = {}
    for call in calls:
        local = cal.local(call.dialed_at, "America/New_York")
        hours.setdefault(
            (local.strftime("%a"), call.agent.split("-")[0] if call.agent else "-"), set()
        ).add(local.hour)
    assert set(hours) == {("Fri", "day"), ("Sun", "night"), ("Mon", "night"), ("Mon", "day")}
    assert hours[("Fri", "day")] == set(range(9, 17)) == hours[("Mon", "day")]
    assert hours[("Sun", "night")] == {22, 23} and hours[("Mon", "night")] == set(range(0, 6))
    # logged-in time: 2 agents x 8 h x 2 days + 8 h of night (Sunday 2026-03-08 is also the
    # day New York moves to EDT, at 02:00, before the night shift), plus calls past a shift end
    expected = 2 * 8 * 2 + 8
    assert expected <= result.summary["agent_hours"] < expected + 3 * 70 / 3600 * 3


# -- several days from one list --------------------------------------------------------------------

WORLD = {
    **CONSTANT_WORLD,
    "site_timezone": "America/New_York",
    "start": "2026-03-02T00:00:00",
    "calling_list": {
        "daily_from": "08:00",
        "daily_till": "21:00",
        "max_attempts": 5,
        "time_zones": {1: "America/New_York", 2: "America/Chicago"},
    },
    "compliance": {"legal_hours": True},
    "population": {
        **CONSTANT_WORLD["population"],
        "human": 0.3,
        "machine": 0.1,
        "busy": 0.2,
        "no_answer": 0.35,
        "invalid": 0.05,
    },
    "agents": {
        "groups": [
            {
                "name": "a",
                "count": 2,
                "talk_time_s": 180,
                "wrap_time_s": 10,
                "machine_time_s": 5,
                "shift": {"start": "09:00", "end": "17:00"},
            }
        ]
    },
    "treatments": {
        "busy": {"retry_after_s": 1800, "increment_s": 300, "retries": 3, "then": "next_in_chain"},
        "no_answer": {"retry_after_s": 3600, "retries": 2, "then": "next_in_chain"},
        "answering_machine": {"retry_after_s": 7200, "retries": 1},
        "invalid": {"retries": 0, "then": "next_in_chain"},
        "abandoned": {"retry_after_s": 600, "retries": 1},
    },
}


def _calls(calls, epoch0):
    """What happened, in UTC: comparable between runs that start on different days."""
    return [
        (
            c.record.record_id,
            c.attempt,
            epoch0 + c.dialed_at,
            c.truth,
            c.verdict,
            c.result,
            c.agent,
            None if c.ended_at is None else epoch0 + c.ended_at,
        )
        for c in calls
    ]


@pytest.mark.parametrize("mode", ["progressive", "power"])
def test_day_2_from_day_1s_list_is_one_continuous_two_day_run(tmp_path, mode):
    # 900 records in two zones, the first 100 in chains of two, 4 on the DNC list: too many
    # for one day's shift. Day 1 ends at midnight, long after the shift and the last call.
    rows = [
        record(
            i,
            tz_dbid=1 + i % 2,
            daily_from="",
            daily_till="",
            chain_id=(i + 1) // 2 if i <= 100 else i,
            chain_n=(i + 1) % 2 if i <= 100 else 0,
        )
        for i in range(1, 901)
    ]
    path = write_list(tmp_path / "list.csv", rows)
    dnc = write_dnc(tmp_path / "dnc.csv", ["15550000007", "15550000150"], ["C00033", "C00301"])
    mode_keys = {"dialing.mode": mode, "dialing.ratio": 1.5}

    def run(file, start, days, out):
        c = list_campaign(
            file, base=WORLD, dnc=dnc, start=start, horizon_s=days * 86400, **mode_keys
        )
        calls = []
        result = simulate(c, on_call=calls.append, list_out=out)
        return _calls(calls, Calendar(c.start, c.site_timezone, c.horizon_s).epoch0), result

    both, both_result = run(path, "2026-03-02T00:00:00", 2, tmp_path / "continuous.csv")
    day1, _ = run(path, "2026-03-02T00:00:00", 1, tmp_path / "day1.csv")
    day2, _ = run(tmp_path / "day1.csv", "2026-03-03T00:00:00", 1, tmp_path / "day2.csv")
    # the list is too big for one day: day 1 leaves records never dialed, day 2 goes on with them
    left = [
        r
        for r in read_rows(tmp_path / "day1.csv")
        if r["record_status"] == "1" and r["attempt"] == "0"
    ]
    assert len(left) > 50
    assert {r["record_id"] for r in left} & {str(c[0]) for c in day2 if c[1] == 1}
    # "behaves like": the same dials (record, attempt, UTC time, truth, verdict, result, agent,
    # UTC end) in the same order, and the same list at the end, byte for byte
    assert len(day1) > 100 and len(day2) > 100
    assert day1 + day2 == both
    assert (tmp_path / "day2.csv").read_bytes() == (tmp_path / "continuous.csv").read_bytes()
    assert both_result.summary["dnc_blocked"] > 0 and both_result.summary[
        "records_finished_by_result"
    ].get("0")


def test_the_multi_zone_example_works_its_list_over_friday_and_monday():
    from dialer.config import load_campaign

    c = load_campaign("campaigns/multi-zone-list.yaml")
    calls = []
    result = simulate(c, on_call=calls.append)
    cal = Calendar(c.start, c.site_timezone, c.horizon_s)
    days = {cal.local(x.dialed_at, c.site_timezone).strftime("%a") for x in calls}
    assert days == {
        "Fri",
        "Mon",
        "Tue",
    }  # nobody works the weekend; Tuesday from 08:00 until the horizon
    assert {x.record.zone for x in calls} == {
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
    }
    first_monday = {
        x.record.record_id
        for x in calls
        if x.attempt == 1 and cal.local(x.dialed_at, c.site_timezone).strftime("%a") == "Mon"
    }
    assert len(first_monday) > 100  # the list was too big for Friday
    s = result.summary
    assert s["dnc_blocked"] > 50 and s["compliance_ok"] and s["list_penetration"] > 0.95
