"""Predictive and optimized pacing: dialing ahead of agents who are about to be free.

Both pacers forecast, at every decision, the difference M between the agents who will be free
when a new dial is answered and the answers already on their way (see :mod:`dialer.forecast`).
From it each further dial has a forecast probability that its answer finds no agent,
P(X_k >= M), which grows with every dial added. A dial is placed while that probability is
under a threshold theta, and theta is steered so that the placed dials' mean forecast equals
the abandon rate wanted: the expected share of answers finding no agent is held at the rate
dial by dial (the binomial snapshot rule of domain.md, with the expectation taken per dial, so
answers already counted at an earlier decision are not counted again). Forecasts are known the
moment a dial is placed, so theta settles within a few hundred dials.

The snapshot lumps together answers and agents that free at different moments, so its
forecasts can be off by a steady factor. Each pacer calibrates itself from outcomes: the ratio
of abandons observed to abandons forecast (a ratio estimate with a weak prior, forgetting
slowly) divides the rate that theta aims at.

Both start in progressive mode (one dial per free agent, which cannot abandon) until
``dialing.history_length`` dial results give a hit ratio, and decide after every change they
can observe and every ``decision_interval_s``.

Outcomes steer the rate too: each pacer feeds the rule its aim plus the window's unspent
allowance (aim x answers - abandons, or minus the excess) spread over the next 150 answers, so
the window's realized overdial rate is brought to the aim whatever the forecast's remaining
error.

``predictive`` aims at ``dialing.target_abandon_rate`` over the whole run.

``optimized`` spends the compliance window's abandon allowance deliberately: it aims at
``dialing.max_abandon_rate`` less a safety margin sized to the window (the OCS counts machines
passed as persons, the regulator does not: see :attr:`Optimized.aim`), runs looser while under
budget and tighter, down to no abandon risk at all, when the window's rate nears the limit;
under Ofcom the window is the calendar day and the limit is converted for the centre's AMD
false-positive estimate. With a goal of ``busy_factor`` or ``agent_wait_s`` a
second controller lowers the rate while occupancy is above (or agent wait below)
``goal_target``; ``max_talk`` dials as hard as the limit allows.
"""

from __future__ import annotations

import math

import numpy as np

from dialer.clock import DayEdges
from dialer.pacing.base import (
    AGENT_MACHINE,
    CONNECTED,
    DROPPED,
    FLIGHT_BIN_S,
    HUMAN_VERDICT,
    UNANSWERED,
    Observation,
    Pacer,
    within_lines,
)
from dialer.pacing.forecast import (
    EXACT_TERMS,
    GRID_S,
    AgentForecast,
    DialHistory,
    Snapshot,
    bernoulli_cumulants,
    dials_marginal_rule,
    exact_wanted,
    human_verdict_pmf,
)
from dialer.pacing.inputs import PacerInputs
from dialer.regulation import allowed_abandon_rate


class Calibration:
    """Abandons observed / abandons forecast: a ratio estimate with a weak prior."""

    PRIOR_RATIO = 1.0
    PRIOR_ABANDONS = 8.0  # how many observed abandons the prior weighs
    FORGET = 0.98  # per observed abandon: both sums fade (memory of ~50 abandons), so the ratio
    # follows the operating point (the snapshot misjudges more as the dialer pushes harder)

    def __init__(self) -> None:
        self.forecast = 0.0
        self.observed = 0.0

    def add_forecast(self, abandons: float) -> None:
        self.forecast += abandons

    def add_abandon(self) -> None:
        self.observed = self.observed * self.FORGET + 1.0
        self.forecast *= self.FORGET

    @property
    def ratio(self) -> float:
        return (self.observed + self.PRIOR_ABANDONS) / (
            self.forecast + self.PRIOR_ABANDONS / self.PRIOR_RATIO
        )


