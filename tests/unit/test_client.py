"""MewsClient over httpx.MockTransport: envelope, retries, error mapping and secret hygiene."""

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from mews_source import operations, shaping
from mews_source.answers import AnswerLimits
from mews_source.client import Credentials, Decode, MewsClient, RetryPolicy
from mews_source.errors import (
    ConfigError,
    MalformedPageError,
    MewsApiError,
    MewsAuthError,
    MewsError,
    RequestTooHeavyError,
    TransientError,
)
from mews_source.ratelimit import SlidingWindowLimiter
from tests.unit.fakes import FakeClock

CLIENT_TOKEN = "E0D439EE522F44368DC78E1BFB03710C-D24FB11DBE31D4621C4817E028D9E1D"
ACCESS_TOKEN = "C66EF7B239D24632943D115EDE9CB810-EA00F8FD8294692C940F6B5A8F9453D"
PATH = operations.RESERVATIONS.path
OK_BODY = {"Reservations": [{"Id": "r1"}], "Cursor": "r1"}
PAGE_SCHEMA = shaping.page_schema("Reservations", operations.RESERVATION_FIELDS, True)

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler that plays `steps` in order and records every request."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if isinstance(step, Exception):
            raise step
        return step(request) if callable(step) else step

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]


def credentials(url: str = "https://api.mews-demo.com") -> Credentials:
    return Credentials(url, CLIENT_TOKEN, ACCESS_TOKEN, "Test Client 1.0")


def make_client(
    script: Script,
    clock: FakeClock,
    *,
    max_attempts: int = 4,
    rng: float = 0.0,
    url: str = "https://api.mews-demo.com",
    limits: AnswerLimits | None = None,
) -> MewsClient:
    return MewsClient(
        credentials(url),
        limiter=SlidingWindowLimiter(1000, 30.0, clock=clock, sleep=clock.sleep),
        retry=RetryPolicy(max_attempts=max_attempts, base_s=0.5, cap_s=30.0),
        transport=httpx.MockTransport(script),
        sleep=clock.sleep,
        clock=clock,
        rng=lambda: rng,
        limits=limits,
    )


def ok() -> httpx.Response:
    return httpx.Response(200, json=OK_BODY)


def error(
    status: int, message: str = "Nope.", request_id: str | None = "req-42", **kw: Any
) -> httpx.Response:
    body: dict[str, Any] = {"Message": message}
    if request_id:
        body["RequestId"] = request_id
    return httpx.Response(status, json=body, **kw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_posts_envelope_and_payload_as_json_to_the_exact_path(clock: FakeClock) -> None:
    script = Script(ok())
    with make_client(script, clock) as client:
        result = client.post(PATH, {"ServiceIds": ["s1"], "Limitation": {"Count": 10}})

    assert result == OK_BODY
    [request] = script.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.mews-demo.com" + PATH
    assert request.headers["Content-Type"] == "application/json"
    assert script.bodies == [
        {
            "ClientToken": CLIENT_TOKEN,
            "AccessToken": ACCESS_TOKEN,
            "Client": "Test Client 1.0",
            "ServiceIds": ["s1"],
            "Limitation": {"Count": 10},
        }
    ]
    assert clock.sleeps == []


def test_trailing_slash_in_platform_url_does_not_change_the_path(clock: FakeClock) -> None:
    script = Script(ok())
    with make_client(script, clock, url="https://api.mews-demo.com/") as client:
        client.operation(operations.SERVICES.path)({})
    assert script.requests[0].url.path == "/api/connector/v1/services/getAll"


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        pytest.param("7", 7.0, id="seconds"),
        pytest.param("0.5", 0.5, id="fractional-seconds"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("-3", 0.0, id="negative-clamped"),
    ],
)
def test_waits_for_retry_after_seconds_on_429(
    clock: FakeClock, retry_after: str, expected: float
) -> None:
    script = Script(error(429, "Too many", headers={"Retry-After": retry_after}), ok())
    with make_client(script, clock) as client:
        assert client.post(PATH, {"X": 1}) == OK_BODY
    assert clock.sleeps == [expected]
    assert len(script.bodies) == 2 and script.bodies[0] == script.bodies[1]
    assert client.stats.retries == 1
    assert client.stats.by_status == {429: 1, 200: 1}


def test_waits_for_retry_after_http_date_on_429(clock: FakeClock) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    script = Script(error(429, headers={"Retry-After": when}), ok())
    with make_client(script, clock) as client:
        client.post(PATH, {})
    [wait] = clock.sleeps
    assert 17.0 < wait <= 20.0  # the header has whole seconds; the test itself takes time


