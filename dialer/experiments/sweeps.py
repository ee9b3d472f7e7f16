"""Sweeps: a campaign, factors to vary, replications; one tidy row per run.

A sweep file (``experiments/*.yaml``) names a campaign (relative to the sweep file), the
factors to vary (dotted campaign keys, each with a list of values; the cells are their
cartesian product, and a ``zip`` group moves several keys together), a seed and a number of
replications. Replication *r* runs with a seed derived from (sweep seed, *r*) only, so every
cell sees the same replications: differences between cells are paired comparisons on common
random numbers.

The file is checked whole before anything runs, with the campaign's own one-line problems:
an unknown key with a did-you-mean hint, a factor key that is not a campaign key, a value the
campaign refuses (naming the cell); and, before the backend starts or the results folder is
made, the list and DNC files of every cell (:func:`read_sweep_files`). Running is
:mod:`dialer.pool`'s part, the results folder :mod:`dialer.store`'s, cell statistics
:mod:`dialer.aggregate`'s; :func:`sweep` ties them together and returns the rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from dialer.centre import Centre, load
from dialer.config import TREATABLE, Campaign, Treatment, is_centre, load_yaml_mapping
from dialer.errors import InputError, show
from dialer.schema import (
    BAD,
    Duration,
    Flag,
    Items,
    Number,
    Optional,
    Problems,
    Section,
    Shares,
    Spec,
    Text,
    TimeOfDay,
    Timestamp,
    Zone,
    did_you_mean,
    opt,
    parse_fields,
)

DIST_PARAMS = ("dist", "value", "mean", "sd", "low", "high", "values")
# A grid with more runs than this needs an explicit yes (``--yes``; ``max_runs=None``): a typo
# in a factor list should not start a month of computing or fill a disk with run files.
MAX_RUNS = 100_000
# A sweep's name becomes a folder name (results/<name>): one plain path component.
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
# Summary values that are not numbers: kept in rows, never averaged.
TEXT_METRICS = ("compliance_regime",)


# -- the sweep file's schema -----------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """One dimension of the sweep: a factor, or a zip group of factors moving together."""

    keys: tuple[str, ...]
    levels: tuple[tuple[Any, ...], ...]  # one value per key at each level


def _dotted(key: Any, where: str, problems: Problems) -> bool:
    if not isinstance(key, str) or not key or not all(key.split(".")):
        problems.add(where, "a dotted campaign key such as dialing.ratio", key)
        return False
    return True


def _values(raw: Any, key: str, problems: Problems) -> tuple | None:
    if not isinstance(raw, list) or not raw:
        problems.add(key, "a non-empty list of values", raw)
        return None
    seen = []
    for v in raw:
        if v in seen:
            problems.say(key, f"expected distinct values, got {show(v)} twice")
            return None
        seen.append(v)
    return tuple(raw)


class Factors(Spec):
    """``dotted.key: [values]``; ``zip: {key: [values], ...}`` (or a list of such groups)."""

    kind = "mapping dotted key: list of values"

    def parse(self, raw, key, problems):
        if raw is None:
            return ()
        if not isinstance(raw, dict):
            return problems.add(key, "a mapping dotted.key: [values]", raw)
        before = len(problems)
        axes = []
        for k, v in raw.items():
            if k == "zip":
                groups = v if isinstance(v, list) else [v]
                for i, group in enumerate(groups):
                    where = f"{key}.zip" if not isinstance(v, list) else f"{key}.zip.{i}"
                    axis = self._zip(group, where, problems)
                    if axis is not None:
                        axes.append(axis)
                continue
            if not _dotted(k, key, problems):
                continue
            vals = _values(v, f"{key}.{k}", problems)
            if vals is not None:
                axes.append(Axis((k,), tuple((x,) for x in vals)))
        return BAD if len(problems) > before else tuple(axes)

    @staticmethod
    def _zip(group, where, problems) -> Axis | None:
        if not isinstance(group, dict) or not group:
            problems.add(
                where, "a mapping dotted.key: [values] of factors that move together", group
            )
            return None
        cols = {}
        for k, v in group.items():
            if _dotted(k, where, problems):
                vals = _values(v, f"{where}.{k}", problems)
                if vals is not None:
                    cols[k] = vals
        if len(cols) != len(group):
            return None
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1:
            found = ", ".join(f"{k}: {len(v)}" for k, v in cols.items())
            problems.say(where, f"expected lists of one length, got {found}")
            return None
        return Axis(tuple(cols), tuple(zip(*cols.values())))


class Assignments(Spec):
    """A mapping dotted key -> one value."""

    kind = "mapping dotted key: value"

    def parse(self, raw, key, problems):
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            return problems.add(key, "a mapping dotted.key: value", raw)
        before = len(problems)
        for k in raw:
            _dotted(k, key, problems)
        return BAD if len(problems) > before else dict(raw)


class Names(Spec):
    kind = "list of names"

    def parse(self, raw, key, problems):
        if not isinstance(raw, list) or not raw or not all(isinstance(x, str) and x for x in raw):
            return problems.add(key, "a non-empty list of summary metric names", raw)
        return tuple(raw)

    def dump(self, value):
        return list(value)


class PlainName(Spec):
    """A name that is one folder name: no ``/``, no ``..``, nothing hidden."""

    kind = "plain name"

    def parse(self, raw, key, problems):
        if raw is None:
            return None
        if not isinstance(raw, str) or not raw or raw.startswith(".") or not set(raw) <= NAME_CHARS:
            return problems.add(
                key,
                "a plain name (letters, digits, '.', '_', '-'; not starting with '.'), "
                "which names the results folder results/<name>",
                raw,
            )
        return raw


@dataclass(frozen=True)
class SweepFile:
    campaign: str = opt(Text(), doc="campaign file, relative to the sweep file")
    name: str | None = opt(
        PlainName(), None, "the sweep's name: results/<name> by default (default: the file's name)"
    )
    seed: int = opt(
        Number(0, integer=True), 1, "replication r runs with a seed derived from (seed, r)"
    )
    replications: int = opt(
        Number(1, integer=True), 10, "runs per cell, the same seeds in every cell"
    )
    set: dict = opt(Assignments(), factory=dict, doc="dotted campaign keys fixed for every run")
    factors: tuple = opt(
        Factors(),
        factory=tuple,
        doc="dotted campaign keys -> lists of values (cartesian product); zip: moves together",
    )
    metrics: tuple | None = opt(
        Optional(Names()), None, "summary metrics for cells.csv (default: every numeric one)"
    )
    baseline: dict | None = opt(
        Optional(Assignments()),
        None,
        "factor values of the baseline for paired.csv (default: the first level of the first factor)",
    )


# -- campaign keys ---------------------------------------------------------------------------


def _schema_has(cls: type, parts: list[str]) -> bool:
    """Whether ``parts`` name a value in section ``cls`` of the campaign schema."""
    if not parts:
        return True
    spec_of = {f.name: f.metadata["spec"] for f in fields(cls)}
    spec = spec_of.get(parts[0])
    rest = parts[1:]
    if spec is None:
        return False
    if isinstance(spec, Optional):
        spec = spec.inner
    if isinstance(spec, Section):
        return _schema_has(spec.cls, rest)
    if isinstance(spec, Items) and spec.cls is Treatment:  # treatments.<result>.<key>
        return not rest or (rest[0] in TREATABLE and _schema_has(Treatment, rest[1:]))
    if isinstance(
        spec, Items
    ):  # agents.groups.<name or index>.<key>; the item is checked on override
        return not rest or _schema_has(spec.cls, rest[1:])
    if isinstance(spec, Duration):
        return len(rest) <= 1 and (not rest or rest[0] in DIST_PARAMS)
    if isinstance(spec, Shares):
        return len(rest) <= 1
    if isinstance(spec, (Number, Flag, Text, TimeOfDay, Timestamp, Zone)):
        return not rest
    # a mapping of its own (population.by_hour."09:00".human, calling_list.time_zones.<dbid>):
    # its inner keys are checked when a cell is built
    return True


def _leaf_keys(node: Any, prefix: str = "") -> list[str]:
    """Every dotted key of a campaign dict (list items by name), for did-you-mean hints."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            out.append(key)
            out += _leaf_keys(v, key)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            name = item.get("name", i) if isinstance(item, dict) else i
            out += _leaf_keys(item, f"{prefix}.{name}")
    return out


