"""Predictive, optimized and adaptive pacing in full runs, against their promises.

Replications use fixed seeds; tolerances come from the replications' standard error.
"""

from __future__ import annotations

import pytest

from dialer.config import load_campaign
from stats import mean_se, paired_lower_bound, runs

pytestmark = pytest.mark.slow


def b2c(agents: int, hours: float, **changes):
    """The example B2C campaign at a team size: an endless list, lines not binding."""
    return load_campaign(
        "campaigns/b2c-renewals.yaml",
        {
            "agents.groups.0.count": agents,
            "horizon_s": hours * 3600,
            "warmup_s": 900,
            "calling_list.size": None,
            "dialing.lines": None,
            **changes,
        },
    )


@pytest.mark.parametrize("agents, hours, reps", [(8, 8, 6), (25, 4, 5), (100, 2, 4), (400, 2, 4)])
def test_predictive_holds_its_target_overdial_rate(agents, hours, reps):
    target = 0.03
    summaries = runs(
        b2c(agents, hours, **{"dialing.mode": "predictive", "dialing.target_abandon_rate": target}),
        reps,
    )
    mean, se = mean_se([s["overdial_rate"] for s in summaries])
    # the run starts from a progressive warm-up and a cold forecast: allow a tenth of a point
    assert abs(mean - target) <= 4 * se + 0.001, (mean, se)
    # and the regulator's rate (persons only) is near it too
    persons, _ = mean_se([s["abandon_rate"] for s in summaries])
    assert abs(persons - target) < 0.006


def test_optimized_stays_legal_and_beats_the_best_power_ratio_and_adaptive():
    reps = 6
    opt = runs(b2c(20, 8, **{"dialing.mode": "optimized"}), reps, seed0=500)
    assert all(s["compliance_ok"] for s in opt), [s["compliance_worst_rate"] for s in opt]
    # the best fixed power ratio in hindsight: the most occupancy with a legal mean abandon rate
    power = {
        r: runs(b2c(20, 8, **{"dialing.mode": "power", "dialing.ratio": r}), reps, seed0=500)
        for r in (2.2, 2.4, 2.6, 2.8, 3.0)
    }
    legal = {r: s for r, s in power.items() if mean_se([x["abandon_rate"] for x in s])[0] <= 0.03}
    best = max(legal, key=lambda r: mean_se([x["occupancy"] for x in legal[r]])[0])
    occ = [s["occupancy"] for s in opt]
    assert paired_lower_bound(occ, [s["occupancy"] for s in legal[best]]) > 0, best
    # ... at an abandon rate not significantly higher (pair by pair)
    assert (
        paired_lower_bound(
            [s["abandon_rate"] for s in opt], [s["abandon_rate"] for s in legal[best]]
        )
        <= 0
    )
    adaptive = runs(b2c(20, 8, **{"dialing.mode": "adaptive"}), reps, seed0=500)
    assert paired_lower_bound(occ, [s["occupancy"] for s in adaptive]) > 0


def test_optimized_stays_legal_with_a_small_team_where_no_power_ratio_is():
    reps = 6
    opt = runs(b2c(6, 8, **{"dialing.mode": "optimized"}), reps, seed0=700)
    assert all(s["compliance_ok"] for s in opt), [s["compliance_worst_rate"] for s in opt]
    power = runs(b2c(6, 8, **{"dialing.mode": "power", "dialing.ratio": 1.2}), reps, seed0=700)
    assert mean_se([s["abandon_rate"] for s in power])[0] > 0.03  # even a ratio of 1.2 is illegal
    prog = runs(b2c(6, 8, **{"dialing.mode": "progressive"}), reps, seed0=700)
    assert paired_lower_bound([s["occupancy"] for s in opt], [s["occupancy"] for s in prog]) > 0.05


@pytest.mark.parametrize(
    "goal, target, metric, tolerance",
    [
        ("busy_factor", 0.80, "occupancy", 0.005),
        ("agent_wait_s", 40.0, "mean_agent_wait_s", 1.0),
    ],
)
def test_optimized_goals_are_held(goal, target, metric, tolerance):
    summaries = runs(
        b2c(
            20,
            8,
            **{"dialing.mode": "optimized", "dialing.goal": goal, "dialing.goal_target": target},
        ),
        4,
        seed0=900,
    )
    mean, se = mean_se([s[metric] for s in summaries])
    assert abs(mean - target) <= 4 * se + tolerance, (mean, se)
    assert all(s["compliance_ok"] for s in summaries)


def test_optimized_under_ofcom_with_an_estimate_over_the_limit_dials_at_almost_no_risk():
    # with the centre's false-positive estimate at 5%, the Ofcom rate is over 3% before any
    # abandon: the only legal pacing abandons (almost) nothing. The pacer then places only dials
    # whose forecast abandon probability is under 1e-4; a forecast is never exact, so an odd
    # abandon remains possible, but far fewer than even 0.5% of the live answers.
    summaries = runs(
        b2c(
            20,
            2,
            **{
                "dialing.mode": "optimized",
                "compliance.regime": "ofcom",
                "cpd.amd_false_positive_estimate": 0.05,
            },
        ),
        3,
        seed0=40,
    )
    abandoned = sum(s["abandoned"] for s in summaries)
    live = sum(s["live_answers"] for s in summaries)
    assert live > 600 and abandoned <= 0.005 * live, (abandoned, live)
