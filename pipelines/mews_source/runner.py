"""Run the source once per connection and say what happened; shared by the CLI, tests and DAG.

Each connection is its own load: one token failing does not throw away the others'
progress, and each connection's state advances only with its own data.
"""

import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.common.destination.exceptions import SqlClientNotAvailable
from dlt.common.pipeline import get_dlt_pipelines_dir
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.destinations.sql_client import SqlClientBase

from mews_source import (
    RESOURCE_NAMES,
    ConnectionRun,
    configured_load_every_s,
    configured_run,
    run_source,
)
from mews_source.destinations import pipelines_dir as local_pipelines_dir
from mews_source.destinations import resolve_destination
from mews_source.errors import ConfigError, MewsError
from mews_source.lock import creating, run_lock
from mews_source.operations import BY_NAME
from mews_source.pending import finish_pending, load_extracted, remember_loads

logger = logging.getLogger(__name__)

PIPELINE_NAME = "mews"
DATASET_NAME = "mews_raw"


@dataclass
class ConnectionResult:
    """The outcome of one connection's load."""

    name: str
    rows: dict[str, int] = field(default_factory=dict)
    windows: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    requests: int = 0
    retries: int = 0
    loads: int = 0
    responses_429: int = 0
    throttled_s: float = 0.0
    error: str | None = None


@dataclass
class RunResult:
    """All connections of one run."""

    connections: list[ConnectionResult]
    duration_s: float

    @property
    def failed(self) -> list[ConnectionResult]:
        return [c for c in self.connections if c.error]


# A local state value, so a new working dir has its state file from the start (see `creating`).
CREATED_KEY = "mews_created"


def make_pipeline(
    destination: Any = "duckdb", dataset_name: str = DATASET_NAME, pipelines_dir: str | None = None
) -> dlt.Pipeline:
    """The `mews` pipeline; DuckDB's default file is `mews.duckdb` in the working directory.

    Its working state lives in `pipelines_dir`, else under `DLT_DATA_DIR`, else in this
    checkout's `.dlt/.var/pipelines` (see `destinations`).
    """
    directory = pipelines_dir or local_pipelines_dir() or get_dlt_pipelines_dir()
    with creating(directory):
        pipeline = dlt.pipeline(
            pipeline_name=PIPELINE_NAME,
            destination=resolve_destination(destination),
            dataset_name=dataset_name,
            pipelines_dir=directory,
        )
        if not os.path.exists(os.path.join(pipeline.working_dir, dlt.Pipeline.STATE_FILE)):
            pipeline.set_local_state_val(CREATED_KEY, True)  # writes the state file now
    return pipeline


def check_resources(names: Sequence[str] | None) -> list[str]:
    """The resources to load, refusing unknown names."""
    if not names:
        return list(RESOURCE_NAMES)
    unknown = [n for n in names if n not in RESOURCE_NAMES]
    if unknown:
        raise ConfigError(
            f"unknown resource {', '.join(unknown)} (choose from {', '.join(RESOURCE_NAMES)})"
        )
    return list(names)


def run(
    pipeline: dlt.Pipeline,
    connection_names: Sequence[str],
    resources: Sequence[str] | None = None,
    refresh: bool = False,
    wait_s: float = 0.0,
    **source_args: Any,
) -> RunResult:
    """Load every connection in turn; collect failures instead of stopping at the first.

    The run holds the destination's run lock throughout (see `lock.py`): another run of the
    pipeline fails at once, or waits up to `wait_s` seconds for it.
    """
    chosen = check_resources(resources)
    if "load_every_s" not in source_args:
        source_args = {**source_args, "load_every_s": configured_load_every_s()}
    with run_lock(pipeline, wait_s):
        started = time.monotonic()
        finish_pending(pipeline)
        pipeline.sync_destination()  # a fresh runner restores state from the destination
        results = []
        for position, name in enumerate(connection_names):
            result = run_connection(pipeline, name, chosen, refresh and position == 0, source_args)
            results.append(result)
            if result.error and len(connection_names) == 1:
                break
    return RunResult(results, time.monotonic() - started)


