"""The campaign file: its schema with every default, validation at load, and dotted overrides.

This is the only module that reads or writes YAML. A campaign is a tree of frozen
dataclasses; each field's metadata (see :mod:`dialer.schema`) says how it is parsed, what it
defaults to and what it means, so the defaults live here and nowhere else. The same dotted key
(``dialing.ratio``, ``agents.groups.renewals.count``, ``agents.groups.0.count``) addresses a
value in the YAML file, in ``--set``, in :meth:`Campaign.override` and in sweep factors.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dialer.errors import InputError, show
from dialer.rng import Dist
from dialer.schema import (
    BAD,
    Days,
    DbidZones,
    Duration,
    FilePath,
    Flag,
    Integer,
    Items,
    Number,
    Optional,
    Problems,
    Seconds,
    Section,
    Share,
    Shares,
    Spec,
    Text,
    TimeOfDay,
    Timestamp,
    Zone,
    build,
    did_you_mean,
    dump,
    opt,
    section,
)

MODES = ("preview", "progressive", "power", "predictive", "optimized", "adaptive", "threshold")
# Agentless modes (Genesys Power GVP and Progressive GVP): answers hear a message on an IVR port.
IVR_MODES = ("power_ivr", "progressive_ivr")
ASM_MODES = ("progressive", "predictive", "optimized")  # Genesys "with seizing" modes
OUTCOMES = ("human", "machine", "busy", "no_answer", "fax", "invalid")
MAX_AGENTS = 100_000  # per group: beyond any real centre (a 100-million typo would fill memory)
# Results a treatment can be attached to (see docs/treatments.md).
TREATABLE = ("busy", "no_answer", "answering_machine", "fax", "invalid", "abandoned", "dropped")


def lognormal(mean: float, sd: float) -> Dist:
    return Dist("lognormal", mean_=mean, sd=sd)


def exponential(mean: float) -> Dist:
    return Dist("exponential", mean_=mean)


@dataclass(frozen=True)
class CallingList:
    size: int | None = opt(
        Optional(Number(1, integer=True)),
        10000,
        "records in the synthetic list; null = an endless stream (steady-state studies)",
    )
    timezones: dict[str, float] | None = opt(
        Optional(Shares(Zone())),
        None,
        "synthetic list: share of records per IANA time zone; null = all in the site's zone",
    )
    daily_from: int = opt(
        TimeOfDay(), 8 * 3600, "start of each record's calling window, in its local time"
    )
    daily_till: int = opt(
        TimeOfDay(), 21 * 3600, "end of each record's calling window, in its local time"
    )
    max_attempts: int = opt(
        Number(1, integer=True), 5, "dials per record at most (Genesys Maximum Attempts)"
    )
    file: str | None = opt(
        Optional(FilePath()),
        None,
        "a Genesys-format calling list (CSV, docs/lists.md), relative to the campaign file; "
        "replaces the synthetic list (size, timezones); its empty daily_from / daily_till take the values above",
    )
    time_zones: dict[int, str] | None = opt(
        Optional(DbidZones()),
        None,
        "list file: tz_dbid -> IANA time zone, e.g. {1: America/New_York}; an empty tz_dbid means the site's zone",
    )
    unknown_tz_dbid: str | None = opt(
        Optional(Zone()),
        None,
        "list file: the IANA time zone of records whose tz_dbid is not a key of time_zones; "
        "null = such a record is an error (an empty tz_dbid means the site's zone)",
    )

    def check(self, key: str, problems: Problems) -> None:
        if self.daily_till <= self.daily_from:
            problems.say(f"{key}.daily_till", "expected a time after daily_from")


@dataclass(frozen=True)
class Dnc:
    share: float = opt(
        Share(), 0.0, "synthetic lists: share of records whose phone is on the DNC list"
    )
    file: str | None = opt(
        Optional(FilePath()),
        None,
        "a do-not-call list (CSV with columns phone and / or customer_id, as gsw_donotcall_list), "
        "relative to the campaign file; checked before every dial, phone first, then customer id; "
        "rows with a time_stamp after the start are opt-outs that reach the table during the run",
    )
    requests_per_hour: float = opt(
        Number(0),
        0.0,
        "opt-outs from outside the calls (web, text, letters) per hour, Poisson, each for a "
        "number on the list: they reach the DNC table at once and the OCS at its next re-read",
    )
    refresh_s: float | None = opt(
        Optional(Seconds()),
        None,
        "the OCS re-reads the DNC table every refresh_s seconds from the start (0: at once); "
        "null = never during the run (agent-filed requests are in its memory at once)",
    )


@dataclass(frozen=True)
class HourShares:
    """Per-dial shares from one local time of day on (``population.by_hour``)."""

    human: float = opt(Share(), doc="share of dials a live person answers from this time on")
    machine: float = opt(Share(), doc="share of dials an answering machine answers")
    busy: float = opt(Share(), doc="share of dials that find the line busy")
    no_answer: float = opt(Share(), doc="share of dials nobody answers")
    fax: float = opt(Share(), doc="share of dials a fax or modem answers")
    invalid: float | None = opt(
        Optional(Share()),
        None,
        "may be given, but must equal population.invalid (a number's validity does not change with the hour)",
    )


class ByHour(Spec):
    """A mapping "HH:MM" (the called party's local time) -> per-dial shares from then on."""

    kind = 'mapping "HH:MM": shares'

    def parse(self, raw, key, problems):
        if not isinstance(raw, dict) or not raw:
            return problems.add(
                key, 'a non-empty mapping "HH:MM": {human: ..., machine: ..., ...}', raw
            )
        before = len(problems)
        out = {}
        for at, shares in raw.items():
            seconds = TimeOfDay().parse(at, f"{key}.{at}", problems)
            entry = build(HourShares, shares, f"{key}.{at}", problems)
            if seconds is not BAD and seconds >= 24 * 3600:
                problems.add(f"{key}.{at}", 'a time of day before "24:00"', at)
            elif seconds is not BAD and entry is not BAD:
                out[seconds] = entry
        return BAD if len(problems) > before else dict(sorted(out.items()))

    def dump(self, value):
        return {TimeOfDay().dump(at): dump(v) for at, v in value.items()}


@dataclass(frozen=True)
class Population:
    human: float = opt(Share(), 0.22, "share of dials a live person answers (per dial)")
    machine: float = opt(Share(), 0.18, "share of dials an answering machine answers")
    busy: float = opt(Share(), 0.05, "share of dials that find the line busy")
    no_answer: float = opt(Share(), 0.45, "share of dials nobody answers")
    fax: float = opt(Share(), 0.02, "share of dials a fax or modem answers")
    invalid: float = opt(
        Share(),
        0.08,
        "share of records whose number is invalid (SIT); drawn once per record",
    )
    answer_time_s: Dist = opt(Duration(), lognormal(9, 4), "time from dial to a person's answer")
    machine_answer_time_s: Dist = opt(
        Duration(), lognormal(18, 4), "time from dial to a machine's (or fax's) answer"
    )
    busy_time_s: Dist = opt(Duration(), Dist.constant(4), "time from dial to the busy signal")
    invalid_time_s: Dist = opt(Duration(), Dist.constant(3), "time from dial to the SIT tones")
    patience_s: Dist = opt(
        Duration(),
        exponential(4),
        "how long a person who answered waits in silence before hanging up",
    )
    dnc_request: float = opt(
        Share(),
        0.0,
        "share of persons connected to an agent who ask not to be called again (the agent files it: "
        "in the OCS's memory at once, for the phone, the customer id and the chain)",
    )
    callback_request: float = opt(
        Share(),
        0.0,
        "share of persons connected to an agent who ask to be called back (those who opt out do not)",
    )
    callback_delay_s: Dist = opt(
        Duration(),
        lognormal(7200, 3600),
        "when a callback is asked for: seconds after the end of the call",
    )
    personal_callback: float = opt(
        Share(),
        0.5,
        "share of callback requests for the same agent (Genesys record_type 5 PersonalCallBack; "
        "the rest are 6 CampaignCallBack: any agent)",
    )
    by_hour: dict[int, HourShares] | None = opt(
        Optional(ByHour()),
        None,
        'per-dial shares by the called party\'s local time: {"HH:MM": {human, machine, busy, no_answer, fax}} '
        "from each time until the next; before the first, the shares above (docs/lists.md)",
    )

    def shares(self) -> dict[str, float]:
        return {o: getattr(self, o) for o in OUTCOMES}

    def check(self, key: str, problems: Problems) -> None:
        total = sum(self.shares().values())
        if abs(total - 1) > 1e-6:
            problems.say(
                key or "population",
                f"expected human + machine + busy + no_answer + fax + invalid = 1, got {total:g}",
            )
        elif self.invalid >= 1:
            problems.add(f"{key}.invalid", "a share below 1", self.invalid)
        for at, entry in (self.by_hour or {}).items():
            where = f"{key}.by_hour.{TimeOfDay().dump(at)}"
            if entry.invalid is not None and abs(entry.invalid - self.invalid) > 1e-9:
                problems.add(
                    f"{where}.invalid",
                    f"{self.invalid:g} (population.invalid: a number's "
                    "validity does not change with the hour)",
                    entry.invalid,
                )
                continue
            total = sum(getattr(entry, o) for o in OUTCOMES[:5]) + self.invalid
            if abs(total - 1) > 1e-6:
                problems.say(
                    where,
                    "expected human + machine + busy + no_answer + fax + invalid "
                    f"(population.invalid, {self.invalid:g}) = 1, got {total:g}",
                )


@dataclass(frozen=True)
class Cpd:
    ring_timeout_s: float = opt(
        Seconds(0, low_open=True), 25.0, "ringing time before a dial counts as no answer"
    )
    amd: bool = opt(Flag(), True, "answering-machine detection on")
    amd_false_positive: float = opt(
        Share(), 0.05, "share of persons AMD classifies as machines (and hangs up on)"
    )
    amd_false_negative: float = opt(
        Share(), 0.15, "share of machines AMD classifies as persons (passed to agents)"
    )
    amd_false_positive_estimate: float = opt(
        Number(0, 0.99),
        0.05,
        "the centre's own estimate of amd_false_positive (Ofcom abandon rate)",
    )
    detect_time_s: Dist = opt(
        Duration(),
        Dist("uniform", low=1.5, high=3.5),
        "AMD analysis time after the answer (skipped when amd is false)",
    )
    ports: int | None = opt(
        Optional(Number(1, integer=True)),
        None,
        "CPD ports: dials in call-progress analysis at once (from the dial to the CPD verdict); "
        "null = as many as needed",
    )
    port_wait_s: float = opt(
        Seconds(0, low_open=True),
        5.0,
        "a dial that finds no free CPD port waits this long for one, then fails with Genesys "
        "result 44 No Free Port Error (the record stays Ready, undialed)",
    )
    engage_ports: int | None = opt(
        Optional(Number(1, integer=True)),
        None,
        "ASM (dialing.asm): engaging ports, one per engaged agent (from its engagement to the end "
        "of its call); null = one per agent",
    )
    engage_time_s: float = opt(
        Seconds(),
        0.0,
        "ASM: time to engage a ready agent on an engaging call (the agent is reserved meanwhile)",
    )

    @property
    def fp_estimate(self) -> float:
        """The AMD false-positive estimate in effect: none without AMD (no machine detection,
        no person hung up on as a machine)."""
        return self.amd_false_positive_estimate if self.amd else 0.0


@dataclass(frozen=True)
class Shift:
    """When a group's agents are logged in, in the site's time zone."""

    start: int = opt(TimeOfDay(), doc="log-in time (site local)")
    end: int = opt(
        TimeOfDay(), doc="log-out time (site local); before start = the next day (a night shift)"
    )
    days: tuple[str, ...] = opt(
        Days(),
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        "days the shift starts on",
    )

    def check(self, key: str, problems: Problems) -> None:
        if self.start >= 24 * 3600:
            problems.add(f"{key}.start", 'a time before "24:00"', "24:00")
        elif self.end == self.start or (self.end == 24 * 3600 and self.start == 0):
            problems.say(
                f"{key}.end",
                "expected an end different from start (omit shift for agents logged in all the time)",
            )


@dataclass(frozen=True)
class AgentGroup:
    name: str = opt(Text(), "agents", "group name (addressable in --set as agents.groups.<name>)")
    count: int = opt(
        Number(0, MAX_AGENTS, integer=True), 10, "agents in the group (at most 100,000)"
    )
    talk_time_s: Dist = opt(Duration(), lognormal(180, 120), "talk time of a connected call")
    wrap_time_s: Dist = opt(Duration(), exponential(20), "after-call work (wrap-up) time")
    machine_time_s: Dist = opt(
        Duration(), Dist.constant(6), "agent time on a machine that AMD passed as a person"
    )
    shift: Shift | None = opt(
        Optional(Section(Shift)),
        None,
        "working hours {start, end, days} in site time: agents log in at start and out at end "
        "(after the call and wrap-up in hand); null = logged in the whole run",
    )


@dataclass(frozen=True)
class Agents:
    groups: tuple[AgentGroup, ...] = opt(
        Items(AgentGroup),
        factory=lambda: (AgentGroup(),),
        doc="agent groups; every group serves the campaign",
    )

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)


