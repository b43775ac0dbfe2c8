"""Pages of the operations without declared fields: read once, handed to dlt as documents."""

from datetime import UTC, datetime

import orjson
import pytest

from mews_source.documents import documents, read_page
from mews_source.errors import MalformedPageError
from mews_source.operations import CUSTOMER_PERSONAL_FIELDS

KEY = "Customers"


def body(records: list[dict[str, object]], cursor: str | None = "c") -> bytes:
    return orjson.dumps({KEY: records, "Cursor": cursor})


CUSTOMER = {
    "Id": "c1",
    "ChainId": "chain",
    "UpdatedUtc": "2025-03-01T10:00:00.1234567Z",
    "CreatedUtc": "2024-01-01T00:00:00Z",
    "FirstName": "Ada",
    "LastName": "Lovelace",
    "Email": "ada@example.com",
    "BirthDate": "1815-12-10",
    "NationalityCode": "GB",
    "Classifications": ["Returning"],
}


def test_a_page_keeps_ids_times_and_each_record_whole() -> None:
    page = read_page(body([CUSTOMER, {**CUSTOMER, "Id": "c2"}]), KEY)

    records = page[KEY]
    assert page["Cursor"] == "c"
    assert records.field("Id").to_pylist() == ["c1", "c2"]
    assert records.field("UpdatedUtc").to_pylist() == [CUSTOMER["UpdatedUtc"]] * 2
    [first, _] = documents({}, (), records)
    assert first["FirstName"] == "Ada" and first["Classifications"] == ["Returning"]
    assert first["UpdatedUtc"] == datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert first["CreatedUtc"] == datetime(2024, 1, 1, tzinfo=UTC)


def test_personal_fields_are_left_out_unless_kept() -> None:
    records = read_page(body([CUSTOMER]), KEY)[KEY]

    [kept] = documents({}, (), records)
    [private] = documents({}, CUSTOMER_PERSONAL_FIELDS, records)

    personal = {"FirstName", "LastName", "Email", "BirthDate"}
    assert personal <= kept.keys()
    assert not personal & private.keys()
    assert private["NationalityCode"] == "GB" and private["Id"] == "c1"
    assert "Ada" not in orjson.dumps(private, default=str).decode()


def test_a_record_without_enterprise_gets_its_service_s() -> None:
    record = {"Id": "r1", "UpdatedUtc": "2025-01-01T00:00:00Z", "ServiceId": "s1"}
    records = read_page(orjson.dumps({"Rates": [record], "Cursor": None}), "Rates")["Rates"]
    [rate] = documents({"s1": "e1"}, (), records)
    assert rate["EnterpriseId"] == "e1"


@pytest.mark.parametrize(
    "broken",
    [
        {"Customers": None},
        {"Customers": [1, 2]},
        {"Customers": [{"UpdatedUtc": "2025-01-01T00:00:00Z"}]},
        {"Customers": [{"Id": "x", "UpdatedUtc": ""}]},
    ],
    ids=["no-list", "not-objects", "no-id", "empty-updated"],
)
def test_an_off_spec_page_is_refused_in_one_line(broken: dict[str, object]) -> None:
    with pytest.raises(MalformedPageError):
        read_page(orjson.dumps(broken), KEY)


def test_a_time_that_is_not_iso_8601_is_refused() -> None:
    records = read_page(body([{**CUSTOMER, "CreatedUtc": "yesterday"}]), KEY)[KEY]
    with pytest.raises(MalformedPageError, match="CreatedUtc"):
        documents({}, (), records)
