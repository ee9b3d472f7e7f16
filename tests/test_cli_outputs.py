"""What the commands write, checked before anything runs: an output never replaces an input
(the campaign, its lists, the records a fit reads) nor another output; a refused command ends
in one line naming the option and the file, exit 2, and leaves every file as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dialer.cli import main

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "record_id,contact_info,record_type,record_status,call_result,attempt,dial_sched_time,"
    "call_time,daily_from,daily_till,tz_dbid,chain_id,chain_n\n"
)


def campaign_text(list_file: str = "good.csv", dnc_file: str | None = None) -> str:
    """The smoke campaign dialing a list file (and a DNC file)."""
    text = (ROOT / "campaigns/smoke.yaml").read_text()
    text = text.replace("  size: 300", f"  file: {list_file}")
    if dnc_file:
        text = text.replace("\ndialing:", f"\ndnc: {{file: {dnc_file}}}\ndialing:")
    return text


def list_text(n: int = 40) -> str:
    return HEADER + "".join(f"{i},155500000{i:02d},2,1,0,0,,,,,,{i},0\n" for i in range(1, n + 1))


@pytest.fixture
def project(tmp_path, monkeypatch):
    """g.yaml dialing good.csv; gd.yaml the same with dnc.csv; the working folder."""
    (tmp_path / "g.yaml").write_text(campaign_text())
    (tmp_path / "gd.yaml").write_text(campaign_text(dnc_file="dnc.csv"))
    (tmp_path / "good.csv").write_text(list_text())
    (tmp_path / "dnc.csv").write_text("phone,customer_id\n15550000003,\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def files(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes (folders as None): the state to compare."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def refused(args: list[str], capsys) -> str:
    """Run the command; it must end in exit 2 and one line on stderr, nothing on stdout."""
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dialer: "), err
    assert "Traceback" not in err and out == ""
    return lines[0]


def unchanged(args: list[str], capsys, folder: Path) -> str:
    """Refused, and every file below ``folder`` as it was (nothing written, nothing replaced)."""
    before = files(folder)
    line = refused(args, capsys)
    assert files(folder) == before
    return line


# -- run ---------------------------------------------------------------------------------------


def test_run_two_outputs_in_one_file(project, capsys):
    line = unchanged(
        ["run", "g.yaml", "--list-out", "out.csv", "--dnc-out", "out.csv"], capsys, project
    )
    assert "--list-out out.csv and --dnc-out out.csv" in line and "different files" in line


@pytest.mark.parametrize(
    "campaign, option, target, named",
    [
        ("g.yaml", "--list-out", "g.yaml", "the campaign file g.yaml"),
        ("g.yaml", "--dnc-out", "good.csv", "the calling list good.csv"),
        ("g.yaml", "--dnc-out", "g.yaml", "the campaign file g.yaml"),
        ("gd.yaml", "--list-out", "dnc.csv", "the DNC list dnc.csv"),
        ("gd.yaml", "--list-out", "./sub/../dnc.csv", "the DNC list dnc.csv"),
    ],
)
def test_run_output_over_an_input(project, capsys, campaign, option, target, named):
    (project / "sub").mkdir()
    line = unchanged(["run", campaign, option, target], capsys, project)
    assert f"{option} {target}: would overwrite {named}" in line


def test_run_output_over_an_input_through_a_link(project, capsys):
    os.symlink("g.yaml", project / "link.yaml")
    line = unchanged(["run", "g.yaml", "--list-out", "link.yaml"], capsys, project)
    assert "--list-out link.yaml: would overwrite the campaign file g.yaml" in line


@pytest.mark.parametrize(
    "campaign, list_file, named",
    [
        ("campaign.yaml", "good.csv", "campaign.yaml would overwrite the campaign file"),
        ("c.yaml", "calls.csv", "calls.csv would overwrite the calling list"),
        ("c.yaml", "report.html", "report.html would overwrite the calling list"),
    ],
)
def test_run_out_folder_over_an_input(project, capsys, campaign, list_file, named):
    proj = project / "proj"
    proj.mkdir()
    (proj / campaign).write_text(campaign_text(list_file))
    (proj / list_file).write_text(list_text())
    line = unchanged(
        ["run", f"proj/{campaign}", "--set", "dialing.ratio=3", "--out", "proj"], capsys, project
    )
    assert line.startswith("dialer: --out proj: its ") and named in line


def test_run_list_out_inside_out(project, capsys):
    (project / "o").mkdir()
    line = unchanged(["run", "g.yaml", "--out", "o", "--list-out", "o/calls.csv"], capsys, project)
    assert "--out o and --list-out o/calls.csv: expected two different files" in line


@pytest.mark.parametrize("target", ["good.csv", "./good.csv", "sub/../good.csv"])
def test_run_list_out_over_its_own_list_is_allowed(project, capsys, target):
    """The documented workflow: the worked list written back over the one it read."""
    (project / "sub").mkdir()
    before = (project / "good.csv").read_text()
    assert main(["run", "g.yaml", "--list-out", target]) == 0, capsys.readouterr().err
    after = (project / "good.csv").read_text()
    assert after != before and after.splitlines()[0] == before.splitlines()[0]


def test_run_dnc_out_over_its_own_dnc_file_is_allowed(project, capsys):
    """The DNC file with the run's requests appended, its own rows kept byte for byte."""
    before = (project / "dnc.csv").read_text()
    args = ["run", "gd.yaml", "--dnc-out", "dnc.csv", "--set", "population.dnc_request=0.3"]
    assert main(args) == 0, capsys.readouterr().err
    after = (project / "dnc.csv").read_text()
    assert len(after.splitlines()) > len(before.splitlines()) and "15550000003" in after


