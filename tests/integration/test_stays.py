"""`stays_from_start_date`: reservations whose stay starts on or after start_date, however old.

`start_date` bounds `UpdatedUtc`: a reservation booked long ago for a stay after start_date,
and not changed since, is not read by default. With the option on, each scope also reads
reservations by `ScheduledStartUtc`, from start_date on, once; later runs read only what an
earlier start_date adds.
"""

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from mews_simulator import SimulatorConfig, running_simulator
from mews_source import operations, settings
from tests.integration.test_service_orders import days_ago
from tests.reliability.harness import loaded_reservations as loaded
from tests.support import load_in_process, utc

HISTORY_DAYS = 400
STAYS = {"stays_from_start_date": True}


@pytest.fixture
def sim():
    config = SimulatorConfig(
        seed=41,
        enterprise_count=2,
        reservation_count=3_000,
        product_service_order_count=300,
        history_days=HISTORY_DAYS,
    )
    with running_simulator(config) as simulator:
        yield simulator


def wanted(sim: Any, start: str, stays: bool) -> set[str]:
    """Reservations updated since `start`, and with `stays` those whose stay starts after it."""
    since = utc(start)
    return {
        r["Id"]
        for r in sim.data.reservations()
        if utc(r["UpdatedUtc"]) >= since or (stays and utc(r["ScheduledStartUtc"]) >= since)
    }


def stays_windows(sim: Any) -> list[tuple[datetime, datetime]]:
    """The ScheduledStartUtc intervals of every reservations request the simulator answered."""
    return [
        (utc(e.body["ScheduledStartUtc"]["StartUtc"]), utc(e.body["ScheduledStartUtc"]["EndUtc"]))
        for e in sim.request_log()
        if e.path == operations.RESERVATIONS.path and e.body and "ScheduledStartUtc" in e.body
    ]


def run(db: Path, sim: Any, start: str, **extra: Any) -> None:
    result = load_in_process(db, sim, start, resources=["reservations"], **extra)
    assert not result.failed, [c.error for c in result.failed]


def test_stays_from_start_date_loads_old_bookings_of_later_stays(sim: Any, tmp_path: Path):
    start = days_ago(60)
    booked_before = wanted(sim, start, stays=True) - wanted(sim, start, stays=False)
    assert booked_before, "no reservation booked before start_date for a later stay"

    run(tmp_path / "plain.duckdb", sim, start)
    assert set(loaded(tmp_path / "plain.duckdb").reservations) == wanted(sim, start, False)
    assert not stays_windows(sim), "the option is off: no request by stay"

    run(tmp_path / "stays.duckdb", sim, start, **STAYS)
    got = loaded(tmp_path / "stays.duckdb").reservations
    plain = loaded(tmp_path / "plain.duckdb").reservations
    assert set(got) == wanted(sim, start, stays=True)
    assert got == plain | {k: got[k] for k in booked_before}
    windows = stays_windows(sim)
    assert min(low for low, _ in windows) == utc(start)
    assert all(high - low <= settings.STAYS_AHEAD for low, high in windows)


def test_stays_are_read_once_then_only_what_an_earlier_start_adds(sim: Any, tmp_path: Path):
    db = tmp_path / "mews.duckdb"
    later, earlier = days_ago(60), days_ago(120)
    run(db, sim, later, **STAYS)
    sim.reset_stats()

    run(db, sim, later, **STAYS)
    assert not stays_windows(sim), "stays already read back to start_date"
    assert set(loaded(db).reservations) == wanted(sim, later, stays=True)

    sim.reset_stats()
    run(db, sim, earlier, **STAYS)
    windows = stays_windows(sim)
    assert windows, "an earlier start_date reads the stays it adds"
    assert min(low for low, _ in windows) == utc(earlier)
    assert max(high for _, high in windows) == utc(later)
    assert set(loaded(db).reservations) == wanted(sim, earlier, stays=True)
