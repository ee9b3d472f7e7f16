"""Capacity planning: the fewest agents that work a list by a deadline, legally, per mode.

The question a capacity planner asks: "how many agents (and lines) do I need to work this list
by Friday within compliance?" For each dialing mode, :func:`plan` finds the smallest number of
agents *n* such that, in at least a share C of replications, a run of the campaign cut at the
deadline finishes at least a share F of the list's records (``list_penetration``) with the
abandon rate legal (``compliance_ok``).

The search assumes that success does not get less likely with more agents (more agents work
the list faster; the pacing rules keep the abandon rate in check). Under that assumption the
smallest feasible *n* is found by doubling from the campaign's own count until a count succeeds
(or ``max_agents`` fails), then bisecting, each probe a batch of replications; the modes are searched side by side, so each round of probes runs in parallel
on the backend of :mod:`dialer.pool`. Every agent count runs the same replication seeds
(common random numbers), which keeps the success share close to monotone in *n* even with few
replications.

Lines are unlimited while searching; the lines a mode needs are the most lines any replication
held at once at the chosen count. The uncertainty is reported as the success share with its
exact (Clopper-Pearson) 95% interval at the chosen count and at one agent fewer.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialer.config import IVR_MODES, MODES, Campaign, dump_yaml, load_campaign
from dialer.errors import InputError
from dialer.version import __version__

SEARCH = (
    "doubling from the campaign's agent count, then bisection, assuming success does not "
    "get less likely with more agents"
)


@dataclass
class Trial:
    """R replications at one agent count."""

    agents: int
    replications: int
    successes: int = 0
    errors: int = 0
    error: str | None = None
    finish: list[float] = field(default_factory=list)
    abandon: list[float] = field(default_factory=list)
    occupancy: list[float] = field(default_factory=list)
    peak_lines: int = 0
    records: int | None = None  # records_total of the list as the runs saw it

    def ok(self, confidence: float) -> bool:
        return self.successes >= confidence * self.replications - 1e-9

    def to_dict(self) -> dict:
        from dialer.stats import proportion_interval

        lo, hi = proportion_interval(self.successes, self.replications)
        return {
            "agents": self.agents,
            "replications": self.replications,
            "successes": self.successes,
            "success_share": self.successes / self.replications,
            "success_ci": [lo, hi],
            "finish_share_mean": _mean(self.finish),
            "abandon_rate_mean": _mean(self.abandon),
            "occupancy_mean": _mean(self.occupancy),
            "peak_lines": self.peak_lines,
            "errors": self.errors,
            **({"error": self.error} if self.error else {}),
        }


def _mean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


@dataclass
class Search:
    """One mode's search: from the campaign's own count, double until a count succeeds (or
    ``max_agents`` fails), then bisect. ``lo`` is known to fail (or 0), ``hi`` to succeed."""

    mode: str
    max_agents: int
    confidence: float
    start: int
    trials: dict[int, Trial] = field(default_factory=dict)
    lo: int = 0
    hi: int | None = None

    def next_probe(self) -> int | None:
        if self.hi is None:  # nothing has succeeded yet: go up
            if not self.trials:
                return max(1, min(self.start, self.max_agents))
            if self.lo >= self.max_agents:
                return None
            return min(self.max_agents, 2 * self.lo)
        if self.hi - self.lo <= 1:
            return None
        return (self.lo + self.hi) // 2

    def record(self, trial: Trial) -> None:
        self.trials[trial.agents] = trial
        if trial.ok(self.confidence):
            self.hi = trial.agents if self.hi is None else min(self.hi, trial.agents)
        else:
            self.lo = max(self.lo, trial.agents)

    @property
    def feasible(self) -> bool:
        return self.hi is not None

    @property
    def chosen(self) -> int:
        """The answer if feasible, else the most agents tried."""
        return self.hi if self.hi is not None else max(self.trials)


def available_modes(campaign: Campaign) -> list[str]:
    """Every mode of :data:`dialer.config.MODES` that this version's pacing can run."""
    from dialer.pacing.modes import PACERS

    return [mode for mode in MODES if mode in PACERS]


