"""Compliance windows: 30 days (the whole run when shorter) under fcc, calendar days under Ofcom."""

from __future__ import annotations

import pytest

from conftest import make_campaign
from dialer.experiments.run import simulate
from dialer.records.summary import compliance_windows
from dialer.regulation import abandon_rates


def test_thirty_day_rate_and_worst_calendar_day_differ():
    # day 1 quiet, day 2 bad: over the two days 2.5% (legal in the US), day 2 alone 4% (not in the UK)
    days = {
        "live_answers": [1000, 1000],
        "abandoned": [10, 40],
        "amd_false_positives": [0, 0],
        "dials": [5000, 5000],
    }
    fcc = compliance_windows(days, "fcc", fp_estimate=0.0)
    assert [(w["days"], w["rate"]) for w in fcc] == [(2, pytest.approx(0.025))]
    ofcom = compliance_windows(days, "ofcom", fp_estimate=0.0)
    assert [w["rate"] for w in ofcom] == [pytest.approx(0.01), pytest.approx(0.04)]
    # the centre's AMD estimate is added to each Ofcom day: (A + E) / (L + E), E = L e / (1 - e)
    e = 0.02
    est = 1000 * e / (1 - e)
    assert compliance_windows(days, "ofcom", fp_estimate=e)[1]["rate"] == pytest.approx(
        (40 + est) / (1000 + est)
    )


def test_rolling_thirty_day_windows_on_a_long_run():
    live = [100] * 40
    abandoned = [0] * 40
    abandoned[35] = 200  # one terrible day late in the run
    days = {
        "live_answers": live,
        "abandoned": abandoned,
        "amd_false_positives": [0] * 40,
        "dials": [0] * 40,
    }
    windows = compliance_windows(days, "fcc", fp_estimate=0.0)
    assert len(windows) == 11 and all(w["days"] == 30 for w in windows)
    assert windows[0]["rate"] == 0.0  # days 0-29 do not hold day 35
    assert max(w["rate"] for w in windows) == pytest.approx(200 / 3000)


def test_three_abandon_rates():
    r = abandon_rates(live=970, abandoned=20, fp_actual=30, fp_estimate_share=0.05)
    assert r["abandon_rate"] == pytest.approx(20 / 970)
    est = 970 * 0.05 / 0.95
    assert r["abandon_rate_ofcom"] == pytest.approx((20 + est) / (970 + est))
    assert r["abandon_rate_true"] == pytest.approx(50 / 1000)


def test_a_multi_day_run_has_one_ofcom_window_per_calendar_day():
    # 40 hours from noon: three calendar days of the site are touched
    c = make_campaign(
        **{
            "dialing.mode": "power",
            "dialing.ratio": 3.0,
            "horizon_s": 40 * 3600,
            "start": "2026-03-02T12:00:00",
            "site_timezone": "Europe/London",
            "compliance.regime": "ofcom",
            "population.human": 0.3,
            "population.no_answer": 0.7,
            "agents.groups.a.count": 3,
            "cpd.amd": True,
            "cpd.amd_false_positive_estimate": 0.01,
        }
    )
    result = simulate(c)
    windows = result.windows
    assert [w["first_day"] for w in windows] == [0, 1, 2]
    assert sum(w["live_answers"] for w in windows) == result.summary["live_answers"]
    assert result.summary["compliance_worst_rate"] == max(w["rate"] for w in windows)
    overall = result.summary["abandon_rate_ofcom"]
    assert min(w["rate"] for w in windows) <= overall <= max(w["rate"] for w in windows)
    fcc = simulate(c.override({"compliance.regime": "fcc"}))
    assert len(fcc.windows) == 1 and fcc.windows[0]["days"] == 3


def test_without_amd_no_false_positive_estimate_is_added():
    c = make_campaign(
        **{
            "dialing.mode": "progressive",
            "horizon_s": 3600,
            "cpd.amd": False,
            "cpd.amd_false_positive_estimate": 0.05,
            "compliance.regime": "ofcom",
            "population.human": 0.3,
            "population.no_answer": 0.7,
        }
    )
    s = simulate(c).summary
    assert s["abandon_rate_ofcom"] == 0.0 and s["compliance_ok"]
    with_amd = simulate(c.override({"cpd.amd": True})).summary
    assert with_amd["abandon_rate_ofcom"] >= 0.05 and not with_amd["compliance_ok"]
