"""One campaign as the OCS runs it in the centre (a Genesys campaign group): the dial's life.

A dial's life (design.md section 3): the pacer asks for n dials; the OCS takes the next
dialable records and seizes a line for each; the outcome arrives after its own delay (busy and
SIT after a few seconds, a person or a machine at its answer time, nothing at the ring
timeout); with AMD on, CPD takes its detection time and says human or machine, wrongly now and
then; a call classified human takes a ready agent of the campaign at once or waits; if no agent
takes it, it ends as Abandoned when the person hangs up first (their patience) and as Dropped
when the OCS's ``abandon_after_s`` timer ends it, whatever the truth behind it; the agent talks,
wraps up and is free again; a treatment decides what happens to the record.

A :class:`CampaignGroup` holds what is the campaign's own: its calling list and the truth
behind its numbers, its pacer and what the OCS knows for it (the Stat Server's view of the
agents assigned to it, its dials in flight, lines and calls waiting), its agents really ready
and its answered calls waiting (the switch's side). What is the centre's (the agents, their
states and assignment, the trunk, the queues, the blending rules) is :class:`~dialer.sim.model.
Model`'s, which every group shares. A single-campaign run is a centre of one group that owns
every agent (``alone``): its hot path is the lean one, with none of the centre's rules.
"""

from __future__ import annotations

import math
from typing import Any

from dialer.centre import Role
from dialer.clock import Bands
from dialer.codes import BUSY as BUSY_OUTCOME
from dialer.codes import (
    FAX,
    HUMAN,
    LOGGED_OUT,
    MACHINE,
    NO_FREE_PORT,
    ON_MACHINE,
    PREVIEW,
    READY,
    RESERVED,
    RESULT_CODES,
    TALKING,
    WRAP_UP,
)
from dialer.codes import INVALID as INVALID_OUTCOME
from dialer.codes import NO_ANSWER as NO_ANSWER_OUTCOME
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
from dialer.records.centre import WorkTime
from dialer.records.daycounts import DayCounts
from dialer.records.tally import Tally
from dialer.sim.beliefs import pacer_inputs
from dialer.sim.core import Agent, Step
from dialer.sim.ports import Ports, Waiting
from dialer.sim.statserver import SHOWN, AgentView
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
    BUSY_OUTCOME: "busy",
    NO_ANSWER_OUTCOME: "no_answer",
    INVALID_OUTCOME: "invalid",
}


def _verdict_age(call: Call) -> float:
    """Seconds from the dial to its CPD verdict (of a call that has one)."""
    assert call.verdict_at is not None
    return call.verdict_at - call.dialed_at


