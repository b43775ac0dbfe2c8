"""The MockTransport adapter and the `python -m mews_simulator` entry point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import orjson
import pytest

from mews_simulator import (
    SimulatorConfig,
    SimulatorState,
    build_state,
    running_simulator,
    transport,
)

SERVICES = "/api/connector/v1/services/getAll"


def test_mock_transport_serves_the_same_handler() -> None:
    state = build_state(SimulatorConfig(seed=3, reservation_count=100))
    with httpx.Client(transport=transport(state), base_url="https://api.mews-demo.com") as client:
        body = {
            "ClientToken": state.client_token,
            "AccessToken": state.portfolio_token,
            "Client": "t 1.0",
            "Limitation": {"Count": 100},
        }
        response = client.post(SERVICES, json=body)
        assert response.status_code == 200
        assert response.json()["Services"] == sorted(
            state.data.services(), key=lambda s: (s["UpdatedUtc"], s["Id"]), reverse=True
        )
        assert client.post(SERVICES + "/", json=body).status_code == 404
        assert client.post(SERVICES, json={**body, "AccessToken": "x"}).status_code == 401
    assert state.stats()["by_status"] == {200: 1, 404: 1, 401: 1}


def test_module_entry_point_prints_info_and_serves() -> None:
    pipelines = Path(__file__).resolve().parents[2] / "pipelines"
    env = {**os.environ, "PYTHONPATH": str(pipelines)}
    command = [sys.executable, "-m", "mews_simulator", "--reservations", "200", "--seed", "1"]
    command += ["--clock-offset", "-3600"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout is not None
        info = orjson.loads(proc.stdout.readline())
        assert set(info) == {
            "url", "client_token", "portfolio_token", "enterprise_tokens", "enterprise_ids"
        }  # fmt: skip
        assert len(info["enterprise_ids"]) == 3
        body = {
            "ClientToken": info["client_token"],
            "AccessToken": info["portfolio_token"],
            "Client": "t 1.0",
            "Limitation": {"Count": 1},
        }
        response = httpx.post(info["url"] + SERVICES, json=body)
        assert response.status_code == 200
        behind = datetime.now(UTC) - timedelta(hours=1) - _date_of(response)
        assert timedelta(0) <= behind < timedelta(seconds=3)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def _clock_offset_state(offset_s: float) -> SimulatorState:
    return build_state(SimulatorConfig(seed=3, reservation_count=50, clock_offset_s=offset_s))


def _date_of(response: httpx.Response) -> datetime:
    dates = response.headers.get_list("Date")
    assert len(dates) == 1, dates
    return parsedate_to_datetime(dates[0])


@pytest.mark.parametrize("offset_s", [-3600.0, 0.0, 120.0], ids=["behind-1h", "same", "ahead-2m"])
def test_every_answer_carries_the_simulator_clock_in_its_date_header(offset_s: float) -> None:
    state = _clock_offset_state(offset_s)
    body = {"ClientToken": state.client_token, "AccessToken": state.portfolio_token}
    with running_simulator(state.config) as sim:
        served = [
            httpx.post(sim.url + SERVICES, json={**body, "Client": "t 1.0"}),  # 200
            httpx.post(sim.url + SERVICES, json=body),  # 400: no Client
        ]
    with httpx.Client(transport=transport(state), base_url="https://api.mews-demo.com") as client:
        served.append(client.post(SERVICES + "/x", json=body))  # 404
    for response in served:
        server_now = datetime.now(UTC) + timedelta(seconds=offset_s)
        assert timedelta(0) <= server_now - _date_of(response) < timedelta(seconds=3)


def test_changes_are_stamped_with_the_simulator_clock() -> None:
    state = _clock_offset_state(-3600.0)
    mutation = state.data.mutate(fraction=0.1, create=2, seed=1)
    stamped = {r["Id"]: r["UpdatedUtc"] for r in state.data.reservations()}
    server_now = datetime.now(UTC) - timedelta(hours=1)
    for rid in mutation.updated_reservation_ids + mutation.created_reservation_ids:
        assert abs(datetime.fromisoformat(stamped[rid]) - server_now) < timedelta(seconds=5)
