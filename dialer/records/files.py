"""Writing call records as the run goes (``calls.csv``), to a temporary file until committed."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from dialer.clock import Calendar
from dialer.outputs import atomic
from dialer.records.calls import CDR_COLUMNS, Call, cdr_row


class CallWriter:
    """Streams call records to ``calls.csv`` (temporary until :meth:`commit`)."""

    def __init__(self, path: str | os.PathLike, calendar: Calendar):
        self.path = Path(path)
        self.calendar = calendar
        self._cm = atomic(self.path)
        self._fh = self._cm.__enter__()
        self._w = csv.writer(self._fh)
        self._w.writerow(CDR_COLUMNS)
        self.rows = 0

    def __call__(self, call: Call) -> None:
        local = self.calendar.local(call.dialed_at, call.record.zone).isoformat(timespec="seconds")
        self._w.writerow(cdr_row(call, local))
        self.rows += 1

    def commit(self) -> None:
        self._cm.__exit__(None, None, None)

    def abort(self, exc: BaseException) -> None:
        try:
            self._cm.__exit__(type(exc), exc, exc.__traceback__)
        except BaseException:
            pass
