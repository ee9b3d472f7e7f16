"""Calling windows in each record's zone and the legal hours, across DST changes; hour-of-day shares."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from lists import list_campaign, record, write_list

from conftest import make_campaign
from dialer.clock import Bands, Calendar
from dialer.experiments.run import simulate

ZONES = {1: "America/New_York", 2: "America/Chicago", 3: "America/Los_Angeles", 4: "Europe/London"}
# (daily_from, daily_till) in seconds after local midnight; empty = the campaign's 08:00-21:00
WINDOWS = [
    (9 * 3600, 12 * 3600),
    (0, 86400),
    (17 * 3600, 20 * 3600 + 1800),
    ("", ""),
    (7 * 3600, 9 * 3600),
]


def test_calendar_windows_follow_dst():
    # New York moves to EDT on Sunday 2026-03-08: 08:00-21:00 local is 13:00-02:00 UTC the
    # day before, 12:00-01:00 UTC from that day on. London moves on 2026-03-29 (a 23-hour day).
    cal = Calendar(dt.datetime(2026, 3, 6), "UTC", 5 * 86400)
    utc = [(a / 3600, b / 3600) for a, b in cal.windows("America/New_York", 8 * 3600, 21 * 3600)]
    assert utc[:5] == [
        (-11, 2),
        (13, 26),
        (37, 50),
        (60, 73),
        (84, 97),
    ]  # -11: the day before, open at 0
    cal = Calendar(dt.datetime(2026, 3, 28), "UTC", 2 * 86400)
    assert [(a / 3600, b / 3600) for a, b in cal.windows("Europe/London", 0, 86400)][:3] == [
        (0, 24),
        (24, 47),
        (47, 71),
    ]
    # a shift in site time across the change: 09:00-17:00 New York on Friday and Monday
    cal = Calendar(dt.datetime(2026, 3, 6), "America/New_York", 4 * 86400)
    assert cal.shifts(9 * 3600, 17 * 3600, ("mon", "fri")) == [
        (9 * 3600, 17 * 3600),
        (3 * 86400 + 8 * 3600, 3 * 86400 + 16 * 3600),
    ]
    # a night shift ends the next morning
    assert cal.shifts(22 * 3600, 6 * 3600, ("fri",)) == [(22 * 3600, 30 * 3600)]


def _list(tmp_path, n=400):
    rows = []
    for i in range(1, n + 1):
        lo, hi = WINDOWS[i % len(WINDOWS)]
        rows.append(record(i, tz_dbid=1 + i % 4, daily_from=lo, daily_till=hi))
    return write_list(tmp_path / "zones.csv", rows)


@pytest.mark.parametrize("mode", ["preview", "progressive", "power"])
@pytest.mark.parametrize("start", ["2026-03-06T00:00:00", "2026-03-27T00:00:00"])
def test_no_dial_outside_the_records_window_or_legal_hours(tmp_path, mode, start):
    # Four zones, five windows, four days across a DST change (US on 3-08, UK on 3-29),
    # mostly unanswered dials retried every 10 minutes, so the OCS keeps pressing at the edges.
    c = list_campaign(
        _list(tmp_path),
        start=start,
        horizon_s=4 * 86400,
        **{
            "calling_list.time_zones": ZONES,
            "calling_list.max_attempts": 1000,
            "compliance.legal_hours": True,
            "site_timezone": "America/New_York",
            "population.human": 0.05,
            "population.no_answer": 0.95,
            "treatments": {"no_answer": {"retry_after_s": 600, "retries": 1000}},
            "dialing.mode": mode,
            "agents.groups.a.count": 3,
            "agents.groups.a.talk_time_s": 30,
        },
    )
    calls = []
    simulate(c, on_call=calls.append)
    cal = Calendar(c.start, c.site_timezone, c.horizon_s)
    window = {}
    for i in range(1, 401):
        lo, hi = WINDOWS[i % len(WINDOWS)]
        window[i] = (
            max(lo if lo != "" else 8 * 3600, 8 * 3600),
            min(hi if hi != "" else 21 * 3600, 21 * 3600),
        )
    seen_days, at_open = set(), 0
    for call in calls:
        local = cal.local(call.dialed_at, call.record.zone)
        assert local.tzinfo == ZoneInfo(ZONES[1 + call.record.record_id % 4])
        s = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        lo, hi = window[call.record.record_id]
        assert lo <= s < hi, (call.record.record_id, local.isoformat(), lo, hi)
        seen_days.add(local.date())
        at_open += s == lo
    assert len(seen_days) >= 4  # dials on both sides of the change
    if mode != "preview":  # a preview dials after the agent has read the record
        assert at_open > 10  # the windows open exactly on the local clock, every day


def test_hour_of_day_shares_follow_the_called_partys_clock():
    # Everyone answers, except from 00:05 to 00:10 on the called party's clock, when every
    # line is busy. Records alternate between UTC and Kolkata (+05:30).
    by_hour = {
        "00:05": {"human": 0.0, "machine": 0.0, "busy": 1.0, "no_answer": 0.0, "fax": 0.0},
        "00:10": {"human": 1.0, "machine": 0.0, "busy": 0.0, "no_answer": 0.0, "fax": 0.0},
    }
    c = make_campaign(
        **{
            "population.by_hour": by_hour,
            "dialing.mode": "power",
            "agents.groups.a.count": 5,
            "agents.groups.a.talk_time_s": 20,
            "agents.groups.a.wrap_time_s": 0,
            "calling_list.timezones": {"UTC": 0.5, "Asia/Kolkata": 0.5},
            "start": "2026-03-01T18:20:00",
            "horizon_s": 6 * 3600,
        }
    )
    calls = []
    simulate(c, on_call=calls.append)
    cal = Calendar(c.start, c.site_timezone, c.horizon_s)
    busy = {"UTC": 0, "Asia/Kolkata": 0}
    for call in calls:
        local = cal.local(call.dialed_at, call.record.zone)
        in_band = local.hour == 0 and 5 <= local.minute < 10
        assert (call.truth == 2) == in_band, (local.isoformat(), call.truth)
        busy[call.record.zone] += in_band
    assert min(busy.values()) > 5


def test_bands_on_a_dst_day():
    cal = Calendar(dt.datetime(2026, 3, 8), "America/New_York", 86400)
    bands = Bands(cal, "America/New_York", [3 * 3600, 12 * 3600])
    # 03:00 EDT comes 2 h after midnight on the spring-forward day (02:00-03:00 never happens),
    # and the next midnight 23 h after it
    assert [bands.at(h * 3600) for h in (0, 1.99, 2, 10.99, 11, 22.99, 23)] == [0, 0, 1, 1, 2, 2, 0]
