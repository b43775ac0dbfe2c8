"""Which operations append on a first backfill instead of merging.

Appending into an empty table skips merge's delete step; it is safe only when no other load
of this run can bring the same Ids (see `seen` for the run's own newer versions).
"""

from collections.abc import Sequence
from typing import Any

import dlt
from dlt.common.destination.exceptions import SqlClientNotAvailable
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.destinations.sql_client import SqlClientBase

from mews_source.operations import BY_NAME
from mews_source.resources import stored_state


def appending_resources(
    pipeline: dlt.Pipeline, connection: str, resources: Sequence[str], refresh: bool
) -> frozenset[str]:
    """Arrow-shaped incremental resources whose tables are empty or about to be dropped: they
    append (documents always merge: their child tables would need the same care).

    A resource this connection has marks for has loaded before: it merges, unasked.
    """
    candidates = [BY_NAME[r] for r in resources if BY_NAME[r].incremental and BY_NAME[r].fields]
    if not refresh:
        candidates = [o for o in candidates if not has_marks(pipeline, o.name, connection)]
    if not candidates:
        return frozenset()
    tables = [table for operation in candidates for table in operation.tables]
    empty = set(tables) if refresh else empty_tables(pipeline, tables)
    return frozenset(o.name for o in candidates if empty.issuperset(o.tables))


def has_marks(pipeline: dlt.Pipeline, resource: str, connection: str) -> bool:
    """Whether the pipeline's state holds scope marks of `resource` for `connection`."""
    marks = stored_state(pipeline.state, resource).get("scanned_until", {})
    return bool(marks.get(connection))


def empty_tables(pipeline: dlt.Pipeline, tables: Sequence[str]) -> set[str]:
    """Which of `tables` hold no row in the destination (a missing table holds none).

    Destinations without SQL access answer "none": their loads keep merging.
    """
    try:
        client = pipeline.sql_client()
    except SqlClientNotAvailable:
        return set()
    with client:
        return {table for table in tables if not _has_rows(client, table)}


def _has_rows(client: SqlClientBase[Any], table: str) -> bool:
    qualified = client.make_qualified_table_name(table)
    try:
        return bool(client.execute_sql(f"SELECT 1 FROM {qualified} LIMIT 1"))
    except DatabaseUndefinedRelation:
        return False
