"""Do-not-call requests during the day: agent-filed ones at once, outside ones at the OCS's next
re-read of the DNC table; violations counted from the call records."""

from __future__ import annotations

import copy
import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lists import list_campaign, read_rows, record, write_list

from conftest import CONSTANT_WORLD, event_log, make_campaign
from dialer.config import from_dict
from dialer.errors import InputError
from dialer.experiments.run import simulate
from dialer.lists.donotcall import DncRequests
from dialer.lists.listfile import phone_digits, read_dnc

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
EPOCH = int(START.timestamp())
BUSY_WORLD = copy.deepcopy(CONSTANT_WORLD)
BUSY_WORLD["start"] = "2026-03-02T10:00:00"
BUSY_WORLD["population"].update(human=0.0, busy=1.0)


def write_stamped_dnc(path: Path, rows: list[tuple[str, str, int | str]]) -> Path:
    """A DNC file (phone, customer_id, time_stamp) like the table's."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["phone", "customer_id", "time_stamp"])
        w.writerows(rows)
    return path


def opt_out_at_ten(tmp_path: Path, refresh):
    """Records 1 and 2 share a phone and are due at 10:05 and 10:11; the phone opts out from
    outside at 10:00, the run's start."""
    rows = [
        record(1, contact_info="1555 000 0001", dial_sched_time=EPOCH + 300),
        record(2, contact_info="(1555) 000-0001", dial_sched_time=EPOCH + 660),
    ]
    dnc = write_stamped_dnc(tmp_path / "dnc.csv", [("15550000001", "", EPOCH)])
    return list_campaign(
        write_list(tmp_path / "l.csv", rows),
        base=BUSY_WORLD,
        dnc=dnc,
        horizon_s=900,
        **{"dnc.refresh_s": refresh},
    )


def test_an_outside_opt_out_at_ten_reaches_the_ocs_at_its_next_reread(tmp_path):
    # refresh 600 s from 10:00: the OCS re-reads the table at 10:10. The number is dialed at
    # 10:05 (a violation, 300 s after the opt-out) and not at 10:11 (blocked, Do Not Call).
    log, calls, result = event_log(opt_out_at_ten(tmp_path, 600))
    assert log == [
        (0, "ready", "a-1"),
        (300, "reserved", "a-1"),
        (300, "dial", 1),
        (304, "verdict", 1),
        (304, "end", 1),
        (304, "ready", "a-1"),
    ]
    assert calls[0].opted_out == 300
    s = result.summary
    assert (s["dnc_violations"], s["dnc_blocked"]) == (1, 1)
    assert (s["dnc_requests"], s["dnc_requests_outside"], s["dnc_requests_by_agents"]) == (1, 1, 0)
    assert s["dnc_exposure_mean_s"] == 600
    assert s["records_finished_by_result"]["51"] == 1


@pytest.mark.parametrize(
    ("refresh", "dials", "violations", "exposure"), [(0, 0, 0, 0), (None, 2, 2, 900)]
)
def test_refresh_at_once_blocks_both_dials_and_never_blocks_none(
    tmp_path, refresh, dials, violations, exposure
):
    _, calls, result = event_log(opt_out_at_ten(tmp_path, refresh))
    s = result.summary
    assert (s["dials"], s["dnc_violations"], s["dnc_exposure_mean_s"]) == (
        dials,
        violations,
        exposure,
    )
    assert [c.opted_out for c in calls] == [300, 660][:dials]


def test_an_agent_filed_request_blocks_the_phone_the_customer_and_the_chain_at_once(tmp_path):
    # Record 1 (customer C1) is answered at 10 s and the person opts out at the end of the talk
    # (70 s). Record 2 (same phone, another chain), record 3 (another phone, customer C1) and
    # record 4 (record 1's chain) are never dialed; record 5 is.
    rows = [
        record(1, contact_info="15550000001", customer_id="C1", chain_id=1, chain_n=0),
        record(2, contact_info="15550000001", customer_id="C2", chain_id=2),
        record(3, contact_info="15550000003", customer_id="C1", chain_id=3),
        record(4, contact_info="15550000004", customer_id="C4", chain_id=1, chain_n=1),
        record(5, contact_info="15550000005", customer_id="C5", chain_id=5),
    ]
    for r in rows[1:]:
        r["dial_sched_time"] = EPOCH - 10 * 3600 + 100  # due at 100 s (00:01:40)
    c = list_campaign(
        write_list(tmp_path / "l.csv", rows),
        horizon_s=300,
        **{"population.dnc_request": 1.0},
    )
    out, dnc_out = tmp_path / "out.csv", tmp_path / "dnc-out.csv"
    calls = []
    result = simulate(c, on_call=calls.append, list_out=out, dnc_out=dnc_out)
    assert [(c.record.record_id, c.dialed_at) for c in calls] == [(1, 0.0), (5, 100.0)]
    assert calls[0].asked == 1 and calls[0].opted_out is None  # DNC_REQUEST, no violation
    s = result.summary
    assert (s["dnc_requests_by_agents"], s["dnc_violations"], s["dnc_blocked"]) == (2, 0, 2)
    written = {int(r["record_id"]): r for r in read_rows(out)}
    for rid in (1, 2, 3, 4):
        assert (written[rid]["record_type"], written[rid]["call_result"]) == ("7", "51"), rid
    # the DNC file written back: the two requests, phone digits, customer and time (UTC)
    assert [
        (r["phone"], r["customer_id"], r["dnc_message"], int(r["time_stamp"]) - (EPOCH - 10 * 3600))
        for r in read_rows(dnc_out)
    ] == [("15550000001", "C1", "agent", 70), ("15550000005", "C5", "agent", 170)]


