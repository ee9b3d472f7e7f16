"""What each metric means, in one place: label, unit and definition for every page and table.

The reports show a metric's label and unit and give its definition on hover; the meanings
are those of ``docs/metrics.md`` (a test checks that every key here is documented there), so
a planner reading a page and a researcher reading the docs read the same words. Formatting
lives here too, so a share prints as a percentage everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # shown after the label: "%", "s", "min/h", "1/h", "h", "lines", "calls", ""
    definition: str
    kind: str = "number"  # count | share | number | flag

    @property
    def heading(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def format(self, value) -> str:
        return format_value(value, self.kind)


def format_value(value, kind: str = "number") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if kind == "flag":
        return "yes" if value else "no"
    if kind == "count":
        return f"{int(round(value)):,}"
    if kind == "share":
        return f"{100 * value:.2f}"
    v = float(value)
    return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.1f}"


_M = Metric
METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        # Counts (calls)
        _M(
            "dials",
            "dials",
            "calls",
            "Dials placed (lines seized), counted by dial time after the warm-up.",
            "count",
        ),
        _M(
            "live_answers",
            "live answers",
            "calls",
            "Persons answering whom CPD classified human: connects + abandoned (the regulator's denominator).",
            "count",
        ),
        _M("connects", "connects", "calls", "Persons connected to an agent.", "count"),
        _M(
            "abandoned",
            "abandoned",
            "calls",
            "Persons classified human who got no agent within abandon_after_s or their patience.",
            "count",
        ),
        _M(
            "machines_dropped",
            "machines dropped",
            "calls",
            "Machines classified human whom no agent took (not in the regulator's counts; in the "
            "OCS's overdial rate).",
            "count",
        ),
        _M(
            "ocs_abandoned",
            "Abandoned (21)",
            "calls",
            "Calls classified human that no agent took and the called party hung up first: the "
            "OCS's result Abandoned, whatever the truth behind the call.",
            "count",
        ),
        _M(
            "ocs_dropped",
            "Dropped (26)",
            "calls",
            "Calls classified human that no agent took and the OCS's abandon_after_s timer ended: "
            "the OCS's result Dropped, whatever the truth behind the call.",
            "count",
        ),
        _M(
            "machines",
            "answering machines",
            "calls",
            "Dials an answering machine answered (truth).",
            "count",
        ),
        _M("busy", "busy", "calls", "Dials that found the line busy (truth).", "count"),
        _M(
            "no_answer",
            "no answer",
            "calls",
            "Dials nobody answered before the ring timeout (a late answer counts here).",
            "count",
        ),
        _M("fax", "fax", "calls", "Dials a fax or modem answered (truth).", "count"),
        _M("invalid", "invalid numbers", "calls", "Dials to invalid numbers (SIT).", "count"),
        _M(
            "amd_false_positives",
            "AMD false positives",
            "calls",
            "Persons AMD classified as machines and hung up on.",
            "count",
        ),
        _M(
            "amd_false_negatives",
            "AMD false negatives",
            "calls",
            "Machines AMD classified as persons (0 when AMD is off).",
            "count",
        ),
        _M(
            "machines_to_agents",
            "machines to agents",
            "calls",
            "Machines that reached an agent (all machines answered when AMD is off).",
            "count",
        ),
        _M(
            "dnc_blocked",
            "DNC blocked",
            "records",
            "Records found on the DNC list just before their dial and finished undialed.",
            "count",
        ),
        _M(
            "records_total",
            "records in the list",
            "records",
            "Records in the list (none for an endless list).",
            "count",
        ),
        _M(
            "records_finished",
            "records finished",
            "records",
            "Records finished during the run (answered, out of treatments or attempts, DNC).",
            "count",
        ),
        _M(
            "records_finished_at_start",
            "records finished before the run",
            "records",
            "List files: records already finished (or out of attempts, or NoCall) when the list was read.",
            "count",
        ),
        _M(
            "records_dialed",
            "records dialed",
            "records",
            "Records dialed at least once during the run.",
            "count",
        ),
        _M(
            "calls_in_progress_at_end",
            "calls in progress at the end",
            "calls",
            "Calls still up at the horizon (ringing, waiting, or with an agent).",
            "count",
        ),
        _M(
            "calls_undecided_at_end",
            "calls undecided at the end",
            "calls",
            "Calls still ringing or waiting for an agent at the horizon: counted as dials, in no "
            "outcome.",
            "count",
        ),
        _M(
            "stat_server_delay_mean_s",
            "Stat Server delay",
            "s",
            "Mean time from an agent's state change to the OCS learning of it (agent-state "
            "intervals starting after the warm-up).",
        ),
        _M(
            "dials_stopped_by_outage_s",
            "dialing stopped by outages",
            "s",
            "Seconds after the warm-up during which the OCS had lost its Stat Server and placed "
            "no new dial.",
        ),
        # Rates
        _M(
            "abandon_rate",
            "abandon rate (US)",
            "%",
            "abandoned / live answers (US definition; the Genesys overdial rate for persons).",
            "share",
        ),
        _M(
            "abandon_rate_ofcom",
            "abandon rate (Ofcom)",
            "%",
            "(abandoned + E) / (live answers + E), E = live answers x e / (1 - e), e = the centre's "
            "estimate of the AMD false-positive rate.",
            "share",
        ),
        _M(
            "abandon_rate_true",
            "abandon rate (true AMD errors)",
            "%",
            "(abandoned + AMD false positives) / (live answers + AMD false positives).",
            "share",
        ),
        _M(
            "overdial_rate",
            "overdial rate",
            "%",
            "(abandoned + machines dropped) / calls classified human: the rate a real OCS sees and "
            "paces on.",
            "share",
        ),
        _M("hit_ratio", "hit ratio", "%", "live answers / dials.", "share"),
        _M(
            "occupancy",
            "occupancy",
            "%",
            "Busy Factor: (talk + wrap time) / logged-in agent time.",
            "share",
        ),
        _M("talk_share", "talk share", "%", "Share of logged-in agent time in talk.", "share"),
        _M(
            "wrap_share", "wrap-up share", "%", "Share of logged-in agent time in wrap-up.", "share"
        ),
        _M(
            "machine_share",
            "machine share",
            "%",
            "Share of logged-in agent time on machines AMD passed through.",
            "share",
        ),
        _M(
            "reserved_share",
            "reserved share",
            "%",
            "Share of logged-in agent time reserved: previewing or waiting on an own dial "
            "(preview / progressive).",
            "share",
        ),
        _M("idle_share", "idle share", "%", "Share of logged-in agent time idle.", "share"),
        _M("dials_per_connect", "dials per connect", "", "dials / connects."),
        _M(
            "list_penetration",
            "list penetration",
            "%",
            "(records finished + finished before the run) / records in the list (none for an endless list).",
            "share",
        ),
        _M("contacts_per_record", "contacts per record dialed", "", "connects / records dialed."),
        _M(
            "attempts_per_contact",
            "attempts per contact",
            "",
            "Mean attempt number (counted across runs of a written-back list) of the dials that connected.",
        ),
        # Agents and waits
        _M("agent_hours", "agent hours", "h", "Logged-in agent time after the warm-up."),
        _M(
            "talk_minutes_per_agent_hour",
            "talk minutes per agent-hour",
            "min/h",
            "Talk time per logged-in agent-hour.",
        ),
        _M(
            "connects_per_agent_hour",
            "connects per agent-hour",
            "1/h",
            "Connects per logged-in agent-hour.",
        ),
        _M(
            "mean_agent_wait_s",
            "mean agent wait",
            "s",
            "From an agent becoming ready after wrap-up to its next connect (previews, waits on own "
            "dials and machines included).",
        ),
        _M(
            "mean_answer_wait_s",
            "mean answer wait",
            "s",
            "A connected person's wait from the CPD verdict to the agent.",
        ),
        _M(
            "peak_lines",
            "peak lines",
            "lines",
            "Most lines in use at once after the warm-up.",
            "count",
        ),
        # The campaign day (issue 12)
        _M(
            "dnc_violations",
            "DNC violations",
            "calls",
            "Dials to a phone or customer after its opt-out, before the OCS honoured it.",
            "count",
        ),
        _M(
            "dnc_requests",
            "DNC requests",
            "requests",
            "Do-not-call requests made during the run: to agents and from outside.",
            "count",
        ),
        _M(
            "dnc_requests_by_agents",
            "DNC requests to agents",
            "requests",
            "Persons who asked an agent not to be called again (honoured at once).",
            "count",
        ),
        _M(
            "dnc_requests_outside",
            "outside opt-outs",
            "requests",
            "Opt-outs from outside the calls: they reach the OCS at its next DNC re-read.",
            "count",
        ),
        _M(
            "dnc_exposure_mean_s",
            "mean DNC exposure",
            "s",
            "Mean time from an outside opt-out to the OCS honouring it (its next re-read).",
        ),
        _M(
            "callbacks_requested",
            "callbacks asked for",
            "requests",
            "Persons who asked to be called back.",
            "count",
        ),
        _M(
            "personal_callbacks_requested",
            "personal callbacks asked for",
            "requests",
            "Callback requests for the same agent (PersonalCallBack).",
            "count",
        ),
        _M("callbacks_made", "callbacks made", "calls", "Callback dials.", "count"),
        _M(
            "callbacks_on_time",
            "callbacks on time",
            "calls",
            "Callback dials placed within callbacks.on_time_s of the time asked for.",
            "count",
        ),
        _M(
            "callbacks_late",
            "callbacks late",
            "calls",
            "Callback dials placed later than callbacks.on_time_s after their time.",
            "count",
        ),
        _M(
            "callbacks_late_mean_s",
            "mean callback lateness",
            "s",
            "Mean time from a late callback's time to its dial.",
        ),
        _M(
            "callbacks_handed_over",
            "callbacks handed over",
            "calls",
            "Personal callbacks made by any agent after callbacks.personal_timeout_s.",
            "count",
        ),
        _M(
            "callbacks_missed",
            "callbacks missed",
            "callbacks",
            "Callbacks not dialed within callbacks.window_s of their time (MissedCallBack).",
            "count",
        ),
        _M(
            "port_failures",
            "CPD port failures",
            "dials",
            "Dials that found no CPD port within cpd.port_wait_s (No Free Port Error, 44).",
            "count",
        ),
        _M(
            "port_waits",
            "dials that waited for a CPD port",
            "dials",
            "Dials that waited for a free CPD port (cpd.ports).",
            "count",
        ),
        _M(
            "port_wait_mean_s",
            "mean CPD port wait",
            "s",
            "Mean wait of the dials that waited for a CPD port.",
        ),
        _M(
            "peak_cpd_ports",
            "peak CPD ports",
            "ports",
            "Most dials in call-progress analysis at once after the warm-up.",
            "count",
        ),
        _M(
            "ivr_messages_per_port_hour",
            "messages per IVR port-hour",
            "1/h",
            "IVR messages played (to persons and machines) per IVR port-hour after the warm-up.",
        ),
        _M(
            "ivr_messages_persons",
            "IVR messages to persons",
            "calls",
            "IVR messages played to persons (agentless modes).",
            "count",
        ),
        _M(
            "ivr_messages_machines",
            "IVR messages to machines",
            "calls",
            "IVR messages played to answering machines and faxes.",
            "count",
        ),
        _M(
            "ivr_dropped",
            "dropped for want of an IVR port",
            "calls",
            "Answers dropped because every IVR port was playing a message.",
            "count",
        ),
        # Compliance
        _M(
            "compliance_worst_rate",
            "worst compliance window",
            "%",
            "The worst window's abandon rate: fcc, abandoned / live answers over each 30-day window "
            "(the whole run when shorter); ofcom, the Ofcom rate of each calendar day of the site.",
            "share",
        ),
        _M(
            "compliance_limit",
            "legal limit",
            "%",
            "The abandon-rate limit of the regime (3% by default).",
            "share",
        ),
        _M(
            "compliance_ok",
            "within the limit",
            "",
            "Worst window's rate <= the legal limit.",
            "flag",
        ),
    ]
}

# Where a statistic is taken over replications, a flag becomes the share of runs where it held.
REPLICATED: dict[str, Metric] = {
    "compliance_ok": Metric(
        "compliance_ok",
        "runs within the limit",
        "%",
        "Share of replications whose worst compliance window stayed within the legal limit.",
        "share",
    ),
}

# A centre's figures (docs/centre.md): per queue, and the agents' time by work.
CENTRE: dict[str, Metric] = {
    m.key: m
    for m in [
        _M(
            "offered",
            "offered",
            "calls",
            "Callers who arrived (balked and blocked included), after the warm-up.",
            "count",
        ),
        _M("answered", "answered", "calls", "Callers an agent answered.", "count"),
        _M(
            "abandoned",
            "abandoned",
            "calls",
            "Callers who hung up while waiting (not balked, not blocked).",
            "count",
        ),
        _M(
            "balked",
            "balked",
            "calls",
            "Callers who hung up at once when they would have had to wait.",
            "count",
        ),
        _M("blocked", "blocked", "calls", "Callers who found the queue full (busy tone).", "count"),
        _M(
            "service_level",
            "service level",
            "%",
            "1 - callers whose wait exceeded the queue's threshold (answered or abandoned after "
            "it, or still waiting past it at the end) / offered.",
            "share",
        ),
        _M(
            "answered_within_share",
            "answered in time",
            "%",
            "Callers answered within the queue's threshold / offered.",
            "share",
        ),
        _M(
            "asa_s",
            "ASA",
            "s",
            "Average speed of answer: the mean wait of answered callers.",
            "number",
        ),
        _M("p_wait", "P(wait)", "%", "Share of answered callers who waited at all.", "share"),
        _M(
            "mean_wait_waited_s",
            "wait if waited",
            "s",
            "Mean wait of the answered callers who waited.",
            "number",
        ),
        _M(
            "inbound_share",
            "on inbound",
            "%",
            "Agent time on inbound calls (talk and wrap-up) / logged-in time.",
            "share",
        ),
        _M(
            "outbound_share",
            "on outbound",
            "%",
            "Agent time on outbound work (talk, wrap-up, machines, reserved, preview) / logged-in time.",
            "share",
        ),
    ]
}

# A capacity plan's per-mode results (plan.json).
PLAN: dict[str, Metric] = {
    m.key: m
    for m in [
        _M("agents", "agents", "", "Agents the plan needs in this mode.", "count"),
        _M("lines", "lines", "", "Lines (trunks) the plan needs in this mode.", "count"),
        _M(
            "finish_share",
            "list finished by the deadline",
            "%",
            "Mean share of the list finished by the deadline with these agents.",
            "share",
        ),
        _M("abandon_rate", "abandon rate (US)", "%", METRICS["abandon_rate"].definition, "share"),
        _M("occupancy", "occupancy", "%", METRICS["occupancy"].definition, "share"),
        _M(
            "success_share",
            "runs meeting the goal",
            "%",
            "Share of replications that finished the list share by the deadline within the legal "
            "abandon limit.",
            "share",
        ),
        _M(
            "feasible",
            "feasible",
            "",
            "Whether this mode meets the goal with the stated confidence.",
            "flag",
        ),
    ]
}


def metric(key: str, replicated: bool = False) -> Metric:
    """The metric of ``key``; an unknown key (a sweep's extra column) gets a plain entry."""
    if replicated and key in REPLICATED:
        return REPLICATED[key]
    if key in METRICS:
        return METRICS[key]
    return Metric(key, key.replace("_", " "), "", "No definition recorded for this column.")