class Forecasting(Pacer):
    """What predictive and optimized share: history, forecasts, calibration, warm-up."""

    needs_ages = True
    counts_inbound = True  # in a centre: inbound callers waiting are demand on shared agents

    def __init__(self, inputs: PacerInputs):
        self.tick_s = inputs.decision_interval_s
        self.interval = inputs.decision_interval_s  # the same, as a float for the arithmetic
        self.gap = inputs.decision_gap_s
        self.warmup_results = inputs.history_length
        verdict = human_verdict_pmf(inputs)
        self.verdict_sf = np.concatenate([np.cumsum(verdict[::-1])[::-1], [0.0]])
        self.agents = AgentForecast(inputs, verdict)
        # a dial's outcome is surely known after the ring timeout plus the longest detection
        detect = inputs.beliefs.detect_time_s
        longest = float(detect.ppf(np.array([0.999]))[0]) if inputs.amd else 0.0
        self._warm = False
        self.history = DialHistory(inputs.history_length, inputs.ring_timeout_s + longest + 0.5)
        self._flight_span = int(self.history.max_age / FLIGHT_BIN_S) + 2
        self._human_by_age: np.ndarray | None = None
        self._flight_cumulants = np.zeros((3, 0))
        self._raised = True  # something since the last decision could allow more dials
        self._last: tuple[float, int, int, bool] | None = None
        self._full_at = -math.inf
        self._table_at = 0
        self.calibration = Calibration()
        self.log_theta: float | None = None
        self.n_cap = 4 * inputs.agents + 10
        self.answers = 0  # classified-human answers (connected or abandoned) in the window
        self.abandons = 0

    SPEND = 150.0  # answers over which the window's unspent allowance (or excess) is spread

    def on_result(self, now: float, result: int, age: float) -> None:
        if result != HUMAN_VERDICT and result != CONNECTED:
            self._raised = True  # a dial resolved without an answer, or an agent came free
        if result <= HUMAN_VERDICT:  # a CPD verdict: failed, machine or human
            self.history.add(now, age, result == HUMAN_VERDICT)
        elif result == CONNECTED or result in UNANSWERED:
            self.new_window(now)
            self.answers += 1
            if result != CONNECTED:
                self.abandons += 1
                self.calibration.add_abandon()

    def new_window(self, now: float) -> None:
        """Restart the window's counts where the compliance window restarts (nothing here)."""

    def window(self) -> tuple[float, float]:
        """(answers, abandons) of the window the rate is held over."""
        return self.answers, self.abandons

    def feedback_rate(self, aim: float) -> float:
        """The rate that brings the window's overdial rate to ``aim``: the aim plus the window's
        unspent allowance (or minus its excess) spread over the next SPEND answers."""
        answers, abandons = self.window()
        unspent = aim * answers - abandons
        return min(2 * aim, max(0.0, aim + unspent / self.SPEND))

    def warming_up(self, now: float) -> bool:
        if self._warm:
            return False  # the window, once full, never holds fewer results
        self.history.mature(now)
        self._warm = len(self.history) >= self.warmup_results
        return not self._warm

    @staticmethod
    def progressive(obs: Observation) -> int:
        """One dial per free agent, none of which can be abandoned."""
        return within_lines(obs, obs.ready - obs.waiting - obs.in_flight)

    def hit_ratio(self) -> float:
        n = len(self.history)
        return max(self.history.hit_ratio, 0.5 / max(n, 1))

    PRIOR_VERDICTS = 20.0  # weight of the configured answer time against observed verdicts
    REFRESH = 16  # results entering the history window before the in-flight table is redone

    def _flight_table(self, p: float) -> np.ndarray:
        """P(a human verdict) of a dial in flight, per half second of age; redone as the
        OCS's recent results change."""
        history = self.history
        if self._human_by_age is None or history.changes - self._table_at >= self.REFRESH:
            ages = (np.arange(self._flight_span) + 1.0) * FLIGHT_BIN_S  # the mean age of a bin
            self._human_by_age = self.human_in_flight(ages, p)
            self._flight_cumulants = bernoulli_cumulants(self._human_by_age)
            self._table_at = history.changes
        return self._human_by_age

    def flight_terms(self, obs: Observation, p: float) -> tuple[list, list]:
        """(probability of a human verdict, count) of the dials in flight, one pair per half
        second of age with a dial in it (dials older than the longest verdict time: none is
        still a person)."""
        table = self._flight_table(p)
        seg, _older = obs.flight.at(obs.now, self._flight_span)
        nz = seg.nonzero()[0]
        return table[nz].tolist(), seg[nz].tolist()

    def snapshot(self, obs: Observation, p: float, held_back: int) -> Snapshot:
        """M = free agents when a new dial is answered minus answers still to come: exact with
        few uncertain terms, from its cumulants (read by elapsed time) with many."""
        base = obs.ready - obs.waiting - held_back
        terms = sum(talk.n + wrap.n for talk, wrap in obs.busy) + obs.flight.n
        if terms <= EXACT_TERMS:
            return self._exact(obs, p, base)
        free = self.agents.free_cumulants(obs.busy, obs.now)
        if obs.flight.n:
            self._flight_table(p)
            seg, _older = obs.flight.at(obs.now, self._flight_span)
            human = self._flight_cumulants[:, : len(seg)] @ seg
            free[0] -= human[0]
            free[1] += human[1]
            free[2] -= human[2]
        if exact_wanted(terms, float(free[1])):
            return self._exact(obs, p, base)  # many terms, but too lumpy for the normal
        return Snapshot.approximate(base + float(free[0]), float(free[1]), float(free[2]))

    def _exact(self, obs: Observation, p: float, base: int) -> Snapshot:
        qs, counts = self.agents.free_terms(obs.busy, obs.now)
        h, h_counts = self.flight_terms(obs, p) if obs.flight.n else ([], [])
        return Snapshot(base, qs, h, counts, h_counts)

    def human_in_flight(self, ages: np.ndarray, p: float) -> np.ndarray:
        """P(a dial still unresolved at each age will end in a human verdict): Bayes with the
        survival of human verdicts and of failures, both as the OCS has seen them."""
        i = np.minimum((ages / GRID_S).astype(np.int64), len(self.verdict_sf) - 1)
        # when human verdicts come: the OCS's own recent ones (machines passed as persons
        # included), blended with the persons' configured answer time while they are few
        n = self.history.humans
        prior = self.PRIOR_VERDICTS
        sv = p * (n * self.history.human_survival(ages) + prior * self.verdict_sf[i]) / (n + prior)
        sf = (1.0 - p) * self.history.failure_survival(ages)
        total = sv + sf
        return np.divide(sv, total, out=np.zeros_like(sv), where=total > 0)

    STEP = 0.01  # log(theta) moves by STEP x (1 - forecast / aimed rate) per dial placed

    def decide(self, obs: Observation) -> int:
        """Progressive while warming up; then at most one full decision per
        ``dialing.decision_gap_s``, checked before the rate is worked out (most events do not
        need it)."""
        self.observe(obs)
        if self.warming_up(obs.now):
            return self.progressive(obs)
        if obs.now - self._full_at < self.gap or self.holding(obs):
            return 0
        return self.paced(obs)

    def observe(self, obs: Observation) -> None:
        """What must see every event, decided or not (nothing here)."""

    def holding(self, obs: Observation) -> bool:
        """No decision now, whatever the rate (never here)."""
        return False

    def paced(self, obs: Observation) -> int:
        """The full decision: the dials at the rate this pacer aims for."""
        raise NotImplementedError

    def dials_at_rate(self, obs: Observation, rate: float, held_back: int = 0) -> int:
        """Dials whose forecast abandon probabilities average ``rate`` (once calibrated), with
        ``held_back`` agents left out of the forecast supply."""
        room = within_lines(obs, self.n_cap)
        if room <= 0:
            return 0
        aimed = rate / self.calibration.ratio
        no_risk = aimed < 1e-4
        free = obs.ready - obs.waiting - held_back
        last = self._last
        if (
            last is not None
            and not self._raised
            and obs.now - last[0] < self.interval
            and free <= last[1]
            and obs.wrapping <= last[2]
            and no_risk == last[3]
        ):
            # The last decision stopped at the threshold and nothing since could raise the free
            # agents to come (no agent came free or into wrap-up, no dial failed, no call was
            # abandoned): the same decision again would place nothing, but for time passing,
            # which the next decision within tick_s takes into account.
            return 0
        self.history.mature(obs.now)  # the results surely known by now, before they are read
        p = self.hit_ratio()
        snap = self.snapshot(obs, p, held_back)
        if no_risk:
            placed = dials_marginal_rule(snap, p, 1e-4, room)  # no abandon risk at all
        else:
            log_theta = math.log(2 * aimed) if self.log_theta is None else self.log_theta
            placed = dials_marginal_rule(snap, p, min(0.95, math.exp(log_theta)), room)
            for m in placed:
                self.calibration.add_forecast(p * m)
                log_theta = min(0.0, max(-12.0, log_theta + self.STEP * (1 - m / aimed)))
            self.log_theta = log_theta
        self._raised = False
        self._full_at = obs.now
        # the state this decision stopped in (unless it stopped at the free lines or the cap)
        self._last = None if len(placed) == room else (obs.now, free, obs.wrapping, no_risk)
        return len(placed)


