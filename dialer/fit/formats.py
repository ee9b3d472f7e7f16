"""The record formats ``dialer fit`` reads, by name: each turns its files into a CallLog."""

from __future__ import annotations

from dialer.errors import InputError
from dialer.fit.log import CallLog

FORMATS = ("dialer", "vicidial", "csv")


def read_records(
    paths: list[str],
    fmt: str,
    *,
    statuses: dict[str, str] | None = None,
    columns: dict[str, str] | None = None,
    mapping: str | None = None,
) -> CallLog:
    """Read a centre's records. ``statuses`` (CODE -> outcome) maps a format's own statuses;
    ``columns`` and ``mapping`` (a YAML file) name a csv log's columns."""
    if not paths:
        raise InputError("dialer fit: expected at least one records file or folder, got none")
    if fmt == "dialer":
        from dialer.fit import dialer_format

        if statuses or columns or mapping:
            raise InputError("--status, --column and --mapping are for --format vicidial / csv")
        return dialer_format.read(paths)
    if fmt == "vicidial":
        from dialer.fit import vicidial

        if columns or mapping:
            raise InputError(
                "--column and --mapping are for --format csv (VICIdial's columns are known)"
            )
        return vicidial.read(paths, statuses)
    if fmt == "csv":
        from dialer.fit import csvlog

        return csvlog.read(paths, csvlog.load_mapping(mapping, columns or {}, statuses or {}))
    raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
