"""The run page: what happened during one simulated day, read from a ``run --out`` folder.

A manager first sees the summary table, then the day as the agents lived it (talk, wrap-up,
machines, reserved, idle), the dialer's work per 15 minutes, the abandon rate against the
legal limit with the compliance windows, the lines, how far the list got, where the dials
went, and how long agents and customers waited. Everything comes from ``summary.json``,
``series.json`` and ``campaign.yaml`` (docs/metrics.md describes every field).
"""

from __future__ import annotations

from pathlib import Path

from dialer.reports.charts import Figure, Page, axis, hline, layout, metric_table, rgba, vline
from dialer.reports.glossary import METRICS, format_value
from dialer.reports.results import need, number, read_json

DAY = "The campaign day"  # its table is shown only when something of it happened
SECTIONS = [
    (
        "Calls",
        [
            "dials",
            "live_answers",
            "connects",
            "abandoned",
            "ocs_abandoned",
            "ocs_dropped",
            "machines_dropped",
            "amd_false_positives",
            "machines",
            "amd_false_negatives",
            "machines_to_agents",
            "fax",
            "busy",
            "no_answer",
            "invalid",
            "dnc_blocked",
            "hit_ratio",
            "dials_per_connect",
        ],
    ),
    (
        "Compliance",
        [
            "abandon_rate",
            "abandon_rate_ofcom",
            "abandon_rate_true",
            "overdial_rate",
            "compliance_worst_rate",
            "compliance_limit",
            "compliance_ok",
        ],
    ),
    (
        "Agents",
        [
            "agent_hours",
            "occupancy",
            "talk_share",
            "wrap_share",
            "machine_share",
            "reserved_share",
            "idle_share",
            "talk_minutes_per_agent_hour",
            "connects_per_agent_hour",
            "mean_agent_wait_s",
            "mean_answer_wait_s",
            "stat_server_delay_mean_s",
            "dials_stopped_by_outage_s",
        ],
    ),
    (
        "List and lines",
        [
            "records_total",
            "records_finished_at_start",
            "records_finished",
            "records_dialed",
            "list_penetration",
            "contacts_per_record",
            "attempts_per_contact",
            "peak_lines",
            "calls_in_progress_at_end",
            "calls_undecided_at_end",
        ],
    ),
    (
        DAY,
        [
            "dnc_requests",
            "dnc_requests_by_agents",
            "dnc_requests_outside",
            "dnc_violations",
            "dnc_exposure_mean_s",
            "callbacks_requested",
            "personal_callbacks_requested",
            "callbacks_made",
            "callbacks_on_time",
            "callbacks_late",
            "callbacks_late_mean_s",
            "callbacks_handed_over",
            "callbacks_missed",
            "port_failures",
            "port_waits",
            "port_wait_mean_s",
            "peak_cpd_ports",
            "ivr_messages_persons",
            "ivr_messages_machines",
            "ivr_dropped",
            "ivr_messages_per_port_hour",
        ],
    ),
]

# Agent states bottom to top of the stack: colour and fill pattern (readable in grey).
STATES = [
    ("talk", ("agent_s_talking",), "#0072B2", ""),
    ("wrap-up", ("agent_s_wrap_up",), "#56B4E9", "/"),
    ("on a machine", ("agent_s_on_machine",), "#E69F00", "x"),
    ("reserved / preview", ("agent_s_reserved", "agent_s_preview"), "#CC79A7", "."),
    ("ready", ("agent_s_ready",), "#BDBDBD", "\\"),
]

# Where the dials went: label, summary keys added up, colour, bar pattern.
OUTCOMES = [
    ("connected to an agent", ("connects",), "#0072B2", ""),
    ("abandoned (no agent in time)", ("abandoned",), "#D55E00", "x"),
    ("person hung up on by AMD", ("amd_false_positives",), "#CC79A7", "/"),
    ("answering machine", ("machines",), "#E69F00", ""),
    ("fax / modem", ("fax",), "#999999", ""),
    ("busy", ("busy",), "#999999", ""),
    ("no answer", ("no_answer",), "#999999", ""),
    ("invalid number", ("invalid",), "#999999", ""),
    ("undecided at the end", ("calls_undecided_at_end",), "#DDDDDD", ""),
]


