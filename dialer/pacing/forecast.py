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

The cost of a forecast does not grow with the team: busy agents and dials in flight are read as
counts by elapsed time (:mod:`dialer.pacing.ages`), so the terms of M come as (probability,
count) pairs, at most one pair per elapsed second of the tables. With up to ``EXACT_TERMS``
uncertain terms (or more while its variance is small: :func:`exact_wanted`) M's distribution
is exact (every term a Bernoulli added, M shifted by the minus terms: one discrete Fourier
transform of the generating function at the roots of unity); beyond, a normal with its exact
mean, variance and skewness (an Edgeworth correction), whose
error against the exact distribution a test bounds.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections import deque

import numpy as np

from dialer.pacing.ages import Ages
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


def bernoulli_cumulants(q: np.ndarray) -> np.ndarray:
    """Rows: mean, variance and third cumulant of Bernoulli(q) for each q."""
    v = q * (1 - q)
    return np.stack([q, v, v * (1 - 2 * q)])


class FreeTable:
    """For a busy state of one group: P(free before a new dial's answer | e seconds elapsed),
    e = 0 .. span - 1 (the last value beyond), with the cumulants the forecast sums."""

    __slots__ = ("q", "span", "cumulants")

    def __init__(self, q: np.ndarray):
        self.q = q
        self.span = len(q)
        self.cumulants = bernoulli_cumulants(q)


class AgentForecast:
    """Per agent group: the probability that a busy agent is free before a new dial's answer."""

    def __init__(self, inputs: PacerInputs, horizon_pmf: np.ndarray):
        # horizon = human verdict time of a new dial + the abandon grace
        h = horizon_pmf
        grace = int(round(inputs.abandon_after_s / GRID_S))
        h = np.concatenate([np.zeros(grace), h])
        h = h / max(h.sum(), 1e-12)
        steps = len(h)
        self.tables: list[tuple[FreeTable, FreeTable]] = []  # per group: (talk, wrap)
        # free by the horizon if the current state ends k steps from now: P(H >= k)
        by_step = np.cumsum(h[::-1])[::-1]
        for g in inputs.beliefs.groups:
            # talk ends k steps from now, then the wrap-up: P(k + wrap <= H)
            wrap_cum = np.cumsum(_pmf(g.wrap_time_s, steps * GRID_S)[:steps])
            after_talk = np.array(
                [float(np.dot(h[k:], wrap_cum[: steps - k])) for k in range(steps)]
            )
            talk = _residual_table(g.talk_time_s, after_talk, _max_elapsed(g.talk_time_s))
            wrap = _residual_table(g.wrap_time_s, by_step, _max_elapsed(g.wrap_time_s))
            self.tables.append((FreeTable(talk), FreeTable(wrap)))

    def free_cumulants(self, busy: list[tuple[Ages, Ages]], now: float) -> np.ndarray:
        """Mean, variance and third cumulant of the busy agents who free in time."""
        out = np.zeros(3)
        for (talk, wrap), tables in zip(busy, self.tables, strict=True):
            for ages, table in ((talk, tables[0]), (wrap, tables[1])):
                if ages.n == 0:
                    continue
                seg, older = ages.at(now, table.span)
                out += table.cumulants[:, : len(seg)] @ seg
                if older:
                    out += table.cumulants[:, -1] * older
        return out

    def free_terms(self, busy: list[tuple[Ages, Ages]], now: float) -> tuple[list, list]:
        """(probabilities, counts) of the busy agents, one pair per elapsed second with an
        agent in it."""
        qs: list[float] = []
        counts: list[int] = []
        for (talk, wrap), tables in zip(busy, self.tables, strict=True):
            for ages, table in ((talk, tables[0]), (wrap, tables[1])):
                if ages.n == 0:
                    continue
                seg, older = ages.at(now, table.span)
                nz = seg.nonzero()[0]
                qs += table.q[nz].tolist()
                counts += seg[nz].tolist()
                if older:
                    qs.append(float(table.q[-1]))
                    counts.append(older)
        return qs, counts


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
        self.changes = 0  # results that entered the window so far
        self.window: deque[tuple[float, float, bool]] = deque()  # (dial time, age, human)
        self.human_ages = Histogram(AGE_BIN_S, int(max_age / AGE_BIN_S) + 1)
        self.failure_ages = Histogram(AGE_BIN_S, int(max_age / AGE_BIN_S) + 1)

    def add(self, now: float, age: float, human: bool) -> None:
        self._seq += 1
        heapq.heappush(self.pending, (now - age, self._seq, human, age))

    def mature(self, now: float) -> None:
        """Move the results of dials placed more than ``max_age`` ago into the window."""
        pending, window = self.pending, self.window
        if not pending or pending[0][0] > now - self.max_age:
            return  # nothing new is surely resolved
        while pending and pending[0][0] <= now - self.max_age:
            dialed, _, human, age = heapq.heappop(pending)
            window.append((dialed, age, human))
            (self.human_ages if human else self.failure_ages).add(age, 1)
            self.changes += 1
        # Keep the last `size` dials in dial order. Dials placed at one instant (a burst) leave
        # the window together: their results arrived in outcome order (failures first), so
        # keeping only the later arrivals of a burst would bias the hit ratio low.
        while len(window) > self.size:
            first = window[0][0]
            group = 1
            while group < len(window) and window[group][0] == first:
                group += 1
            if len(window) - group < self.size:
                break
            for _ in range(group):
                _, old_age, old_human = window.popleft()
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


