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

One writer per folder: :class:`FolderLock` (``DIR/.dialer.lock``, naming the process, its host
and its command) is held while a sweep, a comparison or a plan writes the folder; a second one
is refused at once. The kernel's record lock on that file ends with its process, so a lock left
by a killed process never blocks; a lock written on another host counts until its holder has
not refreshed it for :data:`LOCK_TIMEOUT_S` (for file systems that do not share record locks).

A full or read-only disk is :class:`ResultsUnwritable`: the sweep stops at the first file it
cannot write (every later write would fail too); the files already in place are whole, since
each was written to a temporary name first, and a resume after space is freed completes it.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import platform
import socket
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from dialer.config import dump_yaml
from dialer.errors import InputError
from dialer.outputs import ensure_dir, write_csv, write_json, write_text
from dialer.version import __version__

RUNS = "runs"
LOCK = ".dialer.lock"
LOCK_TIMEOUT_S = 600.0  # another host's lock not refreshed for this long is stale
LOCK_REFRESH_S = 60.0  # how often a holder refreshes its lock


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
        if out.is_dir() and any(p.name != LOCK for p in out.iterdir()):
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
        with unwritable(runs):
            runs.mkdir(exist_ok=True)
        # left by a sweep killed while writing (safe to remove: the folder is locked, ours alone)
        for stale in [*runs.glob(".*.tmp"), *out.glob(".*.tmp")]:
            stale.unlink(missing_ok=True)
        with unwritable(out / "campaign.yaml"):
            write_text(out / "campaign.yaml", dump_yaml(self.sweep.base.to_dict()))
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
        with unwritable(path):
            write_text(path, text + "\n")

    # -- tables and manifest ---------------------------------------------------------------
    def finish(self, result, complete: bool) -> None:
        factor_cols = self.sweep.factor_keys
        tables: list[tuple[str, list[dict], list[str]]] = [
            ("runs.csv", result.rows, result.columns),
            (
                "cells.csv",
                result.cells,
                [*factor_cols, "metric", "n", "mean", "sd", "ci_low", "ci_high"],
            ),
            (
                "paired.csv",
                result.paired,
                [*factor_cols, "metric", "n", "mean_diff", "ci_low", "ci_high"],
            ),
        ]
        for name, rows, columns in tables:
            with unwritable(self.out / name):
                write_csv(self.out / name, [_csv_row(r) for r in rows], columns)
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
        with unwritable(self.out / "manifest.json"):
            write_json(self.out / "manifest.json", data)


def _csv_row(row: dict) -> dict:
    """Factor values that are mappings or lists (a distribution) go into the CSV as JSON."""
    return {
        k: json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v
        for k, v in row.items()
    }


# -- a full or read-only disk ------------------------------------------------------------------


class ResultsUnwritable(Exception):
    """A results file could not be written: a full disk, a read-only one, a lost permission.

    The sweep stops at the first one (every later write would fail too). ``kept`` and
    ``total`` are filled in by the sweep that stopped, for its one-line message.
    """

    def __init__(self, path: Path, error: OSError):
        self.path = path
        self.error = error
        self.kept: int | None = None
        self.total: int | None = None
        super().__init__(f"cannot write {path}: {os_error(error)}")


def os_error(error: OSError) -> str:
    """``No space left on device (ENOSPC)``: the system's words and the code to search for."""
    code = errno.errorcode.get(error.errno or 0)
    text = error.strerror or str(error)
    return f"{text} ({code})" if code else text


