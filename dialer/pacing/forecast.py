"""What a predictive OCS forecasts: agents about to free, answers about to arrive, and the
abandons that n more dials would cause.

Everything here is built from what a real dialer knows: its configured (historical) talk,
wrap-up, answer and detection time distributions, the ages of its own calls, the time its
agents have spent in their current state, and its own recent dial results. Nothing reads the
truth. No SimPy.

The forecast is a snapshot at the moment a new dial would be answered:

* supply: agents ready now, plus each busy agent with the probability that it finishes (the
  rest of its talk, then its wrap-up) before a new dial's human verdict plus the abandon grace
  (``abandon_after_s``): a residual-life probability from its elapsed time;
* demand: calls waiting now, plus each dial in flight with the probability that it still turns
  into a human verdict given its age (Bayes with the answer-time survival and the empirical
  survival of failures), plus Binomial(n, p) answers from n new dials;
* M = supply - demand (before the new dials) is a Poisson-binomial difference; the marginal
  abandon probability of the (k+1)-th new dial is P(X_k >= M) with X_k ~ Binomial(k, p), and the
  expected abandons of n new dials is E[(X_n - M)+] (the snapshot rule of domain.md).
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np
from scipy import special

from dialer.pacing.inputs import PacerInputs
from dialer.rng import Dist
from dialer.stats import Histogram

GRID_S = 0.25  # time step of the discretised distributions
AGE_BIN_S = 0.5  # bins of the ages at which the OCS's own results come back


def _pmf(dist: Dist, upper: float) -> np.ndarray:
    """Probabilities of ``dist`` in bins of GRID_S on [0, upper) (the tail beyond is dropped)."""
    edges = np.arange(GRID_S, upper + GRID_S, GRID_S)
    cdf = dist.cdf(edges)  # mass at exactly 0 (a constant 0) falls in the first bin
    return np.maximum(np.diff(np.concatenate([[0.0], cdf])), 0.0)


def human_verdict_pmf(inputs: PacerInputs) -> np.ndarray:
    """Time from a dial to a human CPD verdict, given that the person answers in time (as the
    OCS believes it: its answer and detection time beliefs)."""
    answer = _pmf(inputs.beliefs.answer_time_s, inputs.ring_timeout_s)
    total = answer.sum()
    answer = answer / total if total > 0 else answer
    if not inputs.amd:
        return answer
    d = inputs.beliefs.detect_time_s
    detect = _pmf(d, max(d.mean + 6 * d.std, d.mean * 1.01, GRID_S * 2))
    return np.convolve(answer, detect / max(detect.sum(), 1e-12))


def _residual_table(dist: Dist, free_after: np.ndarray, max_elapsed: float) -> np.ndarray:
    """q(e) for e = 0, 1, 2, ... s: P(done by the horizon | elapsed e), where ``free_after[k]``
    is the probability of being free by the horizon if the state ends k grid steps from now."""
    k = len(free_after)
    elapsed = np.arange(0.0, max_elapsed + 1.0, 1.0)
    edges = elapsed[:, None] + np.arange(k + 1)[None, :] * GRID_S
    cdf = dist.cdf(edges)
    ends_in_bin = np.maximum(np.diff(cdf, axis=1), 0.0)
    survival = np.maximum(1.0 - cdf[:, 0], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = (ends_in_bin @ free_after) / survival
    q = np.where(survival > 1e-12, q, 1.0)
    return np.clip(q, 0.0, 1.0)


def _max_elapsed(dist: Dist) -> float:
    if dist.is_constant:
        return dist.mean + 1.0
    hi = dist.mean + 12 * dist.std
    if dist.kind == "empirical":
        hi = max(dist.values) + 1.0
    return float(min(max(hi, 10.0), 6 * 3600.0))


class AgentForecast:
    """Per agent group: the probability that a busy agent is free before a new dial's answer."""

    def __init__(self, inputs: PacerInputs, horizon_pmf: np.ndarray):
        # horizon = human verdict time of a new dial + the abandon grace
        h = horizon_pmf
        grace = int(round(inputs.abandon_after_s / GRID_S))
        h = np.concatenate([np.zeros(grace), h])
        h = h / max(h.sum(), 1e-12)
        steps = len(h)
        self.tables: list[dict[str, np.ndarray]] = []
        # free by the horizon if the current state ends k steps from now: P(H >= k)
        by_step = np.cumsum(h[::-1])[::-1]
        for g in inputs.beliefs.groups:
            # talk ends k steps from now, then the wrap-up: P(k + wrap <= H)
            wrap_cum = np.cumsum(_pmf(g.wrap_time_s, steps * GRID_S)[:steps])
            after_talk = np.array(
                [float(np.dot(h[k:], wrap_cum[: steps - k])) for k in range(steps)]
            )
            self.tables.append(
                {
                    "talk": _residual_table(g.talk_time_s, after_talk, _max_elapsed(g.talk_time_s)),
                    "wrap": _residual_table(g.wrap_time_s, by_step, _max_elapsed(g.wrap_time_s)),
                }
            )

    def free_probabilities(self, busy: list[tuple[str, float, int]]) -> list[float]:
        out = []
        for state, elapsed, group in busy:
            table = self.tables[group][state]
            i = int(elapsed)
            out.append(float(table[i if i < len(table) else -1]))
        return out