def _centre_has(parts: list[str]) -> bool:
    """Whether ``parts`` name a value of a centre: its own keys, a queue's or a group's, and
    ``campaigns.<name>.<key>`` a campaign entry's key or any campaign key."""
    from dialer.centre import ENTRY_KEYS, Centre, EntryKeys

    if parts[0] != "campaigns":
        return _schema_has(Centre, parts)
    tail = parts[2:]
    if not tail:
        return True
    if tail[0] in ENTRY_KEYS:
        return _schema_has(EntryKeys, tail)
    return _schema_has(Campaign, tail)


def check_campaign_key(
    key: str, where: str, known: list[str], problems: Problems, centre: bool = False
) -> bool:
    if key == "seed":
        problems.say(
            where,
            "the sweep sets each run's seed (from its seed and replication); "
            "use the sweep's seed and replications",
        )
        return False
    parts = key.split(".")
    if not (_centre_has(parts) if centre else _schema_has(Campaign, parts)):
        what = "centre" if centre else "campaign"
        problems.say(where, f"unknown {what} key" + did_you_mean(key, known))
        return False
    return True


# -- the resolved sweep ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    index: int
    factors: dict
    campaign: Campaign | Centre

    def label(self) -> str:
        return (
            ", ".join(f"{k}={_text(v)}" for k, v in self.factors.items())
            or "(the campaign as it is)"
        )


