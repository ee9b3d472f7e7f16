"""The Stat Server between the agents and the OCS, and what the OCS knows of its agents.

In a Genesys centre the OCS does not see agents: it subscribes to their states on the Stat
Server, which reports each change a little late (``stat_server.delay_s``; in order for each
agent). When the OCS loses its Stat Server (``stat_server.outages``) it places no new dial for
the group until the link is back, and then starts again from fresh states. The states it shows
are ready, preview, reserved, talking, wrap-up and logged out: an agent handed an answering
machine shows as talking until the agent's disposition says it was a machine.

:class:`AgentView` is the OCS's knowledge: each agent's state as last reported and since when,
and the counts the pacer reads. Besides the reports, the OCS knows its own actions at once (it
reserved an agent for a dial, handed one a record to preview, released a reservation) and, when
a reservation is refused because the agent is not ready after all, it asks the Stat Server for
that agent's current state. A report older than what the OCS already knows of an agent is
stale and ignored.

:class:`StatServer` times the reports: when each one reaches the OCS, which ones an outage
loses, and when the OCS first learned of each agent-state interval (the ``reported_s`` column
of ``agent_states.csv``). No SimPy here: the model schedules the deliveries.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math

from dialer.clock import DAY, Calendar
from dialer.codes import LOGGED_OUT, ON_MACHINE, READY, TALKING, WRAP_UP
from dialer.config import StatServer as StatServerSettings
from dialer.pacing.ages import Ages
from dialer.pacing.base import BUSY_BIN_S
from dialer.rng import stream

# the state the Stat Server shows for each agent state (a machine shows as talking)
SHOWN = list(range(7))
SHOWN[ON_MACHINE] = TALKING


class AgentView:
    """Each agent's state as the OCS knows it, and the counts by state (see the module doc)."""

    __slots__ = ("state", "since", "stamp", "group", "counts", "ready", "busy")

    def __init__(self, groups: list[int], busy: bool = True):
        n = len(groups)
        self.group = groups
        self.state = [LOGGED_OUT] * n
        self.since = [0.0] * n
        self.stamp = [-math.inf] * n  # time of the newest information about each agent
        self.counts = [0] * 7
        self.counts[LOGGED_OUT] = n
        self.ready: dict[int, None] = {}  # agents shown ready, longest ready first
        # per group: agents shown talking and in wrap-up, counted by when they entered it
        # (kept only for the pacers that forecast: with ``busy`` False the list stays empty)
        ngroups = max(groups, default=-1) + 1 if busy else 0
        self.busy = [(Ages(BUSY_BIN_S), Ages(BUSY_BIN_S)) for _ in range(ngroups)]

    def learn(self, agent: int, state: int, since: float) -> bool:
        """Take a report that ``agent`` is in ``state`` since ``since``; False if stale."""
        if since < self.stamp[agent]:
            return False
        self.stamp[agent] = since
        old, was = self.state[agent], self.since[agent]
        if self.busy:
            if old == TALKING or old == WRAP_UP:
                self.busy[self.group[agent]][old == WRAP_UP].remove(was)
            if state == TALKING or state == WRAP_UP:
                self.busy[self.group[agent]][state == WRAP_UP].add(since)
        self.since[agent] = since
        if old == state:
            return True
        counts = self.counts
        counts[old] -= 1
        counts[state] += 1
        self.state[agent] = state
        if old == READY:
            del self.ready[agent]
        elif state == READY:
            self.ready[agent] = None
        return True

    def refresh(self, agent: int, state: int, since: float) -> None:
        """Take the Stat Server's answer to a query about ``agent`` (whatever the OCS knew)."""
        self.stamp[agent] = -math.inf
        self.learn(agent, state, since)

    def longest_ready(self) -> int | None:
        return next(iter(self.ready), None)


class StatServer:
    """When each agent-state report reaches the OCS (see the module doc)."""

    def __init__(self, settings: StatServerSettings, calendar: Calendar, seed: int):
        self.delay = settings.delay_s
        self.constant = settings.delay_s.is_constant
        self.rng = stream(seed, "stat_server")
        self._uniforms: list[float] = []
        self.outages = outage_spans(settings, calendar)  # [start, end) in time order
        self.starts = [a for a, _ in self.outages]
        self.ends = [b for _, b in self.outages]
        self.last: list[float] = []  # per agent: time of its last report (see reset)

    def reset(self, agents: int) -> None:
        self.last = [-math.inf] * agents

    def _draw(self) -> float:
        if self.constant:
            return self.delay.mean
        if not self._uniforms:
            self._uniforms = self.delay.ppf(self.rng.random(1024)).tolist()[::-1]
        return self._uniforms.pop()

    def outage_at(self, t: float) -> tuple[float, float] | None:
        """The outage [start, end) holding time ``t``, if any."""
        i = bisect.bisect_right(self.starts, t) - 1
        if i >= 0 and t < self.outages[i][1]:
            return self.outages[i]
        return None

    def report_time(self, agent: int, t: float) -> float | None:
        """When the report of a change at ``t`` reaches the OCS, or None when it is lost (the
        change happens during an outage, or its report would arrive during one)."""
        at = t + self._draw()
        if at < self.last[agent]:
            at = self.last[agent]  # reports of one agent arrive in order
        self.last[agent] = at
        if self.outages and (self.outage_at(t) is not None or self.outage_at(at) is not None):
            return None
        return at

    def first_known(self, start: float, end: float, report: float | None) -> float | None:
        """When the OCS first learned of an interval [start, end): its report, or the fresh
        states taken when the Stat Server came back during the interval (or as it ended: the
        fresh states are taken before anything else happens at that moment), whichever came
        first."""
        known = math.inf if report is None else report
        if self.outages:
            i = bisect.bisect_left(self.ends, start)
            if i < len(self.outages) and self.outages[i][1] <= end:
                known = min(known, self.outages[i][1])
        return None if known == math.inf else known


def outage_spans(settings: StatServerSettings, calendar: Calendar) -> list[tuple[float, float]]:
    """The outages as simulated [start, end) intervals within the run, merged, in time order:
    each at the first time its "HH:MM" comes on or after the start (every day if ``daily``)."""
    horizon = calendar.horizon_s
    first = calendar.local(0, calendar.site).date()
    spans = []
    for outage in settings.outages:
        for day in range(int(horizon // DAY) + 2):
            at = calendar.wall_to_sim(first + dt.timedelta(days=day), outage.at, calendar.site)
            if at >= horizon:
                break
            if at < 0:
                continue  # before the start: the first occurrence is the next day's
            spans.append((at, min(at + outage.duration_s, horizon)))
            if not outage.daily:
                break
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged
