"""The calling list as the OCS keeps it, and the truth behind each number.

Two sides of a record live here and never mix:

* the *list* side, which the OCS sees: record status and type, attempts, the schedule, the
  calling window in the record's own time zone, the DNC check, and the treatments that decide
  what a call result does to the record (Genesys names and codes);
* the *truth* side, which only the simulated world sees: what a dial to this record reaches on
  each attempt and how long everything takes. It is drawn from the record's own stream
  (block of records x attempt, see :mod:`dialer.rng`), so the same record behaves the same way
  under every mode and setting: comparing modes on one seed is a paired comparison.

No SimPy here: :mod:`dialer.model` asks for the next dialable record and reports results.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from dataclasses import dataclass

from .clock import Calendar, Window
from .config import Campaign
from .rng import stream

# -- outcomes: what a dial reached (truth) and what CPD said (verdict) ----------------------
HUMAN, MACHINE, BUSY, NO_ANSWER, FAX, INVALID = range(6)
OUTCOME_NAMES = ("human", "machine", "busy", "no_answer", "fax", "invalid")
VERDICT_NAMES = ("human", "machine", "busy", "no_answer", "fax", "sit")

# -- Genesys codes (Defined Constants / gcti.h) ----------------------------------------------
OK, BUSY_RESULT, NO_ANSWER_RESULT, SIT_DETECTED, ANSWERING_MACHINE = 0, 6, 7, 8, 9
FAX_DETECTED, ABANDONED, DROPPED, ANSWER, DO_NOT_CALL = 17, 21, 26, 33, 51
STATUS_READY, STATUS_RETRIEVED, STATUS_UPDATED = 1, 2, 3
TYPE_GENERAL, TYPE_CAMPAIGN_RESCHEDULED, TYPE_NO_CALL = 2, 3, 7

# Treatment name and call_result of each way a call can end.
RESULT_CODES = {
    "answer": ANSWER,
    "busy": BUSY_RESULT,
    "no_answer": NO_ANSWER_RESULT,
    "answering_machine": ANSWERING_MACHINE,
    "fax": FAX_DETECTED,
    "invalid": SIT_DETECTED,
    "abandoned": ABANDONED,
    "dropped": DROPPED,
}

# Columns of a truth row (per record and attempt). Person and machine answer times share one
# uniform (they are alternatives); every other column has its own.
(U_OUTCOME, ANSWER_S, MACHINE_ANSWER_S, U_AMD, DETECT_S, PATIENCE_S, PREVIEW_S, BUSY_S,
 INVALID_S, IS_INVALID) = range(10)
GROUP_COLUMNS = 10  # then talk, wrap and machine time for each agent group
TALK, WRAP, MACHINE_TIME = range(3)


class Truth:
    """What a dial to each record reaches, attempt by attempt (the simulated world only).

    Rows are drawn per block of ``BLOCK`` consecutive record keys and per attempt from the
    stream ("truth", block, attempt), turned into seconds by each distribution's inverse CDF,
    and kept in a small LRU cache: a block evicted and needed again is drawn again, identical.
    """

    BLOCK = 256
    CACHE = 256

    def __init__(self, campaign: Campaign):
        pop, cpd = campaign.population, campaign.cpd
        self.seed = campaign.seed
        self.invalid_share = pop.invalid
        valid = 1.0 - pop.invalid
        cum, acc = [], 0.0
        for share in (pop.human, pop.machine, pop.busy, pop.no_answer):
            acc += share / valid
            cum.append(acc)
        self.thresholds = tuple(cum)  # human < machine < busy < no_answer < fax
        # (distribution, uniform to use: "own" or the name of a shared one) per column
        self.columns = [
            (None, "outcome"),
            (pop.answer_time_s, "answer"),
            (pop.machine_answer_time_s, "answer"),
            (None, "amd"),
            (cpd.detect_time_s, "own"),
            (pop.patience_s, "own"),
            (campaign.dialing.preview_time_s, "own"),
            (pop.busy_time_s, "own"),
            (pop.invalid_time_s, "own"),
            (None, "invalid"),
        ]
        for g in campaign.agents.groups:
            self.columns += [(g.talk_time_s, "own"), (g.wrap_time_s, "own"), (g.machine_time_s, "own")]
        self._cache: OrderedDict[tuple[int, int], list[tuple[float, ...]]] = OrderedDict()

    def _block(self, block: int, attempt: int) -> list[tuple[float, ...]]:
        rng = stream(self.seed, "truth", block, attempt)
        n = self.BLOCK
        shared = {"outcome": rng.random(n), "answer": rng.random(n), "amd": rng.random(n),
                  # whether the number is invalid is the record's, the same on every attempt
                  "invalid": stream(self.seed, "invalid", block).random(n) < self.invalid_share}
        cols = []
        for dist, source in self.columns:
            u = rng.random(n) if source == "own" else shared[source]
            cols.append(u if dist is None else dist.ppf(u))
        cols[IS_INVALID] = shared["invalid"]
        return list(zip(*(c.tolist() for c in cols)))

    def row(self, key: int, attempt: int) -> tuple[float, ...]:
        """The truth of ``attempt`` (1-based) of record ``key``."""
        block, i = divmod(key, self.BLOCK)
        cache = self._cache
        rows = cache.get((block, attempt))
        if rows is None:
            rows = cache[(block, attempt)] = self._block(block, attempt)
            if len(cache) > self.CACHE:
                cache.popitem(last=False)
        return rows[i]

    def outcome(self, row: tuple[float, ...]) -> int:
        """What a dial to a valid number reaches (before the ring timeout is applied)."""
        u = row[U_OUTCOME]
        for kind, threshold in enumerate(self.thresholds):
            if u < threshold:
                return kind
        return FAX


# -- the list side -----------------------------------------------------------------------------


class Record:
    """One calling-list record as the OCS keeps it (Genesys fields)."""

    __slots__ = (
        "key", "record_id", "chain_id", "chain_n", "phone", "zone", "cls", "attempt",
        "status", "record_type", "call_result", "sched", "last_result", "seq", "on_dnc",
        "call_time",
    )

    def __init__(self, key: int, record_id: int, phone: str, zone: str, cls: int, on_dnc: bool):
        self.key = key  # index of the record's truth stream
        self.record_id = record_id
        self.chain_id = record_id
        self.chain_n = 0
        self.phone = phone
        self.zone = zone
        self.cls = cls
        self.attempt = 0
        self.status = STATUS_READY
        self.record_type = TYPE_GENERAL
        self.call_result = OK
        self.sched = 0.0  # dial_sched_time, simulated seconds
        self.last_result = ""
        self.seq = 0  # consecutive occurrences of last_result (treatment sequences)
        self.on_dnc = on_dnc
        self.call_time = None


@dataclass
class WindowClass:
    """Records that share a time zone and a calling window: one queue of the OCS."""

    zone: str
    daily_from: int
    daily_till: int
    window: Window
    share: float = 1.0
    total: int | None = None  # records of this class in the list (None: endless)
    taken: int = 0  # fresh records handed out so far


class SyntheticList:
    """A generated list: records per time zone in fixed shares, phones from their keys.

    Zone z's k-th record has key ``k * Z + z`` and sits at position (k + 0.5) / share_z in
    list order, so walking the positions interleaves the zones in their shares; a list with
    ``size`` records gives each zone its largest-remainder share of it.
    """

    DNC_BLOCK = 1024

    def __init__(self, campaign: Campaign, calendar: Calendar):
        cl = campaign.calling_list
        shares = cl.timezones or {campaign.site_timezone: 1.0}
        self._dnc: tuple[int, list[bool]] = (-1, [])
        self.seed = campaign.seed
        self.dnc_share = campaign.dnc.share
        self.size = cl.size
        lo, hi = cl.daily_from, cl.daily_till
        if campaign.compliance.legal_hours and campaign.compliance.regime == "fcc":
            lo, hi = max(lo, 8 * 3600), min(hi, 21 * 3600)
        zones = list(shares)
        counts: list[int | None] = [None] * len(zones)
        if cl.size is not None:
            raw = [cl.size * shares[z] for z in zones]
            counts = [math.floor(r) for r in raw]
            for j in sorted(range(len(zones)), key=lambda j: counts[j] - raw[j])[: cl.size - sum(counts)]:
                counts[j] += 1
        self.classes = [
            WindowClass(z, lo, hi, Window(calendar.windows(z, lo, hi)), shares[z], counts[j])
            for j, z in enumerate(zones)
        ]

    def position(self, c: WindowClass) -> float:
        return (c.taken + 0.5) / c.share if c.share > 0 else math.inf

    def on_dnc(self, key: int) -> bool:
        """Whether the synthetic record's phone is on the DNC list (drawn once per record)."""
        if self.dnc_share <= 0:
            return False
        block, i = divmod(key, self.DNC_BLOCK)
        if self._dnc[0] != block:
            self._dnc = (block, (stream(self.seed, "dnc", block).random(self.DNC_BLOCK) < self.dnc_share).tolist())
        return self._dnc[1][i]

    def take(self, ci: int) -> Record | None:
        c = self.classes[ci]
        if c.total is not None and c.taken >= c.total:
            return None
        key = c.taken * len(self.classes) + ci
        c.taken += 1
        return Record(key, key + 1, f"+1555{key:07d}", c.zone, ci, self.on_dnc(key))

    def exhausted(self, ci: int) -> bool:
        c = self.classes[ci]
        return c.total is not None and c.taken >= c.total


