"""resourceCategoryAssignments/getAll and customers/getAll, with the request rules of their pages.

resourceCategoryAssignments: ResourceCategoryIds required (max 1000); EnterpriseIds,
ResourceCategoryAssignmentIds, ResourceIds (max 1000 each), UpdatedUtc (3 months, like every
interval here), ActivityStates optional.

customers: Extent required (customers only when Extent.Customers is true); ChainIds required
with the Portfolio Access Token and ignored with an enterprise's token; CreatedUtc, UpdatedUtc
and DeletedUtc at most 3 months; ActivityStates; CustomerIds, Emails, FirstNames, LastNames,
LoyaltyCodes (max 1000) and CompanyIds (max 1). At least one filter is required ("CustomerIds:
required if no other filter is provided"). The deprecated Documents member is null.
"""

from __future__ import annotations

from typing import Any

from mews_simulator.inventory_ops import _activity, _extent
from mews_simulator.ops import DocTest, Listing
from mews_simulator.state import SimulatorState
from mews_simulator.store import Rec
from mews_simulator.times import parse_utc
from mews_simulator.validate import bad, id_array, interval

Doc = dict[str, Any]
BOTH = frozenset((True, False))
# The filters of customers/getAll of which at least one must be given.
CUSTOMER_FILTERS = ("CustomerIds", "CompanyIds", "Emails", "FirstNames", "LastNames",
                    "LoyaltyCodes", "CreatedUtc", "UpdatedUtc", "DeletedUtc")  # fmt: skip


def _category_groups(state: SimulatorState, req: Doc, ents: list[str]) -> list[str]:
    """The requested resource categories (required) that lie within the enterprises."""
    ids = id_array(req, "ResourceCategoryIds", 1000)
    if ids is None:
        raise bad("Invalid ResourceCategoryIds: ResourceCategoryIds is required.")
    categories = state.data.inventory.resource_categories.records
    wanted = set(ents)
    return [
        c for c in dict.fromkeys(ids) if c in categories and categories[c].enterprise_id in wanted
    ]


def _assignment_tests(req: Doc, inclusive: bool) -> list[DocTest]:
    return _activity(req, BOTH)


RESOURCE_CATEGORY_ASSIGNMENTS = Listing(
    "ResourceCategoryAssignments", lambda d: d.people.table("ResourceCategoryAssignments"),
    _category_groups, "ResourceCategoryAssignmentIds",
    fields=(("ResourceIds", "ResourceId", 1000),), states=False, extra=_assignment_tests,
)  # fmt: skip


def _chain_groups(state: SimulatorState, req: Doc, ents: list[str]) -> list[str]:
    """Chains of the token's enterprises; a Portfolio Access Token must name them (ChainIds)."""
    catalog = state.data.catalog
    chains = list(dict.fromkeys(catalog.enterprise(e).doc["ChainId"] for e in ents))
    if req.get("AccessToken") != state.portfolio_token:
        return chains  # ChainIds is ignored with an enterprise's token
    requested = id_array(req, "ChainIds", 1000)
    if requested is None:
        raise bad("Invalid ChainIds: ChainIds is required when using a Portfolio Access Token.")
    return [c for c in dict.fromkeys(requested) if c in chains]


def _customer_tests(req: Doc, inclusive: bool) -> list[DocTest]:
    _extent(req, True, ("Customers", "Addresses", "Documents"))
    if all(req.get(name) is None for name in CUSTOMER_FILTERS):
        names = ", ".join(CUSTOMER_FILTERS)
        raise bad(f"Invalid CustomerIds: CustomerIds is required if none of {names} is given.")
    tests = _activity(req, BOTH)
    deleted = interval(req, "DeletedUtc", inclusive)
    if deleted is not None:
        lo, hi = deleted
        # A deleted customer's deletion is its last update.
        tests.append(lambda doc: not doc["IsActive"] and lo <= _us(doc["UpdatedUtc"]) < hi)
    return tests


def _us(text: str) -> int:
    return parse_utc(text) or 0


def _wants_customers(req: Doc) -> bool:
    return req["Extent"].get("Customers") is True


def _documents(state: SimulatorState, req: Doc, page: list[Rec], groups: list[str]) -> bytes:
    return b',"Documents":null'


CUSTOMERS = Listing(
    "Customers", lambda d: d.people.table("Customers"), _chain_groups, "CustomerIds",
    fields=(("CompanyIds", "CompanyId", 1), ("Emails", "Email", 1000),
            ("FirstNames", "FirstName", 1000), ("LastNames", "LastName", 1000),
            ("LoyaltyCodes", "LoyaltyCode", 1000)),
    created=True, states=False, extra=_customer_tests, serves=_wants_customers, more=_documents,
)  # fmt: skip
PEOPLE_PATHS = {
    "resourceCategoryAssignments/getAll": RESOURCE_CATEGORY_ASSIGNMENTS,
    "customers/getAll": CUSTOMERS,
}
