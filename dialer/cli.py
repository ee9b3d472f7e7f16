"""The ``dialer`` command line.

Thin on purpose: it parses arguments, calls :mod:`dialer.experiment`, prints and writes.
Heavy modules (numpy, SimPy, plotly) are imported inside the commands, so ``dialer --help``
answers at once. Bad input of any kind ends as one line per problem on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import InputError

EXIT_INPUT = 2


def _campaign_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("campaign", help="campaign file (YAML)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a dotted key, e.g. --set dialing.ratio=2.5 "
                        "or --set agents.groups.renewals.count=30 (repeatable)")


def _load(args: argparse.Namespace, extra: dict | None = None):
    from .config import load_campaign, parse_override

    overrides = dict(parse_override(o) for o in args.overrides)
    overrides.update(extra or {})
    return load_campaign(args.campaign, overrides)


def cmd_check(args: argparse.Namespace) -> int:
    c = _load(args)
    groups = ", ".join(f"{g.name} x{g.count}" for g in c.agents.groups)
    size = "endless" if c.calling_list.size is None else f"{c.calling_list.size} records"
    print(f"ok: {args.campaign}: '{c.name}', mode {c.dialing.mode}, agents {groups}, "
          f"list {size}, horizon {c.horizon_s:g} s")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from .experiment import simulate
    from .outputs import ensure_dir

    extra = {}
    if args.mode:
        extra["dialing.mode"] = args.mode
    if args.seed is not None:
        extra["seed"] = args.seed
    campaign = _load(args, extra)
    if args.out:
        from .clock import Calendar
        from .config import dump_yaml
        from .outputs import CallWriter, write_json, write_text

        out = ensure_dir(args.out)
        writer = CallWriter(out / "calls.csv", Calendar(campaign.start, campaign.site_timezone, campaign.horizon_s))
        try:
            result = simulate(campaign, on_call=writer)
        except BaseException as exc:
            writer.abort(exc)
            raise
        writer.commit()
        write_json(out / "summary.json", result.to_json())
        write_text(out / "campaign.yaml", dump_yaml(campaign.to_dict()))
        write_json(out / "series.json", {"bucket_s": 900, "rows": result.series,
                                         "windows": result.windows, "waits": result.waits})
        from .report import write_report

        write_report(out)
    else:
        result = simulate(campaign)
    if args.json:
        from .outputs import _clean

        print(json.dumps(_clean(result.to_json()), indent=2))
    else:
        print(format_summary(result))
        if args.out:
            print(f"\nwrote {args.out}/summary.json, calls.csv, campaign.yaml, series.json, report.html")
    return 0


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"


def _num(x, fmt: str = ".1f") -> str:
    return "-" if x is None else format(x, fmt)


def format_summary(result) -> str:
    """The readable summary table of one run."""
    s, c = result.summary, result.campaign
    rows = [
        (f"{c.name}: mode {c.dialing.mode}, seed {c.seed}, {c.agents.count} agents, "
         f"{c.horizon_s / 3600:g} h", ""),
        ("dials", f"{s['dials']}"),
        ("live answers (persons passed as human)", f"{s['live_answers']}  hit ratio {_pct(s['hit_ratio'])}"),
        ("connects", f"{s['connects']}  ({_num(s['connects_per_agent_hour'])} per agent-hour)"),
        ("abandoned", f"{s['abandoned']}  (machines dropped: {s['dropped']})"),
        ("machines / fax / busy / no answer / invalid",
         f"{s['machines']} / {s['fax']} / {s['busy']} / {s['no_answer']} / {s['invalid']}"),
        ("AMD false positives / machines to agents", f"{s['amd_false_positives']} / {s['machines_to_agents']}"),
        ("DNC blocked", f"{s['dnc_blocked']}"),
        ("abandon rate (US)", _pct(s["abandon_rate"])),
        ("abandon rate (Ofcom, estimated FP)", _pct(s["abandon_rate_ofcom"])),
        ("abandon rate (true FP)", _pct(s["abandon_rate_true"])),
        (f"compliance ({s['compliance_regime']}, limit {_pct(s['compliance_limit'])})",
         f"{'OK' if s['compliance_ok'] else 'OVER'}  worst window {_pct(s['compliance_worst_rate'])}"),
        ("occupancy (talk + wrap)", _pct(s["occupancy"])),
        ("agent time: talk / wrap / machine / reserved / idle",
         " / ".join(_pct(s[k]) for k in ("talk_share", "wrap_share", "machine_share", "reserved_share", "idle_share"))),
        ("talk minutes per agent-hour", _num(s["talk_minutes_per_agent_hour"])),
        ("mean agent wait between connects", f"{_num(s['mean_agent_wait_s'])} s"),
        ("mean answer wait (person, verdict to agent)", f"{_num(s['mean_answer_wait_s'], '.2f')} s"),
        ("records finished / total", f"{s['records_finished']} / {s['records_total'] if s['records_total'] is not None else 'endless'}"
         + (f"  ({_pct(s['list_penetration'])})" if s["list_penetration"] is not None else "")),
        ("peak lines", f"{s['peak_lines']}"),
    ]
    width = max(len(k) for k, _ in rows[1:])
    lines = [rows[0][0], "-" * (width + 30)]
    lines += [f"{k:<{width}}  {v}" for k, v in rows[1:]]
    return "\n".join(lines)


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    path, problem = write_report(args.folder, images=args.images)
    if problem:
        print(f"dialer: {problem}", file=sys.stderr)
    print(f"wrote {path}" + ("" if problem or not args.images else f" and {path.parent}/images/"))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import main as bench_main

    return bench_main(args)


def cmd_sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .pool import BackendError
    from .sweeps import format_sweep, run_sweep

    out = Path(args.out) if args.out else Path("results") / Path(args.spec).stem
    try:
        result = run_sweep(args.spec, workers=args.workers, scheduler=args.scheduler, out=out)
    except (KeyboardInterrupt, BackendError) as exc:
        kept = _runs_kept(out)
        what = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"sweep stopped: {exc}"
        print(f"dialer: {what}; {kept} kept in {out}; run the same command again to resume",
              file=sys.stderr)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    from .report import write_report

    write_report(out)
    print(format_sweep(result))
    print(f"report: {out}/report.html")
    return 0


def _runs_kept(out) -> str:
    try:
        m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        return f"{m['runs_done']} of {m['runs_total']} runs"
    except (OSError, ValueError, KeyError):
        return "the finished runs"


def cmd_plan(args: argparse.Namespace) -> int:
    from .capacity import format_plan, run_plan, write_plan
    from .config import parse_override

    modes = [m.strip() for m in args.modes.split(",") if m.strip()] if args.modes else None
    result = run_plan(
        args.campaign, deadline_s=args.deadline_s, finish=args.finish, modes=modes,
        max_agents=args.max_agents, confidence=args.confidence, replications=args.replications,
        group=args.group, overrides=dict(parse_override(o) for o in args.overrides),
        workers=args.workers, scheduler=args.scheduler,
    )
    if args.out:
        from .report import write_report

        write_plan(result, args.out)
        write_report(args.out)
    if args.json:
        from .outputs import _clean

        print(json.dumps(_clean(result.modes), indent=2))
    else:
        print(format_plan(result))
        if args.out:
            print(f"\nwrote {args.out}/plan.json, campaign.yaml, report.html")
    return 0


def _backend_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster instead, e.g. tcp://host:8786 (needs dialer[dask])")


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
    r.add_argument("--out", metavar="DIR",
                   help="write summary.json, calls.csv, campaign.yaml, series.json, report.html")
    r.set_defaults(func=cmd_run)


def add_bench(sub) -> None:
    b = sub.add_parser("bench", help="performance benchmark against a bare SimPy model")
    b.add_argument("--hours", type=float, nargs="+", default=[6.0, 12.0],
                   help="simulated hours (two horizons show linear cost)")
    b.add_argument("--agents", type=int, default=200)
    b.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is kept)")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_bench)


def add_sweep(sub) -> None:
    s = sub.add_parser("sweep", help="run a sweep: factors x replications, tidy rows, confidence intervals")
    s.add_argument("spec", metavar="EXPERIMENT", help="sweep file (YAML), e.g. experiments/modes-agents.yaml")
    _backend_args(s)
    s.add_argument("--out", metavar="DIR",
                   help="results folder (default results/<sweep name>); the same folder resumes")
    s.set_defaults(func=cmd_sweep)


def _share(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def add_plan(sub) -> None:
    p = sub.add_parser("plan", help="capacity: fewest agents per mode to work the list by a deadline, legally")
    _campaign_args(p)
    p.add_argument("--deadline-s", type=_share, required=True, metavar="S",
                   help="seconds from the campaign start by which the list must be worked")
    p.add_argument("--finish", type=_share, default=1.0, metavar="SHARE",
                   help="share of the list's records that must be finished (default 1)")
    p.add_argument("--modes", metavar="A,B", help="dialing modes to plan (default: every available mode)")
    p.add_argument("--max-agents", type=int, default=200, metavar="N", help="largest count tried (default 200)")
    p.add_argument("--group", help="agent group whose count is planned (default: the first)")
    p.add_argument("--confidence", type=_share, default=0.9, metavar="C",
                   help="share of replications that must succeed (default 0.9)")
    p.add_argument("--replications", type=int, default=10, metavar="R", help="runs per agent count (default 10)")
    _backend_args(p)
    p.add_argument("--json", action="store_true", help="print {mode: {agents, lines, ...}} as JSON")
    p.add_argument("--out", metavar="DIR", help="write plan.json, campaign.yaml, report.html")
    p.set_defaults(func=cmd_plan)


def add_report(sub) -> None:
    r = sub.add_parser("report", help="(re)build report.html from a results folder",
                       description="Write DIR/report.html, one self-contained page, from a run, "
                                   "compare, sweep or plan results folder (the kind is told by its files).")
    r.add_argument("folder", metavar="DIR", help="results folder (run/compare/sweep/plan --out)")
    r.add_argument("--images", action="store_true",
                   help="also write each chart as PNG and SVG under DIR/images (needs kaleido and "
                        "Chrome/Chromium; without them, says so and still writes the HTML)")
    r.set_defaults(func=cmd_report)


# One registration function per command, in the order `dialer --help` lists them.
COMMANDS = [add_check, add_run, add_sweep, add_plan, add_report, add_bench]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
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
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except InputError as exc:
        for line in exc.problems:
            print(f"dialer: {line}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("dialer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
