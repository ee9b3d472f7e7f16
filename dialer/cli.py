"""The ``dialer`` command line.

Thin on purpose: it parses arguments, calls :mod:`dialer.experiment`, prints and writes.
Heavy modules (numpy, SimPy, plotly) are imported inside the commands, so ``dialer --help``
answers at once. Bad input of any kind ends as one line per problem on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import NoReturn

from dialer.errors import InputError
from dialer.version import __version__

EXIT_INPUT = 2


def _campaign_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("campaign", help="campaign file (YAML)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a dotted key, e.g. --set dialing.ratio=2.5 "
        "or --set agents.groups.renewals.count=30 (repeatable)",
    )


def _load(args: argparse.Namespace, extra: dict | None = None):
    """The campaign or centre file of the command, with --set (and ``extra``) applied; a
    ``dialing.mode`` in ``extra`` sets every campaign's mode of a centre."""
    from dialer.centre import Centre, load, with_mode
    from dialer.config import parse_override

    overrides = dict(parse_override(o) for o in args.overrides)
    extra = dict(extra or {})
    mode = extra.pop("dialing.mode", None)
    overrides.update(extra)
    scenario = load(args.campaign, overrides)
    if mode is not None:
        if isinstance(scenario, Centre) and not scenario.campaigns:
            raise InputError(f"--mode {mode}: the centre has no campaign to dial")
        scenario = with_mode(scenario, mode)
    return scenario


def _read_lists(scenario) -> None:
    from dialer.centre import read_list_files

    read_list_files(scenario)


def cmd_check(args: argparse.Namespace) -> int:
    from dialer.centre import Centre

    c = _load(args)
    if isinstance(c, Centre):
        from dialer.centre_text import check_line

        _read_lists(c)
        print(check_line(args.campaign, c))
        return 0
    groups = ", ".join(f"{g.name} x{g.count}" for g in c.agents.groups)
    size = "endless" if c.calling_list.size is None else f"{c.calling_list.size} records"
    if c.calling_list.file or c.dnc.file:
        # read the files too, so that a bad row shows up here and not in the middle of a run
        from dialer.clock import Calendar
        from dialer.lists.calling import CallingList
        from dialer.lists.listfile import shown_path

        calls = CallingList(c, Calendar(c.start, c.site_timezone, c.horizon_s))
        if c.calling_list.file:
            size = (
                f"{calls.total} records in {shown_path(c.calling_list.file)} "
                f"({calls.finished_at_start} finished, {len(calls.classes)} window classes)"
            )
    print(
        f"ok: {args.campaign}: '{c.name}', mode {c.dialing.mode}, agents {groups}, "
        f"list {size}, horizon {c.horizon_s:g} s"
    )
    return 0


def _writable(option: str, path: str) -> str:
    """An output file whose folder exists (checked before the run, so nothing is half-done)."""
    import os

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"{option} {path}: no such folder {os.path.dirname(path) or '.'!r}")
    if os.path.isdir(path):
        raise InputError(f"{option} {path}: expected a file name, got a folder")
    return path


def _run_files() -> tuple[str, ...]:
    """The files ``run --out`` writes (imported when asked: the records module is not light)."""
    from dialer.records.files import AGENT_STATES, CALLS

    return ("summary.json", CALLS, AGENT_STATES, "campaign.yaml", "series.json", "report.html")


def _inputs(path: str, scenario) -> list[tuple[str, str]]:
    from dialer.centre import files_read

    return files_read(path, scenario)


def _check_out(args: argparse.Namespace, scenario, names: tuple[str, ...]) -> None:
    """``--out``'s files must not replace the campaign's (or centre's) files."""
    from dialer.outputs import check_written, written_in

    check_written(written_in("--out", args.out, names), _inputs(args.campaign, scenario))


