"""Helpers for tests that use Genesys-format list files."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

from conftest import CONSTANT_WORLD
from dialer.config import from_dict

GENESYS = (
    "record_id",
    "contact_info",
    "contact_info_type",
    "record_type",
    "record_status",
    "call_result",
    "attempt",
    "dial_sched_time",
    "call_time",
    "daily_from",
    "daily_till",
    "tz_dbid",
    "campaign_id",
    "agent_id",
    "chain_id",
    "chain_n",
    "group_id",
    "app_id",
    "treatments",
    "media_ref",
    "email_subject",
    "email_template_id",
    "switch_id",
    "customer_id",
    "first_name",
)


def record(i: int, **fields) -> dict:
    """A fresh Genesys record number i (1-based): its own chain, window all day, site zone."""
    row = {c: "" for c in GENESYS}
    row.update(
        record_id=i,
        contact_info=f"1555{i:07d}",
        contact_info_type=1,
        record_type=2,
        record_status=1,
        call_result=0,
        attempt=0,
        daily_from=0,
        daily_till=86400,
        chain_id=i,
        chain_n=0,
        customer_id=f"C{i:05d}",
        first_name=f"Name {i}",
    )
    row.update(fields)
    return row


def write_list(path: Path, rows: list[dict], columns=GENESYS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def write_dnc(path: Path, phones=(), customers=()) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["phone", "customer_id"])
        w.writerows([[p, ""] for p in phones] + [["", c] for c in customers])
    return path


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def list_campaign(list_path: Path, base: dict | None = None, dnc: Path | None = None, **dotted):
    """CONSTANT_WORLD (or ``base``) driven by a list file, with dotted keys set."""
    raw = copy.deepcopy(base if base is not None else CONSTANT_WORLD)
    raw["calling_list"]["file"] = str(list_path)
    if dnc is not None:
        raw.setdefault("dnc", {})["file"] = str(dnc)
    c = from_dict(raw)
    return c.override(dotted) if dotted else c
