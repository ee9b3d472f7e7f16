"""A whole centre: several campaigns and inbound queues on shared agent groups and one trunk.

A centre file (docs/centre.md) names the centre's agent groups (a count and a shift each: how
long calls last comes from the work, not the agent), its inbound ``queues`` (Poisson callers
by period of the day, patience, balking, talk and wrap, capacity, the groups that answer in
order of preference, a service-level threshold), its ``campaigns`` (each a campaign file by path
or inline, the groups it dials for, an optional active period, a priority and agent bounds for
Genesys-style agent assignment), one trunk of ``lines`` split between the campaigns
(``port_allocation``: fixed or dynamic) and the ``blending`` rules between inbound and outbound.

A campaign entry holds the centre's keys for it (``name``, ``campaign``, ``groups``, ``active``,
``priority``, ``min_agents``, ``max_agents``) beside any keys of a campaign file, which are laid
over the file's: so ``campaigns.renewals.dialing.mode`` addresses the campaign's mode in YAML,
``--set`` and sweeps alike. A campaign's own seed, start, time zone, horizon, warm-up and Stat
Server are the centre's; its own agent groups only say how long its calls last on each group
(the group of the same name, else its first).

A single-campaign file is a centre of one campaign and keeps its meaning: :func:`load` reads
either kind, and :func:`layout` turns either into the :class:`Layout` the model runs.

No YAML is read here but through :mod:`dialer.config`.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from dialer.config import (
    MAX_AGENTS,
    AgentGroup,
    Agents,
    Campaign,
    Shift,
    StatServer,
    apply_overrides,
    dump_yaml,
    exponential,
    get_dotted,
    is_centre,
    lognormal,
    read_mapping,
    refuse_sweep,
    set_dotted,
)
from dialer.errors import InputError, show
from dialer.rng import Dist, derived_seed
from dialer.schema import (
    BAD,
    Duration,
    FilePath,
    Integer,
    Items,
    Number,
    Optional,
    Problems,
    Seconds,
    Section,
    Share,
    Spec,
    Text,
    TimeOfDay,
    Timestamp,
    Zone,
    build,
    describe,
    did_you_mean,
    dump,
    opt,
    section,
)

FIRST = ("outbound", "inbound", "longest")
PORT_ALLOCATIONS = ("fixed", "dynamic")
# keys of a campaign entry that are the centre's, not the campaign file's
ENTRY_KEYS = ("name", "campaign", "groups", "active", "priority", "min_agents", "max_agents")
# keys of a campaign file a centre does not use: the centre's own are used instead
NOT_USED = ("seed", "start", "site_timezone", "horizon_s", "warmup_s", "stat_server")


# -- specs -------------------------------------------------------------------------------------


class Rates(Spec):
    """Arrivals per hour by site time of day: {"HH:MM": rate} from each time until the next."""

    kind = 'mapping "HH:MM": calls per hour'

    def parse(self, raw, key, problems):
        if not isinstance(raw, dict) or not raw:
            return problems.add(key, 'a non-empty mapping "HH:MM": calls per hour', raw)
        before = len(problems)
        out: list[tuple[int, float]] = []
        for at, rate in raw.items():
            seconds = TimeOfDay().parse(at, f"{key}.{at}", problems)
            value = Number(0).parse(rate, f"{key}.{at}", problems)
            if seconds is BAD or value is BAD:
                continue
            if seconds >= 24 * 3600:
                problems.add(f"{key}.{at}", 'a time of day before "24:00"', at)
                continue
            if out and seconds <= out[-1][0]:
                problems.say(
                    key,
                    f'expected times in increasing order, got "{TimeOfDay().dump(seconds)}" '
                    f'after "{TimeOfDay().dump(out[-1][0])}"',
                )
                continue
            out.append((seconds, value))
        return BAD if len(problems) > before else tuple(out)

    def dump(self, value):
        return {TimeOfDay().dump(at): rate for at, rate in value}


class Factor(Duration):
    """A distribution of a factor around 1 (a bare number is a constant)."""

    kind = "distribution (mean about 1)"


class Names(Spec):
    """A non-empty list of distinct names (agent groups), in order of preference."""

    kind = "list of group names"

    def parse(self, raw, key, problems):
        if isinstance(raw, str):
            raw = [raw]
        if isinstance(raw, list) and not raw:
            return problems.say(key, "expected a non-empty list of agent group names, got []")
        if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
            return problems.add(key, "a non-empty list of agent group names", raw)
        dupes = sorted({x for x in raw if raw.count(x) > 1})
        if dupes:
            return problems.say(key, f"expected each group once, got '{dupes[0]}' twice")
        return tuple(raw)

    def dump(self, value):
        return list(value)


@dataclass(frozen=True)
class Active:
    """A daily period in site time: from ``start`` until ``end`` (before start: the next day)."""

    start: int
    end: int


class Period(Spec):
    """{from: "HH:MM", till: "HH:MM"} in site time."""

    kind = 'mapping {from: "HH:MM", till: "HH:MM"}'

    def parse(self, raw, key, problems):
        if not isinstance(raw, dict):
            return problems.add(key, 'a mapping {from: "HH:MM", till: "HH:MM"}', raw)
        before = len(problems)
        for k in raw:
            if k not in ("from", "till"):
                problems.say(f"{key}.{k}", "unknown key" + did_you_mean(k, ("from", "till")))
        for k in ("from", "till"):
            if k not in raw:
                problems.say(f"{key}.{k}", "missing (required)")
        if len(problems) > before:
            return BAD
        a = TimeOfDay().parse(raw["from"], f"{key}.from", problems)
        b = TimeOfDay().parse(raw["till"], f"{key}.till", problems)
        if a is BAD or b is BAD:
            return BAD
        if a >= 24 * 3600:
            return problems.add(f"{key}.from", 'a time before "24:00"', raw["from"])
        if a == b or (b == 24 * 3600 and a == 0):
            return problems.say(
                f"{key}.till",
                "expected a time different from 'from' (omit active for a campaign active all day)",
            )
        return Active(a, b)

    def dump(self, value):
        return {"from": TimeOfDay().dump(value.start), "till": TimeOfDay().dump(value.end)}


# -- the sections --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CentreGroup:
    """An agent group of the centre: how many agents and when they work."""

    name: str = opt(Text(), "agents", "group name (addressable as agents.groups.<name>)")
    count: int = opt(
        Number(0, MAX_AGENTS, integer=True), 10, "agents in the group (at most 100,000)"
    )
    shift: Shift | None = opt(
        Optional(Section(Shift)),
        None,
        "working hours {start, end, days} in site time; null = logged in the whole run",
    )


@dataclass(frozen=True)
class CentreAgents:
    groups: tuple[CentreGroup, ...] = opt(
        Items(CentreGroup),
        factory=lambda: (CentreGroup(),),
        doc="the centre's agent groups (talk and wrap times come from the work: the queue's or "
        "the campaign's)",
    )

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)


@dataclass(frozen=True, kw_only=True)
class Queue:
    """An inbound queue: who calls when, how they behave, who answers."""

    name: str = opt(Text(), doc="queue name (addressable as queues.<name>)")
    arrivals_per_hour: tuple[tuple[int, float], ...] = opt(
        Rates(),
        doc='Poisson arrivals per hour by site time, {"HH:MM": rate} from each time until the '
        "next (the last until midnight; before the first, none); every day alike",
    )
    day_factor: Dist | None = opt(
        Optional(Factor()),
        None,
        "one draw per simulated day scales every rate that day (e.g. {dist: gamma, mean: 1, "
        "sd: 0.15}: busier and quieter days); null = 1",
    )
    balk: float = opt(
        Share(), 0.0, "share of callers who hang up at once when they would have to wait"
    )
    patience_s: Dist | None = opt(
        Optional(Duration()),
        exponential(300),
        "how long a caller waits for an agent before hanging up (abandoned); null = as long as "
        "it takes",
    )
    talk_time_s: Dist = opt(Duration(), lognormal(240, 180), "talk time of an answered call")
    wrap_time_s: Dist = opt(Duration(), exponential(30), "after-call work of an answered call")
    groups: tuple[str, ...] = opt(
        Names(), doc="the agent groups that answer, in order of preference"
    )
    capacity: int | None = opt(
        Optional(Number(0, integer=True)),
        None,
        "callers who can wait at once; a caller beyond it hears busy (blocked); null = no limit",
    )
    service_level_s: float = opt(
        Seconds(), 20.0, "the service-level threshold: answered within this many seconds"
    )


@dataclass(frozen=True)
class Entry:
    """One campaign of the centre: the centre's keys for it and the campaign itself.

    ``campaign`` is the campaign as its file (and the entry's keys over it) says; its seed,
    start, time zone, horizon, warm-up and Stat Server are not used (the centre's are), and its
    agent groups say only how long its calls last on each group: see :func:`effective`.
    """

    name: str
    groups: tuple[str, ...]
    active: Active | None
    priority: int
    min_agents: int
    max_agents: int | None
    campaign: Campaign


@dataclass(frozen=True, kw_only=True)
class EntryKeys:
    """The centre's keys of a campaign entry (the rest are the campaign's own keys)."""

    name: str | None = opt(
        Optional(Text()),
        None,
        "campaign name (addressable as campaigns.<name>); null = the campaign file's name",
    )
    campaign: str | None = opt(
        Optional(FilePath()),
        None,
        "a campaign file, relative to the centre file; the entry's other campaign keys are "
        "laid over it; null = the campaign is given inline",
    )
    groups: tuple[str, ...] = opt(
        Names(),
        doc="the agent groups the campaign dials for (its calls' talk and wrap times: the "
        "campaign's agent group of the same name, else its first)",
    )
    active: Active | None = opt(
        Optional(Period()),
        None,
        'daily period in site time {from: "HH:MM", till: "HH:MM"} when the campaign dials; '
        "null = the whole run",
    )
    priority: int = opt(
        Integer(), 0, "agent assignment and port allocation: a higher priority is served first"
    )
    min_agents: int = opt(
        Number(0, integer=True), 0, "agent assignment: agents it keeps while it has work"
    )
    max_agents: int | None = opt(
        Optional(Number(0, integer=True)),
        None,
        "agent assignment: agents it gets at most; null = no limit",
    )


def _merge(base: dict, over: dict) -> dict:
    """``over`` laid on ``base``: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and "dist" not in v:
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _file_fields(cls: type, node: Any, folder: str) -> None:
    """Make the relative file paths of a campaign mapping absolute (from ``folder``)."""
    if not isinstance(node, dict):
        return
    for f in fields(cls):
        spec = f.metadata["spec"]
        inner = spec.inner if isinstance(spec, Optional) else spec
        value = node.get(f.name)
        if isinstance(inner, FilePath) and isinstance(value, str) and value:
            node[f.name] = os.path.join(folder, os.path.expanduser(value))
        elif isinstance(inner, Section):
            _file_fields(inner.cls, value, folder)


def _campaign_path(base: str | os.PathLike, name: str) -> Path:
    """A centre entry's ``campaign: FILE``, relative to the centre file's folder ``base``."""
    return Path(base) / os.path.expanduser(name)


def inline(raw: dict, base: str | os.PathLike) -> dict:
    """The centre mapping with every ``campaign: FILE`` entry read in (the entry's keys over
    the file's, the file's relative paths made absolute), so that dotted keys can reach into it."""
    raw = copy.deepcopy(raw)
    entries = raw.get("campaigns")
    if not isinstance(entries, list):
        return raw
    for i, item in enumerate(entries):
        if not isinstance(item, dict) or not isinstance(item.get("campaign"), str):
            continue
        path = _campaign_path(base, item["campaign"])
        try:
            text = read_mapping(path)
        except InputError as exc:
            raise InputError([f"campaigns.{i}.campaign: {p}" for p in exc.problems]) from None
        if is_centre(text):
            raise InputError(f"campaigns.{i}.campaign: {path} is a centre file, not a campaign")
        _file_fields(Campaign, text, os.path.abspath(path.parent))
        merged = _merge(text, {k: v for k, v in item.items() if k != "campaign"})
        merged["campaign"] = None  # read in: the entry is inline now
        entries[i] = merged
    return raw


class CampaignEntries(Spec):
    """The centre's campaigns: each the centre's keys for it and a campaign's keys."""

    kind = "list"

    def parse(self, raw, key, problems):
        if raw is None:
            return ()
        if not isinstance(raw, list):
            return problems.add(key, "a list of campaigns", raw)
        before = len(problems)
        out = []
        for i, item in enumerate(raw):
            where = f"{key}.{i}"
            if not isinstance(item, dict):
                problems.add(where, "a mapping (a campaign's keys and groups)", item)
                continue
            if isinstance(item.get("campaign"), str):  # from code: read the file in here
                try:
                    item = inline({"campaigns": [item]}, problems.base or os.getcwd())["campaigns"][
                        0
                    ]
                except InputError as exc:
                    for p in exc.problems:
                        problems.append(p.replace("campaigns.0.", f"{where}.", 1))
                    continue
            keys = build(EntryKeys, {k: item[k] for k in ENTRY_KEYS if k in item}, where, problems)
            body = {k: v for k, v in item.items() if k not in ENTRY_KEYS and k not in NOT_USED}
            if item.get("name") is not None:
                body["name"] = item["name"]
            campaign = build(Campaign, body, where, problems)
            if keys is BAD or campaign is BAD:
                continue
            out.append(
                Entry(
                    campaign.name,
                    keys.groups,
                    keys.active,
                    keys.priority,
                    keys.min_agents,
                    keys.max_agents,
                    campaign,
                )
            )
        names = [e.name for e in out]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.say(key, f"expected unique campaign names, got '{dupes[0]}' twice")
        return BAD if len(problems) > before else tuple(out)

    def dump(self, value):
        out = []
        for e in value:
            body = {k: v for k, v in e.campaign.to_dict().items() if k not in NOT_USED}
            del body["name"]
            out.append(
                {
                    "name": e.name,
                    "groups": list(e.groups),
                    "active": None if e.active is None else Period().dump(e.active),
                    "priority": e.priority,
                    "min_agents": e.min_agents,
                    "max_agents": e.max_agents,
                    **body,
                }
            )
        return out


@dataclass(frozen=True)
class Blending:
    """How inbound and outbound share the agents who may do both."""

    first: str = opt(
        Text(FIRST),
        "outbound",
        "what a free agent who may do both takes when an inbound caller and an answered "
        "outbound call both wait: outbound, inbound, or the one waiting longest",
    )
    reserve_agents: int = opt(
        Number(0, integer=True),
        0,
        "agents of the shared groups (groups that answer a queue and dial for a campaign) kept "
        "free for inbound: no outbound call takes one of them while fewer than this many + 1 are "
        "free (Genesys progressive_blending_reserved_agents)",
    )
    min_free_agents: int = opt(
        Number(0, integer=True),
        0,
        "a campaign dials only while at least this many agents of the centre are free",
    )


@dataclass(frozen=True)
class Centre:
    name: str = opt(Text(), "centre", "centre name")
    seed: int = opt(Number(0, integer=True), 1, "random seed: same seed, same results")
    start: dt.datetime = opt(
        Timestamp(), dt.datetime(2026, 3, 2, 9, 0), "start of the run in site local time"
    )
    site_timezone: str = opt(Zone(), "America/New_York", "the contact centre's time zone")
    horizon_s: float = opt(Seconds(0, low_open=True), 28800.0, "simulated time")
    warmup_s: float = opt(
        Seconds(), 0.0, "excluded from the summary (calls by their start, agent time by the clock)"
    )
    lines: int | None = opt(
        Optional(Number(1, integer=True)),
        None,
        "the trunk every campaign dials on (calls in progress at once); null = unlimited",
    )
    port_allocation: str = opt(
        Text(PORT_ALLOCATIONS),
        "fixed",
        "fixed: each campaign dials on its own dialing.lines (and the trunk); dynamic: the "
        "trunk is split between the active campaigns in proportion to their need",
    )
    port_interval_s: float = opt(
        Seconds(0, low_open=True), 30.0, "dynamic port allocation: the split is redone this often"
    )
    assignment_interval_s: float = opt(
        Seconds(0, low_open=True),
        60.0,
        "agent assignment between campaigns is redone this often (and when a campaign starts or "
        "stops, and at log-ins)",
    )
    agents: CentreAgents = section(CentreAgents, "the centre's agents")
    queues: tuple[Queue, ...] = opt(Items(Queue, min_items=0), factory=tuple, doc="inbound queues")
    campaigns: tuple[Entry, ...] = opt(
        CampaignEntries(),
        factory=tuple,
        doc="outbound campaigns: a campaign file's keys (or campaign: FILE) with the centre's "
        "keys for it (groups, active, priority, min_agents, max_agents)",
    )
    blending: Blending = section(Blending, "rules between inbound and outbound on shared agents")
    stat_server: StatServer = section(
        StatServer, "the Stat Server: how agent states reach the OCS (one for the centre)"
    )

    def check(self, key: str, problems: Problems) -> None:
        names = [g.name for g in self.agents.groups]

        def known(where: str, groups: tuple[str, ...]) -> None:
            for g in groups:
                if g not in names:
                    problems.say(
                        where,
                        f"expected agent groups of agents.groups ({', '.join(names)}), got "
                        f"{show(g)}" + did_you_mean(g, names),
                    )

        for i, q in enumerate(self.queues):
            known(f"queues.{i}.groups", q.groups)
        for i, e in enumerate(self.campaigns):
            known(f"campaigns.{i}.groups", e.groups)
            if e.max_agents is not None and e.min_agents > e.max_agents:
                problems.add(
                    f"campaigns.{i}.max_agents",
                    f"at least min_agents ({e.min_agents})",
                    e.max_agents,
                )
        if not self.queues and not self.campaigns:
            problems.say("campaigns", "expected at least one campaign or one queue, got neither")
        if self.agents.count < 1:
            problems.say("agents.groups", "expected at least one agent in all, got 0")
        if self.warmup_s >= self.horizon_s:
            problems.add(
                "warmup_s", f"a warm-up shorter than horizon_s ({self.horizon_s:g})", self.warmup_s
            )
        b = self.blending
        if b.reserve_agents:
            if not self.queues:
                problems.add(
                    "blending.reserve_agents",
                    "0 in a centre without queues (there is no inbound to keep agents for)",
                    b.reserve_agents,
                )
            elif not self.shared_groups():
                problems.add(
                    "blending.reserve_agents",
                    "0 when no group both answers a queue and dials for a campaign",
                    b.reserve_agents,
                )

    def shared_groups(self) -> list[str]:
        """Groups that answer a queue and dial for a campaign (the blend groups)."""
        inbound = {g for q in self.queues for g in q.groups}
        outbound = {g for e in self.campaigns for g in e.groups}
        return [g.name for g in self.agents.groups if g.name in inbound and g.name in outbound]

    # -- the same interface as a campaign ------------------------------------------------------
    def to_dict(self) -> dict:
        return dump(self)

    def override(self, changes: dict[str, Any] | None = None, **kw: Any) -> Centre:
        """A new centre with dotted keys set, validated like a file."""
        raw = self.to_dict()
        for k, v in {**(changes or {}), **kw}.items():
            set_dotted(raw, k, v)
        return centre_from_dict(raw)

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())

    def get(self, dotted: str) -> Any:
        return get_dotted(self.to_dict(), dotted)

    @property
    def modes(self) -> str:
        """The campaigns' dialing modes, as a run's identity shows them."""
        if not self.campaigns:
            return "inbound"
        if len(self.campaigns) == 1:
            return self.campaigns[0].campaign.dialing.mode
        return ", ".join(f"{e.name}: {e.campaign.dialing.mode}" for e in self.campaigns)


