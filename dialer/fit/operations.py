"""How the centre dialed, as its records show it: the mode, the ratio, the lines, the retries.

These are settings, not facts about the world, so a centre's own configuration wins when the
records come with it (:data:`dialer.fit.campaign.SETTINGS`). Without it they are inferred by
the stated rules below, each a pure function of the call log.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict

from dialer.fit.log import (
    ABANDONED,
    AGENT_MACHINE,
    BUSY,
    FAX,
    INVALID,
    MACHINE,
    NO_ANSWER,
    PERSON,
    CallLog,
    Dial,
)

TREATMENT_OF = {
    BUSY: "busy",
    NO_ANSWER: "no_answer",
    MACHINE: "answering_machine",
    AGENT_MACHINE: "answering_machine",
    FAX: "fax",
    INVALID: "invalid",
    ABANDONED: "abandoned",
}


def abandons(log: CallLog) -> tuple[int, int]:
    """(calls abandoned, calls classified human that were connected or abandoned)."""
    abandoned = sum(1 for d in log.dials if d.outcome == ABANDONED)
    return abandoned, abandoned + sum(1 for d in log.dials if d.outcome == PERSON)


def infer_mode(log: CallLog) -> tuple[str, str]:
    """The dialing mode the records suggest, and why."""
    seconds: Counter = Counter()
    for g in (log.groups or {}).values():
        seconds.update(g.seconds)
    abandoned, _ = abandons(log)
    if seconds.get("preview", 0) > 0:
        return "preview", "agents previewed records before their dials"
    if seconds.get("reserved", 0) > 0 and abandoned == 0:
        return "progressive", "agents waited on their own dials and nothing was abandoned"
    agents = sum(len(g.agents) for g in (log.groups or {}).values())
    if abandoned == 0:
        peak = peak_flight(log.dials)
        if agents and peak <= agents:
            return "progressive", f"no abandons and never more dials in flight ({peak}) than agents"
        return "power", f"no abandons, yet up to {peak} dials in flight for {agents} agents"
    return "predictive", f"{abandoned} abandoned calls: the dialer dialed ahead of its agents"


def dials_per_ready_agent(log: CallLog) -> float | None:
    """Mean of (dials in flight) / (ready agents) at the moments of the dials, where agents were
    ready: the ratio a power dialer holds. None without agent states."""
    if not log.ready_steps:
        return None
    times = [t for t, _ in log.ready_steps]
    levels = []
    level = 0
    for _, delta in log.ready_steps:
        level += delta
        levels.append(level)
    flights = sorted(
        (d.dialed_at, d.dialed_at + span)
        for d in log.dials
        if (span := d.answer_s if d.answer_s is not None else d.ring_s) is not None
    )
    starts = [a for a, _ in flights]
    ends = sorted(b for _, b in flights)
    ratios = []
    for t in starts:
        i = bisect.bisect_right(times, t) - 1
        ready = levels[i] if i >= 0 else 0
        if ready > 0:
            in_flight = bisect.bisect_right(starts, t) - bisect.bisect_right(ends, t)
            ratios.append(in_flight / ready)
    return sum(ratios) / len(ratios) if ratios else None


def peak_lines(dials: list[Dial]) -> int:
    """The most calls up at once (dial to hang-up)."""
    events = []
    for d in dials:
        if d.duration_s is not None:
            events += [(d.dialed_at, 1), (d.dialed_at + d.duration_s, -1)]
    events.sort(key=lambda e: (e[0], e[1]))
    level = peak = 0
    for _, delta in events:
        level += delta
        peak = max(peak, level)
    return peak


def peak_flight(dials: list[Dial]) -> int:
    """The most dials at once between the dial and its answer or failure."""
    events = []
    for d in dials:
        span = d.answer_s if d.answer_s is not None else d.ring_s
        if span is not None:
            events += [(d.dialed_at, 1), (d.dialed_at + span, -1)]
    events.sort(key=lambda e: (e[0], e[1]))
    level = peak = 0
    for _, delta in events:
        level += delta
        peak = max(peak, level)
    return peak


def retry_rules(dials: list[Dial]) -> dict[str, dict]:
    """Retry rules the records show, as treatments: per result, the shortest wait before a
    retry (to the minute), how much longer the shortest second retry in a row waited (the
    increment), and the most retries in a row any record had."""
    by_record: dict[str, list[Dial]] = defaultdict(list)
    for d in dials:
        if d.record:
            by_record[d.record].append(d)
    gaps: dict[tuple[str, int], list[float]] = defaultdict(list)
    runs: Counter[str] = Counter()
    for attempts in by_record.values():
        attempts.sort(key=lambda d: d.dialed_at)
        streak: Counter[str] = Counter()
        for prev, nxt in zip(attempts, attempts[1:]):
            result = TREATMENT_OF.get(prev.outcome)
            if result is None or prev.duration_s is None:
                continue
            streak = Counter({result: streak[result] + 1})
            gaps[(result, streak[result])].append(nxt.dialed_at - prev.dialed_at - prev.duration_s)
            runs[result] = max(runs[result], streak[result])
    rules = {}
    for result in sorted(runs):
        first = math.floor(max(min(gaps[(result, 1)]), 0.0) / 60) * 60
        second = gaps.get((result, 2))
        step = math.floor(max(min(second), 0.0) / 60) * 60 - first if second else 0
        rules[result] = {
            "retry_after_s": float(first),
            "increment_s": float(max(step, 0)),
            "retries": runs[result],
            "then": "finish",
        }
    return rules
