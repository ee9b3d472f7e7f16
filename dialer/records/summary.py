"""Summary metrics, compliance windows and time series: pure functions of a closed tally."""

from __future__ import annotations

from dialer.codes import AGENT_STATE_NAMES
from dialer.records.daycounts import DayCounts
from dialer.records.tally import BUCKET_S, Tally
from dialer.regulation import abandon_rates


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def compliance_windows(days: dict[str, list[int]], regime: str, fp_estimate: float) -> list[dict]:
    """Abandon rate per compliance window: 30 days (rolling; the whole run when shorter) under
    fcc, each calendar day of the site under ofcom (with the centre's false-positive estimate)."""
    n = max((len(v) for v in days.values()), default=0)

    def col(k: str) -> list[int]:
        v = days[k]
        return v + [0] * (n - len(v))

    live, ab, fp = col("live_answers"), col("abandoned"), col("amd_false_positives")
    out = []
    if regime == "ofcom":
        for d in range(n):
            r = abandon_rates(live[d], ab[d], fp[d], fp_estimate)
            out.append(
                {
                    "first_day": d,
                    "days": 1,
                    "live_answers": live[d],
                    "abandoned": ab[d],
                    "rate": r["abandon_rate_ofcom"] or 0.0,
                }
            )
        return out
    span = min(30, n) if n else 0
    for d in range(0, max(n - span + 1, 0)):
        lv, a = sum(live[d : d + span]), sum(ab[d : d + span])
        out.append(
            {
                "first_day": d,
                "days": span,
                "live_answers": lv,
                "abandoned": a,
                "rate": _ratio(a, lv) or 0.0,
            }
        )
    return out


def run_summary(
    tally: Tally,
    *,
    amd: bool,
    fp_estimate: float,
    regime: str,
    limit: float,
    records_total: int | None,
    records_finished: int,
    dnc_blocked: int,
    finished_by: dict[int, int] | None = None,
    records_finished_at_start: int = 0,
    records_dialed: int | None = None,
    outage_s: float = 0.0,
    day: dict | None = None,
) -> dict:
    """Every summary key of design.md section 5 (counts, rates, shares) from a closed tally."""
    c = dict(tally.counts)
    t = dict(zip(AGENT_STATE_NAMES, tally.state_s, strict=True))
    logged_in = sum(v for k, v in t.items() if k != "logged_out")
    rates = abandon_rates(c["live_answers"], c["abandoned"], c["amd_false_positives"], fp_estimate)
    windows = compliance_windows(tally.day_counts, regime, fp_estimate)
    worst = max((w["rate"] for w in windows), default=0.0)
    agent_hours = logged_in / 3600
    out: dict = {
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
        "amd_false_positives": c["amd_false_positives"],
        "amd_false_negatives": c["machines_to_agents"] if amd else 0,
        "machines_to_agents": c["machines_to_agents"],
        "dnc_blocked": dnc_blocked,
        "records_total": records_total,
        "records_finished": records_finished,
        **rates,
        "overdial_rate": _ratio(c["abandoned"] + c["machines_dropped"], c["classified_human"]),
        "hit_ratio": _ratio(c["live_answers"], c["dials"]),
        "occupancy": _ratio(t["talking"] + t["wrap_up"], logged_in),
        "talk_share": _ratio(t["talking"], logged_in),
        "wrap_share": _ratio(t["wrap_up"], logged_in),
        "machine_share": _ratio(t["on_machine"], logged_in),
        "reserved_share": _ratio(t["reserved"] + t["preview"], logged_in),
        "idle_share": _ratio(t["ready"], logged_in),
        "agent_hours": agent_hours,
        "talk_minutes_per_agent_hour": _ratio(t["talking"] / 60, agent_hours),
        "connects_per_agent_hour": _ratio(c["connects"], agent_hours),
        "dials_per_connect": _ratio(c["dials"], c["connects"]),
        "mean_agent_wait_s": tally.agent_wait.mean,
        "mean_answer_wait_s": tally.answer_wait.mean,
        "list_penetration": (
            _ratio(records_finished + records_finished_at_start, records_total)
            if records_total
            else None
        ),
        "records_finished_at_start": records_finished_at_start,
        "records_dialed": records_dialed,
        "contacts_per_record": _ratio(c["connects"], records_dialed or 0),
        "attempts_per_contact": _ratio(tally.contact_attempts, c["connects"]),
        "peak_lines": tally.lines.peak,
        "calls_in_progress_at_end": c["in_progress"],
        "calls_undecided_at_end": c["undecided"],
        "stat_server_delay_mean_s": tally.report_delay_mean,
        "dials_stopped_by_outage_s": outage_s,
        "compliance_regime": regime,
        "compliance_limit": limit,
        "compliance_worst_rate": worst,
        "compliance_ok": worst <= limit + 1e-12,
        "records_finished_by_result": {str(k): v for k, v in sorted((finished_by or {}).items())},
        **(day or day_summary(DayCounts(0.0, 0.0), peak_cpd_ports=0)),
    }
    return out


