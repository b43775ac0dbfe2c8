"""The background fetcher: every record of every window, load parts, window markers, failures."""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from typing import Any

import pyarrow as pa
import pytest

from mews_source import settings
from mews_source.clock import ServerClock
from mews_source.errors import MewsApiError, RequestTooHeavyError
from mews_source.prefetch import WindowFetcher
from mews_source.windows import WindowTask, split_windows

FILTERS = {"ServiceIds": ["s1"]}
T0 = datetime(2024, 1, 1, tzinfo=UTC)
KEY = "Reservations"
PAGE = pa.struct([("Id", pa.string()), ("UpdatedUtc", pa.string())])  # as read_page gives


# --- run_tasks over a fake API ---


def run_tasks(
    post: Callable[[Mapping[str, Any]], dict[str, Any]],
    result_key: str,
    tasks: list[WindowTask],
    shape: Callable[[Any], list[Any]],
    concurrency: int,
) -> Iterator[Any]:
    """Every shaped item of `tasks` in one part, as a resource without parts takes them."""
    fetcher = WindowFetcher(post, result_key, tasks, shape, concurrency)
    try:
        yield from fetcher.take()
    finally:
        fetcher.close()


def http_date(moment: float) -> str:
    return formatdate(moment, usegmt=True)


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
        return {KEY: pa.array(chunk, PAGE), "Cursor": chunk[-1]["Id"] if chunk else None}


def plan(start: datetime, end: datetime, page_size: int) -> list[WindowTask]:
    return [WindowTask(FILTERS, s, e, None, page_size) for s, e in split_windows(start, end)]


def ids_of(records: list[dict[str, Any]] | pa.StructArray) -> list[Any]:
    """Ids of source records, or of a page's records (the `shape` these tests give)."""
    if isinstance(records, pa.StructArray):
        return records.field("Id").to_pylist()
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


# --- WindowFetcher: parts of a run, window markers, stopping ---


def window_of(record: dict[str, Any], tasks: list[WindowTask]) -> int:
    """Index of the planned window holding `record` (windows are half-open)."""
    moment = parse_utc(record["UpdatedUtc"])
    return next(i for i, t in enumerate(tasks) if t.start <= moment < t.end)


def after_pages(count: int) -> Callable[[], bool]:
    """An `enough` callback that ends a part after `count` pages."""
    seen = [0]

    def enough() -> bool:
        seen[0] += 1
        return seen[0] >= count

    return enough


@pytest.mark.parametrize("concurrency", [1, 4])
def test_parts_together_hold_every_record_once_and_markers_follow_their_pages(
    concurrency: int,
) -> None:
    records = make_records(300, timedelta(days=400))
    api = FakeApi(records)
    tasks = plan(T0, T0 + timedelta(days=401), page_size=10)
    fetcher = WindowFetcher(api, KEY, tasks, ids_of, concurrency, buffer_pages=3)
    by_id = {r["Id"]: r for r in records}
    taken: list[str] = []
    parts = 0
    try:
        while not fetcher.stopped:
            taken.extend(fetcher.take(after_pages(4)))
            parts += 1
            # A window marked done has handed out every one of its records already.
            for index, done in enumerate(fetcher.window_done):
                if done:
                    inside = {r["Id"] for r in records if window_of(r, tasks) == index}
                    assert inside <= set(taken), f"window {index} marked done too early"
    finally:
        fetcher.close()

    assert fetcher.done and all(fetcher.window_done)
    assert set(taken) == set(by_id)
    assert parts >= 300 // 10 // 4
    if concurrency == 1:
        assert Counter(taken) == Counter(set(by_id)), "one worker follows cursors only"


def test_a_part_ends_after_the_page_that_said_enough() -> None:
    records = make_records(50, timedelta(days=10))
    api = FakeApi(records)
    fetcher = WindowFetcher(api, KEY, plan(T0, T0 + timedelta(days=10), 10), ids_of, 1)
    try:
        first = list(fetcher.take(after_pages(2)))
        assert len(first) == 20 and not fetcher.stopped
        rest = list(fetcher.take())
    finally:
        fetcher.close()
    assert sorted(first + rest) == sorted(ids_of(records))
    assert fetcher.done


