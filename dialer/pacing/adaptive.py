"""VICIdial's adaptive predictive pacing, the open-source baseline, as VICIdial 2.14 runs it.

Two VICIdial processes make the pacer (read in ``bin/AST_VDadapt.pl`` build 250218-1613 and
``bin/AST_VDauto_dial.pl`` build 240917-1719 of VICIdial 2.14b0.5; docs/modes.md says what is
and is not modelled):

* the level process (AST_VDadapt.pl) loops every second: it samples the ready agents, the
  answered calls waiting for an agent and the logged-in agents, and averages the last 15
  samples; while that agent average is above zero it recounts the drop statistics once 60
  seconds have passed since it last did (:meth:`Adaptive._calculate_drops`) and moves the dial
  level once 15 seconds have passed since the last move (:func:`next_dial_level`); each count
  restarts when its update runs, so a gap without agents shifts the schedule. It restarts (the
  samples cleared) in the minute ``timeclock_end_of_day``;
* the dialer (AST_VDauto_dial.pl) every 2.5 seconds places round-half-even(L x agents) minus
  the calls already up (ringing, waiting or with an agent), where the agents are those ready or
  in a call: agents in wrap-up (VICIdial's PAUSED disposition screen) are not dialed for.

What VICIdial counts as a call is a ``vicidial_log`` row: written when the call's result is
known (here: the CPD verdict), dated then. Its answers are the human-answered statuses: drops,
and the calls its agents dispositioned as persons (an agent's answering-machine disposition,
status A, is not one); a disposition is made at the end of the agent's wrap-up. Percentages are
compared as ``sprintf("%.2f")`` strings, and the level is stored in ``auto_dial_level
VARCHAR(6)``, so a longer value is cut to six characters before the next update reads it.

``dial_method: RATIO`` keeps ``auto_dial_level`` fixed (VICIdial's ratio dialing).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from dialer.clock import DayEdges
from dialer.config import Adaptive as AdaptiveSettings
from dialer.pacing.base import (
    AGENT_MACHINE,
    CONNECTED,
    DROPPED,
    UNANSWERED,
    Observation,
    Pacer,
    within_lines,
)
from dialer.pacing.inputs import PacerInputs

SAMPLE_S = 1.0  # AST_VDadapt.pl's loop (a 1-second sleep; its own run time is not modelled)
SAMPLES = 15  # the samples averaged
LEVEL_S = 15  # seconds between level updates (while there are agents)
DROPS_S = 60  # seconds between drop recounts
GATHER_LOOPS = 10  # drop rate groups are gathered every 10 loops
DIAL_S = 2.5  # AST_VDauto_dial.pl's loop
RECENT_S = 6 * 3600  # "recently dialed": drops are still recounted without agents
ADAPT = ("ADAPT_HARD_LIMIT", "ADAPT_AVERAGE", "ADAPT_TAPERED")
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# -- VICIdial's arithmetic -------------------------------------------------------------------------
def percent(part: float, whole: float) -> float:
    """``part / whole`` in percent as VICIdial compares it: ``sprintf("%.2f", part / whole * 100)``
    (Python's formatting rounds the exact binary value half to even, as C's printf does)."""
    return float(f"{part / whole * 100:.2f}")


def stored(level: float) -> float:
    """The level as the next update reads it back: Perl's string of the number (15 significant
    digits) in ``auto_dial_level VARCHAR(6)``, cut to six characters as MySQL does outside
    strict mode (in strict mode the UPDATE would fail and the old level stay)."""
    return float(f"{level:.15g}"[:6])


@dataclass(frozen=True)
class DropStats:
    """One drop recount (calculate_drops): ``vicidial_log`` rows of the last minute and of today.

    ``answers_today`` are rows with a human-answered status: ``handled_today`` (the calls the
    agents dispositioned as persons) plus ``drops_today``; ``machines_today`` are the calls the
    agents dispositioned as answering machines (used by the Ofcom formula only).
    """

    calls_one: int = 0
    drops_one: int = 0
    calls_today: int = 0
    drops_today: int = 0
    handled_today: int = 0
    machines_today: int = 0

    @property
    def answers_today(self) -> int:
        return self.handled_today + self.drops_today

    def one_minute_pct(self) -> float:
        return percent(self.drops_one, self.calls_one) if self.drops_one and self.calls_one else 0.0

    def today_pct(self, ofcom: bool = False) -> float:
        """Today's drop percentage (AST_VDadapt.pl ~3904-3945)."""
        if self.calls_today <= 0 or self.drops_today <= 0:
            return 0.0
        if ofcom:  # over the agent-handled answers plus those drops
            drops = ofcom_drops(self)
            return percent(drops, max(self.handled_today + drops, 1))
        return percent(self.drops_today, max(self.answers_today, 1))


