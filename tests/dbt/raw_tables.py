"""Small Mews raw dataset shaped like the dlt loader's output, and code to load it anywhere.

Column names are dlt's snake_case of the API fields: `_utc` columns are timestamp with time zone,
flags boolean, `count` bigint, everything else text. Edge cases: a canceled reservation, one with
three age categories, a state Mews does not document ('Waitlisted'), a late-evening arrival, a
same-day stay, an age category without names and an unknown extra column. Hotel A is in New York
(west of UTC, a stay across the start of daylight saving on 10 March 2024), hotel B in Tokyo
(east of UTC): their local nights and days differ from UTC dates in both directions.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

DATASET = "mews_raw"

TABLE_COLUMNS: dict[str, list[str]] = {
    "reservations": [
        "id", "service_id", "account_id", "account_type", "creator_profile_id",
        "updater_profile_id", "booker_id", "number", "state", "origin", "commander_origin",
        "origin_details", "created_utc", "updated_utc", "cancelled_utc", "voucher_id",
        "business_segment_id", "options__owner_checked_in", "options__all_companions_checked_in",
        "options__any_companion_checked_in", "options__connector_check_in", "rate_id",
        "credit_card_id", "group_id", "requested_resource_category_id", "assigned_resource_id",
        "availability_block_id", "partner_company_id", "travel_agency_id",
        "assigned_resource_locked", "channel_number", "channel_manager_number",
        "cancellation_reason", "released_utc", "start_utc", "end_utc", "scheduled_start_utc",
        "actual_start_utc", "scheduled_end_utc", "actual_end_utc", "purpose", "qr_code_data",
        "enterprise_id", "_dlt_load_id", "_dlt_id",
        "loyalty_code",  # not in our contract: a field Mews might add tomorrow
    ],
    "reservations__person_counts": [
        "reservation_id", "age_category_id", "count", "enterprise_id", "_dlt_load_id", "_dlt_id",
    ],
    "product_service_orders": [
        "id", "service_id", "account_id", "account_type", "creator_profile_id",
        "updater_profile_id", "booker_id", "number", "state", "origin", "commander_origin",
        "origin_details", "created_utc", "updated_utc", "cancelled_utc", "voucher_id",
        "business_segment_id", "linked_reservation_id", "options__owner_checked_in",
        "options__all_companions_checked_in", "options__any_companion_checked_in",
        "options__connector_check_in", "enterprise_id", "_dlt_load_id", "_dlt_id",
    ],
    "services": [
        "id", "enterprise_id", "is_active", "name", "ordering", "external_identifier",
        "options__bill_as_package", "data__discriminator", "created_utc", "updated_utc",
        "names__en_gb",
    ],
    "enterprises": [
        "id", "name", "time_zone_identifier", "external_identifier", "pricing", "created_utc",
        "updated_utc",
    ],
    "resources": ["id", "enterprise_id", "name", "is_active", "created_utc", "updated_utc"],
    "resource_categories": [
        "id", "enterprise_id", "service_id", "is_active", "type", "names__en_gb", "capacity",
    ],
    "resource_category_assignments": [
        "id", "is_active", "category_id", "resource_id", "created_utc", "updated_utc",
    ],
    "resource_blocks": [
        "id", "enterprise_id", "assigned_resource_id", "is_active", "type", "start_utc",
        "end_utc", "created_utc", "updated_utc",
    ],
    "order_items": [
        "id", "enterprise_id", "service_id", "service_order_id", "type", "accounting_state",
        "amount__currency", "amount__net_value", "amount__gross_value", "consumed_utc",
        "created_utc", "updated_utc",
    ],
    "age_categories": [
        "id", "service_id", "minimal_age", "maximal_age", "classification", "is_active",
        "external_identifier", "created_utc", "updated_utc", "enterprise_id",
    ],
}  # fmt: skip

BOOLEAN_COLUMNS = {
    "options__owner_checked_in",
    "options__all_companions_checked_in",
    "options__any_companion_checked_in",
    "options__connector_check_in",
    "options__bill_as_package",
    "assigned_resource_locked",
    "is_active",
}

HOTEL_A = "8c3a8f5e-1d2b-4c8e-9f00-a1b2c3d4e5f6"
HOTEL_B = "0b7e2d41-6a9c-4f3e-8d21-f6e5d4c3b2a1"
LOAD_ID = "1715600000.123456"
TIME_ZONES = {HOTEL_A: "America/New_York", HOTEL_B: "Asia/Tokyo"}
CATEGORY = {HOTEL_A: "cat-a-double", HOTEL_B: "cat-b-double"}
STAY_SERVICE = {HOTEL_A: "svc-a-stay", HOTEL_B: "svc-b-stay"}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _service(service_id: str, enterprise_id: str, name: str, kind: str) -> dict[str, Any]:
    return {
        "id": service_id, "enterprise_id": enterprise_id, "is_active": True, "name": name,
        "names__en_gb": name, "ordering": "0", "options__bill_as_package": False,
        "data__discriminator": kind, "created_utc": _utc("2021-03-01 09:00"),
        "updated_utc": _utc("2024-01-15 10:00"),
    }  # fmt: skip


def _age_category(
    category_id: str,
    service_id: str,
    enterprise_id: str,
    classification: str,
    ages: tuple[str, str | None],
) -> dict[str, Any]:
    return {
        "id": category_id, "service_id": service_id, "enterprise_id": enterprise_id,
        "classification": classification, "minimal_age": ages[0], "maximal_age": ages[1],
        "is_active": True, "created_utc": _utc("2021-03-01 09:00"),
        "updated_utc": _utc("2021-03-01 09:00"),
    }  # fmt: skip


def _reservation(
    number: str,
    enterprise_id: str,
    state: str,
    origin: str,
    created: str,
    stay: tuple[str, str],
    **extra: Any,
) -> dict[str, Any]:
    start, end = _utc(stay[0]), _utc(stay[1])
    return {
        "id": f"res-{number}", "enterprise_id": enterprise_id, "number": number,
        "service_id": STAY_SERVICE[enterprise_id], "account_id": f"cust-{number}",
        "account_type": "Customer", "creator_profile_id": "prof-1", "updater_profile_id": "prof-1",
        "state": state, "origin": origin, "created_utc": _utc(created),
        "updated_utc": _utc(created), "rate_id": "rate-flex", "group_id": f"grp-{number}",
        "requested_resource_category_id": CATEGORY[enterprise_id],
        "assigned_resource_locked": False,
        "options__owner_checked_in": False, "options__all_companions_checked_in": False,
        "options__any_companion_checked_in": False, "options__connector_check_in": False,
        "start_utc": start, "end_utc": end, "scheduled_start_utc": start, "scheduled_end_utc": end,
        "purpose": "Leisure", "_dlt_load_id": LOAD_ID, "_dlt_id": f"dlt-res-{number}",
    } | extra  # fmt: skip


def _product_service_order(
    order_id: str, number: str, state: str, origin: str, created: str, **extra: Any
) -> dict[str, Any]:
    return {
        "id": order_id, "enterprise_id": HOTEL_A, "service_id": "svc-a-breakfast",
        "number": number, "state": state, "origin": origin, "created_utc": _utc(created),
        "updated_utc": _utc(created), "account_id": "cust-101", "account_type": "Customer",
        "creator_profile_id": "prof-1", "updater_profile_id": "prof-1",
        "options__owner_checked_in": False, "options__all_companions_checked_in": False,
        "options__any_companion_checked_in": False, "options__connector_check_in": False,
        "_dlt_load_id": LOAD_ID, "_dlt_id": f"dlt-{order_id}",
    } | extra  # fmt: skip


SERVICES = [
    _service("svc-a-stay", HOTEL_A, "Accommodation", "Bookable"),
    _service("svc-a-breakfast", HOTEL_A, "Breakfast", "Additional"),
    _service("svc-b-stay", HOTEL_B, "Stay", "Bookable"),
]

AGE_CATEGORIES = [
    _age_category("age-a-adult", "svc-a-stay", HOTEL_A, "Adult", ("18", None)),
    _age_category("age-a-child", "svc-a-stay", HOTEL_A, "Child", ("4", "17")),
    _age_category("age-a-infant", "svc-a-stay", HOTEL_A, "Child", ("0", "3")),
    _age_category("age-b-adult", "svc-b-stay", HOTEL_B, "Adult", ("12", None)),
    _age_category("age-b-child", "svc-b-stay", HOTEL_B, "Child", ("0", "11")),
]

RESERVATIONS = [
    _reservation("101", HOTEL_A, "Confirmed", "Distributor", "2024-04-02 08:15",
                 ("2024-05-10 14:00", "2024-05-12 10:00"), loyalty_code="GOLD"),
    _reservation("102", HOTEL_A, "Started", "Commander", "2024-04-20 16:40",
                 ("2024-05-11 15:00", "2024-05-14 11:00"), commander_origin="InPerson",
                 actual_start_utc=_utc("2024-05-11 15:20"), options__owner_checked_in=True),
    _reservation("103", HOTEL_A, "Canceled", "ChannelManager", "2024-04-02 11:05",
                 ("2024-05-10 14:00", "2024-05-13 10:00"), channel_number="BDC-7781",
                 cancellation_reason="BookedElsewhere", cancelled_utc=_utc("2024-05-01 07:30")),
    _reservation("104", HOTEL_A, "Waitlisted", "Connector", "2024-05-09 12:00",
                 ("2024-05-12 23:30", "2024-05-13 10:00")),
    _reservation("105", HOTEL_A, "Processed", "Commander", "2024-03-30 10:00",
                 ("2024-05-08 14:00", "2024-05-10 11:00"), commander_origin="Phone",
                 actual_start_utc=_utc("2024-05-08 16:00"), actual_end_utc=_utc("2024-05-10 09:45"),
                 purpose="Business"),
    _reservation("106", HOTEL_A, "Confirmed", "Distributor", "2024-04-02 21:50",
                 ("2024-05-20 14:00", "2024-05-21 10:00")),
    # 22:00 in New York on 14 May: the night of the 14th, the 15th in UTC; created on 2 April
    # local time, the 3rd in UTC.
    _reservation("107", HOTEL_A, "Confirmed", "Distributor", "2024-04-03 01:00",
                 ("2024-05-15 02:00", "2024-05-16 02:00")),
    # 18:30 EST on 9 March to 00:30 EDT on 11 March: two nights; a fixed UTC-5 offset would end
    # it at 23:30 on the 10th, one night.
    _reservation("108", HOTEL_A, "Confirmed", "Commander", "2024-02-01 12:00",
                 ("2024-03-09 23:30", "2024-03-11 04:30"), commander_origin="Phone"),
    # Created 23:00 on 9 April in New York (the 10th in UTC), canceled the same local day as
    # res-103: the day's median lead time is that of the two, (38 + 41) / 2.
    _reservation("109", HOTEL_A, "Canceled", "Distributor", "2024-04-10 03:00",
                 ("2024-05-20 14:00", "2024-05-22 10:00"), cancelled_utc=_utc("2024-05-01 12:00")),
    _reservation("201", HOTEL_B, "Optional", "Distributor", "2024-04-05 09:00",
                 ("2024-05-10 13:00", "2024-05-11 11:00"), released_utc=_utc("2024-05-03 00:00")),
    _reservation("202", HOTEL_B, "Confirmed", "Import", "2024-04-05 09:30",
                 ("2024-05-11 08:00", "2024-05-11 18:00")),
    # Canceled at 05:00 on 3 May in Tokyo, still the 2nd in UTC.
    _reservation("203", HOTEL_B, "Canceled", "Distributor", "2024-04-06 09:00",
                 ("2024-05-20 06:00", "2024-05-23 02:00"), cancelled_utc=_utc("2024-05-02 20:00")),
]  # fmt: skip

_PERSON_COUNTS = [
    ("res-101", "age-a-adult", 2),
    ("res-102", "age-a-adult", 2),
    ("res-102", "age-a-child", 1),
    ("res-102", "age-a-infant", 1),
    ("res-103", "age-a-adult", 2),
    ("res-104", "age-a-adult", 1),
    ("res-105", "age-a-adult", 1),
    ("res-106", "age-a-adult", 1),
    ("res-106", "age-a-child", 2),
    ("res-201", "age-b-adult", 2),
    ("res-201", "age-b-child", 2),
    ("res-202", "age-b-adult", 1),
    ("res-107", "age-a-adult", 2),
    ("res-108", "age-a-adult", 1),
]
_ENTERPRISE_OF = {row["id"]: row["enterprise_id"] for row in RESERVATIONS}
PERSON_COUNTS = [
    {
        "reservation_id": reservation_id,
        "age_category_id": age_category_id,
        "count": count,
        "enterprise_id": _ENTERPRISE_OF[reservation_id],
        "_dlt_load_id": LOAD_ID,
        "_dlt_id": f"dlt-pc-{index}",
    }
    for index, (reservation_id, age_category_id, count) in enumerate(_PERSON_COUNTS)
]

PRODUCT_SERVICE_ORDERS = [
    _product_service_order(
        "pso-1", "5001", "Confirmed", "Distributor", "2024-04-02 08:16",
        linked_reservation_id="res-101",
    ),
    _product_service_order(
        "pso-2", "5002", "Canceled", "Commander", "2024-04-21 09:00",
        commander_origin="Phone", updated_utc=_utc("2024-04-22 09:00"),
        cancelled_utc=_utc("2024-04-22 09:00"),
    ),
]  # fmt: skip

ENTERPRISES = [
    {
        "id": enterprise_id, "name": name, "time_zone_identifier": TIME_ZONES[enterprise_id],
        "external_identifier": code, "pricing": "Gross", "created_utc": _utc("2021-03-01 09:00"),
        "updated_utc": _utc("2024-01-15 10:00"),
    }
    for enterprise_id, name, code in ((HOTEL_A, "Hotel A", "H001"), (HOTEL_B, "Hotel B", "H002"))
]  # fmt: skip

_STAMP = {"created_utc": _utc("2021-03-01 09:00"), "updated_utc": _utc("2024-01-15 10:00")}
# Hotel A: four active doubles (one moved there from the singles) and a deleted one, one single.
RESOURCES = [
    {"id": resource_id, "enterprise_id": enterprise_id, "name": resource_id,
     "is_active": resource_id != "room-a5"} | _STAMP
    for resource_id, enterprise_id in (
        ("room-a1", HOTEL_A), ("room-a2", HOTEL_A), ("room-a3", HOTEL_A), ("room-a4", HOTEL_A),
        ("room-a5", HOTEL_A), ("room-a6", HOTEL_A), ("room-b1", HOTEL_B), ("room-b2", HOTEL_B),
    )
]  # fmt: skip
RESOURCE_CATEGORIES = [
    {"id": category_id, "enterprise_id": enterprise_id, "service_id": STAY_SERVICE[enterprise_id],
     "is_active": active, "type": "Room", "names__en_gb": category_id, "capacity": "2"}
    for category_id, enterprise_id, active in (
        ("cat-a-double", HOTEL_A, True), ("cat-a-single", HOTEL_A, True),
        ("cat-a-old", HOTEL_A, False), ("cat-b-double", HOTEL_B, True),
    )
]  # fmt: skip
RESOURCE_CATEGORY_ASSIGNMENTS = [
    {"id": f"asg-{index}", "is_active": active, "category_id": category_id,
     "resource_id": resource_id} | _STAMP
    for index, (category_id, resource_id, active) in enumerate((
        ("cat-a-double", "room-a1", True), ("cat-a-double", "room-a2", True),
        ("cat-a-double", "room-a3", True), ("cat-a-single", "room-a4", False),
        ("cat-a-double", "room-a4", True), ("cat-a-double", "room-a5", True),
        ("cat-a-single", "room-a6", True), ("cat-b-double", "room-b1", True),
        ("cat-b-double", "room-b2", True),
    ))
]  # fmt: skip
RESOURCE_BLOCKS = [
    {"id": block_id, "enterprise_id": enterprise_id, "assigned_resource_id": resource_id,
     "is_active": active, "type": kind, "start_utc": _utc(start), "end_utc": _utc(end)} | _STAMP
    for block_id, enterprise_id, resource_id, active, kind, start, end in (
        # Out of order 10:00 on 11 May to 06:00 on 13 May in New York: the nights of 11 and 12.
        ("blk-1", HOTEL_A, "room-a1", True, "OutOfOrder", "2024-05-11 14:00", "2024-05-13 10:00"),
        ("blk-2", HOTEL_A, "room-a2", True, "InternalUse", "2024-05-11 14:00", "2024-05-13 10:00"),
        ("blk-3", HOTEL_A, "room-a3", False, "OutOfOrder", "2024-05-11 14:00", "2024-05-13 10:00"),
        # 20:00 UTC on 10 May is 05:00 on the 11th in Tokyo: the night of the 11th only.
        ("blk-4", HOTEL_B, "room-b2", True, "OutOfOrder", "2024-05-10 20:00", "2024-05-11 20:00"),
    )
]  # fmt: skip

# Amounts are exact in binary floating point, so sums in any order compare exactly.
ORDER_ITEMS = [
    {"id": item_id, "enterprise_id": enterprise_id, "service_id": STAY_SERVICE[enterprise_id],
     "service_order_id": order_id, "type": kind, "accounting_state": state,
     "amount__currency": currency, "amount__net_value": net, "amount__gross_value": gross,
     "consumed_utc": _utc(consumed)} | _STAMP
    for item_id, enterprise_id, order_id, kind, state, currency, net, gross, consumed in (
        ("oi-1", HOTEL_A, "res-102", "SpaceOrder", "Open", "USD", 100.5, 110.5, "2024-05-12 15:00"),
        ("oi-2", HOTEL_A, "res-102", "SpaceOrder", "Open", "EUR", 80.25, 90.0, "2024-05-12 15:00"),
        ("oi-3", HOTEL_A, "res-102", "ProductOrder", "Open", "USD", 20.0, 22.0, "2024-05-12 15:00"),
        ("oi-4", HOTEL_A, "res-103", "SpaceOrder", "Canceled", "USD", 99.0, 99.0,
         "2024-05-12 15:00"),
        # 02:00 UTC on the 15th: the night of the 14th in New York.
        ("oi-5", HOTEL_A, "res-107", "SpaceOrder", "Closed", "USD", 150.0, 165.0,
         "2024-05-15 02:00"),
        ("oi-6", HOTEL_A, "res-108", "SpaceOrder", "Closed", "USD", 70.0, 77.0, "2024-03-10 23:30"),
        # 17:00 on 11 May in Tokyo.
        ("oi-7", HOTEL_B, "res-202", "SpaceOrder", "Open", "JPY", 12000.0, 13200.0,
         "2024-05-11 08:00"),
    )
]  # fmt: skip

TABLE_ROWS: dict[str, list[dict[str, Any]]] = {
    "order_items": ORDER_ITEMS,
    "resources": RESOURCES,
    "resource_categories": RESOURCE_CATEGORIES,
    "resource_category_assignments": RESOURCE_CATEGORY_ASSIGNMENTS,
    "resource_blocks": RESOURCE_BLOCKS,
    "enterprises": ENTERPRISES,
    "reservations": RESERVATIONS,
    "reservations__person_counts": PERSON_COUNTS,
    "product_service_orders": PRODUCT_SERVICE_ORDERS,
    "services": SERVICES,
    "age_categories": AGE_CATEGORIES,
}


def column_type(column: str) -> str:
    """SQL type (valid in DuckDB and PostgreSQL) that dlt gives a column of this name."""
    if column.endswith("_utc"):
        return "timestamp with time zone"
    if column in BOOLEAN_COLUMNS:
        return "boolean"
    if column == "count":
        return "bigint"
    if column.endswith("_value"):
        return "double precision"
    return "text"


def load_tables(execute: Callable[[str, Iterable[Any] | None], None], placeholder: str) -> None:
    """Create the dataset and its tables through `execute(sql, params)` and insert all rows."""
    execute(f"drop schema if exists {DATASET} cascade", None)
    execute(f"create schema {DATASET}", None)
    for table, columns in TABLE_COLUMNS.items():
        definitions = ", ".join(f'"{column}" {column_type(column)}' for column in columns)
        execute(f"create table {DATASET}.{table} ({definitions})", None)
        names = ", ".join(f'"{column}"' for column in columns)
        values = ", ".join([placeholder] * len(columns))
        insert = f"insert into {DATASET}.{table} ({names}) values ({values})"
        for row in TABLE_ROWS[table]:
            execute(insert, [row.get(column) for column in columns])


def replace_rows(
    execute: Callable[[str, Iterable[Any] | None], None],
    placeholder: str,
    table: str,
    rows: list[dict[str, Any]],
) -> None:
    """Replace the rows of table that have the ids of rows by rows, as a merge load does."""
    columns = TABLE_COLUMNS[table]
    names = ", ".join(f'"{column}"' for column in columns)
    values = ", ".join([placeholder] * len(columns))
    for row in rows:
        execute(f"delete from {DATASET}.{table} where id = {placeholder}", [row["id"]])
        insert = f"insert into {DATASET}.{table} ({names}) values ({values})"
        execute(insert, [row.get(column) for column in columns])