class Clock:
    """Simulated seconds on the x axis: the site's wall clock when the campaign is known."""

    def __init__(self, campaign, horizon_s: float):
        self.horizon_s = horizon_s
        self.calendar = None
        if campaign is not None:
            from dialer.clock import Calendar

            self.calendar = Calendar(campaign.start, campaign.site_timezone, horizon_s)
            self.title = f"time of day ({campaign.site_timezone})"
        else:
            self.title = "hours from the start"

    def x(self, t: float):
        if self.calendar is None:
            return round(t / 3600, 4)
        return self.calendar.local(t, self.calendar.site).strftime("%Y-%m-%d %H:%M:%S")

    def span(self, seconds: float) -> float:
        """A duration in the axis' unit (milliseconds on a date axis)."""
        return seconds * 1000 if self.calendar is not None else seconds / 3600

    def axis(self, title: str | None = None, **extra) -> dict:
        extra.setdefault("range", [self.x(0), self.x(self.horizon_s)])
        if self.calendar is not None:
            extra.setdefault("tickformat", "%H:%M<br>%a %d %b")
            extra.setdefault("hoverformat", "%H:%M")
        return axis(self.title if title is None else title, **extra)


def build(folder: Path) -> Page:
    path = folder / "summary.json"
    s = read_json(path)
    for key in ("name", "mode", "seed", "dials"):
        need(s, key, path)
    campaign = None
    if (folder / "campaign.yaml").is_file():
        from dialer.config import load_campaign

        campaign = load_campaign(folder / "campaign.yaml")
    sources = ["summary.json"] + (["campaign.yaml"] if campaign else [])
    version = (s.get("meta") or {}).get("version", "?")
    facts = [
        ("campaign", str(s["name"])),
        ("mode", str(s["mode"])),
        ("seed", str(s["seed"])),
        ("dialer version", str(version)),
    ]
    if campaign is not None:
        facts[3:3] = [
            ("start", f"{campaign.start:%Y-%m-%d %H:%M} {campaign.site_timezone}"),
            (
                "horizon",
                f"{campaign.horizon_s / 3600:g} h (warm-up {campaign.warmup_s / 60:g} min)",
            ),
            ("agents", str(campaign.agents.count)),
        ]
    limit = (
        float(s["compliance_limit"])
        if isinstance(s.get("compliance_limit"), (int, float))
        else 0.03
    )
    regime = str(s.get("compliance_regime", "fcc"))
    ok = s.get("compliance_ok")
    lead = (
        f"Abandon rate {format_value(s.get('abandon_rate'), 'share')}% (US) with the worst "
        f"compliance window at {format_value(s.get('compliance_worst_rate'), 'share')}% against "
        f"a {regime.upper()} limit of {format_value(limit, 'share')}%: "
        f"{'within the limit' if ok else 'OVER the limit' if ok is not None else 'not judged'}; "
        f"occupancy {format_value(s.get('occupancy'), 'share')}%, "
        f"{format_value(s.get('talk_minutes_per_agent_hour'))} talk minutes per agent-hour."
    )
    tables = [
        metric_table(title, [(METRICS[k], s.get(k)) for k in keys if k in s])
        for title, keys in SECTIONS
        # the day's table only when something of it happened (the peak of CPD ports always does)
        if title != DAY or any(s.get(k) for k in keys if k != "peak_cpd_ports")
    ]
    figures, notes = [], []
    series_path = folder / "series.json"
    if series_path.is_file():
        sources.append("series.json")
        series = read_json(series_path)
        rows = need(series, "rows", series_path, "a list")
        bucket = number(series.get("bucket_s", 900), series_path, "bucket_s", optional=False)
        horizon = campaign.horizon_s if campaign else len(rows) * bucket
        ctx = _Context(Clock(campaign, horizon), rows, bucket, series_path, campaign)
        figures += [
            _agent_states(ctx),
            _calls(ctx),
            _abandons(ctx, series, limit, regime),
            _lines(ctx),
            _penetration(ctx, s),
        ]
        figures.append(_outcomes(s))
        figures.append(_waits(series, series_path, campaign))
    else:
        figures.append(_outcomes(s))
        notes.append("No series.json in this folder: the charts over the day are left out.")
    return Page(
        "run",
        f"Run report: {s['name']} ({s['mode']})",
        facts,
        lead,
        tables,
        figures,
        notes,
        sources,
    )


