"""The calling list as the OCS keeps it: which record to dial next, and what a result does.

No SimPy here: :mod:`dialer.sim.model` asks for the next dialable record and reports results.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from dialer.clock import Calendar
from dialer.codes import (
    DO_NOT_CALL,
    RESULT_CODES,
    STATUS_READY,
    STATUS_RETRIEVED,
    STATUS_UPDATED,
    TYPE_CAMPAIGN_RESCHEDULED,
    TYPE_NO_CALL,
)
from dialer.config import Campaign
from dialer.lists.sources import FileList, Record, SyntheticList, number_key
from dialer.lists.treatments import Treatments

OFCOM_BAR_S = 72 * 3600  # Ofcom: no repeat call within 72 h of an abandoned one


class CallingList:
    """The OCS's view of its list: which record to dial next, and what happens after a call.

    Due records come first (retries and the file's scheduled records, earliest
    ``dial_sched_time`` first, then by key), then fresh records in list order, each only while
    its class's window is open. Schedules are whole UTC seconds, as the Genesys table keeps
    them, so a list written back and read again schedules exactly the same dials.
    """

    def __init__(self, campaign: Campaign, calendar: Calendar):
        dnc = None
        if campaign.dnc.file:
            from dialer.lists.listfile import read_dnc

            dnc = read_dnc(campaign.dnc.file)
        if campaign.calling_list.file:
            self.source: SyntheticList | FileList = FileList(campaign, calendar, dnc)
        else:
            self.source = SyntheticList(campaign, calendar, dnc)
        self.classes = self.source.classes
        self.treatments = Treatments(campaign)
        self.epoch0 = calendar.epoch0
        self.version = 0  # counts the records put (back) in a queue: see Model.pace
        # per class, a heap of (due time, key, record); record None stands for the source's
        # next scheduled record (made a Record only when it is taken)
        self.retries: list[list[tuple[float, int, Record | None]]] = [[] for _ in self.classes]
        for ci in range(len(self.classes)):
            head = self.source.scheduled(ci)
            if head is not None:
                self.retries[ci].append((head[0], head[1], None))
        self.total = self.source.total
        self.finished = 0
        self.finished_at_start = self.source.finished_at_start
        self.dnc_blocked = 0
        self.records_dialed = 0
        self.finished_by: dict[int, int] = {}
        self.on_finish: Callable[[Record | None], None] | None = (
            None  # e.g. to count finishes over time
        )
        self.ofcom = campaign.compliance.regime == "ofcom"
        # only a list file has chains and keeps finished records for the write-back
        self.file = isinstance(self.source, FileList)
        # Ofcom: number -> simulated time before which it may not be dialed again
        self.barred: dict[str, float] = (
            self.source.barred_numbers(OFCOM_BAR_S) if self.ofcom else {}
        )

    # -- choosing the next dial -------------------------------------------------------------
    def next_record(self, now: float) -> Record | None:
        """The next dialable record (due records first, then fresh records in list order).

        DNC is checked here, just before the dial: a match is finished as NoCall / Do Not
        Call and the search goes on (its chain moves to the next number). Under Ofcom a number
        abandoned less than 72 h ago waits.
        """
        classes, retries, source = self.classes, self.retries, self.source
        while True:
            best_retry, best_fresh, fresh_pos = -1, -1, math.inf
            retry_at, retry_key = math.inf, 0
            for ci in range(len(classes)):
                if not classes[ci].window.is_open(now):
                    continue
                heap = retries[ci]
                if heap:
                    at, key = heap[0][0], heap[0][1]
                    if at <= now and (at < retry_at or (at == retry_at and key < retry_key)):
                        best_retry, retry_at, retry_key = ci, at, key
                if best_retry < 0 and not source.exhausted(ci):
                    pos = source.position(ci)
                    if pos < fresh_pos:
                        best_fresh, fresh_pos = ci, pos
            if best_retry >= 0:
                record = heapq.heappop(retries[best_retry])[2]
                if record is None:
                    record = self._take_scheduled(best_retry)
            elif best_fresh >= 0:
                record = source.take(best_fresh)
            else:
                return None
            if record is None:
                continue
            if record.on_dnc:
                self.dnc_blocked += 1
                record.record_type = TYPE_NO_CALL
                self._finish(record, DO_NOT_CALL)
                self._move_on(record, now)
                continue
            if self.barred:
                until = self.barred.get(number_key(record.phone))
                if until is not None and until > now:
                    self._reschedule(record, until)
                    continue
            record.status = STATUS_RETRIEVED
            return record

    def _take_scheduled(self, ci: int) -> Record:
        record = self.source.take_scheduled(ci)
        head = self.source.scheduled(ci)
        if head is not None:
            heapq.heappush(self.retries[ci], (head[0], head[1], None))
        return record

    def dialable(self, record: Record, now: float) -> bool:
        """Whether the record's window is open now (a previewed record is checked again)."""
        return self.classes[record.cls].window.is_open(now)

    def dialing(self, record: Record) -> None:
        """The OCS dials the record now (it may have been taken for a preview before)."""
        if not record.dialed:
            record.dialed = True
            self.records_dialed += 1

    def put_back(self, record: Record, now: float) -> None:
        """A record taken but not dialed (its window closed during the preview)."""
        record.status = STATUS_READY
        self._reschedule(record, now)

    def next_change(self, now: float) -> float | None:
        """The earliest later time at which a record could become dialable (None: never)."""
        best = math.inf
        for ci, c in enumerate(self.classes):
            heap = self.retries[ci]
            candidates = []
            if heap:
                candidates.append(max(heap[0][0], now))
            if not self.source.exhausted(ci):
                candidates.append(now)
            for t in candidates:
                at = c.window.next_open(t)
                if at is not None and at < best:
                    best = at
        return None if best == math.inf else best

    # -- after a call -------------------------------------------------------------------------
    def result(self, record: Record, result: str, now: float) -> None:
        """Apply the treatment for ``result`` (a key of RESULT_CODES) to the record.

        A right-party contact (``answer``) finishes the record and its whole chain. Otherwise
        the treatment retries the record, or finishes it and then either moves the chain on
        (``then: next_in_chain``) or finishes the chain too.
        """
        record.call_result = RESULT_CODES[result]
        record.call_time = now
        if self.ofcom and result in ("abandoned", "dropped"):
            # The OCS cannot tell a person from a machine it passed as one: both count.
            self.barred[number_key(record.phone)] = self._whole(now) + OFCOM_BAR_S
        if result == "answer":
            self._finish(record, record.call_result)
            if self.file:
                self._close_chain(record, now)
            return
        at, then = self.treatments.decide(record, result, now)
        if at is not None:
            record.record_type = TYPE_CAMPAIGN_RESCHEDULED
            self._reschedule(record, at)
            return
        self._finish(record, record.call_result)
        if not self.file:
            return
        if then == "next_in_chain":
            self._move_on(record, now)
        else:
            self._close_chain(record, now)

    def _whole(self, t: float) -> float:
        """``t`` rounded up to a whole UTC second (Genesys keeps schedules in whole seconds)."""
        return math.ceil(self.epoch0 + t - 1e-6) - self.epoch0

    def _reschedule(self, record: Record, at: float) -> None:
        self.version += 1  # a record (re)entered a queue: what is dialable may have changed
        at = self._whole(at)
        record.status = STATUS_READY
        record.sched = at
        heapq.heappush(self.retries[record.cls], (at, record.key, record))

    def _move_on(self, record: Record, now: float) -> None:
        nxt = self.source.chain_next(record)
        if nxt is not None:  # due at once, or at its own dial_sched_time if that is later
            self._reschedule(nxt, now if nxt.sched is None else max(now, nxt.sched))

    def _close_chain(self, record: Record, now: float) -> None:
        for code in self.source.close_chain(record):
            self._count(code, None)

    def _finish(self, record: Record, code: int) -> None:
        record.call_result = code
        record.status = STATUS_UPDATED
        if self.file:
            self.source.finished(record)
        self.finished += 1
        self.finished_by[code] = self.finished_by.get(code, 0) + 1
        if self.on_finish is not None:
            self.on_finish(record)

    def _count(self, code: int, record: Record | None) -> None:
        self.finished += 1
        self.finished_by[code] = self.finished_by.get(code, 0) + 1
        if self.on_finish is not None:
            self.on_finish(record)

    def write(self, out: str) -> int:
        """Write the list back (file lists only); returns the number of records changed."""
        return self.source.write(out)
