"""Any call log as CSV: one row per dial, its columns named by a mapping.

A mapping names, for each field the fit knows (:data:`FIELDS`), the log's column that holds it,
and, for each status the log writes, the outcome it means. It is given on the command line
(``--column dialed_at=CallStart --status SALE=person``) or as a small YAML file (``--mapping``):

```yaml
columns: {dialed_at: CallStart, status: Disposition, talk_s: TalkSeconds, agent: Agent}
statuses: {SALE: person, NOANS: no_answer, AM: machine}
time_format: "%d/%m/%Y %H:%M:%S"   # optional: how dates are written (else ISO 8601)
site_timezone: Europe/London       # optional: the zone of dates written without an offset
```

A field whose column carries the field's own name needs no mapping. Outcome names
(``person``, ``abandoned``, ...) and Genesys call_result codes (33 Answer, 21 Abandoned, ...)
are understood without a mapping; any other status is reported and its rows are left out.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from typing import Any

from dialer.errors import InputError, show
from dialer.fit.log import (
    AGENT_MACHINE,
    BUSY,
    INVALID,
    MACHINE,
    NO_ANSWER,
    OUTCOME_OF_NAME,
    OUTCOMES,
    PERSON,
    CallLog,
    Dial,
    GroupTime,
)
from dialer.fit.table import Problems, Table, not_a_folder, read_table, seconds, timestamp

# field -> what it holds (docs and errors)
FIELDS = {
    "dialed_at": "when the dial was placed (date and time, Unix seconds, or seconds from the "
    "log's start)",
    "status": "the call's result (mapped to an outcome)",
    "answered_at": "when the call was answered",
    "answer_s": "seconds from the dial to the answer",
    "connected_at": "when an agent took the call",
    "ended_at": "when the call ended",
    "talk_s": "seconds an agent talked with the person",
    "wrap_s": "seconds of after-call work",
    "duration_s": "seconds from the dial to the hang-up",
    "agent": "the agent who had the call",
    "group": "the agent's group",
    "timezone": "the called party's IANA time zone",
    "record": "the record (lead, customer) dialed",
    "attempt": "which attempt on the record this was (1 = first)",
}
REQUIRED = ("dialed_at", "status")
# Genesys call_result codes (Defined Constants) understood without a mapping.
GENESYS = {
    "33": "person",
    "21": "abandoned",
    "26": "abandoned",
    "9": "machine",
    "6": "busy",
    "7": "no_answer",
    "17": "fax",
    **{str(c): "invalid" for c in (8, 11, 12, 13, 14, 15, 16)},
}
MAPPING_KEYS = ("columns", "statuses", "time_format", "site_timezone")


def load_mapping(path: str | None, columns: dict[str, str], statuses: dict[str, str]) -> dict:
    """The mapping: a YAML file (read by dialer.config) with the command line's on top."""
    out: dict[str, Any] = {
        "columns": {},
        "statuses": {},
        "time_format": None,
        "site_timezone": None,
    }
    if path is not None:
        from dialer.config import load_yaml_mapping
        from dialer.schema import did_you_mean

        raw = load_yaml_mapping(path)
        for key, value in raw.items():
            if key not in MAPPING_KEYS:
                raise InputError(f"{path}: {key}: unknown key{did_you_mean(key, MAPPING_KEYS)}")
            if key in ("columns", "statuses") and not isinstance(value, dict):
                raise InputError(f"{path}: {key}: expected a mapping, got {show(value)}")
            if key == "time_format" and value is not None:
                _check_time_format(value, f"{path}: time_format")
            out[key] = (
                value
                if key not in ("columns", "statuses")
                else {str(k): str(v) for k, v in value.items()}
            )
    out["columns"].update(columns)
    out["statuses"].update(statuses)
    for field in out["columns"]:
        if field not in FIELDS:
            from dialer.schema import did_you_mean

            raise InputError(
                f"column mapping: {field}: unknown field{did_you_mean(field, FIELDS)} "
                f"(fields: {', '.join(FIELDS)})"
            )
    for code, name in out["statuses"].items():
        if name not in OUTCOME_OF_NAME:
            raise InputError(
                f"status mapping: {code}: expected an outcome among {', '.join(OUTCOMES)}, got {show(name)}"
            )
    return out