class _Context:
    def __init__(self, clock: Clock, rows: list, bucket: float, path: Path, campaign):
        self.clock, self.rows, self.bucket, self.path, self.campaign = (
            clock,
            rows,
            bucket,
            path,
            campaign,
        )
        self.starts = [
            number(need(r, "t_s", path, where=f"rows.{i}."), path, f"rows.{i}.t_s", optional=False)
            for i, r in enumerate(rows)
        ]

    def col(self, key: str) -> list[float | None]:
        return [
            number(need(r, key, self.path, where=f"rows.{i}."), self.path, f"rows.{i}.{key}")
            for i, r in enumerate(self.rows)
        ]

    def counted(self, key: str) -> list[float | None]:
        """A count by dial time, with a gap where the bucket lies wholly in the warm-up
        (nothing there is counted, which is not the same as nothing happening)."""
        w = self.campaign.warmup_s if self.campaign else 0.0
        return [
            None if self.starts[i] + self.length(i) <= w else v for i, v in enumerate(self.col(key))
        ]

    def length(self, i: int) -> float:
        """Seconds of bucket i (the last one may be cut by the horizon)."""
        return max(min(self.bucket, self.clock.horizon_s - self.starts[i]), 1e-9)

    def mids(self) -> list:
        return [self.clock.x(t + self.length(i) / 2) for i, t in enumerate(self.starts)]

    def ends(self) -> list:
        return [self.clock.x(t + self.length(i)) for i, t in enumerate(self.starts)]

    def steps(self) -> list:
        """Bucket starts and the end of the last one: x for step lines."""
        xs = [self.clock.x(t) for t in self.starts]
        return (
            xs + [self.clock.x(self.starts[-1] + self.length(len(self.starts) - 1))] if xs else xs
        )

    def warmup(self, yref: str = "y domain", xref: str = "x") -> tuple[list, list]:
        w = self.campaign.warmup_s if self.campaign else 0
        if w <= 0:
            return [], []
        shape = {
            "type": "rect",
            "xref": xref,
            "yref": yref,
            "x0": self.clock.x(0),
            "x1": self.clock.x(w),
            "y0": 0,
            "y1": 1,
            "fillcolor": "rgba(0,0,0,0.07)",
            "line": {"width": 0},
            "layer": "below",
        }
        note = {
            "xref": xref,
            "yref": yref,
            "x": self.clock.x(0),
            "xanchor": "left",
            "y": 1,
            "yanchor": "top",
            "text": "warm-up",
            "showarrow": False,
            "bgcolor": "rgba(255,255,255,0.8)",
            "font": {"size": 11, "color": "#555555"},
        }
        return [shape], [note]


def _agent_states(ctx: _Context) -> Figure:
    data = []
    lengths = [ctx.length(i) for i in range(len(ctx.rows))]
    total = [0.0] * len(ctx.rows)
    for name, keys, colour, pattern in STATES:
        cols = [ctx.col(k) for k in keys]
        y = [round(sum(c[i] or 0.0 for c in cols) / lengths[i], 3) for i in range(len(ctx.rows))]
        total = [a + b for a, b in zip(total, y)]
        trace = {
            "type": "scatter",
            "mode": "lines",
            "name": name,
            "x": ctx.steps(),
            "y": y + y[-1:],
            "stackgroup": "agents",
            "line": {"shape": "hv", "width": 0.8, "color": colour},
            "fillcolor": colour,
            "hovertemplate": f"{name}: %{{y:.1f}} agents<extra></extra>",
        }
        if pattern:
            trace["fillpattern"] = {
                "shape": pattern,
                "fgcolor": "rgba(0,0,0,0.35)",
                "bgcolor": colour,
                "size": 8,
                "solidity": 0.15,
            }
        data.append(trace)
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "logged in",
            "x": ctx.steps(),
            "y": [round(v, 3) for v in total + total[-1:]],
            "line": {"shape": "hv", "color": "#222222", "dash": "dot", "width": 1.5},
            "hovertemplate": "logged in: %{y:.1f} agents<extra></extra>",
        }
    )
    shapes, notes = ctx.warmup()
    lay = layout(
        "Agent states over the day",
        ctx.clock.axis(),
        axis("agents (mean over 15 min)", rangemode="tozero"),
        shapes=shapes,
        annotations=notes,
        hovermode="x unified",
    )
    return Figure(
        "run-agent-states",
        {"data": data, "layout": lay},
        "What the agents were doing, averaged over each 15 minutes and stacked: the top of "
        "the stack is the number of agents logged in. Talk and wrap-up are occupancy; "
        "reserved is time held for an own dial (preview, progressive).",
        440,
    )


