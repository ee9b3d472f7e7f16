"""The truth behind each number: what a dial to a record reaches, attempt by attempt, and how
long everything takes.

Only the simulated world sees it (:mod:`dialer.sim.model`); the OCS and its pacer never do.
Each record's rows are drawn from the record's own stream (block of records x attempt, see
:mod:`dialer.rng`), so the same record behaves the same way under every mode and setting:
comparing modes on one seed is a paired comparison.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, ClassVar

import numpy as np

from dialer.codes import (
    BUSY,
    CALLBACK_REQUEST,
    DNC_REQUEST,
    FAX,
    HUMAN,
    INVALID,
    MACHINE,
    NO_ANSWER,
    NO_REQUEST,
    PERSONAL_CALLBACK_REQUEST,
)
from dialer.config import Campaign, HourShares, Population
from dialer.rng import stream

# Columns of a truth row (per record and attempt). Person and machine answer times share one
# uniform (they are alternatives); every other column has its own.
(
    U_OUTCOME,
    ANSWER_S,
    MACHINE_ANSWER_S,
    U_AMD,
    DETECT_S,
    PATIENCE_S,
    PREVIEW_S,
    BUSY_S,
    INVALID_S,
    IS_INVALID,
) = range(10)
GROUP_COLUMNS = 10  # then talk, wrap and machine time for each agent group
TALK_S, WRAP_S, MACHINE_S = range(3)  # offsets within a group's columns


class Truth:
    """What a dial to each record reaches, attempt by attempt (the simulated world only).

    Rows are drawn per block of ``BLOCK`` consecutive record keys and per attempt from the
    stream ("truth", block, attempt), turned into seconds by each distribution's inverse CDF,
    and kept in a small LRU cache: a block evicted and needed again is drawn again, identical.
    """

    BLOCK: ClassVar[int] = 256
    CACHE: ClassVar[int] = 256

    def __init__(self, campaign: Campaign):
        pop, cpd = campaign.population, campaign.cpd
        self.seed = campaign.seed
        self.invalid_share = pop.invalid
        valid = 1.0 - pop.invalid
        # band 0: the population's shares; band k: the k-th entry of population.by_hour
        self.bands: list[Population | HourShares] = [pop, *(pop.by_hour or {}).values()]
        self.band_thresholds: list[tuple[Any, ...]] = []
        for shares in self.bands:
            cum, acc = [], 0.0
            for share in (shares.human, shares.machine, shares.busy, shares.no_answer):
                acc += share / valid
                cum.append(acc)
            self.band_thresholds.append(tuple(cum))
        self.thresholds = self.band_thresholds[0]  # human < machine < busy < no_answer < fax
        # (distribution, uniform to use: "own" or the name of a shared one) per column
        self.columns = [
            (None, "outcome"),
            (pop.answer_time_s, "answer"),
            (pop.machine_answer_time_s, "answer"),
            (None, "amd"),
            (cpd.detect_time_s, "own"),
            (pop.patience_s, "own"),
            (campaign.dialing.preview_time_s, "own"),
            (pop.busy_time_s, "own"),
            (pop.invalid_time_s, "own"),
            (None, "invalid"),
        ]
        for g in campaign.agents.groups:
            self.columns += [
                (g.talk_time_s, "own"),
                (g.wrap_time_s, "own"),
                (g.machine_time_s, "own"),
            ]
        # Without population.by_hour a dial's fate is fixed by its row: resolved for a whole
        # block at once (numpy) and kept in four more columns: outcome, CPD verdict, seconds to
        # the verdict, seconds to the answer (-1: none). See resolve().
        self.resolved = not pop.by_hour
        self.resolved_at = len(self.columns)
        self.ring_timeout = cpd.ring_timeout_s
        self.amd, self.fp, self.fn = cpd.amd, cpd.amd_false_positive, cpd.amd_false_negative
        self._cache: OrderedDict[tuple[int, int], list[tuple[Any, ...]]] = OrderedDict()

    def _block(self, block: int, attempt: int) -> list[tuple[Any, ...]]:
        rng = stream(self.seed, "truth", block, attempt)
        n = self.BLOCK
        shared = {
            "outcome": rng.random(n),
            "answer": rng.random(n),
            "amd": rng.random(n),
            # whether the number is invalid is the record's, the same on every attempt
            "invalid": stream(self.seed, "invalid", block).random(n) < self.invalid_share,
        }
        cols = []
        for dist, source in self.columns:
            u = rng.random(n) if source == "own" else shared[source]
            cols.append(u if dist is None else dist.ppf(u))
        cols[IS_INVALID] = shared["invalid"]
        if self.resolved:
            cols += self._resolve(cols)
        return list(zip(*(c.tolist() for c in cols)))

    def _resolve(self, cols: list) -> list:
        """Outcome, verdict, seconds to the verdict and to the answer (-1: none) of each row,
        as :meth:`resolve` gives them one by one."""
        u = cols[U_OUTCOME]
        kind = np.searchsorted(np.array(self.thresholds), u, side="right")  # HUMAN ... FAX
        answer = np.where(kind == HUMAN, cols[ANSWER_S], cols[MACHINE_ANSWER_S])
        answers = (kind == HUMAN) | (kind == MACHINE) | (kind == FAX)
        late = answers & (answer > self.ring_timeout)
        answered = answers & ~late
        kind = np.where(late, NO_ANSWER, kind)
        if self.amd:
            fp, fn = cols[U_AMD] < self.fp, cols[U_AMD] < self.fn
            verdict = np.where(kind == HUMAN, np.where(fp, MACHINE, HUMAN), kind)
            verdict = np.where(kind == MACHINE, np.where(fn, HUMAN, MACHINE), verdict)
            to_verdict = answer + cols[DETECT_S]
        else:
            verdict = np.where(kind == MACHINE, HUMAN, kind)
            to_verdict = answer
        delay = np.where(answered, to_verdict, self.ring_timeout)
        delay = np.where(kind == BUSY, cols[BUSY_S], delay)
        invalid = cols[IS_INVALID]
        kind = np.where(invalid, INVALID, kind)
        verdict = np.where(invalid, INVALID, verdict)
        delay = np.where(invalid, cols[INVALID_S], delay)
        answered_after = np.where(answered & ~invalid, answer, -1.0)
        return [kind, verdict, delay, answered_after]

    def resolve(self, row: tuple, band: int) -> tuple[int, int, float, float]:
        """(outcome, CPD verdict, seconds to the verdict, seconds to the answer or -1) of a dial,
        under the shares of band ``band`` of ``population.by_hour`` (0: the population's)."""
        if row[IS_INVALID]:
            return INVALID, INVALID, row[INVALID_S], -1.0
        kind = self.outcome_at(row, band)
        if kind in (HUMAN, MACHINE, FAX):
            answer = row[ANSWER_S] if kind == HUMAN else row[MACHINE_ANSWER_S]
            if answer > self.ring_timeout:
                return NO_ANSWER, NO_ANSWER, self.ring_timeout, -1.0
            delay = answer + row[DETECT_S] if self.amd else answer
            if kind == HUMAN:
                verdict = MACHINE if self.amd and row[U_AMD] < self.fp else HUMAN
            elif kind == MACHINE:
                verdict = HUMAN if not self.amd or row[U_AMD] < self.fn else MACHINE
            else:
                verdict = FAX
            return kind, verdict, delay, answer
        if kind == BUSY:
            return BUSY, BUSY, row[BUSY_S], -1.0
        return NO_ANSWER, NO_ANSWER, self.ring_timeout, -1.0

    def row(self, key: int, attempt: int) -> tuple[Any, ...]:
        """The truth of ``attempt`` (1-based) of record ``key``."""
        block, i = divmod(key, self.BLOCK)
        cache = self._cache
        rows = cache.get((block, attempt))
        if rows is None:
            rows = cache[(block, attempt)] = self._block(block, attempt)
            if len(cache) > self.CACHE:
                cache.popitem(last=False)
        return rows[i]

    def outcome(self, row: tuple[Any, ...]) -> int:
        """What a dial to a valid number reaches (before the ring timeout is applied)."""
        u = row[U_OUTCOME]
        for kind, threshold in enumerate(self.thresholds):
            if u < threshold:
                return kind
        return FAX

    def outcome_at(self, row: tuple[Any, ...], band: int) -> int:
        """:meth:`outcome` under the shares of band ``band`` of ``population.by_hour``.

        The uniform is the same, so a record's attempt moves monotonically between outcomes
        as the shares change with the called party's local time.
        """
        u = row[U_OUTCOME]
        for kind, threshold in enumerate(self.band_thresholds[band]):
            if u < threshold:
                return kind
        return FAX


# Columns of an asks row (per record and attempt): what a person connected to an agent asks for
# at the end of the call, when a callback is wanted, and the IVR messages' lengths.
U_DNC, U_CALLBACK, CALLBACK_DELAY_S, U_PERSONAL, MESSAGE_S, MACHINE_MESSAGE_S = range(6)


class Asks:
    """What each person asks for, attempt by attempt: the day's requests (the world only).

    A stream of its own, ("asks", block, attempt), beside the truth's, so a record's answer,
    durations and outcome stay those of a run without requests, and the same customer asks the
    same thing in every mode and setting (a paired comparison). Rows as in :class:`Truth`.
    """

    BLOCK: ClassVar[int] = Truth.BLOCK
    CACHE: ClassVar[int] = 64

    def __init__(self, campaign: Campaign):
        pop, ivr = campaign.population, campaign.ivr
        self.seed = campaign.seed
        self.dnc_request = pop.dnc_request
        self.callback_request = pop.callback_request
        self.personal = pop.personal_callback
        self.dists = (
            None,
            None,
            pop.callback_delay_s,
            None,
            ivr.message_s,
            ivr.machine_message_s,
        )
        self._cache: OrderedDict[tuple[int, int], list[tuple[float, ...]]] = OrderedDict()

    def row(self, key: int, attempt: int) -> tuple[float, ...]:
        """The asks of ``attempt`` (1-based) of record ``key``."""
        block, i = divmod(key, self.BLOCK)
        rows = self._cache.get((block, attempt))
        if rows is None:
            rng = stream(self.seed, "asks", block, attempt)
            cols = []
            for dist in self.dists:
                u = rng.random(self.BLOCK)
                cols.append((u if dist is None else dist.ppf(u)).tolist())
            rows = self._cache[(block, attempt)] = list(zip(*cols))
            if len(self._cache) > self.CACHE:
                self._cache.popitem(last=False)
        return rows[i]

    def request(self, key: int, attempt: int) -> tuple[int, float]:
        """What the person of this attempt asks the agent for, and (a callback) how many
        seconds after the call. An opt-out comes first: who opts out asks for nothing else."""
        if self.dnc_request <= 0 and self.callback_request <= 0:
            return NO_REQUEST, 0.0
        row = self.row(key, attempt)
        if row[U_DNC] < self.dnc_request:
            return DNC_REQUEST, 0.0
        if row[U_CALLBACK] < self.callback_request:
            kind = (
                PERSONAL_CALLBACK_REQUEST if row[U_PERSONAL] < self.personal else CALLBACK_REQUEST
            )
            return kind, row[CALLBACK_DELAY_S]
        return NO_REQUEST, 0.0

    def message_s(self, key: int, attempt: int, machine: bool) -> float:
        """How long the IVR message plays (to a call CPD called a machine: the machine's)."""
        return self.row(key, attempt)[MACHINE_MESSAGE_S if machine else MESSAGE_S]