def test_the_fetcher_keeps_fetching_between_parts_up_to_its_buffer() -> None:
    records = make_records(200, timedelta(days=10))
    api = FakeApi(records)
    fetcher = WindowFetcher(api, KEY, plan(T0, T0 + timedelta(days=10), 10), ids_of, 1, 3)
    try:
        list(fetcher.take(after_pages(1)))
        deadline = time.monotonic() + 5
        while len(api.requests) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        # 1 page taken, 3 buffered, 1 waiting for room in the dispatcher, and at most one
        # more if the part's end already held the next page back: never the other 14.
        assert 5 <= len(api.requests) <= 6
    finally:
        fetcher.close()


def test_an_error_reaches_the_part_that_takes_it_and_nothing_is_marked_done() -> None:
    records = make_records(40, timedelta(days=10))
    api = FakeApi(records)
    calls = [0]

    def failing_after_two(body: Mapping[str, Any]) -> dict[str, Any]:
        calls[0] += 1
        if calls[0] > 2:
            raise MewsApiError(401, "/reservations", "Invalid AccessToken.", "rid")
        return api(body)

    fetcher = WindowFetcher(
        failing_after_two, KEY, plan(T0, T0 + timedelta(days=10), 10), ids_of, 1
    )
    try:
        assert len(list(fetcher.take(after_pages(2)))) == 20
        with pytest.raises(MewsApiError, match="Invalid AccessToken"):
            list(fetcher.take())
    finally:
        fetcher.close()
    assert fetcher.stopped and not fetcher.done
    assert fetcher.window_done == [False]


def test_close_stops_fetching_while_the_buffer_is_full() -> None:
    records = make_records(500, timedelta(days=10))
    api = FakeApi(records)
    fetcher = WindowFetcher(api, KEY, plan(T0, T0 + timedelta(days=10), 10), ids_of, 2, 2)
    list(fetcher.take(after_pages(1)))
    fetcher.close()
    sent = len(api.requests)
    time.sleep(0.3)
    assert len(api.requests) == sent < 50
    assert not any(t.name == "mews-dispatch" and t.is_alive() for t in threading.enumerate())


def _span(body: Mapping[str, Any]) -> timedelta:
    interval = body["UpdatedUtc"]
    return parse_utc(interval["EndUtc"]) - parse_utc(interval["StartUtc"])


def _in_interval(moment: datetime, start: datetime, end: datetime) -> bool:
    return moment == start if start == end else start <= moment < end


# --- requests in flight ---


class CountingApi(FakeApi):
    """A FakeApi that takes a little while per request and notes the most requests at once."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        super().__init__(records)
        self.now = 0
        self.most = 0
        self.at_start: list[int] = []  # requests in flight as each one started
        self._count_lock = threading.Lock()

    def __call__(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._count_lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.at_start.append(self.now)
        try:
            time.sleep(0.01)
            return super().__call__(body)
        finally:
            with self._count_lock:
                self.now -= 1


def ids_fetched(api: FakeApi, span: timedelta, concurrency: int) -> set[str]:
    """Every Id of `span` from T0, fetched with `concurrency` requests in flight at most."""
    fetcher = WindowFetcher(api, KEY, plan(T0, T0 + span, 10), ids_of, concurrency, 50)
    try:
        return set(fetcher.take())
    finally:
        fetcher.close()


@pytest.mark.parametrize("concurrency", [8, 2, 1])
def test_requests_in_flight_never_exceed_the_concurrency(concurrency: int) -> None:
    records = make_records(400, timedelta(days=400))
    api = CountingApi(records)
    seen = ids_fetched(api, timedelta(days=401), concurrency)
    assert seen == set(ids_of(records))
    assert api.most == concurrency


def test_each_window_is_settled_where_the_server_surely_was_at_its_first_request() -> None:
    """State may move past a window's end only if the server's time had surely passed it."""
    local = [T0.timestamp() + 1000.25]
    clock = ServerClock(lambda: local[0])
    clock.observe(http_date(local[0] - 3600), 0.0)  # the server 1 h behind this machine
    first_request = clock.earliest().replace(microsecond=0)
    api = FakeApi(make_records(40, timedelta(days=200)))

    def post(body: Mapping[str, Any]) -> dict[str, Any]:
        local[0] += 0.4  # time passes with every request
        return api(body)

    tasks = plan(T0, T0 + timedelta(days=200), page_size=5)
    fetcher = WindowFetcher(post, KEY, tasks, ids_of, 1, clock=clock)
    try:
        assert len(list(fetcher.take())) == 40
    finally:
        fetcher.close()
    assert fetcher.settled[0] == first_request
    assert all(s is not None and first_request <= s < T0 + timedelta(days=200)
               for s in fetcher.settled)  # fmt: skip
    assert fetcher.settled == sorted(fetcher.settled), "later windows are first asked later"