def test_centre_out_over_a_campaign_file_it_names(project, capsys):
    cen = project / "cen"
    cen.mkdir()
    text = (ROOT / "campaigns/east-centre.yaml").read_text()
    assert "campaign: b2c-renewals.yaml" in text
    (cen / "centre.yaml").write_text(text.replace("b2c-renewals.yaml", "campaign.yaml"))
    (cen / "campaign.yaml").write_text((ROOT / "campaigns/b2c-renewals.yaml").read_text())
    line = unchanged(["run", "cen/centre.yaml", "--out", "cen"], capsys, project)
    assert (
        "--out cen: its campaign.yaml would overwrite the campaign file cen/campaign.yaml" in line
    )


@pytest.mark.parametrize(
    "command",
    [
        ["compare", "proj/campaign.yaml", "--modes", "power,progressive", "--out", "proj"],
        ["plan", "proj/campaign.yaml", "--deadline-s", "600", "--out", "proj"],
    ],
    ids=["compare", "plan"],
)
def test_compare_and_plan_out_over_the_campaign(project, capsys, command):
    proj = project / "proj"
    proj.mkdir()
    (proj / "campaign.yaml").write_text(campaign_text())
    (proj / "good.csv").write_text(list_text())
    line = unchanged(command, capsys, project)
    assert "--out proj: its campaign.yaml would overwrite the campaign file" in line


# -- make-list ---------------------------------------------------------------------------------


def test_make_list_two_outputs_in_one_file(project, capsys):
    line = unchanged(
        ["make-list", str(ROOT / "campaigns/b2c-renewals.yaml"), "--out", "x.csv"]
        + ["--dnc-out", "x.csv"],
        capsys,
        project,
    )
    assert "--out x.csv and --dnc-out x.csv: expected two different files" in line


def test_make_list_over_the_campaign(project, capsys):
    line = unchanged(["make-list", "g.yaml", "--out", "g.yaml"], capsys, project)
    assert "--out g.yaml: would overwrite the campaign file g.yaml" in line


def test_make_list_over_the_campaigns_own_list_is_allowed(project, capsys):
    """make-list writes the files the campaign names: that is what it is for."""
    assert main(["make-list", "gd.yaml", "--out", "good.csv", "--dnc-out", "dnc.csv"]) == 0
    assert (project / "good.csv").read_text() != list_text()


# -- fit ---------------------------------------------------------------------------------------


@pytest.fixture
def results(project, capsys):
    """R: a `dialer run --out` folder."""
    assert main(["run", "g.yaml", "--out", "R"]) == 0
    capsys.readouterr()
    return project / "R"


