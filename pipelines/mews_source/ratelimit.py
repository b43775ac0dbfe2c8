"""Client-side sliding-window limiter: stay under Mews' per-AccessToken budget, never hit 429."""

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable


class Slot:
    """One request's place in the window, dated as late as this side can know it reached Mews.

    Granted at `acquire`, it is re-dated when the request's bytes have left (`sent`), since
    on a busy machine the send can trail the grant by a second; when no send was seen (a
    connection that failed, a test transport) `ended` dates it at the end of the attempt.
    """

    __slots__ = ("at", "waited", "_clock", "_sent")

    def __init__(self, at: float, waited: float, clock: Callable[[], float]) -> None:
        self.at, self.waited, self._clock, self._sent = at, waited, clock, False

    def sent(self) -> None:
        self.at, self._sent = max(self.at, self._clock()), True

    def ended(self) -> None:
        if not self._sent:
            self.at = max(self.at, self._clock())


class SlidingWindowLimiter:
    """Allow at most `max_requests` requests within any `window_s` seconds, across threads.

    Mews counts requests in a sliding window anchored to the first request of a burst
    (guidelines/requests.md), so fixed buckets would undercount; this keeps every request's
    slot, and a new one starts only a window after the oldest was sent.
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
        self._slots: deque[Slot] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> Slot:
        """Block until a request may start; its slot says how long that took."""
        waited = 0.0
        while True:
            slot = self._try_acquire(waited)
            if isinstance(slot, Slot):
                return slot
            self._sleep(slot)
            waited += slot

    def pause(self, seconds: float) -> None:
        """Hold every thread back, e.g. for a Retry-After the server asked for."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _try_acquire(self, waited: float = 0.0) -> Slot | float:
        """A slot, or the seconds to wait before asking again."""
        with self._lock:
            now = self._clock()
            # Slots re-dated by `sent` may stand out of order; the oldest left waits for the
            # one before it, which only ever errs on the safe side.
            while self._slots and self._slots[0].at <= now - self._window:
                self._slots.popleft()
            if now < self._paused_until:
                return self._paused_until - now
            if len(self._slots) < self._max:
                slot = Slot(now, waited, self._clock)
                self._slots.append(slot)
                return slot
            return self._slots[0].at + self._window - now


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