def _calls(ctx: _Context) -> Figure:
    width = ctx.clock.span(ctx.bucket * 0.85)
    mids = ctx.mids()
    ab = ctx.counted("abandoned")
    data = [
        {
            "type": "bar",
            "name": "dials",
            "x": mids,
            "y": ctx.counted("dials"),
            "width": width,
            "marker": {"color": "#BDBDBD", "line": {"color": "#757575", "width": 0.5}},
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "live answers",
            "x": mids,
            "y": ctx.counted("live_answers"),
            "line": {"color": "#0072B2", "width": 2},
            "marker": {"symbol": "circle", "size": 6},
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "connects",
            "x": mids,
            "y": ctx.counted("connects"),
            "line": {"color": "#009E73", "width": 1.5, "dash": "dash"},
            "marker": {"symbol": "square", "size": 5},
        },
        {
            "type": "bar",
            "name": "abandoned",
            "x": mids,
            "y": ab,
            "width": width,
            "xaxis": "x2",
            "yaxis": "y2",
            "marker": {"color": "#D55E00"},
            "text": [f"{v:g}" if v else "" for v in ab],
            "textposition": "outside",
            "cliponaxis": False,
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "persons hung up on by AMD",
            "x": mids,
            "y": ctx.counted("amd_false_positives"),
            "xaxis": "x2",
            "yaxis": "y2",
            "line": {"color": "#CC79A7", "dash": "dot", "width": 1.5},
            "marker": {"symbol": "x", "size": 6},
        },
    ]
    shapes, notes = ctx.warmup()
    s2, n2 = ctx.warmup(yref="y2 domain", xref="x2")
    lay = layout(
        "Dials, live answers and abandons per 15 minutes",
        ctx.clock.axis("", anchor="y", domain=[0, 1], showticklabels=False),
        axis("calls per 15 min", domain=[0.42, 1], rangemode="tozero"),
        xaxis2=ctx.clock.axis(anchor="y2", matches="x"),
        yaxis2=axis("calls per 15 min", domain=[0, 0.3], rangemode="tozero"),
        shapes=shapes + s2,
        annotations=notes
        + n2
        + [
            {
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 0.31,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12},
                "text": "<b>lost persons</b>: abandoned, and hung up on by AMD",
            }
        ],
        barmode="overlay",
        hovermode="x unified",
    )
    return Figure(
        "run-calls",
        {"data": data, "layout": lay},
        "Top: the dialer's work by dial time. Bottom: the persons lost, abandoned by the "
        "dialer (no agent within the abandon limit) or taken for a machine by AMD.",
        520,
    )


def _window_span(ctx: _Context, w: dict) -> tuple[float, float]:
    """A compliance window's days as simulated seconds (clipped to the counted run)."""
    warm = ctx.campaign.warmup_s if ctx.campaign else 0.0
    horizon = ctx.clock.horizon_s
    cal = ctx.clock.calendar
    first, days = int(w.get("first_day", 0)), int(w.get("days", 1))
    if cal is None:
        return max(warm, first * 86400.0), min(horizon, (first + days) * 86400.0)
    import datetime as dt

    day0 = cal.local(0, cal.site).date()
    a = cal.wall_to_sim(day0 + dt.timedelta(days=first), 0, cal.site)
    b = cal.wall_to_sim(day0 + dt.timedelta(days=first + days), 0, cal.site)
    return max(warm, a), min(horizon, b)