MIXED = {
    "population.human": 0.5,
    "population.busy": 0.2,
    "population.no_answer": 0.3,
    "calling_list.max_attempts": 3,
    "treatments": {
        "busy": {"retry_after_s": 60, "retries": 2},
        "no_answer": {"retry_after_s": 120, "retries": 2, "then": "next_in_chain"},
    },
}
MODES = ["progressive", "power", "preview", "predictive"]


@st.composite
def shared_numbers(draw):
    """A list whose records share phones, customers and chains, worked by a random mode."""
    rows = [
        record(
            i,
            contact_info=f"1555000{draw(st.integers(0, 9)):04d}",
            customer_id=f"C{draw(st.integers(1, 8))}",
            chain_id=draw(st.integers(1, 12)),
            chain_n=draw(st.integers(0, 2)),
        )
        for i in range(1, draw(st.integers(2, 30)) + 1)
    ]
    settings_ = {
        "dialing.mode": draw(st.sampled_from(MODES)),
        "agents.groups.a.count": draw(st.integers(1, 4)),
        "population.dnc_request": draw(st.sampled_from([0.3, 0.7, 1.0])),
        "cpd.ports": draw(st.sampled_from([None, 1, 2])),
        "seed": draw(st.integers(0, 10_000)),
    }
    return rows, settings_


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shared_numbers())
def test_no_dial_reaches_a_number_after_an_agent_filed_request(tmp_path_factory, case):
    rows, dotted = case
    folder = tmp_path_factory.mktemp("agent-filed")
    c = list_campaign(write_list(folder / "l.csv", rows), horizon_s=3600, **MIXED, **dotted)
    calls = []
    simulate(c, on_call=calls.append)
    customer = {r["record_id"]: r["customer_id"] for r in rows}
    requests = [call for call in calls if call.asked == 1]  # DNC_REQUEST
    event(f"agent-filed requests: {min(len(requests), 3)}+")
    for asked in requests:
        t, rec = asked.ended_at, asked.record
        for call in calls:
            if call.dialed_at > t:
                other = call.record
                assert phone_digits(other.phone.encode()) != phone_digits(rec.phone.encode())
                assert customer[other.record_id] != customer[rec.record_id]
                assert other.chain_id != rec.chain_id
                assert call.opted_out is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mode=st.sampled_from(MODES),
    seed=st.integers(0, 10_000),
    per_hour=st.sampled_from([50, 400]),
    ports=st.sampled_from([None, 2]),
)
def test_no_violation_when_the_ocs_rereads_at_once(mode, seed, per_hour, ports):
    c = make_campaign(
        horizon_s=1800,
        seed=seed,
        **MIXED,
        **{
            "calling_list.size": 60,
            "dialing.mode": mode,
            "agents.groups.a.count": 3,
            "dnc.requests_per_hour": per_hour,
            "dnc.refresh_s": 0,
            "population.dnc_request": 0.2,
            "cpd.ports": ports,
        },
    )
    s = simulate(c).summary
    assert s["dnc_violations"] == 0
    assert s["dnc_requests_outside"] > 0 or per_hour * 0.5 < 3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(5, 30),
    seed=st.integers(0, 10_000),
    per_hour=st.sampled_from([20, 100, 400]),
    times=st.lists(st.integers(0, 3599), min_size=30, max_size=30, unique=True),
)
def test_violations_do_not_decrease_as_the_refresh_lengthens(
    tmp_path_factory, n, seed, per_hour, times
):
    # Every record is due at its own time and a free agent dials it then (or the DNC check stops
    # it), so a longer refresh (on nested grids) can only expose more dials. The outside
    # opt-outs come from their own stream: the same ones at every refresh (paired).
    folder = tmp_path_factory.mktemp("refresh")
    epoch0 = EPOCH - 10 * 3600
    rows = [record(i + 1, dial_sched_time=epoch0 + times[i]) for i in range(n)]
    path = write_list(folder / "l.csv", rows)
    seen = []
    for refresh in (0, 300, 600, 1800, 3600, None):
        c = list_campaign(
            path,
            base=BUSY_WORLD | {"start": "2026-03-02T00:00:00"},
            horizon_s=3600,
            seed=seed,
            **{
                "agents.groups.a.count": 30,
                "dnc.requests_per_hour": per_hour,
                "dnc.refresh_s": refresh,
            },
        )
        s = simulate(c).summary
        seen.append(s["dnc_violations"])
        assert s["dnc_violations"] + s["dnc_blocked"] <= n
    assert seen[0] == 0
    assert seen == sorted(seen), seen
    event(f"violations with no re-read: {min(seen[-1], 3)}+")


