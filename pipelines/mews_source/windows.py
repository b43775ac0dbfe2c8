"""Every cut of a run's reading range into requests: the one place windows are planned.

- An operation's interval filter spans at most its maximum interval (3 months for the order
  operations), so a range becomes consecutive windows within it (`split_windows`).
- Scope filters take at most `id_limit` ids a request (`chunks`).
- A scope's last window ends at the run's end and waits until the server's time has passed
  it; a long one is cut at its last second, so all but that second is read at once (`plan`).
- Workers that would idle get finer windows from the unread rest of a window (`next_tasks`).
- A 408 ("too much data for one request") halves the window, then the page size
  (`lighter_tasks`).
"""

import calendar
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mews_source import settings
from mews_source.paging import Page, page_request

logger = logging.getLogger(__name__)

MAX_SPLIT = 16  # finer windows cut from one window at most
LAST_SECOND = timedelta(seconds=1)
SPLIT_LAST_WINDOW_OVER = timedelta(days=7)  # a shorter last window stays one request


@dataclass(frozen=True)
class WindowTask:
    """Where to read next: a window of one request scope, and the cursor inside it."""

    filters: Mapping[str, Any]
    start: datetime
    end: datetime
    cursor: str | None = None
    page_size: int = settings.PAGE_SIZE
    root: int = 0  # the planned window this task reads part of
    not_before: datetime | None = None  # no request before this has passed on the server
    history: bool = False  # reads back towards an earlier start_date (planned newest first)
    scope: tuple[str, ...] = ()  # the scope keys (e.g. service ids) this task reads for
    interval: str = "UpdatedUtc"  # the operation's interval filter

    def part(self, start: datetime, end: datetime) -> "WindowTask":
        """A sub-window of this task, read from its first page."""
        return replace(self, start=start, end=end, cursor=None)

    def request(self) -> dict[str, Any]:
        window = {"StartUtc": iso_utc(self.start), "EndUtc": iso_utc(self.end)}
        return page_request({**self.filters, self.interval: window}, self.page_size, self.cursor)


@dataclass(frozen=True)
class Outcome:
    """What one request produced: shaped items to yield and the tasks it leaves behind."""

    items: list[Any]
    page: Page | None
    newest: datetime | None = None
    oldest: datetime | None = None
    newest_first: bool = False
    retry_as: tuple[WindowTask, ...] = ()


@dataclass(frozen=True)
class Span:
    """The run's reading range, on the server's clock."""

    start: datetime  # start_date
    overlap: timedelta  # re-read before each scope's mark, for late-committed changes
    run_end: datetime  # where every window of the run ends
    settled: datetime  # a moment the server's time has surely passed


def iso_utc(moment: datetime) -> str:
    """The API's datetime format, `YYYY-MM-DDThh:mm:ssZ`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_months(moment: datetime, months: int) -> datetime:
    """Add calendar months, clamping the day to the target month's length."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def window_end(start: datetime, months: int = 3) -> datetime:
    """The latest end a window starting at `start` may have.

    "3 months" is counted in calendar months by some and in days (89) by others: never
    exceed either.
    """
    return min(add_months(start, months), start + timedelta(days=30 * months - 1))


def split_windows(
    start: datetime, end: datetime, months: int = 3
) -> Iterator[tuple[datetime, datetime]]:
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
        upper = min(window_end(current, months), end)
        yield current, upper
        if upper >= end:
            return
        current = upper


def split_evenly(start: datetime, end: datetime, parts: int) -> list[tuple[datetime, datetime]]:
    """Split one window into `parts` equal sub-windows sharing their boundaries."""
    step = (end - start) / parts
    edges = [start + step * i for i in range(parts)] + [end]
    return [(edges[i], edges[i + 1]) for i in range(parts)]


def chunks(ids: Sequence[str], limit: int = settings.MAX_IDS_PER_REQUEST) -> Iterator[list[str]]:
    """At most `limit` ids a request, as the API allows."""
    for first in range(0, len(ids), limit):
        yield list(ids[first : first + limit])


