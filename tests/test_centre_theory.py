"""A centre against queueing theory: Bhulai & Koole's threshold model and Erlang C.

Bhulai & Koole (2003, IEEE TAC 48(8)): one group of s agents, Poisson inbound at rate lam,
exponential handling with one mean 1/mu for inbound and outbound, outbound work always there and
taken at once by any free agent beyond the c kept free for inbound. In the simulator: one blend
group, progressive dialing with instant answers (every dial a person), ``reserve_agents`` = c,
a free agent takes a waiting caller first, callers who never hang up.

The chain, derived: with equal means, which calls the busy agents hold does not matter, only
how many are idle (at most c: an idle agent beyond c takes outbound at once) and how many
callers wait. On one line of states m = -c .. -1 (|m| agents idle, nobody waiting), 0 (nobody
idle, nobody waiting), m > 0 (m callers waiting), an arrival moves m up by one at rate lam; an
end of service moves it down by one at rate (s + m) mu for m <= 0 (s - |m| busy agents) and
s mu for m > 0, except in state -c, where the agent freed takes outbound work and the state
stays. A birth-death chain: pi(m + 1) / pi(m) = lam / down(m + 1). Then, by PASTA and FCFS:
P(wait) = sum over m >= 0 of pi(m); a caller arriving in state m >= 0 waits for m + 1 ends of
service at rate s mu (Erlang(m + 1, s mu)), so ASA = sum pi(m) (m + 1) / (s mu) and
P(wait <= T) = pi(m < 0) + sum pi(m) P(Erlang(m + 1, s mu) <= T); outbound completions per
unit time = pi(-c) (s - c) mu (the ends of service that start outbound work); occupancy =
E[busy agents] / s.

Each check asks the chain's value to lie in the simulation's 95% interval over independent
replications, widened by Bonferroni for the 20 checks of the table (each at 99.75%); a figure
that the chain makes certain (c = 0: every caller waits, every agent busy) must be exact.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from centres import blend_model
from scipy import stats

from dialer.centre import centre_from_dict
from dialer.experiments.run import simulate

S, LAM_PER_MIN, MEAN_MIN, T_S = 20, 3.0, 5.0, 20.0
HOURS, REPLICATIONS = 25, 16  # each replication: 24 hours counted after a 1-hour warm-up
FIGURES = ("p_wait", "asa_s", "within_20s", "outbound_per_hour", "occupancy")
# the widest interval half-width each figure may have, relative to its value
PRECISION = {
    "p_wait": 0.2,
    "asa_s": 0.4,
    "within_20s": 0.12,
    "outbound_per_hour": 0.15,
    "occupancy": 0.02,
}


def threshold_chain(s: int, lam: float, mu: float, c: int, t: float, waiting_max: int = 4000):
    """The stationary figures of Bhulai & Koole's threshold policy (rates per second)."""
    states = list(range(-c, waiting_max + 1))
    logp = [0.0]
    for m in states[1:]:
        down = s * mu if m > 0 else (s + m) * mu
        logp.append(logp[-1] + math.log(lam / down))
    p = np.exp(np.array(logp) - max(logp))
    p /= p.sum()
    pi = dict(zip(states, p, strict=True))
    waiting = [m for m in states if m >= 0]
    return {
        "p_wait": sum(pi[m] for m in waiting),
        "asa_s": sum(pi[m] * (m + 1) / (s * mu) for m in waiting),
        "within_20s": sum(pi[m] for m in states if m < 0)
        + sum(pi[m] * stats.gamma.cdf(t, m + 1, scale=1 / (s * mu)) for m in waiting),
        "outbound_per_hour": pi[-c] * (s - c) * mu * 3600,
        "occupancy": sum(pi[m] * (s - max(0, -m)) for m in states) / s,
    }


