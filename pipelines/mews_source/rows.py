"""Pure row shaping: one page of API records -> pyarrow tables for the parent and person counts.

Arrow tables skip dlt's Python normalizer (the hot path), so this module does the little
that normalizer would: snake_case names, `Options` flattened, `...Utc` parsed as UTC
timestamps, `PersonCounts` unnested with `reservation_id`, and `Count` coerced to integer.
"""

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import orjson
import pyarrow as pa
from dlt.common.normalizers.naming.snake_case import NamingConvention

from mews_source.errors import MalformedPageError

TIMESTAMP = pa.timestamp("us", tz="UTC")
NESTED = frozenset({"Options", "PersonCounts"})
BOOLEAN_FIELDS = frozenset({"AssignedResourceLocked"})
# Known string fields are always emitted, so their columns exist even when all are null.
RESERVATION_FIELDS = (
    "Id ServiceId AccountId AccountType CreatorProfileId UpdaterProfileId BookerId Number State "
    "Origin CommanderOrigin OriginDetails CreatedUtc UpdatedUtc CancelledUtc VoucherId "
    "BusinessSegmentId RateId CreditCardId GroupId RequestedResourceCategoryId AssignedResourceId "
    "AvailabilityBlockId PartnerCompanyId TravelAgencyId AssignedResourceLocked ChannelNumber "
    "ChannelManagerNumber CancellationReason ReleasedUtc StartUtc EndUtc ScheduledStartUtc "
    "ActualStartUtc ScheduledEndUtc ActualEndUtc Purpose QrCodeData"
).split()
PRODUCT_SERVICE_ORDER_FIELDS = (
    "Id ServiceId AccountId AccountType CreatorProfileId UpdaterProfileId BookerId Number State "
    "Origin CommanderOrigin OriginDetails CreatedUtc UpdatedUtc CancelledUtc VoucherId "
    "BusinessSegmentId LinkedReservationId"
).split()
OPTION_FIELDS = (
    "OwnerCheckedIn",
    "AllCompanionsCheckedIn",
    "AnyCompanionCheckedIn",
    "ConnectorCheckIn",
)
PERSON_COUNTS_SCHEMA = pa.schema(
    [
        pa.field("reservation_id", pa.string(), nullable=False),
        pa.field("age_category_id", pa.string(), nullable=False),
        pa.field("count", pa.int64()),
        pa.field("enterprise_id", pa.string()),
        pa.field("updated_utc", TIMESTAMP),
        pa.field("_deleted", pa.bool_()),
    ]
)
_FRACTION = re.compile(r"(\.\d{6})\d+")
_naming = NamingConvention()


@lru_cache(maxsize=4096)
def column_name(*path: str) -> str:
    """dlt's snake_case name for a (nested) API field, e.g. Options.OwnerCheckedIn."""
    return _naming.make_path(*(_naming.normalize_identifier(part) for part in path))


def require_identity(records: list[dict[str, Any]]) -> None:
    """Refuse a page whose records lack the merge key or the incremental cursor."""
    for position, record in enumerate(records):
        for key in ("Id", "UpdatedUtc"):
            if not isinstance(record.get(key), str) or not record[key]:
                raise MalformedPageError(f"record {position} of a page has no {key}")


def parent_table(
    records: list[dict[str, Any]], known: Iterable[str], enterprise_ids: list[str | None]
) -> pa.Table:
    """The flattened parent table of one page; unknown fields become text columns."""
    known = list(known)
    columns: dict[str, pa.Array] = {}
    for key in known:
        columns[column_name(key)] = _column(key, [r.get(key) for r in records])
    for key in sorted(set().union(*records) - set(known) - NESTED - {"EnterpriseId"}):
        _add_unknown(columns, (key,), [r.get(key) for r in records])
    _add_options(columns, [r.get("Options") for r in records])
    columns["enterprise_id"] = pa.array(enterprise_ids, pa.string())
    table = pa.table(columns)
    return table.set_column(0, pa.field("id", pa.string(), nullable=False), table.column(0))


def person_count_table(
    records: list[dict[str, Any]], enterprise_ids: list[str | None], updated: pa.Array
) -> pa.Table:
    """One row per (reservation, age category); a tombstone where the list is empty.

    The tombstone carries only `reservation_id` and `_deleted`: merging on `reservation_id`
    then removes the reservation's old rows although no current row names it. Every row
    keeps its reservation's `updated_utc`: the version it belongs to.
    """
    positions: list[int] = []
    categories: list[str] = []
    counts: list[int | None] = []
    for position, record in enumerate(records):
        entries = record.get("PersonCounts") or []
        if not isinstance(entries, list):
            raise MalformedPageError("a reservation's PersonCounts is not a list")
        for entry in entries:
            positions.append(position)
            categories.append(_age_category(entry))
            counts.append(_count(entry.get("Count")))
        if not entries:
            positions.append(position)
            categories.append("")
            counts.append(None)
    take = pa.array(positions, pa.int64())
    ids = pa.array([r["Id"] for r in records], pa.string())
    return pa.Table.from_arrays(
        [
            ids.take(take),
            pa.array(categories, pa.string()),
            pa.array(counts, pa.int64()),
            pa.array(enterprise_ids, pa.string()).take(take),
            updated.take(take),
            pa.array([c is None for c in counts], pa.bool_()),
        ],
        schema=PERSON_COUNTS_SCHEMA,
    )


