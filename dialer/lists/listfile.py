"""Calling lists and do-not-call lists as files: the one module that reads and writes them.

A planner exports a calling list from the Genesys table (``record_id``, ``contact_info``,
``record_status``, ``dial_sched_time``, ...) as CSV, runs the simulator on it, and wants it back
with the records worked: same rows, same columns, the same bytes wherever nothing happened,
so that day 2 can start from day 1's file. Lists run to millions of rows, so nothing here makes
one Python object per row: the file is cut into chunks that end on a record boundary, each
chunk is split into fields by numpy over its raw bytes (commas and newlines outside quotes),
and the fields the simulator needs become compact arrays. :mod:`dialer.contacts` turns a row
into a :class:`~dialer.contacts.Record` only when the OCS takes it.

Writing back reads the source again with the same cutting rules and copies every unchanged
record byte for byte; a changed record gets only its changed fields replaced. The result goes
to a temporary file moved into place at the end (:func:`dialer.outputs.atomic`).

Every problem is one line naming the file, the row as a spreadsheet numbers it (the header is
row 1) and the column: ``lists/x.csv row 118: contact_info: expected a phone number, got ''``.
"""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from dialer.errors import InputError, show

CHUNK = 1 << 22  # bytes per chunk (then extended to the end of a record)

# The Genesys calling-list fields the simulator reads (and writes back, for the state ones).
REQUIRED = (
    "record_id",
    "contact_info",
    "record_type",
    "record_status",
    "call_result",
    "attempt",
    "dial_sched_time",
    "call_time",
    "daily_from",
    "daily_till",
    "tz_dbid",
    "chain_id",
    "chain_n",
)
STATE = ("record_type", "record_status", "call_result", "attempt", "dial_sched_time", "call_time")
# Genesys codes that are valid in the file (Defined Constants).
RECORD_TYPES = range(0, 8)
RECORD_STATUSES = range(0, 10)
MAX_PHONE = 40
_PHONE_CHARS = np.zeros(256, dtype=bool)
_PHONE_CHARS[list(b"0123456789 ()-.+")] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[list(b"0123456789")] = True
_NOT_DIGITS = bytes(c for c in range(256) if not (48 <= c <= 57))
MAX_PROBLEMS = 10
_DTYPES = {
    "record_type": np.int8,
    "record_status": np.int8,
    "call_result": np.int32,
    "attempt": np.int32,
    "daily_from": np.int32,
    "daily_till": np.int32,
    "tz_dbid": np.int32,
    "chain_n": np.int32,
}


def phone_digits(phone: bytes) -> bytes:
    """The digits of a phone number: how list numbers and DNC numbers are compared."""
    return phone.translate(None, _NOT_DIGITS)


