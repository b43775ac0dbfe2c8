"""Shape of the seeded data: documented fields, consistent states, ties, variations, determinism."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from mews_simulator import SimulatorConfig, SimulatorData, bulk
from mews_simulator.orders import SPARSE_FIELDS
from mews_simulator.times import parse_utc

RESERVATION_FIELDS = {
    "Id", "ServiceId", "AccountId", "AccountType", "CreatorProfileId", "UpdaterProfileId",
    "BookerId", "Number", "State", "Origin", "CommanderOrigin", "OriginDetails", "CreatedUtc",
    "UpdatedUtc", "CancelledUtc", "VoucherId", "BusinessSegmentId", "Options", "RateId",
    "CreditCardId", "GroupId", "RequestedResourceCategoryId", "AssignedResourceId",
    "AvailabilityBlockId", "PartnerCompanyId", "TravelAgencyId", "AssignedResourceLocked",
    "ChannelNumber", "ChannelManagerNumber", "CancellationReason", "ReleasedUtc",
    "ScheduledStartUtc", "ActualStartUtc", "ScheduledEndUtc", "ActualEndUtc", "Purpose",
    "QrCodeData", "PersonCounts", "StartUtc", "EndUtc",
}  # fmt: skip
ORDER_FIELDS = {
    "Id", "ServiceId", "AccountId", "AccountType", "CreatorProfileId", "UpdaterProfileId",
    "BookerId", "Number", "State", "Origin", "CommanderOrigin", "OriginDetails", "CreatedUtc",
    "UpdatedUtc", "CancelledUtc", "VoucherId", "BusinessSegmentId", "LinkedReservationId",
    "Options",
}  # fmt: skip
STATES = {"Inquired", "Confirmed", "Started", "Processed", "Canceled", "Optional", "Requested"}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")


@pytest.fixture(scope="module")
def data() -> SimulatorData:
    return SimulatorData(SimulatorConfig(seed=9, reservation_count=4000))


def test_reservations_carry_every_documented_field(data: SimulatorData) -> None:
    sparse = 0
    for r in data.reservations():
        missing = RESERVATION_FIELDS - set(r)
        assert missing <= set(SPARSE_FIELDS)
        assert set(r) <= RESERVATION_FIELDS, "no EnterpriseId or unknown fields by default"
        sparse += bool(missing)
    assert 0 < sparse < 4000, "some optional fields are absent entirely"


def test_reservation_values_follow_the_docs(data: SimulatorData) -> None:
    nulls: Counter[str] = Counter()
    for r in data.reservations():
        assert r["State"] in STATES
        assert set(r["Options"]) == {
            "OwnerCheckedIn", "AllCompanionsCheckedIn", "AnyCompanionCheckedIn", "ConnectorCheckIn"
        }  # fmt: skip
        assert 1 <= len(r["PersonCounts"]) <= 3
        assert all(type(p["Count"]) is int and p["Count"] > 0 for p in r["PersonCounts"])
        for name, value in r.items():
            if name.endswith("Utc") and value is not None:
                assert STAMP.match(value), (name, value)
            nulls[name] += value is None
        _assert_consistent_times(r)
    assert nulls["BookerId"] and nulls["CancelledUtc"] and nulls["ActualStartUtc"]


def _assert_consistent_times(doc: dict[str, Any]) -> None:
    r = {k: parse_utc(v) if k.endswith("Utc") and v else v for k, v in doc.items()}
    assert r["CreatedUtc"] <= r["UpdatedUtc"]
    assert r["ScheduledStartUtc"] < r["ScheduledEndUtc"]
    assert (r["CancelledUtc"] is not None) is (r["State"] == "Canceled")
    assert (r["CancellationReason"] is not None) is (r["State"] == "Canceled")
    assert (r["ActualStartUtc"] is not None) is (r["State"] in ("Started", "Processed"))
    assert (r["ActualEndUtc"] is not None) is (r["State"] == "Processed")
    assert r["Options"]["OwnerCheckedIn"] is (r["State"] in ("Started", "Processed"))
    for name in ("CancelledUtc", "ActualStartUtc", "ActualEndUtc"):
        if r[name] is not None:
            assert r[name] <= r["UpdatedUtc"], name


def test_updated_utc_has_ties_and_fractions(data: SimulatorData) -> None:
    stamps = Counter(r["UpdatedUtc"] for r in data.reservations())
    assert max(stamps.values()) >= 2
    assert any(s.endswith(".500Z") for s in stamps)


def test_orders_and_catalog_have_documented_fields(data: SimulatorData) -> None:
    orders = data.product_service_orders()
    assert all(set(o) == ORDER_FIELDS for o in orders)
    linked = [o["LinkedReservationId"] for o in orders]
    assert None in linked and any(linked)
    services = {s["Id"]: s for s in data.services()}
    assert all(services[o["ServiceId"]]["Data"]["Discriminator"] == "Additional" for o in orders)
    for service in services.values():
        assert data.enterprise_of_service(service["Id"]) == service["EnterpriseId"]
        assert {"Names", "Options", "Ordering", "Data", "ExternalIdentifier"} <= set(service)
    categories = data.age_categories()
    assert {c["Classification"] for c in categories} == {"Adult", "Child"}
    category_ids = {c["Id"] for c in categories}
    counts = {p["AgeCategoryId"] for r in data.reservations() for p in r["PersonCounts"]}
    assert counts <= category_ids


def test_same_seed_same_data_and_other_seed_differs() -> None:
    config = SimulatorConfig(seed=4, reservation_count=300, product_service_order_count=50)
    first, again = SimulatorData(config), SimulatorData(config)
    assert [r["Id"] for r in first.reservations()] == [r["Id"] for r in again.reservations()]
    other = SimulatorData(SimulatorConfig(seed=5, reservation_count=300))
    assert first.enterprise_ids != other.enterprise_ids


def test_worker_processes_generate_the_same_data(monkeypatch: pytest.MonkeyPatch) -> None:
    config = SimulatorConfig(seed=4, reservation_count=2_500, product_service_order_count=10)
    monkeypatch.setattr(bulk, "CHUNK", 1_000)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    local = SimulatorData(config, now)
    monkeypatch.setattr(bulk, "PARALLEL_FROM", 0)
    monkeypatch.setattr(bulk, "worker_count", lambda jobs: 2)
    assert SimulatorData(config, now).reservations() == local.reservations()


def test_variations_appear_in_the_requested_fraction() -> None:
    data = SimulatorData(SimulatorConfig(seed=9, reservation_count=2000, variation_fraction=0.2))
    varied = [r for r in data.reservations() if "EnterpriseId" in r]
    assert 300 < len(varied) < 500
    for r in varied:
        assert all(isinstance(p["Count"], str) for p in r["PersonCounts"])
        assert "LoyaltyTier" in r and set(r["ExternalRef"]) == {"System", "Code"}
        assert r["State"] == "Waitlisted" or r["Origin"] == "Kiosk"
    orders = data.product_service_orders()
    assert any("EnterpriseId" in o for o in orders)
