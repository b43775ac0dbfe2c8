"""Data changes: mutate(), schedule_mutation() mid-pagination, and the admin routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from mews_simulator.times import parse_utc
from tests.simulator.helpers import Api


def _by_id(items: list[dict]) -> dict[str, dict]:
    return {item["Id"]: item for item in items}


def _window_since(start: datetime) -> dict[str, str]:
    """From just before `start` (mutations stamp at ms precision) to a little after now.

    Generated history may be updated up to a second before the simulator was built, so a
    window reaching minutes back would catch untouched records too.
    """
    end = datetime.now(UTC) + timedelta(minutes=5)
    return {"StartUtc": (start - timedelta(milliseconds=1)).isoformat(), "EndUtc": end.isoformat()}


def test_mutate_changes_updated_utc_and_person_counts(fresh_api: Api) -> None:
    data = fresh_api.sim.data
    before = _by_id(data.reservations())
    orders_before = _by_id(data.product_service_orders())
    started = datetime.now(UTC)
    mutation = data.mutate(fraction=0.05, create=20, seed=3)
    after = _by_id(data.reservations())
    assert len(mutation.updated_reservation_ids) == round(len(before) * 0.05)
    assert mutation.dropped_category_reservation_ids
    assert set(mutation.dropped_category_reservation_ids) <= set(mutation.updated_reservation_ids)
    for rid in mutation.updated_reservation_ids:
        old, new = before[rid], after[rid]
        assert (parse_utc(new["UpdatedUtc"]) or 0) >= (parse_utc(started.isoformat()) or 0) - 1000
        assert new["PersonCounts"] != old["PersonCounts"]
    for rid in mutation.dropped_category_reservation_ids:
        assert len(after[rid]["PersonCounts"]) == len(before[rid]["PersonCounts"]) - 1
    assert len(after) == len(before) + 20
    for rid in mutation.created_reservation_ids:
        assert after[rid]["CreatedUtc"] == after[rid]["UpdatedUtc"]
    orders_after = _by_id(data.product_service_orders())
    assert len(orders_after) == len(orders_before) + 20
    assert all(
        orders_after[o]["UpdatedUtc"] != orders_before[o]["UpdatedUtc"]
        for o in mutation.updated_order_ids
    )


def test_mutation_is_served_by_the_api(fresh_api: Api) -> None:
    started = datetime.now(UTC)
    mutation = fresh_api.sim.data.mutate(fraction=0.01, create=5, seed=4)
    served = fresh_api.walk("reservations", UpdatedUtc=_window_since(started))
    expected = set(mutation.updated_reservation_ids) | set(mutation.created_reservation_ids)
    assert {r["Id"] for r in served} == expected
    truth = _by_id(fresh_api.sim.data.reservations())
    assert all(r == truth[r["Id"]] for r in served)


def test_mutate_by_ids_touches_exactly_those(fresh_api: Api) -> None:
    rid = fresh_api.sim.data.reservations()[0]["Id"]
    mutation = fresh_api.sim.data.mutate(create=0, ids=[rid])
    assert mutation.updated_reservation_ids == [rid]
    assert not mutation.updated_order_ids and not mutation.created_reservation_ids


def test_scheduled_mutation_fires_mid_pagination(fresh_api: Api) -> None:
    api = fresh_api
    started = datetime.now(UTC)
    api.sim.schedule_mutation(after_requests=2, fraction=0.05, create=10, seed=6)
    pages, cursor = [], None
    while True:
        page = api.post("reservations", Limitation={"Count": 500, "Cursor": cursor})
        assert page.status_code == 200
        pages.append(page.json()["Reservations"])
        changed = [
            r for r in api.sim.data.reservations()
            if (parse_utc(r["UpdatedUtc"]) or 0) >= (parse_utc(started.isoformat()) or 0)
        ]  # fmt: skip
        assert bool(changed) is (len(pages) >= 2), f"mutation state wrong after page {len(pages)}"
        cursor = page.json()["Cursor"]
        if cursor is None or len(pages) == 4:
            break
    newest = api.post("reservations", Limitation={"Count": 10}).json()["Reservations"]
    assert {r["Id"] for r in newest} <= {r["Id"] for r in changed}


def test_admin_routes(fresh_api: Api) -> None:
    client: httpx.Client = fresh_api.client
    truth = client.get("/_sim/truth/reservations").json()
    assert len(truth) == len(fresh_api.sim.data.reservations())
    for name in ("product_service_orders", "services", "age_categories"):
        assert client.post(f"/_sim/truth/{name}").json() == getattr(fresh_api.sim.data, name)()
    mutation = client.post("/_sim/mutate", json={"fraction": 0.01, "create": 3, "seed": 1}).json()
    assert len(mutation["created_reservation_ids"]) == 3
    assert client.post("/_sim/faults", json={"p_503": 1.0}).status_code == 200
    assert fresh_api.post("services", Limitation={"Count": 1}).status_code == 503
    assert client.post("/_sim/faults", json=None).status_code == 200
    assert fresh_api.post("services", Limitation={"Count": 1}).status_code == 200
    scheduled = client.post("/_sim/schedule_mutation", json={"after_requests": 1, "create": 2})
    assert scheduled.status_code == 200
    count = len(fresh_api.sim.data.reservations())
    fresh_api.post("services", Limitation={"Count": 1})
    assert len(fresh_api.sim.data.reservations()) == count + 2
    stats = client.get("/_sim/stats").json()
    assert stats["by_status"]["503"] == 1
    assert client.post("/_sim/nope").status_code == 404


def test_stats_and_request_log_omit_tokens(fresh_api: Api) -> None:
    fresh_api.sim.reset_stats()
    fresh_api.post("services", Limitation={"Count": 1})
    fresh_api.post("services")
    stats = fresh_api.sim.stats()
    assert stats["requests"] == 2
    assert stats["by_status"] == {200: 1, 400: 1}
    assert stats["by_path"] == {fresh_api.paths["services"]: 2}
    log = fresh_api.sim.request_log()
    assert [r.status for r in log] == [200, 400]
    assert all(r.body and "ClientToken" not in r.body and "AccessToken" not in r.body for r in log)
    assert log[0].body == {"Client": "simulator-tests 1.0", "Limitation": {"Count": 1}}
