"""What both adapters share: route admin calls, refuse non-POST, apply faults and latency.

Every answer carries a `Date` header from the simulator's clock (`SimulatorConfig.now`), as a
real server sends its own time: whole seconds, truncated, RFC 7231 format.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from email.utils import format_datetime
from typing import Any

import orjson

from mews_simulator.admin import ADMIN_PREFIX, handle_admin
from mews_simulator.api import API_PATHS, ApiResponse, error_response, handle
from mews_simulator.faults import Fault, decide_fault, fault_response
from mews_simulator.state import SimulatorState

# Faults that serve the real answer and spoil only its delivery (see delivery.py).
DELIVERY_FAULTS = frozenset({"slow", "truncate", "endless", "trickle", "huge"})


@dataclass(frozen=True)
class Outcome:
    """The response to send (None: drop the connection) and the fault spoiling its delivery."""

    response: ApiResponse | None
    fault: Fault | None = None


def process(state: SimulatorState, method: str, path: str, body: bytes) -> Outcome:
    """Answer one HTTP request; sleeps for simulated latency and slow faults."""
    outcome = _answer(state, method, path, body)
    if outcome.response is None:
        return outcome
    date = format_datetime(state.config.now().replace(microsecond=0), usegmt=True)
    headers = {**outcome.response.headers, "Date": date}
    return replace(outcome, response=replace(outcome.response, headers=headers))


def _answer(state: SimulatorState, method: str, path: str, body: bytes) -> Outcome:
    if path.startswith(ADMIN_PREFIX):
        return Outcome(handle_admin(state, method, path, body))
    if method != "POST":
        # requests.md: POST only; responses.md 404 says "verify the URL and request method".
        response = error_response(404, "Not Found")
        state.record(path, 404, None)
        return Outcome(response)
    fault = decide_fault(state) if path in API_PATHS else None
    if fault is None or fault.kind in DELIVERY_FAULTS:
        if fault is not None:
            time.sleep(fault.slow_s)
        response = handle(state, path, body, state.config.now())
        time.sleep(response.delay_s)
        return Outcome(response, fault)
    time.sleep(state.config.latency_s)
    state.record(path, fault.status, _quiet_parse(body))
    return Outcome(None if fault.kind == "drop" else fault_response(fault))


def _quiet_parse(body: bytes) -> dict[str, Any] | None:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