def shown_path(path: str) -> str:
    """A path as messages show it: relative to the working folder when it lies below it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


# -- cutting a CSV file into records and fields -------------------------------------------------


def _chunks(fh) -> Iterator[tuple[bytes, bool]]:
    """Chunks of whole records; ``True`` when a final newline was added to the last one."""
    while True:
        buf = fh.read(CHUNK)
        if not buf:
            return
        buf += fh.readline()
        # A newline inside quotes does not end a record: read on until the quotes balance.
        while buf.count(b'"') % 2:
            more = fh.readline()
            if not more:
                break
            buf += more
        if buf.endswith(b"\n"):
            yield buf, False
        else:
            yield buf + b"\n", True


@dataclass
class _Split:
    """Records and field boundaries of one chunk (positions into ``a``)."""

    a: np.ndarray
    starts: np.ndarray  # start of every record (blank ones included)
    ends: np.ndarray  # end of every record, before "\r\n" / "\n"
    commas: np.ndarray  # field separators outside quotes
    quoted: bool


def _split(buf: bytes) -> _Split:
    a = np.frombuffer(buf, dtype=np.uint8)
    quotes = a == 34
    quoted = bool(quotes.any())
    is_nl, is_comma = a == 10, a == 44
    if quoted:
        outside = (np.cumsum(quotes) & 1) == 0
        is_nl &= outside
        is_comma &= outside
    nl = np.flatnonzero(is_nl)
    starts = np.empty(len(nl), dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl[:-1] + 1
    ends = nl.copy()
    cr = (ends > starts) & (a[np.maximum(ends - 1, 0)] == 13)
    ends[cr] -= 1
    return _Split(a, starts, ends, np.flatnonzero(is_comma), quoted)


def _text(a: np.ndarray, s: int, e: int) -> str:
    return a[s:e].tobytes().decode("utf-8", "replace")


class _Problems:
    """Row-level problems of one file, at most MAX_PROBLEMS of them shown."""

    def __init__(self, shown: str):
        self.shown = shown
        self.lines: list[str] = []
        self.more = 0

    def add(self, row: int, column: str | None, expected: str, found: str | int) -> None:
        """A bad field (found as text, shown quoted) or, without a column, a bad row."""
        if len(self.lines) < MAX_PROBLEMS:
            where = f"{self.shown} row {row}: " + (f"{column}: " if column else "")
            self.lines.append(f"{where}expected {expected}, got {show(found)}")
        else:
            self.more += 1

    def each(self, bad: np.ndarray):
        """The first bad indices to report; the rest are only counted."""
        room = max(MAX_PROBLEMS - len(self.lines), 0)
        self.more += max(len(bad) - room, 0)
        return bad[:room].tolist()

    def say(self, text: str) -> None:
        self.lines.append(f"{self.shown}: {text}")

    def raise_if_any(self) -> None:
        if self.lines:
            if self.more:
                self.lines.append(f"{self.shown}: {self.more} more problems not shown")
            raise InputError(self.lines)


class _Fields:
    """The fields of the non-blank records of one chunk, column by column."""

    def __init__(self, sp: _Split, ncols: int, first_row: int, problems: _Problems):
        a = sp.a
        lo = np.searchsorted(sp.commas, sp.starts)
        hi = np.searchsorted(sp.commas, sp.ends)
        blank = (sp.ends == sp.starts) & (lo == hi)
        keep = np.flatnonzero(~blank)
        wrong = keep[(hi - lo)[keep] != ncols - 1]
        for k in problems.each(wrong):
            problems.add(
                first_row + int(k), None, f"{ncols} fields as in the header", int(hi[k] - lo[k]) + 1
            )
        problems.raise_if_any()
        self.a = a
        self.rows = first_row + keep  # spreadsheet row of each record
        self.n = len(keep)
        self.records = len(sp.starts)  # records of the chunk, blank ones included
        self.quoted = sp.quoted
        self.ncols = ncols
        self._commas = sp.commas
        self._first = lo[keep]  # index of each record's first comma
        self._starts = sp.starts[keep]
        self._ends = sp.ends[keep]

    def _bounds(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        s = self._starts if j == 0 else self._commas[self._first + (j - 1)] + 1
        e = self._ends if j == self.ncols - 1 else self._commas[self._first + j]
        return s, e

    def span(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Start and end of field j of every record, outer quotes removed."""
        s, e = self._bounds(j)
        if self.quoted:
            a = self.a
            q = (e - s >= 2) & (a[s] == 34) & (a[np.maximum(e - 1, 0)] == 34)
            s, e = s + q, e - q
        return s, e

    def raw(self, j: int, k: int) -> str:
        s, e = self._bounds(j)
        return _text(self.a, int(s[k]), int(e[k]))

    def ints(
        self,
        j: int,
        column: str,
        default: int,
        problems: _Problems,
        low: int = 0,
        high: int | None = None,
        expected: str = "",
    ) -> np.ndarray:
        """Field j as non-negative integers (empty = ``default``), every bad row reported."""
        a = self.a
        s, e = self.span(j)
        length = e - s
        width = int(length.max()) if self.n else 0
        value = np.zeros(self.n, dtype=np.int64)
        ok = length <= 18
        last = len(a) - 1
        for k in range(min(width, 18)):
            take = k < length
            d = a[np.minimum(s + k, last)].astype(np.int64) - 48
            ok &= ~take | ((d >= 0) & (d <= 9))
            value = np.where(take, value * 10 + d, value)
        empty = length == 0
        value[empty] = default
        ok &= (value >= low) | empty
        if high is not None:
            ok &= (value <= high) | empty
        bad = np.flatnonzero(~ok)
        if len(bad):
            what = expected or (
                f"an integer in [{low}, {high}]" if high is not None else f"an integer >= {low}"
            )
            for k in problems.each(bad):
                problems.add(int(self.rows[k]), column, what, self.raw(j, int(k)))
        return value

    def strings(self, j: int) -> np.ndarray:
        """Field j as fixed-width bytes (outer quotes removed, doubled quotes undone)."""
        a = self.a
        s, e = self.span(j)
        length = e - s
        width = max(int(length.max()) if self.n else 0, 1)
        idx = s[:, None] + np.arange(width)
        take = np.arange(width) < length[:, None]
        grid = np.where(take, a[np.minimum(idx, len(a) - 1)], 0).astype(np.uint8)
        out = grid.view(f"S{width}").ravel()
        if self.quoted:
            for k in np.flatnonzero(np.char.find(out, b'""') >= 0):
                out[k] = out[k].replace(b'""', b'"')
        return out

    def phones(
        self, j: int, column: str, problems: _Problems, allow_empty: bool = False
    ) -> np.ndarray:
        """Field j checked as phone numbers: digits with + ( ) - . and spaces, 3 digits at least."""
        out = self.strings(j)
        width = out.dtype.itemsize
        grid = out.view(np.uint8).reshape(self.n, width)
        length = np.char.str_len(out)
        inside = np.arange(width) < length[:, None]
        ok = (~inside | _PHONE_CHARS[grid]).all(axis=1)
        ok &= (_DIGIT[grid] & inside).sum(axis=1) >= 3
        ok &= ~((grid == 43) & inside)[:, 1:].any(axis=1)  # "+" only in front
        ok &= length <= MAX_PHONE
        if allow_empty:
            ok |= length == 0
        for k in problems.each(np.flatnonzero(~ok)):
            problems.add(int(self.rows[k]), column, "a phone number", self.raw(j, int(k)))
        return out


