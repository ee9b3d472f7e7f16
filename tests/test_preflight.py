"""A bad list or DNC file ends every command that runs a campaign before any run: one line
naming the file and the row, exit 2, no output folder (compare, plan, a centre's plan, sweep);
a comparison or a plan whose runs all fail says so; a sweep folder's garbage runs.csv is
refused. And a centre's plan never tries a staffing of no agent in all (its file refuses it)."""

from __future__ import annotations

import pytest

import dialer.experiments.run as run
from dialer.cli import main

HEAD = (
    "record_id,contact_info,record_type,record_status,call_result,attempt,dial_sched_time,"
    "call_time,daily_from,daily_till,tz_dbid,chain_id,chain_n"
)
GOOD_ROWS = ["1,15550000001,2,1,0,0,,,,,,1,0", "2,15550000002,2,1,0,0,,,,,,2,0"]
# row 3's tz_dbid 9 is mapped to no zone
BAD_ROWS = ["1,15550000001,2,1,0,0,,,,,,1,0", "2,15550000002,2,1,0,0,,,,,9,2,0"]
TZ_PROBLEM = "bad.csv row 3: tz_dbid: expected an empty tz_dbid"
DNC_PROBLEM = "dnc.csv row 2: phone: expected a phone number, got 'not-a-phone!!'"
CAMPAIGN = "horizon_s: 600\ncalling_list:\n  file: {list}\n"
# a centre whose one campaign dials from {list}
CENTRE = (
    "name: tc\nhorizon_s: 600\nagents:\n  groups:\n    - {{name: out, count: 2}}\n"
    "campaigns:\n  - name: sales\n    campaign: good.yaml\n    groups: [out]\n"
    "    calling_list: {{file: {list}}}\n"
)
RUNS = ["--replications", "2", "--workers", "1"]


