"""The marts on the loader's own output: every figure recomputed in Python from the simulator.

The simulator's three hotels are in Prague (east of UTC), London and New York (west of it),
with a year of history, so stays cross each zone's daylight-saving changes. The pipeline
loads every table into DuckDB and into PostgreSQL, three times with changes between (each
load checked equal to the simulator's truth), with `dbt build` of pace_nightly after the first
two and of everything after the last. Each mart is compared with the same Python
recomputations as the sample data's, here over thousands of generated records; pace_nightly
with the reservations the simulator held at each load.
"""

from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dlt
import psycopg2
import pytest

from mews_simulator import SimulatorConfig, running_simulator
from mews_source.runner import make_pipeline, run
from tests.catalogue import assert_rows_equal_truth, assert_tables_equal_truth
from tests.dbt import figures
from tests.dbt.pace import expected_pace, pace_nightly
from tests.dbt.raw_tables import DATASET
from tests.dbt.warehouses import (
    DbtBuild,
    Warehouse,
    postgres_url,
    run_dbt_build,
    simulated_postgres_warehouse,
    simulated_warehouse,
)
from tests.support import (
    assert_equal_to_truth,
    assert_snapshot_equal,
    loaded_postgres,
    sim_source_args,
    truth,
    utc,
)

HISTORY_DAYS = 365
CONFIG = SimulatorConfig(seed=16, enterprise_count=3, reservation_count=3_000,
                         product_service_order_count=300, history_days=HISTORY_DAYS)  # fmt: skip


def _load_everything(destination: Any, sim: Any, pipelines_dir: Path) -> None:
    """One run of the real pipeline over every table, from before the simulator's history."""
    start = datetime.now(UTC) - timedelta(days=HISTORY_DAYS + 1)
    pipeline = make_pipeline(destination, DATASET, str(pipelines_dir))
    args = sim_source_args(sim, start.strftime("%Y-%m-%dT%H:%M:%SZ"))
    result = run(pipeline, ["default"], None, **args)
    assert not result.failed, [c.error for c in result.failed]


Target = tuple[Any, Callable[[Any], None], Warehouse]  # destination, truth check, warehouse


def _duckdb(directory: Path) -> Target:
    db = directory / "mews.duckdb"

    def check(sim: Any) -> None:
        assert_tables_equal_truth(db, sim)
        assert_equal_to_truth(db, sim)

    return dlt.destinations.duckdb(str(db)), check, simulated_warehouse(db)


def _postgres(directory: Path) -> Target:
    url = postgres_url()

    def check(sim: Any) -> None:
        with closing(psycopg2.connect(url)) as connection, connection.cursor() as cursor:

            def query(sql: str) -> list[tuple[Any, ...]]:
                cursor.execute(sql)
                return list(cursor.fetchall())

            assert_rows_equal_truth(query, sim)
        assert_snapshot_equal(loaded_postgres(url, DATASET), truth(sim))

    return dlt.destinations.postgres(url), check, simulated_postgres_warehouse()


def _reservations(sim: Any) -> list[dict[str, Any]]:
    """The simulator's reservations now, in the shape reservations_snapshot records."""
    data = sim.data
    return [
        {
            "id": r["Id"],
            "enterprise_id": r.get("EnterpriseId") or data.enterprise_of_service(r["ServiceId"]),
            "state": r["State"],
            "scheduled_start_utc": utc(r["ScheduledStartUtc"]),
            "scheduled_end_utc": utc(r["ScheduledEndUtc"]),
            "updated_utc": utc(r["UpdatedUtc"]),
        }
        for r in data.reservations()
    ]


def _order_items(sim: Any) -> list[dict[str, Any]]:
    """The simulator's order items that were consumed, in the loaded shape."""
    return [
        {
            "service_order_id": item["ServiceOrderId"],
            "enterprise_id": item["EnterpriseId"],
            "type": item["Type"],
            "accounting_state": item["AccountingState"],
            "consumed_utc": utc(item["ConsumedUtc"]),
            "amount__currency": item["Amount"]["Currency"],
            "amount__net_value": item["Amount"]["NetValue"],
        }
        for item in sim.data.order_items()
        if item["ConsumedUtc"]
    ]


@dataclass
class Loads:
    """The warehouse after three loads, and the simulator's truth that pace is made from."""

    warehouse: Warehouse
    reservations: list[list[dict[str, Any]]]  # the simulator's reservations at each load
    order_items: list[dict[str, Any]]  # at the last load
    time_zones: dict[str, str]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("duckdb", id="duckdb"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def loads(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Loads:
    """Three loads of the simulator's data with changes between, in DuckDB or PostgreSQL."""
    directory = tmp_path_factory.mktemp(f"simulated-{request.param}")
    destination, check, warehouse = (_duckdb if request.param == "duckdb" else _postgres)(directory)
    reservations = []
    with running_simulator(CONFIG) as sim:
        for index in range(3):
            if index:  # the snapshot records what the last load brought, then Mews changes
                pace = run_dbt_build(warehouse, directory / f"pace-{index}", "+pace_nightly")
                assert pace.returncode == 0, pace.output[-3000:]
                sim.data.mutate(fraction=0.05, create=50, seed=index)
            _load_everything(destination, sim, directory / "pipelines")
            check(sim)
            reservations.append(_reservations(sim))
        zones = {e["Id"]: e["TimeZoneIdentifier"] for e in sim.data.enterprises()}
        return Loads(warehouse, reservations, _order_items(sim), zones)


@pytest.fixture(scope="module")
def warehouse(loads: Loads) -> Warehouse:
    return loads.warehouse


@pytest.fixture(scope="module")
def dbt_build(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    built = run_dbt_build(warehouse, tmp_path_factory.mktemp(f"dbt-{warehouse.target}"))
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


def test_pace_nightly_matches_python(loads: Loads, dbt_build: DbtBuild) -> None:
    loaded = pace_nightly(loads.warehouse)
    expected = expected_pace(loads.reservations, loads.order_items, loads.time_zones)
    assert len(loaded) > 1000
    assert loaded.keys() == expected.keys()
    counts = {key: (row[0], row[2], row[3]) for key, row in loaded.items()}
    assert counts == {key: (row[0], row[2], row[3]) for key, row in expected.items()}
    for key, row in loaded.items():  # sums of doubles depend on the order of addition
        assert row[1] == pytest.approx(expected[key][1]), key
    assert len({key[0] for key, row in loaded.items() if row[2]}) > 30, "pickup on few dates"


def test_the_snapshot_keeps_the_versions_of_changed_reservations(loads: Loads) -> None:
    rows = loads.warehouse.fetch(
        "select count(*) as versions from mews_analytics.reservations_snapshot"
        " group by reservation_id having count(*) > 1"
    )
    assert len(rows) > 50, "the changes between loads should leave second versions"
