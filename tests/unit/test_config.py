"""Run configuration: start date parsing, connections from one token or a list, selection."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from mews_source.config import (
    Connection,
    build_connections,
    overlap,
    parse_start_date,
    select_connection,
)
from mews_source.errors import ConfigError

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TOKEN = "C66EF7B239D24632943D115EDE9CB810-EA00F8FD8294692C940F6B5A8F9453D"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2024-01-01T00:00:00Z", datetime(2024, 1, 1, tzinfo=UTC), id="z"),
        pytest.param("2024-01-01T00:00:00+00:00", datetime(2024, 1, 1, tzinfo=UTC), id="plus-zero"),
        pytest.param("2024-01-01T02:00:00+02:00", datetime(2024, 1, 1, tzinfo=UTC), id="offset"),
        pytest.param("2024-01-01T00:00:00", datetime(2024, 1, 1, tzinfo=UTC), id="naive-is-utc"),
        pytest.param("2024-01-01", datetime(2024, 1, 1, tzinfo=UTC), id="date-only"),
        pytest.param(" 2024-01-01T00:00:00Z ", datetime(2024, 1, 1, tzinfo=UTC), id="padded"),
        pytest.param(
            "2024-01-01T00:00:00.987654Z", datetime(2024, 1, 1, tzinfo=UTC), id="fraction-dropped"
        ),
        pytest.param(datetime(2024, 1, 1), datetime(2024, 1, 1, tzinfo=UTC), id="naive-datetime"),
        pytest.param(
            datetime(2024, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
            datetime(2024, 1, 1, tzinfo=UTC),
            id="aware-datetime",
        ),
        pytest.param(NOW.isoformat(), NOW, id="exactly-now"),
    ],
)
def test_parse_start_date_returns_aware_utc(value: Any, expected: datetime) -> None:
    parsed = parse_start_date(value, NOW)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(None, "missing", id="none"),
        pytest.param("", "missing", id="empty"),
        pytest.param("last tuesday", "not an ISO 8601", id="junk"),
        pytest.param("2024-13-01", "not an ISO 8601", id="month-13"),
        pytest.param("01/02/2024", "not an ISO 8601", id="us-format"),
        pytest.param("2025-06-01T12:00:01Z", "in the future", id="one-second-ahead"),
        pytest.param("2030-01-01", "in the future", id="future-date"),
        pytest.param("2025-06-01T13:00:00+00:30", "in the future", id="future-after-offset"),
    ],
)
def test_parse_start_date_refuses_missing_junk_and_future(value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_start_date(value, NOW)


def test_build_connections_from_a_single_token() -> None:
    assert build_connections(TOKEN, ["e1", "e2"], None) == [
        Connection("default", TOKEN, ("e1", "e2"))
    ]
    assert build_connections(TOKEN, None, []) == [Connection("default", TOKEN, ())]


def test_build_connections_from_a_list_prefers_it_over_the_single_token() -> None:
    connections = build_connections(
        "ignored",
        None,
        [
            {"name": "hotel_a", "access_token": "tok-a", "enterprise_ids": ["e1"]},
            {"access_token": "tok-b"},
        ],
    )
    assert connections == [
        Connection("hotel_a", "tok-a", ("e1",)),
        Connection("connection_1", "tok-b", ()),
    ]


@pytest.mark.parametrize(
    ("token", "ids", "connections", "message"),
    [
        pytest.param(None, None, None, "access_token is empty or missing", id="no-token"),
        pytest.param("  ", None, None, "access_token is empty or missing", id="blank-token"),
        pytest.param(TOKEN, "e1", None, "enterprise_ids must be a JSON list", id="ids-string"),
        pytest.param(TOKEN, ["e1", ""], None, "enterprise_ids must be", id="ids-with-empty"),
        pytest.param(
            None, None, [{"name": "a"}], r"connections\[0\] \(a\) has an empty", id="entry-no-token"
        ),
        pytest.param(
            None,
            None,
            [{"name": "a", "access_token": "t"}, {"access_token": ""}],
            r"connections\[1\] \(connection_1\) has an empty",
            id="second-entry-empty-token",
        ),
        pytest.param(None, None, ["tok"], r"connections\[0\] must be a table", id="entry-string"),
        pytest.param(
            None,
            None,
            [{"name": "a", "access_token": "t", "enterprise_ids": [1]}],
            "a.enterprise_ids must be",
            id="entry-ids-not-strings",
        ),
    ],
)
def test_build_connections_refuses_missing_tokens_and_bad_ids(
    token: str | None, ids: Any, connections: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        build_connections(token, ids, connections)
    assert TOKEN not in str(info.value)


def test_connection_repr_hides_the_token() -> None:
    assert TOKEN not in repr(Connection("default", TOKEN, ("e1",)))


CONNECTIONS = [Connection("a", "tok-a"), Connection("b", "tok-b")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [pytest.param(None, CONNECTIONS, id="all"), pytest.param("b", CONNECTIONS[1:], id="named")],
)
def test_select_connection_returns_all_or_the_named_one(
    name: str | None, expected: list[Connection]
) -> None:
    assert select_connection(CONNECTIONS, name) == expected


def test_select_connection_refuses_an_unknown_name_and_lists_the_known() -> None:
    with pytest.raises(ConfigError, match=r"no connection named 'c' \(configured: a, b\)") as info:
        select_connection(CONNECTIONS, "c")
    assert "tok-" not in str(info.value)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [pytest.param(0, timedelta(0), id="zero"), pytest.param(10, timedelta(minutes=10), id="ten")],
)
def test_overlap_is_a_timedelta_of_minutes(minutes: float, expected: timedelta) -> None:
    assert overlap(minutes) == expected


def test_overlap_refuses_negative_minutes() -> None:
    with pytest.raises(ConfigError, match="negative"):
        overlap(-1)
