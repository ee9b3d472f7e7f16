"""The compare page: which mode wins on one campaign, by how much, and at what abandon rate.

Read from a ``compare --out`` folder (``compare.json``): every mode's metrics with 95%
confidence intervals over the replications, the paired differences from the best legal mode
(common random numbers make them much tighter than the intervals of each mode), the frontier
of abandon rate against occupancy as each mode's tuning knob is swept, and the verdict in
one sentence.
"""

from __future__ import annotations

from pathlib import Path

from dialer.reports.charts import (
    Cell,
    Figure,
    Page,
    Table,
    axis,
    error_bars,
    grid_axes,
    hline,
    layout,
    mode_style,
    panel_title,
    rgba,
    vline,
)
from dialer.reports.glossary import format_value, metric
from dialer.reports.results import need, number, read_json

# The differences worth a chart of their own (when present), in reading order.
KEY_DIFFS = ["talk_minutes_per_agent_hour", "occupancy", "abandon_rate", "connects_per_agent_hour"]


def _is_share(key: str) -> bool:
    return metric(key, replicated=True).kind == "share"


def _fmt(key: str, value) -> str:
    return format_value(value, "share" if _is_share(key) else "number")


def _rows(data: dict, key: str, path: Path, fields: list[str], text: list[str]) -> list[dict]:
    """``data[key]`` as a list of rows with numeric ``fields`` (null allowed) and text ``text``."""
    out = []
    for i, row in enumerate(need(data, key, path, "a list")):
        where = f"{key}.{i}."
        clean: dict[str, str | float | None] = {
            t: str(need(row, t, path, where=where)) for t in text
        }
        for f in fields:
            clean[f] = number(need(row, f, path, where=where), path, f"{where}{f}")
        out.append(clean)
    return out


def build(folder: Path) -> Page:
    path = folder / "compare.json"
    d = read_json(path)
    table = _rows(d, "table", path, ["mean", "ci_low", "ci_high"], ["mode", "metric"])
    diffs = (
        _rows(d, "diffs", path, ["mean_diff", "ci_low", "ci_high"], ["mode", "metric"])
        if "diffs" in d
        else []
    )
    frontier = (
        _rows(
            d, "frontier", path, ["value", "mean", "ci_low", "ci_high"], ["mode", "knob", "metric"]
        )
        if "frontier" in d
        else []
    )
    modes = [str(m) for m in need(d, "modes", path, "a list")]
    modes += sorted({r["mode"] for r in table} - set(modes))
    limit = number(d.get("limit", 0.03), path, "limit") or 0.03
    regime = str(d.get("regime", "fcc"))
    baseline = str(d.get("baseline") or "")
    reps = d.get("replications")
    facts = [
        ("campaign", str(d.get("campaign", "?"))),
        ("seed", str(d.get("seed", "?"))),
        ("replications", str(reps)),
        ("modes", ", ".join(modes)),
        ("limit", f"{format_value(limit, 'share')}% ({regime.upper()})"),
        ("baseline", baseline or "none legal"),
        ("dialer version", str(d.get("version", "?"))),
    ]
    metrics = list(dict.fromkeys(r["metric"] for r in table))
    tables = [_mode_table(table, modes, metrics, baseline, reps)]
    if diffs:
        tables.append(_diff_table(diffs, [m for m in modes if m != baseline], metrics, baseline))
    figures = [_metrics_figure(table, modes, metrics, limit)]
    if diffs:
        figures.append(_diff_figure(diffs, [m for m in modes if m != baseline], baseline))
    notes = []
    if not frontier:
        notes.append(
            "No frontier in this comparison: no mode's tuning knob was swept, so the "
            "abandon-rate / occupancy chart shows each mode at the campaign's settings only."
        )
    figures.append(_frontier_figure(frontier, table, modes, limit, regime))
    sources = ["compare.json"]
    return Page(
        "compare",
        f"Mode comparison: {d.get('campaign', '?')}",
        facts,
        str(d.get("verdict") or ""),
        tables,
        figures,
        notes,
        sources,
    )


