"""The outbound contact centre in SimPy: the OCS loop, the life of a dial, agents.

A dial's life (design.md section 3): the pacer asks for n dials; the OCS takes the next
dialable records and seizes a line for each; the outcome arrives after its own delay (busy and
SIT after a few seconds, a person or a machine at its answer time, nothing at the ring
timeout); with AMD on, CPD takes its detection time and says human or machine, wrongly now and
then; a call classified human takes a ready agent at once or waits; if no agent takes it, it
ends as Abandoned when the person hangs up first (their patience) and as Dropped when the OCS's
``abandon_after_s`` timer ends it, whatever the truth behind it; the agent talks, wraps up and is
ready again; a treatment decides what happens to the record.

Two sides never mix. The world (the truth behind each number, the agents' real states, the
switch that routes an answered call to a ready agent) and the OCS, which decides from what it
can know: agent states as the Stat Server reports them (:mod:`dialer.sim.statserver`), its own
calls, lines and list, and the results of its dials. The pacer is built from its settings and
beliefs only (:mod:`dialer.sim.beliefs`) and sees an :class:`~dialer.pacing.base.Observation`.

The model is lean on purpose: no SimPy process per call or agent. Each step of a call is one
Timeout whose callback moves the call on, so a failed dial costs one event and a connected
call three (verdict, end of talk, end of wrap-up). The OCS decides after every change it can
observe. Agent shifts work the same way: one Timeout per group and shift edge logs the group in
or out; an agent busy at the log-out leaves when its call and wrap-up end.

The model computes no statistic and writes no file: it emits every call record and every
agent-state interval to a :class:`~dialer.records.tally.Tally` (and, when asked, to
``on_call`` / ``on_interval``: the record writers). Calls and intervals still open at the
horizon are emitted when the run stops.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy
from simpy.events import NORMAL, Event

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
from dialer.pacing.ages import Ages
from dialer.pacing.base import (
    ABANDONED,
    AGENT_MACHINE,
    CONNECTED,
    DROPPED,
    FAILED,
    FLIGHT_BIN_S,
    HUMAN_VERDICT,
    MACHINE_VERDICT,
    Observation,
    Pacer,
)
from dialer.pacing.modes import make_pacer
from dialer.records.calls import Call
from dialer.records.tally import Tally
from dialer.sim.beliefs import pacer_inputs
from dialer.sim.statserver import SHOWN, AgentView, StatServer
from dialer.sim.truth import (
    GROUP_COLUMNS,
    MACHINE_S,
    PATIENCE_S,
    PREVIEW_S,
    TALK_S,
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

# on_interval(agent, state, start, end, reported): an agent-state interval as it is recorded
IntervalSink = Callable[["Agent", int, float, float, "float | None"], None]


class Step(Event):
    """The model's one kind of event: a timeout that carries its callback and value.

    The hot path of every run (one per step of a call): it is a SimPy Event scheduled with the
    public ``Environment.schedule``, its value and callback set at once, as ``Timeout`` sets
    them; it saves the Timeout's checks and a separate ``callbacks.append``.
    """

    def __init__(self, env: simpy.Environment, delay: float, callback: Callable, value: object):
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True
        env.schedule(self, NORMAL, delay)


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
    )

    def __init__(self, index: int, agent_id: str, group: int):
        self.index = index
        self.agent_id = agent_id
        self.group = group
        self.state = LOGGED_OUT
        self.since = 0.0
        self.report: float | None = 0.0  # when the OCS hears of the current state (None: never)
        self.ready_since = 0.0  # start of the agent's wait for its next connect
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
        on_interval: IntervalSink | None = None,
        trace: Callable[[float, str, object], None] | None = None,
    ):
        self.campaign = campaign
        self.horizon = campaign.horizon_s
        self.env = simpy.Environment()
        self.calendar = Calendar(campaign.start, campaign.site_timezone, campaign.horizon_s)
        self.calling_list = CallingList(campaign, self.calendar)
        self.truth = Truth(campaign)
        self.pacer = pacer if pacer is not None else make_pacer(pacer_inputs(campaign))
        self.tally = Tally(campaign.warmup_s, self.calendar.site_midnights(), campaign.horizon_s)
        self.calling_list.on_finish = lambda record: self.tally.record_finished(self.env.now)
        by_hour = campaign.population.by_hour
        # population.by_hour: per zone, which band of shares holds each moment (None: one band)
        self.bands: dict[str, Bands] | None = None
        if by_hour:
            self.bands = {
                c.zone: Bands(self.calendar, c.zone, list(by_hour))
                for c in self.calling_list.classes
            }
        self._resolved_at = self.truth.resolved_at
        self.on_call = on_call
        self.on_interval = on_interval
        self.trace = trace
        cpd, d = campaign.cpd, campaign.dialing
        self.amd = cpd.amd
        self.fp, self.fn = cpd.amd_false_positive, cpd.amd_false_negative
        self.ring_timeout = cpd.ring_timeout_s
        self.abandon_after = d.abandon_after_s
        self.line_limit = d.lines if d.lines is not None else math.inf
        self.agents = [
            Agent(0, f"{g.name}-{i + 1}", gi)
            for gi, g in enumerate(campaign.agents.groups)
            for i in range(g.count)
        ]
        for i, agent in enumerate(self.agents):
            agent.index = i
        self.group_names = [g.name for g in campaign.agents.groups]
        # the world: agents really ready (longest ready first), the switch's queue of answered
        # calls waiting for an agent, the calls up
        self.ready: dict[Agent, None] = {}
        self.waiting: dict[int, Call] = {}
        self.live: dict[int, Call] = {}
        # the OCS: what the Stat Server has reported, its own dials, lines and previews
        self.stat_server = StatServer(campaign.stat_server, self.calendar, campaign.seed)
        self.stat_server.reset(len(self.agents))
        self.instant_reports = self.stat_server.constant and self.stat_server.delay.mean == 0
        self.instant_reports = self.instant_reports and not self.stat_server.outages
        # the forecasting pacers read busy agents and dials in flight by age (kept only for them)
        ages = getattr(self.pacer, "needs_ages", False)
        self.view = AgentView([a.group for a in self.agents], busy=ages)
        self.ocs_up = True  # the OCS has its Stat Server
        self.previewing = 0
        self.flight = (
            Ages(FLIGHT_BIN_S) if ages else None
        )  # the OCS's dials in flight, by dial time
        # what the OCS sees; its own counters (dials in flight, lines, calls waiting) are kept
        # in it as they change
        self.obs = Observation(len(self.agents), self.view.counts, self.view.busy, self.flight)
        self.obs.line_limit = self.line_limit
        self._lines_since = 0.0  # the instant the line count last changed
        # the pacer's hooks, when it has any (a call to a method that does nothing costs too)
        pacer_cls = type(self.pacer)
        self._on_dial = self.pacer.on_dial if pacer_cls.on_dial is not Pacer.on_dial else None
        self._on_result = (
            self.pacer.on_result if pacer_cls.on_result is not Pacer.on_result else None
        )
        self._decide = self.pacer.decide
        self._next_call_id = 1
        self._wake_at = math.inf
        self._pacing = False
        self._decided_at = -math.inf
        self._dry_until = -math.inf  # before this time (and list version) no record is dialable
        self._dry_version = 0

    # -- running -------------------------------------------------------------------------------
    def run(self) -> Tally:
        if not self.instant_reports:  # the agents' first state (logged out) is reported too
            for agent in self.agents:
                self._report(agent, 0.0)
        self._schedule_shifts()
        for a, b in self.stat_server.outages:
            Step(self.env, a, self._on_outage, False)
            Step(self.env, b, self._on_outage, True)
        if self.pacer.tick_s:
            self._tick(None)
        self.pace()
        self.env.run(until=self.horizon)
        horizon = self.horizon
        self.tally.close(horizon)
        self.tally.lines.held(self.obs.lines_in_use, self._lines_since, horizon)
        for agent in self.agents:  # the intervals still open
            self._record_interval(agent, agent.state, agent.since, horizon, agent.report)
        for call in sorted(self.live.values(), key=lambda c: c.call_id):  # the calls still up
            self._record_call(call)
        return self.tally

    @property
    def outage_s(self) -> float:
        """Seconds after the warm-up during which the OCS had no Stat Server (no new dial)."""
        w = self.campaign.warmup_s
        return sum(max(0.0, b - max(a, w)) for a, b in self.stat_server.outages)

    def _tick(self, event) -> None:
        tick = self.pacer.tick_s
        Step(self.env, tick, self._tick, None)  # type: ignore[arg-type]
        # "at least every tick": a decision taken since the last tick makes this one redundant
        if event is not None and (
            self.pacer.tick_strict or self.env.now - self._decided_at >= tick - 1e-9  # type: ignore[operator]
        ):
            self.pace()

    # -- the records ---------------------------------------------------------------------------
    def _record_call(self, call: Call) -> None:
        self.tally.call(call)
        if self.on_call is not None:
            self.on_call(call)

    def _record_interval(
        self, agent: Agent, state: int, start: float, end: float, report: float | None
    ) -> None:
        known = report
        if self.stat_server.outages:
            known = self.stat_server.first_known(start, end, report)
        if known is not None and known >= self.horizon:
            known = None  # the report would come after the run
        self.tally.interval(state, start, end, known)
        if self.on_interval is not None:
            self.on_interval(agent, state, start, end, known)

    # -- what the OCS sees -----------------------------------------------------------------------
    def observe(self) -> Observation:
        obs = self.obs
        obs.now = self.env.now
        return obs

    def _on_report(self, event) -> None:
        """A Stat Server report reaches the OCS."""
        index, state, since = event.value
        if self.ocs_up and self.view.learn(index, state, since):
            self.pace()

    def _on_outage(self, event) -> None:
        """The OCS loses (False) or gets back (True) its Stat Server; back, it starts from
        fresh states."""
        self.ocs_up = event.value
        if self.ocs_up:
            for agent in self.agents:
                self.view.refresh(agent.index, SHOWN[agent.state], agent.since)
            self.pace()

    def _own(self, agent: Agent, state: int) -> None:
        """An agent state the OCS set itself (a reservation, a preview, a release): it knows."""
        self.view.learn(agent.index, state, self.env.now)

    # -- the OCS loop ------------------------------------------------------------------------------
    def pace(self) -> None:
        """Ask the pacer and place what it asks for (lines and dialable records permitting)."""
        if self._pacing or not self.ocs_up:
            return
        now = self.env.now
        if now < self._dry_until and self.calling_list.version == self._dry_version:
            return  # nothing can be dialed before then: no decision to take (VICIdial: empty hopper)
        self._pacing = True
        self._decided_at = now
        try:
            if self.pacer.reserve is not None:
                self._pace_reserved()
                return
            obs = self.obs
            obs.now = now
            n = self._decide(obs)
            while n > 0 and obs.lines_in_use < self.line_limit:
                record = self.calling_list.next_record(now)
                if record is None:
                    self._wake_later()
                    break
                self._dial(record, None)
                n -= 1
        finally:
            self._pacing = False

    def _pace_reserved(self) -> None:
        """Progressive and preview: one record and one reserved agent at a time, for each agent
        the Stat Server shows ready (longest ready first)."""
        now = self.env.now
        preview = self.pacer.reserve == "preview"
        view = self.view
        while self.obs.lines_in_use + self.previewing < self.line_limit:
            index = view.longest_ready()
            if index is None:
                return
            agent = self.agents[index]
            if agent.state != READY:
                # the report was stale: the reservation is refused, and the OCS asks the Stat
                # Server for the agent's state
                view.refresh(index, SHOWN[agent.state], agent.since)
                continue
            record = self.calling_list.next_record(now)
            if record is None:
                self._wake_later()
                return
            del self.ready[agent]
            if preview:
                self.previewing += 1
                self._set_state(agent, PREVIEW)
                self._own(agent, PREVIEW)
                row = self.truth.row(record.key, record.attempt + 1)
                Step(self.env, row[PREVIEW_S], self._on_preview_end, (record, agent))
            else:
                self._set_state(agent, RESERVED)
                self._own(agent, RESERVED)
                self._dial(record, agent)

    def _wake_later(self) -> None:
        """No record is dialable now: note until when (unless a record is rescheduled), and
        wake up then."""
        now = self.env.now
        at = self.calling_list.next_change(now)
        self._dry_until = math.inf if at is None else at
        self._dry_version = self.calling_list.version
        if at is None or at >= self._wake_at or at <= now:
            return
        self._wake_at = at
        Step(self.env, at - now, self._on_wake, at)

    def _on_wake(self, event) -> None:
        if event.value == self._wake_at:
            self._wake_at = math.inf
        self._dry_until = -math.inf  # a wake-up always looks again (and schedules the next one)
        self.pace()

    def _on_preview_end(self, event) -> None:
        record, agent = event.value
        self.previewing -= 1
        now = self.env.now
        if not self.calling_list.dialable(record, now):
            # the record's window closed while the agent read it: it waits for the next one
            self.calling_list.put_back(record, now)
            self._release(agent)
            self.pace()
            return
        self._set_state(agent, RESERVED)
        self._own(agent, RESERVED)
        self._dial(record, agent)

    def _release(self, agent: Agent) -> None:
        """The OCS gives back an agent it had reserved (or handed a preview)."""
        self._agent_ready(agent)
        if agent.state == READY:
            self._own(agent, READY)

    # -- a dial's life -------------------------------------------------------------------------------
    def _dial(self, record, agent: Agent | None) -> None:
        now = self.env.now
        self.calling_list.dialing(record)
        record.attempt += 1
        call = Call(self._next_call_id, record, record.attempt, now)
        self._next_call_id += 1
        call.reserved_by = agent
        obs = self.obs
        lines = obs.lines_in_use
        if now != self._lines_since:  # the count the last instant settled at, held until now
            self.tally.lines.held(lines, self._lines_since, now)
            self._lines_since = now
        obs.lines_in_use = lines + 1
        obs.in_flight += 1
        if self.flight is not None:
            self.flight.add(now)
        self.live[call.call_id] = call
        if self._on_dial is not None:
            self._on_dial(now)

        truth = self.truth
        row = truth.row(record.key, record.attempt)
        call.row = row
        kind: int
        verdict: int
        if self.bands is None:  # resolved with the row's block
            at = self._resolved_at
            kind, verdict, delay, answer = row[at : at + 4]
        else:
            kind, verdict, delay, answer = truth.resolve(row, self.bands[record.zone].at(now))
        if answer >= 0:
            call.answered_at = now + answer
        call.truth = kind
        call.verdict = verdict
        if self.trace is not None:
            self.trace(now, "dial", call)
        Step(self.env, delay, self._on_verdict, call)

    def _on_verdict(self, event) -> None:
        call: Call = event.value
        now = self.env.now
        call.verdict_at = now
        self.obs.in_flight -= 1
        if self.flight is not None:
            self.flight.remove(call.dialed_at)
        if self.trace is not None:
            self.trace(now, "verdict", call)
        on_result = self._on_result
        if call.verdict == HUMAN:
            if on_result is not None:
                on_result(now, HUMAN_VERDICT, now - call.dialed_at)
            agent = call.reserved_by
            if agent is None and self.ready:
                agent = next(iter(self.ready))
                del self.ready[agent]
            if agent is not None:
                self._connect(call, agent)
            else:
                self._wait(call)
        else:
            self._end(call, _RESULT_OF_VERDICT[call.verdict])
            if on_result is not None:
                on_result(
                    now,
                    MACHINE_VERDICT if call.verdict in (MACHINE, FAX) else FAILED,
                    now - call.dialed_at,
                )
            if call.reserved_by is not None:
                self._release(call.reserved_by)
        self.pace()

    def _wait(self, call: Call) -> None:
        """No agent is free: the call waits until an agent takes it, the person hangs up (their
        patience: Abandoned) or the OCS's abandon_after_s timer ends it (Dropped)."""
        patience = call.row[PATIENCE_S] if call.truth == HUMAN else math.inf
        if patience < self.abandon_after:
            limit, result = patience, "abandoned"
        else:
            limit, result = self.abandon_after, "dropped"
        if limit <= 0:
            self._unanswered(call, result)
            return
        call.waiting = True
        self.waiting[call.call_id] = call
        self.obs.waiting += 1
        Step(self.env, limit, self._on_give_up, (call, result))

    def _on_give_up(self, event) -> None:
        call, result = event.value
        if not call.waiting:
            return  # an agent took it in time
        call.waiting = False
        del self.waiting[call.call_id]
        self.obs.waiting -= 1
        self._unanswered(call, result)
        self.pace()

    def _unanswered(self, call: Call, result: str) -> None:
        call.unanswered = True
        now = self.env.now
        if self.trace is not None:
            self.trace(now, "abandon" if result == "abandoned" else "drop", call)
        self._end(call, result)
        if self._on_result is not None:
            self._on_result(
                now, ABANDONED if result == "abandoned" else DROPPED, now - call.dialed_at
            )

    def _connect(self, call: Call, agent: Agent) -> None:
        now = self.env.now
        call.connected_at = now
        call.agent = agent.agent_id
        agent.call = call
        base = GROUP_COLUMNS + 3 * agent.group
        if call.truth == HUMAN:
            call.agent_wait = now - agent.ready_since
            self._set_state(agent, TALKING)
            Step(self.env, call.row[base + TALK_S], self._on_talk_end, agent)
        else:
            self._set_state(agent, ON_MACHINE)  # the Stat Server shows it as talking
            Step(self.env, call.row[base + MACHINE_S], self._on_machine_end, agent)
        if self.trace is not None:
            self.trace(now, "connect", call)
        if self._on_result is not None:
            self._on_result(now, CONNECTED, now - call.dialed_at)

    def _on_talk_end(self, event) -> None:
        agent: Agent = event.value
        call = agent.call
        assert call is not None
        self._end(call, "answer")
        self._set_state(agent, WRAP_UP)
        Step(self.env, call.row[GROUP_COLUMNS + 3 * agent.group + WRAP_S], self._on_wrap_end, agent)
        agent.call = None
        self.pace()

    def _on_wrap_end(self, event) -> None:
        agent: Agent = event.value
        agent.ready_since = self.env.now
        self._agent_ready(agent)
        self.pace()

    def _on_machine_end(self, event) -> None:
        """The agent dispositions the call as an answering machine."""
        agent: Agent = event.value
        call = agent.call
        assert call is not None
        agent.call = None
        now = self.env.now
        self._end(call, "answering_machine")
        if self._on_result is not None:
            self._on_result(now, AGENT_MACHINE, now - call.dialed_at)
        self._agent_ready(agent)
        self.pace()

    def _end(self, call: Call, result: str) -> None:
        now = self.env.now
        call.ended_at = now
        call.result = RESULT_CODES[result]
        obs = self.obs
        lines = obs.lines_in_use
        if now != self._lines_since:  # the count the last instant settled at, held until now
            self.tally.lines.held(lines, self._lines_since, now)
            self._lines_since = now
        obs.lines_in_use = lines - 1
        del self.live[call.call_id]
        self._record_call(call)
        self.calling_list.result(call.record, result, now)
        if self.trace is not None:
            self.trace(now, "end", call)

    # -- agents ------------------------------------------------------------------------------------
    def _set_state(self, agent: Agent, state: int) -> None:
        """The agent's state changes: its last interval is recorded and the change reported."""
        now = self.env.now
        self._record_interval(agent, agent.state, agent.since, now, agent.report)
        agent.state = state
        agent.since = now
        if self.instant_reports:
            agent.report = now
            self.view.learn(agent.index, SHOWN[state], now)
        else:
            self._report(agent, now)
        if self.trace is not None:
            self.trace(now, AGENT_STATE_NAMES[state], agent)

    def _report(self, agent: Agent, now: float) -> None:
        """The Stat Server reports the agent's new state (late, or never in an outage)."""
        at = self.stat_server.report_time(agent.index, now)
        agent.report = at
        if at is not None:
            Step(self.env, at - now, self._on_report, (agent.index, SHOWN[agent.state], now))

    def _schedule_shifts(self) -> None:
        """Log each group in now or at its shift starts, and out at its shift ends."""
        horizon = self.horizon
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
                    Step(self.env, login, self._on_login, gi)
                if logout < horizon:
                    Step(self.env, logout, self._on_logout, gi)

    def _on_login(self, event) -> None:
        now = self.env.now
        for agent in self._members[event.value]:
            if agent.leaving:
                agent.leaving = False  # back on shift before its last call ended
            elif agent.state == LOGGED_OUT:
                agent.ready_since = now
                self._agent_ready(agent)
        self.pace()

    def _on_logout(self, event) -> None:
        for agent in self._members[event.value]:
            if agent.state == READY:
                del self.ready[agent]
                self._set_state(agent, LOGGED_OUT)
            elif agent.state != LOGGED_OUT:
                agent.leaving = True

    def _agent_ready(self, agent: Agent) -> None:
        """The agent is free: take the longest-waiting call, or join the ready agents."""
        if agent.leaving:
            agent.leaving = False
            self._set_state(agent, LOGGED_OUT)
            return
        if self.waiting:
            call = next(iter(self.waiting.values()))
            del self.waiting[call.call_id]
            self.obs.waiting -= 1
            call.waiting = False
            self._connect(call, agent)
            return
        self._set_state(agent, READY)
        self.ready[agent] = None
