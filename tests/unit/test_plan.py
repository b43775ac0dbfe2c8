"""Planning a run's windows: every scope covered to the run's end, its unsettled end read last."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mews_source.clock import ServerClock
from mews_source.fetching import fetch_task
from mews_source.windows import Span, WindowTask, chunks, plan

T0 = datetime(2024, 1, 1, tzinfo=UTC)
RUN_END = datetime(2025, 6, 30, 12, 0, 1, tzinfo=UTC)
SETTLED = RUN_END - timedelta(milliseconds=200)  # the server's time has surely passed it


def span(overlap: timedelta = timedelta(minutes=10), settled: datetime = SETTLED) -> Span:
    return Span(T0, overlap, RUN_END, settled)


def service_filters(chunk: list[str]) -> dict[str, Any]:
    return {"ServiceIds": chunk}


def make_plan(
    scopes: list[str],
    scanned: dict[str, str],
    read_from: dict[str, str] | None = None,
    window: Span | None = None,
) -> list[WindowTask]:
    return plan(scopes, scanned, read_from or {}, window or span(), service_filters)


def by_lane(tasks: list[WindowTask]) -> dict[tuple[str, ...], list[WindowTask]]:
    lanes: dict[tuple[str, ...], list[WindowTask]] = defaultdict(list)
    for task in tasks:
        lanes[tuple(task.filters["ServiceIds"])].append(task)
    return lanes


@pytest.mark.parametrize(
    ("scanned", "last_span"),
    [
        ({}, timedelta(seconds=1)),  # a backfill from T0: only the last second waits
        ({"b": (RUN_END - timedelta(hours=1)).isoformat()}, timedelta(minutes=70)),  # hourly
        ({"b": (RUN_END - timedelta(minutes=10, milliseconds=300)).isoformat()}, None),
    ],
    ids=["backfill", "hourly", "moments-ago"],
)
def test_each_scope_is_covered_to_the_run_end_and_its_last_window_is_read_last(
    scanned: dict[str, str], last_span: timedelta | None
) -> None:
    tasks = make_plan(["a", "b"], scanned)

    lanes = by_lane(tasks)
    for lane_tasks in lanes.values():
        windows = sorted((t.start, t.end) for t in lane_tasks)
        assert windows[-1][1] == RUN_END
        assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False)), "a gap"
        last = [t for t in lane_tasks if t.not_before is not None]
        assert len(last) == 1 and last[0].end == RUN_END and last[0].not_before == RUN_END
        assert all(t.end <= last[0].start for t in lane_tasks if t is not last[0])
    first_waiting = min(i for i, t in enumerate(tasks) if t.not_before is not None)
    assert all(t.not_before is not None for t in tasks[first_waiting:]), "a waiting task first"
    b_lane = lanes[("b",)] if ("b",) in lanes else lanes[("a", "b")]
    if last_span is not None:
        assert RUN_END - b_lane[-1].start <= last_span
    if scanned:
        assert len(b_lane) == 1, "a quiet incremental run is one request per scope"


@pytest.mark.parametrize(
    "start",
    [T0, RUN_END - timedelta(days=89, seconds=2)],  # the second: a 2 s window after 89 days
    ids=["backfill", "short-last-window"],
)
def test_only_what_the_server_may_still_stamp_waits_for_the_run_end(start: datetime) -> None:
    settled = RUN_END - timedelta(seconds=3, milliseconds=400)  # clock bounds 3.4 s apart
    tasks = make_plan(["a"], {"a": start.isoformat()}, window=span(timedelta(0), settled))

    at_once = [t for t in tasks if t.not_before is None]
    waiting = [(t.start, t.end) for t in tasks if t.not_before == RUN_END]
    assert len(at_once) + len(waiting) == len(tasks)
    assert at_once[-1].end == RUN_END - timedelta(seconds=4)  # settled, to the whole second
    assert waiting[0][0] == at_once[-1].end and waiting[-1][1] == RUN_END
    assert all(a[1] == b[0] for a, b in zip(waiting, waiting[1:], strict=False)), "a gap"


def test_a_task_waits_until_its_not_before_has_passed() -> None:
    sent: list[datetime] = []

    def post(body: Any) -> dict[str, Any]:
        sent.append(datetime.now(UTC))
        return {"Reservations": [], "Cursor": None}

    not_before = datetime.now(UTC) + timedelta(milliseconds=300)
    task = WindowTask({"ServiceIds": ["a"]}, T0, not_before, not_before=not_before)
    fetch_task(post, "Reservations", task, lambda items: [], ServerClock())
    assert sent[0] >= not_before


def test_sub_windows_keep_their_task_s_not_before() -> None:
    task = WindowTask({"ServiceIds": ["a"]}, T0, RUN_END, "cursor", 500, 3, RUN_END)
    part = task.part(T0, T0 + timedelta(days=1))
    assert (part.cursor, part.page_size, part.root, part.not_before) == (None, 500, 3, RUN_END)


def test_an_earlier_start_date_adds_the_older_range_newest_first() -> None:
    first_start = T0 + timedelta(days=200)
    scanned = {"a": (RUN_END - timedelta(hours=1)).isoformat()}
    read_from = {"a": first_start.isoformat()}

    tasks = make_plan(["a"], scanned, read_from)

    older = [t for t in tasks if t.history]
    assert older[0].end == first_start and older[-1].start == T0
    assert all(a.start == b.end for a, b in zip(older, older[1:], strict=False)), "a gap"
    assert [t for t in tasks if not t.history] == [t for t in tasks if t.start >= first_start]
    again = make_plan(["a"], scanned, {"a": T0.isoformat()})
    assert not [t for t in again if t.history], "read back to start_date already"


def test_scopes_come_in_chunks_of_the_id_limit_and_each_task_names_its_scope() -> None:
    ids = [f"s{n:04d}" for n in range(2500)]
    tasks = plan(ids, {}, {}, span(), service_filters, id_limit=1000)

    lanes = by_lane(tasks)
    assert sorted(len(lane) for lane in lanes) == [500, 1000, 1000]
    assert all(task.scope == tuple(task.filters["ServiceIds"]) for task in tasks)
    assert [list(lane) for lane in lanes] == list(chunks(ids, 1000))


def test_windows_stay_within_the_operation_s_maximum_interval() -> None:
    tasks = plan(["a"], {}, {}, span(), service_filters, months=1)

    assert all(task.end - task.start <= timedelta(days=29) for task in tasks)
    assert len(tasks) > 17
