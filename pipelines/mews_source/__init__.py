"""The dlt source `mews`: Mews Connector API reservations, orders, services, age categories.

`configured_run` builds one connection's `ConnectionRun` from dlt configuration; the source
`mews_source` is its resources, for a pipeline of your own (one `pipeline.run` loads all).
The runner (`runner.run`) drives the run itself, in parts, with a run lock.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

import dlt
import httpx
from dlt.common.configuration import with_config
from dlt.common.schema import Schema
from dlt.common.typing import SecretSentinel, TSecretStrValue
from dlt.extract import DltResource, DltSource

from mews_source import settings
from mews_source.answers import AnswerLimits
from mews_source.catalog import ServiceCatalog
from mews_source.client import Credentials, MewsClient, RequestStats, RetryPolicy
from mews_source.config import (
    build_connections,
    overlap,
    parse_start_date,
    select_connection,
)
from mews_source.errors import ConfigError, MewsError
from mews_source.operations import CATALOGUE
from mews_source.ratelimit import SlidingWindowLimiter, shared_limiter
from mews_source.resources import resources
from mews_source.run import ConnectionRun

RESOURCE_NAMES = tuple(operation.name for operation in CATALOGUE)
MAX_TABLE_NESTING = 2

__all__ = [
    "RESOURCE_NAMES",
    "ConfigError",
    "ConnectionRun",
    "MewsError",
    "configured_load_every_s",
    "configured_run",
    "mews_source",
    "run_source",
]


@dlt.source(name="mews", section="mews", max_table_nesting=MAX_TABLE_NESTING)
def mews_source(connection: str | None = None, **overrides: Any) -> list[DltResource]:
    """Every resource of one connection (`connection`, or the only one configured).

    Configuration comes from dlt (`sources.mews.*`); `overrides` give keys of
    `configured_run` explicitly. One `pipeline.run` loads everything.
    """
    return resources(configured_run(connection=connection, **overrides), CATALOGUE)


def run_source(run: ConnectionRun, names: list[str]) -> DltSource:
    """The source of one load of `run`: the named resources, with this load's hints."""
    chosen = tuple(operation for operation in CATALOGUE if operation.name in names)
    source = DltSource.from_data(Schema("mews"), "mews", resources(run, chosen))
    source.max_table_nesting = MAX_TABLE_NESTING
    return source


@with_config(sections=("sources", "mews"))
def configured_run(
    platform_url: str = dlt.config.value,
    client_token: TSecretStrValue | None = dlt.secrets.value,
    access_token: TSecretStrValue | None = None,
    client: str = settings.DEFAULT_CLIENT,
    start_date: str | None = None,
    service_ids: list[str] | None = None,
    enterprise_ids: list[str] | None = None,
    connections: Annotated[list[dict[str, Any]], SecretSentinel] | None = None,
    connection: str | None = None,
    overlap_minutes: float = settings.DEFAULT_OVERLAP.total_seconds() / 60,
    concurrency: int = settings.DEFAULT_CONCURRENCY,
    rate_limit_requests: int = settings.RATE_LIMIT_REQUESTS,
    rate_limit_window_s: float = settings.RATE_LIMIT_WINDOW_S,
    max_attempts: int = settings.MAX_ATTEMPTS,
    backoff_base_s: float = settings.BACKOFF_BASE_S,
    max_body_bytes: int = settings.MAX_BODY_BYTES,
    request_deadline_s: float = settings.REQUEST_DEADLINE_S,
    load_every_s: float | None = None,
    customer_personal_data: bool = False,
    stays_from_start_date: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> ConnectionRun:
    """One connection's run (`connection`, or the only one configured); sends no request.

    `max_body_bytes` and `request_deadline_s` bound one answer: a bigger or slower one is
    retried like a 503, since a proxy or a broken server sent it. `load_every_s` ends a
    load part after that many seconds once requests wait for the rate limit (the runner
    then loads the next part); None: one load. `customer_personal_data` loads customers'
    personal fields (off by default). `stays_from_start_date` also loads every reservation
    whose stay starts on or after `start_date`, however long ago it was last updated (once per
    scope, by ScheduledStartUtc). `transport` replaces httpx's, e.g. in tests.
    """
    chosen = select_connection(
        build_connections(access_token, enterprise_ids, connections), connection
    )
    if len(chosen) != 1:
        names = ", ".join(c.name for c in chosen)
        raise ConfigError(f"several connections configured ({names}): name one with connection")
    chosen_connection = chosen[0]
    credentials = Credentials(
        platform_url or "", client_token or "", chosen_connection.access_token, client
    )
    api = _client(
        credentials,
        shared_limiter(
            credentials.platform_url,
            credentials.access_token,
            rate_limit_requests,
            rate_limit_window_s + settings.RATE_LIMIT_MARGIN_S,
        ),
        RetryPolicy(max_attempts=max_attempts, base_s=backoff_base_s),
        AnswerLimits(max_body_bytes, request_deadline_s),
        transport,
        concurrency,
    )
    return ConnectionRun(
        client=api,
        connection=chosen_connection,
        catalog=ServiceCatalog(api, chosen_connection.enterprise_ids, service_ids),
        start=parse_start_date(start_date, datetime.now(UTC)),
        overlap=overlap(overlap_minutes),
        concurrency=max(1, concurrency),
        load_every_s=load_every_s,
        personal_data=customer_personal_data,
        stays=stays_from_start_date,
    )


@with_config(sections=("sources", "mews"))
def configured_load_every_s(load_every_s: float | None = None) -> float | None:
    """`load_every_s` from dlt config, else the runner's default; 0 means one load."""
    if load_every_s is None:
        return settings.LOAD_EVERY_S
    return load_every_s if load_every_s > 0 else None


@with_config(sections=("sources", "mews"))
def connection_names(
    access_token: TSecretStrValue | None = None,
    enterprise_ids: list[str] | None = None,
    connections: Annotated[list[dict[str, Any]], SecretSentinel] | None = None,
) -> list[str]:
    """Names of the configured connections, e.g. to run or schedule each on its own."""
    return [c.name for c in build_connections(access_token, enterprise_ids, connections)]


def _client(
    credentials: Credentials,
    limiter: SlidingWindowLimiter,
    retry: RetryPolicy,
    limits: AnswerLimits,
    transport: httpx.BaseTransport | None,
    concurrency: int,
) -> MewsClient:
    return MewsClient(
        credentials,
        limiter=limiter,
        retry=retry,
        limits=limits,
        transport=transport,
        max_connections=max(4, concurrency * 2),
        stats=RequestStats(),
    )