@pytest.fixture
def files(tmp_path, monkeypatch):
    """good.csv, bad.csv, dnc.csv (a junk phone) and campaigns on them, in the working folder:
    good.yaml, bad.yaml (bad.csv), dnc.yaml (good.csv, dnc.csv)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.csv").write_text("\n".join([HEAD, *GOOD_ROWS]) + "\n")
    (tmp_path / "bad.csv").write_text("\n".join([HEAD, *BAD_ROWS]) + "\n")
    (tmp_path / "dnc.csv").write_text("phone\nnot-a-phone!!\n")
    (tmp_path / "good.yaml").write_text(CAMPAIGN.format(list="good.csv"))
    (tmp_path / "bad.yaml").write_text(CAMPAIGN.format(list="bad.csv"))
    (tmp_path / "dnc.yaml").write_text(CAMPAIGN.format(list="good.csv") + "dnc:\n  file: dnc.csv\n")
    return tmp_path


def refused(capsys, code: int, problem: str) -> str:
    """Exit 2 and one stderr line, holding ``problem``; the line."""
    err = capsys.readouterr().err.splitlines()
    assert code == 2, err
    assert len(err) == 1 and problem in err[0], err
    return err[0]


# -- plan ----------------------------------------------------------------------------------------


def test_plan_refuses_a_bad_list_before_any_run(files, capsys):
    code = main(
        ["plan", "bad.yaml", "--deadline-s", "600", "--modes", "power", "--max-agents", "4"]
        + RUNS
        + ["--out", "p"]
    )
    refused(capsys, code, TZ_PROBLEM)
    assert not (files / "p").exists()


def test_centre_plan_refuses_a_campaigns_bad_list(files, capsys):
    (files / "centre.yaml").write_text(CENTRE.format(list="bad.csv"))
    code = main(["plan", "centre.yaml", "--deadline-s", "600", "--max-agents", "4"] + RUNS)
    refused(capsys, code, TZ_PROBLEM)
    code = main(
        ["plan", "centre.yaml", "--deadline-s", "600", "--max-agents", "4"] + RUNS + ["--out", "p"]
    )
    refused(capsys, code, TZ_PROBLEM)
    assert not (files / "p").exists()


def test_plan_whose_runs_all_fail_says_so(files, capsys, monkeypatch):
    def fail(campaign, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(run, "simulate", fail)
    code = main(["plan", "good.yaml", "--deadline-s", "600", "--modes", "power"] + RUNS)
    out = capsys.readouterr().out
    assert code == 1  # nothing could be judged: not a success
    # not the campaign's calling_list.size (10,000) for a list file of 2 records
    assert "10,000" not in out
    assert "Every run failed, so no mode can be judged (the first error: RuntimeError: boom)" in out
    (files / "centre.yaml").write_text(CENTRE.format(list="good.csv"))
    code = main(["plan", "centre.yaml", "--deadline-s", "600", "--max-agents", "4"] + RUNS)
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "Every run failed, so no staffing can be judged (the first error: RuntimeError: boom)"
        in out
    )


def test_centre_plan_of_its_only_group_stops_at_one_agent(files, capsys):
    # one agent works the two records: the search must not go on to no agent in all
    (files / "centre.yaml").write_text(CENTRE.format(list="good.csv"))
    code = main(["plan", "centre.yaml", "--deadline-s", "600", "--max-agents", "4"] + RUNS)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "out 1 (1 agents planned) meet" in captured.out


# -- compare -------------------------------------------------------------------------------------


@pytest.mark.parametrize("campaign, problem", [("dnc.yaml", DNC_PROBLEM), ("bad.yaml", TZ_PROBLEM)])
def test_compare_refuses_a_bad_list_or_dnc_file(files, capsys, campaign, problem):
    code = main(["compare", campaign, "--modes", "power"] + RUNS + ["--out", "cmp"])
    refused(capsys, code, problem)
    assert not (files / "cmp").exists()


def test_compare_reads_the_list_of_a_variant(files, capsys):
    code = main(
        ["compare", "good.yaml", "--modes", "power", "--variant", "other:calling_list.file=bad.csv"]
        + RUNS
        + ["--out", "cmp"]
    )
    refused(capsys, code, TZ_PROBLEM)
    assert not (files / "cmp").exists()


@pytest.mark.parametrize(
    "failing, says, status",
    [
        (
            {"power", "progressive"},
            "Every run of every mode failed, so there is nothing to compare "
            "(the first: power replication 0: RuntimeError: boom).",
            1,  # nothing to compare: not a success
        ),
        ({"power"}, "Every run of power failed (see the errors).", 0),
    ],
)
def test_compare_whose_runs_fail_says_so(files, capsys, monkeypatch, failing, says, status):
    real = run.simulate

    def simulate(campaign, **kw):
        if campaign.dialing.mode in failing:
            raise RuntimeError("boom")
        return real(campaign, **kw)

    monkeypatch.setattr(run, "simulate", simulate)
    code = main(["compare", "good.yaml", "--modes", "power,progressive"] + RUNS)
    out = capsys.readouterr().out
    assert code == status
    assert says in out
    assert "Over the limit" not in out  # a mode that failed was not over the limit


# -- sweep ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, problem",
    [
        (
            "campaign: bad.yaml\nreplications: 2\nfactors:\n  dialing.ratio: [1.5, 2]\n",
            f"sweep.yaml: campaign: {TZ_PROBLEM}",
        ),
        (
            "campaign: good.yaml\nreplications: 2\nfactors:\n"
            "  calling_list.file: [good.csv, bad.csv]\n",
            f"sweep.yaml: cell 1 (calling_list.file=bad.csv): {TZ_PROBLEM}",
        ),
        (
            "campaign: good.yaml\nreplications: 2\nfactors:\n  dnc.file: [null, dnc.csv]\n",
            f"sweep.yaml: cell 1 (dnc.file=dnc.csv): {DNC_PROBLEM}",
        ),
    ],
)
def test_sweep_refuses_a_bad_list_before_any_run(files, capsys, spec, problem):
    (files / "sweep.yaml").write_text(spec)
    code = main(["sweep", "sweep.yaml", "--workers", "1", "--out", "sw"])
    refused(capsys, code, problem)
    assert not (files / "sw").exists()
    code = main(["sweep", "sweep.yaml", "--workers", "1"])  # the default folder, results/sweep
    refused(capsys, code, problem)
    assert not (files / "results").exists()


# -- report --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "runs_csv, problem",
    [
        ("garbage,stuff\n\x01junk\n", "sw/runs.csv: expected columns replication, error"),
        ("", "sw/runs.csv: expected columns replication, error"),
        (
            "cell,replication,error\n0,x,\n",
            "sw/runs.csv: row 2: replication: expected a number, got 'x'",
        ),
        (
            "cell,replication,error\n0,1.5,\n",
            "sw/runs.csv: row 2: replication: expected a whole number >= 0, got '1.5'",
        ),
    ],
)
def test_report_refuses_a_garbage_runs_csv(files, capsys, runs_csv, problem):
    (files / "sweep.yaml").write_text(
        "campaign: good.yaml\nreplications: 2\nfactors:\n  dialing.ratio: [1.5, 2]\n"
    )
    assert main(["sweep", "sweep.yaml", "--workers", "1", "--out", "sw"]) == 0
    assert main(["report", "sw"]) == 0
    (files / "sw" / "report.html").unlink()
    (files / "sw" / "runs.csv").write_text(runs_csv)
    capsys.readouterr()
    refused(capsys, main(["report", "sw"]), problem)
    assert not (files / "sw" / "report.html").exists()
