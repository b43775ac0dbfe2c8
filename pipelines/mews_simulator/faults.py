"""Fault decisions, drawn from the simulator's own Random(seed) so a run can be replayed."""

from __future__ import annotations

from dataclasses import dataclass

from mews_simulator.api import ApiResponse, error_response
from mews_simulator.state import SimulatorState


@dataclass(frozen=True)
class Fault:
    """One injected failure: an error status, or a socket-level misbehaviour."""

    kind: str  # "status" | "drop" | "truncate" | "slow"
    status: int = 0
    retry_after_s: int | None = None
    slow_s: float = 0.0


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
    )
    threshold = 0.0
    for probability, fault in choices:
        threshold += probability
        if draw < threshold:
            return fault
    return None


MESSAGES = {
    408: "Request timeout.",
    429: "Too many requests.",
    500: "Internal server error.",
    503: "Service unavailable.",
}


def fault_response(fault: Fault) -> ApiResponse:
    """The error answer of a status fault; Retry-After only when the plan gives one."""
    headers = {} if fault.retry_after_s is None else {"Retry-After": str(fault.retry_after_s)}
    return error_response(fault.status, MESSAGES[fault.status], headers)
