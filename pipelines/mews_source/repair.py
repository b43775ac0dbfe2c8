"""Bring an off-spec page's records to the documented shape, or refuse the page in one line.

`shaping.read_page` takes a page with Arrow's reader only in the declared shape
(`shaping.page_schema`). Drafts and later API versions send more: Count as a string,
"true"/"false" for booleans, unknown numbers, lists or booleans. `repair` turns such a page's
records, in Python and only for such pages, into the StructArray the reader gives for a
documented page, so one set of functions builds every table. Unknown values become JSON
text, so a column's type never depends on what one page happened to hold.
"""

from typing import Any

import orjson
import pyarrow as pa

from mews_source.errors import MalformedPageError

STRING = pa.string()
BOOL = pa.bool_()
INT64 = (-(2**63), 2**63 - 1)
IDENTITY = ("Id", "UpdatedUtc")  # the merge key and the incremental cursor


def repair(records: list[dict[str, Any]], declared: pa.StructType) -> pa.StructArray:
    """The records as Arrow reads a documented page; unknown fields kept, their leaves text.

    Built column by column with explicit types: Arrow's reader would guess types for the
    unknown fields (a timestamp for an ISO string), and a guess is not the documented shape.
    """
    require_identity(records)
    names = [field.name for field in declared]
    arrays = [_declared(field, _column(records, field.name)) for field in declared]
    for key in sorted(set().union(*records) - set(names)):
        array = _unknown(_column(records, key))
        if array is not None:
            names.append(key)
            arrays.append(array)
    return pa.StructArray.from_arrays(arrays, names=names)


def require_identity(records: list[dict[str, Any]]) -> None:
    """Refuse a page whose records lack the merge key or the incremental cursor."""
    for position, record in enumerate(records):
        for key in IDENTITY:
            if not isinstance(record.get(key), str) or not record[key]:
                raise MalformedPageError(f"record {position} of a page has no {key}")


def _column(records: list[dict[str, Any]], key: str) -> list[Any]:
    return [r.get(key) for r in records]


def _declared(field: pa.Field, values: list[Any]) -> pa.Array:
    if field.name == "Options":
        return _options(values, [f.name for f in field.type])
    if field.name == "PersonCounts":
        return _person_counts(values, field.type.value_type)
    if field.type == BOOL:
        return pa.array(_bools(values), BOOL)
    if field.name.endswith("Utc"):
        return _iso_strings(values, field.name)
    return _texts(values)


def _iso_strings(values: list[Any], key: str) -> pa.Array:
    """A documented datetime must be a string; `shaping` parses (and tolerates) its format."""
    try:
        return pa.array(values, STRING)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        raise MalformedPageError(f"{key} holds a value that is not an ISO 8601 string") from None


def _texts(values: list[Any]) -> pa.Array:
    """Strings as they are (at C speed when all are); anything else as JSON text."""
    try:
        return pa.array(values, STRING)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([_text(v) for v in values], STRING)


def _text(value: Any) -> str | None:
    """Strings as they are; anything else as its JSON text."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _bools(values: list[Any]) -> list[bool | None]:
    if all(v is None or v is True or v is False for v in values):
        return values
    return [_bool(v) for v in values]


def _bool(value: Any) -> bool | None:
    """Booleans as they are; "true"/"false" strings accepted."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise MalformedPageError(f"expected a boolean, got a {type(value).__name__}")


def _options(values: list[Any], documented: list[str]) -> pa.StructArray:
    """Documented options are booleans; an unknown one stays boolean if it always is."""
    dicts = [v if isinstance(v, dict) else {} for v in values]
    names = documented + sorted(set().union(*dicts) - set(documented))
    arrays = []
    for key in names:
        column = [d.get(key) for d in dicts]
        if key in documented or all(v is None or isinstance(v, bool) for v in column):
            arrays.append(pa.array(_bools(column), BOOL))
        else:
            arrays.append(_texts(column))
    return pa.StructArray.from_arrays(arrays, names=names)


def _unknown(values: list[Any]) -> pa.Array | None:
    """Objects stay structs (their fields alike), other values text; None if always null."""
    if all(v is None for v in values):
        return None
    if not all(v is None or isinstance(v, dict) for v in values):
        return _texts(values)
    names, arrays = [], []
    for key in sorted(set().union(*(v for v in values if v))):
        array = _unknown([v.get(key) if v else None for v in values])
        if array is not None:
            names.append(key)
            arrays.append(array)
    if not arrays:
        return None
    nulls = pa.array([v is None for v in values], BOOL)
    return pa.StructArray.from_arrays(arrays, names=names, mask=nulls)


def _person_counts(values: list[Any], entry: pa.StructType) -> pa.ListArray:
    """Each record's entries, checked; a missing or null list is an empty one (a tombstone)."""
    offsets, categories, counts = [0], [], []
    for value in values:
        entries = value or []
        if not isinstance(entries, list):
            raise MalformedPageError("a reservation's PersonCounts is not a list")
        for item in entries:
            categories.append(_age_category(item))
            counts.append(_count(item.get("Count")))
        offsets.append(len(categories))
    columns = [pa.array(categories, STRING), pa.array(counts, pa.int64())]
    items = pa.StructArray.from_arrays(columns, fields=list(entry))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), items)


def _age_category(entry: Any) -> str:
    category = entry.get("AgeCategoryId") if isinstance(entry, dict) else None
    if not isinstance(category, str) or not category:
        raise MalformedPageError("a PersonCounts entry has no AgeCategoryId")
    return category


def _count(value: Any) -> int:
    """Count is an integer in the docs and a string in the design draft: accept both."""
    if isinstance(value, bool):
        raise MalformedPageError("a PersonCounts Count is a boolean, not a number")
    number = value if isinstance(value, int) else _integral(value)  # an int as Arrow reads it
    if not INT64[0] <= number <= INT64[1]:
        raise MalformedPageError(f"a PersonCounts Count is out of range: {value!r}")
    return int(number)


def _integral(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise MalformedPageError(f"a PersonCounts Count is not a number: {value!r}") from exc
    if not number.is_integer():
        raise MalformedPageError(f"a PersonCounts Count is not an integer: {value!r}")
    return number