def _regime_rates(ctx: _Context, regime: str) -> tuple[list, list, str]:
    """Per-interval and cumulative abandon rates in the regime's own definition: the US rate
    as stored, or the Ofcom rate (estimated AMD false positives added) from the counts."""
    if regime != "ofcom" or ctx.campaign is None:
        return ctx.col("abandon_rate"), ctx.col("abandon_rate_cumulative"), "US"
    from dialer.regulation import abandon_rates

    e = ctx.campaign.cpd.fp_estimate
    live, ab = ctx.col("live_answers"), ctx.col("abandoned")
    rate, cum, cl, ca = [], [], 0.0, 0.0
    for lv, a in zip(live, ab):
        cl, ca = cl + (lv or 0), ca + (a or 0)
        rate.append(abandon_rates(int(lv or 0), int(a or 0), 0, e)["abandon_rate_ofcom"])
        cum.append(abandon_rates(int(cl), int(ca), 0, e)["abandon_rate_ofcom"])
    return rate, cum, "Ofcom"


def _abandons(ctx: _Context, series: dict, limit: float, regime: str) -> Figure:
    rate, cum, definition = _regime_rates(ctx, regime)
    data = [
        {
            "type": "bar",
            "name": "per 15 minutes",
            "x": ctx.mids(),
            "y": rate,
            "width": ctx.clock.span(ctx.bucket * 0.85),
            "marker": {"color": rgba("#E69F00", 0.55), "line": {"color": "#B57D00", "width": 1}},
            "hovertemplate": "per 15 min: %{y:.2%}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "cumulative",
            "x": ctx.ends(),
            "y": cum,
            "line": {"color": "#222222", "width": 2},
            "marker": {"symbol": "circle", "size": 5},
            "hovertemplate": "cumulative: %{y:.2%}<extra></extra>",
        },
    ]
    window_name = (
        "each calendar day (Ofcom)" if regime == "ofcom" else "30 days or the whole run (FCC)"
    )
    for i, w in enumerate(series.get("windows") or []):
        if not isinstance(w, dict) or w.get("rate") is None:
            continue
        a, b = _window_span(ctx, w)
        if b <= a:
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [ctx.clock.x(a), ctx.clock.x(b)],
                "y": [w["rate"], w["rate"]],
                "name": f"compliance window: {window_name}",
                "legendgroup": "windows",
                "showlegend": i == 0,
                "line": {"color": "#0072B2", "width": 4, "dash": "dashdot"},
                "marker": {"symbol": "line-ns-open", "size": 14, "line": {"width": 2}},
                "hovertemplate": f"window rate %{{y:.2%}} ({w.get('abandoned', '?')} of "
                f"{w.get('live_answers', '?')} live answers)<extra></extra>",
            }
        )
    top = max([limit * 1.6] + [v * 1.1 for v in rate + cum if v is not None])
    shape, note = hline(limit, f"legal limit {format_value(limit, 'share')}% ({regime.upper()})")
    shapes, notes = ctx.warmup()
    lay = layout(
        "Abandon rate against the legal limit",
        ctx.clock.axis(),
        axis(f"abandon rate ({definition})", tickformat=".1%", range=[0, top]),
        shapes=shapes + [shape],
        annotations=notes + [note],
        hovermode="x unified",
    )
    return Figure(
        "run-abandon-rate",
        {"data": data, "layout": lay},
        "Bars: each 15 minutes' rate (noisy: few live answers each). Line: the rate so far. "
        "The regulator judges the compliance window's rate (thick dash-dot line) against the "
        "limit (dashed). "
        + (
            "Rates are Ofcom's: abandoned plus the centre's estimate of "
            "AMD false positives, over live answers plus that estimate."
            if definition == "Ofcom"
            else "Rates are the US definition: abandoned / live answers."
        ),
    )


