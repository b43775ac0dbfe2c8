"""Where a run writes: the default DuckDB file, DuckDB's memory bound, the local pipelines folder.

dlt resolves a DuckDB file given by no one against the pipeline's *first* working directory,
and keeps pipelines in one folder per user: a second checkout would then load into the first
one's `mews.duckdb` with the first one's state. Both defaults are made explicit here, in the
directory the command runs from. Settings under `destination.duckdb.credentials` are secrets
to dlt (refused in config.toml), so the memory bound is set in code.
"""

import os
from typing import Any

import dlt
from dlt.common.destination import Destination
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

DEFAULT_DUCKDB_FILE = "mews.duckdb"
LOCAL_PIPELINES_DIR = os.path.join(".dlt", ".var", "pipelines")
DUCKDB_CREDENTIALS_KEY = "destination.duckdb.credentials"
# Bound DuckDB's memory while it loads or merges a large backfill; it spills to disk beyond.
DUCKDB_GLOBAL_CONFIG = {"memory_limit": "160MB", "preserve_insertion_order": False}


def resolve_destination(destination: Any) -> Any:
    """`"duckdb"` becomes a memory-bounded DuckDB at the configured or default path."""
    if destination != "duckdb":
        return destination
    return duckdb_destination(dlt.secrets.get(DUCKDB_CREDENTIALS_KEY))


def duckdb_destination(configured: Any = None) -> Destination[Any, Any]:
    """DuckDB at `configured` (path or connection string), else `mews.duckdb` here."""
    if isinstance(configured, str) and configured.strip():
        target = configured.strip()
    elif configured is None:
        target = os.path.abspath(DEFAULT_DUCKDB_FILE)
    else:  # a table of credentials fields: leave it to dlt, as the user wrote it
        return dlt.destinations.duckdb(credentials=configured)
    credentials = DuckDbCredentials(target, global_config=dict(DUCKDB_GLOBAL_CONFIG))
    return dlt.destinations.duckdb(credentials=credentials)


def pipelines_dir() -> str | None:
    """This checkout's own pipelines folder, unless `DLT_DATA_DIR` names one (None: dlt's)."""
    if os.environ.get("DLT_DATA_DIR"):
        return None
    return os.path.abspath(LOCAL_PIPELINES_DIR)
