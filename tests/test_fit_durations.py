"""Fitting one duration: censoring and truncation in the likelihood, the family by AIC, the
empirical fallback, constants, and the Weibull family the campaign file gained for it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dialer.config import from_dict
from dialer.fit.durations import fit_duration, kaplan_meier
from dialer.rng import Dist


def test_ring_times_cut_at_25_s_fit_the_true_answer_time_not_the_cut_one():
    """Persons answer after lognormal(14, 9) s; the dialer gives up at 25 s, so only answers up
    to 25 s are recorded (the rest are no-answers among empty homes). Fitted as truncated, the
    true distribution comes back; fitted naively, the cut one does (its mean is far lower)."""
    true = Dist("lognormal", mean_=14, sd=9)
    x = true.sample(np.random.default_rng(7), 6000)
    seen = x[x <= 25]
    assert len(seen) < len(x) * 0.92  # the timeout really cuts
    fit = fit_duration(seen, truncated_at=25)
    assert fit.dist.kind == "lognormal"
    assert fit.dist.mean == pytest.approx(14, rel=0.05)
    assert fit.dist.std == pytest.approx(9, rel=0.10)
    assert fit.truncated_at == 25 and "truncated at 25 s" in fit.summary()
    naive = fit_duration(seen)
    assert naive.dist.mean < 12.5  # what ignoring the cut gives: the cut distribution
    # the fitted distribution puts the right share beyond the timeout
    assert float(fit.dist.sf(np.array([25.0]))[0]) == pytest.approx(
        float(true.sf(np.array([25.0]))[0]), abs=0.015
    )


def test_calls_up_at_the_end_of_the_log_are_censored_not_dropped():
    rng = np.random.default_rng(3)
    talk = Dist("gamma", mean_=200, sd=150).sample(rng, 4000)
    log_end = rng.uniform(0, 500, 4000)  # how long each call had before the log ended
    still_up = talk > log_end
    seen = np.where(still_up, log_end, talk)
    fit = fit_duration(seen, still_up)
    assert still_up.mean() > 0.2
    assert fit.n_open == still_up.sum()
    assert fit.dist.mean == pytest.approx(200, rel=0.05)
    dropped = fit_duration(seen[~still_up])
    assert dropped.dist.mean < 170  # leaving them out shortens every call


@pytest.mark.parametrize(
    "kind,mean,sd",
    [("lognormal", 180, 120), ("gamma", 40, 25), ("weibull", 90, 60), ("exponential", 20, 0)],
)
def test_the_right_family_when_the_sample_is_large(kind, mean, sd):
    true = Dist(kind, mean_=mean, sd=sd)
    x = true.sample(np.random.default_rng(11), 5000)
    fit = fit_duration(x)
    assert fit.dist.kind == kind, [(c.family, round(c.aic, 1)) for c in fit.candidates]
    assert fit.dist.mean == pytest.approx(mean, rel=0.05)
    assert fit.ks < fit.ks_critical
    assert fit.qq_gap < 0.03


def test_empirical_when_no_family_fits():
    rng = np.random.default_rng(5)
    # two humps: quick hang-ups and conversations; no single family fits
    x = np.r_[rng.normal(8, 1, 2000).clip(1), rng.normal(150, 20, 2000).clip(1)]
    fit = fit_duration(x)
    assert fit.dist.kind == "empirical"
    assert "no family fits" in fit.method
    assert len(fit.dist.values) == 100
    assert fit.dist.mean == pytest.approx(x.mean(), rel=0.03)
    assert fit.ks < fit.ks_critical


def test_constant_and_small_samples():
    fit = fit_duration([6.0] * 40)
    assert fit.dist == Dist.constant(6.0)
    small = fit_duration([3.0, 5.0, 9.0])
    assert small.dist.kind == "empirical" and "too few" in small.method
    assert fit_duration([]) is None


def test_persons_mixed_into_machine_answers_are_allowed_for():
    """The CPD takes a few persons (answering early) for machines: their answer times sit in
    the machine sample. With the mix in the likelihood the machines' own mean comes back."""
    rng = np.random.default_rng(9)
    persons, machines = Dist("lognormal", mean_=8, sd=3), Dist("lognormal", mean_=20, sd=4)
    x = np.r_[machines.sample(rng, 3000), persons.sample(rng, 400)]
    x = x[x <= 25]
    w = 400 / len(x)
    fit = fit_duration(x, truncated_at=25, contamination=(w, persons, 25))
    assert fit.dist.mean == pytest.approx(20, rel=0.03)
    plain = fit_duration(x, truncated_at=25)
    assert abs(plain.dist.mean - 20) > abs(fit.dist.mean - 20)


def test_kaplan_meier_without_censoring_is_the_empirical_cdf():
    x = np.array([3.0, 1.0, 2.0, 2.0])
    t, cdf = kaplan_meier(x, np.zeros(4, bool))
    assert t.tolist() == [1.0, 2.0, 3.0]
    assert cdf.tolist() == pytest.approx([0.25, 0.75, 1.0])


def test_weibull_in_the_campaign_file():
    d = from_dict(
        {"agents": {"groups": [{"talk_time_s": {"dist": "weibull", "mean": 150, "sd": 95}}]}}
    )
    talk = d.agents.groups[0].talk_time_s
    assert (talk.kind, talk.mean, talk.std) == ("weibull", 150, 95)
    shape, scale = talk._weibull()
    ref = stats.weibull_min(shape, scale=scale)
    assert ref.mean() == pytest.approx(150) and ref.std() == pytest.approx(95)
    x = np.array([50.0, 150.0, 400.0])
    assert talk.cdf(x) == pytest.approx(ref.cdf(x))
    u = np.array([0.1, 0.5, 0.9])
    assert talk.ppf(u) == pytest.approx(ref.ppf(u))
