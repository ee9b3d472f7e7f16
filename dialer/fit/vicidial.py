"""VICIdial's own tables, exported as CSV with their column names: ``vicidial_log`` (one row per
outbound call), ``vicidial_agent_log`` (one row per agent call cycle: pause, wait, talk,
disposition) and, optionally, ``vicidial_statuses`` / ``vicidial_campaign_statuses`` (each
status's flags).

Column names follow VICIdial's published table definitions (``extras/MySQL_AST_CREATE_tables.sql``
of astguiclient). Each file is recognised by its columns, whatever its name. A call's status is
mapped to what the dialer recorded by :data:`STATUSES` (VICIdial's own status names and who sets
them); a centre's own statuses are mapped by the ``human_answered`` and ``answering_machine``
flags of a statuses export, or by ``--status CODE=OUTCOME``. A status none of these maps is not
guessed: it is counted, reported, and its calls are left out of the fit.

What VICIdial's tables do not hold: the called party's time zone (``vicidial_log.call_date`` is
the server's clock; the lead's GMT offset lives in ``vicidial_list``), the time from dial to
answer (an answered call's row starts when the call reaches the dialer's AGI) and the AMD
verdict's timing. Pause time is not agent time here: the simulator's agents do not pause.
"""

from __future__ import annotations

from collections import Counter

from dialer.errors import InputError, show
from dialer.fit.log import (
    AGENT_MACHINE,
    BUSY,
    INVALID,
    NO_ANSWER,
    OUTCOME_OF_NAME,
    OUTCOMES,
    PERSON,
    UNKNOWN,
    CallLog,
    Dial,
    GroupTime,
)
from dialer.fit.table import Problems, Table, not_a_folder, read_table, seconds, timestamp

LOG_COLUMNS = (
    "lead_id",
    "call_date",
    "start_epoch",
    "end_epoch",
    "length_in_sec",
    "status",
    "user",
)
AGENT_COLUMNS = (
    "user",
    "event_time",
    "lead_id",
    "pause_sec",
    "wait_sec",
    "talk_sec",
    "dispo_sec",
    "status",
)
STATUS_COLUMNS = ("status", "human_answered")
# VICIdial's statuses: (what the dialer recorded, VICIdial's own name for it). Statuses ending a
# call without an agent are set by the dialer (AMD, the dial timeout, carrier signals); the
# others by the agent who had the call.
STATUSES: dict[str, tuple[str, str]] = {
    "NA": ("no_answer", "No Answer AutoDial"),
    "AB": ("busy", "Busy Auto"),
    "ADC": ("invalid", "Disconnected Number Auto"),
    "ADCT": ("invalid", "Disconnected Number Temporary"),
    "AA": ("machine", "Answering Machine Auto (AMD)"),
    "AM": ("machine", "Answering Machine SentToMesg (AMD)"),
    "AL": ("machine", "Answering Machine Msg Played (AMD)"),
    "AFAX": ("fax", "Fax Machine Auto"),
    "DROP": ("abandoned", "Agent Not Available"),
    "PDROP": ("abandoned", "Outbound Pre-Routing Drop"),
    "A": ("agent_machine", "Answering Machine (agent)"),
    "B": ("busy", "Busy (agent)"),
    "N": ("no_answer", "No Answer (agent)"),
    "DC": ("invalid", "Disconnected Number (agent)"),
    "SALE": ("person", "Sale Made"),
    "NI": ("person", "Not Interested"),
    "NP": ("person", "No Pitch No Price"),
    "DEC": ("person", "Declined Sale"),
    "DNC": ("person", "DO NOT CALL (asked by the person)"),
    "CALLBK": ("person", "Call Back"),
    "XFER": ("person", "Call Transferred"),
    "INCALL": ("unknown", "Lead Being Called (still up at the export)"),
}
# Users VICIdial writes for calls no agent had.
SYSTEM_USERS = {"", "VDAD", "VDCL", "NULL"}


def table_kind(t: Table) -> str | None:
    if t.has("length_in_sec", "status"):
        return "vicidial_log"
    if t.has("talk_sec", "dispo_sec"):
        return "vicidial_agent_log"
    if t.has("status", "human_answered"):
        return "vicidial_statuses"
    return None