EXACT_TERMS = 32  # up to this many uncertain terms, M's distribution is computed exactly
# ... and beyond, while M's variance is under VAR_EXACT (up to EXACT_MAX_TERMS terms): many
# terms of small probability make a lumpy, skewed M that the normal describes badly (an error
# of 0.011 in a dial's abandon probability at 33 terms and a variance of 2.7; under 0.004
# from a variance of 4 up, tests/test_forecast.py)
VAR_EXACT = 4.0
EXACT_MAX_TERMS = 400
NEGLIGIBLE = 1e-4  # terms below this probability change no decision that matters
CERTAIN = 1 - 1e-9
_ROOT_2PI = math.sqrt(2 * math.pi)


def _split(
    values: np.ndarray | list[float], counts: np.ndarray | list[int] | None
) -> tuple[int, list, list]:
    """(certain count, uncertain values, their counts) of terms given as (probability, count)
    pairs, arrays or lists (counts None: one each); terms of count 0 and negligible ones are
    left out. The terms are few (one per age bin with anybody in it, at most a few dozen on
    the exact path), so they are sorted out as Python numbers."""
    if isinstance(values, np.ndarray):
        values = values.astype(float, copy=False)
        if counts is None:
            values, counts = values.tolist(), [1] * len(values)
        else:
            counts = np.asarray(counts)
            nz = counts.nonzero()[0]
            values, counts = values[nz].tolist(), counts[nz].astype(np.int64).tolist()
    elif counts is None:
        counts = [1] * len(values)
    certain, kept, kept_counts = 0, [], []
    for v, c in zip(values, counts, strict=True):
        if c <= 0:
            continue
        if v >= CERTAIN:
            certain += c
        elif v > NEGLIGIBLE:
            kept.append(v)
            kept_counts.append(c)
    return int(certain), kept, kept_counts


def exact_wanted(terms: int, var: float) -> bool:
    """Whether M's distribution is worked out exactly rather than from its cumulants."""
    return terms <= EXACT_TERMS or (var < VAR_EXACT and terms <= EXACT_MAX_TERMS)


@functools.lru_cache(maxsize=128)
def _steps(size: int) -> np.ndarray:
    """z - 1 for the ``size``-th roots of unity z, where M's generating function is evaluated
    (the same few sizes come back decision after decision)."""
    steps = np.exp(2j * np.pi * np.arange(size) / size) - 1.0
    steps.flags.writeable = False
    return steps


def _edgeworth_cdf(x: float, mean: float, var: float, third: float) -> float:
    """P(Y <= x) for a sum Y of many independent terms with these cumulants: the normal with
    the first Edgeworth (skewness) correction, clipped to [0, 1]."""
    if var <= 1e-12:
        return 1.0 if x >= mean else 0.0
    sd = math.sqrt(var)
    z = (x - mean) / sd
    gamma = third / (var * sd)
    f = (
        0.5 * math.erfc(-z / math.sqrt(2))
        - gamma / 6 * (z * z - 1) * math.exp(-z * z / 2) / _ROOT_2PI
    )
    return min(1.0, max(0.0, f))


