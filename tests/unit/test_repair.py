"""Each repair rule, through the whole path (body -> `read_page` -> tables), and each refusal."""

import re
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mews_source.errors import MalformedPageError
from mews_source.shaping import TIMESTAMP
from tests.unit.pages import ORDERS_KEY, counts, parent, read, repaired, tables

UPDATED = "2024-03-01T10:00:00Z"


def reservation(record_id: str = "r1", **fields: Any) -> dict[str, Any]:
    return {"Id": record_id, "UpdatedUtc": UPDATED, "ServiceId": "s1", **fields}


def entry(count: Any) -> dict[str, Any]:
    return {"AgeCategoryId": "adult", "Count": count}


# --- repaired ---


@pytest.mark.parametrize(
    "count",
    [
        pytest.param(3, id="int"),
        pytest.param("3", id="string"),
        pytest.param(3.0, id="integral-float"),
        pytest.param(" 3 ", id="padded-string"),
        pytest.param("3e0", id="exponent-string"),
    ],
)
def test_count_becomes_an_integer(count: Any) -> None:
    table = counts(reservation(PersonCounts=[entry(count)]))
    assert table.column("count").to_pylist() == [3]
    assert table.schema.field("count").type == pa.int64()


def test_a_large_integer_count_stays_exact() -> None:
    table = counts(reservation(PersonCounts=[entry(2**53 + 1)], Extra=1))  # Extra: repaired
    assert table.column("count").to_pylist() == [2**53 + 1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("false", False), ("True", True), ("FALSE", False), (True, True)],
)
def test_boolean_strings_become_booleans(value: Any, expected: bool) -> None:
    row = parent(reservation(AssignedResourceLocked=value)).to_pylist()[0]
    assert row["assigned_resource_locked"] is expected


def test_documented_options_accept_boolean_strings() -> None:
    options = {"OwnerCheckedIn": "true", "AllCompanionsCheckedIn": False}
    row = parent(reservation(Options=options)).to_pylist()[0]
    assert row["options__owner_checked_in"] is True
    assert row["options__all_companions_checked_in"] is False


def test_unknown_options_stay_boolean_when_they_always_are_and_become_text_otherwise() -> None:
    table = parent(
        reservation(Options={"BrandNewFlag": True, "BrandNewText": "x", "Odd": 1, "Null": None}),
        reservation("r2", Options=None),
        reservation("r3", Options={"BrandNewText": False, "Odd": {"A": 1}}),
    )
    assert table.schema.field("options__brand_new_flag").type == pa.bool_()
    assert table.column("options__brand_new_flag").to_pylist() == [True, None, None]
    assert table.column("options__brand_new_text").to_pylist() == ["x", None, "false"]
    assert table.column("options__odd").to_pylist() == ["1", None, '{"A":1}']
    assert table.schema.field("options__null").type == pa.bool_()


def test_options_that_are_not_an_object_count_as_absent() -> None:
    row = parent(reservation(Options="checked-in")).to_pylist()[0]
    assert row["options__owner_checked_in"] is None


def test_unknown_scalars_become_text_columns() -> None:
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


def test_unknown_objects_keep_their_fields_with_leaves_as_text() -> None:
    table = parent(
        reservation("a", Extra={"Inner": "x", "Deep": {"Leaf": 1}, "Ghost": None}),
        reservation("b", Extra=None),
        reservation("c"),
    )
    assert table.column("extra__inner").to_pylist() == ["x", None, None]
    assert table.column("extra__deep__leaf").to_pylist() == ["1", None, None]
    assert not {"extra", "extra__ghost"} & set(table.column_names)


def test_an_unknown_field_that_is_sometimes_an_object_becomes_json_text() -> None:
    table = parent(reservation("a", Extra={"Inner": "x"}), reservation("b", Extra="plain"))
    assert table.column("extra").to_pylist() == ['{"Inner":"x"}', "plain"]


def test_unknown_utc_fields_become_timestamps_when_they_are_iso_and_text_otherwise() -> None:
    table = parent(
        reservation("a", ConfirmedUtc="2024-03-01T10:00:00.1234567Z", OddUtc="not a date"),
        reservation("b", ConfirmedUtc=None, OddUtc=1709287200),
    )
    assert table.schema.field("confirmed_utc").type == TIMESTAMP
    assert table.column("confirmed_utc").to_pylist() == [
        datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC),
        None,
    ]
    assert table.column("odd_utc").to_pylist() == ["not a date", "1709287200"]


def test_a_documented_text_field_that_is_not_a_string_becomes_json_text() -> None:
    table = parent(reservation("a", Number=52, Purpose={"Kind": "Leisure"}), reservation("b"))
    assert table.column("number").to_pylist() == ["52", None]
    assert table.column("purpose").to_pylist() == ['{"Kind":"Leisure"}', None]


