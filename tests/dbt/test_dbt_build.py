"""`dbt build` of mews_dbt passes on each warehouse, and its marts match sums made in Python."""

from datetime import date

import pytest

from tests.dbt.figures import (
    cancellations_daily,
    expected_cancellations_daily,
    expected_guests_per_night,
    expected_occupancy_nightly,
    expected_reservations_by_state_origin_daily,
    expected_revenue_nightly,
    guests_per_night,
    occupancy_nightly,
    reservations_by_state_origin_daily,
    revenue_nightly,
)
from tests.dbt.raw_tables import HOTEL_A, HOTEL_B
from tests.dbt.warehouses import DbtBuild, Warehouse

FAILED = {"error", "fail", "runtime error"}


def test_dbt_build_passes_with_unit_test(dbt_build: DbtBuild) -> None:
    assert dbt_build.returncode == 0, dbt_build.output[-6000:]
    failed = {node: status for node, status in dbt_build.statuses.items() if status in FAILED}
    assert not failed
    unit_tests = [node for node in dbt_build.statuses if node.startswith("unit_test.")]
    assert unit_tests
    assert all(dbt_build.statuses[node] == "pass" for node in unit_tests)


def test_guests_per_night_match_python(warehouse: Warehouse, dbt_build: DbtBuild) -> None:
    assert guests_per_night(warehouse) == expected_guests_per_night(warehouse)


def test_reservations_by_state_origin_daily_match_python(
    warehouse: Warehouse, dbt_build: DbtBuild
) -> None:
    counted = reservations_by_state_origin_daily(warehouse)
    assert counted == expected_reservations_by_state_origin_daily(warehouse)


def test_sample_nights_follow_local_dates_and_skip_canceled_and_departure_days(
    warehouse: Warehouse, dbt_build: DbtBuild
) -> None:
    if not warehouse.holds_sample_data:
        pytest.skip("pinned figures belong to the sample data set")
    guests = guests_per_night(warehouse)
    # 12 May in New York: res-102 (2 adults, a child, an infant) and res-104, arriving 19:30
    # local time (1 adult); res-101 departs that day and res-103 is canceled.
    assert guests[(HOTEL_A, date(2024, 5, 12), "Adult")] == 3
    assert guests[(HOTEL_A, date(2024, 5, 12), "Child")] == 2
    # res-107 arrives at 02:00 UTC on the 15th, 22:00 on the 14th in New York.
    assert guests[(HOTEL_A, date(2024, 5, 14), "Adult")] == 2
    assert (HOTEL_A, date(2024, 5, 15), "Adult") not in guests
    # res-108 spans the start of daylight saving: the nights of 9 and 10 March.
    assert guests[(HOTEL_A, date(2024, 3, 9), "Adult")] == 1
    assert guests[(HOTEL_A, date(2024, 3, 10), "Adult")] == 1
    # Hotel B in Tokyo: res-201 stays one night; res-202, 08:00 to 18:00 UTC, is 17:00 to 03:00
    # the next day local time: one night.
    assert {key: n for key, n in guests.items() if key[0] == HOTEL_B} == {
        (HOTEL_B, date(2024, 5, 10), "Adult"): 2,
        (HOTEL_B, date(2024, 5, 10), "Child"): 2,
        (HOTEL_B, date(2024, 5, 11), "Adult"): 1,
    }


def test_undocumented_state_warns_without_failing(
    warehouse: Warehouse, dbt_build: DbtBuild
) -> None:
    if not warehouse.holds_sample_data:
        pytest.skip("only the sample data set has a reservation in state 'Waitlisted'")
    state_test = "test.mews_dbt.accepted_values_stg_mews__reservations_state_"
    statuses = [
        status for node, status in dbt_build.statuses.items() if node.startswith(state_test)
    ]
    assert statuses == ["warn"]


def test_cancellations_daily_match_python(warehouse: Warehouse, dbt_build: DbtBuild) -> None:
    assert cancellations_daily(warehouse) == expected_cancellations_daily(warehouse)


