"""Campaign files: defaults, validation with dotted keys, overrides, round trip."""

from __future__ import annotations

import pytest

from dialer.config import from_dict, load_campaign, parse_override
from dialer.errors import InputError
from dialer.rng import Dist


def problems(raw) -> list[str]:
    with pytest.raises(InputError) as exc:
        from_dict(raw, "c.yaml")
    return exc.value.problems


def test_defaults_build_and_round_trip():
    c = from_dict({})
    assert c.dialing.mode == "progressive" and c.agents.count == 10
    again = from_dict(c.to_dict())
    assert again == c


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"dialing": {"ratoi": 2}}, "c.yaml: dialing.ratoi: unknown key (did you mean 'ratio'?)"),
        ({"dialing": {"ratio": "two"}}, "c.yaml: dialing.ratio: expected a number >= 1, got 'two'"),
        ({"dialing": {"ratio": 0.5}}, "c.yaml: dialing.ratio: expected a number >= 1, got 0.5"),
        (
            {"cpd": {"amd_false_positive": 3}},
            "c.yaml: cpd.amd_false_positive: expected a number in [0, 1], got 3",
        ),
        ({"dialing": {"mode": "predictiv"}}, "(did you mean 'predictive'?)"),
        (
            {"population": {"human": 0.5}},
            "population: expected human + machine + busy + no_answer + fax + invalid = 1, got 1.28",
        ),
        (
            {"calling_list": {"timezones": {"America/New_York": 0.5, "America/Chicago": 0.4}}},
            "calling_list.timezones: expected shares summing to 1, got 0.9",
        ),
        ({"site_timezone": "America/Nwe_York"}, "(did you mean 'America/New_York'?)"),
        (
            {"calling_list": {"timezones": {"Mars/Olympus": 1.0}}},
            "calling_list.timezones.Mars/Olympus: expected an IANA time zone",
        ),
        (
            {"agents": {"groups": [{"talk_time_s": {"dist": "pareto", "mean": 3}}]}},
            "agents.groups.0.talk_time_s.dist: expected one of constant, exponential, lognormal, gamma, weibull, uniform, empirical, got 'pareto'",
        ),
        (
            {"agents": {"groups": [{"talk_time_s": {"dist": "lognormal", "mean": 3}}]}},
            "agents.groups.0.talk_time_s: a lognormal distribution needs 'sd'",
        ),
        (
            {"agents": {"groups": [{"talk_time_s": {"dist": "exponential", "mean": 3, "sd": 1}}]}},
            "agents.groups.0.talk_time_s.sd: unknown parameter for a exponential distribution (it takes mean)",
        ),
        (
            {"calling_list": {"daily_till": 1260}},
            'calling_list.daily_till: expected a quoted time "HH:MM", got the number 1260 (YAML reads an unquoted 21:00 as base 60; write "21:00")',
        ),
        (
            {"calling_list": {"daily_from": "25:00"}},
            "calling_list.daily_from: expected a quoted time",
        ),
        (
            {"agents": {"groups": [{"name": "x"}, {"name": "x"}]}},
            "agents.groups: expected unique names, got 'x' twice",
        ),
        ({"agents": {"groups": []}}, "agents.groups: expected a non-empty list, got an empty list"),
        (
            {"agents": {"groups": [{"name": "a", "count": 10**8}]}},
            "agents.groups.0.count: expected an integer in [0, 100000], got 100000000",
        ),
        ({"horizon_s": -5}, "horizon_s: expected a number > 0, got -5"),
        ({"warmup_s": 30000}, "warmup_s: expected a warm-up shorter than horizon_s"),
        ({"treatments": {"bussy": {"retries": 1}}}, "treatments.bussy: unknown result"),
        ({"start": "yesterday"}, "start: expected a local date and time"),
    ],
)
def test_one_clear_line_per_problem(raw, expected):
    found = problems(raw)
    assert len(found) == 1, found
    assert expected in found[0]


def test_several_problems_are_all_reported():
    found = problems({"dialing": {"ratio": 0, "lines": -1}, "seed": "x"})
    assert len(found) == 3


def test_unquoted_time_from_a_yaml_file(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("calling_list:\n  daily_till: 21:00\n")
    with pytest.raises(InputError, match='write "21:00"'):
        load_campaign(f)


def one_problem(path) -> str:
    with pytest.raises(InputError) as exc:
        load_campaign(path)
    assert len(exc.value.problems) == 1, exc.value.problems
    return exc.value.problems[0]


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path):
    f = tmp_path / "c.yaml"
    # YAML alone would keep the second dialing block and drop mode and ratio without a word
    f.write_text("dialing:\n  mode: power\n  ratio: 3\nseed: 1\ndialing:\n  lines: 20\n")
    assert "line 5: duplicate key 'dialing' (first at line 1)" in one_problem(f)
    f.write_text("calling_list:\n  size: 100\n  size: 1000\n")
    assert "line 3: duplicate key 'size' (first at line 2)" in one_problem(f)
    # a merge key is YAML's own way to repeat keys: still allowed
    f.write_text("dialing:\n  <<: {mode: power, ratio: 2}\n  ratio: 3\n")
    assert (load_campaign(f).dialing.mode, load_campaign(f).dialing.ratio) == ("power", 3)


def test_a_key_one_level_too_high_gets_its_full_name(tmp_path):
    assert "ratio: unknown key (did you mean 'dialing.ratio'?)" in problems({"ratio": 2})[0]


def test_a_folder_a_binary_file_and_a_sweep_file_are_named_as_such(tmp_path):
    assert "expected a YAML file, got a folder" in one_problem(tmp_path)
    f = tmp_path / "c.yaml"
    f.write_bytes(b"seed: 1\n\xff\xfe\x00")
    assert "expected a YAML text file (UTF-8), got a byte 0xff at offset 8" in one_problem(f)
    f.write_text("campaign: c.yaml\nfactors:\n  dialing.ratio: [1, 2]\n")
    assert "got a sweep file" in one_problem(f) and "dialer sweep" in one_problem(f)


def test_dotted_overrides_by_index_and_by_name():
    c = load_campaign(
        "campaigns/b2c-renewals.yaml", ["agents.groups.renewals.count=30", "dialing.ratio=2.5"]
    )
    assert c.agents.groups[0].count == 30 and c.dialing.ratio == 2.5
    c = c.override({"agents.groups.0.talk_time_s": {"dist": "gamma", "mean": 100, "sd": 50}})
    assert c.agents.groups[0].talk_time_s == Dist("gamma", mean_=100, sd=50)
    assert parse_override("calling_list.daily_from=09:30") == ("calling_list.daily_from", "09:30")
    with pytest.raises(InputError, match="no item named 'renewal'.*did you mean 'renewals'"):
        c.override({"agents.groups.renewal.count": 3})
    with pytest.raises(InputError, match="dialing.ratoi: unknown key"):
        c.override({"dialing.ratoi": 3})


def test_distributions_have_the_stated_moments():
    import numpy as np

    u = (np.arange(200_000) + 0.5) / 200_000
    for d in (
        Dist("lognormal", mean_=180, sd=120),
        Dist("gamma", mean_=300, sd=150),
        Dist("exponential", mean_=20),
        Dist("uniform", low=1.5, high=3.5),
        Dist("empirical", values=(1.0, 2.0, 6.0)),
        Dist.constant(4),
    ):
        x = d.ppf(u)
        assert x.mean() == pytest.approx(d.mean, rel=2e-3)
        assert x.std() == pytest.approx(d.std, rel=2e-2, abs=1e-9)
        assert np.all(np.diff(x) >= 0)  # monotone in the uniform: common random numbers