def test_retry_after_http_date_in_the_past_means_no_wait(clock: FakeClock) -> None:
    script = Script(error(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), ok())
    with make_client(script, clock) as client:
        client.post(PATH, {})
    assert clock.sleeps == [0.0]


@pytest.mark.parametrize(
    "headers",
    [pytest.param({}, id="no-header"), pytest.param({"Retry-After": "soon"}, id="junk-header")],
)
def test_falls_back_to_exponential_backoff_when_429_has_no_usable_retry_after(
    clock: FakeClock, headers: dict[str, str]
) -> None:
    script = Script(error(429, headers=headers), error(429, headers=headers), error(429), ok())
    with make_client(script, clock, rng=1.0) as client:
        assert client.post(PATH, {}) == OK_BODY
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert len(script.requests) == 4


@pytest.mark.parametrize(
    ("rng", "attempt", "cap", "expected"),
    [
        pytest.param(0.0, 1, 30.0, 0.25, id="first-low-jitter"),
        pytest.param(1.0, 1, 30.0, 0.5, id="first-high-jitter"),
        pytest.param(1.0, 4, 30.0, 4.0, id="doubles"),
        pytest.param(1.0, 20, 30.0, 30.0, id="capped"),
        pytest.param(0.0, 20, 30.0, 15.0, id="capped-low-jitter"),
    ],
)
def test_backoff_doubles_with_jitter_up_to_cap(
    rng: float, attempt: int, cap: float, expected: float
) -> None:
    assert RetryPolicy(base_s=0.5, cap_s=cap).backoff(attempt, lambda: rng) == expected


TRANSIENT_FAILURES = [
    pytest.param(error(500), "HTTP 500", id="500"),
    pytest.param(error(502), "HTTP 502", id="502"),
    pytest.param(httpx.Response(503, text="<html>down</html>"), "HTTP 503", id="503-html"),
    pytest.param(error(504), "HTTP 504", id="504"),
    pytest.param(httpx.ConnectError("refused"), "ConnectError", id="connect-error"),
    pytest.param(httpx.ConnectTimeout("slow"), "ConnectTimeout", id="connect-timeout"),
    pytest.param(httpx.ReadTimeout("slow"), "ReadTimeout", id="read-timeout"),
    pytest.param(httpx.RemoteProtocolError("eof"), "RemoteProtocolError", id="dropped"),
    pytest.param(
        httpx.Response(200, content=b'{"Reservations": [{"Id": "r1"'), "JSON", id="truncated-json"
    ),
    pytest.param(httpx.Response(200, content=b""), "a 200 with an empty body", id="empty-200"),
    pytest.param(
        httpx.Response(200, html="<html><body>Gateway login</body></html>"),
        "a 200 with an HTML body",
        id="html-200",
    ),
    pytest.param(
        httpx.Response(200, content=b"<!DOCTYPE html>", headers={"Content-Type": "text/plain"}),
        "a 200 with an HTML body",
        id="html-200-mislabelled",
    ),
]


@pytest.mark.parametrize(("failure", "reason"), TRANSIENT_FAILURES)
def test_retries_transient_failure_then_succeeds(
    clock: FakeClock, failure: Step, reason: str
) -> None:
    script = Script(failure, failure, ok())
    with make_client(script, clock) as client:
        assert client.post(PATH, {"X": 1}) == OK_BODY
    assert len(script.requests) == 3
    assert script.bodies[0] == script.bodies[1] == script.bodies[2]
    assert clock.sleeps == [0.25, 0.5]  # exponential backoff, rng pinned to 0
    assert client.stats.requests == 3 and client.stats.retries == 2


@pytest.mark.parametrize(("failure", "reason"), TRANSIENT_FAILURES)
def test_gives_up_after_max_attempts_with_transient_error(
    clock: FakeClock, failure: Step, reason: str
) -> None:
    script = Script(failure)
    with make_client(script, clock, max_attempts=3) as client:
        with pytest.raises(TransientError, match=f"{PATH} still failing after 3 attempts") as info:
            client.post(PATH, {})
    assert reason in str(info.value)
    assert len(script.requests) == 3
    assert clock.sleeps == [0.25, 0.5]  # no sleep after the last attempt


