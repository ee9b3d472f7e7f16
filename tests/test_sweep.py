"""Sweeps: the same rows whatever runs them, results that survive kills, honest statistics."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats as sps

import dialer
from dialer.config import dump_yaml
from dialer.errors import InputError
from dialer.experiments.pool import Progress, replication_seed
from dialer.experiments.sweeps import load_sweep, run_sweep, sweep_from_mapping

ROOT = Path(__file__).resolve().parent.parent
SMOKE = str(ROOT / "campaigns" / "smoke.yaml")
B2C = str(ROOT / "campaigns" / "b2c-renewals.yaml")
EXAMPLES = sorted((ROOT / "experiments").glob("*.yaml"))

# 2 modes x 2 agent counts x 3 replications of the smoke campaign, 20 simulated minutes
SMALL = {
    "campaign": SMOKE,
    "seed": 3,
    "replications": 3,
    "set": {"horizon_s": 1200},
    "factors": {"dialing.mode": ["progressive", "power"], "agents.groups.team.count": [2, 4]},
}


def write_spec(folder: Path, spec: dict, name: str = "sweep.yaml") -> Path:
    path = folder / name
    path.write_text(dump_yaml(spec))
    return path


def dialer_cli(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "dialer", *args],
        capture_output=True,
        text=True,
        cwd=kw.get("cwd", ROOT),
    )


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


# -- the same rows whatever the backend ---------------------------------------------------------


def test_one_worker_and_two_workers_give_identical_rows(tmp_path):
    one = dialer.sweep(SMALL, workers=1)
    two = run_sweep(SMALL, workers=2, out=tmp_path / "two")
    assert two.backend["kind"] == "processes" and two.new == 12
    assert one == two.rows
    assert [(r["cell"], r["replication"]) for r in one] == [
        (c, r) for c in range(4) for r in range(3)
    ]
    assert all(r["error"] is None and r["dials"] > 0 for r in one)
    # the CSV holds the same table
    table = read_csv(tmp_path / "two" / "runs.csv")
    assert [int(r["dials"]) for r in table] == [r["dials"] for r in one]
    assert list(table[0])[:5] == [
        "cell",
        "dialing.mode",
        "agents.groups.team.count",
        "replication",
        "seed",
    ]


def test_a_dask_cluster_gives_the_same_rows():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        result = run_sweep(SMALL, scheduler=cluster.scheduler_address)
    assert result.backend["kind"] == "dask"
    assert result.rows == dialer.sweep(SMALL, workers=1)


@pytest.mark.parametrize("runs, slots", [(40, 2), (1, 8), (1000, 2), (10_000, 8), (7, 3)])
def test_batches_cover_every_run_and_shrink_to_one(runs, slots):
    from dialer.experiments.pool import batch_sizes

    sizes = batch_sizes(runs, slots, "processes")
    assert sum(sizes) == runs and sizes[-1] == 1 and max(sizes) <= 16
    assert sizes == sorted(sizes, reverse=True)
    assert batch_sizes(5, 1, "inline") == [1] * 5


def test_replications_share_seeds_across_cells():
    rows = dialer.sweep(
        {**SMALL, "factors": {"agents.groups.team.count": [2, 3]}, "replications": 2}, workers=1
    )
    seeds = [replication_seed(3, r) for r in range(2)]
    assert [r["seed"] for r in rows] == seeds + seeds
    # a seed depends on (sweep seed, replication) only: more replications keep the first ones
    assert [replication_seed(3, r) for r in range(5)][:2] == seeds
    assert replication_seed(4, 0) != seeds[0]


# -- results that survive -----------------------------------------------------------------------


# Stopping (Ctrl-C, SIGTERM, SIGKILL), resuming, locks and full disks: tests/test_sweep_stops.py,
# each triggered at a known run (DIALER_SIGNAL_AFTER_RUN), never at a time.


def test_a_failing_run_is_a_row_with_its_error_and_the_others_finish(tmp_path, monkeypatch):
    import dialer.experiments.run

    real = dialer.experiments.run.simulate

    def flaky(campaign, **kw):
        if campaign.agents.count == 4 and campaign.dialing.mode == "power":
            raise RuntimeError("the switch caught fire\nsecond line")
        return real(campaign, **kw)

    monkeypatch.setattr(dialer.experiments.run, "simulate", flaky)
    out = tmp_path / "out"
    result = run_sweep(SMALL, workers=1, out=out)
    failed = [r for r in result.rows if r["error"]]
    assert [(r["cell"], r["replication"]) for r in failed] == [(3, 0), (3, 1), (3, 2)]
    assert failed[0]["error"] == "RuntimeError: the switch caught fire | second line"
    assert failed[0]["dials"] is None and failed[0]["dialing.mode"] == "power"
    assert all(r["dials"] > 0 for r in result.rows if not r["error"]) and len(result.rows) == 12
    assert result.errors == 3
    cells = [r for r in read_csv(out / "cells.csv") if r["metric"] == "occupancy"]
    assert [r["n"] for r in cells] == ["3", "3", "3", "0"]
    assert json.loads((out / "manifest.json").read_text())["runs_failed"] == 3

    # a failed run is tried again on resume (whatever failed may have been fixed)
    monkeypatch.setattr(dialer.experiments.run, "simulate", real)
    again = run_sweep(SMALL, workers=1, out=out)
    assert (again.new, again.resumed, again.errors) == (3, 9, 0)


def test_more_replications_extend_the_same_sweep(tmp_path):
    out = tmp_path / "out"
    first = run_sweep({**SMALL, "replications": 2}, workers=1, out=out)
    more = run_sweep(SMALL, workers=1, out=out)
    assert (more.new, more.resumed) == (4, 8)
    assert [r for r in more.rows if r["replication"] < 2] == first.rows


# -- statistics ---------------------------------------------------------------------------------


def test_cells_and_paired_tables_are_the_t_intervals_of_the_runs(tmp_path):
    spec = {
        **SMALL,
        "metrics": ["occupancy", "abandon_rate", "compliance_ok"],
        "baseline": {"dialing.mode": "progressive"},
    }
    result = run_sweep(spec, workers=1, out=tmp_path)
    cells = read_csv(tmp_path / "cells.csv")
    assert list(cells[0]) == [
        "dialing.mode",
        "agents.groups.team.count",
        "metric",
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
    ]
    assert len(cells) == 4 * 3
    by = {(r["dialing.mode"], int(r["agents.groups.team.count"]), r["metric"]): r for r in cells}
    for mode in ("progressive", "power"):
        for agents in (2, 4):
            xs = [
                r["occupancy"]
                for r in result.rows
                if r["dialing.mode"] == mode and r["agents.groups.team.count"] == agents
            ]
            row = by[(mode, agents, "occupancy")]
            half = sps.t.ppf(0.975, 2) * statistics.stdev(xs) / math.sqrt(3)
            assert float(row["mean"]) == pytest.approx(statistics.fmean(xs), rel=1e-12)
            assert float(row["ci_low"]) == pytest.approx(statistics.fmean(xs) - half, rel=1e-9)
            assert float(row["ci_high"]) == pytest.approx(statistics.fmean(xs) + half, rel=1e-9)
    ok = by[("power", 2, "compliance_ok")]
    assert 0 <= float(ok["mean"]) <= 1  # a flag averages to the share of runs where it held

    paired = read_csv(tmp_path / "paired.csv")
    assert list(paired[0]) == [
        "dialing.mode",
        "agents.groups.team.count",
        "metric",
        "n",
        "mean_diff",
        "ci_low",
        "ci_high",
    ]
    assert {r["dialing.mode"] for r in paired} == {"power"}  # each mode against progressive
    row = next(
        r for r in paired if r["agents.groups.team.count"] == "4" and r["metric"] == "occupancy"
    )

    def occ(mode):
        return [
            r["occupancy"]
            for r in result.rows
            if r["dialing.mode"] == mode and r["agents.groups.team.count"] == 4
        ]

    diffs = [a - b for a, b in zip(occ("power"), occ("progressive"))]
    assert float(row["mean_diff"]) == pytest.approx(statistics.fmean(diffs), rel=1e-12)
    half = sps.t.ppf(0.975, 2) * statistics.stdev(diffs) / math.sqrt(3)
    assert float(row["ci_high"]) - float(row["ci_low"]) == pytest.approx(2 * half, rel=1e-9)

    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["factors"] == [
        "dialing.mode",
        "agents.groups.team.count",
    ]
    assert {"python", "simpy", "numpy", "scipy", "dialer"} <= set(manifest["versions"])
    assert manifest["spec"]["replications"] == 3 and manifest["baseline"] == {
        "dialing.mode": "progressive"
    }
    assert manifest["spec"]["factors"] == {
        "dialing.mode": ["progressive", "power"],
        "agents.groups.team.count": [2, 4],
    }
    from dialer.config import load_campaign

    assert load_campaign(tmp_path / "campaign.yaml").horizon_s == 1200  # `set` applied


def test_zip_groups_move_together():
    sw = sweep_from_mapping(
        {
            "campaign": SMOKE,
            "replications": 1,
            "factors": {
                "zip": {"population.human": [0.2, 0.4], "population.no_answer": [0.5, 0.3]},
                "dialing.ratio": [1.5, 2.5],
            },
        }
    )
    assert [c.factors for c in sw.cells] == [
        {"population.human": 0.2, "population.no_answer": 0.5, "dialing.ratio": 1.5},
        {"population.human": 0.2, "population.no_answer": 0.5, "dialing.ratio": 2.5},
        {"population.human": 0.4, "population.no_answer": 0.3, "dialing.ratio": 1.5},
        {"population.human": 0.4, "population.no_answer": 0.3, "dialing.ratio": 2.5},
    ]
    assert sw.cells[3].campaign.population.no_answer == 0.3
    assert sw.baseline == {"population.human": 0.2, "population.no_answer": 0.5}
    # the manifest's spec lists every factor with its values in cell order, zip groups apart
    assert sw.spec["factors"] == {
        "population.human": [0.2, 0.4],
        "population.no_answer": [0.5, 0.3],
        "dialing.ratio": [1.5, 2.5],
    }
    assert sw.spec["zip"] == [["population.human", "population.no_answer"]]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_sweeps_run_in_every_cell(path):
    sw = load_sweep(path)
    assert len(sw.cells) >= 4 and sw.replications >= 5
    quick = sweep_from_mapping(
        {
            **load_sweep_raw(path),
            "replications": 1,
            "set": {**load_sweep_raw(path).get("set", {}), "horizon_s": 900, "warmup_s": 0},
        },
        str(path),
        path.parent,
    )
    rows = dialer.sweep(quick, workers=1)
    assert len(rows) == len(sw.cells)
    assert not [r["error"] for r in rows if r["error"]]


def load_sweep_raw(path: Path) -> dict:
    from dialer.config import load_yaml_mapping

    return load_yaml_mapping(path)


def test_progress_shows_count_and_eta_only_when_asked():
    buf = io.StringIO()
    bar = Progress(4, "sweep x", stream=buf, enabled=True)
    for _ in range(4):
        bar.advance()
        bar._last = 0  # show every step
    bar.close()
    assert "sweep x: 4/4 runs  100%" in buf.getvalue() and "eta 0:00" in buf.getvalue()
    quiet = io.StringIO()
    bar = Progress(2, "sweep x", stream=quiet)  # not a terminal
    bar.advance()
    bar.close()
    assert quiet.getvalue() == ""


# -- bad input through the command line ---------------------------------------------------------

BAD_SPECS = [
    ({**SMALL, "replicatoins": 3}, "replicatoins: unknown key (did you mean 'replications'?)"),
    (
        {**SMALL, "factors": {"dialing.ratoi": [1, 2]}},
        "factors.dialing.ratoi: unknown campaign key (did you mean 'dialing.ratio'?)",
    ),
    (
        {**SMALL, "factors": {"dialing.mode": ["progressive", "turbo"]}},
        "cell 1 (dialing.mode=turbo): dialing.mode: expected one of",
    ),
    (
        {**SMALL, "factors": {"agents.groups.team.count": [2, -1]}},
        "cell 1 (agents.groups.team.count=-1): agents.groups.0.count: expected an integer in "
        "[0, 100000], got -1",
    ),
    (
        {**SMALL, "factors": {"population.human": [0.3, 0.5]}},
        "cell 1 (population.human=0.5): population: expected human + machine",
    ),
    (
        {
            **SMALL,
            "factors": {
                "zip": {"cpd.amd_false_positive": [0.02, 0.05], "cpd.amd_false_negative": [0.1]}
            },
        },
        "factors.zip: expected lists of one length, got cpd.amd_false_positive: 2, cpd.amd_false_negative: 1",
    ),
    (
        {**SMALL, "factors": {"dialing.ratio": 2}},
        "factors.dialing.ratio: expected a non-empty list of values, got 2",
    ),
    (
        {**SMALL, "factors": {"dialing.ratio": [2, 2]}},
        "factors.dialing.ratio: expected distinct values, got 2 twice",
    ),
    ({**SMALL, "factors": {"seed": [1, 2]}}, "factors.seed: the sweep sets each run's seed"),
    ({**SMALL, "campaign": "nope.yaml"}, "campaign: "),
    ({**SMALL, "replications": 0}, "replications: expected an integer >= 1, got 0"),
    (
        {**SMALL, "metrics": ["ocupancy"]},
        "metrics: 'ocupancy' is not a summary metric (did you mean 'occupancy'?)",
    ),
    (
        {**SMALL, "baseline": {"dialing.mode": "preview"}},
        "baseline.dialing.mode: expected one of the factor's values",
    ),
    (
        {**SMALL, "baseline": {"dialing.ratio": 2}},
        "baseline.dialing.ratio: not a factor of this sweep",
    ),
    (
        {**SMALL, "set": {"dialing.ratio": 0.5}},
        "set.dialing.ratio: expected a number >= 1, got 0.5",
    ),
]


@pytest.mark.parametrize("spec, message", BAD_SPECS, ids=[m[:40] for _, m in BAD_SPECS])
def test_bad_sweep_specs_are_one_line_exit_2(tmp_path, spec, message):
    path = write_spec(tmp_path, spec, "x.yaml")
    r = dialer_cli("sweep", str(path), "--out", str(tmp_path / "out"))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith(f"dialer: {path}: ") and message in lines[0], lines[0]
    assert r.stdout == "" and not (tmp_path / "out").exists()


def test_every_problem_of_a_sweep_file_is_reported_at_once_in_file_order(tmp_path):
    spec = {
        "campaign": SMOKE,
        "replicatoins": 3,
        "set": {"horizon": 1200},
        "factors": {
            "dialing.ratoi": [1, 2],
            "dialing.mode": ["progressive", "turbo"],
            "agents.groups.team.count": [2, -1],
        },
        "metrics": ["ocupancy", "occupancy"],
        "baseline": {"dialing.mode": "preview"},
    }
    path = write_spec(tmp_path, spec, "x.yaml")
    r = dialer_cli("sweep", str(path), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    expected = [
        "replicatoins: unknown key (did you mean 'replications'?)",
        "set.horizon: unknown campaign key",
        "factors.dialing.ratoi: unknown campaign key (did you mean 'dialing.ratio'?)",
        "cell 1 (dialing.ratoi=1, dialing.mode=progressive, agents.groups.team.count=-1): "
        "agents.groups.0.count: expected an integer in [0, 100000], got -1",
        "cell 2 (dialing.ratoi=1, dialing.mode=turbo, agents.groups.team.count=2): "
        "dialing.mode: expected one of ",
        "metrics: 'ocupancy' is not a summary metric (did you mean 'occupancy'?)",
        "baseline.dialing.mode: expected one of the factor's values (progressive, turbo), "
        "got 'preview'",
    ]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == len(expected), r.stderr
    for line, want in zip(lines, expected):
        assert line.startswith(f"dialer: {path}: {want}"), (line, want)
    assert r.stdout == "" and not (tmp_path / "out").exists()
    # the same lines from Python
    with pytest.raises(InputError) as exc:
        load_sweep(path)
    assert [f"dialer: {p}" for p in exc.value.problems] == lines


def test_an_unreadable_campaign_stops_the_cells_but_not_the_sweep_files_own_checks(tmp_path):
    spec = {
        "campaign": "nope.yaml",
        "replications": 0,
        "factors": {"dialing.mode": ["progressive", "turbo"]},
        "baseline": {"dialing.ratio": 2},
    }
    path = write_spec(tmp_path, spec, "x.yaml")
    with pytest.raises(InputError) as exc:
        load_sweep(path)
    problems = exc.value.problems
    assert len(problems) == 3, problems
    assert problems[0].startswith(f"{path}: campaign: ")
    assert problems[1] == f"{path}: replications: expected an integer >= 1, got 0"
    assert problems[2].startswith(f"{path}: baseline.dialing.ratio: not a factor of this sweep")


def test_campaign_path_is_relative_to_the_sweep_file(tmp_path):
    sub = tmp_path / "experiments"
    sub.mkdir()
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "campaigns" / "c.yaml").write_text(Path(SMOKE).read_text())
    path = write_spec(sub, {**SMALL, "campaign": "../campaigns/c.yaml", "replications": 1})
    r = dialer_cli("sweep", "experiments/sweep.yaml", "--workers", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "4 of 4 runs (4 new, 0 resumed, 0 failed)" in r.stdout
    assert (tmp_path / "results" / "sweep" / "runs.csv").exists()  # default --out
    assert path.exists()


def test_a_folder_holding_another_sweep_is_refused(tmp_path):
    out = tmp_path / "out"
    first = write_spec(tmp_path, {**SMALL, "replications": 1}, "a.yaml")
    assert dialer_cli("sweep", str(first), "--workers", "1", "--out", str(out)).returncode == 0
    other = write_spec(tmp_path, {**SMALL, "replications": 1, "seed": 9}, "b.yaml")
    r = dialer_cli("sweep", str(other), "--out", str(out))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert f"dialer: {out}: holds the results of a different sweep (seed changed)" in r.stderr
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "summary.json").write_text("{}")
    r = dialer_cli("sweep", str(first), "--out", str(taken))
    assert r.returncode == 2 and "not a sweep results folder" in r.stderr
    assert sorted(p.name for p in taken.iterdir()) == ["summary.json"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--workers", "0"], "--workers: expected an integer >= 1, got 0"),
    ],
)
def test_bad_sweep_options(tmp_path, args, message):
    path = write_spec(tmp_path, SMALL)
    r = dialer_cli("sweep", str(path), *args, "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and r.stderr.strip() == f"dialer: {message}"


def test_scheduler_without_dask_is_one_line(tmp_path, monkeypatch, capsys):
    from dialer.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    path = write_spec(tmp_path, SMALL)
    assert (
        main(
            [
                "sweep",
                str(path),
                "--scheduler",
                "tcp://127.0.0.1:8786",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert (
        err
        == "dialer: --scheduler: Dask is not installed (pip install 'dialer[dask]', the dask[distributed] extra)"
    )
    assert not os.path.exists(tmp_path / "o" / "runs.csv")


class NotAScheduler:
    """A TCP server on a free port that is not a Dask scheduler: each connection gets
    ``answer`` and is closed, or (``answer=None``) is held open, silent, until the server stops."""

    def __init__(self, answer: bytes | None):
        import socket
        import threading

        self.answer = answer
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.1)
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:  # the accept timed out: look at stopping again
                continue
            if self.answer is None:
                self.held.append(conn)
                continue
            try:
                conn.sendall(self.answer)
            except OSError:
                pass
            conn.close()

    def close(self):
        self.stopping.set()
        self.thread.join()
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.mark.parametrize(
    "answer, found",
    [
        # the length prefix of an HTTP reply read as a frame size: numpy cannot allocate 3 EiB
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "(MemoryError: Unable to allocate"),
        (b"\xff" * 64, "("),
        (b"", "(distributed.CommClosedError: "),
        (None, "(TimeoutError: no handshake within 1 s)"),  # accepts, then says nothing
    ],
    ids=["http", "garbage", "closes", "silent"],
)
def test_something_that_is_not_a_dask_scheduler_is_one_line(
    tmp_path, monkeypatch, capsys, answer, found
):
    pytest.importorskip("distributed")
    import dialer.experiments.pool
    from dialer.cli import main

    monkeypatch.setattr(dialer.experiments.pool, "SCHEDULER_TIMEOUT_S", 1.0)
    path = write_spec(tmp_path, SMALL)
    server = NotAScheduler(answer)
    try:
        code = main(
            ["sweep", str(path), "--scheduler", server.address, "--out", str(tmp_path / "o")]
        )
    finally:
        server.close()
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    head = f"dialer: --scheduler {server.address}: expected a Dask scheduler, cannot connect or handshake "
    assert lines[0].startswith(head + found), lines[0]
    assert not (tmp_path / "o").exists()


def test_docs_describe_every_example_sweep_and_the_commands():
    text = (ROOT / "docs" / "experiments.md").read_text()
    missing = [p.name for p in EXAMPLES if f"experiments/{p.name}" not in text]
    assert not missing, missing
    r = dialer_cli("--help")
    assert "sweep" in r.stdout and "plan" in r.stdout
