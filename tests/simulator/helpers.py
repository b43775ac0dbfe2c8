"""Helpers for the simulator tests: paths, an API client wrapper and a simulator opener."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from mews_simulator import Simulator, SimulatorConfig, running_simulator

API = "/api/connector/v1/"
PATHS = {
    "reservations": API + "reservations/getAll/2023-06-06",
    "product_service_orders": API + "productServiceOrders/getAll",
    "services": API + "services/getAll",
    "age_categories": API + "ageCategories/getAll",
    "configuration": API + "configuration/get",
}
RESULT_KEYS = {
    "reservations": "Reservations",
    "product_service_orders": "ProductServiceOrders",
    "services": "Services",
    "age_categories": "AgeCategories",
}


@dataclass
class Api:
    """Posts documented request envelopes to one simulator."""

    sim: Simulator
    client: httpx.Client
    paths = PATHS
    result_keys = RESULT_KEYS

    def envelope(self, token: str | None = None, **fields: Any) -> dict[str, Any]:
        return {
            "ClientToken": self.sim.client_token,
            "AccessToken": token or self.sim.portfolio_token,
            "Client": "simulator-tests 1.0",
            **fields,
        }

    def post(self, name: str, token: str | None = None, **fields: Any) -> httpx.Response:
        return self.client.post(self.paths.get(name, name), json=self.envelope(token, **fields))

    def additional_service_ids(self) -> list[str]:
        return [
            s["Id"] for s in self.sim.data.services() if s["Data"]["Discriminator"] == "Additional"
        ]

    def walk(self, name: str, count: int = 1000, **fields: Any) -> list[dict[str, Any]]:
        """Every item of a getAll, following Cursor until it is null."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            response = self.post(name, Limitation={"Count": count, "Cursor": cursor}, **fields)
            assert response.status_code == 200, response.text
            page = response.json()
            items.extend(page[self.result_keys[name]])
            cursor = page["Cursor"]
            if cursor is None:
                return items


@contextmanager
def open_api(config: SimulatorConfig) -> Iterator[Api]:
    """A started simulator and an httpx client on it, both closed on exit."""
    with running_simulator(config) as sim, httpx.Client(base_url=sim.url, timeout=30) as client:
        yield Api(sim, client)
