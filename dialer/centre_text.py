"""A centre in words: what ``dialer check`` and ``dialer run`` print for a centre file.

Kept apart from :mod:`dialer.cli` so that the command line stays thin; no simulation here,
only the centre as configured and a run's summary as plain text.
"""

from __future__ import annotations

from dialer.centre import Centre
from dialer.clock import Calendar
from dialer.schema import TimeOfDay


def _pct(x, digits: int = 1) -> str:
    return "-" if x is None else f"{100 * x:.{digits}f}%"


def _num(x, fmt: str = ".1f") -> str:
    return "-" if x is None else format(x, fmt)


def _hhmm(seconds: int) -> str:
    return TimeOfDay().dump(seconds)


def check_line(path: str, centre: Centre) -> str:
    """``dialer check``'s one line for a centre."""
    parts = [f"ok: {path}: centre '{centre.name}'"]
    for e in centre.campaigns:
        when = "" if e.active is None else f", {_hhmm(e.active.start)}-{_hhmm(e.active.end)}"
        size = e.campaign.calling_list.size
        listed = (
            "list file"
            if e.campaign.calling_list.file
            else ("endless list" if size is None else f"{size} records")
        )
        parts.append(
            f"campaign {e.name} ({e.campaign.dialing.mode} on {', '.join(e.groups)}{when}; "
            f"{listed})"
        )
    for q in centre.queues:
        parts.append(f"queue {q.name} (answered by {', '.join(q.groups)})")
    groups = ", ".join(f"{g.name} x{g.count}" for g in centre.agents.groups)
    shared = centre.shared_groups()
    parts.append(f"agents {groups}" + (f" (shared: {', '.join(shared)})" if shared else ""))
    trunk = "unlimited" if centre.lines is None else f"{centre.lines} lines"
    parts.append(f"trunk {trunk} ({centre.port_allocation}), horizon {centre.horizon_s:g} s")
    return ", ".join(parts)


def run_text(result) -> str:
    """The readable summary of a centre's run: totals, queues, campaigns, groups."""
    s, c = result.summary, result.campaign
    lines = [
        f"{c.name}: centre, seed {c.seed}, {c.agents.count} agents, {c.horizon_s / 3600:g} h",
        "",
    ]
    if s["queues"]:
        lines.append(
            _table(
                [
                    "queue",
                    "offered",
                    "answered",
                    "abandoned",
                    "balked",
                    "blocked",
                    "service level",
                    "answered in time",
                    "ASA s",
                    "P(wait)",
                    "wait if waited s",
                ],
                [
                    [
                        name,
                        str(q["offered"]),
                        str(q["answered"]),
                        str(q["abandoned"]),
                        str(q["balked"]),
                        str(q["blocked"]),
                        _pct(q["service_level"]),
                        _pct(q["answered_within_share"]),
                        _num(q["asa_s"]),
                        _pct(q["p_wait"]),
                        _num(q["mean_wait_waited_s"]),
                    ]
                    for name, q in [*s["queues"].items(), ("(all)", s["inbound"])]
                ],
            )
        )
        lines.append("")
    if s["campaigns"]:
        lines.append(
            _table(
                [
                    "campaign",
                    "mode",
                    "dials",
                    "connects",
                    "abandon % (US)",
                    "legal",
                    "agent h",
                    "occupancy",
                    "connects/agent-h",
                    "inbound share",
                    "finished",
                ],
                [
                    [
                        name,
                        e.campaign.dialing.mode,
                        str(k["dials"]),
                        str(k["connects"]),
                        _pct(k["abandon_rate"], 2),
                        "yes" if k["compliance_ok"] else "NO",
                        _num(k["agent_hours"]),
                        _pct(k["occupancy"]),
                        _num(k["connects_per_agent_hour"]),
                        _pct(k["inbound_share"]),
                        str(k["records_finished"]),
                    ]
                    for (name, k), e in zip(s["campaigns"].items(), c.campaigns, strict=True)
                ],
            )
        )
        lines.append("")
    lines.append(
        _table(
            ["group", "agent h", "occupancy", "inbound", "outbound", "idle"],
            [
                [
                    name,
                    _num(g["agent_hours"]),
                    _pct(g["occupancy"]),
                    _pct(g["inbound_share"]),
                    _pct(g["outbound_share"]),
                    _pct(g["idle_share"]),
                ]
                for name, g in s["groups"].items()
            ],
        )
    )
    lines += [
        "",
        f"centre: occupancy {_pct(s['occupancy'])}, inbound {_pct(s['inbound_share'])}, "
        f"outbound {_pct(s['outbound_share'])} of agent time; peak lines {s['peak_lines']}",
    ]
    return "\n".join(lines)


def _table(head: list[str], rows: list[list[str]]) -> str:
    table = [head, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    out = []
    for i, row in enumerate(table):
        out.append(
            "  ".join(
                v.ljust(w) if j == 0 else v.rjust(w) for j, (v, w) in enumerate(zip(row, widths))
            )
        )
        if i == 0:
            out.append("-" * len(out[-1]))
    return "\n".join(out)


def calendar(centre) -> Calendar:
    return Calendar(centre.start, centre.site_timezone, centre.horizon_s)


def compare_text(c: dict) -> str:
    """A centre's comparison: one row per variant, inbound service beside outbound results,
    means with the half-width of their 95% interval, and the paired difference in outbound
    connects per hour against the best legal variant."""

    def cell(label: str, metric: str, pct: bool = False, digits: int = 1) -> str:
        r = next((r for r in c["table"] if r["mode"] == label and r["metric"] == metric), None)
        if r is None or r["mean"] is None:
            return "-"
        scale = 100 if pct else 1
        half = "" if r["ci_high"] is None else f" ±{scale * (r['ci_high'] - r['mean']):.{digits}f}"
        return f"{scale * r['mean']:.{digits}f}{half}"

    n = c["replications"]
    head = [
        "variant",
        "legal",
        "service level %",
        "answered in time %",
        "ASA s",
        "inbound abandoned %",
        "connects/h",
        "abandon % (US)",
        "occupancy %",
        "vs best (connects/h)",
    ]
    rows = []
    for label in c["modes"]:
        legal = next(
            (
                r["mean"]
                for r in c["table"]
                if r["mode"] == label and r["metric"] == "compliance_ok"
            ),
            None,
        )
        diff = next(
            (
                d
                for d in c["diffs"]
                if d["mode"] == label and d["metric"] == c["best_by"] and d["mean_diff"] is not None
            ),
            None,
        )
        if label == c["baseline"]:
            vs = "best"
        elif diff is None:
            vs = "-"
        else:
            half = "" if diff["ci_high"] is None else f" ±{diff['ci_high'] - diff['mean_diff']:.1f}"
            vs = f"{diff['mean_diff']:+.1f}{half}"
        rows.append(
            [
                label,
                f"{round((legal or 0) * n)}/{n}",
                cell(label, "inbound.service_level", pct=True),
                cell(label, "inbound.answered_within_share", pct=True),
                cell(label, "inbound.asa_s"),
                cell(label, "inbound.abandoned_share", pct=True, digits=2),
                cell(label, "connects_per_hour"),
                cell(label, "abandon_rate", pct=True, digits=2),
                cell(label, "occupancy", pct=True),
                vs,
            ]
        )
    lines = [
        f"{c['campaign']}: {n} paired replications per variant (seeds from {c['seed']})",
        "",
        _table(head, rows),
        "",
        c["verdict"],
    ]
    if c["errors"]:
        lines += ["", f"{len(c['errors'])} runs failed:"] + [f"  {e}" for e in c["errors"][:10]]
    return "\n".join(lines)
