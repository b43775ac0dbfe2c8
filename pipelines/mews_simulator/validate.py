"""Request validation per the Mews docs: Limitation, id arrays, 3-month UTC intervals, scope."""

from __future__ import annotations

from typing import Any

from mews_simulator.times import add_months, parse_utc

MAX_COUNT = 1000
MAX_INTERVAL_MONTHS = 3
EVER = (-(2**62), 2**62)


class ApiError(Exception):
    """A client error the API answers with a status and a JSON message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def bad(message: str) -> ApiError:
    return ApiError(400, message)


def limitation(req: dict[str, Any]) -> tuple[int, str | None]:
    """Count (1..1000) and optional Cursor; Limitation is required on every getAll."""
    value = req.get("Limitation")
    if not isinstance(value, dict):
        raise bad("Invalid Limitation: Limitation is required.")
    count = value.get("Count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
        raise bad(f"Invalid Limitation: Count must be an integer from 1 to {MAX_COUNT}.")
    cursor = value.get("Cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise bad("Invalid Cursor")
    return count, cursor


def id_array(req: dict[str, Any], name: str, max_items: int) -> list[str] | None:
    """An optional array of strings of at most `max_items`; None when absent or null."""
    value = req.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(f"Invalid {name}: expected an array of strings.")
    if len(value) > max_items:
        raise bad(f"Invalid {name}: at most {max_items} items allowed.")
    return value


def interval(req: dict[str, Any], name: str, inclusive_end: bool) -> tuple[int, int] | None:
    """Half-open [lo, hi) microsecond bounds of a Time interval filter, None when absent.

    Start == End is an equality filter (_objects.md "Time interval"); otherwise the end is
    exclusive unless `inclusive_end`. Longer than 3 calendar months, or Start > End, is refused.
    """
    value = req.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad(f"Invalid {name}")
    start, end = parse_utc(value.get("StartUtc")), parse_utc(value.get("EndUtc"))
    if start is None or end is None:
        raise bad(f"Invalid {name}: StartUtc and EndUtc must be ISO 8601 UTC datetimes.")
    if start > end:
        raise bad(f"Invalid {name}: StartUtc must not be after EndUtc.")
    if end > add_months(start, MAX_INTERVAL_MONTHS):
        raise bad(f"Invalid {name}: the interval must not be longer than 3 months.")
    if start == end or inclusive_end:
        return start, end + 1
    return start, end


def enterprises_in_scope(req: dict[str, Any], scope: list[str]) -> list[str]:
    """EnterpriseIds, which must lie within the token's scope (403), or the whole scope."""
    requested = id_array(req, "EnterpriseIds", 1000)
    if requested is None:
        return scope
    outside = [e for e in requested if e not in scope]
    if outside:
        raise ApiError(403, "EnterpriseIds outside the scope of the AccessToken.")
    return [e for e in scope if e in requested]


def enum_values(req: dict[str, Any], name: str, allowed: frozenset[str]) -> set[str] | None:
    """An optional array of documented enum values; an undocumented value is a 400."""
    values = id_array(req, name, 10**6)
    if values is None:
        return None
    if not set(values) <= allowed:
        raise bad(f"Invalid {name}: allowed values are {', '.join(sorted(allowed))}.")
    return set(values)


def string_value(req: dict[str, Any], name: str) -> str | None:
    value = req.get(name)
    if value is not None and not isinstance(value, str):
        raise bad(f"Invalid {name}")
    return value
