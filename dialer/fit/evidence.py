"""A fit's evidence as plain data: ``fit.json`` in a fit report folder, which the fit page reads.

Everything the page shows is here (the samples thinned, each fitted curve and QQ set, the
shares by hour with their intervals, the validation runs), so ``dialer report DIR`` can redraw
the page from the folder alone.
"""

from __future__ import annotations

import os
from pathlib import Path

from dialer.fit.campaign import Fit, to_yaml
from dialer.fit.log import OUTCOMES
from dialer.version import __version__


def evidence(fit: Fit, validation: dict | None) -> dict:
    log = fit.log
    durations = {}
    for key, d in fit.durations.items():
        durations[key] = {
            "dist": d.dist.to_yaml(),
            "kind": d.dist.kind,
            "mean": d.dist.mean,
            "sd": d.dist.std,
            "n": d.n,
            "n_open": d.n_open,
            "method": d.method,
            "summary": d.summary(),
            "truncated_at": d.truncated_at,
            "contamination": d.contamination,
            "ks": d.ks,
            "ks_critical": d.ks_critical,
            "qq_gap": d.qq_gap,
            "candidates": [
                {"family": c.family, "mean": c.mean, "sd": c.sd, "aic": c.aic, "ks": c.ks}
                for c in d.candidates
            ],
            "qq": [list(p) for p in d.qq],
            "sample": d.sample,
            "curve": [list(p) for p in d.curve],
        }
    s = fit.shares
    shares = {
        "shares": s.shares,
        "intervals": {k: list(v) for k, v in s.intervals.items()},
        "recorded": s.recorded,
        "dials": s.dials,
        "invalid_method": s.invalid_method,
        "fn_evidence": list(s.fn_evidence) if s.fn_evidence else None,
        "bands": [
            {
                "start_hour": b.start_hour,
                "end_hour": b.end_hour,
                "dials": b.n,
                "shares": b.shares,
                "intervals": {k: list(v) for k, v in b.intervals.items()},
            }
            for b in s.bands
        ],
        "hours": s.hours,
    }
    counts: dict[str, int] = {}
    for dial in log.dials if log else []:
        counts[OUTCOMES[dial.outcome]] = counts.get(OUTCOMES[dial.outcome], 0) + 1
    return {
        "kind": "fit",
        "version": __version__,
        "campaign": fit.campaign.name,
        "format": log.format if log else "",
        "sources": [os.path.basename(p) for p in log.sources] if log else [],
        "dials": len(log.dials) if log else 0,
        "span_s": log.end_s if log else None,
        "outcomes": counts,
        "unknown_statuses": dict(log.unknown_statuses) if log else {},
        "agent_time": bool(log and log.agent_time),
        "mode": fit.campaign.dialing.mode,
        "agents": {g.name: g.count for g in fit.campaign.agents.groups},
        "sources_by_key": fit.sources,
        "comments": {k: " ".join(v) for k, v in fit.comments.items()},
        "notes": fit.notes,
        "durations": durations,
        "shares": shares,
        "validation": validation,
    }


def write_folder(fit: Fit, validation: dict | None, folder: str | os.PathLike) -> Path:
    """``fit.json`` and the fitted ``campaign.yaml`` in ``folder``, then its report page."""
    from dialer.outputs import ensure_dir, write_json, write_text
    from dialer.reports.render import write_report

    out = ensure_dir(folder)
    write_json(out / "fit.json", evidence(fit, validation))
    write_text(out / "campaign.yaml", to_yaml(fit))
    path, _ = write_report(out)
    return path
