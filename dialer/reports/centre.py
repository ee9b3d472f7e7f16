"""The run page of a centre: inbound service through the day beside the outbound results.

A centre's ``run --out`` folder holds the centre's summary (totals, ``queues``, ``campaigns``,
``groups``), the pooled 15-minute series and, in ``series.json``, each queue's series and each
group's split of agent time (inbound, outbound, ready). The page leads with the inbound service
level and the outbound connects, shows the queues, campaigns and groups as tables, then the
day: service level and answer speed per 15 minutes beside the outbound connects, the agents'
split between inbound and outbound, and the run page's own charts for the pooled outbound
calls. Everything comes from ``summary.json``, ``series.json`` and ``campaign.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from dialer.reports.charts import (
    Cell,
    Figure,
    Page,
    Table,
    axis,
    layout,
    metric_table,
    series_style,
)
from dialer.reports.glossary import CENTRE, METRICS, format_value
from dialer.reports.results import need, number, read_json
from dialer.reports.run import (
    SECTIONS,
    Clock,
    _abandons,
    _agent_states,
    _calls,
    _Context,
    _lines,
    _outcomes,
    _waits,
)

QUEUE_COLUMNS = (
    "offered",
    "answered",
    "abandoned",
    "balked",
    "blocked",
    "service_level",
    "answered_within_share",
    "asa_s",
    "p_wait",
    "mean_wait_waited_s",
)
CAMPAIGN_COLUMNS = (
    "dials",
    "connects",
    "abandon_rate",
    "compliance_ok",
    "agent_hours",
    "occupancy",
    "connects_per_agent_hour",
    "inbound_share",
    "outbound_share",
    "records_finished",
)
GROUP_COLUMNS = ("agent_hours", "occupancy", "inbound_share", "outbound_share", "idle_share")


def _table(title: str, rows: dict, columns: tuple[str, ...], first: str, note: str = "") -> Table:
    metrics = [CENTRE.get(k) or METRICS[k] for k in columns]
    head = [Cell(first)] + [Cell(m.heading, m.definition) for m in metrics]
    body = [
        [Cell(name, head=True)] + [Cell(m.format(values.get(m.key))) for m in metrics]
        for name, values in rows.items()
    ]
    return Table(title, head, body, note)


def build(folder: Path, s: dict) -> Page:
    """The page of a centre's run folder (``s``: its summary.json)."""
    centre = None
    if (folder / "campaign.yaml").is_file():
        from dialer.centre import load

        centre = load(folder / "campaign.yaml")
    sources = ["summary.json"] + (["campaign.yaml"] if centre else [])
    version = (s.get("meta") or {}).get("version", "?")
    facts = [("centre", str(s["name"])), ("modes", str(s["mode"])), ("seed", str(s["seed"]))]
    if centre is not None:
        facts += [
            ("start", f"{centre.start:%Y-%m-%d %H:%M} {centre.site_timezone}"),
            ("horizon", f"{centre.horizon_s / 3600:g} h (warm-up {centre.warmup_s / 60:g} min)"),
            ("agents", ", ".join(f"{g.name} {g.count}" for g in centre.agents.groups)),
        ]
    facts.append(("dialer version", str(version)))
    inbound = s.get("inbound") or {}
    parts = []
    if s.get("queues"):
        parts.append(
            f"Inbound: {format_value(inbound.get('service_level'), 'share')}% service level, "
            f"answered in {format_value(inbound.get('asa_s'))} s on average "
            f"({format_value(inbound.get('offered'), 'count')} callers)"
        )
    if s.get("campaigns"):
        ok = s.get("compliance_ok")
        parts.append(
            f"outbound: {format_value(s.get('connects'), 'count')} connects, abandon rate "
            f"{format_value(s.get('abandon_rate'), 'share')}% "
            f"({'within the limit' if ok else 'OVER the limit'})"
        )
    parts.append(
        f"agents {format_value(s.get('inbound_share'), 'share')}% on inbound, "
        f"{format_value(s.get('outbound_share'), 'share')}% on outbound"
    )
    lead = "; ".join(parts) + "."
    tables = []
    if s.get("queues"):
        tables.append(
            _table(
                "Queues",
                {**s["queues"], "(all queues)": inbound},
                QUEUE_COLUMNS,
                "queue",
                "Counted by arrival after the warm-up; service level = 1 - calls whose wait "
                "exceeded the queue's threshold / offered.",
            )
        )
    if s.get("campaigns"):
        tables.append(
            _table(
                "Campaigns",
                s["campaigns"],
                CAMPAIGN_COLUMNS,
                "campaign",
                "Each campaign's calls, and its agents' time while they worked for it.",
            )
        )
    tables.append(_table("Agent groups", s.get("groups") or {}, GROUP_COLUMNS, "group"))
    tables += [
        metric_table(f"Centre totals: {title.lower()}", [(METRICS[k], s.get(k)) for k in keys])
        for title, keys in SECTIONS
        if s.get("campaigns") or title == "Agents"
    ]
    figures, notes = [], []
    series_path = folder / "series.json"
    if series_path.is_file():
        sources.append("series.json")
        series = read_json(series_path)
        rows = need(series, "rows", series_path, "a list")
        bucket = number(series.get("bucket_s", 900), series_path, "bucket_s", optional=False)
        horizon = centre.horizon_s if centre else len(rows) * bucket
        like = _like(centre)
        ctx = _Context(Clock(centre, horizon), rows, bucket, series_path, like)
        if s.get("queues"):
            figures.append(_service(ctx, series, centre))
        figures.append(_split(ctx, series))
        figures.append(_agent_states(ctx))
        if s.get("campaigns"):
            limit = s.get("compliance_limit")
            limit = float(limit) if isinstance(limit, (int, float)) else 0.03
            regime = str(s.get("compliance_regime", "fcc"))
            figures += [
                _calls(ctx),
                _abandons(ctx, series, limit, "fcc" if regime == "mixed" else regime),
                _lines(ctx),
                _outcomes(s),
                _waits(series, series_path, like),
            ]
    else:
        notes.append("No series.json in this folder: the charts over the day are left out.")
    return Page("run", f"Centre report: {s['name']}", facts, lead, tables, figures, notes, sources)