@pytest.mark.parametrize(
    "records, extra, message",
    [
        (
            ["R"],
            ["--out", "R/calls.csv"],
            "--out R/calls.csv: would overwrite the records R/calls.csv",
        ),
        (
            ["R"],
            ["--out", "f.yaml", "--report", "R"],
            "--report R: its campaign.yaml would overwrite the records R/campaign.yaml",
        ),
        (
            ["R/calls.csv"],
            ["--out", "f.yaml", "--report", "R"],
            "--report R: expected a folder apart from the records R/calls.csv",
        ),
        (
            ["R/calls.csv", "R/agent_states.csv"],
            ["--out", "R/agent_states.csv"],
            "--out R/agent_states.csv: would overwrite the records R/agent_states.csv",
        ),
        (
            ["R"],
            ["--out", "fit/campaign.yaml", "--report", "fit"],
            "--out fit/campaign.yaml and --report fit: expected two different files",
        ),
    ],
)
def test_fit_outputs_over_the_records(results, project, capsys, records, extra, message):
    if "fit" in extra:
        (project / "fit").mkdir()
    line = unchanged(["fit", *records, "--format", "dialer", *extra], capsys, project)
    assert message in line, line


def test_fit_report_without_the_records_settings_is_still_refused(results, project, capsys):
    (results / "campaign.yaml").unlink()
    line = unchanged(
        ["fit", "R", "--format", "dialer", "--out", "f.yaml", "--report", "R"], capsys, project
    )
    assert "--report R: expected a folder apart from the records R" in line


def test_fit_out_over_the_mapping(project, capsys):
    (project / "log.csv").write_text("dialed_at,status\n2026-01-01 10:00:00,person\n")
    (project / "map.yaml").write_text("columns: {dialed_at: dialed_at}\n")
    line = unchanged(
        ["fit", "log.csv", "--format", "csv", "--mapping", "map.yaml", "--out", "map.yaml"],
        capsys,
        project,
    )
    assert "--out map.yaml: would overwrite the mapping map.yaml" in line


def test_fit_report_in_a_new_folder_beside_the_records_is_allowed(results, project, capsys):
    args = ["fit", "R", "--format", "dialer", "--out", "R/fitted.yaml"]
    assert main(args + ["--report", "R/fit", "--replications", "0"]) == 0
    assert (results / "fitted.yaml").is_file() and (results / "fit/fit.json").is_file()


@pytest.mark.parametrize(
    "report, message",
    [
        ("taken.txt", "--report taken.txt: expected a folder for results, found a file"),
        ("taken.txt/rep", "--report taken.txt/rep: cannot create the results folder"),
    ],
)
def test_fit_report_unwritable_writes_no_campaign(results, project, capsys, report, message):
    """--report is checked (its folder made) before --out is written."""
    (project / "taken.txt").write_text("x")
    line = unchanged(
        ["fit", "R", "--format", "dialer", "--replications", "0", "--out", "f.yaml"]
        + ["--report", report],
        capsys,
        project,
    )
    assert message in line


def test_fit_stopped_during_validation_leaves_nothing(results, project, capsys, monkeypatch):
    """A fit stopped (Ctrl-C) while it validates: no campaign, and the report folder it made,
    with its parents, is gone."""
    import dialer.fit.validation

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dialer.fit.validation, "validate", stop)
    before = files(project)
    args = ["fit", "R", "--format", "dialer", "--out", "f.yaml", "--report", "new/rep"]
    assert main(args) == 130
    assert "interrupted" in capsys.readouterr().err
    assert files(project) == before


# -- the command line's own errors: one line too ---------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "g.yaml", "--seed", "abc"], "run: argument --seed: invalid int value: 'abc'"),
        (
            ["plan", "g.yaml", "--deadline-s", "8h"],
            "plan: argument --deadline-s: expected a number",
        ),
        (
            ["make-list", "g.yaml", "--out", "x.csv", "--chain-share", "lots"],
            "make-list: argument --chain-share: invalid float value: 'lots'",
        ),
        (["plan", "g.yaml"], "plan: the following arguments are required: --deadline-s"),
        (["run", "g.yaml", "--bogus"], "run: unrecognized arguments: --bogus"),
        (
            ["fit", "R", "--format", "xml", "--out", "f.yaml"],
            "fit: argument --format: invalid choice",
        ),
        (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
    ],
)
def test_argument_errors_are_one_line(project, capsys, args, message):
    line = unchanged(args, capsys, project)
    assert line.startswith(f"dialer: {message}"), line


