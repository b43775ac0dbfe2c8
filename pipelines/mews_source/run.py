"""One connection's run: its client, its scopes, its feeds and the moment it reads up to.

A run plans the windows of every scope, fetches them in the background, hands dlt one load
at a time and advances each scope's mark over the windows it completed (see `feed`). The
runner drives it: it builds the run, sets which operations append, and loads parts until
`unfinished` is empty. dlt's source (`mews_source`) only builds one from configuration.
"""

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from mews_source import documents, shaping
from mews_source.catalog import ServiceCatalog
from mews_source.client import MewsClient
from mews_source.config import Connection
from mews_source.feed import Feed, Shaped, admitted
from mews_source.loaded import SLACK, LoadedVersions
from mews_source.operations import Operation
from mews_source.prefetch import BUFFER_PAGES, WindowFetcher
from mews_source.seen import SeenIds
from mews_source.windows import Span, Stays, WindowTask, plan, stays_tasks

logger = logging.getLogger(__name__)

TOGETHER_PART_S = 5.0  # a part loaded in turn with other connections runs at least this long
ALL = "all"  # the one scope key of an operation that takes no ServiceIds


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
class ConnectionRun:
    """Everything one connection's run reads with, and what it has read so far."""

    client: MewsClient
    connection: Connection
    catalog: ServiceCatalog
    start: datetime
    overlap: timedelta
    concurrency: int
    load_every_s: float | None = None  # None: everything in one load
    personal_data: bool = False  # load customers' personal fields (`customer_personal_data`)
    stays: bool = False  # also read stays from start_date on (`stays_from_start_date`)
    appending: frozenset[str] = frozenset()  # operations whose tables were empty at the start
    together: bool = False  # loaded in turn with other connections' runs (see `group`)
    buffer_pages: int = BUFFER_PAGES  # pages each fetch holds ahead of its loads
    reports: dict[str, ResourceReport] = field(default_factory=dict)
    feeds: dict[str, Feed] = field(default_factory=dict)
    _run_end: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run_end(self) -> datetime:
        """Where every window of this run ends: the whole second after the server's now.

        Requests carry whole seconds and filters are half-open, so every change made before
        the run began is read in it. The server may still stamp changes before the end after
        a window is read: each scope's mark stops where the server's time had surely been
        when its last window was first requested (see `prefetch`), and the next run reads on
        from there, so none slips between two runs, even with no overlap. The server stamps
        the changes, so both are on its clock (`ServerClock`, read from its answers:
        discovery, asked first, gives one).
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

    def scopes(self, operation: Operation) -> list[str]:
        """The scope keys the operation is read for: its services' ids (or the ids of another
        operation's records for them), or one for all."""
        if operation.service_kind is None:
            return [ALL]
        service_ids = self.catalog.service_ids(operation.service_kind)
        source = operation.scope_from
        if source is None or not service_ids:
            return service_ids
        return self.catalog.record_ids(source, self.filters(source)(service_ids))

    def filters(self, operation: Operation) -> Callable[[list[str]], dict[str, Any]]:
        """The scope filters of one request for a chunk of scope keys."""
        enterprise_ids = list(self.connection.enterprise_ids)
        chain_ids = self.catalog.chain_ids() if operation.chain_scoped else []

        def scoped(chunk: list[str]) -> dict[str, Any]:
            filters: dict[str, Any] = dict(operation.request)
            if operation.service_kind is not None:
                filters[operation.scope_filter] = chunk
            if operation.enterprise_scoped and enterprise_ids:
                filters["EnterpriseIds"] = enterprise_ids
            if chain_ids:
                filters["ChainIds"] = chain_ids
            return filters

        return scoped

    def reads_stays(self, operation: Operation) -> bool:
        """Whether this run also reads `operation` by the start of its stays."""
        return self.stays and operation.stays_filter is not None

    def feed(
        self, operation: Operation, marks: Mapping[str, Mapping[str, str]], loaded: list[str]
    ) -> Feed:
        """The operation's feed, started on first use from its state: `marks`, and the
        versions `loaded` near the end of the last run."""
        feed = self.feeds.get(operation.name)
        if feed is None:
            feed = self.feeds[operation.name] = self._start(operation, marks, loaded)
        return feed

    def part_timer(self, fetcher: WindowFetcher) -> Callable[[], bool] | None:
        """When a load part has had enough: `load_every_s` passed and requests were held back.

        Loading while requests wait for the rate budget anyway costs nothing; when nothing
        waits (our CPU is the limit), parts would only add loads, so the run stays in one.
        Loaded in turn with other connections (`together`), a part ends after
        `load_every_s` or, once it has run `TOGETHER_PART_S`, when its fetch has no page
        ready: the other connections' pages are waiting, their fetches stopped at full
        buffers. (Ending at the first empty moment made ~2.5x the loads at ~1.5 s of CPU each.)
        """
        if not self.load_every_s or self.load_every_s <= 0:
            return None
        every, stats, together = self.load_every_s, self.client.stats, self.together
        started, throttled = time.monotonic(), stats.throttled_s

        def enough() -> bool:
            elapsed = time.monotonic() - started
            if together:
                return elapsed >= every or (elapsed >= TOGETHER_PART_S and not fetcher.ready())
            return stats.throttled_s > throttled and elapsed >= every

        return enough

    def unfinished(self, resources: list[str]) -> list[str]:
        """Which of `resources` still have pages (or held records) to load in this run."""
        return [r for r in resources if r in self.feeds and not self.feeds[r].done]

    def appends(self, resource: str) -> bool:
        """Whether this load of `resource` appends (its tables were empty when the run began).

        The run's Ids are deduplicated as they arrive; only newer versions of records it
        already appended (see `SeenIds`) go to a last load, which merges.
        """
        feed = self.feeds.get(resource)
        return resource in self.appending and not (feed and feed.merging)

    def close(self) -> None:
        """Stop every background fetch and close the HTTP client."""
        for feed in self.feeds.values():
            feed.close()
        self.client.close()

    def _start(
        self, operation: Operation, marks: Mapping[str, Mapping[str, str]], loaded: list[str]
    ) -> Feed:
        """Plan the operation's windows and start fetching them in the background."""
        scopes = self.scopes(operation)
        run_end = self.run_end()
        if not scopes:
            logger.warning("%s: no %s services visible", operation.name, operation.service_kind)
            return Feed(None, [], run_end)
        span = Span(self.start, self.overlap, run_end)
        tasks = plan(
            scopes,
            marks["scanned_until"],
            marks["read_from"],
            span,
            self.filters(operation),
            operation.max_interval_months,
            operation.id_limit,
            operation.page_size,
            operation.whole_first,
        )
        if self.reads_stays(operation) and operation.stays_filter:
            stays = Stays(operation.stays_filter, marks.get("stays_from", {}))
            tasks += stays_tasks(
                scopes, stays, span, self.filters(operation), operation.max_interval_months,
                operation.id_limit, operation.page_size,
            )  # fmt: skip
        logger.info(
            "%s [%s]: %d scopes, %d windows up to %s",
            *(operation.name, self.connection.name, len(scopes), len(tasks), run_end.isoformat()),
        )
        self.report(operation.name).windows += len(tasks)
        seen = SeenIds() if operation.name in self.appending else None
        feed = Feed(None, scopes, run_end, seen)
        feed.loaded = LoadedVersions(run_end - self.overlap - SLACK, loaded)
        feed.fetcher = self._fetcher(operation, tasks, feed)
        return feed

    def _fetcher(self, operation: Operation, tasks: list[WindowTask], feed: Feed) -> WindowFetcher:
        report = self.report(operation.name)
        decode, shape_page = self._reader(operation)

        def shape(records: pa.StructArray) -> list[Any]:
            """Runs on a fetch worker thread."""
            report.add_page(len(records))
            records = feed.unloaded(records)
            return [admitted(feed, records, shape_page)] if len(records) else []

        return WindowFetcher(
            functools.partial(self.client.post, operation.path, decode=decode),
            operation.result_key,
            tasks,
            shape,
            self.concurrency,
            buffer_pages=self.buffer_pages,
            clock=self.client.server_clock,
        )

    def _reader(
        self, operation: Operation
    ) -> tuple[Callable[[bytes], dict[str, Any]], Callable[[pa.StructArray], Any]]:
        """How a page's body is read, and how its records are shaped for dlt."""
        enterprises = self.catalog.enterprise_by_service()
        key = operation.result_key
        if not operation.fields:
            left_out = () if self.personal_data else operation.personal
            return functools.partial(documents.read_page, result_key=key), functools.partial(
                documents.documents, enterprises, left_out
            )
        schema = shaping.page_schema(key, operation.fields, operation.person_counts)

        def decode(body: bytes) -> dict[str, Any]:
            return shaping.read_page(body, key, schema)

        return decode, functools.partial(shaped, operation, enterprises)


def shaped(operation: Operation, enterprises: dict[str, str], records: pa.StructArray) -> Shaped:
    """Arrow tables for one page (runs on a worker thread)."""
    ids = shaping.enterprise_ids_of(records, enterprises)
    parent = shaping.parent_table(records, operation.fields, ids)
    child = None
    if operation.person_counts:
        updated = parent.column("updated_utc").combine_chunks()
        child = shaping.person_count_table(records, ids, updated)
    return parent, child


__all__ = ["ALL", "ConnectionRun", "ResourceReport"]
