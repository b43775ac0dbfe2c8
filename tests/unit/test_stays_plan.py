"""The stays lane (`stays_from_start_date`): stays from start_date on, newest window first."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mews_source import settings
from mews_source.paging import Page
from mews_source.windows import Outcome, Span, Stays, next_tasks, stays_tasks, window_end

START = datetime(2024, 1, 1, tzinfo=UTC)
RUN_END = datetime(2025, 6, 30, 12, 0, 1, tzinfo=UTC)
SPAN = Span(START, timedelta(minutes=10), RUN_END)


def plan_stays(read_from: dict[str, str], scopes: list[str] | None = None) -> list[Any]:
    stays = Stays("ScheduledStartUtc", read_from)
    return stays_tasks(scopes or ["a"], stays, SPAN, lambda chunk: {"ServiceIds": chunk})


def test_first_read_covers_start_to_ahead_of_the_run_newest_first_in_3_month_windows():
    tasks = plan_stays({})
    assert all(t.stays and t.history and t.interval == "ScheduledStartUtc" for t in tasks)
    assert tasks[0].end == RUN_END + settings.STAYS_AHEAD and tasks[-1].start == START
    for newer, older in zip(tasks, tasks[1:], strict=False):
        assert older.end == newer.start, "windows share their boundaries, newest first"
    assert all(t.end <= window_end(t.start) for t in tasks)
    assert "ScheduledStartUtc" in tasks[0].request() and "UpdatedUtc" not in tasks[0].request()


def test_a_scope_read_back_to_a_later_start_reads_only_below_it_and_one_at_start_none():
    later = "2024-07-01T00:00:00+00:00"
    tasks = plan_stays({"a": later, "b": START.isoformat()}, ["a", "b"])
    assert {t.scope for t in tasks} == {("a",)}
    assert tasks[0].end == datetime.fromisoformat(later) and tasks[-1].start == START


def test_a_stays_window_follows_its_cursor_and_is_never_cut_by_updated_utc():
    task = plan_stays({})[0]
    page = Page(items=[{}] * task.page_size, cursor="next")  # a full page: more follow
    outcome = Outcome([], page, newest=task.end, oldest=task.start, newest_first=False)
    assert next_tasks(task, outcome, spare_workers=8) == [replace(task, cursor="next")]
    forward = replace(task, stays=False, history=False, interval="UpdatedUtc")
    assert len(next_tasks(forward, outcome, spare_workers=8)) > 1, "an UpdatedUtc one is cut"
