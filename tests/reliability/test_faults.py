"""Injected HTTP faults: a run equals the source, or fails in one line and changes nothing.

Whatever happened, one more run without faults leaves the dataset equal to the source.
"""

import logging
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mews_simulator import FaultConfig, running_simulator
from mews_source import RESOURCE_NAMES, operations
from mews_source.report import format_summary
from tests.catalogue import assert_tables_equal_truth
from tests.integration.test_service_orders import days_ago
from tests.reliability.figures import record
from tests.reliability.harness import (
    FAST,
    HISTORY_DAYS,
    Damage,
    damage,
    find_leaks,
    fingerprint,
    load,
    loaded_reservations,
    small_config,
)
from tests.support import assert_equal_to_truth, rows_behind_state, truth

START = days_ago(HISTORY_DAYS + 1)
RETRIED_STATUSES = frozenset({0, 429, 500, 503})  # 0: the simulator dropped the connection
P_408 = 0.3


def mixed_faults(seed: int) -> FaultConfig:
    """~15 % of requests fail: every kind of fault the simulator injects, equally often."""
    return FaultConfig(
        seed=seed, p_408=0.02, p_500=0.02, p_503=0.02, p_429=0.02, p_429_no_retry_after=0.02,
        p_drop=0.02, p_truncate=0.02, p_slow=0.01, slow_s=0.3, retry_after_s=1,
    )  # fmt: skip


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    with running_simulator(small_config(seed=5)) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def no_faults_afterwards(sim: Any) -> Iterator[None]:
    sim.reset_stats()
    yield
    sim.set_faults(None)


def _summary_retries(summary: str) -> int:
    row = next(line for line in summary.splitlines() if line.startswith("default "))
    return int(row.split()[2])


@pytest.mark.parametrize(
    ("seed", "concurrency"),
    [(1, 10), (2, 10), (3, 10), (4, 1), (5, 3)],
    ids=["seed1", "seed2", "seed3", "seed4-serial", "seed5-conc3"],
)
def test_faulty_backfill_equals_source_or_fails_cleanly_then_rerun_equals(
    sim: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, seed: int, concurrency: int
):
    db = tmp_path / "mews.duckdb"
    before = fingerprint(db)
    sim.set_faults(mixed_faults(seed))

    with caplog.at_level(logging.DEBUG):
        first = load(db, sim, START, concurrency=concurrency, **FAST)

    connection = first.connections[0]
    statuses = [entry.status for entry in sim.request_log()]
    retried = sum(status in RETRIED_STATUSES for status in statuses)
    assert sum(status != 200 for status in statuses) > 0, "no fault fired: pick another seed"
    if first.failed:
        assert connection.error and "\n" not in connection.error
        assert fingerprint(db) == before
    else:
        assert_equal_to_truth(db, sim)
        assert connection.requests == len(statuses)
        assert connection.responses_429 == statuses.count(429)
        assert connection.retries >= retried
    if retried:
        assert connection.retries > 0
    assert _summary_retries(format_summary(first)) == connection.retries

    sim.set_faults(None)
    second = load(db, sim, START, **FAST)

    assert not second.failed, second.failed
    assert_equal_to_truth(db, sim)
    result = damage(db, sim)
    leaks = find_leaks(
        (sim.client_token, sim.portfolio_token),
        [connection.error or "", caplog.text],
        [Path(os.environ["DLT_DATA_DIR"])],
    )
    record(
        f"faults 15 % mixed, seed {seed}, concurrency {concurrency}",
        f"{len(statuses) - statuses.count(200)} error answers in {len(statuses)} requests"
        " (+ truncated/slow bodies)",
        runs=2, lost=result.lost, duplicated=result.duplicated, leaks=len(leaks),
        outcome=("first run failed: " + (connection.error or "")) if first.failed
        else f"first run ok with {connection.retries} retries",
    )  # fmt: skip
    assert result == Damage(0, 0)
    assert not leaks, leaks


@pytest.mark.parametrize("seed", [8, 9])
def test_faulty_backfill_of_the_whole_catalogue_fails_cleanly_or_equals_then_rerun_equals(
    sim: Any, tmp_path: Path, seed: int
):
    db = tmp_path / "mews.duckdb"
    before = fingerprint(db)
    sim.set_faults(mixed_faults(seed))

    first = load(db, sim, START, resources=list(RESOURCE_NAMES), **FAST)

    connection = first.connections[0]
    statuses = [entry.status for entry in sim.request_log()]
    assert sum(status != 200 for status in statuses) > 0, "no fault fired: pick another seed"
    if first.failed:
        assert connection.error and "\n" not in connection.error
        assert fingerprint(db) == before
    else:
        assert_tables_equal_truth(db, sim)
        assert_equal_to_truth(db, sim)

    sim.set_faults(None)
    second = load(db, sim, START, resources=list(RESOURCE_NAMES), **FAST)

    assert not second.failed, second.failed
    assert_tables_equal_truth(db, sim)
    assert_equal_to_truth(db, sim)
    result = damage(db, sim)
    record(
        f"faults 15 % mixed, whole catalogue, seed {seed}",
        f"{len(statuses) - statuses.count(200)} error answers in {len(statuses)} requests",
        runs=2, lost=result.lost, duplicated=result.duplicated,
        outcome=("first run failed: " + (connection.error or "")) if first.failed
        else f"first run ok with {connection.retries} retries",
    )  # fmt: skip
    assert result == Damage(0, 0)