ADAPT_METHODS = ("ADAPT_HARD_LIMIT", "ADAPT_TAPERED", "ADAPT_AVERAGE", "RATIO")
DL_DIFF_METHODS = ("ADAPT_CALC_ONLY", "CALLS_PLACED")
AGENT_THRESHOLDS = ("DISABLED", "LOGGED-IN_AGENTS", "NON-PAUSED_AGENTS", "WAITING_AGENTS")
GOALS = ("busy_factor", "agent_wait_s", "max_talk")


class HourMinute(Number):
    """VICIdial's HHMM server time as an integer (2100 = 21:00)."""

    kind = "HHMM integer"

    def parse(self, raw, key, problems):
        value = Number(0, 2400, integer=True).parse(raw, key, problems)
        if value is BAD:
            return BAD
        if value % 100 >= 60:
            return problems.add(key, "an HHMM time such as 2100 (minutes below 60)", raw)
        return value


@dataclass(frozen=True)
class Adaptive:
    """VICIdial's adaptive predictive settings, with VICIdial's own names and defaults."""

    dial_method: str = opt(
        Text(ADAPT_METHODS),
        "ADAPT_HARD_LIMIT",
        "what happens when today's drop % exceeds the limit: HARD_LIMIT sets the level to 1.0, "
        "AVERAGE halves it, TAPERED multiplies it by the hours left before the latest server time; "
        "RATIO keeps auto_dial_level fixed",
    )
    auto_dial_level: float = opt(
        Number(1.0), 1.0, "initial dial level (lines per ready or in-call agent)"
    )
    adaptive_maximum_level: float = opt(
        Number(1.0), 3.0, "highest dial level the algorithm may set"
    )
    adaptive_dropped_percentage: float = opt(
        Number(0, 100), 3.0, "today's drop limit, percent of human answers"
    )
    adaptive_intensity: float = opt(
        Number(-100, 100), 0.0, "percent: positive dials harder when raising, negative softer"
    )
    adaptive_dl_diff_target: float = opt(
        Number(-100, 100), 0.0, "agents waiting (negative: calls waiting) the level aims for"
    )
    adaptive_latest_server_time: int = opt(
        HourMinute(), 2100, "HHMM: the end of the calling day for ADAPT_TAPERED"
    )
    dl_diff_target_method: str = opt(
        Text(DL_DIFF_METHODS),
        "ADAPT_CALC_ONLY",
        "ADAPT_CALC_ONLY: adaptive_dl_diff_target enters the level calculation only; "
        "CALLS_PLACED: it is also added to the agents the dialer dials for",
    )
    available_only_ratio_tally: bool = opt(
        Flag(),
        False,
        "dial for ready agents only (level x ready agents, plus the calls agents hold) instead of "
        "ready and in-call agents",
    )
    available_only_tally_threshold: str = opt(
        Text(AGENT_THRESHOLDS),
        "DISABLED",
        "dial for ready agents only while fewer than available_only_tally_threshold_agents "
        "agents of this kind are counted",
    )
    available_only_tally_threshold_agents: int = opt(
        Number(0, integer=True), 0, "the agents below which available_only_tally_threshold acts"
    )
    dial_level_threshold: str = opt(
        Text(AGENT_THRESHOLDS),
        "DISABLED",
        "hold the dial level at 1.0 while fewer than dial_level_threshold_agents agents of this "
        "kind are counted",
    )
    dial_level_threshold_agents: int = opt(
        Number(0, integer=True), 0, "the agents below which dial_level_threshold acts"
    )
    drop_rate_group: str = opt(
        Text(),
        "DISABLED",
        "campaigns naming the same group share one drop percentage for the daily cap "
        "(DISABLED: the campaign's own)",
    )
    ofcom_uk_drop_calc: bool = opt(
        Flag(),
        False,
        "UK Ofcom drop percentage: drops less the agents' answering-machine share of them, over "
        "agent-handled answers plus drops",
    )
    timeclock_end_of_day: int = opt(
        HourMinute(),
        0,
        "HHMM: the level process restarts in this minute (its 15 samples cleared, back a minute "
        "later)",
    )


