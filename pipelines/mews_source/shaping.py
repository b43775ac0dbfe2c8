"""One page of API records -> pyarrow tables for the parent and its person counts.

Arrow's JSON reader reads the page with the declared schema: it is C++ and releases the GIL,
so fetch threads parse in parallel, and a page never exists as ~40,000 Python objects. A page
off the documented shape (a string Count, an unknown number, a record without Id) is
brought to it by `repair.repair`, which gives the same StructArray: one path to a table.

Arrow tables skip dlt's Python normalizer (the hot path), so this module does the little
that normalizer would: snake_case names, `Options` flattened, `...Utc` parsed as UTC
timestamps, `PersonCounts` unnested with `reservation_id`.
"""

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
from dlt.common.normalizers.naming.snake_case import NamingConvention

from mews_source.errors import MalformedPageError
from mews_source.repair import repair

STRING = pa.string()
BOOL = pa.bool_()
TIMESTAMP = pa.timestamp("us", tz="UTC")
NESTED = frozenset({"Options", "PersonCounts"})
BOOLEAN_FIELDS = frozenset({"AssignedResourceLocked"})
OPTION_FIELDS = (
    "OwnerCheckedIn",
    "AllCompanionsCheckedIn",
    "AnyCompanionCheckedIn",
    "ConnectorCheckIn",
)
PERSON_COUNT = pa.struct([("AgeCategoryId", STRING), ("Count", pa.int64())])
PERSON_COUNTS_SCHEMA = pa.schema(
    [
        pa.field("reservation_id", STRING, nullable=False),
        pa.field("age_category_id", STRING, nullable=False),
        pa.field("count", pa.int64()),
        pa.field("enterprise_id", STRING),
        pa.field("updated_utc", TIMESTAMP),
        pa.field("_deleted", BOOL),
    ]
)
FRACTION = r"(\.\d{6})\d+"  # Mews may send 7 fraction digits; microseconds keep 6
ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)
_naming = NamingConvention()


@lru_cache(maxsize=4096)
def column_name(*path: str) -> str:
    """dlt's snake_case name for a (nested) API field, e.g. Options.OwnerCheckedIn."""
    return _naming.make_path(*(_naming.normalize_identifier(part) for part in path))


@lru_cache(maxsize=8)
def page_schema(result_key: str, fields: tuple[str, ...], with_person_counts: bool) -> pa.Schema:
    """The declared shape of a page; unknown fields are inferred by the reader."""
    declared = [(f, BOOL if f in BOOLEAN_FIELDS else STRING) for f in fields]
    declared.append(("EnterpriseId", STRING))
    declared.append(("Options", pa.struct([(o, BOOL) for o in OPTION_FIELDS])))
    if with_person_counts:
        declared.append(("PersonCounts", pa.list_(PERSON_COUNT)))
    return pa.schema([(result_key, pa.list_(pa.struct(declared))), ("Cursor", STRING)])


def read_page(body: bytes, result_key: str, schema: pa.Schema) -> dict[str, Any]:
    """{result_key: StructArray of records, "Cursor": ...} of a body, repaired if off-spec.

    A body that is not JSON raises `orjson.JSONDecodeError` (the client retries it); one
    without a list of objects under `result_key`, or beyond repair, `MalformedPageError`.
    Only the reader's shape is fast: a page it refuses is parsed again in Python.
    """
    page = _read_documented(body, result_key, schema)
    if page is not None:
        return page
    data = orjson.loads(body)
    items = data.get(result_key) if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise MalformedPageError(f"response has no list of objects under {result_key!r}")
    records = repair(items, schema.field(result_key).type.value_type)
    return {result_key: records, "Cursor": data.get("Cursor")}  # parse_page checks the Cursor