def test_429_with_retry_after_then_gives_up_quotes_http_429(clock: FakeClock) -> None:
    script = Script(error(429, headers={"Retry-After": "2"}))
    with make_client(script, clock, max_attempts=2) as client:
        with pytest.raises(TransientError, match="HTTP 429"):
            client.post(PATH, {})
    assert clock.sleeps == [2.0]


def test_401_raises_auth_error_at_once_with_message_and_request_id(clock: FakeClock) -> None:
    script = Script(error(401, "Invalid AccessToken.", "0HMV-123"), ok())
    with make_client(script, clock) as client:
        with pytest.raises(MewsAuthError) as info:
            client.post(PATH, {})
    assert (
        str(info.value)
        == f"Mews API answered 401 for {PATH}: Invalid AccessToken. (RequestId 0HMV-123)"
    )
    assert (info.value.status, info.value.path) == (401, PATH)
    assert len(script.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        pytest.param(400, MewsApiError, id="400-bad-request"),
        pytest.param(403, MewsApiError, id="403-forbidden"),
        pytest.param(404, MewsApiError, id="404-not-found"),
        pytest.param(409, MewsApiError, id="409-conflict"),
        pytest.param(408, RequestTooHeavyError, id="408-too-heavy"),
    ],
)
def test_rejection_raises_at_once_quoting_message_and_request_id(
    clock: FakeClock, status: int, error_type: type[MewsApiError]
) -> None:
    script = Script(error(status, "Invalid ServiceIds.", "rid-7"), ok())
    with make_client(script, clock) as client:
        with pytest.raises(error_type) as info:
            client.post(PATH, {})
    assert type(info.value) is error_type
    assert "Invalid ServiceIds." in str(info.value)
    assert "RequestId rid-7" in str(info.value)
    assert str(status) in str(info.value)
    assert info.value.api_message == "Invalid ServiceIds."
    assert info.value.request_id == "rid-7"
    assert len(script.requests) == 1, "a rejection must not be retried"
    assert clock.sleeps == []


def test_rejection_takes_request_id_from_header_when_body_has_none(clock: FakeClock) -> None:
    script = Script(error(400, "Bad.", request_id=None, headers={"Request-Id": "hdr-9"}))
    with make_client(script, clock) as client, pytest.raises(MewsApiError) as info:
        client.post(PATH, {})
    assert info.value.request_id == "hdr-9"
    assert str(info.value).endswith("Bad. (RequestId hdr-9)")


def test_rejection_without_json_body_quotes_the_reason_phrase(clock: FakeClock) -> None:
    script = Script(httpx.Response(404, text="<html>nope</html>"))
    with make_client(script, clock) as client, pytest.raises(MewsApiError) as info:
        client.post(PATH, {})
    assert str(info.value) == f"Mews API answered 404 for {PATH}: Not Found"


def test_rejection_message_is_one_short_line(clock: FakeClock) -> None:
    script = Script(error(400, "line one\n\tline two  " + "x" * 1000))
    with make_client(script, clock) as client, pytest.raises(MewsApiError) as info:
        client.post(PATH, {})
    assert info.value.api_message.startswith("line one line two x")
    assert len(info.value.api_message) == 300
    assert "\n" not in str(info.value)


def test_200_with_json_that_is_not_an_object_is_malformed(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=[1, 2]))
    with make_client(script, clock) as client, pytest.raises(MalformedPageError, match=PATH):
        client.post(PATH, {})
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(f"Invalid AccessToken {ACCESS_TOKEN}.", id="access-token"),
        pytest.param(f"ClientToken {CLIENT_TOKEN} is unknown", id="client-token"),
        pytest.param(f"{CLIENT_TOKEN}/{ACCESS_TOKEN}", id="both"),
    ],
)
def test_redacts_a_token_echoed_in_the_server_message(clock: FakeClock, message: str) -> None:
    script = Script(error(401, message))
    with make_client(script, clock) as client, pytest.raises(MewsAuthError) as info:
        client.post(PATH, {})
    assert "***" in info.value.api_message
    assert_no_secret(info.value)


def test_redacts_a_token_cut_by_the_message_length_limit(clock: FakeClock) -> None:
    message = "x" * 270 + " token " + ACCESS_TOKEN + " is invalid"
    script = Script(error(401, message))
    with make_client(script, clock) as client, pytest.raises(MewsAuthError) as info:
        client.post(PATH, {})
    assert ACCESS_TOKEN[:16] not in str(info.value)


