"""One access token per property: each connection its own budget, state and failure."""

from pathlib import Path

import dlt
import pytest

from mews_simulator import SimulatorConfig, running_simulator
from mews_source import RESOURCE_NAMES
from mews_source.runner import make_pipeline, run
from tests.integration.test_service_orders import days_ago
from tests.support import Snapshot, assert_snapshot_equal, loaded, truth


def only_enterprises(snapshot: Snapshot, enterprises: set[str]) -> Snapshot:
    """The part of a snapshot that belongs to some enterprises."""
    reservations = {k: v for k, v in snapshot.reservations.items() if v[2] in enterprises}
    orders = {k: v for k, v in snapshot.orders.items() if v[2] in enterprises}
    counts = {c for c in snapshot.person_counts if c[0] in reservations}
    return Snapshot(reservations, counts, orders, len(reservations), len(orders), len(counts))


@pytest.fixture
def group_sim():
    config = SimulatorConfig(seed=31, enterprise_count=3, reservation_count=4_500,
                             product_service_order_count=900, history_days=300)  # fmt: skip
    with running_simulator(config) as sim:
        yield sim


def test_three_tokens_load_three_enterprises_and_a_failing_token_keeps_the_others(
    group_sim, tmp_path: Path
):
    db = tmp_path / "mews.duckdb"
    enterprises = group_sim.enterprise_ids
    connections = [
        {"name": f"hotel_{i}", "access_token": group_sim.enterprise_tokens[e]}
        for i, e in enumerate(enterprises)
    ]
    names = [c["name"] for c in connections]
    pipeline = make_pipeline(dlt.destinations.duckdb(str(db)), "mews_raw")
    common = {"platform_url": group_sim.url, "client_token": group_sim.client_token,
              "start_date": days_ago(301)}  # fmt: skip

    first = run(pipeline, names, connections=connections, **common)

    assert not first.failed
    assert [c.name for c in first.connections] == names
    assert_snapshot_equal(loaded(db), truth(group_sim))

    group_sim.data.mutate(fraction=0.1, create=30, seed=4)
    broken = [dict(c) for c in connections]
    broken[1]["access_token"] = "NOT-A-TOKEN"
    second = run(pipeline, names, connections=broken, **common)

    assert [c.name for c in second.failed] == ["hotel_1"]
    assert "401" in (second.failed[0].error or "")
    healthy = {enterprises[0], enterprises[2]}
    assert_snapshot_equal(
        only_enterprises(loaded(db), healthy), only_enterprises(truth(group_sim), healthy)
    )
    assert only_enterprises(loaded(db), {enterprises[1]}) != only_enterprises(
        truth(group_sim), {enterprises[1]}
    ), "the failed connection's changes cannot have been loaded"

    third = run(pipeline, names, connections=connections, **common)

    assert not third.failed
    assert_snapshot_equal(loaded(db), truth(group_sim))
    quiet = third.connections[0].requests + third.connections[2].requests
    # one request per operation each (discovery's is the services table's), two for scopes
    assert quiet <= 2 * (len(RESOURCE_NAMES) + 2), "the healthy connections' state had advanced"
