"""Fixtures for the simulator contract tests: running simulators with an API helper."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mews_simulator import SimulatorConfig
from tests.simulator.helpers import Api, open_api


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    """A read-only simulator shared by a module: tests must not mutate it."""
    with open_api(SimulatorConfig(seed=42, rate_limit_requests=100_000)) as api:
        yield api


@pytest.fixture
def fresh_api() -> Iterator[Api]:
    """A simulator of its own, for tests that mutate data or change faults."""
    with open_api(SimulatorConfig(seed=5, rate_limit_requests=100_000)) as api:
        yield api