def _interval(key: str, mean, low, high) -> str:
    """``mean [low, high]`` in the metric's unit (shares in percent)."""
    if low is None or high is None:
        return _fmt(key, mean)
    return f"{_fmt(key, mean)} [{_fmt(key, low)}, {_fmt(key, high)}]"


def _mode_table(
    table: list[dict], modes: list[str], metrics: list[str], baseline: str, reps
) -> Table:
    cells = {(r["mode"], r["metric"]): r for r in table}
    cols = [Cell("metric"), Cell("unit")] + [
        Cell(
            f"{m} (baseline)" if m == baseline else m,
            "the best legal mode: the differences are taken from it" if m == baseline else "",
        )
        for m in modes
    ]
    rows = []
    for k in metrics:
        info = metric(k, replicated=True)
        row = [Cell(info.label, info.definition, head=True), Cell(info.unit, unit=True)]
        for m in modes:
            r = cells.get((m, k))
            row.append(
                Cell("-" if r is None else _interval(k, r["mean"], r["ci_low"], r["ci_high"]))
            )
        rows.append(row)
    return Table(
        "Each mode: mean [95% confidence interval]",
        cols,
        rows,
        f"Over {reps} replications per mode, the same seeds (common random numbers) for every mode.",
    )


def _diff_table(diffs: list[dict], modes: list[str], metrics: list[str], baseline: str) -> Table:
    cells = {(r["mode"], r["metric"]): r for r in diffs}
    cols = [Cell("metric"), Cell("unit")] + [Cell(f"{m} - {baseline}") for m in modes]
    rows = []
    for k in metrics:
        if not any((m, k) in cells for m in modes):
            continue
        info = metric(k, replicated=True)
        unit = "points" if _is_share(k) else info.unit
        row = [Cell(info.label, info.definition, head=True), Cell(unit, unit=True)]
        for m in modes:
            r = cells.get((m, k))
            if r is None:
                row.append(Cell("-"))
                continue
            sign = "+" if (r["mean_diff"] or 0) > 0 else ""
            row.append(Cell(sign + _interval(k, r["mean_diff"], r["ci_low"], r["ci_high"])))
        rows.append(row)
    return Table(
        f"Paired differences from {baseline}: mean [95% CI]",
        cols,
        rows,
        "Each replication's difference on the same seed; an interval that excludes 0 is a "
        "real difference. Shares differ in percentage points.",
    )


def _metrics_figure(
    table: list[dict], modes: list[str], metrics: list[str], limit: float
) -> Figure:
    cols = 3
    grid = grid_axes(len(metrics), cols, gap_x=0.09, gap_y=0.2)
    cells = {(r["mode"], r["metric"]): r for r in table}
    data, shapes, notes, axes = [], [], [], {}
    for i, k in enumerate(metrics):
        xr, yr, xa, ya = grid[i]
        info = metric(k, replicated=True)
        fmt = (".1%" if k.startswith("abandon") else ".0%") if _is_share(k) else ""
        axes["xaxis" + xr[1:]] = {
            **xa,
            "type": "category",
            "tickangle": -35,
            "showline": True,
            "linecolor": "#444444",
            "categoryorder": "array",
            "categoryarray": modes,
        }
        axes["yaxis" + yr[1:]] = axis(
            info.unit if info.unit not in ("%", "") else "",
            **ya,
            tickformat=fmt,
            rangemode="tozero",
        )
        notes.append(panel_title(info.label, xa["domain"], ya["domain"]))
        for m in modes:
            r = cells.get((m, k))
            if r is None:
                continue
            colour, symbol, _ = mode_style(m)
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [m],
                    "y": [r["mean"]],
                    "name": m,
                    "legendgroup": m,
                    "showlegend": i == 0,
                    "xaxis": xr,
                    "yaxis": yr,
                    "marker": {
                        "color": colour,
                        "symbol": symbol,
                        "size": 11,
                        "line": {"color": "#222222", "width": 1},
                    },
                    "error_y": error_bars([r["mean"]], [r["ci_low"]], [r["ci_high"]], colour),
                    "hovertemplate": f"{m}: {_interval(k, r['mean'], r['ci_low'], r['ci_high'])} {info.unit}"
                    "<extra></extra>",
                }
            )
        if k.startswith("abandon_rate"):
            s_, n_ = hline(
                limit, f"limit {format_value(limit, 'share')}%", yref=yr, xref=f"{xr} domain"
            )
            shapes.append(s_)
            notes.append(n_)
    rows = (len(metrics) + cols - 1) // cols
    height = 260 * rows + 80
    lay = layout(
        "Each mode's key metrics, with 95% confidence intervals",
        shapes=shapes,
        annotations=notes,
        margin={"l": 70, "r": 30, "t": 120, "b": 40},
        **axes,
    )
    return Figure(
        "compare-metrics",
        {"data": data, "layout": lay},
        "One panel per metric; a marker is the mean over the replications, the bar its 95% "
        "confidence interval. Abandon-rate panels show the legal limit.",
        height,
    )