class Snapshot:
    """M = base + (sum of Bernoulli(plus)) - (sum of Bernoulli(minus)).

    From the terms as (probability, count) pairs, the distribution is exact (up to EXACT_TERMS
    uncertain terms); :meth:`approximate` describes M by its mean, variance and third cumulant
    instead (a normal with an Edgeworth correction), at a cost that does not grow with the
    number of terms.
    """

    __slots__ = ("lo", "cdf", "exact", "_moments", "_terms")

    def __init__(
        self,
        base: int,
        plus: np.ndarray | list[float],
        minus: np.ndarray | list[float] | None = None,
        plus_counts: np.ndarray | list[int] | None = None,
        minus_counts: np.ndarray | list[int] | None = None,
    ):
        sure_plus, p, pc = _split(plus, plus_counts)
        sure_minus, m, mc = _split([] if minus is None else minus, minus_counts)
        base += sure_plus - sure_minus
        self.exact = True
        self._moments: tuple[float, float, float] | None = None  # worked out when asked for
        self._terms = (base, p, pc, m, mc)
        self.lo, self.cdf = base, np.ones(1)
        # -Bernoulli(m) = Bernoulli(1 - m) - 1: every term a Bernoulli added, M shifted down by
        # one per minus term
        r: list[float] = []
        for v, c in zip(p, pc, strict=True):
            r += [v] * c
        downs = 0
        for v, c in zip(m, mc, strict=True):
            r += [1.0 - v] * c
            downs += c
        size = len(r) + 1
        if size == 1:
            return
        # the generating function prod(1 - r + r z) at the size-th roots of unity; its
        # coefficients (M's probabilities from lo up) are their discrete Fourier transform over
        # size (the factor goes with the normalisation of the cumulative sum below)
        terms = np.array(r)
        pmf = np.fft.fft(np.prod(1.0 + terms[:, None] * _steps(size), axis=0)).real
        np.maximum(pmf, 0.0, out=pmf)  # rounding can leave tiny negatives
        self.lo = base - downs
        cdf = np.cumsum(pmf)
        cdf /= cdf[-1]
        self.cdf = cdf

    @classmethod
    def approximate(cls, mean: float, var: float, third: float) -> Snapshot:
        snap = cls.__new__(cls)
        snap.exact = False
        snap._moments = (mean, var, third)
        snap.lo, snap.cdf = 0, np.ones(1)
        return snap

    def moments(self) -> tuple[float, float, float]:
        """M's mean, variance and third cumulant (the exact path does not need them: worked
        out the first time they are asked for)."""
        if self._moments is None:
            base, *terms = self._terms
            p, pc, m, mc = (np.array(t, dtype=float) for t in terms)
            self._moments = (
                base + float(pc @ p - mc @ m),
                float(pc @ (p * (1 - p)) + mc @ (m * (1 - m))),
                float(pc @ (p * (1 - p) * (1 - 2 * p)) - mc @ (m * (1 - m) * (1 - 2 * m))),
            )
        return self._moments

    @property
    def mean(self) -> float:
        return self.moments()[0]

    @property
    def var(self) -> float:
        return self.moments()[1]

    @property
    def third(self) -> float:
        return self.moments()[2]

    def p_m_at_most(self, x: np.ndarray) -> np.ndarray:
        """P(M <= x) for integers x."""
        if not self.exact:
            mean, var, third = self.moments()
            return np.array([_edgeworth_cdf(v + 0.5, mean, var, third) for v in x])
        i = x - self.lo
        cdf = self.cdf
        out = np.where(i >= len(cdf) - 1, 1.0, cdf[np.clip(i, 0, len(cdf) - 1)])
        return np.where(i < 0, 0.0, out)

    def marginal(self, k: int, p: float, binom: np.ndarray | None = None) -> float:
        """P(X_k >= M): the chance that the answer of the (k+1)-th new dial finds no agent."""
        if not self.exact:
            # X_k - M, its cumulants summed: P(X_k - M >= 0) = 1 - P(X_k - M <= -1/2)
            m_mean, m_var, m_third = self.moments()
            q = k * p * (1 - p)
            mean = k * p - m_mean
            return 1.0 - _edgeworth_cdf(-0.5, mean, q + m_var, q * (1 - 2 * p) - m_third)
        if k == 0:  # P(M <= 0), read off (the first new dial: most decisions stop there)
            i = -self.lo
            if i < 0:
                return 0.0
            return float(self.cdf[i]) if i < len(self.cdf) - 1 else 1.0
        if binom is None:
            binom = np.array([math.comb(k, x) * p**x * (1 - p) ** (k - x) for x in range(k + 1)])
        return float(np.dot(binom, self._cdf_up_to(k)))

    def _cdf_up_to(self, k: int) -> np.ndarray:
        """P(M <= x) for x = 0 .. k (exact path): :meth:`p_m_at_most` by slices."""
        cdf, lo = self.cdf, self.lo
        top = len(cdf) - 1  # from this index on, P(M <= x) is 1
        out = np.ones(k + 1)
        a, b = max(0, lo), min(k + 1, lo + top)  # the x whose index x - lo lies in [0, top)
        if a < b:
            out[a:b] = cdf[a - lo : b - lo]
        out[: max(0, min(k + 1, lo))] = 0.0  # x < lo: M is never that small
        return out


def next_binomial(binom: np.ndarray, p: float) -> np.ndarray:
    out = np.empty(len(binom) + 1)
    out[0] = binom[0] * (1 - p)
    out[1:-1] = binom[1:] * (1 - p) + binom[:-1] * p
    out[-1] = binom[-1] * p
    return out


def dials_marginal_rule(snap: Snapshot, p: float, threshold: float, n_max: int) -> list[float]:
    """Add dials while the next one's answer would find no agent with probability <= threshold;
    the forecast abandon probability (given an answer) of each dial placed."""
    placed: list[float] = []
    if not snap.exact:
        while len(placed) < n_max:
            m = snap.marginal(len(placed), p)
            if m > threshold:
                break
            placed.append(m)
        return placed
    binom = np.ones(1)
    while len(placed) < n_max:
        m = snap.marginal(len(placed), p, binom)
        if m > threshold:
            break
        placed.append(m)
        binom = next_binomial(binom, p)
    return placed
