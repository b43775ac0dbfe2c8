"""Simulator settings, and the public demo tokens from guidelines/environments.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Gross pricing demo environment, integration "Are you ready to integrate with Mews?".
DEMO_CLIENT_TOKEN = "E0D439EE522F44368DC78E1BFB03710C-D24FB11DBE31D4621C4817E028D9E1D"
DEMO_ACCESS_TOKEN = "C66EF7B239D24632943D115EDE9CB810-EA00F8FD8294692C940F6B5A8F9453D"


@dataclass(frozen=True)
class FaultConfig:
    """Probabilities of injected failures; one draw per API request from Random(seed)."""

    seed: int = 7
    p_408: float = 0.0
    p_500: float = 0.0
    p_503: float = 0.0
    p_429: float = 0.0
    p_429_no_retry_after: float = 0.0
    p_drop: float = 0.0
    p_truncate: float = 0.0
    p_slow: float = 0.0
    # Broken answers, as a proxy or a failing server sends them: all with status 200.
    p_endless: float = 0.0  # a body that never ends (chunked filler)
    p_trickle: float = 0.0  # the real body, one byte at a time
    p_huge: float = 0.0  # the real body padded with whitespace to `huge_bytes`
    p_html: float = 0.0  # an HTML page
    p_empty: float = 0.0  # no body at all
    slow_s: float = 2.0
    retry_after_s: int = 1
    trickle_byte_s: float = 0.002  # pause before each byte of a trickling body
    huge_bytes: int = 80 * 1024 * 1024  # a bit over the client's 64 MiB cap
    broken_max_s: float = 30.0  # an endless or trickling body stops after this long anyway


@dataclass(frozen=True)
class SimulatorConfig:
    """Size of the seeded data set and how the simulated API behaves."""

    seed: int = 42
    enterprise_count: int = 3
    reservation_count: int = 5_000
    product_service_order_count: int = 1_000
    history_days: int = 730
    rate_limit_requests: int = 200
    rate_limit_window_s: float = 30.0
    latency_s: float = 0.0
    latency_per_item_s: float = 0.0
    variation_fraction: float = 0.0
    faults: FaultConfig | None = None
    # The docs disagree: serialization.md calls intervals inclusive, while _objects.md "Time
    # interval" (the filter rule) says [StartUtc, EndUtc), or equality when Start == End.
    # False follows _objects.md; True makes both ends inclusive.
    inclusive_interval_end: bool = False
    # The server's clock runs this many seconds ahead of this machine's (negative: behind).
    clock_offset_s: float = 0.0

    def now(self) -> datetime:
        """The simulator's time: what it stamps on changes and sends in every `Date` header."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)
