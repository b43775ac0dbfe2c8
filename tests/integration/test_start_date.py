"""`start_date` moved earlier after the backfill: the next run loads the missing older range only.

The user wants more history. Nothing is refreshed: the run reads back from the new start to
where the first backfill began, newest window first, plus the usual incremental window.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mews_simulator import SimulatorConfig, running_simulator
from mews_source import operations, settings
from tests.integration.test_service_orders import days_ago
from tests.support import (
    assert_equal_to_truth,
    cli_env,
    load_in_process,
    loaded,
    run_cli,
    utc,
)

HISTORY_DAYS = 400
LATER_START_DAYS = 150  # the first backfill's start: about 60 % of the data is older
ORDER_PATHS = (operations.RESERVATIONS.path, operations.PRODUCT_SERVICE_ORDERS.path)


@pytest.fixture
def sim():
    config = SimulatorConfig(
        seed=31,
        enterprise_count=2,
        reservation_count=3_000,
        product_service_order_count=600,
        history_days=HISTORY_DAYS,
    )
    with running_simulator(config) as simulator:
        yield simulator


def updated_since(sim, start: str) -> set[str]:
    """Ids of the source reservations updated at or after `start`."""
    return {r["Id"] for r in sim.data.reservations() if utc(r["UpdatedUtc"]) >= utc(start)}


def order_windows(sim) -> list[tuple[datetime, datetime]]:
    """The UpdatedUtc intervals of every service-order request the simulator answered."""
    windows = []
    for entry in sim.request_log():
        if entry.path in ORDER_PATHS and entry.body and "UpdatedUtc" in entry.body:
            interval = entry.body["UpdatedUtc"]
            windows.append((utc(interval["StartUtc"]), utc(interval["EndUtc"])))
    return windows


def assert_only_older_range_and_the_recent_window(sim, later: str) -> None:
    """No request reads the middle of the range the first backfill already covered."""
    first_start = utc(later)
    recent = datetime.now(UTC) - settings.DEFAULT_OVERLAP * 2
    windows = order_windows(sim)
    older = [w for w in windows if w[1] <= first_start]
    assert older, "the missing older range was not read"
    assert all(w[1] <= first_start or w[0] >= recent for w in windows), windows


def test_an_earlier_start_date_loads_the_missing_older_range_only(sim, tmp_path: Path):
    db = tmp_path / "mews.duckdb"
    later, earlier = days_ago(LATER_START_DAYS), days_ago(HISTORY_DAYS + 1)
    load_in_process(db, sim, later)
    assert set(loaded(db).reservations) == updated_since(sim, later)
    sim.data.mutate(fraction=0.02, create=20, seed=3)
    sim.reset_stats()

    result = load_in_process(db, sim, earlier)

    assert not result.failed, result.failed
    assert_equal_to_truth(db, sim)
    assert_only_older_range_and_the_recent_window(sim, later)
    sim.reset_stats()
    load_in_process(db, sim, earlier)
    assert sim.stats()["requests"] <= 4, "the older range is read once, not every run"
    assert_equal_to_truth(db, sim)


def test_the_cli_start_date_flag_moves_the_start_the_same_way(sim, tmp_path: Path):
    db = tmp_path / "mews.duckdb"
    later, earlier = days_ago(LATER_START_DAYS), days_ago(HISTORY_DAYS + 1)
    env = cli_env(sim.url, sim.client_token, sim.portfolio_token, db, later)
    env["DLT_DATA_DIR"] = str(tmp_path / "dlt")
    assert run_cli([], env).returncode == 0
    assert set(loaded(db).reservations) == updated_since(sim, later)
    sim.reset_stats()

    done = run_cli(["--start-date", earlier], env)

    assert done.returncode == 0, done.stderr
    assert_equal_to_truth(db, sim)
    assert_only_older_range_and_the_recent_window(sim, later)
