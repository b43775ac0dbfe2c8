"""Connections of one run fetch together: exact per connection, a shared token's budget
shared, a token broken mid-run failing alone."""

from pathlib import Path

import dlt

from mews_simulator import Simulator, SimulatorConfig, running_simulator
from mews_source.runner import make_pipeline, run
from tests.integration.test_connections import only_enterprises
from tests.integration.test_service_orders import days_ago
from tests.support import assert_snapshot_equal, loaded, truth


def one_connection_each(sim: Simulator) -> list[dict[str, str]]:
    """A connection `hotel_<i>` for each enterprise, with the enterprise's own token."""
    return [
        {"name": f"hotel_{i}", "access_token": sim.enterprise_tokens[e]}
        for i, e in enumerate(sim.enterprise_ids)
    ]


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
        connections = one_connection_each(sim)
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


def test_a_token_revoked_mid_run_fails_alone_and_its_next_run_completes(tmp_path: Path) -> None:
    config = SimulatorConfig(seed=43, enterprise_count=3, reservation_count=24_000,
                             product_service_order_count=1_500, history_days=300,
                             rate_limit_requests=2, rate_limit_window_s=1.0)  # fmt: skip
    with running_simulator(config) as sim:
        db = tmp_path / "mews.duckdb"
        pipeline = make_pipeline(dlt.destinations.duckdb(str(db)), "mews_raw")
        enterprises = sim.enterprise_ids
        connections = one_connection_each(sim)
        names = [c["name"] for c in connections]
        args = {"platform_url": sim.url, "client_token": sim.client_token,
                "start_date": days_ago(301), "connections": connections,
                "rate_limit_requests": 2, "rate_limit_window_s": 1.0,
                "load_every_s": 2.0}  # fmt: skip
        resources = ["reservations", "product_service_orders"]
        broken = sim.enterprise_tokens[enterprises[0]]
        # Of its ~20 requests, at 2 a second from the start (6 s): after its first part
        # (2 s) is loaded, before its last (the others' parts of 2 s each come between).
        sim.revoke_after(broken, 12)

        first = run(pipeline, names, resources, **args)

        assert [c.name for c in first.failed] == ["hotel_0"]
        assert "401" in (first.failed[0].error or "")
        assert broken not in (first.failed[0].error or ""), "a token in the summary"
        healthy = {enterprises[1], enterprises[2]}
        assert_snapshot_equal(
            only_enterprises(loaded(db), healthy), only_enterprises(truth(sim), healthy)
        )
        partial = only_enterprises(loaded(db), {enterprises[0]})
        whole = only_enterprises(truth(sim), {enterprises[0]})
        assert 0 < partial.reservation_rows < whole.reservation_rows, "broken mid-run"
        assert set(partial.reservations.items()) <= set(whole.reservations.items())

        sim.restore(broken)
        second = run(pipeline, names, resources, **args)

        assert not second.failed
        assert_snapshot_equal(loaded(db), truth(sim))  # counts rows: a duplicate fails it
        assert second.connections[1].rows.get("reservations", 0) == 0, "hotel_1 had its rows"


def test_a_refresh_together_reloads_every_connection_whole(tmp_path: Path) -> None:
    """A refresh drops every table and all state at the first connection's first load; the
    others' fetches, started before it, must read from start_date too, not from their marks."""
    config = SimulatorConfig(seed=47, enterprise_count=3, reservation_count=3_000,
                             product_service_order_count=600, history_days=200)  # fmt: skip
    with running_simulator(config) as sim:
        db = tmp_path / "mews.duckdb"
        pipeline = make_pipeline(dlt.destinations.duckdb(str(db)), "mews_raw")
        connections = one_connection_each(sim)
        names = [c["name"] for c in connections]
        args = {"platform_url": sim.url, "client_token": sim.client_token,
                "start_date": days_ago(201), "connections": connections}  # fmt: skip
        resources = ["reservations", "product_service_orders"]
        assert not run(pipeline, names, resources, **args).failed
        sim.data.mutate(fraction=0.05, create=50, seed=1)

        refreshed = run(pipeline, names, resources, refresh=True, **args)

        assert not refreshed.failed
        assert_snapshot_equal(loaded(db), truth(sim))
        for connection, enterprise in zip(refreshed.connections, sim.enterprise_ids, strict=True):
            whole = only_enterprises(truth(sim), {enterprise})
            assert connection.rows.get("reservations", 0) == whole.reservation_rows
