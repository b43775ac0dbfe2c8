"""dlt resources: reservations (+ person counts), product service orders, services, age categories.

Incremental on UpdatedUtc with our own per-service "scanned until" marker in resource state:
dlt's `last_value` does not move when a run finds nothing, and a scope needs to remember
how far it was read, not just the newest row seen. State is committed with the load, so a
run that dies leaves it where it was.
"""

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeAlias

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.schema.typing import TMergeDispositionDict

from mews_source import settings, shaping
from mews_source.batching import Batch, PageBatcher
from mews_source.catalog import ServiceCatalog
from mews_source.client import MewsClient
from mews_source.config import Connection
from mews_source.fetching import WindowTask
from mews_source.paging import fetch_pages
from mews_source.prefetch import WindowFetcher
from mews_source.seen import SeenIds
from mews_source.shaping import updated_utc
from mews_source.windows import split_windows

logger = logging.getLogger(__name__)

Shaped: TypeAlias = tuple[pa.Table, pa.Table | None]  # a page's parent table, person counts

# A scope's last window is read once the run's end has passed on the server. A long one (a
# backfill's) is cut: what the server's time has surely passed (at least all but the last
# second) is read at once; a short one (an hourly run's) stays one request.
LAST_SECOND = timedelta(seconds=1)
SPLIT_LAST_WINDOW_OVER = timedelta(days=7)
MERGE: TMergeDispositionDict = {"disposition": "merge", "strategy": "delete-insert"}
PERSON_COUNTS_HINTS = dlt.mark.make_hints(
    table_name="reservations__person_counts",
    write_disposition=MERGE,
    primary_key=["reservation_id", "age_category_id"],
    merge_key="reservation_id",
    columns=[{"name": "_deleted", "data_type": "bool", "hard_delete": True}],
)
# Into an empty table: no rows to replace, so no tombstones either (see `SeenIds`).
PERSON_COUNTS_APPEND_HINTS = dlt.mark.make_hints(
    table_name="reservations__person_counts",
    write_disposition="append",
    primary_key=["reservation_id", "age_category_id"],
    columns=[{"name": "_deleted", "data_type": "bool"}],
)


@dataclass
class ResourceReport:
    """What one resource did in a run, for the summary."""

    windows: int = 0
    pages: int = 0
    records: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_page(self, records: int) -> None:
        """Count one page; called from the fetch worker threads."""
        with self._lock:
            self.pages += 1
            self.records += records


@dataclass
class OrderFeed:
    """One resource's fetch for the whole run, handed to dlt one load at a time."""

    fetcher: WindowFetcher | None  # None: no service to read
    service_ids: list[str]
    run_end: datetime
    seen: SeenIds | None = None  # set when this run appends: every Id handed out so far
    held: list[Shaped] = field(default_factory=list)  # newer versions of appended records

    @property
    def finished(self) -> bool:
        """Nothing left to hand out: fetched (or failed) and no held records to merge."""
        return self.fetcher is None or (self.fetcher.finished and not self.merge_pending)

    @property
    def merge_pending(self) -> bool:
        """Everything is appended, but newer versions of some records wait for a merge."""
        return self.fetcher is not None and self.fetcher.complete and bool(self.held)

    def marks(self) -> dict[str, datetime]:
        """How far each service is read, never past a held record (it is not loaded yet)."""
        marks = self._read_until()
        if not self.held:
            return marks
        cap = min(held_since(self.held), self.run_end)
        return {service_id: min(mark, cap) for service_id, mark in marks.items()}

    def read_from(self) -> dict[str, datetime]:
        """How far back each service is read towards an earlier `start_date` (history lanes)."""
        return self._reached(history=True)

    def _read_until(self) -> dict[str, datetime]:
        """The end of each service's windows handed out without a gap."""
        if self.fetcher is not None and self.fetcher.complete:
            return dict.fromkeys(self.service_ids, self.run_end)
        return self._reached(history=False)

    def _reached(self, history: bool) -> dict[str, datetime]:
        """Per service, the far edge of its lane's windows handed out without a gap.

        A lane's windows are planned in reading order: oldest first up to the run's end, or
        newest first back to an earlier start_date (`history`), whose edge is then a start.
        """
        if self.fetcher is None:
            return {}
        reached: dict[tuple[str, ...], datetime] = {}
        gaps: set[tuple[str, ...]] = set()
        for task, done in zip(self.fetcher.tasks, self.fetcher.done, strict=True):
            if task.history != history:
                continue
            lane = tuple(task.filters["ServiceIds"])
            if lane in gaps or not done:
                gaps.add(lane)
                continue
            reached[lane] = task.start if history else task.end
        return {sid: edge for lane, edge in reached.items() for sid in lane}

    def end_part(self) -> None:
        """Before a part loads: drop what the fetch no longer needs, return spare Arrow memory.

        Freed Arrow pages otherwise stay with the allocator's per-thread arenas; handing them
        back before DuckDB loads lowered a 1M backfill's peak RSS from 455 to 405 MB.
        """
        if self.fetcher is not None and self.fetcher.complete:
            self.seen = None  # no page is left to check
        pa.default_memory_pool().release_unused()

    def close(self) -> None:
        if self.fetcher is not None:
            self.fetcher.close()