def _header(fh, shown: str) -> tuple[list[str], int]:
    line = fh.readline()
    if not line.strip():
        raise InputError(f"{shown}: expected a header row of column names, got an empty file")
    text = line.decode("utf-8-sig", "replace")
    names = next(csv.reader([text]))
    names = [n.strip().lower() for n in names]
    seen = set()
    for n in names:
        if n in seen:
            raise InputError(f"{shown} row 1: {n}: expected each column once, got it twice")
        seen.add(n)
    return names, len(line)


def _identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _open(path: str, shown: str):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise InputError(f"{shown}: cannot read ({exc.__class__.__name__})") from None


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


# -- the calling list ------------------------------------------------------------------------


@dataclass(frozen=True)
class ListFile:
    """A Genesys calling list as compact columns (one entry per record, in file order).

    Empty ``dial_sched_time`` / ``call_time`` read as 0, an empty ``tz_dbid`` as -1 (the site's
    zone), empty ``daily_from`` / ``daily_till`` as -1 (the campaign's window), an empty
    ``chain_id`` as the record's own ``record_id``. The arrays are read-only: a run keeps its
    changes apart (they are shared between runs of one process).
    """

    path: str
    shown: str
    columns: tuple[str, ...]
    identity: tuple[int, int]  # (size, mtime) of the file read: write-back checks it is unchanged
    record_id: np.ndarray
    contact_info: np.ndarray
    record_type: np.ndarray
    record_status: np.ndarray
    call_result: np.ndarray
    attempt: np.ndarray
    dial_sched_time: np.ndarray
    call_time: np.ndarray
    daily_from: np.ndarray
    daily_till: np.ndarray
    tz_dbid: np.ndarray
    chain_id: np.ndarray
    chain_n: np.ndarray
    customer_id: np.ndarray | None  # the business column, when the list has one
    treatments: np.ndarray | None  # treatment history (the simulator keeps its sequence here)
    rows: np.ndarray  # spreadsheet row of each record (header = row 1)

    def __len__(self) -> int:
        return len(self.record_id)

    def row(self, i: int) -> int:
        return int(self.rows[i])


def read_list(path: str, dbids: tuple[int, ...] | None = None) -> ListFile:
    """Read a Genesys-format calling list; every bad row reported (file, row, column).

    ``dbids`` are the tz_dbid values the campaign maps to zones (None: none mapped, so every
    tz_dbid must be empty). Results are cached per file version, so replications of one
    campaign read the file once.
    """
    path = os.path.abspath(path)
    try:
        identity = _identity(path)
    except OSError:
        raise InputError(f"{shown_path(path)}: no such file") from None
    return _read_list(path, identity, dbids)


