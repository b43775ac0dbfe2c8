"""Cursor pagination: newest first, each record exactly once, windows, ties and moved cursors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mews_simulator import SimulatorConfig
from mews_simulator.times import add_months, format_us, parse_utc, to_us
from tests.simulator.helpers import Api, open_api


def _key(item: dict[str, Any]) -> tuple[int, str]:
    stamp = parse_utc(item["UpdatedUtc"])
    assert stamp is not None
    return stamp, item["Id"]


def _window(start_us: int, end_us: int) -> dict[str, str]:
    return {"StartUtc": format_us(start_us), "EndUtc": format_us(end_us)}


@pytest.fixture(scope="module")
def big() -> Iterator[Api]:
    """20k reservations created within the last 80 days: one 3-month window holds them all."""
    config = SimulatorConfig(
        seed=11, reservation_count=20_000, product_service_order_count=3_000, history_days=80,
        rate_limit_requests=100_000,
    )  # fmt: skip
    with open_api(config) as api:
        yield api


def test_one_window_walk_sees_each_record_once_newest_first(big: Api) -> None:
    now = to_us(datetime.now(UTC))
    pages, cursor = [], None
    window = _window(add_months(now, -3), now)
    while True:
        limitation = {"Count": 1000, "Cursor": cursor}
        page = big.post("reservations", UpdatedUtc=window, Limitation=limitation).json()
        pages.append(page)
        cursor = page["Cursor"]
        if cursor is None:
            break
    items = [r for page in pages for r in page["Reservations"]]
    assert pages[-1] == {"Reservations": [], "Cursor": None}
    assert all(p["Cursor"] == p["Reservations"][-1]["Id"] for p in pages[:-1])
    assert [len(p["Reservations"]) for p in pages[:-1]] == [1000] * 20
    keys = [_key(r) for r in items]
    assert keys == sorted(keys, reverse=True)
    assert len({r["Id"] for r in items}) == len(items) == 20_000
    assert sorted(items, key=_key) == sorted(big.sim.data.reservations(), key=_key)


@pytest.mark.parametrize(
    ("name", "count"),
    [("reservations", 1000), ("reservations", 7), ("product_service_orders", 250)],
    ids=["reservations-1000", "reservations-7", "orders-250"],
)
def test_contiguous_windows_union_equals_truth(api: Api, name: str, count: int) -> None:
    truth = getattr(api.sim.data, name)()
    fields = (
        {"ServiceIds": api.additional_service_ids()} if name == "product_service_orders" else {}
    )
    oldest = min(parse_utc(r["UpdatedUtc"]) or 0 for r in truth)
    end, seen = to_us(datetime.now(UTC)) + 1, []
    start = oldest
    while start < end:  # [start, stop) windows meet exactly: half-open, so no overlap
        stop = min(add_months(start, 3), end)
        window = _window(start, stop)
        seen.extend(api.walk(name, count=count, UpdatedUtc=window, **fields))
        start = stop
    assert len(seen) == len({r["Id"] for r in seen}) == len(truth)
    assert sorted(seen, key=_key) == sorted(truth, key=_key)


def test_records_sharing_updated_utc_page_one_at_a_time(api: Api) -> None:
    by_stamp: dict[str, list[str]] = {}
    for r in api.sim.data.reservations():
        by_stamp.setdefault(r["UpdatedUtc"], []).append(r["Id"])
    stamp, ids = max(by_stamp.items(), key=lambda kv: len(kv[1]))
    assert len(ids) >= 2, "the seed data must contain UpdatedUtc ties"
    equal = {"StartUtc": stamp, "EndUtc": stamp}
    items = api.walk("reservations", count=1, UpdatedUtc=equal)
    assert [r["Id"] for r in items] == sorted(ids, reverse=True)


@pytest.mark.parametrize("inclusive", [False, True], ids=["docs-half-open", "inclusive-end"])
def test_interval_bounds(inclusive: bool) -> None:
    config = SimulatorConfig(seed=3, reservation_count=3000, inclusive_interval_end=inclusive)
    with open_api(config) as api:
        stamps = sorted({parse_utc(r["UpdatedUtc"]) or 0 for r in api.sim.data.reservations()})
        first, last = stamps[100], stamps[160]
        ids = {r["Id"] for r in api.walk("reservations", UpdatedUtc=_window(first, last))}
        truth = api.sim.data.reservations()
        at_start = {r["Id"] for r in truth if parse_utc(r["UpdatedUtc"]) == first}
        at_end = {r["Id"] for r in truth if parse_utc(r["UpdatedUtc"]) == last}
        assert at_start <= ids
        assert (at_end & ids) == (at_end if inclusive else set())


def test_unknown_cursor_is_400(api: Api) -> None:
    limitation = {"Count": 5, "Cursor": "3f2504e0-4f89-41d3-9a0c-0305e82c3301"}
    response = api.post("reservations", Limitation=limitation)
    assert response.status_code == 400
    assert response.json()["Message"] == "Invalid Cursor"


def test_cursor_of_a_moved_record_continues_where_it_was_served(fresh_api: Api) -> None:
    api = fresh_api
    now = to_us(datetime.now(UTC))
    window = _window(add_months(now, -3), now)
    first = api.post("reservations", UpdatedUtc=window, Limitation={"Count": 50}).json()
    served = {r["Id"] for r in first["Reservations"]}
    later = datetime.now(UTC) + timedelta(seconds=1)
    moved = api.sim.data.mutate(create=0, ids=[first["Cursor"]], now=later)
    assert moved.updated_reservation_ids == [first["Cursor"]]
    rest: list[dict[str, Any]] = []
    cursor = first["Cursor"]
    while cursor is not None:
        limitation = {"Count": 50, "Cursor": cursor}
        page = api.post("reservations", UpdatedUtc=window, Limitation=limitation).json()
        rest.extend(page["Reservations"])
        cursor = page["Cursor"]
    expected = {
        r["Id"] for r in api.sim.data.reservations() if add_months(now, -3) <= _key(r)[0] < now
    }
    assert not served & {r["Id"] for r in rest}
    assert served | {r["Id"] for r in rest} == expected | {first["Cursor"]}
