"""One path from a page body to tables: Arrow's reader for the documented shape, `repair` first
for any other, and the same tables either way."""

from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mews_source import operations, paging, shaping
from mews_source.errors import MalformedPageError
from mews_source.repair import repair
from mews_source.shaping import PERSON_COUNTS_SCHEMA, TIMESTAMP
from tests.unit.pages import (
    KEY,
    ORDERS_KEY,
    SCHEMA,
    SERVICES,
    assert_same_tables,
    body,
    counts,
    parent,
    read,
    repaired,
    tables,
    tables_of,
)

UPDATED = "2024-03-01T10:00:00Z"


def reservation(record_id: str = "r1", **fields: Any) -> dict[str, Any]:
    return {"Id": record_id, "UpdatedUtc": UPDATED, "ServiceId": "s1", **fields}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def repairs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the pages `repair` was called for: none for a page the reader takes."""
    calls: list[int] = []

    def spy(records: list[dict[str, Any]], declared: pa.StructType) -> pa.StructArray:
        calls.append(len(records))
        return repair(records, declared)

    monkeypatch.setattr(shaping, "repair", spy)
    return calls


# --- documented pages: the reader's records are the records `repair` builds ---

TEXT = st.text(alphabet="abcXYZ 09-é", max_size=6)
ISO = st.sampled_from(
    ["2024-01-01T00:00:00Z", "2024-02-29T12:30:00.500Z", "2025-06-01T08:00:00+00:00"]
)
OPTIONAL = st.sampled_from(["absent", "null", "value"])


@st.composite
def documented(draw: st.DrawFn, position: int) -> dict[str, Any]:
    """A reservation in the documented shape (and its draft variations the reader takes)."""
    rec: dict[str, Any] = {
        "Id": f"r{position}",
        "ServiceId": draw(st.sampled_from(["s1", "s2", "unknown"])),
        "State": draw(st.sampled_from(["Confirmed", "Canceled", "Waitlisted"])),
        "UpdatedUtc": draw(ISO),
        "CreatedUtc": draw(ISO),
        "AssignedResourceLocked": draw(st.booleans()),
        "Options": {"OwnerCheckedIn": draw(st.booleans()), "ConnectorCheckIn": False},
        "PersonCounts": [
            {"AgeCategoryId": c, "Count": draw(st.integers(1, 5))}
            for c in draw(st.lists(st.sampled_from(["a", "c", "i"]), unique=True, max_size=3))
        ],
    }
    for key in ("BookerId", "CancelledUtc", "Purpose", "ActualStartUtc"):
        how = draw(OPTIONAL)
        if how != "absent":
            rec[key] = None if how == "null" else draw(ISO if key.endswith("Utc") else TEXT)
    if draw(st.booleans()):
        rec["EnterpriseId"] = draw(st.sampled_from(["e9", "", None]))
    if draw(st.booleans()):
        rec["LoyaltyTier"] = draw(st.one_of(st.none(), TEXT))
    if draw(st.booleans()):
        rec["ExternalRef"] = {"System": draw(TEXT), "Code": draw(st.one_of(st.none(), TEXT))}
    if draw(st.booleans()):
        rec["Options"]["NewOption"] = draw(st.one_of(st.none(), st.booleans()))
    return rec


@st.composite
def documented_pages(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [draw(documented(i)) for i in range(draw(st.integers(1, 6)))]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(documented_pages())
def test_a_documented_page_takes_the_reader_and_builds_the_tables_repair_builds(
    repairs: list[int], records: list[dict[str, Any]]
) -> None:
    fast = read(records)
    assert repairs == [], "a documented-shape page must take the reader's path"

    assert_same_tables(tables_of(fast), tables_of(repaired(records)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documented_pages(), st.data())
def test_an_off_spec_page_builds_the_tables_of_the_same_records_on_spec(
    records: list[dict[str, Any]], data: st.DataObject
) -> None:
    off_spec = [data.draw(off_spec_variant(record)) for record in records]

    assert_same_tables(tables(*off_spec), tables(*records))


@st.composite
def off_spec_variant(draw: st.DrawFn, record: dict[str, Any]) -> dict[str, Any]:
    """The same reservation as drafts send it: strings for numbers and booleans, 7 digits."""
    rec = {**record, "Options": dict(record["Options"])}
    rec["PersonCounts"] = [
        {**p, "Count": draw(st.sampled_from([p["Count"], str(p["Count"]), float(p["Count"])]))}
        for p in record["PersonCounts"]
    ]
    if draw(st.booleans()):
        rec["AssignedResourceLocked"] = str(record["AssignedResourceLocked"]).lower()
    if draw(st.booleans()):
        rec["Options"]["OwnerCheckedIn"] = str(record["Options"]["OwnerCheckedIn"])
    if draw(st.booleans()):  # .NET writes 7 fraction digits, and may leave the offset out
        moment = datetime.fromisoformat(record["CreatedUtc"]).astimezone(UTC)
        rec["CreatedUtc"] = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + draw(
            st.sampled_from(["0Z", "9"])
        )
    return rec


@pytest.mark.parametrize(
    "variation",
    [
        {"PersonCounts": [{"AgeCategoryId": "a", "Count": "2"}]},
        {"PersonCounts": [{"AgeCategoryId": "a", "Count": 2.0}]},
        {"LoyaltyPoints": 12},
        {"Flags": {"Vip": True}},
        {"Number": 52},
        {"ConfirmedUtc": UPDATED},
        {"AssignedResourceLocked": "true"},
        {"Options": {"OwnerCheckedIn": "False"}},
        {"Options": {"NewOption": {"Nested": 1}}},
    ],
    ids=["count-as-string", "count-as-float", "unknown-number", "unknown-nested-bool",
         "known-field-as-number", "unknown-iso-string", "boolean-as-string",
         "option-as-string", "unknown-option-object"],
)  # fmt: skip
def test_a_page_the_reader_refuses_is_repaired_once(
    repairs: list[int], variation: dict[str, Any]
) -> None:
    read([reservation(), reservation("r2", **variation)])
    assert repairs == [2]


def test_a_documented_page_is_not_repaired(repairs: list[int]) -> None:
    read([reservation(PersonCounts=[{"AgeCategoryId": "a", "Count": 2}], Extra={"A": "x"})])
    assert repairs == []


# --- bodies ---


def test_reads_the_cursor_and_pretty_printed_bodies(repairs: list[int]) -> None:
    records = [{"Id": "r1", "UpdatedUtc": UPDATED, "PersonCounts": []}]
    pretty = orjson.dumps({KEY: records, "Cursor": "r1"}, option=orjson.OPT_INDENT_2)

    data = shaping.read_page(pretty, KEY, SCHEMA)

    assert data["Cursor"] == "r1" and len(data[KEY]) == 1 and repairs == []


def test_empty_page_has_no_records_and_a_null_cursor(repairs: list[int]) -> None:
    data = shaping.read_page(b'{"Reservations": [], "Cursor": null}', KEY, SCHEMA)
    assert len(data[KEY]) == 0 and data["Cursor"] is None and repairs == []


def test_a_repaired_page_keeps_its_cursor_for_parse_page_to_check() -> None:
    data = shaping.read_page(body([reservation(Number=52)], cursor="r1"), KEY, SCHEMA)
    assert data["Cursor"] == "r1"
    odd = shaping.read_page(body([reservation()], cursor=5), KEY, SCHEMA)
    with pytest.raises(MalformedPageError, match="Cursor is a int"):
        paging.parse_page(odd, KEY)


@pytest.mark.parametrize(
    "text",
    [b'{"Reservations": [{"Id": "r1"', b"<html>busy</html>", b""],
    ids=["truncated", "html", "empty"],
)
def test_a_body_that_is_not_json_raises_a_json_error_for_the_client_to_retry(text: bytes) -> None:
    with pytest.raises(orjson.JSONDecodeError):
        shaping.read_page(text, KEY, SCHEMA)


@pytest.mark.parametrize(
    "text",
    [b"[]", b'"page"', b'{"Cursor": null}', b'{"Reservations": {"Id": "r1"}}',
     b'{"Reservations": ["r1"]}', b'{"Reservations": [null]}'],
    ids=["array", "string", "no-collection", "object", "strings", "null-record"],
)  # fmt: skip
def test_a_body_without_a_list_of_objects_is_refused_in_one_line(text: bytes) -> None:
    with pytest.raises(MalformedPageError, match="no list of objects under 'Reservations'"):
        shaping.read_page(text, KEY, SCHEMA)


# --- tables ---


def test_parent_table_names_known_columns_in_snake_case() -> None:
    table = parent(reservation(ServiceId="s1", CommanderOrigin="Channel", QrCodeData="q"))
    assert table.column_names[:4] == ["id", "service_id", "account_id", "account_type"]
    row = table.to_pylist()[0]
    assert row["id"] == "r1"
    assert row["service_id"] == "s1"
    assert row["commander_origin"] == "Channel"
    assert row["qr_code_data"] == "q"
    assert row["enterprise_id"] == "e1"
    assert table.schema.field("id").nullable is False


def test_parent_table_emits_every_known_column_even_when_absent() -> None:
    table = parent(reservation())
    assert {"group_id", "travel_agency_id", "cancelled_utc", "purpose"} <= set(table.column_names)
    assert table.schema.field("group_id").type == pa.string()
    assert table.schema.field("cancelled_utc").type == TIMESTAMP


def test_parent_table_flattens_options_into_boolean_columns() -> None:
    options = {"OwnerCheckedIn": True, "AllCompanionsCheckedIn": False, "ConnectorCheckIn": True}
    row = parent(reservation(Options=options)).to_pylist()[0]
    assert row["options__owner_checked_in"] is True
    assert row["options__all_companions_checked_in"] is False
    assert row["options__any_companion_checked_in"] is None
    assert row["options__connector_check_in"] is True
    assert "options" not in row


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2024-03-01T10:00:00Z", utc(2024, 3, 1, 10), id="z"),
        pytest.param("2024-03-01T10:00:00.500Z", utc(2024, 3, 1, 10, 0, 0, 500000), id="millis"),
        pytest.param(
            "2024-03-01T10:00:00.1234567Z", utc(2024, 3, 1, 10, 0, 0, 123456), id="7-digits"
        ),
        pytest.param("2024-03-01T10:00:00+00:00", utc(2024, 3, 1, 10), id="plus-zero-offset"),
        pytest.param("2024-03-01T10:00:00-02:00", utc(2024, 3, 1, 12), id="negative-offset"),
        pytest.param("2024-03-01T10:00:00", utc(2024, 3, 1, 10), id="naive-is-utc"),
        pytest.param(
            "2024-03-01T10:00:00.1234567", utc(2024, 3, 1, 10, 0, 0, 123456), id="naive-7-digits"
        ),
        pytest.param(None, None, id="null"),
    ],
)
def test_parent_table_parses_utc_columns_as_utc_timestamps(
    value: str | None, expected: datetime | None
) -> None:
    table = parent(reservation(CreatedUtc=value, UpdatedUtc="2024-03-01T10:00:00.1234567Z"))
    assert table.schema.field("created_utc").type == TIMESTAMP
    assert table.schema.field("updated_utc").type == TIMESTAMP
    assert table.column("created_utc").to_pylist() == [expected]
    assert shaping.updated_utc(read([reservation(UpdatedUtc=value or UPDATED)])).type == TIMESTAMP


def test_parent_table_mixes_timestamp_formats_in_one_column() -> None:
    table = parent(
        reservation("a", StartUtc="2024-03-01T10:00:00Z"),
        reservation("b", StartUtc="2024-03-01T10:00:00.9999999Z"),
        reservation("c", StartUtc="2024-03-01T10:00:00+00:00"),
    )
    assert table.column("start_utc").to_pylist() == [
        utc(2024, 3, 1, 10),
        utc(2024, 3, 1, 10, 0, 0, 999999),
        utc(2024, 3, 1, 10),
    ]


def test_parent_table_refuses_a_utc_string_that_is_not_iso_8601() -> None:
    with pytest.raises(MalformedPageError, match="StartUtc holds a value that is not an ISO"):
        parent(reservation(StartUtc="yesterday"))


def test_parent_table_flattens_unknown_objects_to_double_underscore_columns() -> None:
    table = parent(
        reservation("a", Extra={"Inner": "x", "Deep": {"Leaf": "1"}}),
        reservation("b", Extra=None),
        reservation("c"),
    )
    assert table.column("extra__inner").to_pylist() == ["x", None, None]
    assert table.column("extra__deep__leaf").to_pylist() == ["1", None, None]
    assert "extra" not in table.column_names


def test_parent_table_drops_unknown_fields_that_are_always_null() -> None:
    assert "ghost" not in parent(reservation(Ghost=None)).column_names


def test_parent_table_keeps_unknown_enum_values() -> None:
    table = parent(reservation(State="Teleported", Origin="Hologram", AccountType="Robot"))
    row = table.to_pylist()[0]
    assert (row["state"], row["origin"], row["account_type"]) == ("Teleported", "Hologram", "Robot")


def test_parent_table_gives_null_for_absent_and_null_optional_fields() -> None:
    table = parent(
        reservation("absent"),
        reservation("null", GroupId=None, CancelledUtc=None, AssignedResourceLocked=None),
    )
    for name in ("group_id", "cancelled_utc", "assigned_resource_locked",
                 "options__owner_checked_in"):  # fmt: skip
        assert table.column(name).to_pylist() == [None, None], name


def test_parent_table_takes_enterprise_id_from_argument_not_from_record() -> None:
    records = read([reservation("a", EnterpriseId="own"), reservation("b")])
    table = shaping.parent_table(records, operations.RESERVATION_FIELDS, pa.array(["x", None]))
    assert table.column("enterprise_id").to_pylist() == ["x", None]
    assert table.column_names.count("enterprise_id") == 1


def test_parent_table_works_for_product_service_orders() -> None:
    order = {"Id": "o1", "UpdatedUtc": UPDATED, "LinkedReservationId": "r1", "State": "Confirmed"}
    table = parent(order, key=ORDERS_KEY)
    assert table.to_pylist()[0]["linked_reservation_id"] == "r1"
    assert "person_counts" not in table.column_names


def test_parent_table_leaves_person_counts_to_the_child_table() -> None:
    record = reservation(PersonCounts=[{"AgeCategoryId": "adult", "Count": 2}])
    assert not [name for name in parent(record).column_names if "person" in name]


def test_person_count_table_has_one_row_per_age_category() -> None:
    table = counts(
        reservation("r1", PersonCounts=[{"AgeCategoryId": "adult", "Count": 2}]),
        reservation(
            "r2",
            UpdatedUtc="2024-03-02T00:00:00Z",
            PersonCounts=[
                {"AgeCategoryId": "adult", "Count": 2},
                {"AgeCategoryId": "child", "Count": 1},
            ],
        ),
    )
    assert table.schema == PERSON_COUNTS_SCHEMA
    row = {"count": 2, "enterprise_id": "e1", "_deleted": False}
    assert table.to_pylist() == [
        {"reservation_id": "r1", "age_category_id": "adult", **row,
         "updated_utc": utc(2024, 3, 1, 10)},
        {"reservation_id": "r2", "age_category_id": "adult", **row, "updated_utc": utc(2024, 3, 2)},
        {"reservation_id": "r2", "age_category_id": "child", **row, "count": 1,
         "updated_utc": utc(2024, 3, 2)},
    ]  # fmt: skip


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"PersonCounts": []}, id="empty-list"),
        pytest.param({"PersonCounts": None}, id="null"),
        pytest.param({}, id="absent"),
    ],
)
def test_person_count_table_writes_a_tombstone_when_person_counts_are_empty(
    fields: dict[str, Any],
) -> None:
    table = counts(
        reservation("r1", PersonCounts=[{"AgeCategoryId": "adult", "Count": 1}]),
        reservation("r2", **fields),
    )
    rows = table.to_pylist()
    assert [(r["reservation_id"], r["_deleted"]) for r in rows] == [("r1", False), ("r2", True)]
    tombstone = rows[1]
    assert tombstone["count"] is None
    assert tombstone["updated_utc"] == utc(2024, 3, 1, 10)


def test_person_count_table_is_empty_for_no_records() -> None:
    table = counts()
    assert table.num_rows == 0
    assert table.schema == PERSON_COUNTS_SCHEMA


def test_enterprise_ids_of_prefers_record_enterprise_then_service_enterprise() -> None:
    records = read(
        [
            reservation("own", EnterpriseId="e-own", ServiceId="s1"),
            reservation("via-service", ServiceId="s1"),
            reservation("null-own", EnterpriseId=None, ServiceId="s2"),
            reservation("empty-own", EnterpriseId="", ServiceId="s2"),
            reservation("unknown-service", ServiceId="s-unknown"),
            reservation("no-service", ServiceId=None),
        ]
    )
    got = shaping.enterprise_ids_of(records, SERVICES).to_pylist()
    assert got == ["e-own", "e1", "e2", "e2", None, None]
