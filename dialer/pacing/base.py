"""Dialing modes: each a small object from what the OCS observes to the dials to place now.

A pacer never sees the truth. Its input is an :class:`Observation` (agent states from the Stat
Server, dials in flight, lines) and the stream of results a real OCS hears about its own dials
(:meth:`Pacer.on_dial`, :meth:`Pacer.on_result` with a CPD-level :data:`RESULTS` code). It
returns how many dials to place now; the model places at most that many (lines and dialable
records permitting). No SimPy here, so pacers are tested on hand-built observations.

``reserve`` marks the agent-driven modes: in progressive and preview the model reserves one
ready agent per dial and routes the answer to it, so these modes never abandon a call.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from dialer.codes import LOGGED_OUT, ON_MACHINE, PREVIEW, RESERVED, TALKING, WRAP_UP

# What the OCS learns about its dials (never the truth behind them). AGENT_MACHINE: an agent
# found a machine on a call CPD passed as human, and dispositioned it so.
FAILED, MACHINE_VERDICT, HUMAN_VERDICT, ABANDONED, CONNECTED, AGENT_MACHINE = range(6)
RESULTS = ("failed", "machine", "human", "abandoned", "connected", "agent_machine")


class Observation:
    """The OCS's view when it decides: Stat Server agent counts, its own calls and lines."""

    __slots__ = (
        "now",
        "ready",
        "waiting",
        "in_flight",
        "lines_in_use",
        "line_limit",
        "agents",
        "_states",
        "busy_agents",
        "flight_ages",
    )

    def __init__(self, agents: int = 0, states: list | None = None) -> None:
        self.now = 0.0
        self.ready = 0  # idle agents, not reserved
        self.waiting = 0  # calls classified human waiting for an agent
        self.in_flight = 0  # dials placed whose CPD verdict is not known yet
        self.lines_in_use = 0
        self.line_limit: float = math.inf
        self.agents = agents  # agents of the campaign, logged in or not
        # agents per Stat Server state (idle, reserved, preview, talk, wrap, machine, logged out),
        # each an object with a count ``n`` (the model's live counters)
        self._states = states or []
        # () -> [(state, seconds in state, group index)] of agents in talk / wrap / machine
        self.busy_agents: Callable[[], list[tuple[str, float, int]]] = list
        # () -> seconds since each dial in flight was placed
        self.flight_ages: Callable[[], list[float]] = list

    def _count(self, i: int) -> int:
        return self._states[i].n if self._states else 0

    @property
    def talking(self) -> int:
        return self._count(TALKING)

    @property
    def wrapping(self) -> int:
        return self._count(WRAP_UP)

    @property
    def on_machine(self) -> int:
        return self._count(ON_MACHINE)

    @property
    def reserved(self) -> int:
        """Agents reserved for their own dial, previewing included."""
        return self._count(RESERVED) + self._count(PREVIEW)

    @property
    def logged_in(self) -> int:
        return self.agents - self._count(LOGGED_OUT)


class Pacer:
    """A dialing mode. Subclasses override :meth:`decide` and the hooks they need."""

    name = "pacer"
    reserve: str | None = None  # "progressive" | "preview": one reserved agent per dial
    tick_s: float | None = None  # also decide at least this often (time-driven pacers)
    tick_strict = False  # True: decide at every tick, even right after a state change

    def decide(self, obs: Observation) -> int:
        raise NotImplementedError

    def on_dial(self, now: float) -> None:
        """A dial was placed."""

    def on_result(self, now: float, result: int, age: float) -> None:
        """A CPD verdict, an abandonment or a connection (one of :data:`RESULTS`) of a dial
        placed ``age`` seconds ago."""


def within_lines(obs: Observation, n: int) -> int:
    """``n`` dials, but never below 0 nor beyond the free lines."""
    return int(max(0, min(n, obs.line_limit - obs.lines_in_use)))
