"""Inbound callers: when they arrive and how each one behaves, drawn from their own streams.

A queue's callers arrive as a Poisson process whose rate is piecewise constant over the site's
day (``arrivals_per_hour``: from each time until the next, the last until midnight), times a
day factor drawn once per calendar day (``day_factor``). The arrival times come from one stream
of unit-rate exponential gaps, mapped through the integrated rate, and caller *i*'s behaviour
(balk, patience, talk, wrap) from the stream of its block of callers: both are named after the
queue and nothing else, so the same caller arrives at the same time and behaves the same way in
every variant of a centre (another dialing mode, another blending rule, more agents), and a
higher rate moves every arrival earlier instead of drawing new ones.

No SimPy here: :mod:`dialer.sim.model` asks for the next arrival and the caller's draws.
"""

from __future__ import annotations

import datetime as dt
import math

from dialer.centre import Queue
from dialer.clock import DAY, Calendar
from dialer.rng import stream

# Columns of a caller's row.
U_BALK, PATIENCE_S, TALK_S, WRAP_S = range(4)


class Arrivals:
    """The arrival times of one queue's callers over the run, one after another."""

    GAPS = 1024  # unit exponential gaps drawn at a time

    def __init__(self, queue: Queue, calendar: Calendar, seed: int):
        self.segments = rate_segments(queue, calendar, seed)
        self.rng = stream(seed, "inbound", queue.name, "arrivals")
        self._gaps: list[float] = []
        self._i = 0  # the segment holding the last arrival
        self._t = 0.0

    def _gap(self) -> float:
        if not self._gaps:
            self._gaps = self.rng.exponential(1.0, self.GAPS).tolist()[::-1]
        return self._gaps.pop()

    def next(self) -> float | None:
        """The next caller's arrival (simulated seconds), or None: no more before the horizon."""
        mass = self._gap()
        segs, i, t = self.segments, self._i, self._t
        while i < len(segs):
            a, b, rate = segs[i]
            t = max(t, a)
            room = rate * (b - t)
            if mass < room:
                t += mass / rate
                self._i, self._t = i, t
                return t
            mass -= room
            i += 1
        self._i, self._t = i, math.inf
        return None


def rate_segments(queue: Queue, calendar: Calendar, seed: int) -> list[tuple[float, float, float]]:
    """[(start, end, calls per second)] over the run, in order, zero-rate spans left out.

    The day factor of a calendar day is drawn from the queue's stream for that date, so a day
    is as busy whatever day the run starts on."""
    out: list[tuple[float, float, float]] = []
    rates = list(queue.arrivals_per_hour)
    horizon = calendar.horizon_s
    first = calendar.local(0, calendar.site).date()
    days = int(horizon // DAY) + 2
    for d in range(-1, days):
        date = first + dt.timedelta(days=d)
        factor = 1.0
        if queue.day_factor is not None:
            u = stream(seed, "inbound", queue.name, "day", date.toordinal()).random(1)
            factor = float(queue.day_factor.ppf(u)[0])
        for k, (at, rate) in enumerate(rates):
            till = rates[k + 1][0] if k + 1 < len(rates) else DAY
            a = max(calendar.wall_to_sim(date, at, calendar.site), 0.0)
            b = min(calendar.wall_to_sim(date, till, calendar.site), horizon)
            per_s = rate * factor / 3600.0
            if b > a and per_s > 0:
                out.append((a, b, per_s))
    return out


class Callers:
    """Caller *i*'s draws: (uniform for balking, patience, talk, wrap), by blocks of callers."""

    BLOCK = 256

    def __init__(self, queue: Queue, seed: int):
        self.queue = queue
        self.seed = seed
        self._block = -1
        self._rows: list[tuple[float, float, float, float]] = []

    def row(self, i: int) -> tuple[float, float, float, float]:
        block, k = divmod(i, self.BLOCK)
        if block != self._block:  # callers come in order: one block at a time
            q, n = self.queue, self.BLOCK
            rng = stream(self.seed, "inbound", q.name, "callers", block)
            balk, patience, talk, wrap = (rng.random(n) for _ in range(4))
            pat = [math.inf] * n if q.patience_s is None else q.patience_s.ppf(patience).tolist()
            self._rows = list(
                zip(
                    balk.tolist(),
                    pat,
                    q.talk_time_s.ppf(talk).tolist(),
                    q.wrap_time_s.ppf(wrap).tolist(),
                )
            )
            self._block = block
        return self._rows[k]
