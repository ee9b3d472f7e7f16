"""The summary recomputed from the two record files alone, written independently of the
package's tally (plain csv and arithmetic), to check that every figure comes from the records.

What it needs besides the files is the campaign's own settings (warm-up, horizon, the site's
midnights for the compliance windows, the regime, the limit and the AMD estimate): what a
centre's analyst would know.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from dialer.clock import Calendar

# Summary keys that are not functions of the records: the list's own counts (from the calling
# list, written back by --list-out), settings, and the outage schedule.
NOT_FROM_RECORDS = {
    "records_total",
    "records_finished",
    "records_finished_at_start",
    "records_finished_by_result",
    "list_penetration",
    "dnc_blocked",
    "compliance_regime",
    "compliance_limit",
    "dials_stopped_by_outage_s",
    # the day's list-side figures: outside opt-outs are no calls, and neither is a missed callback
    "dnc_requests",
    "dnc_requests_outside",
    "dnc_exposure_mean_s",
    "callbacks_missed",
}


def _f(text: str) -> float | None:
    return None if text == "" else float(text)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def read_records(folder: Path) -> tuple[list[dict], list[dict]]:
    with open(folder / "calls.csv", newline="") as fh:
        calls = list(csv.DictReader(fh))
    with open(folder / "agent_states.csv", newline="") as fh:
        states = list(csv.DictReader(fh))
    return calls, states


def recompute(folder: Path, campaign) -> dict:
    calls, states = read_records(folder)
    return recompute_rows(calls, states, campaign)


def recompute_rows(calls: list[dict], states: list[dict], campaign, wait_states=None) -> dict:
    """Section 5's figures of ``calls`` (dials) and ``states`` (agent intervals), with the
    campaign's settings; an agent's wait between connects is read from ``wait_states`` (every
    interval of the agents: in a centre an agent's wait may begin while it worked for another
    campaign or for none)."""
    warmup, horizon = campaign.warmup_s, campaign.horizon_s

    # -- calls --------------------------------------------------------------------------------
    c: dict[str, float] = defaultdict(float)
    answer_waits: list[float] = []
    dial_time = {}
    live_by_day: dict[int, int] = defaultdict(int)
    ab_by_day: dict[int, int] = defaultdict(int)
    fp_by_day: dict[int, int] = defaultdict(int)
    cal = Calendar(campaign.start, campaign.site_timezone, horizon)
    midnights = cal.site_midnights()
    first_day = sum(1 for m in midnights if m <= 0) - 1

    def day(t: float) -> int:
        return sum(1 for m in midnights if m <= t) - 1 - first_day

    # a dial that found no CPD port in time (44) is a call record, but no dial
    failures = [r for r in calls if r["result"] == "44"]
    calls = [r for r in calls if r["result"] != "44"]
    line_events = []
    cpd_events = []
    records = set()
    d12: dict[str, float] = defaultdict(float)  # the day as it happens (issue 12)
    on_time = campaign.callbacks.on_time_s
    d12["port_failures"] = sum(float(r["dialed_at_s"]) >= warmup for r in failures)
    for row in calls:
        t = float(row["dialed_at_s"])
        verdict_at = _f(row["verdict_at_s"])
        cpd_events.append((t, 1))
        cpd_events.append((horizon if verdict_at is None else verdict_at, -1))
        if t >= warmup:
            d12["dnc_violations"] += row["opted_out_s"] != ""
            d12["dnc_requests_by_agents"] += row["request"] == "dnc"
            if row["request"] in ("callback", "personal_callback"):
                d12["callbacks_requested"] += 1
                d12["personal_callbacks_requested"] += row["request"] == "personal_callback"
            if row["callback_due_s"] != "":
                d12["callbacks_made"] += 1
                d12["callbacks_handed_over"] += row["callback"] == "handed_over"
                late = t - float(row["callback_due_s"])
                if late <= on_time + 1e-9:
                    d12["callbacks_on_time"] += 1
                else:
                    d12["callbacks_late"] += 1
                    d12["late_s"] += late
            if row["port_wait_s"] not in ("", "0.0"):
                d12["port_waits"] += 1
                d12["port_wait_s"] += float(row["port_wait_s"])
            if row["message"] in ("person", "machine"):
                key = "ivr_messages_persons" if row["truth"] == "human" else "ivr_messages_machines"
                d12[key] += 1
            d12["ivr_dropped"] += row["message"] == "none"
        dial_time[row["call_id"]] = t
        records.add(row["record_id"])
        end = _f(row["ended_at_s"])
        line_events.append((t, 1))
        line_events.append((horizon if end is None else end, -1))
        truth, verdict = row["truth"], row["cpd_verdict"]
        known = row["verdict_at_s"] != ""
        connected = row["connected_at_s"] != ""
        result = row["result"]
        unanswered = verdict == "human" and result in ("21", "26")
        decided = known and (verdict != "human" or connected or unanswered)
        if decided and truth == "human":
            if verdict == "human":
                live_by_day[day(t)] += 1
                ab_by_day[day(t)] += unanswered
            elif verdict == "machine":
                fp_by_day[day(t)] += 1
        if t < warmup:
            continue
        c["dials"] += 1
        c["in_progress"] += end is None
        if not decided:
            c["undecided"] += 1
            continue
        if truth != "human":
            c[{"machine": "machines"}.get(truth, truth)] += 1
        if verdict != "human":
            c["amd_false_positives"] += truth == "human" and verdict == "machine"
            continue
        c["classified_human"] += 1
        c["ocs_abandoned"] += result == "21"
        c["ocs_dropped"] += result == "26"
        if truth == "human":
            c["live_answers"] += 1
            if unanswered:
                assert row["abandoned"] == "1"
                c["abandoned"] += 1
            else:
                assert row["abandoned"] == "0"
                c["connects"] += 1
                c["attempts"] += int(row["attempt"])
                answer_waits.append(float(row["connected_at_s"]) - float(row["verdict_at_s"]))
        elif truth == "machine":
            c["machines_dropped" if unanswered else "machines_to_agents"] += 1
    # the most calls up at once (each holds its line over [dial, end)), after the warm-up: the
    # count at the warm-up edge, then after each instant's changes
    events = sorted(line_events)  # at one instant, hang-ups before dials
    n = sum(d for t, d in events if t < warmup)
    peak = n  # the count at the warm-up edge (0 without a warm-up)
    for t, delta in events:
        if t >= warmup:
            n += delta
            peak = max(peak, n)

    cpd_events.sort()  # the CPD ports held (dial to verdict), counted as the lines are
    n = sum(d for t, d in cpd_events if t < warmup)
    cpd_peak = n
    for t, delta in cpd_events:
        if t >= warmup:
            n += delta
            cpd_peak = max(cpd_peak, n)

    # -- agent states -------------------------------------------------------------------------
    seconds: dict[str, float] = defaultdict(float)
    delays = []
    by_agent: dict[str, list[dict]] = defaultdict(list)
    for row in states:
        start, end = float(row["start_s"]), float(row["end_s"])
        if end > warmup:
            seconds[row["state"]] += end - max(start, warmup)
        if start >= warmup and row["reported_s"] != "":
            delays.append(float(row["reported_s"]) - start)
    for row in states if wait_states is None else wait_states:
        by_agent[row["agent_id"]].append(row)
    # an agent's wait: from the end of its last wrap-up or log-out (or its first interval's
    # start) to the start of a talking interval; matched to the call connected then
    waits_at: dict[tuple[str, float], float] = {}
    for agent, rows in by_agent.items():
        rows.sort(key=lambda r: float(r["start_s"]))
        since = float(rows[0]["start_s"])
        for prev, row in zip([None, *rows[:-1]], rows):
            if prev is not None and prev["state"] in ("wrap_up", "logged_out"):
                since = float(row["start_s"])
            if row["state"] == "talking":
                waits_at[(agent, float(row["start_s"]))] = float(row["start_s"]) - since
    agent_waits = []
    for row in calls:
        if row["truth"] == "human" and row["connected_at_s"] != "" and row["agent_id"] != "":
            wait = waits_at[(row["agent_id"], float(row["connected_at_s"]))]
            if float(row["dialed_at_s"]) >= warmup:
                agent_waits.append(wait)

    logged_in = sum(v for k, v in seconds.items() if k != "logged_out")
    agent_hours = logged_in / 3600
    e = campaign.cpd.fp_estimate
    est = c["live_answers"] * e / (1 - e) if e < 1 else 0.0
    fp = c["amd_false_positives"]
    out = {
        "dials": c["dials"],
        "live_answers": c["live_answers"],
        "connects": c["connects"],
        "abandoned": c["abandoned"],
        "machines_dropped": c["machines_dropped"],
        "ocs_abandoned": c["ocs_abandoned"],
        "ocs_dropped": c["ocs_dropped"],
        "machines": c["machines"],
        "busy": c["busy"],
        "no_answer": c["no_answer"],
        "fax": c["fax"],
        "invalid": c["invalid"],
        "amd_false_positives": fp,
        "amd_false_negatives": c["machines_to_agents"] if campaign.cpd.amd else 0,
        "machines_to_agents": c["machines_to_agents"],
        "abandon_rate": _ratio(c["abandoned"], c["live_answers"]),
        "abandon_rate_ofcom": _ratio(c["abandoned"] + est, c["live_answers"] + est),
        "abandon_rate_true": _ratio(c["abandoned"] + fp, c["live_answers"] + fp),
        "overdial_rate": _ratio(c["abandoned"] + c["machines_dropped"], c["classified_human"]),
        "hit_ratio": _ratio(c["live_answers"], c["dials"]),
        "occupancy": _ratio(seconds["talking"] + seconds["wrap_up"], logged_in),
        "talk_share": _ratio(seconds["talking"], logged_in),
        "wrap_share": _ratio(seconds["wrap_up"], logged_in),
        "machine_share": _ratio(seconds["on_machine"], logged_in),
        "reserved_share": _ratio(seconds["reserved"] + seconds["preview"], logged_in),
        "idle_share": _ratio(seconds["ready"], logged_in),
        "agent_hours": agent_hours,
        "talk_minutes_per_agent_hour": _ratio(seconds["talking"] / 60, agent_hours),
        "connects_per_agent_hour": _ratio(c["connects"], agent_hours),
        "dials_per_connect": _ratio(c["dials"], c["connects"]),
        "mean_agent_wait_s": _ratio(sum(agent_waits), len(agent_waits)),
        "mean_answer_wait_s": _ratio(sum(answer_waits), len(answer_waits)),
        "records_dialed": len(records),
        "contacts_per_record": _ratio(c["connects"], len(records)),
        "attempts_per_contact": _ratio(c["attempts"], c["connects"]),
        "peak_lines": peak,
        "calls_in_progress_at_end": c["in_progress"],
        "calls_undecided_at_end": c["undecided"],
        "stat_server_delay_mean_s": _ratio(sum(delays), len(delays)),
    }
    messages = d12["ivr_messages_persons"] + d12["ivr_messages_machines"]
    port_hours = (campaign.ivr.ports or 0) * (horizon - warmup) / 3600 if campaign.agentless else 0
    out.update(
        {
            "dnc_requests_by_agents": d12["dnc_requests_by_agents"],
            "dnc_violations": d12["dnc_violations"],
            "callbacks_requested": d12["callbacks_requested"],
            "personal_callbacks_requested": d12["personal_callbacks_requested"],
            "callbacks_made": d12["callbacks_made"],
            "callbacks_on_time": d12["callbacks_on_time"],
            "callbacks_late": d12["callbacks_late"],
            "callbacks_late_mean_s": _ratio(d12["late_s"], d12["callbacks_late"]),
            "callbacks_handed_over": d12["callbacks_handed_over"],
            "port_failures": d12["port_failures"],
            "port_waits": d12["port_waits"],
            "port_wait_mean_s": _ratio(d12["port_wait_s"], d12["port_waits"]),
            "peak_cpd_ports": cpd_peak,
            "ivr_messages_persons": d12["ivr_messages_persons"],
            "ivr_messages_machines": d12["ivr_messages_machines"],
            "ivr_dropped": d12["ivr_dropped"],
            "ivr_messages_per_port_hour": _ratio(messages, port_hours),
        }
    )
    # compliance windows: the site's calendar days (ofcom) or 30-day windows (fcc), no warm-up
    days = range(max((day(float(r["dialed_at_s"])) for r in calls), default=-1) + 1)
    if campaign.compliance.regime == "ofcom":
        rates = []
        for d in days:
            lv, ab = live_by_day[d], ab_by_day[d]
            est_d = lv * e / (1 - e) if e < 1 else 0.0
            rates.append(_ratio(ab + est_d, lv + est_d) or 0.0)
    else:
        n_days = max((day(float(r["dialed_at_s"])) for r in calls), default=-1) + 1
        span = min(30, n_days)
        rates = []
        for d in range(0, max(n_days - span + 1, 0)):
            lv = sum(live_by_day[x] for x in range(d, d + span))
            ab = sum(ab_by_day[x] for x in range(d, d + span))
            rates.append(_ratio(ab, lv) or 0.0)
    worst = max(rates, default=0.0)
    out["compliance_worst_rate"] = worst
    out["compliance_ok"] = worst <= campaign.compliance.limit + 1e-12
    return out


# -- a centre ------------------------------------------------------------------------------------

OUTBOUND_WORK = ("talking", "wrap_up", "on_machine", "reserved", "preview")


def _work_shares(states: list[dict], warmup: float, campaigns: list[str]) -> dict:
    """agent_hours, occupancy, inbound and outbound shares of a set of agent intervals."""
    sec: dict[str, float] = defaultdict(float)
    inbound = 0.0
    outbound: dict[str, float] = defaultdict(float)
    for row in states:
        start, end = float(row["start_s"]), float(row["end_s"])
        if end <= warmup:
            continue
        d = end - max(start, warmup)
        sec[row["state"]] += d
        if row["queue"] and row["state"] in ("talking", "wrap_up"):
            inbound += d
        elif not row["queue"] and row["campaign"] and row["state"] in OUTBOUND_WORK:
            outbound[row["campaign"]] += d
    logged = sum(v for k, v in sec.items() if k != "logged_out")
    return {
        "agent_hours": logged / 3600,
        "occupancy": _ratio(sec["talking"] + sec["wrap_up"], logged),
        "inbound_share": _ratio(inbound, logged),
        "outbound_share": _ratio(sum(outbound.values()), logged),
        "idle_share": _ratio(sec["ready"], logged),
        "outbound_shares": {c: _ratio(outbound[c], logged) for c in campaigns},
    }


def _queue_figures(calls: list[dict], warmup: float, horizon: float, thresholds: dict) -> dict:
    """A queue's figures (or the total of several: each caller against its queue's threshold)."""
    n: dict[str, float] = defaultdict(float)
    wait_sum = waited_sum = 0.0
    for row in calls:
        t = float(row["arrived_at_s"])
        if t < warmup:
            continue
        threshold = thresholds[row["queue"]]
        n["offered"] += 1
        result = row["queue_result"]
        if result == "answered":
            wait = float(row["connected_at_s"]) - t
            n["answered"] += 1
            wait_sum += wait
            if wait > 0:
                n["waited"] += 1
                waited_sum += wait
            n["within"] += wait <= threshold
        elif result == "abandoned":
            wait = float(row["ended_at_s"]) - t
            n["abandoned"] += 1
        elif result in ("balked", "blocked"):
            n[result] += 1
            continue
        else:
            assert result == "waiting"
            wait = horizon - t
            n["waiting_at_end"] += 1
        n["exceeded"] += wait > threshold
    offered = n["offered"]
    return {
        "offered": offered,
        "answered": n["answered"],
        "abandoned": n["abandoned"],
        "balked": n["balked"],
        "blocked": n["blocked"],
        "waiting_at_end": n["waiting_at_end"],
        "service_level": None if not offered else 1 - n["exceeded"] / offered,
        "answered_within_share": _ratio(n["within"], offered),
        "asa_s": _ratio(wait_sum, n["answered"]),
        "p_wait": _ratio(n["waited"], n["answered"]),
        "mean_wait_waited_s": _ratio(waited_sum, n["waited"]),
        "abandoned_share": _ratio(n["abandoned"], offered),
    }


def recompute_centre(folder: Path, centre) -> dict:
    """A centre's summary from its records: the totals (every dial, every agent), each
    campaign (its dials, its agents' intervals while they worked for it), each queue (its
    callers) and each group (its agents), with the centre's settings."""
    from dialer.centre import effective

    calls, states = read_records(folder)
    dials = [r for r in calls if r["campaign"]]
    inbound = [r for r in calls if r["queue"]]
    assert len(dials) + len(inbound) == len(calls)
    names = [e.name for e in centre.campaigns]
    runs = [effective(centre, e) for e in centre.campaigns]
    warmup, horizon = centre.warmup_s, centre.horizon_s
    hours = (horizon - warmup) / 3600
    campaigns = {}
    for name, run in zip(names, runs):
        mine = [r for r in states if r["campaign"] == name]
        figures = recompute_rows([r for r in dials if r["campaign"] == name], mine, run, states)
        shares = _work_shares(mine, warmup, names)
        figures["inbound_share"] = shares["inbound_share"]
        figures["outbound_share"] = shares["outbound_share"]
        figures["connects_per_hour"] = figures["connects"] / hours
        campaigns[name] = figures
    # the totals, under the first campaign's settings (the example's only one) when all agree
    settings = {(r.cpd.fp_estimate, r.compliance.regime, r.compliance.limit) for r in runs}
    assert len(settings) <= 1, "recompute: campaigns under different regimes"
    first = runs[0] if runs else _no_campaign(centre)
    out = recompute_rows(dials, states, first)
    if campaigns:
        out["compliance_ok"] = all(c["compliance_ok"] for c in campaigns.values())
        out["compliance_worst_rate"] = max(c["compliance_worst_rate"] for c in campaigns.values())
    out["amd_false_negatives"] = sum(c["amd_false_negatives"] for c in campaigns.values())
    out["connects_per_hour"] = out["connects"] / hours
    shares = _work_shares(states, warmup, names)
    out["inbound_share"] = shares["inbound_share"]
    out["outbound_share"] = shares["outbound_share"]
    thresholds = {q.name: q.service_level_s for q in centre.queues}
    out["inbound"] = _queue_figures(inbound, warmup, horizon, thresholds)
    out["queues"] = {
        q: _queue_figures([r for r in inbound if r["queue"] == q], warmup, horizon, thresholds)
        for q in thresholds
    }
    out["campaigns"] = campaigns
    out["groups"] = {
        g.name: _work_shares([r for r in states if r["group"] == g.name], warmup, names)
        for g in centre.agents.groups
    }
    return out


def _no_campaign(centre):
    from dialer.config import Campaign

    return Campaign(
        start=centre.start,
        site_timezone=centre.site_timezone,
        horizon_s=centre.horizon_s,
        warmup_s=centre.warmup_s,
    ).override({"cpd.amd_false_positive_estimate": 0.0})
