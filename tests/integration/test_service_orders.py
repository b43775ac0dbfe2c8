"""The connector end to end: simulator over loopback -> real pipeline -> real DuckDB file."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dlt
import duckdb
import pytest

from mews_simulator import SimulatorConfig, running_simulator
from mews_source import RESOURCE_NAMES
from mews_source.runner import make_pipeline
from tests.support import assert_equal_to_truth, load_in_process, truth

HISTORY_DAYS = 800  # more than 2 years: at least 9 windows of at most 3 months


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def portfolio_sim():
    config = SimulatorConfig(
        seed=11,
        enterprise_count=3,
        reservation_count=12_000,
        product_service_order_count=3_000,
        history_days=HISTORY_DAYS,
        variation_fraction=0.1,
    )
    with running_simulator(config) as sim:
        yield sim


def test_backfill_of_two_years_over_three_enterprises_equals_truth(portfolio_sim, tmp_path: Path):
    db = tmp_path / "mews.duckdb"

    result = load_in_process(db, portfolio_sim, days_ago(HISTORY_DAYS + 1))

    assert not result.failed
    assert result.connections[0].windows["reservations"] >= 8
    snapshot = assert_equal_to_truth(db, portfolio_sim)
    enterprises = {enterprise for _, _, enterprise in snapshot.reservations.values()}
    assert enterprises == set(portfolio_sim.enterprise_ids)
    print(f"backfill: {result.connections[0].requests} requests")


def test_dlt_dataset_api_reads_the_loaded_tables(portfolio_sim, tmp_path: Path):
    """How users inspect a load: `pipeline.dataset()` (needs a sqlglot dlt 1.31 can call)."""
    db = tmp_path / "mews.duckdb"
    load_in_process(db, portfolio_sim, days_ago(HISTORY_DAYS + 1))

    dataset = make_pipeline(dlt.destinations.duckdb(str(db)), "mews_raw").dataset()
    ids = {row[0] for row in dataset["reservations"].select("id").fetchall()}
    per_state = dataset("SELECT state, count(*) FROM reservations GROUP BY state").fetchall()

    want = truth(portfolio_sim).reservations
    assert ids == set(want)
    assert dict(per_state) == {s: sum(1 for v in want.values() if v[0] == s) for s, _ in per_state}
    assert sum(n for _, n in per_state) == len(want)


def test_second_run_after_changes_equals_truth_and_drops_lost_age_categories(
    portfolio_sim, tmp_path: Path
):
    db = tmp_path / "mews.duckdb"
    start = days_ago(HISTORY_DAYS + 1)
    load_in_process(db, portfolio_sim, start)
    before = truth(portfolio_sim)

    change = portfolio_sim.data.mutate(fraction=0.05, create=100, seed=5)
    portfolio_sim.reset_stats()
    result = load_in_process(db, portfolio_sim, start)

    assert change.dropped_category_reservation_ids, "the story needs a lost age category"
    assert_equal_to_truth(db, portfolio_sim)
    dropped = change.dropped_category_reservation_ids[0]
    old = {p for p in before.person_counts if p[0] == dropped}
    now = {p for p in truth(portfolio_sim).person_counts if p[0] == dropped}
    assert len(now) < len(old)
    requests = portfolio_sim.stats()["requests"]
    assert requests == result.connections[0].requests
    print(f"incremental run after changes: {requests} requests")


def test_run_with_nothing_changed_makes_one_request_per_resource(portfolio_sim, tmp_path: Path):
    db = tmp_path / "mews.duckdb"
    start = days_ago(HISTORY_DAYS + 1)
    load_in_process(db, portfolio_sim, start, resources=None)
    portfolio_sim.reset_stats()

    load_in_process(db, portfolio_sim, start, resources=None)

    stats = portfolio_sim.stats()
    print(f"quiet run: {stats['requests']} requests {stats['by_path']}")
    # Discovery (services/getAll, which is also the services table), then one request for
    # each other operation: all scopes of an operation share one mark, so one window. Two
    # more: the ChainIds customers need (enterprises/getAll) and the categories the
    # assignments are asked by (resourceCategories/getAll).
    twice = {f"/api/connector/v1/{path}/getAll" for path in ("enterprises", "resourceCategories")}
    assert stats["requests"] == len(RESOURCE_NAMES) + len(twice)
    assert {path for path, count in stats["by_path"].items() if count != 1} == twice
    assert_equal_to_truth(db, portfolio_sim)


def test_run_that_finds_nothing_new_loads_nothing(portfolio_sim, tmp_path: Path):
    """The re-read overlap returns what the last run loaded: those versions are dropped, the
    marks stay, and dlt gets no package; a change after that loads as usual."""
    db = tmp_path / "mews.duckdb"
    start = days_ago(HISTORY_DAYS + 1)
    orders = ["reservations", "product_service_orders"]
    portfolio_sim.data.mutate(fraction=0.01, create=20, seed=3)  # versions inside the overlap
    load_in_process(db, portfolio_sim, start, resources=orders)
    loads_before = _completed_loads(db)

    quiet = load_in_process(db, portfolio_sim, start, resources=orders).connections[0]

    assert quiet.requests > 0 and quiet.pages > 0
    assert (quiet.loads, quiet.rows) == (0, {})
    assert _completed_loads(db) == loads_before
    portfolio_sim.data.mutate(fraction=0.02, create=10, seed=4)
    changed = load_in_process(db, portfolio_sim, start, resources=orders).connections[0]
    assert changed.loads == 1 and changed.rows["reservations"] > 0
    assert_equal_to_truth(db, portfolio_sim)


def _completed_loads(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("select count(*) from mews_raw._dlt_loads where status = 0").fetchone()
    return int(row[0]) if row else 0
