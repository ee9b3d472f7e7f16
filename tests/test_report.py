"""Reports without a browser: every page kind builds, validates, rebuilds byte for byte, says
what is missing, keeps one colour per mode, and refuses bad folders in one line."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dialer.reports.charts import MODE_STYLE
from dialer.reports.glossary import CENTRE, METRICS, PLAN, REPLICATED
from dialer.reports.render import page_for, render
from dialer.reports.run import SECTIONS
from report_fixtures import compare_folder, plan_folder, sweep_folder

SMOKE = "campaigns/smoke.yaml"


def dialer(*args):
    return subprocess.run([sys.executable, "-m", "dialer", *args], capture_output=True, text=True)


def ids(page) -> list[str]:
    return [f.id for f in page.figures]


def test_run_out_writes_a_report_that_rebuilds_identically(tmp_path):
    out = tmp_path / "run"
    r = dialer("run", SMOKE, "--out", str(out), "--mode", "power")
    assert r.returncode == 0, r.stderr
    first = (out / "report.html").read_bytes()
    (out / "report.html").unlink()
    r = dialer("report", str(out))
    assert r.returncode == 0 and r.stdout.strip() == f"wrote {out / 'report.html'}", r.stderr
    assert (out / "report.html").read_bytes() == first
    text = first.decode()
    assert text.count("plotly.js v") == 1  # the library's banner: embedded once
    assert not re.search(r"""<(script|link|img)[^>]*(src|href)=["']?https?:""", text)
    meta = json.loads((out / "summary.json").read_text())["meta"]
    assert meta["finished_at"] not in text  # no timestamp: a rebuild is the same page
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("make", [compare_folder, sweep_folder, plan_folder])
def test_saved_results_rebuild_byte_for_byte(tmp_path, make):
    folder = make(tmp_path / "res")
    assert dialer("report", str(folder)).returncode == 0
    first = (folder / "report.html").read_bytes()
    assert dialer("report", str(folder)).returncode == 0  # another process, another hash seed
    assert (folder / "report.html").read_bytes() == first


def test_each_kind_has_its_figures(tmp_path):
    assert ids(page_for(compare_folder(tmp_path / "c"))) == [
        "compare-metrics",
        "compare-diffs",
        "compare-frontier",
    ]
    assert ids(page_for(plan_folder(tmp_path / "p"))) == [
        "plan-agents",
        "plan-success",
        "plan-trials",
    ]
    sweep = page_for(sweep_folder(tmp_path / "s"))
    assert ids(sweep)[:3] == [
        "sweep-talk-minutes-per-agent-hour",
        "sweep-occupancy",
        "sweep-abandon-rate",
    ]
    assert ids(sweep)[-2:] == [
        "sweep-heatmap-talk-minutes-per-agent-hour",
        "sweep-heatmap-abandon-rate",
    ]
    assert "cells keep the mean abandon rate within the 3.00% limit" in sweep.lead
    heat = sweep.figures[-1].spec["data"][0]
    assert any("over" in t for row in heat["text"] for t in row)  # readable without colour


def test_run_page_figures_and_tables(tmp_path):
    out = tmp_path / "run"
    assert dialer("run", "campaigns/b2c-renewals.yaml", "--out", str(out)).returncode == 0
    page = page_for(out)
    assert ids(page) == [
        "run-agent-states",
        "run-calls",
        "run-abandon-rate",
        "run-lines",
        "run-penetration",
        "run-outcomes",
        "run-waits",
    ]
    summary = json.loads((out / "summary.json").read_text())
    states = page.figures[0].spec["data"]
    series = json.loads((out / "series.json").read_text())["rows"]
    # the stack's top is the agents logged in: 25 in every full 15 minutes
    tops = [sum(t["y"][i] for t in states if t.get("stackgroup")) for i in range(len(series))]
    assert all(abs(v - 25) < 0.01 for v in tops), tops  # (each state rounded to 0.001)
    outcomes = page.figures[5].spec["data"][0]
    assert sum(outcomes["x"]) == summary["dials"]  # every dial lands in one outcome
    shown = {row[0].text for t in page.tables for row in t.rows}
    assert "abandon rate (US)" in shown and all(row[0].hint for t in page.tables for row in t.rows)


