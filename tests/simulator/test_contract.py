"""One test per documented API rule, over real loopback HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.simulator.helpers import Api

LIMIT = {"Limitation": {"Count": 10}}
GET_ALL = ["reservations", "services", "age_categories"]


def test_services_are_served_with_documented_envelope(api: Api) -> None:
    response = api.post("services", **LIMIT)
    assert response.status_code == 200
    assert set(response.json()) == {"Services", "Cursor"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ClientToken", "nope"),
        ("AccessToken", "nope"),
        ("ClientToken", None),
        ("AccessToken", None),
    ],
    ids=[
        "unknown-client-token",
        "unknown-access-token",
        "missing-client-token",
        "missing-access-token",
    ],
)
def test_rejects_bad_tokens_with_401(api: Api, field: str, value: str | None) -> None:
    body = api.envelope(**LIMIT)
    if value is None:
        del body[field]
    else:
        body[field] = value
    response = api.client.post(api.paths["services"], json=body)
    assert response.status_code == 401
    assert field in response.json()["Message"]


def test_rejects_missing_client_with_400(api: Api) -> None:
    body = api.envelope(**LIMIT)
    del body["Client"]
    response = api.client.post(api.paths["services"], json=body)
    assert response.status_code == 400
    assert "Client" in response.json()["Message"]


def test_refuses_enterprise_ids_outside_token_scope_with_403(api: Api) -> None:
    own, other = api.sim.enterprise_ids[0], api.sim.enterprise_ids[1]
    token = api.sim.enterprise_tokens[own]
    response = api.post("reservations", token, EnterpriseIds=[other], **LIMIT)
    assert response.status_code == 403


def test_portfolio_token_sees_every_enterprise(api: Api) -> None:
    services = api.walk("services", count=100)
    assert {s["EnterpriseId"] for s in services} == set(api.sim.enterprise_ids)


@pytest.mark.parametrize("index", [0, 1, 2], ids=["enterprise-1", "enterprise-2", "enterprise-3"])
def test_single_enterprise_token_sees_only_its_enterprise(api: Api, index: int) -> None:
    enterprise_id = api.sim.enterprise_ids[index]
    token = api.sim.enterprise_tokens[enterprise_id]
    services = api.post("services", token, Limitation={"Count": 100}).json()["Services"]
    assert services and {s["EnterpriseId"] for s in services} == {enterprise_id}
    page = api.post("reservations", token, Limitation={"Count": 1000}).json()["Reservations"]
    own_services = {s["Id"] for s in services}
    assert page and all(r["ServiceId"] in own_services for r in page)


def test_enterprise_ids_narrow_a_portfolio_token(api: Api) -> None:
    enterprise_id = api.sim.enterprise_ids[1]
    services = api.post("services", EnterpriseIds=[enterprise_id], **LIMIT).json()["Services"]
    assert {s["EnterpriseId"] for s in services} == {enterprise_id}


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"a": 1,}', b""], ids=["garbage", "trailing-comma", "empty"]
)
def test_invalid_json_is_400(api: Api, body: bytes) -> None:
    response = api.client.post(
        api.paths["services"], content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["Message"] == "Invalid JSON"


@pytest.mark.parametrize("name", GET_ALL)
@pytest.mark.parametrize(
    "limitation",
    [None, {"Count": 0}, {"Count": 1001}, {"Count": "10"}, {"Cursor": None}],
    ids=["missing", "count-0", "count-1001", "count-string", "count-missing"],
)
def test_limitation_is_required_with_count_1_to_1000(
    api: Api, name: str, limitation: dict[str, object] | None
) -> None:
    fields = {} if limitation is None else {"Limitation": limitation}
    assert api.post(name, **fields).status_code == 400


@pytest.mark.parametrize("count", [1, 1000], ids=["count-1", "count-1000"])
def test_count_bounds_are_accepted(api: Api, count: int) -> None:
    response = api.post("reservations", Limitation={"Count": count})
    assert response.status_code == 200
    assert len(response.json()["Reservations"]) == count


def _interval(start: datetime, end: datetime) -> dict[str, str]:
    return {"StartUtc": start.isoformat().replace("+00:00", "Z"), "EndUtc": end.isoformat()}


START = datetime(2025, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("end", "status"),
    [
        (datetime(2026, 2, 28, tzinfo=UTC), 200),
        (datetime(2026, 2, 28, 0, 0, 1, tzinfo=UTC), 400),
        (START - timedelta(seconds=1), 400),
        (START, 200),
    ],
    ids=["exactly-3-months", "3-months-plus-1s", "start-after-end", "start-equals-end"],
)
@pytest.mark.parametrize("field", ["UpdatedUtc", "CreatedUtc", "ScheduledStartUtc"])
def test_interval_length_and_order(api: Api, field: str, end: datetime, status: int) -> None:
    response = api.post("reservations", **{field: _interval(START, end)}, **LIMIT)
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    "value",
    ["2025-01-01", "2025-01-01T00:00:00", "2025-01-01T00:00:00+02:00", "yesterday"],
    ids=["date-only", "no-offset", "non-utc-offset", "garbage"],
)
def test_non_utc_datetimes_are_400(api: Api, value: str) -> None:
    interval = {"StartUtc": value, "EndUtc": "2025-01-02T00:00:00Z"}
    assert api.post("reservations", UpdatedUtc=interval, **LIMIT).status_code == 400


@pytest.mark.parametrize(
    ("name", "field", "size"),
    [
        ("reservations", "ReservationIds", 1001),
        ("reservations", "ServiceIds", 1001),
        ("reservations", "EnterpriseIds", 1001),
        ("reservations", "PartnerCompanyIds", 101),
        ("reservations", "AvailabilityBlockIds", 101),
        ("product_service_orders", "ProductServiceOrderIds", 1001),
        ("services", "ServiceIds", 1001),
        ("age_categories", "AgeCategoryIds", 1001),
    ],
    ids=lambda v: str(v),
)
def test_id_array_over_documented_max_is_400(api: Api, name: str, field: str, size: int) -> None:
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(size)]
    fields = {field: ids, **LIMIT}
    if name == "product_service_orders" and field != "ServiceIds":
        fields["ServiceIds"] = api.additional_service_ids()
    response = api.post(name, **fields)
    assert response.status_code == 400
    assert field in response.json()["Message"]


def test_product_service_orders_require_service_ids(api: Api) -> None:
    assert api.post("product_service_orders", **LIMIT).status_code == 400
    response = api.post("product_service_orders", ServiceIds=api.additional_service_ids(), **LIMIT)
    assert response.status_code == 200
    assert len(response.json()["ProductServiceOrders"]) == 10


@pytest.mark.parametrize(
    "path",
    [
        "/api/connector/v1/reservations/getAll/2023-06-06/",
        "/api/connector/v1/Reservations/getAll/2023-06-06",
        "/api/connector/v1/reservations/getall/2023-06-06",
        "/api/connector/v1/serviceOrders/reservations/getAlll",
        "/api/connector/v1/serviceOrders/productServiceOrders/getAlll",
        "/api/connector/v1/reservations/getAll",
        "/api/connector/v1/services/getAll?x=1",
    ],
    ids=[
        "trailing-slash",
        "wrong-case-resource",
        "wrong-case-action",
        "draft-reservations",
        "draft-product-service-orders",
        "unversioned-reservations",
        "query-string",
    ],
)
def test_wrong_paths_are_404(api: Api, path: str) -> None:
    response = api.client.post(path, json=api.envelope(**LIMIT))
    assert response.status_code == 404
    assert response.json()["RequestId"] == response.headers["Request-Id"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_non_post_methods_are_404(api: Api, method: str) -> None:
    response = api.client.request(method, api.paths["services"])
    assert response.status_code == 404
    assert response.json()["RequestId"] == response.headers["Request-Id"]


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        (LIMIT, 200),
        ({}, 400),
        ({"EnterpriseIds": ["x"], **LIMIT}, 403),
        ({"ClientToken": "x", **LIMIT}, 401),
        ({"Limitation": {"Count": 1, "Cursor": "00000000-0000-4000-8000-000000000000"}}, 400),
    ],
    ids=["ok", "bad-request", "forbidden", "unauthorized", "invalid-cursor"],
)
def test_every_response_has_request_id_and_errors_echo_it(
    api: Api, fields: dict[str, object], status: int
) -> None:
    body = {**api.envelope(), **fields}
    response = api.client.post(api.paths["services"], json=body)
    assert response.status_code == status
    request_id = response.headers["Request-Id"]
    assert request_id
    if status != 200:
        error = response.json()
        assert error["RequestId"] == request_id
        assert isinstance(error["Message"], str) and error["Message"]


def test_unknown_request_properties_are_ignored(api: Api) -> None:
    response = api.post("services", Surprise={"x": 1}, LanguageCode=None, **LIMIT)
    assert response.status_code == 200


def test_configuration_returns_now_and_enterprise(api: Api) -> None:
    enterprise_id = api.sim.enterprise_ids[2]
    own = api.post("configuration", api.sim.enterprise_tokens[enterprise_id]).json()
    assert own["Enterprise"]["Id"] == enterprise_id
    assert abs(datetime.fromisoformat(own["NowUtc"]) - datetime.now(UTC)) < timedelta(minutes=1)
    chosen = api.post("configuration", EnterpriseId=enterprise_id).json()
    assert chosen["Enterprise"]["Id"] == enterprise_id
    portfolio = api.post("configuration").json()
    assert portfolio["Enterprise"]["IsPortfolio"] is True
    other = api.sim.enterprise_ids[0]
    token = api.sim.enterprise_tokens[enterprise_id]
    assert api.post("configuration", token, EnterpriseId=other).status_code == 403


def test_reservations_default_to_bookable_services(api: Api) -> None:
    bookable = {
        s["Id"] for s in api.sim.data.services() if s["Data"]["Discriminator"] == "Bookable"
    }
    page = api.post("reservations", Limitation={"Count": 1000}).json()["Reservations"]
    assert {r["ServiceId"] for r in page} <= bookable
    categories = api.walk("age_categories", count=100)
    assert {c["ServiceId"] for c in categories} == bookable


def test_service_type_filters_services(api: Api) -> None:
    services = api.post("services", ServiceType="Additional", Limitation={"Count": 100}).json()
    assert {s["Data"]["Discriminator"] for s in services["Services"]} == {"Additional"}


def test_keep_alive_connection_is_reused(api: Api) -> None:
    with httpx.Client(base_url=api.sim.url) as client:
        for _ in range(3):
            client.post(api.paths["services"], json=api.envelope(**LIMIT))
        assert len(client._transport._pool.connections) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("reservations", {"States": ["Waitlisted"]}),
        ("services", {"ServiceType": "Reservable"}),
        ("age_categories", {"ActivityStates": ["Sleeping"]}),
    ],
    ids=["reservation-state", "service-type", "activity-state"],
)
def test_undocumented_enum_values_in_requests_are_400(
    api: Api, name: str, fields: dict[str, object]
) -> None:
    assert api.post(name, **fields, **LIMIT).status_code == 400


def test_states_filter(api: Api) -> None:
    page = api.post("reservations", States=["Canceled"], Limitation={"Count": 100}).json()
    assert page["Reservations"] and {r["State"] for r in page["Reservations"]} == {"Canceled"}
