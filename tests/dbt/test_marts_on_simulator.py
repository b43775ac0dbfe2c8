"""The marts on the loader's own output: every figure recomputed in Python from the simulator.

The simulator's three hotels are in Prague (east of UTC), London and New York (west of it),
with a year of history, so stays cross each zone's daylight-saving changes. The pipeline
loads every table (checked equal to the simulator's truth), `dbt build` runs on that DuckDB
file, and each mart is compared with the same Python recomputations as the sample data's,
here over thousands of generated records instead of a dozen written by hand. (pace_nightly
needs several loads with builds between them: test_pace.py.)
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mews_simulator import SimulatorConfig, running_simulator
from tests.catalogue import assert_tables_equal_truth
from tests.dbt import figures
from tests.dbt.warehouses import DbtBuild, Warehouse, run_dbt_build, simulated_warehouse
from tests.support import assert_equal_to_truth, load_in_process

HISTORY_DAYS = 365


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    db = tmp_path_factory.mktemp("simulated") / "mews.duckdb"
    config = SimulatorConfig(seed=16, enterprise_count=3, reservation_count=3_000,
                             product_service_order_count=300,
                             history_days=HISTORY_DAYS)  # fmt: skip
    start = datetime.now(UTC) - timedelta(days=HISTORY_DAYS + 1)
    with running_simulator(config) as sim:
        result = load_in_process(db, sim, start.strftime("%Y-%m-%dT%H:%M:%SZ"), resources=None)
        assert not result.failed, [c.error for c in result.failed]
        assert_tables_equal_truth(db, sim)
        assert_equal_to_truth(db, sim)
    return simulated_warehouse(db)


@pytest.fixture(scope="module")
def dbt_build(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    built = run_dbt_build(warehouse, tmp_path_factory.mktemp("dbt-simulated"))
    assert built.returncode == 0, built.output[-3000:]
    return built


def test_the_hotels_lie_east_and_west_of_utc(warehouse: Warehouse) -> None:
    now = datetime.now(UTC)
    zones = figures.time_zones(warehouse).values()
    offsets = {ZoneInfo(zone).utcoffset(now).total_seconds() for zone in zones}  # type: ignore[union-attr]
    assert min(offsets) < 0 < max(offsets), offsets


def test_occupancy_nightly_matches_python(warehouse: Warehouse, dbt_build: DbtBuild) -> None:
    loaded = figures.occupancy_nightly(warehouse)
    assert len(loaded) > 100
    assert loaded == figures.expected_occupancy_nightly(warehouse)


def test_revenue_nightly_matches_python(warehouse: Warehouse, dbt_build: DbtBuild) -> None:
    loaded = figures.revenue_nightly(warehouse)
    expected = figures.expected_revenue_nightly(warehouse)
    assert len(loaded) > 100
    assert loaded.keys() == expected.keys()
    for key, row in loaded.items():  # decimal amounts: sums depend on the order of addition
        assert row == pytest.approx(expected[key]), key


def test_cancellations_daily_matches_python(warehouse: Warehouse, dbt_build: DbtBuild) -> None:
    loaded = figures.cancellations_daily(warehouse)
    assert len(loaded) > 10
    assert loaded == figures.expected_cancellations_daily(warehouse)


def test_reservations_by_state_origin_daily_matches_python(
    warehouse: Warehouse, dbt_build: DbtBuild
) -> None:
    counted = figures.reservations_by_state_origin_daily(warehouse)
    assert len(counted) > 100
    assert counted == figures.expected_reservations_by_state_origin_daily(warehouse)


def test_guests_per_night_matches_python(warehouse: Warehouse, dbt_build: DbtBuild) -> None:
    loaded = figures.guests_per_night(warehouse)
    assert len(loaded) > 100
    assert loaded == dict(figures.expected_guests_per_night(warehouse))
