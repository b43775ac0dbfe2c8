"""Mutable simulator state shared by the adapters: data, tokens, rate windows, stats and log."""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from mews_simulator.config import (
    DEMO_ACCESS_TOKEN,
    DEMO_CLIENT_TOKEN,
    FaultConfig,
    SimulatorConfig,
)
from mews_simulator.data import SimulatorData
from mews_simulator.ids import new_token

LOG_KEPT = 100_000
SECRET_FIELDS = ("ClientToken", "AccessToken")


@dataclass(frozen=True)
class RequestRecord:
    """One API request as received, without its tokens."""

    path: str
    status: int
    body: dict[str, Any] | None


@dataclass
class ScheduledMutation:
    """A mutation that fires after `remaining` more getAll requests have been served."""

    remaining: int
    fraction: float
    create: int
    seed: int


@dataclass
class SimulatorState:
    """Everything `api.handle` reads or changes; guarded by `lock` (the data lock)."""

    config: SimulatorConfig
    data: SimulatorData
    client_token: str = DEMO_CLIENT_TOKEN
    portfolio_token: str = DEMO_ACCESS_TOKEN
    enterprise_tokens: dict[str, str] = field(default_factory=dict)
    faults: FaultConfig | None = None
    fault_rng: random.Random = field(default_factory=random.Random)
    windows: dict[str, deque[float]] = field(default_factory=dict)
    requests: int = 0
    by_path: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    by_fault: Counter[str] = field(default_factory=Counter)
    log: deque[RequestRecord] = field(default_factory=lambda: deque(maxlen=LOG_KEPT))
    scheduled: list[ScheduledMutation] = field(default_factory=list)
    # AccessToken -> API requests it may still make before it is revoked (answers 401)
    revocations: dict[str, int] = field(default_factory=dict)

    @property
    def lock(self) -> threading.RLock:
        return self.data.lock

    def scope_of(self, access_token: str) -> list[str] | None:
        """Enterprise ids an AccessToken may see, or None when the token is unknown."""
        if self.revocations.get(access_token, 1) <= 0:
            return None
        if access_token == self.portfolio_token:
            return self.data.enterprise_ids
        for enterprise_id, token in self.enterprise_tokens.items():
            if token == access_token:
                return [enterprise_id]
        return None

    def set_faults(self, faults: FaultConfig | None) -> None:
        """Replace the fault plan and restart its seeded draw sequence."""
        with self.lock:
            self.faults = faults
            self.fault_rng = random.Random(faults.seed if faults else 0)

    def record(self, path: str, status: int, body: dict[str, Any] | None) -> None:
        """Count one API request and log it with the tokens removed."""
        clean = None if body is None else {k: v for k, v in body.items() if k not in SECRET_FIELDS}
        with self.lock:
            self.requests += 1
            self.by_path[path] += 1
            self.by_status[status] += 1
            self.log.append(RequestRecord(path, status, clean))

    def count_fault(self, kind: str) -> None:
        """Count one injected fault: a broken 200 is logged as a 200, so the log cannot tell."""
        with self.lock:
            self.by_fault[kind] += 1

    def schedule(self, after_requests: int, fraction: float, create: int, seed: int) -> None:
        """Mutate the data right after the `after_requests`-th following getAll is served."""
        with self.lock:
            self.scheduled.append(ScheduledMutation(after_requests, fraction, create, seed))

    def revoke_after(self, access_token: str, requests: int) -> None:
        """Answer 401 to `access_token` once it has made `requests` more API requests."""
        with self.lock:
            self.revocations[access_token] = requests

    def restore(self, access_token: str) -> None:
        """Accept a revoked token again."""
        with self.lock:
            self.revocations.pop(access_token, None)

    def count_use(self, access_token: str) -> None:
        """One accepted request of a token under a revocation countdown."""
        if access_token in self.revocations:
            self.revocations[access_token] -= 1

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "by_path": dict(self.by_path),
                "by_status": dict(self.by_status),
                "by_fault": dict(self.by_fault),
            }

    def reset_stats(self) -> None:
        with self.lock:
            self.requests = 0
            self.by_path.clear()
            self.by_status.clear()
            self.by_fault.clear()
            self.log.clear()


def build_state(config: SimulatorConfig) -> SimulatorState:
    """Seed data plus one deterministic AccessToken per enterprise."""
    data = SimulatorData(config)
    rng = random.Random(f"tokens-{config.seed}")
    tokens = {enterprise_id: new_token(rng) for enterprise_id in data.enterprise_ids}
    state = SimulatorState(config=config, data=data, enterprise_tokens=tokens)
    state.set_faults(config.faults)
    return state
