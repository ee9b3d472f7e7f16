"""The site calendar: simulated seconds against wall clocks in every time zone.

Simulated time 0 is the campaign's ``start`` in the site's zone. A calling window is a
wall-clock range in the *record's* zone (08:00-21:00 local means 08:00-21:00 on that day's
local clock, DST included), so each zone's windows are turned once into intervals of simulated
seconds; the OCS then only compares numbers. Calendar days (the Ofcom window) are days of the
site's zone.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = 86400


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class Calendar:
    """Converts simulated seconds to instants and local times for one run."""

    def __init__(self, start: dt.datetime, site_timezone: str, horizon_s: float):
        self.site = site_timezone
        self.start = start.replace(tzinfo=zone(site_timezone))
        self.epoch0 = self.start.timestamp()  # UTC seconds at simulated time 0
        self.horizon_s = float(horizon_s)

    def instant(self, t: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.epoch0 + t, tz=dt.timezone.utc)

    def local(self, t: float, zone_name: str) -> dt.datetime:
        return self.instant(t).astimezone(zone(zone_name))

    def _local_dates(self, zone_name: str, pad_days: int = 1) -> list[dt.date]:
        first = self.local(0, zone_name).date() - dt.timedelta(days=pad_days)
        last = self.local(self.horizon_s, zone_name).date() + dt.timedelta(days=pad_days)
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    def wall_to_sim(self, date: dt.date, seconds: int, zone_name: str) -> float:
        """Simulated time of ``seconds`` after local midnight of ``date`` (wall clock)."""
        day = date + dt.timedelta(days=seconds // DAY)
        s = seconds % DAY
        local = dt.datetime(
            day.year, day.month, day.day, s // 3600, s % 3600 // 60, s % 60, tzinfo=zone(zone_name)
        )
        # A wall time skipped by DST (02:30 on spring-forward) maps past the gap; fold=0.
        return local.timestamp() - self.epoch0

    def windows(
        self, zone_name: str, daily_from: int, daily_till: int
    ) -> list[tuple[float, float]]:
        """Open intervals [open, close) in simulated seconds covering the horizon."""
        out = []
        for date in self._local_dates(zone_name):
            a = self.wall_to_sim(date, daily_from, zone_name)
            b = self.wall_to_sim(date, daily_till, zone_name)
            if b > 0 and a < self.horizon_s and b > a:
                out.append((a, b))
        return out

    def shifts(self, start: int, end: int, days: tuple[str, ...]) -> list[tuple[float, float]]:
        """(log-in, log-out) simulated times of a daily shift in site time, cut to the horizon.

        ``end`` at or before ``start`` ends the next day (a night shift); ``days`` are the
        days a shift starts on; touching or overlapping shifts merge into one.
        """
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        out: list[tuple[float, float]] = []
        for date in self._local_dates(self.site):
            if names[date.weekday()] not in days:
                continue
            a = max(self.wall_to_sim(date, start, self.site), 0.0)
            b = min(
                self.wall_to_sim(date, end if end > start else end + DAY, self.site), self.horizon_s
            )
            if b <= a:
                continue
            if out and a <= out[-1][1]:
                out[-1] = (out[-1][0], max(b, out[-1][1]))
            else:
                out.append((a, b))
        return out

    def site_midnights(self) -> list[float]:
        """Simulated times of the site's local midnights, one before the start through the end."""
        return [self.wall_to_sim(d, 0, self.site) for d in self._local_dates(self.site)]


class DayIndex:
    """Which calendar day of the site holds a simulated time (0 = the day of the start)."""

    __slots__ = ("midnights", "first", "cached")

    def __init__(self, midnights: list[float]):
        self.midnights = midnights  # site-local midnights (simulated s), one before the start on
        self.first = bisect.bisect_right(midnights, 0.0) - 1
        self.cached = (0.0, -1.0, 0)  # (from, till, index) of the last day looked up

    def of(self, t: float) -> int:
        lo, hi, d = self.cached
        if lo <= t < hi:
            return d
        m = self.midnights
        j = bisect.bisect_right(m, t) - 1
        d = j - self.first
        self.cached = (
            m[j] if j >= 0 else -math.inf,
            m[j + 1] if j + 1 < len(m) else math.inf,
            d,
        )
        return d


class DayEdges:
    """Calendar-day edges met in time order: :meth:`crossed` says when a new day has begun
    (the one place a daily count restarts: Ofcom windows, VICIdial's "today")."""

    __slots__ = ("edges",)

    def __init__(self, midnights: list[float]):
        self.edges = sorted(midnights, reverse=True)  # next edge last: popped in O(1)

    def crossed(self, now: float) -> bool:
        """True once for each edge that ``now`` has reached since the last call."""
        edges, crossed = self.edges, False
        while edges and now >= edges[-1]:
            edges.pop()
            crossed = True
        return crossed


class Bands:
    """Which band of the day holds a moment, by wall clock in one zone (``population.by_hour``).

    Band k >= 1 runs from the k-th start time (seconds after local midnight, sorted) to the
    next; band 0 from midnight to the first start. DST-correct like the windows.
    """

    __slots__ = ("times", "ids")

    def __init__(self, calendar: Calendar, zone_name: str, starts: list[int]):
        edges = []
        for date in calendar._local_dates(zone_name):
            edges.append((calendar.wall_to_sim(date, 0, zone_name), 0, 0))
            edges += [
                (calendar.wall_to_sim(date, s, zone_name), 1, k + 1) for k, s in enumerate(starts)
            ]
        edges.sort()  # a start at 00:00 sorts after the midnight edge, so it wins
        self.times = [t for t, _, _ in edges]
        self.ids = [k for _, _, k in edges]

    def at(self, t: float) -> int:
        j = bisect.bisect_right(self.times, t) - 1
        return self.ids[j] if j >= 0 else 0


class Window:
    """A sorted run of open intervals, read as time only moves forward."""

    __slots__ = ("opens", "closes", "i")

    def __init__(self, intervals: list[tuple[float, float]]):
        self.opens = [a for a, _ in intervals]
        self.closes = [b for _, b in intervals]
        self.i = 0

    def _seek(self, t: float) -> None:
        closes, i = self.closes, self.i
        while i < len(closes) and closes[i] <= t:
            i += 1
        self.i = i

    def is_open(self, t: float) -> bool:
        return self.state(t)[0]

    def state(self, t: float) -> tuple[bool, float]:
        """(open at ``t``, the time until which it stays so)."""
        self._seek(t)
        i = self.i
        if i >= len(self.opens):
            return False, math.inf
        if self.opens[i] <= t:
            return True, self.closes[i]
        return False, self.opens[i]

    def next_open(self, t: float) -> float | None:
        """The first time >= t at which the window is open, or None after the last interval."""
        self._seek(t)
        i = self.i
        if i >= len(self.opens):
            return None
        return max(t, self.opens[i])
