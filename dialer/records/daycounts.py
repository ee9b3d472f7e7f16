"""The fold of the day's call-record columns: opt-outs dialed, requests, callbacks, CPD ports,
IVR messages.

Beside :class:`~dialer.records.tally.Tally` (the calls, outcomes and agent time), a
:class:`DayCounts` folds the columns the campaign day adds to each call record: ``opted_out_s``
(a dial to a number after its opt-out), ``request`` (what the person asked the agent for),
``callback`` and ``callback_due_s`` (a callback dial and its time), ``port_wait_s`` (the wait for a
CPD port), and ``message`` (the IVR message of an agentless campaign). Each count is a function
of ``calls.csv``; the warm-up rule is the tally's: a call counts by its dial time.

A dial that found no CPD port in time (call_result 44) is a call record but no dial: the tally
never sees it, and it counts here as a port failure only.
"""

from __future__ import annotations

from dialer.codes import (
    CALLBACK_REQUEST,
    DNC_REQUEST,
    HUMAN,
    NO_FREE_PORT,
    PERSONAL_CALLBACK_REQUEST,
)
from dialer.records.calls import Call

DAY_COUNTS = (
    "dnc_requests_by_agents",
    "dnc_violations",
    "callbacks_requested",
    "personal_callbacks_requested",
    "callbacks_made",
    "callbacks_on_time",
    "callbacks_late",
    "callbacks_handed_over",
    "port_failures",
    "port_waits",
    "ivr_messages_persons",
    "ivr_messages_machines",
    "ivr_dropped",
)


class DayCounts:
    """Folds the day's columns of the call records (see the module doc)."""

    def __init__(self, warmup_s: float, on_time_s: float):
        self.warmup = warmup_s
        self.on_time = on_time_s
        self.counts = dict.fromkeys(DAY_COUNTS, 0)
        self.late_s = 0.0  # lateness of the late callbacks, summed
        self.port_wait_s = 0.0  # waits for a CPD port, summed over the dials that waited

    def call(self, call: Call) -> None:
        if call.dialed_at < self.warmup:
            return
        c = self.counts
        if call.result == NO_FREE_PORT:
            c["port_failures"] += 1
            return
        if call.opted_out is not None:
            c["dnc_violations"] += 1
        if call.asked == DNC_REQUEST:
            c["dnc_requests_by_agents"] += 1
        elif call.asked in (CALLBACK_REQUEST, PERSONAL_CALLBACK_REQUEST):
            c["callbacks_requested"] += 1
            c["personal_callbacks_requested"] += call.asked == PERSONAL_CALLBACK_REQUEST
        if call.callback_due is not None:
            c["callbacks_made"] += 1
            c["callbacks_handed_over"] += call.callback == "handed_over"
            late = call.dialed_at - call.callback_due
            if late <= self.on_time + 1e-9:
                c["callbacks_on_time"] += 1
            else:
                c["callbacks_late"] += 1
                self.late_s += late
        if call.port_wait:
            c["port_waits"] += 1
            self.port_wait_s += call.port_wait
        if call.message in ("person", "machine"):
            c["ivr_messages_persons" if call.truth == HUMAN else "ivr_messages_machines"] += 1
        elif call.message == "none":
            c["ivr_dropped"] += 1