def ofcom_drops(stats: DropStats) -> float:
    """Today's drops as the UK Ofcom formula (since December 2015) counts them: less the share
    of them the agents' answering-machine dispositions suggest were machines (3 decimals)."""
    drops: float = stats.drops_today
    if stats.machines_today > 0:
        drops = drops - drops * (
            stats.machines_today / (stats.handled_today + stats.machines_today)
        )
    return float(f"{drops:.3f}")


class AgentCounts(NamedTuple):
    """Agents by VICIdial status when the level is calculated (its threshold checks)."""

    logged_in: int  # every status, PAUSED (wrap-up) included
    in_call: int  # INCALL and QUEUE: talking
    ready: int  # READY


def _below(kind: str, wanted: int, logged_in: int, nonpaused: int, ready: int) -> bool:
    """A threshold of ``kind`` (LOGGED-IN_AGENTS, ...) acts: fewer than ``wanted`` agents."""
    if kind == "LOGGED-IN_AGENTS":
        return wanted > logged_in
    if kind == "NON-PAUSED_AGENTS":
        return wanted > nonpaused
    if kind == "WAITING_AGENTS":
        return wanted > ready
    return False


def next_dial_level(
    level: float,
    settings: AdaptiveSettings,
    *,
    ready_avg: float,
    waiting_avg: float,
    agents_avg: float,
    hhmm: int,
    calls_one: int = 0,
    drops_one_pct: float = 0.0,
    calls_today: int = 0,
    drops_today_pct: float = 0.0,
    agents: AgentCounts | None = None,
) -> float:
    """One update of VICIdial's adaptive dial level (AST_VDadapt.pl calculate_dial_level, ~6795):
    the level it stores. ``drops_one_pct`` and ``drops_today_pct`` are VICIdial's rounded
    percentages (:class:`DropStats`); ``agents`` the counts its threshold checks read."""
    s = settings
    target = ready_avg - waiting_avg + s.adaptive_dl_diff_target
    mul = target / agents_avg if target != 0 and agents_avg != 0 else 0.0
    pct = mul * 100
    intensity = s.adaptive_intensity / 100
    pct = pct * abs(intensity - 1) if pct < 0 else pct * (intensity + 1)
    new = float(f"{level * (pct / 100 + 1):.3f}")
    if new > s.adaptive_maximum_level:
        new = s.adaptive_maximum_level
    if new < 1:
        new = 1.0
    if calls_one > 20 and drops_one_pct > 50:
        new = new / 2
    if calls_today > 50 and drops_today_pct > s.adaptive_dropped_percentage:
        if s.dial_method == "ADAPT_HARD_LIMIT":
            new = 1.0
        elif s.dial_method == "ADAPT_AVERAGE":
            new = new / 2
        elif s.dial_method == "ADAPT_TAPERED":
            left = s.adaptive_latest_server_time - hhmm  # HHMM arithmetic, as VICIdial does it
            new = 1.0 if left < 0 else new * (1.0 if left > 1000 else left / 1000)
    if agents is not None and _below(
        s.dial_level_threshold,
        s.dial_level_threshold_agents,
        agents.logged_in,
        agents.in_call + agents.ready,
        agents.ready,
    ):
        new = 1.0
    if new < 1:
        new = 1.0
    return stored(new)


# -- drop rate groups ------------------------------------------------------------------------------
class DropRateGroup:
    """Campaigns that share one drop percentage (VICIdial's ``drop_rate_group``).

    VICIdial sums its members' last recounts every 10 loops (drop_rate_group_gather, ~4317),
    after the campaigns' own work in that loop; a member's daily cap then reads the percentage
    of the last gathering, which is one recount late.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.members: list[Adaptive] = []

    def pct(self, gathered_at: float | None) -> float:
        """The group's percentage as gathered at ``gathered_at`` (0 before any gathering)."""
        if gathered_at is None:
            return 0.0
        drops = 0.0
        answers = handled = 0
        ofcom = False
        for member in self.members:
            st = member.published_at(gathered_at)
            if st is None:
                continue
            own_ofcom = member.settings.ofcom_uk_drop_calc
            ofcom = ofcom or own_ofcom
            # a member stores its drops as Ofcom counts them when it uses Ofcom's formula
            drops += ofcom_drops(st) if own_ofcom else st.drops_today
            answers += st.answers_today
            handled += st.handled_today
        if drops <= 0:
            return 0.0
        if ofcom:
            return percent(drops, max(handled + drops, 1))
        return percent(drops, max(answers, 1))


