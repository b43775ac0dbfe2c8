"""Record versions the destination already holds, so a run's re-read loads none of them again.

Every run re-reads the minutes before its marks (the overlap, and the second a mark stops
at), and most of what comes back the previous run loaded. A version is a record's `Id` and
`UpdatedUtc`: Mews moves `UpdatedUtc` with every change, and the engine already relies on it
to find changes at all. The versions a run loads near its end are kept in the resource's
state, which is committed with that load, so a version is skipped only once it is surely in
the destination; pages drop them before they are shaped. A run that finds nothing new then
hands dlt no rows, and (see `resources`) no state change either: nothing is loaded.
"""

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

SLACK = timedelta(minutes=1)  # versions this much older than the next re-read are kept too
LIMIT = 10_000  # beyond this many recent versions keep none: a re-read then merges them again
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def version_keys(ids: pa.Array, updated: pa.Array) -> pa.Array:
    """`<Id>|<UpdatedUtc in microseconds>` of each record."""
    micros = pc.cast(updated, pa.timestamp("us", tz="UTC")).cast(pa.int64()).cast(pa.string())
    return pc.binary_join_element_wise(ids.cast(pa.string()), micros, "|")


def version_key(record_id: str, updated: datetime) -> str:
    return f"{record_id}|{(updated - EPOCH) // MICROSECOND}"


@dataclass
class LoadedVersions:
    """The versions loaded by earlier runs near their end, and those this run hands out."""

    since: datetime  # this run notes versions updated from here on (its next run re-reads them)
    known: list[str]
    noted: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._known = pa.array(self.known, pa.string())

    def unloaded(self, records: pa.StructArray, updated: pa.Array) -> pa.StructArray:
        """The page's records whose version is not known to be loaded (on a worker thread)."""
        keys = version_keys(records.field("Id"), updated)
        fresh = pc.invert(pc.is_in(keys, value_set=self._known))
        if fresh.true_count == len(records):
            return records
        return records.filter(fresh)

    def note(self, ids: pa.Array, updated: pa.Array) -> None:
        """Versions handed to dlt in this part; kept if recent enough to be re-read."""
        recent = pc.greater_equal(updated, pa.scalar(self.since, pa.timestamp("us", tz="UTC")))
        if not pc.any(recent).as_py():
            return
        keys = version_keys(ids.filter(recent), updated.filter(recent)).to_pylist()
        with self._lock:
            self.noted.extend(keys)

    def note_records(self, records: Iterable[dict[str, Any]]) -> None:
        """`note` for documents (dicts whose `UpdatedUtc` is an aware datetime)."""
        keys = [
            version_key(record["Id"], record["UpdatedUtc"])
            for record in records
            if record["UpdatedUtc"] >= self.since
        ]
        with self._lock:
            self.noted.extend(keys)

    def keys(self) -> list[str]:
        """What the state keeps after this part: the recent known versions and the noted."""
        floor = (self.since - EPOCH) // MICROSECOND
        with self._lock:
            recent = {key for key in self.known if int(key.rpartition("|")[2]) >= floor}
            recent.update(self.noted)
        return sorted(recent) if len(recent) <= LIMIT else []
