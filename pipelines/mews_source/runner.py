"""Run the source for every connection and say what happened; shared by the CLI, tests and DAG.

Each connection has its own loads: one token failing does not throw away the others'
progress, and each connection's state advances only with its own data.
"""

import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.common.pipeline import get_dlt_pipelines_dir

from mews_source import (
    RESOURCE_NAMES,
    ConnectionRun,
    configured_load_every_s,
    configured_run,
    run_source,
)
from mews_source.appending import appending_resources
from mews_source.destinations import pipelines_dir as local_pipelines_dir
from mews_source.destinations import resolve_destination
from mews_source.errors import ConfigError, find_mews_error
from mews_source.lock import creating, run_lock
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
    sequential: bool = False,
    **source_args: Any,
) -> RunResult:
    """Load every connection, together (see `group`) or one after another (`sequential`);
    collect failures instead of stopping at the first.

    The run holds the destination's run lock throughout (see `lock.py`): another run of the
    pipeline fails at once, or waits up to `wait_s` seconds for it.
    """
    from mews_source.group import run_together  # group builds on this module's steps

    chosen = check_resources(resources)
    if "load_every_s" not in source_args:
        source_args = {**source_args, "load_every_s": configured_load_every_s()}
    with run_lock(pipeline, wait_s):
        started = time.monotonic()
        finish_pending(pipeline)
        pipeline.sync_destination()  # a fresh runner restores state from the destination
        if len(connection_names) > 1 and not sequential:
            results = run_together(pipeline, connection_names, chosen, refresh, source_args)
        else:
            results = run_each(pipeline, connection_names, chosen, refresh, source_args)
    return RunResult(results, time.monotonic() - started)


def run_each(
    pipeline: dlt.Pipeline,
    names: Sequence[str],
    resources: Sequence[str],
    refresh: bool,
    source_args: dict[str, Any],
) -> list[ConnectionResult]:
    """The connections one after another, each loaded to its end before the next starts."""
    results = []
    for position, name in enumerate(names):
        load = start_connection(pipeline, name, resources, refresh and position == 0, source_args)
        try:
            while not load.finished:
                load_part(pipeline, load)
        finally:
            finish(load)
        results.append(load.result)
        if load.result.error and len(names) == 1:
            break
    return results


@dataclass
class ConnectionLoad:
    """One connection's load in progress: its run, the resources left, and its result."""

    result: ConnectionResult
    refresh: bool
    run: ConnectionRun | None = None
    pending: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.result.error is not None or not self.pending


@contextmanager
def failing_alone(load: ConnectionLoad) -> Iterator[None]:
    """Turn the connection's Mews error into its result's error; bad config and anything
    else stop the whole run."""
    try:
        yield
    except Exception as exc:  # reported per connection; the CLI turns it into one line
        error = find_mews_error(exc)
        if error is None or isinstance(error, ConfigError):
            raise  # bad config is everyone's problem, not one connection's
        load.result.error = str(error)
        logger.error("connection %s failed: %s", load.result.name, error)


def start_connection(
    pipeline: dlt.Pipeline,
    name: str,
    resources: Sequence[str],
    refresh: bool,
    source_args: dict[str, Any],
) -> ConnectionLoad:
    """The connection's run, built from configuration; sends no request."""
    load = ConnectionLoad(ConnectionResult(name), refresh)
    with failing_alone(load):
        load.run = configured_run(connection=name, **source_args)
        load.run.appending = appending_resources(pipeline, name, resources, refresh)
        load.pending = list(resources)
    return load


def load_part(pipeline: dlt.Pipeline, load: ConnectionLoad) -> None:
    """One load of the connection: it advances state over the windows it completed.

    A rate-limited backfill comes in parts (`load_every_s`): each part is its own load,
    while the next part is being fetched.
    """
    run = load.run
    assert run is not None, "a connection that failed to start has no part to load"
    result = load.result
    with failing_alone(load):
        rows = _load(pipeline, run_source(run, load.pending), load.refresh and result.loads == 0)
        if rows is not None:
            remember_loads(pipeline)
            result.loads += 1
        for table, count in (rows or {}).items():
            result.rows[table] = result.rows.get(table, 0) + count
        load.pending = run.unfinished(load.pending)


def finish(load: ConnectionLoad) -> None:
    """Count the connection's requests and pages, stop its fetches, close its client."""
    if load.run is not None:
        _collect(load.result, load.run)
        load.run = None


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