def _like(centre):
    """What the run page's charts read of a campaign, for a centre: the warm-up, the trunk,
    the first campaign's abandon limit and AMD estimate."""
    if centre is None:
        return None
    first = centre.campaigns[0].campaign if centre.campaigns else None
    return SimpleNamespace(
        start=centre.start,
        site_timezone=centre.site_timezone,
        horizon_s=centre.horizon_s,
        warmup_s=centre.warmup_s,
        cpd=first.cpd if first else SimpleNamespace(fp_estimate=0.0),
        dialing=SimpleNamespace(
            lines=centre.lines, abandon_after_s=first.dialing.abandon_after_s if first else 2.0
        ),
    )


def _service(ctx: _Context, series: dict, centre) -> Figure:
    """Each queue's service level per 15 minutes, with the outbound connects beside it."""
    queues = series.get("queues") or {}
    data: list[dict] = []
    shapes: list[dict] = []
    notes: list[dict] = []
    mids = ctx.mids()
    for i, (name, rows) in enumerate(queues.items()):
        colour, symbol, dash = series_style(i)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{name}: service level",
                "x": mids[: len(rows)],
                "y": [
                    None if r.get("service_level") is None else 100 * r["service_level"]
                    for r in rows
                ],
                "line": {"color": colour, "dash": dash, "width": 2},
                "marker": {"symbol": symbol, "size": 6},
                "hovertemplate": f"{name}: %{{y:.1f}}%<extra></extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{name}: ASA",
                "x": mids[: len(rows)],
                "y": [r.get("asa_s") for r in rows],
                "yaxis": "y3",
                "xaxis": "x3",
                "line": {"color": colour, "dash": dash, "width": 1.5},
                "hovertemplate": f"{name} ASA: %{{y:.1f}} s<extra></extra>",
            }
        )
    data.append(
        {
            "type": "bar",
            "name": "outbound connects",
            "x": mids,
            "y": ctx.counted("connects"),
            "width": ctx.clock.span(ctx.bucket * 0.85),
            "xaxis": "x2",
            "yaxis": "y2",
            "marker": {"color": "#009E73"},
        }
    )
    if centre is not None and len({q.service_level_s for q in centre.queues}) == 1:
        t = centre.queues[0].service_level_s
        notes.append(
            {
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 1.0,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12},
                "text": f"service level: answered within {t:g} s (abandons after it count against)",
            }
        )
    s1, n1 = ctx.warmup()
    shapes += s1
    notes += n1
    lay = layout(
        "Inbound service level, answer speed and outbound connects per 15 minutes",
        ctx.clock.axis("", anchor="y", showticklabels=False),
        axis("service level (%)", domain=[0.62, 1], range=[0, 102]),
        xaxis3=ctx.clock.axis("", anchor="y3", matches="x", showticklabels=False),
        yaxis3=axis("ASA (s)", domain=[0.34, 0.56], rangemode="tozero"),
        xaxis2=ctx.clock.axis(anchor="y2", matches="x"),
        yaxis2=axis("connects", domain=[0, 0.26], rangemode="tozero"),
        shapes=shapes,
        annotations=notes,
        hovermode="x unified",
    )
    return Figure(
        "centre-service",
        {"data": data, "layout": lay},
        "Top: each queue's service level by the callers' arrival (1 - callers whose wait "
        "exceeded the threshold / callers). Middle: their average speed of answer. Bottom: "
        "the outbound connects in the same 15 minutes, by dial time.",
        620,
    )


# the agents' split: inbound solid, outbound patterned, one shade per group
_SPLIT = (("inbound", ""), ("outbound", "/"))


