"""List files: reading, lossless write-back, resume, make-list, and every bad row through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lists import GENESYS, list_campaign, read_rows, record, write_list

from dialer.config import load_campaign
from dialer.errors import InputError
from dialer.experiments.run import simulate
from dialer.lists.listfile import STATE, read_dnc, read_list
from dialer.lists.listfile import write_list as write_back

MIXED = {
    "population.human": 0.3,
    "population.machine": 0.1,
    "population.busy": 0.2,
    "population.no_answer": 0.3,
    "population.fax": 0.05,
    "population.invalid": 0.05,
}
TREATMENTS = {
    "busy": {"retry_after_s": 300, "retries": 3, "then": "next_in_chain"},
    "no_answer": {"retry_after_s": 600, "retries": 2, "then": "next_in_chain"},
    "invalid": {"retries": 0, "then": "next_in_chain"},
}


def dialer(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "dialer", *args], capture_output=True, text=True, cwd=cwd
    )


def test_quotes_crlf_bom_blank_lines_and_no_final_newline_survive_a_write_back(tmp_path):
    header = ",".join(GENESYS)
    lines = [
        "\ufeff" + header,
        '1,"+1 (555) 000-0001",1,2,1,0,0,,,28800,75600,,,,1,0,,,,,,,,"C1","Smith, John"',
        '2,15550000002,4,2,1,0,0,,,,,,,,1,1,,,,,,,,C2,"He said ""hi""\non two lines"',
        "",
        "3,15550000003,1,2,3,33,2,1772000000,1772000100,28800,75600,,,,3,0,,,,,,,,C3,plain",
    ]
    path = tmp_path / "l.csv"
    path.write_bytes("\r\n".join(lines).encode())  # CRLF, no newline after the last row
    lf = read_list(str(path))
    assert len(lf) == 3 and lf.rows.tolist() == [2, 3, 5]
    assert lf.contact_info.tolist() == [b"+1 (555) 000-0001", b"15550000002", b"15550000003"]
    assert lf.customer_id.tolist() == [b"C1", b"C2", b"C3"]
    assert lf.daily_from.tolist() == [28800, -1, 28800] and lf.tz_dbid.tolist() == [-1, -1, -1]
    out = tmp_path / "out.csv"
    write_back(lf, {}, str(out))
    assert out.read_bytes() == path.read_bytes()
    write_back(lf, {1: {"attempt": 7, "call_result": 6}, 2: {"record_status": 1}}, str(out))
    got = out.read_bytes().decode().split("\r\n")
    assert got[0] == lines[0] and got[1] == lines[1] and got[3] == ""
    assert got[2] == lines[2].replace(",1,0,0,,,,,", ",1,6,7,,,,,", 1)
    assert got[4] == lines[4].replace(",3,33,2,", ",1,33,2,", 1) and not out.read_bytes().endswith(
        b"\n"
    )


def test_round_trip_keeps_every_row_and_column_and_finished_records_are_not_dialed_again(tmp_path):
    rows = [
        record(
            i,
            chain_id=(i + 1) // 2,
            chain_n=(i + 1) % 2,
            tz_dbid=1 + i % 2,
            first_name=f"Müller, {i}",
        )
        for i in range(1, 401)
    ]
    path = write_list(tmp_path / "day1.csv", rows)
    zones = {"calling_list.time_zones": {1: "America/New_York", 2: "America/Chicago"}}
    c = list_campaign(
        path,
        **MIXED,
        **zones,
        treatments=TREATMENTS,
        horizon_s=1800,
        **{"agents.groups.a.count": 3, "dialing.mode": "power", "calling_list.max_attempts": 4},
    )
    out = tmp_path / "day2.csv"
    calls = []
    result = simulate(c, on_call=calls.append, list_out=out)
    before, after = read_rows(path), read_rows(out)
    assert len(after) == len(before) and list(after[0]) == list(before[0])
    business = [k for k in before[0] if k not in STATE and k != "treatments"]
    assert all(a[k] == b[k] for a, b in zip(after, before) for k in business)
    changed = {a["record_id"] for a, b in zip(after, before) if a != b}
    dialed = {str(x.record.record_id) for x in calls}
    assert dialed <= changed
    old, new = path.read_bytes().splitlines(), out.read_bytes().splitlines()
    assert [o for o, n in zip(old, new) if o == n] == [
        o for o, r in zip(old, [None, *before]) if r is None or r["record_id"] not in changed
    ]
    finished = {r["record_id"] for r in after if r["record_status"] == "3"}
    assert len(finished) == result.summary["records_finished"] > 20
    assert int(sum(int(r["attempt"]) for r in after)) == result.summary["dials"]
    # day 2 from the written list: no finished record is dialed again, open ones go on
    calls2 = []
    simulate(
        c.override({"calling_list.file": str(out), "start": "2026-03-03T00:00:00"}),
        on_call=calls2.append,
    )
    again = {str(x.record.record_id) for x in calls2}
    assert again and not again & finished
    first_attempts = {str(x.record.record_id): x.attempt for x in calls2}
    left = {r["record_id"]: int(r["attempt"]) for r in after}
    assert all(first_attempts[r] >= left[r] + 1 for r in again)


def test_make_list_writes_a_list_that_runs(tmp_path):
    camp = tmp_path / "c.yaml"
    camp.write_text(
        Path("campaigns/b2c-renewals.yaml").read_text().replace("size: 20000", "size: 500")
    )
    (tmp_path / "lists").mkdir()
    r = dialer(
        "make-list",
        str(camp),
        "--out",
        str(tmp_path / "lists/x.csv"),
        "--dnc-out",
        str(tmp_path / "lists/dnc.csv"),
        "--chain-share",
        "0.3",
    )
    assert r.returncode == 0, r.stderr
    assert (
        "file: lists/x.csv" in r.stdout
        and "time_zones: {1: America/New_York, 2: America/Chicago}" in r.stdout
    )
    lf = read_list(str(tmp_path / "lists/x.csv"), (1, 2))
    assert 500 < len(lf) < 700 and len(set(lf.chain_id.tolist())) == 500
    assert set(lf.tz_dbid.tolist()) == {1, 2} and set(lf.daily_from.tolist()) == {28800}
    dnc = read_dnc(str(tmp_path / "lists/dnc.csv"))
    assert 0 < len(dnc) < 40 and dnc.phones and dnc.customer_ids
    c = load_campaign(
        camp,
        {
            "calling_list.file": "lists/x.csv",
            "dnc.file": "lists/dnc.csv",
            "calling_list.time_zones": {1: "America/New_York", 2: "America/Chicago"},
        },
    )
    s = simulate(c).summary
    assert s["records_total"] == len(lf) and s["dials"] > 100 and s["dnc_blocked"] > 0


# -- bad input through the command line: one line, exit 2, row and column named ------------------

CAMPAIGN = """\
name: t
start: "2026-03-02T09:00:00"
horizon_s: 600
calling_list:
  file: lists/x.csv
  time_zones: {1: America/New_York, 2: America/Chicago}
