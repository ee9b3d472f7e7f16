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
A file must be UTF-8 text (a byte-order mark is allowed) with sound quoting: anything else (a
binary, another encoding, a stray quote that would merge rows) is one line with the row and
the byte offset, found by a cheap vector check of each chunk.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from dialer.errors import InputError, show

CHUNK = 1 << 22  # bytes per chunk (then extended to the end of a record)
LONGEST = 1 << 20  # bytes a record may run past a chunk (a header line at most): longer is no list

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
MAX_PHONE = 40
MAX_TEXT = 255  # bytes of a customer_id or treatments field (varchar(255) in Genesys tables)
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
    "tz_dbid": np.int64,  # any dbid the campaign maps (an int32 would wrap large ones)
    "chain_n": np.int32,
    "rows": np.int32,  # spreadsheet rows (a list of 2**31 rows would not fit in memory anyway)
}


def phone_digits(phone: bytes) -> bytes:
    """The digits of a phone number: how list numbers and DNC numbers are compared."""
    return phone.translate(None, _NOT_DIGITS)


def shown_path(path: str) -> str:
    """A path as messages show it: relative to the working folder when it lies below it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


# -- cutting a CSV file into records and fields -------------------------------------------------


@dataclass
class _Chunk:
    """Whole records of a file, as read: ``buf`` always ends with a newline."""

    buf: bytes
    offset: int  # byte offset of ``buf`` in the file
    added: bool  # a final newline was added (the file does not end with one)
    cut: bool  # does not end on a record boundary: a quote never closed, or a huge record
    eof: bool  # the file ends with this chunk


def _chunks(fh: io.BufferedReader, offset: int) -> Iterator[_Chunk]:
    """The rest of ``fh`` (from byte ``offset``) in chunks of whole records.

    A chunk runs at most ``LONGEST`` bytes past ``CHUNK`` to finish its last record (a newline
    inside quotes does not end one): a file that needs more is not a list (``cut``), and is
    reported rather than read whole into memory.
    """
    while True:
        buf = fh.read(CHUNK)
        if not buf:
            return
        parts = [buf, fh.readline(LONGEST)]
        extra = len(parts[1])
        odd = (buf.count(b'"') + parts[1].count(b'"')) & 1
        while odd and extra < LONGEST:
            more = fh.readline(LONGEST)
            if not more:
                break
            parts.append(more)
            extra += len(more)
            odd ^= more.count(b'"') & 1
        buf = b"".join(parts)
        eof = not fh.peek(1)
        cut = bool(odd) or (not buf.endswith(b"\n") and not eof)
        added = not buf.endswith(b"\n")
        yield _Chunk(buf + b"\n" if added else buf, offset, added, cut, eof)
        offset += len(buf)


@dataclass
class _Split:
    """Records and field boundaries of one chunk (positions into ``a``)."""

    a: np.ndarray
    starts: np.ndarray  # start of every record (blank ones included)
    ends: np.ndarray  # end of every record, before "\r\n" / "\n"
    commas: np.ndarray  # field separators outside quotes
    quoted: bool
    spans: bool = False  # a quoted text runs over a line end


def _split(buf: bytes) -> _Split:
    a = np.frombuffer(buf, dtype=np.uint8)
    quotes = a == 34
    quoted = bool(quotes.any())
    is_nl, is_comma = a == 10, a == 44
    spans = False  # a quoted text runs over a line end (then its quotes are checked)
    if quoted:
        outside = ~np.logical_xor.accumulate(quotes)  # even quotes so far (a cumsum is 5x slower)
        spans = bool((is_nl & ~outside).any())
        is_nl &= outside
        is_comma &= outside
    nl = np.flatnonzero(is_nl)
    if not len(nl) or nl[-1] != len(a) - 1:  # a quote never closed: the chunk ends the record
        nl = np.append(nl, len(a) - 1)
    starts = np.empty(len(nl), dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl[:-1] + 1
    ends = nl.copy()
    cr = (ends > starts) & (a[np.maximum(ends - 1, 0)] == 13)
    ends[cr] -= 1
    return _Split(a, starts, ends, np.flatnonzero(is_comma), quoted, spans)


TEXT = "a CSV text file in UTF-8"  # what every file read here is expected to be
_BOMS = (  # byte-order marks of the encodings a spreadsheet may save "Unicode text" in
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_PRINTABLE = np.zeros(256, dtype=bool)
_PRINTABLE[[9, 10, 13, *range(32, 127)]] = True


def _not_text(buf: bytes, a: np.ndarray, final: bool = False) -> tuple[int, str] | None:
    """The first byte of ``buf`` that is not UTF-8 text (NUL counts as binary) and what it is.

    Plain ASCII, the usual list, costs two vector reductions; only a chunk with bytes of 0x80
    and above is decoded. Unless ``final``, ``buf`` may end inside a character (a cut chunk).
    """
    if not len(a):
        return None
    nul, high = a.min() == 0, a.max() >= 0x80
    if not (nul or high):
        return None
    at, what = len(a), ""
    if high:
        try:
            codecs.utf_8_decode(buf, "strict", final)
        except UnicodeDecodeError as exc:
            at, what = exc.start, f"byte 0x{buf[exc.start]:02X}, which is not UTF-8"
    if nul:
        z = int(np.argmax(a == 0))
        if z < at:
            at, what = z, "a NUL byte (0x00)"
    if at == len(a):
        return None
    near = a[max(at - 64, 0) : at + 64]
    text = _PRINTABLE[near].mean() >= 0.75
    if what.startswith("a NUL"):
        halves = near[at % 2 :: 2], near[1 - at % 2 :: 2]  # the NUL's half, the other half
        utf16 = len(near) > 1 and (halves[0] == 0).mean() >= 0.75
        utf16 = utf16 and _PRINTABLE[halves[1]].mean() >= 0.75
        hint = "UTF-16 text? save it as CSV UTF-8" if utf16 else "binary data or a damaged file"
    elif text:
        hint = "text in another encoding, such as Windows-1252? save it as CSV UTF-8"
    else:
        hint = "binary data, not text"
    return at, f"{what} ({hint})"


def _quote_problem(sp: _Split, cut: bool, eof: bool) -> tuple[int, str] | None:
    """The quote that breaks the records of a chunk, and how; None when the quoting is sound.

    The parser takes every quote as opening or closing a quoted text, so a stray quote in the
    middle of a field (``O"Brien``) whose quoted text runs over a line end would silently merge
    rows into one record; a quote never closed would swallow the rest of the file. A quoted
    text that stays on one line parses as a spreadsheet reads it (or gives a field count error).
    """
    a = sp.a
    q = np.flatnonzero(a == 34)
    opens, closes = q[0::2], q[1::2]
    unclosed = len(closes) < len(opens)
    if unclosed:
        closes = np.append(closes, len(a) - 1)
    lines = np.flatnonzero(a == 10)
    first_line, last_line = np.searchsorted(lines, opens), np.searchsorted(lines, closes)
    before, after = a[np.maximum(opens - 1, 0)], a[np.minimum(closes + 1, len(a) - 1)]
    opens_field = (opens == 0) | np.isin(before, (10, 44, 34))  # a field's first byte ("" too)
    ends_field = np.isin(after, (10, 13, 44, 34))
    if unclosed:  # it swallows the end of its record whatever follows
        ends_field[-1] = False
        last_line[-1] = len(lines) + 1
    bad = np.flatnonzero(~(opens_field & ends_field) & (last_line > first_line))
    if len(bad):
        k = int(bad[0])
        if unclosed and k == len(opens) - 1:
            runs = "to the end of the file" if eof else "over more than 1 MB"
        else:
            runs = f"over {int(last_line[k] - first_line[k]) + 1} lines"
        if not opens_field[k]:
            return int(opens[k]), (
                "expected quotes only around a whole field (a quote inside a quoted field is "
                f'written ""), got a quote inside a field that opens a quoted text running {runs}'
            )
        if unclosed and k == len(opens) - 1:
            found = "the end of the file" if eof else "none within 1 MB"
        else:
            found = f"none before a comma or a line end: the quoted text runs {runs}"
        return int(opens[k]), f"expected a closing quote for the field quoted here, got {found}"
    if cut:
        return int(sp.starts[-1]), "expected a record of at most 1 MB, got a longer one"
    return None


def _records(fh: io.BufferedReader, shown: str, offset: int) -> Iterator[tuple[_Split, int]]:
    """The records below the header, chunk by chunk: split into fields, checked as UTF-8
    text with sound quoting, each chunk with the spreadsheet row of its first record."""
    first_row = 2
    for ch in _chunks(fh, offset):
        sp = _split(ch.buf)
        problem = _not_text(ch.buf, sp.a)
        if problem:
            problem = problem[0], f"expected {TEXT}, got {problem[1]}"
        elif sp.spans or ch.cut:  # else every quoted text stays on its line: nothing merges
            problem = _quote_problem(sp, ch.cut, ch.eof)
        if problem:
            at, text = problem
            row = first_row + int(np.searchsorted(sp.starts, at, "right")) - 1
            raise InputError(f"{shown} row {row} (byte offset {ch.offset + at}): {text}")
        yield sp, first_row
        first_row += len(sp.starts)


def _text(a: np.ndarray, s: int, e: int) -> str:
    return a[s:e].tobytes().decode("utf-8", "replace")


REPORTED = np.iinfo(np.int64).min  # a field found bad (and reported): no check across fields


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
        if column in _DTYPES:  # kept in a narrower integer: a larger value would wrap around
            top = int(np.iinfo(_DTYPES[column]).max)
            wide = np.flatnonzero(ok & (value > top))
            for k in problems.each(wide):
                what = f"an integer of at most {top}"
                problems.add(int(self.rows[k]), column, what, self.raw(j, int(k)))
            value[wide] = REPORTED
        value[bad] = REPORTED  # what the checks across fields skip: it is reported already
        return value

    def _strings(self, j: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Field j as fixed-width bytes (outer quotes removed, doubled quotes undone), each cut
        at ``limit`` bytes (one huge field must not make every record that wide), and which
        records' fields were longer."""
        a = self.a
        s, e = self.span(j)
        long = e - s > limit
        e = np.minimum(e, s + limit)
        length = e - s
        width = max(int(length.max()) if self.n else 0, 1)
        grid = np.zeros((self.n, width), dtype=np.uint8)
        last = len(a) - 1
        for c in range(width):  # a byte column at a time: temporaries of n, not n x width
            grid[:, c] = np.where(c < length, a[np.minimum(s + c, last)], 0)
        out = grid.view(f"S{width}").ravel()
        if self.quoted:
            for k in np.flatnonzero(np.char.find(out, b'""') >= 0):
                out[k] = out[k].replace(b'""', b'"')
        return out, long

    def strings(self, j: int, column: str, problems: _Problems) -> np.ndarray:
        """Field j as fixed-width bytes; a field over MAX_TEXT bytes is a problem."""
        out, long = self._strings(j, MAX_TEXT)
        if long.any():
            s, e = self.span(j)
            for k in problems.each(np.flatnonzero(long)):
                problems.add(
                    int(self.rows[k]), column, f"at most {MAX_TEXT} bytes", int(e[k] - s[k])
                )
        return out

    def phones(
        self, j: int, column: str, problems: _Problems, allow_empty: bool = False
    ) -> np.ndarray:
        """Field j checked as phone numbers: digits with + ( ) - . and spaces, 3 digits at least."""
        out, long = self._strings(j, MAX_PHONE)
        width = out.dtype.itemsize
        grid = out.view(np.uint8).reshape(self.n, width)
        length = np.char.str_len(out)
        inside = np.arange(width) < length[:, None]
        ok = (~inside | _PHONE_CHARS[grid]).all(axis=1)
        ok &= (_DIGIT[grid] & inside).sum(axis=1) >= 3
        ok &= ~((grid == 43) & inside)[:, 1:].any(axis=1)  # "+" only in front
        ok &= ~long
        if allow_empty:
            ok |= length == 0
        for k in problems.each(np.flatnonzero(~ok)):
            problems.add(int(self.rows[k]), column, "a phone number", self.raw(j, int(k)))
        return out


def _header(fh: io.BufferedReader, shown: str) -> tuple[list[str], int]:
    """Column names (lower case) and the header's length in bytes; a BOM is allowed."""
    line = fh.readline(LONGEST)
    for bom, name in _BOMS:
        if line.startswith(bom):
            raise InputError(
                f"{shown}: expected {TEXT}, got {name} text (it starts with the byte-order "
                f"mark {bom.hex(' ').upper()}); save it as CSV UTF-8"
            )
    if not line.strip():
        if line and fh.peek(1):
            raise InputError(
                f"{shown} row 1: expected a header row of column names, got a blank line"
            )
        raise InputError(f"{shown}: expected a header row of column names, got an empty file")
    whole = line.endswith(b"\n") or not fh.peek(1)
    problem = _not_text(line, np.frombuffer(line, dtype=np.uint8), whole)
    if problem:
        raise InputError(
            f"{shown} row 1 (byte offset {problem[0]}): expected {TEXT}, got {problem[1]}"
        )
    if not whole:
        raise InputError(
            f"{shown} row 1: expected a header row of column names, got over 1 MB with no line "
            "end (not a CSV file?)"
        )
    if b"\r" in line.rstrip(b"\r\n"):
        raise InputError(
            f"{shown} row 1: expected lines ending in \\n or \\r\\n, got a line end \\r alone "
            "(old Mac line ends? save it as CSV UTF-8)"
        )
    text = line.decode("utf-8-sig")
    try:
        names = next(csv.reader([text]))
    except (csv.Error, StopIteration) as exc:
        raise InputError(
            f"{shown} row 1: expected a header row of column names, got {show(text.strip())} ({exc})"
        ) from None
    names = [n.strip().lower() for n in names]
    seen = set()
    for n in names:
        if n in seen:
            raise InputError(
                f"{shown} row 1: {_printable(n)}: expected each column once, got it twice"
            )
        seen.add(n)
    return names, len(line)


def _printable(text: str) -> str:
    """Column names as a message shows them: control characters escaped (one line stays one)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _identity(path: str) -> tuple[int, int]:
    """(size, mtime) of a list file; one line saying why when it is no regular file one can read."""
    shown = shown_path(path)
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{shown}: no such file") from None
    except OSError as exc:
        raise InputError(f"{shown}: expected {TEXT}, got {_os_problem(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{shown}: expected {TEXT}, got a folder")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{shown}: expected {TEXT}, got a special file (a pipe or a device)")
    return st.st_size, st.st_mtime_ns


def _os_problem(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "no permission to read it"
    if isinstance(exc, IsADirectoryError):
        return "a folder"
    return f"an error reading it ({exc.strerror or exc})"


def _open(path: str, shown: str) -> io.BufferedReader:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except OSError as exc:
        raise InputError(f"{shown}: expected {TEXT}, got {_os_problem(exc)}") from None


@contextlib.contextmanager
def _reading(shown: str) -> Iterator[None]:
    """A file that fails while it is read (a disk error, a network share gone) is bad input too."""
    try:
        yield
    except OSError as exc:
        raise InputError(f"{shown}: expected {TEXT}, got {_os_problem(exc)}") from None


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
    agent_id: np.ndarray | None  # the agent of a personal callback (record_type 5)
    rows: np.ndarray  # spreadsheet row of each record (header = row 1)

    def __len__(self) -> int:
        return len(self.record_id)

    def row(self, i: int) -> int:
        return int(self.rows[i])


def read_list(
    path: str, dbids: tuple[int, ...] | None = None, unknown_ok: bool = False
) -> ListFile:
    """Read a Genesys-format calling list; every bad row reported (file, row, column).

    ``dbids`` are the tz_dbid values the campaign maps to zones (``calling_list.time_zones``;
    None: none mapped). A record's tz_dbid must be one of them or empty (the site's zone),
    unless ``unknown_ok`` (``calling_list.unknown_tz_dbid`` gives other values a zone).
    Results are cached per file version, so replications of one campaign read the file once.
    """
    path = os.path.abspath(path)
    return _read_list(path, _identity(path), tuple(dbids or ()), unknown_ok)


class _Column:
    """One column of a list being read, as one array filled chunk by chunk.

    Keeping each chunk's piece and joining them at the end would hold every column twice at
    the end of the read, and more: the pieces are small blocks the allocator keeps after they
    are freed, so the process stayed about twice the list's size (a 10-million-record list
    peaked near 2 GB for 0.84 GB of columns). A column is instead one large block with room
    for the records the file is estimated to hold; room never written costs no memory (the
    system maps a page when it is first written). It grows by half when the estimate falls
    short, and a byte-string column widens when a longer value comes.
    """

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.data: np.ndarray | None = None
        self.n = 0

    def append(self, values: np.ndarray) -> None:
        data, n = self.data, self.n
        need = n + len(values)
        if data is None:
            data = np.empty(max(self.capacity, need), dtype=values.dtype)
        elif need > len(data) or values.dtype.itemsize > data.dtype.itemsize:
            room = len(data) if need <= len(data) else max(need, len(data) * 3 // 2)
            grown = np.empty(room, dtype=np.promote_types(data.dtype, values.dtype))
            grown[:n] = data[:n]
            data = grown
        data[n:need] = values
        self.data, self.n = data, need

    def result(self) -> np.ndarray:
        assert self.data is not None
        return self.data[: self.n]


def _capacity(file_size: int, chunk_bytes: int, chunk_records: int) -> int:
    """Records a file probably holds, from its first chunk's bytes per record (5% spare)."""
    return int(file_size / max(chunk_bytes / max(chunk_records, 1), 1) * 1.05) + 1024