def read(paths: list[str], statuses: dict[str, str] | None = None) -> CallLog:
    """A CallLog from VICIdial exports; ``statuses``: CODE -> outcome given by the user."""
    tables: dict[str, Table] = {}
    for p in paths:
        not_a_folder(
            p,
            "--format vicidial reads VICIdial's exports as CSV files: vicidial_log (columns "
            f"{', '.join(LOG_COLUMNS)}) and, if any, vicidial_agent_log and "
            "vicidial_statuses",
        )
        t = read_table(p)
        kind = table_kind(t)
        if kind is None:
            raise InputError(
                f"{p}: expected a VICIdial export: vicidial_log (columns {', '.join(LOG_COLUMNS)}), "
                f"vicidial_agent_log (columns {', '.join(AGENT_COLUMNS)}) or vicidial_statuses "
                f"(columns {', '.join(STATUS_COLUMNS)}); got columns {', '.join(t.columns)}"
            )
        if kind in tables:
            raise InputError(
                f"{p}: expected one {kind} export, got a second (the first: {tables[kind].path})"
            )
        tables[kind] = t
    if "vicidial_log" not in tables:
        raise InputError(
            "--format vicidial: expected a vicidial_log export among the records (columns "
            f"{', '.join(LOG_COLUMNS)}), got none"
        )
    mapping = status_map(tables.get("vicidial_statuses"), statuses or {})
    calls = tables["vicidial_log"]
    calls.require(LOG_COLUMNS, "a vicidial_log export")
    agents = tables.get("vicidial_agent_log")
    if agents is not None:
        agents.require(AGENT_COLUMNS, "a vicidial_agent_log export")
    problems = Problems()
    unknown: Counter = Counter()
    dials, t0, end, start = _calls(calls, mapping, unknown, problems)
    groups: dict[str, GroupTime] = {}
    agent_unknown: Counter = Counter()
    if agents is not None:
        _agent_log(agents, mapping, agent_unknown, groups, problems)
    problems.raise_if_any()
    if not dials:
        raise InputError(f"{calls.path}: expected calls whose status maps to an outcome, got none")
    notes = [
        "vicidial_log has no time zone of the called party: hours are the server's clock",
        "vicidial_log has no answer time: the answer-time distributions are not in the records",
    ]
    if agents is None:
        notes.append("no vicidial_agent_log: talk, wrap-up and agent time are not in the records")
    elif agent_unknown:
        shown = ", ".join(f"{k} ({v})" for k, v in agent_unknown.most_common())
        notes.append(
            f"vicidial_agent_log rows with statuses not mapped ({shown}): their agent time "
            "counts, their talk and wrap-up are left out of the fits"
        )
    _agents_from_calls(dials, groups)
    return CallLog(
        format="vicidial",
        sources=[t.path for t in tables.values()],
        dials=dials,
        end_s=end - t0,
        groups=groups,
        start=start,
        unknown_statuses=unknown,
        notes=notes,
    )


def status_map(statuses: Table | None, given: dict[str, str]) -> dict[str, int]:
    """Status code -> recorded outcome: VICIdial's documented statuses, then the centre's own
    (a statuses export's flags), then what the user gave (which wins)."""
    out = {code: OUTCOME_OF_NAME[name] for code, (name, _) in STATUSES.items()}
    if statuses is not None:
        j = {c: statuses.index(c) for c in statuses.columns}
        for row in statuses.rows:
            code = row[j["status"]]
            if not code or code in STATUSES:
                continue
            if row[j["human_answered"]].upper() == "Y":
                out[code] = PERSON
            elif "answering_machine" in j and row[j["answering_machine"]].upper() == "Y":
                out[code] = AGENT_MACHINE
    for code, name in given.items():
        if name not in OUTCOME_OF_NAME:
            raise InputError(
                f"--status {code}={name}: expected an outcome among {', '.join(OUTCOMES)}"
            )
        out[code] = OUTCOME_OF_NAME[name]
    return out


def _epoch(text: str, where: str, problems: Problems) -> int | None:
    if text in ("", "0", "NULL"):
        return None
    try:
        return int(float(text))
    except ValueError:
        problems.add(f"{where}: expected a Unix time in seconds, got {show(text)}")
        return None