def test_product_service_orders_drop_person_counts_and_keep_reservation_fields_as_text() -> None:
    order = {"Id": "o1", "UpdatedUtc": UPDATED, "PersonCounts": [entry("2")], "StartUtc": UPDATED}
    parent_table, child = tables(order, {**order, "Id": "o2", "AssignedResourceLocked": "true"},
                                 key=ORDERS_KEY)  # fmt: skip
    assert child is None
    assert not [name for name in parent_table.column_names if "person" in name]
    assert parent_table.column("assigned_resource_locked").to_pylist() == [None, "true"]
    assert parent_table.schema.field("start_utc").type == TIMESTAMP


def test_a_repaired_page_has_the_documented_record_type() -> None:
    documented = read([reservation()]).type
    got = repaired([reservation(Extra=1)]).type
    assert [got.field(f.name) for f in documented] == list(documented)


# --- refused ---


@pytest.mark.parametrize(
    ("record", "missing"),
    [
        pytest.param({"UpdatedUtc": UPDATED}, "Id", id="no-id"),
        pytest.param({"Id": "", "UpdatedUtc": UPDATED}, "Id", id="empty-id"),
        pytest.param({"Id": None, "UpdatedUtc": UPDATED}, "Id", id="null-id"),
        pytest.param({"Id": 7, "UpdatedUtc": UPDATED}, "Id", id="numeric-id"),
        pytest.param({"Id": "r1"}, "UpdatedUtc", id="no-updated"),
        pytest.param({"Id": "r1", "UpdatedUtc": None}, "UpdatedUtc", id="null-updated"),
        pytest.param({"Id": "r1", "UpdatedUtc": ""}, "UpdatedUtc", id="empty-updated"),
    ],
)
def test_a_record_without_id_or_updated_utc_is_refused(
    record: dict[str, Any], missing: str
) -> None:
    with pytest.raises(MalformedPageError, match=f"^record 1 of a page has no {missing}$"):
        read([reservation("ok"), record])


@pytest.mark.parametrize(
    ("count", "message"),
    [
        pytest.param("two", "is not a number: 'two'", id="word"),
        pytest.param(None, "is not a number: None", id="null"),
        pytest.param([3], "is not a number: [3]", id="list"),
        pytest.param(2.5, "is not an integer: 2.5", id="fraction"),
        pytest.param("nan", "is not an integer: 'nan'", id="nan"),
        pytest.param(True, "is a boolean, not a number", id="boolean"),
        pytest.param(2**63, "is out of range", id="over-int64"),
        pytest.param("1e30", "is out of range", id="over-int64-string"),
    ],
)
def test_a_count_that_is_not_an_integer_is_refused(count: Any, message: str) -> None:
    with pytest.raises(MalformedPageError, match="^a PersonCounts Count " + re.escape(message)):
        read([reservation(PersonCounts=[entry(count)])])


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"Count": 1}, id="missing-category"),
        pytest.param({"AgeCategoryId": "", "Count": 1}, id="empty-category"),
        pytest.param({"AgeCategoryId": None, "Count": 1}, id="null-category"),
        pytest.param("adult", id="not-an-object"),
    ],
)
def test_an_entry_without_age_category_is_refused(bad: Any) -> None:
    with pytest.raises(MalformedPageError, match="^a PersonCounts entry has no AgeCategoryId$"):
        read([reservation(PersonCounts=[bad])])


def test_person_counts_that_are_not_a_list_are_refused() -> None:
    with pytest.raises(MalformedPageError, match="^a reservation's PersonCounts is not a list$"):
        read([reservation(PersonCounts={"AgeCategoryId": "adult", "Count": 1})])


@pytest.mark.parametrize(
    ("field", "value"),
    [("AssignedResourceLocked", "yes"), ("AssignedResourceLocked", 1),
     ("Options", {"OwnerCheckedIn": "maybe"})],
    ids=["word", "number", "option"],
)  # fmt: skip
def test_a_documented_boolean_that_is_not_one_is_refused(field: str, value: Any) -> None:
    with pytest.raises(MalformedPageError, match="^expected a boolean, got a (str|int)$"):
        read([reservation(**{field: value})])


@pytest.mark.parametrize(
    "value",
    [pytest.param(1709287200, id="epoch-number"), pytest.param({"Value": UPDATED}, id="object")],
)
def test_a_documented_utc_field_that_is_not_a_string_is_refused(value: Any) -> None:
    with pytest.raises(MalformedPageError, match="^StartUtc holds a value that is not an ISO"):
        read([reservation(StartUtc=value)])


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
    unique_by=lambda item: item["AgeCategoryId"],
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
    table, child = tables(*page)
    assert child is not None

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
