"""``dialer bench`` compares like with like: the project's power mode and the lean SimPy
reference run the same flow (occupancy and abandon rate agree within sampling noise), its JSON
has the documented keys, and bad options end in one line and exit 2. No test times anything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dialer.experiments.bench import (
    FLOW,
    MODES,
    find_floor,
    flow_campaign,
    lean_reference,
    modes_campaign,
)
from dialer.experiments.run import simulate
from stats import mean_se

SEEDS = range(1, 9)


def _agree(project: list[float], lean: list[float], z: float = 4.0, floor: float = 0.0):
    (m1, se1), (m2, se2) = mean_se(project), mean_se(lean)
    tolerance = z * (se1**2 + se2**2) ** 0.5 + floor
    assert abs(m1 - m2) <= tolerance, (m1, se1, m2, se2)


@pytest.mark.parametrize(
    "agents, ratio, hours",
    [(10, 6.0, 3.0), (10, FLOW["ratio"], 24.0)],
    ids=["many-drops", "bench-ratio"],
)
def test_project_and_lean_reference_run_the_same_flow(agents, ratio, hours):
    project = [simulate(flow_campaign(agents, hours, ratio=ratio, seed=s)).summary for s in SEEDS]
    lean = [lean_reference(agents, hours, ratio=ratio, seed=s) for s in SEEDS]
    for key in ("dials", "live_answers", "abandoned"):
        _agree([p[key] for p in project], [r[key] for r in lean], floor=0.5)
    _agree([p["occupancy"] for p in project], [r["occupancy"] for r in lean], floor=0.002)
    if ratio > 2:  # drops are the point of this case: both must see plenty of them
        rates = [r["abandon_rate"] for r in lean]
        assert min(rates) > 0.05
        _agree([p["abandon_rate"] for p in project], rates, floor=0.002)


def test_lean_reference_counts_add_up():
    r = lean_reference(5, 1.0, ratio=4.0, seed=3)
    assert 0 < r["live_answers"] < r["dials"] and 0 <= r["abandoned"] <= r["live_answers"]
    assert 0 < r["occupancy"] < 1 and r["abandon_rate"] == r["abandoned"] / r["live_answers"]


@pytest.mark.skipif(find_floor() is None, reason="no ../shared/bench/floor_power.py here")
def test_lean_reference_places_the_floor_models_dials():
    """Same seed, same draws in the same order: the floor model and the reference place the
    same dials (a reference that skipped work would not)."""
    args = {"c": 20, "k": 2, "horizon": 3600.0, "seed": 4}
    done = subprocess.run(
        [sys.executable, str(find_floor()), json.dumps(args)], capture_output=True, text=True
    )
    floor = json.loads(done.stdout)
    assert floor["dials"] == lean_reference(20, 1.0, ratio=2.0, seed=4)["dials"]


def test_modes_campaign_is_endless_unlimited_and_sized():
    c = modes_campaign("campaigns/multi-zone-list.yaml", "predictive", 50, 0.5)
    assert c.dialing.mode == "predictive" and c.dialing.lines is None
    assert c.calling_list.size is None and c.calling_list.file is None
    assert sum(g.count for g in c.agents.groups) == 50 and c.horizon_s == 1800
    assert c.warmup_s < c.horizon_s


def dialer(*args):
    return subprocess.run(
        [sys.executable, "-m", "dialer", "bench", *args], capture_output=True, text=True
    )


def test_json_has_the_documented_keys():
    r = dialer("--json", "--modes", "predictive", "--agents", "3,4", "--hours", "0.05")
    assert r.returncode == 0, r.stderr
    b = json.loads(r.stdout)
    top = {"hours", "repeat", "campaign", "floor", "cores", "load_before", "load_after"}
    assert top | {"python", "simpy", "engine", "modes"} == set(b)
    assert b["repeat"] == 3 and b["hours"] == 0.05
    side = {"dials", "wall_s", "dials_per_s", "occupancy", "abandon_rate", "peak_rss_mb"}
    assert [e["agents"] for e in b["engine"]] == [3, 4]
    for e in b["engine"]:
        assert set(e) == {
            "agents",
            "project",
            "lean",
            "floor",
            "project_vs_lean",
            "project_vs_floor",
            "lean_vs_floor",
        }
        assert set(e["project"]) == side and set(e["lean"]) == side
        assert (e["floor"] is None) == (b["floor"] is None) == (e["project_vs_floor"] is None)
        assert e["project"]["peak_rss_mb"] > 0 and e["project"]["dials"] > 0
    # power is always measured: every ratio is to it
    assert [(m["mode"], m["agents"]) for m in b["modes"]] == [
        ("power", 3),
        ("predictive", 3),
        ("power", 4),
        ("predictive", 4),
    ]
    for m in b["modes"]:
        assert set(m) == side | {"mode", "agents", "wall_vs_power", "dials_per_s_vs_power"}
    assert {m["wall_vs_power"] for m in b["modes"] if m["mode"] == "power"} == {1.0}


def test_every_mode_is_benched_by_default():
    from dialer.cli import build_parser

    assert build_parser().parse_args(["bench"]).modes == ",".join(MODES)


BAD = [
    (["--modes", "power,predictiv"], "--modes: expected modes among", "did you mean 'predictive'"),
    (["--agents", "25,0"], "--agents: expected team sizes >= 1", "'25,0'"),
    (["--agents", "many"], "--agents: expected team sizes", "'many'"),
    (["--hours", "-1"], "--hours: expected simulated hours > 0", "'-1'"),
    (["--hours", "nan"], "--hours: expected simulated hours > 0", "'nan'"),
    (["--repeat", "0"], "--repeat: expected a whole number of runs >= 1", "'0'"),
    (["--campaign", "nowhere.yaml"], "--campaign: no such file", "nowhere.yaml"),
    (["--floor", "nowhere.py"], "--floor: no such file", "nowhere.py"),
    (["--floor", "tests"], "--floor tests: expected a file, got a folder", "folder"),
    (["--floor", "README.md"], "--floor README.md: expected a floor model", "SyntaxError"),
]


@pytest.mark.parametrize("args, message, found", BAD, ids=lambda v: str(v))
def test_bad_options_are_one_line_exit_2(args, message, found):
    r = dialer(*args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dialer: {message}") and found in lines[0]
    assert r.stdout == "" and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "script, found",
    [("pass", "got: no output"), ("print('{\"dials\": 1}')", "without occupancy")],
)
def test_a_floor_model_that_prints_no_result_is_one_line(tmp_path, script, found):
    floor = tmp_path / "floor.py"
    floor.write_text(script + "\n")
    r = dialer("--floor", str(floor), "--agents", "2", "--modes", "power")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "expected a floor model" in r.stderr and found in r.stderr and r.stdout == ""


def test_the_decision_cost_script_prints_a_row_per_forecasting_mode():
    """experiments/decision_cost.py, whose table docs/performance.md quotes, runs and counts
    the full decisions it times (a few, on a short run)."""
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run(
        [sys.executable, "experiments/decision_cost.py", "--agents", "10", "--hours", "0.5"]
        + ["--repeat", "1"],
        capture_output=True,
        text=True,
        cwd=root,
        check=True,
    )
    rows = [line.split("|") for line in r.stdout.splitlines() if line.startswith("| 10 |")]
    assert [row[2].strip() for row in rows] == ["predictive", "optimized"]
    assert all(int(row[4].replace(",", "")) > 0 for row in rows)  # full decisions were timed
