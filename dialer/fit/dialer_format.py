"""This project's own records (``dialer run --out DIR``): ``calls.csv``, ``agent_states.csv`` and
the campaign's settings, read as a real centre's records would be.

The ``truth`` column and the ``abandoned`` column (true persons only) are never read: a centre
has neither. A dial's outcome comes from the CPD verdict and the OCS's result code (``result``
where present, else ``call_result``): a call classified human and answered by an agent is a
person (Answer, 33) or a machine the agent found (Answering Machine, 9); one no agent took
(Abandoned 21 or Dropped 26) is abandoned, whoever was there. Without ``agent_states.csv`` the
agents' time (wrap-up, idle, occupancy) is not in the records.

The campaign file beside the records holds the centre's own dialer settings (mode, pacing,
lines, windows, treatments, the run's start and zone); only those are taken from it
(:data:`dialer.fit.campaign.SETTINGS`), never the population, times or AMD error rates it
also holds.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from pathlib import Path

from dialer.errors import InputError, show
from dialer.fit.log import (
    ABANDONED,
    AGENT_MACHINE,
    AGENT_STATES,
    BUSY,
    FAX,
    INVALID,
    MACHINE,
    NO_ANSWER,
    PERSON,
    UNKNOWN,
    CallLog,
    Dial,
    GroupTime,
    Sample,
)
from dialer.fit.table import Problems, Table, read_table, seconds
from dialer.records import files as record_files

CALL_COLUMNS = (
    "record_id",
    "attempt",
    "dialed_at_s",
    "cpd_verdict",
    "call_result",
    "answered_at_s",
    "connected_at_s",
    "ended_at_s",
    "agent_id",
    "local_time",
    "timezone",
)
STATE_COLUMNS = ("agent_id", "group", "state", "start_s", "end_s")
VERDICTS = {
    "machine": MACHINE,
    "fax": FAX,
    "busy": BUSY,
    "no_answer": NO_ANSWER,
    "sit": INVALID,
}
# Genesys call_result codes the OCS writes (dialer.codes), SIT variants included.
KNOWN_CODES = {"33", "21", "26", "9", "6", "7", "8", "17", "11", "12", "13", "14", "15", "16"}
EPS = 1e-6


def group_of(agent_id: str) -> str:
    """``renewals-3`` -> ``renewals`` (this project's agent ids: group name, dash, number)."""
    name, dash, number = agent_id.rpartition("-")
    return name if dash and number.isdigit() and name else agent_id


# what a results folder (dialer run --out) holds that --format dialer reads, in find_files' order
FOLDER_FILES = (record_files.CALLS, record_files.AGENT_STATES, "campaign.yaml")


def find_files(paths: list[str]) -> tuple[str, str | None, str | None]:
    """(calls.csv, agent_states.csv or None, campaign.yaml or None) among folders and files."""
    calls = states = settings = None
    for p in paths:
        path = Path(p)
        if path.is_dir():
            # a results folder's files are known by their names (a missing column is then
            # named by read(), whatever the header holds)
            found = [path / name for name in FOLDER_FILES]
            if not found[0].is_file():
                raise InputError(f"{p}: expected a results folder with calls.csv, found none")
            calls = _one(calls, str(found[0]), "calls.csv")
            if found[1].is_file():
                states = _one(states, str(found[1]), "agent_states.csv")
            if found[2].is_file():
                settings = _one(settings, str(found[2]), "campaign settings file")
            continue
        if not path.is_file():
            raise InputError(f"{p}: no such file or folder")
        name = os.path.basename(p)
        if name.endswith((".yaml", ".yml")):
            settings = _one(settings, p, "campaign settings file")
            continue
        header = read_header(p)
        kind = _kind(name, header)
        if kind == "states":
            states = _one(states, p, "agent_states.csv")
        elif kind == "calls":
            calls = _one(calls, p, "calls.csv")
        else:
            raise InputError(
                f"{p}: expected this project's calls.csv (columns "
                f"{', '.join(CALL_COLUMNS)}) or agent_states.csv (columns "
                f"{', '.join(STATE_COLUMNS)}), got columns {', '.join(header) or 'none'}"
            )
    if calls is None:
        raise InputError("--format dialer: expected a calls.csv among the records, got none")
    return calls, states, settings


def _kind(name: str, header: list[str]) -> str | None:
    """calls.csv ("calls") or agent_states.csv ("states"): by the columns that mark each, else
    by the file's name, else by the columns it has most of (so that read() names the missing
    one); None for a file that is neither."""
    if "state" in header and "start_s" in header:
        return "states"
    if "dialed_at_s" in header:
        return "calls"
    if name in ("calls.csv", "agent_states.csv"):
        return "calls" if name == "calls.csv" else "states"
    shares = {
        "calls": len(set(header) & set(CALL_COLUMNS)) / len(CALL_COLUMNS),
        "states": len(set(header) & set(STATE_COLUMNS)) / len(STATE_COLUMNS),
    }
    best = max(shares, key=lambda k: shares[k])
    return best if shares[best] >= 0.5 else None


def _one(current: str | None, new: str, what: str) -> str:
    if current is not None:
        raise InputError(f"{new}: expected one {what}, got a second one (the first: {current})")
    return new


def read_header(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            first = fh.readline()
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    return [c.strip().strip('"') for c in first.strip().split(",") if c.strip()]


def read(paths: list[str]) -> CallLog:
    calls_path, states_path, settings_path = find_files(paths)
    settings = None
    if settings_path is not None:
        from dialer.config import load_campaign

        settings = load_campaign(settings_path).to_dict()
    calls = read_table(calls_path)
    calls.require(CALL_COLUMNS, "this project's calls.csv")
    states = None
    if states_path is not None:
        states = read_table(states_path)
        states.require(STATE_COLUMNS, "this project's agent_states.csv")
    return from_tables(calls, states, settings, settings_path or "")


def from_tables(
    calls: Table, states: Table | None, settings: dict | None = None, settings_source: str = ""
) -> CallLog:
    problems = Problems()
    dials, unknown, latest = _dials(calls, problems)
    groups: dict[str, GroupTime] = {}
    horizon = float(settings["horizon_s"]) if settings else None
    end_s = max(horizon if horizon is not None else 0.0, latest)
    ready: list[tuple[float, int]] = []
    delays = Sample()
    if states is not None:
        end_s = max(end_s, _read_states(states, groups, horizon, problems, ready, delays))
    problems.raise_if_any()
    if not dials:
        raise InputError(f"{calls.path}: expected at least one dial, got none")
    _close_talk(dials, end_s)
    for d in dials:
        if d.agent is not None:
            d.group = _state_group(groups, d.agent) or group_of(d.agent)
    _add_talk(dials, groups)
    start, zone, notes = _start(calls, dials, settings)
    log = CallLog(
        format="dialer",
        sources=[calls.path] + ([states.path] if states is not None else []),
        dials=dials,
        end_s=end_s,
        groups=groups,
        start=start,
        site_timezone=zone,
        unknown_statuses=unknown,
        ready_steps=sorted(ready),
        report_delays=delays,
        settings=settings,
        settings_source=settings_source,
        notes=notes,
    )
    if states is None:
        log.notes.append(
            "no agent_states.csv: wrap-up, idle time and occupancy are not in the records"
        )
    return log


def _dials(calls: Table, problems: Problems) -> tuple[list[Dial], Counter, float]:
    """The dials, the result codes not known, and the latest time any dial shows."""
    j = {c: calls.index(c) for c in calls.columns}
    latest = 0.0
    code_col = "result" if "result" in j else "call_result"
    verdict_at_col = j.get("verdict_at_s")
    dials = []
    unknown: Counter = Counter()
    queue_col = j.get("queue")
    for i, row in enumerate(calls.rows, start=2):
        if queue_col is not None and row[queue_col]:
            continue  # a centre's inbound call: no dial
        where = f"{calls.path} row {i}"

        def t(col: str, optional: bool = True, row=row, where=where) -> float | None:
            return seconds(row[j[col]], f"{where}: {col}", problems, optional=optional)

        dialed = t("dialed_at_s", optional=False)
        answered, connected, ended = t("answered_at_s"), t("connected_at_s"), t("ended_at_s")
        verdict_at = (
            seconds(row[verdict_at_col], f"{where}: verdict_at_s", problems)
            if verdict_at_col is not None
            else None
        )
        if dialed is None:
            continue
        verdict, code = row[j["cpd_verdict"]], row[j[code_col]]
        if ended is None and connected is None:
            # Still ringing, in CPD or waiting when the log ended: what it would have become
            # (a verdict, an answer time written ahead) is not yet a record.
            verdict, answered, verdict_at = "", None, None
        latest = max([latest] + [x for x in (dialed, answered, verdict_at, connected, ended) if x])
        _order(where, dialed, answered, verdict_at, connected, ended, problems)
        agent = row[j["agent_id"]] or None
        if code and code not in KNOWN_CODES:
            unknown[f"{code_col} {code}"] += 1
        outcome = _outcome(verdict, code, agent, connected, ended)
        if outcome is None:
            problems.add(
                f"{where}: cpd_verdict: expected one of human, machine, fax, busy, no_answer, "
                f"sit (or empty), got {show(verdict)}"
            )
            continue
        d = Dial(dialed_at=dialed, outcome=outcome, agent=agent)
        d.record = row[j["record_id"]] or None
        attempt = row[j["attempt"]]
        d.attempt = int(attempt) if attempt.isdigit() else None
        d.zone = row[j["timezone"]] or None
        d.local_hour = _hour(row[j["local_time"]], f"{where}: local_time", problems)
        if answered is not None:
            d.answer_s = answered - dialed
            if verdict_at is not None:
                d.detect_s = verdict_at - answered
            elif outcome in (MACHINE, FAX) and ended is not None:
                d.detect_s = ended - answered  # the OCS hangs up at the machine verdict
        if ended is not None:
            d.duration_s = ended - dialed
        if outcome in (BUSY, NO_ANSWER, INVALID) and ended is not None:
            d.ring_s = ended - dialed
        if outcome in (PERSON, AGENT_MACHINE) and connected is not None:
            if ended is not None:
                d.talk_s = ended - connected
            else:
                d.talk_s, d.talk_open = connected, True  # made relative in _close_talk
        dials.append(d)
    return dials, unknown, latest


def _outcome(verdict: str, code: str, agent: str | None, connected, ended) -> int | None:
    if verdict in VERDICTS:
        return VERDICTS[verdict]
    if verdict == "":
        return UNKNOWN  # still ringing or in CPD when the log ended
    if verdict != "human":
        return None
    if code == "33":
        return PERSON
    if code in ("21", "26"):
        return ABANDONED
    if code == "9":
        return AGENT_MACHINE if agent else ABANDONED
    if code == "" and ended is None:
        return PERSON if connected is not None else UNKNOWN
    return UNKNOWN


def _order(where, dialed, answered, verdict_at, connected, ended, problems: Problems) -> None:
    """Times of a dial must not run backwards (a log sorted wrongly or mixed up columns)."""
    chain = [
        ("dialed_at_s", dialed),
        ("answered_at_s", answered),
        ("verdict_at_s", verdict_at),
        ("connected_at_s", connected),
        ("ended_at_s", ended),
    ]
    last_name, last = chain[0]
    for name, value in chain[1:]:
        if value is None:
            continue
        if value < last - EPS:
            problems.add(
                f"{where}: {name}: expected a time at or after {last_name} ({last:g}), "
                f"got {value:g} (times out of order)"
            )
            return
        last_name, last = name, value


def _hour(text: str, where: str, problems: Problems) -> float | None:
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        problems.add(f"{where}: expected an ISO 8601 local time, got {show(text)}")
        return None
    return t.hour + t.minute / 60 + t.second / 3600


def _close_talk(dials: list[Dial], end_s: float) -> None:
    for d in dials:
        if d.talk_open and d.talk_s is not None:
            d.talk_s = max(end_s - d.talk_s, 0.0)


def _state_group(groups: dict[str, GroupTime], agent: str) -> str | None:
    for name, g in groups.items():
        if agent in g.agents:
            return name
    return None


def _add_talk(dials: list[Dial], groups: dict[str, GroupTime]) -> None:
    for d in dials:
        if d.agent is None or d.talk_s is None:
            continue
        g = groups.setdefault(d.group or "agents", GroupTime())
        g.agents.add(d.agent)
        (g.talk if d.outcome == PERSON else g.machine).add(d.talk_s, d.talk_open)


def _read_states(
    states: Table,
    groups: dict[str, GroupTime],
    horizon: float | None,
    problems: Problems,
    ready: list[tuple[float, int]],
    delays: Sample,
) -> float:
    """Fold agent_states.csv into ``groups``; returns the latest time it shows."""
    j = {c: states.index(c) for c in states.columns}
    rows = []
    latest = 0.0
    for i, row in enumerate(states.rows, start=2):
        where = f"{states.path} row {i}"
        state = row[j["state"]]
        if state not in AGENT_STATES:
            problems.add(
                f"{where}: state: expected one of {', '.join(AGENT_STATES)}, got {show(state)}"
            )
            continue
        start = seconds(row[j["start_s"]], f"{where}: start_s", problems, optional=False)
        end = seconds(row[j["end_s"]], f"{where}: end_s", problems)
        if start is None:
            continue
        if end is not None and end < start - EPS:
            problems.add(
                f"{where}: end_s: expected a time at or after start_s ({start:g}), got {end:g} "
                "(times out of order)"
            )
            continue
        latest = max(latest, start if end is None else end)
        if "reported_s" in j and row[j["reported_s"]]:
            reported = seconds(row[j["reported_s"]], f"{where}: reported_s", problems)
            if reported is not None and start > 0:
                delays.add(max(reported - start, 0.0))
        rows.append((row[j["agent_id"]], row[j["group"]] or "agents", state, start, end))
    end_of_log = horizon if horizon is not None else latest
    for agent, group, state, start, end in rows:
        g = groups.setdefault(group, GroupTime())
        g.agents.add(agent)
        still_open = end is None or end >= end_of_log - EPS
        stop = end_of_log if end is None else min(end, end_of_log)
        g.seconds[state] += max(stop - start, 0.0)
        if state == "ready":
            ready += [(start, 1), (stop, -1)]
        if state == "wrap_up":
            g.wrap.add(stop - start, still_open)
        elif state == "preview":
            g.preview.add(stop - start, still_open)
        if state != "logged_out":
            g.first_login = start if g.first_login is None else min(g.first_login, start)
            g.last_logout = stop if g.last_logout is None else max(g.last_logout, stop)
    return end_of_log


def _start(
    calls: Table, dials: list[Dial], settings: dict | None
) -> tuple[dt.datetime | None, str | None, list[str]]:
    """The site-local time at t = 0 and the site's zone: the settings', else the records'."""
    if settings:
        return dt.datetime.fromisoformat(str(settings["start"])), settings["site_timezone"], []
    zones = Counter(d.zone for d in dials if d.zone)
    if not zones:
        return None, None, ["no time zones in the records: the site's zone and start are assumed"]
    zone = zones.most_common(1)[0][0]
    jl, jd, jz = calls.index("local_time"), calls.index("dialed_at_s"), calls.index("timezone")
    for row in calls.rows:
        if row[jl] and row[jz] == zone:
            local = dt.datetime.fromisoformat(row[jl])
            start = (local - dt.timedelta(seconds=float(row[jd] or 0))).replace(tzinfo=None)
            return (
                start.replace(microsecond=0),
                zone,
                [f"the site's zone is not in calls.csv: assumed {zone}, the zone of most records"],
            )
    return None, zone, []
