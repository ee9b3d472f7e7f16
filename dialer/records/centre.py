"""A centre's own figures, folded from its records: queues, and agent time by work.

:class:`QueueTally` folds one queue's inbound call records (each counted by its arrival, after
the warm-up) into the queue metrics of docs/centre.md; :class:`WorkTime` folds agent-state
intervals into time by state and by work (inbound, or outbound for a campaign) for a group, a
campaign's agents or the whole centre. Like :mod:`dialer.records.tally`, both are functions of
the records: ``calls.csv`` (its ``queue`` and ``arrived_at_s`` columns) and
``agent_states.csv`` (its ``campaign`` and ``queue`` columns) give the same figures.
"""

from __future__ import annotations

import math

from dialer.codes import (
    AGENT_STATE_NAMES,
    LOGGED_OUT,
    ON_MACHINE,
    PREVIEW,
    READY,
    RESERVED,
    TALKING,
    WRAP_UP,
)
from dialer.records.calls import InboundCall
from dialer.records.tally import BUCKET_S, STATES

# agent states that are work on a call (inbound when the interval has a queue)
ON_CALL = (TALKING, WRAP_UP)
OUTBOUND_WORK = (TALKING, WRAP_UP, ON_MACHINE, RESERVED, PREVIEW)
QUEUE_COUNTS = (
    "offered",
    "answered",
    "abandoned",
    "balked",
    "blocked",
    "waiting_at_end",
    "answered_within",
    "exceeded",
    "waited",
)
QUEUE_SERIES = ("offered", "answered", "answered_within", "exceeded", "abandoned")


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _grow(series: list, i: int) -> None:
    if i >= len(series):
        series.extend([0] * (i + 1 - len(series)))


