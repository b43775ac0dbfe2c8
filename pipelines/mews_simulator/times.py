"""Timestamps as integer microseconds since the epoch, formatted the way Mews serializes them."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache

US_PER_S = 1_000_000
US_PER_DAY = 86_400 * US_PER_S
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_S + delta.microseconds


def from_us(us: int) -> datetime:
    """Aware UTC datetime of microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=us)


@cache
def _day_prefix(day: int) -> str:
    return from_us(day * US_PER_DAY).strftime("%Y-%m-%dT")


@cache
def _time_of_day(second: int) -> str:
    hours, rest = divmod(second, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


@lru_cache(maxsize=1 << 16)
def format_cached(us: int) -> str:
    """format_us for instants that recur often (scheduled check-in and check-out times)."""
    return format_us(us)


def format_us(us: int) -> str:
    """`YYYY-MM-DDThh:mm:ssZ`, with a fraction only when the instant has one (`...:00.500Z`)."""
    day, rest = divmod(us, US_PER_DAY)
    second, frac = divmod(rest, US_PER_S)
    text = _day_prefix(day) + _time_of_day(second)
    if frac == 0:
        return text + "Z"
    if frac % 1000 == 0:
        return f"{text}.{frac // 1000:03d}Z"
    return f"{text}.{frac:06d}Z"


def parse_utc(value: object) -> int | None:
    """Microseconds of an ISO 8601 UTC datetime string (`Z` or `+00:00`), else None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        return None
    return to_us(moment)


def add_months(us: int, months: int) -> int:
    """Calendar month arithmetic, clamping the day (Nov 30 + 3 months = Feb 28/29)."""
    moment = from_us(us)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return to_us(moment.replace(year=year, month=month, day=day))
