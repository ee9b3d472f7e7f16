"""The fold of a run's records into counts, times and 15-minute series.

The model computes no statistic: it emits each call record when the call ends (and those still
up at the horizon when the run stops) and each agent-state interval when the interval ends (and
the open ones at the horizon). A :class:`Tally` folds both streams as they come, so a run that
writes no records keeps memory flat whatever its length, and every summary figure
(:mod:`dialer.records.summary`) is a function of the records: the same figures can be
recomputed from ``calls.csv`` and ``agent_states.csv``.

One warm-up rule: a record counts by the time of the event that starts it. A call (with
everything measured on it: its outcome, its answer wait, the connected agent's wait) counts by
its dial time; an agent-state interval counts for its part after the warm-up. Compliance
windows are the exception: the regulator knows no warm-up, so they count every call.

A call's outcome counts once it is decided by the horizon: at the CPD verdict, or for a call
classified human when an agent took it or nobody did (abandoned or dropped). A call still ringing
or still waiting for an agent at the horizon counts as a dial and as undecided only; a connected
call still up counts as a connect, its talk so far in the agents' time.
"""

from __future__ import annotations

from dialer.clock import DayIndex
from dialer.codes import BUSY, FAX, HUMAN, INVALID, MACHINE, NO_ANSWER, RESULT_CODES
from dialer.records.calls import Call
from dialer.stats import Histogram

BUCKET_S = 900.0  # the 15-minute interval of every time series
STATES = 7  # agent states (codes.READY ... codes.LOGGED_OUT)
ABANDONED_CODE, DROPPED_CODE = RESULT_CODES["abandoned"], RESULT_CODES["dropped"]


class Level:
    """A count that changes over time (lines in use, dials in flight): its time integral after
    the warm-up, its integral per 15 minutes and its peaks (after the warm-up, per 15 minutes;
    the count at the warm-up edge, then after each instant's changes), in O(1) per change."""

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
        if now != self.t:
            self._settle()
            if now >= self.edge:
                self._cross(now)
            self.area += self.n * (now - self.t)
            self.t = now
        self.n += delta

    def _settle(self) -> None:
        """The count after all the changes of the last instant: a candidate for the peaks
        (a line freed and taken again at one instant makes no peak)."""
        n = self.n
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
        self._settle()
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


def _bump(series: list, i: int, by: float = 1) -> None:
    try:
        series[i] += by
    except IndexError:
        series.extend([0] * (i + 1 - len(series)))
        series[i] += by


COUNTS = (
    "dials",
    "live_answers",
    "connects",
    "abandoned",
    "machines",
    "busy",
    "no_answer",
    "fax",
    "invalid",
    "amd_false_positives",
    "machines_to_agents",
    "machines_dropped",
    "classified_human",
    "ocs_abandoned",
    "ocs_dropped",
    "in_progress",
    "undecided",
)
_BY_TRUTH = {
    MACHINE: "machines",
    BUSY: "busy",
    NO_ANSWER: "no_answer",
    FAX: "fax",
    INVALID: "invalid",
}


