"""Sweeps that survive what happens to long jobs: signals, two writers, a full or read-only disk.

Every stop here happens at a known run, never at a time: ``DIALER_SIGNAL_AFTER_RUN=K:SIGNAME``
makes the sweep send itself the signal right after its K-th run is kept (a run file in place).
A test that needs the sweep paused (to look at its workers, or to start a second writer) has it
send itself SIGSTOP and waits for that event with ``waitpid(WUNTRACED)``. No test waits for,
measures or races the clock.
"""

from __future__ import annotations

import errno
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import dialer.experiments.store as store
from dialer.cli import main
from dialer.config import dump_yaml
from dialer.experiments.pool import SIGNAL_AFTER_RUN
from dialer.experiments.store import LOCK, LOCK_TIMEOUT_S, FolderInUse
from dialer.experiments.sweeps import run_sweep

ROOT = Path(__file__).resolve().parent.parent
SMOKE = str(ROOT / "campaigns" / "smoke.yaml")
# 2 modes x 2 agent counts x 3 replications of the smoke campaign: 12 runs, a few seconds in all
SMALL = {
    "campaign": SMOKE,
    "seed": 3,
    "replications": 3,
    "set": {"horizon_s": 1200},
    "factors": {"dialing.mode": ["progressive", "power"], "agents.groups.team.count": [2, 4]},
}
RUNS = 12
TABLES = ("runs.csv", "cells.csv", "paired.csv")


def write_spec(folder: Path, spec: dict = SMALL) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(dump_yaml(spec))
    return path


def sweep_args(spec: Path, out: Path, workers: int = 2) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dialer",
        "sweep",
        str(spec),
        "--workers",
        str(workers),
        "--out",
        str(out),
    ]


def env_with(signal_after: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != SIGNAL_AFTER_RUN}
    if signal_after:
        env[SIGNAL_AFTER_RUN] = signal_after
    return env


def default_sigint() -> None:
    """In the child, before exec: SIGINT at its default. A test runner started with SIGINT
    ignored (``pytest &`` from a script, some CI runners) passes the ignore on, Python then
    installs no KeyboardInterrupt handler, and a sweep told to send itself SIGINT (rightly)
    carries on as a shell's background job would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cli(args: list[str], signal_after: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env_with(signal_after),
        preexec_fn=default_sigint,
    )


def kept_files(out: Path) -> list[Path]:
    return sorted((out / "runs").glob("c*-r*.json"))


def leftovers(out: Path) -> list[str]:
    """Temporary files and a lock: what a clean stop must not leave."""
    return [p.name for p in [*out.iterdir(), *(out / "runs").iterdir()] if p.name.startswith(".")]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, str]:
    """The tables of the sweep run straight through, to compare resumed sweeps with."""
    out = tmp_path_factory.mktemp("straight") / "out"
    run_sweep(SMALL, workers=1, out=out)
    return {name: (out / name).read_text() for name in TABLES}


def assert_same_tables(out: Path, uninterrupted: dict[str, str]) -> None:
    for name in TABLES:
        assert (out / name).read_text() == uninterrupted[name], f"{name} differs"


# -- a stop at a known run, then resume -------------------------------------------------------


@pytest.mark.parametrize(
    "signame, status, said",
    [
        ("SIGTERM", 143, "stopped by SIGTERM"),
        ("SIGINT", 130, "interrupted"),
        ("SIGHUP", 129, "stopped by SIGHUP"),
    ],
)
def test_a_signal_at_the_kth_kept_run_stops_cleanly_and_resume_equals_an_uninterrupted_sweep(
    tmp_path, uninterrupted, signame, status, said
):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    r = run_cli(sweep_args(spec, out), signal_after=f"5:{signame}")
    assert r.returncode == status, r.stderr
    assert r.stderr.splitlines() == [
        f"dialer: {said}; 5 of {RUNS} runs kept in {out}; run the same command again to resume"
    ]
    # exactly the runs kept before the signal, each whole; the tables rebuilt from them
    assert len(kept_files(out)) == 5
    assert all(json.loads(p.read_text())["row"]["error"] is None for p in kept_files(out))
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["runs_done"], manifest["complete"]) == (5, False)
    assert len((out / "runs.csv").read_text().splitlines()) == 1 + 5
    assert leftovers(out) == []  # no temporary file, and the lock is released

    again = run_cli(sweep_args(spec, out, workers=1))
    assert again.returncode == 0, again.stderr
    assert f"{RUNS} of {RUNS} runs (7 new, 5 resumed, 0 failed)" in again.stdout
    assert_same_tables(out, uninterrupted)


def test_sigkill_at_the_kth_run_leaves_a_stale_lock_that_does_not_block_the_resume(
    tmp_path, uninterrupted
):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    proc = subprocess.run(
        sweep_args(spec, out), capture_output=True, cwd=ROOT, env=env_with("4:SIGKILL")
    )
    assert proc.returncode == -signal.SIGKILL
    assert len(kept_files(out)) == 4
    assert [p.name for p in (out / "runs").iterdir() if p.name.startswith(".")] == []
    holder = json.loads((out / LOCK).read_text())  # the dead sweep's lock is still there
    assert holder["command"] == "sweep" and holder["host"] == socket.gethostname()
    with pytest.raises(ProcessLookupError):
        os.kill(holder["pid"], 0)
    # what a kill in the middle of writing a file leaves (here made by hand: SIGKILL at a known
    # run falls between two files); the next writer removes it
    (out / "runs" / ".c00003-r00000.json.x1.tmp").write_text('{"spec_id": "half')
    (out / ".runs.csv.x2.tmp").write_text("cell,dial")

    again = run_cli(sweep_args(spec, out))
    assert again.returncode == 0, again.stderr
    assert f"{RUNS} of {RUNS} runs (8 new, 4 resumed, 0 failed)" in again.stdout
    assert_same_tables(out, uninterrupted)
    assert leftovers(out) == []  # stale temporary files and the dead sweep's lock are gone


# -- workers end with the sweep ---------------------------------------------------------------


def pause_at(args: list[str], k: int, **kw) -> subprocess.Popen:
    """Start a command that stops itself (SIGSTOP) right after its k-th kept run; return once
    it has (the kernel's event, not a guess at a time)."""
    proc = subprocess.Popen(args, cwd=ROOT, env=env_with(f"{k}:SIGSTOP"), **kw)
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), f"the command ended before its run {k} (status {status})"
    return proc