@dataclass(frozen=True)
class Dialing:
    mode: str = opt(
        Text(MODES + IVR_MODES),
        "progressive",
        "dialing mode: "
        + ", ".join(MODES + IVR_MODES)
        + " (the last two agentless: docs/model.md)",
    )
    lines: int | None = opt(
        Optional(Number(1, integer=True)),
        None,
        "lines (trunks) for calls in progress; null = unlimited",
    )
    abandon_after_s: float = opt(
        Seconds(),
        2.0,
        "an answered person gets no agent within this many seconds: abandoned (US/UK rule 2 s)",
    )
    ratio: float = opt(
        Number(1.0),
        2.0,
        "power: dials in flight per ready agent (power_ivr: per free IVR port); threshold: the "
        "factor on free agents (kappa)",
    )
    extra: int = opt(
        Integer(),
        0,
        "threshold: dials added to ratio x free agents (c of ContactCenters' threshold dialer)",
    )
    min_free_in_groups: int = opt(
        Number(0, integer=True),
        1,
        "threshold: dial only while at least this many agents of the campaign's groups are free",
    )
    preview_time_s: Dist = opt(
        Duration(), lognormal(20, 8), "preview mode: time an agent reviews a record before dialing"
    )
    target_abandon_rate: float = opt(
        Share(), 0.03, "predictive: the overdial (abandon) rate to hold"
    )
    history_length: int = opt(
        Number(1, integer=True),
        200,
        "predictive / optimized: dial results in the hit-ratio window, "
        "and results before leaving the progressive warm-up",
    )
    decision_interval_s: float = opt(
        Seconds(0, low_open=True),
        1.0,
        "predictive / optimized: decide at least this often (besides every state change)",
    )
    decision_gap_s: float = opt(
        Seconds(),
        0.5,
        "predictive / optimized: after a decision, the next one waits at least this long "
        "(0 = decide after every change that could allow another dial; a few tenths of a second "
        "pace as well and cost far fewer forecasts)",
    )
    small_group_agents: int = opt(
        Number(0, integer=True),
        0,
        "predictive: below this many logged-in agents, use the small-group rule "
        "(dial a batch only when no dial is in flight); 0 = never",
    )
    goal: str = opt(
        Text(GOALS),
        "max_talk",
        "optimized: busy_factor (hold occupancy at goal_target), agent_wait_s (hold the mean "
        "agent wait at goal_target seconds) or max_talk (the most talk time the limit allows)",
    )
    goal_target: float = opt(
        Number(0, low_open=True),
        0.85,
        "optimized: the occupancy (busy_factor) or the seconds (agent_wait_s) to hold",
    )
    max_abandon_rate: float = opt(
        Share(), 0.03, "optimized: never exceed this abandon rate over the compliance window"
    )
    adaptive: Adaptive = section(Adaptive, "adaptive mode: VICIdial's adaptive predictive settings")
    transfer_delay_s: float = opt(
        Seconds(),
        0.0,
        "transfer mode: time a call classified human takes to reach its agent after the CPD "
        "verdict (counts against abandon_after_s; the agent is reserved meanwhile; not in preview)",
    )
    asm: bool = opt(
        Flag(),
        False,
        "Active Switching Matrix (Genesys 'with seizing'; progressive, predictive, optimized): the "
        "OCS engages each ready agent first (cpd.engage_ports, cpd.engage_time_s) and bridges an "
        "answer to an engaged agent at once (no transfer delay)",
    )

    def check(self, key: str, problems: Problems) -> None:
        if self.asm and self.mode not in ASM_MODES:
            problems.add(
                f"{key}.asm",
                f"false with mode {self.mode} (ASM: {', '.join(ASM_MODES)})",
                self.asm,
            )
        if self.goal == "busy_factor" and self.goal_target > 1:
            problems.add(
                f"{key}.goal_target",
                "an occupancy in (0, 1] for goal busy_factor",
                self.goal_target,
            )


