"""The Arrow fast path builds exactly the tables of the Python path, or declines the page."""

from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mews_source import arrow_pages, rows

KEY = "Reservations"
FIELDS = tuple(rows.RESERVATION_FIELDS)
SCHEMA = arrow_pages.page_schema(KEY, FIELDS, True)
SERVICES = {"s1": "e1", "s2": "e2"}

TEXT = st.text(alphabet="abcXYZ 09-é", max_size=6)
UTC = st.sampled_from(
    ["2024-01-01T00:00:00Z", "2024-02-29T12:30:00.500Z", "2025-06-01T08:00:00+00:00"]
)
OPTIONAL = st.sampled_from(["absent", "null", "value"])


@st.composite
def record(draw: st.DrawFn, position: int) -> dict[str, Any]:
    """A reservation as the documented API (or its draft variations) may send it."""
    rec: dict[str, Any] = {
        "Id": f"r{position}",
        "ServiceId": draw(st.sampled_from(["s1", "s2", "unknown"])),
        "State": draw(st.sampled_from(["Confirmed", "Canceled", "Waitlisted"])),
        "UpdatedUtc": draw(UTC),
        "CreatedUtc": draw(UTC),
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
            rec[key] = None if how == "null" else draw(UTC if key.endswith("Utc") else TEXT)
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
def page(draw: st.DrawFn) -> list[dict[str, Any]]:
    size = draw(st.integers(1, 6))
    return [draw(record(i)) for i in range(size)]


def python_tables(records: list[dict[str, Any]]) -> tuple[pa.Table, pa.Table]:
    ids = rows.enterprise_ids_of(records, SERVICES)
    parent = rows.parent_table(records, FIELDS, ids)
    updated = parent.column("updated_utc").combine_chunks()
    return parent, rows.person_count_table(records, ids, updated)


def arrow_tables(body: bytes) -> tuple[pa.Table, pa.Table] | None:
    data = arrow_pages.read_page(body, KEY, SCHEMA)
    if data is None:
        return None
    records = data[KEY]
    ids = arrow_pages.enterprise_ids_of(records, SERVICES)
    parent = arrow_pages.parent_table(records, FIELDS, ids)
    updated = parent.column("updated_utc").combine_chunks()
    return parent, arrow_pages.person_count_table(records, ids, updated)


def sorted_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted(tuple(r.values()) for r in table.to_pylist())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page())
def test_arrow_path_builds_the_python_path_tables(records: list[dict[str, Any]]) -> None:
    body = orjson.dumps({KEY: records, "Cursor": records[-1]["Id"]})

    fast = arrow_tables(body)

    assert fast is not None, "a documented-shape page must take the fast path"
    slow = python_tables(records)
    for got, want in zip(fast, slow, strict=True):
        assert got.schema.names == want.schema.names
        assert got.schema.types == want.schema.types
        assert sorted_rows(got) == sorted_rows(want)


def test_reads_the_cursor_and_pretty_printed_bodies() -> None:
    records = [{"Id": "r1", "UpdatedUtc": "2024-01-01T00:00:00Z", "PersonCounts": []}]
    body = orjson.dumps({KEY: records, "Cursor": "r1"}, option=orjson.OPT_INDENT_2)

    data = arrow_pages.read_page(body, KEY, SCHEMA)

    assert data is not None and data["Cursor"] == "r1" and len(data[KEY]) == 1


def test_empty_page_has_no_records_and_a_null_cursor() -> None:
    data = arrow_pages.read_page(b'{"Reservations": [], "Cursor": null}', KEY, SCHEMA)
    assert data is not None and len(data[KEY]) == 0 and data["Cursor"] is None


BASE = {"Id": "r1", "UpdatedUtc": "2024-01-01T00:00:00Z", "PersonCounts": []}


@pytest.mark.parametrize(
    "variation",
    [
        {"PersonCounts": [{"AgeCategoryId": "a", "Count": "2"}]},
        {"PersonCounts": [{"AgeCategoryId": "a", "Count": None}]},
        {"PersonCounts": [{"Count": 1}]},
        {"LoyaltyPoints": 12},
        {"Flags": {"Vip": True}},
        {"Id": None},
        {"UpdatedUtc": ""},
        {"Number": 52},
    ],
    ids=["count-as-string", "count-null", "no-age-category", "unknown-number",
         "unknown-nested-bool", "no-id", "empty-updated", "known-field-as-number"],
)  # fmt: skip
def test_declines_shapes_only_the_python_path_handles(variation: dict[str, Any]) -> None:
    body = orjson.dumps({KEY: [{**BASE, **variation}], "Cursor": "r1"})
    assert arrow_pages.read_page(body, KEY, SCHEMA) is None


def test_declines_a_truncated_body() -> None:
    body = orjson.dumps({KEY: [BASE], "Cursor": "r1"})
    assert arrow_pages.read_page(body[: len(body) // 2], KEY, SCHEMA) is None