@functools.lru_cache(maxsize=2)
def _read_list(path: str, identity: tuple[int, int], dbids: tuple[int, ...] | None) -> ListFile:
    shown = shown_path(path)
    problems = _Problems(shown)
    cols: dict[str, list[np.ndarray]] = {}
    rows: list[np.ndarray] = []
    with _open(path, shown) as fh:
        names, _ = _header(fh, shown)
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            hint = (
                " (columns separated by ';'? expected ',')"
                if len(names) == 1 and ";" in names[0]
                else ""
            )
            raise InputError(
                f"{shown} row 1: expected the Genesys calling-list column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}, got columns {', '.join(names)}{hint}"
            )
        at = {n: names.index(n) for n in names}
        first_row = 2
        for buf, _added in _chunks(fh):
            f = _Fields(_split(buf), len(names), first_row, problems)
            first_row += f.records
            if not f.n:
                continue
            got = {
                "record_id": f.ints(at["record_id"], "record_id", -1, problems),
                "contact_info": f.phones(at["contact_info"], "contact_info", problems),
                "record_type": f.ints(
                    at["record_type"], "record_type", 2, problems, 0, 7, "a Genesys record_type 0-7"
                ),
                "record_status": f.ints(
                    at["record_status"],
                    "record_status",
                    1,
                    problems,
                    0,
                    9,
                    "a Genesys record_status 0-9",
                ),
                "call_result": f.ints(at["call_result"], "call_result", 0, problems),
                "attempt": f.ints(at["attempt"], "attempt", 0, problems),
                "dial_sched_time": f.ints(
                    at["dial_sched_time"],
                    "dial_sched_time",
                    0,
                    problems,
                    expected="UTC seconds since 1970 or empty",
                ),
                "call_time": f.ints(
                    at["call_time"],
                    "call_time",
                    0,
                    problems,
                    expected="UTC seconds since 1970 or empty",
                ),
                "daily_from": f.ints(
                    at["daily_from"],
                    "daily_from",
                    -1,
                    problems,
                    0,
                    86400,
                    "seconds after local midnight (0-86400) or empty",
                ),
                "daily_till": f.ints(
                    at["daily_till"],
                    "daily_till",
                    -1,
                    problems,
                    0,
                    86400,
                    "seconds after local midnight (0-86400) or empty",
                ),
                "tz_dbid": f.ints(at["tz_dbid"], "tz_dbid", -1, problems),
                "chain_id": f.ints(at["chain_id"], "chain_id", -1, problems),
                "chain_n": f.ints(at["chain_n"], "chain_n", 0, problems),
            }
            if "customer_id" in at:
                got["customer_id"] = f.strings(at["customer_id"])
            if "treatments" in at:
                got["treatments"] = f.strings(at["treatments"])
            _check_chunk(got, f.rows, dbids, problems)
            problems.raise_if_any()
            for k, v in got.items():
                cols.setdefault(k, []).append(v.astype(_DTYPES[k]) if k in _DTYPES else v)
            rows.append(f.rows.astype(np.int32))
    if not rows:
        raise InputError(f"{shown}: expected at least one record below the header, got none")
    out = {}
    for k in list(cols):  # one column at a time, so the chunks and the whole never all coexist
        out[k] = np.concatenate(cols.pop(k))
    row_of = np.concatenate(rows)
    _check_unique(out["record_id"], row_of, problems)
    problems.raise_if_any()
    chain = out["chain_id"]
    chain[chain < 0] = out["record_id"][chain < 0]
    return ListFile(
        path=path,
        shown=shown,
        columns=tuple(names),
        identity=identity,
        customer_id=_frozen(out.pop("customer_id")) if "customer_id" in out else None,
        treatments=_frozen(out.pop("treatments")) if "treatments" in out else None,
        rows=_frozen(row_of),
        **{k: _frozen(v) for k, v in out.items()},
    )


def _check_chunk(got: dict, rows: np.ndarray, dbids, problems: _Problems) -> None:
    rid = got["record_id"]
    for k in problems.each(np.flatnonzero(rid < 0)):
        problems.add(int(rows[k]), "record_id", "an integer record id", "")
    lo, hi = got["daily_from"], got["daily_till"]
    for k in problems.each(np.flatnonzero((lo >= 0) & (hi >= 0) & (hi <= lo))):
        problems.add(
            int(rows[k]), "daily_till", f"a time after daily_from ({int(lo[k])})", str(int(hi[k]))
        )
    tz = got["tz_dbid"]
    allowed = np.asarray(dbids if dbids else (), dtype=np.int64)
    bad = np.flatnonzero((tz >= 0) & ~np.isin(tz, allowed))
    for k in problems.each(bad):
        listed = ", ".join(map(str, dbids)) if dbids else "none given"
        problems.add(
            int(rows[k]),
            "tz_dbid",
            f"a tz_dbid of calling_list.time_zones ({listed})",
            str(int(tz[k])),
        )


