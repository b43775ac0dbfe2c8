"""Cut [start, end] into UpdatedUtc windows the API accepts: at most 3 months, inclusive ends."""

import calendar
from collections.abc import Iterator
from datetime import datetime, timedelta

# "3 months" is counted in calendar months by some and in days by others: never exceed either.
MAX_WINDOW_DAYS = timedelta(days=89)


def add_months(moment: datetime, months: int) -> datetime:
    """Add calendar months, clamping the day to the target month's length."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def window_end(start: datetime) -> datetime:
    """The latest end a window starting at `start` may have."""
    return min(add_months(start, 3), start + MAX_WINDOW_DAYS)


def split_windows(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Yield consecutive windows covering [start, end); neighbours share their boundary.

    Mews filters are half-open, `StartUtc <= UpdatedUtc < EndUtc` (operations/_objects.md),
    while guidelines/serialization.md calls intervals inclusive: sharing the boundary is
    right under both readings (under the inclusive one a boundary record is read twice and
    merged once by its Id), and nothing falls between two windows.
    """
    if start > end:
        raise ValueError(f"window start {start.isoformat()} is after end {end.isoformat()}")
    current = start
    while True:
        upper = min(window_end(current), end)
        yield current, upper
        if upper >= end:
            return
        current = upper


def split_evenly(start: datetime, end: datetime, parts: int) -> list[tuple[datetime, datetime]]:
    """Split one window into `parts` equal sub-windows sharing their boundaries."""
    step = (end - start) / parts
    edges = [start + step * i for i in range(parts)] + [end]
    return [(edges[i], edges[i + 1]) for i in range(parts)]