def _lines(ctx: _Context) -> Figure:
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "lines in use (mean)",
            "x": ctx.mids(),
            "y": ctx.col("mean_lines"),
            "line": {"color": "#0072B2", "width": 2},
            "marker": {"symbol": "circle", "size": 5},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "lines in use (peak)",
            "x": ctx.steps(),
            "y": (p := ctx.col("peak_lines")) + p[-1:],
            "line": {"color": "#0072B2", "shape": "hv", "dash": "dot", "width": 1.5},
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "dials in flight (mean)",
            "x": ctx.mids(),
            "y": ctx.col("mean_in_flight"),
            "line": {"color": "#E69F00", "width": 2, "dash": "dash"},
            "marker": {"symbol": "triangle-up", "size": 6},
        },
    ]
    shapes, notes = ctx.warmup()
    lines = ctx.campaign.dialing.lines if ctx.campaign else None
    peak = max([v or 0 for v in p] + [1])
    if lines is not None and lines <= 1.5 * peak:
        shape, note = hline(lines, f"line capacity {lines}", colour="#555555", dash="longdash")
        shapes.append(shape)
        notes.append(note)
    elif lines is not None:
        notes.append(
            {
                "xref": "x domain",
                "yref": "y domain",
                "x": 1,
                "y": 1,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12, "color": "#555555"},
                "text": f"line capacity {lines}: far above use, not drawn",
            }
        )
    lay = layout(
        "Lines in use and dials in flight",
        ctx.clock.axis(),
        axis("lines", rangemode="tozero"),
        shapes=shapes,
        annotations=notes,
        hovermode="x unified",
    )
    return Figure(
        "run-lines",
        {"data": data, "layout": lay},
        "A line is held from the dial until the call ends. Dials in flight are placed calls "
        "whose outcome the dialer does not know yet (ringing, or in CPD).",
    )


def _penetration(ctx: _Context, s: dict) -> Figure:
    total = s.get("records_total")
    done = ctx.col("records_finished_cumulative")
    shapes, notes = ctx.warmup()
    if isinstance(total, (int, float)) and total > 0:
        y: list[float | None] = [(v or 0) / total for v in done]
        title, fmt = "list finished (share of records)", ".0%"
        caption = (
            f"Records finished (answered, out of attempts or treatments, on the DNC list) as a "
            f"share of the list's {int(total):,} records."
        )
    else:
        y, title, fmt = done, "records finished", ","
        caption = "An endless list: records finished so far (no share to reach)."
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "list penetration",
            "x": ctx.ends(),
            "y": y,
            "line": {"color": "#009E73", "width": 2.5},
            "marker": {"symbol": "square", "size": 5},
            "fill": "tozeroy",
            "fillcolor": rgba("#009E73", 0.12),
        }
    ]
    lay = layout(
        "List penetration over the day",
        ctx.clock.axis(),
        axis(title, tickformat=fmt, rangemode="tozero"),
        shapes=shapes,
        annotations=notes,
        showlegend=False,
        hovermode="x unified",
    )
    return Figure("run-penetration", {"data": data, "layout": lay}, caption, 360)


def _outcomes(s: dict) -> Figure:
    labels, values, colours, patterns = [], [], [], []
    for label, keys, colour, pattern in OUTCOMES:
        v = sum(int(s.get(k) or 0) for k in keys)
        labels.append(label)
        values.append(v)
        colours.append(colour)
        patterns.append(pattern)
    dials = max(int(s.get("dials") or 0), 1)
    text = [f"{v:,} ({100 * v / dials:.1f}%)" for v in values]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": labels[::-1],
            "x": values[::-1],
            "text": text[::-1],
            "textposition": "outside",
            "cliponaxis": False,
            "name": "dials",
            "marker": {
                "color": colours[::-1],
                "pattern": {"shape": patterns[::-1], "solidity": 0.3},
                "line": {"color": "#444444", "width": 0.5},
            },
            "hovertemplate": "%{y}: %{x:,} dials<extra></extra>",
        }
    ]
    lay = layout(
        f"Where the {int(s.get('dials') or 0):,} dials went",
        axis("dials", rangemode="tozero", range=[0, max(values + [1]) * 1.25]),
        axis("", automargin=True),
        showlegend=False,
        margin={"l": 200, "r": 40, "t": 60, "b": 50},
    )
    return Figure(
        "run-outcomes",
        {"data": data, "layout": lay},
        "Each dial's outcome (the truth; a person AMD took for a machine is counted where it "
        "ended). The top three are persons; abandons and AMD false positives are persons lost.",
        400,
    )


