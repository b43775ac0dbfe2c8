"""Load parts: how far a part's state may advance, and when a part has had enough."""

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest

from mews_source import run as run_module
from mews_source.client import RequestStats
from mews_source.feed import Feed
from mews_source.run import ConnectionRun
from mews_source.shaping import TIMESTAMP
from mews_source.windows import WindowTask

T0 = datetime(2024, 1, 1, tzinfo=UTC)
RUN_END = T0 + timedelta(days=300)


def lane_tasks(service_ids: list[str], edges: list[int]) -> list[WindowTask]:
    """Consecutive windows of one lane, edges in days from T0."""
    filters = {"ServiceIds": service_ids}
    scope = tuple(service_ids)
    return [
        WindowTask(filters, T0 + timedelta(days=a), T0 + timedelta(days=b), scope=scope)
        for a, b in zip(edges, edges[1:], strict=False)
    ]


def feed(
    tasks: list[WindowTask],
    window_done: list[bool],
    done: bool = False,
    settled: datetime = RUN_END,
) -> Feed:
    fetcher: Any = SimpleNamespace(
        tasks=tasks,
        window_done=window_done,
        settled=[settled if d else None for d in window_done],
        done=done,
        stopped=done,
    )
    return Feed(fetcher, ["a", "b", "c"], RUN_END)


def test_marks_stop_at_the_first_window_not_yet_handed_out() -> None:
    tasks = lane_tasks(["a", "b"], [0, 90, 180, 270]) + lane_tasks(["c"], [30, 120, 210])
    marks = feed(tasks, [True, False, True, True, True]).scanned_until()
    # Lane a+b: window 2 is done but window 1 is not, so nothing after day 90 counts.
    assert marks == {"a": T0 + timedelta(days=90), "b": T0 + timedelta(days=90),
                     "c": T0 + timedelta(days=210)}  # fmt: skip


def test_a_lane_without_a_done_first_window_keeps_its_old_mark() -> None:
    tasks = lane_tasks(["a"], [0, 90, 180]) + lane_tasks(["c"], [0, 90])
    assert feed(tasks, [False, True, True]).scanned_until() == {"c": T0 + timedelta(days=90)}


def test_a_complete_fetch_marks_every_scope_up_to_its_last_window_end() -> None:
    tasks = lane_tasks(["a", "b"], [0, 90, 300]) + lane_tasks(["c"], [200, 300])
    marks = feed(tasks, [True] * 3, done=True).scanned_until()
    assert marks == dict.fromkeys("abc", RUN_END)


def test_marks_never_pass_what_the_server_had_surely_reached_at_the_first_request() -> None:
    """The server may still stamp changes before the run's end: the next run reads them."""
    settled = RUN_END - timedelta(seconds=2)
    tasks = lane_tasks(["a", "b"], [0, 90, 300])
    marks = feed(tasks, [True, True], done=True, settled=settled).scanned_until()
    assert marks == {"a": settled, "b": settled}


def test_an_older_range_moves_read_from_back_over_its_done_windows_only() -> None:
    older = [replace(t, history=True) for t in reversed(lane_tasks(["a"], [-180, -90, 0]))]
    newer = lane_tasks(["a"], [0, 90])
    # Newest first: the window next to the old start is done, the oldest one is not yet.
    partly = feed([*older, *newer], [True, False, True])
    assert partly.read_from() == {"a": T0 - timedelta(days=90)}
    assert partly.scanned_until() == {"a": T0 + timedelta(days=90)}, "history does not cap the mark"
    assert feed([*older, *newer], [False, True, True]).read_from() == {}
    assert feed([*older, *newer], [True] * 3, done=True).read_from() == {
        "a": T0 - timedelta(days=180)
    }


def test_no_scopes_means_no_marks() -> None:
    assert Feed(None, [], RUN_END).scanned_until() == {}
    assert Feed(None, [], RUN_END).done


def context(load_every_s: float | None) -> ConnectionRun:
    client: Any = SimpleNamespace(stats=RequestStats())
    return ConnectionRun(client, None, None, T0, timedelta(0), 1, load_every_s=load_every_s)  # type: ignore[arg-type]


def test_a_part_needs_both_the_time_and_requests_held_back_by_the_rate_limit() -> None:
    ctx = context(0.05)
    enough = ctx.part_timer(ReadyFetcher(True))  # type: ignore[arg-type]
    assert enough is not None
    assert not enough()
    time.sleep(0.06)
    assert not enough(), "CPU-bound: nothing waited, so one load is cheaper"
    ctx.client.stats.add_wait(0.5)
    assert enough()


def test_no_parts_when_load_every_s_is_off() -> None:
    assert context(None).part_timer(ReadyFetcher(True)) is None  # type: ignore[arg-type]
    assert context(0).part_timer(ReadyFetcher(True)) is None  # type: ignore[arg-type]


class ReadyFetcher:
    """A fetch that has, or has not, a page waiting."""

    def __init__(self, ready: bool) -> None:
        self.is_ready = ready

    def ready(self) -> bool:
        return self.is_ready


def test_together_a_part_ends_once_it_ran_its_minimum_and_its_fetch_has_no_page_ready(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run_module, "TOGETHER_PART_S", 0.05)
    ctx = context(60)
    ctx.together = True
    fetcher = ReadyFetcher(False)
    enough = ctx.part_timer(fetcher)  # type: ignore[arg-type]
    assert enough is not None
    assert not enough(), "too short: the part's load would cost more than its pages"
    time.sleep(0.06)
    assert enough(), "nothing ready: the other connections' turn, waited for the limit or not"
    fetcher.is_ready = True
    assert not enough(), "pages ready: loaded in this part"
    alone = context(60)
    timer = alone.part_timer(ReadyFetcher(False))  # type: ignore[arg-type]
    alone.client.stats.add_wait(0.5)
    time.sleep(0.06)
    assert timer is not None and not timer(), "alone, a part runs its time"


def held_page(seconds: int) -> tuple[pa.Table, None]:
    updated = pa.array([T0 + timedelta(days=200, seconds=seconds, microseconds=500)], TIMESTAMP)
    return pa.table({"id": ["x"], "updated_utc": updated}), None


def test_held_records_hold_the_marks_back_and_the_feed_open_until_merged() -> None:
    appended = feed(lane_tasks(["a", "b", "c"], [0, 300]), [True], done=True)
    appended.held.extend([held_page(7), held_page(3)])
    assert appended.merging and not appended.done
    # Not loaded yet: a run that dies here must re-read them (from the whole second below).
    assert appended.scanned_until() == dict.fromkeys("abc", T0 + timedelta(days=200, seconds=3))
    appended.held.clear()
    assert not appended.merging and appended.done
    assert appended.scanned_until() == dict.fromkeys("abc", RUN_END)


def test_a_resource_appends_only_if_chosen_and_not_in_its_merge_load() -> None:
    ctx = context(None)
    ctx.appending = frozenset({"reservations"})
    assert ctx.appends("reservations") and not ctx.appends("product_service_orders")
    appended = feed(lane_tasks(["a"], [0, 90]), [True], done=True)
    ctx.feeds["reservations"] = appended
    appended.held.append(held_page(1))
    assert not ctx.appends("reservations")
    assert ctx.unfinished(["reservations"]) == ["reservations"]
