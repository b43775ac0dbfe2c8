"""SlidingWindowLimiter: at most N request starts in any window, shared by every thread."""

import threading
import time

import pytest

from mews_simulator import SimulatorConfig, running_simulator
from mews_source import ratelimit
from mews_source.client import Credentials, MewsClient
from mews_source.ratelimit import SlidingWindowLimiter, Slot
from tests.unit.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1000.0)


def limiter(
    clock: FakeClock, max_requests: int = 200, window_s: float = 30.0
) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(max_requests, window_s, clock=clock, sleep=clock.sleep)


def test_first_requests_of_a_window_do_not_wait(clock: FakeClock) -> None:
    pacer = limiter(clock)
    assert [pacer.acquire().waited for _ in range(200)] == [0.0] * 200
    assert clock.sleeps == []


def test_201st_request_in_a_window_waits_until_the_first_leaves(clock: FakeClock) -> None:
    pacer = limiter(clock)
    first = clock.now
    for _ in range(200):
        pacer.acquire()
        clock.now += 0.1  # 200 requests spread over 20 s
    waited = pacer.acquire().waited
    assert waited == pytest.approx(first + 30.0 - (first + 20.0))
    assert clock.sleeps == [pytest.approx(10.0)]
    assert clock.now == pytest.approx(first + 30.0)


def test_waiting_requests_start_as_earlier_ones_leave_the_window(clock: FakeClock) -> None:
    pacer = limiter(clock, max_requests=3, window_s=10.0)
    starts = []
    for _ in range(7):
        pacer.acquire()
        starts.append(clock.now - 1000.0)
        clock.now += 1.0
    assert starts == pytest.approx([0, 1, 2, 10, 11, 12, 20])


def test_a_full_window_later_the_budget_is_whole_again(clock: FakeClock) -> None:
    pacer = limiter(clock, max_requests=2, window_s=5.0)
    pacer.acquire()
    pacer.acquire()
    clock.now += 5.0
    assert [pacer.acquire().waited, pacer.acquire().waited] == [0.0, 0.0]
    assert clock.sleeps == []


def test_pause_holds_every_request_until_it_ends(clock: FakeClock) -> None:
    pacer = limiter(clock)
    pacer.acquire()
    pacer.pause(7.5)
    assert pacer.acquire().waited == pytest.approx(7.5)
    assert pacer.acquire().waited == 0.0
    assert clock.sleeps == [pytest.approx(7.5)]


def test_pause_never_shortens_a_longer_pause(clock: FakeClock) -> None:
    pacer = limiter(clock)
    pacer.pause(10.0)
    pacer.pause(2.0)
    assert pacer.acquire().waited == pytest.approx(10.0)


def test_pause_and_full_window_both_delay(clock: FakeClock) -> None:
    pacer = limiter(clock, max_requests=1, window_s=10.0)
    pacer.acquire()
    pacer.pause(3.0)
    assert pacer.acquire().waited == pytest.approx(10.0)


def test_a_slot_holds_its_place_for_a_window_from_when_it_was_sent(clock: FakeClock) -> None:
    # A busy machine sent the request 2 s after its grant: Mews counts it from then.
    pacer = limiter(clock, max_requests=1, window_s=10.0)
    slot = pacer.acquire()
    clock.now += 2.0
    slot.sent()
    clock.now += 1.0
    slot.ended()
    assert slot.at == pytest.approx(1002.0), "ended must not move a slot that was sent"
    assert pacer.acquire().waited == pytest.approx(9.0)
    assert clock.now == pytest.approx(1012.0)


def test_a_slot_never_seen_sent_is_dated_when_its_attempt_ended(clock: FakeClock) -> None:
    pacer = limiter(clock, max_requests=1, window_s=10.0)
    slot = pacer.acquire()
    clock.now += 4.0
    slot.ended()
    assert pacer.acquire().waited == pytest.approx(10.0)


