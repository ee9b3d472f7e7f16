"""``dialer fit`` on bad input: one line per problem naming the file, row and column, exit 2, no
traceback and no campaign written; a CSV call log with a mapping; and the truth never read."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dialer.cli import main
from dialer.config import from_dict, load_campaign
from dialer.fit.campaign import fit_log, to_yaml
from dialer.fit.formats import read_records
from fit_fixtures import write_records

SMALL = {
    "name": "small",
    "seed": 4,
    "start": "2026-03-03T09:00:00",
    "site_timezone": "Europe/London",
    "horizon_s": 3600,
    "calling_list": {"size": None},
    "population": {
        "human": 0.3,
        "machine": 0.2,
        "busy": 0.05,
        "no_answer": 0.35,
        "fax": 0.02,
        "invalid": 0.08,
    },
    "cpd": {"amd": True, "amd_false_positive": 0.06, "amd_false_negative": 0.2},
    "agents": {"groups": [{"name": "team", "count": 6}]},
    "dialing": {"mode": "power", "ratio": 2.5},
}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return write_records(from_dict(SMALL), tmp_path_factory.mktemp("small"))


def fails(args: list[str], capsys) -> list[str]:
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("dialer: ") for line in lines)
    return lines


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as fh:
        r = list(csv.reader(fh))
    return r[0], r[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_a_missing_column_is_named_with_the_file_and_the_expected_columns(
    records, tmp_path, capsys
):
    header, rows = _rows(records / "calls.csv")
    j = header.index("cpd_verdict")
    bad = _write(
        tmp_path / "calls.csv", header[:j] + header[j + 1 :], [r[:j] + r[j + 1 :] for r in rows]
    )
    out = tmp_path / "x.yaml"
    (line,) = fails(["fit", str(bad), "--format", "dialer", "--out", str(out)], capsys)
    assert str(bad) in line and "missing column cpd_verdict" in line
    assert "record_id, attempt, dialed_at_s, cpd_verdict" in line  # what it needs
    assert not out.exists()
    vlog = _write(
        tmp_path / "vicidial_log.csv", ["lead_id", "status", "length_in_sec"], [["1", "NA", "30"]]
    )
    (line,) = fails(["fit", str(vlog), "--format", "vicidial", "--out", str(out)], capsys)
    assert str(vlog) in line and "missing columns call_date, start_epoch, end_epoch, user" in line


def test_an_empty_file(tmp_path, capsys):
    empty = tmp_path / "vicidial_log.csv"
    empty.write_text("")
    (line,) = fails(
        ["fit", str(empty), "--format", "vicidial", "--out", str(tmp_path / "x.yaml")], capsys
    )
    assert line == f"dialer: {empty}: expected a header row of column names, got an empty file"
    header_only = _write(tmp_path / "log.csv", ["dialed_at", "status"], [])
    (line,) = fails(
        ["fit", str(header_only), "--format", "csv", "--out", str(tmp_path / "x.yaml")], capsys
    )
    assert "expected at least one row below the header, got none" in line


def test_times_out_of_order(records, tmp_path, capsys):
    header, rows = _rows(records / "calls.csv")
    i = next(k for k, r in enumerate(rows) if r[header.index("ended_at_s")])
    rows[i][header.index("ended_at_s")] = "0.000"
    rows[i][header.index("dialed_at_s")] = "100.000"
    for col in ("answered_at_s", "connected_at_s", "verdict_at_s"):
        if col in header:
            rows[i][header.index(col)] = ""
    bad = _write(tmp_path / "calls.csv", header, rows)
    (line,) = fails(
        ["fit", str(bad), "--format", "dialer", "--out", str(tmp_path / "x.yaml")], capsys
    )
    assert f"{bad} row {i + 2}: ended_at_s: expected a time at or after dialed_at_s (100)" in line
    assert "times out of order" in line
    vlog = _write(
        tmp_path / "vicidial_log.csv",
        ["lead_id", "call_date", "start_epoch", "end_epoch", "length_in_sec", "status", "user"],
        [["7", "2026-05-11 09:00:00", "1778490000", "1778489990", "0", "NA", "VDAD"]],
    )
    (line,) = fails(
        ["fit", str(vlog), "--format", "vicidial", "--out", str(tmp_path / "x.yaml")], capsys
    )
    assert "row 2: end_epoch: expected a time at or after start_epoch" in line


def test_a_status_column_with_nothing_that_maps_to_an_answer(tmp_path, capsys):
    log = _write(
        tmp_path / "log.csv",
        ["when", "result"],
        [
            ["2026-05-11 09:00:00", "NOANS"],
            ["2026-05-11 09:00:05", "BUSY"],
            ["2026-05-11 09:01:00", "NOANS"],
        ],
    )
    out = str(tmp_path / "x.yaml")
    base = [
        "fit",
        str(log),
        "--format",
        "csv",
        "--out",
        out,
        "--column",
        "dialed_at=when",
        "--column",
        "status=result",
    ]
    (line,) = fails(base, capsys)
    assert "expected statuses that map to outcomes, got none that do (NOANS (2), BUSY (1))" in line
    (line,) = fails(base + ["--status", "NOANS=no_answer", "--status", "BUSY=busy"], capsys)
    assert (
        "expected calls that something answered" in line and "no status maps to an answer" in line
    )
    (line,) = fails(base + ["--status", "NOANS=nobody"], capsys)
    assert "NOANS: expected an outcome among person, abandoned" in line
    (line,) = fails(
        ["fit", str(log), "--format", "csv", "--out", out, "--column", "dial_at=when"], capsys
    )
    assert "dial_at: unknown field (did you mean 'dialed_at'?)" in line
    (line,) = fails(["fit", str(log), "--format", "csv", "--out", out], capsys)
    assert "missing dialed_at (column 'dialed_at'), status (column 'status')" in line


def test_a_csv_call_log_with_a_mapping_file(tmp_path):
    rows = []
    t = 0
    results = ["ANS", "NOANS", "NOANS", "VM", "BUSY", "ANS", "DROPPED", "NOANS", "SIT", "ANS"] * 30
    answered = 0
    for i, r in enumerate(results):
        t += 17
        talk = 60 + (i * 37) % 240 if r == "ANS" else ""
        agent = ""
        if r == "ANS":
            agent, answered = f"ag{answered % 5}", answered + 1
        when = f"2026-05-12T{9 + t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"
        rows.append([when, r, agent, talk, 28 if r == "NOANS" else ""])
    log = _write(
        tmp_path / "calls.csv", ["Start", "Disposition", "Agent", "TalkSec", "RingSec"], rows
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns: {dialed_at: Start, status: Disposition, agent: Agent, talk_s: TalkSec, duration_s: RingSec}\n"
        "statuses: {ANS: person, NOANS: no_answer, VM: machine, BUSY: busy, DROPPED: abandoned, SIT: invalid}\n"
        "site_timezone: Europe/Dublin\n"
    )
    out = tmp_path / "fitted.yaml"
    assert (
        main(["fit", str(log), "--format", "csv", "--mapping", str(mapping), "--out", str(out)])
        == 0
    )
    c = load_campaign(out)
    assert c.site_timezone == "Europe/Dublin"
    assert c.cpd.ring_timeout_s == 28
    assert c.agents.groups[0].count == 5
    talks = [r[3] for r in rows if r[1] == "ANS"]
    assert c.agents.groups[0].talk_time_s.mean == pytest.approx(sum(talks) / len(talks), rel=0.05)
    # persons are 3 in 10 dials among the valid ones (1 in 10 is SIT)
    assert c.population.invalid == pytest.approx(0.1)


def test_the_truth_is_never_read(records, tmp_path):
    """Scramble what only a simulator knows (truth, and abandoned: true persons only): the
    fitted campaign is the same to the byte."""
    header, rows = _rows(records / "calls.csv")
    fitted = to_yaml(fit_log(read_records([str(records)], "dialer")))
    jt, ja = header.index("truth"), header.index("abandoned")
    for k, r in enumerate(rows):
        r[jt] = ("human", "machine", "fax")[k % 3]
        r[ja] = str(k % 2)
    scrambled = tmp_path / "scrambled"
    scrambled.mkdir()
    _write(scrambled / "calls.csv", header, rows)
    for name in ("agent_states.csv", "campaign.yaml"):
        (scrambled / name).write_text((records / name).read_text())
    again = to_yaml(fit_log(read_records([str(scrambled)], "dialer")))
    strip = lambda text: text.replace(str(scrambled), "X").replace(str(records), "X")  # noqa: E731
    assert strip(again) == strip(fitted)


def _folder_copy(records: Path, into: Path, edit: dict[str, tuple[str, str]]) -> Path:
    """A copy of the records folder with a header name replaced in some files."""
    into.mkdir()
    for name in ("calls.csv", "agent_states.csv", "campaign.yaml"):
        text = (records / name).read_text()
        if name in edit:
            old, new = edit[name]
            head, _, rest = text.partition("\n")
            assert old in head.split(",")
            text = ",".join(new if c == old else c for c in head.split(",")) + "\n" + rest
        (into / name).write_text(text)
    return into


@pytest.mark.parametrize(
    "name, old, new",
    [
        ("calls.csv", "dialed_at_s", "dialled_at_s"),
        ("calls.csv", "cpd_verdict", "verdict"),
        ("agent_states.csv", "state", "stat"),
        ("agent_states.csv", "start_s", "start"),
    ],
)
@pytest.mark.parametrize("given", ["folder", "files", "renamed files"])
def test_a_results_folder_missing_a_column_names_it(
    records, tmp_path, capsys, name, old, new, given
):
    folder = _folder_copy(records, tmp_path / "R", {name: (old, new)})
    if given == "folder":
        paths = [str(folder)]
    else:
        paths = [str(folder / "calls.csv"), str(folder / "agent_states.csv")]
        if given == "renamed files":
            paths = [str(Path(p).rename(folder / f"x-{Path(p).name}")) for p in paths]
    bad = next(p for p in paths if p.endswith(name)) if given != "folder" else str(folder / name)
    out = tmp_path / "x.yaml"
    (line,) = fails(["fit", *paths, "--format", "dialer", "--out", str(out)], capsys)
    assert line.startswith(f"dialer: {bad}: missing column {old}; "), line
    assert not out.exists()


def test_a_bad_date_in_a_csv_log_is_one_line_per_row(tmp_path, capsys):
    log = _write(
        tmp_path / "log.csv",
        ["dialed_at", "status"],
        [["2026-13-01 10:00:00", "person"], ["2026-01-01 10:00:00", "person"], ["", "busy"]]
        + [["bad", "busy"]],
    )
    lines = fails(["fit", str(log), "--format", "csv", "--out", str(tmp_path / "x.yaml")], capsys)
    assert lines == [
        f'dialer: {log} row 2: dialed_at: expected a date and time "YYYY-MM-DD HH:MM:SS", '
        "got '2026-13-01 10:00:00'",
        f"dialer: {log} row 4: dialed_at: expected when the dial was placed, got nothing",
        f'dialer: {log} row 5: dialed_at: expected a date and time "YYYY-MM-DD HH:MM:SS", '
        "got 'bad'",
    ]


@pytest.mark.parametrize(
    "fmt, found",
    [
        ('"%Q"', "got '%Q' ('Q' is a bad directive in format '%Q')"),
        ('"%d/%m/%Y %"', "got '%d/%m/%Y %' (stray % in format '%d/%m/%Y %')"),
        ("12", "got 12"),
    ],
)
def test_a_bad_time_format_is_a_mapping_error(tmp_path, capsys, fmt, found):
    log = _write(tmp_path / "log.csv", ["dialed_at", "status"], [["02/03/2026 09:00:00", "person"]])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(f"time_format: {fmt}\n")
    args = ["fit", str(log), "--format", "csv", "--mapping", str(mapping)]
    (line,) = fails(args + ["--out", str(tmp_path / "x.yaml")], capsys)
    assert line == (
        f'dialer: {mapping}: time_format: expected a strptime format such as "%d/%m/%Y %H:%M:%S", '
        + found
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--mode", "powr"],
            "--mode: expected one of preview, progressive, power, predictive, optimized, adaptive, "
            "threshold, power_ivr, progressive_ivr, got 'powr' (did you mean 'power'?)",
        ),
        (["--set", "dialing.ratoi=2"], "--set dialing.ratoi: unknown key (did you mean 'ratio'?)"),
        (
            ["--set", "cpd.amd_false_positive=abc"],
            "--set cpd.amd_false_positive: expected a number in [0, 1], got 'abc'",
        ),
    ],
)
def test_a_bad_mode_or_key_is_named_with_its_option(records, tmp_path, capsys, args, message):
    out = tmp_path / "x.yaml"
    (line,) = fails(["fit", str(records), "--format", "dialer", "--out", str(out), *args], capsys)
    assert line == f"dialer: {message}"
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["vicidial", "csv"])
def test_a_folder_for_a_format_that_reads_files(records, tmp_path, capsys, fmt):
    out = str(tmp_path / "x.yaml")
    (line,) = fails(["fit", str(records), "--format", fmt, "--out", out], capsys)
    assert line.startswith(
        f"dialer: {records}: expected a file, got a folder: --format {fmt} reads"
    )
    assert "it holds calls.csv: this project's results are read with --format dialer" in line
    if fmt == "vicidial":
        assert "vicidial_log (columns lead_id, call_date" in line
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "vicidial_log.csv").write_text("lead_id\n")
    (line,) = fails(["fit", str(exports), "--format", fmt, "--out", out], capsys)
    assert line.endswith("; it holds vicidial_log.csv: give those files")
