"""VICIdial's adaptive predictive pacing, the open-source baseline.

As its code does it (AST_VDadapt.pl for the level, AST_VDauto_dial.pl for the dialing):

* every second, sample the ready agents, the answered calls waiting for an agent and the
  logged-in agents; keep the last 15 samples;
* every 60 seconds, count the dials, human answers and drops of the last minute and of today
  (since the site's midnight; drops are calls classified human and dropped, answers include
  them);
* every 15 seconds, move the dial level L by the averaged differential (ready - waiting +
  ``adaptive_dl_diff_target``) per average agent, scaled by ``adaptive_intensity``, clamp it to
  [1, ``adaptive_maximum_level``], halve it when over 20 dials in the last minute dropped more
  than half, and apply the daily drop cap of ``dial_method`` once today's drops exceed
  ``adaptive_dropped_percentage`` of today's answers (after 50 dials);
* every 2.5 seconds, place round(L x logged-in agents) minus the calls ringing, waiting or with
  an agent.

``dial_method: RATIO`` keeps ``auto_dial_level`` fixed (VICIdial's ratio dialing).
"""

from __future__ import annotations

from collections import deque

from dialer.clock import DayEdges
from dialer.config import Adaptive as AdaptiveSettings
from dialer.pacing.base import CONNECTED, UNANSWERED, Observation, Pacer, within_lines
from dialer.pacing.inputs import PacerInputs

SAMPLE_S = 1.0
LEVEL_S = 15.0
DROPS_S = 60.0
DIAL_S = 2.5


def next_dial_level(
    level: float,
    settings: AdaptiveSettings,
    *,
    ready_avg: float,
    waiting_avg: float,
    agents_avg: float,
    hhmm: int,
    calls_one: int = 0,
    drops_one: int = 0,
    calls_today: int = 0,
    drops_today: int = 0,
    answers_today: int = 0,
) -> float:
    """One 15-second update of VICIdial's adaptive dial level (calculate_dial_level)."""
    s = settings
    target = ready_avg - waiting_avg + s.adaptive_dl_diff_target
    mul = target / agents_avg if target != 0 and agents_avg != 0 else 0.0
    pct = mul * 100
    intensity = s.adaptive_intensity / 100
    pct = pct * abs(intensity - 1) if pct < 0 else pct * (intensity + 1)
    new = round(level * (pct / 100 + 1), 3)
    new = min(new, s.adaptive_maximum_level)
    new = max(new, 1.0)
    drops_one_pct = 100 * drops_one / calls_one if calls_one else 0.0
    if calls_one > 20 and drops_one_pct > 50:
        new = new / 2
    answers = max(answers_today, 1)
    drops_pct = 100 * drops_today / answers if drops_today else 0.0
    if calls_today > 50 and drops_pct > s.adaptive_dropped_percentage:
        if s.dial_method == "ADAPT_HARD_LIMIT":
            new = 1.0
        elif s.dial_method == "ADAPT_AVERAGE":
            new = new / 2
        elif s.dial_method == "ADAPT_TAPERED":
            left = s.adaptive_latest_server_time - hhmm  # HHMM arithmetic, as VICIdial does it
            new = 1.0 if left < 0 else new * (1.0 if left > 1000 else left / 1000)
    return max(new, 1.0)


class Adaptive(Pacer):
    """VICIdial's adaptive predictive dialer (dial_method ADAPT_* or RATIO)."""

    name = "adaptive"
    tick_s = 0.5  # lands on every 1 s sample and every 2.5 s dialing step
    tick_strict = True

    def __init__(self, inputs: PacerInputs):
        self.settings = inputs.adaptive
        self.level = self.settings.auto_dial_level
        self.calendar = inputs.calendar
        self.days = DayEdges(inputs.midnights)
        self.samples: deque[tuple[int, int, int]] = deque(maxlen=15)
        self.next_sample = 0.0
        self.next_level = LEVEL_S
        self.next_drops = 0.0
        self.next_dial = 0.0
        self.dials: deque[float] = deque()  # dial times in the last minute
        self.drops: deque[float] = deque()
        self.today = {"calls": 0, "answers": 0, "drops": 0}
        self.stats = {
            "calls_one": 0,
            "drops_one": 0,
            "calls_today": 0,
            "drops_today": 0,
            "answers_today": 0,
        }

    # -- what the dialer hears ------------------------------------------------------------------
    def _new_day(self, now: float) -> None:
        if self.days.crossed(now):
            self.today = dict.fromkeys(self.today, 0)

    def on_dial(self, now: float) -> None:
        self._new_day(now)
        self.dials.append(now)
        self.today["calls"] += 1

    def on_result(self, now: float, result: int, age: float) -> None:
        if result == CONNECTED or result in UNANSWERED:
            self._new_day(now)
            self.today["answers"] += 1
            if result != CONNECTED:
                self.today["drops"] += 1
                self.drops.append(now)

    # -- the loops ------------------------------------------------------------------------------
    def _hhmm(self, now: float) -> int:
        t = self.calendar.local(now, self.calendar.site)
        return t.hour * 100 + t.minute

    def _update_drops(self, now: float) -> None:
        for q in (self.dials, self.drops):
            while q and q[0] <= now - 60:
                q.popleft()
        self._new_day(now)
        self.stats = {
            "calls_one": len(self.dials),
            "drops_one": len(self.drops),
            "calls_today": self.today["calls"],
            "drops_today": self.today["drops"],
            "answers_today": self.today["answers"],
        }

    def _update_level(self, now: float) -> None:
        if self.settings.dial_method == "RATIO" or not self.samples:
            return
        n = len(self.samples)
        agents_avg = sum(s[2] for s in self.samples) / n
        if agents_avg <= 0:
            return
        self.level = next_dial_level(
            self.level,
            self.settings,
            ready_avg=sum(s[0] for s in self.samples) / n,
            waiting_avg=sum(s[1] for s in self.samples) / n,
            agents_avg=agents_avg,
            hhmm=self._hhmm(now),
            **self.stats,
        )

    def decide(self, obs: Observation) -> int:
        now = obs.now
        while now >= self.next_sample:
            self.samples.append((obs.ready, obs.waiting, obs.logged_in))
            if now >= self.next_drops:
                self._update_drops(now)
                self.next_drops += DROPS_S
            if now >= self.next_level:
                self._update_level(now)
                self.next_level += LEVEL_S
            self.next_sample += SAMPLE_S
        if now < self.next_dial:
            return 0
        while self.next_dial <= now:
            self.next_dial += DIAL_S
        goal = round(self.level * obs.logged_in)
        return within_lines(obs, goal - obs.lines_in_use)
