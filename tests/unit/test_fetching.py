"""Concurrent window fetching: cursor following, splitting for idle workers, 408 fallbacks."""

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from mews_source import settings
from mews_source.errors import MewsApiError, RequestTooHeavyError
from mews_source.fetching import (
    MAX_SPLIT,
    Outcome,
    WindowTask,
    iso_utc,
    lighter_tasks,
    next_tasks,
    run_tasks,
)
from mews_source.paging import Page
from mews_source.windows import split_windows

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


# --- run_tasks over a fake API ---


def parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def make_records(count: int, span: timedelta, *, fraction: bool = False) -> list[dict[str, Any]]:
    """`count` records spread over `span` from T0; optionally with sub-second UpdatedUtc."""
    step = span / count
    records = []
    for i in range(count):
        moment = T0 + step * i
        moment = moment.replace(microsecond=(i * 370_001) % 1_000_000 if fraction else 0)
        text = moment.isoformat(timespec="microseconds" if fraction else "seconds")
        records.append({"Id": f"r{i:04d}", "UpdatedUtc": text.replace("+00:00", "Z")})
    return records


class FakeApi:
    """`post` for a reservations endpoint: newest first, UpdatedUtc interval, Count and Cursor."""

    def __init__(
        self,
        records: list[dict[str, Any]],
        *,
        too_heavy: Callable[[Mapping[str, Any]], bool] = lambda body: False,
        newest_first: bool = True,
    ) -> None:
        order = sorted(records, key=lambda r: (parse_utc(r["UpdatedUtc"]), r["Id"]), reverse=True)
        self.records = order if newest_first else sorted(records, key=lambda r: r["Id"])
        self.too_heavy = too_heavy
        self.requests: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, body: Mapping[str, Any]) -> dict[str, Any]:
        start = parse_utc(body["UpdatedUtc"]["StartUtc"])
        end = parse_utc(body["UpdatedUtc"]["EndUtc"])
        limitation = body["Limitation"]
        assert body["ServiceIds"] == ["s1"]
        assert start <= end and end - start <= timedelta(days=92), "window over 3 months"
        assert 1 <= limitation["Count"] <= 1000
        with self._lock:
            if self.too_heavy(body):
                self.rejected.append(dict(body))
                raise RequestTooHeavyError(408, "/reservations", "too heavy", None)
            self.requests.append(dict(body))
        # Half-open like the live filters (operations/_objects.md); equal ends match exactly.
        matching = [r for r in self.records if _in_interval(parse_utc(r["UpdatedUtc"]), start, end)]
        ids = [r["Id"] for r in matching]
        after = ids.index(limitation["Cursor"]) + 1 if "Cursor" in limitation else 0
        chunk = matching[after : after + limitation["Count"]]
        return {KEY: chunk, "Cursor": chunk[-1]["Id"] if chunk else None}


def plan(start: datetime, end: datetime, page_size: int) -> list[WindowTask]:
    return [WindowTask(FILTERS, s, e, None, page_size) for s, e in split_windows(start, end)]


def ids_of(records: list[dict[str, Any]]) -> list[Any]:
    return [r["Id"] for r in records]


def run(api: FakeApi, tasks: list[WindowTask], concurrency: int) -> Counter[str]:
    return Counter(run_tasks(api, KEY, tasks, ids_of, concurrency))


@pytest.mark.parametrize("concurrency", [1, 8], ids=["one-worker", "eight-workers"])
@pytest.mark.parametrize("newest_first", [True, False], ids=["newest-first", "unordered"])
def test_run_tasks_yields_every_record_at_least_once(concurrency: int, newest_first: bool) -> None:
    records = make_records(400, timedelta(days=400))
    api = FakeApi(records, newest_first=newest_first)

    seen = run(api, plan(T0, T0 + timedelta(days=401), page_size=7), concurrency)

    assert set(seen) == set(ids_of(records))
    assert len(api.requests) < 10 * len(records) / 7, "far more requests than pages"
    windows = {(r["UpdatedUtc"]["StartUtc"], r["UpdatedUtc"]["EndUtc"]) for r in api.requests}
    assert ("2024-01-01T00:00:00Z", "2024-03-30T00:00:00Z") in windows
    assert all(r["Limitation"]["Count"] == 7 for r in api.requests)


def test_run_tasks_with_one_worker_yields_every_record_of_one_window() -> None:
    records = make_records(20, timedelta(days=10))
    api = FakeApi(records)
    seen = run(api, [WindowTask(FILTERS, T0, T0 + timedelta(days=10), None, 5)], 1)
    assert set(seen) == set(ids_of(records))
    assert api.requests[0]["Limitation"] == {"Count": 5}


def test_run_tasks_with_one_worker_follows_the_cursor_only() -> None:
    records = make_records(20, timedelta(days=10))
    api = FakeApi(records)
    seen = run(api, [WindowTask(FILTERS, T0, T0 + timedelta(days=10), None, 5)], 1)
    assert seen == Counter(ids_of(records))  # exactly once each: no overlapping sub-windows
    newest_first = list(reversed(ids_of(records)))
    assert [r["Limitation"].get("Cursor") for r in api.requests] == [
        None,
        newest_first[4],
        newest_first[9],
        newest_first[14],
        newest_first[19],
    ]


