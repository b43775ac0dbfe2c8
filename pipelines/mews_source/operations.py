"""The Mews "get all" operations the source loads, each described as data.

An operation's spec says everything the engine needs to read and load it: where it lives,
what its records are keyed by, how it is filtered incrementally and within which interval,
which scope filters it requires (with their item limits), and how its table is shaped.
Adding an operation is a spec here, its support in the simulator, and tests.
"""

from dataclasses import dataclass, field

from dlt.common.schema.typing import TColumnSchema

from mews_source import settings

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
    # Scope: the ServiceIds of services of this kind (discovered), in chunks of `id_limit`;
    # None: the operation takes no ServiceIds.
    service_kind: str | None = None
    id_limit: int = settings.MAX_IDS_PER_REQUEST
    enterprise_scoped: bool = True  # sends the connection's EnterpriseIds, if it has any
    page_size: int = settings.PAGE_SIZE
    # Shaped into Arrow by `shaping` (the hot path) when it declares its fields; else dlt's
    # normalizer flattens the records.
    fields: tuple[str, ...] = ()
    person_counts: bool = False  # loads `<name>__person_counts` from `PersonCounts`
    columns: dict[str, TColumnSchema] = field(default_factory=dict)  # dlt column hints
    personal: tuple[str, ...] = ()  # fields left out unless the user opts in

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table this operation loads."""
        return (self.name, f"{self.name}__person_counts") if self.person_counts else (self.name,)


RESERVATIONS = Operation(
    "reservations",
    "/api/connector/v1/reservations/getAll/2023-06-06",
    "Reservations",
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
)

CATALOGUE = (RESERVATIONS, PRODUCT_SERVICE_ORDERS, SERVICES, AGE_CATEGORIES)
BY_NAME = {operation.name: operation for operation in CATALOGUE}
