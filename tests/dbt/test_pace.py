"""pace_nightly after three loads with `dbt build` between them matches pace made in Python.

Each run changes reservations the way Mews does (a cancellation, new bookings, date changes),
with UpdatedUtc on different local days, so reservations_snapshot records several versions. The
Python side rebuilds the versions from the rows loaded in each run and counts the books of each
local snapshot date with zoneinfo. New York's changes fall late in the evening (the next day in
UTC), one across the start of daylight saving; Tokyo's early in the morning (the day before in
UTC), one at exactly local midnight.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.dbt.pace import ANALYTICS, expected_pace, pace_nightly
from tests.dbt.raw_tables import (
    HOTEL_A,
    HOTEL_B,
    ORDER_ITEMS,
    RESERVATIONS,
    STAY_SERVICE,
    TIME_ZONES,
    _reservation,
)
from tests.dbt.warehouses import DbtBuild, Warehouse, run_dbt_build


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _changed(number: str, updated: str, **fields: Any) -> dict[str, Any]:
    """The reservation res-<number> as loaded now, changed at updated (UTC)."""
    row = next(row for row in RESERVATIONS if row["id"] == f"res-{number}")
    return row | {"updated_utc": _utc(updated)} | fields


def _moved(number: str, updated: str, stay: tuple[str, str]) -> dict[str, Any]:
    start, end = _utc(stay[0]), _utc(stay[1])
    times = {"scheduled_start_utc": start, "scheduled_end_utc": end}
    return _changed(number, updated, start_utc=start, end_utc=end, **times)


def _item(item_id: str, reservation_id: str, net: float, consumed: str) -> dict[str, Any]:
    stamp = _utc("2024-05-06 02:30")
    return {
        "id": item_id, "enterprise_id": HOTEL_A, "service_id": STAY_SERVICE[HOTEL_A],
        "service_order_id": reservation_id, "type": "SpaceOrder", "accounting_state": "Open",
        "amount__currency": "USD", "amount__net_value": net, "amount__gross_value": net,
        "consumed_utc": _utc(consumed), "created_utc": stamp, "updated_utc": stamp,
    }  # fmt: skip


_RES_110 = _reservation(
    "110", HOTEL_A, "Confirmed", "Distributor", "2024-05-06 02:30",  # 22:30 on 5 May in NY
    ("2024-05-18 19:00", "2024-05-21 15:00"),  # the nights of 18, 19 and 20 May
)  # fmt: skip
_RES_204 = _reservation(
    "204", HOTEL_B, "Confirmed", "Distributor", "2024-05-07 15:00",  # 00:00 on 8 May in Tokyo
    ("2024-05-25 06:00", "2024-05-27 02:00"),  # the nights of 25 and 26 May
)  # fmt: skip

# Rows changed in the second and third loads (the first loads raw_tables' reservations).
RUN_2 = [
    # Canceled 23:00 on 4 May in New York, the 5th in UTC.
    _changed("106", "2024-05-05 03:00", state="Canceled", cancelled_utc=_utc("2024-05-05 03:00")),
    _RES_110,
    # Moved at 23:30 on 7 May in New York from the night of 14 May to that of the 16th.
    _moved("107", "2024-05-08 03:30", ("2024-05-17 02:00", "2024-05-18 02:00")),
    # Cut to the night of 9 March at 23:30 EST on the 9th; at the EDT offset it would be the 10th.
    _moved("108", "2024-03-10 04:30", ("2024-03-09 23:30", "2024-03-10 15:00")),
    # Optional to Confirmed at 01:00 on 5 May in Tokyo, the 4th in UTC.
    _changed("201", "2024-05-04 16:00", state="Confirmed"),
    _RES_204,
]
RUN_3 = [
    # Canceled at 10:00 on 9 May in New York.
    _RES_110
    | {"state": "Canceled", "updated_utc": _utc("2024-05-09 14:00")}
    | {"cancelled_utc": _utc("2024-05-09 14:00")},
    # Back to the night of 14 May: res-107's third version.
    _moved("107", "2024-05-10 12:00", ("2024-05-15 02:00", "2024-05-16 02:00")),
    # Extended at 05:00 on 8 May in Tokyo: the version of 00:00 that day never ends a day.
    _RES_204
    | {"updated_utc": _utc("2024-05-07 20:00"), "scheduled_end_utc": _utc("2024-05-28 02:00")},
]
ORDER_ITEMS_RUN_2 = [
    _item("oi-8", "res-110", 90.0, "2024-05-19 19:00"),
    _item("oi-9", "res-110", 95.5, "2024-05-20 19:00"),
]


@dataclass
class PaceRuns:
    builds: list[DbtBuild]
    loaded: list[list[dict[str, Any]]]  # reservation rows loaded by each run, in order


@pytest.fixture(scope="module")
def pace_runs(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> PaceRuns:
    """Three loads of reservations, each followed by `dbt build` of pace_nightly and upstream."""
    if not warehouse.holds_sample_data:
        pytest.skip("the runs change the sample data set")
    work_dir: Path = tmp_path_factory.mktemp(f"pace-{warehouse.target}")
    builds = [run_dbt_build(warehouse, work_dir / "run-1", "+pace_nightly")]
    for index, rows in enumerate((RUN_2, RUN_3), start=2):
        warehouse.replace_rows("reservations", rows)
        if index == 2:
            warehouse.replace_rows("order_items", ORDER_ITEMS_RUN_2)
        builds.append(run_dbt_build(warehouse, work_dir / f"run-{index}", "+pace_nightly"))
    return PaceRuns(builds, [RESERVATIONS, RUN_2, RUN_3])


def test_each_run_builds_pace_and_its_tests(pace_runs: PaceRuns) -> None:
    for build in pace_runs.builds:
        assert build.returncode == 0, build.output[-6000:]
        assert "snapshot.mews_dbt.reservations_snapshot" in build.statuses
        assert any(node.startswith("test.mews_dbt.pace_nightly_pickup") for node in build.statuses)


def test_snapshot_keeps_every_version_loaded(warehouse: Warehouse, pace_runs: PaceRuns) -> None:
    rows = warehouse.fetch(
        f"select reservation_id, count(*) as versions from {ANALYTICS}.reservations_snapshot"
        " group by reservation_id"
    )
    counted = {row["reservation_id"]: row["versions"] for row in rows}
    assert counted["res-107"] == 3
    assert counted["res-110"] == 2
    assert counted["res-101"] == 1


def test_pace_nightly_match_python(warehouse: Warehouse, pace_runs: PaceRuns) -> None:
    items = ORDER_ITEMS + ORDER_ITEMS_RUN_2
    assert pace_nightly(warehouse) == expected_pace(pace_runs.loaded, items, TIME_ZONES)


def test_pace_counts_versions_by_local_day(warehouse: Warehouse, pace_runs: PaceRuns) -> None:
    pace = pace_nightly(warehouse)
    # res-108's cut at 23:30 EST on 9 March takes the night of the 10th off the books that day.
    assert pace[(date(2024, 3, 8), HOTEL_A, date(2024, 3, 10))][0] == 1
    assert pace[(date(2024, 3, 9), HOTEL_A, date(2024, 3, 10))] == (0, 0.0, -1, -1)
    assert pace[(date(2024, 3, 9), HOTEL_A, date(2024, 3, 9))] == (1, 0.0, 0, 0)
    # The night of 20 May in New York: res-106 canceled on the 4th local time, res-110 booked on
    # the 5th (95.50 of room revenue) and canceled on the 9th.
    assert pace[(date(2024, 5, 4), HOTEL_A, date(2024, 5, 20))] == (0, 0.0, -1, -1)
    assert pace[(date(2024, 5, 5), HOTEL_A, date(2024, 5, 20))] == (1, 95.5, 1, 0)
    assert pace[(date(2024, 5, 9), HOTEL_A, date(2024, 5, 20))] == (0, 0.0, -1, -1)
    # res-102's night of 12 May is billed in USD and EUR: no single revenue figure.
    assert pace[(date(2024, 5, 1), HOTEL_A, date(2024, 5, 12))][:2] == (1, None)
    # Tokyo: res-204 is on the books from 8 May local time, at once in its extended version.
    assert pace[(date(2024, 5, 7), HOTEL_B, date(2024, 5, 27))] == (0, 0.0, 0, 0)
    assert pace[(date(2024, 5, 8), HOTEL_B, date(2024, 5, 27))] == (1, 0.0, 1, 1)
    # res-201 confirmed at 01:00 on 5 May in Tokyo.
    assert pace[(date(2024, 5, 4), HOTEL_B, date(2024, 5, 10))][0] == 0
    assert pace[(date(2024, 5, 5), HOTEL_B, date(2024, 5, 10))] == (1, 0.0, 1, 1)
