"""orderItems, accountingCategories, bills, payments, products, companies, availabilityBlocks and
rateGroups getAll: full walks equal the truth, UpdatedUtc windows partition, required filters,
3-month intervals, references between records, and mutations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mews_simulator.times import add_months, format_us, parse_utc, to_us
from tests.simulator.helpers import API, Api

Doc = dict[str, Any]
OPS = {
    "OrderItems": "orderItems/getAll", "AccountingCategories": "accountingCategories/getAll",
    "Bills": "bills/getAll", "Payments": "payments/getAll", "Products": "products/getAll",
    "Companies": "companies/getAll", "AvailabilityBlocks": "availabilityBlocks/getAll",
    "RateGroups": "rateGroups/getAll",
}  # fmt: skip
TRUTH = {
    "OrderItems": "order_items", "AccountingCategories": "accounting_categories",
    "Bills": "bills", "Payments": "payments", "Products": "products", "Companies": "companies",
    "AvailabilityBlocks": "availability_blocks", "RateGroups": "rate_groups",
}  # fmt: skip


def _base(api: Api, key: str) -> Doc:
    """The smallest request each operation accepts without a time window."""
    services = [s["Id"] for s in api.sim.data.services()]
    if key in ("OrderItems", "Products", "RateGroups"):
        return {"ServiceIds": services}
    if key == "AvailabilityBlocks":
        return {"Extent": {"AvailabilityBlocks": True}}
    return {}


def _walk(api: Api, key: str, count: int = 1000, **fields: Any) -> list[Doc]:
    items: list[Doc] = []
    cursor = None
    while True:
        limitation = {"Count": count, "Cursor": cursor}
        response = api.post(API + OPS[key], Limitation=limitation, **fields)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page[key])
        cursor = page["Cursor"]
        if cursor is None:
            return items


def _truth(api: Api, key: str) -> list[Doc]:
    docs: list[Doc] = getattr(api.sim.data, TRUTH[key])()
    return docs


def _by_id(docs: list[Doc]) -> list[Doc]:
    return sorted(docs, key=lambda d: d["Id"])


def _window(start: int, end: int) -> dict[str, str]:
    return {"StartUtc": format_us(start), "EndUtc": format_us(end)}


def _windows(docs: list[Doc]) -> list[dict[str, str]]:
    """Consecutive 3-month UpdatedUtc windows from the oldest record to now."""
    stamps = [parse_utc(d["UpdatedUtc"]) or 0 for d in docs]
    start, end = min(stamps), to_us(datetime.now(UTC)) + 1_000_000
    windows = []
    while start < end:
        stop = min(add_months(start, 3), end)
        windows.append(_window(start, stop))
        start = stop
    return windows


@pytest.mark.parametrize("key", ["OrderItems", "AccountingCategories", "Products", "Companies",
                                 "AvailabilityBlocks", "RateGroups"])  # fmt: skip
def test_walk_returns_exactly_the_truth(api: Api, key: str) -> None:
    items = _walk(api, key, 997, **_base(api, key))
    assert len({i["Id"] for i in items}) == len(items) > 0
    assert _by_id(items) == _by_id(_truth(api, key))


@pytest.mark.parametrize("key", list(OPS))
def test_updated_windows_partition_the_records(api: Api, key: str) -> None:
    truth = _truth(api, key)
    seen: list[Doc] = []
    for window in _windows(truth):
        seen.extend(_walk(api, key, **_base(api, key), UpdatedUtc=window))
    assert len({i["Id"] for i in seen}) == len(seen)
    assert _by_id(seen) == _by_id(truth)


@pytest.mark.parametrize(
    ("key", "fields"),
    [("OrderItems", {}), ("OrderItems", {"EnterpriseIds": None}), ("Payments", {}),
     ("Bills", {}), ("Bills", {"State": "Closed"}), ("Products", {}),
     ("AvailabilityBlocks", {}), ("RateGroups", {})],
)  # fmt: skip
def test_missing_required_filter_is_400(api: Api, key: str, fields: Doc) -> None:
    response = api.post(API + OPS[key], Limitation={"Count": 10}, **fields)
    assert response.status_code == 400, response.text
    assert "RequestId" in response.json()


@pytest.mark.parametrize("key", list(OPS))
def test_interval_over_three_months_is_400(api: Api, key: str) -> None:
    now = to_us(datetime.now(UTC))
    window = _window(add_months(now, -3) - 1_000_000, now)
    response = api.post(API + OPS[key], Limitation={"Count": 10}, UpdatedUtc=window,
                        **_base(api, key))  # fmt: skip
    assert response.status_code == 400, response.text
    ok = api.post(API + OPS[key], Limitation={"Count": 10}, UpdatedUtc=_window(now - 10, now),
                  **_base(api, key))  # fmt: skip
    assert ok.status_code == 200, ok.text


def test_too_many_ids_is_400(api: Api) -> None:
    ids = [f"id-{i}" for i in range(101)]
    response = api.post(API + OPS["OrderItems"], Limitation={"Count": 10}, AccountIds=ids)
    assert response.status_code == 400
    response = api.post(API + OPS["Products"], Limitation={"Count": 10}, ServiceIds=ids * 10)
    assert response.status_code == 400


def test_order_items_point_at_orders_categories_and_bills(api: Api) -> None:
    data = api.sim.data
    orders = {d["Id"]: d for d in data.reservations() + data.product_service_orders()}
    categories = {c["Id"]: c for c in data.accounting_categories()}
    bills = {b["Id"]: b for b in data.bills()}
    products = {p["Id"]: p for p in data.products()}
    nights: dict[str, int] = {}
    for item in data.order_items():
        order = orders[item["ServiceOrderId"]]
        assert (item["ServiceId"], item["AccountId"]) == (order["ServiceId"], order["AccountId"])
        assert categories[item["AccountingCategoryId"]]["EnterpriseId"] == item["EnterpriseId"]
        if item["AccountingState"] == "Closed":
            bill = bills[item["BillId"]]
            assert bill["State"] == "Closed" and bill["AccountId"] == item["AccountId"]
        elif item["BillId"] is not None:
            assert bills[item["BillId"]]["State"] == "Open"
        if item["Type"] == "SpaceOrder":
            nights[order["Id"]] = nights.get(order["Id"], 0) + 1
        else:
            assert products[item["Data"]["Product"]["ProductId"]]["ServiceId"] == order["ServiceId"]
    assert set(nights) == {r["Id"] for r in data.reservations()}
    for payment in data.payments():
        assert bills[payment["BillId"]]["AccountId"] == payment["AccountId"]
        assert payment["ReservationId"] is None or payment["ReservationId"] in orders


def test_reservations_reference_served_companies_and_blocks(api: Api) -> None:
    data = api.sim.data
    companies = {c["Id"] for c in data.companies()}
    blocks = {b["Id"] for b in data.availability_blocks()}
    reservations = data.reservations()
    partners = {r["PartnerCompanyId"] for r in reservations} - {None}
    agencies = {r["TravelAgencyId"] for r in reservations} - {None}
    used_blocks = {r["AvailabilityBlockId"] for r in reservations} - {None}
    assert partners and used_blocks
    assert partners | agencies <= companies
    assert used_blocks <= blocks


def test_filters_narrow_the_walk(api: Api) -> None:
    data = api.sim.data
    bill = next(b for b in data.bills() if b["State"] == "Closed")
    items = _walk(api, "OrderItems", BillIds=[bill["Id"]])
    assert items and all(i["BillId"] == bill["Id"] for i in items)
    payments = _walk(api, "Payments", BillIds=[bill["Id"]])
    assert [p["BillId"] for p in payments] == [bill["Id"]]
    assert _walk(api, "Bills", BillIds=[bill["Id"]]) == [bill]
    open_bills = _walk(api, "Bills", CustomerIds=[bill["AccountId"]], State="Open")
    assert open_bills == []
    deleted = _walk(api, "Companies", ActivityStates=["Deleted"])
    assert deleted and not any(c["IsActive"] for c in deleted)
    none = _walk(api, "AvailabilityBlocks", Extent={"AvailabilityBlocks": False})
    assert none == []
    body = api.post(API + OPS["Products"], Limitation={"Count": 5}, **_base(api, "Products"))
    assert body.json()["CustomerProducts"] == []


def _utc(moment: datetime) -> str:
    return format_us(to_us(moment) // 1000 * 1000)


@pytest.mark.parametrize("ledger_first", [True, False])
def test_mutate_shows_newer_updated_utc(fresh_api: Api, ledger_first: bool) -> None:
    data = fresh_api.sim.data
    if ledger_first:
        data.order_items()
    later = datetime.now(UTC) + timedelta(seconds=5)
    mutation = data.mutate(fraction=0.02, create=3, seed=9, now=later)
    stamp = _utc(later)
    changed = set(mutation.updated_reservation_ids + mutation.created_reservation_ids)
    changed |= set(mutation.updated_order_ids + mutation.created_order_ids)
    items = data.order_items()
    fresh = {i["ServiceOrderId"] for i in items if i["UpdatedUtc"] == stamp}
    assert fresh == changed
    assert set(mutation.created_reservation_ids) <= {i["ServiceOrderId"] for i in items}
    window = _window(to_us(later) - 1_000_000, to_us(later) + 1_000_000)
    for key in OPS:
        served = _walk(fresh_api, key, **_base(fresh_api, key), UpdatedUtc=window)
        newest = [d for d in _truth(fresh_api, key) if d["UpdatedUtc"] == stamp]
        assert newest, key
        assert _by_id(served) == _by_id(newest), key
