"""Callbacks the OCS holds: when each is due, for which agent, and what becomes of it.

A person an agent talks to may ask to be called back later (``population.callback_request``).
The record is scheduled at the time asked for as a callback: Genesys record_type 5
PersonalCallBack (only the same agent may make it) or 6 CampaignCallBack (any agent). A
personal callback whose agent is not logged in and free within
``callbacks.personal_timeout_s`` of its time becomes a campaign callback (VICIdial's "user-only
move minutes"); a callback not dialed within ``callbacks.window_s`` of its time is missed:
record_status 8 MissedCallBack, never dialed again. A callback dialed at most
``callbacks.on_time_s`` after its time is on time, a later one late.

The queue is the OCS's (no truth here); the model asks it which personal callbacks are due for
which agents, and the calling list takes campaign callbacks first among its due records. Edges
(a time, a hand-over, a miss) are applied by :meth:`Callbacks.update` before any decision, and
the model wakes the OCS at each of them (:meth:`Callbacks.edges`). No SimPy here.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from dialer.codes import TYPE_CAMPAIGN_CALLBACK, TYPE_PERSONAL_CALLBACK
from dialer.config import Callbacks as CallbackSettings
from dialer.lists.sources import Record

PERSONAL, CAMPAIGN, HANDED_OVER = "personal", "campaign", "handed_over"


class Callbacks:
    """The callbacks waiting to be dialed (see the module doc)."""

    def __init__(self, settings: CallbackSettings, classes: int):
        self.timeout = settings.personal_timeout_s
        self.window = settings.window_s
        self.preview = settings.dial == "preview"
        self.pending: dict[int, Record] = {}  # record key -> record, until dialed or missed
        self._personal: list[tuple[float, int, Record]] = []  # not yet due, by due time
        self._waiting: dict[int, Record] = {}  # personal callbacks due, waiting for their agent
        self._campaign: list[list[tuple[float, int, Record]]] = [[] for _ in range(classes)]
        self._edges: list[tuple[float, int, Record]] = []  # hand-overs and misses, by time
        self.handed_over = 0
        self.missed: list[Record] = []  # missed since the last take_missed()

    def __bool__(self) -> bool:
        return bool(self.pending)

    # -- adding --------------------------------------------------------------------------------
    def add(self, record: Record, due: float, agent_id: str | None, personal: bool) -> None:
        """Schedule ``record`` as a callback due at ``due`` (for ``agent_id`` if personal)."""
        record.record_type = TYPE_PERSONAL_CALLBACK if personal else TYPE_CAMPAIGN_CALLBACK
        record.agent_id = agent_id if personal else record.agent_id
        record.callback_due = due
        record.callback_kind = PERSONAL if personal else CAMPAIGN
        self.pending[record.key] = record
        if personal:
            heapq.heappush(self._personal, (due, record.key, record))
            if self.timeout is not None:
                heapq.heappush(self._edges, (due + self.timeout, record.key, record))
        else:
            heapq.heappush(self._campaign[record.cls], (due, record.key, record))
        if self.window is not None:
            heapq.heappush(self._edges, (due + self.window, record.key, record))

    def edges(self, record: Record) -> list[float]:
        """The times at which something happens to the callback: due, hand-over, miss."""
        due = record.callback_due
        assert due is not None
        out = [due]
        if record.callback_kind == PERSONAL and self.timeout is not None:
            out.append(due + self.timeout)
        if self.window is not None:
            out.append(due + self.window)
        return out

    # -- the clock -------------------------------------------------------------------------------
    def update(self, now: float) -> None:
        """Apply the hand-overs and misses due by ``now`` (a hand-over before a miss at one time)."""
        edges = self._edges
        while edges and edges[0][0] <= now:
            at, key, record = heapq.heappop(edges)
            if self.pending.get(key) is not record:
                continue  # dialed (or missed) already
            due = record.callback_due
            assert due is not None
            if (
                record.callback_kind == PERSONAL
                and self.timeout is not None
                and at == due + self.timeout
                and (self.window is None or self.timeout < self.window)
            ):
                self._hand_over(record)
            elif self.window is not None and at >= due + self.window:
                del self.pending[key]
                self.missed.append(record)

    def _hand_over(self, record: Record) -> None:
        """A personal callback its agent did not make in time goes to any agent."""
        record.record_type = TYPE_CAMPAIGN_CALLBACK
        record.callback_kind = HANDED_OVER
        self.handed_over += 1
        due = record.callback_due
        assert due is not None
        heapq.heappush(self._campaign[record.cls], (due, record.key, record))

    def take_missed(self) -> list[Record]:
        missed, self.missed = self.missed, []
        return missed

    # -- what is due -----------------------------------------------------------------------------
    def due_personal(self, now: float) -> Iterator[Record]:
        """Personal callbacks due by ``now`` still waiting for their agent, in the order they
        became due."""
        heap, waiting = self._personal, self._waiting
        while heap and heap[0][0] <= now:
            _, key, record = heapq.heappop(heap)
            if self.pending.get(key) is record and record.callback_kind == PERSONAL:
                waiting[key] = record
        for key, record in list(waiting.items()):
            if self.pending.get(key) is not record or record.callback_kind != PERSONAL:
                del waiting[key]  # dialed, handed over or missed
            else:
                yield record

    def campaign_head(self, ci: int) -> tuple[float, int] | None:
        """(due, key) of class ``ci``'s earliest campaign callback (None: none)."""
        heap = self._campaign[ci]
        while heap and self.pending.get(heap[0][1]) is not heap[0][2]:
            heapq.heappop(heap)
        return (heap[0][0], heap[0][1]) if heap else None

    def pop_campaign(self, ci: int) -> Record:
        record = heapq.heappop(self._campaign[ci])[2]
        self.take(record)
        return record

    def take(self, record: Record) -> None:
        """The callback is being dialed (or previewed): it leaves the queue."""
        del self.pending[record.key]
        self._waiting.pop(record.key, None)

    def put_back(self, record: Record) -> None:
        """A callback taken but not dialed (a preview whose window closed, a port failure):
        back in its queue as it was, its edges with it (those passed apply at the next update)."""
        self.pending[record.key] = record
        due = record.callback_due
        assert due is not None
        if record.callback_kind == PERSONAL:
            heapq.heappush(self._personal, (due, record.key, record))
        else:
            heapq.heappush(self._campaign[record.cls], (due, record.key, record))
        for at in self.edges(record)[1:]:
            heapq.heappush(self._edges, (at, record.key, record))
