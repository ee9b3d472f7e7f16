"""Capacity planning: the agent count agrees with renewal arithmetic; output and bad input."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import dialer
from conftest import make_campaign
from dialer.config import dump_yaml

ROOT = Path(__file__).resolve().parent.parent
SMOKE = str(ROOT / "campaigns" / "smoke.yaml")


def dialer_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "dialer", *args], capture_output=True, text=True, cwd=ROOT
    )


def agents_by_renewal(
    records: int,
    finish: float,
    deadline: float,
    answer: float,
    talk: float,
    wrap: float,
    preview: float = 0.0,
) -> int:
    """Constant times, every dial a person, one attempt: an agent's cycle is preview + answer +
    talk + wrap, and its k-th record finishes when the k-th talk ends, at k * cycle - wrap. The
    fewest agents n with n * (records one agent finishes before the deadline) >= finish * records."""
    cycle = preview + answer + talk + wrap
    first = cycle - wrap
    per_agent = math.ceil((deadline - first) / cycle)  # finishes strictly before the deadline
    return math.ceil(math.ceil(finish * records - 1e-9) / per_agent)


@pytest.mark.parametrize("records, finish, deadline", [(120, 0.9, 1000.0), (200, 1.0, 1530.0)])
def test_plan_agrees_with_renewal_arithmetic(records, finish, deadline):
    # CONSTANT_WORLD: answer 10 s, talk 60 s, wrap 10 s, preview 15 s, no AMD, all persons
    campaign = make_campaign(**{"calling_list.size": records, "horizon_s": 50})
    rows = dialer.plan(
        campaign,
        deadline_s=deadline,
        finish=finish,
        modes=["progressive", "preview"],
        max_agents=40,
        replications=2,
        workers=1,
    )
    got = {r["mode"]: r for r in rows}
    expected = {
        "progressive": agents_by_renewal(records, finish, deadline, 10, 60, 10),
        "preview": agents_by_renewal(records, finish, deadline, 10, 60, 10, preview=15),
    }
    assert {m: got[m]["agents"] for m in expected} == expected
    for m, n in expected.items():
        r = got[m]
        assert r["feasible"] and r["success_share"] == 1.0 and r["lines"] == n  # a line per agent
        assert r["finish_share"] >= finish and r["abandon_rate"] == 0.0
        assert r["below"]["agents"] == n - 1 and r["below"]["success_share"] == 0.0
        assert [t["agents"] for t in r["trials"]] == sorted(t["agents"] for t in r["trials"])
        assert (
            len(r["trials"]) <= 2 * math.ceil(math.log2(n)) + 1
        )  # doubling and bisection, not a scan
        assert r["monotone"] is True


def test_plan_json_and_plan_file(tmp_path):
    out = tmp_path / "plan"
    r = dialer_cli(
        "plan",
        SMOKE,
        "--deadline-s",
        "1800",
        "--finish",
        "0.3",
        "--modes",
        "progressive,power",
        "--max-agents",
        "12",
        "--replications",
        "3",
        "--workers",
        "1",
        "--json",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert list(answer) == ["progressive", "power"]
    for a in answer.values():
        for key in (
            "agents",
            "lines",
            "finish_share",
            "abandon_rate",
            "occupancy",
            "success_share",
            "feasible",
            "trials",
        ):
            assert key in a
        if a["feasible"]:
            assert a["success_share"] >= 0.9 and 1 <= a["agents"] <= 12
            assert all(t["replications"] == 3 for t in a["trials"])
    saved = json.loads((out / "plan.json").read_text())
    assert saved["kind"] == "plan" and saved["campaign"] == "smoke"
    assert (saved["deadline_s"], saved["finish"], saved["confidence"]) == (1800.0, 0.3, 0.9)
    assert saved["modes"] == answer and saved["seed"] == 1
    assert {
        "agents",
        "replications",
        "success_share",
        "finish_share_mean",
        "abandon_rate_mean",
    } <= set(answer["power"]["trials"][0])
    assert (out / "campaign.yaml").exists()
    rec = saved["recommendation"]
    best = min((a["agents"], m) for m, a in answer.items() if a["feasible"])
    assert (rec["agents"], rec["mode"]) == best and rec["text"].startswith(
        f"{best[1]} with {best[0]} agents"
    )


def test_an_impossible_plan_says_so():
    campaign = make_campaign(**{"calling_list.size": 500})
    [row] = dialer.plan(
        campaign, deadline_s=300, modes=["progressive"], max_agents=3, replications=1, workers=1
    )
    assert row["feasible"] is False and row["agents"] is None and row["at_agents"] == 3
    assert [t["agents"] for t in row["trials"]] == [
        1,
        2,
        3,
    ]  # doubling from 1, stopped at the maximum


def test_default_modes_are_the_runnable_ones():
    from dialer.config import MODES
    from dialer.experiments.capacity import available_modes

    modes = available_modes(make_campaign())
    assert {"preview", "progressive", "power"} <= set(modes) <= set(MODES)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--deadline-s", "0"], "--deadline-s: expected seconds > 0, got 0.0"),
        (
            ["--deadline-s", "600", "--finish", "1.5"],
            "--finish: expected a share in (0, 1], got 1.5",
        ),
        (
            ["--deadline-s", "600", "--confidence", "0"],
            "--confidence: expected a share in (0, 1], got 0.0",
        ),
        (
            ["--deadline-s", "600", "--modes", "progresive"],
            "--modes: 'progresive' is not a dialing mode",
        ),
        (
            ["--deadline-s", "600", "--group", "sales"],
            "--group: no agent group 'sales' (have: team)",
        ),
        (
            ["--deadline-s", "600", "--max-agents", "0"],
            "--max-agents: expected an integer >= 1, got 0",
        ),
        (
            ["--deadline-s", "600", "--set", "calling_list.size=null"],
            "calling_list.size: plan needs a finite list to work (got null, an endless stream)",
        ),
    ],
)
def test_bad_plan_input_is_one_line_exit_2(args, message):
    r = dialer_cli("plan", SMOKE, *args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("dialer: "), r.stderr
    assert r.stdout == ""


def test_plan_reads_a_campaign_file(tmp_path):
    path = tmp_path / "c.yaml"
    raw = make_campaign(**{"calling_list.size": 60}).to_dict()
    path.write_text(dump_yaml(raw))
    r = dialer_cli(
        "plan",
        str(path),
        "--deadline-s",
        "1000",
        "--finish",
        "0.9",
        "--modes",
        "progressive",
        "--max-agents",
        "20",
        "--replications",
        "1",
        "--workers",
        "1",
    )
    assert r.returncode == 0, r.stderr
    n = agents_by_renewal(60, 0.9, 1000, 10, 60, 10)
    assert (
        f"progressive with {n} agents and {n} lines works 90% of 60 records within 1000 s"
        in r.stdout
    )


def test_sigterm_keeps_the_finished_runs_and_the_plan_resumes(tmp_path):
    """SIGTERM at the third finished run (DIALER_SIGNAL_AFTER_RUN, not a timer): exit 143 and
    one line; the same command then resumes (its search asks for the same counts again, the
    runs on disk are not redone) and plans what an uninterrupted plan does."""
    import os

    def plan_cli(out, signal_after=None):
        env = {k: v for k, v in os.environ.items() if k != "DIALER_SIGNAL_AFTER_RUN"}
        if signal_after:
            env["DIALER_SIGNAL_AFTER_RUN"] = signal_after
        return subprocess.run(
            [sys.executable, "-m", "dialer", "plan", SMOKE, "--deadline-s", "600", "--json"]
            + ["--modes", "progressive", "--replications", "2", "--workers", "2"]
            + ["--out", str(out)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
        )

    out = tmp_path / "plan"
    r = plan_cli(out, "3:SIGTERM")
    assert r.returncode == 143, r.stderr
    assert r.stderr.splitlines() == [
        f"dialer: stopped by SIGTERM; the finished runs are kept in {out}; "
        "run the same command again to resume"
    ]
    assert len(list((out / "runs").glob("*.json"))) == 3
    again = plan_cli(out)
    assert again.returncode == 0, again.stderr
    straight = plan_cli(tmp_path / "straight")
    assert json.loads(again.stdout) == json.loads(straight.stdout)


def test_plan_leaves_the_threshold_rule_out_unless_named(tmp_path):
    from dialer.experiments.capacity import plan

    c = make_campaign(**{"calling_list.size": 20, "horizon_s": 600})
    chosen = [r["mode"] for r in plan(c, deadline_s=600, finish=0.01, max_agents=1, replications=1)]
    assert "threshold" not in chosen and "power" in chosen
    named = plan(c, deadline_s=600, finish=0.01, max_agents=1, replications=1, modes=["threshold"])
    assert [r["mode"] for r in named] == ["threshold"]
