"""The Mews "get all" operations the source loads, each described as data.

An operation's spec says everything the engine needs to read and load it: where it lives,
what its records are keyed by, how it is filtered incrementally and within which interval,
which scope filters it requires (with their item limits), and how its table is shaped.
Adding an operation is a spec here, its support in the simulator, and tests.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dlt.common.schema.typing import TColumnSchema

from mews_source import settings

ANY_SERVICE = "Any"  # a `service_kind` for every discovered service, of either kind

# Known string fields are always emitted, so their columns exist even when all are null.
RESERVATION_FIELDS = tuple(
    "Id ServiceId AccountId AccountType CreatorProfileId UpdaterProfileId BookerId Number State "
    "Origin CommanderOrigin OriginDetails CreatedUtc UpdatedUtc CancelledUtc VoucherId "
    "BusinessSegmentId RateId CreditCardId GroupId RequestedResourceCategoryId AssignedResourceId "
    "AvailabilityBlockId PartnerCompanyId TravelAgencyId AssignedResourceLocked ChannelNumber "
    "ChannelManagerNumber CancellationReason ReleasedUtc StartUtc EndUtc ScheduledStartUtc "
    "ActualStartUtc ScheduledEndUtc ActualEndUtc Purpose QrCodeData".split()
)
PRODUCT_SERVICE_ORDER_FIELDS = tuple(
    "Id ServiceId AccountId AccountType CreatorProfileId UpdaterProfileId BookerId Number State "
    "Origin CommanderOrigin OriginDetails CreatedUtc UpdatedUtc CancelledUtc VoucherId "
    "BusinessSegmentId LinkedReservationId".split()
)


@dataclass(frozen=True)
class Operation:
    """One paginated "get all" operation of the Connector API and the table it loads."""

    name: str  # the resource and its table
    path: str  # exact and case-sensitive: the live API answers 404 otherwise
    result_key: str  # the key of the page's records
    primary_key: str = "id"
    # The interval filter read incrementally (windows within `max_interval_months`, state
    # per scope), or None: the whole collection is re-read each run and merged.
    incremental: str | None = None
    max_interval_months: int = 3
    # The interval filter of a stay's start (reservations: ScheduledStartUtc), read once from
    # start_date on when `stays_from_start_date` is on; None: the operation has none.
    stays_filter: str | None = None
    # Scope: the ids of services of this kind (discovered; ANY_SERVICE: every service), in
    # chunks of `id_limit`, sent as `scope_filter`; None: the operation takes no such ids.
    service_kind: str | None = None
    scope_filter: str = "ServiceIds"
    # Scope keys are instead the ids of this operation's records for those services, read
    # whole each run (resource category assignments are asked for by category).
    scope_from: "Operation | None" = None
    chain_scoped: bool = False  # sends the ChainIds of the token's enterprises (portfolios)
    # A dimension (rates, resources...): its first read takes every record, however old,
    # without an interval filter; `start_date` bounds only the transactions.
    whole_first: bool = False
    id_limit: int = settings.MAX_IDS_PER_REQUEST
    enterprise_scoped: bool = True  # sends the connection's EnterpriseIds, if it has any
    # Filters every request carries, e.g. an Extent the operation requires, or ActivityStates
    # that would otherwise leave deleted records out.
    request: Mapping[str, Any] = field(default_factory=dict)
    page_size: int = settings.PAGE_SIZE
    # Shaped into Arrow by `shaping` (the hot path) when it declares its fields; else the
    # records go to dlt as documents, whose normalizer flattens them (`documents`).
    fields: tuple[str, ...] = ()
    person_counts: bool = False  # loads `<name>__person_counts` from `PersonCounts`
    columns: dict[str, TColumnSchema] = field(default_factory=dict)  # dlt column hints
    personal: tuple[str, ...] = ()  # fields left out unless `customer_personal_data` is on

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table this operation loads."""
        return (self.name, f"{self.name}__person_counts") if self.person_counts else (self.name,)


RESERVATIONS = Operation(
    "reservations",
    "/api/connector/v1/reservations/getAll/2023-06-06",
    "Reservations",
    stays_filter="ScheduledStartUtc",
    incremental="UpdatedUtc",
    service_kind="Bookable",
    fields=RESERVATION_FIELDS,
    person_counts=True,
)
PRODUCT_SERVICE_ORDERS = Operation(
    "product_service_orders",
    "/api/connector/v1/productServiceOrders/getAll",
    "ProductServiceOrders",
    incremental="UpdatedUtc",
    service_kind="Additional",
    fields=PRODUCT_SERVICE_ORDER_FIELDS,
)
# Discovery reads services once a run (see `catalog`); the resource loads what it found.
SERVICES = Operation("services", "/api/connector/v1/services/getAll", "Services")
AGE_CATEGORIES = Operation(
    "age_categories",
    "/api/connector/v1/ageCategories/getAll",
    "AgeCategories",
    service_kind="Bookable",
    columns={"short_names": {"data_type": "json"}},
    request={"ActivityStates": ["Active", "Deleted"]},  # the default leaves deleted ones out
)