CALLBACK_DIALS = ("predictive", "preview")


@dataclass(frozen=True)
class Callbacks:
    """How the OCS makes the callbacks persons ask for (and those a list file holds)."""

    dial: str = opt(
        Text(CALLBACK_DIALS),
        "predictive",
        "predictive: a campaign callback is dialed by the pacing among the others, first in "
        "priority; preview: a ready agent gets it as a preview and dials it (a personal callback "
        "always goes to its own agent, reserved for it)",
    )
    personal_timeout_s: float | None = opt(
        Optional(Seconds()),
        None,
        "a personal callback whose agent is not logged in and free this long after its time "
        "becomes a campaign callback (any agent; VICIdial's user-only move minutes); null = "
        "it waits for its agent",
    )
    window_s: float | None = opt(
        Optional(Seconds(0, low_open=True)),
        3600.0,
        "a callback not taken for dialing this long after its time is missed (record_status 8 "
        "MissedCallBack, not dialed again; one taken in time may still wait for a CPD port, "
        "`cpd.port_wait_s`); null = never missed",
    )
    on_time_s: float = opt(
        Seconds(),
        300.0,
        "a callback dialed at most this long after its time is on time (else late)",
    )


@dataclass(frozen=True)
class Ivr:
    """The IVR (GVP) ports of the agentless modes power_ivr and progressive_ivr."""

    ports: int | None = opt(
        Optional(Number(1, integer=True)),
        None,
        "IVR ports: messages playing at once (required by power_ivr and progressive_ivr)",
    )
    message_s: Dist = opt(
        Duration(), Dist.constant(30.0), "length of the message played to a call CPD calls human"
    )
    machine_message_s: Dist = opt(
        Duration(),
        Dist.constant(25.0),
        "length of the message left on a call CPD calls a machine (after the beep)",
    )