class DialHistory:
    """The OCS's own recent results: the hit ratio and when verdicts come.

    Hit ratio estimator: among the last ``size`` dials *in dial order* whose outcome is surely
    known (placed more than ``max_age`` seconds ago, past the ring timeout and detection), the
    share that ended in a human verdict. Counting results in the order they arrive instead
    would be biased: after a burst of dials the quick failures (busy, SIT) come back before any
    person answers, the hit ratio would look low, and the dialer would dial harder still.
    The same window gives the ages at which human verdicts (machines passed as persons among
    them) and failures come back.
    """

    def __init__(self, size: int, max_age: float):
        self.size = size
        self.max_age = max_age
        self.pending: list[tuple[float, int, bool, float]] = []  # (dial time, seq, human, age)
        self._seq = 0
        self.window: deque[tuple[float, bool]] = deque()
        self.human_ages = Histogram(AGE_BIN_S, int(max_age / AGE_BIN_S) + 1)
        self.failure_ages = Histogram(AGE_BIN_S, int(max_age / AGE_BIN_S) + 1)

    def add(self, now: float, age: float, human: bool) -> None:
        self._seq += 1
        heapq.heappush(self.pending, (now - age, self._seq, human, age))

    def mature(self, now: float) -> None:
        """Move the results of dials placed more than ``max_age`` ago into the window."""
        pending = self.pending
        while pending and pending[0][0] <= now - self.max_age:
            _, _, human, age = heapq.heappop(pending)
            self.window.append((age, human))
            (self.human_ages if human else self.failure_ages).add(age, 1)
            if len(self.window) > self.size:
                old_age, old_human = self.window.popleft()
                (self.human_ages if old_human else self.failure_ages).add(old_age, -1)

    def __len__(self) -> int:
        return len(self.window)

    @property
    def humans(self) -> int:
        return self.human_ages.n

    @property
    def hit_ratio(self) -> float:
        return self.humans / len(self.window) if self.window else 0.0

    def human_survival(self, ages: np.ndarray) -> np.ndarray:
        """Share of recent human verdicts that came later than each age after the dial."""
        return self.human_ages.survival(ages)

    def failure_survival(self, ages: np.ndarray) -> np.ndarray:
        """Share of recent failures that took longer than each age to resolve."""
        return self.failure_ages.survival(ages)


