"""Staffing a centre: the fewest agents per group that meet the inbound service-level goal and
finish every campaign's list by a deadline, legally.

The question a centre's planner asks: "how many agents do we need in each group for 80% of
inbound calls answered in 20 s and the winback list done by Friday?" A replication of the
centre cut at the deadline *succeeds* when every queue's service level (each with its own
threshold) is at least the goal, every campaign with a finite list has finished at least the
share ``finish`` of it, and every campaign's abandon rate is legal. A staffing (a count per
planned group) is *enough* when at least a share C of the replications succeed, on the same
replication seeds for every staffing (common random numbers).

The search assumes that no group's extra agent makes success less likely. From the file's own
counts it doubles every planned group until the staffing is enough (or a group reaches
``max_agents``), then lowers one group at a time by bisection, the others held, and passes over
the groups again until none can be lowered: a staffing where no group can lose an agent alone
(with a blend group, trading between groups may still find another such staffing; the answer
says which it is and what one agent fewer in each group gives).
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialer.centre import Centre
from dialer.config import dump_yaml
from dialer.errors import InputError
from dialer.version import __version__

SEARCH = (
    "doubling every planned group from the file's counts until enough, then bisection on one "
    "group at a time (the others held) until no group can lose an agent alone"
)


@dataclass
class Probe:
    """R replications of one staffing."""

    counts: dict[str, int]
    replications: int
    successes: int = 0
    errors: int = 0
    error: str | None = None
    figures: dict[str, list[float]] = field(default_factory=dict)

    def enough(self, confidence: float) -> bool:
        return self.successes >= confidence * self.replications - 1e-9

    def to_dict(self) -> dict:
        from dialer.stats import proportion_interval

        lo, hi = proportion_interval(self.successes, self.replications)
        return {
            "counts": dict(self.counts),
            "agents": sum(self.counts.values()),
            "replications": self.replications,
            "successes": self.successes,
            "success_share": self.successes / self.replications,
            "success_ci": [lo, hi],
            **{k: (sum(v) / len(v) if v else None) for k, v in sorted(self.figures.items())},
            "errors": self.errors,
            **({"error": self.error} if self.error else {}),
        }


def judge(summary: dict, finish: float, service_level: float | None, centre: Centre) -> dict:
    """What a replication's (flattened) summary says against the goal: per figure its value,
    and ``ok``."""
    out: dict[str, Any] = {}
    ok = True
    for q in centre.queues:
        v = summary.get(f"queues.{q.name}.service_level")
        out[f"queues.{q.name}.service_level"] = v
        if service_level is not None and (v is None or v < service_level - 1e-12):
            ok = False
    for e in centre.campaigns:
        pen = summary.get(f"campaigns.{e.name}.list_penetration")
        legal = summary.get(f"campaigns.{e.name}.compliance_ok")
        out[f"campaigns.{e.name}.list_penetration"] = pen
        out[f"campaigns.{e.name}.abandon_rate"] = summary.get(f"campaigns.{e.name}.abandon_rate")
        if pen is not None and pen < finish - 1e-12:
            ok = False
        if legal is False:
            ok = False
    out["ok"] = ok
    return out


@dataclass
class StaffingResult:
    centre: Centre
    source: str
    deadline_s: float
    finish: float
    service_level: float | None
    confidence: float
    replications: int
    max_agents: int
    groups: list[str]
    counts: dict[str, int] | None  # the answer (None: not found within max_agents)
    probes: list[Probe]
    recommendation: str

    def probe(self, counts: dict[str, int]) -> Probe | None:
        return next((p for p in self.probes if p.counts == counts), None)

    @property
    def every_run_failed(self) -> bool:
        """No run came back at any staffing tried: nothing could be judged."""
        return (
            self.counts is None
            and bool(self.probes)
            and all(p.errors == p.replications for p in self.probes)
        )

    def to_json(self) -> dict:
        from dialer.experiments.store import versions

        chosen = self.probe(self.counts) if self.counts else None
        fewer = {}
        if self.counts:
            for g in self.groups:
                one = {**self.counts, g: self.counts[g] - 1}
                p = self.probe(one)
                fewer[g] = None if p is None else p.to_dict()
        return {
            "kind": "plan",
            "centre": True,
            "campaign": self.centre.name,
            "campaign_file": self.source,
            "seed": self.centre.seed,
            "version": __version__,
            "deadline_s": self.deadline_s,
            "finish": self.finish,
            "service_level": self.service_level,
            "confidence": self.confidence,
            "replications": self.replications,
            "max_agents": self.max_agents,
            "groups": self.groups,
            "search": SEARCH,
            "feasible": self.counts is not None,
            "counts": self.counts,
            "chosen": None if chosen is None else chosen.to_dict(),
            "one_fewer": fewer,
            "probes": [p.to_dict() for p in self.probes],
            "recommendation": {"text": self.recommendation, "counts": self.counts},
            "versions": versions(),
        }


def _check(name: str, value: Any, ok: bool, expected: str) -> None:
    if not ok:
        raise InputError(f"{name}: expected {expected}, got {value}")


def plan_centre(
    centre: Centre,
    *,
    deadline_s: float,
    finish: float = 1.0,
    service_level: float | None = None,
    groups: list[str] | None = None,
    max_agents: int = 200,
    confidence: float = 0.9,
    replications: int = 10,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    out: str | os.PathLike | None = None,
    source: str = "",
) -> StaffingResult:
    """The fewest agents per planned group (see the module doc)."""
    from contextlib import AbstractContextManager, nullcontext

    from dialer.experiments.pool import Outcome, backend, execute, replication_seed
    from dialer.experiments.store import FolderLock, RunCache

    num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)  # noqa: E731
    _check("--deadline-s", deadline_s, num(deadline_s) and deadline_s > 0, "seconds > 0")
    _check("--finish", finish, num(finish) and 0 < finish <= 1, "a share in (0, 1]")
    if service_level is not None:
        _check(
            "--service-level",
            service_level,
            num(service_level) and 0 < service_level <= 1,
            "a share in (0, 1]",
        )
    _check("--confidence", confidence, num(confidence) and 0 < confidence <= 1, "a share in (0, 1]")
    for name, v in (("--replications", replications), ("--max-agents", max_agents)):
        _check(
            name, v, isinstance(v, int) and not isinstance(v, bool) and v >= 1, "an integer >= 1"
        )
    names = [g.name for g in centre.agents.groups]
    groups = groups or names
    for g in groups:
        if g not in names:
            from dialer.schema import did_you_mean

            raise InputError(
                f"--groups: no agent group '{g}' (have: {', '.join(names)})"
                + did_you_mean(g, names)
            )
    if service_level is None and not centre.campaigns:
        raise InputError("--service-level: expected a goal for a centre with queues only")
    from dialer.experiments.run import check_list_files

    # a bad list or DNC file of any campaign ends here, before a worker starts or the folder
    # is made (the probes change the agent counts only)
    check_list_files([centre])
    # the deadline is the horizon; every call counts; lines never limit the search
    base = centre.override({"horizon_s": float(deadline_s), "warmup_s": 0.0, "lines": None})
    seeds = [replication_seed(centre.seed, r) for r in range(replications)]
    show = sys.stderr.isatty() if progress is None else progress
    probes: dict[tuple, Probe] = {}
    lock: AbstractContextManager = FolderLock(out, "plan") if out else nullcontext()
    with backend(workers, scheduler) as b, lock:
        cache = RunCache(out, "plan", {"centre": base.to_dict(), "groups": groups}) if out else None
        kept = cache.load() if cache else {}

        def run(counts: dict[str, int]) -> Probe:
            key = tuple(counts[g] for g in groups)
            if key in probes:
                return probes[key]
            cell = base.override({f"agents.groups.{g}.count": n for g, n in counts.items()})
            probe = Probe(dict(counts), replications)
            items = [((*key, r), dataclasses.replace(cell, seed=s)) for r, s in enumerate(seeds)]

            def on_done(outcome) -> None:
                if cache is not None and outcome.summary is not None and outcome.key not in kept:
                    cache.keep(outcome.key, outcome.summary, outcome.wall_s)
                s = outcome.summary
                if outcome.error is not None or s is None:
                    probe.errors += 1
                    probe.error = probe.error or outcome.error
                    return
                verdict = judge(s, finish, service_level, centre)
                for k, v in verdict.items():
                    if k != "ok" and isinstance(v, (int, float)):
                        probe.figures.setdefault(k, []).append(float(v))
                probe.successes += bool(verdict["ok"])

            for k, _ in items:
                if k in kept:
                    on_done(Outcome(k, kept[k], None, 0.0))
            execute([it for it in items if it[0] not in kept], b, on_done)
            probes[key] = probe
            if show:
                text = ", ".join(f"{g} {n}" for g, n in counts.items())
                print(
                    f"plan: {text}: {probe.successes}/{replications}", file=sys.stderr, flush=True
                )
            return probe

        counts = {g.name: g.count for g in centre.agents.groups if g.name in groups}
        fixed = sum(g.count for g in centre.agents.groups if g.name not in groups)

        def floor(g: str, counts: dict[str, int]) -> int:
            """The largest count of ``g`` known to fail: -1, or 0 where it would be the
            centre's only agents (no agent in all is no centre: its file refuses it)."""
            return -1 if fixed + sum(n for h, n in counts.items() if h != g) > 0 else 0

        chosen: dict[str, int] | None = None
        while True:
            if run(counts).enough(confidence):
                chosen = counts
                break
            if all(n >= max_agents for n in counts.values()):
                break
            counts = {g: min(max_agents, max(2 * n, n + 1)) for g, n in counts.items()}
        if chosen is not None:
            for _ in range(3):  # passes over the groups until none can lose an agent alone
                lowered = False
                for g in groups:
                    lo, hi = floor(g, chosen), chosen[g]  # lo fails (or is below 0), hi is enough
                    while hi - lo > 1:
                        mid = (lo + hi) // 2
                        if run({**chosen, g: mid}).enough(confidence):
                            hi = mid
                        else:
                            lo = mid
                    if hi < chosen[g]:
                        chosen = {**chosen, g: hi}
                        lowered = True
                if not lowered:
                    break
            for g in groups:  # what one agent fewer in each group gives, for the answer
                if chosen[g] - 1 > floor(g, chosen):
                    run({**chosen, g: chosen[g] - 1})
    result = StaffingResult(
        centre,
        source or centre.name,
        float(deadline_s),
        finish,
        service_level,
        confidence,
        replications,
        max_agents,
        list(groups),
        chosen,
        list(probes.values()),
        "",
    )
    result.recommendation = recommend(result)
    return result


