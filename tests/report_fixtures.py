"""Results folders for the report pages, written the way compare, sweep and plan write them.

Those commands are built elsewhere; these folders follow their data contracts (docs/reports.md)
with numbers shaped like real results (b2c-renewals, 25 agents, a 3% limit), so the page tests
read what users will see. Everything here is deterministic: the same folder every time.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import shutil
from pathlib import Path

CAMPAIGN = Path("campaigns/b2c-renewals.yaml")
Z = 1.959964

# Per mode at its campaign settings: occupancy, abandon rate, mean agent wait (s).
MODES = {
    "progressive": (0.612, 0.0, 95.0),
    "power": (0.789, 0.0021, 52.6),
    "predictive": (0.842, 0.0268, 34.2),
    "optimized": (0.861, 0.0291, 29.8),
}


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _metrics(occ: float, ab: float, wait: float) -> dict[str, float]:
    talk = occ * 0.9
    return {
        "occupancy": occ,
        "talk_share": talk,
        "abandon_rate": ab,
        "abandon_rate_ofcom": ab + 0.048,
        "abandon_rate_true": ab + 0.052,
        "connects_per_agent_hour": 60 * talk / 3.0,
        "talk_minutes_per_agent_hour": 60 * talk,
        "mean_agent_wait_s": wait,
        "compliance_ok": 1.0 if ab < 0.028 else (0.55 if ab < 0.03 else 0.1),
    }


def _sd(metric: str, mean: float) -> float:
    if metric == "compliance_ok":
        return math.sqrt(max(mean * (1 - mean), 0.0))
    if metric.startswith("abandon"):
        return 0.0 if mean == 0 else 0.0035
    return abs(mean) * 0.02


def _row(n: int, metric: str, mean: float, **keys) -> dict:
    half = Z * _sd(metric, mean) / math.sqrt(n)
    low, high = mean - half, mean + half
    if (
        metric == "compliance_ok"
        or metric.startswith("abandon")
        or metric.endswith("share")
        or metric == "occupancy"
    ):
        low, high = max(low, 0.0), min(high, 1.0)
    return {
        **keys,
        "metric": metric,
        "n": n,
        "mean": round(mean, 6),
        "ci_low": round(low, 6),
        "ci_high": round(high, 6),
    }


def compare_folder(out: Path, frontier: bool = True) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    n = 20
    table = [
        _row(n, m, v, mode=mode) for mode, args in MODES.items() for m, v in _metrics(*args).items()
    ]
    base = _metrics(*MODES["predictive"])
    diffs = []
    for mode, args in MODES.items():
        if mode == "predictive":
            continue
        for m, v in _metrics(*args).items():
            d = v - base[m]
            half = Z * 0.6 * _sd(m, abs(v) + 1e-9) / math.sqrt(n)
            diffs.append(
                {
                    "mode": mode,
                    "metric": m,
                    "n": n,
                    "mean_diff": round(d, 6),
                    "ci_low": round(d - half, 6),
                    "ci_high": round(d + half, 6),
                }
            )
    rows = []
    if frontier:
        knobs = {
            "power": ("dialing.ratio", [1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4]),
            "predictive": ("dialing.target_abandon_rate", [0.01, 0.02, 0.03, 0.04, 0.05]),
            "optimized": ("dialing.max_abandon_rate", [0.01, 0.02, 0.03, 0.04, 0.05]),
        }
        for mode, (knob, values) in knobs.items():
            for v in values:
                if mode == "power":
                    ab = 0.0021 * math.exp(4.0 * (v - 1.6))
                else:
                    ab = v * (0.92 if mode == "predictive" else 0.97)
                occ = (
                    0.60
                    + 0.29 * (1 - math.exp(-ab / 0.012))
                    + (0.012 if mode == "optimized" else 0)
                )
                if mode == "power":
                    occ = 0.789 + 0.05 * (v - 1.6) - 0.03 * (v - 1.6) ** 2
                for m, val in (("abandon_rate", ab), ("occupancy", occ)):
                    rows.append(_row(n, m, val, mode=mode, knob=knob, value=v))
    data = {
        "kind": "compare",
        "campaign": "b2c-renewals",
        "seed": 7,
        "replications": n,
        "version": "0.1.0",
        "modes": list(MODES),
        "limit": 0.03,
        "regime": "fcc",
        "table": table,
        "baseline": "predictive",
        "diffs": diffs,
        "frontier": rows,
        "verdict": "At the 3% limit, optimized gives 1.0 more talk minutes per agent-hour than "
        "predictive (95% CI 0.6 to 1.4) but stays legal in only 55% of replications; "
        "predictive is the best legal mode, 2.8 talk minutes per agent-hour ahead of "
        "power at its best legal ratio.",
    }
    (out / "compare.json").write_text(json.dumps(data, indent=2) + "\n")
    _write_csv(out / "compare.csv", table)
    shutil.copy(CAMPAIGN, out / "campaign.yaml")
    return out


SWEEP_METRICS = [
    "occupancy",
    "abandon_rate",
    "talk_minutes_per_agent_hour",
    "connects_per_agent_hour",
    "mean_agent_wait_s",
]


def _sweep_point(ratio: float, agents: int) -> dict[str, float]:
    occ = min(0.93, 0.55 + 0.22 * (ratio - 1.0) - 0.003 * (agents - 20))
    ab = 0.035 * max(ratio - 1.35, 0.0) ** 1.5 * (25 / agents) ** 0.7
    return {
        "occupancy": occ,
        "abandon_rate": ab,
        "talk_minutes_per_agent_hour": 60 * occ * 0.9,
        "connects_per_agent_hour": 18 * occ,
        "mean_agent_wait_s": 140 * (1 - occ),
    }


def sweep_folder(out: Path, factors: dict[str, list] | None = None) -> Path:
    """A sweep over dialing.ratio x agents.groups.renewals.count (or the given factors)."""
    out.mkdir(parents=True, exist_ok=True)
    factors = factors or {
        "dialing.ratio": [1.2, 1.4, 1.6, 1.8, 2.0, 2.2],
        "agents.groups.renewals.count": [15, 25, 40],
    }
    keys = list(factors)
    reps = 10
    runs, cells = [], []
    for combo in itertools.product(*factors.values()):
        at = dict(zip(keys, combo))
        ratio = float(at.get("dialing.ratio", 1.6))
        agents = int(at.get("agents.groups.renewals.count", 25))
        base = _sweep_point(ratio, agents)
        for r in range(reps):
            jitter = math.sin(7.3 * r + 3.1 * ratio + 0.37 * agents)
            runs.append(
                {
                    **at,
                    "replication": r,
                    "seed": 1000 + r,
                    **{m: round(v * (1 + 0.03 * jitter), 6) for m, v in base.items()},
                    "error": "",
                }
            )
        for m, v in base.items():
            row = _row(reps, m, v, **at)
            row["sd"] = round(_sd(m, v), 6)
            cells.append(
                {
                    **at,
                    "metric": m,
                    "n": reps,
                    "mean": row["mean"],
                    "sd": row["sd"],
                    "ci_low": row["ci_low"],
                    "ci_high": row["ci_high"],
                }
            )
    manifest = {
        "kind": "sweep",
        "spec": {
            "campaign": "campaigns/b2c-renewals.yaml",
            "seed": 7,
            "factors": factors,
            "replications": reps,
            "metrics": SWEEP_METRICS,
        },
        "versions": {"dialer": "0.1.0", "python": "3.11.7", "numpy": "2.4.6", "simpy": "4.1.1"},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    _write_csv(out / "runs.csv", runs)
    _write_csv(out / "cells.csv", cells)
    shutil.copy(CAMPAIGN, out / "campaign.yaml")
    return out


def plan_folder(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    modes = {}
    need = {"progressive": 38, "power": 31, "predictive": 27, "optimized": 26}
    for mode, needed in need.items():
        feasible = mode != "progressive"  # progressive runs out of time before the deadline
        trials = []
        for agents in range(needed - 8, needed + 5, 2):
            p = 1 / (1 + math.exp(-(agents - needed + 3.5))) * (1.0 if feasible else 0.7)
            reps = 20
            trials.append(
                {
                    "agents": agents,
                    "replications": reps,
                    "success_share": round(round(p * reps) / reps, 4),
                    "finish_share_mean": round(min(1.0, 0.96 * (agents / needed) ** 1.6), 4),
                    "abandon_rate_mean": 0.0
                    if mode == "progressive"
                    else round(0.024 - 0.0004 * (agents - needed), 5),
                }
            )
        modes[mode] = {
            "agents": needed if feasible else None,
            "lines": needed * 3 if feasible else None,
            "finish_share": 0.96 if feasible else 0.91,
            "abandon_rate": 0.0 if mode == "progressive" else 0.0241,
            "occupancy": {
                "progressive": 0.62,
                "power": 0.79,
                "predictive": 0.84,
                "optimized": 0.86,
            }[mode],
            "success_share": 0.95 if feasible else 0.7,
            "feasible": feasible,
            "trials": trials,
        }
    data = {
        "kind": "plan",
        "campaign": "b2c-renewals",
        "deadline_s": 4 * 28800,
        "finish": 0.95,
        "confidence": 0.9,
        "seed": 7,
        "version": "0.1.0",
        "modes": modes,
        "recommendation": {
            "mode": "optimized",
            "agents": 26,
            "text": "Use optimized with 26 agents: 95% of the list is finished by the "
            "deadline in 95% of replications, within the 3% abandon limit; "
            "predictive needs 27 agents, power 31.",
        },
    }
    (out / "plan.json").write_text(json.dumps(data, indent=2) + "\n")
    shutil.copy(CAMPAIGN, out / "campaign.yaml")
    return out