def test_run_page_without_series_or_campaign_and_with_ofcom_endless_list(tmp_path):
    out = tmp_path / "run"
    r = dialer(
        "run",
        SMOKE,
        "--out",
        str(out),
        "--mode",
        "power",
        "--set",
        "compliance.regime=ofcom",
        "--set",
        "calling_list.size=null",
        "--set",
        "horizon_s=7200",
    )
    assert r.returncode == 0, r.stderr
    page = page_for(out)
    assert "endless list" in page.figures[4].caption
    windows = [t for t in page.figures[2].spec["data"] if t.get("legendgroup") == "windows"]
    assert windows and "calendar day (Ofcom)" in windows[0]["name"]
    (out / "campaign.yaml").unlink()
    assert (
        page_for(out).figures[0].spec["layout"]["xaxis"]["title"]["text"] == "hours from the start"
    )
    (out / "series.json").unlink()
    page = page_for(out)
    assert ids(page) == ["run-outcomes"] and "No series.json" in page.notes[0]


def test_empty_frontier_is_said_on_the_page(tmp_path):
    page = page_for(compare_folder(tmp_path / "c", frontier=False))
    assert any("No frontier" in n for n in page.notes)
    frontier = page.figures[-1]
    assert "no knob swept" in frontier.spec["layout"]["title"]["text"]
    assert {t["name"] for t in frontier.spec["data"]} == {
        f"{m} (campaign settings)" for m in ("progressive", "power", "predictive", "optimized")
    }
    assert "No frontier" in render(page)


def test_one_factor_and_mode_factor_sweeps(tmp_path):
    one = page_for(sweep_folder(tmp_path / "one", {"dialing.ratio": [1.2, 1.6, 2.0]}))
    assert not [i for i in ids(one) if "heatmap" in i]
    two = page_for(
        sweep_folder(
            tmp_path / "two",
            {"dialing.ratio": [1.2, 1.6, 2.0], "dialing.mode": ["power", "predictive"]},
        )
    )
    lines = [t for t in two.figures[0].spec["data"] if t.get("mode") == "lines+markers"]
    assert [t["line"]["color"] for t in lines] == [
        MODE_STYLE["power"][0],
        MODE_STYLE["predictive"][0],
    ]


def _mode_colours(page) -> dict[str, set]:
    out: dict[str, set] = {}
    for f in page.figures:
        for t in f.spec["data"]:
            mode = (t.get("legendgroup") or t.get("name") or "").split(" ")[0]
            marker = t.get("marker") or {}
            colours = {
                marker.get("color"),
                (marker.get("line") or {}).get("color"),
                (t.get("line") or {}).get("color"),
            }
            colours = {c for c in colours if isinstance(c, str) and c not in ("#FFFFFF", "#222222")}
            if mode in MODE_STYLE:
                out.setdefault(mode, set()).update(colours)
    return out


def test_a_mode_has_one_colour_on_every_page(tmp_path):
    seen = _mode_colours(page_for(compare_folder(tmp_path / "c")))
    for mode, colours in _mode_colours(page_for(plan_folder(tmp_path / "p"))).items():
        seen.setdefault(mode, set()).update(colours)
    assert set(seen) == {"progressive", "power", "predictive", "optimized"}
    for mode, colours in seen.items():
        assert colours == {MODE_STYLE[mode][0]}, mode
    assert len({s[1] for s in MODE_STYLE.values()}) == len(
        MODE_STYLE
    )  # markers tell them apart too
    assert len({s[2] for s in MODE_STYLE.values()}) == len(MODE_STYLE)  # and dashes


def test_every_definition_is_the_documented_metric():
    docs = Path("docs/metrics.md").read_text()
    assert [k for k in METRICS if f"`{k}`" not in docs] == []
    assert all(k in METRICS for _, keys in SECTIONS for k in keys)
    for m in [*METRICS.values(), *REPLICATED.values(), *PLAN.values(), *CENTRE.values()]:
        assert m.definition and m.label
    centre = Path("docs/centre.md").read_text()
    assert [k for k in CENTRE if f"`{k}`" not in centre] == []


def test_run_tables_show_every_summary_number(tmp_path):
    from conftest import make_campaign
    from dialer.experiments.run import simulate

    summary = simulate(make_campaign(horizon_s=100)).summary
    shown = {k for _, keys in SECTIONS for k in keys}
    left_out = {"compliance_regime", "records_finished_by_result"}  # in the header / not a number
    assert set(summary) - shown == left_out


def _corrupt(folder: Path, name: str, text: str) -> Path:
    (folder / name).write_text(text)
    return folder


