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
    NO_FREE_PORT,
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
from dialer.records.daycounts import DayCounts
from dialer.records.tally import Tally
from dialer.sim.beliefs import pacer_inputs
from dialer.sim.ports import Ports, Waiting
from dialer.sim.statserver import SHOWN, AgentView, StatServer
from dialer.sim.truth import (
    GROUP_COLUMNS,
    MACHINE_S,
    PATIENCE_S,
    PREVIEW_S,
    TALK_S,
    WRAP_S,
    Asks,
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


def _verdict_age(call: Call) -> float:
    """Seconds from the dial to its CPD verdict (of a call that has one)."""
    assert call.verdict_at is not None
    return call.verdict_at - call.dialed_at


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
        "engaged",
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
        self.engaged = False  # ASM: on an engaging call, ready to be bridged at once


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
        self._init_day(campaign)

    def _init_day(self, campaign: Campaign) -> None:
        """The day as it happens (issue 12): what persons ask agents for, the call records'
        day columns, CPD ports, the transfer delay or ASM's engaging ports, IVR ports."""
        cpd, d, pop, warmup = campaign.cpd, campaign.dialing, campaign.population, campaign.warmup_s
        self.asks = Asks(campaign)
        self.asking = pop.dnc_request > 0 or pop.callback_request > 0
        self.day = DayCounts(warmup, campaign.callbacks.on_time_s)
        self.cpd_ports = Ports(cpd.ports, warmup)  # limited ones (cpd.ports)
        self.cpd_limited = cpd.ports is not None
        # the OCS places a dial at once, or (cpd.ports) when a CPD port is free
        self.place: Callable = self._place_with_port if self.cpd_limited else self._dial
        # dials in call-progress analysis (a CPD port each), counted as the lines are: the
        # count after each instant's changes, after the warm-up, makes the peak
        self._cpd_n, self._cpd_since, self._cpd_peak, self._warmup = 0, 0.0, 0, warmup
        self.port_wait = cpd.port_wait_s
        self.port_queue = 0  # dials waiting for a CPD port (they count in flight)
        self.transfer = 0.0 if d.asm else d.transfer_delay_s
        self.engaging = Ports(cpd.engage_ports, warmup) if d.asm else None
        self.engage_time = cpd.engage_time_s
        self.ivr = Ports(campaign.ivr.ports, warmup) if campaign.agentless else None
        if campaign.ivr.ports is not None:
            self.obs.ivr_free = campaign.ivr.ports
        self.agent_by_id = {a.agent_id: a for a in self.agents}
        calls = self.calling_list
        # the day's columns are folded only when something can fill them
        self.day_on = bool(
            self.asking
            or calls.dynamic_dnc
            or calls.callbacks.pending
            or self.cpd_limited
            or self.ivr is not None
        )

    @property
    def peak_cpd_ports(self) -> int:
        """The most dials in call-progress analysis at once after the warm-up (after the run)."""
        return self._cpd_peak

    # -- running -------------------------------------------------------------------------------
    def run(self) -> Tally:
        if not self.instant_reports:  # the agents' first state (logged out) is reported too
            for agent in self.agents:
                self._report(agent, 0.0)
        self._schedule_shifts()
        for at in self.calling_list.callback_edges(0.0):  # the callbacks a list file holds
            self._callback_alarm(at)
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
        if horizon > self._warmup and self._cpd_n > self._cpd_peak:
            self._cpd_peak = self._cpd_n
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
        if call.result != NO_FREE_PORT:  # a dial that found no CPD port is no dial
            self.tally.call(call)
        if self.day_on:
            self.day.call(call)
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
        if self.calling_list.callbacks.pending:
            self._pacing = True
            try:
                self._pace_callbacks()
            finally:
                self._pacing = False
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
            while n > 0 and obs.lines_in_use + self.port_queue < self.line_limit:
                record = self.calling_list.next_record(now)
                if record is None:
                    self._wake_later()
                    break
                self.place(record, None)
                n -= 1
        finally:
            self._pacing = False

    def _pace_reserved(self) -> None:
        """Progressive and preview: one record and one reserved agent at a time, for each agent
        the Stat Server shows ready (longest ready first)."""
        now = self.env.now
        preview = self.pacer.reserve == "preview"
        view = self.view
        while self.obs.lines_in_use + self.previewing + self.port_queue < self.line_limit:
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
            self._hand(agent, record, preview)

    def _hand(self, agent: Agent, record, preview: bool) -> None:
        """Give a ready agent a record: a preview to read and dial, or a dial reserved for it."""
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
            self.place(record, agent)

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
        if self.calling_list.dnc_stops(record, now):  # an opt-out while the agent read it
            self._release(agent)
            self.pace()
            return
        if not self.calling_list.dialable(record, now):
            # the record's window closed while the agent read it: it waits for the next one
            self.calling_list.put_back(record, now)
            self._release(agent)
            self.pace()
            return
        self._set_state(agent, RESERVED)
        self._own(agent, RESERVED)
        self.place(record, agent, True)

    def _release(self, agent: Agent) -> None:
        """The OCS gives back an agent it had reserved (or handed a preview)."""
        self._agent_ready(agent)
        if agent.state == READY:
            self._own(agent, READY)

    # -- a dial's life -------------------------------------------------------------------------------
    def _dial(
        self,
        record,
        agent: Agent | None,
        own: bool = False,
        port_wait: float | None = None,
        waited: bool = False,
    ) -> None:
        """The dial, with its CPD port (``port_wait``: how long it waited for it; ``waited``: it
        counted in flight while it waited); ``own``: dialed by its agent after a preview."""
        now = self.env.now
        calling_list = self.calling_list
        calling_list.dialing(record)
        record.attempt += 1
        call = Call(self._next_call_id, record, record.attempt, now)
        self._next_call_id += 1
        call.reserved_by = agent
        call.own_dial = own
        call.port_wait = port_wait
        if calling_list.dynamic_dnc or record.callback_kind:
            call.opted_out, call.callback, call.callback_due = calling_list.dial_note(record, now)
        obs = self.obs
        lines = obs.lines_in_use
        if now != self._lines_since:  # the count the last instant settled at, held until now
            self.tally.lines.held(lines, self._lines_since, now)
            self._lines_since = now
        obs.lines_in_use = lines + 1
        cpd = self._cpd_n
        if now != self._cpd_since:
            if cpd > self._cpd_peak and now > self._warmup:
                self._cpd_peak = cpd
            self._cpd_since = now
        self._cpd_n = cpd + 1
        if not waited:
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
        cpd = self._cpd_n
        if now != self._cpd_since:
            if cpd > self._cpd_peak and now > self._warmup:
                self._cpd_peak = cpd
            self._cpd_since = now
        self._cpd_n = cpd - 1
        if self.cpd_limited:
            waiting_dial = self.cpd_ports.release(now)
            if waiting_dial is not None:
                self._port_granted(waiting_dial)
        on_result = self._on_result
        if self.ivr is not None and call.verdict in (HUMAN, MACHINE):
            if on_result is not None:
                verdict = HUMAN_VERDICT if call.verdict == HUMAN else MACHINE_VERDICT
                on_result(now, verdict, now - call.dialed_at)
            self._play(call)
        elif call.verdict == HUMAN:
            if on_result is not None:
                on_result(now, HUMAN_VERDICT, now - call.dialed_at)
            if self.transfer and not call.own_dial and self.transfer > self._limit(call)[0]:
                self._lost(call)  # routing alone takes longer than the call can wait
                self.pace()
                return
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

    def _limit(self, call: Call) -> tuple[float, str]:
        """How long the call classified human can go without an agent, and how it ends then:
        Abandoned when the person hangs up first (patience), Dropped when the OCS's timer ends it."""
        patience = call.row[PATIENCE_S] if call.truth == HUMAN else math.inf
        if patience < self.abandon_after:
            return patience, "abandoned"
        return self.abandon_after, "dropped"

    def _wait(self, call: Call) -> None:
        """No agent is free: the call waits until an agent takes it, the person hangs up (their
        patience: Abandoned) or the OCS's abandon_after_s timer ends it (Dropped). With a
        transfer delay an agent must take it early enough for the transfer to end in time."""
        limit, result = self._limit(call)
        if limit <= 0:
            self._unanswered(call, result)
            return
        transfer = 0.0 if call.own_dial else self.transfer
        call.waiting = True
        self.waiting[call.call_id] = call
        self.obs.waiting += 1
        Step(self.env, limit - transfer, self._on_give_up, (call, result, transfer))

    def _on_give_up(self, event) -> None:
        call, result, transfer = event.value
        if not call.waiting:
            return  # an agent took it in time
        call.waiting = False
        del self.waiting[call.call_id]
        self.obs.waiting -= 1
        if transfer:  # too late for a transfer to end in time: it ends unanswered at its limit
            Step(self.env, transfer, self._on_lost, (call, result))
            return
        self._unanswered(call, result)
        self.pace()

    def _lost(self, call: Call) -> None:
        """No transfer could reach the person in time: the call ends unanswered at its limit
        (a reserved agent waits for it until then)."""
        limit, result = self._limit(call)
        Step(self.env, limit, self._on_lost, (call, result))

    def _on_lost(self, event) -> None:
        call, result = event.value
        self._unanswered(call, result)
        if call.reserved_by is not None:
            self._release(call.reserved_by)
        self.pace()

    def _unanswered(self, call: Call, result: str) -> None:
        call.unanswered = True
        now = self.env.now
        if self.trace is not None:
            self.trace(now, "abandon" if result == "abandoned" else "drop", call)
        self._end(call, result)
        if self._on_result is not None:
            self._on_result(
                now,
                ABANDONED if result == "abandoned" else DROPPED,
                _verdict_age(call),
            )

    def _connect(self, call: Call, agent: Agent) -> None:
        if self.transfer and not call.own_dial:
            # transfer mode: the switch routes the call; the agent, seized now, is reserved
            # until the person hears it transfer_delay_s later
            agent.call = call
            if agent.state != RESERVED:
                self._set_state(agent, RESERVED)
            Step(self.env, self.transfer, self._on_transferred, (call, agent))
            return
        self._bridge(call, agent)

    def _on_transferred(self, event) -> None:
        call, agent = event.value
        self._bridge(call, agent)

    def _bridge(self, call: Call, agent: Agent) -> None:
        """The person (or a machine CPD passed) and the agent are connected."""
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
            self._on_result(now, CONNECTED, _verdict_age(call))

    def _on_talk_end(self, event) -> None:
        agent: Agent = event.value
        call = agent.call
        assert call is not None
        if self.asking:  # what the person asks the agent for before hanging up
            call.asked, call.asked_delay = self.asks.request(call.record.key, call.attempt)
        self._end(call, "answer")
        if agent.engaged:
            self._disengage(agent)
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
            self._on_result(now, AGENT_MACHINE, _verdict_age(call))
        if agent.engaged:
            self._disengage(agent)
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
        asked = (call.asked, call.asked_delay, call.agent) if call.asked else None
        for at in self.calling_list.result(call.record, result, now, asked):
            self._callback_alarm(at)  # a callback asked for: its time, hand-over and miss
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
                if agent.engaged:
                    self._disengage(agent)
                self._set_state(agent, LOGGED_OUT)
            elif agent.state != LOGGED_OUT:
                agent.leaving = True

    def _agent_ready(self, agent: Agent) -> None:
        """The agent is free: take the longest-waiting call, or join the ready agents."""
        if agent.leaving:
            agent.leaving = False
            if agent.engaged:
                self._disengage(agent)
            self._set_state(agent, LOGGED_OUT)
            return
        if self.engaging is not None and not agent.engaged:
            self._engage(agent)  # ASM: no call reaches an agent before its engaging call
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

    # -- the day as it happens (issue 12) ----------------------------------------------------------
    def _callback_alarm(self, at: float) -> None:
        """Wake the OCS at ``at``: a callback's time, hand-over or miss."""
        now = self.env.now
        if at < self.horizon:
            Step(self.env, max(at - now, 0.0), self._on_callback_edge, None)

    def _on_callback_edge(self, event) -> None:
        self.calling_list.update(self.env.now)
        self._dry_until = -math.inf
        self.pace()

    def _pace_callbacks(self) -> None:
        """Due callbacks first: a personal callback goes to its own agent when the Stat Server
        shows it ready (a dial reserved for it, or a preview with callbacks.dial: preview);
        with callbacks.dial: preview, a campaign callback goes to the longest-ready agent as a
        preview (with predictive, the list gives campaign callbacks to the pacing first)."""
        calling_list, now, view = self.calling_list, self.env.now, self.view
        preview = calling_list.callbacks.preview
        for record in calling_list.due_personal(now):
            if self.obs.lines_in_use + self.previewing + self.port_queue >= self.line_limit:
                return
            agent = self.agent_by_id.get(record.agent_id or "")
            if agent is None or view.state[agent.index] != READY:
                continue
            if agent.state != READY:  # a stale report: the OCS asks again
                view.refresh(agent.index, SHOWN[agent.state], agent.since)
                continue
            if calling_list.take_callback(record, now):
                self._hand(agent, record, preview)
        while preview and self.obs.lines_in_use + self.previewing + self.port_queue < (
            self.line_limit
        ):
            index = view.longest_ready()
            if index is None:
                return
            agent = self.agents[index]
            if agent.state != READY:
                view.refresh(index, SHOWN[agent.state], agent.since)
                continue
            callback = calling_list.next_callback(now)
            if callback is None:
                return
            self._hand(agent, callback, True)

    def _place_with_port(self, record, agent: Agent | None, own: bool = False) -> None:
        """cpd.ports: the OCS places a dial when a CPD port is free, and waits for one (first
        come, first served) up to cpd.port_wait_s, counted in flight meanwhile."""
        now = self.env.now
        ports = self.cpd_ports
        if ports.take(now):
            self._dial(record, agent, own, 0.0)
            return
        waiting = ports.wait((record, agent, own), now)
        self.port_queue += 1
        self.obs.in_flight += 1
        Step(self.env, self.port_wait, self._on_port_timeout, waiting)

    def _port_granted(self, waiting: Waiting | None) -> None:
        """A CPD port freed: the first dial waiting for it goes out now (unless an opt-out the
        OCS learned of meanwhile stops it: the port goes on to the next)."""
        now = self.env.now
        while waiting is not None:
            self.port_queue -= 1
            record, agent, own = waiting.item
            if not self.calling_list.dnc_stops(record, now):
                self._dial(record, agent, own, now - waiting.since, waited=True)
                return
            self.obs.in_flight -= 1
            if agent is not None:
                self._release(agent)
            waiting = self.cpd_ports.release(now)

    def _on_port_timeout(self, event) -> None:
        """No CPD port within cpd.port_wait_s: Genesys 44 No Free Port Error. A call record
        (no dial: no line, no truth, no attempt); the record is due again at once."""
        waiting: Waiting = event.value
        if not waiting.waiting:
            return  # it got a port in time
        waiting.waiting = False
        self.port_queue -= 1
        self.obs.in_flight -= 1
        record, agent, _ = waiting.item
        now = self.env.now
        call = Call(self._next_call_id, record, record.attempt + 1, waiting.since)
        self._next_call_id += 1
        call.result = NO_FREE_PORT
        call.ended_at = now
        call.port_wait = now - waiting.since
        if self.trace is not None:
            self.trace(now, "no_port", call)
        self._record_call(call)
        self.calling_list.port_failed(record, now)
        if agent is not None:
            self._release(agent)
        self.pace()

    def _engage(self, agent: Agent) -> None:
        """ASM: the OCS engages a free agent on an engaging port (reserved meanwhile; it waits
        for a port when none is free)."""
        now = self.env.now
        if agent.state != RESERVED:
            self._set_state(agent, RESERVED)
            self._own(agent, RESERVED)
        assert self.engaging is not None
        if self.engaging.take(now):
            Step(self.env, self.engage_time, self._on_engaged, agent)
        else:
            self.engaging.wait(agent, now)

    def _on_engaged(self, event) -> None:
        agent: Agent = event.value
        agent.engaged = True
        self._agent_ready(agent)
        if agent.state == READY:
            self._own(agent, READY)
        self.pace()

    def _disengage(self, agent: Agent) -> None:
        """The agent's engaging call ends (its call is over, or it logs out): the port goes to
        the next agent waiting for one."""
        agent.engaged = False
        assert self.engaging is not None
        waiting = self.engaging.release(self.env.now)
        if waiting is not None:
            Step(self.env, self.engage_time, self._on_engaged, waiting.item)

    def _play(self, call: Call) -> None:
        """Agentless modes: the answer hears the IVR message on a free port (a machine, CPD's
        machine message), or is dropped when every port is playing."""
        now = self.env.now
        assert self.ivr is not None
        if not self.ivr.take(now):
            call.message = "none"
            self._unanswered(call, "dropped")
            return
        self.obs.ivr_free -= 1
        machine = call.verdict == MACHINE
        call.message = "machine" if machine else "person"
        call.connected_at = now
        if self.trace is not None:
            self.trace(now, "message", call)
        length = self.asks.message_s(call.record.key, call.attempt, machine)
        Step(self.env, length, self._on_message_end, call)

    def _on_message_end(self, event) -> None:
        call: Call = event.value
        assert self.ivr is not None
        self.ivr.release(self.env.now)
        self.obs.ivr_free += 1
        self._end(call, "answering_machine" if call.message == "machine" else "answer")
        self.pace()