Scenario = Campaign | Centre


def centre_from_dict(raw: Any, source: str = "", base: str | os.PathLike | None = None) -> Centre:
    """Validate a centre mapping; relative paths are read from ``base`` (default: here)."""
    problems = Problems(None if base is None else str(base))
    centre = build(Centre, raw, "", problems)
    if problems or centre is BAD:
        prefix = f"{source}: " if source else ""
        raise InputError([prefix + p for p in problems] or [prefix + "invalid centre"])
    return centre


def load(path: str | os.PathLike, overrides: list[str] | dict[str, Any] | None = None) -> Scenario:
    """Read, override and validate a campaign file or a centre file (told by its keys)."""
    raw = read_mapping(path)
    refuse_sweep(raw, path)
    base = Path(path).parent
    if not is_centre(raw):
        from dialer.config import from_dict

        apply_overrides(raw, overrides)
        return from_dict(raw, str(path), base)
    try:
        raw = inline(raw, base)
    except InputError as exc:
        raise InputError([f"{path}: {p}" for p in exc.problems]) from None
    apply_overrides(raw, overrides)
    return centre_from_dict(raw, str(path), base)


def with_mode(scenario: Scenario, mode: str) -> Scenario:
    """The scenario with every campaign dialing in ``mode``."""
    if isinstance(scenario, Campaign):
        return scenario.override({"dialing.mode": mode})
    return scenario.override({f"campaigns.{e.name}.dialing.mode": mode for e in scenario.campaigns})