def recommend(r: StaffingResult) -> str:
    goal = []
    if r.service_level is not None and r.centre.queues:
        goal.append(f"a service level of {r.service_level:.0%} on every queue")
    if r.centre.campaigns:
        goal.append(f"{r.finish:.0%} of every list worked with the abandon rate legal")
    within = f"within {r.deadline_s / 3600:g} h"
    if r.every_run_failed:
        # nothing came back: more agents would fail the same way
        first = next(p.error for p in r.probes if p.error)
        return f"Every run failed, so no staffing can be judged (the first error: {first})."
    if r.counts is None:
        return (
            f"No staffing up to {r.max_agents} agents per group meets {' and '.join(goal)} "
            f"{within} in {r.confidence:.0%} of {r.replications} replications."
        )
    chosen = r.probe(r.counts)
    assert chosen is not None
    lo, hi = chosen.to_dict()["success_ci"]
    text = (
        ", ".join(f"{g} {n}" for g, n in r.counts.items())
        + f" ({sum(r.counts.values())} agents planned) meet {' and '.join(goal)} {within} in "
        f"{chosen.successes} of {r.replications} replications (95% interval {lo:.0%} to {hi:.0%})"
    )
    fewer = []
    for g in r.groups:
        p = r.probe({**r.counts, g: r.counts[g] - 1})
        if p is not None:
            fewer.append(f"{g} {r.counts[g] - 1}: {p.successes}/{r.replications}")
    if fewer:
        text += "; one agent fewer: " + ", ".join(fewer)
    return text + "."


