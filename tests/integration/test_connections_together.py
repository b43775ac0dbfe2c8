"""Connections of one run fetch together: exact per connection, a shared token's budget shared."""

from pathlib import Path

import dlt

from mews_simulator import SimulatorConfig, running_simulator
from mews_source.runner import make_pipeline, run
from tests.integration.test_service_orders import days_ago
from tests.support import assert_snapshot_equal, loaded, truth


def test_two_connections_sharing_one_token_share_its_budget_and_load_each_row_once(
    tmp_path: Path,
) -> None:
    config = SimulatorConfig(seed=37, enterprise_count=2, reservation_count=3_000,
                             product_service_order_count=600, history_days=200,
                             rate_limit_requests=25, rate_limit_window_s=2.0)  # fmt: skip
    with running_simulator(config) as sim:
        db = tmp_path / "mews.duckdb"
        pipeline = make_pipeline(dlt.destinations.duckdb(str(db)), "mews_raw")
        token = sim.portfolio_token
        connections = [{"name": "first", "access_token": token},
                       {"name": "second", "access_token": token}]  # fmt: skip
        args = {"platform_url": sim.url, "client_token": sim.client_token,
                "start_date": days_ago(201), "connections": connections,
                "rate_limit_requests": 25, "rate_limit_window_s": 2.0}  # fmt: skip

        result = run(pipeline, ["first", "second"], ["reservations", "product_service_orders"],
                     **args)  # fmt: skip

        assert not result.failed
        assert all(c.loads for c in result.connections), "each connection loaded"
        assert sim.stats()["by_status"].get(429, 0) == 0, "one token: one budget, not two"
        assert_snapshot_equal(loaded(db), truth(sim))  # counts rows: a duplicate fails it


def test_together_and_one_after_another_load_the_same_rows(tmp_path: Path) -> None:
    config = SimulatorConfig(seed=41, enterprise_count=3, reservation_count=3_000,
                             product_service_order_count=600, history_days=200)  # fmt: skip
    with running_simulator(config) as sim:
        connections = [
            {"name": f"hotel_{i}", "access_token": sim.enterprise_tokens[e]}
            for i, e in enumerate(sim.enterprise_ids)
        ]
        names = [c["name"] for c in connections]
        args = {"platform_url": sim.url, "client_token": sim.client_token,
                "start_date": days_ago(201), "connections": connections}  # fmt: skip
        snapshots = []
        for sequential in (False, True):
            db = tmp_path / f"sequential-{sequential}.duckdb"
            pipeline = make_pipeline(
                dlt.destinations.duckdb(str(db)), "mews_raw", str(tmp_path / f"dlt-{sequential}")
            )
            result = run(pipeline, names, sequential=sequential, **args)
            assert not result.failed
            assert [c.name for c in result.connections] == names
            snapshots.append(loaded(db))
        assert_snapshot_equal(snapshots[0], truth(sim))
        assert_snapshot_equal(snapshots[1], snapshots[0])