def enterprise_ids_of(
    records: list[dict[str, Any]], service_enterprises: Mapping[str, str]
) -> list[str | None]:
    """A record's own EnterpriseId (draft shape) or else its service's enterprise."""
    return [
        r.get("EnterpriseId") or service_enterprises.get(r.get("ServiceId") or "") for r in records
    ]


def _column(key: str, values: list[Any]) -> pa.Array:
    if key.endswith("Utc"):
        return timestamps(values, key)
    if key in BOOLEAN_FIELDS:
        return _bools(values)
    return _texts(values)


def _texts(values: list[Any]) -> pa.Array:
    """Strings as they are (the hot path); anything else as JSON text."""
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([_text(v) for v in values], pa.string())


def _bools(values: list[Any]) -> pa.Array:
    """Booleans as they are (the hot path); "true"/"false" strings accepted."""
    if all(v is None or v is True or v is False for v in values):
        return pa.array(values, pa.bool_())
    return pa.array([_bool(v) for v in values], pa.bool_())


def timestamps(values: list[Any], key: str) -> pa.Array:
    """ISO 8601 strings -> timestamp[us, UTC]; tolerate 7 fraction digits and no offset."""
    try:
        strings = pa.array(values, pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        raise MalformedPageError(f"{key} holds a value that is not an ISO 8601 string") from None
    try:
        return strings.cast(TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _lenient_timestamps(values, key)


def _lenient_timestamps(values: list[str | None], key: str) -> pa.Array:
    fixed = [None if v is None else _with_offset(_FRACTION.sub(r"\1", v)) for v in values]
    try:
        return pa.array(fixed, pa.string()).cast(TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise MalformedPageError(f"{key} holds a value that is not an ISO 8601 datetime") from exc


def _with_offset(value: str) -> str:
    """Mews datetimes are UTC; add the `Z` a value without an offset leaves implicit."""
    tail = value[10:]
    return value if ("Z" in tail or "+" in tail or "-" in tail) else value + "Z"


def _add_options(columns: dict[str, pa.Array], options: list[Any]) -> None:
    dicts = [o if isinstance(o, dict) else {} for o in options]
    keys = list(OPTION_FIELDS) + sorted(set().union(*dicts) - set(OPTION_FIELDS))
    for key in keys:
        values = [d.get(key) for d in dicts]
        if key in OPTION_FIELDS or all(v is None or isinstance(v, bool) for v in values):
            columns[column_name("Options", key)] = _bools(values)
        else:
            columns[column_name("Options", key)] = _texts(values)


def _add_unknown(columns: dict[str, pa.Array], path: tuple[str, ...], values: list[Any]) -> None:
    """Unknown fields: objects flatten to `a__b`, everything else becomes text (stable type)."""
    if all(v is None for v in values):
        return
    if all(v is None or isinstance(v, dict) for v in values):
        dicts = [v or {} for v in values]
        for key in sorted(set().union(*dicts)):
            _add_unknown(columns, (*path, key), [d.get(key) for d in dicts])
        return
    if path[-1].endswith("Utc") and all(v is None or isinstance(v, str) for v in values):
        try:
            columns[column_name(*path)] = timestamps(values, path[-1])
            return
        except MalformedPageError:
            pass
    columns[column_name(*path)] = pa.array([_text(v) for v in values], pa.string())


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise MalformedPageError(f"expected a boolean, got a {type(value).__name__}")


def _age_category(entry: Any) -> str:
    category = entry.get("AgeCategoryId") if isinstance(entry, dict) else None
    if not isinstance(category, str) or not category:
        raise MalformedPageError("a PersonCounts entry has no AgeCategoryId")
    return category


def _count(value: Any) -> int:
    """Count is an integer in the docs and a string in the design draft: accept both."""
    if isinstance(value, bool):
        raise MalformedPageError("a PersonCounts Count is a boolean, not a number")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise MalformedPageError(f"a PersonCounts Count is not a number: {value!r}") from exc
    if not number.is_integer():
        raise MalformedPageError(f"a PersonCounts Count is not an integer: {value!r}")
    return int(number)