@dataclass(frozen=True)
class Compliance:
    regime: str = opt(
        Text(("fcc", "ofcom")),
        "fcc",
        "fcc: US rule, 3% of live answers per 30 days, calls 08:00-21:00 called-party time; "
        "ofcom: UK rule, 3% per calendar day with AMD false positives estimated in",
    )
    limit: float = opt(Share(), 0.03, "the abandon-rate limit of the regime")
    legal_hours: bool = opt(
        Flag(),
        True,
        "also restrict dials to the regime's legal hours (fcc: 08:00-21:00 called-party local time)",
    )


@dataclass(frozen=True)
class Treatment:
    retry_after_s: float = opt(Seconds(), 1800.0, "wait before the first retry")
    increment_s: float = opt(Seconds(), 0.0, "added to the wait at each further retry")
    retries: int = opt(
        Number(0, integer=True), 1, "retries for consecutive occurrences of this result"
    )
    then: str = opt(
        Text(("finish", "next_in_chain")),
        "finish",
        "when retries run out: finish the record or dial the chain's next number",
    )


class TreatmentsSpec(Items):
    """A mapping result -> treatment (only the results of TREATABLE)."""

    kind = "mapping result: treatment"

    def parse(self, raw, key, problems):
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            return problems.add(key, "a mapping result: {retry_after_s, ...}", raw)
        out = {}
        before = len(problems)
        for result, spec in raw.items():
            if result not in TREATABLE:
                problems.say(
                    f"{key}.{result}",
                    f"unknown result (expected one of {', '.join(TREATABLE)})"
                    + did_you_mean(result, TREATABLE),
                )
                continue
            out[result] = build(Treatment, spec, f"{key}.{result}", problems)
        return BAD if len(problems) > before else out

    def dump(self, value):
        return {k: dump(v) for k, v in value.items()}


@dataclass(frozen=True)
class Outage:
    """A time the OCS loses its Stat Server: it places no new dial until the link is back."""

    at: int = opt(
        TimeOfDay(), doc="start of the outage (site time), on the run's first day that reaches it"
    )
    duration_s: float = opt(
        Seconds(0, low_open=True), doc="how long the Stat Server is unreachable"
    )
    daily: bool = opt(Flag(), False, "repeat the outage at the same time every day of the run")

    def check(self, key: str, problems: Problems) -> None:
        if self.at >= 24 * 3600:
            problems.add(f"{key}.at", 'a time before "24:00"', "24:00")


@dataclass(frozen=True)
class StatServer:
    """How agent states reach the OCS (Genesys Stat Server)."""

    delay_s: Dist = opt(
        Duration(),
        Dist.constant(0.0),
        "reporting delay: each agent-state change reaches the OCS this much later (in order per agent)",
    )
    outages: tuple[Outage, ...] = opt(
        Items(Outage, min_items=0),
        factory=tuple,
        doc='times the OCS loses its Stat Server [{at: "HH:MM", duration_s: N, daily: false}]: '
        "no new dial while it is down; the OCS resumes from fresh agent states",
    )


@dataclass(frozen=True)
class GroupBeliefs:
    """What the OCS is configured to believe about one agent group's times."""

    name: str = opt(Text(), doc="the agent group (a name in agents.groups)")
    talk_time_s: Dist | None = opt(
        Optional(Duration()), None, "talk time the pacer assumes; null = ocs.talk_time_s"
    )
    wrap_time_s: Dist | None = opt(
        Optional(Duration()), None, "wrap-up time the pacer assumes; null = ocs.wrap_time_s"
    )
    machine_time_s: Dist | None = opt(
        Optional(Duration()),
        None,
        "agent time on a machine that AMD passed, as the pacer assumes; null = ocs.machine_time_s",
    )