def _hist(h: dict, path: Path, name: str, max_bars: int = 120) -> tuple[list, list, float]:
    """Bin centres and shares (of all waits) of a stored histogram, merging bins past max_bars."""
    width = number(
        need(h, "width_s", path, "a number", f"waits.{name}."), path, name, optional=False
    )
    bins = need(h, "bins", path, "a list", f"waits.{name}.")
    n = sum(bins) + int(h.get("over") or 0)
    k = max(1, -(-len(bins) // max_bars))
    merged = [sum(bins[i : i + k]) for i in range(0, len(bins), k)]
    w = width * k
    xs = [round((i + 0.5) * w, 6) for i in range(len(merged))]
    ys = [c / n if n else 0.0 for c in merged]
    return xs, ys, w


def _quantile(h: dict, q: float) -> float:
    """The upper edge of the bin where the q-quantile falls (beyond the bins: the last edge)."""
    bins, width = h.get("bins") or [], float(h["width_s"])
    target, acc = q * (sum(bins) + int(h.get("over") or 0)), 0
    for i, c in enumerate(bins):
        acc += c
        if acc >= target:
            return round((i + 1) * width, 6)
    return round(len(bins) * width, 6)


def _waits(series: dict, path: Path, campaign) -> Figure:
    waits = series.get("waits") or {}
    panels = [
        ("agent_wait_s", "agent wait between connects (s)", "#0072B2", "x", "y", [0, 0.44]),
        (
            "answer_wait_s",
            "customer wait, CPD verdict to agent (s)",
            "#D55E00",
            "x2",
            "y2",
            [0.56, 1],
        ),
    ]
    data, shapes, notes, lay_axes = [], [], [], {}
    for key, title, colour, xr, yr, dom in panels:
        h = waits.get(key)
        suffix = xr[1:]
        lay_axes[f"xaxis{suffix}"] = axis(title, domain=dom, anchor=yr, rangemode="tozero")
        lay_axes[f"yaxis{suffix}"] = axis(
            "share of waits", anchor=xr, tickformat=".0%", rangemode="tozero"
        )
        if not isinstance(h, dict) or not h.get("n"):
            notes.append(
                {
                    "xref": f"{xr} domain",
                    "yref": f"{yr} domain",
                    "x": 0.5,
                    "y": 0.5,
                    "text": "no waits recorded",
                    "showarrow": False,
                }
            )
            continue
        xs, ys, w = _hist(h, path, key)
        data.append(
            {
                "type": "bar",
                "name": title,
                "x": xs,
                "y": ys,
                "width": w * 0.9,
                "xaxis": xr,
                "yaxis": yr,
                "marker": {"color": colour},
                "hovertemplate": f"%{{x:.2f}} s ± {w / 2:g} s: %{{y:.1%}}<extra></extra>",
            }
        )
        mean = h.get("mean")
        label = (
            f"mean {mean:.2f} s" if mean is not None and mean < 10 else f"mean {mean or 0:.1f} s"
        )
        if mean is not None:
            s_, n_ = vline(mean, label, colour="#222222", xref=xr, yref=f"{yr} domain")
            shapes.append(s_)
            notes.append(n_)
        over = int(h.get("over") or 0)
        top = len(h.get("bins") or []) * float(h["width_s"])
        sub = [
            f"{int(h['n']):,} waits",
            f"half within {_quantile(h, 0.5):g} s",
            f"95% within {_quantile(h, 0.95):g} s",
        ]
        if over:
            sub.append(f"{over:,} beyond {top:g} s not drawn")
        notes.append(
            {
                "xref": f"{xr} domain",
                "yref": f"{yr} domain",
                "x": 1,
                "y": 1,
                "xanchor": "right",
                "yanchor": "top",
                "align": "right",
                "text": "<br>".join(sub),
                "showarrow": False,
                "bgcolor": "rgba(255,255,255,0.85)",
                "font": {"size": 12, "color": "#333333"},
            }
        )
    if campaign is not None:
        limit = campaign.dialing.abandon_after_s
        s_, n_ = vline(limit, f"{limit:g} s rule", xref="x2", yref="y2 domain")
        n_.update({"y": 0.45})
        shapes.append(s_)
        notes.append(n_)
    lay = layout(
        "How long agents and customers waited",
        shapes=shapes,
        annotations=notes,
        showlegend=False,
        bargap=0,
        **lay_axes,
    )
    return Figure(
        "run-waits",
        {"data": data, "layout": lay},
        "Left: an agent's wait from becoming ready after wrap-up to the next connect. Right: "
        "a connected person's silence between the CPD verdict and the agent's hello; past the "
        "abandon limit the call is abandoned instead.",
        380,
    )
