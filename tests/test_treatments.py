"""Treatments, sequences, chains and the Ofcom 72-hour rule on exact constant-time scenarios."""

from __future__ import annotations

from lists import list_campaign, read_rows, record, write_list

from conftest import event_log, make_campaign
from dialer.experiments.run import simulate
from dialer.lists.sources import Record
from dialer.lists.treatments import Treatments

EPOCH0 = 1772409600  # 2026-03-02T00:00:00 UTC, the start of CONSTANT_WORLD
ALL_BUSY = {"population.human": 0.0, "population.busy": 1.0}
BUSY_THEN_CHAIN = {
    "busy": {"retry_after_s": 1800, "increment_s": 300, "retries": 3, "then": "next_in_chain"}
}


def dials(calls):
    return [(c.record.record_id, c.dialed_at) for c in calls]


def test_busy_retries_at_30_35_40_minutes_then_next_in_chain(tmp_path):
    # Genesys' own example: busy -> retry in 30 min, 5 min more each time, 3 times, then the
    # chain's next number. Busy tones come 4 s after the dial, so each retry is due 4 s later.
    path = write_list(tmp_path / "l.csv", [record(1, chain_id=7), record(2, chain_id=7, chain_n=1)])
    c = list_campaign(
        path,
        **ALL_BUSY,
        horizon_s=9000,
        treatments=BUSY_THEN_CHAIN,
        **{"calling_list.max_attempts": 10},
    )
    out = tmp_path / "out.csv"
    calls = []
    result = simulate(c, on_call=calls.append, list_out=out)
    assert dials(calls) == [
        (1, 0.0),
        (1, 1804.0),
        (1, 3908.0),
        (1, 6312.0),  # +1800, +2100, +2400 after each busy
        (2, 6316.0),
        (2, 8120.0),  # the 4th busy moves the chain on at once; its own sequence
    ]
    assert [c.result for c in calls] == [6] * 6
    assert result.summary["records_finished_by_result"] == {"6": 1}
    first, second = read_rows(out)
    assert (
        first["record_status"],
        first["call_result"],
        first["attempt"],
        first["record_type"],
    ) == ("3", "6", "4", "3")
    assert first["dial_sched_time"] == str(EPOCH0 + 6312) and first["call_time"] == str(
        EPOCH0 + 6316
    )
    # the second number waits for its next retry: 8124 + 2100 s, the sequence kept in `treatments`
    assert (second["record_status"], second["attempt"], second["treatments"]) == (
        "1",
        "2",
        "busy:2",
    )
    assert second["dial_sched_time"] == str(EPOCH0 + 8124 + 2100)


def test_a_different_result_resets_the_sequence_and_max_attempts_ends_it():
    c = make_campaign(
        treatments={
            "busy": {"retry_after_s": 1800, "increment_s": 300, "retries": 3},
            "no_answer": {"retry_after_s": 600, "retries": 5},
        },
        **{"calling_list.max_attempts": 6},
    )
    t = Treatments(c)
    r = Record(0, 1, "15550000000", "UTC", 0, False)
    waits = []
    for result in ["busy", "busy", "no_answer", "busy", "busy", "busy"]:
        r.attempt += 1
        at, then = t.decide(r, result, 0.0)
        waits.append(at)
    # busy 1800, busy 2100; no_answer 600 (a new sequence); busy starts over at 1800, 2100;
    # the 6th attempt reaches max_attempts: done, whatever the sequence says
    assert waits == [1800, 2100, 600, 1800, 2100, None]
    r2 = Record(1, 2, "15550000001", "UTC", 0, False)
    for _ in range(4):
        r2.attempt += 1
        at, then = t.decide(r2, "busy", 0.0)
    assert (at, then) == (None, "finish")  # 4th busy: retries (3) used up
    assert t.decide(r2, "fax", 0.0) == (None, "finish")  # no treatment: finished