@dataclass(frozen=True)
class Ocs:
    """The OCS's beliefs: the durations the centre configured or measured, which the pacers use.

    Each omitted (null) value defaults to the truth's (the agent group's or the population's),
    but stays a separate value: a pacer can believe 180 s of talk while agents talk 240 s.
    """

    answer_time_s: Dist | None = opt(
        Optional(Duration()),
        None,
        "time from a dial to a person's answer; null = population.answer_time_s",
    )
    detect_time_s: Dist | None = opt(
        Optional(Duration()), None, "AMD analysis time; null = cpd.detect_time_s"
    )
    talk_time_s: Dist | None = opt(
        Optional(Duration()),
        None,
        "talk time of every group; null = each group's agents.groups.<g>.talk_time_s",
    )
    wrap_time_s: Dist | None = opt(
        Optional(Duration()), None, "wrap-up time of every group; null = each group's wrap_time_s"
    )
    machine_time_s: Dist | None = opt(
        Optional(Duration()),
        None,
        "agent time on a machine AMD passed; null = each group's machine_time_s",
    )
    groups: tuple[GroupBeliefs, ...] = opt(
        Items(GroupBeliefs, min_items=0),
        factory=tuple,
        doc="per agent group: talk_time_s, wrap_time_s, machine_time_s the pacer assumes for that group "
        "(over the values above)",
    )


@dataclass(frozen=True)
class Campaign:
    name: str = opt(Text(), "campaign", "campaign name")
    seed: int = opt(Number(0, integer=True), 1, "random seed: same seed, same results")
    start: dt.datetime = opt(
        Timestamp(), dt.datetime(2026, 3, 2, 9, 0), "start of the run in site local time"
    )
    site_timezone: str = opt(Zone(), "America/New_York", "the contact centre's time zone")
    horizon_s: float = opt(Seconds(0, low_open=True), 28800.0, "simulated time")
    warmup_s: float = opt(
        Seconds(), 0.0, "excluded from the summary (dials by dial time, agent time by the clock)"
    )
    calling_list: CallingList = section(CallingList, "the calling list")
    dnc: Dnc = section(Dnc, "the do-not-call list")
    population: Population = section(
        Population, "the truth: what a dial reaches and how long things take"
    )
    cpd: Cpd = section(Cpd, "call progress detection and AMD")
    agents: Agents = section(Agents, "agents")
    dialing: Dialing = section(Dialing, "pacing")
    compliance: Compliance = section(Compliance, "regulation")
    callbacks: Callbacks = section(Callbacks, "callbacks: how the OCS makes them")
    ivr: Ivr = section(Ivr, "IVR (GVP) ports of the agentless modes")
    stat_server: StatServer = section(StatServer, "the Stat Server: how agent states reach the OCS")
    ocs: Ocs = section(
        Ocs, "the OCS's beliefs about durations (what the pacers use; default: the truth's)"
    )
    treatments: dict[str, Treatment] = opt(
        TreatmentsSpec(Treatment),
        factory=dict,
        doc="what to do with a record after each result; a result with none finishes the record",
    )

    def check(self, key: str, problems: Problems) -> None:
        names = [g.name for g in self.agents.groups]
        for i, g in enumerate(self.ocs.groups):
            if g.name not in names:
                problems.say(
                    f"ocs.groups.{i}.name",
                    f"expected an agent group ({', '.join(names)}), got {show(g.name)}"
                    + did_you_mean(g.name, names),
                )
        if self.warmup_s >= self.horizon_s:
            problems.add(
                "warmup_s", f"a warm-up shorter than horizon_s ({self.horizon_s:g})", self.warmup_s
            )
        self._check_day(problems)

    @property
    def agentless(self) -> bool:
        """An agentless (IVR) mode: answers hear a message, no agent works the campaign."""
        return self.dialing.mode in IVR_MODES

    def _check_day(self, problems: Problems) -> None:
        """Settings of the day as it happens that contradict each other (issue 12)."""
        mode, pop = self.dialing.mode, self.population
        if self.agentless:
            if self.agents.count:
                problems.say(
                    "agents.groups",
                    f"expected no agents (every count 0) in the agentless mode {mode}, "
                    f"got {self.agents.count}",
                )
            if self.ivr.ports is None:
                problems.say("ivr.ports", f"expected a number of IVR ports >= 1 for mode {mode}")
            for k in ("dnc_request", "callback_request"):
                if getattr(pop, k) > 0:
                    problems.add(
                        f"population.{k}",
                        f"0 in the agentless mode {mode} (only an agent takes requests)",
                        getattr(pop, k),
                    )
        elif self.agents.count < 1:
            problems.say("agents.groups", "expected at least one agent in all, got 0")
        if self.cpd.engage_ports is not None and not self.dialing.asm:
            problems.add(
                "cpd.engage_ports",
                "null without dialing.asm (engaging ports serve ASM only)",
                self.cpd.engage_ports,
            )
        cb = self.callbacks
        if (
            cb.personal_timeout_s is not None
            and pop.callback_request == 0
            and not self.calling_list.file
        ):
            problems.add(
                "callbacks.personal_timeout_s",
                "null without callbacks (population.callback_request is 0 and no list file "
                "holds any)",
                cb.personal_timeout_s,
            )
        if (
            self.dnc.requests_per_hour > 0
            and self.calling_list.size is None
            and not (self.calling_list.file)
        ):
            problems.add(
                "dnc.requests_per_hour",
                "0 with an endless list (calling_list.size null): outside opt-outs are for "
                "numbers on the list",
                self.dnc.requests_per_hour,
            )

    # -- derived -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return dump(self)

    def override(self, changes: dict[str, Any] | None = None, **kw: Any) -> Campaign:
        """A new campaign with dotted keys set, validated like a file."""
        raw = self.to_dict()
        for k, v in {**(changes or {}), **kw}.items():
            set_dotted(raw, k, v)
        return from_dict(raw)

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())

    def get(self, dotted: str) -> Any:
        return get_dotted(self.to_dict(), dotted)


