"""Sliding-window rate limit and seeded fault injection."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from mews_simulator import FaultConfig, SimulatorConfig
from tests.simulator.helpers import Api, open_api

LIMIT = {"Limitation": {"Count": 5}}


@pytest.fixture
def limited() -> Iterator[Api]:
    config = SimulatorConfig(
        seed=1, reservation_count=500, rate_limit_requests=5, rate_limit_window_s=2.0
    )
    with open_api(config) as api:
        yield api


def test_429_with_retry_after_when_window_is_full(limited: Api) -> None:
    statuses = [limited.post("services", **LIMIT).status_code for _ in range(5)]
    assert statuses == [200] * 5
    rejected = limited.post("services", **LIMIT)
    assert rejected.status_code == 429
    retry_after = int(rejected.headers["Retry-After"])
    assert 1 <= retry_after <= 2
    assert rejected.json()["RequestId"] == rejected.headers["Request-Id"]


def test_limit_is_per_access_token(limited: Api) -> None:
    for _ in range(5):
        limited.post("services", **LIMIT)
    other = limited.sim.enterprise_tokens[limited.sim.enterprise_ids[0]]
    assert limited.post("services", other, **LIMIT).status_code == 200


def test_rejected_requests_do_not_take_a_slot(limited: Api) -> None:
    for _ in range(5):
        limited.post("services", **LIMIT)
    for _ in range(3):
        assert limited.post("services", **LIMIT).status_code == 429
    time.sleep(2.05)
    statuses = [limited.post("services", **LIMIT).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def _outcomes(api: Api, count: int) -> list[str]:
    """What a client observes per request: a status, a dropped or a truncated response."""
    seen = []
    for _ in range(count):
        try:
            response = api.post("services", **LIMIT)
            response.json()
            seen.append(str(response.status_code))
        except httpx.RemoteProtocolError:
            seen.append("broken")
        except ValueError:
            seen.append("invalid-json")
    return seen


MIXED = dict(p_408=0.1, p_500=0.1, p_503=0.1, p_429=0.1, p_429_no_retry_after=0.1, p_drop=0.1,
             p_truncate=0.1)  # fmt: skip


def _run(seed: int) -> list[str]:
    faults = FaultConfig(seed=seed, **MIXED)  # type: ignore[arg-type]
    config = SimulatorConfig(seed=2, reservation_count=200, faults=faults)
    with open_api(config) as api:
        return _outcomes(api, 40)


def test_faults_are_reproducible_by_seed() -> None:
    first, again, other = _run(7), _run(7), _run(8)
    assert first == again
    assert first != other
    assert len(set(first)) >= 4


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"p_408": 1.0}, "408"),
        ({"p_500": 1.0}, "500"),
        ({"p_503": 1.0}, "503"),
        ({"p_429": 1.0}, "429"),
        ({"p_429_no_retry_after": 1.0}, "429"),
        ({"p_drop": 1.0}, "broken"),
        ({"p_truncate": 1.0}, "broken"),
    ],
    ids=["408", "500", "503", "429", "429-no-retry-after", "drop", "truncate"],
)
def test_each_fault_kind(fresh_api: Api, fault: dict[str, float], expected: str) -> None:
    fresh_api.sim.set_faults(FaultConfig(retry_after_s=3, **fault))  # type: ignore[arg-type]
    assert _outcomes(fresh_api, 1) == [expected]
    if expected == "429":
        response = fresh_api.post("services", **LIMIT)
        assert response.headers.get("Retry-After") == ("3" if "p_429" in fault else None)
    fresh_api.sim.set_faults(None)
    assert _outcomes(fresh_api, 1) == ["200"]


def test_slow_fault_delays_then_answers(fresh_api: Api) -> None:
    fresh_api.sim.set_faults(FaultConfig(p_slow=1.0, slow_s=0.3))
    started = time.perf_counter()
    assert fresh_api.post("services", **LIMIT).status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_faults_never_hit_admin_routes(fresh_api: Api) -> None:
    fresh_api.sim.set_faults(FaultConfig(p_500=1.0))
    assert fresh_api.client.get("/_sim/stats").status_code == 200
    assert fresh_api.client.post("/_sim/truth/services").status_code == 200


def test_latency_is_added_per_request_and_item() -> None:
    config = SimulatorConfig(seed=2, reservation_count=300, latency_s=0.1, latency_per_item_s=0.001)
    with open_api(config) as api:
        started = time.perf_counter()
        api.post("reservations", Limitation={"Count": 200})
        assert time.perf_counter() - started >= 0.3


def test_a_revoked_token_answers_401_after_its_countdown_until_restored(fresh_api: Api) -> None:
    token = fresh_api.sim.enterprise_tokens[fresh_api.sim.enterprise_ids[0]]
    portfolio = fresh_api.sim.portfolio_token
    fresh_api.sim.revoke_after(token, 2)
    statuses = [fresh_api.post("services", token, **LIMIT).status_code for _ in range(4)]
    assert statuses == [200, 200, 401, 401]
    assert fresh_api.post("services", portfolio, **LIMIT).status_code == 200, "only that token"
    fresh_api.sim.restore(token)
    assert fresh_api.post("services", token, **LIMIT).status_code == 200