def _calls(calls: Table, mapping: dict[str, int], unknown: Counter, problems: Problems):
    j = {c: calls.index(c) for c in calls.columns}
    rows = []
    for i, row in enumerate(calls.rows, start=2):
        where = f"{calls.path} row {i}"
        status = row[j["status"]]
        if status not in mapping:
            unknown[status or "(empty)"] += 1
            continue
        begin = _epoch(row[j["start_epoch"]], f"{where}: start_epoch", problems)
        end = _epoch(row[j["end_epoch"]], f"{where}: end_epoch", problems)
        length = seconds(row[j["length_in_sec"]], f"{where}: length_in_sec", problems)
        when = timestamp(row[j["call_date"]], f"{where}: call_date", problems)
        if begin is None:
            problems.add(f"{where}: start_epoch: expected a Unix time in seconds, got nothing")
            continue
        if end is not None and end < begin:
            problems.add(
                f"{where}: end_epoch: expected a time at or after start_epoch ({begin}), got "
                f"{end} (times out of order)"
            )
            continue
        rows.append((i, row, status, begin, end, length, when))
    if not rows:
        return [], 0, 0, None
    t0 = min(r[3] for r in rows)
    end_all = max((r[4] if r[4] is not None else r[3]) for r in rows)
    first = min(rows, key=lambda r: r[3])[6]
    start = first.replace(tzinfo=None) if first is not None else None
    attempts: Counter = Counter()
    dials = []
    has_count = "called_count" in j
    for _i, row, status, begin, _end, length, when in sorted(rows, key=lambda r: r[3]):
        outcome = mapping[status]
        user = row[j["user"]]
        lead = row[j["lead_id"]] or None
        d = Dial(dialed_at=float(begin - t0), outcome=outcome, record=lead)
        d.agent = None if user.upper() in SYSTEM_USERS else user
        if lead is not None:
            attempts[lead] += 1
            count = row[j["called_count"]] if has_count else ""
            d.attempt = int(count) if count.isdigit() and int(count) > 0 else attempts[lead]
        if when is not None:
            d.local_hour = when.hour + when.minute / 60 + when.second / 3600
        if length is not None:
            d.duration_s = length
            if outcome in (BUSY, NO_ANSWER, INVALID) and length > 0:
                d.ring_s = length
        if outcome == UNKNOWN:
            d.agent = None
        dials.append(d)
    return dials, t0, end_all, start


def _int(text: str, where: str, problems: Problems) -> float:
    value = seconds(text, where, problems)
    return 0.0 if value is None else value


def _agent_log(
    agents: Table,
    mapping: dict[str, int],
    unknown: Counter,
    groups: dict[str, GroupTime],
    problems: Problems,
) -> None:
    j = {c: agents.index(c) for c in agents.columns}
    group_col = next((c for c in ("user_group", "campaign_id") if c in j), None)
    for i, row in enumerate(agents.rows, start=2):
        where = f"{agents.path} row {i}"
        user = row[j["user"]]
        if not user:
            continue
        group = (row[j[group_col]] if group_col else "") or "agents"
        g = groups.setdefault(group, GroupTime())
        g.agents.add(user)
        pause = _int(row[j["pause_sec"]], f"{where}: pause_sec", problems)
        wait = _int(row[j["wait_sec"]], f"{where}: wait_sec", problems)
        talk = _int(row[j["talk_sec"]], f"{where}: talk_sec", problems)
        dispo = _int(row[j["dispo_sec"]], f"{where}: dispo_sec", problems)
        dead = _int(row[j["dead_sec"]], f"{where}: dead_sec", problems) if "dead_sec" in j else 0.0
        dead = min(dead, talk)
        g.seconds["logged_out"] += pause  # paused agents take no calls: not agent time here
        g.seconds["ready"] += wait
        status = row[j["status"]]
        if not status or status == "NULL" or not row[j["lead_id"]]:
            continue  # a row with no call (waiting or paused only)
        outcome = mapping.get(status)
        if outcome is None:
            unknown[status] += 1
            g.seconds["talking"] += talk
            g.seconds["wrap_up"] += dispo
            continue
        if outcome == AGENT_MACHINE:
            g.seconds["on_machine"] += talk
            g.machine.add(talk)
            g.seconds["wrap_up"] += dispo
            continue
        g.seconds["talking"] += talk - dead
        g.seconds["wrap_up"] += dispo + dead
        if outcome == PERSON and talk > 0:
            g.talk.add(talk - dead)
            g.wrap.add(dispo + dead)


def _agents_from_calls(dials: list[Dial], groups: dict[str, GroupTime]) -> None:
    """Agents named on calls, in the group the agent log puts them in (else one group)."""
    group_of = {a: name for name, g in groups.items() for a in g.agents}
    for d in dials:
        if d.agent is not None:
            d.group = group_of.get(d.agent)
            if d.group is None:
                d.group = "agents"
                groups.setdefault("agents", GroupTime()).agents.add(d.agent)
