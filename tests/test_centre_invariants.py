"""Properties that hold in every centre (Hypothesis over small random centres).

An agent is in one call at a time; a queue never holds more callers than its capacity (and
blocks only when full); no campaign dials outside its active period, beyond its own lines (fixed
or its dynamic share) or beyond the trunk; with ``reserve_agents`` = N no outbound call takes an
agent of a shared group while fewer than N + 1 of them are free (that agent included); every
caller ends one way; the agents' time adds up.
"""

from __future__ import annotations

import math

from centres import centre
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer.clock import Calendar
from dialer.sim.core import Agent
from dialer.sim.model import Model

times = st.one_of(
    st.floats(1, 40),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(2, 60)),
)
MODES = ["preview", "progressive", "power", "predictive", "threshold"]


@st.composite
def centres(draw):
    names = ["a", "b", "c"][: draw(st.integers(1, 3))]
    groups = {g: draw(st.integers(0, 3)) for g in names}
    if not sum(groups.values()):
        groups["a"] = 1
    queues = []
    for qi in range(draw(st.integers(0, 2))):
        queues.append(
            {
                "name": f"q{qi}",
                "arrivals_per_hour": {"00:00": draw(st.floats(5, 150))},
                "patience_s": draw(st.one_of(st.none(), times)),
                "talk_time_s": draw(times),
                "wrap_time_s": draw(st.one_of(st.just(0), times)),
                "balk": draw(st.sampled_from([0.0, 0.2])),
                "capacity": draw(st.one_of(st.none(), st.integers(0, 3))),
                "groups": draw(st.lists(st.sampled_from(names), min_size=1, unique=True)),
            }
        )
    campaigns = []
    for ci in range(draw(st.integers(0 if queues else 1, 2))):
        active = None
        if draw(st.booleans()):
            a = draw(st.integers(0, 20))
            active = {"from": f"00:{a:02d}", "till": f"00:{a + draw(st.integers(5, 30)):02d}"}
        campaigns.append(
            {
                "name": f"c{ci}",
                "groups": draw(st.lists(st.sampled_from(names), min_size=1, unique=True)),
                "active": active,
                "priority": draw(st.integers(0, 2)),
                "min_agents": draw(st.integers(0, 1)),
                "population": {
                    "human": 0.5,
                    "no_answer": 0.3,
                    "busy": 0.2,
                    "answer_time_s": draw(times),
                    "patience_s": draw(times),
                },
                "dialing": {
                    "mode": draw(st.sampled_from(MODES)),
                    "ratio": draw(st.floats(1, 3)),
                    "lines": draw(st.one_of(st.none(), st.integers(1, 4))),
                    "abandon_after_s": draw(st.floats(0, 5)),
                    "history_length": 20,
                },
                "agents": {"groups": [{"name": "x", "talk_time_s": draw(times), "wrap_time_s": 5}]},
            }
        )
    inbound = {g for q in queues for g in q["groups"]}
    outbound = {g for c in campaigns for g in c["groups"]}
    shared = bool(inbound & outbound)
    return centre(
        groups,
        queues,
        campaigns,
        seed=draw(st.integers(0, 10_000)),
        horizon_s=2400,
        lines=draw(st.one_of(st.none(), st.integers(1, 6))),
        port_allocation=draw(st.sampled_from(["fixed", "dynamic"])),
        port_interval_s=draw(st.sampled_from([5, 60])),
        assignment_interval_s=draw(st.sampled_from([10, 60])),
        stat_server={
            "delay_s": draw(st.sampled_from([0, 0.5, {"dist": "exponential", "mean": 2}]))
        },
        blending={
            "first": draw(st.sampled_from(["outbound", "inbound", "longest"])),
            "reserve_agents": draw(st.integers(0, 2)) if shared else 0,
            "min_free_agents": draw(st.integers(0, 1)),
        },
    )


