"""MewsClient: the only code that sees tokens. Builds the envelope, POSTs, retries and paces.

Mews puts ClientToken and AccessToken in the JSON body, so request bodies are never logged
and error texts are built from status, path, Message and RequestId only.
"""

import functools
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from mews_source import settings
from mews_source.answers import AnswerLimits, BrokenAnswer, not_json_reason, read_body
from mews_source.clock import ServerClock
from mews_source.errors import (
    ConfigError,
    MalformedPageError,
    MewsApiError,
    MewsAuthError,
    RequestTooHeavyError,
    TransientError,
)
from mews_source.ratelimit import SlidingWindowLimiter, Slot

logger = logging.getLogger(__name__)

SECRETS_FILE = "secrets.toml (config.toml cannot hold secrets)"
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
Decode = Callable[[bytes], dict[str, Any] | None]


@dataclass(frozen=True)
class Credentials:
    """Where and as whom to call the API; tokens are kept out of repr."""

    platform_url: str
    client_token: str = field(repr=False)
    access_token: str = field(repr=False)
    client: str = settings.DEFAULT_CLIENT

    def validate(self) -> None:
        """Fail early, in one line, on config that can never work."""
        parts = urlsplit(self.platform_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"platform_url must be an http(s) address, got {self.platform_url!r}")
        for name in ("client_token", "access_token", "client"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                where = SECRETS_FILE if "token" in name else "config.toml"
                raise ConfigError(
                    f"{name} is empty or missing: set SOURCES__MEWS__{name.upper()} or {name} "
                    f"under [sources.mews] in .dlt/{where}"
                )


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter."""

    max_attempts: int = settings.MAX_ATTEMPTS
    base_s: float = settings.BACKOFF_BASE_S
    cap_s: float = settings.BACKOFF_CAP_S

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Seconds to wait after the `attempt`-th failure."""
        ceiling = min(self.cap_s, self.base_s * 2.0 ** (attempt - 1))
        return float(ceiling * (0.5 + rng() / 2))


class RequestStats:
    """Thread-safe counters for the run summary."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0
        self.by_status: Counter[int | str] = Counter()
        self.throttled_s = 0.0

    def record(self, outcome: int | str, *, retry: bool = False) -> None:
        with self._lock:
            self.requests += 1
            self.by_status[outcome] += 1
            self.retries += int(retry)

    def add_wait(self, seconds: float) -> None:
        with self._lock:
            self.throttled_s += seconds


@dataclass
class _Retry:
    reason: str
    wait_s: float | None = None


class MewsClient:
    """POST JSON to the Connector API with the auth envelope, pacing and bounded retries."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        limiter: SlidingWindowLimiter,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        limits: AnswerLimits | None = None,
        max_connections: int = settings.DEFAULT_CONCURRENCY * 2,
        stats: RequestStats | None = None,
        server_clock: ServerClock | None = None,
    ) -> None:
        credentials.validate()
        self._envelope = {
            "ClientToken": credentials.client_token,
            "AccessToken": credentials.access_token,
            "Client": credentials.client,
        }
        self._secrets = (credentials.client_token, credentials.access_token)
        self._closed = False
        self._limiter = limiter
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._limits = limits or AnswerLimits()
        self.stats = stats or RequestStats()
        # The server's time, from the Date header of every answer (windows end on it).
        self.server_clock = server_clock or ServerClock()
        self._http = httpx.Client(
            base_url=credentials.platform_url.rstrip("/"),
            # Per read, so no longer than the deadline: a stalled body then ends in time too.
            timeout=min(settings.HTTP_TIMEOUT_S, self._limits.deadline_s),
            transport=transport,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )

    def __enter__(self) -> "MewsClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True  # a fetch abandoned by a stopped run sends nothing more
        self._http.close()

    def operation(self, path: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        """A one-argument caller of one operation, for code that should not know paths."""
        return functools.partial(self.post, path)

    def post(
        self, path: str, payload: Mapping[str, Any], decode: Decode | None = None
    ) -> dict[str, Any]:
        """Send one operation and return its JSON object, retrying what may pass next time.

        `decode` may read the body its own way (e.g. straight into Arrow); it returns None
        when it cannot, and the body is then parsed as plain JSON. It raises
        `orjson.JSONDecodeError` for a body that is not JSON, retried as any such 200.
        """
        body = orjson.dumps({**self._envelope, **payload})
        last: _Retry | None = None
        for attempt in range(1, self._retry.max_attempts + 1):
            if self._closed:
                raise TransientError(f"{path} not sent: the run is stopping")
            slot = self._limiter.acquire()
            self.stats.add_wait(slot.waited)
            try:
                outcome = self._send_once(path, body, decode, slot, retry=attempt > 1)
            finally:
                slot.ended()
            if isinstance(outcome, dict):
                return outcome
            last = outcome
            if attempt == self._retry.max_attempts:
                break
            wait = outcome.wait_s
            if wait is None:
                wait = self._retry.backoff(attempt, self._rng)
            else:
                self._limiter.pause(wait)
            logger.debug("retrying %s after %s in %.2f s", path, outcome.reason, wait)
            self._sleep(wait)
        reason = last.reason if last else "no attempt"
        raise TransientError(
            f"{path} still failing after {self._retry.max_attempts} attempts: {reason}"
        )

    def _send_once(
        self, path: str, body: bytes, decode: Decode | None, slot: Slot, *, retry: bool
    ) -> dict[str, Any] | _Retry:
        sent = self._clock()
        trace = {"trace": functools.partial(_date_when_sent, slot)}
        try:
            with self._http.stream("POST", path, content=body, extensions=trace) as response:
                content = read_body(response, self._limits, sent, self._clock)
        except BrokenAnswer as exc:
            self.stats.record(exc.outcome, retry=retry)
            return _Retry(exc.reason)
        except httpx.TimeoutException as exc:
            self.stats.record("timeout", retry=retry)
            return _Retry(f"{type(exc).__name__} (no answer in time)")
        except httpx.TransportError as exc:
            self.stats.record("network", retry=retry)
            return _Retry(f"{type(exc).__name__} talking to {self._http.base_url.host}")
        self.server_clock.observe(response.headers.get("Date"), time.monotonic() - sent)
        self.stats.record(response.status_code, retry=retry)
        if response.status_code == 200:
            try:
                decoded = decode(content) if decode else None
            except orjson.JSONDecodeError:
                return _Retry(not_json_reason(response, content))
            return decoded if decoded is not None else self._decode(path, response, content)
        if response.status_code in RETRYABLE_STATUSES:
            wait = _retry_after(response) if response.status_code == 429 else None
            return _Retry(f"HTTP {response.status_code}", wait)
        raise self._rejection(path, response, content)

    def _decode(
        self, path: str, response: httpx.Response, content: bytes
    ) -> dict[str, Any] | _Retry:
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError:
            return _Retry(not_json_reason(response, content))
        if not isinstance(data, dict):
            raise MalformedPageError(f"{path} answered 200 with JSON that is not an object")
        return data

    def _rejection(self, path: str, response: httpx.Response, content: bytes) -> MewsApiError:
        message, request_id = _error_details(response, content, self._redact)
        status = response.status_code
        error_type = {401: MewsAuthError, 408: RequestTooHeavyError}.get(status, MewsApiError)
        return error_type(status, path, message, request_id)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def _error_details(
    response: httpx.Response, content: bytes, redact: Callable[[str], str]
) -> tuple[str, str | None]:
    """Message and RequestId from a Mews error body, falling back to the header."""
    request_id = response.headers.get("Request-Id")
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        message = str(data.get("Message") or response.reason_phrase or "no message")
        request_id = str(data.get("RequestId") or request_id or "") or None
    else:
        message = response.reason_phrase or "no message"
    # Redact before cutting: a token cut in half would no longer match.
    return " ".join(redact(message).split())[:300], request_id


def _date_when_sent(slot: Slot, event: str, info: Mapping[str, Any]) -> None:
    """httpcore's trace hook: the request's body has left, so Mews can count it from now."""
    if event.endswith("send_request_body.complete"):
        slot.sent()


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), None if absent."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, float(parsedate_to_datetime(value).timestamp()) - time.time())
    except (TypeError, ValueError):
        return None
