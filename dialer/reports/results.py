"""Reading a results folder back: which kind it is, and its JSON and CSV files.

``dialer report DIR`` rebuilds a page from files alone, written by this or another run, maybe
by hand. So every read says what it found when it is not what a page needs, one line per
problem naming the file, the row and the key (``DIR/plan.json: modes: expected a mapping,
got a list``), and the report is not written.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Literal, overload

from dialer.errors import InputError

# How a folder tells its kind: the first file present wins (a sweep's manifest must say so).
KINDS = (
    ("summary.json", "run"),
    ("compare.json", "compare"),
    ("manifest.json", "sweep"),
    ("plan.json", "plan"),
    ("fit.json", "fit"),
)


def folder_kind(folder: Path) -> str:
    if not folder.exists():
        raise InputError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise InputError(f"{folder}: expected a results folder, found a file")
    for name, kind in KINDS:
        path = folder / name
        if not path.is_file():
            continue
        if kind == "sweep":
            manifest = read_json(path)
            if manifest.get("kind") != "sweep":
                raise InputError(f"{path}: kind: expected 'sweep', got {manifest.get('kind')!r}")
        return kind
    names = ", ".join(n for n, _ in KINDS)
    raise InputError(f"{folder}: expected a results folder with one of {names}; found none")


def _what(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        type(None): "null",
    }.get(type(value), "a number")


def read_json(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: expected valid JSON, got an error at line {exc.lineno} "
            f"column {exc.colno} ({exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object, got {_what(data)}")
    return data


_TYPES: dict[str, type | tuple[type, ...]] = {
    "a mapping": dict,
    "a list": list,
    "text": str,
    "a number": (int, float),
}


def need(data: dict, key: str, path: Path, expected: str = "", where: str = "") -> Any:
    """``data[key]``, checked to be ``expected`` (a mapping, a list, text, a number); else one
    line naming the file and the key."""
    name = f"{where}{key}"
    if not isinstance(data, dict) or key not in data:
        raise InputError(f"{path}: {name}: missing")
    value = data[key]
    if expected and (not isinstance(value, _TYPES[expected]) or isinstance(value, bool)):
        raise InputError(
            f"{path}: {name}: expected {expected}, got {_what(value)} {json.dumps(value)[:60]}"
        )
    return value


@overload
def number(value: Any, path: Path, name: str, optional: Literal[False]) -> float: ...
@overload
def number(value: Any, path: Path, name: str, optional: bool = True) -> float | None: ...
def number(value: Any, path: Path, name: str, optional: bool = True) -> float | None:
    """A JSON or CSV value as a float (None for null / empty when ``optional``)."""
    if value is None or value == "":
        if optional:
            return None
        raise InputError(f"{path}: {name}: expected a number, got nothing")
    if isinstance(value, bool):
        return float(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{path}: {name}: expected a number, got {value!r}") from None
    if math.isnan(x):
        return None
    return x


def read_csv(path: Path, required: list[str]) -> tuple[list[str], list[dict]]:
    """(columns, rows) of a CSV with a header holding ``required``; values stay text."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            columns = list(reader.fieldnames or [])
            missing = [c for c in required if c not in columns]
            if missing:
                raise InputError(
                    f"{path}: expected columns {', '.join(required)}; missing {', '.join(missing)}"
                )
            rows = []
            for i, row in enumerate(reader, start=2):
                if None in row:
                    raise InputError(f"{path} row {i}: expected {len(columns)} fields, got more")
                rows.append(row)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read it ({exc})") from None
    return columns, rows


def factor_value(text: str) -> Any:
    """A sweep factor's value from CSV text: a number when it reads as one, else the text."""
    try:
        x = float(text)
    except ValueError:
        return text
    return int(x) if x.is_integer() and "." not in text and "e" not in text.lower() else x