class QueueTally:
    """One queue's inbound calls, counted by arrival (see the module doc)."""

    def __init__(self, warmup_s: float, service_level_s: float, horizon_s: float):
        self.warmup = warmup_s
        self.threshold = service_level_s
        self.horizon = horizon_s
        self.counts = dict.fromkeys(QUEUE_COUNTS, 0)
        self.wait_s = 0.0  # answered calls' waits
        self.waited_s = 0.0  # answered calls that waited: their waits
        buckets = max(1, math.ceil(horizon_s / BUCKET_S))
        self.series: dict[str, list[float]] = {k: [0] * buckets for k in QUEUE_SERIES}
        self.series["wait_s"] = [0.0] * buckets

    def call(self, call: InboundCall) -> None:
        t = call.arrived_at
        if t < self.warmup:
            return
        c, s, b = self.counts, self.series, int(t // BUCKET_S)
        for v in s.values():
            _grow(v, b)
        c["offered"] += 1
        s["offered"][b] += 1
        result = call.result
        if result == "answered":
            wait = call.connected_at - t  # type: ignore[operator]
            c["answered"] += 1
            s["answered"][b] += 1
            self.wait_s += wait
            s["wait_s"][b] += wait
            if wait > 0:
                c["waited"] += 1
                self.waited_s += wait
        elif result == "abandoned":
            wait = call.ended_at - t  # type: ignore[operator]
            c["abandoned"] += 1
            s["abandoned"][b] += 1
        elif result in ("balked", "blocked"):
            c[result] += 1
            return
        else:  # still waiting at the end
            wait = self.horizon - t
            c["waiting_at_end"] += 1
        if wait > self.threshold:
            c["exceeded"] += 1
            s["exceeded"][b] += 1
        elif result == "answered":
            c["answered_within"] += 1
            s["answered_within"][b] += 1


def queue_summary(tallies: list[QueueTally]) -> dict:
    """The queue metrics of one queue (one tally) or of several together (a centre total)."""
    c = {k: sum(t.counts[k] for t in tallies) for k in QUEUE_COUNTS}
    wait = sum(t.wait_s for t in tallies)
    waited = sum(t.waited_s for t in tallies)
    offered = c["offered"]
    return {
        "offered": offered,
        "answered": c["answered"],
        "abandoned": c["abandoned"],
        "balked": c["balked"],
        "blocked": c["blocked"],
        "waiting_at_end": c["waiting_at_end"],
        "service_level": None if not offered else 1 - c["exceeded"] / offered,
        "answered_within_share": _ratio(c["answered_within"], offered),
        "asa_s": _ratio(wait, c["answered"]),
        "p_wait": _ratio(c["waited"], c["answered"]),
        "mean_wait_waited_s": _ratio(waited, c["waited"]),
        "abandoned_share": _ratio(c["abandoned"], offered),
    }


def queue_series(tally: QueueTally) -> list[dict]:
    """Per 15 minutes (by arrival): offered, answered, abandoned, service level, ASA."""
    s = tally.series
    rows = []
    for b in range(len(s["offered"])):
        offered = s["offered"][b]
        rows.append(
            {
                "t_s": b * BUCKET_S,
                "offered": offered,
                "answered": s["answered"][b],
                "abandoned": s["abandoned"][b],
                "answered_within": s["answered_within"][b],
                "service_level": None if not offered else 1 - s["exceeded"][b] / offered,
                "asa_s": _ratio(s["wait_s"][b], s["answered"][b]),
            }
        )
    return rows


class WorkTime:
    """Agent time by state and by work (inbound, outbound per campaign) after the warm-up, and
    per 15 minutes (the warm-up included) for the agents' split."""

    SERIES = ("inbound", "outbound", "ready", "logged_in")

    def __init__(self, warmup_s: float, campaigns: int, horizon_s: float):
        self.warmup = warmup_s
        self.state_s = [0.0] * STATES
        self.inbound_s = 0.0
        self.outbound_s = [0.0] * campaigns
        buckets = max(1, math.ceil(horizon_s / BUCKET_S))
        self.series: dict[str, list[float]] = {k: [0.0] * buckets for k in self.SERIES}

    def interval(self, state: int, start: float, end: float, queue: int, campaign: int) -> None:
        """[start, end) in ``state``; on an inbound call of ``queue`` (or -1); assigned to
        ``campaign`` (or -1)."""
        kind = ""
        if state in ON_CALL and queue >= 0:
            kind = "inbound"
        elif state in OUTBOUND_WORK and campaign >= 0:
            kind = "outbound"
        elif state == READY:
            kind = "ready"
        a = max(start, self.warmup)
        if end > a:
            d = end - a
            self.state_s[state] += d
            if kind == "inbound":
                self.inbound_s += d
            elif kind == "outbound":
                self.outbound_s[campaign] += d
        if state == LOGGED_OUT or end <= start:
            return
        b = int(start // BUCKET_S)
        t = start
        while t < end:
            upto = min(end, (b + 1) * BUCKET_S)
            for k in (kind, "logged_in") if kind else ("logged_in",):
                series = self.series[k]
                _grow(series, b)
                series[b] += upto - t
            t = upto
            b += 1

    @property
    def logged_in_s(self) -> float:
        return sum(v for i, v in enumerate(self.state_s) if i != LOGGED_OUT)

    def shares(self, campaigns: list[str]) -> dict:
        """agent_hours, occupancy, inbound_share, outbound_share and per campaign."""
        t = dict(zip(AGENT_STATE_NAMES, self.state_s, strict=True))
        logged = self.logged_in_s
        return {
            "agent_hours": logged / 3600,
            "occupancy": _ratio(t["talking"] + t["wrap_up"], logged),
            "inbound_share": _ratio(self.inbound_s, logged),
            "outbound_share": _ratio(sum(self.outbound_s), logged),
            "idle_share": _ratio(t["ready"], logged),
            "outbound_shares": {
                name: _ratio(self.outbound_s[i], logged) for i, name in enumerate(campaigns)
            },
        }

    def split_series(self) -> list[dict]:
        """Per 15 minutes: agent seconds on inbound, on outbound, ready, logged in."""
        n = max(len(v) for v in self.series.values())
        return [
            {
                "t_s": b * BUCKET_S,
                **{k: (v[b] if b < len(v) else 0.0) for k, v in self.series.items()},
            }
            for b in range(n)
        ]
