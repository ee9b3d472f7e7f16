"""The sweep page: how each metric moves as the swept settings move, with its uncertainty.

Read from a ``sweep --out`` folder: ``manifest.json`` (the spec: factors as dotted keys and
their values, replications) and ``cells.csv`` (long format: one row per cell and metric, with
n, mean, sd and the 95% interval); ``runs.csv`` only for counting runs and failures (its
columns replication and error are checked; a folder without it counts none). Each metric
gets a line chart against the factor with the most numeric values, one line (and band) per
value of the other factors; a two-factor sweep also gets heatmaps of the key metrics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dialer.errors import InputError
from dialer.reports.charts import (
    Cell,
    Figure,
    Page,
    Table,
    axis,
    ci_band,
    error_bars,
    hline,
    layout,
    mode_style,
    series_style,
)
from dialer.reports.glossary import format_value, metric
from dialer.reports.results import factor_value, need, number, read_csv, read_json

PRIORITY = [
    "talk_minutes_per_agent_hour",
    "occupancy",
    "abandon_rate",
    "connects_per_agent_hour",
    "mean_agent_wait_s",
    "abandon_rate_ofcom",
    "list_penetration",
    "hit_ratio",
]
MAX_METRIC_FIGURES = 6
MAX_LINES = 12
MAX_TABLE_ROWS = 60
STATS = ["metric", "n", "mean", "sd", "ci_low", "ci_high"]
# the columns of runs.csv the page needs (it counts the runs and the failed ones)
RUN_COLUMNS = ("replication", "error")


def _norm(v):
    """A factor value as a key that matches across JSON (spec) and CSV (cells)."""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return float(v)
    text = str(v)
    if text.lower() in ("true", "false"):
        return text.lower()
    x = factor_value(text)
    return float(x) if isinstance(x, (int, float)) else x


def _label(v) -> str:
    if v is None or v == "":
        return "null"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _axis_title(key: str) -> str:
    return f"{key} (s)" if key.endswith("_s") else key


class Sweep:
    """The cells of a sweep: factors in spec order, and per metric {factor values: stats}."""

    def __init__(self, folder: Path):
        mpath = folder / "manifest.json"
        self.manifest = read_json(mpath)
        self.spec = need(self.manifest, "spec", mpath, "a mapping")
        factors = need(self.spec, "factors", mpath, "a mapping", "spec.")
        self.factors: dict[str, list] = {}
        for k, values in factors.items():
            if not isinstance(values, list) or not values:
                raise InputError(
                    f"{mpath}: spec.factors.{k}: expected a list of values, got {values!r}"
                )
            self.factors[str(k)] = values
        cpath = folder / "cells.csv"
        columns, rows = read_csv(cpath, list(self.factors) + STATS)
        self.metrics: list[str] = []
        self.cells: dict[str, dict[tuple, dict]] = {}
        for i, row in enumerate(rows, start=2):
            m = row["metric"]
            at = tuple(_norm(row[k]) for k in self.factors)
            stats = {s: number(row[s], cpath, f"row {i}: {s}") for s in STATS[1:]}
            if m not in self.cells:
                self.metrics.append(m)
                self.cells[m] = {}
            self.cells[m][at] = stats
        self.runs, self.failed = 0, 0
        rpath = folder / "runs.csv"
        if rpath.is_file():  # absent: a sweep stopped before its tables were written
            _, runs = read_csv(rpath, list(RUN_COLUMNS))
            for i, row in enumerate(runs, start=2):
                r = number(row["replication"], rpath, f"row {i}: replication", optional=False)
                if r < 0 or r != int(r):
                    raise InputError(
                        f"{rpath}: row {i}: replication: expected a whole number >= 0, "
                        f"got {row['replication']!r}"
                    )
            self.runs = len(runs)
            self.failed = sum(1 for r in runs if (r.get("error") or "").strip())

    def x_factor(self) -> str | None:
        """The factor for the x axis: most numeric values first, spec order on ties."""
        best, score = None, -1
        for k, values in self.factors.items():
            numeric = all(isinstance(_norm(v), float) for v in values)
            s = len(values) + (1000 if numeric else 0)
            if s > score:
                best, score = k, s
        return best

    def ordered_metrics(self) -> list[str]:
        first = [m for m in PRIORITY if m in self.cells]
        return first + [m for m in self.metrics if m not in first]


def build(folder: Path) -> Page:
    sw = Sweep(folder)
    spec = sw.spec
    limit, campaign_name = 0.03, str(spec.get("campaign", "?"))
    if (folder / "campaign.yaml").is_file():
        from dialer.centre import Centre, load

        c = load(folder / "campaign.yaml")
        if isinstance(c, Centre):  # the strictest of its campaigns' limits
            limits = [e.campaign.compliance.limit for e in c.campaigns]
            limit = min(limits) if limits else limit
        else:
            limit = c.compliance.limit
        campaign_name = f"{c.name} ({spec.get('campaign', 'campaign.yaml')})"
    versions = sw.manifest.get("versions") or {}
    n_cells = len({at for cells in sw.cells.values() for at in cells})
    facts = [
        ("campaign", campaign_name),
        ("seed", str(spec.get("seed", "?"))),
        ("replications", str(spec.get("replications", "?"))),
        ("factors", " x ".join(f"{k} ({len(v)})" for k, v in sw.factors.items()) or "none"),
        ("cells", str(n_cells)),
        ("runs", f"{sw.runs}" + (f" ({sw.failed} failed)" if sw.failed else "")),
        ("dialer version", str(versions.get("dialer", "?")) if isinstance(versions, dict) else "?"),
    ]
    notes = []
    if sw.failed:
        notes.append(
            f"{sw.failed} of {sw.runs} runs failed; runs.csv has their errors. Cells average "
            "the runs that finished (see n)."
        )
    tables = [_factor_table(sw), _cell_table(sw)]
    figures = []
    xk = sw.x_factor()
    metrics = sw.ordered_metrics()
    if xk is None:
        notes.append("This sweep has no factors (replications only): the table shows its one cell.")
    else:
        for m in metrics[:MAX_METRIC_FIGURES]:
            figures.append(_line_figure(sw, m, xk, limit))
        if len(metrics) > MAX_METRIC_FIGURES:
            notes.append(
                f"Charts for the first {MAX_METRIC_FIGURES} metrics; cells.csv has all "
                f"{len(metrics)}."
            )
        if len(sw.factors) == 2:
            keys = [m for m in metrics if m != "abandon_rate"][:1] + (
                ["abandon_rate"] if "abandon_rate" in sw.cells else []
            )
            figures += [_heatmap(sw, m, xk, limit) for m in keys]
    return Page(
        "sweep",
        f"Sweep report: {campaign_name}",
        facts,
        _lead(sw, limit),
        tables,
        figures,
        notes,
        ["manifest.json", "cells.csv"] + (["runs.csv"] if sw.runs else []),
    )


def _where(sw: Sweep, at: tuple) -> str:
    return ", ".join(f"{k} = {_label(v)}" for k, v in zip(sw.factors, at))


def _lead(sw: Sweep, limit: float) -> str:
    goal = next(
        (
            m
            for m in ("talk_minutes_per_agent_hour", "occupancy", "connects_per_agent_hour")
            if m in sw.cells
        ),
        None,
    )
    if goal is None or not sw.factors:
        return ""
    info = metric(goal)
    ab = sw.cells.get("abandon_rate")
    legal = [
        at
        for at in sw.cells[goal]
        if ab is None or (at in ab and ab[at]["mean"] is not None and ab[at]["mean"] <= limit)
    ]
    legal = [at for at in legal if sw.cells[goal][at]["mean"] is not None]
    total = len(sw.cells[goal])
    if not legal:
        return (
            f"No cell keeps the mean abandon rate within the {format_value(limit, 'share')}% limit."
        )
    best = max(legal, key=lambda at: sw.cells[goal][at]["mean"])
    head = (
        f"{len(legal)} of {total} cells keep the mean abandon rate within the "
        f"{format_value(limit, 'share')}% limit; among them, "
        if ab is not None
        else ""
    )
    v = sw.cells[goal][best]
    unit = "%" if info.kind == "share" else f" {info.unit}"
    return (
        f"{head}the most {info.label}: {format_value(v['mean'], info.kind)}{unit} "
        f"(95% CI {format_value(v['ci_low'], info.kind)} to {format_value(v['ci_high'], info.kind)}) "
        f"at {_where(sw, best)}."
    )


def _factor_table(sw: Sweep) -> Table:
    rows = [
        [Cell(k, head=True), Cell(", ".join(_label(v) for v in vs))] for k, vs in sw.factors.items()
    ]
    return Table("Factors (dotted campaign keys)", [Cell("factor"), Cell("values")], rows)


def _cell_table(sw: Sweep) -> Table:
    metrics = sw.ordered_metrics()[:5]
    cols = [Cell(k) for k in sw.factors] + [
        Cell(metric(m).heading, metric(m).definition) for m in metrics
    ]
    cells = sorted({at for m in metrics for at in sw.cells[m]}, key=lambda at: tuple(map(str, at)))
    order = {k: {_norm(v): i for i, v in enumerate(vs)} for k, vs in sw.factors.items()}
    cells.sort(key=lambda at: tuple(order[k].get(v, 0) for k, v in zip(sw.factors, at)))
    rows = []
    for at in cells[:MAX_TABLE_ROWS]:
        row = [Cell(_label(v)) for v in at]
        for m in metrics:
            st = sw.cells[m].get(at)
            row.append(Cell("-" if st is None else format_value(st["mean"], metric(m).kind)))
        rows.append(row)
    note = "Means over the replications of each cell; hover a column heading for its definition."
    if len(cells) > MAX_TABLE_ROWS:
        note += f" First {MAX_TABLE_ROWS} of {len(cells)} cells; cells.csv has all."
    return Table("Cells: mean of each metric", cols, rows, note)


def _groups(sw: Sweep, xk: str) -> tuple[list[str], list[tuple]]:
    """The factors that make the lines, and each line's values (spec order)."""
    others = [k for k in sw.factors if k != xk]
    combos: list[tuple] = [()]
    for k in others:
        combos = [c + (_norm(v),) for c in combos for v in sw.factors[k]]
    return others, combos