def children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def ended(pidfd: int) -> bool:
    """Whether the process has exited, asked now (a pidfd is readable once it has)."""
    return bool(select.select([pidfd], [], [], 0)[0])


def ended_or_killed(pid: int, pidfd: int) -> bool:
    """Exited, or with a SIGKILL pending (which nothing can block: it will end)."""
    if ended(pidfd):
        return True
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    if fields["State"].strip()[0] in "ZX":
        return True
    pending = int(fields["SigPnd"], 16) | int(fields["ShdPnd"], 16)
    return bool(pending & (1 << (signal.SIGKILL - 1)))


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"), reason="pidfd, /proc"
)
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGKILL"])
def test_workers_end_with_the_sweep(tmp_path, signame):
    """SIGTERM to the whole process group (as a batch system sends it): the workers ignore it,
    the sweep kills them and waits for them, so they have ended when it exits. SIGKILL to the
    sweep alone: the kernel kills its workers as it dies (PR_SET_PDEATHSIG)."""
    spec, out = write_spec(tmp_path), tmp_path / "out"
    proc = pause_at(
        sweep_args(spec, out),
        2,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    workers = children(proc.pid)
    pidfds = [os.pidfd_open(w) for w in workers]
    try:
        assert len(workers) == 2
        if signame == "SIGTERM":
            os.killpg(proc.pid, signal.SIGTERM)
            os.killpg(proc.pid, signal.SIGCONT)
            proc.wait()
            assert proc.returncode == 143
            assert proc.stderr is not None
            assert (
                proc.stderr.read().decode().startswith("dialer: stopped by SIGTERM; 2 of 12 runs")
            )
            assert [ended(fd) for fd in pidfds] == [True, True]
        else:
            proc.kill()
            proc.wait()
            assert [ended_or_killed(w, fd) for w, fd in zip(workers, pidfds)] == [True, True]
    finally:
        for fd in pidfds:
            if not ended(fd):
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            os.close(fd)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- one writer per folder --------------------------------------------------------------------


def test_a_second_writer_is_refused_at_once_and_the_first_is_unharmed(tmp_path, uninterrupted):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    first = pause_at(
        sweep_args(spec, out, workers=1), 2, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        held = f"dialer: {out}: in use by dialer sweep, pid {first.pid} on {socket.gethostname()}"
        for args in (
            sweep_args(spec, out),
            [sys.executable, "-m", "dialer", "compare", SMOKE, "--out", str(out)],
            [
                sys.executable,
                "-m",
                "dialer",
                "plan",
                SMOKE,
                "--deadline-s",
                "600",
                "--out",
                str(out),
            ],
        ):
            r = run_cli(args)
            assert r.returncode == 2, r.stderr
            lines = r.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith(held), r.stderr
            assert "wait for it to end, or use another --out folder" in lines[0]
        with pytest.raises(FolderInUse):  # from Python too
            run_sweep(SMALL, workers=1, out=out)
        assert len(kept_files(out)) == 2  # the refused ones wrote nothing
    finally:
        os.kill(first.pid, signal.SIGCONT)
        stdout, stderr = first.communicate()
    assert first.returncode == 0, stderr
    assert f"{RUNS} of {RUNS} runs ({RUNS} new, 0 resumed, 0 failed)" in stdout.decode()
    assert_same_tables(out, uninterrupted)
    assert leftovers(out) == []


def test_one_process_cannot_write_one_folder_twice(tmp_path):
    out = tmp_path / "out"
    with (
        store.FolderLock(out, "plan"),
        pytest.raises(FolderInUse, match="in use by this process"),
    ):
        run_sweep(SMALL, workers=1, out=out)
    assert not out.exists()  # the lock made the folder, nothing filled it, release removed it


def other_hosts_lock(out: Path, age_s: float) -> None:
    out.mkdir()
    holder = {"pid": 1, "host": "elsewhere.example", "command": "sweep", "started": "then"}
    (out / LOCK).write_text(json.dumps(holder))
    when = time.time() - age_s
    os.utime(out / LOCK, (when, when))


def test_another_hosts_lock_blocks_until_its_timeout(tmp_path):
    """A network file system may not share record locks between hosts: the file decides. Its
    holder refreshes it every minute; one not refreshed for LOCK_TIMEOUT_S is stale."""
    fresh, stale = tmp_path / "fresh", tmp_path / "stale"
    other_hosts_lock(fresh, age_s=0)
    with pytest.raises(FolderInUse, match="in use by dialer sweep, pid 1 on elsewhere.example"):
        run_sweep(SMALL, workers=1, out=fresh)
    assert sorted(p.name for p in fresh.iterdir()) == [LOCK]
    other_hosts_lock(stale, age_s=LOCK_TIMEOUT_S + 60)
    assert len(run_sweep(SMALL, workers=1, out=stale).rows) == RUNS
    assert not (stale / LOCK).exists()


# -- a full or read-only disk -----------------------------------------------------------------


def failing_run_writes(monkeypatch, at: int, code: int) -> list[str]:
    """The store's run-file writes fail from the ``at``-th on with ``code``, as a full disk
    (ENOSPC: half a file written, then the error) or a read-only one (EROFS: no file at all)."""
    from dialer import outputs

    real = store.write_text
    calls: list[str] = []

    def write_text(path, text):
        if Path(path).parent.name != "runs":
            return real(path, text)
        calls.append(Path(path).name)
        if len(calls) < at:
            return real(path, text)
        error = OSError(code, os.strerror(code))
        if code == errno.EROFS:
            raise outputs._naming(error, Path(path))  # as mkstemp fails on a read-only disk
        with outputs.atomic(path) as fh:
            fh.write(text[: len(text) // 2])
            raise error

    monkeypatch.setattr(store, "write_text", write_text)
    return calls


@pytest.mark.parametrize(
    "code, words",
    [
        (errno.ENOSPC, "No space left on device (ENOSPC)"),
        (errno.EROFS, "Read-only file system (EROFS)"),
    ],
)
def test_a_disk_that_fails_writes_stops_the_sweep_and_a_resume_completes_it(
    tmp_path, monkeypatch, capsys, uninterrupted, code, words
):
    spec, out = write_spec(tmp_path), tmp_path / "out"
    failing_run_writes(monkeypatch, at=4, code=code)
    assert main(["sweep", str(spec), "--workers", "1", "--out", str(out)]) == 1
    failed = out / "runs" / "c00001-r00000.json"  # the 4th run, in this process's order
    assert capsys.readouterr().err.splitlines() == [
        f"dialer: sweep stopped: cannot write {failed}: {words}; 3 of {RUNS} runs kept in {out}; "
        "free space (or make the folder writable) and run the same command again to resume"
    ]
    # what was kept is whole, and the run that could not be written is an error row
    assert [p.name for p in kept_files(out)] == [
        "c00000-r00000.json",
        "c00000-r00001.json",
        "c00000-r00002.json",
    ]
    assert all(json.loads(p.read_text())["row"]["error"] is None for p in kept_files(out))
    assert leftovers(out) == []
    rows = (out / "runs.csv").read_text().splitlines()
    assert len(rows) == 1 + 4 and rows[-1].endswith(f"cannot write {failed}: {words}")

    monkeypatch.undo()  # space freed
    assert main(["sweep", str(spec), "--workers", "2", "--out", str(out)]) == 0
    assert f"{RUNS} of {RUNS} runs (9 new, 3 resumed, 0 failed)" in capsys.readouterr().out
    assert_same_tables(out, uninterrupted)


NAMESPACE_SCRIPT = textwrap.dedent(
    """
    import json, os, subprocess, sys
    disk, spec = sys.argv[1], sys.argv[2]
    def mount(*opts):
        subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(opts), "tmpfs", disk], check=True)
    def sweep(out):
        r = subprocess.run([sys.executable, "-m", "dialer", "sweep", spec, "--workers", "2",
                            "--out", out], capture_output=True, text=True)
        return {"status": r.returncode, "stdout": r.stdout, "stderr": r.stderr}
    def kept(out):
        runs = os.path.join(out, "runs")
        names = sorted(os.listdir(runs))
        whole = all(json.load(open(os.path.join(runs, n)))["row"]["error"] is None
                    for n in names if not n.startswith("."))
        return {"names": names, "whole": whole}
    report = {}
    out = os.path.join(disk, "out")
    mount("size=48k")                          # room for a few run files only
    report["full"] = sweep(out)
    report["kept"] = kept(out)
    subprocess.run(["mount", "-o", "remount,size=16m", disk], check=True)   # space freed
    report["resumed"] = sweep(out)
    report["runs_csv"] = open(os.path.join(out, "runs.csv")).read()
    subprocess.run(["mount", "-o", "remount,ro", disk], check=True)        # read-only
    report["read_only"] = sweep(out)
    print(json.dumps(report))
    """
)


def test_a_real_small_disk_fills_stops_the_sweep_and_a_resume_completes_it(tmp_path, uninterrupted):
    """A 48 KB tmpfs in a private mount namespace (root only; skipped elsewhere), then the
    same disk made larger, then read-only."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare to mount a small tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    spec = write_spec(tmp_path)
    r = subprocess.run(
        [
            unshare,
            "-m",
            "--propagation",
            "private",
            sys.executable,
            "-c",
            NAMESPACE_SCRIPT,
            str(disk),
            str(spec),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env_with(None),
    )
    if r.returncode != 0 and "mount" in r.stderr and "permission" in r.stderr.lower():
        pytest.skip(f"cannot mount here: {r.stderr.strip().splitlines()[-1]}")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    out = disk / "out"

    full = report["full"]
    assert full["status"] == 1, full["stderr"]
    line = full["stderr"].splitlines()
    kept = [n for n in report["kept"]["names"] if not n.startswith(".")]
    assert len(line) == 1 and line[0].startswith(f"dialer: sweep stopped: cannot write {out}/"), (
        line
    )
    assert f"No space left on device (ENOSPC); {len(kept)} of {RUNS} runs kept in {out};" in line[0]
    assert 0 < len(kept) < RUNS and report["kept"]["whole"]
    assert kept == report["kept"]["names"]  # no temporary file left on the full disk

    resumed = report["resumed"]
    assert resumed["status"] == 0, resumed["stderr"]
    assert (
        f"{RUNS} of {RUNS} runs ({RUNS - len(kept)} new, {len(kept)} resumed, 0 failed)"
        in resumed["stdout"]
    )
    assert report["runs_csv"] == uninterrupted["runs.csv"]

    read_only = report["read_only"]
    assert read_only["status"] == 2
    assert read_only["stderr"].splitlines() == [
        f"dialer: {out}: cannot write the results folder: Read-only file system (EROFS)"
    ]


# -- what a sweep file can ask ----------------------------------------------------------------


def test_a_grid_over_the_limit_needs_yes(tmp_path, monkeypatch, capsys):
    huge = {
        **SMALL,
        "replications": 1,
        "factors": {
            "dialing.ratio": [1 + i / 1000 for i in range(1000)],
            "agents.groups.team.count": list(range(1, 102)),
        },
    }
    path = write_spec(tmp_path, huge)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"dialer: {path}: 101,000 cells x 1 replication = 101,000 runs, more than 100,000; "
        "check the factors, or add --yes to run them all"
    ]
    assert not out.exists()
    # --yes lifts the limit (shown on a limit lowered to below the small sweep's 12 runs)
    import dialer.experiments.sweeps as sweeps

    monkeypatch.setattr(sweeps, "MAX_RUNS", 11)
    small = write_spec(tmp_path, SMALL)
    assert main(["sweep", str(small), "--workers", "1", "--out", str(out)]) == 2
    assert "12 runs, more than 11" in capsys.readouterr().err
    assert main(["sweep", str(small), "--workers", "1", "--out", str(out), "--yes"]) == 0
    assert len(kept_files(out)) == RUNS


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "..", "/abs"])
def test_a_sweep_name_cannot_leave_the_results_folder(tmp_path, capsys, name):
    path = write_spec(tmp_path, {**SMALL, "name": name})
    assert main(["sweep", str(path), "--workers", "1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"dialer: {path}: name: expected a plain name"), err


def test_a_sweep_name_names_the_default_results_folder(tmp_path):
    path = write_spec(tmp_path, {**SMALL, "replications": 1, "name": "modes.v2"})
    r = subprocess.run(
        [sys.executable, "-m", "dialer", "sweep", str(path), "--workers", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("sweep modes.v2: 4 of 4 runs")
    assert (tmp_path / "results" / "modes.v2" / "runs.csv").exists()


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="pidfd")
def test_a_stop_kills_a_worker_in_the_middle_of_a_run(monkeypatch):
    """One worker is inside a run that never ends; the other's run comes back once the first
    has started (a pipe, not a time), and the caller stops there: when execute() raises, both
    workers have ended, the stuck one included (killed, not waited for)."""
    import dialer.experiments.run as run
    from dialer.experiments.pool import backend, execute

    started_r, started_w = os.pipe()
    never_r, never_w = os.pipe()

    class Result:
        summary = {"dials": 1}

    def simulate(campaign):  # in a worker, forked after these pipes exist
        if campaign == "stuck":
            os.write(started_w, b"x")
            os.read(never_r, 1)  # nobody writes: a run that never ends
        else:
            os.read(started_r, 1)  # come back only once the stuck run has started
        return Result()

    monkeypatch.setattr(run, "simulate", simulate)
    pidfds: list[int] = []
    try:
        with backend(workers=2) as b:

            def stop(outcome):
                for pid in b.executor._processes:  # type: ignore[attr-defined]
                    pidfds.append(os.pidfd_open(pid))
                raise KeyboardInterrupt

            try:
                with pytest.raises(KeyboardInterrupt):
                    execute([("a", "stuck"), ("b", "quick")], b, stop, batch=1)
                assert len(pidfds) == 2
                assert [ended(fd) for fd in pidfds] == [True, True]
            finally:  # never leave the pool waiting for a stuck worker
                for fd in pidfds:
                    if not ended(fd):
                        signal.pidfd_send_signal(fd, signal.SIGKILL)
    finally:
        for fd in (started_r, started_w, never_r, never_w, *pidfds):
            os.close(fd)
