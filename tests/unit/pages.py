"""Page bodies and the tables the connector builds from them, as `resources` builds them."""

from typing import Any

import orjson
import pyarrow as pa

from mews_source import operations, shaping
from mews_source.repair import repair

KEY = "Reservations"
ORDERS_KEY = "ProductServiceOrders"
SERVICES = {"s1": "e1", "s2": "e2"}
SCHEMA = shaping.page_schema(KEY, operations.RESERVATION_FIELDS, True)
ORDERS_SCHEMA = shaping.page_schema(ORDERS_KEY, operations.PRODUCT_SERVICE_ORDER_FIELDS, False)

Tables = tuple[pa.Table, pa.Table | None]


def body(records: list[dict[str, Any]], cursor: Any = None, key: str = KEY) -> bytes:
    return orjson.dumps({key: records, "Cursor": cursor})


def read(records: list[dict[str, Any]], key: str = KEY) -> pa.StructArray:
    """The records of a page of `records`, as `read_page` gives them."""
    schema = SCHEMA if key == KEY else ORDERS_SCHEMA
    data = shaping.read_page(body(records, key=key), key, schema)
    assert set(data) == {key, "Cursor"}
    records_read: pa.StructArray = data[key]
    return records_read


def repaired(records: list[dict[str, Any]], key: str = KEY) -> pa.StructArray:
    """The records as `repair` gives them, whatever shape they have."""
    schema = SCHEMA if key == KEY else ORDERS_SCHEMA
    return repair(records, schema.field(key).type.value_type)


def tables_of(records: pa.StructArray, key: str = KEY) -> Tables:
    """The parent table and (for reservations) the person counts of a page's records."""
    ids = shaping.enterprise_ids_of(records, SERVICES)
    if key != KEY:
        return shaping.parent_table(records, operations.PRODUCT_SERVICE_ORDER_FIELDS, ids), None
    parent = shaping.parent_table(records, operations.RESERVATION_FIELDS, ids)
    updated = parent.column("updated_utc").combine_chunks()
    return parent, shaping.person_count_table(records, ids, updated)


def tables(*records: dict[str, Any], key: str = KEY) -> Tables:
    """Body -> tables: the whole path a page of `records` takes."""
    return tables_of(read(list(records), key), key)


def parent(*records: dict[str, Any], key: str = KEY) -> pa.Table:
    return tables(*records, key=key)[0]


def counts(*records: dict[str, Any]) -> pa.Table:
    child = tables(*records)[1]
    assert child is not None
    return child


def assert_same_tables(got: Tables, want: Tables) -> None:
    """Equal names, types, nullability and rows (in any order)."""
    for got_table, want_table in zip(got, want, strict=True):
        if want_table is None:
            assert got_table is None
            continue
        assert got_table is not None
        assert got_table.schema == want_table.schema
        assert [f.nullable for f in got_table.schema] == [f.nullable for f in want_table.schema]
        assert sorted_rows(got_table) == sorted_rows(want_table)


def sorted_rows(table: pa.Table) -> list[str]:
    return sorted(repr(tuple(row.values())) for row in table.to_pylist())
