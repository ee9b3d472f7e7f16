"""The calling list as the OCS keeps it: which record to dial next, and what a result does.

No SimPy here: :mod:`dialer.sim.model` asks for the next dialable record and reports results.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from dialer.clock import Calendar
from dialer.codes import (
    DNC_REQUEST,
    DO_NOT_CALL,
    NO_FREE_PORT,
    NO_REQUEST,
    PERSONAL_CALLBACK_REQUEST,
    RESULT_CODES,
    STATUS_MISSED_CALLBACK,
    STATUS_READY,
    STATUS_RETRIEVED,
    STATUS_UPDATED,
    TYPE_CAMPAIGN_RESCHEDULED,
    TYPE_NO_CALL,
    TYPE_PERSONAL_CALLBACK,
)
from dialer.config import Campaign
from dialer.lists.callbacks import Callbacks
from dialer.lists.donotcall import AGENT, OUTSIDE, DncRequests, outside_opt_outs
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
        later: list[tuple[int, bytes, bytes]] = []  # the DNC file's rows stamped after the start
        if campaign.dnc.file:
            from dialer.lists.listfile import read_dnc

            dnc, later = read_dnc(campaign.dnc.file).as_of(calendar.epoch0)
        if campaign.calling_list.file:
            self.source: SyntheticList | FileList = FileList(campaign, calendar, dnc)
        else:
            self.source = SyntheticList(campaign, calendar, dnc)
        self.classes = self.source.classes
        self.treatments = Treatments(campaign)
        self.epoch0 = calendar.epoch0
        self.version = 0  # counts the records put (back) in a queue: see Model.pace
        self._open: list[int] = []  # the classes whose window is open, until _open_till
        self._open_till = -math.inf
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
        self.requests = self._opt_outs(campaign, later)
        # the in-memory DNC check: only when requests can come during the run
        self.dynamic_dnc = bool(self.requests) or campaign.population.dnc_request > 0
        self.callbacks = Callbacks(campaign.callbacks, len(self.classes))
        self.callbacks_missed: list[float] = []  # when each missed callback was missed
        for row in self.source.callback_rows():  # callbacks of a list file: due as written
            record = self.source.activate(row)
            personal = record.record_type == TYPE_PERSONAL_CALLBACK
            due = record.sched if record.sched is not None else 0.0
            self.callbacks.add(record, due, record.agent_id, personal)

    def _opt_outs(self, campaign: Campaign, later: list[tuple[int, bytes, bytes]]) -> DncRequests:
        """The opt-outs from outside the calls: the DNC file's rows stamped during the run, and
        ``dnc.requests_per_hour`` for random records of the list (from a stream of their own)."""
        requests = DncRequests(campaign.dnc.refresh_s)
        horizon = campaign.horizon_s
        for stamp, phone, customer in later:
            at = stamp - self.epoch0
            if at < horizon:
                requests.add(at, phone, customer, OUTSIDE, in_file=True)
        total = self.source.total or 0
        for at, index in outside_opt_outs(
            campaign.seed, campaign.dnc.requests_per_hour, horizon, total
        ):
            phone, customer = self.source.contact(index)
            requests.add(at, phone, customer, OUTSIDE)
        return requests

    # -- choosing the next dial -------------------------------------------------------------
    def next_record(self, now: float) -> Record | None:
        """The next dialable record (due records first, then fresh records in list order).

        DNC is checked here, just before the dial: a match is finished as NoCall / Do Not
        Call and the search goes on (its chain moves to the next number). Under Ofcom a number
        abandoned less than 72 h ago waits.
        """
        callbacks = self.callbacks
        if callbacks.pending:
            self.update(now)
        retries, source = self.retries, self.source
        while True:
            if callbacks.pending and not callbacks.preview:
                record = self.next_callback(now)
                if record is not None:
                    return record
            best_retry, best_fresh, fresh_pos = -1, -1, math.inf
            retry_at, retry_key = math.inf, 0
            for ci in self._open_classes(now):
                heap = retries[ci]
                if heap:
                    at, key = heap[0][0], heap[0][1]
                    if at <= now and (at < retry_at or (at == retry_at and key < retry_key)):
                        best_retry, retry_at, retry_key = ci, at, key
                if best_retry < 0:
                    pos = source.position(ci)  # inf when the class has no fresh record left
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
            if (record.on_dnc or self.dynamic_dnc) and self._blocked(record, now):
                continue
            if self.barred:
                until = self.barred.get(number_key(record.phone))
                if until is not None and until > now:
                    self._reschedule(record, until)
                    continue
            record.status = STATUS_RETRIEVED
            return record

    def _open_classes(self, now: float) -> list[int]:
        """The window classes open at ``now`` (worked out again at the next window edge)."""
        if now < self._open_till:
            return self._open
        till, open_now = math.inf, []
        for ci, c in enumerate(self.classes):
            is_open, until = c.window.state(now)
            if is_open:
                open_now.append(ci)
            till = min(till, until)
        self._open, self._open_till = open_now, till
        return open_now

    def _blocked(self, record: Record, now: float) -> bool:
        """The pre-dial DNC check (the list read at the start, then the OCS's memory of the
        day's requests): a match is finished as NoCall / Do Not Call and its chain moves on."""
        if not record.on_dnc and not (
            self.dynamic_dnc and self.requests.honoured(record.digits, record.customer, now)
        ):
            return False
        self.dnc_blocked += 1
        record.record_type = TYPE_NO_CALL
        self._finish(record, DO_NOT_CALL)
        self._move_on(record, now)
        return True

    def dnc_stops(self, record: Record, now: float) -> bool:
        """The DNC check again for a record taken a while ago (read by its agent in a preview, or
        waiting for a CPD port): an opt-out the OCS learned of meanwhile stops the dial."""
        return self.dynamic_dnc and self._blocked(record, now)

    # -- callbacks ------------------------------------------------------------------------------
    def update(self, now: float) -> None:
        """Apply the callbacks' hand-overs and misses due by ``now`` (before any decision)."""
        callbacks = self.callbacks
        callbacks.update(now)
        for record in callbacks.take_missed():
            assert record.callback_due is not None and callbacks.window is not None
            self.callbacks_missed.append(record.callback_due + callbacks.window)
            self._finish(record, record.call_result, STATUS_MISSED_CALLBACK)

    def next_callback(self, now: float) -> Record | None:
        """The earliest due campaign callback in an open window, DNC checked (None: none)."""
        callbacks = self.callbacks
        while callbacks:
            best, best_at = -1, (math.inf, 0)
            for ci, c in enumerate(self.classes):
                head = callbacks.campaign_head(ci)
                if head is not None and head[0] <= now and head < best_at and c.window.is_open(now):
                    best, best_at = ci, head
            if best < 0:
                return None
            record = callbacks.pop_campaign(best)
            if not self._blocked(record, now):
                record.status = STATUS_RETRIEVED
                return record
        return None

    def due_personal(self, now: float) -> list[Record]:
        """Personal callbacks due by ``now`` in an open window, still waiting for their agent."""
        if not self.callbacks:
            return []
        self.update(now)
        return [
            r for r in self.callbacks.due_personal(now) if self.classes[r.cls].window.is_open(now)
        ]

    def take_callback(self, record: Record, now: float) -> bool:
        """The OCS takes a due personal callback for its agent; False when the DNC check stops it."""
        self.callbacks.take(record)
        if self._blocked(record, now):
            return False
        record.status = STATUS_RETRIEVED
        return True

    def callback_edges(self, now: float) -> list[float]:
        """Every time at which a callback held now is due, handed over or missed (the model wakes
        the OCS then)."""
        return [t for r in self.callbacks.pending.values() for t in self.callbacks.edges(r)]

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

    def dial_note(self, record: Record, now: float) -> tuple[float | None, str, float | None]:
        """What the call record notes about a dial placed now: the seconds since the number's
        opt-out (the world's DNC table: None when it has none; a dial with one is a violation),
        and, for a callback, its kind (personal, campaign, handed_over) and time (the record is
        a callback no more)."""
        kind, due = record.callback_kind, record.callback_due
        if kind:  # the record keeps its type (5 or 6) until the call's result is written
            record.callback_kind, record.callback_due = "", None
        opted_out = None
        if self.dynamic_dnc:
            at = self.requests.opted_out_at(record.digits, record.customer, now)
            opted_out = None if at is None else now - at
        return opted_out, kind, due

    def put_back(self, record: Record, now: float) -> None:
        """A record taken but not dialed (its window closed during the preview, or its dial
        found no CPD port): due again at once (a callback back in its queue)."""
        record.status = STATUS_READY
        if record.callback_kind:
            self.callbacks.put_back(record)
            self.version += 1
            return
        self._reschedule(record, now)

    def port_failed(self, record: Record, now: float) -> None:
        """The record's dial found no CPD port in time (Genesys 44 No Free Port Error): it was
        not dialed, so its attempts stay; it is due again at once."""
        record.call_result = NO_FREE_PORT
        self.put_back(record, now)

    def next_change(self, now: float) -> float | None:
        """The earliest later time at which a record could become dialable (None: never)."""
        best = math.inf
        for ci, c in enumerate(self.classes):
            heap = self.retries[ci]
            candidates = []
            if heap:
                candidates.append(max(heap[0][0], now))
            if self.callbacks and not self.callbacks.preview:
                head = self.callbacks.campaign_head(ci)
                if head is not None:
                    candidates.append(max(head[0], now))
            if not self.source.exhausted(ci):
                candidates.append(now)
            for t in candidates:
                at = c.window.next_open(t)
                if at is not None and at < best:
                    best = at
        return None if best == math.inf else best

    # -- after a call -------------------------------------------------------------------------
    def result(
        self,
        record: Record,
        result: str,
        now: float,
        asked: tuple[int, float, str | None] | None = None,
    ) -> list[float]:
        """Apply the treatment for ``result`` (a key of RESULT_CODES) to the record.

        A right-party contact (``answer``) finishes the record and its whole chain, unless the
        person ``asked`` (request code, callback delay, agent id) not to be called again (the
        record and its chain become NoCall, the phone and customer go on the DNC list at once)
        or to be called back (the record becomes a callback). Otherwise the treatment retries
        the record, or finishes it and then either moves the chain on (``then:
        next_in_chain``) or finishes the chain too. Returns the times the OCS must look at the
        list again for a new callback (its time, hand-over and miss).
        """
        record.call_result = RESULT_CODES[result]
        record.call_time = now
        if asked is not None and result == "answer" and asked[0] != NO_REQUEST:
            return self._asked(record, now, *asked)
        if self.ofcom and result in ("abandoned", "dropped"):
            # The OCS cannot tell a person from a machine it passed as one: both count.
            self.barred[number_key(record.phone)] = self._whole(now) + OFCOM_BAR_S
        if result == "answer":
            self._finish(record, record.call_result)
            if self.file:
                self._close_chain(record, now)
            return []
        at, then = self.treatments.decide(record, result, now)
        if at is not None:
            record.record_type = TYPE_CAMPAIGN_RESCHEDULED
            self._reschedule(record, at)
            return []
        self._finish(record, record.call_result)
        if not self.file:
            return []
        if then == "next_in_chain":
            self._move_on(record, now)
        else:
            self._close_chain(record, now)
        return []

    def _asked(
        self, record: Record, now: float, request: int, delay: float, agent_id: str | None
    ) -> list[float]:
        if request == DNC_REQUEST:
            # the agent files it: the OCS's memory and the DNC table at once (assumption for the
            # record: NoCall, Do Not Call, Updated, as a DNC match; its chain with it)
            self.requests.add(now, record.digits, record.customer, AGENT)
            record.record_type = TYPE_NO_CALL
            self._finish(record, DO_NOT_CALL)
            if self.file:
                self._close_chain(record, now, no_call=True)
            return []
        due = self._whole(now + delay)
        record.status = STATUS_READY
        record.sched = due
        self.version += 1
        self.callbacks.add(record, due, agent_id, request == PERSONAL_CALLBACK_REQUEST)
        return self.callbacks.edges(record)

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

    def _close_chain(self, record: Record, now: float, no_call: bool = False) -> None:
        for code in self.source.close_chain(record, no_call):
            self._count(code, None)

    def _finish(self, record: Record, code: int, status: int = STATUS_UPDATED) -> None:
        record.call_result = code
        record.status = status
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

    def write_dnc(self, out: str, source: str | None) -> int:
        """Write the DNC file ``source`` (None: a new one) with the run's requests appended
        (phone, customer_id, dnc_message agent / outside, time_stamp in UTC seconds)."""
        from dialer.lists.listfile import write_dnc

        rows = [
            (
                r.phone.decode(),
                r.customer.decode("utf-8", "replace"),
                r.kind,
                math.ceil(self.epoch0 + r.at - 1e-6),
            )
            for r in self.requests.requests
            if not r.in_file
        ]
        rows.sort(key=lambda row: row[3])
        return write_dnc(source, rows, out)