def plan(
    scopes: Sequence[str],
    scanned_until: Mapping[str, str],
    read_from: Mapping[str, str],
    span: Span,
    filters: Callable[[list[str]], dict[str, Any]],
    months: int = 3,
    id_limit: int = settings.MAX_IDS_PER_REQUEST,
    page_size: int = settings.PAGE_SIZE,
) -> list[WindowTask]:
    """Group scopes by where they were read until; cut each group's range into windows.

    Windows ending by `span.settled` are read at once; the rest wait for the run's end to
    pass: the server may still stamp changes before it. A scope read from a later start than
    `start_date` now asks for (the user wants more history) also gets the missing older
    range, newest window first.
    """
    split = min(span.settled.replace(microsecond=0), span.run_end - LAST_SECOND)
    groups: dict[datetime, list[str]] = {}
    history: dict[datetime, list[str]] = {}
    for key in scopes:
        previous = scanned_until.get(key)
        start = datetime.fromisoformat(previous) - span.overlap if previous else span.start
        groups.setdefault(min(start, span.run_end), []).append(key)
        earliest = read_from.get(key) if previous else None
        if earliest and span.start < datetime.fromisoformat(earliest):
            history.setdefault(datetime.fromisoformat(earliest), []).append(key)
    tasks: list[WindowTask] = []
    for end, keys in sorted(history.items()):
        for chunk in chunks(keys, id_limit):
            base = WindowTask(filters(chunk), span.start, end, page_size=page_size, history=True)
            for low, high in reversed(list(split_windows(span.start, end, months))):
                tasks.append(replace(base, start=low, end=high, scope=tuple(chunk)))
    last_windows: list[WindowTask] = []
    for start, keys in sorted(groups.items()):
        for chunk in chunks(keys, id_limit):
            base = WindowTask(filters(chunk), start, span.run_end, page_size=page_size)
            for low, high, waits in _cut(start, span.run_end, split, months):
                task = replace(base, start=low, end=high, scope=tuple(chunk))
                if waits:
                    last_windows.append(replace(task, not_before=span.run_end))
                else:
                    tasks.append(task)
    return tasks + last_windows  # the waiting ones last: by then the run's end has passed


def _cut(
    start: datetime, run_end: datetime, split: datetime, months: int
) -> Iterator[tuple[datetime, datetime, bool]]:
    """[start, run_end) as windows, each with whether it must wait for the run's end."""
    for low, high in split_windows(start, run_end, months):
        if high <= split:
            yield low, high, False
        elif high - low > SPLIT_LAST_WINDOW_OVER and low < split:  # long: read most of it now
            yield low, split, False
            yield split, high, True
        else:
            yield low, high, True


def lighter_tasks(task: WindowTask) -> tuple[WindowTask, ...]:
    """Halve the window, else the page size; nothing when both are at their floor."""
    if task.end - task.start >= 2 * settings.MIN_WINDOW:
        halves = _whole_seconds(split_evenly(task.start, task.end, 2))
        return tuple(task.part(start, end) for start, end in halves)
    if task.page_size > settings.MIN_PAGE_SIZE:
        return (replace(task, page_size=max(settings.MIN_PAGE_SIZE, task.page_size // 2)),)
    return ()


def next_tasks(task: WindowTask, outcome: Outcome, spare_workers: int) -> list[WindowTask]:
    """Follow the cursor, or cut what is left of the window when workers would idle."""
    page = outcome.page
    if page is None or page.is_last(task.page_size):
        return []
    follow = [replace(task, cursor=page.cursor)]
    if spare_workers < 1 or outcome.oldest is None or outcome.newest is None:
        return follow
    if outcome.newest_first:
        # Newest first by UpdatedUtc: everything not yet returned is at or before `oldest`.
        # Filters are half-open [StartUtc, EndUtc) and requests carry whole seconds: end the
        # rest strictly after `oldest`, or records tied with it (or in its second) are lost.
        rest_start, rest_end = task.start, max(task.start, _next_second(outcome.oldest))
        page_span = outcome.newest - outcome.oldest
        pages_left = (rest_end - rest_start) / page_span if page_span else MAX_SPLIT
    else:
        # Unknown order: re-read the whole window in parts; merge on Id absorbs the overlap.
        rest_start, rest_end, pages_left = task.start, task.end, MAX_SPLIT
    parts = int(min(spare_workers + 1, MAX_SPLIT, pages_left))
    if parts < 2 or (rest_end - rest_start) / parts < settings.MIN_WINDOW:
        return follow
    edges = split_evenly(rest_start, rest_end, parts)
    return [task.part(s, e) for s, e in _whole_seconds(edges)]


def _next_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0) + LAST_SECOND


def _whole_seconds(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Round inner edges down to whole seconds, as requests carry whole-second datetimes."""

    def floor(moment: datetime) -> datetime:
        return moment - timedelta(microseconds=moment.microsecond)

    edges = [windows[0][0]] + [floor(end) for _, end in windows[:-1]] + [windows[-1][1]]
    return [(edges[i], edges[i + 1]) for i in range(len(windows)) if edges[i] <= edges[i + 1]]
