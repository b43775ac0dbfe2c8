"""orderItems, accountingCategories, bills, payments, products, companies, availabilityBlocks
and rateGroups getAll: request rules from their doc pages, paging as in ops.get_all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mews_simulator.state import SimulatorState
from mews_simulator.store import Rec, take
from mews_simulator.times import parse_utc
from mews_simulator.validate import (
    EVER,
    bad,
    enterprises_in_scope,
    enum_values,
    id_array,
    interval,
    limitation,
    string_value,
)

Doc = dict[str, Any]
DocTest = Callable[[Doc], bool]
ACTIVITY = {"Active": True, "Deleted": False}
ACCOUNTING_STATES = frozenset(("Open", "Closed", "Inactive", "Canceled"))
ORDER_ITEM_TYPES = frozenset((
    "CancellationFee", "NightRebate", "ProductOrderRebate", "AdditionalExpenseRebate", "Deposit",
    "ExchangeRateDifference", "CustomItem", "ServiceCharge", "CityTax", "CityTaxDiscount",
    "SpaceOrder", "ProductOrder", "Surcharge", "TaxCorrection", "ResourceUpgradeFee",
    "InvoiceFee", "MulticurrencyFee", "AllowanceDiscount", "AllowanceBreakage",
    "AllowanceContraBreakage",
))  # fmt: skip
PAYMENT_STATES = frozenset(("Charged", "Canceled", "Pending", "Failed", "Verifying"))
PAYMENT_TYPES = frozenset((
    "Payment", "CreditCardPayment", "AlternativePayment", "CashPayment", "InvoicePayment",
    "ExternalPayment", "GhostPayment", "TaxDeductedPayment",
))  # fmt: skip
BLOCK_STATES = frozenset(("Confirmed", "Optional", "Inquired", "Canceled"))


@dataclass(frozen=True)
class FinanceListing:
    """How one of these getAll operations validates, filters and pages its table."""

    result: str  # response collection key, also the Finance table name
    groups: str  # what the table is indexed by: "enterprise", "service" or "chain"
    id_param: str
    fields: tuple[tuple[str, str, int], ...] = ()  # (request array, record field, max items)
    intervals: tuple[tuple[str, str], ...] = ()  # (request interval, record time field)
    enums: tuple[tuple[str, str, frozenset[str]], ...] = ()  # (request array, field, allowed)
    required_any: tuple[str, ...] = ()  # at least one of these must be given
    activity: bool = False  # ActivityStates filter on IsActive
    services_required: bool = False


ORDER_ITEMS = FinanceListing(
    "OrderItems", "enterprise", "OrderItemIds",
    fields=(("AccountIds", "AccountId", 100), ("ServiceOrderIds", "ServiceOrderId", 1000),
            ("ServiceIds", "ServiceId", 1000), ("BillIds", "BillId", 1000)),
    intervals=(("CreatedUtc", "CreatedUtc"), ("ConsumedUtc", "ConsumedUtc"),
               ("CanceledUtc", "CanceledUtc"), ("ClosedUtc", "ClosedUtc")),
    enums=(("AccountingStates", "AccountingState", ACCOUNTING_STATES),
           ("Types", "Type", ORDER_ITEM_TYPES)),
    required_any=("OrderItemIds", "AccountIds", "ServiceOrderIds", "ServiceIds", "BillIds",
                  "CreatedUtc", "UpdatedUtc", "ConsumedUtc", "CanceledUtc", "ClosedUtc"),
)  # fmt: skip
ACCOUNTING_CATEGORIES = FinanceListing(
    "AccountingCategories", "enterprise", "AccountingCategoryIds", activity=True
)
BILLS = FinanceListing(
    "Bills", "enterprise", "BillIds",
    fields=(("CustomerIds", "AccountId", 1000),),
    intervals=(("IssuedUtc", "IssuedUtc"), ("PaidUtc", "PaidUtc"), ("DueUtc", "DueUtc"),
               ("CreatedUtc", "CreatedUtc"), ("ClosedUtc", "IssuedUtc")),
    required_any=("BillIds", "CustomerIds", "IssuedUtc", "PaidUtc", "DueUtc", "CreatedUtc",
                  "UpdatedUtc", "ClosedUtc"),
)  # fmt: skip
PAYMENTS = FinanceListing(
    "Payments", "enterprise", "PaymentIds",
    fields=(("AccountIds", "AccountId", 100), ("BillIds", "BillId", 1000),
            ("ReservationIds", "ReservationId", 1000)),
    intervals=(("CreatedUtc", "CreatedUtc"), ("ChargedUtc", "ChargedUtc"),
               ("ClosedUtc", "ClosedUtc"), ("SettlementUtc", "SettlementUtc")),
    enums=(("AccountingStates", "AccountingState", ACCOUNTING_STATES),
           ("States", "State", PAYMENT_STATES)),
    required_any=("PaymentIds", "AccountIds", "BillIds", "ReservationIds", "CreatedUtc",
                  "UpdatedUtc", "ChargedUtc", "ClosedUtc"),
)  # fmt: skip
PRODUCTS = FinanceListing("Products", "service", "ProductIds", services_required=True)
COMPANIES = FinanceListing(
    "Companies", "chain", "Ids",
    fields=(("MotherCompanyIds", "MotherCompanyId", 1000),
            ("ExternalIdentifiers", "ExternalIdentifier", 1000), ("Names", "Name", 1000)),
    intervals=(("CreatedUtc", "CreatedUtc"),), activity=True,
)  # fmt: skip
AVAILABILITY_BLOCKS = FinanceListing(
    "AvailabilityBlocks", "enterprise", "AvailabilityBlockIds",
    fields=(("ServiceIds", "ServiceId", 1000),
            ("ExternalIdentifiers", "ExternalIdentifier", 1000)),
    intervals=(("CreatedUtc", "CreatedUtc"), ("ReleasedUtc", "ReleasedUtc")),
    enums=(("States", "State", BLOCK_STATES),), activity=True,
)  # fmt: skip
RATE_GROUPS = FinanceListing(
    "RateGroups", "service", "RateGroupIds",
    fields=(("ExternalIdentifiers", "ExternalIdentifier", 1000),),
    required_any=("ServiceIds", "RateGroupIds"), activity=True,
)  # fmt: skip
FINANCE_PATHS = {
    "orderItems/getAll": ORDER_ITEMS, "accountingCategories/getAll": ACCOUNTING_CATEGORIES,
    "bills/getAll": BILLS, "payments/getAll": PAYMENTS, "products/getAll": PRODUCTS,
    "companies/getAll": COMPANIES, "availabilityBlocks/getAll": AVAILABILITY_BLOCKS,
    "rateGroups/getAll": RATE_GROUPS,
}  # fmt: skip


def serve_finance(
    listing: FinanceListing, state: SimulatorState, req: Doc, scope: list[str]
) -> tuple[bytes, int]:
    """One page of `listing` for the request: the JSON body and its item count."""
    count, cursor = limitation(req)
    inclusive = state.config.inclusive_interval_end
    ents = enterprises_in_scope(req, scope)
    if listing.required_any and all(req.get(name) is None for name in listing.required_any):
        names = ", ".join(listing.required_any)
        raise bad(f"Invalid request: at least one of {names} must be specified.")
    groups = _groups(listing, state, req, ents)
    ids = id_array(req, listing.id_param, 1000)
    lo, hi = interval(req, "UpdatedUtc", inclusive) or EVER
    tests = _tests(listing, req, inclusive)
    extra, wanted = _special(listing, req, ids, inclusive)
    tests.extend(extra)
    table = state.data.finance.table(listing.result)
    before = None
    if cursor is not None:
        before = table.resolve_cursor(cursor)
        if before is None:
            raise bad("Invalid Cursor")
    page: list[Rec] = []
    if wanted:
        if ids is not None:
            candidates: Any = table.pick(ids, set(groups), lo, hi)
        else:
            candidates = table.scan(groups, lo, hi, before)
        page = take(candidates, before, count, _keeper(tests))
    if page:
        table.remember_cursor(page[-1])
    return _body(listing, req, page), len(page)


def _groups(listing: FinanceListing, state: SimulatorState, req: Doc, ents: list[str]) -> list[str]:
    catalog = state.data.catalog
    if listing.groups == "enterprise":
        return ents
    if listing.groups == "chain":
        chains = [catalog.enterprise(e).doc["ChainId"] for e in ents]
        requested = id_array(req, "ChainIds", 1000)
        if requested is None:
            return list(dict.fromkeys(chains))
        return [c for c in dict.fromkeys(requested) if c in chains]
    ids = id_array(req, "ServiceIds", 1000)
    if ids is None and listing.services_required:
        raise bad("Invalid ServiceIds: ServiceIds is required.")
    if ids is None:
        return [s for e in catalog.enterprises if e.id in ents for s in e.bookable + e.additional]
    return [s for s in dict.fromkeys(ids) if catalog.service_enterprise.get(s) in ents]


def _tests(listing: FinanceListing, req: Doc, inclusive: bool) -> list[DocTest]:
    tests: list[DocTest] = []
    for param, field, max_items in listing.fields:
        values = id_array(req, param, max_items)
        if values is not None:
            tests.append(_field_in(field, set(values)))
    for param, field in listing.intervals:
        bounds = interval(req, param, inclusive)
        if bounds is not None:
            tests.append(_time_in(field, bounds))
    for param, field, allowed in listing.enums:
        chosen = enum_values(req, param, allowed)
        if chosen is not None:
            tests.append(_field_in(field, chosen))
    if listing.activity:
        activity = enum_values(req, "ActivityStates", frozenset(ACTIVITY))
        if activity is not None:
            tests.append(_field_in("IsActive", {ACTIVITY[a] for a in activity}))
    return tests


def _single(req: Doc, name: str, allowed: frozenset[str]) -> str | None:
    value = string_value(req, name)
    if value is not None and value not in allowed:
        raise bad(f"Invalid {name}: allowed values are {', '.join(sorted(allowed))}.")
    return value


def _special(
    listing: FinanceListing, req: Doc, ids: list[str] | None, inclusive: bool
) -> tuple[list[DocTest], bool]:
    """Operation-specific filters, and whether any records are wanted at all."""
    tests: list[DocTest] = []
    if listing is BILLS:
        bill_state = _single(req, "State", frozenset(("Open", "Closed")))
        if bill_state is not None:
            tests.append(_field_in("State", {bill_state}))
        bill_type = _single(req, "Type", frozenset(("Receipt", "Invoice")))
        if bill_type is not None:
            tests.append(_field_in("Type", {bill_type}))
        corrections = enum_values(req, "CorrectionState", frozenset(("Bill", "CorrectiveBill")))
        if corrections is None:
            corrections = {"Bill", "CorrectiveBill"} if ids is not None else {"Bill"}
        tests.append(_field_in("CorrectionState", corrections))
    if listing in (ORDER_ITEMS, PAYMENTS):
        string_value(req, "Currency")  # conversion is not simulated: every amount is EUR
    if listing is PAYMENTS:
        kind = _single(req, "Type", PAYMENT_TYPES)
        if kind is not None:
            tests.append(_field_in("Type", {kind}))
    if listing is PRODUCTS and not isinstance(req.get("IncludeDefault", False), bool | None):
        raise bad("Invalid IncludeDefault: expected a boolean.")
    if listing is AVAILABILITY_BLOCKS:
        extent = req.get("Extent")
        if not isinstance(extent, dict):
            raise bad("Invalid Extent: Extent is required.")
        colliding = interval(req, "CollidingUtc", inclusive)
        if colliding is not None:
            tests.append(_colliding(colliding))
        return tests, extent.get("AvailabilityBlocks") is True
    return tests, True


def _field_in(field: str, values: set[Any]) -> DocTest:
    return lambda doc: doc.get(field) in values


def _time_in(field: str, bounds: tuple[int, int]) -> DocTest:
    def test(doc: Doc) -> bool:
        value = parse_utc(doc.get(field))
        return value is not None and bounds[0] <= value < bounds[1]

    return test


def _colliding(bounds: tuple[int, int]) -> DocTest:
    """A block is active from its first time unit's start to its last one's (inclusive)."""

    def test(doc: Doc) -> bool:
        first = parse_utc(doc["FirstTimeUnitStartUtc"])
        last = parse_utc(doc["LastTimeUnitStartUtc"])
        return first is not None and last is not None and first < bounds[1] and last >= bounds[0]

    return test


def _keeper(tests: list[DocTest]) -> Callable[[Rec], bool]:
    if not tests:
        return lambda rec: True

    def keep(rec: Rec) -> bool:
        doc = rec.doc()
        return all(test(doc) for test in tests)

    return keep


def _body(listing: FinanceListing, req: Doc, page: list[Rec]) -> bytes:
    cursor = b'"' + page[-1].id.encode() + b'"' if page else b"null"
    items = b",".join(rec.blob for rec in page)
    extra = b""
    if listing is PRODUCTS:
        extra = b',"CustomerProducts":[]'
    if listing is AVAILABILITY_BLOCKS:
        extent = req["Extent"]
        extra = b',"Adjustments":' + (b"[]" if extent.get("Adjustments") is True else b"null")
    head = b'{"' + listing.result.encode() + b'":['
    return head + items + b"]" + extra + b',"Cursor":' + cursor + b"}"
