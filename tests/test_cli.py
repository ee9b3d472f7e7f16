"""The command line: output, files, and every bad input ending in one line and exit 2."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

SMOKE = "campaigns/smoke.yaml"


def dialer(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "dialer", *args], capture_output=True, text=True, cwd=cwd
    )


def test_run_prints_a_summary_table():
    r = dialer("run", SMOKE)
    assert r.returncode == 0, r.stderr
    assert "abandon rate (US)" in r.stdout and "occupancy" in r.stdout


def test_run_json_has_every_summary_key_and_meta_apart():
    r = dialer("run", SMOKE, "--json", "--mode", "power", "--seed", "4")
    d = json.loads(r.stdout)
    for key in (
        "dials",
        "live_answers",
        "connects",
        "abandoned",
        "machines",
        "busy",
        "no_answer",
        "fax",
        "invalid",
        "amd_false_positives",
        "amd_false_negatives",
        "dnc_blocked",
        "records_total",
        "records_finished",
        "abandon_rate",
        "abandon_rate_ofcom",
        "abandon_rate_true",
        "hit_ratio",
        "occupancy",
        "talk_share",
        "wrap_share",
        "machine_share",
        "reserved_share",
        "idle_share",
        "connects_per_agent_hour",
        "dials_per_connect",
        "mean_agent_wait_s",
        "mean_answer_wait_s",
        "list_penetration",
        "peak_lines",
        "compliance_ok",
        "compliance_worst_rate",
    ):
        assert key in d, key
    assert (d["name"], d["mode"], d["seed"]) == ("smoke", "power", 4)
    assert "wall_s" in d["meta"] and "wall_s" not in {k for k in d if k != "meta"}
    again = json.loads(dialer("run", SMOKE, "--json", "--mode", "power", "--seed", "4").stdout)
    assert {k: v for k, v in again.items() if k != "meta"} == {
        k: v for k, v in d.items() if k != "meta"
    }


def test_run_out_writes_summary_calls_and_campaign(tmp_path):
    out = tmp_path / "res"
    r = dialer("run", SMOKE, "--out", str(out), "--set", "dialing.mode=progressive")
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    with open(out / "calls.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == summary["dials"]
    assert list(rows[0])[:16] == [
        "call_id",
        "record_id",
        "chain_id",
        "phone",
        "attempt",
        "dialed_at_s",
        "truth",
        "cpd_verdict",
        "call_result",
        "answered_at_s",
        "connected_at_s",
        "ended_at_s",
        "agent_id",
        "abandoned",
        "local_time",
        "timezone",
    ]
    assert rows[0]["local_time"].startswith("2026-03-02T10:00:00")
    again = dialer("check", str(out / "campaign.yaml"))
    assert again.returncode == 0, again.stderr
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left


BAD = [
    (["run", "nope.yaml"], "nope.yaml: no such file"),
    (
        ["run", SMOKE, "--set", "dialing.ratoi=3"],
        "dialing.ratoi: unknown key (did you mean 'ratio'?)",
    ),
    (
        ["run", SMOKE, "--set", "dialing.ratio=abc"],
        "dialing.ratio: expected a number >= 1, got 'abc'",
    ),
    (["run", SMOKE, "--mode", "turbo"], "dialing.mode: expected one of"),
    (["run", SMOKE, "--set", "agents.groups.sales.count=3"], "no item named 'sales'"),
    (["run", SMOKE, "--set", "novalue"], "--set novalue: expected dotted.key=value"),
    (
        ["run", SMOKE, "--set", "calling_list.daily_till=25:00"],
        "calling_list.daily_till: expected a quoted time",
    ),
    (["run", SMOKE, "--set", "site_timezone=Europe/Londn"], "did you mean 'Europe/London'"),
    (["check", SMOKE, "--set", "population.human=0.9"], "population: expected human + machine"),
]


@pytest.mark.parametrize("args, message", BAD)
def test_bad_input_is_one_line_exit_2_no_traceback(args, message):
    r = dialer(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert message in lines[0] and lines[0].startswith("dialer: ")
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_bad_yaml_files(tmp_path):
    cases = {
        "broken.yaml": ("name: [unclosed\n", "expected valid YAML"),
        "list.yaml": ("- a\n- b\n", "expected a mapping of campaign keys, got ['a', 'b']"),
        "unquoted.yaml": ("calling_list:\n  daily_from: 9:30\n", 'write "09:30"'),
        "dist.yaml": (
            "agents:\n  groups:\n    - name: a\n      talk_time_s: {dist: lognormal, mean: -3, sd: 1}\n",
            "agents.groups.0.talk_time_s.mean: expected a number > 0, got -3",
        ),
    }
    for name, (text, message) in cases.items():
        f = tmp_path / name
        f.write_text(text)
        r = dialer("check", str(f))
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, (
            name,
            r.stderr,
        )
        assert r.stderr.startswith(f"dialer: {f}")


def test_out_pointing_at_a_file_writes_nothing(tmp_path):
    f = tmp_path / "taken"
    f.write_text("x")
    r = dialer("run", SMOKE, "--out", str(f))
    assert r.returncode == 2 and "expected a folder" in r.stderr
    assert f.read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_help_is_fast_and_lazy():
    code = "import sys, dialer.cli; print(sorted(m for m in ('numpy', 'simpy', 'plotly', 'scipy') if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "[]"
    assert dialer("--help").returncode == 0


@pytest.mark.parametrize(
    "args, found",
    [
        (["sweep", SMOKE], "expected a sweep file (campaign: and factors:), got a campaign file"),
        (["sweep", "campaigns/east-centre.yaml"], "got a centre file"),
        (["run", "experiments/modes-agents.yaml"], "got a sweep file"),
        (["check", "experiments/stat-server.yaml"], "got a sweep file"),
    ],
)
def test_a_file_of_the_other_kind_is_named_as_such(args, found):
    r = dialer(*args)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert found in r.stderr and r.stdout == ""