# -- dotted keys ---------------------------------------------------------------------------


def _step(node: Any, part: str, key: str, create: bool) -> Any:
    if isinstance(node, list):
        if re.fullmatch(r"-?\d+", part):
            i = int(part)
            if -len(node) <= i < len(node):
                return i
            raise InputError(f"{key}: no item {i} (the list has {len(node)})")
        names = [item.get("name") for item in node if isinstance(item, dict)]
        if part in names:
            return names.index(part)
        listed = ", ".join(str(n) for n in names)
        raise InputError(
            f"{key}: no item named '{part}' (have: {listed}){did_you_mean(part, names)}"
        )
    if isinstance(node, dict):
        if part not in node and create:
            node[part] = {}
        return part
    raise InputError(f"{key}: cannot address '{part}' inside {show(node)}")


def set_dotted(raw: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    if not all(parts):
        raise InputError(f"{dotted}: expected a dotted key such as dialing.ratio")
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        idx = _step(node, part, ".".join(parts[: i + 1]), create=True)
        if node[idx] is None:
            node[idx] = {}
        node = node[idx]
    node[_step(node, parts[-1], dotted, create=False)] = value


def get_dotted(raw: dict, dotted: str) -> Any:
    node: Any = raw
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        idx = _step(node, part, ".".join(parts[: i + 1]), create=False)
        if isinstance(node, dict) and idx not in node:
            raise InputError(f"{dotted}: unknown key{did_you_mean(part, node)}")
        node = node[idx]
    return node


_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")


def parse_value(text: str) -> Any:
    """A --set value, read as YAML (so 2.5 is a number, true a flag); HH:MM stays a time."""
    if _CLOCK.match(text.strip()):
        return text.strip()
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_override(item: str) -> tuple[str, Any]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--set {item}: expected dotted.key=value")
    return key.strip(), parse_value(value)


# -- loading -------------------------------------------------------------------------------


def from_dict(raw: Any, source: str = "", base: str | os.PathLike | None = None) -> Campaign:
    """Validate ``raw``; relative file paths are read from ``base`` (default: the working folder)."""
    problems = Problems(None if base is None else str(base))
    campaign = build(Campaign, raw, "", problems)
    if problems or campaign is BAD:
        prefix = f"{source}: " if source else ""
        raise InputError([prefix + p for p in problems] or [prefix + "invalid campaign"])
    return campaign


class DuplicateKey(yaml.YAMLError):
    """A key given twice in one mapping (YAML would keep the last one silently)."""

    def __init__(self, key: Any, line: int, first: int):
        super().__init__(f"duplicate key {key!r}")
        self.key, self.line, self.first = key, line, first


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping: a second ``dialing:``
    block would otherwise replace the first one without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *anchor" merges are YAML's own way to repeat keys
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line)
            except TypeError:
                continue  # an unhashable key: the base class says so
            if first != key_node.start_mark.line:
                raise DuplicateKey(key, key_node.start_mark.line + 1, first + 1)
        return super().construct_mapping(node, deep)


