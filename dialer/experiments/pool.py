"""Where many runs execute: in this process, on a local process pool, or on a Dask cluster.

A sweep or a capacity plan is a list of independent runs, each a campaign with its seed. This
module hands them out in batches (bigger ones first, so that the cost of a task stays small
against its runs, then smaller ones, so that the workers finish together) through a
:class:`concurrent.futures.Executor`, whichever kind it is:

* one worker: an :class:`InlineExecutor`, the runs in this very process (no pickling, no
  start-up; exceptions and debuggers behave as in a plain loop);
* N workers: a :class:`~concurrent.futures.ProcessPoolExecutor` on this machine;
* ``scheduler="tcp://host:8786"``: the executor of a Dask ``distributed.Client``, so the same
  batches run on a cluster (dask-jobqueue reaches SLURM and PBS). Dask is imported only here
  and only then.

Results come back to the calling process, which alone writes files: a cluster needs no shared
disk. Each run is deterministic (its seed), so the rows do not depend on the backend, the
number of workers, the batch size or the order in which batches finish.

Stopping: Ctrl-C (SIGINT), SIGTERM (a batch system ending a job) and SIGHUP (a closed
terminal) are all a clean stop. Workers ignore them: the calling process decides. There the
signal is an exception (:class:`Stopped` for SIGTERM and SIGHUP, a subclass of
``KeyboardInterrupt``, so one code path serves all three); :func:`execute` cancels what has not
started, kills the local workers and waits for them to end, and the caller keeps every run that
had finished. A worker whose calling process dies (even by SIGKILL) is killed by the kernel.

Tests stop a command at a known run, never at a time: ``DIALER_SIGNAL_AFTER_RUN=K:SIGNAME``
in the environment makes the calling process send itself that signal right after the K-th
run has been handed over (and kept), see :data:`SIGNAL_AFTER_RUN`.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from dialer.errors import InputError


def default_workers() -> int:
    """The processors this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def replication_seed(seed: int, replication: int) -> int:
    """The seed of replication ``r``: a function of (seed, r) only, so every cell of a sweep
    (and every agent count of a plan) runs the same replications: comparisons are paired."""
    import numpy as np

    seq = np.random.SeedSequence(entropy=int(seed), spawn_key=(int(replication),))
    return int(seq.generate_state(1, np.uint32)[0])


# -- what a worker does ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One finished run as it comes back from a worker."""

    key: Any
    summary: dict | None  # scalar summary metrics; None when the run failed
    error: str | None
    wall_s: float


def scalar_summary(summary: dict, prefix: str = "") -> dict:
    """The summary's scalar values (numbers, flags, texts); non-finite numbers become None.

    A centre's objects (``queues``, ``campaigns``, ``groups``, ``inbound``) are flattened into
    dotted names (``queues.support.service_level``), as a sweep factor names a key; mappings
    of counts such as ``records_finished_by_result`` are left out: a row has one value per
    column.
    """
    out = {}
    for k, v in summary.items():
        if k == "records_finished_by_result":
            continue
        if isinstance(v, dict):
            out.update(scalar_summary(v, f"{prefix}{k}."))
            continue
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        if v is None or isinstance(v, (bool, int, float, str)):
            out[prefix + k] = v
    return out


def one_line(exc: BaseException) -> str:
    text = " | ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def simulate_batch(items: Sequence[tuple[Any, Any]]) -> list[Outcome]:
    """Run (key, campaign) pairs one after another; a failing run is an outcome with its error."""
    # looked up at call time: the function a test may stand in for
    from dialer.experiments import run

    out = []
    for key, campaign in items:
        t0 = time.perf_counter()
        try:
            summary = scalar_summary(run.simulate(campaign).summary)
            error = None
        except Exception as exc:  # a run's failure is a result, not the end of the sweep
            summary, error = None, one_line(exc)
        out.append(Outcome(key, summary, error, time.perf_counter() - t0))
    return out


# The signals that stop a command cleanly (SIGINT is Python's own KeyboardInterrupt).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _start_worker(parent: int) -> None:
    # Ctrl-C and a batch system's SIGTERM reach the whole process group; the parent decides
    # what happens to the runs, and kills its workers itself (SIGKILL) when it stops.
    for signum in (signal.SIGINT, *STOP_SIGNALS):
        signal.signal(signum, signal.SIG_IGN)
    _end_with_parent(parent)


