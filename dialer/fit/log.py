"""What a centre's records say: one :class:`Dial` per dial and the agents' time, as the OCS saw them.

Every reader turns its own export into a :class:`CallLog`. A dial's ``outcome`` is what the
dialer and its agent recorded, not what was really there: a person the CPD passed and an agent
talked to (``person``), a call classified human that no agent took (``abandoned``: hung up or
dropped, person or machine, the OCS cannot tell), a machine the CPD passed that an agent then
dispositioned as a machine (``agent_machine``), a machine, fax, busy, no-answer or SIT verdict.
The fit works from these, so it needs nothing a real centre does not have.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

PERSON, ABANDONED, AGENT_MACHINE, MACHINE, FAX, BUSY, NO_ANSWER, INVALID, UNKNOWN = range(9)
OUTCOMES = (
    "person",
    "abandoned",
    "agent_machine",
    "machine",
    "fax",
    "busy",
    "no_answer",
    "invalid",
    "unknown",
)
OUTCOME_OF_NAME = {name: i for i, name in enumerate(OUTCOMES)}

# Agent states as this project's agent_states.csv names them.
AGENT_STATES = ("ready", "preview", "reserved", "talking", "wrap_up", "on_machine", "logged_out")


@dataclass(slots=True)
class Dial:
    """One dial as recorded. Times in seconds; None where the records do not say."""

    dialed_at: float  # from the log's start
    outcome: int
    local_hour: float | None = None  # the called party's time of day at the dial, in hours
    zone: str | None = None  # the called party's IANA zone
    record: str | None = None
    attempt: int | None = None
    answer_s: float | None = None  # dial to answer
    detect_s: float | None = None  # answer to the CPD verdict
    ring_s: float | None = None  # dial to the end of a failed attempt (busy, no answer, SIT)
    talk_s: float | None = None  # connect to hang-up (a person; a machine for agent_machine)
    talk_open: bool = False  # still connected when the log ends: talk_s is a lower bound
    duration_s: float | None = None  # dial to hang-up (the line held); None if still up
    agent: str | None = None
    group: str | None = None


@dataclass
class Sample:
    """Durations of one kind: values, and which of them are lower bounds (still going at the end)."""

    values: list[float] = field(default_factory=list)
    open: list[bool] = field(default_factory=list)

    def add(self, value: float, still_open: bool = False) -> None:
        self.values.append(value)
        self.open.append(still_open)

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class GroupTime:
    """One agent group's time: logged-in seconds by state, and the state durations."""

    agents: set[str] = field(default_factory=set)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    talk: Sample = field(default_factory=Sample)  # with persons
    machine: Sample = field(default_factory=Sample)  # on machines the CPD passed
    wrap: Sample = field(default_factory=Sample)
    preview: Sample = field(default_factory=Sample)
    first_login: float | None = None
    last_logout: float | None = None

    @property
    def logged_in_s(self) -> float:
        return sum(v for k, v in self.seconds.items() if k != "logged_out")


@dataclass
class CallLog:
    """A centre's records, normalized: what every reader returns and the fit reads."""

    format: str
    sources: list[str]
    dials: list[Dial]
    end_s: float  # the log's end (seconds from its start): calls still up then are censored
    groups: dict[str, GroupTime] | None = None  # None: no agent time in the records
    start: dt.datetime | None = None  # site-local time at t = 0
    site_timezone: str | None = None
    unknown_statuses: Counter = field(default_factory=Counter)
    ready_steps: list[tuple[float, int]] = field(default_factory=list)  # (time, +-1): agents ready
    report_delays: Sample = field(default_factory=Sample)  # agent-state change to the OCS knowing
    settings: dict | None = None  # the centre's own dialer settings (a campaign mapping), if given
    settings_source: str = ""
    notes: list[str] = field(default_factory=list)  # what the reader could not use, and why

    def count(self, outcome: int) -> int:
        return sum(1 for d in self.dials if d.outcome == outcome)

    @property
    def agent_time(self) -> bool:
        """Whether the records hold the agents' time (states or an agent log)."""
        return any(g.logged_in_s > 0 for g in (self.groups or {}).values())