def _check_time_format(fmt: Any, where: str) -> None:
    """A strptime format that can read back a date it wrote: once, not on every row."""
    expected = 'expected a strptime format such as "%d/%m/%Y %H:%M:%S"'
    if not isinstance(fmt, str) or not fmt.strip():
        raise InputError(f"{where}: {expected}, got {show(fmt)}")
    sample = dt.datetime(2026, 3, 2, 9, 30, 15, tzinfo=dt.timezone.utc)
    try:
        dt.datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        raise InputError(f"{where}: {expected}, got {show(fmt)} ({exc})") from None


def read(paths: list[str], mapping: dict) -> CallLog:
    if len(paths) != 1:
        raise InputError(f"--format csv: expected one call log file, got {len(paths)}")
    not_a_folder(paths[0], "--format csv reads one call log, a CSV file with a row per dial")
    t = read_table(paths[0])
    cols = {f: mapping["columns"].get(f, f) for f in FIELDS}
    missing = [f for f in REQUIRED if cols[f] not in t.columns]
    if missing:
        wanted = ", ".join(f"{f} (column {cols[f]!r})" for f in missing)
        raise InputError(
            f"{t.path}: missing {wanted}; map a column with --column FIELD=COLUMN or --mapping "
            f"FILE (fields: {', '.join(FIELDS)}); the file has {', '.join(t.columns)}"
        )
    for f, c in mapping["columns"].items():
        if c not in t.columns:
            raise InputError(
                f"{t.path}: missing column {c!r} (mapped to {f}); the file has {', '.join(t.columns)}"
            )
    site = mapping.get("site_timezone")
    if site:
        try:
            zoneinfo.ZoneInfo(site)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InputError(
                f"site_timezone: expected an IANA time zone, got {show(site)}"
            ) from None
    return _read(t, cols, mapping, site)


class _Times:
    """Turns the log's times into seconds from its first dial, whatever form they take."""

    def __init__(self, fmt: str | None, site: str | None):
        self.fmt, self.site = fmt, site
        self.kind: str | None = None  # "datetime" | "epoch" | "seconds"

    def parse(self, text: str, where: str, problems: Problems) -> float | None:
        if not text:
            return None
        try:
            x = float(text)
        except ValueError:
            x = None
        if x is not None and not self.fmt:
            kind = "epoch" if x > 1e8 else "seconds"
            return self._same(kind, where, problems, x)
        t = timestamp(text, where, problems, self.fmt)
        if t is None:
            return None
        if t.tzinfo is None and self.site:
            t = t.replace(tzinfo=zoneinfo.ZoneInfo(self.site))
        if t.tzinfo is None:
            t = t.replace(tzinfo=dt.timezone.utc)  # naive times: one clock for all of them
        return self._same("datetime", where, problems, t.timestamp())

    def _same(self, kind: str, where: str, problems: Problems, value: float) -> float | None:
        if self.kind is None:
            self.kind = kind
        elif self.kind != kind and {self.kind, kind} != {"datetime", "epoch"}:
            problems.add(
                f"{where}: expected times written like the first row's ({self.kind}), got {kind}"
            )
            return None
        return value


