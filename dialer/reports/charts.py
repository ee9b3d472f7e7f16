"""The reports' vocabulary: pages, tables and figures as plain data, and one look for all of them.

A page module (``report_run``, ``report_compare``, ``report_sweep``, ``report_plan``) reads a
results folder and returns a :class:`Page`: header facts, a lead sentence, tables and figures.
A figure is plotly's own JSON (``{"data": [...], "layout": {...}}``) built from plain dicts, so
no page module imports plotly; :mod:`dialer.report` alone validates the figures with plotly and
writes the HTML. Keeping the look here gives every page the same fonts, the same colour, marker
and dash for a mode (so a mode reads the same without colour), and the legal limit drawn the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# One mode -> style map for every page: Okabe-Ito colours (safe for colour-blind readers),
# and a marker and dash per mode so that a grey print still tells them apart.
MODE_STYLE: dict[str, tuple[str, str, str]] = {
    "preview": ("#CC79A7", "diamond", "dot"),
    "progressive": ("#56B4E9", "square", "dash"),
    "power": ("#E69F00", "triangle-up", "dashdot"),
    "predictive": ("#0072B2", "circle", "solid"),
    "optimized": ("#009E73", "star", "longdash"),
    "adaptive": ("#D55E00", "x", "longdashdot"),
}
_SPARE = [
    ("#000000", "cross", "solid"),
    ("#999999", "hexagon", "dash"),
    ("#F0E442", "pentagon", "dot"),
    ("#882255", "hourglass", "dashdot"),
]

LIMIT_COLOUR = "#B2182B"  # the legal limit, always a dashed dark red line with a label
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif"


def mode_style(mode: str) -> tuple[str, str, str]:
    """(colour, marker symbol, dash) of a dialing mode; other names get a stable spare style."""
    if mode in MODE_STYLE:
        return MODE_STYLE[mode]
    return _SPARE[sum(map(ord, mode)) % len(_SPARE)]


def series_style(i: int) -> tuple[str, str, str]:
    """The i-th style for lines that are not modes (e.g. values of a sweep factor)."""
    styles = list(MODE_STYLE.values())[::-1] + _SPARE
    return styles[i % len(styles)]


def rgba(colour: str, alpha: float) -> str:
    h = colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:g})"


@dataclass(frozen=True)
class Figure:
    id: str  # fixed HTML id (deterministic pages): "<kind>-<what>"
    spec: dict  # plotly JSON: {"data": [...], "layout": {...}}
    caption: str = ""  # how to read it, one or two sentences
    height: int = 420

    def __post_init__(self) -> None:
        # Title and legend sit at fixed pixel offsets from the top whatever the height, so
        # that they never run into each other or into the plot (or a grid's panel titles).
        lay = self.spec.setdefault("layout", {})
        lay.setdefault("height", self.height)
        title = lay.get("title")
        if isinstance(title, dict):
            title.setdefault("yref", "container")
            title.setdefault("y", round(1 - 12 / self.height, 4))
            title.setdefault("yanchor", "top")
        legend = lay.get("legend")
        if isinstance(legend, dict) and legend.get("yref") == "container":
            legend.setdefault("y", round(1 - 46 / self.height, 4))


@dataclass(frozen=True)
class Cell:
    text: str
    hint: str = ""  # shown on hover (the definition of a metric)
    head: bool = False  # a row heading (left-aligned)
    unit: bool = False  # a unit, set beside the number it follows


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[Cell]
    rows: list[list[Cell]]
    note: str = ""


@dataclass(frozen=True)
class Page:
    kind: str  # run | compare | sweep | plan
    title: str
    facts: list[tuple[str, str]]  # the header: campaign, seed, version, ...
    lead: str = ""  # the verdict or recommendation, in one sentence
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what is missing and why
    sources: list[str] = field(default_factory=list)  # the files the page was built from


def metric_table(title: str, metrics_values: list[tuple], note: str = "") -> Table:
    """A metric | value | unit table from (Metric, value) pairs; definitions on hover."""
    rows = [
        [Cell(m.label, m.definition, head=True), Cell(m.format(v)), Cell(m.unit, unit=True)]
        for m, v in metrics_values
    ]
    return Table(title, [Cell("metric"), Cell("value"), Cell("unit")], rows, note)


# ---- figure helpers: plain plotly JSON ------------------------------------------------------


def axis(title: str, **extra) -> dict:
    out = {
        "title": {"text": title},
        "zeroline": False,
        "gridcolor": "#E5E5E5",
        "linecolor": "#444444",
        "showline": True,
        "ticks": "outside",
        "automargin": True,
    }
    out.update(extra)
    return out


def layout(title: str, xaxis: dict | None = None, yaxis: dict | None = None, **extra) -> dict:
    out: dict[str, Any] = {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 17}},
        "font": {"family": FONT, "size": 13, "color": "#222222"},
        "paper_bgcolor": "#FFFFFF",
        "plot_bgcolor": "#FFFFFF",
        "margin": {"l": 70, "r": 30, "t": 100, "b": 60},
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "yanchor": "top",
            "yref": "container",
        },
        "hoverlabel": {"namelength": -1},
    }
    if extra.get("showlegend") is False:
        out["margin"] = {**out["margin"], "t": 64}  # no legend row under the title
    if xaxis is not None:
        out["xaxis"] = xaxis
    if yaxis is not None:
        out["yaxis"] = yaxis
    out.update(extra)
    return out


def hline(
    y: float,
    text: str,
    colour: str = LIMIT_COLOUR,
    yref: str = "y",
    xref: str = "x domain",
    dash: str = "dash",
) -> tuple[dict, dict]:
    """A labelled horizontal line across a plot: (shape, annotation)."""
    shape = {
        "type": "line",
        "xref": xref,
        "x0": 0,
        "x1": 1,
        "yref": yref,
        "y0": y,
        "y1": y,
        "line": {"color": colour, "width": 2, "dash": dash},
    }
    note = {
        "xref": xref,
        "x": 1,
        "xanchor": "right",
        "yref": yref,
        "y": y,
        "yanchor": "bottom",
        "text": text,
        "showarrow": False,
        "font": {"color": colour, "size": 12},
    }
    return shape, note


def vline(
    x: float,
    text: str,
    colour: str = LIMIT_COLOUR,
    xref: str = "x",
    yref: str = "y domain",
    dash: str = "dash",
) -> tuple[dict, dict]:
    """A labelled vertical line: (shape, annotation)."""
    shape = {
        "type": "line",
        "xref": xref,
        "x0": x,
        "x1": x,
        "yref": yref,
        "y0": 0,
        "y1": 1,
        "line": {"color": colour, "width": 2, "dash": dash},
    }
    note = {
        "xref": xref,
        "x": x,
        "xanchor": "left",
        "yref": yref,
        "y": 1,
        "yanchor": "top",
        "text": " " + text,
        "showarrow": False,
        "font": {"color": colour, "size": 12},
    }
    return shape, note


def ci_band(
    x: list,
    low: list,
    high: list,
    colour: str,
    name: str,
    group: str,
    xaxis: str = "x",
    yaxis: str = "y",
) -> list[dict]:
    """A shaded 95% band between ``low`` and ``high`` (two traces; legend shows neither)."""
    common = {
        "type": "scatter",
        "mode": "lines",
        "x": x,
        "line": {"width": 0, "color": colour},
        "legendgroup": group,
        "showlegend": False,
        "hoverinfo": "skip",
        "xaxis": xaxis,
        "yaxis": yaxis,
    }
    return [
        {**common, "y": high, "name": f"{name} 95% CI high"},
        {
            **common,
            "y": low,
            "name": f"{name} 95% CI low",
            "fill": "tonexty",
            "fillcolor": rgba(colour, 0.18),
        },
    ]


def error_bars(mean: list, low: list, high: list, colour: str) -> dict:
    """plotly error bars from a mean and its interval (None where unknown)."""
    plus = [None if h is None or m is None else max(h - m, 0.0) for m, h in zip(mean, high)]
    minus = [None if lo is None or m is None else max(m - lo, 0.0) for m, lo in zip(mean, low)]
    return {
        "type": "data",
        "symmetric": False,
        "array": plus,
        "arrayminus": minus,
        "color": colour,
        "thickness": 1.5,
        "width": 6,
    }


def grid_axes(
    n: int, cols: int, gap_x: float = 0.08, gap_y: float = 0.16
) -> list[tuple[str, str, dict, dict]]:
    """Small multiples by hand: for panel i, (xref, yref, xaxis domain spec, yaxis domain spec)."""
    rows = (n + cols - 1) // cols
    w = (1 - gap_x * (cols - 1)) / cols
    h = (1 - gap_y * (rows - 1)) / rows
    out = []
    for i in range(n):
        r, c = divmod(i, cols)
        x0 = c * (w + gap_x)
        y1 = 1 - r * (h + gap_y)
        k = "" if i == 0 else str(i + 1)
        out.append(
            (
                f"x{k}",
                f"y{k}",
                {"domain": [round(x0, 4), round(x0 + w, 4)], "anchor": f"y{k}"},
                {"domain": [round(y1 - h, 4), round(y1, 4)], "anchor": f"x{k}"},
            )
        )
    return out


def panel_title(text: str, xdomain: list[float], ydomain: list[float]) -> dict:
    """A small heading above one panel of a grid."""
    return {
        "xref": "paper",
        "yref": "paper",
        "x": (xdomain[0] + xdomain[1]) / 2,
        "y": ydomain[1],
        "xanchor": "center",
        "yanchor": "bottom",
        "text": f"<b>{text}</b>",
        "showarrow": False,
        "font": {"size": 13},
    }
