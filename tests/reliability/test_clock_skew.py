"""Server and client clocks disagree: nothing is lost or read twice, up to an hour either way.

The server stamps UpdatedUtc with its own clock, so a run's windows must end on that clock.
Changes land while the first run pages (around its end too) and right after it; after the
second run the dataset equals the source.
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mews_simulator import running_simulator
from tests.integration.test_service_orders import days_ago
from tests.reliability.figures import record
from tests.reliability.harness import FAST, HISTORY_DAYS, Damage, damage, load, small_config
from tests.support import assert_equal_to_truth

START = days_ago(HISTORY_DAYS + 1)
OFFSETS = [-3600.0, -120.0, 0.0, 120.0, 3600.0]
SKEW_LINE = re.compile(r"server clock is ([+-]\d+) s")
OFFSET_IDS = [
    "server-1h-behind",
    "server-2m-behind",
    "same-time",
    "server-2m-ahead",
    "server-1h-ahead",
]


@pytest.fixture(params=OFFSETS, ids=OFFSET_IDS)
def sim(request: pytest.FixtureRequest) -> Iterator[Any]:
    config = replace(small_config(seed=11, reservations=1_500), clock_offset_s=request.param)
    with running_simulator(config) as simulator:
        yield simulator


def _fire_pending(sim: Any) -> None:
    """Scheduled changes the first run did not reach happen now, just after it."""
    with sim.state.lock:
        pending, sim.state.scheduled[:] = list(sim.state.scheduled), []
    for item in pending:
        sim.data.mutate(item.fraction, item.create, item.seed)


@pytest.mark.parametrize("overlap", [{"overlap_minutes": 0}, {}], ids=["no-overlap", "default"])
def test_changes_stamped_on_a_skewed_server_clock_are_all_read(
    sim: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, overlap: dict[str, Any]
) -> None:
    db = tmp_path / "mews.duckdb"
    offset = sim.state.config.clock_offset_s
    # While the first run pages, late in it, and right after its last request (its 22nd).
    for seed, after_requests in enumerate((3, 8, 14, 21, 22)):
        sim.schedule_mutation(after_requests, fraction=0.01, create=5, seed=seed)

    with caplog.at_level(logging.INFO, logger="mews_source"):
        first = load(db, sim, START, **FAST, **overlap)
    assert not first.failed, first.failed
    logged = [float(m[1]) for r in caplog.records if (m := SKEW_LINE.search(r.getMessage()))]
    _fire_pending(sim)
    sim.data.mutate(fraction=0.02, create=10, seed=20)  # just after the run

    second = load(db, sim, START, **FAST, **overlap)

    assert not second.failed, second.failed
    final = damage(db, sim)
    record(
        f"server clock {offset:+.0f} s, overlap {overlap.get('overlap_minutes', 'default')}",
        "changes during and right after run 1",
        runs=2, lost=final.lost, duplicated=final.duplicated,
        outcome=", ".join(f"skew {s:+.0f} s logged" for s in logged) or "no skew line",
    )  # fmt: skip
    assert final == Damage(0, 0), final
    assert_equal_to_truth(db, sim)
    if offset:
        assert len(logged) == 1 and abs(logged[0] - offset) <= 2, logged
    else:
        assert not logged, logged