class Predictive(Forecasting):
    """Classical predictive pacing to a target overdial rate (the binomial snapshot rule)."""

    name = "predictive"

    def __init__(self, inputs: PacerInputs):
        super().__init__(inputs)
        self.target = inputs.target_abandon_rate
        self.small_group = inputs.small_group_agents

    def holding(self, obs: Observation) -> bool:
        # small group: the next batch waits for every dial of this one
        return obs.logged_in < self.small_group and obs.in_flight > 0

    def paced(self, obs: Observation) -> int:
        return self.dials_at_rate(obs, self.feedback_rate(self.target))


class PersonsEstimate:
    """The persons-only abandon rate of a window, as the OCS can estimate it.

    The regulator counts persons only; the OCS's own overdial rate also counts the machines its
    CPD passed as persons, and it cannot tell which of its unanswered calls were machines. How
    often a call finds no agent depends on when its CPD verdict came (machines answer later
    than persons, so their share among the unanswered differs from their share among all the
    calls passed as persons, one way with small teams, the other with large ones). So the OCS
    learns, from the calls its agents took and dispositioned, the share of machines at each
    verdict age, and counts each call that went unanswered at that age as a person with the
    other share; a call whose called party hung up first is a person (a machine does not hang
    up in two seconds of silence). Over the run so far this gives the ratio of the persons-only
    rate to the overdial rate, which the pacer divides its aim by.
    """

    BIN_S = 0.5
    BINS = 120  # 60 s of verdict ages; older ones share the last bin
    PRIOR = 2.0  # weight of the overall machine share in each bin

    def __init__(self) -> None:
        self.persons = np.zeros(self.BINS)  # connects dispositioned as persons, by verdict age
        self.machines = np.zeros(self.BINS)
        self.dropped = np.zeros(self.BINS)  # the window's calls the OCS's timer ended
        self.hung_up = 0  # the window's calls the called party hung up
        self.connects = 0  # the window's connects, and those agents found to be machines
        self.machine_connects = 0
        self._ratio: float | None = None  # ratio() until the next result

    def _bin(self, age: float) -> int:
        return min(int(age / self.BIN_S), self.BINS - 1)

    def add(self, result: int, age: float) -> None:
        self._ratio = None
        b = self._bin(age)
        if result == CONNECTED:
            self.persons[b] += 1  # until an agent says it was a machine
            self.connects += 1
        elif result == AGENT_MACHINE:
            self.persons[b] -= 1
            self.machines[b] += 1
            self.machine_connects += 1
        elif result == DROPPED:
            self.dropped[b] += 1
        else:
            self.hung_up += 1

    PRIOR_ABANDONS = 20.0  # weight of a ratio of 1 against the unanswered calls seen

    def ratio(self) -> float:
        """Persons-only rate / overdial rate so far (1 while there is little to go by)."""
        if self._ratio is None:
            self._ratio = self._worked_out()
        return self._ratio

    def _worked_out(self) -> float:
        m, p = self.machines, np.maximum(self.persons, 0.0)
        share = (m.sum() + 1) / (m.sum() + p.sum() + 10)  # machines among connects, overall
        machine = (m + self.PRIOR * share) / (m + p + self.PRIOR)
        unanswered = self.hung_up + float(self.dropped.sum())
        persons = self.hung_up + float(self.dropped @ (1 - machine))
        connects = self.connects - self.machine_connects
        if unanswered <= 0 or connects <= 0:
            return 1.0
        persons_rate = persons / (connects + persons)
        overdial = unanswered / (self.connects + unanswered)
        w = unanswered / (unanswered + self.PRIOR_ABANDONS)
        return w * persons_rate / overdial + (1 - w)


