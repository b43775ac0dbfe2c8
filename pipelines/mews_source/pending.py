"""Finish a load package a killed run left pending only while the destination is as it was.

dlt finishes any pending package on the next run. If another runner (a fresh machine that
restored state from the destination) loaded in between, that package is stale: an appending
one would load its rows twice, a merging one would put older versions back, and its state
would overwrite the newer state. So the runner notes the destination's completed loads
(how many, and the newest id) whenever they change under its lock, and a pending package is
finished only if they are still what was noted; otherwise the local working dir goes,
package and the state it carried with it, and the state comes back from the destination.
Dropping never loses data: a package's state reaches the destination only with its
completed load, so the restored state re-reads whatever the package held.
"""

import logging
from typing import Any

import dlt
from dlt.common.destination.exceptions import SqlClientNotAvailable
from dlt.common.pipeline import LoadInfo, NormalizeInfo
from dlt.common.runtime import signals
from dlt.destinations.exceptions import DatabaseUndefinedRelation

logger = logging.getLogger(__name__)

SEEN_KEY = "mews_loads_seen"  # local (never synced) state: [count, newest load id]


def finish_pending(pipeline: dlt.Pipeline) -> None:
    """Load what an interrupted run left behind, or drop it if the destination moved on."""
    if pipeline.has_pending_data:
        now = loads_at_destination(pipeline)
        seen = _loads_seen(pipeline)
        if now is None or now == seen:
            logger.info("finishing the load package a previous run left pending")
            load_extracted(pipeline)
        else:
            packages = [*pipeline.list_extracted_load_packages()]
            packages += pipeline.list_normalized_load_packages()
            logger.info(
                "dropping load package %s a previous run left pending: the destination has "
                "had other loads since (%s completed now, %s then); state comes from there",
                ", ".join(packages),
                now[0],
                seen[0] if seen else "unknown",
            )
            pipeline.drop()
    remember_loads(pipeline)


def load_extracted(pipeline: dlt.Pipeline) -> tuple[NormalizeInfo, LoadInfo]:
    """Normalize and load what is extracted; a stop signal meanwhile raises once jobs end.

    dlt holds SIGTERM and SIGINT while it normalizes and loads and lets running jobs end; it
    raises only if jobs were left, and forgets a signal that came during the last one. Held
    here around both steps, such a signal still stops the run before its next part. The
    steps are called apart, not through `pipeline.run()`, which would first ask the
    destination for its state again (the runner does that once a run).
    """
    with signals.intercepted_signals():
        normalized = pipeline.normalize()
        loaded = pipeline.load()
        signals.raise_if_signalled()
    return normalized, loaded


def remember_loads(pipeline: dlt.Pipeline) -> None:
    """Note the destination's completed loads: the base of the next package extracted."""
    pipeline.set_local_state_val(SEEN_KEY, loads_at_destination(pipeline))


def loads_at_destination(pipeline: dlt.Pipeline) -> list[Any] | None:
    """[count, newest id] of the dataset's completed loads; None where SQL cannot tell."""
    try:
        client = pipeline.sql_client()
    except SqlClientNotAvailable:
        return None
    with client:
        loads = client.make_qualified_table_name("_dlt_loads")
        query = f"SELECT COUNT(*), MAX(load_id) FROM {loads} WHERE status = 0"
        try:
            rows = client.execute_sql(query)
        except DatabaseUndefinedRelation:
            return [0, None]
    count, newest = rows[0] if rows else (0, None)
    return [int(count), newest]


def _loads_seen(pipeline: dlt.Pipeline) -> list[Any] | None:
    try:
        seen: list[Any] | None = pipeline.get_local_state_val(SEEN_KEY)
    except KeyError:
        return None
    return seen