def _diff_figure(diffs: list[dict], modes: list[str], baseline: str) -> Figure:
    keys = [k for k in KEY_DIFFS if any(r["metric"] == k for r in diffs)]
    keys = keys or list(dict.fromkeys(r["metric"] for r in diffs))[:4]
    cells = {(r["mode"], r["metric"]): r for r in diffs}
    grid = grid_axes(len(keys), 2, gap_x=0.14, gap_y=0.26)
    data, shapes, notes, axes = [], [], [], {}
    for i, k in enumerate(keys):
        xr, yr, xa, ya = grid[i]
        info = metric(k, replicated=True)
        unit = "points" if _is_share(k) else info.unit
        scale = 100 if _is_share(k) else 1
        axes["xaxis" + xr[1:]] = axis(
            f"{info.label} - {baseline} ({unit})" if unit else info.label, **xa
        )
        axes["yaxis" + yr[1:]] = {
            **ya,
            "type": "category",
            "categoryorder": "array",
            "categoryarray": modes[::-1],
            "automargin": True,
        }
        notes.append(panel_title(info.label, xa["domain"], ya["domain"]))
        s_, _ = vline(0, "", colour="#555555", xref=xr, yref=f"{yr} domain", dash="solid")
        s_["line"]["width"] = 1
        shapes.append(s_)
        for m in modes:
            r = cells.get((m, k))
            if r is None or r["mean_diff"] is None:
                continue
            colour, symbol, _ = mode_style(m)
            lo = None if r["ci_low"] is None else r["ci_low"] * scale
            hi = None if r["ci_high"] is None else r["ci_high"] * scale
            mean = r["mean_diff"] * scale
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "y": [m],
                    "x": [mean],
                    "name": m,
                    "legendgroup": m,
                    "showlegend": i == 0,
                    "xaxis": xr,
                    "yaxis": yr,
                    "marker": {
                        "color": colour,
                        "symbol": symbol,
                        "size": 11,
                        "line": {"color": "#222222", "width": 1},
                    },
                    "error_x": error_bars([mean], [lo], [hi], colour),
                    "hovertemplate": f"{m} - {baseline}: %{{x:.3g}} {unit}<extra></extra>",
                }
            )
    rows = (len(keys) + 1) // 2
    height = 250 * rows + 90
    lay = layout(
        f"Paired differences from {baseline} (same seeds), with 95% confidence intervals",
        shapes=shapes,
        annotations=notes,
        margin={"l": 100, "r": 30, "t": 130, "b": 50},
        **axes,
    )
    return Figure(
        "compare-diffs",
        {"data": data, "layout": lay},
        f"Right of the line: more than {baseline}. The paired intervals are narrow because "
        "every mode dialed the same records with the same behaviour.",
        height,
    )


