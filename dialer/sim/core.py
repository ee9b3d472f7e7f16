"""The model's two building blocks: the one kind of event, and an agent.

:class:`Step` is the hot path of every run (one per step of a call or a caller); :class:`Agent`
is one agent of the centre: its real state, the campaign it works for, the call in hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL, Event

from dialer.codes import LOGGED_OUT
from dialer.sim.truth import GROUP_COLUMNS


class Step(Event):
    """The model's one kind of event: a timeout that carries its callback and value.

    It is a SimPy Event scheduled with the public ``Environment.schedule``, its value and
    callback set at once, as ``Timeout`` sets them; it saves the Timeout's checks and a
    separate ``callbacks.append``.
    """

    def __init__(self, env: simpy.Environment, delay: float, callback: Callable, value: object):
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True
        env.schedule(self, NORMAL, delay)


NO_MOVE: Any = object()  # an agent with no reassignment pending


class Agent:
    __slots__ = (
        "index",
        "agent_id",
        "group",
        "state",
        "since",
        "report",
        "ready_since",
        "call",
        "leaving",
        "cg",
        "col",
        "work",
        "move_to",
        "engaged",
    )

    def __init__(self, index: int, agent_id: str, group: int):
        self.index = index
        self.agent_id = agent_id
        self.group = group  # the centre's group index
        self.state = LOGGED_OUT
        self.since = 0.0
        self.report: float | None = 0.0  # when the OCS hears of the current state (None: never)
        self.ready_since = 0.0  # start of the agent's wait for its next connect
        self.call: Any = None  # the call in hand (an outbound Call or an InboundCall)
        self.leaving = False  # shift over: log out when the call in hand is done
        self.cg: Any = None  # the campaign group it works for (None: none)
        self.col = GROUP_COLUMNS + 3 * group  # its first truth column in that campaign's rows
        self.work = -1  # the queue of the inbound call it is on (talking, wrap-up), or -1
        self.move_to: Any = NO_MOVE  # the campaign group it moves to when next free
        self.engaged = False  # ASM: on an engaging call, ready to be bridged at once
