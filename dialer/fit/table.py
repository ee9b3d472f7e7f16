"""Reading an export as a table of text cells, and saying exactly what is wrong with it.

Every reader of :mod:`dialer.fit` reads CSV through :func:`read_table` and reports problems
through :class:`Problems`: one line each, naming the file, the row as a spreadsheet numbers it
(the header is row 1), the column, what was expected and what was found. At most
:data:`MAX_PROBLEMS` lines are shown, then how many more there were.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
from dataclasses import dataclass

from dialer.errors import InputError, show

MAX_PROBLEMS = 10


class Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.more = 0

    def add(self, line: str) -> None:
        if len(self.lines) < MAX_PROBLEMS:
            self.lines.append(line)
        else:
            self.more += 1

    def raise_if_any(self) -> None:
        if self.lines:
            tail = [f"... and {self.more} more problems"] if self.more else []
            raise InputError(self.lines + tail)


@dataclass
class Table:
    path: str  # as the user gave it
    columns: list[str]
    rows: list[list[str]]

    def index(self, name: str) -> int:
        return self.columns.index(name)

    def has(self, *names: str) -> bool:
        return all(n in self.columns for n in names)

    def require(self, names: list[str] | tuple[str, ...], what: str) -> None:
        """One line naming the missing columns, the file and every column ``what`` needs."""
        missing = [n for n in names if n not in self.columns]
        if missing:
            raise InputError(
                f"{self.path}: missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}; {what} needs the columns {', '.join(names)}"
            )

    def column(self, name: str) -> list[str]:
        j = self.columns.index(name)
        return [r[j] for r in self.rows]


def not_a_folder(path: str, reads: str) -> None:
    """A folder given where a format reads files: one line saying which files it reads
    (``reads``) and what the folder holds."""
    if not os.path.isdir(path):
        return
    inside = sorted(n for n in os.listdir(path) if n.lower().endswith(".csv"))
    if "calls.csv" in inside:
        hint = "; it holds calls.csv: this project's results are read with --format dialer"
    elif inside:
        more = ", ..." if len(inside) > 6 else ""
        hint = f"; it holds {', '.join(inside[:6])}{more}: give those files"
    else:
        hint = "; it holds no CSV file"
    raise InputError(f"{path}: expected a file, got a folder: {reads}{hint}")


def read_table(path: str | os.PathLike) -> Table:
    shown = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None or not any(h.strip() for h in header):
                raise InputError(
                    f"{shown}: expected a header row of column names, got an empty file"
                )
            columns = [h.strip() for h in header]
            dupes = sorted({c for c in columns if columns.count(c) > 1})
            if dupes:
                raise InputError(
                    f"{shown} row 1: {dupes[0]}: expected each column once, got it twice"
                )
            rows = []
            for i, row in enumerate(reader, start=2):
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != len(columns):
                    raise InputError(
                        f"{shown} row {i}: expected {len(columns)} fields as in the header, "
                        f"got {len(row)}"
                    )
                rows.append([c.strip() for c in row])
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: expected a file, got a folder") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{shown}: cannot read it ({exc.__class__.__name__}: {exc})") from None
    if not rows:
        raise InputError(f"{shown}: expected at least one row below the header, got none")
    return Table(shown, columns, rows)


def seconds(text: str, where: str, problems: Problems, *, optional: bool = True) -> float | None:
    """A number of seconds (>= 0) from a cell; empty is None when ``optional``."""
    if text == "" or text.upper() in ("NULL", "NONE", "NAN"):
        if not optional:
            problems.add(f"{where}: expected a number of seconds, got nothing")
        return None
    try:
        x = float(text)
    except ValueError:
        problems.add(f"{where}: expected a number of seconds, got {show(text)}")
        return None
    if not math.isfinite(x) or x < 0:
        problems.add(f"{where}: expected a number of seconds >= 0, got {show(text)}")
        return None
    return x


def timestamp(
    text: str, where: str, problems: Problems, fmt: str | None = None
) -> dt.datetime | None:
    """A date and time: ISO 8601 (offset optional) or ``fmt`` (strptime); None if empty."""
    if text == "" or text.upper() in ("NULL", "NONE"):
        return None
    try:
        if fmt:
            return dt.datetime.strptime(text, fmt)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        expected = f"a date and time as {fmt}" if fmt else 'a date and time "YYYY-MM-DD HH:MM:SS"'
        problems.add(f"{where}: expected {expected}, got {show(text)}")
        return None
