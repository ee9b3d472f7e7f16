"""Writing the records as the run goes: ``calls.csv`` and ``agent_states.csv``.

Both stream to temporary files in the results folder and are moved into place by
:meth:`RecordWriter.commit` (or removed by :meth:`RecordWriter.abort`), so a reader never sees
half of one and a run with millions of calls writes them without holding them.
"""

from __future__ import annotations

import csv
import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from dialer.clock import Calendar
from dialer.outputs import atomic
from dialer.records.calls import (
    AGENT_STATE_COLUMNS,
    CDR_COLUMNS,
    Call,
    InboundCall,
    agent_state_row,
    cdr_row,
    inbound_row,
)

CALLS = "calls.csv"
AGENT_STATES = "agent_states.csv"


class RecordWriter:
    """Streams call records and agent-state intervals to ``folder`` (see the module doc)."""

    def __init__(
        self,
        folder: str | os.PathLike,
        calendar: Calendar,
        group_names: list[str],
        queue_names: list[str] | tuple[str, ...] = (),
    ):
        self.folder = Path(folder)
        self.calendar = calendar
        self.groups = group_names
        self.queues = list(queue_names)
        self._stack = ExitStack()
        self._calls = csv.writer(self._stack.enter_context(atomic(self.folder / CALLS)))
        self._states = csv.writer(self._stack.enter_context(atomic(self.folder / AGENT_STATES)))
        self._calls.writerow(CDR_COLUMNS)
        self._states.writerow(AGENT_STATE_COLUMNS)
        self.calls = 0
        self.intervals = 0

    def call(self, call: Call | InboundCall) -> None:
        if isinstance(call, InboundCall):
            site = self.calendar.site
            local = self.calendar.local(call.arrived_at, site).isoformat(timespec="seconds")
            self._calls.writerow(inbound_row(call, local, site))
        else:
            zone = call.record.zone
            local = self.calendar.local(call.dialed_at, zone).isoformat(timespec="seconds")
            self._calls.writerow(cdr_row(call, local))
        self.calls += 1

    def interval(
        self, agent: Any, state: int, start: float, end: float, reported: float | None
    ) -> None:
        cg, work = agent.cg, agent.work
        self._states.writerow(
            agent_state_row(
                agent.agent_id,
                self.groups[agent.group],
                state,
                start,
                end,
                reported,
                "" if cg is None else cg.name,
                self.queues[work] if work >= 0 else "",
            )
        )
        self.intervals += 1

    def commit(self) -> None:
        self._stack.close()

    def abort(self, exc: BaseException) -> None:
        try:
            self._stack.__exit__(type(exc), exc, exc.__traceback__)
        except BaseException:
            pass