def parent_table(
    records: pa.StructArray, fields: Sequence[str], enterprise_ids: pa.Array
) -> pa.Table:
    """The flattened parent table of one page; unknown fields become text columns."""
    columns: dict[str, pa.Array] = {}
    for key in fields:
        values = _child(records, key)
        columns[column_name(key)] = timestamps(values, key) if key.endswith("Utc") else values
    known = {*fields, *NESTED, "EnterpriseId"}
    for key in sorted(_names(records) - known):
        _add_unknown(columns, (key,), _child(records, key))
    options = _child(records, "Options")
    for key in [*OPTION_FIELDS, *sorted(_names(options) - set(OPTION_FIELDS))]:
        values = _child(options, key)
        columns[column_name("Options", key)] = (
            pa.nulls(len(values), BOOL) if values.type == pa.null() else values
        )
    columns["enterprise_id"] = enterprise_ids
    table = pa.table(columns)
    return table.set_column(0, pa.field("id", STRING, nullable=False), table.column(0))


def person_count_table(
    records: pa.StructArray, enterprise_ids: pa.Array, updated: pa.Array
) -> pa.Table:
    """One row per (reservation, age category); a tombstone where the list is empty.

    The tombstone carries only `reservation_id` and `_deleted`: merging on `reservation_id`
    then removes the reservation's old rows although no current row names it. Every row
    keeps its reservation's `updated_utc`: the version it belongs to.
    """
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
        schema=PERSON_COUNTS_SCHEMA,
    )


def enterprise_ids_of(records: pa.StructArray, service_enterprises: Mapping[str, str]) -> pa.Array:
    """A record's own EnterpriseId (draft shape) or else its service's enterprise."""
    own = records.field("EnterpriseId")
    keys = pa.array(list(service_enterprises), STRING)
    values = pa.array(list(service_enterprises.values()), STRING)
    mapped = values.take(pc.index_in(records.field("ServiceId"), value_set=keys))
    usable = pc.fill_null(pc.not_equal(own, ""), False)
    return pc.if_else(usable, own, mapped)


def updated_utc(records: pa.StructArray) -> pa.Array:
    """UpdatedUtc of a page's records as UTC timestamps."""
    return timestamps(records.field("UpdatedUtc"), "UpdatedUtc")


def timestamps(values: pa.Array, key: str) -> pa.Array:
    """ISO 8601 strings -> timestamp[us, UTC]; tolerate 7 fraction digits and no offset."""
    try:
        return values.cast(TIMESTAMP)
    except ARROW_ERRORS:
        pass
    fixed = pc.replace_substring_regex(values, FRACTION, r"\1")
    # Mews datetimes are UTC: add the `Z` a value without an offset leaves implicit.
    has_offset = pc.match_substring_regex(pc.utf8_slice_codeunits(fixed, 10), "[Z+-]")
    fixed = pc.if_else(has_offset, fixed, pc.binary_join_element_wise(fixed, "Z", ""))
    try:
        return fixed.cast(TIMESTAMP)
    except ARROW_ERRORS:
        raise MalformedPageError(f"{key} holds a value that is not an ISO 8601 datetime") from None


def _read_documented(body: bytes, result_key: str, schema: pa.Schema) -> dict[str, Any] | None:
    """The page as Arrow's reader reads it, or None unless it has the documented shape."""
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
    except ARROW_ERRORS:
        return None
    if table.num_rows != 1 or table.column(result_key).null_count:
        return None
    records = pc.list_flatten(table.column(result_key).combine_chunks())
    if not _supported(records, result_key, schema):
        return None
    return {result_key: records, "Cursor": table.column("Cursor")[0].as_py()}


def _supported(records: pa.StructArray, result_key: str, schema: pa.Schema) -> bool:
    """The documented shape, to the last detail the tables depend on; else `repair` runs."""
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
            columns[column_name(*path)] = timestamps(values, path[-1])
            return
        except MalformedPageError:
            pass
    columns[column_name(*path)] = values


def _child(values: pa.Array, name: str) -> pa.Array:
    """A struct's child, null wherever the struct itself is null (like `dict.get`)."""
    return pc.struct_field(values, [values.type.get_field_index(name)])


def _names(values: pa.Array) -> set[str]:
    return {f.name for f in values.type}
