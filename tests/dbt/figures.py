"""The marts' figures recomputed in Python from the raw tables, and the marts read back.

Independent of the SQL: local dates through zoneinfo, nights and rooms counted record by
record. test_dbt_build compares them on the hand-written sample; test_marts_on_simulator on
the loader's output from the simulator.
"""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from tests.dbt.raw_tables import DATASET
from tests.dbt.warehouses import Warehouse

ANALYTICS = "mews_analytics"


def _local_date(value: datetime | str, time_zone: str) -> date:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(time_zone)).date()


def _raw(warehouse: Warehouse, table: str) -> list[dict[str, Any]]:
    return warehouse.fetch(f"select * from {DATASET}.{table}")


def time_zones(warehouse: Warehouse) -> dict[str, str]:
    return {row["id"]: row["time_zone_identifier"] for row in _raw(warehouse, "enterprises")}


def expected_guests_per_night(warehouse: Warehouse) -> Counter[tuple[str, date, str]]:
    """Guests per (enterprise, local night, classification) over non-canceled reservations."""
    zones = time_zones(warehouse)
    classification = {row["id"]: row["classification"] for row in _raw(warehouse, "age_categories")}
    guests_by_reservation: dict[str, list[tuple[str, int]]] = {}
    for row in _raw(warehouse, "reservations__person_counts"):
        kind = classification.get(row["age_category_id"], "Unknown")
        guests_by_reservation.setdefault(row["reservation_id"], []).append((kind, row["count"]))
    guests: Counter[tuple[str, date, str]] = Counter()
    for reservation in _raw(warehouse, "reservations"):
        if reservation["state"] == "Canceled":
            continue
        zone = zones[reservation["enterprise_id"]]
        arrival = _local_date(reservation["scheduled_start_utc"], zone)
        departure = _local_date(reservation["scheduled_end_utc"], zone)
        for offset in range((departure - arrival).days):
            night = arrival + timedelta(days=offset)
            for kind, count in guests_by_reservation.get(reservation["id"], []):
                guests[(reservation["enterprise_id"], night, kind)] += count
    return guests


def expected_reservations_by_state_origin_daily(
    warehouse: Warehouse,
) -> Counter[tuple[str, date, str, str]]:
    """Reservations per (enterprise, local creation date, state, origin)."""
    zones = time_zones(warehouse)
    return Counter(
        (
            row["enterprise_id"],
            _local_date(row["created_utc"], zones[row["enterprise_id"]]),
            row["state"],
            row["origin"],
        )
        for row in _raw(warehouse, "reservations")
    )


def guests_per_night(warehouse: Warehouse) -> dict[tuple[str, date, str], int]:
    rows = warehouse.fetch(f"select * from {ANALYTICS}.guests_per_night_by_age_category")
    return {
        (row["enterprise_id"], row["night_date"], row["age_category_classification"]): row[
            "guest_count"
        ]
        for row in rows
    }


def reservations_by_state_origin_daily(
    warehouse: Warehouse,
) -> dict[tuple[str, date, str, str], int]:
    rows = warehouse.fetch(f"select * from {ANALYTICS}.reservations_by_state_origin_daily")
    return {
        (row["enterprise_id"], row["created_date"], row["state"], row["origin"]): row[
            "reservation_count"
        ]
        for row in rows
    }


def expected_cancellations_daily(
    warehouse: Warehouse,
) -> dict[tuple[str, date], tuple[int, int, float]]:
    """(cancellations, room nights, median lead days) per (enterprise, local cancellation day)."""
    zones = time_zones(warehouse)
    by_day: dict[tuple[str, date], list[tuple[int, int]]] = {}
    for row in _raw(warehouse, "reservations"):
        if row["state"] != "Canceled" or row["cancelled_utc"] is None:
            continue
        zone = zones[row["enterprise_id"]]
        arrival = _local_date(row["scheduled_start_utc"], zone)
        nights = max((_local_date(row["scheduled_end_utc"], zone) - arrival).days, 0)
        lead = (arrival - _local_date(row["created_utc"], zone)).days
        day = (row["enterprise_id"], _local_date(row["cancelled_utc"], zone))
        by_day.setdefault(day, []).append((nights, lead))
    return {
        day: (len(rows), sum(n for n, _ in rows), float(median(lead for _, lead in rows)))
        for day, rows in by_day.items()
    }


def cancellations_daily(warehouse: Warehouse) -> dict[tuple[str, date], tuple[int, int, float]]:
    rows = warehouse.fetch(f"select * from {ANALYTICS}.cancellations_daily")
    return {
        (row["enterprise_id"], row["cancellation_date"]): (
            row["cancellations"],
            row["cancelled_room_nights"],
            row["median_lead_time_days"],
        )
        for row in rows
    }


OCCUPYING_STATES = {"Confirmed", "Started", "Processed"}


Occupancy = dict[tuple[str, date, str], tuple[int, int, float | None]]


def _nights(first: date, end: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((end - first).days)]


