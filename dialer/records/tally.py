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

from dialer.codes import AGENT_STATE_NAMES, BUSY, FAX, HUMAN, INVALID, MACHINE, NO_ANSWER
from dialer.records.calls import Call

BUCKET_S = 900.0  # the 15-minute interval of every time series


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
        return {
            "width_s": self.width,
            "bins": self.bins[: last + 1],
            "over": self.over,
            "n": self.n,
            "mean": self.mean,
        }

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

    SERIES = (
        "dials",
        "live_answers",
        "abandoned",
        "connects",
        "amd_false_positives",
        "classified_human",
        "dropped",
        "records_finished",
    )

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
            (
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
                "amd_false_negatives",
                "dropped",
                "machines_to_agents",
                "classified_human",
                "in_progress",
            ),
            0,
        )
        self.series: dict[str, list[int]] = {k: [] for k in self.SERIES}
        self.days: dict[str, list[int]] = {
            k: [] for k in ("live_answers", "abandoned", "amd_false_positives", "dials")
        }
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