@functools.lru_cache(maxsize=2)
def _read_list(
    path: str, identity: tuple[int, int], dbids: tuple[int, ...], unknown_ok: bool
) -> ListFile:
    shown = shown_path(path)
    problems = _Problems(shown)
    cols: dict[str, _Column] = {}
    capacity = 0
    with _open(path, shown) as fh, _reading(shown):
        names, header_len = _header(fh, shown)
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            hint = (
                " (columns separated by ';'? expected ',')"
                if len(names) == 1 and ";" in names[0]
                else ""
            )
            raise InputError(
                f"{shown} row 1: expected the Genesys calling-list column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}, got columns {_printable(', '.join(names))}{hint}"
            )
        at = {n: names.index(n) for n in names}
        for sp, first_row in _records(fh, shown, header_len):
            f = _Fields(sp, len(names), first_row, problems)
            if not f.n:
                continue
            capacity = capacity or _capacity(identity[0], len(sp.a), len(sp.starts))
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
                got["customer_id"] = f.strings(at["customer_id"], "customer_id", problems)
            if "treatments" in at:
                got["treatments"] = f.strings(at["treatments"], "treatments", problems)
            if "agent_id" in at:
                got["agent_id"] = np.char.strip(f.strings(at["agent_id"], "agent_id", problems))
            _check_chunk(got, f.rows, None if unknown_ok else dbids, problems)
            problems.raise_if_any()
            got["rows"] = f.rows
            for k, v in got.items():
                if k not in cols:
                    cols[k] = _Column(capacity)
                cols[k].append(v.astype(_DTYPES.get(k, v.dtype), copy=False))
    if not cols:
        raise InputError(f"{shown}: expected at least one record below the header, got none")
    out = {k: c.result() for k, c in cols.items()}
    row_of = out.pop("rows")
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
        agent_id=_frozen(out.pop("agent_id")) if "agent_id" in out else None,
        rows=_frozen(row_of),
        **{k: _frozen(v) for k, v in out.items()},
    )