def assert_no_secret(exc: BaseException) -> None:
    """Neither token in the text, repr or args of `exc` or any exception chained to it."""
    seen: BaseException | None = exc
    while seen is not None:
        for text in (str(seen), repr(seen), repr(seen.args), repr(vars(seen))):
            assert CLIENT_TOKEN not in text and ACCESS_TOKEN not in text, text
        seen = seen.__cause__ or seen.__context__


SECRET_ECHOES = [
    pytest.param(error(401, f"bad {ACCESS_TOKEN}"), id="401-echo"),
    pytest.param(error(403, f"forbidden for {CLIENT_TOKEN}"), id="403-echo"),
    pytest.param(error(408, f"too heavy for {ACCESS_TOKEN}"), id="408-echo"),
    pytest.param(error(500, f"crash {ACCESS_TOKEN}"), id="500-exhausted"),
    pytest.param(httpx.ConnectError(f"proxy said {ACCESS_TOKEN}"), id="connect-error"),
    pytest.param(httpx.ReadTimeout(f"timed out {CLIENT_TOKEN}"), id="read-timeout"),
    pytest.param(httpx.Response(200, content=ACCESS_TOKEN.encode()), id="bad-json"),
    pytest.param(httpx.Response(200, json=[ACCESS_TOKEN]), id="json-not-object"),
    pytest.param(httpx.Response(200, html=f"<p>{ACCESS_TOKEN}</p>"), id="html-200"),
]


@pytest.mark.parametrize("failure", SECRET_ECHOES)
def test_no_exception_text_contains_a_token(clock: FakeClock, failure: Step) -> None:
    script = Script(failure)
    with make_client(script, clock, max_attempts=2) as client, pytest.raises(MewsError) as info:
        client.post(PATH, {})
    assert_no_secret(info.value)


def test_repr_of_credentials_and_client_hides_tokens(clock: FakeClock) -> None:
    creds = credentials()
    assert CLIENT_TOKEN not in repr(creds) and ACCESS_TOKEN not in repr(creds)
    assert "api.mews-demo.com" in repr(creds)
    client = make_client(Script(ok()), clock)
    assert CLIENT_TOKEN not in repr(client) and ACCESS_TOKEN not in repr(client)
    client.close()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"platform_url": "ftp://api.mews.com"}, "http", id="ftp-url"),
        pytest.param({"platform_url": "api.mews.com"}, "http", id="no-scheme"),
        pytest.param({"platform_url": "https://"}, "http", id="no-host"),
        pytest.param({"platform_url": ""}, "http", id="empty-url"),
        pytest.param({"client_token": ""}, "client_token", id="empty-client-token"),
        pytest.param({"access_token": "   "}, "access_token", id="blank-access-token"),
        pytest.param({"access_token": None}, "access_token", id="missing-access-token"),
        pytest.param({"client": ""}, "client is empty", id="empty-client-name"),
    ],
)
def test_credentials_validate_refuses_config_that_cannot_work(
    fields: dict[str, Any], message: str
) -> None:
    values = {
        "platform_url": "https://api.mews-demo.com",
        "client_token": CLIENT_TOKEN,
        "access_token": ACCESS_TOKEN,
        "client": "Test 1.0",
        **fields,
    }
    creds = Credentials(**values)
    with pytest.raises(ConfigError, match=message) as info:
        creds.validate()
    assert_no_secret(info.value)
    with pytest.raises(ConfigError):
        MewsClient(creds, limiter=SlidingWindowLimiter(1, 1.0))


@pytest.mark.parametrize("url", ["https://api.mews.com", "http://127.0.0.1:8080"])
def test_credentials_validate_accepts_http_and_https(url: str) -> None:
    credentials(url).validate()


CAP = 1024 * 1024
CHUNK = 64 * 1024