dnc:
  file: lists/dnc.csv
"""


def _setup(
    tmp_path,
    rows=None,
    dnc_text="phone,customer_id\n15550000009,\n",
    columns=GENESYS,
    campaign=CAMPAIGN,
):
    (tmp_path / "lists").mkdir(exist_ok=True)
    write_list(
        tmp_path / "lists/x.csv",
        rows if rows is not None else [record(i, tz_dbid=1) for i in (1, 2, 3)],
        columns,
    )
    (tmp_path / "lists/dnc.csv").write_text(dnc_text)
    (tmp_path / "c.yaml").write_text(campaign)


BAD_LISTS = [
    (
        {"rows": [record(1, tz_dbid=1), record(2, contact_info="")]},
        "lists/x.csv row 3: contact_info: expected a phone number, got ''",
    ),
    (
        {"rows": [record(1, contact_info="555-CALL-NOW")]},
        "lists/x.csv row 2: contact_info: expected a phone number, got '555-CALL-NOW'",
    ),
    (
        {"rows": [record(1), record(2), record(3, record_status="x")]},
        "lists/x.csv row 4: record_status: expected a Genesys record_status 0-9, got 'x'",
    ),
    (
        {"rows": [record(1, tz_dbid=9)]},
        "lists/x.csv row 2: tz_dbid: expected a tz_dbid of calling_list.time_zones (1, 2) or empty for the site's zone (calling_list.unknown_tz_dbid can give other values a zone), got '9'",
    ),
    (
        {"rows": [record(1), record(1)]},
        "lists/x.csv row 3: record_id: expected a unique record id (row 2 has it too), got '1'",
    ),
    (
        {"rows": [record(1, daily_from=72000, daily_till=28800)]},
        "lists/x.csv row 2: daily_till: expected a time after daily_from (72000), got '28800'",
    ),
    (
        {"rows": [record(1, attempt="-1")]},
        "lists/x.csv row 2: attempt: expected an integer >= 0, got '-1'",
    ),
    (
        {"rows": [record(1, dial_sched_time="tomorrow")]},
        "lists/x.csv row 2: dial_sched_time: expected UTC seconds since 1970 or empty, got 'tomorrow'",
    ),
    (
        {"columns": [c for c in GENESYS if c != "chain_n"]},
        "lists/x.csv row 1: expected the Genesys calling-list column chain_n, got columns record_id",
    ),
    ({"rows": []}, "lists/x.csv: expected at least one record below the header, got none"),
    (
        {"dnc_text": "phone,customer_id\n15550000009,\nabc,\n"},
        "lists/dnc.csv row 3: phone: expected a phone number, got 'abc'",
    ),
    (
        {"dnc_text": "phone,customer_id\n,\n"},
        "lists/dnc.csv row 2: phone: expected a phone or a customer_id, got ''",
    ),
    (
        {"dnc_text": "number\n15550000009\n"},
        "lists/dnc.csv row 1: expected a column phone or customer_id (gsw_donotcall_list), got columns number",
    ),
    (
        {"campaign": CAMPAIGN.replace("lists/x.csv", "lists/east.csv")},
        "c.yaml: calling_list.file: no such file 'lists/east.csv'",
    ),
    (
        {"campaign": CAMPAIGN.replace("{1: America/New_York", "{1: America/NewYork")},
        "c.yaml: calling_list.time_zones.1: expected an IANA time zone",
    ),
]


@pytest.mark.parametrize("setup, message", BAD_LISTS, ids=lambda x: x if isinstance(x, str) else "")
def test_bad_list_rows_are_one_line_exit_2(tmp_path, setup, message):
    _setup(tmp_path, **setup)
    # `run` reads the files as `check` does; half the cases go through each
    command = "run" if BAD_LISTS.index((setup, message)) % 2 else "check"
    extra = ["--list-out", "lists/out.csv"] if command == "run" else []
    r = dialer(command, "c.yaml", *extra, cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dialer: "), r.stderr
    assert message in lines[0], lines[0]
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert not (tmp_path / "lists/out.csv").exists()


def test_wrong_field_count_names_the_row(tmp_path):
    _setup(tmp_path)
    with open(tmp_path / "lists/x.csv", "a") as fh:
        fh.write("9,15550000009,1\n")
    r = dialer("check", "c.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert (
        r.stderr.strip() == "dialer: lists/x.csv row 5: expected 25 fields as in the header, got 3"
    )


def test_many_bad_rows_are_capped(tmp_path):
    _setup(tmp_path, rows=[record(i, contact_info="x") for i in range(1, 30)])
    r = dialer("check", "c.yaml", cwd=tmp_path)
    lines = r.stderr.strip().splitlines()
    assert (
        r.returncode == 2
        and len(lines) == 11
        and lines[-1] == "dialer: lists/x.csv: 19 more problems not shown"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["run", "campaigns/smoke.yaml", "--list-out", "x.csv"],
            "--list-out: expected a campaign with calling_list.file",
        ),
        (
            ["run", "c.yaml", "--list-out", "nowhere/x.csv"],
            "--list-out nowhere/x.csv: no such folder 'nowhere'",
        ),
        (
            ["make-list", "campaigns/smoke.yaml", "--out", "nowhere/x.csv"],
            "--out nowhere/x.csv: no such folder",
        ),
        (
            [
                "make-list",
                "campaigns/smoke.yaml",
                "--out",
                "x.csv",
                "--set",
                "calling_list.size=null",
            ],
            "calling_list.size: expected a number of records to write, got null",
        ),
        (
            ["make-list", "campaigns/smoke.yaml", "--out", "x.csv", "--chain-share", "2"],
            "--chain-share: expected a share in [0, 1], got 2",
        ),
    ],
)
def test_bad_list_options(tmp_path, args, message):
    _setup(tmp_path)
    args = [str(Path.cwd() / a) if a.startswith("campaigns/") else a for a in args]
    r = dialer(*args, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, (
        r.stderr
    )
    assert not (tmp_path / "x.csv").exists()


def test_write_back_refuses_a_source_changed_during_the_run(tmp_path):
    path = write_list(tmp_path / "l.csv", [record(1)])
    lf = read_list(str(path))
    write_list(path, [record(1), record(2)])
    with pytest.raises(InputError, match="changed since the run read it"):
        write_back(lf, {}, str(tmp_path / "out.csv"))
    assert not (tmp_path / "out.csv").exists()
