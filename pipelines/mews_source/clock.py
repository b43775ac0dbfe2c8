"""The API server's time, read from the `Date` header of its answers.

The server stamps UpdatedUtc with its own clock, so a run's windows end on that clock, not on
this machine's: with the server behind us, changes it stamps after our run's end would carry
times before it and never be read. `Date` holds whole seconds, truncated, written while the
request was in flight: so the server's clock was at least `Date` when the answer arrived and
less than `Date + 1` when the request left. Each answer narrows the skew between the clocks.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

logger = logging.getLogger(__name__)

# A server that rounds its Date to the nearest second, rather than truncating it, is up to half
# a second ahead of its own clock: `earliest()` allows for that.
DATE_SLACK_S = 0.5
SKEW_REPORTED_OVER_S = 5.0


class ServerClock:
    """The server's time as bounds around this machine's clock; this machine's without Dates."""

    def __init__(
        self,
        local: Callable[[], float] = time.time,
    ) -> None:
        self._local = local
        self._lock = threading.Lock()
        # The server's clock is at least `_low` and less than `_high` seconds ahead of ours.
        self._low: float | None = None
        self._high: float | None = None

    @property
    def skew_s(self) -> float | None:
        """Seconds the server's clock is ahead of ours (negative: behind); None before a Date."""
        low, high = self._low, self._high
        return None if low is None or high is None else (low + high) / 2

    def observe(self, date: str | None, elapsed_s: float) -> None:
        """Account for one answer, just received `elapsed_s` after its request was sent.

        An absent or unreadable `Date` is ignored.
        """
        if not date:
            return
        try:
            server = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        answered = self._local()
        low, high = server - answered, server + 1 - (answered - max(0.0, elapsed_s))
        with self._lock:
            self._low = low if self._low is None else max(self._low, low)
            self._high = high if self._high is None else min(self._high, high)

    def earliest(self) -> datetime:
        """The earliest the server's time can be now: state never moves past it."""
        low = self._low
        return self._at(0.0 if low is None else low - DATE_SLACK_S)

    def latest(self) -> datetime:
        """The latest the server's time can be now: a run ending after it misses no change."""
        high = self._high
        return self._at(0.0 if high is None else high)

    def report(self) -> None:
        """One line when the clocks disagree by more than a few seconds."""
        skew = self.skew_s
        if skew is not None and abs(skew) > SKEW_REPORTED_OVER_S:
            logger.warning(
                "server clock is %+.0f s off this machine's (from its Date headers): "
                "windows end on the server's time",
                skew,
            )

    def _at(self, skew_s: float) -> datetime:
        return datetime.fromtimestamp(self._local() + skew_s, UTC)
