"""dialer compare: paired modes, the best legal mode, the table, the files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

from dialer.config import load_campaign
from dialer.experiments.compare import FRONTIER, compare
from dialer.experiments.pool import replication_seed
from dialer.experiments.run import simulate

SMOKE = "campaigns/smoke.yaml"


def test_modes_run_on_paired_seeds_and_power_over_the_limit_is_not_the_baseline():
    c = load_campaign(SMOKE)
    out = compare(c, ["progressive", "power", "optimized"], 3, workers=1, progress=False)
    assert out["replication_seeds"] == [replication_seed(c.seed, r) for r in range(3)]
    rows = {(r["mode"], r["metric"]): r for r in out["table"]}
    # each mode's replication r is the campaign with that mode and the r-th seed
    for mode in ("progressive", "power"):
        direct = [
            simulate(c.override({"dialing.mode": mode, "seed": s})).summary["occupancy"]
            for s in out["replication_seeds"]
        ]
        assert rows[(mode, "occupancy")]["mean"] == sum(direct) / 3
        assert rows[(mode, "occupancy")]["n"] == 3
    assert "power" not in out["legal"]  # 3 agents at ratio 2 abandon far over 3%
    assert out["baseline"] in out["legal"] and "progressive" in out["legal"]
    best = max(out["legal"], key=lambda m: rows[(m, "talk_minutes_per_agent_hour")]["mean"])
    assert out["baseline"] == best
    base_diff = {d["metric"]: d for d in out["diffs"] if d["mode"] == best}
    assert base_diff["occupancy"]["mean_diff"] == 0
    assert "power" in out["verdict"] and best in out["verdict"]


def test_one_worker_and_two_give_the_same_comparison():
    c = load_campaign(SMOKE)
    a = compare(c, ["progressive", "predictive"], 2, workers=1, progress=False)
    b = compare(c, ["progressive", "predictive"], 2, workers=2, progress=False)
    assert a == b


def test_frontier_sweeps_each_modes_knob():
    c = load_campaign(SMOKE)
    out = compare(c, ["power", "progressive"], 2, workers=1, progress=False, frontier=True)
    knob, values = FRONTIER["power"]
    rows = [r for r in out["frontier"] if r["metric"] == "abandon_rate"]
    assert [(r["mode"], r["knob"], r["value"]) for r in rows] == [
        ("power", knob, v) for v in values
    ]
    assert all(r["n"] == 2 for r in rows)
    # more dials per free agent, more abandons
    assert rows[-1]["mean"] > rows[0]["mean"]


def dialer(*args):
    return subprocess.run([sys.executable, "-m", "dialer", *args], capture_output=True, text=True)


def test_compare_cli_prints_a_table_and_writes_its_files(tmp_path):
    out = tmp_path / "cmp"
    r = dialer(
        "compare",
        SMOKE,
        "--modes",
        "progressive,power",
        "--replications",
        "2",
        "--workers",
        "1",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert "legal" in r.stdout and "progressive" in r.stdout and "power" in r.stdout
    data = json.loads((out / "compare.json").read_text())
    assert data["kind"] == "compare" and data["modes"] == ["progressive", "power"]
    with open(out / "compare.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["mode"] for row in rows] == ["progressive", "power"]
    assert (out / "report.html").stat().st_size > 1_000_000
    assert dialer("check", str(out / "campaign.yaml")).returncode == 0


def test_compare_bad_input_is_one_line():
    for args, message in [
        (["--modes", "progressive,turbo"], "--modes: expected modes among"),
        (["--replications", "1"], "--replications: expected at least 2"),
        (["--set", "dialing.ratoi=2"], "dialing.ratoi: unknown key"),
    ]:
        r = dialer("compare", SMOKE, *args)
        assert (
            r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1
        ), r.stderr


def test_sigterm_keeps_the_finished_runs_and_the_comparison_resumes(tmp_path):
    """SIGTERM at the third finished run (DIALER_SIGNAL_AFTER_RUN, not a timer): exit 143, one
    line, those runs kept; the same command then gives the comparison an uninterrupted one
    gives."""
    import os

    def compare_cli(out, signal_after=None):
        env = {k: v for k, v in os.environ.items() if k != "DIALER_SIGNAL_AFTER_RUN"}
        if signal_after:
            env["DIALER_SIGNAL_AFTER_RUN"] = signal_after
        return subprocess.run(
            [sys.executable, "-m", "dialer", "compare", SMOKE, "--modes", "progressive,power"]
            + ["--replications", "3", "--workers", "2", "--json", "--out", str(out)],
            capture_output=True,
            text=True,
            env=env,
        )

    out = tmp_path / "cmp"
    r = compare_cli(out, "3:SIGTERM")
    assert r.returncode == 143, r.stderr
    assert r.stderr.splitlines() == [
        f"dialer: stopped by SIGTERM; the finished runs are kept in {out}; "
        "run the same command again to resume"
    ]
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")}
    assert len(kept) == 3 and not (out / "compare.json").exists()
    again = compare_cli(out)
    assert again.returncode == 0, again.stderr
    assert {n: (out / "runs" / n).stat().st_mtime_ns for n in kept} == kept  # not run again
    straight = compare_cli(tmp_path / "straight")
    assert json.loads(again.stdout) == json.loads(straight.stdout)
    assert len(list((out / "runs").glob("*.json"))) == 6