def format_staffing(r: StaffingResult) -> str:
    """The readable table of a centre's plan: every staffing tried, and the answer."""
    head = [*r.groups, "agents", "success", "(95% interval)"]
    figure_keys = sorted({k for p in r.probes for k in p.figures})
    head += [k.split(".", 1)[1] for k in figure_keys]
    rows = []
    for p in sorted(r.probes, key=lambda p: tuple(p.counts[g] for g in r.groups)):
        d = p.to_dict()
        lo, hi = d["success_ci"]
        mark = " <" if r.counts == p.counts else ""
        rows.append(
            [str(p.counts[g]) for g in r.groups]
            + [str(d["agents"]), f"{p.successes}/{p.replications}{mark}", f"{lo:.0%}-{hi:.0%}"]
            + ["-" if d[k] is None else f"{100 * d[k]:.1f}%" for k in figure_keys]
        )
    table = [head, *rows]
    widths = [max(len(x[i]) for x in table) for i in range(len(head))]
    lines = [
        f"plan {r.centre.name}: staffing of {', '.join(r.groups)} within "
        f"{r.deadline_s / 3600:g} h, in at least {r.confidence:.0%} of {r.replications} "
        "replications",
        "",
    ]
    lines += ["  ".join(v.rjust(w) for v, w in zip(x, widths)) for x in table]
    lines += ["", r.recommendation]
    return "\n".join(lines)


def write_staffing(r: StaffingResult, out: str | os.PathLike) -> Path:
    from dialer.outputs import ensure_dir, write_json, write_text

    folder = ensure_dir(out)
    write_text(folder / "campaign.yaml", dump_yaml(r.centre.to_dict()))
    write_json(folder / "plan.json", r.to_json())
    return folder / "plan.json"
