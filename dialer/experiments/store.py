"""A sweep's results folder: every finished run on disk at once, so a sweep survives anything.

Layout of ``DIR``::

    manifest.json     kind "sweep", the resolved spec, the cells, the seeds, package versions,
                      runs done / total, complete or not
    campaign.yaml     the campaign every cell starts from (``set`` applied)
    runs/c00003-r00007.json   one finished run (cell 3, replication 7): its row, its wall time
    runs.csv          one row per run: cell, factor values, replication, seed, metrics, error
    cells.csv         per cell and metric: n, mean, sd, 95% t-interval (long format)
    paired.csv        per cell and metric: paired difference against the baseline cell

Each run file is written to a temporary name and renamed into place the moment its run comes
back, so a crash, a kill or Ctrl-C loses only the runs in flight. The tables are rebuilt from
the run files. Re-running the same sweep into the same folder reads the run files and skips
those runs; a folder holding another sweep (other campaign, factors or seed) is refused, since
its rows would not belong to one table. Changing only ``replications`` extends the sweep (or
leaves the extra runs out of the tables).
"""

from __future__ import annotations

import functools
import json
import platform
import time
from importlib import metadata
from pathlib import Path

from dialer.config import dump_yaml
from dialer.errors import InputError
from dialer.outputs import ensure_dir, write_csv, write_json, write_text
from dialer.version import __version__

RUNS = "runs"


@functools.cache
def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def versions(extra: tuple[str, ...] = ()) -> dict:
    """Python, the simulation's libraries and the project, as installed."""
    out: dict[str, str | None] = {"python": platform.python_version(), "dialer": __version__}
    for name in ("simpy", "numpy", "scipy", *extra):
        out[name] = _version(name)
    return out


def run_file(cell: int, replication: int) -> str:
    return f"c{cell:05d}-r{replication:05d}.json"


class SweepStore:
    def __init__(self, out: Path, sweep):
        self.out = out
        self.sweep = sweep
        self.spec_id = sweep.spec_id()
        self.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")

    # -- opening: refuse a folder that holds something else, read what is done ------------
    def open(self) -> list[dict]:
        """Check the folder, write the manifest, and return the rows already on disk."""
        out = self.out
        manifest_path = out / "manifest.json"
        if out.is_dir() and any(out.iterdir()):
            if not manifest_path.exists():
                raise InputError(
                    f"{out}: not a sweep results folder (no manifest.json); "
                    "use a new or empty folder with --out"
                )
            try:
                old = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise InputError(
                    f"{manifest_path}: unreadable; use a new folder with --out"
                ) from None
            if old.get("kind") != "sweep":
                raise InputError(
                    f"{out}: holds results of a '{old.get('kind')}', not a sweep; "
                    "use a new folder with --out"
                )
            if old.get("spec_id") != self.spec_id:
                differs = [
                    k
                    for k, v in self.sweep.identity().items()
                    if (old.get("identity") or {}).get(k) != json.loads(json.dumps(v, default=str))
                ]
                what = ", ".join(differs) or "spec"
                raise InputError(
                    f"{out}: holds the results of a different sweep ({what} changed); "
                    "use another --out folder, or remove this one"
                )
            self.created = old.get("created", self.created)
        runs = ensure_dir(out) / RUNS
        runs.mkdir(exist_ok=True)
        write_text(out / "campaign.yaml", dump_yaml(self.sweep.base.to_dict()))
        for stale in runs.glob(".*.tmp"):  # left by a run killed while writing
            stale.unlink(missing_ok=True)
        rows = self.read_rows()
        self.write_manifest(
            done=len(rows), errors=sum(1 for r in rows if r.get("error")), complete=False
        )
        return rows

    def read_rows(self) -> list[dict]:
        """Every run of this sweep on disk (the tables are rebuilt from these)."""
        wanted = {(c.index, r) for c in self.sweep.cells for r in range(self.sweep.replications)}
        rows = []
        for path in sorted((self.out / RUNS).glob("c*-r*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                row = data["row"]
                key = (row["cell"], row["replication"])
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not one of ours (written whole or not at all): run it again
            if data.get("spec_id") == self.spec_id and key in wanted:
                rows.append(row)
        return rows

    # -- while running ---------------------------------------------------------------------
    def commit(self, row: dict, wall_s: float) -> None:
        """One finished run, on disk before the next is looked at."""
        path = self.out / RUNS / run_file(row["cell"], row["replication"])
        # compact, through the C encoder: this is the sweep's only cost per run
        text = json.dumps(
            {"spec_id": self.spec_id, "row": row, "meta": {"wall_s": round(wall_s, 4)}},
            separators=(",", ":"),
        )
        write_text(path, text + "\n")

    # -- tables and manifest ---------------------------------------------------------------
    def finish(self, result, complete: bool) -> None:
        write_csv(self.out / "runs.csv", [_csv_row(r) for r in result.rows], result.columns)
        factor_cols = self.sweep.factor_keys
        write_csv(
            self.out / "cells.csv",
            [_csv_row(r) for r in result.cells],
            [*factor_cols, "metric", "n", "mean", "sd", "ci_low", "ci_high"],
        )
        write_csv(
            self.out / "paired.csv",
            [_csv_row(r) for r in result.paired],
            [*factor_cols, "metric", "n", "mean_diff", "ci_low", "ci_high"],
        )
        done = len(result.rows)
        self.write_manifest(
            done=done,
            errors=result.errors,
            complete=complete and done == len(self.sweep.cells) * self.sweep.replications,
            backend=result.backend,
            wall_s=result.wall_s,
            runs_wall_s=result.runs_wall_s,
        )

    def write_manifest(
        self,
        *,
        done: int,
        errors: int,
        complete: bool,
        backend: dict | None = None,
        wall_s: float | None = None,
        runs_wall_s: float | None = None,
    ) -> None:
        sw = self.sweep
        data = {
            "kind": "sweep",
            "spec_file": sw.source,
            "spec": sw.spec,
            "spec_id": self.spec_id,
            "identity": sw.identity(),
            "campaign": sw.base.to_dict(),
            "factors": sw.factor_keys,
            "cells": [{"cell": c.index, "factors": c.factors} for c in sw.cells],
            "replications": sw.replications,
            "seeds": sw.seeds(),
            "metrics": list(sw.metrics) if sw.metrics else None,
            "baseline": sw.baseline,
            "confidence": 0.95,
            "runs_total": len(sw.cells) * sw.replications,
            "runs_done": done,
            "runs_failed": errors,
            "complete": complete,
            "files": {
                "runs": "runs.csv",
                "cells": "cells.csv",
                "paired": "paired.csv",
                "run_files": RUNS,
            },
            "versions": versions(
                ("dask", "distributed") if (backend or {}).get("kind") == "dask" else ()
            ),
            "backend": backend,
            "wall_s": None
            if wall_s is None
            else round(wall_s, 3),  # this invocation, new runs only
            "runs_wall_s": None if runs_wall_s is None else round(runs_wall_s, 3),
            "created": self.created,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        write_json(self.out / "manifest.json", data)


def _csv_row(row: dict) -> dict:
    """Factor values that are mappings or lists (a distribution) go into the CSV as JSON."""
    return {
        k: json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v
        for k, v in row.items()
    }
