"""A runner without its local pipeline directory restores state from DuckDB: no second backfill."""

import os
import shutil
from pathlib import Path

from mews_simulator import running_simulator
from tests.integration.test_service_orders import days_ago
from tests.reliability.figures import record
from tests.reliability.harness import HISTORY_DAYS, damage, load, small_config
from tests.support import assert_equal_to_truth

QUIET_RUN_REQUESTS = 4  # services (discovery), reservations, orders, age categories


def test_fresh_runner_restores_state_from_destination_and_reads_only_what_changed(
    tmp_path: Path,
):
    db = tmp_path / "mews.duckdb"
    start = days_ago(HISTORY_DAYS + 1)
    local_dir = Path(os.environ["DLT_DATA_DIR"])
    with running_simulator(small_config(seed=13)) as sim:
        backfill = load(db, sim, start)
        assert not backfill.failed, backfill.failed
        backfill_requests = sim.stats()["requests"]

        shutil.rmtree(local_dir)
        sim.reset_stats()
        quiet = load(db, sim, start)

        assert not quiet.failed, quiet.failed
        stats = sim.stats()
        assert stats["requests"] <= QUIET_RUN_REQUESTS, stats
        assert all(count == 1 for count in stats["by_path"].values()), stats
        assert_equal_to_truth(db, sim)

        shutil.rmtree(local_dir)
        change = sim.data.mutate(fraction=0.02, create=25, seed=4)
        sim.reset_stats()
        incremental = load(db, sim, start)

        assert not incremental.failed, incremental.failed
        assert sim.stats()["requests"] <= QUIET_RUN_REQUESTS
        assert_equal_to_truth(db, sim)
        result = damage(db, sim)
    record(
        "fresh runner (local pipeline dir deleted before runs 2 and 3)",
        f"DLT_DATA_DIR removed twice; {len(change.updated_reservation_ids)} reservations changed",
        runs=3, lost=result.lost, duplicated=result.duplicated,
        outcome=f"backfill {backfill_requests} requests; after the wipe {stats['requests']}",
    )  # fmt: skip