def _check_chunk(
    got: dict, rows: np.ndarray, dbids: tuple[int, ...] | None, problems: _Problems
) -> None:
    """Checks across a record's fields; ``dbids`` None: any tz_dbid has a zone."""
    rid = got["record_id"]
    for k in problems.each(np.flatnonzero(rid == -1)):  # empty (a bad one: reported)
        problems.add(int(rows[k]), "record_id", "an integer record id", "")
    lo, hi = got["daily_from"], got["daily_till"]
    for k in problems.each(np.flatnonzero((lo >= 0) & (hi >= 0) & (hi <= lo))):
        problems.add(
            int(rows[k]), "daily_till", f"a time after daily_from ({int(lo[k])})", str(int(hi[k]))
        )
    if dbids is not None:
        tz = got["tz_dbid"]
        bad = np.flatnonzero((tz >= 0) & ~np.isin(tz, np.asarray(dbids, dtype=np.int64)))
        for k in problems.each(bad):
            problems.add(int(rows[k]), "tz_dbid", _dbids_expected(dbids), str(int(tz[k])))


def _dbids_expected(dbids: tuple[int, ...]) -> str:
    """What a tz_dbid may be: a key of calling_list.time_zones, or empty (the site's zone)."""
    if not dbids:
        return (
            "an empty tz_dbid (the site's zone): calling_list.time_zones maps none, "
            "calling_list.unknown_tz_dbid is not set"
        )
    shown = ", ".join(map(str, dbids[:12])) + (
        f", ... ({len(dbids)} keys)" if len(dbids) > 12 else ""
    )
    return (
        f"a tz_dbid of calling_list.time_zones ({shown}) or empty for the site's zone "
        "(calling_list.unknown_tz_dbid can give other values a zone)"
    )


