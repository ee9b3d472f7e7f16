"""The forecast's state and arithmetic at any team size.

The forecasting pacers read busy agents and dials in flight as counts by elapsed time, kept as
events happen (dialer.pacing.ages); those counts must equal a rebuild from the agents' states
and the calls, at any moment. Beyond EXACT_TERMS uncertain terms the distribution of M is
approximated from its cumulants; its error against the exact distribution is bounded here.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import make_campaign
from dialer.codes import TALKING, WRAP_UP
from dialer.pacing.ages import Ages
from dialer.pacing.base import BUSY_BIN_S, FLIGHT_BIN_S, Pacer
from dialer.pacing.forecast import EXACT_TERMS, Snapshot, exact_wanted
from dialer.pacing.simple import Power
from dialer.sim.model import Model

SPAN = 40  # read the counts of the last 40 bins one by one, the older ones lumped


class Checking(Pacer):
    """Power pacing that, at every decision, rebuilds the OCS's counts by age from scratch."""

    needs_ages = True  # have the model keep them

    def __init__(self, model_box: list, every: int):
        self.inner = Power(2.0)
        self.box, self.every, self.n, self.checked = model_box, every, 0, 0

    def decide(self, obs):
        self.n += 1
        if self.n % self.every == 0:
            self.check(self.box[0], obs.now)
        return self.inner.decide(obs)

    def check(self, model, now):
        view = model.view
        for g, (talk, wrap) in enumerate(view.busy):
            for state, ages in ((TALKING, talk), (WRAP_UP, wrap)):
                rebuilt = Ages(BUSY_BIN_S)
                for i, s in enumerate(view.state):
                    if s == state and view.group[i] == g:
                        rebuilt.add(view.since[i])
                assert_same(ages, rebuilt, now)
        rebuilt = Ages(FLIGHT_BIN_S)
        for call in model.live.values():
            if call.verdict_at is None:
                rebuilt.add(call.dialed_at)
        assert_same(model.flight, rebuilt, now)
        self.checked += 1


def assert_same(live: Ages, rebuilt: Ages, now: float) -> None:
    assert live.n == rebuilt.n
    seg, older = live.at(now, SPAN)
    seg2, older2 = rebuilt.at(now, SPAN)
    assert seg.tolist() == seg2.tolist() and older == older2


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    agents=st.integers(1, 12),
    delay=st.sampled_from([0, 0.7, 3]),
    human=st.floats(0.2, 0.9),
    seed=st.integers(0, 1000),
    every=st.integers(1, 7),
)
def test_counts_by_age_equal_a_rebuild_at_any_moment(agents, delay, human, seed, every):
    c = make_campaign(
        **{
            "seed": seed,
            "horizon_s": 900,
            "agents.groups.a.count": agents,
            "agents.groups.a.talk_time_s": {"dist": "exponential", "mean": 40},
            "agents.groups.a.wrap_time_s": {"dist": "uniform", "low": 0, "high": 12},
            "population.human": human,
            "population.no_answer": 1 - human,
            "population.answer_time_s": {"dist": "uniform", "low": 2, "high": 15},
            "dialing.mode": "power",
            "stat_server.delay_s": delay,
        }
    )
    box: list = []
    pacer = Checking(box, every)
    model = Model(c, pacer)
    box.append(model)
    model.run()
    assert pacer.checked > 5


@settings(max_examples=200, deadline=None)
@given(
    busy=st.integers(EXACT_TERMS + 1, 400),
    flight=st.integers(0, 120),
    shape=st.sampled_from(["uniform", "u-shaped", "low"]),
    base=st.integers(-20, 20),
    p=st.floats(0.03, 0.5),
    seed=st.integers(0, 10_000),
)
# Found by Hypothesis: 33 terms of low probability, variance 2.7, an error of 0.011 at k = 0
@example(busy=33, flight=0, shape="low", base=0, p=0.5, seed=5686)
def test_the_approximation_beyond_the_exact_size_is_close_to_the_exact_forecast(
    busy, flight, shape, base, p, seed
):
    rng = np.random.default_rng(seed)
    q = {
        "uniform": rng.random(busy),
        "u-shaped": rng.beta(0.3, 0.3, busy),
        "low": rng.beta(0.5, 5, busy),
    }[shape]
    h = rng.random(flight) * rng.random()
    exact = Snapshot(base, q, h)
    if exact_wanted(busy + flight, exact.var):
        return  # the pacer works this one out exactly (a lumpy M: many terms, small variance)
    approx = Snapshot.approximate(exact.mean, exact.var, exact.third)
    for k in range(0, 25, 3):
        # the chance that the (k+1)-th new dial's answer finds no agent
        assert abs(approx.marginal(k, p) - exact.marginal(k, p)) <= 0.01


@settings(max_examples=200, deadline=None)
@given(
    base=st.integers(-15, 15),
    plus=st.lists(st.floats(0.0, 1.0), max_size=20),
    minus=st.lists(st.floats(0.0, 1.0), max_size=12),
    k=st.integers(0, 40),
)
def test_the_cdf_by_slices_is_the_cdf_point_by_point(base, plus, minus, k):
    snap = Snapshot(base, np.array(plus), np.array(minus))
    assert np.array_equal(snap._cdf_up_to(k), snap.p_m_at_most(np.arange(k + 1)))


@settings(max_examples=200, deadline=None)
@given(
    base=st.integers(-10, 10),
    plus=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 3)), max_size=12),
    minus=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 3)), max_size=8),
)
def test_terms_with_counts_are_the_terms_repeated(base, plus, minus):
    """The pacers pass M's terms as (probability, count) per age bin, empty bins included, as
    arrays or lists: the same distribution as each term listed once per count."""
    pv, pc = [v for v, _ in plus], [c for _, c in plus]
    mv, mc = [v for v, _ in minus], [c for _, c in minus]
    counted = Snapshot(base, np.array(pv), np.array(mv), np.array(pc), np.array(mc))
    listed = Snapshot(base, pv, mv, pc, mc)
    flat = Snapshot(
        base,
        np.array([v for v, c in plus for _ in range(c)]),
        np.array([v for v, c in minus for _ in range(c)]),
    )
    for snap in (counted, listed):
        assert snap.lo == flat.lo
        assert np.allclose(snap.cdf, flat.cdf, rtol=0, atol=1e-12)
        assert np.allclose(snap.moments(), flat.moments(), rtol=0, atol=1e-9)
