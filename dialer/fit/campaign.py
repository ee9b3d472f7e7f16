"""The fitted campaign: every key from the records, the centre's settings, or a stated assumption.

:func:`fit_log` starts from the schema's defaults and sets each key from the best source it
has, noting which: *fitted* from the records (with n, method and goodness of fit), the
*centre's setting* (dialing mode and pacing, windows, treatments: configuration, not facts
about the world), *given* on the command line (``--set``: an assumption the user knows better
than the default), *inferred* from the records by a stated rule, or *not in the records:
assumed* the default. The comments travel into the YAML file (:func:`to_yaml`), one above each
key, so a planner reading the file sees where every number came from.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dialer.config import Campaign, dump_yaml_commented, from_dict, get_dotted, set_dotted
from dialer.errors import InputError
from dialer.fit.durations import DurationFit, fit_duration
from dialer.fit.log import (
    ABANDONED,
    AGENT_MACHINE,
    BUSY,
    FAX,
    INVALID,
    MACHINE,
    NO_ANSWER,
    OUTCOMES,
    PERSON,
    CallLog,
    GroupTime,
)
from dialer.fit.operations import (
    abandons,
    dials_per_ready_agent,
    infer_mode,
    peak_lines,
    retry_rules,
)
from dialer.fit.shares import SHARES, Corrections, ShareFit, estimate_fn, fit_shares, reach
from dialer.rng import Dist

# The centre's own configuration, taken from its settings when the records come with them.
SETTINGS = (
    "start",
    "site_timezone",
    "calling_list.daily_from",
    "calling_list.daily_till",
    "calling_list.max_attempts",
    "cpd.amd",
    "cpd.amd_false_positive_estimate",
    "dialing",
    "compliance",
    "treatments",
    "stat_server",
    "ocs",
)
# Facts about the world no log shows: the default stays, said to be an assumption.
NOT_IN_RECORDS = {
    "cpd.amd_false_positive": "persons the AMD took for machines are hung up on unseen",
    "population.patience_s": "how long a person waits in silence is cut short by the OCS's "
    "abandon timer",
    "dnc.share": "numbers blocked before the first dial are never dialed, so no record shows them",
    "dialing.abandon_after_s": "the OCS's abandon timer is a setting, not a record",
    "cpd.amd_false_positive_estimate": "the centre's own estimate is a setting, not a record",
}


@dataclass
class Fit:
    """A fitted campaign and the evidence behind each value."""

    campaign: Campaign
    raw: dict
    comments: dict[str, list[str]]
    header: list[str]
    durations: dict[str, DurationFit]
    shares: ShareFit
    sources: dict[str, str]  # dotted key -> fitted | setting | given | inferred | assumed
    notes: list[str] = field(default_factory=list)
    log: CallLog | None = None

    def assumed(self) -> dict[str, str]:
        return {
            k: " ".join(self.comments.get(k, [])) for k, s in self.sources.items() if s == "assumed"
        }


class _Builder:
    def __init__(self, log: CallLog, given: dict[str, Any]):
        self.log = log
        self.defaults = from_dict({}).to_dict()
        self.raw = copy.deepcopy(self.defaults)
        self.comments: dict[str, list[str]] = {}
        self.sources: dict[str, str] = {}
        self.given = given
        self.notes: list[str] = list(log.notes)

    def put(self, key: str, value: Any, source: str, comment: str) -> None:
        if key in self.given and source != "given":
            return
        set_dotted(self.raw, key, value)
        self.sources[key] = source
        prefix = {
            "fitted": "fitted: ",
            "setting": "",
            "given": "",
            "inferred": "inferred: ",
            "assumed": "not in the records: ",
        }[source]
        self.comments[key] = [prefix + comment]

    def default(self, key: str) -> Any:
        parts = key.split(".")
        if parts[:2] == ["agents", "groups"] and len(parts) > 3:
            parts[2] = "0"  # every group's defaults are the schema's one group's
        return get_dotted(self.defaults, ".".join(parts))

    def assume(self, key: str, why: str = "") -> None:
        value = self.given.get(key, self.default(key))
        if key in self.given:
            return
        shown = _shown(value)
        self.put(
            key, value, "assumed", f"assumed {shown} (the default)" + (f": {why}" if why else "")
        )

    def value(self, key: str) -> Any:
        return get_dotted(self.raw, key)

    def covered(self, key: str) -> bool:
        """The key, or a section holding it, already has a source other than an assumption."""
        parts = key.split(".")
        return (
            any(
                self.sources.get(".".join(parts[:i]), "assumed") != "assumed"
                for i in range(1, len(parts) + 1)
            )
            or key in self.given
        )


def _shown(value: Any) -> str:
    if isinstance(value, dict) and "dist" in value:
        args = ", ".join(
            f"{k}={v:g}" for k, v in value.items() if k != "dist" and isinstance(v, (int, float))
        )
        return f"{value['dist']}({args})"
    return str(value)


def _round(x: float, digits: int = 4) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, max(digits - 1 - int(math.floor(math.log10(abs(x)))), 0))


def dist_yaml(d: Dist) -> Any:
    """A fitted distribution as the campaign file writes it, numbers to 4 significant digits."""
    y = d.to_yaml()
    if isinstance(y, float):
        return _round(y)
    return {k: (_round(v) if isinstance(v, float) else v) for k, v in y.items()}


def check_given(given: dict[str, Any] | None = None, mode: str | None = None) -> None:
    """Each key the user sets (``--set``) and the mode (``--mode``) checked on its own, before
    the fit: a bad one is a line naming the option and the key (did you mean...), not a fitted
    campaign found invalid. What holds only with the other keys is checked on the fit."""
    base = from_dict({})
    checks = [("--set", key, value) for key, value in (given or {}).items()]
    if mode is not None:
        checks.insert(0, ("--mode", "dialing.mode", mode))
    for option, key, value in checks:
        try:
            base.override({key: value})
        except InputError as exc:
            lines = []
            for p in exc.problems:
                where, _, what = p.partition(": ")
                if where == key:
                    lines.append(f"{option if option == '--mode' else f'--set {key}'}: {what}")
                elif where.startswith(key + "."):  # a key inside the one set
                    lines.append(f"--set {p}")
            if lines:
                raise InputError(lines) from None


def fit_log(log: CallLog, given: dict[str, Any] | None = None, mode: str | None = None) -> Fit:
    """Fit a campaign to a call log. ``given``: dotted keys the user sets (``--set``), used by
    the fit too (e.g. ``cpd.amd_false_positive`` enters the share corrections)."""
    check_given(given, mode)
    given = dict(given or {})
    if mode is not None:
        given["dialing.mode"] = mode
    if not any(d.outcome in (PERSON, ABANDONED, AGENT_MACHINE, MACHINE, FAX) for d in log.dials):
        raise InputError(
            f"{', '.join(log.sources)}: expected calls that something answered (a person, a "
            "machine, a fax), got none: no status maps to an answer"
        )
    b = _Builder(log, given)
    _settings(b)
    durations: dict[str, DurationFit] = {}
    timeout = _ring_timeout(b)
    amd = _amd(b)
    fp = float(given.get("cpd.amd_false_positive", b.default("cpd.amd_false_positive")))
    if not amd:
        fp = 0.0
    answer = _duration(
        b,
        durations,
        "population.answer_time_s",
        [d.answer_s for d in log.dials if d.outcome == PERSON and d.answer_s is not None],
        None,
        "dial to answer of calls an agent talked to a person on",
        truncated_at=timeout,
    )
    fn = _amd_rates(b, amd, fp)
    h = sum(1 for d in log.dials if d.outcome in (PERSON, ABANDONED, AGENT_MACHINE))
    m = sum(1 for d in log.dials if d.outcome == MACHINE)
    machine_sample = [
        d.answer_s
        for d in log.dials
        if d.outcome in (MACHINE, FAX, AGENT_MACHINE) and d.answer_s is not None
    ]
    contamination = None
    if amd and fp > 0 and machine_sample:
        persons, _ = Corrections(fp, fn, 1.0, 1.0, amd).answered(h, m)
        w = min(persons * fp / len(machine_sample), 0.5)
        contamination = (w, answer, timeout)
    machine = _duration(
        b,
        durations,
        "population.machine_answer_time_s",
        machine_sample,
        None,
        "dial to answer of machine and fax verdicts and machines agents found",
        truncated_at=timeout,
        contamination=contamination,
    )
    _duration(
        b,
        durations,
        "population.busy_time_s",
        [d.ring_s for d in log.dials if d.outcome == BUSY and d.ring_s is not None],
        None,
        "dial to busy signal",
    )
    _duration(
        b,
        durations,
        "population.invalid_time_s",
        [d.ring_s for d in log.dials if d.outcome == INVALID and d.ring_s is not None],
        None,
        "dial to SIT tones",
    )
    if amd:
        _duration(
            b,
            durations,
            "cpd.detect_time_s",
            [d.detect_s for d in log.dials if d.detect_s is not None],
            None,
            "answer to CPD verdict (machine verdicts end at the verdict)",
        )
    corrections = Corrections(fp, fn, reach(answer, timeout), reach(machine, timeout), amd)
    shares = fit_shares(log.dials, corrections)
    b.notes += shares.notes
    _population(b, shares, corrections)
    _list(b)
    _agents(b, durations)
    _dialing(b, durations)
    _treatments(b)
    if len(log.report_delays):
        _duration(
            b,
            durations,
            "stat_server.delay_s",
            log.report_delays.values,
            None,
            "agent-state change to the OCS learning of it (reported_s - start_s)",
        )
    for key, why in NOT_IN_RECORDS.items():
        if not b.covered(key):
            b.assume(key, why)
    for key, value in given.items():
        b.put(key, value, "given", "given on the command line")
    b.raw["name"] = _name(log)
    b.raw["seed"] = 1
    try:
        campaign = from_dict(b.raw)
    except InputError as exc:
        raise InputError([f"the fitted campaign is not valid: {p}" for p in exc.problems]) from None
    header = _header(log, shares, b)
    return Fit(campaign, b.raw, b.comments, header, durations, shares, b.sources, b.notes, log)


def _name(log: CallLog) -> str:
    if log.settings and log.settings.get("name"):
        return f"{log.settings['name']}-fitted"
    return "fitted"


def _settings(b: _Builder) -> None:
    log = b.log
    if log.settings:
        for key in SETTINGS:
            b.put(
                key,
                get_dotted(log.settings, key),
                "setting",
                f"the centre's setting ({log.settings_source})",
            )
    else:
        if log.start is not None:
            b.put(
                "start",
                log.start.isoformat(timespec="seconds"),
                "inferred",
                "the first dial's time",
            )
        else:
            b.assume("start", "the records give no date")
        if log.site_timezone:
            b.put("site_timezone", log.site_timezone, "inferred", "the zone of most records")
        else:
            b.assume("site_timezone", "the records give no time zone")
    b.put("horizon_s", _round(math.ceil(log.end_s), 6), "fitted", "the span of the records")
    b.raw["warmup_s"] = 0.0


def _ring_timeout(b: _Builder) -> float:
    key = "cpd.ring_timeout_s"
    if key in b.given:
        return float(b.given[key])
    rings = sorted(d.ring_s for d in b.log.dials if d.outcome == NO_ANSWER and d.ring_s)
    if rings:
        median = rings[len(rings) // 2]
        share = sum(1 for r in rings if abs(r - median) <= 0.5) / len(rings)
        b.put(
            key,
            _round(median, 4),
            "fitted",
            f"n={len(rings)} no-answers, median ring time ({100 * share:.0f}% within 0.5 s of it)",
        )
        return median
    b.assume(key, "no no-answer in the records shows how long the dialer lets a call ring")
    return float(b.value(key))


def _amd(b: _Builder) -> bool:
    key = "cpd.amd"
    if key in b.given:
        return bool(b.given[key])
    machines = sum(1 for d in b.log.dials if d.outcome == MACHINE)
    if b.sources.get(key) == "setting":
        return bool(b.value(key))
    b.put(
        key,
        machines > 0,
        "inferred",
        f"{machines} machine verdicts by the CPD"
        if machines
        else "no machine verdict in the records",
    )
    return machines > 0


def _amd_rates(b: _Builder, amd: bool, fp: float) -> float:
    key = "cpd.amd_false_negative"
    if not amd:
        b.put(key, b.default(key), "assumed", "AMD is off: its error rates play no part")
        b.put(
            "cpd.amd_false_positive", b.default("cpd.amd_false_positive"), "assumed", "AMD is off"
        )
        return 1.0
    if key in b.given:
        return float(b.given[key])
    fn = estimate_fn(b.log.dials, fp)
    found = sum(1 for d in b.log.dials if d.outcome == AGENT_MACHINE)
    if fn is None:
        b.assume(key, "no connected call shows whether agents found machines")
        return float(b.value(key))
    b.put(
        key,
        _round(fn, 3),
        "fitted",
        f"{found} machines agents found among connected calls, against the machine verdicts "
        f"(with amd_false_positive {fp:g})",
    )
    return fn


def _duration(
    b: _Builder,
    durations: dict,
    key: str,
    values: list,
    still_open: list | None,
    what: str,
    **kw,
) -> Dist:
    if key in b.given:
        from dialer.schema import Duration, Problems

        return Duration().parse(b.given[key], key, Problems())
    fit = fit_duration(values, still_open, **kw) if values else None
    if fit is None:
        b.assume(key, f"no {what} in the records")
        from dialer.schema import Duration, Problems

        return Duration().parse(b.value(key), key, Problems())
    durations[key] = fit
    b.put(key, dist_yaml(fit.dist), "fitted", f"{what}: {fit.summary()}")
    return fit.dist


def _population(b: _Builder, s: ShareFit, c: Corrections) -> None:
    shares = _exact(s.shares, SHARES)
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in s.recorded.items())
    for k in SHARES:
        lo, hi = s.intervals[k]
        how = (
            s.invalid_method
            if k == "invalid"
            else "per valid dial, corrected for AMD and the ring timeout"
        )
        b.put(
            f"population.{k}",
            shares[k],
            "fitted",
            f"{how}; 95% interval {lo:.4f} to {hi:.4f}",
        )
    b.comments["population.human"].insert(0, f"fitted from {s.dials} dials ({counts})")
    if s.bands:
        by_hour = {}
        for band in s.bands:
            entry = _exact({**band.shares}, SHARES)
            entry.pop("invalid")
            by_hour[f"{band.start_hour:02d}:00"] = entry
        b.put(
            "population.by_hour",
            by_hour,
            "fitted",
            f"{len(s.bands)} periods of the called party's day: neighbouring hours merged where "
            "their mix of outcomes does not differ (chi-square, p > 0.01)",
        )


def _exact(shares: dict[str, float], keys) -> dict[str, float]:
    """Shares to 4 decimals that still sum to exactly 1 (the largest takes the remainder)."""
    out = {k: round(shares[k], 4) for k in keys}
    big = max((k for k in keys if k != "invalid"), key=lambda k: out[k])
    out[big] = round(1.0 - sum(v for k, v in out.items() if k != big), 6)
    if out[big] < 0:
        out[big] = 0.0
    return out


def _list(b: _Builder) -> None:
    log = b.log
    dials = log.dials
    records = {d.record for d in dials if d.record}
    zones: Counter[str] = Counter()
    seen: set[str] = set()
    for d in dials:
        if d.record and d.zone and d.record not in seen:
            seen.add(d.record)
            zones[d.zone] += 1
    if zones:
        n = sum(zones.values())
        shares = {z: round(k / n, 4) for z, k in zones.most_common()}
        top = next(iter(shares))
        shares[top] = round(1 - sum(v for z, v in shares.items() if z != top), 6)
        b.put("calling_list.timezones", shares, "fitted", f"zones of {n} records dialed")
    firsts = sorted(d.dialed_at for d in dials if d.attempt == 1)
    late = log.end_s * 0.9
    if firsts and firsts[-1] >= late:
        b.put(
            "calling_list.size",
            None,
            "inferred",
            "endless: new records were still being dialed in the last tenth of the records "
            f"({len(records)} records dialed; records never dialed are not in the records)",
        )
    elif records:
        b.put(
            "calling_list.size", len(records), "inferred", "the records dialed (the list ran out)"
        )
    else:
        b.assume("calling_list.size", "the records do not name their records")
    if b.sources.get("calling_list.max_attempts") != "setting":
        attempts = [d.attempt for d in dials if d.attempt]
        if attempts:
            b.put(
                "calling_list.max_attempts",
                max(attempts),
                "inferred",
                "the most attempts any record had",
            )
    if b.sources.get("calling_list.daily_from") != "setting":
        hours = [d.local_hour for d in dials if d.local_hour is not None]
        if hours:
            lo, hi = int(min(hours)), min(int(math.ceil(max(hours))), 24)
            b.put(
                "calling_list.daily_from",
                f"{lo:02d}:00",
                "inferred",
                "the hour of the earliest dial (local time)",
            )
            b.put(
                "calling_list.daily_till",
                f"{max(hi, lo + 1):02d}:00",
                "inferred",
                "the end of the hour of the latest dial",
            )


def _agents(b: _Builder, durations: dict) -> None:
    log = b.log
    groups = {k: g for k, g in (log.groups or {}).items() if g.agents}
    if not groups:
        b.assume("agents.groups.0.count", "no agent is named in the records")
        return
    base = copy.deepcopy(b.raw["agents"]["groups"][0])
    base.pop("name", None)
    b.raw["agents"]["groups"] = [{"name": name, **copy.deepcopy(base)} for name in groups]
    for name, g in groups.items():
        key = f"agents.groups.{name}"
        b.put(f"{key}.count", len(g.agents), "fitted", f"agents seen in the records ({name})")
        _group_duration(b, durations, f"{key}.talk_time_s", g, g.talk, "talk time with persons")
        _group_duration(
            b, durations, f"{key}.machine_time_s", g, g.machine, "agent time on machines AMD passed"
        )
        if log.agent_time:
            _group_duration(b, durations, f"{key}.wrap_time_s", g, g.wrap, "wrap-up time")
            _shift(b, key, g)
        else:
            b.assume(f"{key}.wrap_time_s", "no agent states in the records")


def _group_duration(b, durations, key, g: GroupTime, sample, what) -> None:
    _duration(b, durations, key, sample.values, sample.open, what)


def _shift(b: _Builder, key: str, g: GroupTime) -> None:
    log = b.log
    if g.first_login is None or g.last_logout is None or log.start is None:
        return
    starts_late = g.first_login > 60
    ends_early = g.last_logout < log.end_s - 60
    if not (starts_late or ends_early) or log.end_s > 86400:
        return
    begin = log.start + dt.timedelta(seconds=g.first_login)
    end = log.start + dt.timedelta(seconds=g.last_logout)
    shift = {"start": begin.strftime("%H:%M"), "end": end.strftime("%H:%M")}
    if shift["start"] == shift["end"]:
        return
    b.put(
        f"{key}.shift",
        shift,
        "inferred",
        "the group's first log-in and last log-out (site time)",
    )


def _dialing(b: _Builder, durations: dict) -> None:
    log = b.log
    previews = [v for g in (log.groups or {}).values() for v in g.preview.values]
    if previews:
        fit = fit_duration(previews)
        if fit is not None:
            durations["dialing.preview_time_s"] = fit
            b.put(
                "dialing.preview_time_s",
                dist_yaml(fit.dist),
                "fitted",
                f"agents' preview time: {fit.summary()}",
            )
    if b.sources.get("dialing") == "setting":
        return
    peak = peak_lines(log.dials)
    if peak:
        b.put("dialing.lines", peak, "inferred", "the most calls up at once in the records")
    ratio = dials_per_ready_agent(log)
    if ratio is not None:
        b.put(
            "dialing.ratio",
            round(max(ratio, 1.0), 1),
            "inferred",
            "dials in flight per ready agent, averaged over the moments of each dial "
            "(what a power dialer holds; for predictive, its typical level)",
        )
    abandoned, live = abandons(log)
    if abandoned:
        b.put(
            "dialing.target_abandon_rate",
            _round(abandoned / live, 3),
            "inferred",
            f"the abandon rate of the records ({abandoned} of {live} live answers)",
        )
    if "dialing.mode" in b.given:
        return
    mode, why = infer_mode(log)
    b.put("dialing.mode", mode, "inferred", why)


def _treatments(b: _Builder) -> None:
    if b.sources.get("treatments") == "setting":
        return
    rules = retry_rules(b.log.dials)
    if rules:
        b.put(
            "treatments",
            rules,
            "inferred",
            "per result, the shortest wait before a retry (to the minute), how much longer the "
            "shortest second retry waited, and the most retries in a row any record had",
        )
    else:
        b.put("treatments", {}, "inferred", "no record was dialed twice")


def _header(log: CallLog, s: ShareFit, b: _Builder) -> list[str]:
    counts = Counter(OUTCOMES[d.outcome] for d in log.dials)
    lines = [
        f"Fitted by `dialer fit --format {log.format}` from {', '.join(log.sources)}:",
        f"{len(log.dials)} dials over {log.end_s / 3600:.2f} h ("
        + ", ".join(f"{k} {v}" for k, v in counts.most_common())
        + ").",
        "Each key says where its value came from: fitted (n, method, goodness of fit), the",
        "centre's setting, given on the command line, inferred by a stated rule, or",
        "'not in the records: assumed' (the default).",
    ]
    if log.unknown_statuses:
        shown = ", ".join(f"{k} ({v})" for k, v in log.unknown_statuses.most_common())
        lines.append(f"Statuses not mapped (left out of the fit): {shown}.")
    for note in b.notes:
        lines.append(f"Note: {note}.")
    return lines


def to_yaml(fit: Fit) -> str:
    """The fitted campaign as YAML, each key with the comment saying where it came from."""
    return dump_yaml_commented(fit.campaign.to_dict(), fit.comments, fit.header)
