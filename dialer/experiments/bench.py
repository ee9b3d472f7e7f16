"""``dialer bench``: how fast the project simulates, against the least any SimPy dialer must do.

Two tables, each measured at several team sizes.

**The engine.** Power mode on the *bench flow*: a dial reaches a person one time in four, after
an exponential 12 s, and otherwise fails after an exponential 20 s; a person no agent is free
for is dropped at once (``abandon_after_s`` 0); the agent talks (exponential, mean 100 s) and
wraps up (10 s); AMD off, an endless list, dialing open all day, ``ceil(ratio x free agents)``
dials in flight. The same flow is run three ways: the project
(:func:`dialer.experiments.run.simulate`), :func:`lean_reference` (the leanest honest SimPy
model of it we could write: agents as a counter, each step of a dial one SimPy event with its
callback, nothing kept but the counts) and, where it sits beside the project, the shared floor
model ``../shared/bench/floor_power.py`` (one generator per dial). A bench that compares two
different flows lies, so every row shows each side's occupancy and abandon rate, and a test
checks from replications that the project and the reference agree.

**The modes.** Every mode on one realistic campaign (by default the B2C example, with an
endless list and no line limit), so each mode's time against power mode's at the same team
size says what its pacing costs. Power mode is always measured: every ratio is to it.

Each measurement runs in a child process of its own (``python -m dialer.experiments.bench
JOB``), best of ``repeat`` runs, so its peak memory is its own: the operating system's account
of that child (``wait4``), interpreter and imports included. Nothing here asserts a speed.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import simpy
from simpy.events import Event

from dialer.config import Campaign, from_dict, load_campaign
from dialer.errors import InputError
from dialer.schema import did_you_mean
from dialer.sim.core import Step  # the model's one kind of event: the reference uses it too

MODES = ("preview", "progressive", "power", "predictive", "optimized", "adaptive")
ROOT = Path(__file__).resolve().parents[2]  # the project (a source checkout)
EXAMPLE = ROOT / "campaigns" / "b2c-renewals.yaml"
FLOOR = Path("shared") / "bench" / "floor_power.py"  # beside the project: ../shared/bench/...

# The bench flow, one source for the project's campaign and the lean reference.
FLOW = {
    "human": 0.25,  # share of dials a person answers; the rest fail
    "answer_mean_s": 12.0,  # exponential time to a person's answer
    "fail_mean_s": 20.0,  # exponential time to a failure (busy)
    "talk_mean_s": 100.0,  # exponential talk time
    "wrap_s": 10.0,  # constant wrap-up time
    "ratio": 2.0,  # dials in flight per free agent
    "seed": 1,
}


def flow_campaign(
    agents: int, hours: float, ratio: float = FLOW["ratio"], seed: int = int(FLOW["seed"])
) -> Campaign:
    """The bench flow as a project campaign: power mode, ``agents`` agents, ``hours`` long."""
    f = FLOW
    return from_dict(
        {
            "name": "bench-flow",
            "seed": seed,
            "horizon_s": hours * 3600,
            "calling_list": {"size": None, "daily_from": "00:00", "daily_till": "24:00"},
            "compliance": {"legal_hours": False},
            "population": {
                "human": f["human"],
                "busy": 1 - f["human"],
                "machine": 0,
                "no_answer": 0,
                "fax": 0,
                "invalid": 0,
                "answer_time_s": {"dist": "exponential", "mean": f["answer_mean_s"]},
                "busy_time_s": {"dist": "exponential", "mean": f["fail_mean_s"]},
            },
            # a ring timeout no answer reaches (P(exponential 12 s > 1 h) = e^-300)
            "cpd": {"amd": False, "ring_timeout_s": 3600},
            "agents": {
                "groups": [
                    {
                        "name": "agents",
                        "count": agents,
                        "talk_time_s": {"dist": "exponential", "mean": f["talk_mean_s"]},
                        "wrap_time_s": f["wrap_s"],
                    }
                ]
            },
            "dialing": {"mode": "power", "ratio": ratio, "abandon_after_s": 0, "lines": None},
        }
    )


def lean_reference(
    agents: int, hours: float, ratio: float = FLOW["ratio"], seed: int = int(FLOW["seed"])
) -> dict:
    """The bench flow as the leanest SimPy model we could write; its counts and wall seconds.

    The work any dialer of this flow must do, and no more: draw each dial's outcome and its
    time, hand a person to a free agent or drop them, time the talk and the wrap-up, keep
    ``ceil(ratio x free agents)`` dials in flight, count dials, answers, drops and busy time.
    One SimPy event per step (a failed dial costs one event, a connected call three), state in
    local variables. With one seed it draws its random numbers in the shared floor model's
    order, so both place the same dials.
    """
    f = FLOW
    env = simpy.Environment()
    rng = random.Random(seed)
    draw, expo = rng.random, rng.expovariate
    human, wrap = f["human"], f["wrap_s"]
    per_answer, per_fail, per_talk = (
        1 / f["answer_mean_s"],
        1 / f["fail_mean_s"],
        1 / f["talk_mean_s"],
    )
    ceil = math.ceil
    free, in_flight, dials, answers, dropped = agents, 0, 0, 0, 0
    busy_s = 0.0  # finished talk + wrap-up
    busy_since = 0.0  # sum of the start times of the calls agents are on now

    def top_up() -> None:
        nonlocal in_flight, dials
        need = ceil(ratio * free - 1e-9) - in_flight
        if need > 0:
            in_flight += need
            dials += need
            for _ in range(need):
                if draw() < human:
                    Step(env, expo(per_answer), on_result, True)
                else:
                    Step(env, expo(per_fail), on_result, False)

    def on_result(event: Event) -> None:
        nonlocal in_flight, answers, free, dropped, busy_since
        in_flight -= 1
        if event._value:
            answers += 1
            if free > 0:
                free -= 1
                busy_since += env.now
                Step(env, expo(per_talk), on_talk_end, env.now)
            else:
                dropped += 1
        top_up()

    def on_talk_end(event: Event) -> None:
        Step(env, wrap, on_wrap_end, event._value)

    def on_wrap_end(event: Event) -> None:
        nonlocal busy_s, busy_since, free
        busy_s += env.now - event._value
        busy_since -= event._value
        free += 1
        top_up()

    t0 = time.perf_counter()
    horizon = hours * 3600
    top_up()
    env.run(until=horizon)
    wall = time.perf_counter() - t0
    busy_s += (agents - free) * horizon - busy_since  # the calls still up at the horizon
    return {
        "dials": dials,
        "live_answers": answers,
        "abandoned": dropped,
        "occupancy": busy_s / (agents * horizon),
        "abandon_rate": dropped / answers if answers else None,
        "wall_s": wall,
    }


def modes_campaign(path: str | os.PathLike, mode: str, agents: int, hours: float) -> Campaign:
    """The campaign at ``path`` in ``mode`` with ``agents`` agents for ``hours``, an endless list
    and no line limit (agents shared among its groups as the file shares them)."""
    base = load_campaign(path)
    weights = [g.count for g in base.agents.groups]
    if not sum(weights):
        weights = [1] * len(weights)
    scaled = [agents * w // sum(weights) for w in weights]
    scaled[0] += agents - sum(scaled)
    horizon = hours * 3600
    changes: dict[str, Any] = {
        "dialing.mode": mode,
        "calling_list.size": None,
        "calling_list.file": None,
        "dialing.lines": None,
        "horizon_s": horizon,
        "warmup_s": base.warmup_s if base.warmup_s < horizon else 0.0,
    }
    changes.update({f"agents.groups.{i}.count": n for i, n in enumerate(scaled)})
    return base.override(changes)


# -- a measurement in a child process ---------------------------------------------------------


def _run_job(job: dict) -> dict:
    """Run one measurement ``job["repeat"]`` times here; the best wall time and its counts."""
    from dialer.experiments.run import simulate

    best: dict | None = None
    for _ in range(job["repeat"]):
        if job["kind"] == "lean":
            row = lean_reference(job["agents"], job["hours"])
        else:
            if job["kind"] == "flow":
                campaign = flow_campaign(job["agents"], job["hours"])
            else:
                campaign = modes_campaign(job["campaign"], job["mode"], job["agents"], job["hours"])
            t0 = time.perf_counter()
            s = simulate(campaign).summary
            row = {k: s[k] for k in ("dials", "occupancy", "abandon_rate")}
            row["wall_s"] = time.perf_counter() - t0
        if best is None or row["wall_s"] < best["wall_s"]:
            best = row
    assert best is not None
    return best


def _child(argv: list[str]) -> dict:
    """Run ``argv`` (which prints one JSON object last); that object and its peak memory."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err)
        out = proc.stdout.read() if proc.stdout else b""
        if proc.stdout:
            proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"{' '.join(argv[:3])} ... failed: {tail[0]}")
    lines = out.decode(errors="replace").strip().splitlines()
    try:
        row = json.loads(lines[-1])
    except (IndexError, ValueError):
        got = f"a last line {lines[-1][:60]!r}" if lines else "no output"
        raise RuntimeError(f"{argv[1]}: {got}") from None
    if not isinstance(row, dict):
        raise RuntimeError(f"{argv[1]}: a JSON {type(row).__name__} instead of an object")
    kib = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)  # macOS says bytes
    row["peak_rss_mb"] = round(kib / 1024, 1)
    return row


