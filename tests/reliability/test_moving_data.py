"""Records updated and created while a run pages: exact after one more run, and what run one owes.

The README's consistency point: a successful run equals the source as of its end for every
record not changed during the run; records changed during it are read by the next run.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mews_simulator import running_simulator
from mews_source import RESOURCE_NAMES
from tests.catalogue import assert_tables_equal_truth
from tests.integration.test_service_orders import days_ago
from tests.reliability.figures import record
from tests.reliability.harness import FAST, HISTORY_DAYS, Damage, damage, load, small_config
from tests.support import Snapshot, assert_equal_to_truth, loaded, truth

START = days_ago(HISTORY_DAYS + 1)


@pytest.fixture
def sim() -> Iterator[Any]:
    with running_simulator(small_config(seed=8)) as simulator:
        yield simulator


def _counts_by_reservation(snapshot: Snapshot) -> dict[str, set[tuple[str, str, int]]]:
    grouped: dict[str, set[tuple[str, str, int]]] = {}
    for row in snapshot.person_counts:
        grouped.setdefault(row[0], set()).add(row)
    return grouped


def _assert_first_run_guarantee(got: Snapshot, before: Snapshot, after: Snapshot) -> int:
    """Untouched records equal the source; a touched one holds its old or new version, or is
    absent (it moved to an UpdatedUtc after the run's end before its old window was read).

    Returns how many records were touched during the run.
    """
    touched = 0
    for what, old, new, have in (
        ("reservations", before.reservations, after.reservations, got.reservations),
        ("orders", before.orders, after.orders, got.orders),
    ):
        for record_id, value in new.items():
            if old.get(record_id) == value:
                assert have.get(record_id) == value, f"{what} {record_id} untouched but wrong"
            else:
                touched += 1
                assert have.get(record_id) in (None, old.get(record_id), value), what
    old_counts, new_counts = _counts_by_reservation(before), _counts_by_reservation(after)
    got_counts = _counts_by_reservation(got)
    for reservation_id, rows in new_counts.items():
        if before.reservations.get(reservation_id) == after.reservations[reservation_id]:
            assert got_counts.get(reservation_id) == rows, f"person counts of {reservation_id}"
        else:
            assert got_counts.get(reservation_id) in (None, old_counts.get(reservation_id), rows)
    return touched


@pytest.mark.parametrize(
    ("concurrency", "after_requests"),
    [(1, 4), (10, 4), (10, 12)],
    ids=["serial-early", "default-early", "default-late"],
)
def test_changes_while_paging_are_in_after_one_more_run(
    sim: Any, tmp_path: Path, concurrency: int, after_requests: int
):
    db = tmp_path / "mews.duckdb"
    before = truth(sim)
    sim.schedule_mutation(after_requests=after_requests, fraction=0.05, create=40, seed=3)

    first = load(db, sim, START, concurrency=concurrency, **FAST)

    assert not first.failed, first.failed
    after = truth(sim)
    assert len(after.reservations) == len(before.reservations) + 40, "the mutation did not fire"
    touched = _assert_first_run_guarantee(loaded(db), before, after)
    missed = damage(db, sim)

    second = load(db, sim, START, concurrency=concurrency, **FAST)

    assert not second.failed, second.failed
    assert_equal_to_truth(db, sim)
    final = damage(db, sim)
    record(
        f"moving data, concurrency {concurrency}, change after {after_requests} requests",
        f"{touched} records updated or created mid-run",
        runs=2, lost=final.lost, duplicated=final.duplicated,
        outcome=f"after run 1: {missed.lost} rows still to read (changed mid-run); after run 2: 0",
    )  # fmt: skip


def test_changes_while_the_whole_catalogue_pages_are_in_after_one_more_run(
    sim: Any, tmp_path: Path
):
    db = tmp_path / "mews.duckdb"
    before = truth(sim)
    sim.schedule_mutation(after_requests=30, fraction=0.05, create=40, seed=4)

    first = load(db, sim, START, resources=list(RESOURCE_NAMES), **FAST)

    assert not first.failed, first.failed
    after = truth(sim)
    assert len(after.reservations) == len(before.reservations) + 40, "the mutation did not fire"
    touched = _assert_first_run_guarantee(loaded(db), before, after)

    second = load(db, sim, START, resources=list(RESOURCE_NAMES), **FAST)

    assert not second.failed, second.failed
    assert_tables_equal_truth(db, sim)
    assert_equal_to_truth(db, sim)
    final = damage(db, sim)
    record(
        "moving data, whole catalogue, change after 30 requests",
        f"{touched} reservations and orders updated or created mid-run",
        runs=2, lost=final.lost, duplicated=final.duplicated, outcome="after run 2: 0",
    )  # fmt: skip
    assert final == Damage(0, 0)
