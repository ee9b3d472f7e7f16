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

import math

from dialer.clock import DayIndex
from dialer.codes import BUSY, FAX, HUMAN, INVALID, MACHINE, NO_ANSWER, RESULT_CODES
from dialer.records.calls import Call
from dialer.stats import Histogram

BUCKET_S = 900.0  # the 15-minute interval of every time series
STATES = 7  # agent states (codes.READY ... codes.LOGGED_OUT)
ABANDONED_CODE, DROPPED_CODE = RESULT_CODES["abandoned"], RESULT_CODES["dropped"]


class LinePeaks:
    """The lines in use over time: their integral per 15 minutes and their peaks.

    The model reports the count each time it is about to change at a new instant, with the
    span of time it held (:meth:`held`), so the peaks are those of the count after each
    instant's changes (a line freed and taken again at one instant makes no peak) and the
    count at the warm-up edge counts. O(1) per instant.
    """

    __slots__ = ("warmup", "peak", "peaks", "area")

    def __init__(self, warmup: float):
        self.warmup = warmup
        self.peak = 0  # after the warm-up
        self.peaks: list[int] = []  # per 15 minutes
        self.area: list[float] = []  # line-seconds per 15 minutes

    def held(self, n: int, start: float, end: float) -> None:
        """``n`` lines were in use from ``start`` to ``end``."""
        if n > self.peak and end >= self.warmup:
            self.peak = n
        b, last = int(start // BUCKET_S), int(end // BUCKET_S)
        peaks, area = self.peaks, self.area
        if last >= len(peaks):
            peaks.extend([0] * (last + 1 - len(peaks)))
            area.extend([0.0] * (last + 1 - len(area)))
        if b == last:
            if n > peaks[b]:
                peaks[b] = n
            area[b] += n * (end - start)
            return
        a = start
        while b <= last:
            if n > peaks[b]:
                peaks[b] = n
            upto = min(end, (b + 1) * BUCKET_S)
            area[b] += n * (upto - a)
            a = upto
            b += 1


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


def _kind_names(
    truth: int,
    verdict: int,
    ringing: bool,
    connected: bool,
    unanswered: bool,
    result: int,
    up: bool,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The counts (COUNTS, and so SERIES) and the day counts (DAYS) a call of this kind adds
    one to: ``ringing``, no CPD verdict by the horizon; ``connected``, an agent took it;
    ``unanswered``, classified human and nobody took it; ``result``, the OCS's call_result;
    ``up``, still up at the horizon."""
    decided = connected or unanswered  # an agent took it, or none
    days = ["dials"]
    if truth == HUMAN and not ringing:
        if verdict == HUMAN:
            if decided:
                days.append("live_answers")
                if unanswered:
                    days.append("abandoned")
        elif verdict == MACHINE:
            days.append("amd_false_positives")
    counts = ["dials"]
    if up:
        counts.append("in_progress")
    if ringing or (verdict == HUMAN and not decided):
        counts.append("undecided")  # still ringing, or waiting for an agent, at the horizon
        return tuple(counts), tuple(days)
    if truth != HUMAN:
        counts.append(_BY_TRUTH[truth])
    if verdict != HUMAN:
        if truth == HUMAN and verdict == MACHINE:
            counts.append("amd_false_positives")
        return tuple(counts), tuple(days)
    counts.append("classified_human")
    if unanswered:
        if result == ABANDONED_CODE:
            counts.append("ocs_abandoned")
        elif result == DROPPED_CODE:
            counts.append("ocs_dropped")
    if truth == HUMAN:
        counts.append("live_answers")
        counts.append("abandoned" if unanswered else "connects")
    elif truth == MACHINE:
        counts.append("machines_dropped" if unanswered else "machines_to_agents")
    return tuple(counts), tuple(days)


def _sums(
    keys: tuple[str, ...], length: int, names: list[tuple[str, ...]], rows: list[list[int]]
) -> dict[str, list[int]]:
    """For each key, the element-wise sum of the rows (per 15 minutes, or per day) of the
    kinds whose names include it."""
    out = {k: [0] * length for k in keys}
    for kind_names, row in zip(names, rows, strict=True):
        for name in kind_names:
            target = out.get(name)
            if target is not None:
                for i, n in enumerate(row):
                    target[i] += n
    return out


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
    DAYS = ("live_answers", "abandoned", "amd_false_positives", "dials")

    def __init__(self, warmup_s: float, midnights: list[float], horizon_s: float = 0.0):
        self.warmup = warmup_s
        self.day = DayIndex(midnights).of  # the site's calendar day of a time (0: the first)
        buckets = max(1, math.ceil(horizon_s / BUCKET_S))
        days = max(len(midnights), 1)
        self.lines = LinePeaks(warmup_s)  # fed by the model: a line is held from dial to hang-up
        self.flight_s = [0.0] * buckets  # dial-seconds in flight (before the verdict) per 15 min
        self.horizon = horizon_s
        self._ndays, self._buckets = days, buckets
        # the calls by kind (see call()): the key of each kind, the counts and day counts it
        # adds to, whether it is a connect; per kind the calls after the warm-up, per 15
        # minutes, and per day (warm-up included)
        self._kinds: dict[tuple, int] = {}
        self._kind_counts: list[tuple[str, ...]] = []
        self._kind_day_names: list[tuple[str, ...]] = []
        self._kind_connect: list[bool] = []
        self._kind_n: list[int] = []
        self._kind_series: list[list[int]] = []
        self._kind_days: list[list[int]] = []
        self._finished_series = [0] * buckets
        self.last_day = -1  # the last calendar day holding a dial (its windows end there)
        self.agent_wait = Histogram(1.0, 3600)
        self.answer_wait = Histogram(0.05, 1200)
        self.contact_attempts = 0  # sum of the record's attempt number over connects
        self.state_s = [0.0] * STATES  # agent seconds after the warm-up, per state
        self.state_series: list[list[float]] = [[0.0] * buckets for _ in range(STATES)]
        self.report_delay_sum = 0.0  # Stat Server: report time - state change, over intervals
        self.reported = 0

    # -- the records ---------------------------------------------------------------------------
    def interval(self, state: int, start: float, end: float, reported: float | None = None) -> None:
        """An agent spent [start, end) in ``state``; the OCS learned of it at ``reported``."""
        warmup = self.warmup
        if start >= warmup:
            if reported is not None:
                self.report_delay_sum += reported - start
                self.reported += 1
            self.state_s[state] += end - start
        elif end > warmup:
            self.state_s[state] += end - warmup
        series = self.state_series[state]  # the series shows the warm-up too
        b = int(start // BUCKET_S)
        if end < (b + 1) * BUCKET_S:
            series[b] += end - start
            return
        a = start
        while a < end:
            upto = min(end, (b + 1) * BUCKET_S)
            _bump(series, b, upto - a)
            a = upto
            b += 1

    def call(self, call: Call) -> None:
        """A call record: at its hang-up, or still up at the horizon.

        Each call is counted once under its *kind* (outcome, verdict, decided or not, who ended
        it, still up or not): the named counts, series and day counts are sums over kinds
        (:func:`_kind_names`), worked out when read."""
        t = call.dialed_at
        verdict_at = call.verdict_at
        key = (
            call.truth,
            call.verdict,
            verdict_at is None,
            call.connected_at is not None,
            call.unanswered,
            call.result,
            call.ended_at is None,
        )
        k = self._kinds.get(key)
        if k is None:
            k = self._new_kind(key)
        d = self.day(t)
        self._kind_days[k][d] += 1  # the regulator's windows know no warm-up: every call counts
        if d > self.last_day:
            self.last_day = d
        if t < self.warmup:
            return
        b = int(t // BUCKET_S)
        self._kind_n[k] += 1
        self._kind_series[k][b] += 1
        resolved = self.horizon if verdict_at is None else verdict_at
        if resolved < (b + 1) * BUCKET_S:
            self.flight_s[b] += resolved - t
        else:
            a = t
            while a < resolved:
                upto = min(resolved, (b + 1) * BUCKET_S)
                _bump(self.flight_s, b, upto - a)
                a, b = upto, b + 1
        if self._kind_connect[k]:
            self.contact_attempts += call.attempt
            self.answer_wait.add(call.connected_at - verdict_at)  # type: ignore[operator]
            if call.agent_wait is not None:
                self.agent_wait.add(call.agent_wait)

    def _new_kind(self, key: tuple) -> int:
        k = len(self._kind_n)
        self._kinds[key] = k
        counts, days = _kind_names(*key)
        self._kind_counts.append(counts)
        self._kind_day_names.append(days)
        self._kind_connect.append("connects" in counts)
        self._kind_n.append(0)
        self._kind_series.append([0] * self._buckets)
        self._kind_days.append([0] * self._ndays)
        return k

    @property
    def counts(self) -> dict[str, int]:
        """The calls after the warm-up by what became of them (COUNTS)."""
        out = dict.fromkeys(COUNTS, 0)
        for names, n in zip(self._kind_counts, self._kind_n, strict=True):
            for name in names:
                out[name] += n
        return out

    @property
    def series(self) -> dict[str, list[int]]:
        """The same per 15 minutes (SERIES), and the records finished."""
        out = _sums(self.SERIES, self._buckets, self._kind_counts, self._kind_series)
        out["records_finished"] = list(self._finished_series)
        return out

    @property
    def days(self) -> dict[str, list[int]]:
        """Every call, warm-up included, per calendar day of the site (DAYS)."""
        return _sums(self.DAYS, self._ndays, self._kind_day_names, self._kind_days)

    def record_finished(self, now: float) -> None:
        """A list record was finished (by the clock: list penetration over time)."""
        b, series = int(now // BUCKET_S), self._finished_series
        if b < len(series):
            series[b] += 1
        else:
            _bump(series, b)

    def close(self, now: float) -> None:
        self.horizon = now

    @property
    def day_counts(self) -> dict[str, list[int]]:
        """Counts per calendar day of the site, from the first day to the last with a dial."""
        return {k: v[: self.last_day + 1] for k, v in self.days.items()}

    @property
    def report_delay_mean(self) -> float | None:
        return self.report_delay_sum / self.reported if self.reported else None
