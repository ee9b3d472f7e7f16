"""Do-not-call requests during the day: the DNC table as the world fills it, and the OCS's
memory of it.

A customer opts out in one of two ways. On a call, to an agent: the agent files the request
(Genesys ``GSW_RECORD_HANDLE`` DoNotCall) and the OCS writes it to its DNC table and into its
in-memory buffers at once, so no later dial reaches that phone or customer. From outside the
calls (a website, a text, a letter): the row reaches the DNC table directly, and the OCS, which
checks only its memory before a dial, learns of it at its next re-read of the table
(``dnc.refresh_s``; null: not during the run). Between the two moments the number can still be
dialed: each such dial is a violation, the legal exposure the summary counts.

The table (the world) keeps, per phone (its digits) and per customer id, the time of the first
request; the OCS's memory keeps the time it honours each one. Both are plain lookups made just
before a dial, so the cost does not grow with the number of requests. No SimPy here: times are
simulated seconds passed in by the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dialer.rng import stream

AGENT, OUTSIDE = "agent", "outside"  # who took the request (the DNC file's dnc_message)


@dataclass
class OptOut:
    """One do-not-call request made during the run."""

    at: float  # simulated seconds
    phone: bytes  # digits ("" when the request names a customer only)
    customer: bytes  # customer id (b"" when none)
    kind: str  # AGENT | OUTSIDE
    known_at: float  # when the OCS honours it (math.inf: not during the run)
    in_file: bool = False  # read from the DNC file (a row with a time_stamp): not written again


class DncRequests:
    """The run's do-not-call requests: the table's times and the OCS's (see the module doc)."""

    def __init__(self, refresh_s: float | None):
        self.refresh = refresh_s
        self.requests: list[OptOut] = []
        self._phone_at: dict[bytes, float] = {}  # the table: first request per phone
        self._customer_at: dict[bytes, float] = {}
        self._phone_known: dict[bytes, float] = {}  # the OCS's memory: when it honours it
        self._customer_known: dict[bytes, float] = {}

    def __bool__(self) -> bool:
        return bool(self.requests)

    def reread_after(self, at: float) -> float:
        """When the OCS first sees a row that reached the table at ``at``: its next re-read,
        at ``refresh_s``, 2 x ``refresh_s``, ... after the start (one at ``at`` included; the
        table read as the run began does not hold it)."""
        if self.refresh is None:
            return math.inf
        if self.refresh == 0:
            return at
        return max(1, math.ceil(at / self.refresh - 1e-9)) * self.refresh

    def add(self, at: float, phone: bytes, customer: bytes, kind: str, in_file: bool = False):
        """A request at ``at``: an agent's is in the OCS's memory at once, any other at the
        next re-read."""
        known = at if kind == AGENT else self.reread_after(at)
        self.requests.append(OptOut(at, phone, customer, kind, known, in_file))
        for key, table, memory in (
            (phone, self._phone_at, self._phone_known),
            (customer, self._customer_at, self._customer_known),
        ):
            if key:
                table[key] = min(at, table.get(key, math.inf))
                memory[key] = min(known, memory.get(key, math.inf))

    def honoured(self, phone: bytes, customer: bytes, now: float) -> bool:
        """The OCS's pre-dial check: is the phone or the customer in its memory by now?"""
        t = self._phone_known.get(phone)
        if t is not None and t <= now:
            return True
        if customer:
            t = self._customer_known.get(customer)
            return t is not None and t <= now
        return False

    def opted_out_at(self, phone: bytes, customer: bytes, now: float) -> float | None:
        """The world's view: the time of the first request for this phone or customer made by
        ``now`` (None: none)."""
        best = self._phone_at.get(phone, math.inf)
        if customer:
            best = min(best, self._customer_at.get(customer, math.inf))
        return best if best <= now else None

    # -- counts for the summary ----------------------------------------------------------------
    def made(self, start: float, end: float, kind: str | None = None) -> list[OptOut]:
        """The requests made in [start, end) (of one kind)."""
        return [
            r for r in self.requests if start <= r.at < end and (kind is None or r.kind == kind)
        ]

    def exposure_mean(self, start: float, end: float) -> float | None:
        """Mean seconds from an outside request to the OCS honouring it, over the outside requests
        made in [start, end); one never honoured counts until ``end`` (a lower bound)."""
        outside = self.made(start, end, OUTSIDE)
        if not outside:
            return None
        return sum(min(r.known_at, end) - r.at for r in outside) / len(outside)


def outside_opt_outs(
    seed: int, per_hour: float, horizon: float, records: int
) -> list[tuple[float, int]]:
    """Poisson opt-outs from outside the calls: (time, index of the record among the list's
    ``records``), from a stream of their own, so every mode and setting sees the same ones."""
    if per_hour <= 0 or records <= 0:
        return []
    rng = stream(seed, "opt-outs")
    rate = per_hour / 3600.0
    out: list[tuple[float, int]] = []
    t = 0.0
    while True:
        t += float(rng.exponential(1.0 / rate))
        if t >= horizon:
            return out
        out.append((t, int(rng.integers(records))))
