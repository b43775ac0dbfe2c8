"""Row shaping: API records -> Arrow parent and person-count tables, without dlt's normalizer."""

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mews_source.errors import MalformedPageError
from mews_source.rows import (
    PERSON_COUNTS_SCHEMA,
    PRODUCT_SERVICE_ORDER_FIELDS,
    RESERVATION_FIELDS,
    TIMESTAMP,
    enterprise_ids_of,
    parent_table,
    person_count_table,
    require_identity,
)

UPDATED = "2024-03-01T10:00:00Z"


def reservation(record_id: str = "r1", **fields: Any) -> dict[str, Any]:
    return {"Id": record_id, "UpdatedUtc": UPDATED, "ServiceId": "s1", **fields}


def parent(*records: dict[str, Any], known: list[str] = RESERVATION_FIELDS) -> pa.Table:
    return parent_table(list(records), known, ["e1"] * len(records))


def counts(*records: dict[str, Any]) -> pa.Table:
    table = parent(*records)
    return person_count_table(
        list(records), ["e1"] * len(records), table.column("updated_utc").combine_chunks()
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


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
    options = {"OwnerCheckedIn": True, "AllCompanionsCheckedIn": False, "ConnectorCheckIn": "true"}
    row = parent(reservation(Options=options)).to_pylist()[0]
    assert row["options__owner_checked_in"] is True
    assert row["options__all_companions_checked_in"] is False
    assert row["options__any_companion_checked_in"] is None
    assert row["options__connector_check_in"] is True
    assert "options" not in row


def test_parent_table_keeps_unknown_options() -> None:
    table = parent(
        reservation(Options={"BrandNewFlag": True, "BrandNewText": "x"}),
        reservation("r2", Options=None),
    )
    assert table.schema.field("options__brand_new_flag").type == pa.bool_()
    assert table.column("options__brand_new_flag").to_pylist() == [True, None]
    assert table.column("options__brand_new_text").to_pylist() == ["x", None]


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
    assert table.schema.field("created_utc").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("updated_utc").type == pa.timestamp("us", tz="UTC")
    assert table.column("created_utc").to_pylist() == [expected]


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


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("yesterday", id="junk-string"),
        pytest.param(1709287200, id="epoch-number"),
        pytest.param({"Value": "2024-03-01T10:00:00Z"}, id="object"),
    ],
)
def test_parent_table_refuses_a_utc_field_that_is_not_iso_8601(value: Any) -> None:
    with pytest.raises(MalformedPageError, match="StartUtc"):
        parent(reservation(StartUtc=value))


def test_parent_table_turns_unknown_scalars_into_text_columns() -> None:
    table = parent(
        reservation("a", NewText="x", NewNumber=5, NewFlag=True, NewList=[1, "b"]),
        reservation("b", NewText=None, NewNumber=2.5, NewFlag=False),
    )
    for name in ("new_text", "new_number", "new_flag", "new_list"):
        assert table.schema.field(name).type == pa.string(), name
    rows = table.to_pylist()
    assert [r["new_text"] for r in rows] == ["x", None]
    assert [r["new_number"] for r in rows] == ["5", "2.5"]
    assert [r["new_flag"] for r in rows] == ["true", "false"]
    assert [r["new_list"] for r in rows] == ['[1,"b"]', None]


def test_parent_table_flattens_unknown_objects_to_double_underscore_columns() -> None:
    table = parent(
        reservation("a", Extra={"Inner": "x", "Deep": {"Leaf": 1}}),
        reservation("b", Extra=None),
        reservation("c"),
    )
    assert table.column("extra__inner").to_pylist() == ["x", None, None]
    assert table.column("extra__deep__leaf").to_pylist() == ["1", None, None]
    assert "extra" not in table.column_names


def test_parent_table_stores_an_unknown_field_that_is_sometimes_an_object_as_json_text() -> None:
    table = parent(reservation("a", Extra={"Inner": "x"}), reservation("b", Extra="plain"))
    assert table.column("extra").to_pylist() == ['{"Inner":"x"}', "plain"]


def test_parent_table_parses_unknown_utc_fields_as_timestamps_when_they_are_iso() -> None:
    table = parent(
        reservation("a", ConfirmedUtc="2024-03-01T10:00:00Z", OddUtc="not a date"),
    )
    assert table.column("confirmed_utc").to_pylist() == [utc(2024, 3, 1, 10)]
    assert table.column("odd_utc").to_pylist() == ["not a date"]


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
    for name in (
        "group_id",
        "cancelled_utc",
        "assigned_resource_locked",
        "options__owner_checked_in",
    ):
        assert table.column(name).to_pylist() == [None, None], name


def test_parent_table_takes_enterprise_id_from_argument_not_from_record() -> None:
    table = parent_table(
        [reservation("a", EnterpriseId="own"), reservation("b")], RESERVATION_FIELDS, ["x", None]
    )
    assert table.column("enterprise_id").to_pylist() == ["x", None]
    assert table.column_names.count("enterprise_id") == 1


def test_parent_table_works_for_product_service_orders() -> None:
    order = {"Id": "o1", "UpdatedUtc": UPDATED, "LinkedReservationId": "r1", "State": "Confirmed"}
    table = parent(order, known=PRODUCT_SERVICE_ORDER_FIELDS)
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
                {"AgeCategoryId": "adult", "Count": "2"},
                {"AgeCategoryId": "child", "Count": 1},
            ],
        ),
    )
    assert table.schema == PERSON_COUNTS_SCHEMA
    assert table.to_pylist() == [
        {
            "reservation_id": "r1",
            "age_category_id": "adult",
            "count": 2,
            "enterprise_id": "e1",
            "updated_utc": utc(2024, 3, 1, 10),
            "_deleted": False,
        },
        {
            "reservation_id": "r2",
            "age_category_id": "adult",
            "count": 2,
            "enterprise_id": "e1",
            "updated_utc": utc(2024, 3, 2),
            "_deleted": False,
        },
        {
            "reservation_id": "r2",
            "age_category_id": "child",
            "count": 1,
            "enterprise_id": "e1",
            "updated_utc": utc(2024, 3, 2),
            "_deleted": False,
        },
    ]


@pytest.mark.parametrize(
    "count",
    [
        pytest.param(3, id="int"),
        pytest.param("3", id="string"),
        pytest.param(3.0, id="integral-float"),
        pytest.param(" 3 ", id="padded-string"),
    ],
)
def test_person_count_table_coerces_count_to_integer(count: Any) -> None:
    table = counts(reservation(PersonCounts=[{"AgeCategoryId": "adult", "Count": count}]))
    assert table.column("count").to_pylist() == [3]
    assert table.schema.field("count").type == pa.int64()


@pytest.mark.parametrize(
    "count",
    [
        pytest.param("two", id="word"),
        pytest.param(2.5, id="fraction"),
        pytest.param(True, id="boolean"),
        pytest.param(None, id="null"),
    ],
)
def test_person_count_table_refuses_a_count_that_is_not_an_integer(count: Any) -> None:
    with pytest.raises(MalformedPageError, match="Count"):
        counts(reservation(PersonCounts=[{"AgeCategoryId": "adult", "Count": count}]))


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param({"Count": 1}, id="missing-category"),
        pytest.param({"AgeCategoryId": "", "Count": 1}, id="empty-category"),
        pytest.param("adult", id="not-an-object"),
    ],
)
def test_person_count_table_refuses_an_entry_without_age_category(entry: Any) -> None:
    with pytest.raises(MalformedPageError, match="AgeCategoryId"):
        counts(reservation(PersonCounts=[entry]))


def test_person_count_table_refuses_person_counts_that_are_not_a_list() -> None:
    with pytest.raises(MalformedPageError, match="not a list"):
        counts(reservation(PersonCounts={"AgeCategoryId": "adult", "Count": 1}))


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
    table = person_count_table([], [], pa.array([], TIMESTAMP))
    assert table.num_rows == 0
    assert table.schema == PERSON_COUNTS_SCHEMA


@pytest.mark.parametrize(
    ("record", "missing"),
    [
        pytest.param({"UpdatedUtc": UPDATED}, "Id", id="no-id"),
        pytest.param({"Id": "", "UpdatedUtc": UPDATED}, "Id", id="empty-id"),
        pytest.param({"Id": 7, "UpdatedUtc": UPDATED}, "Id", id="numeric-id"),
        pytest.param({"Id": "r1"}, "UpdatedUtc", id="no-updated"),
        pytest.param({"Id": "r1", "UpdatedUtc": None}, "UpdatedUtc", id="null-updated"),
    ],
)
def test_require_identity_refuses_records_without_id_or_updated_utc(
    record: dict[str, Any], missing: str
) -> None:
    with pytest.raises(MalformedPageError, match=f"record 1 of a page has no {missing}"):
        require_identity([reservation("ok"), record])


def test_require_identity_accepts_complete_records() -> None:
    require_identity([reservation("a"), reservation("b")])
    require_identity([])


def test_enterprise_ids_of_prefers_record_enterprise_then_service_enterprise() -> None:
    records = [
        {"Id": "own", "EnterpriseId": "e-own", "ServiceId": "s1"},
        {"Id": "via-service", "ServiceId": "s1"},
        {"Id": "null-own", "EnterpriseId": None, "ServiceId": "s2"},
        {"Id": "unknown-service", "ServiceId": "s-unknown"},
        {"Id": "no-service"},
    ]
    assert enterprise_ids_of(records, {"s1": "e1", "s2": "e2"}) == [
        "e-own",
        "e1",
        "e2",
        None,
        None,
    ]


# --- property: any mix of documented, null, absent and unknown fields builds both tables ---

# Fields Mews may add later: never among the documented names, one ends in Utc.
UNKNOWN_NAMES = st.sampled_from(["Color", "FloorNumber", "Loyalty", "Notes", "SeenUtc", "Tier"])
TEXT = st.text(alphabet="abcXYZ 09-:.T", max_size=8)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
UNKNOWN_VALUES = st.one_of(
    SCALARS, st.dictionaries(st.sampled_from(["Value", "Kind", "Code"]), SCALARS, max_size=3)
)
ISO = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2030, 1, 1)).map(
    lambda moment: moment.isoformat(timespec="microseconds") + "Z"
)
COUNTS = st.integers(0, 2**31 - 1).flatmap(lambda n: st.sampled_from([n, str(n)]))
PERSON_COUNTS = st.lists(
    st.fixed_dictionaries(
        {"AgeCategoryId": st.sampled_from(["adult", "child", "baby"]), "Count": COUNTS}
    ),
    max_size=3,
    unique_by=lambda entry: entry["AgeCategoryId"],
)
MAYBE = object()  # marks "leave the field out"


def optional(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(MAYBE), st.none(), values)


OPTIONAL_FIELDS = {
    "GroupId": optional(TEXT),
    "CancelledUtc": optional(ISO),
    "State": optional(st.one_of(st.sampled_from(["Confirmed", "Canceled"]), TEXT)),
    "Origin": optional(st.sampled_from(["Distributor", "Connector", "FutureOrigin"])),
    "AssignedResourceLocked": optional(st.booleans()),
    "Options": optional(st.fixed_dictionaries({}, optional={"OwnerCheckedIn": st.booleans()})),
    "PersonCounts": optional(PERSON_COUNTS),
}
EXTRAS = st.dictionaries(UNKNOWN_NAMES, UNKNOWN_VALUES, max_size=3)


@st.composite
def records(draw: st.DrawFn, position: int) -> dict[str, Any]:
    record: dict[str, Any] = {"Id": f"r{position}", "UpdatedUtc": draw(ISO), "ServiceId": "s1"}
    for name, strategy in OPTIONAL_FIELDS.items():
        value = draw(strategy)
        if value is not MAYBE:
            record[name] = value
    record.update(draw(EXTRAS))
    return record


@st.composite
def pages(draw: st.DrawFn) -> list[dict[str, Any]]:
    size = draw(st.integers(1, 6))
    return [draw(records(position)) for position in range(size)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=pages())
def test_tables_build_for_any_record_shape_and_round_trip_ids_and_counts(
    page: list[dict[str, Any]],
) -> None:
    require_identity(page)
    enterprise_ids = enterprise_ids_of(page, {"s1": "e1"})
    table = parent_table(page, RESERVATION_FIELDS, enterprise_ids)
    child = person_count_table(page, enterprise_ids, table.column("updated_utc").combine_chunks())

    assert table.num_rows == len(page)
    assert table.column("id").to_pylist() == [r["Id"] for r in page]
    assert table.schema.field("updated_utc").type == TIMESTAMP
    assert len(table.column_names) == len(set(table.column_names))
    expected_counts = {
        (r["Id"], p["AgeCategoryId"], int(p["Count"]))
        for r in page
        for p in r.get("PersonCounts") or []
    }
    live = [row for row in child.to_pylist() if not row["_deleted"]]
    assert {
        (r["reservation_id"], r["age_category_id"], r["count"]) for r in live
    } == expected_counts
    assert len(live) == len(expected_counts)
    tombstones = {row["reservation_id"] for row in child.to_pylist() if row["_deleted"]}
    assert tombstones == {r["Id"] for r in page if not r.get("PersonCounts")}
    assert child.num_rows == len(expected_counts) + len(tombstones)
    assert set(child.column("enterprise_id").to_pylist()) <= {"e1"}
