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

import math
from dataclasses import dataclass

import numpy as np

from dialer.clock import Calendar, Window
from dialer.codes import (
    ABANDONED,
    CALLBACK_TYPES,
    DO_NOT_CALL,
    DROPPED,
    OK,
    OPEN_STATUSES,
    RESULT_CODES,
    RESULT_OF_CODE,
    STATUS_READY,
    STATUS_RETRIEVED,
    STATUS_UPDATED,
    TYPE_GENERAL,
    TYPE_NO_CALL,
)
from dialer.config import Campaign
from dialer.errors import InputError
from dialer.lists.listfile import DncList, ListFile, phone_digits, read_dnc, read_list, write_list
from dialer.rng import stream


class Record:
    """One calling-list record as the OCS keeps it (Genesys fields)."""

    __slots__ = (
        "key",
        "record_id",
        "chain_id",
        "chain_n",
        "phone",
        "zone",
        "cls",
        "attempt",
        "status",
        "record_type",
        "call_result",
        "sched",
        "last_result",
        "seq",
        "on_dnc",
        "call_time",
        "dialed",
        "customer",
        "agent_id",
        "callback_due",
        "callback_kind",
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
        self.customer = b""  # customer id (list files with the column; the DNC check)
        self.agent_id: str | None = None  # the agent of a personal callback
        self.callback_due: float | None = None  # a callback's time (simulated seconds)
        self.callback_kind = ""  # a callback: personal | campaign | handed_over

    @property
    def digits(self) -> bytes:
        """The phone's digits: how DNC entries match it."""
        return phone_digits(self.phone.encode())


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
        self._dnc: dict[int, list[bool]] = {}  # DNC flags of recent blocks of keys
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
            floors = [math.floor(r) for r in raw]
            for j in sorted(range(len(zones)), key=lambda j: floors[j] - raw[j])[
                : cl.size - sum(floors)
            ]:
                floors[j] += 1
            counts = list(floors)
        self.classes = [
            WindowClass(z, lo, hi, Window(calendar.windows(z, lo, hi)), shares[z], counts[j])
            for j, z in enumerate(zones)
        ]

    def position(self, ci: int) -> float:
        """Where the class's next fresh record sits in list order (inf: none left)."""
        c = self.classes[ci]
        if c.share <= 0 or (c.total is not None and c.taken >= c.total):
            return math.inf
        return (c.taken + 0.5) / c.share

    def on_dnc(self, key: int) -> bool:
        """Whether the synthetic record's phone is on the DNC list (drawn once per record)."""
        if self.dnc_share <= 0:
            return False
        block, i = divmod(key, self.DNC_BLOCK)
        flags = self._dnc.get(block)
        if flags is None:
            # the zones take keys at their own pace, so each is in a block of its own: keep a
            # few blocks (a block evicted and needed again is drawn again, identical)
            if len(self._dnc) >= 4 * len(self.classes):
                self._dnc.pop(next(iter(self._dnc)))
            draws = stream(self.seed, "dnc", block).random(self.DNC_BLOCK)
            flags = self._dnc[block] = (draws < self.dnc_share).tolist()
        return flags[i]

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
        on_dnc = self.dnc_share > 0 and self.on_dnc(key)
        if self.dnc_file is not None and not on_dnc:
            on_dnc = phone_digits(phone.encode()) in self.dnc_file.phones
        return Record(key, key + 1, phone, c.zone, ci, on_dnc)

    def exhausted(self, ci: int) -> bool:
        c = self.classes[ci]
        return c.total is not None and c.taken >= c.total

    def contact(self, index: int) -> tuple[bytes, bytes]:
        """(phone digits, customer id) of the list's ``index``-th record (zone by zone)."""
        z = len(self.classes)
        for ci, c in enumerate(self.classes):
            assert c.total is not None
            if index < c.total:
                return phone_digits(self.phone(index * z + ci).encode()), b""
            index -= c.total
        raise IndexError(index)

    def callback_rows(self) -> list[int]:
        return []

    def activate(self, row: int) -> Record:  # pragma: no cover - no callback rows
        raise IndexError(row)

    # A synthetic list has no schedules, no chains and nothing to write back.
    def scheduled(self, ci: int) -> tuple[float, int] | None:
        return None

    def take_scheduled(self, ci: int) -> Record:  # pragma: no cover - never scheduled
        raise IndexError(ci)

    def chain_next(self, record: Record) -> Record | None:
        return None

    def close_chain(self, record: Record, no_call: bool = False) -> list[int]:
        return []

    def finished(self, record: Record) -> None:
        pass

    def barred_numbers(self, bar_s: float) -> dict[str, float]:
        return {}

    def write(self, out: str) -> int:
        raise InputError(
            "--list-out: expected a campaign with calling_list.file (a synthetic list "
            "has no file to write back; `dialer make-list` turns it into one)"
        )


def legal_window(campaign: Campaign, lo: int, hi: int) -> tuple[int, int]:
    """A calling window cut to the regime's legal hours (fcc: 08:00-21:00 called-party time)."""
    if campaign.compliance.legal_hours and campaign.compliance.regime == "fcc":
        return max(lo, 8 * 3600), min(hi, 21 * 3600)
    return lo, hi


def number_key(phone: str) -> str:
    """A phone number as the Ofcom 72-hour rule compares numbers (its digits)."""
    return phone_digits(phone.encode()).decode()


def list_file(campaign: Campaign) -> ListFile:
    """The campaign's list file as read (and cached) for a run: tz_dbids checked against
    ``calling_list.time_zones`` unless ``calling_list.unknown_tz_dbid`` gives the others a zone."""
    cl = campaign.calling_list
    if cl.file is None:
        raise ValueError("the campaign has no calling_list.file")
    return read_list(cl.file, tuple(cl.time_zones or ()), cl.unknown_tz_dbid is not None)


def read_files(campaign: Campaign) -> None:
    """Read the campaign's list and DNC files, so that a bad one is reported before anything
    is written (the parses are cached: the run that follows does not read them again)."""
    if campaign.calling_list.file:
        list_file(campaign)
    if campaign.dnc.file:
        read_dnc(campaign.dnc.file)


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

        cl = campaign.calling_list
        zone_of = cl.time_zones or {}
        unknown = cl.unknown_tz_dbid  # None: the reader refuses a tz_dbid not in zone_of
        lf = list_file(campaign)
        self.lf, self.dnc, self.calendar = lf, dnc, calendar
        self.epoch0 = calendar.epoch0
        n = len(lf)
        self.total: int | None = n
        # -- window classes: (zone, daily_from, daily_till cut to legal hours); zone index 0 is
        # the site's (an empty tz_dbid), then the mapped dbids in order, then unknown_tz_dbid's
        # (the last is never used unless set: the reader refuses unknown dbids otherwise)
        # (the arrays are as long as the list: each step works in place and frees what it no
        # longer needs, so that a 10-million-record list loads in little more than its columns)
        dbids = np.array(sorted(zone_of), dtype=np.int64)
        zones = [campaign.site_timezone, *(zone_of[int(d)] for d in dbids), unknown or "UTC"]
        zi = np.searchsorted(dbids, lf.tz_dbid)
        known = zi < len(dbids)
        known[known] = dbids[zi[known]] == lf.tz_dbid[known]
        zi += 1
        zi[~known] = len(dbids) + 1
        zi[lf.tz_dbid < 0] = 0
        del known
        legal = legal_window(campaign, 0, 24 * 3600)
        key = np.where(lf.daily_from < 0, cl.daily_from, lf.daily_from).astype(np.int64)
        np.maximum(key, legal[0], out=key)
        hi = np.where(lf.daily_till < 0, cl.daily_till, lf.daily_till).astype(np.int64)
        np.minimum(hi, legal[1], out=hi)
        np.maximum(hi, key, out=hi)  # an empty window stays empty
        key <<= 20
        key |= hi
        del hi
        zi <<= 40
        key |= zi
        del zi
        # the window classes are few: find them slice by slice (no sort of the whole list)
        step = 1 << 20
        keys = np.unique(np.concatenate([np.unique(key[i : i + step]) for i in range(0, n, step)]))
        self.cls = np.searchsorted(keys, key).astype(np.int32)
        del key
        self.classes = []
        for k in keys.tolist():
            zone, a, b = zones[k >> 40], (k >> 20) & 0xFFFFF, k & 0xFFFFF
            intervals = calendar.windows(zone, a, b) if b > a else []
            self.classes.append(WindowClass(zone, a, b, Window(intervals)))
        # -- what is open, and which record of each chain is active
        # a callback is made whatever its attempts (the customer asked for it)
        callback = np.isin(lf.record_type, CALLBACK_TYPES)
        self.open = (
            np.isin(lf.record_status, OPEN_STATUSES)
            & (lf.record_type != TYPE_NO_CALL)
            & ((lf.attempt < cl.max_attempts) | callback)
        )
        self.finished_at_start = int(n - self.open.sum())
        # by chain, then chain_n, then file order (lexsort is stable)
        order = np.lexsort((lf.chain_n, lf.chain_id)).astype(np.int32)
        self.chain_order = order
        self.chain_pos = np.empty(n, dtype=np.int32)
        self.chain_pos[order] = np.arange(n, dtype=np.int32)
        open_pos = np.flatnonzero(self.open[order])
        chains = lf.chain_id[order[open_pos]]  # nondecreasing: the first of each run is active
        first = np.flatnonzero(np.r_[len(chains) > 0, chains[1:] != chains[:-1]])
        del chains
        active = np.zeros(n, dtype=bool)
        active[order[open_pos[first]]] = True
        del open_pos
        # -- queues per class: fresh records in file order, scheduled ones by time; callbacks
        # go to the OCS's callback queue (CallingList)
        sched = lf.dial_sched_time
        self._callbacks = np.flatnonzero(active & callback)
        active &= ~callback
        self._fresh = self._per_class(np.flatnonzero(active & (sched <= 0)).astype(np.int32))
        due = np.flatnonzero(active & (sched > 0))
        due = due[np.lexsort((due, sched[due], self.cls[due]))]
        self._sched = self._per_class(due, keep_order=True)
        self._fp = [0] * len(self.classes)
        self._sp = [0] * len(self.classes)
        for ci, c in enumerate(self.classes):
            c.total = len(self._fresh[ci]) + len(self._sched[ci])
            c.total += int((self.cls[self._callbacks] == ci).sum())
        self.live: dict[int, Record] = {}  # records taken and not finished
        self.changes: dict[int, tuple] = {}  # final state of finished records (write-back)

    def _per_class(self, rows: np.ndarray, keep_order: bool = False) -> list[np.ndarray]:
        if not keep_order:  # by class, in file order within each (a stable sort)
            rows = rows[np.argsort(self.cls[rows], kind="stable")]
        bounds = np.searchsorted(self.cls[rows], np.arange(len(self.classes) + 1))
        return [rows[bounds[i] : bounds[i + 1]] for i in range(len(self.classes))]

    # -- the source interface of CallingList -------------------------------------------------
    def position(self, ci: int) -> float:
        """Where the class's next fresh record sits in list order (inf: none left)."""
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

    def callback_rows(self) -> list[int]:
        """The active callback records (record_type 5 or 6) in file order."""
        return self._callbacks.tolist()

    def activate(self, row: int) -> Record:
        """Record ``row`` as the OCS holds it (a callback taken from the file at the start)."""
        return self._activate(row)

    def contact(self, index: int) -> tuple[bytes, bytes]:
        """(phone digits, customer id) of the record in row ``index`` (an outside opt-out)."""
        lf = self.lf
        customer = lf.customer_id[index].strip() if lf.customer_id is not None else b""
        return phone_digits(lf.contact_info[index]), customer

    def _activate(self, row: int) -> Record:
        lf = self.lf
        phone = lf.contact_info[row]
        ci = int(self.cls[row])
        customer = lf.customer_id[row] if lf.customer_id is not None else b""
        dnc = self.dnc
        on_dnc = dnc is not None and (
            phone_digits(phone) in dnc.phones
            or (customer != b"" and customer.strip() in dnc.customer_ids)
        )
        rec = Record(
            row,
            int(lf.record_id[row]),
            phone.decode("utf-8", "replace"),
            self.classes[ci].zone,
            ci,
            on_dnc,
        )
        rec.chain_id, rec.chain_n = int(lf.chain_id[row]), int(lf.chain_n[row])
        rec.customer = customer.strip()
        if lf.agent_id is not None and lf.agent_id[row]:
            rec.agent_id = lf.agent_id[row].decode("utf-8", "replace")
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
        if name == "answer":  # no treatment acts on an answer (a callback's record has one)
            return "", 0
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

    def close_chain(self, record: Record, no_call: bool = False) -> list[int]:
        """Finish the chain's remaining records without dialing them (Updated; with
        ``no_call``, the customer opted out: NoCall, Do Not Call)."""
        lf, codes = self.lf, []
        for row in list(self._open_rows_after(record)):
            code = DO_NOT_CALL if no_call else int(lf.call_result[row])
            self.changes[row] = (
                TYPE_NO_CALL if no_call else int(lf.record_type[row]),
                STATUS_UPDATED,
                code,
                int(lf.attempt[row]),
                None,
                None,
                "",
                0,
                None,
            )
            codes.append(code)
        return codes

    def finished(self, record: Record) -> None:
        self.live.pop(record.key, None)
        self.changes[record.key] = self._state(record)

    def _state(self, r: Record) -> tuple:
        status = STATUS_READY if r.status == STATUS_RETRIEVED else r.status  # in a call at the end
        return (
            r.record_type,
            status,
            r.call_result,
            r.attempt,
            r.sched,
            r.call_time,
            r.last_result,
            r.seq,
            r.agent_id,
        )

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

        lf, epoch0 = self.lf, self.epoch0
        has_tr = lf.treatments is not None
        diffs: dict[int, dict[str, int | bytes]] = {}
        states = [*self.changes.items(), *((row, self._state(r)) for row, r in self.live.items())]
        for row, (rtype, status, result, attempt, sched, call_time, last, seq, agent) in states:
            new = {
                "record_type": rtype,
                "record_status": status,
                "call_result": result,
                "attempt": attempt,
            }
            if sched is not None:
                new["dial_sched_time"] = math.ceil(epoch0 + sched - 1e-6)
            if call_time is not None:
                new["call_time"] = math.ceil(epoch0 + call_time - 1e-6)
            diff: dict[str, int | bytes] = {
                k: v for k, v in new.items() if int(getattr(lf, k)[row]) != v
            }
            if agent is not None and lf.agent_id is not None:
                text = agent.encode()
                if lf.agent_id[row] != text:
                    diff["agent_id"] = text
            if has_tr and seq > 0:
                text = f"{last}:{seq}".encode()
                if lf.treatments[row] != text:  # type: ignore[index]
                    diff["treatments"] = text
            if diff:
                diffs[row] = diff
        return write_list(lf, diffs, out)
