"""Does the fitted campaign behave like the centre? Its figures beside the records' own.

The fitted campaign keeps the records' own dialing mode and staffing, so simulating it should
give back what the records show. Both sides are measured the same way, from records: the
simulated runs' calls and agent states go through the very reader the centre's records went
through (:func:`dialer.fit.dialer_format.from_tables`), and every figure is the OCS's view
(:func:`figures`): hit ratio = calls classified human (connected or abandoned) per dial,
abandon rate = abandoned of those, occupancy = talk and wrap-up per logged-in second, connects
per agent-hour. A record figure carries its binomial (Wilson) or Poisson 95% interval; the
simulated figure its mean over replications with a t interval.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from dialer.config import Campaign
from dialer.fit.log import ABANDONED, PERSON, UNKNOWN, CallLog
from dialer.fit.shares import share_interval
from dialer.fit.table import Table
from dialer.stats import t_interval

FIGURES = {
    "hit_ratio": ("hit ratio", "share", "calls classified human (connected or abandoned) per dial"),
    "abandon_rate": ("abandon rate", "share", "abandoned of the calls classified human"),
    "occupancy": ("occupancy", "share", "talk and wrap-up time per logged-in agent second"),
    "connects_per_agent_hour": (
        "connects per agent-hour",
        "number",
        "persons connected to an agent per logged-in agent hour",
    ),
}


@dataclass
class Figure:
    value: float | None
    low: float | None = None
    high: float | None = None


def figures(log: CallLog) -> dict[str, Figure]:
    """The validation figures of a call log (records or a simulated run), as the OCS sees them."""
    dials = [d for d in log.dials if d.outcome != UNKNOWN]
    n = len(dials)
    persons = sum(1 for d in dials if d.outcome == PERSON)
    abandoned = sum(1 for d in dials if d.outcome == ABANDONED)
    live = persons + abandoned
    out = {
        "hit_ratio": Figure(live / n if n else None, *share_interval(live, n)),
        "abandon_rate": Figure(
            abandoned / live if live else None, *share_interval(abandoned, live)
        ),
        "occupancy": Figure(None),
        "connects_per_agent_hour": Figure(None),
    }
    if log.agent_time and log.groups:
        logged = sum(g.logged_in_s for g in log.groups.values())
        busy = sum(g.seconds["talking"] + g.seconds["wrap_up"] for g in log.groups.values())
        hours = logged / 3600
        out["occupancy"] = Figure(busy / logged if logged else None)
        if hours:
            half = 1.959964 * math.sqrt(persons) / hours
            rate = persons / hours
            out["connects_per_agent_hour"] = Figure(rate, max(rate - half, 0.0), rate + half)
    return out


def run_records(campaign: Campaign) -> CallLog:
    """Simulate ``campaign`` and read its calls and agent states back as records."""
    from dialer.clock import Calendar
    from dialer.experiments.run import simulate
    from dialer.fit.dialer_format import from_tables
    from dialer.records.calls import AGENT_STATE_COLUMNS, CDR_COLUMNS, agent_state_row, cdr_row

    calendar = Calendar(campaign.start, campaign.site_timezone, campaign.horizon_s)
    groups = [g.name for g in campaign.agents.groups]
    calls: list[list[str]] = []
    states: list[list[str]] = []

    def on_call(call) -> None:
        local = calendar.local(call.dialed_at, call.record.zone).isoformat(timespec="seconds")
        calls.append([str(v) for v in cdr_row(call, local)])

    def on_interval(agent, state: int, start: float, end: float, reported) -> None:
        row = agent_state_row(agent.agent_id, groups[agent.group], state, start, end, reported)
        states.append([str(v) for v in row])

    simulate(campaign, on_call=on_call, on_interval=on_interval)
    return from_tables(
        Table("(simulated) calls.csv", list(CDR_COLUMNS), calls),
        Table("(simulated) agent_states.csv", list(AGENT_STATE_COLUMNS), states),
        campaign.to_dict(),
        "the fitted campaign",
    )


def run_figures(campaign: Campaign) -> dict[str, Figure]:
    return figures(run_records(campaign))


def validate(
    campaign: Campaign, log: CallLog, replications: int = 5, workers: int | None = None
) -> dict:
    """The records' figures beside the fitted campaign's, simulated ``replications`` times
    (seeds 1, 2, ...; on ``workers`` processes, default one per core)."""
    records = figures(log)
    seeds = [campaign.override({"seed": seed}) for seed in range(1, replications + 1)]
    workers = min(workers or os.cpu_count() or 1, replications)
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            runs = list(pool.map(run_figures, seeds))
    else:
        runs = [run_figures(c) for c in seeds]
    rows = []
    for key, (label, kind, meaning) in FIGURES.items():
        values = [v for r in runs if (v := r[key].value) is not None]
        ci = t_interval(values)
        mean, low, high = ci["mean"], ci["ci_low"], ci["ci_high"]
        rec = records[key]
        if kind == "share" and low is not None and high is not None:
            low, high = max(low, 0.0), min(high, 1.0)
        elif low is not None:
            low = max(low, 0.0)
        rows.append(
            {
                "key": key,
                "label": label,
                "kind": kind,
                "meaning": meaning,
                "records": rec.value,
                "records_low": rec.low,
                "records_high": rec.high,
                "fitted": mean,
                "fitted_low": low,
                "fitted_high": high,
                "runs": values,
            }
        )
    return {"replications": replications, "mode": campaign.dialing.mode, "figures": rows}
