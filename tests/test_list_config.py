"""Campaign keys of list files, DNC files, hour-of-day shares and shifts: validation and paths."""

from __future__ import annotations

import os

import pytest

from dialer.config import from_dict, load_campaign
from dialer.errors import InputError

SHARES = {
    "human": 0.3,
    "machine": 0.1,
    "busy": 0.05,
    "no_answer": 0.45,
    "fax": 0.02,
}  # + invalid 0.08


def problems(raw) -> list[str]:
    with pytest.raises(InputError) as exc:
        from_dict(raw, "c.yaml")
    return exc.value.problems


@pytest.mark.parametrize(
    "raw, expected",
    [
        (
            {"calling_list": {"file": "lists/east.csv"}},
            "c.yaml: calling_list.file: no such file 'lists/east.csv'",
        ),
        ({"calling_list": {"file": "."}}, "calling_list.file: a folder, not a file '.'"),
        ({"calling_list": {"file": 3}}, "calling_list.file: expected a file path, got 3"),
        ({"dnc": {"file": "dnc.csv"}}, "c.yaml: dnc.file: no such file 'dnc.csv'"),
        (
            {"calling_list": {"time_zones": {1: "America/Chicgo"}}},
            "calling_list.time_zones.1: expected an IANA time zone such as 'America/New_York', got 'America/Chicgo' (did you mean 'America/Chicago'?)",
        ),
        (
            {"calling_list": {"time_zones": {"east": "America/New_York"}}},
            "calling_list.time_zones.east: expected a tz_dbid (an integer >= 0) as the key, got 'east'",
        ),
        (
            {"calling_list": {"time_zones": []}},
            "calling_list.time_zones: expected a non-empty mapping tz_dbid: IANA zone",
        ),
        (
            {"population": {"by_hour": {"17:00": {**SHARES, "human": 0.4}}}},
            "population.by_hour.17:00: expected human + machine + busy + no_answer + fax + invalid (population.invalid, 0.08) = 1, got 1.1",
        ),
        (
            {"population": {"by_hour": {1020: SHARES}}},
            'population.by_hour.1020: expected a quoted time "HH:MM", got the number 1020 (YAML reads an unquoted 17:00 as base 60; write "17:00")',
        ),
        (
            {"population": {"by_hour": {"17:00": {**SHARES, "invalid": 0.1}}}},
            "population.by_hour.17:00.invalid: expected 0.08 (population.invalid: a number's validity does not change with the hour), got 0.1",
        ),
        (
            {"population": {"by_hour": {"17:00": {**SHARES, "humans": 0.3}}}},
            "population.by_hour.17:00.humans: unknown key (did you mean 'human'?)",
        ),
        (
            {"population": {"by_hour": {"17:00": {k: v for k, v in SHARES.items() if k != "fax"}}}},
            "population.by_hour.17:00.fax: missing (required)",
        ),
        (
            {"population": {"by_hour": {"24:00": SHARES}}},
            'population.by_hour.24:00: expected a time of day before "24:00"',
        ),
        (
            {
                "agents": {
                    "groups": [
                        {"shift": {"start": "09:00", "end": "17:00", "days": ["mon", "tues"]}}
                    ]
                }
            },
            "agents.groups.0.shift.days: expected days among mon, tue, wed, thu, fri, sat, sun, got 'tues' (did you mean 'tue'?)",
        ),
        (
            {"agents": {"groups": [{"shift": {"start": "09:00", "end": "09:00"}}]}},
            "agents.groups.0.shift.end: expected an end different from start",
        ),
        (
            {"agents": {"groups": [{"shift": {"end": "17:00"}}]}},
            "agents.groups.0.shift.start: missing (required)",
        ),
        ({"agents": {"groups": [{"shift": {"start": 540, "end": "17:00"}}]}}, 'write "09:00"'),
        (
            {
                "agents": {
                    "groups": [
                        {"shift": {"start": "09:00", "end": "17:00", "days": ["mon", "mon"]}}
                    ]
                }
            },
            "agents.groups.0.shift.days: expected each day once, got 'mon' twice",
        ),
    ],
)
def test_one_clear_line_per_problem(raw, expected):
    found = problems(raw)
    assert len(found) == 1, found
    assert expected in found[0]


def test_files_are_read_from_the_campaign_files_folder(tmp_path, monkeypatch):
    (tmp_path / "camp" / "lists").mkdir(parents=True)
    (tmp_path / "camp" / "lists" / "x.csv").write_text("record_id\n")
    (tmp_path / "camp" / "c.yaml").write_text(
        "calling_list:\n  file: lists/x.csv\n  time_zones: {1: UTC}\n"
    )
    monkeypatch.chdir(tmp_path)
    c = load_campaign("camp/c.yaml")
    assert c.calling_list.file == str(tmp_path / "camp" / "lists" / "x.csv")
    assert c.calling_list.time_zones == {1: "UTC"}
    # the resolved path survives overrides and the dump written beside results
    assert (
        from_dict(c.to_dict()) == c
        and c.override({"seed": 3}).calling_list.file == c.calling_list.file
    )
    with pytest.raises(
        InputError,
        match=r"camp/c.yaml: calling_list.file: no such file 'lists/y.csv' \(relative to the "
        r"file's folder: 'camp/lists/y.csv'\)",
    ):
        load_campaign("camp/c.yaml", ["calling_list.file=lists/y.csv"])
    assert os.getcwd() == str(tmp_path)


def test_new_keys_round_trip():
    raw = {
        "population": {
            "by_hour": {"09:00": SHARES, "17:30": {**SHARES, "human": 0.2, "no_answer": 0.55}}
        },
        "agents": {
            "groups": [
                {
                    "name": "late",
                    "shift": {"start": "13:00", "end": "00:00", "days": ["fri", "mon"]},
                }
            ]
        },
        "calling_list": {"time_zones": {3: "America/Los_Angeles", "1": "America/New_York"}},
    }
    c = from_dict(raw)
    assert list(c.population.by_hour) == [9 * 3600, 17 * 3600 + 1800]
    assert c.agents.groups[0].shift.days == ("mon", "fri")
    assert c.calling_list.time_zones == {1: "America/New_York", 3: "America/Los_Angeles"}
    assert from_dict(c.to_dict()) == c
    assert c.to_dict()["population"]["by_hour"]["17:30"]["no_answer"] == 0.55