def day_summary(
    day: DayCounts,
    *,
    peak_cpd_ports: int,
    dnc_requests_outside: int = 0,
    dnc_exposure_mean_s: float | None = None,
    callbacks_missed: int = 0,
    ivr_port_hours: float | None = None,
) -> dict:
    """The summary keys of the campaign day (issue 12): opt-outs, callbacks, CPD ports, IVR.

    ``day`` folds the call records; the rest comes from the list (outside opt-outs, missed
    callbacks: no call records them), the tally (``peak_cpd_ports``: dials awaiting their CPD
    verdict) and the settings (``ivr_port_hours``: IVR ports x hours after the warm-up)."""
    c = day.counts
    messages = c["ivr_messages_persons"] + c["ivr_messages_machines"]
    return {
        "dnc_requests": c["dnc_requests_by_agents"] + dnc_requests_outside,
        "dnc_requests_by_agents": c["dnc_requests_by_agents"],
        "dnc_requests_outside": dnc_requests_outside,
        "dnc_violations": c["dnc_violations"],
        "dnc_exposure_mean_s": dnc_exposure_mean_s,
        "callbacks_requested": c["callbacks_requested"],
        "personal_callbacks_requested": c["personal_callbacks_requested"],
        "callbacks_made": c["callbacks_made"],
        "callbacks_on_time": c["callbacks_on_time"],
        "callbacks_late": c["callbacks_late"],
        "callbacks_late_mean_s": _ratio(day.late_s, c["callbacks_late"]),
        "callbacks_handed_over": c["callbacks_handed_over"],
        "callbacks_missed": callbacks_missed,
        "port_failures": c["port_failures"],
        "port_waits": c["port_waits"],
        "port_wait_mean_s": _ratio(day.port_wait_s, c["port_waits"]),
        "peak_cpd_ports": peak_cpd_ports,
        "ivr_messages_persons": c["ivr_messages_persons"],
        "ivr_messages_machines": c["ivr_messages_machines"],
        "ivr_dropped": c["ivr_dropped"],
        "ivr_messages_per_port_hour": _ratio(messages, ivr_port_hours or 0.0),
    }


def series(tally: Tally, fp_estimate: float) -> list[dict]:
    """15-minute time series for reports: counts, agent seconds by state, lines, rates."""
    state_b = tally.state_series
    by_bucket = tally.series
    n = max(
        max((len(v) for v in by_bucket.values()), default=0),
        max(len(v) for v in state_b),
    )
    lines, cum_live, cum_ab, cum_fin = tally.lines, 0, 0, 0
    rows = []
    for b in range(n):
        row: dict = {"t_s": b * BUCKET_S}
        for k, v in by_bucket.items():
            row[k] = v[b] if b < len(v) else 0
        for i, name in enumerate(AGENT_STATE_NAMES):
            row[f"agent_s_{name}"] = state_b[i][b] if b < len(state_b[i]) else 0.0
        row["mean_lines"] = (lines.area[b] / BUCKET_S) if b < len(lines.area) else 0.0
        row["peak_lines"] = lines.peaks[b] if b < len(lines.peaks) else 0
        row["mean_in_flight"] = (tally.flight_s[b] / BUCKET_S) if b < len(tally.flight_s) else 0.0
        cum_live += row["live_answers"]
        cum_ab += row["abandoned"]
        row["abandon_rate"] = _ratio(row["abandoned"], row["live_answers"])
        row["abandon_rate_cumulative"] = _ratio(cum_ab, cum_live)
        cum_fin += row["records_finished"]
        row["records_finished_cumulative"] = cum_fin
        rows.append(row)
    return rows