@dataclass
class SourceContext:
    """Everything a resource needs for one connection; built by the source, never global."""

    client: MewsClient
    connection: Connection
    catalog: ServiceCatalog
    start: datetime
    overlap: timedelta
    concurrency: int
    page_size: int = settings.PAGE_SIZE
    load_every_s: float | None = None  # None: everything in one load
    append_only: frozenset[str] = frozenset()  # resources whose tables were empty at the start
    reports: dict[str, ResourceReport] = field(default_factory=dict)
    feeds: dict[str, OrderFeed] = field(default_factory=dict)
    _run_end: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run_end(self) -> datetime:
        """Where every window of this run ends: the whole second after the server's now.

        Requests carry whole seconds and filters are half-open. Each scope's last window (a
        backfill's: its last second) is read only once the end has passed (see `_plan`): then
        every change stamped before the end has happened, and every later change falls in the
        next run's windows: none can slip between two runs, even with no overlap. The server
        stamps the changes, so the end and that wait are on its clock (`ServerClock`, read from
        its answers: discovery, asked first, gives one).
        """
        with self._lock:
            if self._run_end is None:
                self.catalog.services()
                clock = self.client.server_clock
                self._run_end = clock.latest().replace(microsecond=0) + timedelta(seconds=1)
                clock.report()
            return self._run_end

    def report(self, resource: str) -> ResourceReport:
        return self.reports.setdefault(resource, ResourceReport())

    def part_timer(self) -> Callable[[], bool] | None:
        """When a load part has had enough: `load_every_s` passed and requests were held back.

        Loading while requests wait for the rate budget anyway costs nothing; when nothing
        waits (our CPU is the limit), parts would only add loads, so the run stays in one.
        """
        if not self.load_every_s or self.load_every_s <= 0:
            return None
        every, stats = self.load_every_s, self.client.stats
        started, throttled = time.monotonic(), stats.throttled_s

        def enough() -> bool:
            return time.monotonic() - started >= every and stats.throttled_s > throttled

        return enough

    def unfinished(self, resources: list[str]) -> list[str]:
        """Which of `resources` still have pages (or held records) to load in this run."""
        return [r for r in resources if r in self.feeds and not self.feeds[r].finished]

    def appends(self, resource: str) -> bool:
        """Whether this load of `resource` appends (its tables were empty when the run began).

        The run's Ids are deduplicated as they arrive; only newer versions of records it
        already appended (see `SeenIds`) go to a last load, which merges.
        """
        feed = self.feeds.get(resource)
        return resource in self.append_only and not (feed and feed.merge_pending)

    def close(self) -> None:
        """Stop every background fetch and close the HTTP client."""
        for feed in self.feeds.values():
            feed.close()
        self.client.close()


