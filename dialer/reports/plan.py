"""The plan page: how many agents each mode needs to work the list by the deadline, legally.

Read from a ``plan --out`` folder (``plan.json``): for each mode the agents and lines the plan
found, what they achieve, and the trials behind the answer (replications at each agent count,
the share that met the goal). The success share is a share of a few replications, so the page
draws it with its Wilson 95% interval, and gives each mode's answer as a range: from the fewest
agents whose interval reaches the confidence asked for to the fewest whose whole interval does.
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
    hline,
    layout,
    mode_style,
    panel_title,
)
from dialer.reports.glossary import PLAN, format_value
from dialer.reports.results import need, number, read_json
from dialer.stats import wilson

COLUMNS = [
    "agents",
    "lines",
    "finish_share",
    "abandon_rate",
    "occupancy",
    "success_share",
    "feasible",
]


def _mode(path: Path, name: str, m: dict) -> dict:
    where = f"modes.{name}."
    out: dict[str, Any] = {k: number(m.get(k), path, where + k) for k in COLUMNS if k != "feasible"}
    out["feasible"] = bool(m.get("feasible"))
    trials: list[dict[str, float | None]] = []
    for i, t in enumerate(need(m, "trials", path, "a list", where)):
        tw = f"{where}trials.{i}."
        trials.append(
            {
                "agents": number(
                    need(t, "agents", path, where=tw), path, tw + "agents", optional=False
                ),
                "replications": int(number(t.get("replications"), path, tw + "replications") or 0),
                "success_share": number(
                    need(t, "success_share", path, where=tw), path, tw + "success_share"
                ),
                "finish_share_mean": number(
                    t.get("finish_share_mean"), path, tw + "finish_share_mean"
                ),
                "abandon_rate_mean": number(
                    t.get("abandon_rate_mean"), path, tw + "abandon_rate_mean"
                ),
            }
        )
    out["trials"] = sorted(trials, key=lambda t: t["agents"] or 0.0)
    return out


def agents_range(trials: list[dict], confidence: float) -> tuple[float | None, float | None]:
    """Plausible agents needed: the fewest agents whose success share's 95% interval reaches
    ``confidence``, and the fewest whose whole interval is above it (None: not within the trials)."""
    low = high = None
    for t in trials:
        if t["success_share"] is None or not t["replications"]:
            continue
        lo, hi = wilson(t["success_share"] * t["replications"], t["replications"])
        if low is None and hi is not None and hi >= confidence:
            low = t["agents"]
        if high is None and lo is not None and lo >= confidence:
            high = t["agents"]
    return low, high


def build(folder: Path) -> Page:
    path = folder / "plan.json"
    d = read_json(path)
    raw = need(d, "modes", path, "a mapping")
    modes = {str(k): _mode(path, str(k), v if isinstance(v, dict) else {}) for k, v in raw.items()}
    confidence = number(d.get("confidence"), path, "confidence") or 0.9
    finish = number(d.get("finish"), path, "finish")
    deadline = number(d.get("deadline_s"), path, "deadline_s")
    rec = d["recommendation"] if isinstance(d.get("recommendation"), dict) else {}
    limit, seed, name = 0.03, d.get("seed", "?"), str(d.get("campaign", "?"))
    if (folder / "campaign.yaml").is_file():
        from dialer.config import load_campaign

        c = load_campaign(folder / "campaign.yaml")
        limit = c.compliance.limit
        seed = d.get("seed", c.seed)
    facts = [
        ("campaign", name),
        ("seed", str(seed)),
        ("deadline", "-" if deadline is None else f"{deadline / 3600:g} h of calling"),
        ("finish", "-" if finish is None else f"{format_value(finish, 'share')}% of the list"),
        ("confidence", f"{format_value(confidence, 'share')}% of replications"),
        ("abandon limit", f"{format_value(limit, 'share')}%"),
        ("dialer version", str(d.get("version", "?"))),
    ]
    best = str(rec.get("mode") or "")
    figures = [
        _agents_figure(modes, confidence, best),
        _success_figure(modes, confidence, best),
        _trials_figure(modes, finish, limit),
    ]
    notes = [] if modes else ["This plan holds no modes."]
    return Page(
        "plan",
        f"Capacity plan: {name}",
        facts,
        str(rec.get("text") or ""),
        [_table(modes, best)],
        figures,
        notes,
        ["plan.json"],
    )


def _table(modes: dict, best: str) -> Table:
    cols = [Cell("mode")] + [Cell(PLAN[k].heading, PLAN[k].definition) for k in COLUMNS]
    rows = []
    for m, v in modes.items():
        label = f"{m} (recommended)" if m == best else m
        rows.append([Cell(label, head=True)] + [Cell(PLAN[k].format(v[k])) for k in COLUMNS])
    return Table(
        "Each mode at the agents the plan found",
        cols,
        rows,
        "Agents and lines are what each mode needs; the other columns are what those "
        "agents achieved over the replications.",
    )


def _agents_figure(modes: dict, confidence: float, best: str) -> Figure:
    data = []
    names = list(modes)
    for m in names:
        v = modes[m]
        colour, symbol, _ = mode_style(m)
        low, high = agents_range(v["trials"], confidence)
        tried = max((t["agents"] for t in v["trials"]), default=None)
        agents = v["agents"] if v["agents"] is not None else tried
        if agents is None:
            continue
        feasible = v["feasible"] and v["agents"] is not None
        text = (
            f"{int(agents)} agents"
            + (f", {int(v['lines'])} lines" if v["lines"] is not None else "")
            if feasible
            else f"not feasible (tried up to {int(agents)})"
        )
        if m == best:
            text += "  (recommended)"
        bar = {
            "type": "bar",
            "orientation": "h",
            "y": [m],
            "x": [agents],
            "name": m,
            "text": [text],
            "textposition": "inside" if feasible else "outside",
            "insidetextanchor": "start",
            "cliponaxis": False,
            "showlegend": False,
            "marker": {
                "color": colour if feasible else "#FFFFFF",
                "line": {"color": colour, "width": 2},
                "pattern": {"shape": "" if feasible else "/", "fgcolor": colour},
            },
            "hovertemplate": f"{m}: {text}<extra></extra>",
        }
        if feasible and low is not None:
            hi = high if high is not None else tried
            bar["error_x"] = error_bars([agents], [low], [hi], "#222222")
            bar["hovertemplate"] = (
                f"{m}: {text}; plausible {low:g} to "
                f"{'' if high is not None else 'at least '}{hi:g}<extra></extra>"
            )
        data.append(bar)
    top = max([t["agents"] for v in modes.values() for t in v["trials"]] + [1])
    lay = layout(
        "Agents needed per mode",
        axis("agents", range=[0, top * 1.45], rangemode="tozero"),
        {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": names[::-1],
            "automargin": True,
        },
        showlegend=False,
    )
    return Figure(
        "plan-agents",
        {"data": data, "layout": lay},
        f"Bar: the agents the plan found. Whisker: the plausible range from the trials, from "
        f"the fewest agents whose success share could reach {format_value(confidence, 'share')}% "
        "(its 95% interval reaches it) to the fewest whose whole interval is above it, or the "
        "most agents tried when none is (more replications narrow it). A hatched bar: no agent "
        "count tried met the goal.",
        max(260, 110 + 60 * len(names)),
    )


def _success_figure(modes: dict, confidence: float, best: str) -> Figure:
    data, notes = [], []
    for m, v in modes.items():
        colour, symbol, dash = mode_style(m)
        ts = [t for t in v["trials"] if t["success_share"] is not None]
        if not ts:
            continue
        ints = [wilson(t["success_share"] * t["replications"], t["replications"]) for t in ts]
        x = [t["agents"] for t in ts]
        y = [t["success_share"] for t in ts]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": m,
                "x": x,
                "y": y,
                "line": {"color": colour, "dash": dash, "width": 2},
                "marker": {
                    "color": colour,
                    "symbol": symbol,
                    "size": 9,
                    "line": {"color": "#222222", "width": 1},
                },
                "error_y": error_bars(y, [i[0] for i in ints], [i[1] for i in ints], colour),
                "customdata": [t["replications"] for t in ts],
                "hovertemplate": f"{m}: %{{x}} agents, %{{y:.0%}} of %{{customdata}} replications met "
                "the goal<extra></extra>",
            }
        )
        if v["agents"] is not None and v["feasible"]:
            at = next((t for t in ts if t["agents"] == v["agents"]), None)
            if at is not None:
                notes.append(
                    {
                        "x": at["agents"],
                        "y": at["success_share"],
                        "text": f"{m}: {int(at['agents'])}",
                        "showarrow": True,
                        "arrowhead": 2,
                        "ax": 30 if m != best else -40,
                        "ay": 36,
                        "font": {"color": colour, "size": 12},
                        "arrowcolor": colour,
                    }
                )
    shape, note = hline(
        confidence, f"confidence asked: {format_value(confidence, 'share')}%", colour="#222222"
    )
    lay = layout(
        "Share of replications meeting the goal, by agents",
        axis("agents"),
        axis("replications meeting the goal", tickformat=".0%", range=[-0.03, 1.08]),
        shapes=[shape],
        annotations=[note] + notes,
        hovermode="closest",
    )
    return Figure(
        "plan-success",
        {"data": data, "layout": lay},
        "Each point is one trial: the share of its replications that finished the list share "
        "by the deadline within the abandon limit, with its 95% (Wilson) interval. The plan "
        "takes the fewest agents at or above the confidence line.",
        440,
    )


def _trials_figure(modes: dict, finish: float | None, limit: float) -> Figure:
    grid = grid_axes(2, 2, gap_x=0.1)
    panels = [
        (
            "finish_share_mean",
            "list finished by the deadline (mean)",
            ".0%",
            finish,
            "finish target",
        ),
        ("abandon_rate_mean", "abandon rate (US, mean)", ".1%", limit, "legal limit"),
    ]
    data, shapes, notes, axes = [], [], [], {}
    for j, (key, title, fmt, line, what) in enumerate(panels):
        xr, yr, xa, ya = grid[j]
        axes["xaxis" + xr[1:]] = axis("agents", **xa)
        axes["yaxis" + yr[1:]] = axis(
            title,
            **ya,
            tickformat=fmt,
            rangemode="normal" if key.startswith("finish") else "tozero",
        )
        notes.append(panel_title(title, xa["domain"], ya["domain"]))
        if line is not None:
            s_, n_ = hline(
                line,
                f"{what} {format_value(line, 'share')}%",
                yref=yr,
                xref=f"{xr} domain",
                colour="#222222" if key.startswith("finish") else "#B2182B",
            )
            shapes.append(s_)
            notes.append(n_)
        for m, v in modes.items():
            ts = [t for t in v["trials"] if t[key] is not None]
            if not ts:
                continue
            colour, symbol, dash = mode_style(m)
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": m,
                    "legendgroup": m,
                    "showlegend": j == 0,
                    "x": [t["agents"] for t in ts],
                    "y": [t[key] for t in ts],
                    "xaxis": xr,
                    "yaxis": yr,
                    "line": {"color": colour, "dash": dash, "width": 2},
                    "marker": {"color": colour, "symbol": symbol, "size": 8},
                }
            )
    lay = layout(
        "What each agent count achieved",
        shapes=shapes,
        annotations=notes,
        margin={"l": 70, "r": 30, "t": 120, "b": 60},
        hovermode="closest",
        **axes,
    )
    return Figure(
        "plan-trials",
        {"data": data, "layout": lay},
        "Left: how much of the list the trials finished by the deadline. Right: their abandon "
        "rate; more agents per call waiting means fewer abandons.",
        420,
    )