def _end_with_parent(parent: int) -> None:
    """Linux: a worker ends when its parent dies, even by SIGKILL (no orphans left waiting)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG (SIGTERM is ignored here)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


# -- executors -------------------------------------------------------------------------------


class InlineExecutor(cf.Executor):
    """Runs each task at submission, in this process (the one-worker backend)."""

    def submit(self, fn, /, *args, **kwargs):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


@dataclass
class Backend:
    """An executor, how many runs it can carry at once, and how to stop it at once."""

    kind: str  # "inline" | "processes" | "dask"
    executor: cf.Executor
    slots: int
    address: str | None = None
    _stop: Callable[[], None] = field(default=lambda: None, repr=False)

    def describe(self) -> dict:
        d: dict = {"kind": self.kind, "workers": self.slots}
        if self.address:
            d["scheduler"] = self.address
        return d

    def stop_now(self) -> None:
        self._stop()


def _check_workers(workers: int | None) -> int:
    if workers is None:
        return default_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"--workers: expected an integer >= 1, got {workers}")
    return workers


# A SIGKILLed worker ends at once, unless the kernel holds it (a hung network file system):
# then a stop gives up waiting for it rather than hang.
KILLED_WORKER_WAIT_S = 30.0


def _stop_processes(pool: cf.ProcessPoolExecutor) -> None:
    """Cancel what has not started, kill the workers (they ignore SIGTERM) and wait until each
    has ended: when the calling process exits after a stop, no worker is left running.

    The pool cancels its own queued tasks (``cancel_futures``): a future cancelled from outside
    would make Python 3.11's pool fail when it marks its tasks broken after the kill."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        try:
            proc.kill()
        except Exception:
            pass
    for proc in procs:
        try:
            proc.join(KILLED_WORKER_WAIT_S)
        except Exception:
            pass


@contextmanager
def backend(workers: int | None = None, scheduler: Any = None) -> Iterator[Backend]:
    """The executor for ``workers`` local processes, or for a Dask ``scheduler``.

    ``scheduler`` is an address ("tcp://host:8786") or a ``distributed.Client``.
    """
    if scheduler is not None:
        with _dask_backend(scheduler) as b:
            yield b
        return
    n = _check_workers(workers)
    if n == 1:
        yield Backend("inline", InlineExecutor(), 1)
        return
    pool = cf.ProcessPoolExecutor(max_workers=n, initializer=_start_worker, initargs=(os.getpid(),))
    b = Backend("processes", pool, n, _stop=lambda: _stop_processes(pool))
    try:
        yield b
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# How long connecting to a Dask scheduler (and its handshake) may take before --scheduler is
# refused.
SCHEDULER_TIMEOUT_S = 15.0


def _first_line(exc: BaseException) -> str:
    """The exception's class (the first public one: MemoryError for numpy's _ArrayMemoryError;
    with its package unless built in: struct.error) and the first line of its message."""
    cls = next((c for c in type(exc).__mro__ if not c.__qualname__.startswith("_")), type(exc))
    package = cls.__module__.split(".")[0]
    name = cls.__name__ if package == "builtins" else f"{package}.{cls.__name__}"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{name}: {lines[0]}" if lines else name


def _handshake(address: str, timeout: float) -> None:
    """Connect to ``address`` and exchange Dask's handshake once, all within about ``timeout``
    seconds. A ``Client`` bounds only the connect: a server that accepts and then says nothing
    would hold it for ever. Runs in a thread of its own, so a caller with an event loop of its
    own running (a notebook) is no matter."""
    import asyncio

    from distributed.comm import connect

    async def once() -> None:
        try:
            comm = await asyncio.wait_for(connect(address, timeout=timeout), timeout + 1)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no handshake within {timeout:g} s") from None
        await comm.close()

    with cf.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, once()).result()


@contextmanager
def _dask_backend(scheduler: Any) -> Iterator[Backend]:
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "--scheduler: Dask is not installed (pip install 'dialer[dask]', the dask[distributed] extra)"
        ) from None
    own = not hasattr(scheduler, "get_executor")
    if own:
        if not isinstance(scheduler, str) or not scheduler:
            raise InputError(
                f"--scheduler: expected an address such as tcp://host:8786, got {scheduler!r}"
            )
        client = None
        try:
            _handshake(scheduler, SCHEDULER_TIMEOUT_S)
            client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
            nthreads = client.nthreads()
        except Exception as exc:  # unreachable, or something else answers: garbage, HTTP, ...
            if client is not None:
                client.close()
            raise InputError(
                f"--scheduler {scheduler}: expected a Dask scheduler, cannot connect or "
                f"handshake ({_first_line(exc)})"
            ) from None
    else:
        client = scheduler
        nthreads = client.nthreads()
    try:
        slots = sum(nthreads.values()) or 1
        executor = client.get_executor(pure=False)
        address = getattr(client.scheduler, "address", None) or str(scheduler)
        yield Backend("dask", executor, slots, address, _stop=lambda: None)
    finally:
        if own:
            client.close()


# -- running a list of runs ------------------------------------------------------------------


def batch_sizes(runs: int, slots: int, kind: str) -> list[int]:
    """Runs per task, shrinking as the list drains (guided scheduling): big batches while there
    is plenty left keep the cost of a task small against its runs; batches of one at the end
    keep every worker busy until the last run. Never more than 16 runs (a kill loses little)."""
    if kind == "inline":
        return [1] * runs
    sizes, left = [], runs
    while left > 0:
        size = max(1, min(16, math.ceil(left / (slots * 4))))
        sizes.append(min(size, left))
        left -= sizes[-1]
    return sizes


