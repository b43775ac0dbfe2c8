"""The same pipeline into a real PostgreSQL: same tables, same exact equality, dbt on top."""

import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import dlt

from mews_simulator import SimulatorConfig, running_simulator
from mews_source.runner import make_pipeline, run
from tests.integration.test_service_orders import days_ago
from tests.support import REPO, assert_snapshot_equal, loaded_postgres, sim_source_args, truth


def dbt_build_postgres(url: str, dataset: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    parts = urlsplit(url)
    env = {
        **os.environ,
        "MEWS_PG_HOST": parts.hostname or "127.0.0.1",
        "MEWS_PG_PORT": str(parts.port or 5432),
        "MEWS_PG_USER": parts.username or "postgres",
        "MEWS_PG_PASSWORD": parts.password or "",
        "MEWS_PG_DATABASE": parts.path.lstrip("/"),
        "MEWS_DATASET": dataset,
        "DBT_LOG_PATH": str(tmp_path / "dbt-logs"),
    }
    dbt = Path(os.sys.executable).with_name("dbt")
    return subprocess.run(
        [str(dbt), "build", "--project-dir", "mews_dbt", "--profiles-dir", "mews_dbt",
         "--target", "postgres", "--target-path", str(tmp_path / "dbt-target")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_postgres_load_equals_truth_twice_and_dbt_builds(postgres_url: str, tmp_path: Path):
    dataset = f"mews_raw_{uuid.uuid4().hex[:8]}"
    config = SimulatorConfig(seed=21, enterprise_count=3, reservation_count=6_000,
                             product_service_order_count=1_000, history_days=400,
                             variation_fraction=0.1)  # fmt: skip
    with running_simulator(config) as sim:
        pipeline = make_pipeline(dlt.destinations.postgres(postgres_url), dataset)
        args = sim_source_args(sim, days_ago(401))

        first = run(pipeline, ["default"], **args)
        assert not first.failed
        assert_snapshot_equal(loaded_postgres(postgres_url, dataset), truth(sim))

        change = sim.data.mutate(fraction=0.05, create=50, seed=8)
        assert change.dropped_category_reservation_ids
        second = run(pipeline, ["default"], **args)
        assert not second.failed
        assert_snapshot_equal(loaded_postgres(postgres_url, dataset), truth(sim))

    built = dbt_build_postgres(postgres_url, dataset, tmp_path)
    assert built.returncode == 0, built.stdout[-3000:]