def _stays(warehouse: Warehouse) -> list[tuple[str, str, date, date]]:
    """(enterprise, category, local arrival, local departure) of the room-occupying stays."""
    zones = time_zones(warehouse)
    stays = []
    for row in _raw(warehouse, "reservations"):
        if row["state"] in OCCUPYING_STATES:
            zone = zones[row["enterprise_id"]]
            arrival = _local_date(row["scheduled_start_utc"], zone)
            departure = _local_date(row["scheduled_end_utc"], zone)
            category = row["requested_resource_category_id"]
            stays.append((row["enterprise_id"], category, arrival, departure))
    return stays


def _out_of_order_nights(warehouse: Warehouse) -> set[tuple[str, date]]:
    zones = time_zones(warehouse)
    blocked = set()
    for row in _raw(warehouse, "resource_blocks"):
        if row["is_active"] and row["type"] == "OutOfOrder":
            zone = zones[row["enterprise_id"]]
            first = _local_date(row["start_utc"], zone)
            end = _local_date(row["end_utc"], zone)
            blocked |= {(row["assigned_resource_id"], night) for night in _nights(first, end)}
    return blocked


def expected_occupancy_nightly(warehouse: Warehouse) -> Occupancy:
    """(available, sold, occupancy) per (enterprise, local night, active category)."""
    stays = [stay for stay in _stays(warehouse) if stay[2] < stay[3]]
    active = {row["id"] for row in _raw(warehouse, "resources") if row["is_active"]}
    rooms: dict[str, set[str]] = {}
    for row in _raw(warehouse, "resource_category_assignments"):
        if row["is_active"] and row["resource_id"] in active:
            rooms.setdefault(row["category_id"], set()).add(row["resource_id"])
    blocked = _out_of_order_nights(warehouse)
    figures: Occupancy = {}
    for category in _raw(warehouse, "resource_categories"):
        enterprise = category["enterprise_id"]
        own = [stay for stay in stays if stay[0] == enterprise]
        if not category["is_active"] or not own:
            continue
        first, end = min(stay[2] for stay in own), max(stay[3] for stay in own)
        for night in _nights(first, end):
            free = rooms.get(category["id"], set())
            available = len({room for room in free if (room, night) not in blocked})
            sold = sum(1 for s in own if s[1] == category["id"] and s[2] <= night < s[3])
            occupancy = sold / available if available else None
            figures[(enterprise, night, category["id"])] = (available, sold, occupancy)
    return figures


def occupancy_nightly(warehouse: Warehouse) -> Occupancy:
    rows = warehouse.fetch(f"select * from {ANALYTICS}.occupancy_nightly")
    return {
        (row["enterprise_id"], row["night_date"], row["resource_category_id"]): (
            row["rooms_available"],
            row["rooms_sold"],
            row["occupancy"],
        )
        for row in rows
    }


Revenue = dict[tuple[str, date, str], tuple[float, float, int, int, float | None, float | None]]


def expected_revenue_nightly(warehouse: Warehouse) -> Revenue:
    """(net, gross, sold, available, adr, revpar) per (enterprise, local night, currency)."""
    zones = time_zones(warehouse)
    sums: dict[tuple[str, date, str], tuple[float, float]] = {}
    for item in sorted(_raw(warehouse, "order_items"), key=lambda row: row["id"]):
        if item["type"] != "SpaceOrder" or item["accounting_state"] == "Canceled":
            continue
        night = _local_date(item["consumed_utc"], zones[item["enterprise_id"]])
        key = (item["enterprise_id"], night, item["amount__currency"])
        net, gross = sums.get(key, (0.0, 0.0))
        sums[key] = (net + item["amount__net_value"], gross + item["amount__gross_value"])
    categories = {
        row["id"]: row["enterprise_id"]
        for row in _raw(warehouse, "resource_categories")
        if row["is_active"]
    }
    active = {row["id"] for row in _raw(warehouse, "resources") if row["is_active"]}
    hotel_rooms = {
        (categories[row["category_id"]], row["resource_id"])
        for row in _raw(warehouse, "resource_category_assignments")
        if row["is_active"] and row["category_id"] in categories and row["resource_id"] in active
    }
    blocked = _out_of_order_nights(warehouse)
    stays = _stays(warehouse)
    figures: Revenue = {}
    for (enterprise, night, currency), (net, gross) in sums.items():
        sold = sum(1 for s in stays if s[0] == enterprise and s[2] <= night < s[3])
        available = sum(
            1 for hotel, room in hotel_rooms if hotel == enterprise and (room, night) not in blocked
        )
        adr = net / sold if sold else None
        revpar = net / available if available else None
        figures[(enterprise, night, currency)] = (net, gross, sold, available, adr, revpar)
    return figures


def revenue_nightly(warehouse: Warehouse) -> Revenue:
    rows = warehouse.fetch(f"select * from {ANALYTICS}.revenue_nightly")
    return {
        (row["enterprise_id"], row["night_date"], row["currency"]): (
            row["room_revenue_net"],
            row["room_revenue_gross"],
            row["rooms_sold"],
            row["rooms_available"],
            row["adr"],
            row["revpar"],
        )
        for row in rows
    }