def _check(name: str, value: Any, ok: bool, expected: str) -> None:
    if not ok:
        raise InputError(f"{name}: expected {expected}, got {value}")


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass
class PlanResult:
    campaign: Campaign
    source: str
    deadline_s: float
    finish: float
    confidence: float
    replications: int
    max_agents: int
    group: str
    modes: dict[str, dict]
    recommendation: dict
    records: int | None = None  # the list's records as the runs counted them

    @property
    def every_run_failed(self) -> bool:
        """No run came back for any mode: nothing could be judged."""
        return bool(self.modes) and all(a.get("error") for a in self.modes.values())

    def to_json(self) -> dict:
        """plan.json: the per-mode answers with everything needed to read them."""
        from dialer.experiments.store import versions

        c = self.campaign
        return {
            "kind": "plan",
            "campaign": c.name,
            "campaign_file": self.source,
            "seed": c.seed,
            "version": __version__,
            "records": self.records,
            "deadline_s": self.deadline_s,
            "finish": self.finish,
            "confidence": self.confidence,
            "replications": self.replications,
            "max_agents": self.max_agents,
            "group": self.group,
            "search": SEARCH,
            "modes": self.modes,
            "recommendation": self.recommendation,
            "versions": versions(),
        }


def plan(
    campaign: str | os.PathLike | Campaign,
    *,
    deadline_s: float,
    finish: float = 1.0,
    modes: list[str] | None = None,
    max_agents: int = 200,
    confidence: float = 0.9,
    replications: int = 10,
    group: str | None = None,
    overrides: dict | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    out: str | os.PathLike | None = None,
) -> list[dict]:
    """Per mode, the fewest agents that work a share ``finish`` of the list within
    ``deadline_s`` seconds with the abandon rate legal, in at least a share ``confidence`` of
    ``replications`` runs. One row per mode: agents, lines, finish_share, abandon_rate,
    occupancy, success_share (and its 95% interval), feasible, the trials behind it.
    """
    result = run_plan(
        campaign,
        deadline_s=deadline_s,
        finish=finish,
        modes=modes,
        max_agents=max_agents,
        confidence=confidence,
        replications=replications,
        group=group,
        overrides=overrides,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        out=out,
    )
    return [{"mode": m, **v} for m, v in result.modes.items()]


