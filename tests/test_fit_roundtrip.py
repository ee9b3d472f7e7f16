"""The round trip: simulate a campaign with known parameters, fit its own records, get them back.

The records are written as a centre's would be (calls.csv, agent_states.csv, the dialer's
settings); the fit never reads the truth. Two things no log shows are given on the command line,
as a centre would: the AMD false-positive rate and the persons' patience. Everything else is
learnt: shares per period of the day within their binomial intervals, the ring timeout, every
duration's mean within 5% and its family (samples in the thousands), the AMD false-negative
rate, the agents. Then the fitted file is simulated again and must behave like the original.

Several quantities are checked at once, so each interval is widened to z = 3 (about 99.7% each,
a family-wise 95% over the dozen checks): a fixed seed passes or fails for good, and one that
fails must fail because the fit is wrong, not by a 1-in-20 draw.
"""

from __future__ import annotations

import math

import pytest

from dialer.cli import main
from dialer.config import load_campaign
from dialer.fit.campaign import fit_log
from dialer.fit.formats import read_records
from fit_fixtures import ROUNDTRIP, roundtrip_campaign, write_records
from stats import mean_se, runs

Z = 3.0
GIVEN = ["cpd.amd_false_positive=0.04", "population.patience_s={dist: exponential, mean: 3}"]
TRUE_BEFORE_NOON = {
    k: ROUNDTRIP["population"][k] for k in ("human", "machine", "busy", "no_answer", "fax")
}
TRUE_AFTER_NOON = ROUNDTRIP["population"]["by_hour"]["12:00"]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = write_records(roundtrip_campaign(), tmp_path_factory.mktemp("records"))
    out = folder.parent / "fitted.yaml"
    args = ["fit", str(folder), "--format", "dialer", "--out", str(out)]
    for g in GIVEN:
        args += ["--set", g]
    assert main(args) == 0
    from dialer.config import parse_override

    fit = fit_log(read_records([str(folder)], "dialer"), dict(parse_override(g) for g in GIVEN))
    return load_campaign(out), fit


def _widened(value: float, interval: tuple[float, float]) -> tuple[float, float]:
    lo, hi = interval
    k = Z / 1.959964
    return value - k * (value - lo), value + k * (hi - value)


@pytest.mark.slow
def test_shares_by_period_within_their_intervals(fitted):
    campaign, fit = fitted
    bands = fit.shares.bands
    assert len(bands) >= 2, "the noon change of the mix was not found"
    assert {b.start_hour for b in bands} >= {12}, [b.start_hour for b in bands]
    for band in bands:
        truth = TRUE_BEFORE_NOON if band.end_hour <= 12 else TRUE_AFTER_NOON
        assert band.start_hour >= 12 or band.end_hour <= 12, "a period straddles noon"
        for key, true in truth.items():
            lo, hi = _widened(band.shares[key], band.intervals[key])
            assert lo <= true <= hi, (
                f"{band.start_hour}h {key}: {band.shares[key]:.4f} [{lo:.4f}, {hi:.4f}] vs {true}"
            )
    lo, hi = _widened(fit.shares.shares["invalid"], fit.shares.intervals["invalid"])
    assert lo <= ROUNDTRIP["population"]["invalid"] <= hi
    # the file holds the same periods
    assert sorted(campaign.population.by_hour) == sorted(b.start_hour * 3600 for b in bands)


@pytest.mark.slow
def test_durations_means_within_5_percent_and_right_family(fitted):
    campaign, fit = fitted
    group = campaign.agents.groups[0]
    cases = {
        "population.answer_time_s": (campaign.population.answer_time_s, "gamma", 11),
        "population.machine_answer_time_s": (
            campaign.population.machine_answer_time_s,
            "lognormal",
            15,
        ),
        "cpd.detect_time_s": (campaign.cpd.detect_time_s, "lognormal", 2.4),
        "agents.groups.collections.talk_time_s": (group.talk_time_s, "weibull", 150),
        "agents.groups.collections.wrap_time_s": (group.wrap_time_s, "gamma", 25),
    }
    for key, (dist, family, mean) in cases.items():
        assert abs(dist.mean / mean - 1) <= 0.05, f"{key}: mean {dist.mean:.3f} vs {mean}"
        assert fit.durations[key].n >= 2000, f"{key}: a small sample ({fit.durations[key].n})"
        assert dist.kind == family, f"{key}: {dist.kind}, not {family}"
    for dist, value in (
        (campaign.population.busy_time_s, 5),
        (campaign.population.invalid_time_s, 2.5),
        (group.machine_time_s, 8),
    ):
        assert dist.kind == "constant" and dist.mean == pytest.approx(value)
    assert campaign.cpd.ring_timeout_s == pytest.approx(22)
    assert group.name == "collections" and group.count == 22


@pytest.mark.slow
def test_amd_false_negatives_from_the_agents_dispositions(fitted):
    campaign, fit = fitted
    found, connected = fit.shares.fn_evidence
    machines = found / 0.12  # machines that answered, about
    se = math.sqrt(0.12 * 0.88 / machines)
    assert abs(campaign.cpd.amd_false_negative - 0.12) <= Z * se
    assert campaign.cpd.amd_false_positive == 0.04  # given: no log shows it
    assert fit.sources["cpd.amd_false_positive"] == "given"


@pytest.mark.slow
def test_the_fitted_campaign_behaves_like_the_original(fitted):
    """Replications of both (the records' day, same seeds): occupancy, hit ratio and abandon
    rate of the fitted campaign land in the original's 95% interval.

    The fit learnt from one day of records, so its parameters carry one day's sampling error;
    the interval that can hold the fitted campaign is the one a single day of the original
    falls in (mean +- t sd sqrt(1 + 1/R) over R replications), not the interval of the
    original's mean, which shrinks without end as replications grow."""
    campaign, _ = fitted
    reps = 8
    original = runs(roundtrip_campaign(), reps, seed0=200)
    refit = runs(campaign, reps, seed0=200)
    t = 2.365  # t(0.975, 7 df)
    for key in ["occupancy", "hit_ratio", "abandon_rate"]:
        days = [r[key] for r in original]
        mo, so = mean_se(days)
        sd = so * math.sqrt(reps)
        mf, _ = mean_se([r[key] for r in refit])
        half = t * sd * math.sqrt(1 + 1 / reps)
        assert abs(mf - mo) <= half, f"{key}: fitted {mf:.4f} vs original {mo:.4f} +- {half:.4f}"