class CampaignGroup:
    """One campaign in the centre: its list, truth, pacer, view and calls (see the module doc)."""

    def __init__(self, model: Any, index: int, role: Role, pacer: Pacer | None = None):
        campaign = role.campaign
        self.model = model
        self.env = model.env
        self.index = index
        self.name = role.name
        self.role = role
        self.campaign = campaign
        self.alone = model.single
        self.trace = model.trace
        self.calling_list = CallingList(campaign, model.calendar)
        self.truth = Truth(campaign)
        self.pacer = pacer if pacer is not None else make_pacer(pacer_inputs(campaign))
        self.tally = Tally(campaign.warmup_s, model.calendar.site_midnights(), campaign.horizon_s)
        self.calling_list.on_finish = self._finished
        self.work = WorkTime(campaign.warmup_s, len(model.layout.campaigns), campaign.horizon_s)
        by_hour = campaign.population.by_hour
        # population.by_hour: per zone, which band of shares holds each moment (None: one band)
        self.bands: dict[str, Bands] | None = None
        if by_hour:
            self.bands = {
                c.zone: Bands(model.calendar, c.zone, list(by_hour))
                for c in self.calling_list.classes
            }
        self._resolved_at = self.truth.resolved_at
        cpd, d = campaign.cpd, campaign.dialing
        self.amd = cpd.amd
        self.abandon_after = d.abandon_after_s
        # lines: its own (dialing.lines, or the trunk's share under dynamic allocation)
        self.line_limit = d.lines if d.lines is not None else math.inf
        self.unmet = 0  # dials it wanted at its last decision and found no line for
        # the centre's groups it dials for, as its own (local) group indices: truth columns
        self.local = {g: i for i, g in enumerate(role.groups)}
        self.active = True
        # the world: its agents really ready (longest ready first), its answered calls waiting
        # for an agent, its calls up
        self.ready: dict[Agent, None] = {}
        self.waiting: dict[int, Call] = {}
        self.live: dict[int, Call] = {}
        # the OCS: what the Stat Server has reported of the agents assigned to it (an agent
        # assigned elsewhere shows as logged out), its own dials, lines and previews
        ages = getattr(self.pacer, "needs_ages", False)
        local = [self.local.get(a.group, 0) for a in model.agents]
        self.view = AgentView(
            local, busy=ages, by_group=not self.alone, ngroups=len(campaign.agents.groups)
        )
        self.previewing = 0
        self.flight = Ages(FLIGHT_BIN_S) if ages else None  # its dials in flight, by dial time
        n = len(model.agents)
        self.obs = Observation(n, self.view.counts, self.view.busy, self.flight)
        self.obs.line_limit = self.line_limit
        # in a centre, the pacer is shown the view with the blending rules applied (shown())
        self.shown_obs = Observation(n, [0] * 7, self.view.busy, self.flight)
        self.shared_local: list[int] = []  # its groups that also answer queues (set by the model)
        self.queues_served: list = []  # the queues its shared groups answer (set by the model)
        self._lines_since = 0.0  # the instant the line count last changed
        # the pacer's hooks, when it has any (a call to a method that does nothing costs too)
        pacer_cls = type(self.pacer)
        self._on_dial = self.pacer.on_dial if pacer_cls.on_dial is not Pacer.on_dial else None
        self._on_result = (
            self.pacer.on_result if pacer_cls.on_result is not Pacer.on_result else None
        )
        self._decide = self.pacer.decide
        self._set_state = model._set_state
        self.call_ids = model.call_ids  # one numbering for the centre's calls
        self.on_call = model.on_call
        self.up = True  # the OCS has its Stat Server (the model's, kept here for the hot path)
        # an agent ends a call: it is free (and the threshold rule may decide)
        self._call_done = model.call_done
        self._wake_at = math.inf
        self._pacing = False
        self._decided_at = -math.inf
        self._dry_until = -math.inf  # before this time (and list version) no record is dialable
        self._dry_version = 0
        # a pacer of the threshold rule decides only at its own moments; a forecasting pacer
        # counts inbound callers waiting as demand (a pacer given in code may have neither)
        self.moments = getattr(self.pacer, "at_agent_free", False)
        self.counts_inbound = getattr(self.pacer, "counts_inbound", False)
        if self.moments:
            self.pace = _no_decision  # type: ignore[method-assign]
        # what follows an event: a decision for this campaign alone, or for every campaign
        self.after = self.pace if self.alone else model.pace_all
        self._init_day(campaign)

    def _init_day(self, campaign) -> None:
        """The day as it happens (issue 12): what persons ask agents for, the call records'
        day columns, CPD ports, the transfer delay or ASM's engaging ports, IVR ports."""
        cpd, d, pop, warmup = campaign.cpd, campaign.dialing, campaign.population, campaign.warmup_s
        self.asks = Asks(campaign)
        self.asking = pop.dnc_request > 0 or pop.callback_request > 0
        self.day = DayCounts(warmup, campaign.callbacks.on_time_s)
        self.cpd_ports = Ports(cpd.ports, warmup)  # limited ones (cpd.ports)
        self.cpd_limited = cpd.ports is not None
        # the OCS places a dial at once, or (cpd.ports) when a CPD port is free
        self.place = self._place_with_port if self.cpd_limited else self._dial
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
            self.shown_obs.ivr_free = campaign.ivr.ports
        self.agent_by_id = self.model.agent_by_id
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

    def close(self, horizon: float) -> None:
        """The run stops: the counts still open are settled."""
        self.tally.close(horizon)
        self.tally.lines.held(self.obs.lines_in_use, self._lines_since, horizon)
        if horizon > self._warmup and self._cpd_n > self._cpd_peak:
            self._cpd_peak = self._cpd_n

    # -- the records ---------------------------------------------------------------------------
    def _record_call(self, call: Call) -> None:
        if call.result != NO_FREE_PORT:  # a dial that found no CPD port is no dial
            self.tally.call(call)
            if not self.alone:
                self.model.tally.call(call)
        if self.day_on:
            self.day.call(call)
        if self.on_call is not None:
            self.on_call(call)

    def _finished(self, record) -> None:
        """A record of its list was finished (by the clock: list penetration over time)."""
        now = self.env.now
        self.tally.record_finished(now)
        if not self.alone:
            self.model.tally.record_finished(now)

    def has_work(self, now: float) -> bool:
        """Whether the campaign wants agents now: active, with a record it could dial."""
        return self.active and not (
            now < self._dry_until and self.calling_list.version == self._dry_version
        )

    def _tick(self, event) -> None:
        tick = self.pacer.tick_s
        Step(self.env, tick, self._tick, None)  # type: ignore[arg-type]
        # "at least every tick": a decision taken since the last tick makes this one redundant
        if event is not None and (
            self.pacer.tick_strict or self.env.now - self._decided_at >= tick - 1e-9  # type: ignore[operator]
        ):
            self.pace()

    # -- the OCS loop ------------------------------------------------------------------------------
    def pace(self) -> None:
        """Ask the pacer and place what it asks for (lines and dialable records permitting)."""
        if self._pacing or not self.up:
            return
        now = self.env.now
        model = self.model
        if not self.alone and (not self.active or not model.enough_free()):
            return
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
                if self.alone:
                    self._pace_reserved()
                else:
                    self._pace_reserved_shared()
                return
            obs = self.obs
            obs.now = now
            if self.alone:
                n = self._decide(obs)
                while n > 0 and obs.lines_in_use + self.port_queue < self.line_limit:
                    record = self.calling_list.next_record(now)
                    if record is None:
                        self._wake_later()
                        break
                    self.place(record, None)
                    n -= 1
                return
            n = self._decide(self.shown(now))
            self.unmet = 0
            while n > 0:
                if obs.lines_in_use + self.port_queue >= self.line_limit or not model.trunk_room():
                    self.unmet = n
                    break
                record = self.calling_list.next_record(now)
                if record is None:
                    self._wake_later()
                    break
                self.place(record, None)
                n -= 1
        finally:
            self._pacing = False

    def shown(self, now: float) -> Observation:
        """What the pacer is shown in a centre: the Stat Server's view of the campaign's agents
        with the blending rules applied. Ready agents of the shared groups beyond what the
        reserve leaves free are not the campaign's to dial for; with a forecasting pacer, the
        inbound callers waiting for its shared agents and the reserve still to refill count
        as demand on its agents, as calls waiting do."""
        obs, sh, model = self.obs, self.shown_obs, self.model
        sh.now = now
        sh.in_flight = obs.in_flight
        sh.lines_in_use = obs.lines_in_use
        sh.ivr_free = obs.ivr_free
        sh.line_limit = min(self.line_limit, obs.lines_in_use + model.trunk_free())
        counts = sh.counts
        counts[:] = obs.counts
        waiting = obs.waiting
        if self.shared_local:
            by_group = self.view.by_group
            assert by_group is not None
            mine = sum(by_group[g] for g in self.shared_local)  # its shared agents shown ready
            reserve = model.reserve
            free_shared = model.shown_free_shared()
            if reserve:
                usable = max(0, min(mine, free_shared - reserve))
                counts[READY] -= mine - usable
            if self.counts_inbound:
                waiting += sum(len(q.waiting) for q in self.queues_served)
                waiting += max(0, reserve - free_shared)
        sh.waiting = waiting
        return sh

    def _pace_reserved(self) -> None:
        """Progressive and preview: one record and one reserved agent at a time, for each agent
        the Stat Server shows ready (longest ready first)."""
        now = self.env.now
        preview = self.pacer.reserve == "preview"
        view = self.view
        agents = self.model.agents
        while self.obs.lines_in_use + self.previewing + self.port_queue < self.line_limit:
            index = view.longest_ready()
            if index is None:
                return
            agent = agents[index]
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
            self._hand(agent, record, preview)

    def _room(self) -> bool:
        """A line for one more dial (its own lines, previews and CPD-port waits counted; in a
        centre, the trunk too)."""
        if self.obs.lines_in_use + self.previewing + self.port_queue >= self.line_limit:
            return False
        return self.alone or self.model.trunk_room()

    def _take(self, agent: Agent) -> None:
        """A ready agent is taken for the OCS's own work (a reservation, a preview)."""
        if self.alone:
            del self.ready[agent]
        else:
            self.model.unready(agent)

    def _pace_reserved_shared(self) -> None:
        """:meth:`_pace_reserved` in a centre: the agent must still be the campaign's, and an
        agent of a shared group is reserved only while the reserve stays free (as the OCS sees
        it, and as the switch knows it), and only while enough agents of the centre are free."""
        now = self.env.now
        preview = self.pacer.reserve == "preview"
        model, view = self.model, self.view
        agents = model.agents
        for index in list(view.ready):
            if view.state[index] != READY:
                continue  # no longer shown ready (a refresh during this loop)
            if not self._room():
                self.unmet = len(view.ready)
                return
            if not model.enough_free():
                return
            agent = agents[index]
            if agent.state != READY or agent.cg is not self:
                shown = SHOWN[agent.state] if agent.cg is self else LOGGED_OUT
                view.refresh(index, shown, agent.since)
                continue
            if model.shared[agent.group] and not model.may_take_shared():
                continue
            record = self.calling_list.next_record(now)
            if record is None:
                self._wake_later()
                return
            model.unready(agent)
            self._hand(agent, record, preview)
        self.unmet = 0

    def _hand(self, agent: Agent, record, preview: bool) -> None:
        """Give a ready agent (taken from the ready agents) a record: a preview to read and
        dial, or a dial reserved for it."""
        if preview:
            self.previewing += 1
            if not self.alone:
                self.model.trunk_previews += 1
            self._set_state(agent, PREVIEW)
            self.model._own(agent, PREVIEW)
            row = self.truth.row(record.key, record.attempt + 1)
            Step(self.env, row[PREVIEW_S], self._on_preview_end, (record, agent))
        else:
            self._set_state(agent, RESERVED)
            self.model._own(agent, RESERVED)
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
        self.after()
        if self.moments:  # records to dial again: the campaign becomes active
            CampaignGroup.pace(self)

    def _on_preview_end(self, event) -> None:
        record, agent = event.value
        self.previewing -= 1
        if not self.alone:
            self.model.trunk_previews -= 1
        now = self.env.now
        if self.calling_list.dnc_stops(record, now):  # an opt-out while the agent read it
            self._release(agent)
            self.after()
            return
        if (
            not self.calling_list.dialable(record, now)
            or not self.active
            or self.obs.lines_in_use >= self.line_limit
        ):
            # the record's window closed while the agent read it (or, in a centre, the
            # campaign stopped or lost the line to another's share): it waits for the next one
            self.calling_list.put_back(record, now)
            self._release(agent)
            self.after()
            return
        self._set_state(agent, RESERVED)
        self.model._own(agent, RESERVED)
        self.place(record, agent, True)

    def _release(self, agent: Agent) -> None:
        """The OCS gives back an agent it had reserved (or handed a preview)."""
        model = self.model
        model._agent_ready(agent)
        if agent.state == READY:
            model._own(agent, READY)

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
        call = Call(next(self.call_ids), record, record.attempt, now, agent, self.name)
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
        if not self.alone:
            self.model.trunk_change(1, now)
            self.model.cpd_change(1, now)
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
        if not self.alone:
            self.model.cpd_change(-1, now)
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
                self.after()
                return
            agent = call.reserved_by
            if agent is None:
                if self.alone:
                    if self.ready:
                        agent = next(iter(self.ready))
                        del self.ready[agent]
                else:
                    agent = self.model.take_for(self)
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
        self.after()

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
        self.after()

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
        self.after()

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

    def take_waiting(self, agent: Agent) -> None:
        """A free agent takes the campaign's longest-waiting answered call."""
        call = next(iter(self.waiting.values()))
        del self.waiting[call.call_id]
        self.obs.waiting -= 1
        call.waiting = False
        self._connect(call, agent)

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
        if call.truth == HUMAN:
            call.agent_wait = now - agent.ready_since
            self._set_state(agent, TALKING)
            Step(self.env, call.row[agent.col + TALK_S], self._on_talk_end, agent)
        else:
            self._set_state(agent, ON_MACHINE)  # the Stat Server shows it as talking
            Step(self.env, call.row[agent.col + MACHINE_S], self._on_machine_end, agent)
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
        Step(self.env, call.row[agent.col + WRAP_S], self._on_wrap_end, agent)
        agent.call = None
        self.after()

    def _on_wrap_end(self, event) -> None:
        agent: Agent = event.value
        agent.ready_since = self.env.now
        self._call_done(agent)
        self.after()

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
        self._call_done(agent)
        self.after()

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
        if not self.alone:
            self.model.trunk_change(-1, now)
        del self.live[call.call_id]
        self._record_call(call)
        asked = (call.asked, call.asked_delay, call.agent) if call.asked else None
        for at in self.calling_list.result(call.record, result, now, asked):
            self._callback_alarm(at)  # a callback asked for: its time, hand-over and miss
        if self.trace is not None:
            self.trace(now, "end", call)

    # -- the day as it happens (issue 12) ----------------------------------------------------------
    def _callback_alarm(self, at: float) -> None:
        """Wake the OCS at ``at``: a callback's time, hand-over or miss."""
        now = self.env.now
        if at < self.model.horizon:
            Step(self.env, max(at - now, 0.0), self._on_callback_edge, None)

    def _on_callback_edge(self, event) -> None:
        self.calling_list.update(self.env.now)
        self._dry_until = -math.inf
        self.after()

    def _pace_callbacks(self) -> None:
        """Due callbacks first: a personal callback goes to its own agent when the Stat Server
        shows it ready (a dial reserved for it, or a preview with callbacks.dial: preview);
        with callbacks.dial: preview, a campaign callback goes to the longest-ready agent as a
        preview (with predictive, the list gives campaign callbacks to the pacing first). In a
        centre, only an agent working for the campaign takes its callbacks."""
        calling_list, now, view = self.calling_list, self.env.now, self.view
        preview = calling_list.callbacks.preview
        for record in calling_list.due_personal(now):
            if not self._room():
                return
            agent = self.agent_by_id.get(record.agent_id or "")
            if agent is None or view.state[agent.index] != READY:
                continue
            if agent.state != READY or agent.cg is not self:  # a stale report: the OCS asks
                view.refresh(
                    agent.index, SHOWN[agent.state] if agent.cg is self else LOGGED_OUT, agent.since
                )
                continue
            if calling_list.take_callback(record, now):
                self._take(agent)
                self._hand(agent, record, preview)
        while preview and self._room():
            index = view.longest_ready()
            if index is None:
                return
            agent = self.model.agents[index]
            if agent.state != READY or agent.cg is not self:
                view.refresh(
                    index, SHOWN[agent.state] if agent.cg is self else LOGGED_OUT, agent.since
                )
                continue
            callback = calling_list.next_callback(now)
            if callback is None:
                return
            self._take(agent)
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
        call = Call(next(self.call_ids), record, record.attempt + 1, waiting.since, None, self.name)
        call.result = NO_FREE_PORT
        call.ended_at = now
        call.port_wait = now - waiting.since
        if self.trace is not None:
            self.trace(now, "no_port", call)
        self._record_call(call)
        self.calling_list.port_failed(record, now)
        if agent is not None:
            self._release(agent)
        self.after()

    def engage(self, agent: Agent) -> None:
        """ASM: the OCS engages a free agent on an engaging port (reserved meanwhile; it waits
        for a port when none is free)."""
        now = self.env.now
        if agent.state != RESERVED:
            self._set_state(agent, RESERVED)
            self.model._own(agent, RESERVED)
        assert self.engaging is not None
        if self.engaging.take(now):
            Step(self.env, self.engage_time, self._on_engaged, agent)
        else:
            self.engaging.wait(agent, now)

    def _on_engaged(self, event) -> None:
        agent: Agent = event.value
        agent.engaged = True
        self.model._agent_ready(agent)
        if agent.state == READY and agent.cg is not None:
            self.model._own(agent, READY)
        self.after()

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
        self.after()

    def column(self, group: int) -> int:
        """The first truth column of the centre's group ``group`` in this campaign's rows."""
        return GROUP_COLUMNS + 3 * self.local[group]


def _no_decision() -> None:
    """A threshold campaign decides at its own moments only (Model.call_done)."""