class Tally:
    """Folds the stream of call records and agent-state intervals (see the module doc)."""

    SERIES = (
        "dials",
        "live_answers",
        "abandoned",
        "connects",
        "amd_false_positives",
        "classified_human",
        "machines_dropped",
        "records_finished",
    )

    def __init__(self, warmup_s: float, midnights: list[float]):
        self.warmup = warmup_s
        self.day = DayIndex(midnights).of  # the site's calendar day of a time (0: the first)
        self.lines = Level(warmup_s)  # fed by the model: a line is held from dial to hang-up
        self.in_flight = Level(warmup_s)  # dials whose CPD verdict is not in yet
        self.counts = dict.fromkeys(COUNTS, 0)
        self.series: dict[str, list[int]] = {k: [] for k in self.SERIES}
        self.days: dict[str, list[int]] = {
            k: [] for k in ("live_answers", "abandoned", "amd_false_positives", "dials")
        }
        self.agent_wait = Histogram(1.0, 3600)
        self.answer_wait = Histogram(0.05, 1200)
        self.contact_attempts = 0  # sum of the record's attempt number over connects
        self.state_s = [0.0] * STATES  # agent seconds after the warm-up, per state
        self.state_series: list[list[float]] = [[] for _ in range(STATES)]  # per 15 minutes
        self.report_delay_sum = 0.0  # Stat Server: report time - state change, over intervals
        self.reported = 0

    # -- the records ---------------------------------------------------------------------------
    def interval(self, state: int, start: float, end: float, reported: float | None = None) -> None:
        """An agent spent [start, end) in ``state``; the OCS learned of it at ``reported``."""
        if start >= self.warmup and reported is not None:
            self.report_delay_sum += reported - start
            self.reported += 1
        if end > self.warmup:
            self.state_s[state] += end - max(start, self.warmup)
        series = self.state_series[state]  # the series shows the warm-up too
        a = start
        b = int(a // BUCKET_S)
        while a < end:
            edge = (b + 1) * BUCKET_S
            upto = end if end < edge else edge
            _bump(series, b, upto - a)
            a = upto
            b += 1

    def call(self, call: Call) -> None:
        """A call record: at its hang-up, or still up at the horizon."""
        t = call.dialed_at
        truth, verdict = call.truth, call.verdict
        known = call.verdict_at is not None
        decided = call.connected_at is not None or call.unanswered  # an agent took it, or none
        days, d = self.days, self.day(t)
        _bump(days["dials"], d)  # the regulator's windows know no warm-up: every call counts
        if truth == HUMAN and known:
            if verdict == HUMAN and decided:
                _bump(days["live_answers"], d)
                if call.unanswered:
                    _bump(days["abandoned"], d)
            elif verdict == MACHINE:
                _bump(days["amd_false_positives"], d)
        if t < self.warmup:
            return
        c, s = self.counts, self.series
        b = int(t // BUCKET_S)
        c["dials"] += 1
        _bump(s["dials"], b)
        if call.ended_at is None:
            c["in_progress"] += 1
        if not known or (verdict == HUMAN and not decided):
            c["undecided"] += 1  # still ringing, or waiting for an agent, at the horizon
            return
        if truth != HUMAN:
            c[_BY_TRUTH[truth]] += 1
        if verdict != HUMAN:
            if truth == HUMAN and verdict == MACHINE:
                c["amd_false_positives"] += 1
                _bump(s["amd_false_positives"], b)
            return
        c["classified_human"] += 1
        _bump(s["classified_human"], b)
        if call.unanswered:
            if call.result == ABANDONED_CODE:
                c["ocs_abandoned"] += 1
            elif call.result == DROPPED_CODE:
                c["ocs_dropped"] += 1
        if truth == HUMAN:
            c["live_answers"] += 1
            _bump(s["live_answers"], b)
            if call.unanswered:
                c["abandoned"] += 1
                _bump(s["abandoned"], b)
            else:
                c["connects"] += 1
                _bump(s["connects"], b)
                self.contact_attempts += call.attempt
                self.answer_wait.add(call.connected_at - call.verdict_at)  # type: ignore[operator]
                if call.agent_wait is not None:
                    self.agent_wait.add(call.agent_wait)
        elif truth == MACHINE:
            if call.unanswered:
                c["machines_dropped"] += 1
                _bump(s["machines_dropped"], b)
            else:
                c["machines_to_agents"] += 1

    def record_finished(self, now: float) -> None:
        """A list record was finished (by the clock: list penetration over time)."""
        _bump(self.series["records_finished"], int(now // BUCKET_S))

    def close(self, now: float) -> None:
        self.lines.close(now)
        self.in_flight.close(now)

    @property
    def report_delay_mean(self) -> float | None:
        return self.report_delay_sum / self.reported if self.reported else None
