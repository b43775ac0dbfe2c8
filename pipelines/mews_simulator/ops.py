"""The getAll operations and configuration/get, on top of the validated request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from mews_simulator.data import SimulatorData
from mews_simulator.state import SimulatorState
from mews_simulator.store import Rec, Table, take
from mews_simulator.times import format_us, parse_utc
from mews_simulator.validate import (
    EVER,
    ApiError,
    bad,
    enterprises_in_scope,
    enum_values,
    id_array,
    interval,
    limitation,
    string_value,
)

Doc = dict[str, Any]
GroupsFn = Callable[[SimulatorState, Doc, list[str]], list[str]]
DocTest = Callable[[Doc], bool]
# Extra JSON members of a page (e.g. rates' RateGroups): (state, request, page, groups).
MoreFn = Callable[[SimulatorState, Doc, list[Rec], list[str]], bytes]
ORDER_STATES = frozenset(
    ("Inquired", "Confirmed", "Started", "Processed", "Canceled", "Optional", "Requested")
)
SERVICE_TYPES = frozenset(("Bookable", "Additional"))
ACTIVITY = {"Active": True, "Deleted": False}
# Pairs the reservations doc says "cannot be used with" each other.
EXCLUSIVE = (("ScheduledStartUtc", "ActualStartUtc"), ("ScheduledEndUtc", "ActualEndUtc"))


@dataclass(frozen=True)
class Listing:
    """How one getAll operation filters and pages its table."""

    result: str
    table: Callable[[SimulatorData], Table]
    groups: GroupsFn
    id_param: str
    fields: tuple[tuple[str, str, int], ...] = ()  # (request array, record field, max items)
    intervals: tuple[str, ...] = ()  # record time fields filterable by an interval of that name
    created: bool = False  # CreatedUtc filters the record's creation time
    states: bool = True  # States filters the record's State (the order states)
    extra: Callable[[Doc, bool], list[DocTest]] | None = None  # (request, inclusive) -> tests
    serves: Callable[[Doc], bool] | None = None  # False: the request asks for no records
    more: MoreFn | None = None


def service_groups(bookable_default: bool) -> GroupsFn:
    def groups(state: SimulatorState, req: Doc, ents: list[str]) -> list[str]:
        catalog = state.data.catalog
        ids = id_array(req, "ServiceIds", 1000)
        if ids is None and not bookable_default:
            raise bad("Invalid ServiceIds: ServiceIds is required.")
        if ids is None:
            return [s for e in catalog.enterprises if e.id in ents for s in e.bookable]
        return [s for s in dict.fromkeys(ids) if catalog.service_enterprise.get(s) in ents]

    return groups


def enterprise_groups(state: SimulatorState, req: Doc, ents: list[str]) -> list[str]:
    return ents


RESERVATIONS = Listing(
    "Reservations", lambda d: d.reservations_table, service_groups(True), "ReservationIds",
    fields=(("ReservationGroupIds", "GroupId", 1000), ("AccountIds", "AccountId", 1000),
            ("PartnerCompanyIds", "PartnerCompanyId", 100),
            ("TravelAgencyIds", "TravelAgencyId", 100), ("Numbers", "Number", 1000),
            ("ChannelNumbers", "ChannelNumber", 100),
            ("AssignedResourceIds", "AssignedResourceId", 1000),
            ("AvailabilityBlockIds", "AvailabilityBlockId", 100)),
    intervals=("ScheduledStartUtc", "ScheduledEndUtc", "ActualStartUtc", "ActualEndUtc"),
    created=True,
)  # fmt: skip
PRODUCT_SERVICE_ORDERS = Listing(
    "ProductServiceOrders", lambda d: d.orders_table, service_groups(False),
    "ProductServiceOrderIds",
    fields=(("AccountIds", "AccountId", 1000),
            ("LinkedReservationIds", "LinkedReservationId", 1000)),
)  # fmt: skip
SERVICES = Listing("Services", lambda d: d.services_table, enterprise_groups, "ServiceIds")
AGE_CATEGORIES = Listing(
    "AgeCategories", lambda d: d.age_categories_table, service_groups(True), "AgeCategoryIds"
)


def get_all(
    listing: Listing, state: SimulatorState, req: Doc, scope: list[str]
) -> tuple[bytes, int]:
    """One page of `listing` for the request: the JSON body and its item count."""
    count, cursor = limitation(req)
    inclusive = state.config.inclusive_interval_end
    ents = enterprises_in_scope(req, scope)
    groups = listing.groups(state, req, ents)
    ids = id_array(req, listing.id_param, 1000)
    lo, hi = interval(req, "UpdatedUtc", inclusive) or EVER
    keep = _predicate(listing, req, inclusive)
    table = listing.table(state.data)
    before = None
    if cursor is not None:
        before = table.resolve_cursor(cursor)
        if before is None:
            raise bad("Invalid Cursor")
    if ids is not None:
        candidates: Any = table.pick(ids, set(groups), lo, hi)
    else:
        candidates = table.scan(groups, lo, hi, before)
    serves = listing.serves is None or listing.serves(req)
    page = take(candidates, before, count, keep) if serves else []
    if page:
        table.remember_cursor(page[-1])
    more = listing.more(state, req, page, groups) if listing.more is not None else b""
    return _page_body(listing.result, page, more), len(page)


def _page_body(name: str, page: list[Rec], more: bytes = b"") -> bytes:
    cursor = b'"' + page[-1].id.encode() + b'"' if page else b"null"
    items = b",".join(rec.blob for rec in page)
    return b'{"' + name.encode() + b'":[' + items + b"]" + more + b',"Cursor":' + cursor + b"}"


def _predicate(listing: Listing, req: Doc, inclusive: bool) -> Callable[[Rec], bool]:
    """Combine every filter but UpdatedUtc and the groups into one record test."""
    rec_tests: list[Callable[[Rec], bool]] = []
    doc_tests: list[Callable[[Doc], bool]] = []
    states = enum_values(req, "States", ORDER_STATES) if listing.states else None
    if states is not None:
        rec_tests.append(lambda r: r.state in states)
    created = interval(req, "CreatedUtc", inclusive) if listing.created else None
    if created is not None:
        rec_tests.append(lambda r: created[0] <= r.created < created[1])
    for param, field, max_items in listing.fields:
        values = id_array(req, param, max_items)
        if values is not None:
            doc_tests.append(_field_in(field, set(values)))
    doc_tests.extend(_time_tests(listing, req, inclusive))
    doc_tests.extend(_extra_tests(listing, req))
    if listing.extra is not None:
        doc_tests.extend(listing.extra(req, inclusive))

    def keep(rec: Rec) -> bool:
        if not all(test(rec) for test in rec_tests):
            return False
        if not doc_tests:
            return True
        doc = rec.doc()
        return all(test(doc) for test in doc_tests)

    return keep


def _field_in(field: str, values: set[str]) -> Callable[[Doc], bool]:
    return lambda doc: doc.get(field) in values


def _time_tests(listing: Listing, req: Doc, inclusive: bool) -> list[Callable[[Doc], bool]]:
    for first, second in EXCLUSIVE:
        if listing is RESERVATIONS and req.get(first) is not None and req.get(second) is not None:
            raise bad(f"Invalid {second}: cannot be used together with {first}.")
    tests = []
    for field in listing.intervals:
        bounds = interval(req, field, inclusive)
        if bounds is not None:
            tests.append(_time_in(field, bounds))
    colliding = interval(req, "CollidingUtc", inclusive) if listing is RESERVATIONS else None
    if colliding is not None:
        lo, hi = colliding

        def collides(doc: Doc) -> bool:
            start, end = parse_utc(doc["ScheduledStartUtc"]), parse_utc(doc["ScheduledEndUtc"])
            return start is not None and end is not None and start < hi and end >= lo

        tests.append(collides)
    return tests


def _time_in(field: str, bounds: tuple[int, int]) -> Callable[[Doc], bool]:
    def test(doc: Doc) -> bool:
        value = parse_utc(doc.get(field))
        return value is not None and bounds[0] <= value < bounds[1]

    return test


def _extra_tests(listing: Listing, req: Doc) -> list[Callable[[Doc], bool]]:
    if listing is SERVICES:
        kind = string_value(req, "ServiceType")
        if kind is not None and kind not in SERVICE_TYPES:
            raise bad("Invalid ServiceType: allowed values are Bookable, Additional.")
        if kind is not None:
            return [lambda doc: doc["Data"]["Discriminator"] == kind]
    if listing is AGE_CATEGORIES:
        activity = enum_values(req, "ActivityStates", frozenset(ACTIVITY))
        if activity is not None:
            wanted = {ACTIVITY[a] for a in activity}
            return [lambda doc: doc["IsActive"] in wanted]
    return []


def get_configuration(
    state: SimulatorState, req: Doc, scope: list[str], now: int, portfolio: bool
) -> bytes:
    """configuration/get: NowUtc and the requested (default: the token's own) enterprise."""
    catalog = state.data.catalog
    enterprise_id = string_value(req, "EnterpriseId")
    if enterprise_id is not None and enterprise_id not in scope:
        raise ApiError(403, "EnterpriseId outside the scope of the AccessToken.")
    if enterprise_id is None:
        # A portfolio token without EnterpriseId gets the portfolio's 'dummy' enterprise.
        enterprise = catalog.portfolio.doc if portfolio else catalog.enterprise(scope[0]).doc
    else:
        enterprise = catalog.enterprise(enterprise_id).doc
    body = {
        "NowUtc": format_us(now), "Enterprise": enterprise, "Service": None,
        "PaymentCardStorage": None, "IsIdentityDocumentNumberRequired": False,
    }  # fmt: skip
    return orjson.dumps(body)
