"""Seeded enterprises, their services and the age categories of bookable services."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from mews_simulator.ids import new_uuid
from mews_simulator.times import US_PER_DAY, format_us

BOOKABLE_NAMES = ("Accommodation", "Apartments")
ADDITIONAL_NAMES = (("Restaurant", "Parking"), ("Spa", "Breakfast"))
# East of UTC, on it in winter, and west of it: hotel-local nights differ from UTC dates both
# ways, and each zone changes to and from daylight saving inside a year of history.
CITIES = (
    ("Prague", "CZ", "Europe/Prague"),
    ("London", "GB", "Europe/London"),
    ("New York", "US", "America/New_York"),
)
# (Classification, name, MinimalAge, MaximalAge); the docs define only Adult and Child.
AGE_CATEGORIES = (
    ("Adult", "Adults", 18, None),
    ("Child", "Children", 3, 17),
    ("Child", "Infants", 0, 2),
)


@dataclass
class Enterprise:
    """One property, with the pools of ids its orders refer to."""

    doc: dict[str, Any]
    bookable: list[str] = field(default_factory=list)
    additional: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    pools: dict[str, list[str]] = field(default_factory=dict)
    # Per bookable service, the "categories" and "rates" of that service (see inventory.py).
    by_service: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.doc["Id"])


def _stamp(rng: random.Random, now: int, history_us: int) -> tuple[int, int]:
    created = now - rng.randrange(history_us // 2, history_us)
    updated = created + rng.randrange(0, (now - created) // 4)
    return created // 1_000_000 * 1_000_000, updated // 1_000_000 * 1_000_000


def make_enterprise(
    rng: random.Random, index: int, now: int, portfolio: bool = False
) -> Enterprise:
    """An enterprise in the shape of configuration/get's `Enterprise`."""
    city, country, zone = CITIES[index % len(CITIES)]
    created, updated = _stamp(rng, now, 3 * 365 * US_PER_DAY)
    name = "Portfolio" if portfolio else f"Simulated Hotel {index + 1}"
    doc = {
        "Id": new_uuid(rng), "ExternalIdentifier": None if portfolio else f"H{index + 1:03d}",
        "HoldingKey": None, "ChainId": new_uuid(rng), "ChainName": "Simulated Chain",
        "CreatedUtc": format_us(created), "UpdatedUtc": format_us(updated), "Name": name,
        "ShortName": None, "TimeZoneIdentifier": zone, "LegalEnvironmentCode": country,
        "AccommodationEnvironmentCode": country, "AccountingEnvironmentCode": country,
        "TaxEnvironmentCode": country, "DefaultLanguageCode": "en-GB",
        "EditableHistoryInterval": "P0M7DT0H0M0S",
        "AccountingEditableHistoryInterval": "P0M7DT0H0M0S",
        "OperationalEditableHistoryInterval": "P0M5DT0H0M0S", "BusinessDayClosingOffset": None,
        "WebsiteUrl": None, "Email": f"hotel{index + 1}@example.com", "Phone": None,
        "LogoImageId": None, "CoverImageId": None, "Pricing": "Gross", "TaxPrecision": None,
        "AddressId": new_uuid(rng),
        "Address": {
            "Id": new_uuid(rng), "Line1": f"Street {index + 1}", "Line2": None, "City": city,
            "PostalCode": "10000", "CountryCode": country, "CountrySubdivisionCode": None,
            "Latitude": None, "Longitude": None,
        },
        "GroupNames": [], "Subscription": {"TaxIdentifier": None},
        "Currencies": [{"Currency": "EUR", "IsDefault": True, "IsEnabled": True}],
        "AccountingConfiguration": None, "IsPortfolio": portfolio,
    }  # fmt: skip
    return Enterprise(doc)


def add_pools(rng: random.Random, ent: Enterprise) -> None:
    """Ids of profiles, rates, rooms, companies etc. that orders pick from."""
    sizes = {"profiles": 6, "rates": 4, "categories": 3, "resources": 40, "segments": 3,
             "companies": 6, "blocks": 3, "vouchers": 2}  # fmt: skip
    ent.pools = {name: [new_uuid(rng) for _ in range(n)] for name, n in sizes.items()}


def make_services(
    rng: random.Random, ent: Enterprise, index: int, now: int, history_us: int
) -> list[dict[str, Any]]:
    """One or two bookable and two additional services of an enterprise."""
    docs: list[dict[str, Any]] = []
    bookable = BOOKABLE_NAMES[: 1 + index % 2]
    for ordering, name in enumerate(bookable + ADDITIONAL_NAMES[index % 2]):
        is_bookable = name in BOOKABLE_NAMES
        created, updated = _stamp(rng, now, history_us)
        docs.append({
            "Id": new_uuid(rng), "EnterpriseId": ent.id, "IsActive": True,
            "Names": {"en-GB": name}, "Options": {"BillAsPackage": is_bookable},
            "Ordering": ordering, "Data": _service_data(is_bookable),
            "ExternalIdentifier": f"SVC-{name}" if ordering % 2 == 0 else None,
            "CreatedUtc": format_us(created), "UpdatedUtc": format_us(updated), "Name": name,
        })  # fmt: skip
        (ent.bookable if is_bookable else ent.additional).append(docs[-1]["Id"])
    return docs


def _service_data(is_bookable: bool) -> dict[str, Any]:
    if is_bookable:
        value: dict[str, Any] = {
            "StartOffset": "P0M0DT14H0M0S", "EndOffset": "P0M0DT12H0M0S",
            "OccupancyStartOffset": "P0M0DT14H0M0S", "OccupancyEndOffset": "P0M0DT12H0M0S",
            "TimeUnitPeriod": "Day",
        }  # fmt: skip
        return {"Discriminator": "Bookable", "Value": value}
    flags = ("BeforeCheckIn", "AfterCheckIn", "DuringStay", "BeforeCheckOut", "AfterCheckOut",
             "DuringCheckOut")  # fmt: skip
    return {"Discriminator": "Additional", "Value": {"Promotions": dict.fromkeys(flags, False)}}


def make_age_categories(
    rng: random.Random, ent: Enterprise, service_id: str, now: int, history_us: int
) -> list[dict[str, Any]]:
    """Adult, Child and Infant categories of a bookable service (documented fields)."""
    docs: list[dict[str, Any]] = []
    for classification, name, min_age, max_age in AGE_CATEGORIES:
        created, updated = _stamp(rng, now, history_us)
        docs.append({
            "Id": new_uuid(rng), "ServiceId": service_id, "MinimalAge": min_age,
            "MaximalAge": max_age, "Names": {"en-GB": name}, "ShortNames": None,
            "CreatedUtc": format_us(created), "UpdatedUtc": format_us(updated),
            "Classification": classification, "IsActive": True,
            "ExternalIdentifier": name if classification == "Adult" else None,
        })  # fmt: skip
    ent.categories[service_id] = [doc["Id"] for doc in docs]
    return docs
