"""The pure request handler: (state, path, body, now) -> ApiResponse. No sockets, no sleeping.

Mirrors the Connector API rules: POST-only exact paths (else 404), tokens and `Client` in the
JSON body, a sliding-window rate limit per AccessToken (429 + Retry-After), and errors as
`{"Message", "RequestId"}` with the same id as the `Request-Id` header.
"""

from __future__ import annotations

import math
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from mews_simulator.finance_ops import FINANCE_PATHS, serve_finance
from mews_simulator.inventory_ops import INVENTORY_PATHS
from mews_simulator.ops import (
    AGE_CATEGORIES,
    PRODUCT_SERVICE_ORDERS,
    RESERVATIONS,
    SERVICES,
    Listing,
    get_all,
    get_configuration,
)
from mews_simulator.people_ops import PEOPLE_PATHS
from mews_simulator.state import SimulatorState
from mews_simulator.times import to_us
from mews_simulator.validate import ApiError, bad

PREFIX = "/api/connector/v1/"
LISTINGS: dict[str, Listing] = {
    PREFIX + "reservations/getAll/2023-06-06": RESERVATIONS,
    PREFIX + "productServiceOrders/getAll": PRODUCT_SERVICE_ORDERS,
    PREFIX + "services/getAll": SERVICES,
    PREFIX + "ageCategories/getAll": AGE_CATEGORIES,
    **{PREFIX + path: listing for path, listing in INVENTORY_PATHS.items()},
    **{PREFIX + path: listing for path, listing in PEOPLE_PATHS.items()},
}
CONFIGURATION = PREFIX + "configuration/get"
FINANCE = {PREFIX + path: listing for path, listing in FINANCE_PATHS.items()}
API_PATHS = frozenset([*LISTINGS, *FINANCE, CONFIGURATION])
JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class ApiResponse:
    """Status, headers and body of one answer; `delay_s` is simulated latency for the adapter."""

    status: int
    headers: dict[str, str]
    body: bytes
    delay_s: float = 0.0
    items: int = 0


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> ApiResponse:
    """A documented error body whose RequestId equals the Request-Id header."""
    request_id = str(uuid.uuid4())
    body = orjson.dumps({"Message": message, "RequestId": request_id})
    all_headers = {"Content-Type": JSON_TYPE, "Request-Id": request_id, **(headers or {})}
    return ApiResponse(status, all_headers, body)


def handle(state: SimulatorState, path: str, body: bytes, now: datetime) -> ApiResponse:
    """Answer one POST to `path` with raw JSON `body` as the Connector API would."""
    req: dict[str, Any] | None = None
    items = 0
    with state.lock:
        try:
            if path not in API_PATHS:
                raise ApiError(404, "Not Found")
            req = _parse(body)
            payload, items = _serve(state, path, req, now)
            headers = {"Content-Type": JSON_TYPE, "Request-Id": str(uuid.uuid4())}
            response = ApiResponse(200, headers, payload)
        except ApiError as err:
            response = error_response(err.status, err.message, err.headers)
        state.record(path, response.status, req)
        if response.status == 200 and (path in LISTINGS or path in FINANCE):
            _run_scheduled(state, now)
    delay = state.config.latency_s + state.config.latency_per_item_s * items
    return ApiResponse(response.status, response.headers, response.body, delay, items)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        req = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad("Invalid JSON") from None
    if not isinstance(req, dict):
        raise bad("Invalid JSON: the body must be a JSON object.")
    return req


def _serve(
    state: SimulatorState, path: str, req: dict[str, Any], now: datetime
) -> tuple[bytes, int]:
    token, scope = _authenticate(state, req)
    _admit(state, token, now.timestamp())
    listing = LISTINGS.get(path)
    if listing is not None:
        return get_all(listing, state, req, scope)
    if path in FINANCE:
        return serve_finance(FINANCE[path], state, req, scope)
    portfolio = token == state.portfolio_token
    return get_configuration(state, req, scope, to_us(now), portfolio), 0


def _authenticate(state: SimulatorState, req: dict[str, Any]) -> tuple[str, list[str]]:
    """Tokens are checked first (401, as the docs describe invalid tokens), then `Client` (400)."""
    client_token, access_token = req.get("ClientToken"), req.get("AccessToken")
    if not isinstance(client_token, str) or client_token != state.client_token:
        raise ApiError(401, "Invalid ClientToken: missing or not recognised.")
    scope = state.scope_of(access_token) if isinstance(access_token, str) else None
    if scope is None:
        raise ApiError(401, "Invalid AccessToken: missing or not recognised.")
    client = req.get("Client")
    if not isinstance(client, str) or not client.strip():
        raise bad("Invalid Client: Client (name and version of the application) is required.")
    assert isinstance(access_token, str)
    state.count_use(access_token)
    return access_token, scope


def _admit(state: SimulatorState, token: str, now_s: float) -> None:
    """Sliding window per AccessToken; a rejected request does not take a slot."""
    limit, span = state.config.rate_limit_requests, state.config.rate_limit_window_s
    window = state.windows.setdefault(token, deque())
    while window and window[0] <= now_s - span:
        window.popleft()
    if len(window) >= limit:
        retry_after = max(1, math.ceil(window[0] + span - now_s))
        raise ApiError(429, "Too many requests.", {"Retry-After": str(retry_after)})
    window.append(now_s)


def _run_scheduled(state: SimulatorState, now: datetime) -> None:
    """Fire scheduled mutations whose request countdown reached zero."""
    for item in list(state.scheduled):
        item.remaining -= 1
        if item.remaining <= 0:
            state.scheduled.remove(item)
            state.data.mutate(item.fraction, item.create, item.seed, now=now)