def run_plan(
    campaign: str | os.PathLike | Campaign,
    *,
    deadline_s: float,
    finish: float = 1.0,
    modes: list[str] | None = None,
    max_agents: int = 200,
    confidence: float = 0.9,
    replications: int = 10,
    group: str | None = None,
    overrides: dict | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    out: str | os.PathLike | None = None,
) -> PlanResult:
    """:func:`plan` with the settings and the recommendation, for the command line and plan.json.

    With ``out`` the folder is locked while the runs go (a second writer is refused) and every
    finished run is kept in ``out/runs/``, so that a stopped plan resumes: its search asks for
    the same agent counts again, and the runs on disk are not run again.
    """
    from contextlib import AbstractContextManager, nullcontext

    from dialer.experiments.pool import Outcome, backend, execute, replication_seed
    from dialer.experiments.store import FolderLock, RunCache

    if isinstance(campaign, Campaign):
        source, base = campaign.name, campaign.override(overrides) if overrides else campaign
    else:
        source, base = str(campaign), load_campaign(campaign, overrides)
    _check("--deadline-s", deadline_s, _number(deadline_s) and deadline_s > 0, "seconds > 0")
    _check("--finish", finish, _number(finish) and 0 < finish <= 1, "a share in (0, 1]")
    _check(
        "--confidence", confidence, _number(confidence) and 0 < confidence <= 1, "a share in (0, 1]"
    )
    for name, v in (("--replications", replications), ("--max-agents", max_agents)):
        _check(
            name, v, isinstance(v, int) and not isinstance(v, bool) and v >= 1, "an integer >= 1"
        )
    if base.calling_list.size is None and not getattr(base.calling_list, "file", None):
        raise InputError(
            f"{source}: calling_list.size: plan needs a finite list to work "
            "(got null, an endless stream)"
        )
    names = [g.name for g in base.agents.groups]
    group = group or names[0]
    if group not in names:
        from dialer.schema import did_you_mean

        raise InputError(
            f"--group: no agent group '{group}' (have: {', '.join(names)})"
            + did_you_mean(group, names)
        )
    runnable = available_modes(base)
    if modes is None:
        # those of dialer compare: a single campaign has no inbound work, so not the threshold
        # rule (it stalls once every dial in flight fails), unless named
        from dialer.experiments.compare import default_modes

        modes = [m for m in default_modes() if m in runnable]
    for m in modes:
        if m in IVR_MODES:  # a mode, but not one whose agents plan can count
            raise InputError(
                f"--modes: '{m}' is an agentless IVR mode (plan sizes agent groups); expected "
                f"modes among {', '.join(MODES)}"
            )
        if m not in MODES:
            from dialer.schema import did_you_mean

            raise InputError(
                f"--modes: '{m}' is not a dialing mode (expected one of "
                f"{', '.join(MODES)}){did_you_mean(m, MODES)}"
            )
        if m not in runnable:
            raise InputError(
                f"--modes: '{m}' is not available in this version "
                f"(available: {', '.join(runnable)})"
            )
    if not modes:
        raise InputError("--modes: expected at least one mode")
    from dialer.experiments.run import check_list_files

    # a bad list or DNC file ends here, before a worker starts or the folder is made (the
    # probes change the agents, the mode and the horizon only: the files are the campaign's)
    check_list_files([base])

    others = sum(g.count for g in base.agents.groups if g.name != group)
    # The deadline is the horizon; every dial counts (no warm-up); lines never limit the search.
    probe_base = base.override(
        {"horizon_s": float(deadline_s), "warmup_s": 0.0, "dialing.lines": None}
    )
    seeds = [replication_seed(base.seed, r) for r in range(replications)]
    start = next(g.count for g in base.agents.groups if g.name == group)
    # with other groups logged in, the planned group may need nobody: 0 is a count to try
    searches = {m: Search(m, max_agents, confidence, start, lo=-1 if others else 0) for m in modes}
    show = sys.stderr.isatty() if progress is None else progress

    lock: AbstractContextManager = FolderLock(out, "plan") if out else nullcontext()
    with backend(workers, scheduler) as b, lock:
        cache = (
            RunCache(out, "plan", {"campaign": probe_base.to_dict(), "group": group})
            if out
            else None
        )
        kept = cache.load() if cache else {}
        while True:
            probes = {m: n for m, s in searches.items() if (n := s.next_probe()) is not None}
            if not probes:
                break
            items, trials = [], {}
            for m, n in probes.items():
                cell = probe_base.override({"dialing.mode": m, f"agents.groups.{group}.count": n})
                trials[m] = Trial(n, replications)  # n: the planned group's count
                items += [
                    ((m, n, r), dataclasses.replace(cell, seed=s)) for r, s in enumerate(seeds)
                ]

            def on_done(outcome, trials=trials) -> None:
                if cache is not None and outcome.summary is not None and outcome.key not in kept:
                    cache.keep(outcome.key, outcome.summary, outcome.wall_s)
                t = trials[outcome.key[0]]
                s = outcome.summary
                if outcome.error is not None or s is None:
                    t.errors += 1
                    t.error = t.error or outcome.error
                    return
                pen = s.get("list_penetration") or 0.0
                t.finish.append(pen)
                t.abandon.append(s.get("abandon_rate"))
                t.occupancy.append(s.get("occupancy"))
                t.peak_lines = max(t.peak_lines, s.get("peak_lines") or 0)
                t.records = s.get("records_total") or t.records
                if pen >= finish - 1e-12 and s.get("compliance_ok"):
                    t.successes += 1

            for key, _ in items:
                if key in kept:
                    on_done(Outcome(key, kept[key], None, 0.0))
            execute([item for item in items if item[0] not in kept], b, on_done)
            for m, t in trials.items():
                searches[m].record(t)
            if show:
                text = ", ".join(
                    f"{m} {trials[m].agents + others}: {trials[m].successes}/{replications}"
                    for m in probes
                )
                print(f"plan: {text}", file=sys.stderr, flush=True)

    answers = {m: _answer(s, others, confidence) for m, s in searches.items()}
    records = max((t.records or 0 for s in searches.values() for t in s.trials.values()), default=0)
    # no run came back: a list file's size is its own (calling_list.size is not it)
    records = records or (None if base.calling_list.file else base.calling_list.size) or 0
    return PlanResult(
        base,
        source,
        float(deadline_s),
        finish,
        confidence,
        replications,
        max_agents,
        group,
        answers,
        _recommend(answers, records, deadline_s, finish, replications),
        records,
    )


def _answer(s: Search, others: int, confidence: float) -> dict:
    def total(t: Trial) -> dict:
        return {**t.to_dict(), "agents": t.agents + others}

    trials = [total(s.trials[n]) for n in sorted(s.trials)]
    at = s.trials[s.chosen]
    chosen = total(at)
    below = total(s.trials[s.chosen - 1]) if s.feasible and s.chosen - 1 in s.trials else None
    out = {
        "agents": chosen["agents"] if s.feasible else None,
        "lines": chosen["peak_lines"] if s.feasible else None,
        "finish_share": chosen["finish_share_mean"],
        "abandon_rate": chosen["abandon_rate_mean"],
        "occupancy": chosen["occupancy_mean"],
        "success_share": chosen["success_share"],
        "success_ci": chosen["success_ci"],
        "feasible": s.feasible,
        "at_agents": chosen["agents"],
        "below": None
        if below is None
        else {k: below[k] for k in ("agents", "success_share", "success_ci")},
        "trials": trials,
    }
    # the search's assumption, checked on what it saw: no count succeeded more often than a larger one
    shares = [t["success_share"] for t in trials]
    out["monotone"] = all(a <= b for a, b in zip(shares, shares[1:]))
    if at.error and at.errors == at.replications:
        out["error"] = at.error
    return out


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds:g} s"