def _measure(job: dict) -> dict:
    row = _child([sys.executable, "-m", "dialer.experiments.bench", json.dumps(job)])
    return _rounded(row)


FLOOR_KEYS = ("dials", "occupancy", "abandon_rate", "wall_s")  # what the floor model prints


def _floor(path: Path, agents: int, hours: float, repeat: int) -> dict:
    """The shared floor model, once per repeat (it runs once a process); the best run."""
    args = {"c": agents, "k": FLOW["ratio"], "horizon": hours * 3600, "seed": FLOW["seed"]}
    runs = [_child([sys.executable, str(path), json.dumps(args)]) for _ in range(repeat)]
    for run in runs:
        missing = [k for k in FLOOR_KEYS if k not in run]
        if missing:
            raise RuntimeError(f"{path}: an object without {', '.join(missing)}")
    best = min(runs, key=lambda r: r["wall_s"])
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    return _rounded(
        {k: best[k] for k in ("dials", "occupancy", "abandon_rate", "wall_s", "peak_rss_mb")}
    )


def _rounded(row: dict) -> dict:
    wall = row["wall_s"]
    out = {
        "dials": row["dials"],
        "wall_s": round(wall, 3),
        "dials_per_s": round(row["dials"] / wall) if wall > 0 else None,
        "occupancy": None if row["occupancy"] is None else round(row["occupancy"], 4),
        "abandon_rate": None if row["abandon_rate"] is None else round(row["abandon_rate"], 5),
        "peak_rss_mb": row.get("peak_rss_mb"),
    }
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


