"""The pacer interface: what the OCS observes, what it hears about its dials, what it decides.

A pacer never sees the truth. It is built from :class:`~dialer.pacing.inputs.PacerInputs`
(settings and beliefs); when it decides, its input is an :class:`Observation`: agent states as
the Stat Server has reported them (late, when the Stat Server is slow), and the OCS's own
calls and lines; between decisions it hears the results of its own dials (:meth:`Pacer.on_dial`,
:meth:`Pacer.on_result` with one of the result codes below). It returns how many dials to place now;
the model places at most that many (lines and dialable records permitting). No SimPy here, so
pacers are tested on hand-built observations.

``reserve`` marks the agent-driven modes: in progressive and preview the OCS reserves one ready
agent per dial and routes the answer to it, so these modes never abandon a call.
"""

from __future__ import annotations

import math

from dialer.codes import LOGGED_OUT, PREVIEW, READY, RESERVED, TALKING, WRAP_UP
from dialer.pacing.ages import Ages

BUSY_BIN_S = 1.0  # busy agents are counted by the second they entered talk or wrap-up
FLIGHT_BIN_S = 0.5  # dials in flight by the half second they were placed

# What the OCS learns about its dials (never the truth behind them):
# FAILED, MACHINE_VERDICT, HUMAN_VERDICT: the CPD's verdict (failed: busy, no answer, SIT);
# ABANDONED: a call CPD passed as human that no agent took, and the called party hung up first;
# DROPPED: the same, ended by the OCS's own abandon_after_s timer;
# CONNECTED: an agent took the call; AGENT_MACHINE: that agent found a machine on it (CPD passed
# it as human) and dispositioned it so.
FAILED, MACHINE_VERDICT, HUMAN_VERDICT, ABANDONED, DROPPED, CONNECTED, AGENT_MACHINE = range(7)
UNANSWERED = (ABANDONED, DROPPED)  # calls classified human that no agent took: the overdials


class Observation:
    """The OCS's view when it decides: Stat Server agent counts, its own calls and lines."""

    __slots__ = (
        "now",
        "waiting",
        "in_flight",
        "lines_in_use",
        "line_limit",
        "agents",
        "counts",
        "busy",
        "flight",
    )

    def __init__(
        self,
        agents: int = 0,
        counts: list[int] | None = None,
        busy: list[tuple[Ages, Ages]] | None = None,
        flight: Ages | None = None,
    ) -> None:
        self.now = 0.0
        self.waiting = 0  # its calls classified human, waiting for an agent
        self.in_flight = 0  # its dials placed whose CPD verdict is not known yet
        self.lines_in_use = 0
        self.line_limit: float = math.inf
        self.agents = agents  # agents of the campaign, logged in or not
        # agents per Stat Server state (codes.READY ... codes.LOGGED_OUT), as reported so far
        self.counts = counts if counts is not None else [0] * 7
        # per agent group: the agents reported talking (a person, or a machine not yet
        # dispositioned) and in wrap-up, counted by when they entered that state
        self.busy: list[tuple[Ages, Ages]] = busy if busy is not None else []
        # the dials in flight, counted by dial time
        self.flight = flight if flight is not None else Ages(FLIGHT_BIN_S)  # empty when not kept

    @property
    def ready(self) -> int:
        """Agents ready (idle, not reserved)."""
        return self.counts[READY]

    @ready.setter
    def ready(self, n: int) -> None:
        self.counts[READY] = n

    @property
    def talking(self) -> int:
        """Agents talking: with a person, or on a machine they have not dispositioned yet."""
        return self.counts[TALKING]

    @property
    def wrapping(self) -> int:
        return self.counts[WRAP_UP]

    @property
    def reserved(self) -> int:
        """Agents reserved for their own dial, previewing included."""
        return self.counts[RESERVED] + self.counts[PREVIEW]

    @property
    def logged_in(self) -> int:
        return self.agents - self.counts[LOGGED_OUT]


class Pacer:
    """A dialing mode. Subclasses override :meth:`decide` and the hooks they need."""

    name = "pacer"
    reserve: str | None = None  # "progressive" | "preview": one reserved agent per dial
    tick_s: float | None = None  # also decide at least this often (time-driven pacers)
    tick_strict = False  # True: decide at every tick, even right after a state change
    needs_ages = False  # True: reads busy agents and dials in flight by age (obs.busy, obs.flight)

    def decide(self, obs: Observation) -> int:
        raise NotImplementedError

    def on_dial(self, now: float) -> None:
        """A dial was placed."""

    def on_result(self, now: float, result: int, age: float) -> None:
        """A result (FAILED ... AGENT_MACHINE above) of a dial placed ``age`` seconds ago."""


def free_lines(obs: Observation) -> float:
    """Lines not in use (inf without a line limit)."""
    return obs.line_limit - obs.lines_in_use


def within_lines(obs: Observation, n: float) -> int:
    """``n`` dials, but never below 0 nor beyond the free lines (the one place of that clamp)."""
    return int(max(0, min(n, free_lines(obs))))