def _frontier_figure(
    frontier: list[dict], table: list[dict], modes: list[str], limit: float, regime: str
) -> Figure:
    points: dict[tuple[str, str, float], dict] = {}
    for r in frontier:
        points.setdefault((r["mode"], r["knob"], r["value"]), {})[r["metric"]] = r
    data = []
    swept = []
    for m in modes:
        rows = sorted(
            (k, v, p)
            for (mm, k, v), p in points.items()
            if mm == m and "abandon_rate" in p and "occupancy" in p
        )
        if not rows:
            continue
        swept.append(m)
        colour, symbol, dash = mode_style(m)
        knob = rows[0][0]
        ab = [p["abandon_rate"] for _, _, p in rows]
        oc = [p["occupancy"] for _, _, p in rows]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers+text",
                "name": f"{m} ({knob})",
                "legendgroup": m,
                "x": [a["mean"] for a in ab],
                "y": [o["mean"] for o in oc],
                "text": [f"{v:g}" for _, v, _ in rows],
                "textposition": "top left",
                "textfont": {"size": 11, "color": colour},
                "line": {"color": colour, "dash": dash, "width": 2},
                "marker": {
                    "color": colour,
                    "symbol": symbol,
                    "size": 10,
                    "line": {"color": "#222222", "width": 1},
                },
                "error_x": error_bars(
                    [a["mean"] for a in ab],
                    [a["ci_low"] for a in ab],
                    [a["ci_high"] for a in ab],
                    rgba(colour, 0.6),
                ),
                "error_y": error_bars(
                    [o["mean"] for o in oc],
                    [o["ci_low"] for o in oc],
                    [o["ci_high"] for o in oc],
                    rgba(colour, 0.6),
                ),
                "customdata": [f"{knob} = {v:g}" for _, v, _ in rows],
                "hovertemplate": f"{m}, %{{customdata}}<br>abandon %{{x:.2%}}, occupancy %{{y:.1%}}<extra></extra>",
            }
        )
    cells = {(r["mode"], r["metric"]): r for r in table}
    for m in modes:
        if m in swept or (m, "abandon_rate") not in cells or (m, "occupancy") not in cells:
            continue
        colour, symbol, _ = mode_style(m)
        a, o = cells[(m, "abandon_rate")], cells[(m, "occupancy")]
        data.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": f"{m} (campaign settings)",
                "legendgroup": m,
                "x": [a["mean"]],
                "y": [o["mean"]],
                "text": [m],
                "textposition": "bottom right",
                "textfont": {"color": colour},
                "marker": {
                    "color": colour,
                    "symbol": symbol,
                    "size": 13,
                    "line": {"color": "#222222", "width": 1},
                },
                "error_x": error_bars([a["mean"]], [a["ci_low"]], [a["ci_high"]], colour),
                "error_y": error_bars([o["mean"]], [o["ci_low"]], [o["ci_high"]], colour),
                "hovertemplate": f"{m}: abandon %{{x:.2%}}, occupancy %{{y:.1%}}<extra></extra>",
            }
        )
    xs = [v for t in data for v in t["x"]]
    right = max([limit * 1.5] + [x * 1.08 for x in xs if x is not None])
    shape, note = vline(limit, f"legal limit {format_value(limit, 'share')}% ({regime.upper()})")
    shade = {
        "type": "rect",
        "xref": "x",
        "yref": "y domain",
        "x0": limit,
        "x1": right,
        "y0": 0,
        "y1": 1,
        "fillcolor": "rgba(178,24,43,0.06)",
        "line": {"width": 0},
        "layer": "below",
    }
    over = {
        "xref": "x",
        "yref": "y domain",
        "x": right,
        "xanchor": "right",
        "y": 0.02,
        "yanchor": "bottom",
        "text": "over the limit",
        "showarrow": False,
        "font": {"color": "#B2182B", "size": 12},
    }
    title = (
        "The frontier: abandon rate against occupancy as each mode's knob moves"
        if swept
        else "Abandon rate against occupancy at the campaign's settings (no knob swept)"
    )
    lay = layout(
        title,
        axis(
            "abandon rate (US, abandoned / live answers)",
            tickformat=".1%",
            range=[-0.02 * right, right],
        ),
        axis("occupancy (talk + wrap share)", tickformat=".0%"),
        shapes=[shade, shape],
        annotations=[note, over],
        hovermode="closest",
    )
    return Figure(
        "compare-frontier",
        {"data": data, "layout": lay},
        "Each point is one setting of a mode's tuning knob (its value is printed beside it), "
        "with 95% intervals both ways. Up and to the left is better; the best legal setting is "
        "the highest point left of the limit.",
        520,
    )
