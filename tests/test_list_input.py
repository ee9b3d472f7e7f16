"""Damaged list and DNC files: one line per problem, exit 2, no traceback, nothing written.

A list reaches the simulator from spreadsheets, database exports and file shares, so it can
be anything: a binary saved as .csv, Windows-1252 or UTF-16 text, old Mac line ends, a stray
quote, a field of a megabyte, a tz_dbid the campaign does not map. The hand-made cases below go
through the command line as a user meets them; the fuzz tests feed random bytes and random
mutations of valid files to the reader and to ``dialer check`` and accept only a clean result
or an :class:`InputError` whose every problem is one line.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lists import GENESYS, list_campaign, record, write_list

from conftest import CONSTANT_WORLD
from dialer import cli
from dialer.errors import InputError
from dialer.experiments.run import simulate
from dialer.lists import listfile
from dialer.lists.listfile import read_dnc, read_list

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
DNC = b"phone,customer_id\n15550000009,\n,C00003\n"


def dialer(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "dialer", *args], capture_output=True, text=True, cwd=cwd
    )


def list_bytes(rows: list[dict], columns=GENESYS, newline: str = "\n") -> bytes:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(columns), lineterminator=newline)
    w.writeheader()
    w.writerows(rows)
    return out.getvalue().encode()


GOOD = list_bytes(  # 13 records, the last with a quoted field of two lines (rows 14-15)
    [record(1, tz_dbid=1), record(2, tz_dbid=2), record(3)]
    + [record(i, tz_dbid=1 + i % 2, first_name=f"Name {i}") for i in range(4, 13)]
    + [record(13, first_name='Smith, "Jo"\non two lines')]
)


def with_field(row: int, column: str, value: bytes, text: bytes = GOOD) -> bytes:
    """``text`` with one field replaced (row as a spreadsheet numbers it)."""
    lines = text.split(b"\n")
    fields = lines[row - 1].split(b",")
    fields[GENESYS.index(column)] = value
    lines[row - 1] = b",".join(fields)
    return b"\n".join(lines)


# -- files that are not UTF-8 CSV text -----------------------------------------------------------

CP1252_BYTE, NUL_BYTE, O_QUOTE, OPEN_QUOTE = b"\xeb", b"\x00", b'O"', b'"Name 9'
CP1252 = with_field(7, "first_name", "Zoë".encode("cp1252"))
NUL = with_field(5, "first_name", b"Na\x00me")
CUT = GOOD.rstrip(b"\n") + b"\xc3"
STRAY = with_field(4, "first_name", b'O"Brien')
STRAYS = with_field(6, "first_name", b'Mc"Kay', STRAY)
UNCLOSED = with_field(9, "first_name", b'"Name 9')
NOT_TEXT = [  # (what, the file, the one line expected; "at" is the byte offset in the file)
    (
        "binary",
        b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 8,
        "x.csv row 1 (byte offset 7): expected a CSV text file in UTF-8, got a NUL byte (0x00) "
        "(binary data or a damaged file)",
    ),
    (
        "windows-1252",
        CP1252,
        f"x.csv row 7 (byte offset {CP1252.index(CP1252_BYTE)}): expected a CSV text file in UTF-8, "
        "got byte 0xEB, which is not UTF-8 (text in another encoding, such as Windows-1252? "
        "save it as CSV UTF-8)",
    ),
    (
        "nul",
        NUL,
        f"x.csv row 5 (byte offset {NUL.index(NUL_BYTE)}): expected a CSV text file in UTF-8, "
        "got a NUL byte (0x00) (binary data or a damaged file)",
    ),
    (
        "utf-16",
        GOOD.decode().encode("utf-16"),
        "x.csv: expected a CSV text file in UTF-8, got UTF-16 text (it starts with the "
        "byte-order mark FF FE); save it as CSV UTF-8",
    ),
    (
        "utf-16 without a byte-order mark",
        GOOD.decode().encode("utf-16-le"),
        "x.csv row 1 (byte offset 1): expected a CSV text file in UTF-8, got a NUL byte (0x00) "
        "(UTF-16 text? save it as CSV UTF-8)",
    ),
    (
        "old mac line ends",
        GOOD.replace(b"\n", b"\r"),
        "x.csv row 1: expected lines ending in \\n or \\r\\n, got a line end \\r alone "
        "(old Mac line ends? save it as CSV UTF-8)",
    ),
    (
        "a character cut at the end",
        CUT,
        f"x.csv row 14 (byte offset {len(CUT) - 1}): expected a CSV text file in UTF-8, "
        "got byte 0xC3, which is not UTF-8",
    ),
    (
        "a stray quote",
        STRAY,
        f"x.csv row 4 (byte offset {STRAY.index(O_QUOTE) + 1}): expected quotes only around a "
        'whole field (a quote inside a quoted field is written ""), got a quote inside a field '
        "that opens a quoted text running over 11 lines",  # to the quote of row 14
    ),
    (
        "two stray quotes that would merge rows 4 to 6 into one record",
        STRAYS,
        f"x.csv row 4 (byte offset {STRAYS.index(O_QUOTE) + 1}): expected quotes only around a "
        'whole field (a quote inside a quoted field is written ""), got a quote inside a field '
        "that opens a quoted text running over 3 lines",
    ),
    (
        "a quote never closed",
        UNCLOSED,
        f"x.csv row 9 (byte offset {UNCLOSED.index(OPEN_QUOTE)}): expected a closing quote "
        "for the field quoted here, got none before a comma or a line end: the quoted text runs "
        "over 6 lines",
    ),
    (
        "a huge customer_id",
        with_field(3, "customer_id", b"C" * 300_000),
        "x.csv row 3: customer_id: expected at most 255 bytes, got 300000",
    ),
    (
        "an attempt count its column cannot hold",
        with_field(2, "attempt", b"4294967296"),
        "x.csv row 2: attempt: expected an integer of at most 2147483647, got '4294967296'",
    ),
    (
        "a blank first line",
        b"\n" + GOOD,
        "x.csv row 1: expected a header row of column names, got a blank line",
    ),
]


@pytest.mark.parametrize("name, data, message", NOT_TEXT, ids=[c[0] for c in NOT_TEXT])
@pytest.mark.parametrize("which", ["x.csv", "dnc.csv"])
def test_a_file_that_is_not_utf8_csv_text_is_one_line_exit_2(tmp_path, name, data, message, which):
    """Through `check` and `run --out --list-out`: one line, exit 2, nothing written. The
    damaged list serves as a DNC file too (it has a customer_id column), all but its attempts."""
    if which == "dnc.csv" and "attempt" in name:
        pytest.skip("a DNC file has no attempt column")
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists/x.csv").write_bytes(data if which == "x.csv" else GOOD)
    (tmp_path / "lists/dnc.csv").write_bytes(data if which == "dnc.csv" else DNC)
    (tmp_path / "c.yaml").write_text(CAMPAIGN)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for command in (["check", "c.yaml"], ["run", "c.yaml", "--out", "res", "--list-out", "o.csv"]):
        r = dialer(*command, cwd=tmp_path)
        assert r.returncode == 2, r.stdout + r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"dialer: lists/{which}"), r.stderr
        assert message.replace("x.csv", which, 1) in lines[0], lines[0]
        assert "Traceback" not in r.stderr and r.stdout == ""
        assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


def test_the_dnc_file_has_the_same_checks(tmp_path):
    """The DNC reader shares the list reader's cutting and checks (its own header and columns)."""
    path = tmp_path / "dnc.csv"
    latin = DNC.replace(b"C00003", "Cé00003".encode("latin-1"))
    stray = DNC.replace(b",C00003", b',C"00003')
    for data, message in [
        (latin, f"dnc.csv row 3 (byte offset {latin.index(b'C') + 1}): expected a CSV text"),
        (stray, f"dnc.csv row 3 (byte offset {stray.index(b'C') + 1}): expected quotes"),
        (DNC.decode().encode("utf-16"), "dnc.csv: expected a CSV text file in UTF-8, got UTF-16"),
        (DNC + b"," + b"7" * 300 + b"\n", "dnc.csv row 4: customer_id: expected at most 255 bytes"),
    ]:
        path.write_bytes(data)
        with pytest.raises(InputError) as exc:
            read_dnc(str(path))
        assert len(exc.value.problems) == 1 and message in exc.value.problems[0]