class Treatments:
    """What a call result does to its record (Genesys treatments and treatment sequences)."""

    def __init__(self, campaign: Campaign):
        self.rules = campaign.treatments
        self.max_attempts = campaign.calling_list.max_attempts

    def retry_at(self, record: Record, result: str, now: float) -> float | None:
        """Record the result; the time of the next dial, or None when the record is done."""
        if result == record.last_result:
            record.seq += 1
        else:
            record.last_result, record.seq = result, 1
        rule = self.rules.get(result)
        if rule is None or record.seq > rule.retries or record.attempt >= self.max_attempts:
            return None
        return now + rule.retry_after_s + (record.seq - 1) * rule.increment_s


class CallingList:
    """The OCS's view of its list: which record to dial next, and what happens after a call."""

    def __init__(self, campaign: Campaign, calendar: Calendar):
        self.source = SyntheticList(campaign, calendar)
        self.classes = self.source.classes
        self.treatments = Treatments(campaign)
        self.retries: list[list[tuple[float, int, Record]]] = [[] for _ in self.classes]
        self._seq = 0
        self.total = campaign.calling_list.size
        self.finished = 0
        self.dnc_blocked = 0
        self.finished_by: dict[int, int] = {}
        self.on_finish = None  # optional callback(record), e.g. to write the list back

    # -- choosing the next dial -------------------------------------------------------------
    def next_record(self, now: float) -> Record | None:
        """The next dialable record (due retries first, then fresh records in list order).

        DNC is checked here, just before the dial: a match is finished as NoCall / Do Not
        Call and the search goes on.
        """
        while True:
            best_retry, best_fresh, fresh_pos = -1, -1, math.inf
            retry_at = math.inf
            for ci, c in enumerate(self.classes):
                if not c.window.is_open(now):
                    continue
                heap = self.retries[ci]
                if heap and heap[0][0] <= now and heap[0][0] < retry_at:
                    best_retry, retry_at = ci, heap[0][0]
                if best_retry < 0 and not self.source.exhausted(ci):
                    pos = self.source.position(c)
                    if pos < fresh_pos:
                        best_fresh, fresh_pos = ci, pos
            if best_retry >= 0:
                record = heapq.heappop(self.retries[best_retry])[2]
            elif best_fresh >= 0:
                record = self.source.take(best_fresh)
            else:
                return None
            if record is None:
                continue
            if record.on_dnc:
                self.dnc_blocked += 1
                record.record_type = TYPE_NO_CALL
                self._finish(record, DO_NOT_CALL)
                continue
            record.status = STATUS_RETRIEVED
            return record

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

    def has_work(self) -> bool:
        return any(self.retries) or not all(self.source.exhausted(i) for i in range(len(self.classes)))

    # -- after a call -------------------------------------------------------------------------
    def result(self, record: Record, result: str, now: float) -> None:
        """Apply the treatment for ``result`` (a key of RESULT_CODES) to the record."""
        record.call_result = RESULT_CODES[result]
        record.call_time = now
        at = None if result == "answer" else self.treatments.retry_at(record, result, now)
        if at is None:
            self._finish(record, record.call_result)
            return
        record.status = STATUS_READY
        record.record_type = TYPE_CAMPAIGN_RESCHEDULED
        record.sched = at
        self._seq += 1
        heapq.heappush(self.retries[record.cls], (at, self._seq, record))

    def _finish(self, record: Record, code: int) -> None:
        record.call_result = code
        record.status = STATUS_UPDATED
        self.finished += 1
        self.finished_by[code] = self.finished_by.get(code, 0) + 1
        if self.on_finish is not None:
            self.on_finish(record)