def read_yaml(path: str | os.PathLike) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: expected a YAML file, got a folder") from None
    except PermissionError:
        raise InputError(f"{path}: cannot read (permission denied)") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: expected a YAML text file (UTF-8), got a byte {exc.object[exc.start]:#04x} "
            f"at offset {exc.start} that is not UTF-8 text"
        ) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except DuplicateKey as exc:
        raise InputError(
            f"{path} line {exc.line}: duplicate key {exc.key!r} (first at line {exc.first}): "
            "expected each key once in a mapping"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        what = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(f"{path}{where}: expected valid YAML, got {what}") from None


def refuse_sweep(raw: dict, path: str | os.PathLike) -> None:
    """A sweep file given where a campaign or centre file belongs: say so, not ten unknown keys."""
    if "factors" in raw and "campaign" in raw:
        raise InputError(
            f"{path}: expected a campaign or centre file, got a sweep file (it has factors and "
            f"campaign): run it with `dialer sweep {path}`"
        )


CENTRE_KEYS = ("campaigns", "queues")  # a file with either is a centre (dialer.centre)


def is_centre(raw: Any) -> bool:
    """Whether a file's contents are a centre (several campaigns, queues) or one campaign."""
    return isinstance(raw, dict) and any(k in raw for k in CENTRE_KEYS)


def read_mapping(path: str | os.PathLike, what: str = "campaign keys") -> dict:
    """A YAML file that holds a mapping (an empty file is an empty mapping)."""
    raw = read_yaml(path)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a mapping of {what}, got {show(raw)}")
    return raw


def apply_overrides(raw: dict, overrides: list[str] | dict[str, Any] | None) -> None:
    """Set ``--set`` items (``key=value`` texts) or a mapping of dotted keys in ``raw``."""
    items = (
        overrides.items() if isinstance(overrides, dict) else map(parse_override, overrides or [])
    )
    for key, value in items:
        set_dotted(raw, key, value)


def load_campaign(
    path: str | os.PathLike, overrides: list[str] | dict[str, Any] | None = None
) -> Campaign:
    """Read, override and validate a campaign file; every problem raised as one InputError.

    A centre file (with ``campaigns:`` or ``queues:``) is refused with a pointer to
    :func:`dialer.centre.load`, which reads both kinds.
    """
    raw = read_mapping(path)
    refuse_sweep(raw, path)
    if is_centre(raw):
        raise InputError(
            f"{path}: expected one campaign, got a centre file (it has "
            f"{' and '.join(k for k in CENTRE_KEYS if k in raw)}); this takes a campaign file "
            "(from Python, dialer.load reads both kinds)"
        )
    apply_overrides(raw, overrides)
    return from_dict(raw, str(path), Path(path).parent)


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)


_HHMM_TEXT = re.compile(r"^\d{2}:\d{2}$")


def _yaml_scalar(value: Any) -> str:
    """One value in YAML flow style (times of day always quoted, as the campaign file wants)."""
    if isinstance(value, str) and _HHMM_TEXT.match(value):
        return f'"{value}"'
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{_yaml_scalar(k)}: {_yaml_scalar(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9).strip()
    return text[: -len("...")].strip() if text.endswith("\n...") or text.endswith("...") else text


def _is_flat(value: Any) -> bool:
    if isinstance(value, dict):
        return len(value) <= 5 and all(
            not isinstance(v, (dict, list)) or _is_flat(v) for v in value.values()
        )
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) for v in value)
    return True


def dump_yaml_commented(
    data: dict, comments: dict[str, list[str]] | None = None, header: list[str] | None = None
) -> str:
    """YAML text of ``data`` with comment lines above keys.

    ``comments`` maps dotted keys (a list item by its ``name``, as in ``--set``) to lines. A
    mapping is written on one line when nothing inside it has a comment and it holds only
    plain values (a distribution, a period's shares), else as a block.
    """
    notes = comments or {}
    lines = [f"# {h}" if h else "#" for h in header or []]

    def commented(key: str) -> bool:
        return any(k == key or k.startswith(key + ".") for k in notes)

    def emit(node: dict, key: str, indent: str, dash: str | None = None) -> None:
        for i, (k, v) in enumerate(node.items()):
            dotted = f"{key}.{k}" if key else str(k)
            lines.extend(f"{indent}# {line}" for line in notes.get(dotted, []))
            pad = dash if dash is not None and i == 0 else indent
            name = _yaml_scalar(k)
            block = not dotted.count(".") or commented(dotted) or not _is_flat(v)
            if isinstance(v, dict) and v and block and "dist" not in v:
                lines.append(f"{pad}{name}:")
                emit(v, dotted, indent + "  ")
            elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                lines.append(f"{pad}{name}:")
                for j, item in enumerate(v):
                    label = item.get("name", j)
                    emit(item, f"{dotted}.{label}", indent + "    ", indent + "  - ")
            else:
                lines.append(f"{pad}{name}: {_yaml_scalar(v)}")

    emit(data, "", "")
    return "\n".join(lines) + "\n"


def load_yaml_mapping(path: str | os.PathLike) -> dict:
    """A YAML file that must hold a mapping (sweep specifications and the like)."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a mapping, got {show(raw)}")
    return raw


def reference_rows() -> list[tuple[str, str, str, str]]:
    """(dotted key, kind, default, meaning) of every campaign key, for docs/campaign.md."""
    from dialer.schema import describe

    rows = describe(Campaign)
    out = []
    for key, kind, default, doc in rows:
        if key.startswith("treatments.<i>"):
            continue  # a mapping by result, not a list: listed as treatments.<result> below
        if key == "treatments":
            out.append((key, "mapping result: treatment", "{}", doc))
            out += [
                (f"treatments.<result>.{k}", kd, df, dc) for k, kd, df, dc in describe(Treatment)
            ]
            continue
        if key == "population.by_hour":
            out.append((key, 'mapping "HH:MM": shares or null', "null", doc))
            out += [(f'{key}."HH:MM".{k}', kd, df, dc) for k, kd, df, dc in describe(HourShares)]
            continue
        out.append((key, kind, default, doc))
    return out


def reference_markdown() -> str:
    """The table of every key in docs/campaign.md (a test keeps the two identical)."""
    lines = ["| key | kind | default | meaning |", "|---|---|---|---|"]
    for key, kind, default, doc in reference_rows():
        if kind in ("section", "list"):
            lines.append(f"| **`{key}`** | {kind} | | {doc} |")
        else:
            shown = "null" if default == "None" else default.replace("|", "\\|")
            lines.append(f"| `{key}` | {kind} | `{shown}` | {doc} |")
    return "\n".join(lines) + "\n"
