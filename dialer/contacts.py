"""The calling list as the OCS keeps it, and the truth behind each number.

Two sides of a record live here and never mix:

* the *list* side, which the OCS sees: record status and type, attempts, the schedule, the
  calling window in the record's own time zone, the DNC check, and the treatments that decide
  what a call result does to the record (Genesys names and codes);
* the *truth* side, which only the simulated world sees: what a dial to this record reaches on
  each attempt and how long everything takes. It is drawn from the record's own stream
  (block of records x attempt, see :mod:`dialer.rng`), so the same record behaves the same way
  under every mode and setting: comparing modes on one seed is a paired comparison.

A list comes from one of two sources with one interface: :class:`SyntheticList` (records made
up from the campaign's shares, endless if asked) and :class:`FileList` (a Genesys-format file
read by :mod:`dialer.listfile`, a partly worked one included: finished records stay finished,
scheduled ones wait for their time). Either way the OCS keeps one queue per *window class*
(records sharing a time zone and a calling window), and a record becomes a Python object only
when it becomes active.

No SimPy here: :mod:`dialer.model` asks for the next dialable record and reports results.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .clock import Calendar, Window
from .config import Campaign
from .errors import InputError
from .listfile import DncList, phone_digits
from .rng import stream

# -- outcomes: what a dial reached (truth) and what CPD said (verdict) ----------------------
HUMAN, MACHINE, BUSY, NO_ANSWER, FAX, INVALID = range(6)
OUTCOME_NAMES = ("human", "machine", "busy", "no_answer", "fax", "invalid")
VERDICT_NAMES = ("human", "machine", "busy", "no_answer", "fax", "sit")

# -- Genesys codes (Defined Constants / gcti.h) ----------------------------------------------
OK, BUSY_RESULT, NO_ANSWER_RESULT, SIT_DETECTED, ANSWERING_MACHINE = 0, 6, 7, 8, 9
FAX_DETECTED, ABANDONED, DROPPED, ANSWER, DO_NOT_CALL = 17, 21, 26, 33, 51
STATUS_READY, STATUS_RETRIEVED, STATUS_UPDATED, STATUS_CHAIN_READY = 1, 2, 3, 9
TYPE_GENERAL, TYPE_CAMPAIGN_RESCHEDULED, TYPE_NO_CALL = 2, 3, 7
# A record with one of these statuses can still be dialed (Retrieved: it was checked out when
# the list was exported, so it is dialable again; ChainReady: waiting in its chain).
OPEN_STATUSES = (STATUS_READY, STATUS_RETRIEVED, STATUS_CHAIN_READY)
OFCOM_BAR_S = 72 * 3600  # Ofcom: no repeat call within 72 h of an abandoned one

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
# Which treatment a call_result read from a file belongs to (SIT variants are "invalid").
RESULT_OF_CODE = {code: name for name, code in RESULT_CODES.items()}
RESULT_OF_CODE.update({c: "invalid" for c in (11, 12, 13, 14, 15, 16)})

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
        # band 0: the population's shares; band k: the k-th entry of population.by_hour
        self.bands = [pop, *(pop.by_hour or {}).values()]
        self.band_thresholds = []
        for shares in self.bands:
            cum, acc = [], 0.0
            for share in (shares.human, shares.machine, shares.busy, shares.no_answer):
                acc += share / valid
                cum.append(acc)
            self.band_thresholds.append(tuple(cum))
        self.thresholds = self.band_thresholds[0]  # human < machine < busy < no_answer < fax
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

    def outcome_at(self, row: tuple[float, ...], band: int) -> int:
        """:meth:`outcome` under the shares of band ``band`` of ``population.by_hour``.

        The uniform is the same, so a record's attempt moves monotonically between outcomes
        as the shares change with the called party's local time.
        """
        u = row[U_OUTCOME]
        for kind, threshold in enumerate(self.band_thresholds[band]):
            if u < threshold:
                return kind
        return FAX


# -- the list side -----------------------------------------------------------------------------


class Record:
    """One calling-list record as the OCS keeps it (Genesys fields)."""

    __slots__ = (
        "key", "record_id", "chain_id", "chain_n", "phone", "zone", "cls", "attempt",
        "status", "record_type", "call_result", "sched", "last_result", "seq", "on_dnc",
        "call_time", "dialed",
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
        self.sched: float | None = 0.0  # dial_sched_time, simulated seconds (None: not scheduled)
        self.last_result = ""
        self.seq = 0  # consecutive occurrences of last_result (treatment sequences)
        self.on_dnc = on_dnc
        self.call_time: float | None = None  # simulated seconds of the last result
        self.dialed = False  # dialed in this run (records_dialed)


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

    def __init__(self, campaign: Campaign, calendar: Calendar, dnc: DncList | None = None):
        cl = campaign.calling_list
        shares = cl.timezones or {campaign.site_timezone: 1.0}
        self._dnc: tuple[int, list[bool]] = (-1, [])
        self.seed = campaign.seed
        self.dnc_share = campaign.dnc.share
        self.dnc_file = dnc
        self.size = cl.size
        self.total = cl.size
        self.finished_at_start = 0
        lo, hi = legal_window(campaign, cl.daily_from, cl.daily_till)
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

    def position(self, ci: int) -> float:
        c = self.classes[ci]
        return (c.taken + 0.5) / c.share if c.share > 0 else math.inf

    def on_dnc(self, key: int) -> bool:
        """Whether the synthetic record's phone is on the DNC list (drawn once per record)."""
        if self.dnc_share <= 0:
            return False
        block, i = divmod(key, self.DNC_BLOCK)
        if self._dnc[0] != block:
            self._dnc = (block, (stream(self.seed, "dnc", block).random(self.DNC_BLOCK) < self.dnc_share).tolist())
        return self._dnc[1][i]

    @staticmethod
    def phone(key: int) -> str:
        return f"+1555{key:07d}"

    def take(self, ci: int) -> Record | None:
        c = self.classes[ci]
        if c.total is not None and c.taken >= c.total:
            return None
        key = c.taken * len(self.classes) + ci
        c.taken += 1
        phone = f"+1555{key:07d}"  # as phone(key), inline: this is the hot path of endless lists
        on_dnc = self.on_dnc(key)
        if self.dnc_file is not None and not on_dnc:
            on_dnc = phone_digits(phone.encode()) in self.dnc_file.phones
        return Record(key, key + 1, phone, c.zone, ci, on_dnc)

    def exhausted(self, ci: int) -> bool:
        c = self.classes[ci]
        return c.total is not None and c.taken >= c.total

    # A synthetic list has no schedules, no chains and nothing to write back.
    def scheduled(self, ci: int) -> tuple[float, int] | None:
        return None

    def take_scheduled(self, ci: int) -> Record:  # pragma: no cover - never scheduled
        raise IndexError(ci)

    def chain_next(self, record: Record) -> Record | None:
        return None

    def close_chain(self, record: Record) -> list[int]:
        return []

    def finished(self, record: Record) -> None:
        pass

    def barred_numbers(self, bar_s: float) -> dict[str, float]:
        return {}

    def write(self, out: str) -> int:
        raise InputError("--list-out: expected a campaign with calling_list.file (a synthetic list "
                         "has no file to write back; `dialer make-list` turns it into one)")