def campaigns_of(scenario: Scenario) -> list[Campaign]:
    """The campaigns a scenario runs, as they run (a single campaign: itself)."""
    if isinstance(scenario, Campaign):
        return [scenario]
    return [effective(scenario, e) for e in scenario.campaigns]


def files_read(path: str, scenario: Scenario) -> list[tuple[str, str]]:
    """Every file a command on ``scenario`` (read from ``path``) reads, as (what, path): the
    campaign or centre file, for a centre the campaign files it names, every campaign's
    calling list and DNC list."""
    from dialer.lists.listfile import shown_path

    centre = isinstance(scenario, Centre)
    found = [(f"the {'centre' if centre else 'campaign'} file {path}", path)]
    if centre:
        entries = read_mapping(path).get("campaigns")
        for item in entries if isinstance(entries, list) else []:
            if isinstance(item, dict) and isinstance(item.get("campaign"), str):
                file = str(_campaign_path(os.path.dirname(path), item["campaign"]))
                found.append((f"the campaign file {file} of centre {path}", file))
    for c in campaigns_of(scenario):
        of = f" of campaign '{c.name}'" if centre else ""
        if c.calling_list.file:
            shown = shown_path(c.calling_list.file)
            found.append((f"the calling list {shown}{of} (calling_list.file)", c.calling_list.file))
        if c.dnc.file:
            found.append((f"the DNC list {shown_path(c.dnc.file)}{of} (dnc.file)", c.dnc.file))
    return found