def test_run_tasks_with_spare_workers_reads_one_window_in_parallel_parts() -> None:
    records = make_records(200, timedelta(days=80))
    api = FakeApi(records)
    seen = run(api, [WindowTask(FILTERS, T0, T0 + timedelta(days=80), None, 10)], 8)
    assert set(seen) == set(ids_of(records))
    windows = {(r["UpdatedUtc"]["StartUtc"], r["UpdatedUtc"]["EndUtc"]) for r in api.requests}
    assert len(windows) > 2, "no sub-windows were planned for idle workers"


def burst_records() -> list[dict[str, Any]]:
    """40 records over ten days, then 25 updated within one second (a bulk change)."""
    spread = make_records(40, timedelta(days=10))
    burst = [
        {"Id": f"b{i:02d}", "UpdatedUtc": f"2024-01-11T12:00:00.{10 * (i + 1):03d}0000Z"}
        for i in range(25)
    ]
    return spread + burst


@pytest.mark.parametrize("concurrency", [1, 8], ids=["one-worker", "eight-workers"])
def test_run_tasks_yields_every_record_of_a_whole_second_burst(concurrency: int) -> None:
    records = make_records(40, timedelta(days=10)) + [
        {"Id": f"b{i:02d}", "UpdatedUtc": "2024-01-11T12:00:00Z"} for i in range(25)
    ]
    api = FakeApi(records)
    seen = run(api, [WindowTask(FILTERS, T0, T0 + timedelta(days=11), None, 5)], concurrency)
    assert set(seen) == set(ids_of(records))


def test_run_tasks_yields_every_record_of_a_sub_second_burst() -> None:
    records = burst_records()
    api = FakeApi(records)
    seen = run(api, [WindowTask(FILTERS, T0, T0 + timedelta(days=11), None, 5)], 8)
    assert set(ids_of(records)) - set(seen) == set()


def test_run_tasks_splits_the_window_on_408() -> None:
    records = make_records(300, timedelta(days=80))
    api = FakeApi(records, too_heavy=lambda body: _span(body) > timedelta(days=15))

    seen = run(api, [WindowTask(FILTERS, T0, T0 + timedelta(days=80), None, 10)], 4)

    assert set(seen) == set(ids_of(records))
    assert api.rejected, "the 408 was never injected"
    assert all(_span(body) <= timedelta(days=15) for body in api.requests)
    first = api.rejected[0]["UpdatedUtc"]
    halves = {
        ("2024-01-01T00:00:00Z", "2024-02-10T00:00:00Z"),
        ("2024-02-10T00:00:00Z", "2024-03-21T00:00:00Z"),
    }
    assert first == {"StartUtc": "2024-01-01T00:00:00Z", "EndUtc": "2024-03-21T00:00:00Z"}
    assert halves <= {
        (r["UpdatedUtc"]["StartUtc"], r["UpdatedUtc"]["EndUtc"]) for r in api.rejected
    }


def test_run_tasks_lowers_the_page_size_on_408_in_a_minimal_window() -> None:
    records = make_records(30, timedelta(seconds=50))
    api = FakeApi(records, too_heavy=lambda body: body["Limitation"]["Count"] > 250)

    seen = run(api, [WindowTask(FILTERS, T0, T0 + timedelta(seconds=60), None, 1000)], 2)

    assert set(seen) == set(ids_of(records))
    assert [body["Limitation"]["Count"] for body in api.rejected] == [1000, 500]
    assert {body["Limitation"]["Count"] for body in api.requests} == {250}


def test_run_tasks_raises_408_when_nothing_lighter_is_left() -> None:
    api = FakeApi(make_records(5, timedelta(seconds=30)), too_heavy=lambda body: True)
    heavy = WindowTask(FILTERS, T0, T0 + settings.MIN_WINDOW, None, settings.MIN_PAGE_SIZE)
    with pytest.raises(RequestTooHeavyError):
        run(api, [heavy], 2)


def test_run_tasks_stops_on_an_api_error() -> None:
    def rejecting(body: Mapping[str, Any]) -> dict[str, Any]:
        raise MewsApiError(400, "/reservations", "Invalid ServiceIds.", "rid")

    with pytest.raises(MewsApiError, match="Invalid ServiceIds"):
        list(run_tasks(rejecting, KEY, plan(T0, T0 + timedelta(days=200), 10), ids_of, 4))


def test_run_tasks_yields_nothing_for_no_tasks() -> None:
    assert list(run_tasks(FakeApi([]), KEY, [], ids_of, 4)) == []


def _span(body: Mapping[str, Any]) -> timedelta:
    interval = body["UpdatedUtc"]
    return parse_utc(interval["EndUtc"]) - parse_utc(interval["StartUtc"])


def _in_interval(moment: datetime, start: datetime, end: datetime) -> bool:
    return moment == start if start == end else start <= moment < end
