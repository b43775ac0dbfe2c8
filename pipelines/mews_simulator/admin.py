"""Token-free admin routes under /_sim/ for out-of-process use (demo, benchmarks)."""

from __future__ import annotations

from typing import Any

import orjson

from mews_simulator.api import JSON_TYPE, ApiResponse, error_response
from mews_simulator.config import FaultConfig
from mews_simulator.state import SimulatorState

ADMIN_PREFIX = "/_sim/"
TRUTH = ("reservations", "product_service_orders", "services", "age_categories", "enterprises",
         "resource_categories", "resources", "resource_blocks", "rates", "rate_groups",
         "business_segments", "order_items", "accounting_categories", "bills", "payments",
         "products", "companies", "availability_blocks", "customers",
         "resource_category_assignments")  # fmt: skip


def handle_admin(state: SimulatorState, method: str, path: str, body: bytes) -> ApiResponse:
    """mutate, schedule_mutation, faults, truth/<entity>, stats, reset_stats, info."""
    route = path[len(ADMIN_PREFIX) :]
    try:
        args = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError:
        return error_response(400, "Invalid JSON")
    if method not in ("GET", "POST"):
        return error_response(405, "Use GET or POST.")
    try:
        result = _route(state, method, route, args)
    except (TypeError, ValueError) as err:
        return error_response(400, f"Invalid arguments: {err}")
    if result is None:
        return error_response(404, "Not Found")
    return ApiResponse(
        200,
        {"Content-Type": JSON_TYPE, "Request-Id": "admin"},
        orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS),
    )


def _route(state: SimulatorState, method: str, route: str, args: Any) -> Any:
    if route.startswith("truth/") and route[6:] in TRUTH:
        return getattr(state.data, route[6:])()
    if route == "stats":
        return state.stats()
    if route == "info":
        return info(state)
    if method != "POST":
        return None
    if route == "mutate":
        return state.data.mutate(**args).to_json()
    if route == "schedule_mutation":
        state.schedule(**{"fraction": 0.02, "create": 10, "seed": 0, **args})
        return {"scheduled": True}
    if route == "faults":
        state.set_faults(FaultConfig(**args) if args else None)
        return {"faults": args or None}
    if route == "reset_stats":
        state.reset_stats()
        return {"reset": True}
    return None


def info(state: SimulatorState) -> dict[str, Any]:
    """Tokens and enterprise ids, as printed by `python -m mews_simulator`."""
    return {
        "client_token": state.client_token,
        "portfolio_token": state.portfolio_token,
        "enterprise_tokens": state.enterprise_tokens,
        "enterprise_ids": state.data.enterprise_ids,
    }
