"""The names and codes every part of the simulator shares: outcomes, CPD verdicts, Genesys
call results, record statuses and types, and the agent states a Stat Server reports.

A leaf module: it imports nothing of the package, so the pacers, the list, the model and the
records all take their constants from here and from nowhere else.
"""

from __future__ import annotations

# -- outcomes: what a dial reached (truth) and what CPD said (verdict) ----------------------
HUMAN, MACHINE, BUSY, NO_ANSWER, FAX, INVALID = range(6)
OUTCOME_NAMES = ("human", "machine", "busy", "no_answer", "fax", "invalid")
VERDICT_NAMES = ("human", "machine", "busy", "no_answer", "fax", "sit")

# -- Genesys codes (Defined Constants / gcti.h) ----------------------------------------------
OK, BUSY_RESULT, NO_ANSWER_RESULT, SIT_DETECTED, ANSWERING_MACHINE = 0, 6, 7, 8, 9
FAX_DETECTED, ABANDONED, DROPPED, ANSWER, DO_NOT_CALL = 17, 21, 26, 33, 51
NO_FREE_PORT = 44  # No Free Port Error: the dial found no CPD port in time
STATUS_READY, STATUS_RETRIEVED, STATUS_UPDATED, STATUS_CHAIN_READY = 1, 2, 3, 9
STATUS_MISSED_CALLBACK = 8
TYPE_GENERAL, TYPE_CAMPAIGN_RESCHEDULED, TYPE_NO_CALL = 2, 3, 7
TYPE_PERSONAL_CALLBACK, TYPE_CAMPAIGN_CALLBACK = 5, 6
CALLBACK_TYPES = (TYPE_PERSONAL_CALLBACK, TYPE_CAMPAIGN_CALLBACK)

# -- what a person asks an agent for at the end of a call (population.dnc_request, ...) ------
NO_REQUEST, DNC_REQUEST, CALLBACK_REQUEST, PERSONAL_CALLBACK_REQUEST = range(4)
REQUEST_NAMES = ("", "dnc", "callback", "personal_callback")
# A record with one of these statuses can still be dialed (Retrieved: it was checked out when
# the list was exported, so it is dialable again; ChainReady: waiting in its chain).
OPEN_STATUSES = (STATUS_READY, STATUS_RETRIEVED, STATUS_CHAIN_READY)

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

# -- agent states, as the Stat Server shows them ---------------------------------------------
READY, RESERVED, PREVIEW, TALKING, WRAP_UP, ON_MACHINE, LOGGED_OUT = range(7)
AGENT_STATE_NAMES = (
    "ready",
    "reserved",
    "preview",
    "talking",
    "wrap_up",
    "on_machine",
    "logged_out",
)