def _check_unique(record_id: np.ndarray, rows: np.ndarray, problems: _Problems) -> None:
    ids = np.sort(record_id)  # a sort and a compare; the costlier argsort only to report
    if not (ids[1:] == ids[:-1]).any():
        return
    del ids
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
    """Do-not-call entries: phone digits and customer ids (as in ``gsw_donotcall_list``).

    ``phones`` and ``customer_ids`` hold the rows without a ``time_stamp``; ``stamped`` the rows
    with one, as (UTC seconds, phone digits, customer id): a run honours those stamped before
    its start from the start, and takes the others as opt-outs made during the run
    (:meth:`as_of`).
    """

    phones: frozenset[bytes]
    customer_ids: frozenset[bytes]
    stamped: tuple[tuple[int, bytes, bytes], ...] = ()
    path: str = ""

    def __len__(self) -> int:
        return len(self.phones) + len(self.customer_ids) + len(self.stamped)

    def as_of(self, epoch: float) -> tuple[DncList, list[tuple[int, bytes, bytes]]]:
        """The entries in force at UTC ``epoch`` (a run's start: stamped before it, read as the
        run began), and the others (stamped at or after it) in time order."""
        if not self.stamped:
            return self, []
        before = [s for s in self.stamped if s[0] < epoch]
        later = sorted(s for s in self.stamped if s[0] >= epoch)
        phones = self.phones | {p for _, p, _ in before if p}
        customers = self.customer_ids | {c for _, _, c in before if c}
        return DncList(frozenset(phones), frozenset(customers), (), self.path), later


