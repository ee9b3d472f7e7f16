"""The fit page: how a campaign was learnt from a centre's records, and whether it behaves like them.

Read from a ``dialer fit --report DIR`` folder (``fit.json``): each fitted duration drawn over
the histogram of its data, its QQ plot against the fitted distribution, the outcome shares by
hour of the called party's day with their Wilson intervals and the periods the fit merged them
into, and the validation: the fitted campaign simulated with the records' own mode and
staffing, its hit ratio, abandon rate, occupancy and connects per agent-hour beside the
records' own. Tables list every fitted duration with its method and goodness of fit, the
shares with their intervals, and what the records could not tell (assumed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dialer.reports.charts import (
    Cell,
    Figure,
    Page,
    Table,
    axis,
    error_bars,
    grid_axes,
    layout,
    panel_title,
    series_style,
)
from dialer.reports.glossary import format_value
from dialer.reports.results import need, read_json

FIT_COLOUR = "#0072B2"
DATA_COLOUR = "#999999"
RECORDS_COLOUR = "#E69F00"
CATEGORY_LABELS = {
    "human_verdict": "classified human",
    "machine_verdict": "machine (CPD)",
    "fax": "fax",
    "busy": "busy",
    "no_answer": "no answer",
}


def _label(key: str) -> str:
    """``agents.groups.renewals.talk_time_s`` -> ``renewals: talk time``."""
    if key == "stat_server.delay_s":
        return "Stat Server delay"
    parts = key.split(".")
    name = parts[-1].removesuffix("_s").replace("_", " ")
    if parts[:2] == ["agents", "groups"] and len(parts) > 3:
        return f"{parts[2]}: {name}"
    return name


def build(folder: Path) -> Page:
    path = folder / "fit.json"
    d = read_json(path)
    durations: dict[str, Any] = need(d, "durations", path, "a mapping")
    shares = need(d, "shares", path, "a mapping")
    validation = d.get("validation") if isinstance(d.get("validation"), dict) else None
    agents = d.get("agents") or {}
    facts = [
        ("campaign", str(d.get("campaign", "?"))),
        ("records", f"{d.get('format', '?')}: {', '.join(d.get('sources') or [])}"),
        ("dials", format_value(d.get("dials"), "count")),
        ("span", "-" if d.get("span_s") is None else f"{float(d['span_s']) / 3600:.2f} h"),
        ("mode", str(d.get("mode", "?"))),
        ("agents", ", ".join(f"{k} x{v}" for k, v in agents.items()) or "-"),
        ("dialer version", str(d.get("version", "?"))),
    ]
    sources = d.get("sources_by_key") or {}
    fitted = sum(1 for s in sources.values() if s == "fitted")
    assumed = [k for k, s in sources.items() if s == "assumed"]
    lead = f"{fitted} keys fitted from {format_value(d.get('dials'), 'count')} dials"
    lead += f"; {len(assumed)} not in the records (assumed, listed below)." if assumed else "."
    if validation:
        lead += " " + _verdict(validation)
    notes = []
    unknown = d.get("unknown_statuses") or {}
    if unknown:
        shown = ", ".join(f"{k} ({v})" for k, v in sorted(unknown.items(), key=lambda kv: -kv[1]))
        notes.append(
            f"Statuses no mapping knows were left out of the fit: {shown}. Map them with "
            "--status CODE=OUTCOME."
        )
    notes += [str(n) for n in d.get("notes") or []]
    if not validation:
        notes.append("No validation: the fit was run with --replications 0.")
    tables = [_durations_table(durations), _shares_table(shares)]
    if shares.get("bands"):
        tables.append(_bands_table(shares))
    if validation:
        tables.append(_validation_table(validation))
    tables.append(_assumed_table(d.get("comments") or {}, assumed))
    figures = [
        _densities(durations),
        _qq(durations),
        _hours(shares),
        _validation_figure(validation),
    ]
    return Page(
        "fit",
        f"Fitted campaign: {d.get('campaign', '?')}",
        facts,
        lead,
        tables,
        figures,
        notes,
        ["fit.json"],
    )


def _ends(row: dict, who: str) -> tuple[float, float]:
    value = row[who]
    lo, hi = row.get(f"{who}_low"), row.get(f"{who}_high")
    return (value if lo is None else lo), (value if hi is None else hi)


def _verdict(v: dict) -> str:
    rows = [
        r
        for r in v.get("figures", [])
        if r.get("records") is not None and r.get("fitted") is not None
    ]
    agree = 0
    for r in rows:
        (a, b), (c, d) = _ends(r, "records"), _ends(r, "fitted")
        agree += a <= d and c <= b
    return (
        f"Simulated {v.get('replications')} times in {v.get('mode')} mode, the fitted campaign "
        f"agrees with the records on {agree} of {len(rows)} figures (their 95% intervals overlap)."
    )


def _fmt_dist(x: dict) -> str:
    kind = x.get("kind", "?")
    if kind == "constant":
        return f"constant {x.get('mean', 0):.4g} s"
    if kind == "empirical":
        return f"empirical (mean {x.get('mean', 0):.4g} s, sd {x.get('sd', 0):.4g} s)"
    return f"{kind} (mean {x.get('mean', 0):.4g} s, sd {x.get('sd', 0):.4g} s)"


def _durations_table(durations: dict) -> Table:
    cols = [
        Cell("duration"),
        Cell("fitted"),
        Cell("n", "values seen in full"),
        Cell("censored", "values still going at the end of the log (right-censored)"),
        Cell("KS", "Kolmogorov-Smirnov distance between the fitted and the data's distribution"),
        Cell("KS 1%", "the 1% critical value 1.628/sqrt(n)"),
        Cell(
            "QQ gap",
            "largest gap between fitted and observed quantiles from the 5th to the 95th "
            "percentile, as a share of the data's range between them",
        ),
        Cell("method"),
    ]
    rows = []
    for key, x in durations.items():
        rows.append(
            [
                Cell(_label(key), key, head=True),
                Cell(_fmt_dist(x)),
                Cell(format_value(x.get("n"), "count")),
                Cell(format_value(x.get("n_open"), "count")),
                Cell("-" if x.get("ks") is None else f"{x['ks']:.3f}"),
                Cell("-" if x.get("ks_critical") is None else f"{x['ks_critical']:.3f}"),
                Cell("-" if x.get("qq_gap") is None else f"{100 * x['qq_gap']:.1f}%"),
                Cell(str(x.get("method", "")), str(x.get("summary", ""))),
            ]
        )
    return Table(
        "Fitted durations",
        cols,
        rows,
        "Candidates lognormal, gamma, exponential and Weibull by maximum likelihood (censoring "
        "and truncation in the likelihood), the best by AIC; empirical when the best's KS "
        "distance exceeds both its 1% critical value and 0.02.",
    )


def _shares_table(shares: dict) -> Table:
    cols = [Cell("share"), Cell("fitted (%)"), Cell("95% low"), Cell("95% high")]
    rows = []
    for key, value in (shares.get("shares") or {}).items():
        lo, hi = (shares.get("intervals") or {}).get(key, [None, None])
        rows.append(
            [
                Cell(key.replace("_", " "), head=True),
                Cell(format_value(value, "share")),
                Cell(format_value(lo, "share")),
                Cell(format_value(hi, "share")),
            ]
        )
    recorded = shares.get("recorded") or {}
    note = (
        "Per dial, what a dial reaches (population.*), from "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in recorded.items())
        + f". Invalid: {shares.get('invalid_method', '')}. The others are corrected for AMD "
        "errors and for answers the ring timeout cut off; intervals are Wilson's, carried "
        "through the corrections."
    )
    bands = shares.get("bands") or []
    if bands:
        note += f" By hour: {len(bands)} periods (population.by_hour)."
    return Table("Population shares", cols, rows, note)


def _bands_table(shares: dict) -> Table:
    keys = ["human", "machine", "busy", "no_answer", "fax"]
    cols = [Cell("from (local)"), Cell("dials")] + [
        Cell(k.replace("_", " ") + " (%)") for k in keys
    ]
    rows = []
    for band in shares["bands"]:
        cells = [
            Cell(f"{band['start_hour']:02d}:00", head=True),
            Cell(format_value(band.get("dials"), "count")),
        ]
        for k in keys:
            lo, hi = band["intervals"].get(k, [None, None])
            cells.append(
                Cell(
                    format_value(band["shares"].get(k), "share"),
                    f"95% interval {format_value(lo, 'share')} to {format_value(hi, 'share')}",
                )
            )
        rows.append(cells)
    return Table(
        "Shares by period of the called party's day (population.by_hour)",
        cols,
        rows,
        "Each period runs until the next; hover over a share for its 95% interval.",
    )


def _validation_table(v: dict) -> Table:
    cols = [
        Cell("figure"),
        Cell("records"),
        Cell("records 95%"),
        Cell("fitted campaign"),
        Cell("fitted 95%"),
    ]
    rows = []
    for r in v.get("figures", []):
        kind = "share" if r.get("kind") == "share" else "number"
        unit = " %" if kind == "share" else ""

        def interval(lo, hi, kind=kind):
            if lo is None or hi is None:
                return "-"
            return f"{format_value(lo, kind)} to {format_value(hi, kind)}"

        rows.append(
            [
                Cell(r.get("label", "?") + unit, r.get("meaning", ""), head=True),
                Cell(format_value(r.get("records"), kind)),
                Cell(interval(r.get("records_low"), r.get("records_high"))),
                Cell(format_value(r.get("fitted"), kind)),
                Cell(interval(r.get("fitted_low"), r.get("fitted_high"))),
            ]
        )
    return Table(
        f"Validation: the fitted campaign, {v.get('replications')} runs in {v.get('mode')} mode",
        cols,
        rows,
        "Both sides measured the same way, from records (the OCS's view). Records: binomial "
        "(Wilson) or Poisson interval; fitted: t interval of the runs' mean.",
    )


def _assumed_table(comments: dict, assumed: list[str]) -> Table:
    rows = [
        [Cell(k, head=True), Cell(str(comments.get(k, "")).removeprefix("not in the records: "))]
        for k in assumed
    ]
    return Table(
        "Not in the records: assumed",
        [Cell("key"), Cell("value and why")],
        rows
        or [[Cell("-", head=True), Cell("nothing: every key came from the records or settings")]],
        "Change these with --set KEY=VALUE when the centre knows better.",
    )


def _drawn(durations: dict) -> list[str]:
    """Durations worth a panel: a constant is one number, said in the table."""
    return [k for k, x in durations.items() if x.get("kind") != "constant" and x.get("sample")]


def _densities(durations: dict) -> Figure:
    keys = _drawn(durations)
    n = max(len(keys), 1)
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    grid = grid_axes(n, cols, gap_x=0.07, gap_y=0.1 + 0.06 * rows)
    data, notes, axes = [], [], {}
    for i, key in enumerate(keys):
        x = durations[key]
        xr, yr, xa, ya = grid[i]
        axes["xaxis" + xr[1:]] = axis("seconds", **xa)
        axes["yaxis" + yr[1:]] = axis("density" if i % cols == 0 else "", **ya)
        notes.append(panel_title(_label(key), xa["domain"], ya["domain"]))
        data.append(
            {
                "type": "histogram",
                "x": x.get("sample") or [],
                "histnorm": "probability density",
                "nbinsx": 40,
                "name": "data",
                "legendgroup": "data",
                "showlegend": i == 0,
                "marker": {"color": DATA_COLOUR, "line": {"color": "#FFFFFF", "width": 0.5}},
                "opacity": 0.75,
                "xaxis": xr,
                "yaxis": yr,
                "hovertemplate": "%{x} s<extra>data</extra>",
            }
        )
        curve = x.get("curve") or []
        if curve and x.get("kind") != "empirical":
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": [p[0] for p in curve],
                    "y": [p[1] for p in curve],
                    "name": "fitted",
                    "legendgroup": "fitted",
                    "showlegend": i == 0,
                    "line": {"color": FIT_COLOUR, "width": 2.5},
                    "xaxis": xr,
                    "yaxis": yr,
                    "hovertemplate": f"{_fmt_dist(x)}<extra></extra>",
                }
            )
    height = 150 + 300 * rows
    lay = layout(
        "Each duration: the data and the fitted distribution",
        annotations=notes,
        bargap=0.02,
        barmode="overlay",
        margin={"l": 70, "r": 30, "t": 120, "b": 60},
        **axes,
    )
    return Figure(
        "fit-densities",
        {"data": data, "layout": lay},
        "Grey: histogram of the values seen in full. Blue: the fitted density as the data see "
        "it (answer times cut at the ring timeout, machine answers with the persons the CPD "
        "took for machines); none for an empirical fit (the data's own quantiles). Values "
        "still going at the end of the log are in the fit, not the histogram. Constant "
        "durations are in the table only.",
        height,
    )


def _qq(durations: dict) -> Figure:
    keys = [k for k in _drawn(durations) if durations[k].get("qq")]
    n = max(len(keys), 1)
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    grid = grid_axes(n, cols, gap_x=0.08, gap_y=0.1 + 0.06 * rows)
    data, notes, axes, shapes = [], [], {}, []
    for i, key in enumerate(keys):
        x = durations[key]
        xr, yr, xa, ya = grid[i]
        qq = x["qq"]
        top = max(max(p[0] for p in qq), max(p[1] for p in qq)) * 1.05
        axes["xaxis" + xr[1:]] = axis("fitted quantile (s)", range=[0, top], **xa)
        axes["yaxis" + yr[1:]] = axis("observed (s)" if i % cols == 0 else "", range=[0, top], **ya)
        notes.append(panel_title(_label(key), xa["domain"], ya["domain"]))
        shapes.append(
            {
                "type": "line",
                "xref": xr,
                "yref": yr,
                "x0": 0,
                "y0": 0,
                "x1": top,
                "y1": top,
                "line": {"color": "#444444", "width": 1, "dash": "dot"},
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [p[0] for p in qq],
                "y": [p[1] for p in qq],
                "name": "percentiles 1 to 99",
                "legendgroup": "qq",
                "showlegend": i == 0,
                "marker": {"color": FIT_COLOUR, "size": 5},
                "xaxis": xr,
                "yaxis": yr,
                "hovertemplate": "fitted %{x:.2f} s, observed %{y:.2f} s<extra></extra>",
            }
        )
    lay = layout(
        "QQ: fitted against observed percentiles",
        annotations=notes,
        shapes=shapes,
        hovermode="closest",
        margin={"l": 70, "r": 30, "t": 120, "b": 60},
        **axes,
    )
    return Figure(
        "fit-qq",
        {"data": data, "layout": lay},
        "Each point is one percentile (1st to 99th): on the dotted diagonal, the fit matches "
        "the data there. Kaplan-Meier percentiles where values were still going at the end.",
        150 + 300 * rows,
    )


def _hours(shares: dict) -> Figure:
    hours = shares.get("hours") or []
    data, shapes = [], []
    for i, (cat, label) in enumerate(CATEGORY_LABELS.items()):
        colour, symbol, dash = series_style(i)
        pts = [h for h in hours if isinstance(h.get(cat), dict)]
        if not pts:
            continue
        x = [h["hour"] + 0.5 for h in pts]
        y = [h[cat]["share"] for h in pts]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": x,
                "y": y,
                "name": label,
                "line": {"color": colour, "width": 1.5, "dash": dash},
                "marker": {"color": colour, "symbol": symbol, "size": 7},
                "error_y": error_bars(
                    y, [h[cat]["low"] for h in pts], [h[cat]["high"] for h in pts], colour
                ),
                "customdata": [h["dials"] for h in pts],
                "hovertemplate": f"{label}: %{{y:.1%}} of %{{customdata}} dials at %{{x:.1f}} h<extra></extra>",
            }
        )
    for band in shares.get("bands") or []:
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": band["start_hour"],
                "x1": band["end_hour"],
                "y0": 0,
                "y1": 1,
                "line": {"color": "#666666", "width": 1, "dash": "dot"},
                "fillcolor": "rgba(0,0,0,0)",
            }
        )
    lay = layout(
        "Outcomes by hour of the called party's day",
        axis("hour of the day (called party's local time)", dtick=1),
        axis("share of valid dials", tickformat=".0%", rangemode="tozero"),
        shapes=shapes,
        hovermode="closest",
    )
    n_bands = len(shares.get("bands") or [])
    return Figure(
        "fit-hours",
        {"data": data, "layout": lay},
        "Recorded outcome shares per hour with their Wilson 95% intervals. "
        + (
            f"Dotted boxes: the {n_bands} periods the fit kept (neighbouring hours merged where "
            "a chi-square test finds no difference at the 1% level)."
            if n_bands
            else "No two neighbouring periods differ: one set of shares for the whole day."
        ),
        440,
    )


def _validation_figure(v: dict | None) -> Figure:
    rows = (v or {}).get("figures") or []
    n = max(len(rows), 1)
    grid = grid_axes(n, min(4, n), gap_x=0.09)
    data, notes, axes = [], [], {}
    for i, r in enumerate(rows):
        xr, yr, xa, ya = grid[i]
        share = r.get("kind") == "share"
        axes["xaxis" + xr[1:]] = {"type": "category", **xa, "automargin": True}
        axes["yaxis" + yr[1:]] = axis(
            "", tickformat=".1%" if share else "", rangemode="tozero", **ya
        )
        notes.append(panel_title(r.get("label", "?"), xa["domain"], ya["domain"]))
        for who, colour, name in (
            ("records", RECORDS_COLOUR, "records"),
            ("fitted", FIT_COLOUR, "fitted campaign"),
        ):
            value = r.get(who)
            if value is None:
                continue
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [name],
                    "y": [value],
                    "name": name,
                    "legendgroup": name,
                    "showlegend": i == 0,
                    "marker": {
                        "color": colour,
                        "size": 11,
                        "symbol": "circle" if who == "fitted" else "diamond",
                    },
                    "error_y": error_bars(
                        [value], [r.get(f"{who}_low")], [r.get(f"{who}_high")], colour
                    ),
                    "xaxis": xr,
                    "yaxis": yr,
                }
            )
        runs = r.get("runs") or []
        if runs:
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": ["fitted campaign"] * len(runs),
                    "y": runs,
                    "name": "each run",
                    "legendgroup": "runs",
                    "showlegend": i == 0,
                    "marker": {"color": FIT_COLOUR, "size": 5, "opacity": 0.35},
                    "xaxis": xr,
                    "yaxis": yr,
                }
            )
    lay = layout(
        "Validation: the fitted campaign simulated, against the records",
        annotations=notes,
        hovermode="closest",
        margin={"l": 70, "r": 30, "t": 120, "b": 60},
        **axes,
    )
    return Figure(
        "fit-validation",
        {"data": data, "layout": lay},
        "Diamond: the records' own figure with its 95% interval. Circle: the fitted campaign's "
        "mean over its runs (small dots) with a 95% interval. Where they overlap, the fit "
        "reproduces the centre."
        if rows
        else "No validation runs (--replications 0).",
        380,
    )