class unwritable:
    """Turn an OSError while writing ``path`` into :class:`ResultsUnwritable` naming it."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if isinstance(exc, OSError):
            raise ResultsUnwritable(self.path, exc) from exc


# -- one writer per folder ---------------------------------------------------------------------

_HELD: dict[tuple[int, int], str] = {}  # folders this process holds: (device, inode) -> command


class FolderInUse(InputError):
    """Another process (or this one) is writing the results folder."""


class FolderLock:
    """``DIR/.dialer.lock``: while held, no other sweep, comparison or plan writes ``DIR``.

    The lock is the kernel's record lock (``fcntl.lockf``) on the file, which ends with the
    process that holds it, however it ends: a lock file left by a killed process does not
    block. The file names the holder (pid, host, command, start) for the refusal message, and
    the holder touches it every :data:`LOCK_REFRESH_S`; a file written on another host whose
    holder has not touched it for :data:`LOCK_TIMEOUT_S` is stale too (for network file
    systems that do not share record locks between hosts). Creating ``DIR`` is part of taking
    the lock; a folder this lock created and nothing else filled is removed again on release.

    Use as a context manager: ``with FolderLock(out, "sweep"): ...``.
    """

    def __init__(self, folder: str | os.PathLike, command: str):
        self.folder = Path(folder)
        self.path = self.folder / LOCK
        self.command = command
        self.fd: int | None = None
        self.key: tuple[int, int] | None = None
        self.created = False
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def acquire(self) -> None:
        import fcntl

        self.created = not self.folder.exists()
        ensure_dir(self.folder)
        st = self.folder.stat()
        key = (st.st_dev, st.st_ino)
        if key in _HELD:  # record locks do not exclude their own process: this does
            raise FolderInUse(
                f"{self.folder}: in use by this process (dialer {_HELD[key]}); "
                "use another --out folder"
            )
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as exc:
                self._forget_folder()
                raise InputError(
                    f"{self.folder}: cannot write the results folder: {os_error(exc)}"
                ) from None
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EACCES, errno.EAGAIN):
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise FolderInUse(_in_use(self.folder, holder)) from None
                locks_work = False  # ENOLCK, EOPNOTSUPP: this file system has no record locks
            else:
                locks_work = True
            # the file may have been released and removed between our open and our lock
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            holder = _read_holder(fd)
            if holder and _holder_alive(holder, os.fstat(fd).st_mtime, locks_work):
                os.close(fd)
                raise FolderInUse(_in_use(self.folder, holder))
            break
        self.fd, self.key = fd, key
        _HELD[key] = self.command
        self._write_holder()
        self._refresher = threading.Thread(target=self._refresh, name="dialer-lock", daemon=True)
        self._refresher.start()

    def _write_holder(self) -> None:
        assert self.fd is not None
        text = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "command": self.command,
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
        )
        try:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, (text + "\n").encode(), 0)
        except OSError:
            pass  # a full disk: the lock holds all the same; the sweep's own writes will say so

    def _refresh(self) -> None:
        while not self._stop.wait(LOCK_REFRESH_S):
            try:
                os.utime(self.fd)  # type: ignore[arg-type]
            except (OSError, TypeError):
                pass

    def release(self) -> None:
        if self.fd is None:
            return
        self._stop.set()
        if self._refresher is not None:
            self._refresher.join()
        try:
            os.unlink(self.path)  # while still locked: a waiting opener sees another inode
        except OSError:
            pass  # read-only by now: the lock ends with the descriptor all the same
        os.close(self.fd)
        self.fd = None
        if self.key is not None:
            _HELD.pop(self.key, None)
        self._forget_folder()

    def _forget_folder(self) -> None:
        if self.created:
            try:
                self.folder.rmdir()  # only if nothing was written into it
            except OSError:
                pass


def _read_holder(fd: int) -> dict | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "null")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _holder_alive(holder: dict, mtime: float, locks_work: bool) -> bool:
    """Whether a lock file whose record lock we could take still stands for a live holder."""
    if holder.get("host") != socket.gethostname():
        return time.time() - mtime < LOCK_TIMEOUT_S
    if locks_work:
        return False  # the kernel says its process has ended
    pid = holder.get("pid")
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _in_use(folder: Path, holder: dict | None) -> str:
    if not holder:
        who = "another process"
    else:
        who = (
            f"dialer {holder.get('command', '?')}, pid {holder.get('pid', '?')} on "
            f"{holder.get('host', '?')} since {holder.get('started', '?')}"
        )
    return f"{folder}: in use by {who}; wait for it to end, or use another --out folder"


# -- the runs of a comparison or a plan ------------------------------------------------------


class RunCache:
    """Each finished run of a comparison or a plan, one file in ``DIR/runs/``, so that a stopped
    command resumes: a run on disk is not run again.

    ``identity`` is what decides the runs' results apart from their keys (the campaign, with its
    seed); files of another identity in the folder are left alone and not used. A run is named
    by its key, e.g. ``("mode", "power", None, 3)``; failed runs are not kept (they run again,
    as in a sweep). The caller holds the folder's :class:`FolderLock`.
    """

    def __init__(self, folder: str | os.PathLike, kind: str, identity: dict):
        self.runs = Path(folder) / RUNS
        text = json.dumps({"kind": kind, **identity}, sort_keys=True, default=str)
        self.spec_id = hashlib.sha256(text.encode()).hexdigest()[:16]

    def load(self) -> dict[tuple, dict]:
        """The runs on disk: key -> scalar summary."""
        with unwritable(self.runs):
            self.runs.mkdir(parents=True, exist_ok=True)
        for stale in self.runs.glob(".*.tmp"):  # left by a kill while writing; the folder is ours
            stale.unlink(missing_ok=True)
        out = {}
        for path in self.runs.glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data["spec_id"] == self.spec_id:
                    out[_key(data["key"])] = data["summary"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return out

    def keep(self, key: tuple, summary: dict, wall_s: float) -> None:
        path = self.runs / self.file_name(key)
        text = json.dumps(
            {"spec_id": self.spec_id, "key": list(key), "summary": summary, "wall_s": wall_s},
            separators=(",", ":"),
        )
        with unwritable(path):
            write_text(path, text + "\n")

    def file_name(self, key: tuple) -> str:
        text = "-".join("" if k is None else str(k) for k in key)
        plain = "".join(ch if ch.isalnum() or ch in "._" else "-" for ch in text).strip("-.")
        digest = hashlib.sha256(json.dumps(list(key)).encode()).hexdigest()[:8]
        return f"{plain}-{digest}.json"  # readable, and unique whatever the key holds


def _key(value: Any) -> tuple:
    return tuple(_key(v) if isinstance(v, list) else v for v in value)
