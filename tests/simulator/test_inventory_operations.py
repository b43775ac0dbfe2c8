"""The inventory getAll operations: enterprises, resource categories, resources, resource blocks,
rates and business segments, over loopback HTTP against the ground truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.simulator.helpers import API, Api

Doc = dict[str, Any]
# name -> (path, collection key, truth accessor)
OPS = {
    "enterprises": ("enterprises/getAll", "Enterprises", "enterprises"),
    "resource_categories": (
        "resourceCategories/getAll", "ResourceCategories", "resource_categories"
    ),
    "resources": ("resources/getAll", "Resources", "resources"),
    "resource_blocks": ("resourceBlocks/getAll", "ResourceBlocks", "resource_blocks"),
    "rates": ("rates/getAll", "Rates", "rates"),
    "business_segments": ("businessSegments/getAll", "BusinessSegments", "business_segments"),
}  # fmt: skip
NAMES = list(OPS)
SERVICE_OPS = ["resource_categories", "rates", "business_segments"]
EVERY_RESOURCE = {"Extent": {"Resources": True, "Inactive": True}}
EVERY_BLOCK = {"ActivityStates": ["Active", "Deleted"]}


KINDS = ("enterprise", "resource_category", "resource", "resource_block", "rate",
         "business_segment")  # fmt: skip


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def everything(api: Api, name: str) -> dict[str, Any]:
    """The filters under which an operation serves every record of the truth."""
    service_ids = [s["Id"] for s in api.sim.data.services()]
    return {
        "resource_categories": {"ServiceIds": service_ids},
        "rates": {"ServiceIds": service_ids},
        "resources": EVERY_RESOURCE,
        "resource_blocks": EVERY_BLOCK,
    }.get(name, {})


def post(api: Api, name: str, token: str | None = None, **fields: Any) -> Any:
    return api.post(API + OPS[name][0], token, **fields)


def walk(api: Api, name: str, count: int = 4, token: str | None = None, **fields: Any) -> list[Doc]:
    """Every item of the operation, following Cursor until it is null."""
    items: list[Doc] = []
    cursor = None
    while True:
        response = post(api, name, token, Limitation={"Count": count, "Cursor": cursor}, **fields)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page[OPS[name][1]]) <= count
        items.extend(page[OPS[name][1]])
        cursor = page["Cursor"]
        if cursor is None:
            return items


def truth(api: Api, name: str) -> list[Doc]:
    docs: list[Doc] = getattr(api.sim.data, OPS[name][2])()
    return docs


def by_id(docs: list[Doc]) -> dict[str, Doc]:
    return {doc["Id"]: doc for doc in docs}


@pytest.mark.parametrize("name", NAMES)
def test_paging_serves_exactly_the_truth(api: Api, name: str) -> None:
    served = walk(api, name, **everything(api, name))
    assert len(served) == len({doc["Id"] for doc in served})
    assert by_id(served) == by_id(truth(api, name))


@pytest.mark.parametrize("name", NAMES)
def test_updated_windows_partition_the_records(api: Api, name: str) -> None:
    end = datetime.now(UTC) + timedelta(days=1)
    seen: list[str] = []
    while end > datetime.now(UTC) - timedelta(days=4 * 365):
        start = end - timedelta(days=90)
        window = {"StartUtc": utc(start), "EndUtc": utc(end)}
        seen += [d["Id"] for d in walk(api, name, 50, UpdatedUtc=window, **everything(api, name))]
        end = start
    assert sorted(seen) == sorted(doc["Id"] for doc in truth(api, name))


@pytest.mark.parametrize("name", NAMES)
def test_updated_interval_over_three_months_is_refused(api: Api, name: str) -> None:
    window = {"StartUtc": "2024-01-01T00:00:00Z", "EndUtc": "2024-04-01T00:00:01Z"}
    fields = {"Limitation": {"Count": 10}, "UpdatedUtc": window, **everything(api, name)}
    response = post(api, name, **fields)
    assert response.status_code == 400
    assert "UpdatedUtc" in response.json()["Message"]
    fields["UpdatedUtc"] = {"StartUtc": "2024-01-01T00:00:00Z", "EndUtc": "2024-04-01T00:00:00Z"}
    assert post(api, name, **fields).status_code == 200


@pytest.mark.parametrize(
    ("name", "field", "fields"),
    [
        ("enterprises", "LinkedUtc", {}),
        ("resources", "CreatedUtc", EVERY_RESOURCE),
        ("resource_blocks", "CreatedUtc", {}),
        ("resource_blocks", "CollidingUtc", {}),
    ],
)
def test_other_intervals_over_three_months_are_refused(
    api: Api, name: str, field: str, fields: Doc
) -> None:
    window = {"StartUtc": "2024-01-01T00:00:00Z", "EndUtc": "2024-06-01T00:00:00Z"}
    response = post(api, name, Limitation={"Count": 10}, **{field: window}, **fields)
    assert response.status_code == 400
    assert field in response.json()["Message"]


@pytest.mark.parametrize(
    ("name", "missing"),
    [("resource_categories", "ServiceIds"), ("rates", "ServiceIds"), ("resources", "Extent")],
)
def test_missing_required_filter_is_refused(api: Api, name: str, missing: str) -> None:
    fields = {k: v for k, v in everything(api, name).items() if k != missing}
    response = post(api, name, Limitation={"Count": 10}, **fields)
    assert response.status_code == 400
    assert missing in response.json()["Message"]
    assert post(api, name, Limitation={"Count": 10}).status_code == 400


@pytest.mark.parametrize("name", SERVICE_OPS)
def test_more_than_1000_service_ids_is_refused(api: Api, name: str) -> None:
    ids = [s["Id"] for s in api.sim.data.services()] * 400
    response = post(api, name, Limitation={"Count": 10}, ServiceIds=ids[:1001])
    assert response.status_code == 400
    assert "ServiceIds" in response.json()["Message"]
    assert post(api, name, Limitation={"Count": 10}, ServiceIds=ids[:1000]).status_code == 200


@pytest.mark.parametrize("name", NAMES)
def test_more_than_1000_enterprise_ids_or_no_limitation_is_refused(api: Api, name: str) -> None:
    fields = everything(api, name)
    response = post(api, name, Limitation={"Count": 10}, EnterpriseIds=["x"] * 1001, **fields)
    assert response.status_code == 400
    assert post(api, name, **fields).status_code == 400


def test_references_are_served_records(api: Api) -> None:
    data = api.sim.data
    served_categories = walk(api, "resource_categories", 100, **everything(api, "rates"))
    categories = {d["Id"]: d["ServiceId"] for d in served_categories}
    rates = {d["Id"]: d for d in walk(api, "rates", 100, **everything(api, "rates"))}
    active = walk(api, "resources", 100, Extent={"Resources": True})
    resources = {d["Id"]: d["EnterpriseId"] for d in active}
    segments = {d["Id"]: data.enterprise_of_service(d["ServiceId"])
                for d in walk(api, "business_segments", 100)}  # fmt: skip
    checked = 0
    for res in data.reservations():
        service_id = res["ServiceId"]
        enterprise_id = data.enterprise_of_service(service_id)
        assert categories[res["RequestedResourceCategoryId"]] == service_id
        assert rates[res["RateId"]]["ServiceId"] == service_id
        if res["AssignedResourceId"] is not None:
            assert resources[res["AssignedResourceId"]] == enterprise_id
            checked += 1
        if res.get("BusinessSegmentId") is not None:
            assert segments[res["BusinessSegmentId"]] == enterprise_id
    assert checked > 1000
    for order in data.product_service_orders():
        if order.get("BusinessSegmentId") is not None:
            assert segments[order["BusinessSegmentId"]] == data.enterprise_of_service(
                order["ServiceId"]
            )
    for block in walk(api, "resource_blocks", 100, **EVERY_BLOCK):
        assert resources[block["AssignedResourceId"]] == block["EnterpriseId"]
    for rate in rates.values():
        segment = rate["BusinessSegmentId"]
        assert segment is None or segment in segments


def test_enterprises_are_the_tokens_own_and_documented(api: Api) -> None:
    served = walk(api, "enterprises")
    assert sorted(d["Id"] for d in served) == sorted(api.sim.enterprise_ids)
    for doc in served:
        assert doc["TimeZoneIdentifier"] and doc["LinkedUtc"] and "IsPortfolio" not in doc
    own = api.sim.enterprise_ids[1]
    mine = walk(api, "enterprises", token=api.sim.enterprise_tokens[own])
    assert [d["Id"] for d in mine] == [own]
    external = served[0]["ExternalIdentifier"]
    hits = walk(api, "enterprises", ExternalIdentifiers=[external])
    assert [d["ExternalIdentifier"] for d in hits] == [external]


def test_resources_follow_the_extent(api: Api) -> None:
    assert walk(api, "resources", Extent={"Resources": False}) == []
    assert walk(api, "resources", Extent={}) == []
    active = walk(api, "resources", 100, Extent={"Resources": True})
    every = truth(api, "resources")
    assert {d["Id"] for d in active} == {d["Id"] for d in every if d["IsActive"]}
    assert len(active) < len(every)
    name = active[0]["Name"]
    assert {d["Name"] for d in walk(api, "resources", Names=[name], **EVERY_RESOURCE)} == {name}


def test_resource_blocks_default_to_active_and_filter(api: Api) -> None:
    every = truth(api, "resource_blocks")
    active = walk(api, "resource_blocks", 100)
    assert {d["Id"] for d in active} == {d["Id"] for d in every if d["IsActive"]}
    deprecated = walk(api, "resource_blocks", 100, Extent={"Inactive": True})
    assert len(deprecated) == len(every)
    deleted = walk(api, "resource_blocks", 100, ActivityStates=["Deleted"])
    assert deleted and all(d["DeletedUtc"] for d in deleted)
    block = every[0]
    start = parse(block["StartUtc"])
    colliding = {"StartUtc": utc(start), "EndUtc": utc(start + timedelta(hours=1))}
    hits = walk(api, "resource_blocks", CollidingUtc=colliding, **EVERY_BLOCK)
    assert block["Id"] in {d["Id"] for d in hits}
    hits = walk(api, "resource_blocks", AssignedResourceIds=[block["AssignedResourceId"]],
                **EVERY_BLOCK)  # fmt: skip
    assert hits and {d["AssignedResourceId"] for d in hits} == {block["AssignedResourceId"]}


def test_rates_serve_rate_groups_per_extent(api: Api) -> None:
    service_ids = [s["Id"] for s in api.sim.data.services()]
    page = post(api, "rates", Limitation={"Count": 1000}, ServiceIds=service_ids).json()
    assert set(page) == {"Rates", "RateGroups", "Cursor"}
    assert {r["GroupId"] for r in page["Rates"]} == {g["Id"] for g in page["RateGroups"]}
    extent = {"Rates": True, "AvailabilityBlockAssignments": True}
    page = post(api, "rates", Limitation={"Count": 10}, ServiceIds=service_ids, Extent=extent)
    assert set(page.json()) == {"Rates", "AvailabilityBlockAssignments", "Cursor"}
    response = post(
        api, "rates", Limitation={"Count": 10}, ServiceIds=service_ids, Extent={"Rates": True}
    )
    assert response.status_code == 400
    assert "AvailabilityBlockAssignments" in response.json()["Message"]


def test_mutate_updates_each_kind_and_adds_blocks(fresh_api: Api) -> None:
    before = {name: by_id(truth(fresh_api, name)) for name in NAMES}
    mutation = fresh_api.sim.data.mutate(fraction=0.1, create=5, seed=2)
    now = datetime.now(UTC)
    recent = {"StartUtc": utc(now - timedelta(minutes=10)), "EndUtc": utc(now + timedelta(1))}
    changed = {
        "enterprises": mutation.updated_enterprise_ids,
        "resource_categories": mutation.updated_resource_category_ids,
        "resources": mutation.updated_resource_ids,
        "resource_blocks": mutation.updated_resource_block_ids,
        "rates": mutation.updated_rate_ids,
        "business_segments": mutation.updated_business_segment_ids,
    }
    assert len(mutation.created_resource_block_ids) == 3
    for name, ids in changed.items():
        assert ids, name
        served = by_id(walk(fresh_api, name, UpdatedUtc=recent, **everything(fresh_api, name)))
        new = set(ids) | (set(mutation.created_resource_block_ids) if name == "resource_blocks"
                          else set())  # fmt: skip
        assert set(served) == new, name
        assert by_id(truth(fresh_api, name)) == {**before[name], **served}
        for record_id in ids:
            old, doc = before[name][record_id], served[record_id]
            assert doc != old, name
            if "UpdatedUtc" in doc:
                assert parse(doc["UpdatedUtc"]) > parse(old["UpdatedUtc"])
    assert set(mutation.to_json()) >= {f"updated_{kind}_ids" for kind in KINDS}


def test_mutate_by_ids_touches_only_those(fresh_api: Api) -> None:
    rate = truth(fresh_api, "rates")[0]
    mutation = fresh_api.sim.data.mutate(create=5, ids=[rate["Id"]])
    assert mutation.updated_rate_ids == [rate["Id"]]
    assert mutation.updated_resource_ids == mutation.created_resource_block_ids == []
    assert by_id(truth(fresh_api, "rates"))[rate["Id"]]["IsEnabled"] is not rate["IsEnabled"]


def test_admin_serves_the_inventory_truth(api: Api) -> None:
    for name in NAMES:
        response = api.client.get(f"/_sim/truth/{OPS[name][2]}")
        assert response.status_code == 200
        assert by_id(response.json()) == by_id(truth(api, name))
