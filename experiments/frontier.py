"""The pacing frontier: occupancy against abandon rate for every mode and its tuning knob.

For one campaign and a few team sizes, runs paired replications of
  power at a grid of ratios, predictive at a grid of targets, optimized at its limit,
  adaptive (VICIdial) and progressive,
and prints mean and 95% CI of occupancy and abandon rate, and the best legal power ratio
chosen in hindsight (highest mean occupancy with mean abandon rate <= the limit).

    python experiments/frontier.py --agents 6 20 --reps 8 --hours 8
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dialer.config import load_campaign  # noqa: E402
from dialer.experiments.run import simulate  # noqa: E402

T95 = {
    2: 12.71,
    3: 4.30,
    4: 3.18,
    5: 2.78,
    6: 2.57,
    7: 2.45,
    8: 2.36,
    9: 2.31,
    10: 2.26,
    12: 2.20,
    16: 2.13,
    20: 2.09,
    30: 2.05,
}


def t95(n: int) -> float:
    return T95.get(n, 1.96 if n > 30 else T95[min(T95, key=lambda k: abs(k - n))])


def one(args):
    path, agents, hours, seed, changes = args
    c = load_campaign(
        path,
        {
            "agents.groups.0.count": agents,
            "horizon_s": hours * 3600,
            "warmup_s": 900,
            "calling_list.size": None,
            "seed": seed,
            **changes,
        },
    )
    s = simulate(c).summary
    return s["occupancy"], s["abandon_rate"] or 0.0, s["abandon_rate_true"] or 0.0


def summarize(values):
    n = len(values)
    m = statistics.fmean(values)
    h = t95(n) * statistics.stdev(values) / math.sqrt(n) if n > 1 else 0.0
    return m, h


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--campaign", default="campaigns/b2c-renewals.yaml")
    ap.add_argument("--agents", type=int, nargs="+", default=[6, 20])
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--hours", type=float, default=8)
    ap.add_argument(
        "--ratios",
        type=float,
        nargs="+",
        default=[1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0],
    )
    ap.add_argument("--targets", type=float, nargs="+", default=[0.03])
    ap.add_argument("--limits", type=float, nargs="+", default=[0.03])
    ap.add_argument("--only", nargs="*", default=None, help="modes to run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=float, default=0.03)
    args = ap.parse_args()

    points = []
    for n in args.agents:
        modes = args.only or ["progressive", "power", "predictive", "optimized", "adaptive"]
        if "progressive" in modes:
            points.append((n, "progressive", "-", {"dialing.mode": "progressive"}))
        if "power" in modes:
            points += [
                (n, "power", r, {"dialing.mode": "power", "dialing.ratio": r}) for r in args.ratios
            ]
        if "predictive" in modes:
            points += [
                (
                    n,
                    "predictive",
                    t,
                    {"dialing.mode": "predictive", "dialing.target_abandon_rate": t},
                )
                for t in args.targets
            ]
        if "optimized" in modes:
            points += [
                (n, "optimized", m, {"dialing.mode": "optimized", "dialing.max_abandon_rate": m})
                for m in args.limits
            ]
        if "adaptive" in modes:
            points.append((n, "adaptive", "-", {"dialing.mode": "adaptive"}))
    tasks = [
        (args.campaign, n, args.hours, 1000 + r, ch)
        for n, _, _, ch in points
        for r in range(args.reps)
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(one, tasks, chunksize=1))
    print(
        f"{'agents':>6} {'mode':<12} {'knob':>6} {'occupancy':>17} {'abandon (US)':>17} {'abandon (true)':>17}"
    )
    i = 0
    best = {}
    for n, mode, knob, _ in points:
        chunk = results[i : i + args.reps]
        i += args.reps
        occ = summarize([c[0] for c in chunk])
        ab = summarize([c[1] for c in chunk])
        tr = summarize([c[2] for c in chunk])
        print(
            f"{n:>6} {mode:<12} {knob!s:>6} {occ[0]:>9.4f} ±{occ[1]:.4f} {ab[0]:>9.4f} ±{ab[1]:.4f} {tr[0]:>9.4f} ±{tr[1]:.4f}"
        )
        if mode == "power" and ab[0] <= args.limit and occ[0] > best.get(n, (0, 0))[1]:
            best[n] = (knob, occ[0])
    for n, (knob, occ) in best.items():
        print(f"best legal power ratio at {n} agents (hindsight): {knob} with occupancy {occ:.4f}")


if __name__ == "__main__":
    main()
