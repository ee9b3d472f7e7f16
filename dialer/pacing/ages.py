"""Counts by age: how many agents have been in a state, or dials in flight, for how long.

A forecasting pacer needs, at each decision, every busy agent's time in its state and every
dial's time in flight. Listing them per decision costs as much as the team is large; instead the
OCS keeps, as events happen, a count per *entry bin* (the whole ``width`` of time in which the
item entered its state) and the pacer reads counts by *elapsed bin* at a decision. Items that
entered longer ago than the pacer's tables reach (``span`` bins) are lumped into one count, so a
read costs at most ``span`` entries whatever the number of agents or dials. No SimPy here.
"""

from __future__ import annotations

import numpy as np


class Ages:
    """Items counted by the bin in which they entered (see the module doc)."""

    __slots__ = ("width", "counts", "base", "lo", "older", "n", "span")

    def __init__(self, width: float):
        self.width = width
        self.counts = np.zeros(256, dtype=np.int64)  # by entry bin, from bin `base`
        self.base = 0  # absolute bin of counts[0]
        self.lo = 0  # entries in bins below `lo` are lumped into `older`
        self.older = 0
        self.n = 0  # items counted
        self.span: int | None = None  # bins read one by one (set by the first read)

    def _index(self, t: float) -> int:
        """Index in ``counts`` of the bin holding time ``t``, or -1 for a lumped bin."""
        b = int(t / self.width)
        if b < self.lo:
            return -1
        i = b - self.base
        if i >= len(self.counts):
            self._make_room(i)
            i = b - self.base
        return i

    def _make_room(self, i: int) -> None:
        keep = self.lo - self.base  # everything below lo is lumped: drop it from the array
        live = self.counts[keep:]
        size = len(self.counts)
        while i - keep >= size // 2:
            size *= 2
        out = np.zeros(size, dtype=np.int64)
        out[: len(live)] = live
        self.counts = out
        self.base = self.lo

    def add(self, t: float) -> None:
        """An item entered at time ``t``."""
        i = self._index(t)
        if i < 0:
            self.older += 1
        else:
            self.counts[i] += 1
        self.n += 1

    def remove(self, t: float) -> None:
        """The item that entered at time ``t`` left."""
        i = self._index(t)
        if i < 0:
            self.older -= 1
        else:
            self.counts[i] -= 1
        self.n -= 1

    def at(self, now: float, span: int) -> tuple[np.ndarray, int]:
        """(counts by elapsed bin 0, 1, ... < span, count of older items) at time ``now``.

        Elapsed bin e holds the items that entered in the e-th bin before the one holding
        ``now``. The lumping is permanent, so one reader with one span reads an Ages."""
        if self.span is None:
            self.span = span
        hi = int(now / self.width)
        lo = hi - span + 1
        if lo > self.lo:
            counts = self.counts
            a, b = self.lo - self.base, min(lo - self.base, len(counts))
            if b - a <= 8:  # a few bins (a read a second or so after the last): one by one
                for i in range(a, b):
                    self.older += int(counts[i])
            elif a < b:
                self.older += int(counts[a:b].sum())
            self.lo = lo
        a = self.lo - self.base
        b = hi + 1 - self.base
        if b > len(self.counts):
            self._make_room(b - 1)
            a, b = self.lo - self.base, hi + 1 - self.base
        return self.counts[max(a, 0) : b][::-1], self.older

    def copy(self) -> Ages:
        out = Ages(self.width)
        out.counts = self.counts.copy()
        out.base, out.lo, out.older, out.n, out.span = (
            self.base,
            self.lo,
            self.older,
            self.n,
            self.span,
        )
        return out
