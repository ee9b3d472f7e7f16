"""What a dial reaches: the population's shares from recorded outcomes, by hour, with intervals.

The records count what the dialer saw, and the campaign file wants what was there. Three
corrections lead from one to the other, each from the records or a stated assumption:

* **Invalid numbers are the record's**, drawn once (an invalid number stays invalid and is not
  dialed again), so their share is the SIT share of *first* attempts; the other shares are
  per dial among valid numbers, scaled by (1 - invalid), as the simulator draws them.
* **AMD errs both ways.** Of the persons that answered, a share ``fp`` was taken for machines
  (not in the records: assumed); of the machines, a share ``fn`` was passed to agents, and the
  agents' dispositions show them (a connected call marked answering machine), so
  ``fn`` is estimated from the machines agents found among connected calls. Solving
  ``H = A (1 - fp) + B fn`` and ``M = A fp + B (1 - fn)`` for the persons ``A`` and machines
  ``B`` that answered gives them back from the human (``H``) and machine (``M``) verdicts.
* **The ring timeout hides late answers.** A person whose answer time exceeds the ring timeout
  T is recorded as a no-answer; with the answer-time distribution F fitted (truncated at T),
  the persons dialed are ``A / F(T)`` and the no-answers proper are what is left.

Each share carries the Wilson 95% interval of the share recorded, carried through the
corrections (taken as known). Hours of the called party's day whose outcome mix does not differ
(a chi-square test of homogeneity between neighbours, p > 0.01) are merged into periods,
largest p first; the periods become ``population.by_hour``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from dialer.fit.log import (
    ABANDONED,
    AGENT_MACHINE,
    BUSY,
    FAX,
    INVALID,
    MACHINE,
    NO_ANSWER,
    PERSON,
    Dial,
)
from dialer.rng import Dist
from dialer.stats import wilson

MERGE_P = 0.01  # neighbouring hours whose mix differs less surely than this are merged
MIN_DIALS = 50  # an hour with fewer dials joins a neighbour before any test
# The recorded categories a share is counted in (H: classified human; M: machine verdict).
CATEGORIES = ("human_verdict", "machine_verdict", "fax", "busy", "no_answer")
_CATEGORY_OF = {
    PERSON: 0,
    ABANDONED: 0,
    AGENT_MACHINE: 0,
    MACHINE: 1,
    FAX: 2,
    BUSY: 3,
    NO_ANSWER: 4,
}
SHARES = ("human", "machine", "busy", "no_answer", "fax", "invalid")


def share_interval(k: float, n: int) -> tuple[float, float]:
    """The Wilson 95% interval of a share seen as ``k`` out of ``n`` ((0, 1) when n is 0)."""
    lo, hi = wilson(k, n)
    return (0.0 if lo is None else lo, 1.0 if hi is None else hi)


@dataclass
class Corrections:
    """What turns recorded counts into the population: AMD error rates and answer-time reach."""

    fp: float  # persons taken for machines (assumed or given)
    fn: float  # machines passed as persons (estimated from agents' dispositions, or assumed)
    reach_person: float  # F_person(T): share of persons answering within the ring timeout
    reach_machine: float  # the same for machines and faxes
    amd: bool

    def answered(self, h: float, m: float) -> tuple[float, float]:
        """(persons, machines) that answered, from human and machine verdict counts."""
        if not self.amd:
            return h, m  # without AMD nothing is taken for a machine: see population()
        det = 1 - self.fp - self.fn
        if det <= 1e-9:
            return h, m
        a = (h * (1 - self.fn) - m * self.fn) / det
        b = (m * (1 - self.fp) - h * self.fp) / det
        return max(a, 0.0), max(b, 0.0)


@dataclass
class Band:
    """A period of the called party's day with one mix of outcomes."""

    start_hour: int
    end_hour: int  # exclusive
    counts: list[int]  # per CATEGORIES
    shares: dict[str, float] = field(default_factory=dict)
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return sum(self.counts)


@dataclass
class ShareFit:
    shares: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    recorded: dict[str, int]  # dials per recorded category (+ invalid, unknown)
    dials: int
    invalid_method: str
    fn_evidence: tuple[int, int] | None  # (machines agents found, connected calls)
    bands: list[Band]
    hours: list[dict]  # per hour: n and each category's share with its interval
    notes: list[str] = field(default_factory=list)


