"""Planning a run's windows: every scope covered to the run's end, without a gap."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mews_source.windows import Span, WindowTask, chunks, lighter_tasks, plan

T0 = datetime(2024, 1, 1, tzinfo=UTC)
RUN_END = datetime(2025, 6, 30, 12, 0, 1, tzinfo=UTC)


def span(overlap: timedelta = timedelta(minutes=10)) -> Span:
    return Span(T0, overlap, RUN_END)


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
    "scanned",
    [
        {},  # a backfill from T0
        {"b": (RUN_END - timedelta(hours=1)).isoformat()},  # hourly
        {"b": (RUN_END - timedelta(minutes=10, milliseconds=300)).isoformat()},
    ],
    ids=["backfill", "hourly", "moments-ago"],
)
def test_each_scope_is_covered_to_the_run_end_in_reading_order(scanned: dict[str, str]) -> None:
    tasks = make_plan(["a", "b"], scanned)

    lanes = by_lane(tasks)
    for lane_tasks in lanes.values():
        windows = [(t.start, t.end) for t in lane_tasks]
        assert windows == sorted(windows), "oldest first"
        assert windows[-1][1] == RUN_END
        assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False)), "a gap"
    if scanned:
        b_lane = lanes[("b",)]
        assert len(b_lane) == 1, "a quiet incremental run is one request per scope"
        assert b_lane[0].start == datetime.fromisoformat(scanned["b"]) - timedelta(minutes=10)


def test_sub_windows_keep_their_task_s_page_size_and_root() -> None:
    task = WindowTask({"ServiceIds": ["a"]}, T0, RUN_END, "cursor", 500, 3)
    part = task.part(T0, T0 + timedelta(days=1))
    assert (part.cursor, part.page_size, part.root) == (None, 500, 3)


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


def test_a_dimension_never_read_is_read_whole_then_by_updated_utc() -> None:
    """Rates or resources older than start_date still load: the first read has no interval."""
    scanned = {"b": (RUN_END - timedelta(hours=1)).isoformat()}

    tasks = plan(["a", "b"], scanned, {"b": T0.isoformat()}, span(), service_filters,
                 whole_first=True)  # fmt: skip

    whole = [t for t in tasks if t.whole]
    assert [t.scope for t in whole] == [("a",)]
    assert "UpdatedUtc" not in whole[0].request() and whole[0].end == RUN_END
    [hourly] = [t for t in tasks if not t.whole]
    assert hourly.scope == ("b",) and "UpdatedUtc" in hourly.request()
    earlier = plan(["b"], scanned, {"b": (T0 + timedelta(days=9)).isoformat()}, span(),
                   service_filters, whole_first=True)  # fmt: skip
    assert not [t for t in earlier if t.history], "a dimension has no history to read back"


def test_a_whole_read_is_never_cut_by_time_only_lightened() -> None:
    task = WindowTask({"ServiceIds": ["a"]}, T0, RUN_END, page_size=1000, whole=True)
    assert [t.page_size for t in lighter_tasks(task)] == [500]
    assert all(t.whole for t in lighter_tasks(task))
