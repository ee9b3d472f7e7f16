"""Running campaigns: one run, and the results a run leaves behind.

:func:`simulate` runs one campaign (optionally streaming call records to a writer) and returns
a :class:`RunResult`: the summary of design.md section 5, the 15-minute series, the compliance
windows and run metadata kept apart from results (``meta``), so two runs of one seed compare
equal on everything but ``meta``.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dialer.config import Campaign
from dialer.pacing.base import Pacer
from dialer.records.calls import Call
from dialer.records.files import RecordWriter
from dialer.records.summary import compliance_windows, run_summary, series
from dialer.sim.model import IntervalSink, Model
from dialer.version import __version__


@dataclass
class RunResult:
    campaign: Campaign
    summary: dict
    series: list[dict] = field(default_factory=list)
    windows: list[dict] = field(default_factory=list)
    waits: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        c = self.campaign
        return {
            "name": c.name,
            "mode": c.dialing.mode,
            "seed": c.seed,
            **self.summary,
            "meta": self.meta,
        }


def simulate(
    campaign: Campaign,
    *,
    pacer: Pacer | None = None,
    on_call: Callable[[Call], None] | None = None,
    on_interval: IntervalSink | None = None,
    writer: RecordWriter | None = None,
    trace: Callable | None = None,
    list_out: str | os.PathLike | None = None,
) -> RunResult:
    """Run one campaign to its horizon.

    ``writer``: stream the call and agent-state records to its files (or give ``on_call`` /
    ``on_interval`` to receive them). ``list_out``: write the calling list back there after the
    run (list files only), with every record's state as the run left it (docs/lists.md).
    """
    if writer is not None:
        on_call, on_interval = _both(on_call, writer.call), _both(on_interval, writer.interval)
    t0 = time.perf_counter()
    model = Model(campaign, pacer, on_call=on_call, on_interval=on_interval, trace=trace)
    tally = model.run()
    wall = time.perf_counter() - t0
    calls = model.calling_list
    if list_out is not None:
        calls.write(str(list_out))
    cpd, comp = campaign.cpd, campaign.compliance
    summary = run_summary(
        tally,
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
    )
    return RunResult(
        campaign=campaign,
        summary=summary,
        series=series(tally, cpd.fp_estimate),
        windows=compliance_windows(tally.day_counts, comp.regime, cpd.fp_estimate),
        waits={
            "agent_wait_s": tally.agent_wait.to_dict(),
            "answer_wait_s": tally.answer_wait.to_dict(),
        },
        meta={
            "wall_s": round(wall, 4),
            "dials_per_s": round(tally.counts["dials"] / wall, 1) if wall > 0 else None,
            "version": __version__,
            "python": platform.python_version(),
            "host": platform.node(),
            "pid": os.getpid(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )


def _both(first: Callable | None, second: Callable) -> Callable:
    if first is None:
        return second

    def both(*args: Any) -> None:
        first(*args)
        second(*args)

    return both
