"""Result files, written so that a reader never sees half of one.

Every file goes to a temporary name in its destination folder and is moved into place with
``os.replace`` once complete; call records stream to their temporary file while the run goes,
so a run with a million calls writes them without holding them.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from dialer.errors import InputError

_UMASK = os.umask(0)
os.umask(_UMASK)


def ensure_dir(path: str | os.PathLike, option: str = "") -> Path:
    """The results folder, made if need be; ``option`` (``--out``) is named in the errors."""
    out = Path(path)
    named = f"{option} {out}" if option else str(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{named}: expected a folder for results, found a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{named}: cannot create the results folder ({exc.strerror})") from None
    return out


# -- what a command writes, checked against what it reads, before anything runs -------------


@dataclass(frozen=True)
class Written:
    """A file a command will write: the option that names it (as given) and the file itself
    (the option's value, or a file in the folder it names)."""

    option: str
    value: str
    path: str

    def __str__(self) -> str:
        return f"{self.option} {self.value}"


def written_file(option: str, value: str | os.PathLike) -> list[Written]:
    return [Written(option, str(value), str(value))]


def written_in(option: str, folder: str | os.PathLike, names: Iterable[str]) -> list[Written]:
    return [Written(option, str(folder), os.path.join(folder, name)) for name in names]


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file (symbolic links and ``..`` resolved; for files that
    exist, hard links too)."""
    if os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b)):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_written(
    written: Iterable[Written],
    inputs: Iterable[tuple[str, str | os.PathLike]],
    *,
    allowed: Iterable[tuple[str, str | os.PathLike]] = (),
    apart: Iterable[tuple[str, str | os.PathLike]] = (),
    apart_from: Iterable[tuple[str, str | os.PathLike]] = (),
) -> None:
    """Refuse, as one line, a command whose outputs would destroy its inputs or each other.

    ``written``: every file the command writes. ``inputs``: (what it is, as a message names
    it; path) of every file it reads. Refused: two outputs that are one file, an output that
    is an existing folder, an output that is an input, unless (option, input path) is in
    ``allowed`` (a calling list written back over itself). ``apart``: (option as given,
    folder) of output folders that must not be, nor directly hold, any of ``apart_from``
    (records a report must not be written among)."""
    written, inputs, allowed = list(written), list(inputs), list(allowed)
    for i, w in enumerate(written):
        for earlier in written[:i]:
            if str(earlier) != str(w) and same_file(earlier.path, w.path):
                raise InputError(
                    f"{earlier} and {w}: expected two different files, got one file for both "
                    f"({w.path})"
                )
        if os.path.isdir(w.path):
            raise InputError(f"{w}: expected {w.path} to be a file or absent, found a folder")
        for what, path in inputs:
            if not same_file(w.path, path):
                continue
            if any(opt == w.option and same_file(p, path) for opt, p in allowed):
                continue
            if w.path == w.value:
                raise InputError(
                    f"{w}: would overwrite {what}; expected a file that is not an input"
                )
            raise InputError(
                f"{w}: its {os.path.basename(w.path)} would overwrite {what}; expected a "
                "folder where no input is overwritten"
            )
    apart_from = list(apart_from)
    for option, folder in apart:
        for what, path in apart_from:
            holder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
            if same_file(folder, holder):
                raise InputError(
                    f"{option}: expected a folder apart from {what}, got the folder that holds it"
                )


@contextmanager
def staged(folder: str | os.PathLike, option: str = "") -> Iterator[Path]:
    """A command's results folder, filled all at once: yields a temporary folder inside
    ``folder`` to write every file into; when the block ends well each file is moved into
    ``folder`` (replacing one of its name), else the temporary folder is removed, and so are
    ``folder`` and the parents this created (a stopped or failed command leaves nothing).
    ``option`` (``--out``) is named when the folder cannot be made."""
    out = Path(folder)
    created = []
    parent = out.absolute()
    while not parent.exists() and parent != parent.parent:
        created.append(parent)
        parent = parent.parent
    ensure_dir(out, option)
    moved: list[Path] = []
    stage: Path | None = None
    try:
        try:
            stage = Path(tempfile.mkdtemp(prefix=".dialer-", suffix=".tmp", dir=out))
        except OSError as exc:
            raise _naming(exc, out) from exc
        yield stage
        for item in sorted(stage.iterdir()):
            os.replace(item, out / item.name)
            moved.append(out / item.name)
        stage.rmdir()
    except BaseException:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        if created:
            for path in moved:
                path.unlink(missing_ok=True)
            for made in created:  # the deepest first
                try:
                    made.rmdir()
                except OSError:
                    break
        raise


@contextmanager
def atomic(path: str | os.PathLike, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success move it into place, else remove it.

    An OSError (a full or read-only disk) names ``path`` itself, not the temporary file: a
    write error from the system names no file at all.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _naming(exc, path) from exc
    try:
        text = "b" not in mode
        with os.fdopen(
            fd, mode, newline="" if text else None, encoding="utf-8" if text else None
        ) as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _naming(exc, path) from exc
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """The same error (same class: ENOSPC stays OSError, EACCES PermissionError) naming ``path``."""
    if exc.errno is None:
        return exc
    return OSError(exc.errno, exc.strerror, str(path))


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_json(path: str | os.PathLike, data: Any) -> None:
    with atomic(path) as fh:
        json.dump(_clean(data), fh, indent=2)
        fh.write("\n")


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic(path) as fh:
        fh.write(text)


def write_csv(path: str | os.PathLike, rows: list[dict], columns: list[str] | None = None) -> None:
    columns = columns or (list(rows[0]) if rows else [])
    with atomic(path) as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            w.writerow({k: "" if v is None else v for k, v in row.items()})