def _line_figure(sw: Sweep, m: str, xk: str, limit: float) -> Figure:
    info = metric(m)
    share = info.kind == "share"
    others, combos = _groups(sw, xk)
    xs_spec = [_norm(v) for v in sw.factors[xk]]
    numeric = all(isinstance(x, float) for x in xs_spec)
    order = list(sw.factors)
    data = []
    for i, combo in enumerate(combos[:MAX_LINES]):
        pts = []
        for x in xs_spec:
            at_map = {xk: x, **dict(zip(others, combo))}
            st = sw.cells[m].get(tuple(at_map[k] for k in order))
            if st is not None and st["mean"] is not None:
                pts.append((x, st))
        if not pts:
            continue
        if len(others) == 1 and others[0] == "dialing.mode":
            colour, symbol, dash = mode_style(str(combo[0]))
        else:
            colour, symbol, dash = series_style(i)
        name = ", ".join(f"{k} = {_label(v)}" for k, v in zip(others, combo)) or info.label
        x = [p[0] if numeric else _label(p[0]) for p in pts]
        mean = [p[1]["mean"] for p in pts]
        low = [p[1]["ci_low"] for p in pts]
        high = [p[1]["ci_high"] for p in pts]
        trace = {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "legendgroup": name,
            "x": x,
            "y": mean,
            "line": {"color": colour, "dash": dash, "width": 2},
            "marker": {
                "color": colour,
                "symbol": symbol,
                "size": 8,
                "line": {"color": "#222222", "width": 1},
            },
            "customdata": [[p[1]["ci_low"], p[1]["ci_high"], p[1]["n"]] for p in pts],
            "hovertemplate": f"{name}<br>{xk} = %{{x}}<br>{info.label}: %{{y:{'.2%' if share else '.3g'}}} "
            f"[%{{customdata[0]:{'.2%' if share else '.3g'}}}, "
            f"%{{customdata[1]:{'.2%' if share else '.3g'}}}] (n = %{{customdata[2]}})"
            "<extra></extra>",
        }
        if numeric and None not in low and None not in high:
            data += ci_band(x, low, high, colour, name, name)
        else:
            trace["error_y"] = error_bars(mean, low, high, colour)
        data.append(trace)
    shapes, notes = [], []
    if m.startswith("abandon_rate"):
        s_, n_ = hline(limit, f"legal limit {format_value(limit, 'share')}%")
        shapes.append(s_)
        notes.append(n_)
    extra = f" (first {MAX_LINES} of {len(combos)} lines)" if len(combos) > MAX_LINES else ""
    xaxis = axis(_axis_title(xk), **({} if numeric else {"type": "category"}))
    yaxis = axis(
        info.heading, tickformat=".1%" if share else "", rangemode="tozero" if share else "normal"
    )
    lay = layout(
        f"{info.label[:1].upper() + info.label[1:]} against {xk}{extra}",
        xaxis,
        yaxis,
        shapes=shapes,
        annotations=notes,
        hovermode="closest",
    )
    slug = "".join(ch if ch.isalnum() else "-" for ch in m)
    return Figure(
        f"sweep-{slug}",
        {"data": data, "layout": lay},
        f"Mean over each cell's replications; the shaded band (or bar) is its 95% confidence "
        f"interval. {info.label[:1].upper() + info.label[1:]}: {info.definition}",
        440,
    )


def _heatmap(sw: Sweep, m: str, xk: str, limit: float) -> Figure:
    info = metric(m)
    share = info.kind == "share"
    yk = next(k for k in sw.factors if k != xk)
    xs = [_norm(v) for v in sw.factors[xk]]
    ys = [_norm(v) for v in sw.factors[yk]]
    order = list(sw.factors)
    z, text = [], []
    for y in ys:
        zr, tr = [], []
        for x in xs:
            at_map = {xk: x, yk: y}
            st = sw.cells[m].get(tuple(at_map[k] for k in order))
            v = None if st is None else st["mean"]
            zr.append(v)
            label = format_value(v, info.kind) + ("%" if share and v is not None else "")
            if m.startswith("abandon_rate") and v is not None and v > limit:
                label += " over"
            tr.append(label)
        z.append(zr)
        text.append(tr)
    values = [v for row in z for v in row if v is not None]
    trace: dict[str, Any] = {
        "type": "heatmap",
        "x": [_label(x) for x in xs],
        "y": [_label(y) for y in ys],
        "z": z,
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 13},
        "hovertemplate": f"{xk} = %{{x}}<br>{yk} = %{{y}}<br>{info.label}: %{{text}}<extra></extra>",
        "colorbar": {
            "title": {"text": info.heading, "side": "right"},
            "tickformat": ".1%" if share else "",
        },
    }
    if m.startswith("abandon_rate") and values:
        top = max(max(values), limit * 1.5)
        cut = min(max(limit / top, 0.01), 0.99)
        trace.update(
            {
                "zmin": 0,
                "zmax": top,
                "colorscale": [
                    [0, "#F7FBFF"],
                    [cut * 0.999, "#9ECAE1"],
                    [cut, "#FDAE61"],
                    [1, "#B2182B"],
                ],
            }
        )
    else:
        trace["colorscale"] = "Viridis"
    lay = layout(
        f"{info.label[:1].upper() + info.label[1:]}: every cell of the sweep",
        axis(_axis_title(xk), type="category", showgrid=False),
        axis(_axis_title(yk), type="category", showgrid=False),
    )
    slug = "".join(ch if ch.isalnum() else "-" for ch in m)
    caption = "Each cell's mean over its replications, printed in the cell."
    if m.startswith("abandon_rate"):
        caption += (
            f" Cells over the {format_value(limit, 'share')}% limit are marked 'over' (and drawn "
            "in orange to red)."
        )
    return Figure(
        f"sweep-heatmap-{slug}",
        {"data": [trace], "layout": lay},
        caption,
        max(360, 110 + 46 * len(ys)),
    )
