"""split_windows / add_months / split_evenly: UpdatedUtc windows the API accepts (max 3 months)."""

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from mews_source.windows import add_months, split_evenly, split_windows

MAX_WINDOW_DAYS = timedelta(days=89)  # the documented 3 months, counted in days


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def assert_valid_cover(
    windows: list[tuple[datetime, datetime]], start: datetime, end: datetime
) -> None:
    """Windows cover [start, end] exactly, share boundaries, and each is within API limits."""
    assert windows, "no window at all"
    assert windows[0][0] == start
    assert windows[-1][1] == end
    for (_, previous_end), (next_start, _) in zip(windows, windows[1:], strict=False):
        assert next_start == previous_end, "neighbours must share their boundary"
    for lower, upper in windows:
        assert lower <= upper
        # relativedelta is an independent calendar implementation (clamps Jan 31 + 1 month).
        assert upper <= lower + relativedelta(months=3), f"{lower}..{upper} exceeds 3 months"
        assert upper - lower <= timedelta(days=89), f"{lower}..{upper} exceeds 89 days"
    if len(windows) > 1:
        assert all(lower < upper for lower, upper in windows), "empty window in a multi-window run"


TRICKY_STARTS = [
    pytest.param(utc(2023, 1, 31), utc(2024, 2, 1), id="jan-31"),
    pytest.param(utc(2023, 2, 28), utc(2024, 3, 1), id="feb-28-common-year"),
    pytest.param(utc(2024, 2, 29), utc(2025, 3, 1), id="feb-29-leap-year"),
    pytest.param(utc(2024, 2, 28), utc(2024, 12, 31), id="feb-28-leap-year"),
    pytest.param(utc(2023, 11, 30), utc(2024, 6, 1), id="nov-30"),
    pytest.param(utc(2023, 12, 31), utc(2024, 12, 31), id="dec-31"),
    pytest.param(utc(2023, 12, 31, 23, 59, 59), utc(2024, 4, 1), id="dec-31-last-second"),
    pytest.param(utc(2024, 5, 1, 12, 30), utc(2024, 5, 1, 12, 31), id="one-minute"),
]


@pytest.mark.parametrize(("start", "end"), TRICKY_STARTS)
def test_split_windows_covers_range_within_limits(start: datetime, end: datetime) -> None:
    assert_valid_cover(list(split_windows(start, end)), start, end)


def test_split_windows_yields_one_empty_window_when_start_equals_end() -> None:
    moment = utc(2024, 2, 29, 10)
    assert list(split_windows(moment, moment)) == [(moment, moment)]


def test_split_windows_refuses_start_after_end() -> None:
    with pytest.raises(ValueError, match="after end"):
        list(split_windows(utc(2024, 2, 1), utc(2024, 1, 1)))


def test_split_windows_uses_the_longest_window_allowed() -> None:
    windows = list(split_windows(utc(2024, 1, 1), utc(2024, 12, 31)))
    assert windows[:2] == [
        (utc(2024, 1, 1), utc(2024, 3, 30)),  # 89 days is shorter than Jan 1 -> Apr 1
        (utc(2024, 3, 30), utc(2024, 6, 27)),
    ]


def test_split_windows_keeps_the_timezone_of_its_bounds() -> None:
    windows = list(split_windows(utc(2024, 1, 1), utc(2024, 7, 1)))
    assert all(lower.tzinfo is UTC and upper.tzinfo is UTC for lower, upper in windows)


def test_max_window_is_shorter_than_any_three_calendar_months() -> None:
    # Nov 30 -> Feb 28 of a common year is the shortest 3-month span: 90 days.
    assert MAX_WINDOW_DAYS < utc(2023, 2, 28) - utc(2022, 11, 30)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        pytest.param(utc(2024, 1, 31), 1, utc(2024, 2, 29), id="jan-31-to-leap-feb"),
        pytest.param(utc(2023, 1, 31), 1, utc(2023, 2, 28), id="jan-31-to-common-feb"),
        pytest.param(utc(2023, 11, 30), 3, utc(2024, 2, 29), id="nov-30-to-leap-feb"),
        pytest.param(utc(2023, 12, 31), 3, utc(2024, 3, 31), id="dec-31-over-new-year"),
        pytest.param(utc(2024, 2, 29), 12, utc(2025, 2, 28), id="leap-day-plus-year"),
        pytest.param(utc(2024, 3, 31), -1, utc(2024, 2, 29), id="negative-months"),
        pytest.param(utc(2024, 1, 15), -13, utc(2022, 12, 15), id="back-over-two-years"),
        pytest.param(utc(2024, 5, 31, 23, 59, 58), 1, utc(2024, 6, 30, 23, 59, 58), id="keep-time"),
        pytest.param(utc(2024, 5, 10), 0, utc(2024, 5, 10), id="zero"),
    ],
)
def test_add_months_clamps_day_to_target_month(
    moment: datetime, months: int, expected: datetime
) -> None:
    assert add_months(moment, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "parts", "expected"),
    [
        pytest.param(
            utc(2024, 1, 1),
            utc(2024, 1, 1, 4),
            4,
            [(utc(2024, 1, 1, h), utc(2024, 1, 1, h + 1)) for h in range(4)],
            id="four-hours-in-four",
        ),
        pytest.param(
            utc(2024, 1, 1), utc(2024, 1, 2), 1, [(utc(2024, 1, 1), utc(2024, 1, 2))], id="one"
        ),
        pytest.param(
            utc(2024, 1, 1),
            utc(2024, 1, 1, 0, 0, 1),
            3,
            [
                (utc(2024, 1, 1), utc(2024, 1, 1) + timedelta(microseconds=333333)),
                (
                    utc(2024, 1, 1) + timedelta(microseconds=333333),
                    utc(2024, 1, 1) + timedelta(microseconds=666666),
                ),
                (utc(2024, 1, 1) + timedelta(microseconds=666666), utc(2024, 1, 1, 0, 0, 1)),
            ],
            id="uneven-ends-exactly-at-end",
        ),
    ],
)
def test_split_evenly_shares_boundaries_and_ends_at_end(
    start: datetime, end: datetime, parts: int, expected: list[tuple[datetime, datetime]]
) -> None:
    assert split_evenly(start, end, parts) == expected


MOMENTS = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2030, 12, 31, 23, 59, 59)
).map(lambda moment: moment.replace(tzinfo=UTC))


@given(first=MOMENTS, second=MOMENTS)
def test_split_windows_covers_any_range_in_order_within_limits(
    first: datetime, second: datetime
) -> None:
    start, end = min(first, second), max(first, second)
    windows = list(split_windows(start, end))
    assert_valid_cover(windows, start, end)
    assert windows == sorted(windows)
    # No needlessly many windows: 3 calendar months are never shorter than 89 days.
    assert all(upper - lower == MAX_WINDOW_DAYS for lower, upper in windows[:-1])


@given(start=MOMENTS, parts=st.integers(min_value=1, max_value=16))
def test_split_evenly_covers_window_in_equal_parts(start: datetime, parts: int) -> None:
    end = start + timedelta(days=89)
    windows = split_evenly(start, end, parts)
    assert len(windows) == parts
    assert windows[0][0] == start and windows[-1][1] == end
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))
    lengths = [upper - lower for lower, upper in windows]
    assert max(lengths) - min(lengths) <= timedelta(microseconds=parts)