def test_the_client_dates_a_slot_when_its_body_left_over_a_real_socket() -> None:
    # The simulator answers 0.4 s after a request arrives: the slot must be dated before
    # that (httpcore's trace hook fired), not when the answer came (the fallback).
    pacer = SlidingWindowLimiter(10, 30.0)
    config = SimulatorConfig(reservation_count=10, product_service_order_count=0, latency_s=0.4)
    with running_simulator(config) as sim:
        creds = Credentials(sim.url, sim.client_token, sim.portfolio_token, "Test 1.0")
        with MewsClient(creds, limiter=pacer) as client:
            client.post("/api/connector/v1/enterprises/getAll", {"Limitation": {"Count": 10}})
            answered = time.monotonic()
    (slot,) = pacer._slots
    assert answered - slot.at >= 0.3, "the slot was dated at the answer, not at the send"


@pytest.mark.parametrize(
    ("max_requests", "window_s"),
    [pytest.param(0, 1.0, id="no-requests"), pytest.param(1, 0.0, id="empty-window")],
)
def test_refuses_a_limit_that_allows_nothing(max_requests: int, window_s: float) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        SlidingWindowLimiter(max_requests, window_s)


def test_threads_never_exceed_the_budget_in_any_window() -> None:
    max_requests, window_s, threads, per_thread = 4, 0.15, 4, 3
    seen = threading.local()

    def clock() -> float:
        # The value read by a thread's last clock call is exactly the start it was granted.
        seen.now = time.monotonic()
        return seen.now

    pacer = SlidingWindowLimiter(max_requests, window_s, clock=clock)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(per_thread):
            pacer.acquire()
            with lock:
                starts.append(seen.now)

    began = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=2.0)
    assert not any(thread.is_alive() for thread in pool), "a thread is stuck in acquire()"

    starts.sort()
    assert len(starts) == threads * per_thread
    gaps = [later - earlier for earlier, later in zip(starts, starts[max_requests:], strict=False)]
    assert min(gaps) >= window_s, "more than max_requests starts within one window"
    # 12 starts at 4 per 0.15 s need at least two full windows of waiting.
    assert time.monotonic() - began >= 2 * window_s


def test_runs_with_one_token_share_one_window() -> None:
    first = ratelimit.shared_limiter("http://mews.test/", "token-a", 3, 1.0)
    assert ratelimit.shared_limiter("http://mews.test", "token-a", 3, 1.0) is first
    assert ratelimit.shared_limiter("http://mews.test", "token-b", 3, 1.0) is not first
    assert ratelimit.shared_limiter("http://other.test", "token-a", 3, 1.0) is not first
    assert ratelimit.shared_limiter("http://mews.test", "token-a", 200, 30.0) is not first


def test_the_shared_limiters_never_hold_a_token() -> None:
    ratelimit.shared_limiter("http://mews.test", "secret-token-value", 3, 1.0)
    assert "secret-token-value" not in repr(ratelimit._SHARED)


def test_a_reset_gives_the_next_run_a_whole_budget() -> None:
    spent = ratelimit.shared_limiter("http://mews.test", "token-a", 1, 3600.0)
    spent.acquire()
    ratelimit.reset_shared_limiters()
    fresh = ratelimit.shared_limiter("http://mews.test", "token-a", 1, 3600.0)
    assert fresh is not spent
    assert isinstance(fresh._try_acquire(), Slot), "the new limiter inherited the spent window"
    assert not isinstance(spent._try_acquire(), Slot), "a limiter handed out keeps its window"


@pytest.mark.parametrize("run", ["first", "second"])
def test_each_test_starts_with_the_whole_budget_of_a_token(run: str) -> None:
    # Spends a budget of 1 request an hour: the second run fails unless the budget is
    # reset between tests (tests/conftest.py), as it would sleep out the first's hour.
    pacer = ratelimit.shared_limiter("http://mews.test", "token-a", 1, 3600.0)
    assert isinstance(pacer._try_acquire(), Slot), f"{run}: a window spent by an earlier test"