def cmd_run(args: argparse.Namespace) -> int:
    from dialer.experiments.run import simulate

    extra = {}
    if args.mode:
        extra["dialing.mode"] = args.mode
    if args.seed is not None:
        extra["seed"] = args.seed
    campaign = _load(args, extra)
    from dialer.centre import Centre

    centre = isinstance(campaign, Centre)
    if args.list_out:
        _writable("--list-out", args.list_out)
        if centre:
            raise InputError("--list-out: expected a campaign file (a centre has several lists)")
        if not campaign.calling_list.file:
            raise InputError(
                "--list-out: expected a campaign with calling_list.file (a synthetic "
                "list has no file to write back; `dialer make-list` turns it into one)"
            )
    if args.dnc_out:
        _writable("--dnc-out", args.dnc_out)
    from dialer.outputs import check_written, written_file, written_in

    own = [] if centre else [campaign]
    check_written(
        (written_in("--out", args.out, _run_files()) if args.out else [])
        + (written_file("--list-out", args.list_out) if args.list_out else [])
        + (written_file("--dnc-out", args.dnc_out) if args.dnc_out else []),
        _inputs(args.campaign, campaign),
        # written back over themselves: the list (resuming a worked list), the DNC file (the
        # run's requests appended to it, its own rows kept byte for byte)
        allowed=[("--list-out", c.calling_list.file) for c in own if c.calling_list.file]
        + [("--dnc-out", c.dnc.file) for c in own if c.dnc.file],
    )
    _read_lists(campaign)  # a bad list or DNC file ends here, before --out is created
    if args.out:
        from dialer.clock import Calendar
        from dialer.config import dump_yaml
        from dialer.outputs import staged, write_json, write_text
        from dialer.records.files import RecordWriter

        # every file goes to a temporary folder inside --out and moves into place at the end;
        # a failed or stopped run removes it, and --out itself if the run made it
        with staged(args.out, "--out") as out:
            writer = RecordWriter(
                out,
                Calendar(campaign.start, campaign.site_timezone, campaign.horizon_s),
                [g.name for g in campaign.agents.groups],
                [q.name for q in campaign.queues] if centre else (),
            )
            try:
                result = simulate(
                    campaign, writer=writer, list_out=args.list_out, dnc_out=args.dnc_out
                )
            except BaseException as exc:
                writer.abort(exc)
                raise
            writer.commit()
            write_json(out / "summary.json", result.to_json())
            write_text(out / "campaign.yaml", dump_yaml(campaign.to_dict()))
            write_json(
                out / "series.json",
                {
                    "bucket_s": 900,
                    "rows": result.series,
                    "windows": result.windows,
                    "waits": result.waits,
                    **(
                        {"queues": result.queue_series, "groups": result.group_series}
                        if centre
                        else {}
                    ),
                },
            )
            from dialer.reports.render import write_report

            write_report(out)
    else:
        result = simulate(campaign, list_out=args.list_out, dnc_out=args.dnc_out)
    if args.json:
        from dialer.outputs import _clean

        print(json.dumps(_clean(result.to_json()), indent=2))
    else:
        print(format_summary(result))
        if args.out:
            print(
                f"\nwrote {args.out}/summary.json, calls.csv, agent_states.csv, campaign.yaml, "
                "series.json, report.html"
            )
        if args.list_out:
            print(f"wrote the calling list to {args.list_out}")
        if args.dnc_out:
            print(f"wrote the DNC list with the run's requests to {args.dnc_out}")
    return 0


def cmd_make_list(args: argparse.Namespace) -> int:
    import os

    from dialer.config import load_campaign, parse_override
    from dialer.lists.makelist import campaign_snippet, make_list

    # the list files the campaign names (perhaps the ones being made) play no part here
    overrides = dict(parse_override(o) for o in args.overrides)
    campaign = load_campaign(
        args.campaign, {**overrides, "calling_list.file": None, "dnc.file": None}
    )
    _writable("--out", args.out)
    if args.dnc_out:
        _writable("--dnc-out", args.dnc_out)
    from dialer.outputs import check_written, written_file

    # the campaign's own list and DNC files may be the ones being made: only the campaign file
    check_written(
        written_file("--out", args.out)
        + (written_file("--dnc-out", args.dnc_out) if args.dnc_out else []),
        [(f"the campaign file {args.campaign}", args.campaign)],
    )
    made = make_list(campaign, args.out, args.dnc_out, args.chain_share)
    here = os.path.dirname(os.path.abspath(args.campaign))
    rel = lambda p: os.path.relpath(os.path.abspath(p), here)  # noqa: E731 - paths as the campaign sees them
    print(
        f"wrote {args.out}: {made.records} records, {made.customers} customers, "
        f"{len(made.time_zones)} time zone(s)"
        + (f"; {args.dnc_out}: {made.dnc_entries} DNC entries" if args.dnc_out else "")
    )
    print(f"\nto use it, put this in {args.campaign}:\n")
    print(
        campaign_snippet(made, rel(args.out), rel(args.dnc_out) if args.dnc_out else None), end=""
    )
    return 0


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"


def _num(x, fmt: str = ".1f") -> str:
    return "-" if x is None else format(x, fmt)


def _day_rows(s: dict) -> list[tuple[str, str]]:
    """The day's lines of the summary table, each only when something happened."""
    rows = []
    if s["dnc_requests"] or s["dnc_violations"]:
        rows.append(
            (
                "DNC requests (agents / outside) / violations",
                f"{s['dnc_requests_by_agents']} / {s['dnc_requests_outside']} / "
                f"{s['dnc_violations']}  (mean exposure {_num(s['dnc_exposure_mean_s'])} s)",
            )
        )
    if s["callbacks_requested"] or s["callbacks_made"] or s["callbacks_missed"]:
        rows.append(
            (
                "callbacks asked / made on time / late / missed",
                f"{s['callbacks_requested']} / {s['callbacks_on_time']} / {s['callbacks_late']} / "
                f"{s['callbacks_missed']}  (late by {_num(s['callbacks_late_mean_s'])} s on average)",
            )
        )
    if s["port_waits"] or s["port_failures"]:
        rows.append(
            (
                "CPD port waits / failures / peak ports",
                f"{s['port_waits']} / {s['port_failures']} / {s['peak_cpd_ports']}  "
                f"(mean wait {_num(s['port_wait_mean_s'], '.2f')} s)",
            )
        )
    if s["ivr_messages_per_port_hour"] is not None:
        rows.append(
            (
                "IVR messages: persons / machines / dropped",
                f"{s['ivr_messages_persons']} / {s['ivr_messages_machines']} / {s['ivr_dropped']}  "
                f"({_num(s['ivr_messages_per_port_hour'])} per port-hour)",
            )
        )
    return rows