def read_dnc(path: str) -> DncList:
    """Read a DNC file: a header with ``phone`` and / or ``customer_id``; other columns ignored."""
    path = os.path.abspath(path)
    return _read_dnc(path, _identity(path))


@functools.lru_cache(maxsize=2)
def _read_dnc(path: str, identity: tuple[int, int]) -> DncList:
    shown = shown_path(path)
    problems = _Problems(shown)
    phones: set[bytes] = set()
    customers: set[bytes] = set()
    stamped: list[tuple[int, bytes, bytes]] = []
    with _open(path, shown) as fh, _reading(shown):
        names, header_len = _header(fh, shown)
        if "phone" not in names and "customer_id" not in names:
            raise InputError(
                f"{shown} row 1: expected a column phone or customer_id (gsw_donotcall_list), "
                f"got columns {_printable(', '.join(names))}"
            )
        for sp, first_row in _records(fh, shown, header_len):
            f = _Fields(sp, len(names), first_row, problems)
            if not f.n:
                continue
            ph = (
                f.phones(names.index("phone"), "phone", problems, allow_empty=True)
                if "phone" in names
                else np.zeros(f.n, dtype="S1")
            )
            cu = (
                f.strings(names.index("customer_id"), "customer_id", problems)
                if "customer_id" in names
                else np.zeros(f.n, dtype="S1")
            )
            cu = np.char.strip(cu)
            for k in problems.each(
                np.flatnonzero((np.char.str_len(ph) == 0) & (np.char.str_len(cu) == 0))
            ):
                problems.add(int(f.rows[k]), "phone", "a phone or a customer_id", "")
            stamps = (
                f.ints(
                    names.index("time_stamp"),
                    "time_stamp",
                    0,
                    problems,
                    expected="UTC seconds since 1970 or empty",
                )
                if "time_stamp" in names
                else np.zeros(f.n, dtype=np.int64)
            )
            problems.raise_if_any()
            for stamp, p, c in zip(stamps.tolist(), ph.tolist(), cu.tolist()):
                if stamp > 0:
                    stamped.append((stamp, phone_digits(p), c))
                else:
                    if p:
                        phones.add(phone_digits(p))
                    if c:
                        customers.add(c)
    return DncList(frozenset(phones), frozenset(customers), tuple(stamped), path)


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
        for chunk in _chunks(fh, 0):
            buf, added = chunk.buf, chunk.added
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
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


