"""Concurrent window fetching: cursor following, splitting for idle workers, 408 fallbacks."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mews_source import settings
from mews_source.paging import Page
from mews_source.windows import (
    MAX_SPLIT,
    Outcome,
    WindowTask,
    iso_utc,
    lighter_tasks,
    next_tasks,
)

FILTERS = {"ServiceIds": ["s1"]}
T0 = datetime(2024, 1, 1, tzinfo=UTC)
KEY = "Reservations"


SECOND = timedelta(seconds=1)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


T100 = T0 + hours(100)


def task(
    start: datetime = T0, end: datetime = T100, cursor: str | None = None, page_size: int = 2
) -> WindowTask:
    return WindowTask(FILTERS, start, end, cursor, page_size)


def full_page(cursor: str = "c2") -> Page:
    return Page([{"Id": "c1"}, {"Id": cursor}], cursor)


def outcome(page: Page | None, newest: datetime, oldest: datetime, newest_first: bool) -> Outcome:
    return Outcome([], page, newest=newest, oldest=oldest, newest_first=newest_first)


def windows_of(tasks: list[WindowTask]) -> list[tuple[datetime, datetime]]:
    return [(t.start, t.end) for t in tasks]


# --- iso_utc and the request a task sends ---


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(datetime(2024, 3, 1, 10, 5, 7, tzinfo=UTC), "2024-03-01T10:05:07Z", id="utc"),
        pytest.param(
            datetime(2024, 3, 1, 12, 5, 7, tzinfo=timezone(timedelta(hours=2))),
            "2024-03-01T10:05:07Z",
            id="offset-converted",
        ),
        pytest.param(
            datetime(2024, 3, 1, 10, 5, 7, 999999, tzinfo=UTC),
            "2024-03-01T10:05:07Z",
            id="fraction-dropped",
        ),
    ],
)
def test_iso_utc_formats_whole_seconds_in_utc(moment: datetime, expected: str) -> None:
    assert iso_utc(moment) == expected


def test_task_request_carries_filters_interval_and_limitation() -> None:
    start, end = T0, T0 + timedelta(days=30)
    assert task(start, end, cursor="abc", page_size=500).request() == {
        "ServiceIds": ["s1"],
        "UpdatedUtc": {"StartUtc": "2024-01-01T00:00:00Z", "EndUtc": "2024-01-31T00:00:00Z"},
        "Limitation": {"Count": 500, "Cursor": "abc"},
    }
    assert "Cursor" not in task(start, end).request()["Limitation"]


# --- next_tasks: planning what to read after one page ---


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(None, id="no-page-after-408"),
        pytest.param(Page([], None), id="empty"),
        pytest.param(Page([{"Id": "a"}], "a"), id="short"),
        pytest.param(Page([{"Id": "a"}, {"Id": "b"}], None), id="null-cursor"),
    ],
)
def test_next_tasks_stops_after_the_last_page(page: Page | None) -> None:
    assert next_tasks(task(), outcome(page, T0 + hours(99), T0 + hours(90), True), 8) == []


@pytest.mark.parametrize("newest_first", [True, False], ids=["ordered", "unordered"])
def test_next_tasks_follows_the_cursor_when_no_worker_is_spare(newest_first: bool) -> None:
    current = task(cursor="c0")
    planned = next_tasks(
        current, outcome(full_page("c2"), T0 + hours(99), T0 + hours(90), newest_first), 0
    )
    assert planned == [replace(current, cursor="c2")]


def test_next_tasks_follows_the_cursor_when_page_times_are_unknown() -> None:
    current = task()
    planned = next_tasks(current, Outcome([], full_page()), spare_workers=8)
    assert planned == [replace(current, cursor="c2")]


def test_next_tasks_splits_the_unread_rest_when_workers_are_spare_and_page_is_newest_first() -> (
    None
):
    current = task(T0, T0 + hours(100), cursor="c0", page_size=2)
    # The page spans 10 h and the unread rest [T0, T0+90h] about 9 pages: 3 spare -> 4 parts.
    planned = next_tasks(current, outcome(full_page(), T0 + hours(100), T0 + hours(90), True), 3)
    # Filters are half-open, so the rest ends one second after the oldest record read.
    assert windows_of(planned) == contiguous(T0, T0 + hours(90) + SECOND, 4)
    assert all(t.cursor is None and t.page_size == 2 and t.filters == FILTERS for t in planned)


def test_next_tasks_splits_no_finer_than_the_pages_left() -> None:
    # The rest [T0, T0+30h] holds about 3 pages of 10 h: 8 spare workers still get 3 parts.
    planned = next_tasks(task(), outcome(full_page(), T0 + hours(40), T0 + hours(30), True), 8)
    assert windows_of(planned) == contiguous(T0, T0 + hours(30) + SECOND, 3)


def test_next_tasks_ends_the_rest_after_records_tied_with_the_oldest() -> None:
    oldest = T0 + hours(30)  # a whole second: records tied with it may be unread
    planned = next_tasks(task(), outcome(full_page(), T0 + hours(40), oldest, True), 8)
    assert planned[-1].end > oldest


def contiguous(start: datetime, end: datetime, parts: int) -> list[tuple[datetime, datetime]]:
    """`parts` windows from start to end sharing their whole-second boundaries."""
    step = (end - start) / parts
    edges = [start] + [(start + step * i).replace(microsecond=0) for i in range(1, parts)] + [end]
    return list(zip(edges, edges[1:], strict=False))


def test_next_tasks_follows_the_cursor_when_less_than_two_pages_are_left() -> None:
    current = task()
    # The page spans 10 h and the rest [T0, T0+15h] holds only about 1.5 pages.
    planned = next_tasks(current, outcome(full_page(), T0 + hours(25), T0 + hours(15), True), 8)
    assert planned == [replace(current, cursor="c2")]


def test_next_tasks_splits_at_most_max_split_ways() -> None:
    # All of the page has one UpdatedUtc: no page span to estimate from.
    planned = next_tasks(task(), outcome(full_page(), T0 + hours(90), T0 + hours(90), True), 100)
    assert len(planned) == MAX_SPLIT
    assert planned[0].start == T0 and planned[-1].end == T0 + hours(90) + SECOND


def test_next_tasks_rereads_the_whole_window_in_parts_when_page_is_not_ordered() -> None:
    current = task(T0, T0 + hours(100), cursor="c0")
    planned = next_tasks(current, outcome(full_page(), T0 + hours(99), T0 + hours(90), False), 3)
    assert windows_of(planned) == [
        (T0, T0 + hours(25)),
        (T0 + hours(25), T0 + hours(50)),
        (T0 + hours(50), T0 + hours(75)),
        (T0 + hours(75), T0 + hours(100)),
    ]
    assert all(t.cursor is None for t in planned)


def test_next_tasks_does_not_split_below_the_minimum_window() -> None:
    current = task(T0, T0 + settings.MIN_WINDOW * 3)
    page_outcome = outcome(full_page(), current.end, current.end, False)
    assert next_tasks(current, page_outcome, 8) == [replace(current, cursor="c2")]


def test_next_tasks_rounds_inner_edges_down_to_whole_seconds() -> None:
    current = task(T0, T0 + timedelta(seconds=1000))
    planned = next_tasks(current, outcome(full_page(), current.end, current.start, False), 2)
    assert windows_of(planned) == [
        (T0, T0 + timedelta(seconds=333)),
        (T0 + timedelta(seconds=333), T0 + timedelta(seconds=666)),
        (T0 + timedelta(seconds=666), T0 + timedelta(seconds=1000)),
    ]


# --- lighter_tasks: what to do after a 408 ---


def test_lighter_tasks_halves_the_window_first() -> None:
    heavy = task(T0, T0 + hours(10), cursor="c5", page_size=1000)
    assert lighter_tasks(heavy) == (
        task(T0, T0 + hours(5), page_size=1000),
        task(T0 + hours(5), T0 + hours(10), page_size=1000),
    )


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [
        pytest.param(1000, 500, id="halved"),
        pytest.param(99, 50, id="halved-to-floor"),
        pytest.param(60, 50, id="clamped-to-floor"),
    ],
)
def test_lighter_tasks_halves_the_page_size_when_the_window_is_minimal(
    page_size: int, expected: int
) -> None:
    heavy = task(T0, T0 + settings.MIN_WINDOW, cursor="c5", page_size=page_size)
    assert lighter_tasks(heavy) == (replace(heavy, page_size=expected),)


def test_lighter_tasks_gives_up_at_minimal_window_and_page_size() -> None:
    heavy = task(T0, T0 + settings.MIN_WINDOW, page_size=settings.MIN_PAGE_SIZE)
    assert lighter_tasks(heavy) == ()
