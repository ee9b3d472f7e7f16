"""The records a run writes: one :class:`Call` per dial, one agent-state interval per state.

A call record runs from the line seizure to the hang-up; it holds the truth behind the dial
(what it reached) beside what the OCS saw (the CPD verdict, the result it wrote to the list)
and the campaign that dialed it. An inbound call (:class:`InboundCall`, a centre's queues) runs
from the caller's arrival to the hang-up, with its queue and how it ended (``queue_result``:
answered, abandoned, balked, blocked, or waiting at the end).
An agent-state interval is one agent in one state (as the Stat Server names them) from
``start_s`` to ``end_s``, with ``reported_s``, the moment the OCS first learned of it. Every
summary figure is a function of these two streams (:mod:`dialer.records.tally`); a test
recomputes the summary from ``calls.csv`` and ``agent_states.csv`` alone.
"""

from __future__ import annotations

from typing import Any

from dialer.codes import (
    AGENT_STATE_NAMES,
    HUMAN,
    NO_REQUEST,
    OUTCOME_NAMES,
    REQUEST_NAMES,
    VERDICT_NAMES,
)


class Call:
    """One dial, from the line seizure to the hang-up: the call detail record."""

    __slots__ = (
        "call_id",
        "record",
        "attempt",
        "dialed_at",
        "truth",
        "verdict",
        "result",
        "answered_at",
        "verdict_at",
        "connected_at",
        "ended_at",
        "agent",
        "unanswered",
        "agent_wait",
        "row",
        "waiting",
        "reserved_by",
        "campaign",
        "opted_out",
        "asked",
        "callback",
        "callback_due",
        "port_wait",
        "message",
        "own_dial",
        "asked_delay",
    )

    def __init__(
        self,
        call_id: int,
        record: Any,
        attempt: int,
        dialed_at: float,
        reserved_by: Any = None,
        campaign: str = "",
    ):
        self.call_id = call_id
        self.record = record
        self.attempt = attempt
        self.dialed_at = dialed_at
        self.truth = -1  # outcome code (codes.HUMAN ...)
        self.verdict = -1  # CPD verdict code
        self.result = 0  # the OCS's Genesys call_result (0 until the call ends)
        self.answered_at: float | None = None
        self.verdict_at: float | None = None
        self.connected_at: float | None = None
        self.ended_at: float | None = None
        self.agent: str | None = None
        # classified human and no agent took it (abandoned by the person or dropped by the OCS)
        self.unanswered = False
        self.agent_wait: float | None = None  # the connected agent's wait for this call
        self.row: Any = None  # the truth of this attempt (dialer.sim.truth)
        self.waiting = False
        self.reserved_by = reserved_by  # the agent waiting on this dial (progressive, preview)
        self.campaign = campaign  # the campaign that dialed it
        # the day as it happens (issue 12)
        self.opted_out: float | None = None  # seconds since the number's opt-out (a violation)
        self.asked = NO_REQUEST  # what the person asked the agent for (codes.REQUEST_NAMES)
        self.asked_delay = 0.0
        self.callback = ""  # a callback dial: personal | campaign | handed_over
        self.callback_due: float | None = None  # the callback's time
        self.port_wait: float | None = None  # seconds the dial waited for a CPD port (cpd.ports)
        self.message = ""  # agentless: the IVR message played (person | machine) or none
        self.own_dial = False  # dialed by its agent after a preview (no transfer)

    @property
    def abandoned(self) -> bool:
        """A person the CPD passed as human whom no agent took (the regulator's abandoned call)."""
        return self.unanswered and self.truth == HUMAN


# How an inbound call ended (``queue_result``) and the Genesys call_result written for it.
QUEUE_RESULTS = {"answered": 33, "abandoned": 21, "balked": 21, "blocked": 6}


