"""The fit page without a browser (tests/test_report_browser.py opens it in Chromium): its
figures, its tables, a rebuild byte for byte, the docs naming every figure, a bad fit.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dialer.reports.render import page_for
from fit_fixtures import fit_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return fit_folder(tmp_path_factory.mktemp("fit") / "report")


def dialer(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dialer", *args], capture_output=True, text=True)


def test_the_page_figures_tables_and_lead(folder):
    page = page_for(folder)
    assert page.kind == "fit"
    assert [f.id for f in page.figures] == [
        "fit-densities",
        "fit-qq",
        "fit-hours",
        "fit-validation",
    ]
    titles = [t.title for t in page.tables]
    assert titles[:2] == ["Fitted durations", "Population shares"]
    assert titles[2].startswith("Validation: the fitted campaign, 2 runs in power mode")
    assert titles[3] == "Not in the records: assumed"
    assumed = [row[0].text for row in page.tables[3].rows]
    assert "cpd.amd_false_positive" in assumed and "population.patience_s" in assumed
    assert "agrees with the records on" in page.lead
    # both groups' talk times are drawn, constants (machine time, busy, SIT) are not
    densities = page.figures[0].spec["layout"]["annotations"]
    panels = {a["text"] for a in densities}
    assert "<b>collections: talk time</b>" in panels and "<b>retention: talk time</b>" in panels
    assert "<b>busy time</b>" not in panels


def test_the_page_rebuilds_byte_for_byte_and_docs_name_its_figures(folder):
    assert dialer("report", str(folder)).returncode == 0
    first = (folder / "report.html").read_bytes()
    assert dialer("report", str(folder)).returncode == 0
    assert (folder / "report.html").read_bytes() == first
    docs = Path("docs/reports.md").read_text()
    for f in page_for(folder).figures:
        assert f"`{f.id}`" in docs, f.id


def test_a_bad_fit_json_is_one_line(folder, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "fit.json").write_text(json.dumps({"kind": "fit", "shares": {}}))
    r = dialer("report", str(bad))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"dialer: {bad}/fit.json: durations: missing"
    assert not (bad / "report.html").exists()
