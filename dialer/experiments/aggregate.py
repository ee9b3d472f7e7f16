"""From runs to cells: means with confidence intervals, and paired differences.

Replications are independent runs, so a cell's mean of a metric has a t-interval over its
replications (95%). Every cell runs the same replication seeds, so the difference between a
cell and its baseline cell is best judged pair by pair: the interval of the mean of the
per-replication differences is much narrower than the two cells' intervals side by side
whenever the two cells move together (common random numbers).

The baseline may fix only some factors (``{dialing.mode: progressive}``): each cell is then
compared with the cell that has the baseline's values for those factors and its own values for
the others (each mode against progressive at the same number of agents).

Failed runs are left out; ``n`` says how many replications a figure rests on. Flags
(``compliance_ok``) average to the share of runs where they held.
"""

from __future__ import annotations

import json
import math
from typing import Any

from dialer.stats import paired_interval, t_interval


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    return None


def metric_columns(sweep, rows: list[dict]) -> list[str]:
    """The metrics to aggregate: the sweep's list, or every numeric column of the rows."""
    if sweep.metrics:
        return list(sweep.metrics)
    skip = {"cell", "replication", "seed", "error", *sweep.factor_keys}
    cols: list[str] = []
    for row in rows:
        for k, v in row.items():
            if k in skip or k in cols or v is None:
                continue
            if _number(v) is None:  # a text such as compliance_regime
                skip.add(k)
            else:
                cols.append(k)
    return cols


def _by_cell(rows: list[dict]) -> dict[int, dict[int, dict]]:
    out: dict[int, dict[int, dict]] = {}
    for row in rows:
        if not row.get("error"):
            out.setdefault(row["cell"], {})[row["replication"]] = row
    return out


def cell_table(sweep, rows: list[dict]) -> list[dict]:
    """cells.csv: one row per cell and metric (factor columns, metric, n, mean, sd, ci_low, ci_high)."""
    metrics = metric_columns(sweep, rows)
    runs = _by_cell(rows)
    table = []
    for cell in sweep.cells:
        mine = runs.get(cell.index, {})
        for m in metrics:
            values = [x for r in mine.values() if (x := _number(r.get(m))) is not None]
            table.append({**cell.factors, "metric": m, **t_interval(values)})
    return table


def _key(factors: dict) -> str:
    return json.dumps(factors, sort_keys=True, default=str)


def paired_table(sweep, rows: list[dict]) -> list[dict]:
    """paired.csv: each cell minus its baseline cell, replication by replication."""
    if not sweep.baseline:
        return []
    metrics = metric_columns(sweep, rows)
    runs = _by_cell(rows)
    index = {_key(c.factors): c.index for c in sweep.cells}
    table = []
    for cell in sweep.cells:
        partner = index.get(_key({**cell.factors, **sweep.baseline}))
        if partner is None or partner == cell.index:
            continue
        mine, theirs = runs.get(cell.index, {}), runs.get(partner, {})
        for m in metrics:
            pairs = sorted(set(mine) & set(theirs))
            stats = paired_interval(
                [_number(mine[r].get(m)) for r in pairs], [_number(theirs[r].get(m)) for r in pairs]
            )
            table.append(
                {
                    **cell.factors,
                    "metric": m,
                    "n": stats["n"],
                    "mean_diff": stats["mean"],
                    "ci_low": stats["ci_low"],
                    "ci_high": stats["ci_high"],
                }
            )
    return table