def _text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True)


@dataclass(frozen=True)
class Sweep:
    name: str  # the results folder's default name, results/<name>
    source: str
    spec: dict  # the sweep file as resolved (defaults filled), for the manifest
    base: Campaign | Centre  # the campaign (or centre) with `set` applied
    seed: int
    replications: int
    axes: tuple[Axis, ...]
    cells: tuple[Cell, ...]
    metrics: tuple[str, ...] | None
    baseline: dict

    @property
    def factor_keys(self) -> list[str]:
        return [k for axis in self.axes for k in axis.keys]

    def seeds(self) -> list[int]:
        from dialer.experiments.pool import replication_seed

        return [replication_seed(self.seed, r) for r in range(self.replications)]

    def runs(self) -> list[tuple[tuple[int, int, int], Campaign | Centre]]:
        """((cell, replication, seed), campaign) for every run, in row order."""
        seeds = self.seeds()
        return [
            ((cell.index, r, s), dataclasses.replace(cell.campaign, seed=s))
            for cell in self.cells
            for r, s in enumerate(seeds)
        ]

    def identity(self) -> dict:
        """What decides the runs' results (replications only decide how many there are)."""
        campaign = self.base.to_dict()
        campaign.pop("seed", None)  # replaced in every run
        return {
            "campaign": campaign,
            "factors": [
                {"keys": list(a.keys), "levels": [list(lv) for lv in a.levels]} for a in self.axes
            ],
            "seed": self.seed,
        }

    def spec_id(self) -> str:
        text = json.dumps(self.identity(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_sweep(path: str | os.PathLike, max_runs: int | None = MAX_RUNS) -> Sweep:
    """Read and check a sweep file; every problem raised as one InputError."""
    raw = load_yaml_mapping(path)
    if "campaign" not in raw and "factors" not in raw and any(k in raw for k in _SCENARIO_KEYS):
        kind = "centre" if is_centre(raw) else "campaign"
        raise InputError(
            f"{path}: expected a sweep file (campaign: and factors:), got a {kind} file: run it "
            f"with `dialer run {path}`, or name it in a sweep file's campaign:"
        )
    return sweep_from_mapping(raw, str(path), Path(path).parent, max_runs=max_runs)


# keys only a campaign or a centre file has: a sweep file named for one is a mix-up of the two
_SCENARIO_KEYS = ("agents", "dialing", "calling_list", "population", "queues", "campaigns")


def sweep_from_mapping(
    raw: dict,
    source: str = "sweep",
    base_dir: str | os.PathLike = ".",
    *,
    max_runs: int | None = MAX_RUNS,
) -> Sweep:
    """A sweep from plain data; ``campaign`` is a path (relative to ``base_dir``) or a Campaign.

    Every problem found is raised together, one line each, in the order of the file's keys:
    unknown keys, bad values, factor keys the campaign does not have, values a cell refuses,
    metrics and the baseline. Only what depends on a failed part is left unchecked (no cells
    without a readable campaign, say).

    A grid of more than ``max_runs`` runs (cells x replications) is refused before any cell is
    built; ``None`` allows any size.
    """
    raw = dict(raw)
    given = raw.get("campaign")
    campaign_obj = given if isinstance(given, (Campaign, Centre)) else None
    if campaign_obj is not None:
        raw["campaign"] = campaign_obj.name
    order = {str(k): i for i, k in enumerate(raw)}
    found: list[tuple[int, str]] = []  # (position of the top-level key in the file, line)

    def report(top: str, lines: list[str]) -> None:
        found.extend((order.get(top, -1), f"{source}: {line}") for line in lines)

    # each field on its own, so that one bad key does not hide the others' problems
    parsed = Problems()
    values = parse_fields(SweepFile, raw, "", parsed, defaults=True)
    for line in parsed:  # "factors.dialing.ratoi: ..." belongs with factors
        report(line.split(":", 1)[0].split(".", 1)[0], [line])
    factors = values["factors"]
    factors_ok = factors is not BAD

    too_big = None
    if factors_ok and values["replications"] is not BAD:
        too_big = _size_problem(factors, values["replications"], max_runs)
        if too_big:
            report("factors", [too_big])

    base: Campaign | Centre | None = campaign_obj
    if base is None and values["campaign"] is not BAD:
        try:
            base = load(Path(base_dir) / values["campaign"])
        except InputError as exc:
            report("campaign", [f"campaign: {p}" for p in exc.problems])

    fixed: Campaign | Centre | None = None
    good_keys: set[str] = set()
    if base is not None:
        known = _leaf_keys(base.to_dict())
        centre = isinstance(base, Centre)
        fixed_set: dict = {}
        if values["set"] is not BAD:
            keyed = Problems()
            for k, v in values["set"].items():
                if check_campaign_key(k, f"set.{k}", known, keyed, centre):
                    fixed_set[k] = v
            report("set", keyed)
        if factors_ok:
            keyed = Problems()
            seen: set[str] = set()
            for axis in factors:
                for k in axis.keys:
                    if check_campaign_key(k, f"factors.{k}", known, keyed, centre):
                        good_keys.add(k)
                    if values["set"] is not BAD and k in values["set"]:
                        keyed.say(
                            f"factors.{k}", "also fixed in set (a key is either fixed or varied)"
                        )
                    if k in seen:
                        keyed.say(f"factors.{k}", "given twice (once is enough)")
                    seen.add(k)
            report("factors", keyed)
        if values["set"] is not BAD:
            try:
                fixed = base.override(fixed_set) if fixed_set else base
            except InputError as exc:
                report("set", [f"set.{p}" for p in exc.problems])

    cells = []
    if fixed is not None and factors_ok and not too_big:
        reported: set[str] = set()
        lines: list[str] = []
        for index, levels in enumerate(itertools.product(*(a.levels for a in factors))):
            cell_factors = {
                k: v for axis, lv in zip(factors, levels) for k, v in zip(axis.keys, lv)
            }
            # a factor key already reported as unknown is left out, not reported again per cell
            changes = {k: v for k, v in cell_factors.items() if k in good_keys}
            try:
                campaign = fixed.override(changes) if changes else fixed
            except InputError as exc:
                label = Cell(index, cell_factors, fixed).label()
                for p in exc.problems:
                    if p not in reported:
                        reported.add(p)
                        lines.append(f"cell {index} ({label}): {p}")
                continue
            cells.append(Cell(index, cell_factors, campaign))
        if len(lines) > 10:
            lines = lines[:10] + [f"... and {len(lines) - 10} more problems"]
        report("factors", lines)

    metrics = values["metrics"]
    if metrics is not BAD and base is not None:
        of = fixed if fixed is not None else base
        report("metrics", _metric_problems(metrics, of if isinstance(of, Centre) else None))
    baseline: dict = {}
    if factors_ok and values["baseline"] is not BAD:
        baseline, lines = _baseline_problems(values["baseline"], factors)
        report("baseline", lines)

    if found:
        raise InputError([line for _, line in sorted(found, key=lambda f: f[0])])
    assert fixed is not None
    spec = SweepFile(**values)
    name = spec.name or _default_name(source)
    resolved = {
        "name": name,
        "campaign": spec.campaign if campaign_obj is None else None,
        "seed": spec.seed,
        "replications": spec.replications,
        "set": dict(spec.set),
        # every factor as dotted key -> its values in cell order; zip groups named apart
        "factors": {
            k: [lv[i] for lv in a.levels] for a in spec.factors for i, k in enumerate(a.keys)
        },
        "zip": [list(a.keys) for a in spec.factors if len(a.keys) > 1],
        "metrics": list(metrics) if metrics else None,
        "baseline": baseline,
    }
    return Sweep(
        name,
        source,
        resolved,
        fixed,
        spec.seed,
        spec.replications,
        tuple(spec.factors),
        tuple(cells),
        metrics or None,
        baseline,
    )


def _size_problem(axes: tuple, replications: int, max_runs: int | None) -> str | None:
    cells = 1
    for axis in axes:
        cells *= len(axis.levels)
    runs = cells * replications
    if max_runs is not None and runs > max_runs:
        return (
            f"{cells:,} cells x {replications:,} "
            f"replication{'s' if replications != 1 else ''} = {runs:,} runs, "
            f"more than {max_runs:,}; check the factors, or add --yes to run them all"
        )
    return None


def _default_name(source: str) -> str:
    """The sweep file's name without .yaml, as a plain folder name."""
    stem = Path(source).stem
    cleaned = "".join(ch if ch in NAME_CHARS else "_" for ch in stem).lstrip(".")
    return cleaned or "sweep"


_SUMMARY_KEYS: list[str] | None = None


def summary_keys(centre: Centre | None = None) -> list[str]:
    """The scalar summary keys a run gives (from a one-second run, so never out of date); of a
    centre: its own (its queues', campaigns' and groups' by name)."""
    global _SUMMARY_KEYS
    if centre is not None:
        from dialer.experiments.pool import scalar_summary
        from dialer.experiments.run import simulate

        tiny_centre = centre.override({"horizon_s": 1, "warmup_s": 0})
        return list(scalar_summary(simulate(tiny_centre).summary))
    if _SUMMARY_KEYS is None:
        from dialer.experiments.pool import scalar_summary
        from dialer.experiments.run import simulate

        tiny = Campaign().override({"horizon_s": 1, "calling_list.size": 1})
        _SUMMARY_KEYS = list(scalar_summary(simulate(tiny).summary))
    return _SUMMARY_KEYS


def _metric_problems(metrics: tuple | None, centre: Centre | None = None) -> list[str]:
    """One line per metric that is not a numeric summary key (of ``centre``, if given)."""
    if not metrics:
        return []
    known = [k for k in summary_keys(centre) if k.split(".")[-1] not in TEXT_METRICS]
    problems = []
    for m in metrics:
        if m.split(".")[-1] in TEXT_METRICS:
            problems.append(f"metrics: '{m}' is a text, not a number")
        elif m not in known:
            problems.append(f"metrics: '{m}' is not a summary metric{did_you_mean(m, known)}")
    return problems


def _baseline_problems(baseline: dict | None, axes: tuple) -> tuple[dict, list[str]]:
    """The baseline as factor values (default: the first level of the first axis), and one
    line per problem with it (then the baseline is empty)."""
    if not axes:
        if baseline:
            return {}, ["baseline: the sweep has no factors to choose a baseline from"]
        return {}, []
    if baseline is None:
        first = axes[0]
        return dict(zip(first.keys, first.levels[0])), []
    keys = [k for a in axes for k in a.keys]
    problems = []
    for k, v in baseline.items():
        if k not in keys:
            problems.append(f"baseline.{k}: not a factor of this sweep{did_you_mean(k, keys)}")
            continue
        axis = next(a for a in axes if k in a.keys)
        values = [lv[axis.keys.index(k)] for lv in axis.levels]
        if v not in values:
            problems.append(
                f"baseline.{k}: expected one of the factor's values "
                f"({', '.join(_text(x) for x in values)}), got {show(v)}"
            )
    for axis in axes:
        named = [k for k in axis.keys if k in baseline]
        if named and not problems:
            matches = [
                lv
                for lv in axis.levels
                if all(lv[axis.keys.index(k)] == baseline[k] for k in named)
            ]
            if len(matches) != 1:
                problems.append(
                    f"baseline: {', '.join(named)} matches {len(matches)} levels "
                    f"of the zip group {', '.join(axis.keys)} (expected one)"
                )
    if problems:
        return {}, problems
    # complete zip groups: naming one member selects the whole level
    out: dict[str, Any] = {}
    for axis in axes:
        named = [k for k in axis.keys if k in baseline]
        if named:
            lv = next(
                lv
                for lv in axis.levels
                if all(lv[axis.keys.index(k)] == baseline[k] for k in named)
            )
            out.update(zip(axis.keys, lv))
    return out, []


def read_sweep_files(sw: Sweep) -> None:
    """Read the list and DNC files of every cell (a factor may change ``calling_list.file`` or
    ``dnc.file``), each distinct set once, so that a bad one ends the sweep before any run or
    any file of its folder: one line naming the sweep file, the cell if the files are its own,
    and the list file's row."""
    from dialer.centre import read_list_files
    from dialer.experiments.run import list_files_key

    base = list_files_key(sw.base)
    seen: set[str] = set()
    for cell in sw.cells:
        key = list_files_key(cell.campaign)
        if key in seen:
            continue
        seen.add(key)
        try:
            read_list_files(cell.campaign)
        except InputError as exc:
            where = "campaign" if key == base else f"cell {cell.index} ({cell.label()})"
            raise InputError([f"{sw.source}: {where}: {p}" for p in exc.problems]) from None


# -- running ---------------------------------------------------------------------------------


@dataclass
class SweepResult:
    sweep: Sweep
    rows: list[dict]
    columns: list[str]
    cells: list[dict]  # cells.csv rows
    paired: list[dict]  # paired.csv rows
    new: int = 0
    resumed: int = 0
    errors: int = 0
    wall_s: float = 0.0
    runs_wall_s: float = 0.0  # time inside simulate() of the new runs (the rest is machinery)
    backend: dict = dataclasses.field(default_factory=dict)
    out: Path | None = None


def make_row(
    sweep: Sweep, key: tuple[int, int, int], summary: dict | None, error: str | None
) -> dict:
    cell_index, replication, seed = key
    cell = sweep.cells[cell_index]  # every cell passed its checks, so index == position
    row: dict = {"cell": cell_index, **cell.factors, "replication": replication, "seed": seed}
    row.update(summary or {})
    row["error"] = error
    return row


def tidy(sweep: Sweep, rows: list[dict]) -> tuple[list[dict], list[str]]:
    """Rows sorted by (cell, replication), every row with every column (None where absent)."""
    rows = sorted(rows, key=lambda r: (r["cell"], r["replication"]))
    head = ["cell", *sweep.factor_keys, "replication", "seed"]
    metrics: list[str] = []
    seen = set(head) | {"error"}
    for row in rows:
        for k in row:
            if k not in seen:
                seen.add(k)
                metrics.append(k)
    columns = [*head, *metrics, "error"]
    return [{c: row.get(c) for c in columns} for row in rows], columns


def sweep(
    spec: str | os.PathLike | dict | Sweep,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    out: str | os.PathLike | None = None,
    progress: bool | None = None,
    max_runs: int | None = MAX_RUNS,
) -> list[dict]:
    """Run a sweep and return its tidy rows (one per run, sorted by cell and replication).

    ``spec`` is a sweep file, a mapping with the same keys (``campaign`` a path relative to the
    working folder, or a :class:`~dialer.config.Campaign`), or a loaded :class:`Sweep`.
    ``workers`` local processes (default: every core; 1 runs in this process) or a Dask
    ``scheduler`` (address or ``distributed.Client``). With ``out`` every run is saved as it
    finishes and a second call resumes; without it nothing is written. A grid of more than
    ``max_runs`` runs is refused (``None``: any size).
    """
    return run_sweep(
        spec, workers=workers, scheduler=scheduler, out=out, progress=progress, max_runs=max_runs
    ).rows


def run_sweep(
    spec: str | os.PathLike | dict | Sweep,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    out: str | os.PathLike | None = None,
    progress: bool | None = None,
    max_runs: int | None = MAX_RUNS,
) -> SweepResult:
    """:func:`sweep` with everything the command line reports.

    With ``out``, the folder is locked for the whole call (:class:`~dialer.experiments.store.
    FolderLock`: a second writer is refused with :class:`~dialer.experiments.store.FolderInUse`).
    An interrupt (``KeyboardInterrupt``, or :class:`~dialer.experiments.pool.Stopped` under the
    command line's SIGTERM handling), a failed backend, or a results file that cannot be written
    (:class:`~dialer.experiments.store.ResultsUnwritable`) stops the sweep: the finished runs are
    kept, the tables are rebuilt from them where the disk allows, and the exception propagates.
    """
    from contextlib import AbstractContextManager, nullcontext

    from dialer.experiments.aggregate import cell_table, paired_table
    from dialer.experiments.pool import BackendError, Progress, backend, execute
    from dialer.experiments.store import FolderLock, ResultsUnwritable, SweepStore

    if isinstance(spec, Sweep):
        sw = spec
    elif isinstance(spec, dict):
        sw = sweep_from_mapping(spec, max_runs=max_runs)
    else:
        sw = load_sweep(spec, max_runs=max_runs)

    read_sweep_files(sw)
    t0 = time.perf_counter()
    store = SweepStore(Path(out), sw) if out is not None else None
    lock: AbstractContextManager = FolderLock(store.out, "sweep") if store else nullcontext()
    rows: list[dict] = []
    unwritten: list[dict] = []  # runs that finished but whose file could not be written
    result = SweepResult(sw, [], [], [], [], out=store.out if store else None)
    total = len(sw.cells) * sw.replications

    def on_done(outcome) -> None:
        row = make_row(sw, outcome.key, outcome.summary, outcome.error)
        if store:
            try:
                store.commit(row, wall_s=outcome.wall_s)
            except ResultsUnwritable as exc:
                unwritten.append(make_row(sw, outcome.key, None, str(exc)))
                raise
        rows.append(row)
        result.new += 1
        result.runs_wall_s += outcome.wall_s
        bar.advance(error=outcome.error is not None)

    def finish(complete: bool) -> None:
        result.rows, result.columns = tidy(sw, rows)
        result.errors = sum(1 for r in result.rows if r["error"])
        result.cells = cell_table(sw, result.rows)
        result.paired = paired_table(sw, result.rows)
        result.wall_s = time.perf_counter() - t0
        if store:
            store.finish(result, complete=complete)

    # the backend first: a missing Dask or a bad --workers must not leave a folder behind
    with backend(workers, scheduler) as b, lock:
        result.backend = b.describe()
        opened = False
        try:
            if store:
                rows += store.open()
                opened = True
            done = {(r["cell"], r["replication"]) for r in rows if not r.get("error")}
            rows[:] = [r for r in rows if (r["cell"], r["replication"]) in done]  # failed: again
            result.resumed = len(rows)
            todo = [(key, c) for key, c in sw.runs() if key[:2] not in done]
            bar = Progress(len(todo), f"sweep {sw.name}", enabled=progress)
            try:
                execute(todo, b, on_done)
            finally:
                bar.close()
        except (KeyboardInterrupt, BackendError, ResultsUnwritable) as exc:
            if store and opened:
                # the files decide: an interrupt may fall between a commit and its row
                rows[:] = store.read_rows()
                kept = len(rows)
                rows.extend(unwritten)
                try:
                    finish(complete=False)
                except ResultsUnwritable:
                    pass  # the tables stay as they were; the run files are what counts
            else:
                kept = len(rows)
            if isinstance(exc, ResultsUnwritable):
                exc.kept, exc.total = kept, total
            raise
        try:
            finish(complete=True)
        except ResultsUnwritable as exc:  # every run is kept; the tables could not be written
            exc.kept, exc.total = len(rows), total
            raise
    return result


def format_sweep(result: SweepResult, limit: int = 40) -> str:
    """What a sweep did, and each cell's headline metrics with their 95% intervals."""
    sw = result.sweep
    total = len(sw.cells) * sw.replications
    b = result.backend or {}
    where = {
        "inline": "in this process",
        "processes": f"on {b.get('workers')} processes",
        "dask": f"on Dask at {b.get('scheduler')} ({b.get('workers')} threads)",
    }.get(str(b.get("kind")), "")
    lines = [
        f"sweep {sw.name}: {len(result.rows)} of {total} runs "
        f"({result.new} new, {result.resumed} resumed, {result.errors} failed) "
        f"in {result.wall_s:.1f} s {where}".rstrip()
    ]
    if result.out is not None:
        lines.append(f"results in {result.out}/: runs.csv, cells.csv, paired.csv, manifest.json")
    if result.errors:
        first = next(r for r in result.rows if r["error"])
        lines.append(
            f"first failure: cell {first['cell']} replication {first['replication']}: {first['error']}"
        )
    shown = list(
        sw.metrics or [m for m in ("occupancy", "abandon_rate", "connects_per_agent_hour")]
    )[:3]
    stats = {(tuple(_text(r[k]) for k in sw.factor_keys), r["metric"]): r for r in result.cells}
    head = [*sw.factor_keys, *shown]
    table = [head]
    for cell in sw.cells[:limit]:
        key = tuple(_text(v) for v in cell.factors.values())
        row = list(key)
        for m in shown:
            s = stats.get((key, m))
            if not s or s["mean"] is None:
                row.append("-")
            elif s["ci_low"] is None:
                row.append(f"{s['mean']:.4g}")
            else:
                row.append(f"{s['mean']:.4g} ± {(s['ci_high'] - s['ci_low']) / 2:.2g}")
        table.append(row)
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    lines.append("")
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in table]
    if len(sw.cells) > limit:
        lines.append(f"... {len(sw.cells) - limit} more cells in cells.csv")
    lines.append(f"(mean ± half-width of the 95% interval over {sw.replications} replications)")
    return "\n".join(lines)