def format_summary(result) -> str:
    """The readable summary table of one run."""
    s, c = result.summary, result.campaign
    if "campaigns" in s:
        from dialer.centre_text import run_text

        return run_text(result)
    rows = [
        (
            f"{c.name}: mode {c.dialing.mode}, seed {c.seed}, {c.agents.count} agents, "
            f"{c.horizon_s / 3600:g} h",
            "",
        ),
        ("dials", f"{s['dials']}"),
        (
            "live answers (persons passed as human)",
            f"{s['live_answers']}  hit ratio {_pct(s['hit_ratio'])}",
        ),
        ("connects", f"{s['connects']}  ({_num(s['connects_per_agent_hour'])} per agent-hour)"),
        ("abandoned", f"{s['abandoned']}  (machines dropped: {s['machines_dropped']})"),
        (
            "machines / fax / busy / no answer / invalid",
            f"{s['machines']} / {s['fax']} / {s['busy']} / {s['no_answer']} / {s['invalid']}",
        ),
        (
            "AMD false positives / machines to agents",
            f"{s['amd_false_positives']} / {s['machines_to_agents']}",
        ),
        ("DNC blocked", f"{s['dnc_blocked']}"),
        ("abandon rate (US)", _pct(s["abandon_rate"])),
        ("abandon rate (Ofcom, estimated FP)", _pct(s["abandon_rate_ofcom"])),
        ("abandon rate (true FP)", _pct(s["abandon_rate_true"])),
        (
            f"compliance ({s['compliance_regime']}, limit {_pct(s['compliance_limit'])})",
            f"{'OK' if s['compliance_ok'] else 'OVER'}  worst window {_pct(s['compliance_worst_rate'])}",
        ),
        ("occupancy (talk + wrap)", _pct(s["occupancy"])),
        (
            "agent time: talk / wrap / machine / reserved / idle",
            " / ".join(
                _pct(s[k])
                for k in (
                    "talk_share",
                    "wrap_share",
                    "machine_share",
                    "reserved_share",
                    "idle_share",
                )
            ),
        ),
        ("talk minutes per agent-hour", _num(s["talk_minutes_per_agent_hour"])),
        ("mean agent wait between connects", f"{_num(s['mean_agent_wait_s'])} s"),
        (
            "mean answer wait (person, verdict to agent)",
            f"{_num(s['mean_answer_wait_s'], '.2f')} s",
        ),
        (
            "records finished / total",
            f"{s['records_finished']} / {s['records_total'] if s['records_total'] is not None else 'endless'}"
            + (
                f" ({s['records_finished_at_start']} finished before)"
                if s.get("records_finished_at_start")
                else ""
            )
            + (f"  ({_pct(s['list_penetration'])})" if s["list_penetration"] is not None else ""),
        ),
        (
            "contacts per record dialed / attempts per contact",
            f"{_num(s.get('contacts_per_record'), '.3f')} / {_num(s.get('attempts_per_contact'), '.2f')}",
        ),
        ("peak lines", f"{s['peak_lines']}"),
        *_day_rows(s),
    ]
    width = max(len(k) for k, _ in rows[1:])
    lines = [rows[0][0], "-" * (width + 30)]
    lines += [f"{k:<{width}}  {v}" for k, v in rows[1:]]
    return "\n".join(lines)


def cmd_compare(args: argparse.Namespace) -> int:
    from dialer.experiments.compare import compare, nothing_ran, parse_modes, parse_variant

    variants = [parse_variant(v) for v in args.variant]
    modes = parse_modes(args.modes) if args.modes or not variants else None
    campaign = _load(args)
    if args.out:
        _check_out(args, campaign, ("compare.json", "compare.csv", "campaign.yaml", "report.html"))
    from dialer.experiments.store import ResultsUnwritable

    try:
        c = compare(
            campaign,
            modes,
            args.replications,
            variants=variants,
            only=args.only,
            workers=args.workers,
            scheduler=args.scheduler,
            frontier=args.frontier,
            out=args.out,
        )
    except (KeyboardInterrupt, ResultsUnwritable) as exc:
        return _stopped_runs(exc, "comparison", args.out)
    if args.out:
        from dialer.config import dump_yaml
        from dialer.outputs import write_csv, write_json, write_text
        from dialer.reports.render import write_report

        out = Path(args.out)
        write_json(out / "compare.json", c)
        write_csv(out / "compare.csv", compare_rows(c))
        write_text(out / "campaign.yaml", dump_yaml(campaign.to_dict()))
        write_report(out)
    if args.json:
        from dialer.outputs import _clean

        print(json.dumps(_clean(c), indent=2))
        return _failed_status(nothing_ran(c))
    if c.get("centre"):
        from dialer.centre_text import compare_text

        print(compare_text(c))
    else:
        print(format_compare(c))
    if args.out:
        print(f"\nwrote {args.out}/compare.json, compare.csv, campaign.yaml, report.html")
    return _failed_status(nothing_ran(c))


def _failed_status(every_run_failed: bool) -> int:
    """1 when no run came back (the output says why, with the first error), else 0."""
    return 1 if every_run_failed else 0


