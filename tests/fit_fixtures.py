"""Records for the fit tests: a campaign with known parameters, run and written as a centre's
records (calls.csv, agent_states.csv, campaign.yaml), and a hand-made VICIdial export.

The round-trip campaign (``fit-roundtrip.yaml``) has numbers of its own (not the example
campaigns'), chosen so that every fitted quantity has a sample in the thousands.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from dialer.clock import Calendar
from dialer.config import dump_yaml, from_dict, load_yaml_mapping
from dialer.experiments.run import simulate
from dialer.records.files import RecordWriter

ROUNDTRIP_FILE = Path(__file__).parent / "fit-roundtrip.yaml"
ROUNDTRIP = load_yaml_mapping(ROUNDTRIP_FILE)


def write_records(campaign, folder: Path) -> Path:
    """Run ``campaign`` and write its records as ``dialer run --out`` does: calls.csv,
    agent_states.csv and the campaign (the centre's settings)."""
    folder.mkdir(parents=True, exist_ok=True)
    calendar = Calendar(campaign.start, campaign.site_timezone, campaign.horizon_s)
    writer = RecordWriter(folder, calendar, [g.name for g in campaign.agents.groups])
    try:
        simulate(campaign, writer=writer)
    except BaseException as exc:
        writer.abort(exc)
        raise
    writer.commit()
    (folder / "campaign.yaml").write_text(dump_yaml(campaign.to_dict()))
    return folder


def roundtrip_campaign():
    return from_dict(ROUNDTRIP)


# -- a hand-made VICIdial export -----------------------------------------------------------------

# status -> (calls, what VICIdial's documentation says it is, who set it)
VICIDIAL_MIX = {
    "NA": 120,  # No Answer AutoDial
    "B": 10,  # Busy (agent)
    "AB": 25,  # Busy Auto
    "DC": 6,  # Disconnected Number (agent)
    "ADC": 20,  # Disconnected Number Auto
    "A": 14,  # Answering Machine (agent)
    "AA": 45,  # Answering Machine Auto
    "AM": 5,  # Answering Machine SentToMesg
    "AFAX": 4,  # Fax Machine Auto
    "DROP": 6,  # Agent Not Available
    "N": 8,  # No Answer (agent)
    "SALE": 22,
    "NI": 30,
    "CALLBK": 9,
    "XFER": 5,
    "RENEW": 11,  # the centre's own sale status: human_answered = Y in its statuses export
    "PIZZA": 3,  # a status no mapping knows
}
AGENT_STATUSES = {"A", "B", "DC", "N", "SALE", "NI", "CALLBK", "XFER", "RENEW", "PIZZA"}
VICIDIAL_LOG_COLUMNS = [
    "uniqueid",
    "lead_id",
    "list_id",
    "campaign_id",
    "call_date",
    "start_epoch",
    "end_epoch",
    "length_in_sec",
    "status",
    "phone_code",
    "phone_number",
    "user",
    "comments",
    "processed",
    "user_group",
    "term_reason",
    "alt_dial",
    "called_count",
]
AGENT_LOG_COLUMNS = [
    "agent_log_id",
    "user",
    "server_ip",
    "event_time",
    "lead_id",
    "campaign_id",
    "pause_epoch",
    "pause_sec",
    "wait_epoch",
    "wait_sec",
    "talk_epoch",
    "talk_sec",
    "dispo_epoch",
    "dispo_sec",
    "status",
    "user_group",
    "comments",
    "sub_status",
    "dead_epoch",
    "dead_sec",
    "processed",
    "uniqueid",
]


def write_vicidial(folder: Path, seed: int = 3) -> dict:
    """vicidial_log.csv, vicidial_agent_log.csv and vicidial_statuses.csv; returns the truth
    the test checks against (statuses per row, talk and wrap seconds written)."""
    import datetime as dt

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    statuses = [s for s, n in VICIDIAL_MIX.items() for _ in range(n)]
    rng.shuffle(statuses)
    t0 = int(dt.datetime(2026, 5, 11, 9, 0, tzinfo=dt.timezone.utc).timestamp())
    log_rows, agent_rows = [], []
    talks, wraps = [], []
    users = ["ana", "bo", "cy", "di"]
    t = t0
    for i, status in enumerate(statuses):
        t += int(rng.integers(5, 40))
        lead = 5000 + i
        user = users[i % len(users)] if status in AGENT_STATUSES else "VDAD"
        if status == "NA":
            length = 30
        elif status in ("AB", "ADC", "B", "DC"):
            length = int(rng.integers(2, 6))
        elif status in ("AA", "AM", "AFAX"):
            length = int(rng.integers(3, 9))
        elif status == "DROP":
            length = 3
        else:
            length = int(rng.integers(20, 400))
        when = dt.datetime.fromtimestamp(t, tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        log_rows.append(
            [
                f"{t}.{i}",
                lead,
                101,
                "RENEWALS",
                when,
                t,
                t + length,
                length,
                status,
                1,
                f"555{i:07d}",
                user,
                "",
                "N",
                "AGENTS" if user != "VDAD" else "",
                "CALLER",
                "MAIN",
                1,
            ]
        )
        if user != "VDAD":
            talk = (
                int(round(rng.lognormal(np.log(120), 0.5)))
                if status not in ("A", "B", "DC", "N")
                else int(rng.integers(3, 12))
            )
            dead = int(rng.integers(0, 4))
            dispo = int(rng.integers(5, 40))
            if status in ("SALE", "NI", "CALLBK", "XFER", "RENEW"):
                talks.append(talk - dead)
                wraps.append(dispo + dead)
            agent_rows.append(
                [
                    len(agent_rows) + 1,
                    user,
                    "10.0.0.1",
                    when,
                    lead,
                    "RENEWALS",
                    t - 10,
                    2,
                    t - 8,
                    8,
                    t,
                    talk,
                    t + talk,
                    dispo,
                    status,
                    "AGENTS",
                    "",
                    "",
                    0,
                    dead,
                    "N",
                    f"{t}.{i}",
                ]
            )
    _write(folder / "vicidial_log.csv", VICIDIAL_LOG_COLUMNS, log_rows)
    _write(folder / "vicidial_agent_log.csv", AGENT_LOG_COLUMNS, agent_rows)
    _write(
        folder / "vicidial_statuses.csv",
        ["status", "status_name", "selectable", "human_answered", "category", "sale"],
        [
            ["SALE", "Sale Made", "Y", "Y", "UNDEFINED", "Y"],
            ["RENEW", "Renewed", "Y", "Y", "UNDEFINED", "Y"],
            ["NI", "Not Interested", "Y", "Y", "UNDEFINED", "N"],
        ],
    )
    return {"statuses": statuses, "talks": talks, "wraps": wraps}


def _write(path: Path, columns: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        w.writerows(rows)


def files(folder: Path) -> list[str]:
    return sorted(str(folder / f) for f in os.listdir(folder) if f.endswith(".csv"))


def fit_folder(out: Path) -> Path:
    """A ``dialer fit --report`` folder: records of a one-hour power campaign with two groups,
    fitted and validated in two runs."""
    from dialer.cli import main

    raw = {
        **ROUNDTRIP,
        "horizon_s": 3600,
        "agents": {
            "groups": [
                {**ROUNDTRIP["agents"]["groups"][0], "count": 8},
                {
                    "name": "retention",
                    "count": 4,
                    "talk_time_s": {"dist": "lognormal", "mean": 240, "sd": 150},
                },
            ]
        },
    }
    records = write_records(from_dict(raw), out.parent / f"{out.name}-records")
    code = main(
        ["fit", str(records), "--format", "dialer", "--out", str(out.parent / f"{out.name}.yaml")]
        + ["--report", str(out), "--replications", "2"]
    )
    assert code == 0
    return out