# -- writing a DNC file back -------------------------------------------------------------------

DNC_OUT_COLUMNS = ("phone", "customer_id", "dnc_message", "time_stamp")


def write_dnc(source: str | None, rows: list[tuple[str, str, str, int]], out: str) -> int:
    """Write the DNC file ``source`` (None: none) with ``rows`` (phone, customer id, dnc_message,
    UTC time_stamp) appended: the requests made during a run. Every byte of the source is kept;
    the columns of ``DNC_OUT_COLUMNS`` it lacks are added (empty on its own rows). Returns the
    number of rows appended."""
    from dialer.outputs import atomic

    with atomic(out, "wb") as dst:
        if source is None:
            names, newline = list(DNC_OUT_COLUMNS), b"\n"
            dst.write(",".join(names).encode() + newline)
        else:
            names, newline = _copy_dnc(source, dst)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator=newline.decode())
        for phone, customer, message, stamp in rows:
            value = {
                "phone": phone,
                "customer_id": customer,
                "dnc_message": message,
                "time_stamp": str(stamp),
            }
            writer.writerow([value.get(n, "") for n in names])
        dst.write(text.getvalue().encode("utf-8"))
    return len(rows)


def _copy_dnc(source: str, dst) -> tuple[list[str], bytes]:
    """Copy a DNC file with the missing DNC_OUT_COLUMNS added: (its columns, its line end)."""
    shown = shown_path(source)
    with _open(source, shown) as fh, _reading(shown):
        names, _ = _header(fh, shown)
        fh.seek(0)
        header = fh.readline()
        newline = b"\r\n" if header.endswith(b"\r\n") else b"\n"
        missing = [c for c in DNC_OUT_COLUMNS if c not in names]
        extra = b"," * len(missing)
        dst.write(header.rstrip(b"\r\n") + b"".join(b"," + c.encode() for c in missing) + newline)
        for chunk in _chunks(fh, 0):
            buf = chunk.buf
            sp = _split(buf)
            lo = np.searchsorted(sp.commas, sp.starts)
            hi = np.searchsorted(sp.commas, sp.ends)
            pos = 0
            for k in np.flatnonzero(~((sp.ends == sp.starts) & (lo == hi))).tolist():
                e = int(sp.ends[k])
                dst.write(buf[pos:e] + extra)
                pos = e
            dst.write(buf[pos:])  # the last line end (added to a file that had none)
    return [*names, *missing], newline