def join_drop_rate_groups(pacers: Iterable[Pacer]) -> None:
    """Link the adaptive pacers whose ``drop_rate_group`` names the same group (a centre with
    several campaigns calls this after building its pacers)."""
    groups: dict[str, DropRateGroup] = {}
    for pacer in pacers:
        if isinstance(pacer, Adaptive) and pacer.group is not None:
            group = groups.setdefault(pacer.group.name, DropRateGroup(pacer.group.name))
            group.members.append(pacer)
            pacer.group = group


# -- the pacer -------------------------------------------------------------------------------------
class Adaptive(Pacer):
    """VICIdial's adaptive predictive dialer (dial_method ADAPT_* or RATIO)."""

    name = "adaptive"
    tick_s = 0.5  # lands on every 1 s loop of the level process and every 2.5 s dialing step
    tick_strict = True

    def __init__(self, inputs: PacerInputs):
        s = self.settings = inputs.adaptive
        self.level = stored(s.auto_dial_level)  # auto_dial_level as stored
        self.calendar = inputs.calendar
        self.abandon_after_s = inputs.abandon_after_s
        self.days = DayEdges(inputs.midnights)
        # the minutes the level process is down (its clock never reads 2400)
        eod = s.timeclock_end_of_day
        start = eod // 100 * 3600 + eod % 100 * 60
        self.shutdowns = deque(
            self.calendar.shifts(start, start + 60, EVERY_DAY) if eod < 2400 else ()
        )
        self.group: DropRateGroup | None = None
        if s.drop_rate_group != "DISABLED":
            self.group = DropRateGroup(s.drop_rate_group)
            self.group.members.append(self)
        # the level process (AST_VDadapt.pl)
        self.samples: deque[tuple[int, int, int]] = deque(maxlen=SAMPLES)
        self.next_loop = 0.0
        self.loops = 0  # loops since its (re)start: VICIdial's stat_count - 1
        self.diff_updater = 0.0  # seconds counted toward the next level update
        self.drop_updater = DROPS_S + 1.0  # set to 61 so that a first recount runs at once
        self.gathered_at: float | None = None  # the last drop-rate-group gathering
        self.published: deque[tuple[float, DropStats]] = deque(maxlen=3)
        self.stats = DropStats()
        self.drops_today_pct = 0.0
        # the dialer (AST_VDauto_dial.pl)
        self.next_dial = 0.0
        # vicidial_log as far as this campaign's counts go
        self.rows: deque[float] = deque()  # dates of the rows of the last minute
        self.drop_rows: deque[float] = deque()
        self.today = {"calls": 0, "drops": 0, "connects": 0, "machines": 0}
        self.last_call = -math.inf  # the last dial or row: "recently dialed"

    # -- what the dialer hears ------------------------------------------------------------------
    def _new_day(self, now: float) -> None:
        if self.days.crossed(now):
            self.today = dict.fromkeys(self.today, 0)

    def on_dial(self, now: float) -> None:
        self.last_call = now

    def on_result(self, now: float, result: int, age: float) -> None:
        self._new_day(now)
        if result in UNANSWERED:
            # the row written when the call was answered now says DROP; it is dated then (the
            # OCS's own timer ends a call abandon_after_s after it; a person who hung up first
            # did so sooner, by an amount the dialer does not know: dated now)
            at = now - self.abandon_after_s if result == DROPPED else now
            self.drop_rows.append(at)
            self.today["drops"] += 1
        elif result == CONNECTED:
            self.today["connects"] += 1
        elif result == AGENT_MACHINE:
            self.today["machines"] += 1
        else:  # FAILED, MACHINE_VERDICT, HUMAN_VERDICT: the call's row is written now
            self.rows.append(now)
            self.today["calls"] += 1
            self.last_call = now

    # -- the level process (AST_VDadapt.pl) -----------------------------------------------------
    def _hhmm(self, now: float) -> int:
        t = self.calendar.local(now, self.calendar.site)
        return t.hour * 100 + t.minute

    def published_at(self, at: float) -> DropStats | None:
        """This campaign's last recount made at or before ``at`` (its vicidial_campaign_stats)."""
        for when, st in reversed(self.published):
            if when <= at:
                return st
        return None

    def _calculate_drops(self, now: float, obs: Observation) -> None:
        """Recount the last minute's and today's rows (calculate_drops, ~2974)."""
        self._new_day(now)
        edge = math.floor(now) - DROPS_S  # call_date > one minute ago, to the second
        while self.rows and math.floor(self.rows[0]) <= edge:
            self.rows.popleft()
        # drops are dated back to their answer, so not always in order
        self.drop_rows = deque(t for t in self.drop_rows if math.floor(t) > edge)
        t = self.today
        # an answer counts once its agent has dispositioned it: the calls connected today
        # less the answering machines, less those still with an agent (talking or wrapping up)
        handled = t["connects"] - t["machines"] - obs.talking - obs.wrapping
        calls_one = len(self.rows)
        self.stats = DropStats(
            calls_one=calls_one,
            # VICIdial counts the minute's drops only when the minute has calls (a person who
            # hung up is dated a little late, so its row may have left the minute already)
            drops_one=len(self.drop_rows) if calls_one else 0,
            calls_today=t["calls"],
            drops_today=t["drops"],
            handled_today=max(handled, 0),
            machines_today=t["machines"],
        )
        self.drops_today_pct = self.stats.today_pct(self.settings.ofcom_uk_drop_calc)
        if self.group is not None:
            self.drops_today_pct = self.group.pct(self.gathered_at)
        self.published.append((now, self.stats))

    def _calculate_level(self, now: float, obs: Observation) -> None:
        n = len(self.samples)
        self.level = next_dial_level(
            self.level,
            self.settings,
            ready_avg=sum(x[0] for x in self.samples) / n,
            waiting_avg=sum(x[1] for x in self.samples) / n,
            agents_avg=sum(x[2] for x in self.samples) / n,
            hhmm=self._hhmm(now) if self.settings.dial_method == "ADAPT_TAPERED" else 0,
            calls_one=self.stats.calls_one,
            drops_one_pct=self.stats.one_minute_pct(),
            calls_today=self.stats.calls_today,
            drops_today_pct=self.drops_today_pct,
            agents=AgentCounts(obs.logged_in, obs.talking, obs.ready),
        )

    def _loop(self, now: float, obs: Observation) -> None:
        """One loop of the level process at ``now``."""
        while self.shutdowns and self.shutdowns[0][1] <= now:
            self.shutdowns.popleft()
        if self.shutdowns and self.shutdowns[0][0] <= now:
            # timeclock_end_of_day: the process exits; the keepalive starts it again at the
            # next minute, with its samples and counts from scratch (the level stays stored)
            self.next_loop = self.shutdowns.popleft()[1]
            self.samples.clear()
            self.loops, self.diff_updater, self.drop_updater = 0, 0.0, DROPS_S + 1.0
            self.stats, self.drops_today_pct = DropStats(), 0.0
            return
        self.samples.append((obs.ready, obs.waiting, obs.logged_in))
        agents_avg = sum(x[2] for x in self.samples)
        if agents_avg > 0:
            if self.drop_updater >= DROPS_S:
                self._calculate_drops(now, obs)
                self.drop_updater = 0.0
            if self.diff_updater >= LEVEL_S:
                if self.settings.dial_method in ADAPT:
                    self._calculate_level(now, obs)
                self.diff_updater = 0.0
        elif self.drop_updater >= DROPS_S and now - self.last_call <= RECENT_S:
            self._calculate_drops(now, obs)  # no agents, but dialed recently
            self.drop_updater = 0.0
        if self.loops % GATHER_LOOPS == 0:
            self.gathered_at = now
        # the counts grow by the time since the previous loop's end; the first loop after a
        # (re)start measures from its own beginning: nothing, in a loop with no run time
        elapsed = SAMPLE_S if self.loops else 0.0
        self.loops += 1
        self.diff_updater += elapsed
        self.drop_updater += elapsed
        self.next_loop = now + SAMPLE_S

    # -- the dialer (AST_VDauto_dial.pl) --------------------------------------------------------
    def goal_calls(self, obs: Observation) -> int:
        """The calls a dialing step wants up (AST_VDauto_dial.pl ~1135-1228): round(level x
        agents), the agents being those ready or in a call; with the available-only tally, the
        ready agents only, plus the calls agents hold."""
        s = self.settings
        ready, nonpaused = obs.ready, obs.ready + obs.talking
        active_only = s.available_only_ratio_tally or _below(
            s.available_only_tally_threshold,
            s.available_only_tally_threshold_agents,
            nonpaused,  # what it counts as logged in here: the agents not paused
            nonpaused,
            ready,
        )
        agents: float = ready if active_only else nonpaused
        level = self.level
        if _below(
            s.dial_level_threshold, s.dial_level_threshold_agents, nonpaused, nonpaused, ready
        ):
            level = 1.0
        if s.dl_diff_target_method == "CALLS_PLACED":
            agents = max(agents + s.adaptive_dl_diff_target, 0)
        goal = level * agents
        if active_only:
            goal += obs.lines_in_use - obs.in_flight - obs.waiting  # calls with an agent
        return round(goal)  # sprintf("%.0f"): half to even, as Python's round

    def decide(self, obs: Observation) -> int:
        now = obs.now
        while now >= self.next_loop:
            self._loop(self.next_loop, obs)
        if now < self.next_dial:
            return 0
        while self.next_dial <= now:
            self.next_dial += DIAL_S
        return within_lines(obs, self.goal_calls(obs) - obs.lines_in_use)