class Optimized(Forecasting):
    """The planner's goal, the abandon limit never exceeded over the compliance window."""

    name = "optimized"
    MARGIN = 0.03  # aim this share under the limit, besides the statistical margin below
    Z = 2.0  # standard deviations of the persons-only rate kept in hand
    GOAL_TAU_S = 300.0  # smoothing of the occupancy / wait measured for the goal
    GOAL_GAIN = 0.5  # agents held back per minute, per agent and unit of relative goal error

    def __init__(self, inputs: PacerInputs):
        super().__init__(inputs)
        self.limit = allowed_abandon_rate(
            inputs.max_abandon_rate, inputs.regime, inputs.fp_estimate
        )
        self.goal, self.goal_target = inputs.goal, inputs.goal_target
        # the Ofcom window is the site's calendar day: the counts restart at each midnight
        self.days = DayEdges(inputs.midnights if inputs.regime == "ofcom" else [])
        self.agents_total = inputs.agents
        self.held_back = 0.0  # the goal controller's output: agents left out of the supply
        self.last_t = 0.0
        self.busy_avg: float | None = None
        self.idle_s = 0.0  # agent-seconds ready, smoothed
        self.connects = 0.0  # connects, smoothed
        self._persons = PersonsEstimate()
        self._ratio = 1.0
        groups = inputs.beliefs.groups
        self.machine_s = sum(g.machine_time_s.mean for g in groups) / max(len(groups), 1)

    def on_result(self, now: float, result: int, age: float) -> None:
        super().on_result(now, result, age)
        if result in UNANSWERED or result == CONNECTED or result == AGENT_MACHINE:
            self._persons.add(result, age)
        if result == AGENT_MACHINE:
            # that connect was a machine: no agent wait ended there, and the agent's time on it
            # (reported as talking) was part of the wait
            self.connects -= 1.0
            self.idle_s += self.machine_s
        elif result == CONNECTED:
            self.connects += 1.0

    def new_window(self, now: float) -> None:
        if self.days.crossed(now):
            self.answers = self.abandons = 0

    @property
    def aim(self) -> float:
        """The overdial rate to end the window at, so that the persons-only rate stays legal.

        Under the limit by a share, and by the spread of the persons-only rate: with a share s
        of machines among classified-human answers (from the agents' dispositions) and L
        answers in the window, which of the unanswered calls were persons moves the persons'
        rate by about sqrt(limit s / ((1 - s) L)); so much is kept in hand also because a
        window near its limit stops the dialer (an abandon it cannot afford), which costs more
        talk time than it saves. Divided by the estimated ratio of the persons-only rate to
        the overdial rate (see PersonsEstimate), which is not 1: machines and persons do not
        go unanswered equally often.
        """
        est = self._persons
        s = (est.machine_connects + 1) / (est.connects + 10)
        spread = math.sqrt(self.limit * s / ((1 - s) * max(self.answers, 50)))
        rate = max(0.0, self.limit * (1 - self.MARGIN) - self.Z * spread)
        return rate / max(self._ratio, 0.5)

    def _track_goal(self, obs: Observation) -> None:
        dt = obs.now - self.last_t
        self.last_t = obs.now
        if dt <= 0 or obs.logged_in <= 0:
            return
        decay = math.exp(-dt / self.GOAL_TAU_S)
        if self.goal == "busy_factor":
            busy = (obs.talking + obs.wrapping) / obs.logged_in
            self.busy_avg = (
                busy if self.busy_avg is None else decay * self.busy_avg + (1 - decay) * busy
            )
            error = (self.busy_avg - self.goal_target) / self.goal_target  # positive: too busy
        else:
            # as mean_agent_wait_s counts it: ready (or on a machine AMD passed, added at its
            # disposition: the Stat Server shows it as talking) until a connect
            self.idle_s = decay * self.idle_s + obs.ready * dt
            self.connects *= decay
            wait = self.idle_s / max(self.connects, 1e-9)
            error = (self.goal_target - wait) / max(
                self.goal_target, 1.0
            )  # positive: waits too short
        # integral control, never below 0: the goal can only hold the dialer back from the
        # abandon limit, by leaving agents out of the forecast supply
        step = self.GOAL_GAIN * self.agents_total * error * dt / 60
        self.held_back = min(float(self.agents_total), max(0.0, self.held_back + step))

    def observe(self, obs: Observation) -> None:
        if self.goal != "max_talk":
            self._track_goal(obs)

    def paced(self, obs: Observation) -> int:
        # risk an abandon only while the window can absorb one more within the limit: in a
        # small window (few answers yet) a single abandon is already over it
        self._ratio = self._persons.ratio()
        affordable = self.limit * self.answers - self.abandons * self._ratio >= 1
        rate = self.feedback_rate(self.aim) if affordable else 0.0
        return self.dials_at_rate(obs, rate, int(round(self.held_back)))
