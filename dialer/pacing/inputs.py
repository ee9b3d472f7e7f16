"""What a pacer is built from: its settings and the centre's beliefs, and nothing else.

A pacer never receives the campaign: no population, no truth, no list. :class:`PacerInputs` is
the whole of what it may know before the run (the OCS's configuration, and the durations the
centre configured or measured: ``ocs:`` in the campaign file); during the run it sees only the
Stat Server's view and its own calls (:class:`~dialer.pacing.base.Observation`) and the results
of its own dials. :func:`dialer.sim.beliefs.pacer_inputs` builds this value from a campaign.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.clock import Calendar
from dialer.config import Adaptive as AdaptiveSettings
from dialer.rng import Dist


@dataclass(frozen=True)
class GroupTimes:
    """The durations the OCS assumes for one agent group."""

    name: str
    talk_time_s: Dist
    wrap_time_s: Dist
    machine_time_s: Dist


@dataclass(frozen=True)
class Beliefs:
    """The durations the OCS assumes (``ocs:``; each defaults to the truth's value)."""

    answer_time_s: Dist
    detect_time_s: Dist
    groups: tuple[GroupTimes, ...]


@dataclass(frozen=True)
class PacerInputs:
    """Everything a pacer is built from (see the module docstring)."""

    mode: str
    beliefs: Beliefs
    calendar: Calendar  # the site's calendar: time of day, calendar days
    agents: int  # agents configured for the campaign (logged in or not)
    abandon_after_s: float
    ring_timeout_s: float
    amd: bool
    fp_estimate: float  # the centre's AMD false-positive estimate in effect (0 without AMD)
    regime: str  # fcc | ofcom
    limit: float  # the regime's abandon-rate limit
    ratio: float = 2.0
    target_abandon_rate: float = 0.03
    history_length: int = 200
    decision_interval_s: float = 1.0
    decision_gap_s: float = 0.5
    small_group_agents: int = 0
    goal: str = "max_talk"
    goal_target: float = 0.85
    max_abandon_rate: float = 0.03
    adaptive: AdaptiveSettings = AdaptiveSettings()

    @property
    def midnights(self) -> list[float]:
        """The site's midnights after the start (simulated seconds): calendar-day edges."""
        return [m for m in self.calendar.site_midnights() if m > 0]