# The client holds itself to 4 requests/s, so requests wait and the run loads in parts.
IN_PARTS = {"rate_limit_requests": 4, "rate_limit_window_s": 1.0, "load_every_s": 0.3}


@pytest.mark.parametrize("seed", [6, 7])
def test_faulty_backfill_in_parts_keeps_state_behind_its_data_then_rerun_equals(
    sim: Any, tmp_path: Path, seed: int
):
    db = tmp_path / "mews.duckdb"
    sim.set_faults(mixed_faults(seed))

    first = load(db, sim, START, **IN_PARTS, **FAST)

    connection = first.connections[0]
    statuses = [entry.status for entry in sim.request_log()]
    assert sum(status != 200 for status in statuses) > 0, "no fault fired: pick another seed"
    if first.failed:
        assert connection.error and "\n" not in connection.error
        behind, missing = rows_behind_state(db, sim)
        assert not missing, f"{len(missing)} of {behind} rows behind the saved state not loaded"
    else:
        assert connection.loads >= 2, "the run did not load in parts"
        assert_equal_to_truth(db, sim)

    sim.set_faults(None)
    second = load(db, sim, START, **IN_PARTS, **FAST)

    assert not second.failed, second.failed
    assert_equal_to_truth(db, sim)
    result = damage(db, sim)
    record(
        f"faults 15 % mixed while loading in parts, seed {seed}",
        f"{len(statuses) - statuses.count(200)} error answers in {len(statuses)} requests,"
        f" {connection.loads} loads",
        runs=2, lost=result.lost, duplicated=result.duplicated,
        outcome=("first run failed: " + (connection.error or "")) if first.failed
        else f"first run ok in {connection.loads} parts with {connection.retries} retries",
    )  # fmt: skip
    assert result == Damage(0, 0)


def _seed_sparing_discovery() -> int:
    """A seed whose first draw (the services/getAll request) is not a 408."""
    return next(s for s in range(100) if random.Random(s).random() >= P_408)


def _count(body: dict[str, Any] | None) -> int:
    return int((body or {})["Limitation"]["Count"])


def _within(interval: tuple[str, str], start: str, end: str) -> bool:
    return start <= interval[0] and interval[1] <= end


def _interval(body: dict[str, Any] | None) -> tuple[str, str]:
    updated = (body or {})["UpdatedUtc"]
    return updated["StartUtc"], updated["EndUtc"]


def test_408_splits_the_window_and_the_retried_parts_still_equal_the_source(
    sim: Any, tmp_path: Path
):
    db = tmp_path / "mews.duckdb"
    sim.set_faults(FaultConfig(seed=_seed_sparing_discovery(), p_408=P_408))

    result = load(db, sim, START, resources=["reservations"], concurrency=1, **FAST)

    assert not result.failed, result.failed
    log = [e for e in sim.request_log() if e.path == operations.RESERVATIONS.path]
    heavy = [i for i, entry in enumerate(log) if entry.status == 408]
    assert heavy, "no 408 fired"
    for index in heavy:
        start, end = _interval(log[index].body)
        count = _count(log[index].body)
        later = [e.body for e in log[index + 1 :] if e.status == 200]
        inside = [(_interval(b), _count(b)) for b in later if _within(_interval(b), start, end)]
        # Lighter: a narrower interval, or (a window under two minutes) a smaller page.
        lighter = [(i, c) for i, c in inside if i != (start, end) or c < count]
        assert lighter, f"the 408 window {start}..{end} was not retried as lighter requests"
    got, want = loaded_reservations(db), truth(sim)
    assert got.reservation_rows == len(got.reservations) == len(want.reservations)
    assert got.reservations == want.reservations
    assert got.person_counts == want.person_counts
    record(
        "408 only (30 % of reservation requests)",
        f"{len(heavy)} × 408 in {len(log)} reservation requests",
        runs=1, lost=sum(1 for k, v in want.reservations.items() if got.reservations.get(k) != v)
        + len(want.person_counts - got.person_counts),
        duplicated=got.reservation_rows - len(got.reservations), outcome="ok, windows halved",
    )  # fmt: skip