class Feed:
    """A 200 whose body the client pulls chunk by chunk; the clock moves `tick_s` per chunk.

    `pulled` counts the bytes handed to the client in the latest request. The feed is long
    (64 MiB) but finite, so a client that ignored the cap would finish, not hang.
    """

    def __init__(
        self,
        clock: FakeClock,
        chunk: bytes = b" " * CHUNK,
        tick_s: float = 0.0,
        total: int = 64 * CAP,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.clock, self.chunk, self.tick_s, self.total = clock, chunk, tick_s, total
        self.headers = headers or {}
        self.pulled: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.pulled.append(0)
        return httpx.Response(200, headers=self.headers, content=self._chunks())

    def _chunks(self) -> Iterator[bytes]:
        for _ in range(self.total // len(self.chunk)):
            self.clock.now += self.tick_s
            self.pulled[-1] += len(self.chunk)
            yield self.chunk


def test_stops_reading_an_endless_body_soon_after_the_size_cap(clock: FakeClock) -> None:
    feed = Feed(clock)
    limits = AnswerLimits(max_body_bytes=CAP, deadline_s=60.0)
    with make_client(Script(feed), clock, max_attempts=2, limits=limits) as client:
        with pytest.raises(TransientError) as info:
            client.post(PATH, {})
    assert str(info.value) == f"{PATH} still failing after 2 attempts: response body over 1 MiB"
    assert feed.pulled == [CAP + CHUNK] * 2  # the chunk that crossed the cap, not one more
    assert client.stats.by_status == {"oversize": 2}
    assert_no_secret(info.value)


def test_refuses_a_body_whose_content_length_exceeds_the_cap_before_reading_it(
    clock: FakeClock,
) -> None:
    feed = Feed(clock, headers={"Content-Length": str(10**12)})
    limits = AnswerLimits(max_body_bytes=CAP, deadline_s=60.0)
    with make_client(Script(feed), clock, max_attempts=2, limits=limits) as client:
        with pytest.raises(TransientError, match="response body over 1 MiB"):
            client.post(PATH, {})
    assert feed.pulled == [0, 0]


def test_accepts_a_body_exactly_at_the_cap(clock: FakeClock) -> None:
    page = json.dumps(OK_BODY).encode()
    body = page + b" " * (CAP - len(page))  # valid JSON: trailing whitespace
    feed = Feed(clock, chunk=body, total=len(body))
    with make_client(Script(feed), clock, limits=AnswerLimits(CAP, 60.0)) as client:
        assert client.post(PATH, {}) == OK_BODY


def test_deadline_cuts_a_body_that_trickles_in_a_byte_at_a_time(clock: FakeClock) -> None:
    feed = Feed(clock, chunk=b"{", tick_s=0.5, total=10_000)  # a read per 0.5 s: no timeout
    limits = AnswerLimits(max_body_bytes=CAP, deadline_s=10.0)
    with make_client(Script(feed), clock, max_attempts=3, limits=limits) as client:
        with pytest.raises(TransientError) as info:
            client.post(PATH, {})
    assert str(info.value) == (
        f"{PATH} still failing after 3 attempts: no complete answer within 10 s"
    )
    assert feed.pulled == [21] * 3  # 20 bytes in 10 s, then the one past the deadline
    assert clock.sleeps == [0.25, 0.5]  # the backoff; the trickle itself was fake time
    assert client.stats.by_status == {"deadline": 3}


def test_deadline_counts_the_wait_for_the_headers(clock: FakeClock) -> None:
    def late(request: httpx.Request) -> httpx.Response:
        clock.now += 11.0
        return ok()

    limits = AnswerLimits(max_body_bytes=CAP, deadline_s=10.0)
    with make_client(Script(late, ok()), clock, limits=limits) as client:
        assert client.post(PATH, {}) == OK_BODY
    assert client.stats.by_status == {"deadline": 1, 200: 1}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        pytest.param(
            httpx.Response(200, html="<html><h1>502 Bad Gateway</h1></html>"),
            "a 200 with an HTML body, not JSON",
            id="html",
        ),
        pytest.param(httpx.Response(200), "a 200 with an empty body, not JSON", id="empty"),
        pytest.param(
            httpx.Response(200, text="OK"), "a truncated or invalid JSON body", id="plain-text"
        ),
    ],
)
@pytest.mark.parametrize(
    "decode",
    [None, lambda body: shaping.read_page(body, "Reservations", PAGE_SCHEMA)],
    ids=["plain", "read_page"],
)
def test_a_200_that_is_not_json_is_retried_then_fails_in_one_line(
    clock: FakeClock, answer: httpx.Response, reason: str, decode: Decode | None
) -> None:
    script = Script(answer)
    with make_client(script, clock, max_attempts=3) as client:
        with pytest.raises(TransientError) as info:
            client.post(PATH, {}, decode=decode)
    assert str(info.value) == f"{PATH} still failing after 3 attempts: {reason}"
    assert len(script.requests) == 3
    assert_no_secret(info.value)


def test_per_read_timeout_is_never_longer_than_the_deadline(clock: FakeClock) -> None:
    script = Script(ok())
    with make_client(script, clock, limits=AnswerLimits(CAP, 5.0)) as client:
        client.post(PATH, {})
    assert script.requests[0].extensions["timeout"]["read"] == 5.0