@dataclass(frozen=True)
class OrderSpec:
    """How one service-order resource reads and shapes its pages."""

    name: str
    endpoint: settings.Endpoint
    service_kind: str
    fields: tuple[str, ...]
    with_person_counts: bool


RESERVATIONS = OrderSpec(
    "reservations", settings.RESERVATIONS, "Bookable", shaping.RESERVATION_FIELDS, True
)

PRODUCT_SERVICE_ORDERS = OrderSpec(
    "product_service_orders",
    settings.PRODUCT_SERVICE_ORDERS,
    "Additional",
    shaping.PRODUCT_SERVICE_ORDER_FIELDS,
    False,
)
# The tables each order resource loads: all empty at a run's start, the resource appends.
ORDER_TABLES = {
    "reservations": ("reservations", "reservations__person_counts"),
    "product_service_orders": ("product_service_orders",),
}


def newest_wins() -> dict[str, Any]:
    """Column hints for merging: of two copies of an Id in one load the newest wins."""
    return {"updated_utc": {"name": "updated_utc", "dedup_sort": "desc"}}


@dlt.resource(
    name="reservations",
    write_disposition=MERGE,
    primary_key="id",
)
def reservations(context: SourceContext) -> Iterator[Any]:
    """Reservations (ver 2023-06-06), flattened, plus `reservations__person_counts`."""
    yield from _service_orders(context, RESERVATIONS)


@dlt.resource(
    name="product_service_orders",
    write_disposition=MERGE,
    primary_key="id",
)
def product_service_orders(context: SourceContext) -> Iterator[Any]:
    """Product service orders, flattened."""
    yield from _service_orders(context, PRODUCT_SERVICE_ORDERS)


@dlt.resource(name="services", write_disposition=MERGE, primary_key="id")
def services(context: SourceContext) -> Iterator[dict[str, Any]]:
    """The services seen by discovery (a small dimension, re-read every run)."""
    yield from context.catalog.services()


@dlt.resource(
    name="age_categories",
    write_disposition=MERGE,
    primary_key="id",
    columns={"short_names": {"data_type": "json"}},
)
def age_categories(context: SourceContext) -> Iterator[dict[str, Any]]:
    """Age categories of the bookable services, to name the person counts."""
    service_ids = context.catalog.service_ids("Bookable")
    if not service_ids:
        return
    enterprises = context.catalog.enterprise_by_service()
    filters = _scope_filters(context.connection, service_ids)
    endpoint = settings.AGE_CATEGORIES
    operation = context.client.operation(endpoint.path)
    for page in fetch_pages(operation, endpoint.result_key, filters, context.page_size):
        for item in page.items:
            yield {**item, "EnterpriseId": enterprises.get(item.get("ServiceId") or "")}


def _service_orders(context: SourceContext, spec: OrderSpec) -> Iterator[Any]:
    """This load's part of the run's pages; state advances over the windows it completes."""
    feed = context.feeds.get(spec.name) or _start_feed(context, spec)
    if feed.fetcher is None:
        return
    batcher = PageBatcher()
    append = context.appends(spec.name)  # as the resource's hints say (see `_resources`)
    if feed.merge_pending:
        # The run's last load: newer versions of records it appended, merged over them.
        held, feed.held = feed.held, []
        for parent, child in held:
            yield from _marked(batcher.add(parent, child), append)
    else:
        for parent, child in feed.fetcher.take(context.part_timer()):
            yield from _marked(batcher.add(parent, child), append)
        feed.end_part()
    yield from _marked(batcher.flush(), append)
    scanned = _marks("scanned_until", context.connection)
    for service_id, mark in feed.marks().items():
        scanned[service_id] = mark.isoformat()
    read_from = _marks("read_from", context.connection)
    for service_id, mark in feed.read_from().items():
        read_from[service_id] = mark.isoformat()
    for service_id in scanned:  # read from start_date on (or from before this mark existed)
        read_from.setdefault(service_id, context.start.isoformat())