def execute(
    items: Sequence[tuple[Any, Any]],
    b: Backend,
    on_done: Callable[[Outcome], None],
    *,
    batch: int | None = None,
) -> None:
    """Run (key, campaign) items on backend ``b``; call ``on_done`` for each run as it finishes.

    ``on_done`` runs in this process, in the order batches finish. A KeyboardInterrupt (or any
    exception, an ``on_done`` that cannot write included) stops the backend at once (runs not
    started are cancelled, local workers killed) and propagates; runs already passed to
    ``on_done`` are the caller's to keep.
    """
    if not items:
        return
    sizes = (
        [batch] * math.ceil(len(items) / batch)
        if batch
        else batch_sizes(len(items), b.slots, b.kind)
    )
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    batches = [items[a : a + n] for a, n in zip(starts, sizes)]
    pending: set[cf.Future] = set()
    try:
        for chunk in batches:
            future = b.executor.submit(simulate_batch, list(chunk))
            if b.kind == "inline":  # done already; hand the runs over as they finish
                _deliver(future, on_done)
            else:
                pending.add(future)
        while pending:
            done, pending = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
            for future in done:
                _deliver(future, on_done)
    except BaseException:  # Ctrl-C, Stopped (SIGTERM, SIGHUP), a disk that fails, a lost worker
        if b.kind == "dask":  # a local pool cancels its own queue as it stops
            for future in pending:
                future.cancel()
        b.stop_now()
        raise


class BackendError(Exception):
    """The machinery failed (a worker died, a cluster went away): not a run's own error."""


def _deliver(future: cf.Future, on_done: Callable[[Outcome], None]) -> None:
    try:
        outcomes = future.result()
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise BackendError(one_line(exc)) from exc
    for outcome in outcomes:
        on_done(outcome)
        _signal_after_run.handed_over()


# -- stopping --------------------------------------------------------------------------------


class Stopped(KeyboardInterrupt):
    """A stop asked for by a signal other than Ctrl-C (SIGTERM, SIGHUP), handled as Ctrl-C is.

    A subclass of ``KeyboardInterrupt`` so that every clean-up written for Ctrl-C runs for it
    too; ``signum`` tells the command line its exit status (128 + signum: 143 for SIGTERM).
    """

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)


def stop_signal(exc: BaseException) -> int:
    """The signal behind an interrupt: SIGINT for Ctrl-C, else the one :class:`Stopped` names."""
    return getattr(exc, "signum", int(signal.SIGINT))


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Stopped` in this (the main) thread while inside.

    The first such signal stops; later ones are ignored, so that the clean-up it starts (keeping
    the finished runs, rebuilding the tables) is not cut short by a second SIGTERM. Outside the
    main thread (where Python cannot take signals) this does nothing.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


SIGNAL_AFTER_RUN = "DIALER_SIGNAL_AFTER_RUN"


class _SignalAfterRun:
    """The test hook: ``DIALER_SIGNAL_AFTER_RUN=K:SIGNAME`` (e.g. ``3:SIGTERM``) makes this
    process send itself SIGNAME right after the K-th run of the process has been handed to the
    caller (who has kept it: a sweep's run file is in place). Tests stop, pause (SIGSTOP) or
    kill a command at a known run this way, instead of racing it with a clock."""

    def __init__(self) -> None:
        self.count = 0
        self.at: tuple[int, int] | None = None
        self.read = False

    def handed_over(self) -> None:
        self.count += 1
        if not self.read:
            self.read, self.at = True, self._parse(os.environ.get(SIGNAL_AFTER_RUN, ""))
        if self.at is not None and self.count == self.at[0]:
            os.kill(os.getpid(), self.at[1])

    @staticmethod
    def _parse(text: str) -> tuple[int, int] | None:
        if not text:
            return None
        k, _, name = text.partition(":")
        name = name.strip().upper()
        try:
            return int(k), int(signal.Signals[name if name.startswith("SIG") else "SIG" + name])
        except (ValueError, KeyError):
            raise InputError(
                f"{SIGNAL_AFTER_RUN}: expected RUN:SIGNAL such as 3:SIGTERM, got {text!r}"
            ) from None


_signal_after_run = _SignalAfterRun()


# -- progress --------------------------------------------------------------------------------


class Progress:
    """A one-line progress report with an ETA, on a terminal only (quiet when piped or logged)."""

    def __init__(
        self, total: int, label: str, stream: TextIO | None = None, enabled: bool | None = None
    ):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = total
        self.label = label
        self.done = 0
        self.errors = 0
        self.t0 = time.monotonic()
        self._last = 0.0

    def advance(self, error: bool = False) -> None:
        self.done += 1
        self.errors += bool(error)
        now = time.monotonic()
        if self.enabled and (now - self._last >= 0.2 or self.done == self.total):
            self._last = now
            self._show(now)

    def _show(self, now: float) -> None:
        elapsed = now - self.t0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else math.inf
        pct = 100 * self.done / self.total if self.total else 100.0
        err = f"  {self.errors} failed" if self.errors else ""
        eta = "-" if not math.isfinite(left) else _clock(left)
        line = (
            f"{self.label}: {self.done}/{self.total} runs  {pct:3.0f}%  "
            f"elapsed {_clock(elapsed)}  eta {eta}{err}"
        )
        self.stream.write("\r\x1b[2K" + line)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._last:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )
