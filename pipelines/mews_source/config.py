"""Validated run configuration: connections (one access token each), start date, tuning."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mews_source.errors import ConfigError


@dataclass(frozen=True)
class Connection:
    """One access token (single enterprise or portfolio) with its own budget and state."""

    name: str
    access_token: str = field(repr=False)
    enterprise_ids: tuple[str, ...] = ()


def parse_start_date(value: str | datetime | None, now: datetime) -> datetime:
    """The backfill start as an aware UTC datetime, refusing junk and the future."""
    if value is None or value == "":
        raise ConfigError("start_date is missing (sources.mews.start_date, ISO 8601 UTC)")
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ConfigError(f"start_date {value!r} is not an ISO 8601 datetime") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment > now:
        raise ConfigError(f"start_date {moment.isoformat()} is in the future")
    return moment.replace(microsecond=0)


def build_connections(
    access_token: str | None,
    enterprise_ids: Sequence[str] | None,
    connections: Sequence[Mapping[str, Any]] | None,
) -> list[Connection]:
    """The configured connections: a `connections` list, else the single access token."""
    if connections:
        return [_connection(entry, position) for position, entry in enumerate(connections)]
    if not access_token or not str(access_token).strip():
        raise ConfigError(
            "access_token is empty or missing (sources.mews.access_token or "
            "SOURCES__MEWS__ACCESS_TOKEN)"
        )
    return [Connection("default", str(access_token), _ids(enterprise_ids, "enterprise_ids"))]


def select_connection(connections: list[Connection], name: str | None) -> list[Connection]:
    """All connections, or the one named."""
    if name is None:
        return connections
    chosen = [c for c in connections if c.name == name]
    if not chosen:
        known = ", ".join(c.name for c in connections)
        raise ConfigError(f"no connection named {name!r} (configured: {known})")
    return chosen


def overlap(minutes: float) -> timedelta:
    if minutes < 0:
        raise ConfigError("overlap_minutes must not be negative")
    return timedelta(minutes=minutes)


def _connection(entry: Mapping[str, Any], position: int) -> Connection:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"connections[{position}] must be a table with name and access_token")
    name = str(entry.get("name") or f"connection_{position}")
    token = entry.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise ConfigError(f"connections[{position}] ({name}) has an empty or missing access_token")
    return Connection(name, token, _ids(entry.get("enterprise_ids"), f"{name}.enterprise_ids"))


def _ids(values: Sequence[str] | None, what: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str) or not all(isinstance(v, str) and v for v in values):
        raise ConfigError(f"{what} must be a JSON list of id strings")
    return tuple(values)
