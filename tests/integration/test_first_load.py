"""A backfill into empty tables appends (no staging copy), deduplicated exactly; later runs merge.

The API may hand a run the same record twice (a re-read second when a window is cut, a
boundary read by both windows) and, when its clock runs behind ours, a newer version of a
record the run already appended. Both are forced here through real HTTP to the simulator.
"""

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pytest

from mews_simulator import SimulatorConfig, running_simulator
from tests.support import assert_equal_to_truth, load_in_process, loaded

HISTORY_DAYS = 400
RESERVATIONS_PATH = "/api/connector/v1/reservations/getAll/2023-06-06"


@pytest.fixture
def sim():
    config = SimulatorConfig(
        seed=41,
        enterprise_count=2,
        reservation_count=4_000,
        product_service_order_count=800,
        history_days=HISTORY_DAYS,
    )
    with running_simulator(config) as simulator:
        yield simulator


def start_date() -> str:
    moment = datetime.now(UTC) - timedelta(days=HISTORY_DAYS + 1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


ORDER_TABLES = {"reservations", "reservations__person_counts", "product_service_orders"}


def merged_tables(db: Path) -> set[str]:
    """Order tables in dlt's staging dataset: there only once a load merged into them."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'mews_raw_staging' ORDER BY 1"
        ).fetchall()
    return ORDER_TABLES & {r[0] for r in rows}


class ReservationsTap(httpx.HTTPTransport):
    """Real HTTP; `edit` may change each reservations page (parsed JSON) before it is read."""

    def __init__(self) -> None:
        super().__init__()
        self.pages = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path != RESERVATIONS_PATH or response.status_code != 200:
            return response
        body = orjson.loads(response.read())
        with self._lock:
            self.pages += 1
            self.edit(body["Reservations"], self.pages)
        return httpx.Response(200, content=orjson.dumps(body), request=request)

    def edit(self, records: list[dict[str, Any]], page: int) -> None:
        """Change a page in place; runs under the lock."""


class RepeatingRecords(ReservationsTap):
    """Every page also carries the first record of the page before it (as its first item,
    so the page's cursor stays its own): records the run already has, read again."""

    def __init__(self) -> None:
        super().__init__()
        self.repeated = 0
        self._previous: dict[str, Any] | None = None

    def edit(self, records: list[dict[str, Any]], page: int) -> None:
        if self._previous is not None:
            records.insert(0, self._previous)
            self.repeated += 1
        if records:
            self._previous = records[-1]


class ClockBehind(ReservationsTap):
    """After the first page, the API updates a record of that page stamped 5 s in the past,
    as a server whose clock runs behind ours would: the run reads it again, newer."""

    def __init__(self, simulator: Any) -> None:
        super().__init__()
        self.sim = simulator
        self.updated: str | None = None

    def edit(self, records: list[dict[str, Any]], page: int) -> None:
        if page == 1 and records:
            self.updated = records[0]["Id"]
            past = datetime.now(UTC) - timedelta(seconds=5)
            self.sim.data.mutate(fraction=0, create=0, ids=[self.updated], now=past)


def test_first_backfill_appends_and_the_next_run_merges(sim: Any, tmp_path: Path) -> None:
    db = tmp_path / "mews.duckdb"
    first = load_in_process(db, sim, start_date())
    assert not first.failed and first.connections[0].loads == 1
    assert merged_tables(db) == set(), "the first backfill went through dlt's merge"
    assert_equal_to_truth(db, sim)

    sim.data.mutate(fraction=0.1, create=40, seed=3)
    second = load_in_process(db, sim, start_date())
    assert not second.failed
    assert merged_tables(db) == ORDER_TABLES, "a run into filled tables must merge"
    assert_equal_to_truth(db, sim)


def test_records_read_twice_are_appended_once(sim: Any, tmp_path: Path) -> None:
    db = tmp_path / "mews.duckdb"
    tap = RepeatingRecords()
    result = load_in_process(db, sim, start_date(), transport=tap, concurrency=4)
    assert not result.failed and tap.repeated >= 5
    assert merged_tables(db) == set()
    assert_equal_to_truth(db, sim)  # also: no Id and no person count row twice


def test_a_newer_version_read_in_the_same_run_replaces_the_appended_one(
    sim: Any, tmp_path: Path
) -> None:
    db = tmp_path / "mews.duckdb"
    tap = ClockBehind(sim)
    # One request at a time, windows oldest first: the record's newer version (stamped 5 s
    # ago) sits in the last window, read after the first page appended the older one.
    result = load_in_process(db, sim, start_date(), transport=tap, concurrency=1)
    assert not result.failed and tap.updated is not None
    assert result.connections[0].loads == 2, "the newer version needs a merge load"
    assert "reservations" in merged_tables(db)
    got = assert_equal_to_truth(db, sim)
    assert got.reservations[tap.updated][1] > datetime.now(UTC) - timedelta(minutes=1)
    assert loaded(db).reservation_rows == len(got.reservations)