def _start_feed(context: SourceContext, spec: OrderSpec) -> OrderFeed:
    """Plan the run's windows and start fetching them in the background."""
    service_ids = context.catalog.service_ids(spec.service_kind)
    run_end = context.run_end()
    if not service_ids:
        logger.warning("%s: no %s services visible; nothing to read", spec.name, spec.service_kind)
        feed = OrderFeed(None, [], run_end)
    else:
        connection = context.connection
        marks = _marks("scanned_until", connection), _marks("read_from", connection)
        settled = context.client.server_clock.earliest()
        tasks = _plan(context, spec, service_ids, *marks, run_end=run_end, settled=settled)
        seen = SeenIds() if spec.name in context.append_only else None
        feed = OrderFeed(None, service_ids, run_end, seen)
        feed.fetcher = _fetcher(context, spec, tasks, feed)
    context.feeds[spec.name] = feed
    return feed


def _fetcher(
    context: SourceContext, spec: OrderSpec, tasks: list[WindowTask], feed: OrderFeed
) -> WindowFetcher:
    report = context.report(spec.name)
    report.windows += len(tasks)
    enterprises = context.catalog.enterprise_by_service()

    def shape(records: pa.StructArray) -> list[Shaped]:
        """Runs on a fetch worker thread."""
        report.add_page(len(records))
        if feed.seen is None:
            return [_shape_page(spec, records, enterprises)]
        verdict = feed.seen.admit(_ids(records), updated_utc(records))
        if verdict.newer.true_count:
            feed.held.append(_shape_page(spec, _filtered(records, verdict.newer), enterprises))
        return [_shape_page(spec, _filtered(records, verdict.first), enterprises)]

    schema = shaping.page_schema(spec.endpoint.result_key, spec.fields, spec.with_person_counts)

    def decode(body: bytes) -> dict[str, Any]:
        return shaping.read_page(body, spec.endpoint.result_key, schema)

    return WindowFetcher(
        functools.partial(context.client.post, spec.endpoint.path, decode=decode),
        spec.endpoint.result_key,
        tasks,
        shape,
        context.concurrency,
        in_flight=context.client.in_flight,
        clock=context.client.server_clock,
    )


def _plan(
    context: SourceContext,
    spec: OrderSpec,
    service_ids: list[str],
    scanned: dict[str, str],
    read_from: dict[str, str] | None = None,
    *,
    run_end: datetime,
    settled: datetime,
) -> list[WindowTask]:
    """Group services by where they were read until; cut each group's range into windows.

    Windows ending by `settled`, a moment the server's time has passed, are read at once;
    the rest wait for `run_end` to pass: the server may still stamp changes before it.
    A service read from a later start than `start_date` now asks for (the user wants more
    history) also gets the missing older range, newest window first.
    """
    split = min(settled.replace(microsecond=0), run_end - LAST_SECOND)
    groups: dict[datetime, list[str]] = {}
    history: dict[datetime, list[str]] = {}
    for service_id in service_ids:
        previous = scanned.get(service_id)
        start = datetime.fromisoformat(previous) - context.overlap if previous else context.start
        groups.setdefault(min(start, run_end), []).append(service_id)
        earliest = (read_from or {}).get(service_id) if previous else None
        if earliest and context.start < datetime.fromisoformat(earliest):
            history.setdefault(datetime.fromisoformat(earliest), []).append(service_id)
    tasks: list[WindowTask] = []
    for end, ids in sorted(history.items()):
        for chunk in _chunks(ids):
            filters = _scope_filters(context.connection, chunk)
            for low, high in reversed(list(split_windows(context.start, end))):
                tasks.append(WindowTask(filters, low, high, None, context.page_size, history=True))
    last_windows: list[WindowTask] = []
    for start, ids in sorted(groups.items()):
        for chunk in _chunks(ids):
            filters = _scope_filters(context.connection, chunk)
            for low, high, waits in _cut(start, run_end, split):
                not_before = run_end if waits else None
                task = WindowTask(filters, low, high, None, context.page_size, 0, not_before)
                (last_windows if waits else tasks).append(task)
    tasks.extend(last_windows)  # read last: by then the run's end has usually passed
    logger.info(
        "%s [%s]: %d services, %d windows up to %s",
        spec.name,
        context.connection.name,
        len(service_ids),
        len(tasks),
        run_end.isoformat(),
    )
    return tasks


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    """At most MAX_IDS_PER_REQUEST ids a request, as the API allows."""
    for first in range(0, len(ids), settings.MAX_IDS_PER_REQUEST):
        yield ids[first : first + settings.MAX_IDS_PER_REQUEST]


def _cut(
    start: datetime, run_end: datetime, split: datetime
) -> Iterator[tuple[datetime, datetime, bool]]:
    """[start, run_end) as windows, each with whether it must wait for the run's end."""
    for low, high in split_windows(start, run_end):
        if high <= split:
            yield low, high, False
        elif high - low > SPLIT_LAST_WINDOW_OVER and low < split:  # long: read most of it now
            yield low, split, False
            yield split, high, True
        else:
            yield low, high, True


def _scope_filters(connection: Connection, service_ids: list[str]) -> dict[str, Any]:
    filters: dict[str, Any] = {"ServiceIds": service_ids}
    if connection.enterprise_ids:
        filters["EnterpriseIds"] = list(connection.enterprise_ids)
    return filters


def _marks(kind: str, connection: Connection) -> dict[str, str]:
    """This connection's per-service marks of `kind` in the resource's dlt state.

    `scanned_until`: every record updated before it is read; `read_from`: and since this.
    """
    state = dlt.current.resource_state()
    marks: dict[str, dict[str, str]] = state.setdefault(kind, {})
    return marks.setdefault(connection.name, {})


def _shape_page(spec: OrderSpec, records: pa.StructArray, enterprises: dict[str, str]) -> Shaped:
    """Arrow tables for one page (runs on a worker thread)."""
    ids = shaping.enterprise_ids_of(records, enterprises)
    parent = shaping.parent_table(records, spec.fields, ids)
    child = None
    if spec.with_person_counts:
        updated = parent.column("updated_utc").combine_chunks()
        child = shaping.person_count_table(records, ids, updated)
    return parent, child


def _ids(records: pa.StructArray) -> pa.Array:
    return records.field("Id")


def _filtered(records: pa.StructArray, keep: pa.BooleanArray) -> pa.StructArray:
    if keep.true_count == len(records):  # the usual page: nothing read before
        return records
    return records.filter(keep)


def held_since(held: list[Shaped]) -> datetime:
    """The oldest UpdatedUtc among held records, to the whole second below."""
    oldest: datetime = min(pc.min(parent.column("updated_utc")).as_py() for parent, _ in held)
    return oldest.replace(microsecond=0)


def _marked(batches: Iterator[Batch], append: bool) -> Iterator[Any]:
    """Parents as they are; person counts to their own table with its own hints.

    Appending, tombstones (rows that only clear a reservation's old counts) are left out.
    """
    hints = PERSON_COUNTS_APPEND_HINTS if append else PERSON_COUNTS_HINTS
    for batch in batches:
        yield from batch.parents
        for child in batch.children:
            if append:
                child = child.filter(pc.invert(pc.fill_null(child.column("_deleted"), False)))
            yield dlt.mark.with_hints(child, hints, create_table_variant=True)


__all__ = [
    "RESERVATIONS",
    "PRODUCT_SERVICE_ORDERS",
    "OrderFeed",
    "SourceContext",
    "age_categories",
    "product_service_orders",
    "reservations",
    "services",
]