def _recommend(
    answers: dict, size: int | None, deadline_s: float, finish: float, reps: int
) -> dict:
    feasible = [
        (a["agents"], a["lines"], -a["success_share"], i, m)
        for i, (m, a) in enumerate(answers.items())
        if a["feasible"]
    ]
    records = f"{size:,} records" if size else "the list"
    failed = [a["error"] for a in answers.values() if a.get("error")]
    if not feasible and failed and len(failed) == len(answers):
        # nothing came back: more agents or a later deadline would fail the same way
        return {
            "mode": None,
            "agents": None,
            "text": f"Every run failed, so no mode can be judged (the first error: {failed[0]}).",
        }
    if not feasible:
        most = max((a["at_agents"] for a in answers.values()), default=0)
        text = (
            f"No mode works {finish:.0%} of {records} within {_hours(deadline_s)} with the "
            f"abandon rate legal at {most} agents or fewer"
        )
        worked = [a for a in answers.values() if (a.get("finish_share") or 0) >= finish]
        if worked and len(worked) == len(answers):
            # the list gets worked: the abandon limit is what fails, and more agents will not help
            lowest = min(a.get("abandon_rate") or 0.0 for a in worked)
            text += (
                f": the list gets worked, but the compliance window is over the limit in too "
                f"many runs (lowest abandon rate {lowest:.1%}; under Ofcom the AMD false-positive "
                f"estimate counts too)."
            )
        else:
            text += ": raise --max-agents or the deadline."
        return {"mode": None, "agents": None, "text": text}
    agents, lines, _, _, mode = min(feasible)
    a = answers[mode]
    lo, hi = a["success_ci"]
    text = (
        f"{mode} with {agents} agents and {lines} lines works {finish:.0%} of {records} within "
        f"{_hours(deadline_s)} with the abandon rate legal in {round(a['success_share'] * reps)} of "
        f"{reps} replications (95% interval {lo:.0%} to {hi:.0%})"
    )
    if a["below"]:
        b = a["below"]
        text += f"; with {b['agents']} agents, in {round(b['success_share'] * reps)} of {reps}"
    return {"mode": mode, "agents": agents, "lines": lines, "text": text + "."}


def format_plan(result: PlanResult) -> str:
    """The readable table of a plan."""
    c = result.campaign
    rows = [
        (
            "mode",
            "agents",
            "lines",
            "finished",
            "abandon",
            "occupancy",
            "success (95% interval)",
            "one agent fewer",
        )
    ]
    for m, a in result.modes.items():
        lo, hi = a["success_ci"]
        b = a["below"]
        rows.append(
            (
                m,
                str(a["agents"]) if a["feasible"] else f"> {a['at_agents']}",
                "-" if a["lines"] is None else str(a["lines"]),
                _pct(a["finish_share"]),
                _pct(a["abandon_rate"]),
                _pct(a["occupancy"]),
                f"{_pct(a['success_share'], 0)} ({_pct(lo, 0)}-{_pct(hi, 0)})",
                "-" if not b else f"{b['agents']}: {_pct(b['success_share'], 0)}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    size = f"{result.records:,} records" if result.records else "the list"
    head = (
        f"plan {c.name}: work {result.finish:.0%} of {size} within "
        f"{_hours(result.deadline_s)}, abandon rate legal, in at least {result.confidence:.0%} "
        f"of {result.replications} replications"
    )
    lines = [head, ""]
    lines += [
        "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths)))
        for r in rows
    ]
    lines += ["", result.recommendation["text"]]
    odd = [m for m, a in result.modes.items() if not a["monotone"]]
    if odd:
        lines.append(
            f"note: for {', '.join(odd)}, a smaller team succeeded more often than a larger one "
            "in the trials (see --json trials): the count found may not be the fewest; "
            "more --replications make the search surer."
        )
    return "\n".join(lines)


def _pct(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{100 * x:.{digits}f}%"


def write_plan(result: PlanResult, out: str | os.PathLike) -> Path:
    from dialer.outputs import ensure_dir, write_json, write_text

    folder = ensure_dir(out)
    write_text(folder / "campaign.yaml", dump_yaml(result.campaign.to_dict()))
    write_json(folder / "plan.json", result.to_json())
    return folder / "plan.json"
