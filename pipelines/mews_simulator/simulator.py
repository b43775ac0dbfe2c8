"""The running simulator handle that tests and the demo use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mews_simulator.config import FaultConfig, SimulatorConfig
from mews_simulator.data import SimulatorData
from mews_simulator.server import SimulatorServer
from mews_simulator.state import RequestRecord, SimulatorState, build_state


class Simulator:
    """A started simulator: its address, tokens, ground truth and controls."""

    def __init__(self, state: SimulatorState, url: str) -> None:
        self.state = state
        self.url = url

    @property
    def client_token(self) -> str:
        return self.state.client_token

    @property
    def portfolio_token(self) -> str:
        return self.state.portfolio_token

    @property
    def enterprise_tokens(self) -> dict[str, str]:
        return dict(self.state.enterprise_tokens)

    @property
    def enterprise_ids(self) -> list[str]:
        return self.state.data.enterprise_ids

    @property
    def data(self) -> SimulatorData:
        return self.state.data

    def schedule_mutation(
        self, after_requests: int, fraction: float = 0.02, create: int = 10, seed: int = 0
    ) -> None:
        """Mutate inside the server right after the Nth following getAll request is served."""
        self.state.schedule(after_requests, fraction, create, seed)

    def revoke_after(self, access_token: str, requests: int) -> None:
        """A token revoked mid-run: 401 once it has made `requests` more API requests."""
        self.state.revoke_after(access_token, requests)

    def restore(self, access_token: str) -> None:
        self.state.restore(access_token)

    def set_faults(self, faults: FaultConfig | None) -> None:
        self.state.set_faults(faults)

    def stats(self) -> dict[str, Any]:
        return self.state.stats()

    def request_log(self) -> list[RequestRecord]:
        with self.state.lock:
            return list(self.state.log)

    def reset_stats(self) -> None:
        self.state.reset_stats()


@contextmanager
def running_simulator(config: SimulatorConfig | None = None, port: int = 0) -> Iterator[Simulator]:
    """Serve the simulator on 127.0.0.1 (a free port by default) for the `with` block."""
    state = build_state(config or SimulatorConfig())
    server = SimulatorServer(state, port)
    thread = server.start()
    try:
        yield Simulator(state, server.url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