def read_list_files(scenario: Scenario) -> None:
    """Read every campaign's list and DNC files now, so that a bad row is reported before
    anything runs or is written (the parses are cached: the runs do not read them again)."""
    from dialer.lists.sources import read_files

    for campaign in campaigns_of(scenario):
        if campaign.calling_list.file or campaign.dnc.file:
            read_files(campaign)


# -- what the model runs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    """A campaign in the centre as the model runs it."""

    name: str
    campaign: Campaign  # effective: the centre's groups as its agents, its own seed
    groups: tuple[int, ...]  # indices of the centre groups it dials for
    active: Active | None
    priority: int
    min_agents: int
    max_agents: int | None


@dataclass(frozen=True)
class Layout:
    """A run as the model sees it: a centre, or a campaign as a centre of one."""

    name: str
    seed: int
    start: dt.datetime
    site_timezone: str
    horizon_s: float
    warmup_s: float
    groups: tuple[Any, ...]  # CentreGroup or AgentGroup: name, count, shift
    campaigns: tuple[Role, ...]
    queues: tuple[Queue, ...]
    lines: int | None
    port_allocation: str
    port_interval_s: float
    assignment_interval_s: float
    blending: Blending
    stat_server: StatServer
    single: bool  # a campaign file: its one campaign owns every agent, always


