"""Reports: one self-contained HTML page per results folder (the only plotly user).

``dialer report DIR`` tells the folder's kind from its files (``summary.json`` a run,
``compare.json`` a comparison, ``manifest.json`` of kind sweep a sweep, ``plan.json`` a plan,
``fit.json`` a fit),
asks that kind's page module for a :class:`~dialer.charts.Page` (plain data), checks every
figure against plotly's schema, and writes ``DIR/report.html`` atomically: plotly.js embedded
once, the figures as JSON, no link to the network, so it opens anywhere, offline. The page
carries no timestamp and fixed element ids, and JSON is written with sorted keys, so the same
folder always gives the same bytes. ``--images`` also writes each figure as PNG and SVG
(kaleido, which drives a local Chrome or Chromium); without them the HTML is still written.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path

from dialer.errors import InputError
from dialer.outputs import atomic, write_text
from dialer.reports.charts import Cell, Figure, Page, Table
from dialer.reports.results import folder_kind
from dialer.version import __version__

REPORT = "report.html"
IMAGES = "images"


def _run_page(folder: Path) -> Page:
    """A run folder's page: a campaign's, or a centre's (its summary has ``campaigns``)."""
    from dialer.reports.results import read_json

    summary = read_json(folder / "summary.json")
    if isinstance(summary.get("campaigns"), dict):
        from dialer.reports.centre import build as centre_page

        return centre_page(folder, summary)
    from dialer.reports.run import build

    return build(folder)


def _plan_page(folder: Path) -> Page:
    """A plan folder's page: a campaign's modes, or a centre's staffing."""
    from dialer.reports.results import read_json

    data = read_json(folder / "plan.json")
    if data.get("centre") is True:
        from dialer.reports.centre import plan_page

        return plan_page(folder, data)
    from dialer.reports.plan import build

    return build(folder)


def _builder(kind: str) -> Callable[[Path], Page]:
    if kind == "run":
        return _run_page
    if kind == "plan":
        return _plan_page
    elif kind == "compare":
        from dialer.reports.compare import build
    elif kind == "sweep":
        from dialer.reports.sweep import build
    elif kind == "fit":
        from dialer.reports.fit import build
    else:
        from dialer.reports.plan import build
    return build


def page_for(folder: str | Path) -> Page:
    """The page of a results folder, its figures checked against plotly's schema."""
    folder = Path(folder)
    page = _builder(folder_kind(folder))(folder)
    check_figures(page.figures)
    return page


def check_figures(figures: list[Figure]) -> None:
    """Every figure must be valid plotly (a misspelt property fails here, not in a browser)."""
    import plotly.graph_objects as go

    ids = [f.id for f in figures]
    if len(set(ids)) != len(ids):
        raise ValueError(f"figure ids repeat: {ids}")
    for f in figures:
        go.Figure(f.spec)


def write_report(folder: str | Path, images: bool = False) -> tuple[Path, str | None]:
    """Write ``folder/report.html``; with ``images`` also PNG and SVG files. Returns the page's
    path and, when images were asked for and could not be made, why (one line)."""
    folder = Path(folder)
    page = page_for(folder)
    out = folder / REPORT
    write_text(out, render(page))
    problem = export_images(page.figures, folder / IMAGES) if images else None
    return out, problem


# ---- HTML ------------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif;
       color: #222; margin: 0; background: #F6F6F4; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; background: #FFF; }
