"""Each kind of report in a real headless browser (Debian's chromium), offline from file://.

Chromium loads the page with name resolution switched off, runs its scripts under a virtual
time budget and dumps the DOM: every figure's div must hold plotly's SVG, the page's error trap
must be empty, and the page must have fetched nothing. A screenshot of each page is kept under
results/ for a person to look at. CI installs chromium (.ci/run); elsewhere the test skips
without it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fit_fixtures import fit_folder
from report_fixtures import compare_folder, plan_folder, sweep_folder

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--hide-scrollbars",
    "--virtual-time-budget=15000",
]
SHOTS = Path("results")


def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


class Dom(HTMLParser):
    """Counts plotly's SVG roots inside each element with an id, and reads the error trap."""

    def __init__(self, ids: set[str]):
        super().__init__()
        self.ids, self.stack = ids, []
        self.svgs = {i: 0 for i in ids}
        self.errors: str | None = None
        self.body: dict = {}
        self._in_errors = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "pre" and a.get("id") == "report-errors":
            self._in_errors, self.errors = True, ""
        if tag in (
            "br",
            "img",
            "input",
            "meta",
            "link",
            "hr",
            "path",
            "rect",
            "line",
            "circle",
            "image",
            "use",
            "stop",
        ):
            return  # void or commonly self-closed in SVG dumps: no matching end tag to pop
        self.stack.append(a.get("id"))
        if tag == "svg" and "main-svg" in (a.get("class") or "").split():
            for i in self.stack:
                if i in self.ids:
                    self.svgs[i] += 1

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag == "pre":
            self._in_errors = False
        if tag in (
            "br",
            "img",
            "input",
            "meta",
            "link",
            "hr",
            "path",
            "rect",
            "line",
            "circle",
            "image",
            "use",
            "stop",
        ):
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self._in_errors:
            self.errors += data


def open_in_browser(report: Path, profile: Path, shot: Path) -> str:
    SHOTS.mkdir(exist_ok=True)
    cmd = [
        chromium(),
        *FLAGS,
        f"--user-data-dir={profile}",
        "--window-size=1280,5200",
        f"--screenshot={shot.resolve()}",
        "--dump-dom",
        report.resolve().as_uri(),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def run_folder(out: Path) -> Path:
    r = subprocess.run(
        [sys.executable, "-m", "dialer", "run", "campaigns/b2c-renewals.yaml", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return out


def rebuilt(folder: Path) -> Path:
    r = subprocess.run(
        [sys.executable, "-m", "dialer", "report", str(folder)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    return folder / "report.html"


def centre_folder(out: Path) -> Path:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "dialer",
            "run",
            "campaigns/east-centre.yaml",
            "--set",
            "horizon_s=14400",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return out


KINDS = {
    "run": run_folder,
    "centre": centre_folder,
    "compare": compare_folder,
    "sweep": sweep_folder,
    "plan": plan_folder,
    "fit": fit_folder,
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_page_renders_offline_in_chromium(kind, tmp_path):
    chromium()
    folder = KINDS[kind](tmp_path / kind)
    report = folder / "report.html" if kind in ("run", "centre") else rebuilt(folder)
    html = report.read_text()
    figures = json.loads(
        re.search(
            r'<script id="report-figures" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    ids = {f["id"] for f in figures}
    assert len(ids) == len(figures) >= 3
    shot = SHOTS / f"report-{kind}.png"
    dom = Dom(ids)
    dom.feed(open_in_browser(report, tmp_path / "profile", shot))
    assert dom.body.get("data-kind") == ("run" if kind == "centre" else kind)
    assert dom.errors == "", f"JavaScript errors: {dom.errors}"
    assert dom.body.get("data-rendered") == str(len(figures)), "plotly did not finish drawing"
    assert dom.body.get("data-fetched") == "0", "the page fetched something besides itself"
    blank = [i for i, n in dom.svgs.items() if n == 0]
    assert not blank, f"figures without plotly's SVG: {blank}"
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