def machines_found(dials: list[Dial]) -> tuple[int, int]:
    """(connected calls an agent marked as a machine, connected calls classified human)."""
    found = sum(1 for d in dials if d.outcome == AGENT_MACHINE)
    return found, found + sum(1 for d in dials if d.outcome == PERSON)


def estimate_fn(dials: list[Dial], fp: float) -> float | None:
    """The AMD false-negative rate the agents' dispositions show (None: no machine seen)."""
    found, connected = machines_found(dials)
    h = sum(1 for d in dials if _CATEGORY_OF.get(d.outcome) == 0)
    m = sum(1 for d in dials if d.outcome == MACHINE)
    if not connected:
        return None
    passed = h * found / connected  # machines among all human verdicts, abandoned ones too
    persons = (h - passed) / (1 - fp) if fp < 1 else 0.0
    machines = h + m - persons
    if machines <= 0:
        return None
    return min(max(passed / machines, 0.0), 1.0)


def population(counts: list[float], valid: int, c: Corrections) -> dict[str, float]:
    """Per-valid-dial shares of the population from one period's recorded counts."""
    h, m, fx, b, na = counts
    if not c.amd:
        # Every answer went to an agent: the machines among them are the ones agents found
        # (passed here as ``m``); nothing was classified a machine by CPD.
        persons, machines = h, m
    else:
        persons, machines = c.answered(h, m)
    human = persons / c.reach_person if c.reach_person > 0 else persons
    machine = machines / c.reach_machine if c.reach_machine > 0 else machines
    fax = fx / c.reach_machine if c.reach_machine > 0 else fx
    late = (human - persons) + (machine - machines) + (fax - fx)
    out = {
        "human": human,
        "machine": machine,
        "busy": float(b),
        "no_answer": na - late,
        "fax": fax,
    }
    total = valid if valid else 1
    return {k: v / total for k, v in out.items()}


def _normalize(shares: dict[str, float], invalid: float, notes: list[str] | None) -> dict:
    s = {k: max(v, 0.0) for k, v in shares.items()}
    if shares["no_answer"] < 0 and notes is not None:
        notes.append(
            "fewer no-answers than the persons and machines the fitted answer times put beyond "
            "the ring timeout: no_answer set to 0 (the answer-time tails are too heavy)"
        )
    total = sum(s.values()) or 1.0
    out = {k: v / total * (1 - invalid) for k, v in s.items()}
    out["invalid"] = invalid
    return out


def fit_shares(
    dials: list[Dial],
    corrections: Corrections,
) -> ShareFit:
    """The population's shares (overall and by hour) from the recorded outcomes."""
    notes: list[str] = []
    counted = [d for d in dials if d.outcome in _CATEGORY_OF or d.outcome == INVALID]
    recorded = {
        "human_verdict": 0,
        "machine_verdict": 0,
        "fax": 0,
        "busy": 0,
        "no_answer": 0,
        "invalid": 0,
    }
    for d in counted:
        key = "invalid" if d.outcome == INVALID else CATEGORIES[_CATEGORY_OF[d.outcome]]
        recorded[key] += 1
    # -- invalid: the record's, from first attempts
    firsts = [d for d in counted if d.attempt == 1]
    if firsts:
        k, n1 = sum(1 for d in firsts if d.outcome == INVALID), len(firsts)
        invalid_method = f"SIT share of {n1} first attempts"
    else:
        k, n1 = recorded["invalid"], len(counted)
        invalid_method = "SIT share of all dials (attempt numbers not in the records)"
        notes.append(
            "attempt numbers are not in the records: the invalid share is the SIT share of all "
            "dials, which understates the share of invalid records (they are not redialed)"
        )
    invalid = k / n1 if n1 else 0.0
    inv_ci = share_interval(k, n1)
    valid = [d for d in counted if d.outcome != INVALID]
    if not corrections.amd:
        notes.append("no machine verdicts in the records: AMD taken to be off")
    counts = _counts(valid, corrections)
    shares = _normalize(population(counts, len(valid), corrections), invalid, notes)
    intervals = _intervals(counts, len(valid), corrections, invalid, inv_ci)
    hours = _hours(valid)
    bands = _merge(valid)
    for band in bands:
        band_dials = [d for d in valid if band.start_hour <= _hour(d) < band.end_hour]
        bc = _counts(band_dials, corrections)
        band.shares = _normalize(population(bc, len(band_dials), corrections), invalid, None)
        band.intervals = _intervals(bc, len(band_dials), corrections, invalid, inv_ci)
    no_hours = sum(1 for d in valid if d.local_hour is None)
    if no_hours:
        notes.append(f"{no_hours} dials without a local time are left out of the shares by hour")
    found, connected = machines_found(dials)
    return ShareFit(
        shares,
        intervals,
        recorded,
        len(counted),
        invalid_method,
        (found, connected) if connected else None,
        bands if len(bands) > 1 else [],
        hours,
        notes,
    )