def legal_window(campaign: Campaign, lo: int, hi: int) -> tuple[int, int]:
    """A calling window cut to the regime's legal hours (fcc: 08:00-21:00 called-party time)."""
    if campaign.compliance.legal_hours and campaign.compliance.regime == "fcc":
        return max(lo, 8 * 3600), min(hi, 21 * 3600)
    return lo, hi


def number_key(phone: str) -> str:
    """A phone number as the Ofcom 72-hour rule compares numbers (its digits)."""
    return phone_digits(phone.encode()).decode()


class FileList:
    """A Genesys-format list file as the OCS loads it: who to call, in which order, and when.

    Parsed columns stay numpy arrays (:class:`~dialer.listfile.ListFile`); a record becomes a
    :class:`Record` when it is taken (``live``), and its final state is kept in ``changes``
    for the write-back. The truth key of a record is its index in the file.

    At load: a record is *open* with status Ready, Retrieved or ChainReady, a type other than
    NoCall and fewer than ``max_attempts`` attempts; everything else counts as finished at the
    start and is never dialed. In each chain (records sharing ``chain_id``, ordered by
    ``chain_n``) only the first open record is active. Active records with a
    ``dial_sched_time`` wait for it in a schedule queue (earliest first, then file order);
    the others are fresh and are taken in file order.
    """

    def __init__(self, campaign: Campaign, calendar: Calendar, dnc: DncList | None = None):
        from .listfile import read_list

        cl = campaign.calling_list
        zone_of = cl.time_zones or {}
        lf = read_list(cl.file, tuple(zone_of) or None)  # type: ignore[arg-type]
        self.lf, self.dnc, self.calendar = lf, dnc, calendar
        self.epoch0 = calendar.epoch0
        n = len(lf)
        self.total: int | None = n
        # -- window classes: (zone, daily_from, daily_till cut to legal hours)
        dbids = np.array(sorted(zone_of), dtype=np.int64)
        zones = [campaign.site_timezone, *(zone_of[int(d)] for d in dbids)]
        zi = np.where(lf.tz_dbid < 0, 0, np.searchsorted(dbids, lf.tz_dbid) + 1).astype(np.int64)
        lo = np.where(lf.daily_from < 0, cl.daily_from, lf.daily_from).astype(np.int64)
        hi = np.where(lf.daily_till < 0, cl.daily_till, lf.daily_till).astype(np.int64)
        legal = legal_window(campaign, 0, 24 * 3600)
        lo, hi = np.maximum(lo, legal[0]), np.minimum(hi, legal[1])
        hi = np.maximum(hi, lo)  # an empty window stays empty
        keys, cls = np.unique((zi << 40) | (lo << 20) | hi, return_inverse=True)
        self.cls = cls.astype(np.int32).reshape(-1)
        self.classes = []
        for k in keys.tolist():
            zone, a, b = zones[k >> 40], (k >> 20) & 0xFFFFF, k & 0xFFFFF
            intervals = calendar.windows(zone, a, b) if b > a else []
            self.classes.append(WindowClass(zone, a, b, Window(intervals)))
        # -- what is open, and which record of each chain is active
        self.open = (np.isin(lf.record_status, OPEN_STATUSES) & (lf.record_type != TYPE_NO_CALL)
                     & (lf.attempt < cl.max_attempts))
        self.finished_at_start = int(n - self.open.sum())
        order = np.lexsort((np.arange(n), lf.chain_n, lf.chain_id)).astype(np.int32)
        self.chain_order = order
        self.chain_pos = np.empty(n, dtype=np.int32)
        self.chain_pos[order] = np.arange(n, dtype=np.int32)
        sorted_chain = lf.chain_id[order]
        group = np.cumsum(np.r_[True, sorted_chain[1:] != sorted_chain[:-1]])
        open_pos = np.flatnonzero(self.open[order])
        _, first = np.unique(group[open_pos], return_index=True)
        active = np.zeros(n, dtype=bool)
        active[order[open_pos[first]]] = True
        # -- queues per class: fresh records in file order, scheduled ones by time
        sched = lf.dial_sched_time
        self._fresh = self._per_class(np.flatnonzero(active & (sched <= 0)))
        due = np.flatnonzero(active & (sched > 0))
        due = due[np.lexsort((due, sched[due], self.cls[due]))]
        self._sched = self._per_class(due, keep_order=True)
        self._fp = [0] * len(self.classes)
        self._sp = [0] * len(self.classes)
        for ci, c in enumerate(self.classes):
            c.total = len(self._fresh[ci]) + len(self._sched[ci])
        self.live: dict[int, Record] = {}  # records taken and not finished
        self.changes: dict[int, tuple] = {}  # final state of finished records (write-back)

    def _per_class(self, rows: np.ndarray, keep_order: bool = False) -> list[np.ndarray]:
        if not keep_order:
            rows = rows[np.lexsort((rows, self.cls[rows]))]
        bounds = np.searchsorted(self.cls[rows], np.arange(len(self.classes) + 1))
        return [rows[bounds[i]:bounds[i + 1]] for i in range(len(self.classes))]

    # -- the source interface of CallingList -------------------------------------------------
    def position(self, ci: int) -> float:
        fresh, i = self._fresh[ci], self._fp[ci]
        return float(fresh[i]) if i < len(fresh) else math.inf

    def exhausted(self, ci: int) -> bool:
        return self._fp[ci] >= len(self._fresh[ci])

    def take(self, ci: int) -> Record | None:
        i = self._fp[ci]
        if i >= len(self._fresh[ci]):
            return None
        self._fp[ci] = i + 1
        return self._activate(int(self._fresh[ci][i]))

    def scheduled(self, ci: int) -> tuple[float, int] | None:
        rows, i = self._sched[ci], self._sp[ci]
        if i >= len(rows):
            return None
        row = int(rows[i])
        return float(self.lf.dial_sched_time[row]) - self.epoch0, row

    def take_scheduled(self, ci: int) -> Record:
        row = int(self._sched[ci][self._sp[ci]])
        self._sp[ci] += 1
        return self._activate(row)

    def _activate(self, row: int) -> Record:
        lf = self.lf
        phone = lf.contact_info[row]
        ci = int(self.cls[row])
        customer = lf.customer_id[row] if lf.customer_id is not None else b""
        dnc = self.dnc
        on_dnc = dnc is not None and (phone_digits(phone) in dnc.phones or
                                      (customer != b"" and customer.strip() in dnc.customer_ids))
        rec = Record(row, int(lf.record_id[row]), phone.decode("utf-8", "replace"),
                     self.classes[ci].zone, ci, on_dnc)
        rec.chain_id, rec.chain_n = int(lf.chain_id[row]), int(lf.chain_n[row])
        rec.attempt = int(lf.attempt[row])
        rec.record_type = int(lf.record_type[row])
        rec.call_result = int(lf.call_result[row])
        sched, call_time = int(lf.dial_sched_time[row]), int(lf.call_time[row])
        rec.sched = sched - self.epoch0 if sched > 0 else None
        rec.call_time = call_time - self.epoch0 if call_time > 0 else None
        rec.last_result, rec.seq = self._sequence(row, rec.call_result, rec.attempt)
        self.live[row] = rec
        return rec

    def _sequence(self, row: int, call_result: int, attempt: int) -> tuple[str, int]:
        """Treatment-sequence state: from the treatments column when the simulator wrote it."""
        tr = self.lf.treatments
        if tr is not None:
            name, _, count = tr[row].decode("ascii", "replace").partition(":")
            if name in RESULT_CODES and count.isdigit():
                return name, int(count)
        name = RESULT_OF_CODE.get(call_result, "")
        return (name, 1) if name and attempt > 0 else ("", 0)

    def _open_rows_after(self, record: Record):
        """Open, untouched records after ``record`` in its chain, in chain_n order."""
        order, chain_id = self.chain_order, self.lf.chain_id
        j = int(self.chain_pos[record.key]) + 1
        while j < len(order) and chain_id[order[j]] == record.chain_id:
            row = int(order[j])
            if self.open[row] and row not in self.changes and row not in self.live:
                yield row
            j += 1

    def chain_next(self, record: Record) -> Record | None:
        for row in self._open_rows_after(record):
            return self._activate(row)
        return None

    def close_chain(self, record: Record) -> list[int]:
        """Finish the chain's remaining records without dialing them (Updated)."""
        lf, codes = self.lf, []
        for row in list(self._open_rows_after(record)):
            code = int(lf.call_result[row])
            self.changes[row] = (int(lf.record_type[row]), STATUS_UPDATED, code, int(lf.attempt[row]),
                                 None, None, "", 0)
            codes.append(code)
        return codes

    def finished(self, record: Record) -> None:
        self.live.pop(record.key, None)
        self.changes[record.key] = self._state(record)

    def _state(self, r: Record) -> tuple:
        status = STATUS_READY if r.status == STATUS_RETRIEVED else r.status  # in a call at the end
        return (r.record_type, status, r.call_result, r.attempt, r.sched, r.call_time,
                r.last_result, r.seq)

    def barred_numbers(self, bar_s: float) -> dict[str, float]:
        """Numbers abandoned (call_result 21 / 26) less than ``bar_s`` before the start."""
        lf = self.lf
        rows = np.flatnonzero(np.isin(lf.call_result, (ABANDONED, DROPPED)) & (lf.call_time > 0))
        out: dict[str, float] = {}
        for row in rows.tolist():
            until = float(lf.call_time[row]) - self.epoch0 + bar_s
            if until > 0:
                key = phone_digits(lf.contact_info[row]).decode()
                out[key] = max(until, out.get(key, until))
        return out

    # -- writing back -------------------------------------------------------------------------------
    def write(self, out: str) -> int:
        """Write the list with every record's state as it is now; returns records changed."""
        from .listfile import write_list

        lf, epoch0 = self.lf, self.epoch0
        has_tr = lf.treatments is not None
        diffs: dict[int, dict[str, int | bytes]] = {}
        states = [*self.changes.items(), *((row, self._state(r)) for row, r in self.live.items())]
        for row, (rtype, status, result, attempt, sched, call_time, last, seq) in states:
            new = {"record_type": rtype, "record_status": status, "call_result": result, "attempt": attempt}
            if sched is not None:
                new["dial_sched_time"] = math.ceil(epoch0 + sched - 1e-6)
            if call_time is not None:
                new["call_time"] = math.ceil(epoch0 + call_time - 1e-6)
            diff: dict[str, int | bytes] = {k: v for k, v in new.items() if int(getattr(lf, k)[row]) != v}
            if has_tr and seq > 0:
                text = f"{last}:{seq}".encode()
                if lf.treatments[row] != text:  # type: ignore[index]
                    diff["treatments"] = text
            if diff:
                diffs[row] = diff
        return write_list(lf, diffs, out)