def test_sample_cancellations_fall_on_local_days(warehouse: Warehouse, dbt_build: DbtBuild) -> None:
    if not warehouse.holds_sample_data:
        pytest.skip("pinned figures belong to the sample data set")
    # New York: res-103 (3 nights, 38 days ahead) and res-109 (2 nights, created on 9 April
    # local time, 41 days ahead); Tokyo: res-203 canceled at 05:00 on 3 May local time.
    assert cancellations_daily(warehouse) == {
        (HOTEL_A, date(2024, 5, 1)): (2, 5, 39.5),
        (HOTEL_B, date(2024, 5, 3)): (1, 3, 44.0),
    }


def test_occupancy_nightly_match_python(warehouse: Warehouse, dbt_build: DbtBuild) -> None:
    assert occupancy_nightly(warehouse) == expected_occupancy_nightly(warehouse)


def test_sample_occupancy_counts_local_nights_and_out_of_order_rooms(
    warehouse: Warehouse, dbt_build: DbtBuild
) -> None:
    if not warehouse.holds_sample_data:
        pytest.skip("pinned figures belong to the sample data set")
    figures = occupancy_nightly(warehouse)
    # Four active doubles, one out of order on 11 and 12 May (New York time); res-102 stays,
    # res-104 is waitlisted and res-101 leaves on the 12th.
    assert figures[(HOTEL_A, date(2024, 5, 12), "cat-a-double")] == (3, 1, 1 / 3)
    assert figures[(HOTEL_A, date(2024, 5, 13), "cat-a-double")] == (4, 1, 0.25)
    # res-107's night is the 14th local time; res-108 sold both nights around the DST change.
    assert figures[(HOTEL_A, date(2024, 5, 14), "cat-a-double")] == (4, 1, 0.25)
    assert figures[(HOTEL_A, date(2024, 3, 10), "cat-a-double")] == (4, 1, 0.25)
    assert figures[(HOTEL_A, date(2024, 3, 10), "cat-a-single")] == (1, 0, 0.0)
    # Tokyo: res-202's local night of 11 May, one of two rooms out of order.
    assert {key: v for key, v in figures.items() if key[0] == HOTEL_B} == {
        (HOTEL_B, date(2024, 5, 11), "cat-b-double"): (1, 1, 1.0),
    }


def test_revenue_nightly_match_python(warehouse: Warehouse, dbt_build: DbtBuild) -> None:
    figures = revenue_nightly(warehouse)
    expected = expected_revenue_nightly(warehouse)
    if warehouse.holds_sample_data:
        assert figures == expected
    else:  # real amounts are decimal fractions: their sums depend on the order of addition
        assert figures.keys() == expected.keys()
        for key, row in figures.items():
            assert row == pytest.approx(expected[key]), key


def test_sample_revenue_counts_each_room_once_on_local_nights(
    warehouse: Warehouse, dbt_build: DbtBuild
) -> None:
    if not warehouse.holds_sample_data:
        pytest.skip("pinned figures belong to the sample data set")
    # New York has five active rooms in two categories; on 12 May one is out of order.
    assert revenue_nightly(warehouse) == {
        (HOTEL_A, date(2024, 5, 12), "USD"): (100.5, 110.5, 1, 4, 100.5, 25.125),
        (HOTEL_A, date(2024, 5, 12), "EUR"): (80.25, 90.0, 1, 4, 80.25, 20.0625),
        (HOTEL_A, date(2024, 5, 14), "USD"): (150.0, 165.0, 1, 5, 150.0, 30.0),
        (HOTEL_A, date(2024, 3, 10), "USD"): (70.0, 77.0, 1, 5, 70.0, 14.0),
        (HOTEL_B, date(2024, 5, 11), "JPY"): (12000.0, 13200.0, 1, 1, 12000.0, 12000.0),
    }