def _counts(dials: list[Dial], c: Corrections) -> list[float]:
    counts = [0.0] * 5
    for d in dials:
        counts[_CATEGORY_OF[d.outcome]] += 1
    if not c.amd:
        # without AMD the machines are those the agents found (and a share of the abandoned)
        h = counts[0]
        found = sum(1 for d in dials if d.outcome == AGENT_MACHINE)
        connected = found + sum(1 for d in dials if d.outcome == PERSON)
        machines = h * found / connected if connected else 0.0
        counts[0], counts[1] = h - machines, machines + counts[1]
    return counts


def _intervals(
    counts: list[float], valid: int, c: Corrections, invalid: float, inv_ci: tuple[float, float]
) -> dict[str, tuple[float, float]]:
    """Each share's interval: the Wilson interval of its recorded count, carried through."""
    base = _normalize(population(counts, valid, c), invalid, None)
    out: dict[str, tuple[float, float]] = {"invalid": inv_ci}
    driver = {"human": 0, "machine": 1, "fax": 2, "busy": 3, "no_answer": 4}
    for share, j in driver.items():
        lo, hi = share_interval(counts[j], valid)
        ends = []
        for p in (lo, hi):
            moved = list(counts)
            moved[j] = p * valid
            pop = population(moved, valid, c)
            ends.append(max(pop[share], 0.0) * (1 - invalid))
        a, b = min(ends), max(ends)
        out[share] = (min(a, base[share]), max(b, base[share]))
    return out


def _hour(d: Dial) -> float:
    return -1.0 if d.local_hour is None else d.local_hour


def _hours(valid: list[Dial]) -> list[dict]:
    """Per hour of the called party's day: dials and each recorded category's share."""
    rows = []
    by_hour: dict[int, list[int]] = {}
    for d in valid:
        if d.local_hour is None:
            continue
        by_hour.setdefault(int(d.local_hour), [0] * 5)[_CATEGORY_OF[d.outcome]] += 1
    for hour in sorted(by_hour):
        counts = by_hour[hour]
        n = sum(counts)
        row: dict = {"hour": hour, "dials": n}
        for name, k in zip(CATEGORIES, counts):
            lo, hi = share_interval(k, n)
            row[name] = {"share": k / n, "low": lo, "high": hi}
        rows.append(row)
    return rows


def chi2_p(a: list[int], b: list[int]) -> float:
    """p-value of the chi-square test that two periods share one mix of outcomes."""
    table = np.array([a, b], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 1.0
    return float(stats.chi2_contingency(table, correction=False)[1])


def _merge(valid: list[Dial]) -> list[Band]:
    counts: dict[int, list[int]] = {}
    for d in valid:
        if d.local_hour is None:
            continue
        counts.setdefault(int(d.local_hour), [0] * 5)[_CATEGORY_OF[d.outcome]] += 1
    if not counts:
        return []
    hours = sorted(counts)
    bands = [Band(h, h + 1, counts[h]) for h in hours]
    for i in range(len(bands) - 1):
        bands[i].end_hour = bands[i + 1].start_hour  # a band runs until the next one starts
    bands[-1].end_hour = 24

    def join(i: int) -> None:
        a, b = bands[i], bands.pop(i + 1)
        a.counts = [x + y for x, y in zip(a.counts, b.counts)]
        a.end_hour = b.end_hour

    # small hours first join their smaller neighbour, before any test
    while len(bands) > 1:
        small = [i for i, b in enumerate(bands) if b.n < MIN_DIALS]
        if not small:
            break
        i = small[0]
        if i == 0:
            join(0)
        elif i == len(bands) - 1 or bands[i - 1].n <= bands[i + 1].n:
            join(i - 1)
        else:
            join(i)
    while len(bands) > 1:
        ps = [chi2_p(bands[i].counts, bands[i + 1].counts) for i in range(len(bands) - 1)]
        i = int(np.argmax(ps))
        if ps[i] <= MERGE_P:
            break
        join(i)
    return bands


def reach(dist: Dist, timeout: float) -> float:
    """P(answer within the ring timeout) under an answer-time distribution."""
    return float(dist.cdf(np.array([timeout]))[0])