BAD = [
    (lambda p: p / "missing", "no such folder"),
    (
        lambda p: (p / "empty").mkdir() or p / "empty",
        "expected a results folder with one of summary.json",
    ),
    (
        lambda p: _corrupt(compare_folder(p / "c"), "compare.json", "{broken"),
        "compare.json: expected valid JSON",
    ),
    (
        lambda p: _corrupt(
            compare_folder(p / "c"),
            "compare.json",
            json.dumps({"modes": ["power"], "table": [{"mode": "power", "metric": "occupancy"}]}),
        ),
        "compare.json: table.0.mean: missing",
    ),
    (
        lambda p: _corrupt(plan_folder(p / "p"), "plan.json", json.dumps({"modes": ["power"]})),
        "plan.json: modes: expected a mapping, got a list",
    ),
    (
        lambda p: _corrupt(
            sweep_folder(p / "s"), "cells.csv", "dialing.ratio,metric,mean\n1.2,occupancy,0.7\n"
        ),
        "cells.csv: expected columns",
    ),
    (
        lambda p: _corrupt(sweep_folder(p / "s"), "manifest.json", json.dumps({"kind": "plan"})),
        "manifest.json: kind: expected 'sweep', got 'plan'",
    ),
]


@pytest.mark.parametrize("make, message", BAD)
def test_bad_folders_are_one_line_exit_2_nothing_written(tmp_path, make, message):
    folder = make(tmp_path)
    r = dialer("report", str(folder))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dialer: ") and message in lines[0], r.stderr
    assert not (Path(folder) / "report.html").exists()


def test_images_without_kaleido_say_so_and_still_write_the_html(tmp_path):
    folder = plan_folder(tmp_path / "p")
    code = (
        "import sys; sys.modules['kaleido'] = None; from dialer.cli import main; "
        f"sys.exit(main(['report', {str(folder)!r}, '--images']))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (
        r.stderr.strip()
        == "dialer: images skipped: kaleido is not installed (pip install 'dialer[images]')"
    )
    assert (folder / "report.html").is_file() and not (folder / "images").exists()


def test_images_with_kaleido(tmp_path):
    pytest.importorskip("kaleido")
    if not shutil.which("chromium"):
        pytest.skip("no chromium for kaleido")
    from dialer.reports.render import export_images

    page = page_for(plan_folder(tmp_path / "p"))
    assert export_images(page.figures[:1], tmp_path / "images") is None
    png = (tmp_path / "images" / "plan-agents.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "images" / "plan-agents.svg").read_bytes()[:400]


def test_docs_name_every_figure(tmp_path):
    docs = Path("docs/reports.md").read_text()
    pages = [
        page_for(compare_folder(tmp_path / "c")),
        page_for(plan_folder(tmp_path / "p")),
        page_for(sweep_folder(tmp_path / "s")),
    ]
    out = tmp_path / "run"
    assert dialer("run", SMOKE, "--out", str(out)).returncode == 0
    pages.append(page_for(out))
    centre = tmp_path / "centre"
    assert (
        dialer(
            "run", "campaigns/east-centre.yaml", "--set", "horizon_s=7200", "--out", str(centre)
        ).returncode
        == 0
    )
    pages.append(page_for(centre))
    assert {"centre-service", "centre-split"} <= set(ids(pages[-1]))
    for page in pages:
        for i in ids(page):
            name = re.sub(
                r"^sweep-heatmap-.*",
                "sweep-heatmap-<metric>",
                re.sub(r"^sweep-(?!heatmap).*", "sweep-<metric>", i),
            )
            assert f"`{name}`" in docs, name


def test_a_misspelt_plotly_property_fails_before_any_browser():
    from dialer.reports.charts import Figure
    from dialer.reports.render import check_figures

    with pytest.raises(ValueError):
        check_figures(
            [Figure("x", {"data": [{"type": "scatter", "markr": {"size": 3}}], "layout": {}})]
        )
    with pytest.raises(ValueError, match="repeat"):
        check_figures([Figure("x", {"data": []}), Figure("x", {"data": []})])


def test_agents_range_from_wilson_intervals():
    from dialer.reports.plan import agents_range
    from dialer.stats import wilson

    lo, hi = wilson(0, 20)
    assert lo == 0 and abs(hi - 0.1611) < 1e-3  # the textbook Wilson upper bound for 0 of 20
    lo, hi = wilson(17, 20)
    assert abs(lo - 0.6396) < 1e-3 and abs(hi - 0.9476) < 1e-3

    def trials(reps):
        return [
            {"agents": a, "replications": reps, "success_share": s}
            for a, s in ((10, 0.5), (12, 0.85), (14, 1.0))
        ]

    assert agents_range(trials(20), 0.9) == (12, None)  # 20 of 20 is not yet sure of 90%
    assert agents_range(trials(100), 0.9) == (12, 14)  # 85 of 100 could still be 90%
