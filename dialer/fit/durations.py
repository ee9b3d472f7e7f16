"""Fitting a duration: candidate families by maximum likelihood, the best by AIC, checked by KS and QQ.

A centre's durations are rarely a clean sample. Calls still up when the log ends are
*right-censored* (the talk time is at least what was seen); answer times are *truncated* at
the ring timeout (a person who would have answered at 30 s is recorded as a no-answer, among
the no-answers of empty homes, so the answer times seen are those below the timeout and the
no-answers say nothing about which were which); and the machine answers the CPD saw hold a few
persons it took for machines. The likelihood says all three:

    log L = sum over seen values x of  log[(1 - w) f(x) / F(T) + w g(x)]
          + sum over values still open at c of  log(1 - F(c))

with f, F the candidate's density and distribution, T the truncation point (infinite when
none), and w, g a known contamination (weight and density). Each of lognormal, gamma,
exponential and Weibull (scipy.stats) is fitted by maximising it (Nelder-Mead on log
parameters from moment estimates); AIC picks among them (within 2 units of the best, the
one-parameter exponential is preferred). The Kolmogorov-Smirnov distance
between the fitted distribution (truncated, mixed) and the data's (Kaplan-Meier where censored)
says whether the pick fits: if it exceeds both the 1% critical value 1.628/sqrt(n) and 0.02,
no family fits and the data's own quantiles are used (an empirical distribution). The QQ
check gives the largest gap between fitted and observed quantiles from the 5th to the 95th
percentile, as a share of the data's range between those percentiles.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, stats

from dialer.rng import Dist, weibull_shape

FAMILIES = ("lognormal", "gamma", "exponential", "weibull")
KS_FLOOR = 0.02  # a CDF gap below this is kept whatever the sample size
KS_C99 = 1.628  # the KS 1% critical value is KS_C99 / sqrt(n)
EMPIRICAL_POINTS = 100
SMALL = 20  # fewer values than this: no family is fitted, the values are used as they are
RESOLUTION = 1e-3  # records give times to the millisecond; a zero becomes this


@dataclass
class Candidate:
    family: str
    mean: float
    sd: float
    loglik: float
    aic: float
    ks: float
    frozen: Any = field(repr=False, default=None)


@dataclass
class DurationFit:
    """A fitted duration: the distribution for the campaign file and the evidence behind it."""

    dist: Dist
    n: int  # values seen in full
    n_open: int  # values still going at the end of the log (right-censored)
    method: str  # how the distribution was chosen, one phrase
    truncated_at: float | None = None
    contamination: float = 0.0
    candidates: list[Candidate] = field(default_factory=list)
    ks: float | None = None
    ks_critical: float | None = None
    qq_gap: float | None = None  # largest quantile gap, p5 to p95, over the data's p5-p95 range
    qq: list[tuple[float, float]] = field(default_factory=list)  # (fitted, observed) quantiles
    sample: list[float] = field(default_factory=list)  # values seen, thinned, for histograms
    curve: list[tuple[float, float]] = field(default_factory=list)  # (x, fitted density)

    @property
    def chosen(self) -> Candidate | None:
        return next((c for c in self.candidates if c.family == self.dist.kind), None)

    def summary(self) -> str:
        """n, method and goodness of fit in one line (the campaign file's comment)."""
        parts = [f"n={self.n}"]
        if self.n_open:
            parts[0] += f" (+{self.n_open} still going at the end: censored)"
        parts.append(self.method)
        if self.truncated_at is not None:
            parts.append(f"truncated at {self.truncated_at:g} s")
        if self.contamination:
            parts.append(f"{100 * self.contamination:.1f}% persons mixed in, allowed for")
        if self.ks is not None:
            parts.append(f"KS {self.ks:.3f} (1% critical {self.ks_critical:.3f})")
        if self.qq_gap is not None:
            parts.append(f"QQ gap {100 * self.qq_gap:.1f}% of the p5-p95 range")
        return "; ".join(parts)


# -- the families -------------------------------------------------------------------------------


def _frozen(family: str, theta: np.ndarray):
    a, b = float(theta[0]), float(theta[-1])
    if family == "lognormal":
        return stats.lognorm(s=math.exp(a), scale=math.exp(b))
    if family == "gamma":
        return stats.gamma(math.exp(a), scale=math.exp(b))
    if family == "exponential":
        return stats.expon(scale=math.exp(a))
    return stats.weibull_min(math.exp(a), scale=math.exp(b))


def _start(family: str, mean: float, sd: float) -> np.ndarray:
    cv = max(sd / mean, 0.05) if mean > 0 else 1.0
    if family == "lognormal":
        s2 = math.log1p(cv * cv)
        return np.array([0.5 * math.log(s2), math.log(mean) - s2 / 2])
    if family == "gamma":
        shape = 1 / (cv * cv)
        return np.array([math.log(shape), math.log(mean / shape)])
    if family == "exponential":
        return np.array([math.log(mean)])
    k = weibull_shape(cv)
    return np.array([math.log(k), math.log(mean / math.gamma(1 + 1 / k))])


def _loglik(
    frozen,
    seen: np.ndarray,
    open_: np.ndarray,
    upper: float | None,
    mix: tuple[float, np.ndarray] | None,
) -> float:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_norm = 0.0 if upper is None else float(frozen.logcdf(upper))
        if not math.isfinite(log_norm):
            return -math.inf
        if mix is None:
            ll = float(np.sum(frozen.logpdf(seen))) - len(seen) * log_norm
        else:
            w, g = mix
            dens = (1 - w) * np.exp(frozen.logpdf(seen) - log_norm) + w * g
            ll = float(np.sum(np.log(dens)))
        if len(open_):
            ll += float(np.sum(frozen.logsf(open_)))
    return ll if math.isfinite(ll) else -math.inf


def _fit_family(family, seen, open_, upper, mix) -> tuple[Any, float]:
    m = float(np.mean(seen))
    s = float(np.std(seen)) or m * 0.1
    x0 = _start(family, m, s)

    def nll(theta: np.ndarray) -> float:
        if np.any(np.abs(theta) > 50):
            return 1e300
        ll = _loglik(_frozen(family, theta), seen, open_, upper, mix)
        return -ll if math.isfinite(ll) else 1e300

    res = optimize.minimize(
        nll, x0, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 4000}
    )
    theta = res.x if res.fun < nll(x0) else x0
    return _frozen(family, theta), -nll(theta)