def _read(t: Table, cols: dict[str, str], mapping: dict, site: str | None) -> CallLog:
    j = {f: t.index(c) for f, c in cols.items() if c in t.columns}
    problems = Problems()
    times = _Times(mapping.get("time_format"), site)
    statuses = {**GENESYS, **{name: name for name in OUTCOMES}, **mapping["statuses"]}
    unknown: Counter = Counter()
    raw = []
    for i, row in enumerate(t.rows, start=2):
        where = f"{t.path} row {i}"

        def cell(field: str, row=row) -> str:
            return row[j[field]] if field in j else ""

        status = cell("status")
        if status not in statuses:
            unknown[status or "(empty)"] += 1
            continue
        dialed = times.parse(cell("dialed_at"), f"{where}: {cols['dialed_at']}", problems)
        if dialed is None:
            if not cell("dialed_at"):  # else parse has said what is wrong with it
                problems.add(
                    f"{where}: {cols['dialed_at']}: expected when the dial was placed, got nothing"
                )
            continue
        answered = times.parse(cell("answered_at"), f"{where}: {cols['answered_at']}", problems)
        connected = times.parse(cell("connected_at"), f"{where}: {cols['connected_at']}", problems)
        ended = times.parse(cell("ended_at"), f"{where}: {cols['ended_at']}", problems)
        last, last_name = dialed, cols["dialed_at"]
        bad = False
        for name, value in (
            ("answered_at", answered),
            ("connected_at", connected),
            ("ended_at", ended),
        ):
            if value is None:
                continue
            if value < last - 1e-6:
                problems.add(
                    f"{where}: {cols[name]}: expected a time at or after {last_name}, got one "
                    "before it (times out of order)"
                )
                bad = True
                break
            last, last_name = value, cols[name]
        if bad:
            continue
        nums = {
            f: seconds(cell(f), f"{where}: {cols[f]}", problems)
            for f in ("answer_s", "talk_s", "wrap_s", "duration_s")
        }
        raw.append((row, cell, status, dialed, answered, connected, ended, nums, where))
    problems.raise_if_any()
    if not raw:
        shown = ", ".join(f"{k} ({v})" for k, v in unknown.most_common(8))
        raise InputError(
            f"{t.path}: expected statuses that map to outcomes, got none that do ({shown}); "
            "map them with --status CODE=OUTCOME"
        )
    t0 = min(r[3] for r in raw)
    dials = []
    groups: dict[str, GroupTime] = {}
    end = 0.0
    for _row, cell, status, dialed, answered, connected, ended, nums, _where in raw:
        outcome = OUTCOME_OF_NAME[statuses[status]]
        agent = cell("agent") or None
        if outcome == MACHINE and agent and (connected is not None or nums["talk_s"]):
            outcome = AGENT_MACHINE  # a machine an agent had: the CPD passed it
        d = Dial(dialed_at=dialed - t0, outcome=outcome, agent=agent, record=cell("record") or None)
        attempt = cell("attempt")
        d.attempt = int(attempt) if attempt.isdigit() else None
        d.zone = cell("timezone") or None
        if answered is not None:
            d.answer_s = answered - dialed
        elif nums["answer_s"] is not None:
            d.answer_s = nums["answer_s"]
        if ended is not None:
            d.duration_s = ended - dialed
        elif nums["duration_s"] is not None:
            d.duration_s = nums["duration_s"]
        if outcome in (BUSY, NO_ANSWER, INVALID):
            d.ring_s = d.duration_s
        if outcome in (PERSON, AGENT_MACHINE):
            if nums["talk_s"] is not None:
                d.talk_s = nums["talk_s"]
            elif connected is not None and ended is not None:
                d.talk_s = ended - connected
        d.local_hour = _hour(dialed, d.zone, times, site)
        end = max(end, d.dialed_at + (d.duration_s or 0.0))
        if agent:
            d.group = cell("group") or "agents"
            g = groups.setdefault(d.group, GroupTime())
            g.agents.add(agent)
            if d.talk_s is not None:
                (g.talk if outcome == PERSON else g.machine).add(d.talk_s)
            if nums["wrap_s"] is not None:
                g.wrap.add(nums["wrap_s"])
        dials.append(d)
    start = None
    if times.kind in ("datetime", "epoch"):
        zone = zoneinfo.ZoneInfo(site) if site else dt.timezone.utc
        start = dt.datetime.fromtimestamp(t0, tz=zone).replace(tzinfo=None)
    notes = []
    if times.kind == "seconds":
        notes.append("times are seconds from the log's start: no hour of the day is known")
    elif not site and not j.get("timezone"):
        notes.append("no site_timezone given: hours are the log's own clock")
    log = CallLog(
        format="csv",
        sources=[t.path],
        dials=dials,
        end_s=end,
        groups=groups,
        start=start,
        site_timezone=site,
        unknown_statuses=unknown,
        notes=notes,
    )
    return log


def _hour(epoch: float, zone: str | None, times: _Times, site: str | None) -> float | None:
    if times.kind not in ("datetime", "epoch"):
        return None
    name = zone or site
    tz: dt.tzinfo = dt.timezone.utc
    if name:
        try:
            tz = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    local = dt.datetime.fromtimestamp(epoch, tz=tz)
    return local.hour + local.minute / 60 + local.second / 3600
