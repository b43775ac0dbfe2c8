"""At most one run of a pipeline writes to a destination at a time; a second fails or waits.

Two first backfills into empty tables would both append, and every row would land twice.
The lock sits where the data does, and nothing a killed run leaves behind can hold it:

- PostgreSQL: a session advisory lock keyed by pipeline and dataset, on a connection kept
  for the whole run; the server frees it when that session ends, killed or not, so it holds
  across machines. The holder's pid, host and start ride in the connection's
  `application_name`, which `pg_stat_activity` shows to every role. No table is needed: one
  in the dataset would create its schema before dlt does, and dlt wipes a runner's local
  state when the dataset is gone only if the schema is gone too.
- DuckDB: an `flock` on `<database file>.lock` beside the file, which the kernel frees when
  the holder dies. The file sits on one machine's disk, so that covers every writer.
- any other destination: an `flock` in the local pipelines dir: runs on this machine only.
"""

import fcntl
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from hashlib import blake2b
from pathlib import Path
from typing import Any, Protocol

import dlt

from mews_source.errors import MewsError

logger = logging.getLogger(__name__)

POLL_S = 0.5  # how often a waiting run tries again
APPLICATION_NAME_MAX = 63  # PostgreSQL keeps NAMEDATALEN - 1 bytes of it
HOLDER_QUERY = (
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.classid::bigint = %s AND l.objid::bigint = %s"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class RunLockedError(MewsError):
    """Another run of the same pipeline holds the destination; retrying later helps."""


class _Lock(Protocol):
    where: str

    def try_acquire(self, holder: str) -> bool: ...

    def holder(self) -> str | None: ...

    def release(self) -> None: ...


@contextmanager
def creating(pipelines_dir: str) -> Iterator[None]:
    """Hold an `flock` in the pipelines dir while a pipeline is made there.

    dlt wipes and recreates a working dir that has no state file yet. Made at once by two
    runs on one machine (two cron jobs), one would wipe the other's first extract, or fail
    with "File exists" before it reached the run lock; made one at a time, with the state
    file written at once (see `runner.make_pipeline`), the second attaches and then waits
    for the run lock or is refused by it.
    """
    os.makedirs(pipelines_dir, exist_ok=True)
    fd = os.open(os.path.join(pipelines_dir, ".mews-create.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the only descriptor frees the flock


@contextmanager
def run_lock(pipeline: dlt.Pipeline, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the pipeline's destination lock; wait up to `wait_s` for it, else raise."""
    lock = _lock_for(pipeline)
    try:
        _acquire(pipeline, lock, max(0.0, wait_s))
        yield
    finally:
        lock.release()


def _acquire(pipeline: dlt.Pipeline, lock: _Lock, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    waiting = False
    while not lock.try_acquire(holder_phrase()):
        if time.monotonic() >= deadline:
            raise RunLockedError(_held_message(pipeline, lock, wait_s))
        if not waiting:
            logger.info("waiting up to %.0f s: %s", wait_s, _held_by(pipeline, lock))
            waiting = True
        time.sleep(POLL_S)


def holder_phrase() -> str:
    """Who this run is, as another run's error message names it."""
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"pid {os.getpid()} on {socket.gethostname()} since {since}"


def _held_message(pipeline: dlt.Pipeline, lock: _Lock, wait_s: float) -> str:
    waited = f" after waiting {wait_s:.0f} s" if wait_s else ""
    return (
        f"{_held_by(pipeline, lock)}{waited}: at most one run loads it at a time; "
        "try again later or pass --wait SECONDS"
    )


def _held_by(pipeline: dlt.Pipeline, lock: _Lock) -> str:
    holder = lock.holder() or "another run (holder unknown)"
    return (
        f"pipeline {pipeline.pipeline_name} (dataset {pipeline.dataset_name}) "
        f"is being loaded into {lock.where} by {holder}"
    )


def _lock_for(pipeline: dlt.Pipeline) -> _Lock:
    kind = pipeline.destination.destination_type.rsplit(".", 1)[-1]
    if kind in ("postgres", "duckdb"):
        credentials: Any = pipeline.destination_client().config.credentials
        if kind == "postgres":
            key = lock_key(pipeline.pipeline_name, pipeline.dataset_name)
            dsn = credentials.to_native_representation()
            return _AdvisoryLock(dsn, key, credentials.database)
        database = credentials.database
        if isinstance(database, str) and database != ":memory:":
            return _FileLock(Path(f"{database}.lock"), database)
    name = f"{pipeline.pipeline_name}.{pipeline.dataset_name}.lock"
    Path(pipeline.pipelines_dir).mkdir(parents=True, exist_ok=True)
    return _FileLock(Path(pipeline.pipelines_dir) / name, f"{kind} (runs on this machine)")


def lock_key(pipeline_name: str, dataset_name: str) -> int:
    """A signed 64-bit advisory lock key for one pipeline and dataset."""
    digest = blake2b(f"mews-run/{pipeline_name}/{dataset_name}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class _FileLock:
    """`flock` on a file that names its holder; the file stays (deleting it races)."""

    def __init__(self, path: Path, where: str) -> None:
        self.path = path
        self.where = where
        self._fd: int | None = None

    def try_acquire(self, holder: str) -> bool:
        # Beside a DuckDB file its folder must exist already: creating it would let a run
        # write to a path the user mistyped.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, holder.encode())
        self._fd = fd
        return True

    def holder(self) -> str | None:
        try:
            return self.path.read_text().strip() or None
        except OSError:
            return None

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the only descriptor frees the flock
            self._fd = None


class _AdvisoryLock:
    """`pg_try_advisory_lock` on a dedicated autocommit connection held for the run."""

    def __init__(self, dsn: str, key: int, database: str) -> None:
        self.where = f"postgres database {database}"
        self._dsn = dsn
        self._key = key
        self._conn: Any = None

    def try_acquire(self, holder: str) -> bool:
        import psycopg2  # the postgres extra; only PostgreSQL runs get here

        if self._conn is None:
            self._conn = psycopg2.connect(self._dsn)
            self._conn.autocommit = True
        name = holder.encode()[:APPLICATION_NAME_MAX].decode(errors="ignore")
        with self._conn.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_lock(%s), set_config('application_name', %s, false)",
                (self._key, name),
            )
            return bool(cursor.fetchone()[0])

    def holder(self) -> str | None:
        if self._conn is None:
            return None
        # A bigint key shows in pg_locks as classid (high half) and objid (low half).
        unsigned = self._key & 0xFFFFFFFFFFFFFFFF
        with self._conn.cursor() as cursor:
            cursor.execute(HOLDER_QUERY, (unsigned >> 32, unsigned & 0xFFFFFFFF))
            row = cursor.fetchone()
        return str(row[0]) if row and row[0] else None

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()  # ending the session frees its advisory locks
            self._conn = None