def test_a_contact_finishes_the_whole_chain(tmp_path):
    # Persons answer every dial: the first number of each chain connects and its other
    # numbers are finished undialed (status Updated, their call_result untouched).
    rows = [
        record(1, chain_id=1),
        record(2, chain_id=1, chain_n=1),
        record(3, chain_id=1, chain_n=2),
        record(4, chain_id=2),
    ]
    path = write_list(tmp_path / "l.csv", rows)
    out = tmp_path / "out.csv"
    calls = []
    result = simulate(list_campaign(path, horizon_s=1000), on_call=calls.append, list_out=out)
    assert [c.record.record_id for c in calls] == [1, 4]
    assert result.summary["records_finished_by_result"] == {"0": 2, "33": 2}
    assert result.summary["list_penetration"] == 1.0
    written = read_rows(out)
    assert [(r["record_status"], r["call_result"], r["attempt"]) for r in written] == [
        ("3", "33", "1"),
        ("3", "0", "0"),
        ("3", "0", "0"),
        ("3", "33", "1"),
    ]


def test_finish_without_next_in_chain_closes_the_chain_and_chain_order_is_chain_n(tmp_path):
    # chain_n, not the file order, says which number comes first; fax has no treatment
    # (finish), busy moves on.
    rows = [
        record(1, chain_id=5, chain_n=2),
        record(2, chain_id=5, chain_n=0),
        record(3, chain_id=5, chain_n=1),
    ]
    path = write_list(tmp_path / "l.csv", rows)
    c = list_campaign(
        path,
        **ALL_BUSY,
        horizon_s=1000,
        treatments={"busy": {"retries": 0, "then": "next_in_chain"}},
    )
    calls = []
    simulate(c, on_call=calls.append)
    assert [c.record.record_id for c in calls] == [2, 3, 1]
    c = list_campaign(path, **{"population.human": 0.0, "population.fax": 1.0}, horizon_s=1000)
    calls = []
    result = simulate(c, on_call=calls.append)
    assert [c.record.record_id for c in calls] == [2]
    assert result.summary["records_finished_by_result"] == {"0": 2, "17": 1}


def test_ofcom_no_repeat_call_within_72_hours_of_an_abandoned_one(tmp_path):
    # Power mode, one agent, ratio 3: two of every three persons are abandoned. The abandoned
    # treatment retries after 60 s; under Ofcom the number must wait 72 h instead.
    path = write_list(tmp_path / "l.csv", [record(i) for i in range(1, 7)])
    base = {
        "dialing.mode": "power",
        "dialing.ratio": 3.0,
        "horizon_s": 4 * 86400,
        "treatments": {
            "abandoned": {"retry_after_s": 60, "retries": 3},
            "dropped": {"retry_after_s": 60, "retries": 3},
        },
        "calling_list.max_attempts": 4,
    }
    for regime, gap in (("fcc", 60), ("ofcom", 72 * 3600)):
        calls = []
        simulate(list_campaign(path, **base, **{"compliance.regime": regime}), on_call=calls.append)
        abandoned = [c for c in calls if c.abandoned]
        assert abandoned
        for a in abandoned:
            later = [
                c.dialed_at
                for c in calls
                if c.record.phone == a.record.phone and c.dialed_at > a.dialed_at
            ]
            if later:
                assert min(later) >= a.ended_at + gap - 1e-6, (regime, a.call_id)
        redials = [c for c in calls if c.attempt > 1]
        assert redials  # the rule is exercised, not vacuous
        if regime == "fcc":
            assert (
                min(
                    c.dialed_at - a.ended_at
                    for c in redials
                    for a in abandoned
                    if a.record is c.record and c.attempt == a.attempt + 1
                )
                < 3600
            )


def test_a_finished_record_is_never_dialed_and_a_scheduled_one_waits(tmp_path):
    rows = [
        record(1, record_status=3, call_result=33, attempt=1),  # Updated: done
        record(2, record_type=7, call_result=51),  # NoCall
        record(3, attempt=5),  # out of attempts (max 5)
        record(4, dial_sched_time=EPOCH0 + 500, record_type=3, attempt=1),  # due at 500 s
        record(5),  # fresh
        record(6, dial_sched_time=EPOCH0 - 100, record_type=3, attempt=1),  # overdue: first
    ]
    path = write_list(tmp_path / "l.csv", rows)
    c = list_campaign(path, horizon_s=1000, **{"calling_list.max_attempts": 5})
    log, calls, result = event_log(c)
    assert [(c.record.record_id, c.dialed_at) for c in calls] == [(6, 0.0), (5, 80.0), (4, 500.0)]
    assert [c.attempt for c in calls] == [2, 1, 2]
    s = result.summary
    assert (s["records_total"], s["records_finished_at_start"], s["records_finished"]) == (6, 3, 3)
    assert s["list_penetration"] == 1.0
