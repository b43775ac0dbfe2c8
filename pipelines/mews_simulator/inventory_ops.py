"""The inventory getAll operations, each with the request rules of its page of the docs.

enterprises, resourceCategories, resources, resourceBlocks, rates and businessSegments; every
interval filter is at most 3 months long (validate.interval) and every id array at most 1000.
"""

from __future__ import annotations

from typing import Any

import orjson

from mews_simulator.ops import (
    ACTIVITY,
    DocTest,
    Listing,
    enterprise_groups,
    service_groups,
)
from mews_simulator.state import SimulatorState
from mews_simulator.store import Rec
from mews_simulator.times import parse_utc
from mews_simulator.validate import bad, enum_values, interval

Doc = dict[str, Any]
BOTH = frozenset((True, False))


def _activity(req: Doc, default: frozenset[bool]) -> list[DocTest]:
    """ActivityStates (Active / Deleted) against IsActive; `default` when it is absent."""
    states = enum_values(req, "ActivityStates", frozenset(ACTIVITY))
    wanted = default if states is None else frozenset(ACTIVITY[s] for s in states)
    if wanted == BOTH:
        return []
    return [lambda doc: doc["IsActive"] in wanted]


def _extent(req: Doc, required: bool, flags: tuple[str, ...]) -> dict[str, bool] | None:
    value = req.get("Extent")
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise bad("Invalid Extent: Extent is required." if value is None else "Invalid Extent")
    for flag in flags:
        if value.get(flag) is not None and not isinstance(value[flag], bool):
            raise bad(f"Invalid Extent: {flag} must be a boolean.")
    return value


def _all_activity(req: Doc, inclusive: bool) -> list[DocTest]:
    return _activity(req, BOTH)


ENTERPRISES = Listing(
    "Enterprises", lambda d: d.inventory.enterprises, enterprise_groups, "EnterpriseIds",
    fields=(("ExternalIdentifiers", "ExternalIdentifier", 1000),), intervals=("LinkedUtc",),
    states=False,
)  # fmt: skip
RESOURCE_CATEGORIES = Listing(
    "ResourceCategories", lambda d: d.inventory.resource_categories, service_groups(False),
    "ResourceCategoryIds", states=False, extra=_all_activity,
)  # fmt: skip


def _resource_tests(req: Doc, inclusive: bool) -> list[DocTest]:
    """Extent is required; without Extent.Inactive only active resources."""
    extent = _extent(req, True, ("Resources", "Inactive"))
    assert extent is not None
    return [] if extent.get("Inactive") is True else [lambda doc: doc["IsActive"]]


def _wants_resources(req: Doc) -> bool:
    """Resources only when Extent.Resources is true (the Resources extent is optional)."""
    return req["Extent"].get("Resources") is True


RESOURCES = Listing(
    "Resources", lambda d: d.inventory.resources, enterprise_groups, "ResourceIds",
    fields=(("Names", "Name", 1000),), created=True, states=False, extra=_resource_tests,
    serves=_wants_resources,
)  # fmt: skip


def _block_tests(req: Doc, inclusive: bool) -> list[DocTest]:
    """ActivityStates (default Active; deprecated Extent.Inactive adds Deleted), CollidingUtc."""
    extent = _extent(req, False, ("Inactive",))
    default = BOTH if extent is not None and extent.get("Inactive") is True else frozenset((True,))
    tests = _activity(req, default)
    colliding = interval(req, "CollidingUtc", inclusive)
    if colliding is not None:
        lo, hi = colliding
        tests.append(lambda doc: _us(doc["StartUtc"]) < hi and _us(doc["EndUtc"]) > lo)
    return tests


def _us(text: str) -> int:
    value = parse_utc(text)
    assert value is not None
    return value


RESOURCE_BLOCKS = Listing(
    "ResourceBlocks", lambda d: d.inventory.resource_blocks, enterprise_groups,
    "ResourceBlockIds", fields=(("AssignedResourceIds", "AssignedResourceId", 1000),),
    created=True, states=False, extra=_block_tests,
)  # fmt: skip

RATE_FLAGS = ("Rates", "RateGroups", "AvailabilityBlockAssignments")


def _rate_tests(req: Doc, inclusive: bool) -> list[DocTest]:
    """ActivityStates default both; an Extent needs its AvailabilityBlockAssignments."""
    extent = _extent(req, False, RATE_FLAGS)
    if extent is not None and extent.get("AvailabilityBlockAssignments") is None:
        raise bad("Invalid Extent: AvailabilityBlockAssignments is required.")
    return _activity(req, BOTH)


def _wants_rates(req: Doc) -> bool:
    """Without Extent both Rates and RateGroups are returned; with it, what it asks for."""
    extent = req.get("Extent")
    return extent is None or extent.get("Rates") is True


def _rate_extras(state: SimulatorState, req: Doc, page: list[Rec], services: list[str]) -> bytes:
    """RateGroups of the page's rates (of all requested services when no rates are asked for),
    and AvailabilityBlockAssignments (none are simulated) when the Extent asks for them."""
    extent = req.get("Extent")
    more = b""
    if extent is None or extent.get("RateGroups") is True:
        groups = state.data.inventory.rate_groups
        if _wants_rates(req):
            wanted = {(rec.group, rec.doc()["GroupId"]) for rec in page}
            docs = [g for s, gid in sorted(wanted) for g in groups.get(s, []) if g["Id"] == gid]
        else:
            docs = [g for s in services for g in groups.get(s, [])]
        more += b',"RateGroups":' + orjson.dumps(docs)
    if extent is not None and extent.get("AvailabilityBlockAssignments") is True:
        more += b',"AvailabilityBlockAssignments":[]'
    return more


RATES = Listing(
    "Rates", lambda d: d.inventory.rates, service_groups(False), "RateIds",
    fields=(("ExternalIdentifiers", "ExternalIdentifier", 1000),), states=False,
    extra=_rate_tests, serves=_wants_rates, more=_rate_extras,
)  # fmt: skip
BUSINESS_SEGMENTS = Listing(
    "BusinessSegments", lambda d: d.inventory.business_segments, service_groups(True), "Ids",
    states=False, extra=_all_activity,
)  # fmt: skip
INVENTORY_PATHS = {
    "enterprises/getAll": ENTERPRISES,
    "resourceCategories/getAll": RESOURCE_CATEGORIES,
    "resources/getAll": RESOURCES,
    "resourceBlocks/getAll": RESOURCE_BLOCKS,
    "rates/getAll": RATES,
    "businessSegments/getAll": BUSINESS_SEGMENTS,
}