def effective(centre: Centre, entry: Entry) -> Campaign:
    """The campaign of ``entry`` as it runs in ``centre``: the groups it dials for as its agent
    groups (count and shift the centre's; talk, wrap and machine times its own group of that
    name, else its first), the centre's start, zone, horizon and warm-up, and its own seed
    (derived from the centre's seed and its name, so adding a campaign changes no other's
    truth)."""
    own = {g.name: g for g in entry.campaign.agents.groups}
    first = entry.campaign.agents.groups[0]
    by_name = {g.name: g for g in centre.agents.groups}
    groups = []
    for name in entry.groups:
        src, g = own.get(name, first), by_name[name]
        groups.append(
            AgentGroup(
                name=name,
                count=g.count,
                talk_time_s=src.talk_time_s,
                wrap_time_s=src.wrap_time_s,
                machine_time_s=src.machine_time_s,
                shift=g.shift,
            )
        )
    return replace(
        entry.campaign,
        agents=Agents(tuple(groups)),
        seed=derived_seed(centre.seed, "campaign", entry.name),
        start=centre.start,
        site_timezone=centre.site_timezone,
        horizon_s=centre.horizon_s,
        warmup_s=centre.warmup_s,
        stat_server=centre.stat_server,
    )


def layout(scenario: Scenario) -> Layout:
    """What the model runs, from a centre or from a single campaign (a centre of one)."""
    if isinstance(scenario, Campaign):
        c = scenario
        return Layout(
            c.name,
            c.seed,
            c.start,
            c.site_timezone,
            c.horizon_s,
            c.warmup_s,
            c.agents.groups,
            (Role(c.name, c, tuple(range(len(c.agents.groups))), None, 0, 0, None),),
            (),
            None,
            "fixed",
            30.0,
            60.0,
            Blending(),
            c.stat_server,
            True,
        )
    centre = scenario
    index = {g.name: i for i, g in enumerate(centre.agents.groups)}
    roles = tuple(
        Role(
            e.name,
            effective(centre, e),
            tuple(index[g] for g in e.groups),
            e.active,
            e.priority,
            e.min_agents,
            e.max_agents,
        )
        for e in centre.campaigns
    )
    return Layout(
        centre.name,
        centre.seed,
        centre.start,
        centre.site_timezone,
        centre.horizon_s,
        centre.warmup_s,
        centre.agents.groups,
        roles,
        centre.queues,
        centre.lines,
        centre.port_allocation,
        centre.port_interval_s,
        centre.assignment_interval_s,
        centre.blending,
        centre.stat_server,
        False,
    )


