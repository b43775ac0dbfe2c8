"""The MockTransport adapter and the `python -m mews_simulator` entry point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import orjson

from mews_simulator import SimulatorConfig, build_state, transport

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
        assert httpx.post(info["url"] + SERVICES, json=body).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
