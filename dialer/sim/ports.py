"""Ports: the dialing hardware's limits besides the trunk lines.

Three pools of the same shape (:class:`Ports`): CPD ports (``cpd.ports``: a dial holds one from
the dial to the CPD verdict; a dial that finds none waits for one, first come first served, and
fails with Genesys result 44 No Free Port Error after ``cpd.port_wait_s``), engaging ports
(``cpd.engage_ports``, ASM: an engaged agent holds one until its call ends) and IVR ports
(``ivr.ports``, the agentless modes: a message holds one while it plays; an answer that finds
none is dropped). A pool counts what is held and who waits; the model times the waits (SimPy
stays in :mod:`dialer.sim.model`). A pool without a limit never makes anyone wait.

The peak is the count after each instant's changes (a port freed and taken again at one instant
makes no peak), after the warm-up: the same rule as the lines', so it can be recomputed from the
call records.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any


class Waiting:
    """One wait for a port: what it is for, since when, and whether it still waits."""

    __slots__ = ("item", "since", "waiting")

    def __init__(self, item: Any, since: float):
        self.item = item
        self.since = since
        self.waiting = True


class Ports:
    """A pool of ``size`` ports (None: no limit) with a first-come-first-served queue."""

    __slots__ = ("size", "busy", "queue", "warmup", "peak", "_t", "_n")

    def __init__(self, size: int | None, warmup: float = 0.0):
        self.size: float = math.inf if size is None else size
        self.busy = 0
        self.queue: deque[Waiting] = deque()
        self.warmup = warmup
        self.peak = 0
        self._t = 0.0  # time of the last change
        self._n = 0  # ports held after the last instant's changes so far

    @property
    def free(self) -> float:
        return self.size - self.busy

    @property
    def waiting(self) -> int:
        return sum(1 for w in self.queue if w.waiting)

    def _count(self, now: float, delta: int) -> None:
        if now != self._t:
            if now > self.warmup and self._n > self.peak:
                self.peak = self._n  # held over [_t, now), which reaches past the warm-up
            self._t = now
        self.busy += delta
        self._n = self.busy

    def take(self, now: float) -> bool:
        """Take a free port now (False: none is free)."""
        if self.busy >= self.size:
            return False
        self._count(now, 1)
        return True

    def wait(self, item: Any, now: float) -> Waiting:
        """Queue ``item`` for the next free port."""
        w = Waiting(item, now)
        self.queue.append(w)
        return w

    def release(self, now: float) -> Waiting | None:
        """Free a port; the first still waiting takes it over at once (returned: the model
        starts what it waited for), else the port is free."""
        queue = self.queue
        while queue:
            w = queue.popleft()
            if w.waiting:
                w.waiting = False
                self._count(now, 0)
                return w
        self._count(now, -1)
        return None

    def close(self, now: float) -> None:
        """The run ends: the count held until now is a candidate for the peak."""
        self._count(now, 0)
        if now > self.warmup and self._n > self.peak:
            self.peak = self._n
