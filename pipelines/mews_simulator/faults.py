"""Fault decisions, drawn from the simulator's own Random(seed) so a run can be replayed."""

from __future__ import annotations

from dataclasses import dataclass

from mews_simulator.api import JSON_TYPE, ApiResponse, error_response
from mews_simulator.state import SimulatorState


@dataclass(frozen=True)
class Fault:
    """One injected failure: an error status, a socket-level misbehaviour or a broken 200."""

    # "status" | "drop" | "truncate" | "slow" | "endless" | "trickle" | "huge" | "html" | "empty"
    kind: str
    status: int = 0  # what the request log records: 0 for a dropped connection
    retry_after_s: int | None = None
    slow_s: float = 0.0
    byte_s: float = 0.0  # trickle: pause before each byte
    size: int = 0  # huge: bytes of the padded body
    max_s: float = 0.0  # endless, trickle: the body stops after this long


def decide_fault(state: SimulatorState) -> Fault | None:
    """At most one fault per API request, chosen by a single seeded draw."""
    with state.lock:
        plan = state.faults
        if plan is None:
            return None
        draw = state.fault_rng.random()
    choices = (
        (plan.p_408, Fault("status", 408)),
        (plan.p_500, Fault("status", 500)),
        (plan.p_503, Fault("status", 503)),
        (plan.p_429, Fault("status", 429, retry_after_s=plan.retry_after_s)),
        (plan.p_429_no_retry_after, Fault("status", 429)),
        (plan.p_drop, Fault("drop")),
        (plan.p_truncate, Fault("truncate")),
        (plan.p_slow, Fault("slow", slow_s=plan.slow_s)),
        (plan.p_endless, Fault("endless", 200, max_s=plan.broken_max_s)),
        (
            plan.p_trickle,
            Fault("trickle", 200, byte_s=plan.trickle_byte_s, max_s=plan.broken_max_s),
        ),
        (plan.p_huge, Fault("huge", 200, size=plan.huge_bytes)),
        (plan.p_html, Fault("html", 200)),
        (plan.p_empty, Fault("empty", 200)),
    )
    threshold = 0.0
    for probability, fault in choices:
        threshold += probability
        if draw < threshold:
            state.count_fault(fault.kind)
            return fault
    return None


MESSAGES = {
    408: "Request timeout.",
    429: "Too many requests.",
    500: "Internal server error.",
    503: "Service unavailable.",
}


# What a captive portal or a proxy's error page looks like to a client expecting JSON.
HTML_PAGE = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body></body></html>"


def fault_response(fault: Fault) -> ApiResponse:
    """The answer of a status, html or empty fault; Retry-After only when the plan gives one."""
    if fault.kind == "html":
        return ApiResponse(200, {"Content-Type": "text/html; charset=utf-8"}, HTML_PAGE)
    if fault.kind == "empty":
        return ApiResponse(200, {"Content-Type": JSON_TYPE}, b"")
    headers = {} if fault.retry_after_s is None else {"Retry-After": str(fault.retry_after_s)}
    return error_response(fault.status, MESSAGES[fault.status], headers)
