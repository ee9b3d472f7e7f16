"""Which mode wins: the same campaign under several dialing modes, on paired seeds.

A centre is compared the same way, variant by variant: a dialing mode for its campaigns (or for
one of them), or any set of its keys (``--variant 'reserve 2:blending.reserve_agents=2'``), on
the same seeds, by the inbound service and the outbound connects (:data:`CENTRE_METRICS`).

Replication r of every mode runs with the same seed (a function of the campaign's seed and r),
so each record behaves the same way under every mode and the modes' differences are judged pair
by pair. A mode is *legal* when its compliance window stayed within the limit in every
replication; the best legal mode (the most talk minutes per agent-hour) is the baseline the
others are measured against. With ``frontier=True`` each tunable mode is also run at a few
settings of its knob, to draw abandon rate against occupancy.

The runs go through :mod:`dialer.pool`, so a comparison runs in this process, on a local pool
or on a Dask cluster alike, with identical results. With ``out``, the folder is locked and each
finished run kept in ``out/runs/`` as it comes back (:class:`~dialer.experiments.store.RunCache`),
so that a stopped comparison resumes where it stopped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from dialer.centre import Centre
from dialer.config import IVR_MODES, MODES, Campaign, parse_override
from dialer.errors import InputError
from dialer.experiments.pool import Outcome, Progress, backend, execute, replication_seed
from dialer.stats import paired_interval, proportion_interval, t_interval
from dialer.version import __version__

# The metrics of the comparison table (compliance_ok averages to the share of legal runs).
METRICS = (
    "occupancy",
    "talk_share",
    "talk_minutes_per_agent_hour",
    "connects_per_agent_hour",
    "abandon_rate",
    "abandon_rate_ofcom",
    "abandon_rate_true",
    "overdial_rate",
    "mean_agent_wait_s",
    "compliance_worst_rate",
    "compliance_ok",
)
BEST_BY = "talk_minutes_per_agent_hour"
# A centre's comparison table (flattened summary keys) and what the best legal variant has most.
CENTRE_METRICS = (
    "inbound.service_level",
    "inbound.answered_within_share",
    "inbound.asa_s",
    "inbound.abandoned_share",
    "connects",
    "connects_per_hour",
    "abandon_rate",
    "occupancy",
    "inbound_share",
    "outbound_share",
    "compliance_worst_rate",
    "compliance_ok",
)
CENTRE_BEST_BY = "connects_per_hour"

# Each tunable mode's knob and the settings the frontier sweeps.
FRONTIER = {
    "power": ("dialing.ratio", (1.4, 1.8, 2.2, 2.6, 3.0)),
    "predictive": ("dialing.target_abandon_rate", (0.01, 0.02, 0.03, 0.04, 0.05)),
    "optimized": ("dialing.max_abandon_rate", (0.01, 0.02, 0.03, 0.04, 0.05)),
}


def parse_modes(text: str | None) -> list[str]:
    """The modes of ``--modes`` (none given: [], every agent mode, see compare)."""
    if not text:
        return []
    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        from dialer.schema import did_you_mean

        hint = " (an agentless IVR mode)" if bad and bad[0] in IVR_MODES else ""
        got = repr(bad[0]) + (hint or did_you_mean(bad[0], MODES)) if bad else repr(text)
        raise InputError(f"--modes: expected modes among {', '.join(MODES)}, got {got}")
    return list(dict.fromkeys(modes))


def parse_variant(text: str) -> tuple[str, dict]:
    """``NAME:key=value[,key=value...]`` -> (NAME, {key: value})."""
    name, sep, rest = text.partition(":")
    if not sep or not name.strip() or not rest.strip():
        raise InputError(f"--variant {text}: expected NAME:key=value[,key=value...]")
    changes = dict(parse_override(item) for item in rest.split(",") if item.strip())
    return name.strip(), changes


def default_modes(inbound: bool = False) -> list[str]:
    """The modes compared when none are named: every agent mode, but the threshold rule only
    where there is inbound work. It decides only when an agent ends a call, so with outbound
    work alone it stops for good once every dial in flight has failed with agents free (on the
    B2C example at 6 agents: no dial at all in one replication of eight, under 400 in three)."""
    return [m for m in MODES if inbound or m != "threshold"]


def variants_of(
    scenario: Campaign | Centre,
    modes: list[str] | None,
    variants: list[tuple[str, dict]] | None = None,
    campaign: str | None = None,
) -> list[tuple[str, dict]]:
    """The variants to compare, (label, dotted changes): each mode (for a centre: of every
    campaign, or of ``campaign`` only), then the given ``variants``."""
    out: list[tuple[str, dict]] = []
    if isinstance(scenario, Campaign):
        if campaign is not None:
            raise InputError("--campaign: expected a centre file (a campaign file is one campaign)")
        out = [(m, {"dialing.mode": m}) for m in (modes or ([] if variants else default_modes()))]
    else:
        names = [e.name for e in scenario.campaigns]
        if campaign is not None and campaign not in names:
            from dialer.schema import did_you_mean

            raise InputError(
                f"--campaign: no campaign '{campaign}' (have: {', '.join(names)})"
                + did_you_mean(campaign, names)
            )
        chosen = [campaign] if campaign else names
        if modes is None and not variants:
            modes = default_modes(inbound=bool(scenario.queues)) if names else []
        for m in modes or []:
            out.append((m, {f"campaigns.{n}.dialing.mode": m for n in chosen}))
    out += variants or []
    labels = [label for label, _ in out]
    dupes = sorted({x for x in labels if labels.count(x) > 1})
    if dupes:
        raise InputError(f"--variant: expected distinct names, got '{dupes[0]}' twice")
    if not out:
        raise InputError("--modes / --variant: expected at least one thing to compare")
    return out


def _value(summary: dict, metric: str) -> float | None:
    v = summary.get(metric)
    if isinstance(v, bool):
        return float(v)
    return v if isinstance(v, (int, float)) else None


def compare(
    campaign: Campaign | Centre,
    modes: list[str] | None = None,
    replications: int = 5,
    *,
    variants: list[tuple[str, dict]] | None = None,
    only: str | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    frontier: bool = False,
    progress: bool | None = None,
    on_run: Callable[[Outcome], None] | None = None,
    out: str | os.PathLike | None = None,
) -> dict:
    """Run every mode (and variant) on paired seeds; the comparison as ``compare.json``'s data.

    ``variants``: (label, dotted changes) compared beside the modes; ``only``: in a centre, the
    campaign whose mode the modes set (default: every campaign's).

    With ``out`` the folder is locked while the runs go (a second writer is refused) and every
    finished run is kept in ``out/runs/``; a comparison stopped (Ctrl-C, SIGTERM) or cut short
    by a full disk resumes from them when called again with the same campaign.
    """
    from dialer.experiments.store import FolderLock, RunCache

    if isinstance(campaign, Campaign) and campaign.agentless:
        raise InputError(
            f"{campaign.name}: expected a campaign with agents (compare ranks modes by talk time); "
            f"for the agentless modes ({', '.join(IVR_MODES)}) run a sweep with the factor "
            "dialing.mode (docs/experiments.md)"
        )
    runs = variants_of(campaign, modes, variants, only)
    modes = [label for label, _ in runs]
    centre = isinstance(campaign, Centre)
    if replications < 2:
        raise InputError(
            f"--replications: expected at least 2 (for confidence intervals), got {replications}"
        )
    seeds = [replication_seed(campaign.seed, r) for r in range(replications)]
    items: list[tuple[Any, Campaign | Centre]] = []
    for r, seed in enumerate(seeds):
        for label, changes in runs:
            items.append((("mode", label, None, r), campaign.override({**changes, "seed": seed})))
    if frontier and centre:
        raise InputError("--frontier: expected a campaign file (a centre compares variants)")
    if frontier:
        for mode in modes:
            if mode not in FRONTIER:
                continue
            knob, values = FRONTIER[mode]
            for value in values:
                for r, seed in enumerate(seeds):
                    c = campaign.override({"dialing.mode": mode, knob: value, "seed": seed})
                    assert isinstance(c, Campaign)
                    items.append((("frontier", mode, value, r), c))
    from dialer.experiments.run import check_list_files

    # a bad list or DNC file (the campaign's or a variant's) ends here, before a worker starts
    # or the folder is made
    check_list_files(c for _, c in items)
    results: dict[tuple, dict] = {}
    errors: list[str] = []
    bar = Progress(len(items), "compare", enabled=progress)

    lock: AbstractContextManager = FolderLock(out, "compare") if out else nullcontext()
    kept: dict[tuple, dict] = {}
    cache: RunCache | None = None

    def done(outcome: Outcome) -> None:
        if cache is not None and outcome.summary is not None and outcome.key not in kept:
            cache.keep(outcome.key, outcome.summary, outcome.wall_s)
        if outcome.summary is None:
            errors.append(f"{outcome.key[1]} replication {outcome.key[3]}: {outcome.error}")
        else:
            results[outcome.key] = outcome.summary
        bar.advance(outcome.summary is None)
        if on_run is not None:
            on_run(outcome)

    try:
        with backend(workers, scheduler) as b, lock:
            if out:
                cache = RunCache(out, "compare", {"campaign": campaign.to_dict()})
                kept.update(cache.load())
            for key, _ in items:
                if key in kept:
                    done(Outcome(key, kept[key], None, 0.0))
            execute([item for item in items if item[0] not in kept], b, done)
    finally:
        bar.close()
    return comparison(campaign, modes, replications, seeds, results, errors)


def comparison(
    campaign: Campaign | Centre,
    modes: list[str],
    replications: int,
    seeds: list[int],
    results: dict[tuple, dict],
    errors: list[str],
) -> dict:
    centre = isinstance(campaign, Centre)
    metrics_list = CENTRE_METRICS if centre else METRICS
    best_by = CENTRE_BEST_BY if centre else BEST_BY
    if isinstance(campaign, Centre):
        limits = [e.campaign.compliance.limit for e in campaign.campaigns] or [0.03]
        regimes = {e.campaign.compliance.regime for e in campaign.campaigns} or {"fcc"}
        limit, regime = min(limits), regimes.pop() if len(regimes) == 1 else "mixed"
    else:
        limit, regime = campaign.compliance.limit, campaign.compliance.regime
    per_mode = {m: [results.get(("mode", m, None, r)) for r in range(replications)] for m in modes}
    table = []
    for mode in modes:
        for metric in metrics_list:
            values = [
                v for s in per_mode[mode] if s is not None and (v := _value(s, metric)) is not None
            ]
            row = {"mode": mode, "metric": metric, **_interval(values)}
            if metric == "compliance_ok" and values:  # a share of runs: an exact binomial interval
                row["ci_low"], row["ci_high"] = proportion_interval(int(sum(values)), len(values))
            table.append(row)

    def mean(mode: str, metric: str) -> float | None:
        return next(
            (row["mean"] for row in table if row["mode"] == mode and row["metric"] == metric), None
        )

    legal = [m for m in modes if mean(m, "compliance_ok") == 1.0]
    baseline = max(legal, key=lambda m: mean(m, best_by) or 0.0) if legal else None
    diffs = []
    if baseline is not None:
        for mode in modes:
            for metric in metrics_list:
                iv = paired_interval(
                    [_value(a, metric) if a is not None else None for a in per_mode[mode]],
                    [_value(b, metric) if b is not None else None for b in per_mode[baseline]],
                )
                diffs.append(
                    {
                        "mode": mode,
                        "metric": metric,
                        "n": iv["n"],
                        "mean_diff": iv["mean"],
                        "ci_low": iv["ci_low"],
                        "ci_high": iv["ci_high"],
                    }
                )
    frontier_rows = []
    settings = sorted(
        {(k[1], k[2]) for k in results if k[0] == "frontier"}, key=lambda mv: (mv[0], mv[1])
    )
    for mode, value in settings:
        for metric in ("abandon_rate", "occupancy", "talk_minutes_per_agent_hour"):
            vals = [
                v
                for r in range(replications)
                if (s := results.get(("frontier", mode, value, r))) is not None
                and (v := _value(s, metric)) is not None
            ]
            frontier_rows.append(
                {
                    "mode": mode,
                    "knob": FRONTIER[mode][0],
                    "value": value,
                    "metric": metric,
                    **_interval(vals),
                }
            )
    out = {
        "kind": "compare",
        "campaign": campaign.name,
        "seed": campaign.seed,
        "replications": replications,
        "replication_seeds": seeds,
        "version": __version__,
        "modes": modes,
        "limit": limit,
        "regime": regime,
        "best_by": best_by,
        "centre": centre,
        "table": table,
        "legal": legal,
        "baseline": baseline,
        "diffs": diffs,
        "frontier": frontier_rows,
        "errors": errors,
    }
    out["verdict"] = verdict(out)
    return out


def _interval(values: list[float]) -> dict:
    iv = t_interval(values)
    return {"n": iv["n"], "mean": iv["mean"], "ci_low": iv["ci_low"], "ci_high": iv["ci_high"]}


def _runs_of(c: dict, mode: str) -> int:
    """How many runs of ``mode`` came back with figures."""
    n = next(
        (r["n"] for r in c["table"] if r["mode"] == mode and r["metric"] == "compliance_ok"), 0
    )
    return n or 0


def nothing_ran(c: dict) -> bool:
    """Whether every run of every mode (or variant) failed: no figure to compare."""
    return not any(_runs_of(c, m) for m in c["modes"])


def verdict(c: dict) -> str:
    """The comparison in one or two plain sentences."""

    def get(rows, mode, metric, key="mean"):
        return next((r[key] for r in rows if r["mode"] == mode and r["metric"] == metric), None)

    limit = c["limit"]
    regime = {"fcc": "FCC", "ofcom": "Ofcom"}.get(c["regime"], "campaigns'")
    best_by = c.get("best_by", BEST_BY)
    noun = "variant" if c.get("centre") else "mode"
    # a mode none of whose runs came back has no figures: it failed, it was not over the limit
    ran = [m for m in c["modes"] if _runs_of(c, m) > 0]
    failed = [m for m in c["modes"] if m not in ran]
    if not ran:
        errors = c.get("errors") or []
        first = f" (the first: {errors[0]})" if errors else ""
        return f"Every run of every {noun} failed, so there is nothing to compare{first}."
    lost = f" Every run of {', '.join(failed)} failed (see the errors)." if failed else ""
    best = c["baseline"]
    if best is None:
        text = f"No {noun} stayed within the {limit:.0%} {regime} limit in every replication"
        rated = [m for m in ran if get(c["table"], m, "compliance_worst_rate") is not None]
        if rated:
            worst = min(rated, key=lambda m: get(c["table"], m, "compliance_worst_rate"))
            rate = get(c["table"], worst, "compliance_worst_rate")
            text += f"; the lowest worst-window abandon rate was {rate:.2%} ({worst})"
        return text + "." + lost
    illegal = [m for m in ran if m not in c["legal"]]
    over = f" Over the limit in some replication: {', '.join(illegal)}." if illegal else ""
    talk = get(c["table"], best, best_by)
    occ = get(c["table"], best, "occupancy")
    if c.get("centre"):
        sl = get(c["table"], best, "inbound.service_level")
        asa = get(c["table"], best, "inbound.asa_s")
        inbound = (
            f", inbound service level {sl:.1%} (ASA {asa:.1f} s)"
            if sl is not None and asa is not None
            else ""
        )
        text = (
            f"Within every campaign's abandon limit, {best} gives the most outbound connects: "
            f"{_num(talk, '.1f')} per hour{inbound}."
        )
    else:
        text = (
            f"At the {limit:.0%} {regime} limit, {best} gives the most talk time: "
            f"{_num(talk, '.1f')} talk minutes per agent-hour (occupancy {_num(occ, '.1%')})."
        )
    others = [m for m in c["legal"] if m != best]
    if others:
        second = max(others, key=lambda m: get(c["table"], m, best_by) or 0.0)
        d = get(c["diffs"], second, best_by, "mean_diff")
        lo, hi = (
            get(c["diffs"], second, best_by, "ci_low"),
            get(c["diffs"], second, best_by, "ci_high"),
        )
        if d is not None:  # None: no replication where both runs came back
            ci = f" (95% CI {-hi:.1f} to {-lo:.1f})" if lo is not None and hi is not None else ""
            what = "per hour" if c.get("centre") else "per agent-hour"
            text += f" That is {-d:.1f} more {what} than {second}, the next best legal {noun}{ci}."
    return text + over + lost


def _num(x: float | None, spec: str) -> str:
    """A figure of the verdict, or "unknown" where no run gave it."""
    return "unknown" if x is None else format(x, spec)