# -- the data's own distribution ---------------------------------------------------------------


def kaplan_meier(values: np.ndarray, open_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(times, P(duration <= time)) at each distinct time seen in full (Kaplan-Meier)."""
    order = np.lexsort((open_, values))  # at equal times, completions before censorings
    v, o = values[order], open_[order]
    n = len(v)
    at_risk = n - np.arange(n)
    factors = np.where(o, 1.0, 1.0 - 1.0 / at_risk)
    surv = np.cumprod(factors)
    keep = ~o
    times, cdf = v[keep], 1.0 - surv[keep]
    # one point per distinct time (the last, after all its completions)
    last = np.r_[times[1:] != times[:-1], True] if len(times) else np.array([], bool)
    return times[last], cdf[last]


class _Model:
    """The fitted distribution as the data see it: truncated and mixed like the sample."""

    def __init__(self, dist_cdf: Callable, upper: float | None, mix_cdf: Callable | None, w: float):
        self.dist_cdf, self.upper, self.mix_cdf, self.w = dist_cdf, upper, mix_cdf, w
        self.norm = 1.0 if upper is None else float(dist_cdf(np.array([upper]))[0]) or 1.0

    def cdf(self, x: np.ndarray) -> np.ndarray:
        f = np.minimum(self.dist_cdf(x) / self.norm, 1.0)
        if self.mix_cdf is not None and self.w:
            f = (1 - self.w) * f + self.w * self.mix_cdf(x)
        return f

    def ppf(self, p: np.ndarray, top: float) -> np.ndarray:
        hi = self.upper if self.upper is not None else top
        grid = np.linspace(0.0, hi, 4001)
        c = np.maximum.accumulate(self.cdf(grid))
        return np.interp(p, c, grid)


def _ks(model: _Model, values: np.ndarray, open_: np.ndarray) -> float:
    if open_.any():
        t, ecdf = kaplan_meier(values, open_)
        if not len(t):
            return 1.0
        before = np.r_[0.0, ecdf[:-1]]
        f = model.cdf(t)
        return float(max(np.max(np.abs(f - ecdf)), np.max(np.abs(f - before))))
    x = np.sort(values)
    n = len(x)
    f = model.cdf(x)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - f), np.max(f - (i - 1) / n)))


def _quantiles(values: np.ndarray, open_: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The data's quantiles at ``p`` (Kaplan-Meier where censored; nan beyond what it shows)."""
    if not open_.any():
        return np.quantile(values, p)
    t, cdf = kaplan_meier(values, open_)
    idx = np.searchsorted(cdf, p, side="left")
    out = np.full(len(p), np.nan)
    ok = idx < len(t)
    out[ok] = t[idx[ok]]
    return out


def _thin(values: np.ndarray, limit: int = 4000) -> list[float]:
    x = np.sort(values)
    if len(x) > limit:
        x = x[np.linspace(0, len(x) - 1, limit).round().astype(int)]
    return [round(float(v), 3) for v in x]


# -- the fit ------------------------------------------------------------------------------------


def fit_duration(
    values,
    still_open=None,
    *,
    truncated_at: float | None = None,
    contamination: tuple[float, Dist, float | None] | None = None,
    families: tuple[str, ...] = FAMILIES,
) -> DurationFit | None:
    """Fit one duration; None when there is no value at all.

    ``still_open`` marks values that are lower bounds (right-censored). ``truncated_at``: only
    values up to it can be seen. ``contamination``: (weight, distribution, its truncation) of
    a known other kind mixed into the sample.
    """
    raw = np.maximum(np.asarray(values, dtype=float), 0.0)
    v = np.maximum(raw, RESOLUTION)
    o = (
        np.zeros(len(v), bool)
        if still_open is None
        else np.asarray(still_open, dtype=bool)[: len(v)]
    )
    if not len(v):
        return None
    seen, open_ = v[~o], v[o]
    if not len(seen):
        return None
    spread = float(np.max(seen) - np.min(seen))
    if spread <= max(RESOLUTION, 1e-3 * float(np.mean(seen))):
        value = round(float(np.mean(raw[~o])), 3)
        return DurationFit(
            Dist.constant(value),
            len(seen),
            len(open_),
            f"constant (every value seen is {value:g} s)",
            sample=_thin(seen),
        )
    if len(seen) < SMALL:
        return _empirical(
            seen, open_, f"empirical: only {len(seen)} values, too few to fit a family", None
        )
    mix = None
    w = 0.0
    mix_cdf = None
    if contamination is not None and contamination[0] > 0:
        w, other, other_upper = contamination
        norm = float(other.cdf(np.array([other_upper]))[0]) if other_upper else 1.0
        norm = norm or 1.0
        mix = (w, _density(other, seen) / norm)

        def mix_cdf(x, other=other, norm=norm):
            return np.minimum(other.cdf(x) / norm, 1.0)

    candidates = []
    for family in families:
        frozen, ll = _fit_family(family, seen, open_, truncated_at, mix)
        k = 1 if family == "exponential" else 2
        mean, sd = float(frozen.mean()), float(frozen.std())
        if not (math.isfinite(ll) and math.isfinite(mean) and math.isfinite(sd) and mean > 0):
            continue
        model = _Model(frozen.cdf, truncated_at, mix_cdf, w)
        candidates.append(Candidate(family, mean, sd, ll, 2 * k - 2 * ll, _ks(model, v, o), frozen))
    if not candidates:
        return _empirical(seen, open_, "empirical: no family could be fitted", truncated_at)
    candidates.sort(key=lambda c: c.aic)
    # Within 2 AIC units of the best the data cannot tell models apart: the simplest is kept
    # (an exponential, a gamma or Weibull of shape 1, is not bettered by its extra parameter).
    close = [c for c in candidates if c.aic <= candidates[0].aic + 2]
    best = min(close, key=lambda c: (c.family != "exponential", c.aic))
    candidates.remove(best)
    candidates.insert(0, best)
    critical = KS_C99 / math.sqrt(len(seen))
    dist = Dist(best.family, mean_=best.mean, sd=best.sd if best.family != "exponential" else 0.0)
    if best.family == "exponential":
        dist = Dist("exponential", mean_=best.mean)
    model = _Model(dist.cdf, truncated_at, mix_cdf, w)
    if best.ks > max(critical, KS_FLOOR):
        fit = _empirical(
            seen,
            open_,
            f"empirical: no family fits (best by AIC, {best.family}, has KS {best.ks:.3f})",
            truncated_at,
        )
        fit.candidates, fit.ks_critical = candidates, critical
        return fit
    delta = candidates[1].aic - best.aic if len(candidates) > 1 else math.inf
    method = f"{best.family} by AIC (ML"
    method += ", next best " + (
        f"{candidates[1].family} {delta:+.1f})" if len(candidates) > 1 else "none)"
    )
    fit = DurationFit(
        dist,
        len(seen),
        len(open_),
        method,
        truncated_at=truncated_at,
        contamination=w,
        candidates=candidates,
        ks=best.ks,
        ks_critical=critical,
        sample=_thin(seen),
    )
    _qq_and_curve(fit, model, v, o)
    return fit


def _density(dist: Dist, x: np.ndarray) -> np.ndarray:
    h = 1e-3 * max(dist.mean, 1.0)
    return np.maximum((dist.cdf(x + h) - dist.cdf(np.maximum(x - h, 0))) / (2 * h), 1e-300)


def _empirical(seen, open_, method: str, truncated_at: float | None) -> DurationFit:
    v = np.r_[seen, open_]
    o = np.r_[np.zeros(len(seen), bool), np.ones(len(open_), bool)]
    p = (np.arange(EMPIRICAL_POINTS) + 0.5) / EMPIRICAL_POINTS
    q = _quantiles(v, o, p)
    q = q[np.isfinite(q)]
    values = tuple(
        round(float(x), 3) for x in (q if len(seen) >= EMPIRICAL_POINTS else np.sort(seen))
    )
    dist = Dist("empirical", values=values)
    fit = DurationFit(
        dist, len(seen), len(open_), method, truncated_at=truncated_at, sample=_thin(seen)
    )
    model = _Model(dist.cdf, None, None, 0.0)
    fit.ks = _ks(model, v, o)
    fit.ks_critical = KS_C99 / math.sqrt(len(seen))
    _qq_and_curve(fit, model, v, o)
    return fit


def _qq_and_curve(fit: DurationFit, model: _Model, v: np.ndarray, o: np.ndarray) -> None:
    p = np.arange(1, 100) / 100
    top = float(np.max(v)) * 1.5
    data_q = _quantiles(v, o, p)
    model_q = model.ppf(p, top)
    ok = np.isfinite(data_q)
    fit.qq = [(round(float(m), 3), round(float(d), 3)) for m, d in zip(model_q[ok], data_q[ok])]
    mid = ok & (p >= 0.05 - 1e-9) & (p <= 0.95 + 1e-9)
    if mid.sum() > 1:
        spread = float(np.max(data_q[mid]) - np.min(data_q[mid]))
        if spread > 0:
            fit.qq_gap = float(np.max(np.abs(model_q[mid] - data_q[mid]))) / spread
    hi = fit.truncated_at if fit.truncated_at is not None else float(np.quantile(v, 0.995)) * 1.2
    x = np.linspace(0.0, hi, 241)[1:]
    c = model.cdf(np.r_[0.0, x])
    dens = np.diff(c) / np.diff(np.r_[0.0, x])
    fit.curve = [(round(float(a), 4), float(b)) for a, b in zip(x - (x[1] - x[0]) / 2, dens)]
