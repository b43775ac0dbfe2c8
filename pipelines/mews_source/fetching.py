"""One request of an UpdatedUtc window, and what to request after it (`prefetch` runs them).

One window is one cursor chain; long chains serialise a run, so when workers would idle a
window that still holds several pages is cut into sub-windows fetched side by side. A 408
("too much data for one request") halves the window, then the page size, before giving up.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mews_source import settings
from mews_source.clock import ServerClock
from mews_source.errors import RequestTooHeavyError
from mews_source.paging import Page, Post, page_request, parse_page
from mews_source.shaping import updated_utc
from mews_source.windows import split_evenly

logger = logging.getLogger(__name__)

MAX_SPLIT = 16
Shape = Callable[[Any], list[Any]]  # a page's records (a StructArray) -> shaped items


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

    def part(self, start: datetime, end: datetime) -> "WindowTask":
        """A sub-window of this task, read from its first page."""
        return replace(self, start=start, end=end, cursor=None)

    def request(self) -> dict[str, Any]:
        interval = {"StartUtc": iso_utc(self.start), "EndUtc": iso_utc(self.end)}
        return page_request({**self.filters, "UpdatedUtc": interval}, self.page_size, self.cursor)


@dataclass(frozen=True)
class Outcome:
    """What one request produced: shaped items to yield and the tasks it leaves behind."""

    items: list[Any]
    page: Page | None
    newest: datetime | None = None
    oldest: datetime | None = None
    newest_first: bool = False
    retry_as: tuple[WindowTask, ...] = ()


def iso_utc(moment: datetime) -> str:
    """The API's datetime format, `YYYY-MM-DDThh:mm:ssZ`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch_task(
    post: Post,
    result_key: str,
    task: WindowTask,
    shape: Shape,
    clock: ServerClock,
) -> Outcome:
    """Request one page of a window and shape it; turn a 408 into smaller retries."""
    if task.not_before is not None:
        clock.wait_until(task.not_before)
    try:
        data = post(task.request())
    except RequestTooHeavyError:
        smaller = lighter_tasks(task)
        if not smaller:
            raise
        logger.info(
            "408 for %s..%s: retrying as %d lighter requests", task.start, task.end, len(smaller)
        )
        return Outcome([], None, retry_as=smaller)
    page = parse_page(data, result_key, task.cursor)
    if len(page.items) == 0:
        return Outcome([], page)
    items = shape(page.items)
    updated = updated_utc(page.items)
    bounds = pc.min_max(updated)
    return Outcome(
        items,
        page,
        newest=bounds["max"].as_py(),
        oldest=bounds["min"].as_py(),
        newest_first=_is_descending(updated),
    )


def lighter_tasks(task: WindowTask) -> tuple[WindowTask, ...]:
    """Halve the window, else the page size; nothing when both are at their floor."""
    if task.end - task.start >= 2 * settings.MIN_WINDOW:
        return tuple(task.part(s, e) for s, e in _halves(task))
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


def _is_descending(values: pa.Array) -> bool:
    if len(values) < 2 or values.null_count:
        return len(values) < 2
    return bool(pc.all(pc.greater_equal(values[:-1], values[1:])).as_py())


def _next_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def _halves(task: WindowTask) -> list[tuple[datetime, datetime]]:
    return _whole_seconds(split_evenly(task.start, task.end, 2))


def _whole_seconds(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Round inner edges down to whole seconds, as requests carry whole-second datetimes."""

    def floor(moment: datetime) -> datetime:
        return moment - timedelta(microseconds=moment.microsecond)

    edges = [windows[0][0]] + [floor(end) for _, end in windows[:-1]] + [windows[-1][1]]
    return [(edges[i], edges[i + 1]) for i in range(len(windows)) if edges[i] <= edges[i + 1]]