def _stopped(exc: BaseException) -> str:
    """How a stop is told: Ctrl-C is an interrupt, a signal is named."""
    from dialer.experiments.pool import stop_signal

    signum = stop_signal(exc)
    return "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"


def _exit_status(exc: BaseException) -> int:
    """128 + the signal's number, as a shell reports a command ended by it: 130, 143, 129."""
    from dialer.experiments.pool import stop_signal

    return 128 + stop_signal(exc)


def _stopped_runs(exc: BaseException, what: str, out: str | None) -> int:
    """How a comparison or a plan that stopped early ends: what is kept, how to go on."""
    from dialer.experiments.store import ResultsUnwritable

    if isinstance(exc, ResultsUnwritable):
        _say(
            f"dialer: {what} stopped: {exc}; the runs finished before it are kept in {out}; "
            "free space (or make the folder writable) and run the same command again to resume"
        )
        return 1
    if out:
        kept = f"the finished runs are kept in {out}; run the same command again to resume"
    else:
        kept = f"nothing kept (with --out DIR a {what} keeps its finished runs); run it again"
    _say(f"dialer: {_stopped(exc)}; {kept}")
    return _exit_status(exc)


def compare_rows(c: dict) -> list[dict]:
    """compare.csv: one row per mode, each metric's mean and 95% CI, and its difference from the
    best legal mode."""
    rows = []
    for mode in c["modes"]:
        row: dict = {"mode": mode, "legal": mode in c["legal"], "baseline": mode == c["baseline"]}
        for t in c["table"]:
            if t["mode"] == mode:
                row["n"] = t["n"]
                row[f"{t['metric']}_mean"] = t["mean"]
                row[f"{t['metric']}_ci_low"] = t["ci_low"]
                row[f"{t['metric']}_ci_high"] = t["ci_high"]
        for d in c["diffs"]:
            if d["mode"] == mode:
                row[f"{d['metric']}_diff_vs_baseline"] = d["mean_diff"]
        rows.append(row)
    return rows


def _ci(rows: list[dict], mode: str, metric: str, pct: bool = False, digits: int = 1) -> str:
    r = next((r for r in rows if r["mode"] == mode and r["metric"] == metric), None)
    if r is None or r["mean"] is None:
        return "-"
    scale = 100 if pct else 1
    half = "" if r["ci_high"] is None else f" ±{scale * (r['ci_high'] - r['mean']):.{digits}f}"
    return f"{scale * r['mean']:.{digits}f}{half}"


