"""Call detail records: one :class:`Call` per dial, from the line seizure to the hang-up, and
its ``calls.csv`` row."""

from __future__ import annotations

from typing import Any

from dialer.codes import OUTCOME_NAMES, VERDICT_NAMES


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
        "abandoned",
        "row",
        "waiting",
        "reserved_by",
    )

    def __init__(self, call_id: int, record, attempt: int, dialed_at: float):
        self.call_id = call_id
        self.record = record
        self.attempt = attempt
        self.dialed_at = dialed_at
        self.truth = -1  # outcome code (contacts.HUMAN ...)
        self.verdict = -1  # CPD verdict code
        self.result = 0  # Genesys call_result
        self.answered_at: float | None = None
        self.verdict_at: float | None = None
        self.connected_at: float | None = None
        self.ended_at: float | None = None
        self.agent: str | None = None
        self.abandoned = False
        self.row: Any = None  # the truth of this attempt (dialer.sim.truth)
        self.waiting = False
        self.reserved_by: Any = None  # the agent waiting on this dial (progressive, preview)


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
)


def _t(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def cdr_row(call: Call, local_time: str) -> list:
    """The ``calls.csv`` row of a call (times in seconds from the start of the run)."""
    rec = call.record
    return [
        call.call_id,
        rec.record_id,
        rec.chain_id,
        rec.phone,
        call.attempt,
        _t(call.dialed_at),
        OUTCOME_NAMES[call.truth] if call.truth >= 0 else "",
        VERDICT_NAMES[call.verdict] if call.verdict >= 0 else "",
        call.result if call.ended_at is not None else "",
        _t(call.answered_at),
        _t(call.connected_at),
        _t(call.ended_at),
        "" if call.agent is None else call.agent,
        int(call.abandoned),
        local_time,
        rec.zone,
    ]
