"""pace_nightly recomputed in Python from the reservations each load brought, and read back.

Shared by test_pace (the hand-written sample) and test_marts_on_simulator (the loader's output).
A reservation row here has the loaded shape: id, enterprise_id, state, scheduled_start_utc,
scheduled_end_utc, updated_utc (aware datetimes); an order item: service_order_id,
enterprise_id, type, accounting_state, consumed_utc, amount__currency, amount__net_value.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.dbt.warehouses import Warehouse

ANALYTICS = "mews_analytics"
OCCUPYING_STATES = {"Confirmed", "Started", "Processed"}
Pace = dict[tuple[date, str, date], tuple[int, float | None, int | None, int | None]]
Version = tuple[dict[str, Any], date, date | None]  # row, first local date, end local date


def _local_date(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(ZoneInfo(time_zone)).date()


def _versions(loaded: list[list[dict[str, Any]]], zones: dict[str, str]) -> list[Version]:
    """Each version a timestamp snapshot keeps: a row counts when its updated_utc is newer."""
    history: dict[str, list[dict[str, Any]]] = {}
    for rows in loaded:
        for row in rows:
            kept = history.setdefault(row["id"], [])
            if not kept or row["updated_utc"] > kept[-1]["updated_utc"]:
                kept.append(row)
    versions = []
    for kept in history.values():
        for index, row in enumerate(kept):
            zone = zones[row["enterprise_id"]]
            later = kept[index + 1]["updated_utc"] if index + 1 < len(kept) else None
            end = _local_date(later, zone) if later else None
            versions.append((row, _local_date(row["updated_utc"], zone), end))
    return versions


def _nights(row: dict[str, Any], zone: str) -> list[date]:
    first = _local_date(row["scheduled_start_utc"], zone)
    end = _local_date(row["scheduled_end_utc"], zone)
    return [first + timedelta(days=n) for n in range((end - first).days)]


def _room_items(
    items: Iterable[dict[str, Any]], zones: dict[str, str]
) -> dict[tuple[str, date], list[tuple[str, float]]]:
    """(currency, net) of the SpaceOrder items not canceled per (reservation, local night)."""
    nightly: dict[tuple[str, date], list[tuple[str, float]]] = {}
    for item in items:
        if item["type"] == "SpaceOrder" and item["accounting_state"] != "Canceled":
            night = _local_date(item["consumed_utc"], zones[item["enterprise_id"]])
            amount = (item["amount__currency"], item["amount__net_value"])
            nightly.setdefault((item["service_order_id"], night), []).append(amount)
    return nightly


def _days(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=n) for n in range((last - first).days + 1))


def expected_pace(
    loaded: list[list[dict[str, Any]]], items: Iterable[dict[str, Any]], zones: dict[str, str]
) -> Pace:
    """Books per (local snapshot date, enterprise, night >= it), each night any version held.

    Snapshot dates run from the enterprise's first version to its local today; a version is
    on the books of day D when first <= D < end.
    """
    versions = _versions(loaded, zones)
    room_items = _room_items(items, zones)
    books: dict[tuple[date, str, date], tuple[int, list[tuple[str, float]]]] = {}
    for enterprise, zone in zones.items():
        own = [version for version in versions if version[0]["enterprise_id"] == enterprise]
        if not own:
            continue
        booked = [v for v in own if v[0]["state"] in OCCUPYING_STATES]
        start = min(first for _, first, _ in own)
        today = datetime.now(ZoneInfo(zone)).date()
        for night in {night for row, _, _ in booked for night in _nights(row, zone)}:
            for day in _days(start, min(today, night)):
                books[(day, enterprise, night)] = (0, [])
        for row, first, end in booked:
            for night in _nights(row, zone):
                last = min(today, night, end - timedelta(days=1) if end else today)
                amounts = room_items.get((row["id"], night), [])
                for day in _days(first, last):
                    rooms, held = books[(day, enterprise, night)]
                    books[(day, enterprise, night)] = (rooms + 1, held + amounts)

    def revenue(amounts: list[tuple[str, float]]) -> float | None:
        single = len({currency for currency, _ in amounts}) <= 1
        return sum(net for _, net in amounts) if single else None

    def earlier(key: tuple[date, str, date], days: int) -> int | None:
        before = books.get((key[0] - timedelta(days=days), key[1], key[2]))
        return books[key][0] - before[0] if before else None

    return {
        key: (rooms, revenue(amounts), earlier(key, 1), earlier(key, 7))
        for key, (rooms, amounts) in books.items()
    }


def pace_nightly(warehouse: Warehouse) -> Pace:
    rows = warehouse.fetch(f"select * from {ANALYTICS}.pace_nightly")
    return {
        (row["snapshot_date"], row["enterprise_id"], row["night_date"]): (
            row["rooms_on_the_books"],
            row["room_revenue_on_the_books"],
            row["pickup_1d"],
            row["pickup_7d"],
        )
        for row in rows
    }