def _split(ctx: _Context, series: dict) -> Figure:
    groups = series.get("groups") or {}
    data: list[dict] = []
    lengths = [ctx.length(i) for i in range(len(ctx.rows))]
    ready = [0.0] * len(ctx.rows)
    for gi, (name, rows) in enumerate(groups.items()):
        colour = series_style(gi)[0]
        for i in range(min(len(rows), len(ready))):
            ready[i] += rows[i].get("ready", 0.0) / lengths[i]
        for kind, pattern in _SPLIT:
            y = [
                round(rows[i].get(kind, 0.0) / lengths[i], 3) if i < len(rows) else 0.0
                for i in range(len(ctx.rows))
            ]
            if not any(y):
                continue
            trace = {
                "type": "scatter",
                "mode": "lines",
                "name": f"{name}: {kind}",
                "x": ctx.steps(),
                "y": y + y[-1:],
                "stackgroup": "split",
                "line": {"shape": "hv", "width": 0.8, "color": colour},
                "fillcolor": colour,
                "hovertemplate": f"{name} on {kind}: %{{y:.1f}} agents<extra></extra>",
            }
            if pattern:
                trace["fillpattern"] = {
                    "shape": pattern,
                    "fgcolor": "rgba(0,0,0,0.4)",
                    "bgcolor": colour,
                    "size": 8,
                    "solidity": 0.2,
                }
            data.append(trace)
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "ready (every group)",
            "x": ctx.steps(),
            "y": [round(v, 3) for v in ready] + [round(ready[-1], 3)] if ready else [],
            "stackgroup": "split",
            "line": {"shape": "hv", "width": 0.8, "color": "#BDBDBD"},
            "fillcolor": "#E0E0E0",
            "hovertemplate": "ready: %{y:.1f} agents<extra></extra>",
        }
    )
    shapes, notes = ctx.warmup()
    lay = layout(
        "The agents' split between inbound and outbound",
        ctx.clock.axis(),
        axis("agents (mean over 15 min)", rangemode="tozero"),
        shapes=shapes,
        annotations=notes,
        hovermode="x unified",
    )
    return Figure(
        "centre-split",
        {"data": data, "layout": lay},
        "Each group's agents on inbound calls (talk and wrap-up) and on outbound work (talk, "
        "wrap-up, machines, reserved), stacked, with the ready agents of every group on top.",
        460,
    )


def plan_page(folder: Path, d: dict) -> Page:
    """The page of a centre's plan folder (``d``: its plan.json): the answer, and every
    staffing tried with its success share and mean figures."""
    groups = [str(g) for g in d.get("groups") or []]
    rec: dict = d["recommendation"] if isinstance(d.get("recommendation"), dict) else {}
    sl = d.get("service_level")
    facts = [
        ("centre", str(d.get("campaign", "?"))),
        ("seed", str(d.get("seed", "?"))),
        ("deadline", f"{(d.get('deadline_s') or 0) / 3600:g} h"),
        ("service level goal", "-" if sl is None else f"{format_value(sl, 'share')}% every queue"),
        ("finish", f"{format_value(d.get('finish'), 'share')}% of every list"),
        ("confidence", f"{format_value(d.get('confidence'), 'share')}% of replications"),
        ("groups planned", ", ".join(groups)),
        ("dialer version", str(d.get("version", "?"))),
    ]
    probes = [p for p in d.get("probes") or [] if isinstance(p, dict)]
    figure_keys = sorted({k for p in probes for k in p if "." in k})
    head = [Cell(g) for g in groups] + [
        Cell("agents"),
        Cell("success", "Replications meeting every goal."),
        Cell("95% interval", "Clopper-Pearson interval of the success share."),
    ]
    head += [Cell(k.split(".", 1)[1].replace("_", " ")) for k in figure_keys]
    rows = []
    chosen = d.get("counts")
    for p in sorted(probes, key=lambda p: [p.get("counts", {}).get(g, 0) for g in groups]):
        counts = p.get("counts") or {}
        lo, hi = (p.get("success_ci") or [None, None])[:2]
        mark = " (the answer)" if counts == chosen else ""
        rows.append(
            [Cell(str(counts.get(g, "-")), head=True) for g in groups]
            + [
                Cell(str(p.get("agents", "-"))),
                Cell(f"{p.get('successes')}/{p.get('replications')}{mark}"),
                Cell(f"{format_value(lo, 'share')}-{format_value(hi, 'share')}%"),
            ]
            + [Cell(format_value(p.get(k), "share")) for k in figure_keys]
        )
    table = Table(
        "Every staffing tried",
        head,
        rows,
        "Figures are means over the replications: each queue's service level, each campaign's "
        "share of the list finished and abandon rate. " + str(d.get("search", "")),
    )
    return Page(
        "plan",
        f"Staffing plan: {d.get('campaign', '?')}",
        facts,
        str(rec.get("text", "")),
        [table],
        [],
        [],
        ["plan.json"],
    )
