"""Every cut of a run's reading range into requests: the one place windows are planned.

- An operation's interval filter spans at most its maximum interval (3 months for the order
  operations), so a range becomes consecutive windows within it (`split_windows`).
- Scope filters take at most `id_limit` ids a request (`chunks`).
- Every scope's windows run to the run's end (`plan`); a window's part the server's time had
  not surely passed when it was first requested is read again next run (`WindowFetcher`).
- Workers that would idle get finer windows from the unread rest of a window (`next_tasks`).
- A 408 ("too much data for one request") halves the window, then the page size
  (`lighter_tasks`).
- With `stays_from_start_date`, reservations are also read by the start of their stay, from
  start_date on, newest first (`stays_tasks`): those booked before start_date for a later stay.
"""

import calendar
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mews_source import settings
from mews_source.paging import Page, page_request

logger = logging.getLogger(__name__)

MAX_SPLIT = 16  # finer windows cut from one window at most
ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class WindowTask:
    """Where to read next: a window of one request scope, and the cursor inside it."""

    filters: Mapping[str, Any]
    start: datetime
    end: datetime
    cursor: str | None = None
    page_size: int = settings.PAGE_SIZE
    root: int = 0  # the planned window this task reads part of
    history: bool = False  # reads back towards an earlier start_date (planned newest first)
    stays: bool = False  # the stays lane: `interval` is the stay's start, not UpdatedUtc
    scope: tuple[str, ...] = ()  # the scope keys (e.g. service ids) this task reads for
    interval: str = "UpdatedUtc"  # the operation's interval filter
    whole: bool = False  # no interval filter: every record, up to now (a dimension's first read)

    def part(self, start: datetime, end: datetime) -> "WindowTask":
        """A sub-window of this task, read from its first page."""
        return replace(self, start=start, end=end, cursor=None)

    def request(self) -> dict[str, Any]:
        if self.whole:
            return page_request(dict(self.filters), self.page_size, self.cursor)
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
class Stays:
    """The stays lane of an operation: its filter, and how far back each scope's stays are read."""

    interval: str  # e.g. ScheduledStartUtc
    read_from: Mapping[str, str]


@dataclass(frozen=True)
class Span:
    """The run's reading range, on the server's clock."""

    start: datetime  # start_date
    overlap: timedelta  # re-read before each scope's mark, for late-committed changes
    run_end: datetime  # where every window of the run ends


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
    whole_first: bool = False,
) -> list[WindowTask]:
    """Group scopes by where they were read until; cut each group's range into windows.

    A scope read from a later start than `start_date` now asks for (the user wants more
    history) also gets the missing older range, newest window first. With `whole_first`
    (a dimension: rates, resources...), a scope never read is read whole, without an
    interval and whatever `start_date` says, and by `UpdatedUtc` from then on.
    """
    groups: dict[datetime, list[str]] = {}
    history: dict[datetime, list[str]] = {}
    unread = [key for key in scopes if whole_first and key not in scanned_until]
    tasks = _lane_tasks(unread, [(span.start, span.run_end)], filters, id_limit, page_size)
    tasks = [replace(task, whole=True) for task in tasks]
    for key in scopes:
        previous = scanned_until.get(key)
        if whole_first and not previous:
            continue
        start = datetime.fromisoformat(previous) - span.overlap if previous else span.start
        groups.setdefault(min(start, span.run_end), []).append(key)
        earliest = read_from.get(key) if previous and not whole_first else None
        if earliest and span.start < datetime.fromisoformat(earliest):
            history.setdefault(datetime.fromisoformat(earliest), []).append(key)
    for end, keys in sorted(history.items()):
        windows = list(reversed(list(split_windows(span.start, end, months))))
        tasks += _lane_tasks(keys, windows, filters, id_limit, page_size, history=True)
    for start, keys in sorted(groups.items()):
        windows = list(split_windows(start, span.run_end, months))
        tasks += _lane_tasks(keys, windows, filters, id_limit, page_size)
    return tasks


def stays_tasks(
    scopes: Sequence[str],
    stays: Stays,
    span: Span,
    filters: Callable[[list[str]], dict[str, Any]],
    months: int = 3,
    id_limit: int = settings.MAX_IDS_PER_REQUEST,
    page_size: int = settings.PAGE_SIZE,
) -> list[WindowTask]:
    """Stays starting on or after start_date, whatever their UpdatedUtc, newest window first.

    A scope never read this way looks up to `STAYS_AHEAD` past the run's end; one read back to
    a later start_date reads only the stays below that. Read back to start_date, none.
    """
    groups: dict[datetime, list[str]] = {}
    for key in scopes:
        read = stays.read_from.get(key)
        end = datetime.fromisoformat(read) if read else span.run_end + settings.STAYS_AHEAD
        if span.start < end:
            groups.setdefault(end, []).append(key)
    tasks: list[WindowTask] = []
    for end, keys in sorted(groups.items()):
        windows = list(reversed(list(split_windows(span.start, end, months))))
        lane = _lane_tasks(keys, windows, filters, id_limit, page_size, history=True)
        tasks += [replace(task, interval=stays.interval, stays=True) for task in lane]
    return tasks


def _lane_tasks(
    keys: list[str],
    windows: Iterable[tuple[datetime, datetime]],
    filters: Callable[[list[str]], dict[str, Any]],
    id_limit: int,
    page_size: int,
    history: bool = False,
) -> list[WindowTask]:
    """The windows for every chunk of `keys`, in reading order within each chunk."""
    windows = list(windows)
    return [
        WindowTask(filters(chunk), low, high, None, page_size, history=history, scope=tuple(chunk))
        for chunk in chunks(keys, id_limit)
        for low, high in windows
    ]


def lighter_tasks(task: WindowTask) -> tuple[WindowTask, ...]:
    """Halve the window, else the page size; nothing when both are at their floor."""
    if not task.whole and task.end - task.start >= 2 * settings.MIN_WINDOW:
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
    if task.whole or task.stays or spare_workers < 1 or outcome.oldest is None:
        return follow  # no UpdatedUtc interval to cut (a whole read, a stays window)
    if outcome.newest is None:
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
    return moment.replace(microsecond=0) + ONE_SECOND


def _whole_seconds(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Round inner edges down to whole seconds, as requests carry whole-second datetimes."""

    def floor(moment: datetime) -> datetime:
        return moment - timedelta(microseconds=moment.microsecond)

    edges = [windows[0][0]] + [floor(end) for _, end in windows[:-1]] + [windows[-1][1]]
    return [(edges[i], edges[i + 1]) for i in range(len(windows)) if edges[i] <= edges[i + 1]]