# -- the reference -------------------------------------------------------------------------------


def reference_rows() -> list[tuple[str, str, str, str]]:
    """(dotted key, kind, default, meaning) of every centre key, for docs/centre.md."""
    out = []
    for key, kind, default, doc in describe(Centre):
        if key == "campaigns":
            out.append((key, "list", "", doc))
            out += [(f"campaigns.<i>.{k}", kd, df, dc) for k, kd, df, dc in describe(EntryKeys)]
            out.append(
                (
                    "campaigns.<i>.<campaign key>",
                    "as in a campaign file",
                    "",
                    "any campaign key (docs/campaign.md), laid over the file's; "
                    + ", ".join(NOT_USED)
                    + " are not used (the centre's are)",
                )
            )
            continue
        out.append((key, kind, default, doc))
    return out


def reference_markdown() -> str:
    """The table of every centre key in docs/centre.md (a test keeps the two identical)."""
    lines = ["| key | kind | default | meaning |", "|---|---|---|---|"]
    for key, kind, default, doc in reference_rows():
        if kind in ("section", "list"):
            lines.append(f"| **`{key}`** | {kind} | | {doc} |")
        else:
            shown = "null" if default == "None" else default.replace("|", "\\|")
            shown = "" if default == "" else f"`{shown}`"
            lines.append(f"| `{key}` | {kind} | {shown} | {doc} |")
    return "\n".join(lines) + "\n"
