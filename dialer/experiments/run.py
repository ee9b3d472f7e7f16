"""Running campaigns and centres: one run, and the results a run leaves behind.

:func:`simulate` runs one campaign or one centre (optionally streaming call records to a
writer) and returns a :class:`RunResult`: the summary of design.md section 5, the 15-minute
series, the compliance windows and run metadata kept apart from results (``meta``), so two runs
of one seed compare equal on everything but ``meta``.

A centre's summary (docs/centre.md) is section 5's over every campaign's calls and every
agent's time (the centre totals), with ``inbound_share`` and ``outbound_share`` of the agents'
time, the inbound totals under ``inbound``, and one object per queue (``queues.<name>``), per
campaign (``campaigns.<name>``: section 5's summary of its calls and of its agents' time while
they worked for it) and per agent group (``groups.<name>``).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dialer.centre import Centre, campaigns_of, read_list_files
from dialer.config import Campaign
from dialer.lists.donotcall import OUTSIDE
from dialer.pacing.base import Pacer
from dialer.records.calls import Call, InboundCall
from dialer.records.centre import queue_series, queue_summary
from dialer.records.daycounts import DayCounts
from dialer.records.files import RecordWriter
from dialer.records.summary import compliance_windows, day_summary, run_summary, series
from dialer.sim.model import IntervalSink, Model
from dialer.version import __version__


@dataclass
class RunResult:
    campaign: Campaign | Centre
    summary: dict
    series: list[dict] = field(default_factory=list)
    windows: list[dict] = field(default_factory=list)
    waits: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    # a centre: per queue its 15-minute series, per group the agents' split over the day
    queue_series: dict[str, list[dict]] = field(default_factory=dict)
    group_series: dict[str, list[dict]] = field(default_factory=dict)

    def to_json(self) -> dict:
        c = self.campaign
        return {
            "name": c.name,
            "mode": c.dialing.mode if isinstance(c, Campaign) else c.modes,
            "seed": c.seed,
            **self.summary,
            "meta": self.meta,
        }


def simulate(
    campaign: Campaign | Centre,
    *,
    pacer: Pacer | None = None,
    on_call: Callable[[Call | InboundCall], None] | None = None,
    on_interval: IntervalSink | None = None,
    writer: RecordWriter | None = None,
    trace: Callable | None = None,
    list_out: str | os.PathLike | None = None,
    dnc_out: str | os.PathLike | None = None,
    general: bool = False,
) -> RunResult:
    """Run one campaign or one centre to its horizon.

    ``writer``: stream the call and agent-state records to its files (or give ``on_call`` /
    ``on_interval`` to receive them; a centre's inbound calls come as
    :class:`~dialer.records.calls.InboundCall`). ``list_out``: write the calling list back there
    after the run (a single campaign's list file only), with every record's state as the run
    left it (docs/lists.md). ``dnc_out``: write the DNC file (``dnc.file``, or a new one) with
    the run's do-not-call requests appended, each with its time (docs/lists.md).
    ``general``: run a single campaign through the centre's path (its summary is then a
    centre's: a test that the two paths agree).
    """
    if writer is not None:
        on_call, on_interval = _both(on_call, writer.call), _both(on_interval, writer.interval)
    t0 = time.perf_counter()
    model = Model(
        campaign, pacer, on_call=on_call, on_interval=on_interval, trace=trace, general=general
    )
    tally = model.run()
    wall = time.perf_counter() - t0
    if list_out is not None:
        model.calling_list.write(str(list_out))
    if dnc_out is not None:
        assert isinstance(campaign, Campaign)
        model.calling_list.write_dnc(str(dnc_out), campaign.dnc.file)
    meta = {
        "wall_s": round(wall, 4),
        "dials_per_s": round(tally.counts["dials"] / wall, 1) if wall > 0 else None,
        "version": __version__,
        "python": platform.python_version(),
        "host": platform.node(),
        "pid": os.getpid(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if model.single:
        assert isinstance(campaign, Campaign)
        cpd, comp = campaign.cpd, campaign.compliance
        return RunResult(
            campaign=campaign,
            summary=_campaign_summary(model, model.campaigns[0]),
            series=series(tally, cpd.fp_estimate),
            windows=compliance_windows(tally.day_counts, comp.regime, cpd.fp_estimate),
            waits=_waits(tally),
            meta=meta,
        )
    summary, fp = _centre_summary(model)
    regime = summary["compliance_regime"] if summary["compliance_regime"] != "mixed" else "fcc"
    return RunResult(
        campaign=campaign,
        summary=summary,
        series=series(tally, fp),
        windows=compliance_windows(tally.day_counts, regime, fp),
        waits=_waits(tally),
        meta=meta,
        queue_series={q.name: queue_series(q.tally) for q in model.queues},
        group_series={
            name: work.split_series()
            for name, work in zip(model.group_names, model.group_work, strict=True)
        },
    )


def list_files_key(scenario: Campaign | Centre) -> str:
    """What a scenario's list and DNC files are read with (every campaign's ``calling_list``
    and ``dnc`` sections): two scenarios with one key read the same files the same way."""
    return repr([(c.calling_list, c.dnc) for c in campaigns_of(scenario)])


def check_list_files(scenarios: Iterable[Campaign | Centre]) -> None:
    """Read the list and DNC files of every scenario a command will run
    (:func:`dialer.centre.read_list_files`), each distinct set of them once, so that a bad
    file ends as an InputError before a worker starts or an output folder is made (instead of
    every run failing with it). Runs in this process then find the parses cached."""
    seen: set[str] = set()
    for scenario in scenarios:
        key = list_files_key(scenario)
        if key not in seen:
            seen.add(key)
            read_list_files(scenario)


def _waits(tally) -> dict:
    return {
        "agent_wait_s": tally.agent_wait.to_dict(),
        "answer_wait_s": tally.answer_wait.to_dict(),
    }


def _campaign_summary(model: Model, cg) -> dict:
    """Section 5's summary of one campaign: its calls, and its agents' time while they worked
    for it (a single campaign: every agent's time)."""
    c, calls = cg.campaign, cg.calling_list
    cpd, comp = c.cpd, c.compliance
    out = run_summary(
        cg.tally,
        amd=cpd.amd,
        fp_estimate=cpd.fp_estimate,
        regime=comp.regime,
        limit=comp.limit,
        records_total=calls.total,
        records_finished=calls.finished,
        dnc_blocked=calls.dnc_blocked,
        finished_by=calls.finished_by,
        records_finished_at_start=calls.finished_at_start,
        records_dialed=calls.records_dialed,
        outage_s=model.outage_s,
        day=_day_figures(cg),
    )
    if not model.single:
        work = cg.work.shares(model.campaign_names)
        out["inbound_share"] = work["inbound_share"]
        out["outbound_share"] = work["outbound_share"]
    return out


def _sum(values: list) -> int | None:
    return None if any(v is None for v in values) else sum(values)


def _centre_summary(model: Model) -> tuple[dict, float]:
    """The centre's summary (see the module doc) and the AMD false-positive estimate its
    totals use."""
    groups = model.campaign_names
    campaigns = {cg.name: _campaign_summary(model, cg) for cg in model.campaigns}
    settings = {
        (cg.campaign.cpd.fp_estimate, cg.campaign.compliance.regime, cg.campaign.compliance.limit)
        for cg in model.campaigns
    }
    if not settings:  # an inbound-only centre: the outbound figures are empty
        settings = {(0.0, "fcc", 0.03)}
    fp, regime, limit = next(iter(settings)) if len(settings) == 1 else (0.0, "mixed", None)
    lists = [cg.calling_list for cg in model.campaigns]
    finished_by: dict[int, int] = {}
    for calls in lists:
        for code, n in calls.finished_by.items():
            finished_by[code] = finished_by.get(code, 0) + n
    out = run_summary(
        model.tally,
        amd=any(cg.campaign.cpd.amd for cg in model.campaigns),
        fp_estimate=fp,
        regime="fcc" if regime == "mixed" else regime,
        limit=0.03 if limit is None else limit,
        records_total=_sum([calls.total for calls in lists]) if lists else 0,
        records_finished=sum(calls.finished for calls in lists),
        dnc_blocked=sum(calls.dnc_blocked for calls in lists),
        finished_by=finished_by,
        records_finished_at_start=sum(calls.finished_at_start for calls in lists),
        records_dialed=sum(calls.records_dialed or 0 for calls in lists),
        outage_s=model.outage_s,
        day=_centre_day(model, list(campaigns.values())),
    )
    amd_fn = sum(s["amd_false_negatives"] for s in campaigns.values())
    out["amd_false_negatives"] = amd_fn
    if regime == "mixed":
        # each campaign under its own regime: the centre is legal when every campaign is
        out["compliance_regime"] = "mixed"
        out["compliance_limit"] = min(s["compliance_limit"] for s in campaigns.values())
        out["compliance_worst_rate"] = max(s["compliance_worst_rate"] for s in campaigns.values())
        out["compliance_ok"] = all(s["compliance_ok"] for s in campaigns.values())
        ab_est = sum(
            s["abandoned"] + _estimate(s["live_answers"], cg.campaign.cpd.fp_estimate)
            for cg, s in zip(model.campaigns, campaigns.values(), strict=True)
        )
        live_est = sum(
            s["live_answers"] + _estimate(s["live_answers"], cg.campaign.cpd.fp_estimate)
            for cg, s in zip(model.campaigns, campaigns.values(), strict=True)
        )
        out["abandon_rate_ofcom"] = ab_est / live_est if live_est else None
    elif campaigns:  # the regulator's windows are each campaign's
        out["compliance_ok"] = all(s["compliance_ok"] for s in campaigns.values())
        out["compliance_worst_rate"] = max(s["compliance_worst_rate"] for s in campaigns.values())
    hours = (model.horizon - model.warmup) / 3600
    out["connects_per_hour"] = out["connects"] / hours
    for k in campaigns.values():
        k["connects_per_hour"] = k["connects"] / hours
    work = model.work.shares(groups)
    out["inbound_share"] = work["inbound_share"]
    out["outbound_share"] = work["outbound_share"]
    out["inbound"] = queue_summary([q.tally for q in model.queues])
    out["queues"] = {q.name: queue_summary([q.tally]) for q in model.queues}
    out["campaigns"] = campaigns
    out["groups"] = {
        name: w.shares(groups) for name, w in zip(model.group_names, model.group_work, strict=True)
    }
    return out, fp


def _estimate(live: int, e: float) -> float:
    """Estimated AMD false positives: live answers x e / (1 - e) (design.md section 5)."""
    return live * e / (1 - e) if e < 1 else 0.0


def _day_figures(cg) -> dict:
    """A campaign's day summary keys: the call records' fold, and what only the list knows
    (outside opt-outs, missed callbacks), after the warm-up."""
    campaign, calls = cg.campaign, cg.calling_list
    start, end = campaign.warmup_s, campaign.horizon_s
    ports = campaign.ivr.ports
    return day_summary(
        cg.day,
        peak_cpd_ports=cg.peak_cpd_ports,
        dnc_requests_outside=len(calls.requests.made(start, end, OUTSIDE)),
        dnc_exposure_mean_s=calls.requests.exposure_mean(start, end),
        callbacks_missed=sum(1 for t in calls.callbacks_missed if t >= start),
        ivr_port_hours=ports * (end - start) / 3600 if campaign.agentless and ports else None,
    )


def _centre_day(model: Model, campaigns: list[dict]) -> dict:
    """The centre's day figures: the campaigns' call-record folds added up, the list-side
    counts summed, the centre's own peak of dials in call-progress analysis."""
    pooled = DayCounts(model.warmup, 0.0)
    for cg in model.campaigns:
        for k, v in cg.day.counts.items():
            pooled.counts[k] += v
        pooled.late_s += cg.day.late_s
        pooled.port_wait_s += cg.day.port_wait_s
    exposures = [s["dnc_exposure_mean_s"] for s in campaigns if s["dnc_exposure_mean_s"]]
    port_hours = [
        cg.campaign.ivr.ports * (model.horizon - model.warmup) / 3600
        for cg in model.campaigns
        if cg.campaign.agentless and cg.campaign.ivr.ports
    ]
    return day_summary(
        pooled,
        peak_cpd_ports=model.peak_cpd_ports,
        dnc_requests_outside=sum(s["dnc_requests_outside"] for s in campaigns),
        dnc_exposure_mean_s=exposures[0] if len(exposures) == 1 else None,
        callbacks_missed=sum(s["callbacks_missed"] for s in campaigns),
        ivr_port_hours=sum(port_hours) if port_hours else None,
    )


def _both(first: Callable | None, second: Callable) -> Callable:
    if first is None:
        return second

    def both(*args: Any) -> None:
        first(*args)
        second(*args)

    return both
