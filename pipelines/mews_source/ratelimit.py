"""Client-side sliding-window limiter: stay under Mews' per-AccessToken budget, never hit 429."""

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """Allow at most `max_requests` starts within any `window_s` seconds, across threads.

    Mews counts requests in a sliding window anchored to the first request of a burst
    (guidelines/requests.md), so fixed buckets would undercount; this keeps every start time.
    """

    def __init__(
        self,
        max_requests: int,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests < 1 or window_s <= 0:
            raise ValueError("rate limit needs at least 1 request in a positive window")
        self._max = max_requests
        self._window = window_s
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may start; return the seconds spent waiting."""
        waited = 0.0
        while True:
            delay = self._try_acquire()
            if delay <= 0:
                return waited
            self._sleep(delay)
            waited += delay

    def pause(self, seconds: float) -> None:
        """Hold every thread back, e.g. for a Retry-After the server asked for."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _try_acquire(self) -> float:
        with self._lock:
            now = self._clock()
            while self._starts and self._starts[0] <= now - self._window:
                self._starts.popleft()
            if now < self._paused_until:
                return self._paused_until - now
            if len(self._starts) < self._max:
                self._starts.append(now)
                return 0.0
            return self._starts[0] + self._window - now


_SHARED: dict[tuple[str, str, int, float], SlidingWindowLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(
    platform_url: str, access_token: str, max_requests: int, window_s: float
) -> SlidingWindowLimiter:
    """The one limiter of this process for an access token on a platform.

    Mews counts the budget per AccessToken, not per run: two connections sharing a token,
    or two runs in one process (a notebook, a long-lived worker), must share one window,
    or the second starts with a full budget the server no longer grants and meets 429s.
    Keyed by a digest, so the map never holds a token.
    """
    token_digest = hashlib.sha256(access_token.encode()).hexdigest()
    key = (platform_url.rstrip("/"), token_digest, max_requests, window_s)
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None:
            limiter = _SHARED[key] = SlidingWindowLimiter(max_requests, window_s)
        return limiter


def reset_shared_limiters() -> None:
    """Forget every shared limiter: the next `shared_limiter` call starts a whole budget.

    For a process that runs the pipeline many times against servers that do not remember
    the earlier runs, e.g. a test suite with a fresh simulator per test: without it a run
    would sleep out a window that another run spent on a server long gone. Limiters already
    handed out keep working and keep their windows; they are only no longer shared.
    """
    with _SHARED_LOCK:
        _SHARED.clear()