# -- the bench ----------------------------------------------------------------------------------


def find_floor() -> Path | None:
    """``../shared/bench/floor_power.py`` beside the project (or the working folder)."""
    for base in (ROOT.parent, Path.cwd().parent):
        if (base / FLOOR).is_file():
            return (base / FLOOR).resolve()
    return None


def run_bench(
    modes: list[str],
    agents: list[int],
    hours: float,
    repeat: int,
    campaign: Path,
    floor: Path | None,
    progress: Any = None,
) -> dict:
    """Every measurement; the result :func:`format_bench` prints (and ``--json`` gives)."""
    say = progress or (lambda _text: None)
    modes = modes if "power" in modes else ["power", *modes]
    load_before = os.getloadavg()[0]
    engine, by_mode = [], []
    for n in agents:
        say(f"engine, {n} agents")
        size: dict[str, Any] = {"agents": n, "hours": hours, "repeat": repeat}
        project = _measure({**size, "kind": "flow"})
        lean = _measure({**size, "kind": "lean"})
        shared = _floor(floor, n, hours, repeat) if floor is not None else None
        floor_speed = shared["dials_per_s"] if shared else None
        engine.append(
            {
                "agents": n,
                "project": project,
                "lean": lean,
                "floor": shared,
                "project_vs_lean": _ratio(project["dials_per_s"], lean["dials_per_s"]),
                "project_vs_floor": _ratio(project["dials_per_s"], floor_speed),
                "lean_vs_floor": _ratio(lean["dials_per_s"], floor_speed),
            }
        )
        rows = {}
        for mode in modes:
            say(f"{mode}, {n} agents")
            rows[mode] = _measure({**size, "kind": "mode", "campaign": str(campaign), "mode": mode})
        power = rows["power"]
        for mode in modes:
            r = rows[mode]
            by_mode.append(
                {
                    "mode": mode,
                    "agents": n,
                    **r,
                    "wall_vs_power": _ratio(r["wall_s"], power["wall_s"]),
                    "dials_per_s_vs_power": _ratio(r["dials_per_s"], power["dials_per_s"]),
                }
            )
    return {
        "hours": hours,
        "repeat": repeat,
        "campaign": str(campaign),
        "floor": str(floor) if floor is not None else None,
        "cores": os.cpu_count(),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "python": sys.version.split()[0],
        "simpy": simpy.__version__,
        "engine": engine,
        "modes": by_mode,
    }


