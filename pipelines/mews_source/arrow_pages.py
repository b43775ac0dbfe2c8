"""Fast path: read a whole page with Arrow's JSON reader instead of building Python dicts.

The reader is C++ and releases the GIL, so fetch threads parse in parallel, and a page
never exists as ~40,000 Python objects (the memory that grew with concurrency). It takes
the documented shape only; anything else (a string Count, an unknown number or boolean
field, a record without Id) returns None, and the caller falls back to `rows`, which
handles every shape. Both paths produce identical tables (tests/unit/test_arrow_pages.py).
"""

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from mews_source import rows
from mews_source.errors import MalformedPageError

STRING = pa.string()
BOOL = pa.bool_()
PERSON_COUNT = pa.struct([("AgeCategoryId", STRING), ("Count", pa.int64())])


@lru_cache(maxsize=8)
def page_schema(result_key: str, fields: tuple[str, ...], with_person_counts: bool) -> pa.Schema:
    """The declared shape of a page; unknown fields are inferred by the reader."""
    declared = [(f, BOOL if f in rows.BOOLEAN_FIELDS else STRING) for f in fields]
    declared.append(("EnterpriseId", STRING))
    declared.append(("Options", pa.struct([(o, BOOL) for o in rows.OPTION_FIELDS])))
    if with_person_counts:
        declared.append(("PersonCounts", pa.list_(PERSON_COUNT)))
    return pa.schema([(result_key, pa.list_(pa.struct(declared))), ("Cursor", STRING)])


def read_page(body: bytes, result_key: str, schema: pa.Schema) -> dict[str, Any] | None:
    """{result_key: StructArray of records, "Cursor": ...}, or None if not the known shape."""
    try:
        table = pj.read_json(
            pa.BufferReader(body),  # read natively: a Python file would need the GIL per read
            read_options=pj.ReadOptions(use_threads=False, block_size=len(body) + 1024),
            parse_options=pj.ParseOptions(
                explicit_schema=schema,
                unexpected_field_behavior="infer",
                newlines_in_values=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != 1 or table.column(result_key).null_count:
        return None
    records = pc.list_flatten(table.column(result_key).combine_chunks())
    if not _supported(records, result_key, schema):
        return None
    return {result_key: records, "Cursor": table.column("Cursor")[0].as_py()}


def parent_table(
    records: pa.StructArray, fields: Sequence[str], enterprise_ids: pa.Array
) -> pa.Table:
    """The same table as `rows.parent_table`, from Arrow columns."""
    columns: dict[str, pa.Array] = {}
    for key in fields:
        values = _child(records, key)
        columns[rows.column_name(key)] = _timestamps(values, key) if key.endswith("Utc") else values
    known = {*fields, *rows.NESTED, "EnterpriseId"}
    for key in sorted(_names(records) - known):
        _add_unknown(columns, (key,), _child(records, key))
    options = _child(records, "Options")
    for key in [*rows.OPTION_FIELDS, *sorted(_names(options) - set(rows.OPTION_FIELDS))]:
        values = _child(options, key)
        columns[rows.column_name("Options", key)] = (
            pa.nulls(len(values), BOOL) if values.type == pa.null() else values
        )
    columns["enterprise_id"] = enterprise_ids
    table = pa.table(columns)
    return table.set_column(0, pa.field("id", STRING, nullable=False), table.column(0))


def person_count_table(
    records: pa.StructArray, enterprise_ids: pa.Array, updated: pa.Array
) -> pa.Table:
    """The same rows as `rows.person_count_table`: entries, or a tombstone where none."""
    lists = records.field("PersonCounts")
    entries = pc.list_flatten(lists)
    owners = pc.list_parent_indices(lists)
    empty = pc.indices_nonzero(pc.equal(pc.fill_null(pc.list_value_length(lists), 0), 0))
    take = pa.concat_arrays([owners.cast(pa.int64()), empty.cast(pa.int64())])
    tombstones = len(empty)
    return pa.Table.from_arrays(
        [
            records.field("Id").take(take),
            pa.concat_arrays(
                [_child(entries, "AgeCategoryId"), pa.array([""] * tombstones, STRING)]
            ),
            pa.concat_arrays([_child(entries, "Count"), pa.nulls(tombstones, pa.int64())]),
            enterprise_ids.take(take),
            updated.take(take),
            pa.concat_arrays(
                [pa.array([False] * len(entries), BOOL), pa.array([True] * tombstones, BOOL)]
            ),
        ],
        schema=rows.PERSON_COUNTS_SCHEMA,
    )


def enterprise_ids_of(records: pa.StructArray, service_enterprises: Mapping[str, str]) -> pa.Array:
    """A record's own EnterpriseId, else its service's enterprise (as `rows` does)."""
    own = records.field("EnterpriseId")
    keys = pa.array(list(service_enterprises), STRING)
    values = pa.array(list(service_enterprises.values()), STRING)
    mapped = values.take(pc.index_in(records.field("ServiceId"), value_set=keys))
    usable = pc.fill_null(pc.not_equal(own, ""), False)
    return pc.if_else(usable, own, mapped)


def updated_utc(records: pa.StructArray) -> pa.Array:
    return _timestamps(records.field("UpdatedUtc"), "UpdatedUtc")


def _supported(records: pa.StructArray, result_key: str, schema: pa.Schema) -> bool:
    """Only shapes whose tables match `rows` exactly: else the Python path decides."""
    for key in ("Id", "UpdatedUtc"):
        values = records.field(key)
        if values.null_count or pc.any(pc.equal(values, "")).as_py():
            return False
    declared = schema.field(result_key).type.value_type
    extra = [f for f in records.type if declared.get_field_index(f.name) < 0]
    if not all(_text_leaves(f.type) for f in extra):
        return False
    options = records.type.field("Options").type
    if not all(f.type in (BOOL, STRING, pa.null()) for f in options):
        return False
    if declared.get_field_index("PersonCounts") >= 0:
        entries = pc.list_flatten(records.field("PersonCounts"))
        categories = _child(entries, "AgeCategoryId")
        if categories.null_count or _child(entries, "Count").null_count:
            return False
        if len(entries) and pc.any(pc.equal(categories, "")).as_py():
            return False
    return True


def _text_leaves(kind: pa.DataType) -> bool:
    if pa.types.is_struct(kind):
        return all(_text_leaves(f.type) for f in kind)
    return kind in (STRING, pa.null())


def _add_unknown(columns: dict[str, pa.Array], path: tuple[str, ...], values: pa.Array) -> None:
    """Unknown objects flatten to `a__b`; strings stay text, `...Utc` become timestamps."""
    if pa.types.is_struct(values.type):
        for key in sorted(_names(values)):
            _add_unknown(columns, (*path, key), _child(values, key))
        return
    if values.type == pa.null() or values.null_count == len(values):
        return
    if path[-1].endswith("Utc"):
        try:
            columns[rows.column_name(*path)] = _timestamps(values, path[-1])
            return
        except MalformedPageError:
            pass
    columns[rows.column_name(*path)] = values


def _timestamps(values: pa.Array, key: str) -> pa.Array:
    try:
        return values.cast(rows.TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return rows.timestamps(values.to_pylist(), key)


def _child(values: pa.Array, name: str) -> pa.Array:
    """A struct's child, null wherever the struct itself is null (like `dict.get`)."""
    return pc.struct_field(values, [values.type.get_field_index(name)])


def _names(values: pa.Array) -> set[str]:
    return {f.name for f in values.type}