h1 { font-size: 26px; margin: 0 0 10px; }
h2 { font-size: 19px; margin: 30px 0 10px; border-bottom: 1px solid #DDD; padding-bottom: 4px; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 0; padding: 0; list-style: none;
         color: #444; font-size: 14px; }
.facts b { color: #222; font-weight: 600; }
.lead { font-size: 17px; line-height: 1.45; background: #EEF4FA; border-left: 5px solid #0072B2;
        padding: 12px 16px; margin: 18px 0 6px; }
.note { color: #8A4B00; background: #FFF6E5; border-left: 5px solid #E69F00; padding: 8px 14px; }
.tables { display: flex; flex-wrap: wrap; gap: 18px 28px; align-items: flex-start; }
table { border-collapse: collapse; font-size: 14px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #E6E6E6; text-align: right; }
th { background: #F2F2F2; }
td.head, th.head, th:first-child { text-align: left; }
td.head { font-weight: normal; }
td.unit { text-align: left; color: #555; padding-left: 2px; }
[title] { cursor: help; }
td.head[title] { text-decoration: underline dotted #999; text-underline-offset: 3px; }
.tnote { font-size: 12px; color: #666; max-width: 560px; }
figure { margin: 22px 0 8px; }
.plot { width: 100%; }
figcaption { font-size: 13px; color: #555; margin: 4px 8px 0; max-width: 980px; }
#report-errors { color: #B2182B; white-space: pre-wrap; }
footer { margin-top: 36px; font-size: 12px; color: #777; }
"""

# Installed before plotly.js: every script error and console.error lands in #report-errors,
# visible to the reader (a chart that failed says why) and to the browser test.
ERROR_TRAP = """(function () {
  var errors = [];
  function show() {
    var el = document.getElementById('report-errors');
    if (el && errors.length) { el.textContent = errors.join('\\n'); el.hidden = false; }
  }
  function note(m) { errors.push(String(m)); show(); }
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window && (t.src || t.href)) { note('failed to load: ' + (t.src || t.href)); }
    else { note('error: ' + e.message); }
  }, true);  // capture: a failed <img>/<script>/<link> load does not bubble
  window.addEventListener('unhandledrejection', function (e) {
    note('unhandled rejection: ' + (e.reason && e.reason.message || e.reason));
  });
  var original = console.error;
  console.error = function () {
    note('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
  document.addEventListener('DOMContentLoaded', show);
})();"""

DRAW = """(function () {
  var figures = JSON.parse(document.getElementById('report-figures').textContent);
  var config = {displaylogo: false, responsive: true,
                toImageButtonOptions: {format: 'png', scale: 2}};
  var pending = figures.map(function (f) {
    var cfg = Object.assign({}, config, {toImageButtonOptions: {format: 'png', scale: 2, filename: f.id}});
    return Plotly.newPlot(f.id, f.data, f.layout, cfg);
  });
  Promise.all(pending).then(function () {
    // What the page fetched besides itself: nothing, when it is self-contained (tests read it).
    var fetched = performance.getEntriesByType('resource').filter(function (e) {
      return !/^(file|data|blob):/.test(e.name);
    });
    document.body.setAttribute('data-fetched', String(fetched.length));
    document.body.setAttribute('data-rendered', String(figures.length));
  });
})();"""


def _json(data) -> str:
    """JSON safe inside a <script> element, the same bytes for the same data."""
    text = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _cell(c: Cell, tag: str = "td") -> str:
    cls = ' class="head"' if c.head else ' class="unit"' if c.unit else ""
    hint = f' title="{html.escape(c.hint)}"' if c.hint else ""
    return f"<{tag}{cls}{hint}>{html.escape(c.text)}</{tag}>"


def _table(t: Table) -> str:
    head = "".join(_cell(c, "th") for c in t.columns)
    body = "\n".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in t.rows)
    note = f'<p class="tnote">{html.escape(t.note)}</p>' if t.note else ""
    return (
        f"<div><table><caption>{html.escape(t.title)}</caption>\n<thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n{body}\n</tbody></table>{note}</div>"
    )


def _figure(f: Figure) -> str:
    caption = f"<figcaption>{html.escape(f.caption)}</figcaption>" if f.caption else ""
    return (
        f'<figure><div id="{html.escape(f.id)}" class="plot" style="height:{f.height}px"></div>'
        f"{caption}</figure>"
    )


def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def render(page: Page) -> str:
    """The whole page as one HTML document (deterministic: same page, same text)."""
    facts = "".join(f"<li>{html.escape(k)}: <b>{html.escape(v)}</b></li>" for k, v in page.facts)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(page.title)}</title>",
        f"<style>{CSS}</style>",
        f"<script>{ERROR_TRAP}</script>",
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>",
        f"<script>{plotly_js()}</script>",
        "</head>",
        f'<body data-kind="{page.kind}">',
        "<main>",
        f"<h1>{html.escape(page.title)}</h1>",
        f'<ul class="facts">{facts}</ul>',
        '<pre id="report-errors" hidden></pre>',
    ]
    if page.lead:
        parts.append(f'<p class="lead" id="lead">{html.escape(page.lead)}</p>')
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in page.notes]
    if page.tables:
        parts.append("<h2>Summary</h2>")
        parts.append('<p class="tnote">Hover over a metric for its definition.</p>')
        parts.append('<div class="tables">' + "\n".join(_table(t) for t in page.tables) + "</div>")
    if page.figures:
        parts.append("<h2>Charts</h2>")
        parts += [_figure(f) for f in page.figures]
    figures = [
        {"id": f.id, "data": f.spec.get("data", []), "layout": f.spec.get("layout", {})}
        for f in page.figures
    ]
    parts += [
        f"<footer>Built by <code>dialer report</code> (dialer {__version__}) from "
        f"{html.escape(', '.join(page.sources))} in this folder; plotly.js is embedded, so the page "
        "needs no network. Charts: drag to zoom, double-click to reset, camera icon to save a PNG."
        "</footer>",
        "</main>",
        f'<script id="report-figures" type="application/json">{_json(figures)}</script>',
        f"<script>{DRAW}</script>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


# ---- images ----------------------------------------------------------------------------------


def export_images(figures: list[Figure], folder: Path) -> str | None:
    """Each figure as ``<id>.png`` and ``<id>.svg``; returns why not, in one line, if it can't."""
    try:
        import kaleido
    except ImportError:
        return "images skipped: kaleido is not installed (pip install 'dialer[images]')"
    import warnings

    import plotly.graph_objects as go
    import plotly.io as pio

    from dialer.outputs import ensure_dir

    try:
        kaleido.start_sync_server(silence_warnings=True)
        try:
            ensure_dir(folder)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="The kopts argument is ignored")
                for f in figures:
                    fig = go.Figure(f.spec)
                    for fmt in ("png", "svg"):
                        blob = pio.to_image(
                            fig,
                            format=fmt,
                            width=1100,
                            height=f.height,
                            scale=2 if fmt == "png" else 1,
                        )
                        with atomic(folder / f"{f.id}.{fmt}", "wb") as fh:
                            fh.write(blob)
        finally:
            kaleido.stop_sync_server(silence_warnings=True)
    except InputError:
        raise
    except Exception as exc:  # kaleido raises its own types when no browser can be started
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"images skipped: no browser engine for kaleido ({first[:160]})"
    return None
