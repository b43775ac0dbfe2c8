"""resourceCategoryAssignments/getAll and customers/getAll: walks equal the truth, UpdatedUtc
windows partition, required filters, 3-month intervals, tokens and chains, consistency with
the reservations, orders and resources, and mutations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mews_simulator.times import add_months, format_us, parse_utc, to_us
from tests.simulator.helpers import API, Api

Doc = dict[str, Any]
OPS = {
    "ResourceCategoryAssignments": "resourceCategoryAssignments/getAll",
    "Customers": "customers/getAll",
}
TRUTH = {
    "ResourceCategoryAssignments": "resource_category_assignments",
    "Customers": "customers",
}


def _chains(api: Api) -> list[str]:
    return sorted({e["ChainId"] for e in api.sim.data.enterprises()})


def _base(api: Api, key: str) -> Doc:
    """The required filters of each operation (no time window: customers need one more)."""
    if key == "ResourceCategoryAssignments":
        return {"ResourceCategoryIds": [c["Id"] for c in api.sim.data.resource_categories()]}
    return {"Extent": {"Customers": True}, "ChainIds": _chains(api)}


def _post(api: Api, key: str, token: str | None = None, /, **fields: Any) -> Any:
    return api.post(API + OPS[key], token, **fields)


def _walk(
    api: Api, key: str, count: int = 1000, token: str | None = None, /, **fields: Any
) -> list[Doc]:
    items: list[Doc] = []
    cursor = None
    while True:
        response = _post(api, key, token, Limitation={"Count": count, "Cursor": cursor}, **fields)
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


def _windows(docs: list[Doc], end: int | None = None) -> list[dict[str, str]]:
    """Consecutive 3-month UpdatedUtc windows from the oldest record to now."""
    start = min(parse_utc(d["UpdatedUtc"]) or 0 for d in docs)
    end = end or to_us(datetime.now(UTC)) + 1_000_000
    windows = []
    while start < end:
        stop = min(add_months(start, 3), end)
        windows.append(_window(start, stop))
        start = stop
    return windows


def test_assignments_walk_returns_exactly_the_truth(api: Api) -> None:
    key = "ResourceCategoryAssignments"
    items = _walk(api, key, 37, **_base(api, key))
    assert len({i["Id"] for i in items}) == len(items) > 0
    assert _by_id(items) == _by_id(_truth(api, key))
    assert set(items[0]) == {"Id", "IsActive", "ResourceId", "CategoryId", "CreatedUtc",
                             "UpdatedUtc"}  # fmt: skip


def test_customers_walk_by_ids_returns_exactly_the_truth(api: Api) -> None:
    key = "Customers"
    truth = _truth(api, key)
    ids = sorted(c["Id"] for c in truth)
    items: list[Doc] = []
    for first in range(0, len(ids), 1000):
        items.extend(_walk(api, key, 333, CustomerIds=ids[first : first + 1000], **_base(api, key)))
    assert len({i["Id"] for i in items}) == len(items) == len(truth) > 0
    assert _by_id(items) == _by_id(truth)


@pytest.mark.parametrize("key", list(OPS))
def test_updated_windows_partition_the_records(api: Api, key: str) -> None:
    truth = _truth(api, key)
    seen: list[Doc] = []
    for window in _windows(truth):
        seen.extend(_walk(api, key, **_base(api, key), UpdatedUtc=window))
    assert len({i["Id"] for i in seen}) == len(seen)
    assert _by_id(seen) == _by_id(truth)


def test_customer_records_are_documented_and_personal(api: Api) -> None:
    response = _post(api, "Customers", Limitation={"Count": 50}, **_base(api, "Customers"),
                     UpdatedUtc=_windows(_truth(api, "Customers"))[-1])  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"Customers", "Documents", "Cursor"} and body["Documents"] is None
    documented = {"Id", "ChainId", "Number", "Title", "Sex", "FirstName", "LastName",
                  "SecondLastName", "NationalityCode", "PreferredLanguageCode", "LanguageCode",
                  "BirthDate", "BirthPlace", "Email", "HasOtaEmail", "Phone",
                  "TaxIdentificationNumber", "LoyaltyCode", "Notes", "CreatedUtc", "UpdatedUtc",
                  "AddressId", "Classifications", "Options", "CompanyId", "IsActive",
                  "MergeTargetId", "PreferredSpaceFeatures", "CreatorProfileId",
                  "UpdaterProfileId", "Passport", "Address", "ActivityState"}  # fmt: skip
    for customer in body["Customers"]:
        assert documented <= set(customer)
        assert customer["LastName"] and "@" in customer["Email"]
        assert customer["Phone"].startswith("+")
        assert datetime.strptime(customer["BirthDate"], "%Y-%m-%d").year < 2010
        assert len(customer["Number"]) <= 19
    names = {(c["FirstName"], c["LastName"]) for c in _truth(api, "Customers")}
    assert len(names) > 50  # varied fake names, not one placeholder


def test_missing_resource_category_ids_is_400(api: Api) -> None:
    response = _post(api, "ResourceCategoryAssignments", Limitation={"Count": 10})
    assert response.status_code == 400, response.text
    assert "RequestId" in response.json()
    too_many = [f"00000000-0000-4000-8000-{i:012d}" for i in range(1001)]
    response = _post(api, "ResourceCategoryAssignments", Limitation={"Count": 10},
                     ResourceCategoryIds=too_many)  # fmt: skip
    assert response.status_code == 400, response.text


def test_customers_without_extent_is_400(api: Api) -> None:
    fields: Doc = {"ChainIds": _chains(api), "CustomerIds": [_truth(api, "Customers")[0]["Id"]]}
    response = _post(api, "Customers", Limitation={"Count": 10}, **fields)
    assert response.status_code == 400, response.text
    ok = _post(api, "Customers", Limitation={"Count": 10}, Extent={"Customers": True}, **fields)
    assert ok.status_code == 200 and len(ok.json()["Customers"]) == 1, ok.text


def test_customers_chain_ids_with_portfolio_and_enterprise_tokens(api: Api) -> None:
    customer = _truth(api, "Customers")[0]
    fields: Doc = {"Extent": {"Customers": True}, "CustomerIds": [customer["Id"]]}
    response = _post(api, "Customers", Limitation={"Count": 10}, **fields)
    assert response.status_code == 400, response.text
    chain_of = {e["Id"]: e["ChainId"] for e in api.sim.data.enterprises()}
    for enterprise_id, token in api.sim.enterprise_tokens.items():
        served = _post(api, "Customers", token, Limitation={"Count": 10}, **fields)
        assert served.status_code == 200, served.text
        expected = [customer] if chain_of[enterprise_id] == customer["ChainId"] else []
        assert served.json()["Customers"] == expected
        # ChainIds is ignored with an enterprise's token
        other = _post(api, "Customers", token, Limitation={"Count": 10}, ChainIds=[], **fields)
        assert other.json()["Customers"] == expected


def test_customers_without_any_filter_is_400(api: Api) -> None:
    response = _post(api, "Customers", Limitation={"Count": 10}, **_base(api, "Customers"))
    assert response.status_code == 400, response.text
    response = _post(api, "Customers", Limitation={"Count": 10}, ActivityStates=["Active"],
                     **_base(api, "Customers"))  # fmt: skip
    assert response.status_code == 400, response.text
    too_many = _post(api, "Customers", Limitation={"Count": 10}, CompanyIds=["a", "b"],
                     **_base(api, "Customers"))  # fmt: skip
    assert too_many.status_code == 400, too_many.text


@pytest.mark.parametrize(
    ("key", "name"),
    [("ResourceCategoryAssignments", "UpdatedUtc"), ("Customers", "UpdatedUtc"),
     ("Customers", "CreatedUtc"), ("Customers", "DeletedUtc")],
)  # fmt: skip
def test_interval_over_three_months_is_400(api: Api, key: str, name: str) -> None:
    now = to_us(datetime.now(UTC))
    long: Doc = {name: _window(add_months(now, -3) - 1_000_000, now)}
    response = _post(api, key, Limitation={"Count": 10}, **_base(api, key), **long)
    assert response.status_code == 400, response.text
    short: Doc = {name: _window(add_months(now, -3), now)}
    ok = _post(api, key, Limitation={"Count": 10}, **_base(api, key), **short)
    assert ok.status_code == 200, ok.text


def test_filters_narrow_the_customers(api: Api) -> None:
    truth = _truth(api, "Customers")
    some = truth[3]
    for name, field in (("Emails", "Email"), ("LastNames", "LastName"),
                        ("FirstNames", "FirstName")):  # fmt: skip
        narrow: Doc = {name: [some[field]]}
        served = _walk(api, "Customers", **_base(api, "Customers"), **narrow)
        assert _by_id(served) == _by_id([c for c in truth if c[field] == some[field]])
    with_company = next(c for c in truth if c["CompanyId"])
    served = _walk(api, "Customers", **_base(api, "Customers"),
                   CompanyIds=[with_company["CompanyId"]])  # fmt: skip
    assert _by_id(served) == _by_id(
        [c for c in truth if c["CompanyId"] == with_company["CompanyId"]]
    )
    hidden = _post(api, "Customers", Limitation={"Count": 10}, Extent={"Customers": False},
                   ChainIds=_chains(api), CustomerIds=[some["Id"]])  # fmt: skip
    assert hidden.status_code == 200 and hidden.json()["Customers"] == []


def test_accounts_are_customers_and_resources_are_assigned(api: Api) -> None:
    data = api.sim.data
    chain_of = {e["Id"]: e["ChainId"] for e in data.enterprises()}
    customers = {c["Id"]: c for c in data.customers()}
    service_of = {s["Id"]: s["EnterpriseId"] for s in data.services()}
    for order in data.reservations() + data.product_service_orders():
        customer = customers[order["AccountId"]]
        assert customer["ChainId"] == chain_of[service_of[order["ServiceId"]]]
        assert parse_utc(customer["CreatedUtc"]) == parse_utc(order["CreatedUtc"])
    companies = {c["Id"]: c["ChainId"] for c in data.companies()}
    for customer in customers.values():
        if customer["CompanyId"] is not None:
            assert companies[customer["CompanyId"]] == customer["ChainId"]
    categories = {c["Id"]: c for c in data.resource_categories()}
    assignments = data.resource_category_assignments()
    active = {(a["ResourceId"], categories[a["CategoryId"]]["ServiceId"]) for a in assignments
              if a["IsActive"]}  # fmt: skip
    assert len(active) == sum(a["IsActive"] for a in assignments)  # one per service at most
    bookable: dict[str, set[str]] = {}
    for category in categories.values():
        bookable.setdefault(category["EnterpriseId"], set()).add(category["ServiceId"])
    resources = {r["Id"]: r for r in data.resources()}
    for resource in resources.values():
        for service_id in bookable[resource["EnterpriseId"]]:
            assert ((resource["Id"], service_id) in active) == resource["IsActive"]
    for assignment in assignments:
        resource = resources[assignment["ResourceId"]]
        assert categories[assignment["CategoryId"]]["EnterpriseId"] == resource["EnterpriseId"]
    assert any(not a["IsActive"] and resources[a["ResourceId"]]["IsActive"] for a in assignments)


def _utc(moment: datetime) -> str:
    return format_us(to_us(moment) // 1000 * 1000)


@pytest.mark.parametrize("built_first", [True, False])
def test_mutate_shows_newer_updated_utc(fresh_api: Api, built_first: bool) -> None:
    data = fresh_api.sim.data
    if built_first:
        data.customers()
        data.resource_category_assignments()
    later = datetime.now(UTC) + timedelta(seconds=5)
    mutation = data.mutate(fraction=0.02, create=3, seed=9, now=later)
    stamp, later_us = _utc(later), to_us(later)
    customers = {c["Id"]: c for c in data.customers()}
    for order_id in mutation.created_reservation_ids:
        account = next(r["AccountId"] for r in data.reservations() if r["Id"] == order_id)
        assert customers[account]["UpdatedUtc"] == stamp
    if built_first:
        assert mutation.updated_customer_ids and mutation.created_customer_ids
        assert mutation.updated_resource_category_assignment_ids
        for customer_id in mutation.updated_customer_ids:
            assert customers[customer_id]["UpdatedUtc"] == stamp
    window = _window(later_us - 1_000_000, later_us + 1_000_000)
    for key in OPS:
        served = _walk(fresh_api, key, **_base(fresh_api, key), UpdatedUtc=window)
        newest = [d for d in _truth(fresh_api, key) if d["UpdatedUtc"] == stamp]
        assert newest or key == "ResourceCategoryAssignments" and not built_first, key
        assert _by_id(served) == _by_id(newest), key
        seen: list[Doc] = []
        for each in _windows(_truth(fresh_api, key), later_us + 1_000_000):
            seen.extend(_walk(fresh_api, key, **_base(fresh_api, key), UpdatedUtc=each))
        assert _by_id(seen) == _by_id(_truth(fresh_api, key)), key
    test_accounts_are_customers_and_resources_are_assigned(fresh_api)
