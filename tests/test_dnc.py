"""Do-not-call: no DNC phone or customer is ever dialed (Hypothesis over generated lists)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lists import list_campaign, read_rows, record, write_dnc, write_list

from dialer.experiments.run import simulate
from dialer.lists.listfile import phone_digits

FORMATS = ("1555000{:04d}", "+1 (555) 000-{:04d}", "1-555-000-{:04d}", "1.555.000.{:04d}")
WORLD = {
    "population.human": 0.3,
    "population.busy": 0.3,
    "population.no_answer": 0.4,
    "calling_list.max_attempts": 3,
    "horizon_s": 3600,
    "treatments": {
        "busy": {"retry_after_s": 120, "retries": 1, "then": "next_in_chain"},
        "no_answer": {"retry_after_s": 300, "retries": 1, "then": "next_in_chain"},
    },
}


def digits(number: int) -> str:
    return f"1555000{number:04d}"


@st.composite
def lists_and_dnc(draw):
    n = draw(st.integers(1, 40))
    rows = []
    for i in range(1, n + 1):
        rows.append(
            record(
                i,
                contact_info=draw(st.sampled_from(FORMATS)).format(draw(st.integers(0, 14))),
                customer_id=f"C{draw(st.integers(1, 10))}",
                chain_id=draw(st.integers(1, 15)),
                chain_n=draw(st.integers(0, 3)),
                record_status=draw(st.sampled_from([1, 1, 1, 1, 2, 3, 9])),
            )
        )
    dnc_numbers = draw(st.sets(st.integers(0, 14), max_size=8))
    dnc_phones = [draw(st.sampled_from(FORMATS)).format(x) for x in dnc_numbers]
    dnc_customers = sorted(
        draw(st.sets(st.sampled_from([f"C{k}" for k in range(1, 11)]), max_size=4))
    )
    mode = draw(st.sampled_from(["progressive", "power", "preview"]))
    return (
        rows,
        dnc_phones,
        dnc_customers,
        mode,
        draw(st.integers(1, 3)),
        draw(st.integers(0, 1000)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lists_and_dnc())
def test_no_dnc_phone_or_customer_is_ever_dialed(case):
    rows, dnc_phones, dnc_customers, mode, agents, seed = case
    with tempfile.TemporaryDirectory() as tmp:
        path = write_list(Path(tmp) / "l.csv", rows)
        dnc = write_dnc(Path(tmp) / "dnc.csv", dnc_phones, dnc_customers)
        c = list_campaign(
            path,
            dnc=dnc,
            seed=seed,
            **WORLD,
            **{"dialing.mode": mode, "agents.groups.a.count": agents},
        )
        calls = []
        out = Path(tmp) / "out.csv"
        result = simulate(c, on_call=calls.append, list_out=out)
        written = read_rows(out)
    barred_phones = {phone_digits(p.encode()).decode() for p in dnc_phones}

    def barred(row: dict) -> bool:
        return (
            phone_digits(row["contact_info"].encode()).decode() in barred_phones
            or row["customer_id"] in dnc_customers
        )

    by_id = {int(r["record_id"]): r for r in rows}
    for call in calls:
        assert not barred(by_id[call.record.record_id]), call.record.phone
    blocked = [r for r in written if (r["record_type"], r["call_result"]) == ("7", "51")]
    assert len(blocked) == result.summary["dnc_blocked"]
    assert all(barred(r) and r["record_status"] == "3" and r["attempt"] == "0" for r in blocked)
    assert result.summary["records_finished_by_result"].get("51", 0) == len(blocked)


def test_dnc_matches_by_phone_digits_and_by_customer_and_the_chain_moves_on(tmp_path):
    rows = [
        record(1, contact_info="+1 (555) 000-0001", chain_id=1),  # DNC phone, written 15550000001
        record(2, chain_id=1, chain_n=1),  # the same customer's other number: dialed
        record(3, customer_id="C-OPTOUT", chain_id=3),  # DNC customer
        record(4, customer_id="C-OPTOUT", chain_id=3, chain_n=1),  # its other number: also blocked
        record(5),
    ]
    path = write_list(tmp_path / "l.csv", rows)
    dnc = write_dnc(tmp_path / "dnc.csv", ["15550000001"], ["C-OPTOUT"])
    calls = []
    result = simulate(
        list_campaign(path, dnc=dnc, horizon_s=1000),
        on_call=calls.append,
        list_out=tmp_path / "out.csv",
    )
    assert sorted(c.record.record_id for c in calls) == [2, 5]
    assert result.summary["dnc_blocked"] == 3
    written = read_rows(tmp_path / "out.csv")
    assert [(r["record_type"], r["call_result"]) for r in written] == [
        ("7", "51"),
        ("2", "33"),
        ("7", "51"),
        ("7", "51"),
        ("2", "33"),
    ]


def test_a_dnc_file_also_bars_synthetic_numbers(tmp_path):
    from conftest import make_campaign

    dnc = write_dnc(tmp_path / "dnc.csv", ["+1 555 000 0000", "15550000002"])
    calls = []
    result = simulate(
        make_campaign(**{"dnc.file": str(dnc), "calling_list.size": 5, "horizon_s": 1000}),
        on_call=calls.append,
    )
    assert [c.record.phone for c in calls] == ["+15550000001", "+15550000003", "+15550000004"]
    assert result.summary["dnc_blocked"] == 2
