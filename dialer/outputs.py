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
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from dialer.errors import InputError

_UMASK = os.umask(0)
os.umask(_UMASK)


def ensure_dir(path: str | os.PathLike) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: expected a folder for results, found a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the results folder ({exc.strerror})") from None
    return out


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