def run_connection(
    pipeline: dlt.Pipeline,
    name: str,
    resources: Sequence[str],
    refresh: bool,
    source_args: dict[str, Any],
) -> ConnectionResult:
    """One connection's run: loads until every resource is read up to the run's end.

    A rate-limited backfill comes in parts (`load_every_s`): each part is its own load and
    advances state over the windows it completed, while the next part is being fetched.
    """
    run: ConnectionRun | None = None
    result = ConnectionResult(name)
    try:
        run = configured_run(connection=name, **source_args)
        run.appending = appending_resources(pipeline, name, resources, refresh)
        pending = list(resources)
        while pending:
            rows = _load(pipeline, run_source(run, pending), refresh and result.loads == 0)
            if rows is not None:
                remember_loads(pipeline)
                result.loads += 1
            for table, count in (rows or {}).items():
                result.rows[table] = result.rows.get(table, 0) + count
            pending = run.unfinished(pending)
    except Exception as exc:  # reported per connection; the CLI turns it into one line
        error = find_mews_error(exc)
        if error is None or isinstance(error, ConfigError):
            raise  # bad config is everyone's problem, not one connection's
        result.error = str(error)
        logger.error("connection %s failed: %s", name, error)
    finally:
        if run is not None:
            _collect(result, run)
    return result


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
    sources = pipeline.state.get("sources", {})
    state = sources.get("mews", {}).get("resources", {}).get(resource, {})
    return bool(state.get("scanned_until", {}).get(connection))


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


def _load(pipeline: dlt.Pipeline, source: Any, refresh: bool) -> dict[str, int] | None:
    """One extract, normalize and load; failed jobs raise. Returns the rows per table, or
    None when the extract found nothing to load (no row and no change of state).

    The steps are `pipeline.run`'s, apart so that a stop signal raises at once while
    extracting (mews.py) and once running jobs end while loading (`load_extracted`).
    """
    pipeline.extract(
        source,
        loader_file_format=loader_file_format(pipeline),
        refresh="drop_sources" if refresh else None,
    )
    if nothing_extracted(pipeline):
        pipeline.abort_packages()  # the empty package: a load would only record an empty load
        return None
    normalized, loaded = load_extracted(pipeline)
    if loaded.has_failed_jobs:
        loaded.raise_on_failed_jobs()
    return {t: n for t, n in normalized.row_counts.items() if not t.startswith("_dlt")}


def nothing_extracted(pipeline: dlt.Pipeline) -> bool:
    """Whether the extracted packages hold no job: no row, no change of state."""
    packages = pipeline.list_extracted_load_packages()
    return all(not pipeline.get_load_package_info(p).jobs["new_jobs"] for p in packages)


def find_mews_error(exc: BaseException) -> MewsError | None:
    """Our own error inside dlt's wrappers (PipelineStepFailed, ResourceExtractionError...)."""
    for candidate in exception_chain(exc):
        if isinstance(candidate, MewsError):
            return candidate
    return None


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(
            [current.__cause__, current.__context__, getattr(current, "exception", None)]
        )


def loader_file_format(pipeline: dlt.Pipeline) -> Any:
    """Parquet where the destination takes it (DuckDB: ~7x the default path), else default."""
    formats = pipeline.destination.capabilities().supported_loader_file_formats
    return "parquet" if "parquet" in formats else None


def _collect(result: ConnectionResult, run: ConnectionRun) -> None:
    stats = run.client.stats
    result.requests += stats.requests
    result.retries += stats.retries
    result.responses_429 += stats.by_status.get(429, 0)
    result.throttled_s += stats.throttled_s
    for resource, report in run.reports.items():
        result.windows[resource] = report.windows
        result.pages += report.pages
    run.close()