class InboundCall:
    """One caller of a centre's queue, from the arrival to the hang-up."""

    __slots__ = (
        "call_id",
        "queue",
        "caller",
        "arrived_at",
        "connected_at",
        "ended_at",
        "agent",
        "result",
        "row",
        "waiting",
    )

    def __init__(self, call_id: int, queue: str, caller: int, arrived_at: float, row: Any):
        self.call_id = call_id
        self.queue = queue  # the queue's name
        self.caller = caller  # the caller's index in the queue's stream
        self.arrived_at = arrived_at
        self.connected_at: float | None = None
        self.ended_at: float | None = None
        self.agent: str | None = None
        self.result = ""  # answered | abandoned | balked | blocked ("": still up at the end)
        self.row = row  # the caller's draws (dialer.sim.inbound)
        self.waiting = False

    @property
    def wait(self) -> float | None:
        """Seconds from the arrival to an agent (answered) or to the hang-up (abandoned)."""
        if self.connected_at is not None:
            return self.connected_at - self.arrived_at
        if self.result == "abandoned":
            return self.ended_at - self.arrived_at  # type: ignore[operator]
        return None


CDR_COLUMNS = (
    "call_id",
    "record_id",
    "chain_id",
    "phone",
    "attempt",
    "dialed_at_s",
    "truth",
    "cpd_verdict",
    "call_result",
    "answered_at_s",
    "connected_at_s",
    "ended_at_s",
    "agent_id",
    "abandoned",
    "local_time",
    "timezone",
    "verdict_at_s",
    "result",
    "opted_out_s",
    "request",
    "callback",
    "callback_due_s",
    "port_wait_s",
    "message",
    "campaign",
    "queue",
    "arrived_at_s",
    "queue_result",
)

AGENT_STATE_COLUMNS = (
    "agent_id",
    "group",
    "state",
    "start_s",
    "end_s",
    "reported_s",
    "campaign",
    "queue",
)


def seconds(x: float | None) -> str:
    """A time as written in the records: exact (the float's shortest round-trip form)."""
    return "" if x is None else repr(x)


def cdr_row(call: Call, local_time: str) -> list:
    """The ``calls.csv`` row of a call (times in seconds from the start of the run)."""
    rec = call.record
    code = call.result if call.ended_at is not None else ""
    return [
        call.call_id,
        rec.record_id,
        rec.chain_id,
        rec.phone,
        call.attempt,
        seconds(call.dialed_at),
        OUTCOME_NAMES[call.truth] if call.truth >= 0 else "",
        VERDICT_NAMES[call.verdict] if call.verdict >= 0 else "",
        code,
        seconds(call.answered_at),
        seconds(call.connected_at),
        seconds(call.ended_at),
        "" if call.agent is None else call.agent,
        int(call.abandoned),
        local_time,
        rec.zone,
        seconds(call.verdict_at),
        code,
        seconds(call.opted_out),
        REQUEST_NAMES[call.asked],
        call.callback,
        seconds(call.callback_due),
        seconds(call.port_wait),
        call.message,
        call.campaign,
        "",
        "",
        "",
    ]


def inbound_row(call: InboundCall, local_time: str, zone: str) -> list:
    """The ``calls.csv`` row of an inbound call: its queue, arrival and result, no dial."""
    code = QUEUE_RESULTS.get(call.result, "") if call.ended_at is not None else ""
    return [
        call.call_id,
        "",
        "",
        "",
        "",
        "",
        "inbound",
        "",
        code,
        "",
        seconds(call.connected_at),
        seconds(call.ended_at),
        "" if call.agent is None else call.agent,
        0,
        local_time,
        zone,
        "",
        code,
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        call.queue,
        seconds(call.arrived_at),
        call.result or "waiting",
    ]


def agent_state_row(
    agent_id: str,
    group: str,
    state: int,
    start: float,
    end: float,
    reported: float | None,
    campaign: str = "",
    queue: str = "",
) -> list:
    """The ``agent_states.csv`` row of one agent-state interval: ``campaign`` the agent was
    assigned to, ``queue`` the inbound call it was on (talking or in wrap-up)."""
    return [
        agent_id,
        group,
        AGENT_STATE_NAMES[state],
        seconds(start),
        seconds(end),
        seconds(reported),
        campaign,
        queue,
    ]