def simulated(c: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in FIGURES}
    for r in range(REPLICATIONS):
        s = simulate(blend_model(S, LAM_PER_MIN * 60, MEAN_MIN * 60, c, 1000 + r, HOURS)).summary
        q = s["queues"]["inbound"]
        out["p_wait"].append(q["p_wait"])
        out["asa_s"].append(q["asa_s"])
        out["within_20s"].append(q["answered_within_share"])
        out["outbound_per_hour"].append(s["campaigns"]["outbound"]["connects"] / (HOURS - 1))
        out["occupancy"].append(s["groups"]["blend"]["occupancy"])
    return out


def test_the_chain_is_right_where_it_is_known():
    # c = 0: one queue of callers served at rate s mu (an M/M/1 queue), every agent always busy
    m = threshold_chain(20, 0.05, 1 / 300, 0, 20)
    rho = 0.05 / (20 / 300)
    assert m["p_wait"] == pytest.approx(1.0)
    assert m["asa_s"] == pytest.approx(1 / (20 / 300 - 0.05))  # M/M/1: 1 / (s mu - lam)
    assert m["occupancy"] == pytest.approx(1.0)
    assert m["outbound_per_hour"] == pytest.approx((1 - rho) * 20 / 300 * 3600)
    # throughput: inbound + outbound completions = busy agents x mu
    for c in (2, 5, 7):
        m = threshold_chain(20, 0.05, 1 / 300, c, 20)
        assert 0.05 * 3600 + m["outbound_per_hour"] == pytest.approx(
            m["occupancy"] * 20 / 300 * 3600
        )


@pytest.mark.slow
@pytest.mark.parametrize("c", [0, 2, 5, 7])
def test_blending_matches_bhulai_and_koole(c):
    exact = threshold_chain(S, LAM_PER_MIN / 60, 1 / (MEAN_MIN * 60), c, T_S)
    sims = simulated(c)
    q = 1 - 0.05 / (2 * len(FIGURES) * 4)  # two-sided, Bonferroni over the 20 checks
    for figure in FIGURES:
        values = np.array(sims[figure])
        mean = values.mean()
        half = stats.t.ppf(q, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
        if half == 0:
            assert mean == pytest.approx(exact[figure], abs=1e-9), figure
            continue
        assert abs(mean - exact[figure]) <= half, (figure, exact[figure], mean, half)
        print(f"c={c} {figure}: chain {exact[figure]:.4f}, simulated {mean:.4f} ± {half:.4f}")
        # and narrow enough to catch a modelling error (ASA varies most from day to day)
        assert half < PRECISION[figure] * exact[figure], (figure, half)


def erlang_c(s: int, a: float) -> float:
    b = 1.0
    for k in range(1, s + 1):
        b = a * b / (k + a * b)
    return s * b / (s - a * (1 - b))


@pytest.mark.slow
def test_an_inbound_only_centre_matches_erlang_c():
    s, per_hour, mean_s = 10, 100.0, 300.0
    a = per_hour * mean_s / 3600
    p_wait = erlang_c(s, a)
    asa = p_wait * mean_s / (s - a)
    pw, asas = [], []
    for r in range(16):
        centre = centre_from_dict(
            {
                "name": "erlang-c",
                "seed": 50 + r,
                "start": "2026-03-02T00:00:00",
                "site_timezone": "UTC",
                "horizon_s": 49 * 3600,
                "warmup_s": 3600,
                "agents": {"groups": [{"name": "a", "count": s}]},
                "queues": [
                    {
                        "name": "q",
                        "arrivals_per_hour": {"00:00": per_hour},
                        "patience_s": None,
                        "talk_time_s": {"dist": "exponential", "mean": mean_s},
                        "wrap_time_s": 0,
                        "groups": ["a"],
                    }
                ],
            }
        )
        q = simulate(centre).summary["queues"]["q"]
        pw.append(q["p_wait"])
        asas.append(q["asa_s"])
    for name, exact, values in (("p_wait", p_wait, pw), ("asa_s", asa, asas)):
        v = np.array(values)
        half = stats.t.ppf(0.9875, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
        assert abs(v.mean() - exact) <= half, (name, exact, v.mean(), half)
        assert half < 0.15 * exact, (name, half)