def _check_unique(record_id: np.ndarray, rows: np.ndarray, problems: _Problems) -> None:
    order = np.argsort(record_id, kind="stable")
    dup = np.flatnonzero(record_id[order][1:] == record_id[order][:-1])
    for d in problems.each(dup):
        first, second = order[d], order[d + 1]
        problems.add(
            int(rows[second]),
            "record_id",
            f"a unique record id (row {int(rows[first])} has it too)",
            str(int(record_id[second])),
        )


# -- the DNC list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DncList:
    """Do-not-call entries: phone digits and customer ids (as in ``gsw_donotcall_list``)."""

    phones: frozenset[bytes]
    customer_ids: frozenset[bytes]

    def __len__(self) -> int:
        return len(self.phones) + len(self.customer_ids)


def read_dnc(path: str) -> DncList:
    """Read a DNC file: a header with ``phone`` and / or ``customer_id``; other columns ignored."""
    path = os.path.abspath(path)
    try:
        identity = _identity(path)
    except OSError:
        raise InputError(f"{shown_path(path)}: no such file") from None
    return _read_dnc(path, identity)


@functools.lru_cache(maxsize=2)
def _read_dnc(path: str, identity: tuple[int, int]) -> DncList:
    shown = shown_path(path)
    problems = _Problems(shown)
    phones: set[bytes] = set()
    customers: set[bytes] = set()
    with _open(path, shown) as fh:
        names, _ = _header(fh, shown)
        if "phone" not in names and "customer_id" not in names:
            raise InputError(
                f"{shown} row 1: expected a column phone or customer_id (gsw_donotcall_list), "
                f"got columns {', '.join(names)}"
            )
        first_row = 2
        for buf, _added in _chunks(fh):
            f = _Fields(_split(buf), len(names), first_row, problems)
            first_row += f.records
            if not f.n:
                continue
            ph = (
                f.phones(names.index("phone"), "phone", problems, allow_empty=True)
                if "phone" in names
                else np.zeros(f.n, dtype="S1")
            )
            cu = (
                f.strings(names.index("customer_id"))
                if "customer_id" in names
                else np.zeros(f.n, dtype="S1")
            )
            cu = np.char.strip(cu)
            for k in problems.each(
                np.flatnonzero((np.char.str_len(ph) == 0) & (np.char.str_len(cu) == 0))
            ):
                problems.add(int(f.rows[k]), "phone", "a phone or a customer_id", "")
            problems.raise_if_any()
            phones.update(phone_digits(p) for p in ph.tolist() if p)
            customers.update(c for c in cu.tolist() if c)
    return DncList(frozenset(phones), frozenset(customers))


# -- writing a list back ---------------------------------------------------------------------------


def write_list(source: ListFile, changes: dict[int, dict[str, int | bytes]], out: str) -> int:
    """Write ``source`` to ``out`` with ``changes`` (record index -> {column: new value}).

    Every other byte is copied from the source file, which must not have changed since it was
    read. Returns the number of records changed.
    """
    from dialer.outputs import atomic

    shown = source.shown
    if _identity_or_none(source.path) != source.identity:
        raise InputError(f"{shown}: changed since the run read it; not writing {out}")
    at = {n: i for i, n in enumerate(source.columns)}
    keys = np.array(sorted(changes), dtype=np.int64)
    done = 0
    with open(source.path, "rb") as fh, atomic(out, "wb") as dst:
        dst.write(fh.readline())
        index = 0  # non-blank records before this chunk
        for buf, added in _chunks(fh):
            sp = _split(buf)
            lo = np.searchsorted(sp.commas, sp.starts)
            hi = np.searchsorted(sp.commas, sp.ends)
            nonblank = np.flatnonzero(~((sp.ends == sp.starts) & (lo == hi)))
            first, last = np.searchsorted(keys, [index, index + len(nonblank)])
            pos = 0
            for key in keys[first:last].tolist():
                k = nonblank[key - index]
                s, e = int(sp.starts[k]), int(sp.ends[k])
                bounds = [s, *(sp.commas[lo[k] : hi[k]] + 1).tolist()]
                fields = [buf[b:c] for b, c in zip(bounds, [*(x - 1 for x in bounds[1:]), e])]
                for column, value in changes[key].items():
                    fields[at[column]] = (
                        value if isinstance(value, bytes) else str(int(value)).encode()
                    )
                dst.write(buf[pos:s])
                dst.write(b",".join(fields))
                pos = e
                done += 1
            dst.write(buf[pos : len(buf) - 1] if added else buf[pos:])
            index += len(nonblank)
    return done


def _identity_or_none(path: str) -> tuple[int, int] | None:
    try:
        return _identity(path)
    except OSError:
        return None
