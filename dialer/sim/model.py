"""The contact centre in SimPy: agents, the switch, inbound callers, and the OCS's campaigns.

Two sides never mix. The world (the truth behind each number and each caller, the agents' real
states, the switch that routes an answered call to a ready agent) and the OCS, which decides
from what it can know: agent states as the Stat Server reports them (:mod:`dialer.sim.
statserver`), its own calls, lines and lists, and the results of its dials. Each campaign is a
:class:`~dialer.sim.campaign.CampaignGroup` (the dial's life is told there); its pacer is built
from its settings and beliefs only (:mod:`dialer.sim.beliefs`) and sees an
:class:`~dialer.pacing.base.Observation`.

A centre (docs/centre.md) adds what campaigns and queues share:

* agents: each works for one campaign at a time, one whose groups include its own; the OCS
  reassigns agents by need and priority (:mod:`dialer.sim.assign`), moving an agent when it is
  free; an agent of a group that answers queues takes inbound calls whatever its campaign;
* the switch: an inbound caller goes to the longest-ready agent of the first of its queue's
  groups that has one, else waits (or is blocked when the queue is full, or balks); an answered
  outbound call goes to a ready agent of its campaign; a free agent takes the longest-waiting
  call it may take, inbound or outbound by ``blending.first``; no outbound call takes an agent
  of a shared group while fewer than ``blending.reserve_agents`` + 1 of them are free;
* the trunk: every dial holds a line of the campaign's (fixed, or its dynamic share) and of the
  trunk;
* moments: the threshold rule decides when its campaign becomes active and each time an agent
  ends a call (after taking any call waiting for it), and at log-ins.

A single-campaign run is a centre of one campaign that owns every agent, with none of these
rules in its way: the lean path, event for event the same as before centres existed.

The model is lean on purpose: no SimPy process per call or agent. Each step of a call is one
:class:`~dialer.sim.core.Step` whose callback moves the call on, so a failed dial costs one
event and a connected call three (verdict, end of talk, end of wrap-up). Agent shifts, campaign
periods, reassignment and port splits work the same way.

The model computes no statistic and writes no file: it emits every call record and every
agent-state interval to the tallies (and, when asked, to ``on_call`` / ``on_interval``: the
record writers). Calls and intervals still open at the horizon are emitted when the run stops.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import simpy

from dialer.centre import Campaign, Centre, Layout, layout
from dialer.clock import Calendar
from dialer.codes import AGENT_STATE_NAMES, LOGGED_OUT, READY, TALKING, WRAP_UP
from dialer.lists.calling import CallingList
from dialer.pacing.ages import Ages
from dialer.pacing.base import Observation, Pacer
from dialer.records.calls import InboundCall
from dialer.records.centre import QueueTally, WorkTime
from dialer.records.tally import Tally
from dialer.sim.assign import Want, assignment, share_lines
from dialer.sim.campaign import CampaignGroup
from dialer.sim.core import NO_MOVE, Agent, Step
from dialer.sim.inbound import PATIENCE_S, TALK_S, U_BALK, WRAP_S, Arrivals, Callers
from dialer.sim.statserver import SHOWN, AgentView, StatServer

# on_interval(agent, state, start, end, reported): an agent-state interval as it is recorded
IntervalSink = Callable[["Agent", int, float, float, "float | None"], None]

__all__ = ["Agent", "IntervalSink", "Model", "Step"]


class InboundQueue:
    """One inbound queue as the switch keeps it: its callers, those waiting, its tally."""

    def __init__(self, index: int, queue, groups: list[int], model: Model):
        lay = model.layout
        self.index = index
        self.name = queue.name
        self.queue = queue
        self.groups = groups  # the centre's groups that answer, in order of preference
        self.capacity = math.inf if queue.capacity is None else queue.capacity
        self.balk = queue.balk
        self.arrivals = Arrivals(queue, model.calendar, lay.seed)
        self.callers = Callers(queue, lay.seed)
        self.next_caller = 0
        self.waiting: dict[int, InboundCall] = {}
        self.tally = QueueTally(lay.warmup_s, queue.service_level_s, lay.horizon_s)


class Model:
    """One run of a campaign or a centre. ``run()`` returns the centre's closed :class:`Tally`.

    ``general``: run a single campaign through the centre's path (a test of the two paths)."""

    def __init__(
        self,
        scenario: Campaign | Centre,
        pacer: Pacer | None = None,
        *,
        on_call: Callable[[Any], None] | None = None,
        on_interval: IntervalSink | None = None,
        trace: Callable[[float, str, object], None] | None = None,
        general: bool = False,
    ):
        lay = layout(scenario)
        self.scenario = scenario
        self.layout: Layout = lay
        self.single = lay.single and not general
        self.horizon = lay.horizon_s
        self.warmup = lay.warmup_s
        self.env = simpy.Environment()
        self.calendar = Calendar(lay.start, lay.site_timezone, lay.horizon_s)
        self.on_call = on_call
        self.on_interval = on_interval
        self.trace = trace
        self.agents = [
            Agent(0, f"{g.name}-{i + 1}", gi)
            for gi, g in enumerate(lay.groups)
            for i in range(g.count)
        ]
        for i, agent in enumerate(self.agents):
            agent.index = i
        self.group_names = [g.name for g in lay.groups]
        self.agent_by_id = {a.agent_id: a for a in self.agents}
        self.call_ids = itertools.count(1)  # one numbering for every call of the centre
        # the OCS: its Stat Server (one for the centre)
        self.stat_server = StatServer(lay.stat_server, self.calendar, lay.seed)
        self.stat_server.reset(len(self.agents))
        self.instant_reports = self.stat_server.constant and self.stat_server.delay.mean == 0
        self.instant_reports = self.instant_reports and not self.stat_server.outages
        self.ocs_up = True  # the OCS has its Stat Server
        self.campaigns: list[CampaignGroup] = []
        self.centre_view: AgentView | None = None
        self.queues: list[InboundQueue] = []
        # the hot path of a single campaign, without the centre's rules
        self._set_state: Callable[..., None]  # (agent, state, work=-1)
        self._record_interval: Callable[..., None]  # (agent, state, start, end, report)
        if self.single:
            self._set_state = self._set_state_alone
            self._record_interval = self._record_interval_alone
            self._agent_ready = self._agent_ready_alone
        else:
            self._set_state = self._set_state_centre
            self._record_interval = self._record_interval_centre
            self._agent_ready = self._agent_ready_shared
        for i, role in enumerate(lay.campaigns):
            self.campaigns.append(CampaignGroup(self, i, role, pacer if i == 0 else None))
        self.moment_campaigns = [cg for cg in self.campaigns if cg.moments]
        if self.single and not self.moment_campaigns:
            for cg in self.campaigns:  # an agent ends a call: it is free, and that is all
                cg._call_done = self._agent_ready
        if self.single:
            cg = self.campaigns[0]
            self.tally = cg.tally
            self._learn = cg.view.learn
            for agent in self.agents:
                agent.cg = cg
        else:
            self._init_centre(lay)

    def _init_centre(self, lay: Layout) -> None:
        """What a centre adds: its tallies, the switch's sets, the blending rules, the queues,
        the trunk."""
        cal, n = self.calendar, len(self.agents)
        ngroups = len(lay.groups)
        self.tally = Tally(lay.warmup_s, cal.site_midnights(), lay.horizon_s)
        names = [cg.name for cg in self.campaigns]
        self.campaign_names = names
        self.work = WorkTime(lay.warmup_s, len(names), lay.horizon_s)
        self.group_work = [WorkTime(lay.warmup_s, len(names), lay.horizon_s) for _ in lay.groups]
        # what the OCS knows of every agent (the blending rules read it)
        self.centre_view = AgentView(
            [a.group for a in self.agents], busy=False, by_group=True, ngroups=ngroups
        )
        # the switch: really ready agents per group, the queues each group answers
        self.group_ready: list[dict[Agent, None]] = [{} for _ in range(ngroups)]
        index = {g.name: i for i, g in enumerate(lay.groups)}
        for qi, queue in enumerate(lay.queues):
            self.queues.append(InboundQueue(qi, queue, [index[g] for g in queue.groups], self))
        self.group_queues: list[list[InboundQueue]] = [
            [q for q in self.queues if gi in q.groups] for gi in range(ngroups)
        ]
        inbound = {g for q in self.queues for g in q.groups}
        outbound = {g for cg in self.campaigns for g in cg.role.groups}
        self.shared = [gi in inbound and gi in outbound for gi in range(ngroups)]
        self.shared_groups = [gi for gi in range(ngroups) if self.shared[gi]]
        self.eligible: dict[int, list[int]] = {
            gi: [cg.index for cg in self.campaigns if gi in cg.role.groups] for gi in range(ngroups)
        }
        for cg in self.campaigns:
            cg.shared_local = [cg.local[g] for g in cg.role.groups if self.shared[g]]
            served = {
                id(q): q for g in cg.role.groups if self.shared[g] for q in self.group_queues[g]
            }
            cg.queues_served = list(served.values())
        # which campaigns an agent's or a queue's change may concern
        self.group_campaigns = [
            [cg for cg in self.campaigns if gi in cg.role.groups] for gi in range(ngroups)
        ]
        self.queue_campaigns = [
            [cg for cg in self.campaigns if cg.counts_inbound and q in cg.queues_served]
            for q in self.queues
        ]
        self.free_shared = 0  # agents of the shared groups really ready
        b = lay.blending
        self.first = b.first
        self.reserve = b.reserve_agents
        self.min_free = b.min_free_agents
        # the trunk
        self.trunk_limit = math.inf if lay.lines is None else lay.lines
        self.trunk_lines = 0
        self.trunk_previews = 0  # agents previewing hold a line of the trunk for their dial
        self._trunk_since = 0.0
        self._cpd_n, self._cpd_since, self._cpd_peak = 0, 0.0, 0  # dials in CPD, centre-wide
        self.dynamic = lay.port_allocation == "dynamic" and lay.lines is not None
        self.inbound_live: dict[int, InboundCall] = {}
        if n == 0:
            self.shared = [False] * ngroups

    # -- running -------------------------------------------------------------------------------
    def run(self) -> Tally:
        if not self.instant_reports:  # the agents' first state (logged out) is reported too
            for agent in self.agents:
                self._report(agent, 0.0)
        self._schedule_shifts()
        for cg in self.campaigns:
            for at in cg.calling_list.callback_edges(0.0):  # the callbacks a list file holds
                cg._callback_alarm(at)
        for a, b in self.stat_server.outages:
            Step(self.env, a, self._on_outage, False)
            Step(self.env, b, self._on_outage, True)
        if not self.single:
            self._start_centre()
        for cg in self.campaigns:
            if cg.pacer.tick_s:
                cg._tick(None)
        if self.single:
            self.campaigns[0].pace()
        else:
            self.pace_all()
        for cg in self.moment_campaigns:  # the threshold rule: the campaign becomes active
            if cg.active:
                CampaignGroup.pace(cg)
        self.env.run(until=self.horizon)
        return self._close()

    def _close(self) -> Tally:
        horizon = self.horizon
        for cg in self.campaigns:
            cg.close(horizon)
        if not self.single:
            self.tally.close(horizon)
            self.tally.lines.held(self.trunk_lines, self._trunk_since, horizon)
            if horizon > self.warmup and self._cpd_n > self._cpd_peak:
                self._cpd_peak = self._cpd_n
        for agent in self.agents:  # the intervals still open
            self._record_interval(agent, agent.state, agent.since, horizon, agent.report)
        up: list[Any] = [c for cg in self.campaigns for c in cg.live.values()]
        if not self.single:
            up += self.inbound_live.values()
        for call in sorted(up, key=lambda c: c.call_id):  # the calls still up
            if isinstance(call, InboundCall):
                self._record_inbound(call)
            else:
                self.campaigns_by_name[call.campaign]._record_call(call)
        return self.tally

    @property
    def campaigns_by_name(self) -> dict[str, CampaignGroup]:
        return {cg.name: cg for cg in self.campaigns}

    @property
    def outage_s(self) -> float:
        """Seconds after the warm-up during which the OCS had no Stat Server (no new dial)."""
        w = self.warmup
        return sum((max(0.0, b - max(a, w)) for a, b in self.stat_server.outages), 0.0)

    # compatibility for a single campaign: its list, pacer and view are the run's
    @property
    def calling_list(self) -> CallingList:
        return self.campaigns[0].calling_list

    @property
    def pacer(self) -> Pacer:
        return self.campaigns[0].pacer

    @property
    def view(self) -> AgentView:
        return self.campaigns[0].view

    @property
    def obs(self) -> Observation:
        return self.campaigns[0].obs

    def observe(self) -> Observation:
        """What the (first) campaign's OCS sees now."""
        obs = self.campaigns[0].obs
        obs.now = self.env.now
        return obs

    @property
    def flight(self) -> Ages | None:
        return self.campaigns[0].flight

    @property
    def ready(self) -> dict[Agent, None]:
        return self.campaigns[0].ready

    @property
    def live(self) -> dict:
        return self.campaigns[0].live

    # -- the records ---------------------------------------------------------------------------
    def _known_at(self, start: float, end: float, report: float | None) -> float | None:
        """When the OCS learned of a state interval (none: an outage hid it, or the report would
        come after the run)."""
        known = report
        if self.stat_server.outages:
            known = self.stat_server.first_known(start, end, report)
        if known is not None and known >= self.horizon:
            return None
        return known

    def _record_interval_centre(
        self, agent: Agent, state: int, start: float, end: float, report: float | None
    ) -> None:
        known = self._known_at(start, end, report)
        cg = agent.cg
        self.tally.interval(state, start, end, known)
        ci = -1
        if cg is not None:
            ci = cg.index
            cg.tally.interval(state, start, end, known)
            cg.work.interval(state, start, end, agent.work, ci)
        self.work.interval(state, start, end, agent.work, ci)
        self.group_work[agent.group].interval(state, start, end, agent.work, ci)
        if self.on_interval is not None:
            self.on_interval(agent, state, start, end, known)

    def _record_inbound(self, call: InboundCall) -> None:
        self.queues_by_name[call.queue].tally.call(call)
        if self.on_call is not None:
            self.on_call(call)

    @property
    def queues_by_name(self) -> dict[str, InboundQueue]:
        return {q.name: q for q in self.queues}

    # -- what the OCS sees -----------------------------------------------------------------------
    def _on_report(self, event) -> None:
        """A Stat Server report reaches the OCS."""
        if not self.ocs_up:
            return
        index, state, since = event.value
        cg = self.agents[index].cg
        changed = cg is not None and cg.view.learn(index, state, since)
        if self.single:
            if changed:
                cg.pace()
                if state == READY and cg.moments:  # the OCS learns of a free agent
                    CampaignGroup.pace(cg)
            return
        assert self.centre_view is not None
        changed = self.centre_view.learn(index, state, since) or changed
        if changed:
            self._pace_group(self.agents[index].group)
            if state == READY:
                # the threshold rule decides when the agents it can dial for increase, as the
                # OCS sees them: an agent who ended a call (or logged in) is reported ready
                for moment_cg in self.moment_campaigns:
                    CampaignGroup.pace(moment_cg)

    def _on_outage(self, event) -> None:
        """The OCS loses (False) or gets back (True) its Stat Server; back, it starts from
        fresh states."""
        self.ocs_up = event.value
        for cg in self.campaigns:
            cg.up = self.ocs_up
        if self.ocs_up:
            for agent in self.agents:
                shown = SHOWN[agent.state]
                if agent.cg is not None:
                    agent.cg.view.refresh(agent.index, shown, agent.since)
                if self.centre_view is not None:
                    self.centre_view.refresh(agent.index, shown, agent.since)
            self.pace_all()

    def _own(self, agent: Agent, state: int) -> None:
        """An agent state the OCS set itself (a reservation, a preview, a release): it knows."""
        now = self.env.now
        if agent.cg is not None:  # (a released agent may have moved to no campaign)
            agent.cg.view.learn(agent.index, state, now)
        if self.centre_view is not None:
            self.centre_view.learn(agent.index, state, now)

    def pace_all(self) -> None:
        """Every campaign decides (those of the threshold rule only at their moments)."""
        for cg in self.campaigns:
            cg.pace()

    def _pace_group(self, g: int) -> None:
        """An agent of group ``g`` changed state: the campaigns that dial for the group decide
        (every campaign, when the centre's free agents count: min_free_agents, the reserve)."""
        if self.min_free or (self.reserve and self.shared[g]):
            self.pace_all()
            return
        for cg in self.group_campaigns[g]:
            cg.pace()

    def _pace_queue(self, q: InboundQueue) -> None:
        """Callers waiting in ``q`` changed: the campaigns that count them as demand decide."""
        for cg in self.queue_campaigns[q.index]:
            cg.pace()

    # the blending rules, as the OCS applies them to what it knows
    def enough_free(self) -> bool:
        """blending.min_free_agents: enough agents of the centre shown free to dial."""
        if not self.min_free:
            return True
        assert self.centre_view is not None
        return self.centre_view.counts[READY] >= self.min_free

    def shown_free_shared(self) -> int:
        """Agents of the shared groups the Stat Server shows free."""
        by_group: list[int] = self.centre_view.by_group  # type: ignore[union-attr,assignment]
        return sum(by_group[g] for g in self.shared_groups)

    def may_take_shared(self) -> bool:
        """Whether an outbound call may take (or reserve) an agent of a shared group now: the
        reserve stays free after it, as the OCS sees it and as the switch knows it."""
        reserve = self.reserve
        return not reserve or (self.free_shared > reserve and self.shown_free_shared() > reserve)

    def trunk_free(self) -> float:
        """Lines of the trunk neither in use nor held for a preview's dial."""
        return self.trunk_limit - self.trunk_lines - self.trunk_previews

    def trunk_room(self) -> bool:
        return self.trunk_lines + self.trunk_previews < self.trunk_limit

    def cpd_change(self, delta: int, now: float) -> None:
        """A dial enters (+1) or leaves (-1) call-progress analysis now (the centre's count,
        counted as each campaign's is: the count after each instant's changes makes the peak)."""
        n = self._cpd_n
        if now != self._cpd_since:
            if n > self._cpd_peak and now > self.warmup:
                self._cpd_peak = n
            self._cpd_since = now
        self._cpd_n = n + delta

    @property
    def peak_cpd_ports(self) -> int:
        """The most dials in call-progress analysis at once after the warm-up (after the run)."""
        return self._cpd_peak if not self.single else self.campaigns[0].peak_cpd_ports

    def trunk_change(self, delta: int, now: float) -> None:
        """A line of the trunk taken (+1) or freed (-1) now."""
        if now != self._trunk_since:
            self.tally.lines.held(self.trunk_lines, self._trunk_since, now)
            self._trunk_since = now
        self.trunk_lines += delta

    # -- the switch ----------------------------------------------------------------------------------
    def take_for(self, cg: CampaignGroup) -> Agent | None:
        """A ready agent of ``cg`` for its answered call (longest ready first), if the reserve
        allows (taken from the ready agents)."""
        reserve, shared = self.reserve, self.shared
        for agent in cg.ready:
            if not shared[agent.group] or self.free_shared > reserve:
                self.unready(agent)
                return agent
        return None

    def unready(self, agent: Agent) -> None:
        """A ready agent is taken for work (centre)."""
        cg = agent.cg
        if cg is not None:
            del cg.ready[agent]
        del self.group_ready[agent.group][agent]
        if self.shared[agent.group]:
            self.free_shared -= 1

    def _make_ready(self, agent: Agent) -> None:
        self._set_state(agent, READY)
        cg = agent.cg
        if cg is not None:
            cg.ready[agent] = None
        self.group_ready[agent.group][agent] = None
        if self.shared[agent.group]:
            self.free_shared += 1

    def call_done(self, agent: Agent) -> None:
        """An agent has ended a call (its wrap-up, or a machine's disposition): it is free.
        The threshold rule decides now, after the agent has taken any call waiting for it."""
        self._agent_ready(agent)
        for cg in self.moment_campaigns:
            CampaignGroup.pace(cg)

    def _agent_ready_alone(self, agent: Agent) -> None:
        """The agent is free: take the longest-waiting call, or join the ready agents."""
        cg = agent.cg
        if agent.leaving:
            agent.leaving = False
            if agent.engaged:
                cg._disengage(agent)
            self._set_state(agent, LOGGED_OUT)
            return
        if cg.engaging is not None and not agent.engaged:
            cg.engage(agent)  # ASM: no call reaches an agent before its engaging call
            return
        if cg.waiting:
            cg.take_waiting(agent)
            return
        self._set_state(agent, READY)
        cg.ready[agent] = None

    def _agent_ready_shared(self, agent: Agent) -> None:
        """The agent is free (centre): it moves to its new campaign if one is due, then takes
        the longest-waiting call it may take (inbound or outbound by blending.first; outbound
        only if the reserve stays free), or joins the ready agents."""
        if agent.leaving:
            agent.leaving = False
            self._log_out(agent)
            return
        if agent.move_to is not NO_MOVE:
            target, agent.move_to = agent.move_to, NO_MOVE
            self._make_ready(agent)
            self._assign(agent, target)
            self.unready(agent)
        cg = agent.cg
        if cg is not None and cg.engaging is not None and not agent.engaged:
            cg.engage(agent)  # ASM: no call reaches an agent before its engaging call
            return
        g = agent.group
        out = None
        if (
            cg is not None
            and cg.waiting
            and (not self.shared[g] or self.free_shared >= self.reserve)
        ):
            out = next(iter(cg.waiting.values()))
        inbound = None
        for q in self.group_queues[g]:
            if q.waiting:
                c = next(iter(q.waiting.values()))
                if inbound is None or c.arrived_at < inbound.arrived_at:
                    inbound = c
        if out is not None and inbound is not None:
            first = self.first
            if first == "inbound" or (first == "longest" and inbound.arrived_at < out.verdict_at):
                out = None
            else:
                inbound = None
        if out is not None:
            cg.take_waiting(agent)
            return
        if inbound is not None:
            self._answer_waiting(inbound, agent)
            return
        self._make_ready(agent)

    # -- agents ------------------------------------------------------------------------------------
    def _set_state_alone(self, agent: Agent, state: int, work: int = -1) -> None:
        """:meth:`_set_state_centre` for a single campaign (its view is the only one)."""
        now = self.env.now
        self._record_interval(agent, agent.state, agent.since, now, agent.report)
        agent.state = state
        agent.since = now
        if self.instant_reports:
            agent.report = now
            self._learn(agent.index, SHOWN[state], now)
        else:
            self._report(agent, now)
        if self.trace is not None:
            self.trace(now, AGENT_STATE_NAMES[state], agent)

    def _record_interval_alone(
        self, agent: Agent, state: int, start: float, end: float, report: float | None
    ) -> None:
        """:meth:`_record_interval_centre` for a single campaign (its tally is the run's)."""
        known = self._known_at(start, end, report)
        self.tally.interval(state, start, end, known)
        if self.on_interval is not None:
            self.on_interval(agent, state, start, end, known)

    def _set_state_centre(self, agent: Agent, state: int, work: int = -1) -> None:
        """The agent's state changes: its last interval is recorded and the change reported.
        ``work``: the queue of the inbound call the new state is work on (or -1)."""
        now = self.env.now
        self._record_interval(agent, agent.state, agent.since, now, agent.report)
        agent.state = state
        agent.since = now
        agent.work = work
        if self.instant_reports:
            agent.report = now
            shown = SHOWN[state]
            cg = agent.cg
            if cg is not None:
                cg.view.learn(agent.index, shown, now)
            if self.centre_view is not None:
                self.centre_view.learn(agent.index, shown, now)
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
        self._members: list[list[Agent]] = [[] for _ in self.layout.groups]
        for agent in self.agents:
            self._members[agent.group].append(agent)
        for gi, group in enumerate(self.layout.groups):
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
        if self.single:
            cg = self.campaigns[0]
            if cg.moments:
                CampaignGroup.pace(cg)
            else:
                cg.pace()
            return
        self._reassign()
        self.pace_all()
        for cg in self.moment_campaigns:
            CampaignGroup.pace(cg)

    def _on_logout(self, event) -> None:
        for agent in self._members[event.value]:
            if agent.state == READY:
                if self.single:
                    del agent.cg.ready[agent]
                    if agent.engaged:
                        agent.cg._disengage(agent)
                    self._set_state(agent, LOGGED_OUT)
                else:
                    self.unready(agent)
                    self._log_out(agent)
            elif agent.state != LOGGED_OUT:
                agent.leaving = True

    def _log_out(self, agent: Agent) -> None:
        """The agent leaves (centre): logged out, it works for no campaign until it is back."""
        if agent.engaged:
            agent.cg._disengage(agent)
        self._set_state(agent, LOGGED_OUT)
        agent.move_to = NO_MOVE
        self._assign(agent, None)

    # -- a centre's own events -----------------------------------------------------------------------
    def _start_centre(self) -> None:
        """Campaign periods, the first assignment and port split, the periodic ones, the first
        caller of every queue."""
        for cg in self.campaigns:
            active = cg.role.active
            if active is None:
                continue
            spans = self.calendar.shifts(active.start, active.end, _EVERY_DAY)
            cg.active = bool(spans) and spans[0][0] <= 0
            for a, b in spans:
                if a > 0:
                    Step(self.env, a, self._on_period, (cg, True))
                if b < self.horizon:
                    Step(self.env, b, self._on_period, (cg, False))
        self._reassign()
        if self.campaigns:
            Step(self.env, self.layout.assignment_interval_s, self._on_assignment_tick, None)
        if self.dynamic:
            self._split_lines()
            Step(self.env, self.layout.port_interval_s, self._on_port_tick, None)
        for q in self.queues:
            self._next_arrival(q)

    def _on_period(self, event) -> None:
        """A campaign's active period starts (True) or ends (False)."""
        cg, active = event.value
        cg.active = active
        if active:
            cg._dry_until = -math.inf
        self._reassign()
        if self.dynamic:
            self._split_lines()
        self.pace_all()
        if active and cg.moments:
            CampaignGroup.pace(cg)

    def _on_assignment_tick(self, event) -> None:
        Step(self.env, self.layout.assignment_interval_s, self._on_assignment_tick, None)
        if self._reassign():
            self.pace_all()

    def _on_port_tick(self, event) -> None:
        Step(self.env, self.layout.port_interval_s, self._on_port_tick, None)
        if self._split_lines():
            self.pace_all()

    def _split_lines(self) -> bool:
        """Dynamic port allocation: the trunk split by need; True if some campaign got more."""
        needs = [cg.obs.lines_in_use + cg.previewing + cg.unmet for cg in self.campaigns]
        active = [cg.active for cg in self.campaigns]
        priorities = [cg.role.priority for cg in self.campaigns]
        shares = share_lines(int(self.trunk_limit), needs, active, priorities)
        more = False
        for cg, share in zip(self.campaigns, shares, strict=True):
            more = more or share > cg.line_limit
            cg.line_limit = share
            cg.obs.line_limit = share
        return more

    def _reassign(self) -> bool:
        """Agent assignment (:func:`dialer.sim.assign.assignment`) for the agents logged in; a
        free agent moves now, a busy one when it is next free. True if an agent moved now."""
        if not self.campaigns:
            return False
        now = self.env.now
        wants = [
            Want(
                cg.active,
                cg.role.priority,
                cg.role.min_agents,
                cg.role.max_agents,
                cg.has_work(now),
            )
            for cg in self.campaigns
        ]
        logged = [a for a in self.agents if a.state != LOGGED_OUT and not a.leaving]
        current = [
            (a.group, _index(a.move_to if a.move_to is not NO_MOVE else a.cg)) for a in logged
        ]
        targets = assignment(current, self.eligible, wants)
        moved = False
        for agent, (_, now_on), t in zip(logged, current, targets, strict=True):
            if t == now_on:
                continue
            target = None if t is None else self.campaigns[t]
            if agent.state == READY:
                agent.move_to = NO_MOVE
                self._assign(agent, target)
                moved = True
                if target is not None and target.engaging is not None and not agent.engaged:
                    self.unready(agent)  # ASM: engaged before any call reaches it
                    target.engage(agent)
            else:
                agent.move_to = NO_MOVE if target is agent.cg else target
        return moved

    def _assign(self, agent: Agent, target: CampaignGroup | None) -> None:
        """The agent works for ``target`` from now (it is free or logged out): its interval so
        far is the old campaign's, and the OCS knows the change at once."""
        old = agent.cg
        if old is target:
            return
        now = self.env.now
        ready = agent.state == READY
        if agent.since < now and agent.state != LOGGED_OUT:
            self._record_interval(agent, agent.state, agent.since, now, agent.report)
            agent.since = now
            agent.report = now
        if old is not None:
            if ready:
                del old.ready[agent]
            if agent.engaged:
                old._disengage(agent)
            old.view.refresh(agent.index, LOGGED_OUT, now)
        agent.cg = target
        if target is not None:
            agent.col = target.column(agent.group)
            assert self.centre_view is not None
            i = agent.index
            target.view.refresh(i, self.centre_view.state[i], self.centre_view.since[i])
            if ready:
                target.ready[agent] = None

    # -- inbound callers -----------------------------------------------------------------------------
    def _next_arrival(self, q: InboundQueue) -> None:
        at = q.arrivals.next()
        if at is not None and at < self.horizon:
            Step(self.env, at - self.env.now, self._on_arrival, q)

    def _on_arrival(self, event) -> None:
        """A caller reaches the queue: the longest-ready agent of the first group with one
        answers; else the caller waits, or hears busy (queue full), or hangs up at once (balks)."""
        q: InboundQueue = event.value
        now = self.env.now
        self._next_arrival(q)
        i = q.next_caller
        q.next_caller += 1
        call = InboundCall(next(self.call_ids), q.name, i, now, q.callers.row(i))
        if self.trace is not None:
            self.trace(now, "arrive", call)
        for g in q.groups:
            ready = self.group_ready[g]
            if ready:
                agent = next(iter(ready))
                self.unready(agent)
                self.inbound_live[call.call_id] = call
                self._answer(call, agent, q)
                self._pace_group(g)
                return
        if len(q.waiting) >= q.capacity:
            self._inbound_over(call, "blocked")
        elif call.row[U_BALK] < q.balk:
            self._inbound_over(call, "balked")
        else:
            call.waiting = True
            q.waiting[call.call_id] = call
            self.inbound_live[call.call_id] = call
            patience = call.row[PATIENCE_S]
            if patience < math.inf:
                Step(self.env, patience, self._on_caller_gives_up, (q, call))
            self._pace_queue(q)

    def _inbound_over(self, call: InboundCall, result: str) -> None:
        """An inbound call ends without an agent: abandoned, balked or blocked."""
        now = self.env.now
        call.result = result
        call.ended_at = now
        self.inbound_live.pop(call.call_id, None)
        if self.trace is not None:
            self.trace(now, result, call)
        self._record_inbound(call)

    def _on_caller_gives_up(self, event) -> None:
        q, call = event.value
        if not call.waiting:
            return  # answered in time
        call.waiting = False
        del q.waiting[call.call_id]
        self._inbound_over(call, "abandoned")
        self._pace_queue(q)

    def _answer_waiting(self, call: InboundCall, agent: Agent) -> None:
        """A free agent takes the longest-waiting caller of its queues."""
        q = self.queues_by_name[call.queue]
        del q.waiting[call.call_id]
        call.waiting = False
        self._answer(call, agent, q)

    def _answer(self, call: InboundCall, agent: Agent, q: InboundQueue) -> None:
        now = self.env.now
        if agent.engaged:  # ASM: the agent's engaging call ends for the inbound caller
            agent.cg._disengage(agent)
        call.connected_at = now
        call.agent = agent.agent_id
        call.result = "answered"
        agent.call = call
        self._set_state(agent, TALKING, q.index)
        if self.trace is not None:
            self.trace(now, "answer", call)
        Step(self.env, call.row[TALK_S], self._on_inbound_talk_end, agent)

    def _on_inbound_talk_end(self, event) -> None:
        agent: Agent = event.value
        call: InboundCall = agent.call
        now = self.env.now
        call.ended_at = now
        del self.inbound_live[call.call_id]
        if self.trace is not None:
            self.trace(now, "end", call)
        self._record_inbound(call)
        self._set_state(agent, WRAP_UP, agent.work)
        agent.call = None
        Step(self.env, call.row[WRAP_S], self._on_inbound_wrap_end, agent)
        self._pace_group(agent.group)

    def _on_inbound_wrap_end(self, event) -> None:
        agent: Agent = event.value
        agent.ready_since = self.env.now
        self.call_done(agent)
        self._pace_group(agent.group)


_EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _index(cg: CampaignGroup | None) -> int | None:
    return None if cg is None else cg.index