def format_compare(c: dict) -> str:
    """One row per mode: key metrics as mean ± 95% CI half-width, and the paired difference in
    talk minutes per agent-hour against the best legal mode."""
    head = (
        f"{c['campaign']}: {c['replications']} paired replications per mode "
        f"(seeds from {c['seed']}); limit {100 * c['limit']:.0f}% ({c['regime']})"
    )
    cols = [
        "mode",
        "legal",
        "occupancy %",
        "talk min/agent-h",
        "abandon % (US)",
        "Ofcom %",
        "true %",
        "connects/agent-h",
        "agent wait s",
        "vs best (talk min)",
    ]
    table = [cols]
    n = c["replications"]
    for mode in c["modes"]:
        legal_share = next(
            r["mean"] for r in c["table"] if r["mode"] == mode and r["metric"] == "compliance_ok"
        )
        diff = next(
            (
                d
                for d in c["diffs"]
                if d["mode"] == mode and d["metric"] == "talk_minutes_per_agent_hour"
            ),
            None,
        )
        if mode == c["baseline"]:
            vs = "best"
        elif diff is None or diff["mean_diff"] is None:
            vs = "-"
        else:
            half = "" if diff["ci_high"] is None else f" ±{diff['ci_high'] - diff['mean_diff']:.1f}"
            vs = f"{diff['mean_diff']:+.1f}{half}"
        table.append(
            [
                mode,
                f"{round((legal_share or 0) * n)}/{n}",
                _ci(c["table"], mode, "occupancy", pct=True),
                _ci(c["table"], mode, "talk_minutes_per_agent_hour"),
                _ci(c["table"], mode, "abandon_rate", pct=True, digits=2),
                _ci(c["table"], mode, "abandon_rate_ofcom", pct=True, digits=2),
                _ci(c["table"], mode, "abandon_rate_true", pct=True, digits=2),
                _ci(c["table"], mode, "connects_per_agent_hour"),
                _ci(c["table"], mode, "mean_agent_wait_s"),
                vs,
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
    lines = [head, ""]
    for i, row in enumerate(table):
        lines.append(
            "  ".join(
                cell.ljust(w) if j == 0 else cell.rjust(w)
                for j, (cell, w) in enumerate(zip(row, widths))
            )
        )
        if i == 0:
            lines.append("-" * len(lines[-1]))
    lines += ["", c["verdict"]]
    if c["errors"]:
        lines += ["", f"{len(c['errors'])} runs failed:"] + [f"  {e}" for e in c["errors"][:10]]
    return "\n".join(lines)


def cmd_report(args: argparse.Namespace) -> int:
    from dialer.reports.render import write_report

    path, problem = write_report(args.folder, images=args.images)
    if problem:
        print(f"dialer: {problem}", file=sys.stderr)
    print(f"wrote {path}" + ("" if problem or not args.images else f" and {path.parent}/images/"))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from dialer.experiments.bench import main as bench_main

    return bench_main(args)


def cmd_sweep(args: argparse.Namespace) -> int:
    from dialer.experiments.pool import BackendError
    from dialer.experiments.store import ResultsUnwritable
    from dialer.experiments.sweeps import MAX_RUNS, format_sweep, load_sweep, run_sweep

    sw = load_sweep(args.spec, max_runs=None if args.yes else MAX_RUNS)
    out = Path(args.out) if args.out else Path("results") / sw.name
    from dialer.outputs import check_written, written_in

    check_written(
        written_in(
            "--out" if args.out else "the results folder",
            out,
            (
                "manifest.json",
                "campaign.yaml",
                "runs.csv",
                "cells.csv",
                "paired.csv",
                "report.html",
            ),
        ),
        [(f"the sweep file {args.spec}", args.spec)],
    )
    resume = "run the same command again to resume"
    try:
        result = run_sweep(sw, workers=args.workers, scheduler=args.scheduler, out=out)
    except KeyboardInterrupt as exc:
        _say(f"dialer: {_stopped(exc)}; {_runs_kept(out)} kept in {out}; {resume}")
        return _exit_status(exc)
    except BackendError as exc:
        print(
            f"dialer: sweep stopped: {exc}; {_runs_kept(out)} kept in {out}; {resume}",
            file=sys.stderr,
        )
        return 1
    except ResultsUnwritable as exc:
        print(
            f"dialer: sweep stopped: {exc}; {exc.kept} of {exc.total} runs kept in {out}; "
            f"free space (or make the folder writable) and {resume}",
            file=sys.stderr,
        )
        return 1
    from dialer.experiments.store import os_error
    from dialer.reports.render import write_report

    print(format_sweep(result))
    try:
        write_report(out)
    except OSError as exc:
        _say(
            f"dialer: cannot write {exc.filename or out / 'report.html'}: {os_error(exc)}; the "
            f"sweep is complete in {out} (free space, then `dialer report {out}` makes the page)"
        )
        return 1
    print(f"report: {out}/report.html")
    return 0


def _runs_kept(out: Path) -> str:
    try:
        m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        return f"{m['runs_done']} of {m['runs_total']} runs"
    except FileNotFoundError:
        return "no runs"
    except (OSError, ValueError, KeyError):
        return "the finished runs"


def cmd_plan_centre(args: argparse.Namespace, centre) -> int:
    from dialer.experiments.staffing import format_staffing, plan_centre, write_staffing
    from dialer.experiments.store import ResultsUnwritable

    groups = [g.strip() for g in args.groups.split(",") if g.strip()] if args.groups else None
    try:
        result = plan_centre(
            centre,
            deadline_s=args.deadline_s,
            finish=args.finish,
            service_level=args.service_level,
            groups=groups,
            max_agents=args.max_agents,
            confidence=args.confidence,
            replications=args.replications,
            workers=args.workers,
            scheduler=args.scheduler,
            out=args.out,
            source=args.campaign,
        )
    except (KeyboardInterrupt, ResultsUnwritable) as exc:
        return _stopped_runs(exc, "plan", args.out)
    return _plan_written(
        args,
        lambda: write_staffing(result, args.out),
        result.to_json,
        format_staffing(result),
        result.every_run_failed,
    )


def cmd_plan(args: argparse.Namespace) -> int:
    from dialer.centre import Centre
    from dialer.config import parse_override
    from dialer.experiments.capacity import format_plan, run_plan, write_plan

    scenario = _load(args)
    if args.out:
        _check_out(args, scenario, ("plan.json", "campaign.yaml", "report.html"))
    if isinstance(scenario, Centre):
        if args.modes or args.group:
            raise InputError(
                f"{'--modes' if args.modes else '--group'}: expected a campaign file (a centre "
                "is planned by --groups and --service-level)"
            )
        return cmd_plan_centre(args, scenario)
    if args.groups or args.service_level is not None:
        raise InputError(
            f"{'--groups' if args.groups else '--service-level'}: expected a centre file"
        )

    modes = [m.strip() for m in args.modes.split(",") if m.strip()] if args.modes else None
    from dialer.experiments.store import ResultsUnwritable

    try:
        result = run_plan(
            args.campaign,
            deadline_s=args.deadline_s,
            finish=args.finish,
            modes=modes,
            max_agents=args.max_agents,
            confidence=args.confidence,
            replications=args.replications,
            group=args.group,
            overrides=dict(parse_override(o) for o in args.overrides),
            workers=args.workers,
            scheduler=args.scheduler,
            out=args.out,
        )
    except (KeyboardInterrupt, ResultsUnwritable) as exc:
        return _stopped_runs(exc, "plan", args.out)
    return _plan_written(
        args,
        lambda: write_plan(result, args.out),
        lambda: result.modes,
        format_plan(result),
        result.every_run_failed,
    )


def _plan_written(args: argparse.Namespace, write, data, text: str, failed: bool) -> int:
    """A plan's files (with --out) and what it prints: the JSON of ``data()`` or ``text``."""
    if args.out:
        from dialer.reports.render import write_report

        write()
        write_report(args.out)
    if args.json:
        from dialer.outputs import _clean

        print(json.dumps(_clean(data()), indent=2))
    else:
        print(text)
        if args.out:
            print(f"\nwrote {args.out}/plan.json, campaign.yaml, report.html")
    return _failed_status(failed)


def _pair(option: str, text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise InputError(f"{option} {text}: expected NAME=VALUE")
    return key.strip(), value.strip()


FIT_FILES = ("fit.json", "campaign.yaml", "report.html")


def _fit_inputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The files ``dialer fit`` reads: the records (a folder's record files too), the mapping."""
    import os

    from dialer.fit.dialer_format import FOLDER_FILES

    found = []
    for p in args.records:
        found.append((f"the records {p}", p))
        if os.path.isdir(p):
            names = (os.path.join(p, n) for n in FOLDER_FILES)
            found += [(f"the records {f}", f) for f in names if os.path.isfile(f)]
    if args.mapping:
        found.append((f"the mapping {args.mapping}", args.mapping))
    return found


def cmd_fit(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from dialer.config import load_campaign, parse_override
    from dialer.fit.campaign import check_given, fit_log, to_yaml
    from dialer.fit.formats import read_records
    from dialer.outputs import check_written, staged, write_text, written_file, written_in

    _writable("--out", args.out)
    check_written(
        written_file("--out", args.out)
        + (written_in("--report", args.report, FIT_FILES) if args.report else []),
        _fit_inputs(args),
        apart=[(f"--report {args.report}", args.report)] if args.report else [],
        apart_from=[(f"the records {p}", p) for p in args.records],
    )
    given = dict(parse_override(o) for o in args.overrides)
    check_given(given, args.mode)  # before the records are read
    # --report's folder is made (or found unwritable) before anything is written, and goes
    # again if the fit fails or is stopped
    with staged(args.report, "--report") if args.report else nullcontext() as report:
        log = read_records(
            args.records,
            args.format,
            statuses=dict(_pair("--status", s) for s in args.status),
            columns=dict(_pair("--column", c) for c in args.column),
            mapping=args.mapping,
        )
        fit = fit_log(log, given, mode=args.mode)
        if log.unknown_statuses:
            shown = ", ".join(f"{k} ({v})" for k, v in log.unknown_statuses.most_common(12))
            print(
                f"dialer: warning: {sum(log.unknown_statuses.values())} calls with statuses no "
                f"mapping knows were left out: {shown}; map them with --status CODE=OUTCOME",
                file=sys.stderr,
            )
        validation = None
        if report is not None:
            from dialer.fit.evidence import write_folder
            from dialer.fit.validation import validate

            if args.replications > 0:
                validation = validate(fit.campaign, log, args.replications)
            write_folder(fit, validation, report)
        write_text(args.out, to_yaml(fit))
        load_campaign(args.out)  # what was written must read back as a valid campaign
    print(format_fit(fit, validation))
    print(
        f"\nwrote {args.out}"
        + (f" and {args.report}/fit.json, campaign.yaml, report.html" if args.report else "")
    )
    return 0


def format_fit(fit, validation: dict | None = None) -> str:
    """What the fit found, key by key, and how the fitted campaign compares with the records."""
    c = fit.campaign
    log = fit.log
    lines = [
        f"{c.name}: {len(log.dials)} dials over {log.end_s / 3600:.2f} h ({log.format} records); "
        f"mode {c.dialing.mode}, agents "
        + ", ".join(f"{g.name} x{g.count}" for g in c.agents.groups),
        "",
    ]
    width = max(len(k) for k in fit.sources)
    for key, source in fit.sources.items():
        if key in ("dialing", "treatments", "compliance") and source == "setting":
            continue
        value = c.get(key)
        if isinstance(value, dict) and "dist" in value:
            value = ", ".join(f"{k} {v}" for k, v in value.items() if k != "values") + (
                f" ({len(value['values'])} values)" if "values" in value else ""
            )
        elif isinstance(value, dict):
            value = f"{len(value)} entries"
        lines.append(f"{key:<{width}}  {source:<8}  {value}")
    if validation:
        lines += [
            "",
            f"validation: the fitted campaign in {validation['mode']} mode, "
            f"{validation['replications']} runs, against the records",
        ]
        for row in validation["figures"]:
            share = row["kind"] == "share"
            fmt = (
                (lambda x: "-" if x is None else f"{100 * x:.2f}%")
                if share
                else (lambda x: "-" if x is None else f"{x:.1f}")
            )
            lines.append(
                f"  {row['label']:<26} records {fmt(row['records']):>9}   fitted {fmt(row['fitted']):>9}"
            )
    return "\n".join(lines)


def _backend_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="local worker processes (default: every core; 1 runs in this process)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster instead, e.g. tcp://host:8786 (needs dialer[dask])",
    )


def add_check(sub) -> None:
    c = sub.add_parser("check", help="validate a campaign file")
    _campaign_args(c)
    c.set_defaults(func=cmd_check)


def add_run(sub) -> None:
    r = sub.add_parser("run", help="run one campaign and print its summary")
    _campaign_args(r)
    r.add_argument("--mode", help="dialing mode (overrides dialing.mode)")
    r.add_argument("--seed", type=int, help="random seed (overrides seed)")
    r.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    r.add_argument(
        "--out",
        metavar="DIR",
        help="write summary.json, calls.csv, agent_states.csv, campaign.yaml, series.json, report.html",
    )
    r.add_argument(
        "--list-out",
        metavar="FILE",
        help="write the calling list back with the records' new state (list files only; docs/lists.md)",
    )
    r.add_argument(
        "--dnc-out",
        metavar="FILE",
        help="write the DNC list (dnc.file, or a new one) with the run's do-not-call requests "
        "appended, each with its time_stamp (docs/lists.md)",
    )
    r.set_defaults(func=cmd_run)


def add_compare(sub) -> None:
    c = sub.add_parser("compare", help="run dialing modes on paired seeds and say which wins")
    _campaign_args(c)
    c.add_argument(
        "--modes",
        help="comma-separated modes (default: every agent mode; threshold only in a centre with queues)",
    )
    c.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE[,KEY=VALUE]",
        help="also compare a variant with these dotted keys set, e.g. "
        "'reserve 2:blending.reserve_agents=2' (repeatable; with no --modes, only the variants)",
    )
    c.add_argument(
        "--campaign",
        dest="only",
        metavar="NAME",
        help="a centre: the campaign whose mode --modes sets (default: every campaign's)",
    )
    c.add_argument(
        "--replications", type=int, default=5, help="paired replications per mode (default 5)"
    )
    c.add_argument("--workers", type=int, help="local processes (default: the machine's cores)")
    c.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786"
    )
    c.add_argument(
        "--frontier",
        action="store_true",
        help="also sweep each mode's knob (power ratio, predictive target, optimized limit) "
        "for the abandon-vs-occupancy frontier (5 settings each: more runs)",
    )
    c.add_argument("--json", action="store_true", help="print the comparison as JSON")
    c.add_argument(
        "--out", metavar="DIR", help="write compare.json, compare.csv, campaign.yaml, report.html"
    )
    c.set_defaults(func=cmd_compare)


def add_bench(sub) -> None:
    b = sub.add_parser(
        "bench",
        help="simulated dials per second: every mode, and power mode against bare SimPy models",
    )
    b.add_argument(
        "--modes",
        default="preview,progressive,power,predictive,optimized,adaptive",
        metavar="M,M",
        help="modes to time on the campaign (default: all six; power is always measured)",
    )
    b.add_argument(
        "--agents",
        default="25,100,400,1000",
        metavar="N,N",
        help="team sizes (default 25,100,400,1000)",
    )
    b.add_argument("--hours", default="1", help="simulated hours per run (default 1)")
    b.add_argument("--repeat", default="3", help="runs per measurement, best kept (default 3)")
    b.add_argument(
        "--campaign",
        metavar="FILE",
        help="the campaign the modes run on, with an endless list and no line limit "
        "(default campaigns/b2c-renewals.yaml)",
    )
    b.add_argument(
        "--floor",
        metavar="FILE",
        help="the shared floor model (default ../shared/bench/floor_power.py beside the project)",
    )
    b.add_argument("--json", action="store_true", help="print every figure as JSON")
    b.set_defaults(func=cmd_bench)


def add_sweep(sub) -> None:
    s = sub.add_parser(
        "sweep", help="run a sweep: factors x replications, tidy rows, confidence intervals"
    )
    s.add_argument(
        "spec", metavar="EXPERIMENT", help="sweep file (YAML), e.g. experiments/modes-agents.yaml"
    )
    _backend_args(s)
    s.add_argument(
        "--out",
        metavar="DIR",
        help="results folder (default results/<sweep name>); the same folder resumes",
    )
    s.add_argument(
        "--yes",
        action="store_true",
        help="run a grid of more than 100,000 runs (refused without it)",
    )
    s.set_defaults(func=cmd_sweep)


def _share(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _count(text: str) -> int:
    """A whole number >= 0 (a count that may be none)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def add_plan(sub) -> None:
    p = sub.add_parser(
        "plan",
        help="capacity: fewest agents per mode to work the list by a deadline, legally (a "
        "centre: per group, with an inbound service-level goal)",
    )
    _campaign_args(p)
    p.add_argument(
        "--deadline-s",
        type=_share,
        required=True,
        metavar="S",
        help="seconds from the campaign start by which the list must be worked",
    )
    p.add_argument(
        "--finish",
        type=_share,
        default=1.0,
        metavar="SHARE",
        help="share of the list's records that must be finished (default 1)",
    )
    p.add_argument(
        "--modes",
        metavar="A,B",
        help="dialing modes to plan (default: every agent mode but threshold, as compare)",
    )
    p.add_argument(
        "--max-agents", type=int, default=200, metavar="N", help="largest count tried (default 200)"
    )
    p.add_argument("--group", help="agent group whose count is planned (default: the first)")
    p.add_argument(
        "--groups",
        metavar="A,B",
        help="a centre: the agent groups whose counts are planned (default: every group)",
    )
    p.add_argument(
        "--service-level",
        type=_share,
        metavar="SHARE",
        help="a centre: the service level every queue must reach (each with its own threshold)",
    )
    p.add_argument(
        "--confidence",
        type=_share,
        default=0.9,
        metavar="C",
        help="share of replications that must succeed (default 0.9)",
    )
    p.add_argument(
        "--replications",
        type=int,
        default=10,
        metavar="R",
        help="runs per agent count (default 10)",
    )
    _backend_args(p)
    p.add_argument("--json", action="store_true", help="print {mode: {agents, lines, ...}} as JSON")
    p.add_argument("--out", metavar="DIR", help="write plan.json, campaign.yaml, report.html")
    p.set_defaults(func=cmd_plan)


def add_report(sub) -> None:
    r = sub.add_parser(
        "report",
        help="(re)build report.html from a results folder",
        description="Write DIR/report.html, one self-contained page, from a run, "
        "compare, sweep or plan results folder (the kind is told by its files).",
    )
    r.add_argument("folder", metavar="DIR", help="results folder (run/compare/sweep/plan --out)")
    r.add_argument(
        "--images",
        action="store_true",
        help="also write each chart as PNG and SVG under DIR/images (needs kaleido and "
        "Chrome/Chromium; without them, says so and still writes the HTML)",
    )
    r.set_defaults(func=cmd_report)


def add_make_list(sub) -> None:
    m = sub.add_parser(
        "make-list", help="write the campaign's synthetic list as a Genesys-format list file"
    )
    _campaign_args(m)
    m.add_argument("--out", required=True, metavar="FILE", help="the calling list to write (CSV)")
    m.add_argument(
        "--dnc-out", metavar="FILE", help="also write the DNC entries (columns phone, customer_id)"
    )
    m.add_argument(
        "--chain-share",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of customers given a second number in their chain (default 0)",
    )
    m.set_defaults(func=cmd_make_list)


def add_fit(sub) -> None:
    f = sub.add_parser(
        "fit",
        help="fit a campaign file to a centre's own call records",
        description="Read a centre's call records (this project's calls.csv and "
        "agent_states.csv, VICIdial's vicidial_log and vicidial_agent_log, or any CSV call log) "
        "and write a campaign file fitted to them, each key commented with where its value "
        "came from (docs/fit.md).",
    )
    f.add_argument("records", nargs="+", metavar="RECORDS", help="files or a results folder")
    f.add_argument(
        "--format", required=True, choices=["dialer", "vicidial", "csv"], help="the records' format"
    )
    f.add_argument(
        "--out", required=True, metavar="CAMPAIGN.yaml", help="the campaign file to write"
    )
    f.add_argument(
        "--report",
        metavar="DIR",
        help="also write DIR/fit.json, campaign.yaml and report.html (fits, QQ plots, shares "
        "by hour, and a validation against the records)",
    )
    f.add_argument(
        "--replications",
        type=_count,
        default=5,
        metavar="R",
        help="runs of the fitted campaign for the report's validation (default 5; 0: none)",
    )
    f.add_argument("--mode", help="the dialing mode to write (default: the records' own)")
    f.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a key the records cannot tell, e.g. --set cpd.amd_false_positive=0.03 "
        "(the fit uses it, e.g. to correct the shares for AMD errors)",
    )
    f.add_argument(
        "--status",
        action="append",
        default=[],
        metavar="CODE=OUTCOME",
        help="map a status to an outcome (person, abandoned, agent_machine, machine, fax, busy, "
        "no_answer, invalid, unknown); repeatable",
    )
    f.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="csv: the column holding a field (dialed_at, status, answered_at, talk_s, ...)",
    )
    f.add_argument("--mapping", metavar="FILE", help="csv: a YAML file with columns and statuses")
    f.set_defaults(func=cmd_fit)


# One registration function per command, in the order `dialer --help` lists them.
COMMANDS = [
    add_check,
    add_run,
    add_compare,
    add_sweep,
    add_plan,
    add_make_list,
    add_fit,
    add_report,
    add_bench,
]


class _Parser(argparse.ArgumentParser):
    """A parser whose errors are one line, as every other bad input's: ``dialer: run: argument
    --seed: invalid int value: 'abc'`` (not the usage block first); ``--help`` is unchanged.
    Subcommands' parsers are of the same class (argparse makes them so)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.partition(" ")[2]
        raise InputError(f"{command}: {message}" if command else message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="dialer",
        description="Discrete-event simulator of outbound call-centre dialing (Genesys-style OCS).",
    )
    p.add_argument("--version", action="version", version=f"dialer {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # named with the command they were given to
            parser.error(
                f"{args.command + ': ' if args.command else ''}unrecognized arguments: "
                + " ".join(extra)
            )
    except InputError as exc:
        print(f"dialer: {exc}", file=sys.stderr)
        return EXIT_INPUT
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from dialer.experiments.pool import stop_on_signals

    try:
        # SIGTERM (a batch system's stop) and SIGHUP (a closed terminal) stop as Ctrl-C does
        with stop_on_signals():
            return args.func(args)
    except InputError as exc:
        for line in exc.problems:
            print(f"dialer: {line}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt as exc:
        _say(f"dialer: {_stopped(exc)}")
        return _exit_status(exc)
    except BrokenPipeError:
        return 0
    except OSError as exc:
        if exc.filename is None:
            raise
        # a full or read-only disk, a lost folder: the file and the system's words, no traceback
        from dialer.experiments.store import os_error

        _say(f"dialer: {exc.filename}: {os_error(exc)}")
        return 1


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr)
    except OSError:
        pass  # the terminal is gone (SIGHUP)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