class Watcher:
    """Follows the trace with the model at hand: what every rule forbids."""

    def __init__(self, model: Model, c):
        self.model = model
        self.c = c
        self.state: dict[str, str] = {}
        self.group = {a.agent_id: a.group for a in model.agents}
        self.shared = set(getattr(model, "shared_groups", []))
        self.reserve = c.blending.reserve_agents
        self.on_call: dict[str, int] = {}
        self.pending: tuple[str, int] | None = None  # (agent, free shared agents) before a take
        cal = Calendar(c.start, c.site_timezone, c.horizon_s)
        self.spans = {}
        for e in c.campaigns:
            if e.active is not None:
                self.spans[e.name] = cal.shifts(e.active.start, e.active.end, _DAYS)
        self.checked = 0

    def __call__(self, now, what, obj):
        for q in self.model.queues:
            assert len(q.waiting) <= q.capacity, f"{q.name} beyond its capacity"
        if isinstance(obj, Agent):
            before = self.state.get(obj.agent_id)
            # a take: a free agent (ready, or ending its last call) given outbound or inbound
            # work; a reserved or previewing agent's own dial was taken when it was reserved
            taking = before in ("ready", "wrap_up", "on_machine")
            self.pending = None
            if taking and what in ("talking", "on_machine", "reserved", "preview"):
                free = sum(
                    1
                    for a, s in self.state.items()
                    if s == "ready" and a != obj.agent_id and self.group[a] in self.shared
                )
                self.pending = (obj.agent_id, free)
                if what in ("reserved", "preview"):
                    self._outbound_take()
            self.state[obj.agent_id] = what
            return
        if what in ("connect", "answer"):
            agent = obj.agent
            assert agent not in self.on_call, f"{agent} holds two calls"
            self.on_call[agent] = obj.call_id
            if what == "connect":
                self._outbound_take()
        elif what == "end" and obj.agent is not None and self.on_call.get(obj.agent) == obj.call_id:
            del self.on_call[obj.agent]
        elif what == "dial":
            cg = self.model.campaigns_by_name[obj.campaign]
            assert cg.obs.lines_in_use <= cg.line_limit, "a campaign beyond its lines"
            assert self.model.trunk_lines <= self.model.trunk_limit, "beyond the trunk"
            for a, b in self.spans.get(obj.campaign, []):
                if a <= now < b:
                    break
            else:
                assert obj.campaign not in self.spans, f"{obj.campaign} dialed outside its period"
        elif what == "blocked":
            q = self.model.queues_by_name[obj.queue]
            assert len(q.waiting) == q.capacity, "blocked while the queue had room"

    def _outbound_take(self):
        if self.pending is None:
            return  # the answer of the agent's own dial
        agent, free = self.pending
        if self.reserve and self.group[agent] in self.shared:
            assert free >= self.reserve, f"outbound took {agent} with {free} other shared free"
            self.checked += 1


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(centres())
def test_centre_invariants(c):
    calls: list = []
    model = Model(c, on_call=calls.append)
    watcher = Watcher(model, c)
    model.trace = watcher
    for cg in model.campaigns:
        cg.trace = watcher
    model.run()
    from dialer.experiments.run import _centre_summary

    s, _ = _centre_summary(model)
    for name, q in s["queues"].items():
        ended = sum(q[k] for k in ("answered", "abandoned", "balked", "blocked", "waiting_at_end"))
        assert ended == q["offered"], name
        queue = next(x for x in c.queues if x.name == name)
        if queue.capacity is not None:
            assert q["waiting_at_end"] <= queue.capacity
        if queue.patience_s is None:
            assert q["abandoned"] == 0
    for g in s["groups"].values():
        if g["agent_hours"]:
            parts = g["inbound_share"] + g["outbound_share"] + g["idle_share"]
            assert parts <= 1 + 1e-9
    for name, k in s["campaigns"].items():
        assert k["connects"] + k["abandoned"] == k["live_answers"], name
    assert s["connects"] == sum(k["connects"] for k in s["campaigns"].values())
    ids = [x.call_id for x in calls]
    assert len(ids) == len(set(ids))
    assert s["peak_lines"] <= (math.inf if c.lines is None else c.lines)