def test_help_still_shows_the_usage(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: dialer run") and "--list-out FILE" in out


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_fit_replications_must_be_a_count(results, project, capsys, value):
    line = unchanged(
        ["fit", "R", "--format", "dialer", "--out", "f.yaml", "--report", "rep"]
        + ["--replications", value],
        capsys,
        project,
    )
    assert (
        line == f"dialer: fit: argument --replications: expected a whole number >= 0, got '{value}'"
    )


# -- run --out: all or nothing -----------------------------------------------------------------


def stop_after_calls(monkeypatch, n: int = 10) -> None:
    """`dialer run` is stopped by SIGTERM after ``n`` calls (records half streamed)."""
    import signal

    import dialer.experiments.run
    from dialer.experiments.pool import Stopped

    real = dialer.experiments.run.simulate

    def simulate(campaign, **kwargs):
        calls = []

        def on_call(call):
            calls.append(call)
            if len(calls) == n:
                raise Stopped(signal.SIGTERM)

        return real(campaign, on_call=on_call, **kwargs)

    monkeypatch.setattr(dialer.experiments.run, "simulate", simulate)


def test_run_stopped_removes_the_out_folder_it_made(project, capsys, monkeypatch):
    stop_after_calls(monkeypatch)
    before = files(project)
    assert main(["run", "g.yaml", "--out", "new/o"]) == 143
    assert "stopped by SIGTERM" in capsys.readouterr().err
    assert files(project) == before  # neither new/o nor new


def test_run_stopped_keeps_an_existing_out_folder_as_it_was(project, capsys, monkeypatch):
    assert main(["run", "g.yaml", "--out", "o"]) == 0
    (project / "o/notes.txt").write_text("mine")
    before = files(project)
    stop_after_calls(monkeypatch)
    assert main(["run", "g.yaml", "--seed", "9", "--out", "o"]) == 143
    assert files(project) == before  # the earlier results whole, no temporary file or folder


def test_run_out_with_a_folder_in_place_of_a_file_is_refused_up_front(project, capsys):
    (project / "o/report.html").mkdir(parents=True)
    line = unchanged(["run", "g.yaml", "--out", "o"], capsys, project)
    assert line == "dialer: --out o: expected o/report.html to be a file or absent, found a folder"


def test_run_failing_at_the_end_leaves_no_out_folder(project, capsys, monkeypatch):
    """A run whose last file cannot be written (here the report) leaves no half folder."""
    import dialer.reports.render

    def broken(folder, images=False):
        raise OSError(28, "No space left on device", str(folder))

    monkeypatch.setattr(dialer.reports.render, "write_report", broken)
    before = files(project)
    assert main(["run", "g.yaml", "--out", "o"]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert files(project) == before


def test_run_stopped_by_a_real_sigterm(tmp_path):
    """The whole process: SIGTERM while the run streams its records; no o/ left."""
    import signal
    import subprocess
    import sys
    import time

    command = [sys.executable, "-m", "dialer", "run", str(ROOT / "campaigns/b2c-renewals.yaml")]
    command += ["--set", "calling_list.size=null", "--set", "horizon_s=2592000", "--out", "o"]
    proc = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list((tmp_path / "o").rglob(".calls.csv.*")):  # streaming the records
            assert proc.poll() is None and time.monotonic() < deadline, "the run never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert err.strip() == "dialer: stopped by SIGTERM"
    assert list(tmp_path.iterdir()) == []


# -- modes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["compare", "g.yaml", "--modes", "progresive,power"],
            "--modes: expected modes among preview, progressive, power, predictive, optimized, "
            "adaptive, threshold, got 'progresive' (did you mean 'progressive'?)",
        ),
        (
            ["compare", "g.yaml", "--modes", "power,power_ivr"],
            "got 'power_ivr' (an agentless IVR mode)",
        ),
        (
            ["plan", "g.yaml", "--deadline-s", "600", "--modes", "power_ivr"],
            "--modes: 'power_ivr' is an agentless IVR mode (plan sizes agent groups); expected "
            "modes among preview, progressive, power, predictive, optimized, adaptive, threshold",
        ),
    ],
)
def test_modes_say_what_the_command_takes(project, capsys, args, message):
    line = unchanged(args, capsys, project)
    assert message in line and "not a dialing mode" not in line


def test_sweep_out_over_its_sweep_file(project, capsys):
    (project / "o").mkdir()
    (project / "o/campaign.yaml").write_text(
        f"campaign: {ROOT / 'campaigns/smoke.yaml'}\nreplications: 2\n"
        "factors:\n  dialing.mode: [power, progressive]\n"
    )
    line = unchanged(["sweep", "o/campaign.yaml", "--out", "o"], capsys, project)
    assert "--out o: its campaign.yaml would overwrite the sweep file o/campaign.yaml" in line
