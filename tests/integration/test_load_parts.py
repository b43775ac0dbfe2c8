"""A rate-limited backfill loaded in parts: exact, resumable, and state never ahead of the data.

The simulator holds the connector to 3 requests a second, so requests wait for the budget
and the runner loads what it has every half second while the fetch goes on.
"""

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mews_simulator import SimulatorConfig, running_simulator
from mews_source import settings
from tests.support import (
    assert_equal_to_truth,
    load_in_process,
    reservation_marks,
    rows_behind_state,
    utc,
)

HISTORY_DAYS = 800
RATE = {"rate_limit_requests": 3, "rate_limit_window_s": 1.0}
PARTS = {**RATE, "load_every_s": 0.5, "concurrency": 4}
RESERVATIONS_PATH = "/api/connector/v1/reservations/getAll/2023-06-06"
OVERLAP = settings.DEFAULT_OVERLAP  # the next run re-reads this much before the saved state


@pytest.fixture(scope="module")
def throttled_sim():
    config = SimulatorConfig(
        seed=23,
        enterprise_count=3,
        reservation_count=12_000,
        product_service_order_count=3_000,
        history_days=HISTORY_DAYS,
        rate_limit_requests=RATE["rate_limit_requests"],
        rate_limit_window_s=RATE["rate_limit_window_s"],
        latency_per_item_s=0.0001,  # ~0.1 s per full page
    )
    with running_simulator(config) as sim:
        yield sim


def start_date() -> str:
    moment = datetime.now(UTC) - timedelta(days=HISTORY_DAYS + 1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class RejectingAfter(httpx.HTTPTransport):
    """Real HTTP, but reservations requests after the first `allowed` get a 401."""

    def __init__(self, allowed: int) -> None:
        super().__init__()
        self._left = allowed
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == RESERVATIONS_PATH:
            with self._lock:
                self._left -= 1
                rejected = self._left < 0
            if rejected:
                body = {"Message": "Invalid AccessToken.", "RequestId": "test-401"}
                return httpx.Response(401, json=body, request=request)
        return super().handle_request(request)


def test_throttled_backfill_in_parts_equals_truth_then_the_next_run_is_quiet(
    throttled_sim: Any, tmp_path: Path
) -> None:
    db = tmp_path / "mews.duckdb"
    throttled_sim.reset_stats()

    result = load_in_process(db, throttled_sim, start_date(), **PARTS)

    connection = result.connections[0]
    assert not result.failed, connection.error
    assert connection.loads >= 2, f"expected parts, got {connection.loads} load"
    assert connection.throttled_s > 0
    assert throttled_sim.stats()["by_status"].get(429, 0) == 0
    assert_equal_to_truth(db, throttled_sim)

    throttled_sim.reset_stats()  # at once: the token's window is shared within the process
    quiet = load_in_process(db, throttled_sim, start_date(), **PARTS)
    assert quiet.connections[0].loads == 1
    assert throttled_sim.stats()["by_status"].get(429, 0) == 0
    assert throttled_sim.stats()["requests"] <= 4, "state did not reach the run's end"
    assert_equal_to_truth(db, throttled_sim)


def test_a_run_failing_in_a_later_part_keeps_earlier_parts_and_never_marks_unloaded_rows(
    throttled_sim: Any, tmp_path: Path
) -> None:
    full_db, db = tmp_path / "full.duckdb", tmp_path / "mews.duckdb"
    throttled_sim.reset_stats()
    load_in_process(full_db, throttled_sim, start_date(), **PARTS)
    backfill_requests = throttled_sim.stats()["by_path"][RESERVATIONS_PATH]

    failing = RejectingAfter(allowed=backfill_requests - 3)
    # Start with the token's budget whole, as a scheduled run would: a run that begins
    # throttled spends its first part on pages of windows it cannot finish yet.
    time.sleep(RATE["rate_limit_window_s"] + settings.RATE_LIMIT_MARGIN_S)
    broken = load_in_process(db, throttled_sim, start_date(), transport=failing, **PARTS)

    connection = broken.connections[0]
    assert connection.error and "401" in connection.error and "test-401" in connection.error
    assert connection.loads >= 1, "the failure came before any part was loaded"
    behind, missing = rows_behind_state(db, throttled_sim)
    assert behind, "no part advanced the state"
    assert not missing, f"{len(missing)} of {behind} rows behind the saved state are not loaded"
    resume_from = min(reservation_marks(db).values()) - OVERLAP

    throttled_sim.reset_stats()
    resumed = load_in_process(db, throttled_sim, start_date(), **PARTS)

    assert not resumed.failed
    starts = [
        utc(entry.body["UpdatedUtc"]["StartUtc"])
        for entry in throttled_sim.request_log()
        if entry.path == RESERVATIONS_PATH and entry.body
    ]
    assert starts and min(starts) >= resume_from, "the rerun read again what the state covers"
    assert_equal_to_truth(db, throttled_sim)
    print(f"backfill: {backfill_requests} reservations requests; rerun: {len(starts)}")
