"""Sharing agents and lines between a centre's campaigns: pure rules, no SimPy.

Agent assignment (Genesys ``agent-assignment``): each agent works for one campaign at a time,
one whose groups include the agent's group. :func:`assignment` decides, for the agents logged
in, which campaign each should work for: the active campaigns in order (those with records to
dial now before those without, then by priority) take their ``min_agents`` first, then every
other agent goes to the first campaign in that order it may work for that is below its
``max_agents`` (among equals: the one it works for already, else the one with the fewest
agents). An agent of no active campaign works for none (it still answers the queues of its
group). The model moves an agent when it is free.

Dynamic port allocation (Genesys ``dynamic-port-allocation``): :func:`share_lines` splits the
trunk between the active campaigns in proportion to their need (lines in use, previews under
way, and the dials they wanted and found no line for), a higher priority's need met first,
always summing to the trunk.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Want:
    """A campaign as assignment sees it."""

    wants: bool  # active
    priority: int
    min_agents: int
    max_agents: int | None
    has_work: bool = True  # with records to dial now (its need)

    @property
    def rank(self) -> tuple[bool, int]:
        return (self.has_work, self.priority)


def assignment(
    agents: list[tuple[int, int | None]],
    eligible: dict[int, list[int]],
    campaigns: list[Want],
) -> list[int | None]:
    """The campaign (index, or None) for each agent of ``agents``, given as (group, current
    campaign); ``eligible[group]``: the campaigns whose groups include it (see the module doc)."""
    order = sorted(
        (c for c in range(len(campaigns)) if campaigns[c].wants),
        key=lambda c: (not campaigns[c].has_work, -campaigns[c].priority, c),
    )
    rank = {c: r for r, c in enumerate(order)}
    out: list[int | None] = [None] * len(agents)
    counts = [0] * len(campaigns)
    free = []  # agents not yet given a campaign
    for i, (group, _current) in enumerate(agents):
        if any(c in rank for c in eligible.get(group, ())):
            free.append(i)

    def room(c: int) -> bool:
        cap = campaigns[c].max_agents
        return cap is None or counts[c] < cap

    # minimums, by priority: agents already on the campaign first, then unassigned, then others
    for c in order:
        need = campaigns[c].min_agents
        if not need:
            continue
        mine = [i for i in free if c in eligible.get(agents[i][0], ())]
        mine.sort(key=lambda i: (agents[i][1] != c, agents[i][1] is not None))
        for i in mine[: min(need, len(mine))]:
            if not room(c):
                break
            out[i] = c
            counts[c] += 1
            free.remove(i)
    # the rest: agents on a campaign they may keep first (so that nobody moves for nothing)
    free.sort(key=lambda i: agents[i][1] is None)
    for i in free:
        group, current = agents[i]
        options = [c for c in eligible.get(group, ()) if c in rank and room(c)]
        if not options:
            continue
        best = max(campaigns[c].rank for c in options)
        top = [c for c in options if campaigns[c].rank == best]
        pick = current if current in top else min(top, key=lambda c: (counts[c], rank[c]))
        out[i] = pick
        counts[pick] += 1
    return out


def _apportion(total: int, weights: list[float]) -> list[int]:
    """``total`` whole lines in proportion to ``weights`` (equal shares when all are 0), by
    largest remainders, ties to the first."""
    if not weights or total <= 0:
        return [0] * len(weights)
    if sum(weights) <= 0:
        weights = [1.0] * len(weights)
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    whole = [math.floor(x) for x in exact]
    left = total - sum(whole)
    for k in sorted(range(len(exact)), key=lambda k: (-(exact[k] - whole[k]), k))[:left]:
        whole[k] += 1
    return whole


def share_lines(
    total: int,
    needs: Sequence[float],
    active: Sequence[bool],
    priorities: Sequence[int] | None = None,
) -> list[float]:
    """Lines per campaign, summing to ``total``: the active campaigns' needs are met by
    priority (higher first; among equal priorities in proportion to their needs while the
    trunk is short), then the lines left are split in proportion to the needs (equal shares when
    none needs any); an inactive campaign gets none."""
    n = len(needs)
    prio = list(priorities) if priorities is not None else [0] * n
    on = [i for i in range(n) if active[i]]
    out = [0.0] * n
    if not on:
        return out
    left = int(total)
    for level in sorted({prio[i] for i in on}, reverse=True):
        idx = [i for i in on if prio[i] == level]
        want = sum(max(needs[i], 0.0) for i in idx)
        give = min(left, math.floor(want))
        for i, k in zip(idx, _apportion(give, [max(needs[i], 0.0) for i in idx])):
            out[i] += k
        left -= give
    for i, k in zip(on, _apportion(left, [max(needs[i], 0.0) for i in on])):
        out[i] += k
    return out
