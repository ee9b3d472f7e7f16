"""Call detail records, agent time, and every summary metric as a function of them.

The model emits one :class:`Call` per dial when the call ends and one state change per agent
transition; it computes no statistic itself. A :class:`Tally` folds that stream as it comes
(so a run without call records keeps memory flat, whatever its length) into counts, levels
integrated over time (agent states, lines, dials in flight) and 15-minute series. The summary
(:func:`summarize`) and the compliance windows are pure functions of the tally.

Warm-up is a filter: dials count by their dial time, agent time by the clock. Compliance
windows are the exception: the regulator knows no warm-up, so they count every call.
"""

from __future__ import annotations

import bisect
import math

from .contacts import (
    BUSY,
    FAX,
    HUMAN,
    INVALID,
    MACHINE,
    NO_ANSWER,
    OUTCOME_NAMES,
    VERDICT_NAMES,
)

BUCKET_S = 900.0  # the 15-minute interval of every time series

# Agent states (what the Stat Server would show).
IDLE, RESERVED, PREVIEW, TALK, WRAP, ON_MACHINE, LOGGED_OUT = range(7)
AGENT_STATE_NAMES = ("idle", "reserved", "preview", "talk", "wrap", "machine", "logged_out")


class Call:
    """One dial, from the line seizure to the hang-up: the call detail record."""

    __slots__ = (
        "call_id", "record", "attempt", "dialed_at", "truth", "verdict", "result",
        "answered_at", "verdict_at", "connected_at", "ended_at", "agent", "abandoned",
        "row", "waiting", "reserved_by",
    )

    def __init__(self, call_id: int, record, attempt: int, dialed_at: float):
        self.call_id = call_id
        self.record = record
        self.attempt = attempt
        self.dialed_at = dialed_at
        self.truth = -1  # outcome code (contacts.HUMAN ...)
        self.verdict = -1  # CPD verdict code
        self.result = 0  # Genesys call_result
        self.answered_at = None
        self.verdict_at = None
        self.connected_at = None
        self.ended_at = None
        self.agent = None
        self.abandoned = False
        self.row = None
        self.waiting = False
        self.reserved_by = None


CDR_COLUMNS = (
    "call_id", "record_id", "chain_id", "phone", "attempt", "dialed_at_s", "truth",
    "cpd_verdict", "call_result", "answered_at_s", "connected_at_s", "ended_at_s",
    "agent_id", "abandoned", "local_time", "timezone",
)


def _t(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def cdr_row(call: Call, local_time: str) -> list:
    """The ``calls.csv`` row of a call (times in seconds from the start of the run)."""
    rec = call.record
    return [
        call.call_id, rec.record_id, rec.chain_id, rec.phone, call.attempt, _t(call.dialed_at),
        OUTCOME_NAMES[call.truth] if call.truth >= 0 else "",
        VERDICT_NAMES[call.verdict] if call.verdict >= 0 else "",
        call.result if call.ended_at is not None else "",
        _t(call.answered_at), _t(call.connected_at), _t(call.ended_at),
        "" if call.agent is None else call.agent, int(call.abandoned), local_time, rec.zone,
    ]


class Level:
    """A count that changes over time (agents in a state, lines in use, dials in flight).

    Keeps its time integral (cumulative, with a snapshot at the warm-up edge), its value at
    every 15-minute edge, and peaks (after the warm-up, and per 15 minutes), all in O(1) per
    change.
    """

    __slots__ = ("n", "t", "area", "edge", "warmup", "warm_area", "peak", "bpeak", "cum", "peaks")

    def __init__(self, warmup: float = 0.0):
        self.n = 0
        self.t = 0.0
        self.area = 0.0
        self.warmup = warmup
        self.warm_area: float | None = 0.0 if warmup <= 0 else None
        self.peak = 0
        self.bpeak = 0
        self.cum: list[float] = []  # integral from 0 to the end of each bucket
        self.peaks: list[int] = []  # peak within each bucket
        self.edge = min(BUCKET_S, warmup) if warmup > 0 else BUCKET_S

    def add(self, now: float, delta: int) -> None:
        if now >= self.edge:
            self._cross(now)
        n = self.n
        self.area += n * (now - self.t)
        self.t = now
        n += delta
        self.n = n
        if n > self.bpeak:
            self.bpeak = n
        if n > self.peak:
            self.peak = n

    def _cross(self, now: float) -> None:
        while now >= self.edge:
            e = self.edge
            self.area += self.n * (e - self.t)
            self.t = e
            if self.warm_area is None and e >= self.warmup:
                self.warm_area = self.area
                self.peak = self.n
            if e >= (len(self.cum) + 1) * BUCKET_S:
                self.cum.append(self.area)
                self.peaks.append(self.bpeak)
                self.bpeak = self.n
            nxt = (len(self.cum) + 1) * BUCKET_S
            if self.warm_area is None:
                nxt = min(nxt, self.warmup)
            self.edge = nxt

    def close(self, now: float) -> None:
        """Integrate up to the end of the run and close the last, partial bucket."""
        self._cross(now)
        self.area += self.n * (now - self.t)
        self.t = now
        if len(self.cum) * BUCKET_S < now:
            self.cum.append(self.area)
            self.peaks.append(self.bpeak)

    def total(self) -> float:
        """Integral after the warm-up (after :meth:`close`)."""
        return self.area - (self.warm_area or 0.0)

    def per_bucket(self) -> list[float]:
        return [b - a for a, b in zip([0.0, *self.cum[:-1]], self.cum)]


class Hist:
    """A fixed-bin histogram (flat memory) for waits."""

    __slots__ = ("width", "bins", "over", "n", "sum")

    def __init__(self, width: float, nbins: int):
        self.width = width
        self.bins = [0] * nbins
        self.over = 0
        self.n = 0
        self.sum = 0.0

    def add(self, x: float) -> None:
        self.n += 1
        self.sum += x
        i = int(x / self.width)
        if i < len(self.bins):
            self.bins[i] += 1
        else:
            self.over += 1

    @property
    def mean(self) -> float | None:
        return self.sum / self.n if self.n else None

    def to_dict(self) -> dict:
        """Bins of ``width`` seconds from 0 (trailing empty bins left out) and the overflow."""
        last = max((i for i, c in enumerate(self.bins) if c), default=-1)
        return {"width_s": self.width, "bins": self.bins[: last + 1], "over": self.over,
                "n": self.n, "mean": self.mean}

    def quantile(self, q: float) -> float | None:
        if not self.n:
            return None
        target, acc = q * self.n, 0
        for i, c in enumerate(self.bins):
            acc += c
            if acc >= target:
                return (i + 1) * self.width
        return len(self.bins) * self.width


def _bump(series: list, i: int, by: int = 1) -> None:
    try:
        series[i] += by
    except IndexError:
        series.extend([0] * (i + 1 - len(series)))
        series[i] += by


class Tally:
    """Folds the model's stream of calls and agent changes into counts, levels and series."""

    SERIES = ("dials", "live_answers", "abandoned", "connects", "amd_false_positives",
              "classified_human", "dropped", "records_finished")

    def __init__(self, warmup_s: float, midnights: list[float]):
        self.warmup = warmup_s
        self.midnights = midnights  # site-local midnights (simulated s), for calendar days
        self._first_day = bisect.bisect_right(midnights, 0.0) - 1
        self._day = (0.0, -1.0, 0)  # (from, till, index) of the last day looked up
        self.agent_levels = [Level(warmup_s) for _ in AGENT_STATE_NAMES]
        self.lines = Level(warmup_s)
        self.in_flight = Level(warmup_s)
        self.waiting = Level(warmup_s)
        self.counts = dict.fromkeys(
            ("dials", "live_answers", "connects", "abandoned", "machines", "busy", "no_answer",
             "fax", "invalid", "amd_false_positives", "amd_false_negatives", "dropped",
             "machines_to_agents", "classified_human", "in_progress"), 0)
        self.series: dict[str, list[int]] = {k: [] for k in self.SERIES}
        self.days: dict[str, list[int]] = {k: [] for k in ("live_answers", "abandoned", "amd_false_positives", "dials")}
        self.agent_wait = Hist(1.0, 3600)
        self.answer_wait = Hist(0.05, 1200)
        self.contact_attempts = 0  # sum of the record's attempt number over connects

    def day(self, t: float) -> int:
        """Index of the site's calendar day holding simulated time t (0 = the first day)."""
        lo, hi, d = self._day
        if lo <= t < hi:
            return d
        m = self.midnights
        j = bisect.bisect_right(m, t) - 1
        d = j - self._first_day
        self._day = (m[j] if j >= 0 else -math.inf, m[j + 1] if j + 1 < len(m) else math.inf, d)
        return d

    # -- fed by the model --------------------------------------------------------------------
    def agent_change(self, now: float, old: int, new: int) -> None:
        levels = self.agent_levels
        levels[old].add(now, -1)
        levels[new].add(now, 1)

    def dial(self, now: float) -> None:
        _bump(self.days["dials"], self.day(now))  # compliance windows count every call
        if now >= self.warmup:
            self.counts["dials"] += 1
            _bump(self.series["dials"], int(now // BUCKET_S))

    def record_finished(self, now: float) -> None:
        """A list record was finished (by the clock: list penetration over time)."""
        _bump(self.series["records_finished"], int(now // BUCKET_S))

    def connect_wait(self, now: float, agent_wait: float) -> None:
        if now >= self.warmup:
            self.agent_wait.add(agent_wait)

    def ended(self, call: Call) -> None:
        t = call.dialed_at
        truth, verdict = call.truth, call.verdict
        if truth == HUMAN:
            # the regulator's windows know no warm-up: every call of the window counts
            days, d = self.days, self.day(t)
            if verdict == HUMAN:
                _bump(days["live_answers"], d)
                if call.abandoned:
                    _bump(days["abandoned"], d)
            elif verdict == MACHINE:
                _bump(days["amd_false_positives"], d)
        if t < self.warmup:
            return
        c, s = self.counts, self.series
        b = int(t // BUCKET_S)
        if verdict == HUMAN:
            c["classified_human"] += 1
            _bump(s["classified_human"], b)
        if truth == HUMAN:
            if verdict == HUMAN:
                c["live_answers"] += 1
                _bump(s["live_answers"], b)
                if call.abandoned:
                    c["abandoned"] += 1
                    _bump(s["abandoned"], b)
                else:
                    c["connects"] += 1
                    self.contact_attempts += call.attempt
                    _bump(s["connects"], b)
                    self.answer_wait.add(call.connected_at - call.verdict_at)
            elif verdict == MACHINE:
                c["amd_false_positives"] += 1
                _bump(s["amd_false_positives"], b)
        elif truth == MACHINE:
            c["machines"] += 1
            if verdict == HUMAN:
                c["machines_to_agents"] += 1
                if call.abandoned:
                    c["dropped"] += 1
                    _bump(s["dropped"], b)
        elif truth == BUSY:
            c["busy"] += 1
        elif truth == NO_ANSWER:
            c["no_answer"] += 1
        elif truth == FAX:
            c["fax"] += 1
        elif truth == INVALID:
            c["invalid"] += 1

    def close(self, now: float) -> None:
        for level in (*self.agent_levels, self.lines, self.in_flight, self.waiting):
            level.close(now)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def abandon_rates(live: int, abandoned: int, fp_actual: int, fp_estimate_share: float) -> dict:
    """The three abandon rates of design.md section 5 from one window's counts."""
    e = fp_estimate_share
    est = live * e / (1 - e) if e < 1 else 0.0
    return {
        "abandon_rate": _ratio(abandoned, live),
        "abandon_rate_ofcom": _ratio(abandoned + est, live + est),
        "abandon_rate_true": _ratio(abandoned + fp_actual, live + fp_actual),
    }


def compliance_windows(days: dict[str, list[int]], regime: str, fp_estimate: float) -> list[dict]:
    """Abandon rate per compliance window: 30 days (rolling; the whole run when shorter) under
    fcc, each calendar day of the site under ofcom (with the centre's false-positive estimate)."""
    n = max((len(v) for v in days.values()), default=0)

    def col(k: str) -> list[int]:
        v = days[k]
        return v + [0] * (n - len(v))

    live, ab, fp = col("live_answers"), col("abandoned"), col("amd_false_positives")
    out = []
    if regime == "ofcom":
        for d in range(n):
            r = abandon_rates(live[d], ab[d], fp[d], fp_estimate)
            out.append({"first_day": d, "days": 1, "live_answers": live[d], "abandoned": ab[d],
                        "rate": r["abandon_rate_ofcom"] or 0.0})
        return out
    span = min(30, n) if n else 0
    for d in range(0, max(n - span + 1, 0)):
        lv, a = sum(live[d:d + span]), sum(ab[d:d + span])
        out.append({"first_day": d, "days": span, "live_answers": lv, "abandoned": a,
                    "rate": _ratio(a, lv) or 0.0})
    return out


def summarize(tally: Tally, *, amd: bool, fp_estimate: float,
              regime: str, limit: float, records_total: int | None, records_finished: int,
              dnc_blocked: int, finished_by: dict[int, int] | None = None,
              records_finished_at_start: int = 0, records_dialed: int | None = None) -> dict:
    """Every summary key of design.md section 5 (counts, rates, shares) from a closed tally."""
    c = dict(tally.counts)
    lv = tally.agent_levels
    t = {name: lv[i].total() for i, name in enumerate(AGENT_STATE_NAMES)}
    logged_in = sum(v for k, v in t.items() if k != "logged_out")
    rates = abandon_rates(c["live_answers"], c["abandoned"], c["amd_false_positives"], fp_estimate)
    windows = compliance_windows(tally.days, regime, fp_estimate)
    worst = max((w["rate"] for w in windows), default=0.0)
    agent_hours = logged_in / 3600
    out: dict = {
        "dials": c["dials"],
        "live_answers": c["live_answers"],
        "connects": c["connects"],
        "abandoned": c["abandoned"],
        "dropped": c["dropped"],
        "machines": c["machines"],
        "busy": c["busy"],
        "no_answer": c["no_answer"],
        "fax": c["fax"],
        "invalid": c["invalid"],
        "amd_false_positives": c["amd_false_positives"],
        "amd_false_negatives": c["machines_to_agents"] if amd else 0,
        "machines_to_agents": c["machines_to_agents"],
        "dnc_blocked": dnc_blocked,
        "records_total": records_total,
        "records_finished": records_finished,
        **rates,
        "overdial_rate": _ratio(c["abandoned"] + c["dropped"], c["classified_human"]),
        "hit_ratio": _ratio(c["live_answers"], c["dials"]),
        "occupancy": _ratio(t["talk"] + t["wrap"], logged_in),
        "talk_share": _ratio(t["talk"], logged_in),
        "wrap_share": _ratio(t["wrap"], logged_in),
        "machine_share": _ratio(t["machine"], logged_in),
        "reserved_share": _ratio(t["reserved"] + t["preview"], logged_in),
        "idle_share": _ratio(t["idle"], logged_in),
        "agent_hours": agent_hours,
        "talk_minutes_per_agent_hour": _ratio(t["talk"] / 60, agent_hours),
        "connects_per_agent_hour": _ratio(c["connects"], agent_hours),
        "dials_per_connect": _ratio(c["dials"], c["connects"]),
        "mean_agent_wait_s": tally.agent_wait.mean,
        "mean_answer_wait_s": tally.answer_wait.mean,
        "list_penetration": (_ratio(records_finished + records_finished_at_start, records_total)
                             if records_total else None),
        "records_finished_at_start": records_finished_at_start,
        "records_dialed": records_dialed,
        "contacts_per_record": _ratio(c["connects"], records_dialed or 0),
        "attempts_per_contact": _ratio(tally.contact_attempts, c["connects"]),
        "peak_lines": tally.lines.peak,
        "compliance_regime": regime,
        "compliance_limit": limit,
        "compliance_worst_rate": worst,
        "compliance_ok": worst <= limit + 1e-12,
        "records_finished_by_result": {str(k): v for k, v in sorted((finished_by or {}).items())},
    }
    return out


def series(tally: Tally, fp_estimate: float) -> list[dict]:
    """15-minute time series for reports: counts, agent seconds by state, lines, rates."""
    n = max(
        max((len(v) for v in tally.series.values()), default=0),
        max(len(lv.cum) for lv in tally.agent_levels),
    )
    state_b = [lv.per_bucket() for lv in tally.agent_levels]
    lines_b, flight_b = tally.lines.per_bucket(), tally.in_flight.per_bucket()
    cum_live = cum_ab = cum_fin = 0
    rows = []
    for b in range(n):
        row: dict = {"t_s": b * BUCKET_S}
        for k, v in tally.series.items():
            row[k] = v[b] if b < len(v) else 0
        for i, name in enumerate(AGENT_STATE_NAMES):
            row[f"agent_s_{name}"] = state_b[i][b] if b < len(state_b[i]) else 0.0
        row["mean_lines"] = (lines_b[b] / BUCKET_S) if b < len(lines_b) else 0.0
        row["peak_lines"] = tally.lines.peaks[b] if b < len(tally.lines.peaks) else 0
        row["mean_in_flight"] = (flight_b[b] / BUCKET_S) if b < len(flight_b) else 0.0
        cum_live += row["live_answers"]
        cum_ab += row["abandoned"]
        row["abandon_rate"] = _ratio(row["abandoned"], row["live_answers"])
        row["abandon_rate_cumulative"] = _ratio(cum_ab, cum_live)
        cum_fin += row["records_finished"]
        row["records_finished_cumulative"] = cum_fin
        rows.append(row)
    return rows
