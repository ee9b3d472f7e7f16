"""The machinery of the campaign schema: typed fields that parse, check and document themselves.

A section of the campaign file is a frozen dataclass; each field carries a :class:`Spec` in
its metadata that turns the raw YAML value into the typed value (or records a one-line
problem naming the dotted key, what was expected and what was found). :func:`build` walks a
section, rejects unknown keys with a did-you-mean hint, fills defaults, and collects every
problem instead of stopping at the first. :func:`dump` is the inverse, giving back the
resolved campaign as plain YAML-able data. No YAML is read here: see :mod:`dialer.config`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from dialer.errors import show
from dialer.rng import DIST_KINDS, Dist

BAD: Any = object()  # a value that failed to parse; its problem is already recorded


class Problems(list):
    """Collected one-line problems.

    ``base`` is the folder that relative file paths in the campaign are read from (the
    campaign file's folder; the working directory when the campaign comes from code).
    """

    def __init__(self, base: str | None = None):
        super().__init__()
        self.base = base

    def add(self, key: str, expected: str, found: object) -> Any:
        self.append(f"{key}: expected {expected}, got {show(found)}")
        return BAD

    def say(self, key: str, text: str) -> Any:
        self.append(f"{key}: {text}")
        return BAD


def did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def join(key: str, part: str | int) -> str:
    return f"{key}.{part}" if key else str(part)


class Spec:
    """How one field is read from YAML, checked, documented and written back."""

    kind = "value"

    def parse(self, raw: Any, key: str, problems: Problems) -> Any:  # pragma: no cover
        raise NotImplementedError

    def dump(self, value: Any) -> Any:
        return value


def _is_number(raw: Any) -> bool:
    return isinstance(raw, (int, float)) and not isinstance(raw, bool)


@dataclass
class Number(Spec):
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    integer: bool = False
    unit: str = ""

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "integer" if self.integer else "number"

    def expected(self) -> str:
        what = "an integer" if self.integer else "a number"
        if self.low is not None and self.high is not None:
            return f"{what} in [{self.low:g}, {self.high:g}]"
        if self.low is not None:
            return f"{what} {'>' if self.low_open else '>='} {self.low:g}"
        return what

    def parse(self, raw, key, problems):
        if not _is_number(raw) or (isinstance(raw, float) and not math.isfinite(raw)):
            return problems.add(key, self.expected(), raw)
        if self.integer and not float(raw).is_integer():
            return problems.add(key, self.expected(), raw)
        if self.low is not None and (raw < self.low or (self.low_open and raw == self.low)):
            return problems.add(key, self.expected(), raw)
        if self.high is not None and raw > self.high:
            return problems.add(key, self.expected(), raw)
        return int(raw) if self.integer else float(raw)


def Integer(low: float | None = None) -> Number:
    return Number(low, integer=True)


def Share() -> Number:
    return Number(0.0, 1.0)


def Seconds(low: float = 0.0, low_open: bool = False) -> Number:
    return Number(low, low_open=low_open, unit="s")


@dataclass
class Flag(Spec):
    kind = "true/false"

    def parse(self, raw, key, problems):
        if not isinstance(raw, bool):
            return problems.add(key, "true or false", raw)
        return raw


@dataclass
class Text(Spec):
    choices: tuple[str, ...] = ()
    kind = "text"

    def parse(self, raw, key, problems):
        if self.choices:
            if raw not in self.choices:
                hint = did_you_mean(raw, self.choices) if isinstance(raw, str) else ""
                return problems.say(
                    key, f"expected one of {', '.join(self.choices)}, got {show(raw)}{hint}"
                )
            return raw
        if not isinstance(raw, str) or not raw:
            return problems.add(key, "a non-empty text", raw)
        return raw


_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass
class TimeOfDay(Spec):
    """A quoted "HH:MM" clock time, stored as seconds after midnight ("24:00" allowed)."""

    kind = '"HH:MM"'

    def parse(self, raw, key, problems):
        if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 1440:
            hhmm = f"{raw // 60:02d}:{raw % 60:02d}"
            return problems.say(
                key,
                f'expected a quoted time "HH:MM", got the number {raw} '
                f'(YAML reads an unquoted {hhmm} as base 60; write "{hhmm}")',
            )
        m = _HHMM.match(raw) if isinstance(raw, str) else None
        if not m or int(m[2]) > 59 or int(m[1]) * 60 + int(m[2]) > 24 * 60:
            return problems.add(key, 'a quoted time "HH:MM" between "00:00" and "24:00"', raw)
        return int(m[1]) * 3600 + int(m[2]) * 60

    def dump(self, value):
        return f"{value // 3600:02d}:{value % 3600 // 60:02d}"


@dataclass
class Timestamp(Spec):
    """A local date and time "YYYY-MM-DDTHH:MM:SS" (site time)."""

    kind = '"YYYY-MM-DDTHH:MM:SS"'

    def parse(self, raw, key, problems):
        if isinstance(raw, dt.datetime):
            return raw.replace(tzinfo=None)
        if isinstance(raw, dt.date):
            return dt.datetime(raw.year, raw.month, raw.day)
        if isinstance(raw, str):
            try:
                value = dt.datetime.fromisoformat(raw)
            except ValueError:
                value = None
            if value is not None and value.tzinfo is None:
                return value
        return problems.add(key, 'a local date and time "YYYY-MM-DDTHH:MM:SS" (no offset)', raw)

    def dump(self, value):
        return value.isoformat()


_ZONES: set[str] | None = None


def _zone_names() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = set(zoneinfo.available_timezones())
    return _ZONES


@dataclass
class Zone(Spec):
    kind = "IANA time zone"

    def parse(self, raw, key, problems):
        if isinstance(raw, str) and raw:
            try:
                zoneinfo.ZoneInfo(raw)
                return raw
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass
        hint = did_you_mean(raw, _zone_names()) if isinstance(raw, str) else ""
        return problems.say(
            key, f"expected an IANA time zone such as 'America/New_York', got {show(raw)}{hint}"
        )


@dataclass
class FilePath(Spec):
    """A file that must exist, relative to the campaign file; stored as an absolute path."""

    kind = "file path"

    def parse(self, raw, key, problems):
        if not isinstance(raw, str) or not raw:
            return problems.add(key, "a file path", raw)
        path = os.path.join(problems.base or os.getcwd(), os.path.expanduser(raw))
        if not os.path.isfile(path):
            what = "a folder, not a file" if os.path.isdir(path) else "no such file"
            where = os.path.relpath(path) if not os.path.isabs(raw) else raw
            seen = ""
            if os.path.normpath(where) != os.path.normpath(raw):  # read from the file's folder
                seen = f" (relative to the file's folder: {show(where)})"
            return problems.say(key, f"{what} {show(raw)}{seen}")
        return os.path.abspath(path)


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Days(Spec):
    """Days of the week as a list of mon, tue, ... sun (stored in that order)."""

    kind = "list of days (mon ... sun)"

    def parse(self, raw, key, problems):
        if not isinstance(raw, list) or not raw:
            return problems.add(key, "a non-empty list of days such as [mon, tue, wed]", raw)
        out = set()
        for day in raw:
            name = day.lower() if isinstance(day, str) else day
            if name not in DAYS:
                hint = did_you_mean(name, DAYS) if isinstance(name, str) else ""
                return problems.say(
                    key, f"expected days among {', '.join(DAYS)}, got {show(day)}{hint}"
                )
            if name in out:
                return problems.say(key, f"expected each day once, got {show(day)} twice")
            out.add(name)
        return tuple(d for d in DAYS if d in out)

    def dump(self, value):
        return list(value)


@dataclass
class DbidZones(Spec):
    """Genesys time-zone dbids (integers) -> IANA zones."""

    kind = "mapping dbid: IANA time zone"

    def parse(self, raw, key, problems):
        if not isinstance(raw, dict) or not raw:
            return problems.add(
                key, "a non-empty mapping tz_dbid: IANA zone, such as {1: America/New_York}", raw
            )
        before = len(problems)
        out = {}
        for dbid, name in raw.items():
            if isinstance(dbid, str) and re.fullmatch(r"\d+", dbid.strip()):
                dbid = int(dbid)
            if not isinstance(dbid, int) or isinstance(dbid, bool) or dbid < 0:
                problems.add(f"{key}.{dbid}", "a tz_dbid (an integer >= 0) as the key", dbid)
                continue
            out[dbid] = Zone().parse(name, f"{key}.{dbid}", problems)
        return BAD if len(problems) > before else dict(sorted(out.items()))


_DIST_PARAMS = {
    "constant": ("value",),
    "exponential": ("mean",),
    "lognormal": ("mean", "sd"),
    "gamma": ("mean", "sd"),
    "weibull": ("mean", "sd"),
    "uniform": ("low", "high"),
    "empirical": ("values",),
}


@dataclass
class Duration(Spec):
    """A distribution of seconds: a bare number (constant) or {dist: ..., parameters}."""

    kind = "duration distribution"

    def parse(self, raw, key, problems):
        if _is_number(raw):
            if raw < 0 or not math.isfinite(raw):
                return problems.add(key, "a duration >= 0 seconds", raw)
            return Dist.constant(raw)
        if not isinstance(raw, dict):
            return problems.add(key, "a number of seconds or {dist: ..., ...}", raw)
        kind = raw.get("dist")
        if kind not in DIST_KINDS:
            if "dist" not in raw:
                return problems.say(key, f"expected a 'dist' key (one of {', '.join(DIST_KINDS)})")
            return problems.say(
                f"{key}.dist",
                f"expected one of {', '.join(DIST_KINDS)}, got {show(kind)}"
                + (did_you_mean(kind, DIST_KINDS) if isinstance(kind, str) else ""),
            )
        need = _DIST_PARAMS[kind]
        before = len(problems)
        for extra in sorted(set(raw) - set(need) - {"dist"}):
            problems.say(
                f"{key}.{extra}",
                f"unknown parameter for a {kind} distribution (it takes {', '.join(need)})"
                + did_you_mean(extra, need),
            )
        for name in need:
            if name not in raw:
                problems.say(key, f"a {kind} distribution needs '{name}'")
        if len(problems) > before:
            return BAD
        if kind == "empirical":
            vals = raw["values"]
            if (
                not isinstance(vals, list)
                or not vals
                or not all(_is_number(v) and v >= 0 for v in vals)
            ):
                return problems.add(f"{key}.values", "a non-empty list of seconds >= 0", vals)
            return Dist("empirical", values=tuple(float(v) for v in vals))
        nums = {}
        for name in need:
            v = raw[name]
            ok = _is_number(v) and math.isfinite(v) and v >= 0
            if ok and name == "mean" and v <= 0:
                ok = False
            if not ok:
                problems.add(
                    f"{key}.{name}", "a number > 0" if name == "mean" else "a number >= 0", v
                )
            nums[name] = v
        if len(problems) > before:
            return BAD
        if kind == "constant":
            return Dist.constant(nums["value"])
        if kind == "exponential":
            return Dist(kind, mean_=float(nums["mean"]))
        if kind == "uniform":
            if nums["high"] < nums["low"]:
                return problems.add(
                    f"{key}.high", f"a number >= low ({nums['low']:g})", nums["high"]
                )
            return Dist(kind, low=float(nums["low"]), high=float(nums["high"]))
        return Dist(kind, mean_=float(nums["mean"]), sd=float(nums["sd"]))

    def dump(self, value):
        return value.to_yaml()


@dataclass
class Optional(Spec):
    inner: Spec = field(default_factory=Spec)

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"{self.inner.kind} or null"

    def parse(self, raw, key, problems):
        return None if raw is None else self.inner.parse(raw, key, problems)

    def dump(self, value):
        return None if value is None else self.inner.dump(value)


@dataclass
class Shares(Spec):
    """A mapping name -> share that sums to 1 (e.g. time zone -> share of records)."""

    key_spec: Spec = field(default_factory=Spec)
    kind = "mapping of shares summing to 1"

    def parse(self, raw, key, problems):
        if not isinstance(raw, dict) or not raw:
            return problems.add(key, "a non-empty mapping name: share", raw)
        before = len(problems)
        out = {}
        for name, share in raw.items():
            k = self.key_spec.parse(name, f"{key}.{name}", problems)
            v = Share().parse(share, f"{key}.{name}", problems)
            out[k] = v
        if len(problems) > before:
            return BAD
        total = sum(out.values())
        if abs(total - 1.0) > 1e-6:
            return problems.say(key, f"expected shares summing to 1, got {total:g}")
        return dict(out)


@dataclass
class Section(Spec):
    cls: type = object

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "mapping"

    def parse(self, raw, key, problems):
        return build(self.cls, raw, key, problems)

    def dump(self, value):
        return dump(value)


@dataclass
class Items(Spec):
    """A non-empty list of sections; an item may be addressed by index or by its ``name``."""

    cls: type = object
    min_items: int = 1
    kind = "list"

    def parse(self, raw, key, problems):
        if raw is None and self.min_items == 0:
            return ()
        if not isinstance(raw, list) or len(raw) < self.min_items:
            return problems.add(key, "a non-empty list" if self.min_items else "a list", raw)
        before = len(problems)
        out = [build(self.cls, item, join(key, i), problems) for i, item in enumerate(raw)]
        names = [getattr(item, "name", None) for item in out if item is not BAD]
        dupes = sorted({n for n in names if n is not None and names.count(n) > 1})
        if dupes:
            problems.say(key, f"expected unique names, got '{dupes[0]}' twice")
        return BAD if len(problems) > before else tuple(out)

    def dump(self, value):
        return [dump(v) for v in value]


def opt(spec: Spec, default: Any = MISSING, doc: str = "", factory: Callable | None = None):
    """A schema field: its parser, default and one-line documentation."""
    meta = {"spec": spec, "doc": doc}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def section(cls: type, doc: str = ""):
    return opt(Section(cls), factory=cls, doc=doc)


def parse_fields(
    cls: type, raw: dict, key: str, problems: Problems, defaults: bool = False
) -> dict[str, Any]:
    """Each field of section ``cls`` given in ``raw``, parsed on its own (:data:`BAD` where it
    failed, or is required and missing), every problem recorded under dotted ``key``, unknown
    keys too; with ``defaults`` the absent optional fields get their defaults, else they are
    left out (the dataclass fills them)."""
    names = [f.name for f in fields(cls)]
    for k in raw:
        if k not in names:
            hint = did_you_mean(k, names) or _one_level_down(cls, k, key)
            problems.say(join(key, k), "unknown key" + hint)
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in raw:
            values[f.name] = f.metadata["spec"].parse(raw[f.name], join(key, f.name), problems)
        elif f.default is MISSING and f.default_factory is MISSING:
            values[f.name] = problems.say(join(key, f.name), "missing (required)")
        elif defaults:
            factory = f.default_factory
            values[f.name] = factory() if callable(factory) else f.default
    return values


def build(cls: type, raw: Any, key: str, problems: Problems) -> Any:
    """Build section ``cls`` from ``raw``, recording every problem under dotted ``key``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return problems.add(key or "campaign", "a mapping", raw)
    before = len(problems)
    values = parse_fields(cls, raw, key, problems)
    if len(problems) > before:
        return BAD
    obj = cls(**values)
    check = getattr(obj, "check", None)
    if check is not None:
        check(key, problems)
    return BAD if len(problems) > before else obj


def _one_level_down(cls: type, word: Any, key: str) -> str:
    """A hint for a key written a level too high: ``ratio`` at the top is ``dialing.ratio``."""
    found = []
    for f in fields(cls):
        spec = f.metadata["spec"]
        inner = getattr(spec, "inner", spec)  # an optional section is still a section
        if isinstance(inner, Section) and word in {g.name for g in fields(inner.cls)}:
            found.append(join(join(key, f.name), str(word)))
    if not found:
        return ""
    return " (did you mean " + " or ".join(f"'{w}'" for w in found[:3]) + "?)"


def dump(obj: Any) -> dict:
    """The resolved section as plain data (the inverse of :func:`build`)."""
    return {f.name: f.metadata["spec"].dump(getattr(obj, f.name)) for f in fields(obj)}


def describe(cls: type, key: str = "") -> list[tuple[str, str, str, str]]:
    """(dotted key, kind, default, doc) for every field, for the docs."""
    rows = []
    for f in fields(cls):
        spec, doc = f.metadata["spec"], f.metadata["doc"]
        k = join(key, f.name)
        if isinstance(spec, Section):
            rows.append((k, "section", "", doc))
            rows.extend(describe(spec.cls, k))
            continue
        if isinstance(spec, Optional) and isinstance(spec.inner, Section):
            rows.append((k, "mapping or null", "null", doc))
            rows.extend(describe(spec.inner.cls, k))
            continue
        if isinstance(spec, Items):
            rows.append((k, "list", "", doc))
            rows.extend(describe(spec.cls, k + ".<i>"))
            continue
        default = (
            f.default
            if f.default is not MISSING
            else (f.default_factory() if f.default_factory is not MISSING else "required")
        )
        if default not in ("required",):
            default = spec.dump(default) if default is not None else None
        rows.append((k, spec.kind, str(default), doc))
    return rows