def test_outside_opt_outs_are_the_same_in_every_mode_and_setting():
    base = make_campaign(horizon_s=3600, **{"calling_list.size": 500, "dnc.requests_per_hour": 60})
    runs = [
        simulate(base.override({"dialing.mode": m, "agents.groups.a.count": k})).summary
        for m, k in (("progressive", 1), ("power", 3))
    ]
    assert runs[0]["dnc_requests_outside"] == runs[1]["dnc_requests_outside"] > 30


def test_the_dnc_table_and_the_ocs_memory():
    t = DncRequests(600)
    t.add(0.0, b"1", b"", "outside")
    t.add(650.0, b"2", b"C", "outside")
    t.add(100.0, b"3", b"", "agent")
    assert [t.reread_after(x) for x in (0.0, 600.0, 601.0)] == [600, 600, 1200]
    assert not t.honoured(b"1", b"", 599.9) and t.honoured(b"1", b"", 600.0)
    assert t.opted_out_at(b"1", b"", 599.9) == 0.0 and t.opted_out_at(b"2", b"", 600) is None
    assert t.honoured(b"9", b"C", 1200.0) and not t.honoured(b"9", b"C", 1199.0)
    assert t.honoured(b"3", b"", 100.0) and t.opted_out_at(b"3", b"", 100.0) == 100.0
    assert DncRequests(None).reread_after(5.0) == float("inf")
    assert DncRequests(0).reread_after(5.0) == 5.0
    assert t.exposure_mean(0, 2000) == 575 and t.exposure_mean(0, 1000) == (600 + 350) / 2


def test_stamped_dnc_rows_are_in_force_before_the_start_and_opt_outs_after(tmp_path):
    path = write_stamped_dnc(
        tmp_path / "d.csv", [("1-555-0001", "", EPOCH - 1), ("15550002", "X", EPOCH), ("", "Y", "")]
    )
    dnc = read_dnc(str(path))
    now, later = dnc.as_of(EPOCH)
    assert now.phones == {b"15550001"} and now.customer_ids == {b"Y"}
    assert later == [(EPOCH, b"15550002", b"X")]


def test_dnc_out_keeps_the_source_bytes_and_adds_the_columns(tmp_path):
    src = tmp_path / "d.csv"
    src.write_bytes(b'phone,note\r\n"+1 555 0001","a, b"\r\n15550002,\r\n')
    c = make_campaign(
        horizon_s=600,
        **{
            "calling_list.size": 50,
            "dnc.file": str(src),
            "dnc.requests_per_hour": 600,
            "population.dnc_request": 1.0,
        },
    )
    out = tmp_path / "out.csv"
    result = simulate(c, dnc_out=out)
    text = out.read_bytes()
    assert text.startswith(
        b'phone,note,customer_id,dnc_message,time_stamp\r\n"+1 555 0001","a, b",,,\r\n'
        b"15550002,,,,\r\n"
    )
    rows = read_rows(out)[2:]
    s = result.summary
    assert len(rows) == s["dnc_requests"] > 0
    assert {r["dnc_message"] for r in rows} == {"agent", "outside"}
    stamps = [int(r["time_stamp"]) for r in rows]
    assert stamps == sorted(stamps) and stamps[0] >= EPOCH - 10 * 3600
    # read back, every request is in force from a later start
    again = read_dnc(str(out)).as_of(EPOCH)[0]
    assert len(again.phones) == 2 + len({r["phone"] for r in rows})


@pytest.mark.parametrize(
    ("dotted", "message"),
    [
        ({"population.dnc_request": 1.5}, "population.dnc_request: expected a number in [0, 1]"),
        ({"dnc.refresh_s": -1}, "dnc.refresh_s: expected a number >= 0"),
        (
            {"dnc.requests_per_hour": 5},
            "dnc.requests_per_hour: expected 0 with an endless list",
        ),
    ],
)
def test_bad_dnc_settings_are_one_line_each(dotted, message):
    with pytest.raises(InputError) as err:
        make_campaign(**dotted)
    assert str(err.value).startswith(message)


def test_a_dnc_request_share_needs_no_other_setting():
    assert from_dict({"population": {"dnc_request": 0.01}}).population.dnc_request == 0.01


def test_dialer_run_writes_the_dnc_file_back_and_refuses_a_missing_folder(tmp_path):
    from test_cli import SMOKE, dialer

    out = tmp_path / "dnc.csv"
    keys = ["--set", "dnc.requests_per_hour=200", "--set", "population.dnc_request=0.2"]
    r = dialer("run", SMOKE, *keys, "--set", "calling_list.size=500", "--dnc-out", str(out))
    assert r.returncode == 0, r.stderr
    assert "DNC requests (agents / outside) / violations" in r.stdout
    rows = read_rows(out)
    assert rows and {r["dnc_message"] for r in rows} == {"agent", "outside"}
    r = dialer("run", SMOKE, "--dnc-out", str(tmp_path / "no" / "dnc.csv"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--dnc-out" in r.stderr
