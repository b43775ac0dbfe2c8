"""Pages of the operations without declared fields: records go to dlt as documents.

These are the smaller collections (enterprises, resources, rates...), whose records nest
localized texts, lists and objects that dlt's normalizer already flattens the documented way
(`names__en_gb`, child tables `<table>__<field>`). The engine still sees every page as an
Arrow StructArray, of each record's `Id`, `UpdatedUtc` and its JSON, so windows, marks and
duplicates are handled as for the order operations; the records are decoded again only to be
handed to dlt, with every top-level `...Utc` value parsed as a UTC timestamp.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from mews_source.errors import MalformedPageError

STRING = pa.string()
PAGE = pa.struct([("Id", STRING), ("UpdatedUtc", STRING), ("Document", pa.binary())])
EXTRA_FRACTION = re.compile(r"(\.\d{6})\d+")  # Mews may send 7 fraction digits


def read_page(body: bytes, result_key: str) -> dict[str, Any]:
    """{result_key: StructArray of Id, UpdatedUtc and the record's JSON, "Cursor": ...}.

    A body that is not JSON raises `orjson.JSONDecodeError` (the client retries it); one
    without a list of records that each carry an `Id` and an `UpdatedUtc`,
    `MalformedPageError`.
    """
    data = orjson.loads(body)
    items = data.get(result_key) if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise MalformedPageError(f"response has no list of objects under {result_key!r}")
    for item in items:
        for key in ("Id", "UpdatedUtc"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise MalformedPageError(f"a record under {result_key!r} has no {key}")
    rows = [
        {"Id": item["Id"], "UpdatedUtc": item["UpdatedUtc"], "Document": orjson.dumps(item)}
        for item in items
    ]
    return {result_key: pa.array(rows, PAGE), "Cursor": data.get("Cursor")}


def documents(
    enterprises: Mapping[str, str], left_out: Sequence[str], records: pa.StructArray
) -> list[dict[str, Any]]:
    """The page's records for dlt, each with its enterprise (runs on a worker thread)."""
    raw = records.field("Document").to_pylist()
    return [document(orjson.loads(item), enterprises, left_out) for item in raw]


def document(
    record: dict[str, Any], enterprises: Mapping[str, str], left_out: Sequence[str] = ()
) -> dict[str, Any]:
    """One record without the `left_out` fields (personal data), with its `EnterpriseId`
    (from its service if it has none) and its `...Utc` values as UTC datetimes."""
    for key in left_out:
        record.pop(key, None)
    for key, value in record.items():
        if key.endswith("Utc") and isinstance(value, str):
            record[key] = utc_datetime(value, key)
    if not record.get("EnterpriseId") and record.get("ServiceId") in enterprises:
        record["EnterpriseId"] = enterprises[record["ServiceId"]]
    return without_nulls(record)


def without_nulls(record: dict[str, Any]) -> dict[str, Any]:
    """The record without null fields, nested objects too: dlt then makes no column it cannot
    type (and warns of none); a field that turns null still loads as NULL."""
    return {
        key: without_nulls(value) if isinstance(value, dict) else value
        for key, value in record.items()
        if value is not None
    }


def utc_datetime(value: str, key: str) -> datetime:
    """An ISO 8601 datetime as an aware UTC datetime; Mews datetimes without offset are UTC."""
    try:
        moment = datetime.fromisoformat(EXTRA_FRACTION.sub(r"\1", value))
    except ValueError:
        raise MalformedPageError(f"{key} holds a value that is not an ISO 8601 datetime") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
