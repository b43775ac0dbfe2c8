"""dlt resources, one per operation spec, reading through a `ConnectionRun`.

An incremental operation is read in UpdatedUtc windows from each scope's "scanned until"
mark, kept in the resource's dlt state: dlt's `last_value` does not move when a run finds
nothing, and a scope needs to remember how far it was read, not just the newest row seen.
State is committed with the load, so a run that dies leaves it where it was. Any other
operation is re-read whole each run and merged by its key.
"""

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import dlt
import pyarrow.compute as pc
from dlt.common.schema.typing import TColumnSchema, TMergeDispositionDict
from dlt.extract import DltResource

from mews_source.batching import Batch, PageBatcher
from mews_source.documents import document
from mews_source.feed import Feed
from mews_source.operations import SERVICES, Operation
from mews_source.paging import fetch_pages
from mews_source.prefetch import WindowFetcher
from mews_source.run import ConnectionRun
from mews_source.windows import chunks

MERGE: TMergeDispositionDict = {"disposition": "merge", "strategy": "delete-insert"}
# Of two copies of an Id in one load the newest wins.
NEWEST_WINS: dict[str, TColumnSchema] = {
    "updated_utc": {"name": "updated_utc", "dedup_sort": "desc"}
}
MARKS = ("scanned_until", "read_from")  # every record updated in [read_from, scanned_until) is read
STAYS = "stays_from"  # every stay starting in [stays_from, ...) is read (`stays_from_start_date`)
LOADED = "loaded_versions"  # see `loaded`
# A part that hands out nothing leaves marks that would move less than this where they are:
# its state does not change, so dlt loads nothing; the next run re-reads a little more.
QUIET_MOVE = timedelta(days=1)


def resources(run: ConnectionRun, operations: tuple[Operation, ...]) -> list[DltResource]:
    """One resource per operation, with the hints of this load (append or merge)."""
    return [resource(run, operation) for operation in operations]


def resource(run: ConnectionRun, operation: Operation) -> DltResource:
    """The dlt resource that loads `operation` in this run."""
    rows = incremental_rows if operation.incremental else collection_rows
    appends = run.appends(operation.name)
    columns: dict[str, TColumnSchema] = dict(operation.columns)
    if operation.incremental and not appends:
        columns |= NEWEST_WINS
    return dlt.resource(
        rows(run, operation),
        name=operation.name,
        write_disposition="append" if appends else MERGE,
        primary_key=operation.primary_key,
        columns=columns,
    )


def start_feeds(
    run: ConnectionRun, operations: tuple[Operation, ...], state: Mapping[str, Any]
) -> None:
    """Start the incremental operations' fetches before their first load, from the source's
    dlt `state` as the run began (`pipeline.state`): what the resources would read from it.

    Loaded in turn with other connections, every connection then fetches from the start,
    not only once its first load has begun.
    """
    for operation in operations:
        if not operation.incremental:
            continue
        stored = stored_state(state, operation.name)
        marks = {kind: dict(stored.get(kind, {}).get(run.connection.name, {})) for kind in MARKS}
        if run.reads_stays(operation):
            marks[STAYS] = dict(stored.get(STAYS, {}).get(run.connection.name, {}))
        run.feed(operation, marks, list(stored.get(LOADED, {}).get(run.connection.name, [])))


def stored_state(state: Mapping[str, Any], resource: str) -> Mapping[str, Any]:
    """The resource's dlt state within a pipeline's `state`, outside any extract."""
    resources_state = state.get("sources", {}).get("mews", {}).get("resources", {})
    return resources_state.get(resource, {})  # type: ignore[no-any-return]


def incremental_rows(run: ConnectionRun, operation: Operation) -> Iterator[Any]:
    """This load's part of the run's pages; the marks advance over the windows it completes."""
    marks = {kind: _marks(kind, run.connection.name) for kind in MARKS}
    if run.reads_stays(operation):
        marks[STAYS] = _marks(STAYS, run.connection.name)
    state = dlt.current.resource_state()
    feed = run.feed(operation, marks, state.get(LOADED, {}).get(run.connection.name, []))
    if feed.fetcher is None:
        return
    feed.handed = 0
    if not operation.fields:  # documents: dlt normalizes them
        for records in feed.fetcher.take(run.part_timer(feed.fetcher)):
            feed.hand_out_records(records)
            yield records
        feed.end_part()
    else:
        yield from _tables(run, operation, feed, feed.fetcher)
    if feed.handed or _moved(marks, feed):
        _advance(marks, feed, run.start)
        if feed.loaded is not None:
            state.setdefault(LOADED, {})[run.connection.name] = feed.loaded.keys()


