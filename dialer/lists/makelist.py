"""Synthetic lists as files: ``dialer make-list``.

A planner who has no export at hand starts from the campaign's synthetic settings (list size,
time-zone shares, calling window, DNC share) and gets a Genesys-format list and DNC file that
look like the real thing, to edit and run with ``calling_list.file``. Records come out in the
order the synthetic OCS would take them, zones interleaved in their shares; time zones become
``tz_dbid`` values 1, 2, ... (or the campaign's own ``calling_list.time_zones`` dbids), with the
mapping to paste into the campaign.

Optionally a share of customers get a second number (a mobile, ``chain_n`` 1 in the same
chain), so chains and next-in-chain treatments have something to work on. Which records are on
the DNC list follows the synthetic draw; half of those entries name the customer id instead of
the phone (a customer who asked not to be called on any number).
"""

from __future__ import annotations

import csv
from contextlib import nullcontext
from dataclasses import dataclass

from dialer.clock import Calendar
from dialer.config import Campaign
from dialer.errors import InputError
from dialer.lists.sources import SyntheticList
from dialer.rng import stream

COLUMNS = (
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
)
HOME_PHONE, MOBILE = 1, 4


@dataclass
class MadeList:
    records: int
    customers: int
    dnc_entries: int
    time_zones: dict[int, str]


def make_list(
    campaign: Campaign, out: str, dnc_out: str | None = None, chain_share: float = 0.0
) -> MadeList:
    """Write the campaign's synthetic list to ``out`` (and its DNC entries to ``dnc_out``)."""
    from dialer.outputs import atomic

    cl = campaign.calling_list
    if cl.size is None:
        raise InputError(
            "calling_list.size: expected a number of records to write, got null (an endless list)"
        )
    if not 0.0 <= chain_share <= 1.0:
        raise InputError(f"--chain-share: expected a share in [0, 1], got {chain_share:g}")
    calendar = Calendar(campaign.start, campaign.site_timezone, campaign.horizon_s)
    synthetic = SyntheticList(campaign, calendar)
    known = {zone: dbid for dbid, zone in (cl.time_zones or {}).items()}
    dbid_of: dict[str, int] = {}
    for c in synthetic.classes:
        dbid_of[c.zone] = known.get(c.zone, max([*known.values(), *dbid_of.values(), 0]) + 1)
    second = stream(campaign.seed, "make-list", "chain").random(cl.size) < chain_share
    by_customer = stream(campaign.seed, "make-list", "dnc-by").random(cl.size) < 0.5
    classes = range(len(synthetic.classes))
    records = dnc_entries = 0
    # rows stream to the files as they are made: a list of millions costs no memory
    with atomic(out) as fh, atomic(dnc_out) if dnc_out else nullcontext() as dnc_fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        dnc_w = csv.writer(dnc_fh, lineterminator="\n") if dnc_fh is not None else None
        if dnc_w is not None:
            dnc_w.writerow(("phone", "customer_id"))
        for k in range(cl.size):
            rec = synthetic.take(min(classes, key=synthetic.position))
            if rec is None:  # pragma: no cover - the zones' sizes add up to cl.size
                break
            customer = f"C{k + 1:07d}"
            numbers = [(rec.phone, HOME_PHONE)]
            if second[k]:
                numbers.append((f"+1556{rec.key:07d}", MOBILE))
            for n, (phone, kind) in enumerate(numbers):
                records += 1
                w.writerow(
                    (
                        records,
                        phone.lstrip("+"),
                        kind,
                        2,
                        1,
                        0,
                        0,
                        "",
                        "",
                        cl.daily_from,
                        cl.daily_till,
                        dbid_of[rec.zone],
                        "",
                        "",
                        k + 1,
                        n,
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        customer,
                    )
                )
            if rec.on_dnc:
                dnc_entries += 1
                if dnc_w is not None:
                    dnc_w.writerow(
                        ("", customer) if by_customer[k] else (rec.phone.lstrip("+"), "")
                    )
    zones = {dbid: zone for zone, dbid in sorted(dbid_of.items(), key=lambda kv: kv[1])}
    return MadeList(records, cl.size, dnc_entries, zones)


def campaign_snippet(made: MadeList, list_path: str, dnc_path: str | None) -> str:
    """The campaign keys that point at the files just written (YAML)."""
    zones = ", ".join(f"{d}: {z}" for d, z in made.time_zones.items())
    text = f"calling_list:\n  file: {list_path}\n  time_zones: {{{zones}}}\n"
    if dnc_path is not None:
        text += f"dnc:\n  file: {dnc_path}\n"
    return text