def difference_pmf(plus: np.ndarray, minus: np.ndarray) -> tuple[int, np.ndarray]:
    """Distribution of (sum of Bernoulli(plus)) - (sum of Bernoulli(minus)): (lowest value, pmf).

    Certain and impossible terms are taken out first; the rest is the inverse FFT of the
    product of the terms' characteristic functions, evaluated on the roots of unity.
    """
    plus = np.asarray(plus, dtype=float)
    minus = np.asarray(minus, dtype=float)
    shift = int(np.count_nonzero(plus >= 1 - 1e-9)) - int(np.count_nonzero(minus >= 1 - 1e-9))
    # terms below 1e-4 change no probability that matters to a dialing decision
    plus = plus[(plus > 1e-4) & (plus < 1 - 1e-9)]
    minus = minus[(minus > 1e-4) & (minus < 1 - 1e-9)]
    size = len(plus) + len(minus) + 1
    if size == 1:
        return shift, np.ones(1)
    if size > 120:
        # many terms: a normal with the exact mean and variance is as good and far cheaper
        mu = plus.sum() - minus.sum()
        sd = math.sqrt(float((plus * (1 - plus)).sum() + (minus * (1 - minus)).sum())) or 1e-9
        lo = int(math.floor(mu - 8 * sd))
        values = np.arange(lo, int(math.ceil(mu + 8 * sd)) + 2)
        pmf = np.diff(special.ndtr((np.concatenate([values, [values[-1] + 1]]) - 0.5 - mu) / sd))
        return shift + lo, pmf / pmf.sum()
    k = np.arange(size)
    z = np.exp(2j * np.pi * k / size)
    phi = (
        np.prod(1 - plus[:, None] + plus[:, None] * z[None, :], axis=0)
        if len(plus)
        else np.ones(size)
    )
    if len(minus):
        phi = phi * np.prod(1 - minus[:, None] + minus[:, None] / z[None, :], axis=0)
    # H(z) = z^len(minus) G(z) has only non-negative powers; its coefficients are FFT(H) / size
    pmf = np.fft.fft(phi * z ** len(minus)).real / size
    pmf = np.clip(pmf, 0.0, None)
    return shift - len(minus), pmf / pmf.sum()


class Snapshot:
    """M = ready - waiting + (busy agents freeing in time) - (dials in flight turning human)."""

    def __init__(self, ready_minus_waiting: int, free_ps, flight_ps):
        lo, pmf = difference_pmf(free_ps, flight_ps)
        self.lo = ready_minus_waiting + lo
        self.cdf = np.cumsum(pmf)

    def p_m_at_most(self, x: np.ndarray) -> np.ndarray:
        """P(M <= x) for integer x >= 0."""
        i = x - self.lo
        out = np.where(i >= len(self.cdf) - 1, 1.0, self.cdf[np.clip(i, 0, len(self.cdf) - 1)])
        return np.where(i < 0, 0.0, out)

    def marginal(self, k: int, p: float, binom: np.ndarray) -> float:
        """P(X_k >= M): the chance that the answer of the (k+1)-th new dial finds no agent."""
        return float(np.dot(binom, self.p_m_at_most(np.arange(k + 1))))


def next_binomial(binom: np.ndarray, p: float) -> np.ndarray:
    out = np.empty(len(binom) + 1)
    out[0] = binom[0] * (1 - p)
    out[1:-1] = binom[1:] * (1 - p) + binom[:-1] * p
    out[-1] = binom[-1] * p
    return out


def dials_marginal_rule(snap: Snapshot, p: float, threshold: float, n_max: int) -> list[float]:
    """Add dials while the next one's answer would find no agent with probability <= threshold;
    the forecast abandon probability (given an answer) of each dial placed."""
    binom = np.ones(1)
    placed: list[float] = []
    while len(placed) < n_max:
        m = snap.marginal(len(placed), p, binom)
        if m > threshold:
            break
        placed.append(m)
        binom = next_binomial(binom, p)
    return placed