def _tables(
    run: ConnectionRun, operation: Operation, feed: Feed, fetcher: WindowFetcher
) -> Iterator[Any]:
    """The part's Arrow tables, batched; the held records if this is the run's last load."""
    append = run.appends(operation.name)
    batcher = PageBatcher()
    if feed.merging:  # the run's last load: newer versions of records it appended
        for parent, child in feed.take_held():
            feed.hand_out(parent.column("id"), parent.column("updated_utc"))
            yield from _with_children(batcher.add(parent, child), operation, append)
    else:
        for parent, child in fetcher.take(run.part_timer(fetcher)):
            feed.hand_out(parent.column("id"), parent.column("updated_utc"))
            yield from _with_children(batcher.add(parent, child), operation, append)
        feed.end_part()
    yield from _with_children(batcher.flush(), operation, append)


def _moved(marks: Mapping[str, Mapping[str, str]], feed: Feed) -> bool:
    """Whether a part that handed out nothing should still move the marks: a new scope, a
    read back towards an earlier start_date, or a mark that would move `QUIET_MOVE` or more."""
    scanned, read = marks["scanned_until"], marks["read_from"]
    for scope, edge in feed.scanned_until().items():
        if scope not in scanned or scope not in read:
            return True
        if edge - datetime.fromisoformat(scanned[scope]) >= QUIET_MOVE:
            return True
    if any(read.get(scope) != edge.isoformat() for scope, edge in feed.read_from().items()):
        return True
    stays = marks.get(STAYS, {})
    return any(stays.get(scope) != edge.isoformat() for scope, edge in feed.stays_from().items())


def _advance(marks: dict[str, dict[str, str]], feed: Feed, start: datetime) -> None:
    """Move the marks over the windows this part completed."""
    for scope, edge in feed.scanned_until().items():
        marks["scanned_until"][scope] = edge.isoformat()
    for scope, edge in feed.read_from().items():
        marks["read_from"][scope] = edge.isoformat()
    for scope, edge in feed.stays_from().items():
        marks[STAYS][scope] = edge.isoformat()
    for scope in marks["scanned_until"]:  # read from start_date on (or before this mark existed)
        marks["read_from"].setdefault(scope, start.isoformat())


def collection_rows(run: ConnectionRun, operation: Operation) -> Iterator[Any]:
    """Every record of the operation's scopes, each with its enterprise (see `document`)."""
    if operation is SERVICES:  # discovery has read them already
        yield from run.catalog.services()
        return
    scopes = run.scopes(operation)
    enterprises = run.catalog.enterprise_by_service()
    post = run.client.operation(operation.path)
    scoped = run.filters(operation)
    left_out = () if run.personal_data else operation.personal
    for chunk in chunks(scopes, operation.id_limit):
        for page in fetch_pages(post, operation.result_key, scoped(chunk), operation.page_size):
            run.report(operation.name).add_page(len(page.items))
            yield [document(item, enterprises, left_out) for item in page.items]


def _marks(kind: str, connection: str) -> dict[str, str]:
    """This connection's per-scope marks of `kind` in the resource's dlt state."""
    state = dlt.current.resource_state()
    marks: dict[str, dict[str, str]] = state.setdefault(kind, {})
    return marks.setdefault(connection, {})


def _with_children(batches: Iterator[Batch], operation: Operation, append: bool) -> Iterator[Any]:
    """Parents as they are; person counts to their own table with its own hints.

    Appending, tombstones (rows that only clear a reservation's old counts) are left out.
    """
    hints = _person_count_hints(operation, append)
    for batch in batches:
        yield from batch.parents
        for child in batch.children:
            if append:
                child = child.filter(pc.invert(pc.fill_null(child.column("_deleted"), False)))
            yield dlt.mark.with_hints(child, hints, create_table_variant=True)


def _person_count_hints(operation: Operation, append: bool) -> Any:
    """Merged on the reservation: a tombstone (no entries) clears its old rows."""
    table = operation.tables[-1]
    if append:  # into an empty table: no rows to replace, so no tombstones either
        return dlt.mark.make_hints(
            table_name=table,
            write_disposition="append",
            primary_key=["reservation_id", "age_category_id"],
            columns=[{"name": "_deleted", "data_type": "bool"}],
        )
    return dlt.mark.make_hints(
        table_name=table,
        write_disposition=MERGE,
        primary_key=["reservation_id", "age_category_id"],
        merge_key="reservation_id",
        columns=[{"name": "_deleted", "data_type": "bool", "hard_delete": True}],
    )