def test_utf8_with_or_without_a_bom_and_crlf_read_the_same(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_bytes(GOOD)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.replace(b"\n", b"\r\n"))
    a, b = read_list(str(plain), (1, 2)), read_list(str(bom), (1, 2))
    assert same_list(a, b) and len(a) == 13


def test_utf8_text_in_business_columns_is_kept(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(with_field(3, "first_name", "Zoë Ångström 李".encode()))
    lf = read_list(str(path), (1, 2))
    out = tmp_path / "out.csv"
    listfile.write_list(lf, {0: {"attempt": 1}}, str(out))
    assert "Zoë Ångström 李" in out.read_text(encoding="utf-8")


def test_a_folder_a_pipe_and_an_unreadable_file(tmp_path):
    (tmp_path / "folder.csv").mkdir()
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "x.csv").write_bytes(GOOD)
    expected = {
        "folder.csv": "expected a CSV text file in UTF-8, got a folder",
        # reading a pipe would wait for a writer forever: it is refused before it is opened
        "pipe.csv": "expected a CSV text file in UTF-8, got a special file (a pipe or a device)",
    }
    code = "from dialer.lists.listfile import read_list\nread_list({!r})"
    for name, message in expected.items():
        r = subprocess.run(
            [sys.executable, "-c", code.format(name)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
        assert f"InputError: {name}: {message}" in r.stderr, r.stderr

    def no_permission(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    with (
        mock.patch.object(listfile, "open", no_permission, create=True),
        pytest.raises(InputError, match=r"x.csv: expected .*, got no permission to read it$"),
    ):
        read_list(str(tmp_path / "x.csv"))

    class FailingDisk(io.BufferedReader):
        def read(self, *args):
            raise OSError(5, "Input/output error")

    def failing_open(path, mode):
        return FailingDisk(io.FileIO(path, mode))

    (tmp_path / "y.csv").write_bytes(GOOD)
    with (
        mock.patch.object(listfile, "open", failing_open, create=True),
        pytest.raises(InputError, match=r"got an error reading it \(Input/output error\)$"),
    ):
        read_list(str(tmp_path / "y.csv"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission_through_the_cli(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists/x.csv").write_bytes(GOOD)
    (tmp_path / "lists/dnc.csv").write_bytes(DNC)
    (tmp_path / "c.yaml").write_text(CAMPAIGN)
    (tmp_path / "lists/x.csv").chmod(0)
    r = dialer("check", "c.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert (
        r.stderr.strip()
        == "dialer: lists/x.csv: expected a CSV text file in UTF-8, got no permission to read it"
    )


def test_a_stray_quote_in_a_large_list_is_reported_at_once(tmp_path, monkeypatch):
    """A stray quote used to make the reader re-count the whole growing chunk at each line (a
    million-row list ran for minutes) and then crash; now a chunk runs at most LONGEST bytes
    past its end. Small CHUNK and LONGEST stand in for 4 MB and 1 MB."""
    monkeypatch.setattr(listfile, "CHUNK", 256)
    monkeypatch.setattr(listfile, "LONGEST", 1024)
    rows = [record(i, tz_dbid=1) for i in range(1, 200)]
    path = tmp_path / "x.csv"
    path.write_bytes(with_field(3, "first_name", b'O"Brien', list_bytes(rows)))
    with pytest.raises(InputError) as exc:
        read_list(str(path), (1, 2))
    assert exc.value.problems == [
        f"{listfile.shown_path(str(path))} row 3 (byte offset {path.read_bytes().index(O_QUOTE) + 1}): "
        'expected quotes only around a whole field (a quote inside a quoted field is written ""), '
        "got a quote inside a field that opens a quoted text running over more than 1 MB"
    ]
    long = list_bytes([record(1, first_name="x" * 3000), record(2)])
    path.write_bytes(long)
    with pytest.raises(
        InputError, match=r"row 2 \(byte offset \d+\): expected a record of at most 1 MB"
    ):
        read_list(str(path))


# -- tz_dbid -------------------------------------------------------------------------------------


def test_an_unknown_tz_dbid_names_the_row_the_value_and_the_keys(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists/x.csv").write_bytes(with_field(3, "tz_dbid", b"999"))
    (tmp_path / "lists/dnc.csv").write_bytes(DNC)
    (tmp_path / "c.yaml").write_text(CAMPAIGN)
    r = dialer("check", "c.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stdout == ""
    assert r.stderr.splitlines() == [
        "dialer: lists/x.csv row 3: tz_dbid: expected a tz_dbid of calling_list.time_zones "
        "(1, 2) or empty for the site's zone (calling_list.unknown_tz_dbid can give other values "
        "a zone), got '999'"
    ]
    zones = "  time_zones: {1: America/New_York, 2: America/Chicago}\n"
    (tmp_path / "c.yaml").write_text(CAMPAIGN.replace(zones, ""))
    r = dialer("check", "c.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == (
        "dialer: lists/x.csv row 2: tz_dbid: expected an empty tz_dbid (the site's zone): "
        "calling_list.time_zones maps none, calling_list.unknown_tz_dbid is not set, got '1'"
    )
    (tmp_path / "c.yaml").write_text(
        CAMPAIGN.replace(zones, zones + "  unknown_tz_dbid: America/Los_Angeles\n")
    )
    r = dialer("check", "c.yaml", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("ok: c.yaml"), r.stderr


@pytest.mark.parametrize(
    "column, value",
    [("tz_dbid", b"America/Chicago"), ("tz_dbid", b"2.0"), ("record_id", b"abc")]
    + [("daily_till", b"9pm"), ("record_id", b"99999999999999999999")],
)
def test_a_bad_number_is_one_line_not_two(tmp_path, column, value):
    # the bad field is reported once; the checks across fields (a tz_dbid the campaign maps,
    # daily_till after daily_from, a record id given) do not read it again as a number
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists/x.csv").write_bytes(with_field(3, column, value))
    (tmp_path / "lists/dnc.csv").write_bytes(DNC)
    (tmp_path / "c.yaml").write_text(CAMPAIGN)
    r = dialer("check", "c.yaml", cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert f"row 3: {column}: expected an integer" in r.stderr or "seconds" in r.stderr
    assert repr(value.decode()) in r.stderr


def test_many_tz_dbid_keys_are_shortened(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(with_field(2, "tz_dbid", b"7"))
    with pytest.raises(InputError) as exc:
        read_list(str(path), tuple(range(100, 150)))
    assert (
        "(100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, ... (50 keys))"
        in (exc.value.problems[0])
    )


def _zones(campaign) -> dict[int, str]:
    """record_id -> zone, as the OCS files each record."""
    from dialer.clock import Calendar
    from dialer.lists.sources import FileList

    fl = FileList(campaign, Calendar(campaign.start, campaign.site_timezone, campaign.horizon_s))
    return {int(r): fl.classes[c].zone for r, c in zip(fl.lf.record_id, fl.cls)}


WEST = {
    **CONSTANT_WORLD,
    "site_timezone": "America/New_York",
    "start": "2026-03-02T08:00:00",
    "horizon_s": 4 * 3600,
    "compliance": {"legal_hours": True, "regime": "fcc"},
}


def test_unknown_tz_dbid_gives_unmapped_dbids_its_zone_and_keeps_their_legal_hours(tmp_path):
    """Record 2's tz_dbid 999 is not mapped: an error by default; with unknown_tz_dbid it is a
    Los Angeles record, so under the FCC's 08:00-21:00 it waits until 11:00 in New York."""
    path = write_list(tmp_path / "x.csv", [record(1, tz_dbid=1), record(2, tz_dbid=999), record(3)])
    zones = {"calling_list.time_zones": {1: "America/New_York"}}
    with pytest.raises(InputError, match="row 3: tz_dbid: .* got '999'"):
        simulate(list_campaign(path, copy.deepcopy(WEST), **zones))
    c = list_campaign(
        path,
        copy.deepcopy(WEST),
        **zones,
        **{"calling_list.unknown_tz_dbid": "America/Los_Angeles"},
    )
    assert _zones(c) == {1: "America/New_York", 2: "America/Los_Angeles", 3: "America/New_York"}
    dialed: dict[int, float] = {}
    simulate(c, on_call=lambda call: dialed.setdefault(call.record.record_id, call.dialed_at))
    assert dialed[1] < 600 and dialed[3] < 600  # New York (mapped, and empty = the site's zone)
    assert dialed[2] >= 3 * 3600  # 08:00 in Los Angeles


def test_unknown_tz_dbid_must_be_a_zone(tmp_path):
    path = write_list(tmp_path / "x.csv", [record(1)])
    with pytest.raises(
        InputError, match="calling_list.unknown_tz_dbid: expected an IANA time zone"
    ):
        list_campaign(path, **{"calling_list.unknown_tz_dbid": "America/LosAngeles"})


def test_a_tz_dbid_beyond_32_bits_keeps_its_own_zone(tmp_path):
    """Kept as int32, 4294967297 wrapped to 1 and took dbid 1's zone."""
    path = write_list(tmp_path / "x.csv", [record(1, tz_dbid=1), record(2, tz_dbid=4294967297)])
    big = {1: "America/New_York", 4294967297: "America/Los_Angeles"}
    c = list_campaign(path, copy.deepcopy(WEST), **{"calling_list.time_zones": big})
    assert _zones(c) == {1: "America/New_York", 2: "America/Los_Angeles"}


# -- fuzz: random bytes and random damage, through the reader and `dialer check` ----------------

TOKENS = [  # quotes, line ends and commas often: they move the record boundaries
    b'"', b'"', b'"', b'""', b',"', b'",', b'"\n', b",", b",", b"\n", b"\n", b"\r", b"\r\n",
    b"\x00", b"\xff", b"\xe9", b"\xc3", b"\xe2\x82", b"\xef\xbb\xbf", b"\xff\xfe", b" ", b"-1",
    b"999", b"4294967296", b"x" * 300, b"\t",
]  # fmt: skip
DNC_GOOD = DNC + b"+1 (555) 000-0002,C00004\n"


@st.composite
def damaged(draw, base: bytes) -> bytes:
    """``base`` with a few random insertions, deletions, overwrites or a truncation."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "overwrite", "truncate"]))
        at = draw(st.integers(0, len(data)))
        piece = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=8)))
        if op == "insert":
            data[at:at] = piece
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "overwrite":
            data[at : at + len(piece)] = piece
        else:
            del data[at:]
    return bytes(data)


def list_inputs():
    return st.one_of(st.binary(max_size=3000), damaged(GOOD), damaged(GOOD.replace(b"\n", b"\r\n")))


def dnc_inputs():
    return st.one_of(st.binary(max_size=1000), damaged(DNC_GOOD))


def outcome(read):
    """("ok", the result) or ("error", the problems); anything else fails the test."""
    try:
        return "ok", read()
    except InputError as exc:
        assert exc.problems, "an InputError with no problem"
        for line in exc.problems:
            assert len(line.splitlines()) == 1 and line.isprintable(), repr(line)
            assert line.startswith("x.csv"), line
        return "error", exc.problems


def same_list(a, b) -> bool:
    if len(a) != len(b) or a.columns != b.columns:
        return False
    for name in ("record_id", "contact_info", "record_type", "record_status", "call_result",
                 "attempt", "dial_sched_time", "call_time", "daily_from", "daily_till", "tz_dbid",
                 "chain_id", "chain_n", "customer_id", "treatments", "rows"):  # fmt: skip
        x, y = getattr(a, name), getattr(b, name)
        if (x is None) != (y is None) or (x is not None and not np.array_equal(x, y)):
            return False
    return True


CHUNKS = st.one_of(st.integers(1, 40), st.integers(41, 400))  # a line of GOOD is ~100 bytes
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=list_inputs(), chunk=CHUNKS, unknown_ok=st.booleans())
def test_fuzz_the_list_reader_gives_a_list_or_one_line_problems(data, chunk, unknown_ok):
    """Whatever the bytes, and however the file is cut into chunks (a small ``CHUNK`` puts
    chunk boundaries everywhere), the reader returns a list or InputError lines; and the same
    list, or an error, whatever the chunk size."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x.csv")
        Path(path).write_bytes(data)
        cwd = os.getcwd()
        os.chdir(d)  # messages show the path relative to the working folder: "x.csv ..."
        try:
            whole = outcome(lambda: read_list(path, (1, 2), unknown_ok))
            with mock.patch.object(listfile, "CHUNK", chunk):
                listfile._read_list.cache_clear()
                cut = outcome(lambda: read_list(path, (1, 2), unknown_ok))
        finally:
            os.chdir(cwd)
            listfile._read_list.cache_clear()
    assert whole[0] == cut[0], (whole, cut)
    if whole[0] == "ok":
        assert same_list(whole[1], cut[1])


@FUZZ
@given(data=dnc_inputs(), chunk=CHUNKS)
def test_fuzz_the_dnc_reader_gives_a_list_or_one_line_problems(data, chunk):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x.csv")
        Path(path).write_bytes(data)
        cwd = os.getcwd()
        os.chdir(d)
        try:
            whole = outcome(lambda: read_dnc(path))
            with mock.patch.object(listfile, "CHUNK", chunk):
                listfile._read_dnc.cache_clear()
                cut = outcome(lambda: read_dnc(path))
        finally:
            os.chdir(cwd)
            listfile._read_dnc.cache_clear()
    assert whole == cut if whole[0] == "ok" else whole[0] == cut[0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    list_data=st.one_of(st.just(GOOD), list_inputs()),
    dnc_data=st.one_of(st.just(DNC), dnc_inputs()),
)
def test_fuzz_dialer_check_prints_ok_or_one_line_per_problem(list_data, dnc_data):
    """``dialer check`` in-process: any other exception would escape ``main`` and fail here."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "lists").mkdir()
        (root / "lists/x.csv").write_bytes(list_data)
        (root / "lists/dnc.csv").write_bytes(dnc_data)
        (root / "c.yaml").write_text(CAMPAIGN)
        cwd = os.getcwd()
        os.chdir(root)
        out, err = io.StringIO(), io.StringIO()
        try:
            with mock.patch.object(sys, "stdout", out), mock.patch.object(sys, "stderr", err):
                code = cli.main(["check", "c.yaml"])
        finally:
            os.chdir(cwd)
            listfile._read_list.cache_clear()
            listfile._read_dnc.cache_clear()
    if code == 0:
        assert out.getvalue().startswith("ok: c.yaml") and err.getvalue() == ""
    else:
        assert code == 2 and out.getvalue() == ""
        lines = err.getvalue().splitlines()
        assert 1 <= len(lines) <= listfile.MAX_PROBLEMS + 1
        assert all(
            line.startswith(("dialer: lists/x.csv", "dialer: lists/dnc.csv")) for line in lines
        ), lines
