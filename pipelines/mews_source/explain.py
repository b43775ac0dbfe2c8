"""Words for failures that come from dlt's configuration or DuckDB, not from Mews.

dlt reports configuration problems with its own exception classes and multi-line traces;
DuckDB with `IO Error: ...` texts. A person needs the key or the file, and what to do.
A configured value is never quoted: it may be a token.
"""

import errno
import re
from collections.abc import Sequence
from typing import Any

from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
    LookupTrace,
    LookupTraces,
    ValueNotSecretException,
)

SOURCE_SECTION = "sources.mews"
_QUOTED_PATH = re.compile(r'"([^"]+)"')
_PID = re.compile(r"\(PID (\d+)\)")
_DUCKDB_REASONS = (
    ("Conflicting lock", "is in use by another process{pid}: wait for it to finish or close it"),
    ("No space left", "cannot grow: no space left on its disk; free some and run again"),
    ("Read-only file system", "cannot be written: its file system is read-only"),
    ("Permission denied", "cannot be written: permission denied"),
    ("No such file or directory", "cannot be created: its directory does not exist"),
    ("Is a directory", "is a directory, not a DuckDB file"),
)

_ERRNO_REASONS = {
    errno.EROFS: "its file system is read-only",
    errno.EACCES: "permission denied",
    errno.ENOSPC: "no space left on its disk",
    errno.ENOENT: "its directory does not exist",
}


def explain_config(exc: BaseException, source_fields: Sequence[str]) -> str | None:
    """One line naming the key and what to do, for a dlt configuration error; else None."""
    if isinstance(exc, ValueNotSecretException):
        key = exc.key
        return (
            f"{key} is a secret and cannot be in {exc.provider_name}: move it to "
            f".dlt/secrets.toml or set {env_name(key)}"
        )
    if isinstance(exc, ConfigFieldMissingException):
        missing = _missing_keys(exc.traces)
        keys = ", ".join(
            f"{key} ({', '.join(fields)})" if fields else key for key, fields in missing
        )
        where = " or ".join(env_name(key) for key, _ in missing)
        return f"missing configuration {keys}: set {where}, or add it to .dlt/secrets.toml"
    if isinstance(exc, ConfigValueCannotBeCoercedException):
        field = exc.field_name
        key = f"{SOURCE_SECTION}.{field}" if field in source_fields else field
        kind = getattr(exc.hint, "__name__", str(exc.hint))
        return (
            f"configuration {key} is not a valid {kind}: fix it in .dlt/*.toml or {env_name(key)}"
        )
    return None


def explain_duckdb(exc: BaseException) -> str | None:
    """One line with the file and the reason, for DuckDB's IO errors; else None."""
    if type(exc).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
        return None
    text = str(exc)
    path_match = _QUOTED_PATH.search(text)
    where = f"DuckDB file {path_match.group(1)}" if path_match else "the DuckDB file"
    for marker, reason in _DUCKDB_REASONS:
        if marker in text:
            pid = _PID.search(text)
            return f"{where} {reason.format(pid=f' (PID {pid.group(1)})' if pid else '')}"
    return None


def explain_file(exc: BaseException) -> str | None:
    """One line for a file the run could not write (the DuckDB lock file, say); else None."""
    if not isinstance(exc, OSError) or not exc.filename:
        return None
    reason = _ERRNO_REASONS.get(exc.errno or 0, exc.strerror or "unusable")
    return f"{exc.filename} cannot be written: {reason}"


def env_name(key: str) -> str:
    """dlt's environment variable for a dotted key: sources.mews.x -> SOURCES__MEWS__X."""
    return "__".join(part.upper() for part in key.split("."))


def _missing_keys(traces: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Dotted keys of the missing fields; a nested spec (credentials) with its own fields."""
    keys: list[tuple[str, list[str]]] = []
    for field, lookups in traces.items():
        nested = next((t for t in lookups if isinstance(t, LookupTraces)), None)
        if nested is None:
            keys.append((".".join([*_sections(lookups), field]), []))
            continue
        first = next(iter(nested.traces.values()), [])
        keys.append((".".join(_sections(first) or [field]), list(nested.traces)))
    return keys


def _sections(lookups: list[Any]) -> list[str]:
    """The sections of the most specific lookup dlt tried (the first one with sections)."""
    for trace in lookups:
        if isinstance(trace, LookupTrace) and trace.sections:
            return list(trace.sections)
    return []