ENTERPRISES = Operation(
    "enterprises",
    "/api/connector/v1/enterprises/getAll",
    "Enterprises",
    incremental="UpdatedUtc",
    whole_first=True,
)
# Resource categories carry no UpdatedUtc (the filter exists, the field does not): re-read.
RESOURCE_CATEGORIES = Operation(
    "resource_categories",
    "/api/connector/v1/resourceCategories/getAll",
    "ResourceCategories",
    service_kind="Bookable",
    request={"ActivityStates": ["Active", "Deleted"]},
)
RESOURCES = Operation(
    "resources",
    "/api/connector/v1/resources/getAll",
    "Resources",
    incremental="UpdatedUtc",
    request={"Extent": {"Resources": True, "Inactive": True}},  # Extent is required
    whole_first=True,
)
RESOURCE_BLOCKS = Operation(
    "resource_blocks",
    "/api/connector/v1/resourceBlocks/getAll",
    "ResourceBlocks",
    incremental="UpdatedUtc",
    request={"ActivityStates": ["Active", "Deleted"]},  # the default leaves deleted ones out
    whole_first=True,
)
RATES = Operation(
    "rates",
    "/api/connector/v1/rates/getAll",
    "Rates",
    incremental="UpdatedUtc",
    service_kind="Bookable",
    # Without an Extent the answer also holds the deprecated RateGroups (see rate_groups).
    request={"Extent": {"Rates": True, "AvailabilityBlockAssignments": False}},
    whole_first=True,
)
BUSINESS_SEGMENTS = Operation(
    "business_segments",
    "/api/connector/v1/businessSegments/getAll",
    "BusinessSegments",
    incremental="UpdatedUtc",
    whole_first=True,
)

ORDER_ITEMS = Operation(
    "order_items", "/api/connector/v1/orderItems/getAll", "OrderItems", incremental="UpdatedUtc"
)
ACCOUNTING_CATEGORIES = Operation(
    "accounting_categories",
    "/api/connector/v1/accountingCategories/getAll",
    "AccountingCategories",
    incremental="UpdatedUtc",
    request={"ActivityStates": ["Active", "Deleted"]},
    whole_first=True,
)
BILLS = Operation(
    "bills",
    "/api/connector/v1/bills/getAll",
    "Bills",
    incremental="UpdatedUtc",
    # Without BillIds only regular bills come back: corrective ones would be missing.
    request={"CorrectionState": ["Bill", "CorrectiveBill"]},
)
PAYMENTS = Operation(
    "payments", "/api/connector/v1/payments/getAll", "Payments", incremental="UpdatedUtc"
)
PRODUCTS = Operation(
    "products",
    "/api/connector/v1/products/getAll",
    "Products",
    incremental="UpdatedUtc",
    service_kind=ANY_SERVICE,
    whole_first=True,
)
COMPANIES = Operation(
    "companies",
    "/api/connector/v1/companies/getAll",
    "Companies",
    incremental="UpdatedUtc",
    enterprise_scoped=False,  # companies belong to the chain; without ChainIds: all in scope
    whole_first=True,
)
AVAILABILITY_BLOCKS = Operation(
    "availability_blocks",
    "/api/connector/v1/availabilityBlocks/getAll",
    "AvailabilityBlocks",
    incremental="UpdatedUtc",
    request={"Extent": {"AvailabilityBlocks": True}},  # Extent is required
    whole_first=True,
)
RATE_GROUPS = Operation(
    "rate_groups",
    "/api/connector/v1/rateGroups/getAll",
    "RateGroups",
    incremental="UpdatedUtc",
    service_kind="Bookable",
    whole_first=True,
)
# Identifying and sensitive fields of a customer (see the README): kept out by default.
CUSTOMER_PERSONAL_FIELDS = tuple(
    "Title Sex FirstName LastName SecondLastName BirthDate BirthCountryCode "
    "BirthCountrySubdivisionCode BirthPlace Occupation Email Phone TaxIdentificationNumber "
    "LoyaltyCode AccountingCode BillingCode Notes CarRegistrationNumber DietaryRequirements "
    "ItalianDestinationCode ItalianFiscalCode ItalianLotteryCode Address".split()
)
CUSTOMERS = Operation(
    "customers",
    "/api/connector/v1/customers/getAll",
    "Customers",
    incremental="UpdatedUtc",
    enterprise_scoped=False,  # customers belong to the chain; ChainIds is what it takes
    chain_scoped=True,
    request={
        "Extent": {"Customers": True, "Addresses": False},
        "ActivityStates": ["Active", "Deleted"],
    },
    personal=CUSTOMER_PERSONAL_FIELDS,
)
RESOURCE_CATEGORY_ASSIGNMENTS = Operation(
    "resource_category_assignments",
    "/api/connector/v1/resourceCategoryAssignments/getAll",
    "ResourceCategoryAssignments",
    incremental="UpdatedUtc",
    service_kind="Bookable",
    scope_filter="ResourceCategoryIds",
    scope_from=RESOURCE_CATEGORIES,
    whole_first=True,
)

CATALOGUE = (
    RESERVATIONS,
    PRODUCT_SERVICE_ORDERS,
    SERVICES,
    AGE_CATEGORIES,
    ENTERPRISES,
    RESOURCE_CATEGORIES,
    RESOURCES,
    RESOURCE_BLOCKS,
    RATES,
    BUSINESS_SEGMENTS,
    ORDER_ITEMS,
    ACCOUNTING_CATEGORIES,
    BILLS,
    PAYMENTS,
    PRODUCTS,
    COMPANIES,
    AVAILABILITY_BLOCKS,
    RATE_GROUPS,
    CUSTOMERS,
    RESOURCE_CATEGORY_ASSIGNMENTS,
)
BY_NAME = {operation.name: operation for operation in CATALOGUE}
