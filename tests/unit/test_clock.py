"""ServerClock: the server's time from whole-second Date headers, and waits judged on it."""

import logging
import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from mews_source.client import Credentials, MewsClient
from mews_source.clock import ServerClock
from mews_source.config import Connection
from mews_source.ratelimit import SlidingWindowLimiter
from mews_source.run import ConnectionRun
from tests.unit.fakes import FakeClock

LOCAL_START = datetime(2025, 6, 30, 12, 0, 0, tzinfo=UTC).timestamp()
START = datetime(2024, 1, 1, tzinfo=UTC)


def http_date(seconds: float) -> str:
    """A Date header as a server writes it: whole seconds, truncated."""
    return format_datetime(datetime.fromtimestamp(math.floor(seconds), UTC), usegmt=True)


class SkewedServer:
    """A server whose clock runs `offset_s` ahead of the fake local one, answering in `rtt_s`."""

    def __init__(self, local: FakeClock, offset_s: float, rtt_s: float = 0.05) -> None:
        self.local, self.offset_s, self.rtt_s = local, offset_s, rtt_s

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.local() + self.offset_s, UTC)

    def answer(self, clock: ServerClock, date: str | None = "") -> None:
        """One request: the Date is written half way through, the answer observed at its end."""
        self.local.now += self.rtt_s / 2
        written = http_date(self.local() + self.offset_s) if date == "" else date
        self.local.now += self.rtt_s / 2
        clock.observe(written, self.rtt_s)


OFFSETS = [-3600.0, -120.4, 0.0, 0.7, 120.0, 3600.0]
OFFSET_IDS = ["behind-1h", "behind-2m", "same", "ahead-0.7s", "ahead-2m", "ahead-1h"]


@pytest.mark.parametrize("offset_s", OFFSETS, ids=OFFSET_IDS)
@pytest.mark.parametrize("phase_s", [0.0, 0.3, 0.97], ids=["on-second", "early", "late"])
def test_bounds_hold_the_server_time_and_narrow_over_answers(
    offset_s: float, phase_s: float
) -> None:
    local = FakeClock(LOCAL_START + phase_s)
    server, clock = SkewedServer(local, offset_s), ServerClock(local)

    for _ in range(7):
        server.answer(clock)
        assert clock.earliest() <= server.now() <= clock.latest()
        local.now += 0.37  # the next answer at another phase of the second

    assert clock.skew_s is not None and abs(clock.skew_s - offset_s) < 0.5
    assert clock.latest() - clock.earliest() < timedelta(seconds=1.6)


def test_a_server_that_rounds_its_date_is_still_never_behind_earliest() -> None:
    local = FakeClock(LOCAL_START + 0.6)
    server, clock = SkewedServer(local, -3600.0), ServerClock(local)
    server.answer(clock, date=http_date(round(local() + 0.025 - 3600.0)))  # rounded up
    assert clock.earliest() <= server.now()


@pytest.mark.parametrize("date", [None, "", "not a date"], ids=["absent", "empty", "garbage"])
def test_without_a_readable_date_the_server_clock_is_this_machines(date: str | None) -> None:
    local = FakeClock(LOCAL_START)
    clock = ServerClock(local)
    clock.observe(date, 0.05)
    mine = datetime.fromtimestamp(LOCAL_START, UTC)
    assert (clock.skew_s, clock.earliest(), clock.latest()) == (None, mine, mine)


def test_logs_the_skew_once_it_is_more_than_a_few_seconds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    local = FakeClock(LOCAL_START)
    for offset_s in (2.0, -3600.0):
        clock = ServerClock(local)
        SkewedServer(local, offset_s).answer(clock)
        with caplog.at_level(logging.INFO, logger="mews_source"):
            clock.report()
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "server clock is -3600 s off this machine's"
    ]


def test_the_client_reads_the_date_of_every_answer() -> None:
    server_now = datetime.now(UTC) - timedelta(hours=1)
    answers = [
        httpx.Response(
            429, headers={"Date": http_date(server_now.timestamp()), "Retry-After": "0"}
        ),
        httpx.Response(200, json={"Services": []}, headers={"Date": "garbage"}),
    ]
    client = MewsClient(
        Credentials("https://api.mews-demo.com", "ct", "at", "Test 1.0"),
        limiter=SlidingWindowLimiter(100, 1.0),
        transport=httpx.MockTransport(lambda request: answers.pop(0)),
        sleep=lambda s: None,
    )
    with client:
        client.post("/api/connector/v1/services/getAll", {})
    assert client.server_clock.skew_s is not None
    assert abs(client.server_clock.skew_s + 3600) < 1.5


def test_the_run_ends_on_the_server_clock_after_discovery_answered() -> None:
    local = FakeClock(LOCAL_START + 0.4)
    server, clock = SkewedServer(local, -3600.0), ServerClock(local)
    catalog: Any = SimpleNamespace(services=lambda: server.answer(clock))  # discovery's answer
    client: Any = SimpleNamespace(server_clock=clock)
    context = ConnectionRun(client, Connection("c", "t"), catalog, START, timedelta(0), 1)

    run_end = context.run_end()

    assert run_end.microsecond == 0
    assert timedelta(0) < run_end - server.now() <= timedelta(seconds=2.1)
    assert context.run_end() == run_end