class Treatments:
    """What a call result does to its record (Genesys treatments and treatment sequences)."""

    def __init__(self, campaign: Campaign):
        self.rules = campaign.treatments
        self.max_attempts = campaign.calling_list.max_attempts

    def decide(self, record: Record, result: str, now: float) -> tuple[float | None, str]:
        """Record the result; (time of the next dial or None when done, what then).

        Consecutive occurrences of one result walk its sequence (retry_after_s, then
        increment_s more each time) up to ``retries``; a different result starts over; the
        list's ``max_attempts`` ends it. A result with no treatment finishes the record.
        """
        if result == record.last_result:
            record.seq += 1
        else:
            record.last_result, record.seq = result, 1
        rule = self.rules.get(result)
        if rule is None:
            return None, "finish"
        if record.seq > rule.retries or record.attempt >= self.max_attempts:
            return None, rule.then
        return now + rule.retry_after_s + (record.seq - 1) * rule.increment_s, rule.then

    def retry_at(self, record: Record, result: str, now: float) -> float | None:
        """The time of the next dial, or None when the record is done."""
        return self.decide(record, result, now)[0]


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
            from .listfile import read_dnc

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
        self.on_finish = None  # optional callback(record), e.g. to count finishes over time
        self.ofcom = campaign.compliance.regime == "ofcom"
        # only a list file has chains and keeps finished records for the write-back
        self.file = isinstance(self.source, FileList)
        # Ofcom: number -> simulated time before which it may not be dialed again
        self.barred: dict[str, float] = self.source.barred_numbers(OFCOM_BAR_S) if self.ofcom else {}

    # -- choosing the next dial -------------------------------------------------------------
    def next_record(self, now: float) -> Record | None:
        """The next dialable record (due records first, then fresh records in list order).

        DNC is checked here, just before the dial: a match is finished as NoCall / Do Not
        Call and the search goes on (its chain moves to the next number). Under Ofcom a number
        abandoned less than 72 h ago waits.
        """
        while True:
            best_retry, best_fresh, fresh_pos = -1, -1, math.inf
            retry_at, retry_key = math.inf, 0
            for ci, c in enumerate(self.classes):
                if not c.window.is_open(now):
                    continue
                heap = self.retries[ci]
                if heap:
                    at, key = heap[0][0], heap[0][1]
                    if at <= now and (at < retry_at or (at == retry_at and key < retry_key)):
                        best_retry, retry_at, retry_key = ci, at, key
                if best_retry < 0 and not self.source.exhausted(ci):
                    pos = self.source.position(ci)
                    if pos < fresh_pos:
                        best_fresh, fresh_pos = ci, pos
            if best_retry >= 0:
                record = heapq.heappop(self.retries[best_retry])[2]
                if record is None:
                    record = self._take_scheduled(best_retry)
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
                self._move_on(record, now)
                continue
            if self.barred:
                until = self.barred.get(number_key(record.phone))
                if until is not None and until > now:
                    self._reschedule(record, until)
                    continue
            record.status = STATUS_RETRIEVED
            if not record.dialed:
                record.dialed = True
                self.records_dialed += 1
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

    def has_work(self) -> bool:
        return any(self.retries) or not all(self.source.exhausted(i) for i in range(len(self.classes)))

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
