"""Versions already loaded are dropped from re-read pages; only recent ones are kept."""

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from mews_source import loaded
from mews_source.loaded import LoadedVersions, version_key, version_keys

NOW = datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=UTC)
TIMESTAMP = pa.timestamp("us", tz="UTC")


def page(*records: tuple[str, datetime]) -> tuple[pa.StructArray, pa.Array]:
    ids = [record_id for record_id, _ in records]
    stamps = [updated.isoformat() for _, updated in records]
    struct = pa.StructArray.from_arrays(
        [pa.array(ids), pa.array(stamps)], names=["Id", "UpdatedUtc"]
    )
    return struct, pa.array([updated for _, updated in records], TIMESTAMP)


def test_arrow_and_python_keys_agree() -> None:
    ids, updated = pa.array(["a"]), pa.array([NOW], TIMESTAMP)
    assert version_keys(ids, updated).to_pylist() == [version_key("a", NOW)]


def test_a_known_version_is_dropped_and_a_newer_one_of_the_same_id_kept() -> None:
    versions = LoadedVersions(NOW - timedelta(minutes=11), [version_key("a", NOW)])
    records, updated = page(("a", NOW), ("a", NOW + timedelta(seconds=1)), ("b", NOW))

    fresh = versions.unloaded(records, updated)

    assert fresh.field("UpdatedUtc").to_pylist() == [
        (NOW + timedelta(seconds=1)).isoformat(),
        NOW.isoformat(),
    ]
    assert fresh.field("Id").to_pylist() == ["a", "b"]


def test_keys_keep_recent_known_and_noted_versions_only() -> None:
    since = NOW - timedelta(minutes=11)
    old, recent = version_key("old", since - timedelta(seconds=1)), version_key("k", since)
    versions = LoadedVersions(since, [old, recent])
    ids = pa.array(["n", "early"])
    versions.note(ids, pa.array([NOW, since - timedelta(hours=1)], TIMESTAMP))
    versions.note_records([{"Id": "d", "UpdatedUtc": NOW}])

    assert versions.keys() == sorted([recent, version_key("n", NOW), version_key("d", NOW)])


def test_too_many_recent_versions_keep_none(monkeypatch) -> None:
    monkeypatch.setattr(loaded, "LIMIT", 2)
    versions = LoadedVersions(NOW, [])
    versions.note(pa.array(["a", "b", "c"]), pa.array([NOW] * 3, TIMESTAMP))

    assert versions.keys() == []
