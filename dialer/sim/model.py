"""The outbound contact centre in SimPy: the OCS loop, the life of a dial, agents.

A dial's life (design.md section 3): the pacer asks for n dials; the OCS takes the next
dialable records and seizes a line for each; the outcome arrives after its own delay (busy and
SIT after a few seconds, a person or a machine at its answer time, nothing at the ring
timeout); with AMD on, CPD takes its detection time and says human or machine, wrongly now and
then; a call classified human takes a ready agent at once or waits, and is abandoned if no
agent takes it within ``abandon_after_s`` or the person's patience; the agent talks, wraps up
and is ready again; a treatment decides what happens to the record.

The model is lean on purpose: no SimPy process per call or agent (and it reads the clock as
``env._now``, SimPy's own attribute behind the ``now`` property, on its hot path). Each step of a call is one
Timeout whose callback moves the call on, so a failed dial costs one event and a connected
call three (verdict, end of talk, end of wrap-up). The OCS decides after every change of what
it can observe. Agent shifts work the same way: one Timeout per group and shift edge logs the
group in or out; an agent busy at the log-out leaves when its call and wrap-up end. The model computes no statistics and writes no files: it emits every call
and agent change to a :class:`~dialer.records.Tally` and, when asked, calls to ``on_call``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import simpy
from simpy.events import Timeout

from dialer.clock import Bands, Calendar
from dialer.codes import (
    AGENT_STATE_NAMES,
    BUSY,
    FAX,
    HUMAN,
    INVALID,
    LOGGED_OUT,
    MACHINE,
    NO_ANSWER,
    ON_MACHINE,
    PREVIEW,
    READY,
    RESERVED,
    RESULT_CODES,
    TALKING,
    WRAP_UP,
)
from dialer.config import Campaign
from dialer.lists.calling import CallingList
from dialer.pacing.base import (
    ABANDONED,
    AGENT_MACHINE,
    CONNECTED,
    FAILED,
    HUMAN_VERDICT,
    MACHINE_VERDICT,
    Observation,
    Pacer,
)
from dialer.pacing.modes import make_pacer
from dialer.records.calls import Call
from dialer.records.tally import Tally
from dialer.sim.truth import (
    ANSWER_S,
    BUSY_S,
    DETECT_S,
    GROUP_COLUMNS,
    INVALID_S,
    IS_INVALID,
    MACHINE_ANSWER_S,
    MACHINE_S,
    PATIENCE_S,
    PREVIEW_S,
    TALK_S,
    U_AMD,
    WRAP_S,
    Truth,
)

_RESULT_OF_VERDICT = {
    MACHINE: "answering_machine",
    FAX: "fax",
    BUSY: "busy",
    NO_ANSWER: "no_answer",
    INVALID: "invalid",
}
_BUSY_STATES = {TALKING: "talk", WRAP_UP: "wrap", ON_MACHINE: "machine"}


class Agent:
    __slots__ = ("agent_id", "group", "state", "since", "ready_since", "call", "leaving")

    def __init__(self, agent_id: str, group: int):
        self.agent_id = agent_id
        self.group = group
        self.state = LOGGED_OUT
        self.since = 0.0
        self.ready_since = 0.0
        self.call: Call | None = None
        self.leaving = False  # shift over: log out when the call in hand is done


class Model:
    """One run of one campaign. ``run()`` returns the closed :class:`Tally`."""

    def __init__(
        self,
        campaign: Campaign,
        pacer: Pacer | None = None,
        *,
        on_call: Callable[[Call], None] | None = None,
        trace: Callable[[float, str, object], None] | None = None,
    ):
        self.campaign = campaign
        self.env = simpy.Environment()
        self.calendar = Calendar(campaign.start, campaign.site_timezone, campaign.horizon_s)
        self.calls = CallingList(campaign, self.calendar)
        self.truth = Truth(campaign)
        self.pacer = pacer if pacer is not None else make_pacer(campaign)
        self.tally = Tally(campaign.warmup_s, self.calendar.site_midnights())
        self.calls.on_finish = lambda record: self.tally.record_finished(self.env._now)
        by_hour = campaign.population.by_hour
        # population.by_hour: per zone, which band of shares holds each moment (None: one band)
        self.bands: dict[str, Bands] | None = None
        if by_hour:
            self.bands = {
                c.zone: Bands(self.calendar, c.zone, list(by_hour)) for c in self.calls.classes
            }
        self.on_call = on_call
        self.trace = trace
        cpd, d = campaign.cpd, campaign.dialing
        self.amd = cpd.amd
        self.fp, self.fn = cpd.amd_false_positive, cpd.amd_false_negative
        self.ring_timeout = cpd.ring_timeout_s
        self.abandon_after = d.abandon_after_s
        self.line_limit = d.lines if d.lines is not None else math.inf
        self.agents = [
            Agent(f"{g.name}-{i + 1}", gi)
            for gi, g in enumerate(campaign.agents.groups)
            for i in range(g.count)
        ]
        self.ready: deque[Agent] = deque()  # idle agents, longest idle first
        self.waiting: deque[Call] = deque()  # calls classified human, waiting for an agent
        self.in_flight = 0
        self.lines_in_use = 0
        self.previewing = 0
        self.live: dict[int, Call] | None = {} if on_call is not None else None
        self.obs = Observation(len(self.agents), self.tally.agent_levels)
        self.obs.line_limit = self.line_limit
        self.obs.busy_agents = self._busy_agents
        self.obs.flight_ages = self._flight_ages
        self.flight: dict[int, float] = {}  # call id -> dial time, of dials in flight
        self._next_call_id = 1
        self._wake_at = math.inf
        self._pacing = False
        self._decided_at = -math.inf
        self._dry_until = -math.inf  # before this time (and list version) no record is dialable
        self._dry_version = 0

    # -- running -------------------------------------------------------------------------------
    def run(self) -> Tally:
        env = self.env
        self.tally.agent_levels[LOGGED_OUT].add(0.0, len(self.agents))  # everyone starts logged out
        self._schedule_shifts()
        if self.pacer.tick_s:
            self._tick(None)
        self.pace()
        env.run(until=self.campaign.horizon_s)
        self.tally.close(self.campaign.horizon_s)
        self.tally.counts["in_progress"] = self.lines_in_use
        if self.live:
            for call in sorted(self.live.values(), key=lambda c: c.call_id):
                self.on_call(call)  # type: ignore[misc]
        return self.tally

    def _at(self, delay: float, handler: Callable, value: object) -> None:
        Timeout(self.env, delay, value).callbacks.append(handler)

    def _tick(self, _event) -> None:
        tick = self.pacer.tick_s
        self._at(tick, self._tick, None)
        # "at least every tick": a decision taken since the last tick makes this one redundant
        if _event is not None and (
            self.pacer.tick_strict or self.env._now - self._decided_at >= tick - 1e-9
        ):
            self.pace()

    # -- what the OCS sees -----------------------------------------------------------------------
    def _busy_agents(self) -> list[tuple[str, float, int]]:
        now = self.env._now
        return [
            (_BUSY_STATES[a.state], now - a.since, a.group)
            for a in self.agents
            if a.state in _BUSY_STATES
        ]

    def _flight_ages(self) -> list[float]:
        now = self.env._now
        return [now - t for t in self.flight.values()]

    def observe(self) -> Observation:
        obs = self.obs
        obs.now = self.env._now
        obs.ready = len(self.ready)
        obs.waiting = len(self.waiting)
        obs.in_flight = self.in_flight
        obs.lines_in_use = self.lines_in_use
        return obs

    # -- the OCS loop ------------------------------------------------------------------------------
    def pace(self) -> None:
        """Ask the pacer and place what it asks for (lines and dialable records permitting)."""
        if self._pacing:
            return
        now = self.env._now
        if now < self._dry_until and self.calls.version == self._dry_version:
            return  # nothing can be dialed before then: no decision to take (VICIdial: empty hopper)
        self._pacing = True
        self._decided_at = now
        try:
            if self.pacer.reserve is not None:
                self._pace_reserved()
                return
            n = self.pacer.decide(self.observe())
            now = self.env._now
            while n > 0 and self.lines_in_use < self.line_limit:
                record = self.calls.next_record(now)
                if record is None:
                    self._wake_later()
                    break
                self._dial(record, None)
                n -= 1
        finally:
            self._pacing = False

    def _pace_reserved(self) -> None:
        """Progressive and preview: one record and one reserved agent at a time."""
        now = self.env._now
        preview = self.pacer.reserve == "preview"
        while self.ready and self.lines_in_use + self.previewing < self.line_limit:
            record = self.calls.next_record(now)
            if record is None:
                self._wake_later()
                return
            agent = self.ready.popleft()
            if preview:
                self.previewing += 1
                self._set_state(agent, PREVIEW)
                row = self.truth.row(record.key, record.attempt + 1)
                self._at(row[PREVIEW_S], self._on_preview_end, (record, agent))
            else:
                self._set_state(agent, RESERVED)
                self._dial(record, agent)

    def _wake_later(self) -> None:
        """No record is dialable now: note until when (unless a record is rescheduled), and
        wake up then."""
        at = self.calls.next_change(self.env._now)
        self._dry_until = math.inf if at is None else at
        self._dry_version = self.calls.version
        if at is None or at >= self._wake_at:
            return
        if at <= self.env._now:
            return
        self._wake_at = at
        self._at(at - self.env._now, self._on_wake, at)

    def _on_wake(self, event) -> None:
        if event._value == self._wake_at:
            self._wake_at = math.inf
        self._dry_until = -math.inf  # a wake-up always looks again (and schedules the next one)
        self.pace()

    def _on_preview_end(self, event) -> None:
        record, agent = event._value
        self.previewing -= 1
        if not self.calls.dialable(record, self.env._now):
            # the record's window closed while the agent read it: it waits for the next one
            self.calls.put_back(record, self.env._now)
            self._agent_ready(agent)
            self.pace()
            return
        self._set_state(agent, RESERVED)
        self._dial(record, agent)

    # -- a dial's life -------------------------------------------------------------------------------
    def _dial(self, record, agent: Agent | None) -> None:
        now = self.env._now
        record.attempt += 1
        call = Call(self._next_call_id, record, record.attempt, now)
        self._next_call_id += 1
        call.reserved_by = agent
        tally = self.tally
        self.lines_in_use += 1
        tally.lines.add(now, 1)
        self.in_flight += 1
        self.flight[call.call_id] = now
        tally.in_flight.add(now, 1)
        tally.dial(now)
        if self.live is not None:
            self.live[call.call_id] = call
        self.pacer.on_dial(now)

        truth = self.truth
        row = truth.row(record.key, record.attempt)
        call.row = row
        if row[IS_INVALID]:
            kind, verdict, delay = INVALID, INVALID, row[INVALID_S]
        else:
            kind = (
                truth.outcome(row)
                if self.bands is None
                else truth.outcome_at(row, self.bands[record.zone].at(now))
            )
            if kind in (HUMAN, MACHINE, FAX):
                answer = row[ANSWER_S] if kind == HUMAN else row[MACHINE_ANSWER_S]
                if answer > self.ring_timeout:
                    kind, verdict, delay = NO_ANSWER, NO_ANSWER, self.ring_timeout
                else:
                    call.answered_at = now + answer
                    delay = answer + row[DETECT_S] if self.amd else answer
                    if kind == HUMAN:
                        verdict = MACHINE if self.amd and row[U_AMD] < self.fp else HUMAN
                    elif kind == MACHINE:
                        verdict = HUMAN if not self.amd or row[U_AMD] < self.fn else MACHINE
                    else:
                        verdict = FAX
            elif kind == BUSY:
                verdict, delay = BUSY, row[BUSY_S]
            else:
                verdict, delay = NO_ANSWER, self.ring_timeout
        call.truth = kind
        call.verdict = verdict
        if self.trace is not None:
            self.trace(now, "dial", call)
        self._at(delay, self._on_verdict, call)

    def _on_verdict(self, event) -> None:
        call: Call = event._value
        now = self.env._now
        call.verdict_at = now
        self.in_flight -= 1
        del self.flight[call.call_id]
        self.tally.in_flight.add(now, -1)
        if self.trace is not None:
            self.trace(now, "verdict", call)
        if call.verdict == HUMAN:
            self.pacer.on_result(now, HUMAN_VERDICT, now - call.dialed_at)
            agent = call.reserved_by
            if agent is None and self.ready:
                agent = self.ready.popleft()
            if agent is not None:
                self._connect(call, agent)
            else:
                self._wait(call)
        else:
            self._end(call, _RESULT_OF_VERDICT[call.verdict])
            self.pacer.on_result(
                now,
                MACHINE_VERDICT if call.verdict in (MACHINE, FAX) else FAILED,
                now - call.dialed_at,
            )
            if call.reserved_by is not None:
                self._agent_ready(call.reserved_by)
        self.pace()

    def _wait(self, call: Call) -> None:
        now = self.env._now
        limit = self.abandon_after
        if call.truth == HUMAN:
            limit = min(limit, call.row[PATIENCE_S])
        if limit <= 0:
            self._abandon(call)
            return
        call.waiting = True
        self.waiting.append(call)
        self.tally.waiting.add(now, 1)
        self._at(limit, self._on_abandon, call)

    def _on_abandon(self, event) -> None:
        call: Call = event._value
        if not call.waiting:
            return  # an agent took it in time
        call.waiting = False
        self.waiting.remove(call)
        self.tally.waiting.add(self.env._now, -1)
        self._abandon(call)
        self.pace()

    def _abandon(self, call: Call) -> None:
        call.abandoned = True
        if self.trace is not None:
            self.trace(self.env._now, "abandon", call)
        self._end(call, "abandoned" if call.truth == HUMAN else "dropped")
        self.pacer.on_result(self.env._now, ABANDONED, self.env._now - call.dialed_at)

    def _connect(self, call: Call, agent: Agent) -> None:
        now = self.env._now
        call.connected_at = now
        call.agent = agent.agent_id
        agent.call = call
        base = GROUP_COLUMNS + 3 * agent.group
        if call.truth == HUMAN:
            self.tally.connect_wait(now, now - agent.ready_since)
            self._set_state(agent, TALKING)
            self._at(call.row[base + TALK_S], self._on_talk_end, agent)
        else:
            self._set_state(agent, ON_MACHINE)
            self._at(call.row[base + MACHINE_S], self._on_machine_end, agent)
        if self.trace is not None:
            self.trace(now, "connect", call)
        self.pacer.on_result(now, CONNECTED, now - call.dialed_at)

    def _on_talk_end(self, event) -> None:
        agent: Agent = event._value
        call = agent.call
        self._end(call, "answer")
        self._set_state(agent, WRAP_UP)
        self._at(call.row[GROUP_COLUMNS + 3 * agent.group + WRAP_S], self._on_wrap_end, agent)
        agent.call = None
        self.pace()

    def _on_wrap_end(self, event) -> None:
        agent: Agent = event._value
        agent.ready_since = self.env._now
        self._agent_ready(agent)
        self.pace()

    def _on_machine_end(self, event) -> None:
        agent: Agent = event._value
        call = agent.call
        agent.call = None
        self._end(call, "answering_machine")
        self.pacer.on_result(self.env._now, AGENT_MACHINE, self.env._now - call.dialed_at)
        self._agent_ready(agent)
        self.pace()

    def _end(self, call: Call, result: str) -> None:
        now = self.env._now
        call.ended_at = now
        call.result = RESULT_CODES[result]
        self.lines_in_use -= 1
        self.tally.lines.add(now, -1)
        self.tally.ended(call)
        self.calls.result(call.record, result, now)
        if self.trace is not None:
            self.trace(now, "end", call)
        if self.live is not None:
            del self.live[call.call_id]
            self.on_call(call)  # type: ignore[misc]

    # -- agents ------------------------------------------------------------------------------------
    def _set_state(self, agent: Agent, state: int) -> None:
        now = self.env._now
        self.tally.agent_change(now, agent.state, state)
        agent.state = state
        agent.since = now
        if self.trace is not None:
            self.trace(now, AGENT_STATE_NAMES[state], agent)

    def _schedule_shifts(self) -> None:
        """Log each group in now or at its shift starts, and out at its shift ends."""
        horizon = self.campaign.horizon_s
        self._members: list[list[Agent]] = [[] for _ in self.campaign.agents.groups]
        for agent in self.agents:
            self._members[agent.group].append(agent)
        for gi, group in enumerate(self.campaign.agents.groups):
            shift = group.shift
            if shift is None:
                intervals = [(0.0, math.inf)]
            else:
                intervals = self.calendar.shifts(shift.start, shift.end, shift.days)
            for login, logout in intervals:
                if login <= 0:
                    for agent in self._members[gi]:
                        self._agent_ready(agent)
                else:
                    self._at(login, self._on_login, gi)
                if logout < horizon:
                    self._at(logout, self._on_logout, gi)

    def _on_login(self, event) -> None:
        now = self.env._now
        for agent in self._members[event._value]:
            if agent.leaving:
                agent.leaving = False  # back on shift before its last call ended
            elif agent.state == LOGGED_OUT:
                agent.ready_since = now
                self._agent_ready(agent)
        self.pace()

    def _on_logout(self, event) -> None:
        for agent in self._members[event._value]:
            if agent.state == READY:
                self.ready.remove(agent)
                self._set_state(agent, LOGGED_OUT)
            elif agent.state != LOGGED_OUT:
                agent.leaving = True

    def _agent_ready(self, agent: Agent) -> None:
        """The agent is free: take the longest-waiting call, or join the ready agents."""
        if agent.leaving:
            agent.leaving = False
            self._set_state(agent, LOGGED_OUT)
            return
        waiting = self.waiting
        while waiting:
            call = waiting.popleft()
            call.waiting = False
            self.tally.waiting.add(self.env._now, -1)
            self._connect(call, agent)
            return
        self._set_state(agent, READY)
        self.ready.append(agent)