def _pct(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{100 * x:.{digits}f}%"


def _num(x: float | None, fmt: str = ",.0f") -> str:
    return "-" if x is None else format(x, fmt)


def format_bench(b: dict) -> str:
    floor = b["floor"] is not None
    lines = [
        f"dialer bench: {b['hours']:g} simulated hour(s), best of {b['repeat']}; "
        f"load {b['load_before']} before, {b['load_after']} after ({b['cores']} cores)",
        "",
        "Engine: power mode on the bench flow; project, lean SimPy reference"
        + (", shared floor" if floor else " (no ../shared/bench/floor_power.py: floor skipped)"),
        f"{'agents':>6} {'dials':>9} {'project/s':>10} {'lean/s':>10} {'floor/s':>10} "
        f"{'proj/lean':>9} {'proj/floor':>10} {'lean/floor':>10}  {'occupancy p / l / f':<24}"
        f"{'abandons p / l / f':<26}{'MB p / l / f'}",
    ]
    for e in b["engine"]:
        p, le, f = e["project"], e["lean"], e["floor"] or {}
        occ = " / ".join(_pct(x.get("occupancy")) for x in (p, le, f))
        ab = " / ".join(_pct(x.get("abandon_rate"), 2) for x in (p, le, f))
        mb = " / ".join(_num(x.get("peak_rss_mb")) for x in (p, le, f))
        lines.append(
            f"{e['agents']:>6} {p['dials']:>9,} {_num(p['dials_per_s']):>10} "
            f"{_num(le['dials_per_s']):>10} {_num(f.get('dials_per_s')):>10} "
            f"{_num(e['project_vs_lean'], '.2f'):>9} {_num(e['project_vs_floor'], '.2f'):>10} "
            f"{_num(e['lean_vs_floor'], '.2f'):>10}  {occ:<24}{ab:<26}{mb}"
        )
    lines += [
        "",
        f"Modes: {b['campaign']} with an endless list and no line limit",
        f"{'mode':<12} {'agents':>6} {'dials':>9} {'wall s':>8} {'dials/s':>9} "
        f"{'time x power':>12} {'occupancy':>9} {'abandons':>9} {'peak MB':>8}",
    ]
    for r in b["modes"]:
        lines.append(
            f"{r['mode']:<12} {r['agents']:>6} {r['dials']:>9,} {r['wall_s']:>8.2f} "
            f"{_num(r['dials_per_s']):>9} {_num(r['wall_vs_power'], '.2f'):>12} "
            f"{_pct(r['occupancy']):>9} {_pct(r['abandon_rate'], 2):>9} {_num(r['peak_rss_mb']):>8}"
        )
    return "\n".join(lines)


# -- the command line -----------------------------------------------------------------------


def _list(option: str, text: str, kind: type, what: str) -> list:
    items = [t.strip() for t in str(text).split(",")]
    try:
        values = [kind(t) for t in items]
    except ValueError:
        values = []
    if not values or (kind is int and any(v < 1 for v in values)):
        raise InputError(f"{option}: expected {what}, got {text!r}")
    return values


def options(args: Any) -> dict:
    """The bench's options from the command line, checked; one line per problem."""
    modes = [m.strip() for m in str(args.modes).split(",")]
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise InputError(
            f"--modes: expected modes among {', '.join(MODES)}, got {bad[0]!r}"
            + did_you_mean(bad[0], MODES)
        )
    agents = _list("--agents", args.agents, int, "team sizes >= 1 such as 25,100,400,1000")
    try:
        hours = float(args.hours)
    except ValueError:
        hours = math.nan
    if not (hours > 0 and math.isfinite(hours)):
        raise InputError(f"--hours: expected simulated hours > 0, got {args.hours!r}")
    try:
        repeat = int(args.repeat)
    except ValueError:
        repeat = 0
    if repeat < 1:
        raise InputError(f"--repeat: expected a whole number of runs >= 1, got {args.repeat!r}")
    campaign = Path(args.campaign) if args.campaign else EXAMPLE
    _a_file("--campaign", campaign)
    load_campaign(campaign)  # its problems now, as one line each, not in a child
    campaign = campaign.resolve()
    floor = find_floor()
    if args.floor:
        _a_file("--floor", Path(args.floor))
        floor = Path(args.floor).resolve()
        try:  # a tiny run now: a broken script is one line here, not a traceback mid-bench
            _floor(floor, 2, 60 / 3600, 1)
        except RuntimeError as exc:
            why = str(exc)
            why = why.split(" failed: ")[-1] if " failed: " in why else why.split(": ", 1)[-1]
            raise InputError(
                f"--floor {args.floor}: expected a floor model that prints one JSON object "
                f"with {', '.join(FLOOR_KEYS)} (as ../shared/bench/floor_power.py), got: "
                f"{why}"
            ) from None
    return {
        "modes": modes,
        "agents": agents,
        "hours": hours,
        "repeat": repeat,
        "campaign": campaign,
        "floor": floor,
    }


def _a_file(option: str, path: Path) -> None:
    if path.is_dir():
        raise InputError(f"{option} {path}: expected a file, got a folder")
    if not path.is_file():
        raise InputError(f"{option}: no such file {str(path)!r}")


def main(args: Any) -> int:
    opts = options(args)
    quiet = args.json or not sys.stderr.isatty()
    progress = None if quiet else lambda text: print(f"  {text} ...", file=sys.stderr)
    result = run_bench(**opts, progress=progress)
    print(json.dumps(result, indent=2) if args.json else format_bench(result))
    return 0


if __name__ == "__main__":  # a child: one measurement, its result as JSON on the last line
    print(json.dumps(_run_job(json.loads(sys.argv[1]))))
