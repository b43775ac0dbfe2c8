"""Several connections in one run, fetching at once, each at its own token's budget.

Each connection keeps its own run: its client and rate limiter, its state marks and its
loads, so one failing token fails alone. dlt's pipeline is one thread's, so this thread
loads the connections' parts in turn while every connection's fetch goes on in the
background: all of them start before the first load (`start_feeds`), and a part ends once
its fetch has no page ready after a few seconds (`ConnectionRun.part_timer`), so this
thread moves on to connections whose pages wait.

Bounds on the whole process: each connection's fetches hold fewer pages and fewer
requests in flight as connections are added (`share`).
"""

from collections.abc import Sequence
from typing import Any

import dlt

from mews_source.operations import BY_NAME, Operation
from mews_source.resources import start_feeds
from mews_source.runner import (
    ConnectionLoad,
    ConnectionResult,
    failing_alone,
    finish,
    load_part,
    start_connection,
)

# Pages are ~1-2 MB of Arrow each: at most ~640 MB held over every connection. While this
# thread loads one connection, the others' fetches go on only as far as their buffers, so
# larger buffers kept a 5-token run at the rate limit busier (bench/connections.py).
TOTAL_BUFFER_PAGES = 320
MAX_BUFFER_PAGES = 64
TOTAL_IN_FLIGHT = 64  # requests in flight over every connection: ~9 tokens' full budgets
MIN_BUFFER_PAGES = 2
MIN_IN_FLIGHT = 2


def run_together(
    pipeline: dlt.Pipeline,
    names: Sequence[str],
    resources: Sequence[str],
    refresh: bool,
    source_args: dict[str, Any],
) -> list[ConnectionResult]:
    """Every connection to its end, their parts loaded in turn."""
    loads = [
        start_connection(pipeline, name, resources, refresh and position == 0, source_args)
        for position, name in enumerate(names)
    ]
    try:
        share(loads)
        state = {} if refresh else pipeline.state  # a refresh drops every connection's state
        for load in loads:
            if load.run is not None and not load.finished:
                with failing_alone(load):
                    start_feeds(load.run, operations(load.pending), state)
        active = [load for load in loads if not load.finished]
        while active:
            for load in active:
                load_part(pipeline, load)
            active = [load for load in active if not load.finished]
    finally:
        for load in loads:
            finish(load)
    return [load.result for load in loads]


def operations(names: Sequence[str]) -> tuple[Operation, ...]:
    return tuple(BY_NAME[name] for name in names)


def share(loads: list[ConnectionLoad]) -> None:
    """Set each run to load in turn, within the process's bounds, appending only alone."""
    running = [load for load in loads if load.run is not None]
    buffer = max(MIN_BUFFER_PAGES, TOTAL_BUFFER_PAGES // max(1, len(running)))
    in_flight = max(MIN_IN_FLIGHT, TOTAL_IN_FLIGHT // max(1, len(running)))
    for load in running:
        assert load.run is not None
        load.run.together = True
        load.run.buffer_pages = min(buffer, MAX_BUFFER_PAGES)
        load.run.concurrency = min(load.run.concurrency, in_flight)
    merge_shared(running)


def merge_shared(loads: list[ConnectionLoad]) -> None:
    """A connection appends only where no other connection of the run can bring the same
    Ids: its enterprises are its alone, its token is its own, and the operation is not read
    by chain. Appending beside another load of the same records would duplicate them (run
    one after another, the second sees the first's rows and merges).
    """
    if not any(load.run is not None and load.run.appending for load in loads):
        return
    enterprises: dict[int, set[str]] = {}
    for load in loads:
        if load.run is None:
            continue
        with failing_alone(load):
            load.run.run_end()  # discovery: the services, hence the enterprises, it reads
            visible = set(load.run.catalog.enterprise_by_service().values())
            enterprises[id(load)] = visible | set(load.run.connection.enterprise_ids)
    healthy = [load for load in loads if id(load) in enterprises and not load.finished]
    for load in healthy:
        run = load.run
        assert run is not None
        others = [other for other in healthy if other is not load]
        shared = any(
            enterprises[id(load)] & enterprises[id(other)] or _same_token(load, other)
            for other in others
        )
        kept = () if shared else (r for r in run.appending if not BY_NAME[r].chain_scoped)
        run.appending = frozenset(kept)


def _same_token(one: ConnectionLoad, other: ConnectionLoad) -> bool:
    assert one.run is not None and other.run is not None
    return one.run.connection.access_token == other.run.connection.access_token
