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
from dialer.records.tally import Tally
from dialer.sim.beliefs import pacer_inputs
from dialer.sim.core import Agent, Step
from dialer.sim.statserver import SHOWN, AgentView
from dialer.sim.truth import GROUP_COLUMNS, MACHINE_S, PATIENCE_S, PREVIEW_S, TALK_S, WRAP_S, Truth

_RESULT_OF_VERDICT = {
    MACHINE: "answering_machine",
    FAX: "fax",
    BUSY_OUTCOME: "busy",
    NO_ANSWER_OUTCOME: "no_answer",
    INVALID_OUTCOME: "invalid",
}


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

    # -- the records ---------------------------------------------------------------------------
    def _record_call(self, call: Call) -> None:
        self.tally.call(call)
        if not self.alone:
            self.model.tally.call(call)
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
        if now < self._dry_until and self.calling_list.version == self._dry_version:
            return  # nothing can be dialed before then: no decision to take (VICIdial: empty hopper)
        model = self.model
        if not self.alone and (not self.active or not model.enough_free()):
            return
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
                while n > 0 and obs.lines_in_use < self.line_limit:
                    record = self.calling_list.next_record(now)
                    if record is None:
                        self._wake_later()
                        break
                    self._dial(record, None)
                    n -= 1
                return
            n = self._decide(self.shown(now))
            self.unmet = 0
            while n > 0:
                if obs.lines_in_use >= self.line_limit or not model.trunk_room():
                    self.unmet = n
                    break
                record = self.calling_list.next_record(now)
                if record is None:
                    self._wake_later()
                    break
                self._dial(record, None)
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
        while self.obs.lines_in_use + self.previewing < self.line_limit:
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
            if self.obs.lines_in_use + self.previewing >= self.line_limit or not model.trunk_room():
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
        self.after()
        if self.moments:  # records to dial again: the campaign becomes active
            CampaignGroup.pace(self)

    def _on_preview_end(self, event) -> None:
        record, agent = event.value
        self.previewing -= 1
        if not self.alone:
            self.model.trunk_previews -= 1
        now = self.env.now
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
        self._dial(record, agent)

    def _release(self, agent: Agent) -> None:
        """The OCS gives back an agent it had reserved (or handed a preview)."""
        model = self.model
        model._agent_ready(agent)
        if agent.state == READY:
            model._own(agent, READY)

    # -- a dial's life -------------------------------------------------------------------------------
    def _dial(self, record, agent: Agent | None) -> None:
        now = self.env.now
        self.calling_list.dialing(record)
        record.attempt += 1
        call = Call(next(self.call_ids), record, record.attempt, now, agent, self.name)
        obs = self.obs
        lines = obs.lines_in_use
        if now != self._lines_since:  # the count the last instant settled at, held until now
            self.tally.lines.held(lines, self._lines_since, now)
            self._lines_since = now
        obs.lines_in_use = lines + 1
        if not self.alone:
            self.model.trunk_change(1, now)
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
        self.after()

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

    def take_waiting(self, agent: Agent) -> None:
        """A free agent takes the campaign's longest-waiting answered call."""
        call = next(iter(self.waiting.values()))
        del self.waiting[call.call_id]
        self.obs.waiting -= 1
        call.waiting = False
        self._connect(call, agent)

    def _connect(self, call: Call, agent: Agent) -> None:
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
            self._on_result(now, CONNECTED, now - call.dialed_at)

    def _on_talk_end(self, event) -> None:
        agent: Agent = event.value
        call = agent.call
        assert call is not None
        self._end(call, "answer")
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
            self._on_result(now, AGENT_MACHINE, now - call.dialed_at)
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
        self.calling_list.result(call.record, result, now)
        if self.trace is not None:
            self.trace(now, "end", call)

    def column(self, group: int) -> int:
        """The first truth column of the centre's group ``group`` in this campaign's rows."""
        return GROUP_COLUMNS + 3 * self.local[group]


def _no_decision() -> None:
    """A threshold campaign decides at its own moments only (Model.call_done)."""
