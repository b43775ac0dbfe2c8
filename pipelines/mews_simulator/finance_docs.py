"""Seeded records that hang off the catalog: accounting categories, products, companies,
availability blocks and rate groups, in the shape the Connector API docs give them.

Companies and availability blocks are the ids of the enterprise pools "companies" and "blocks"
that reservations already refer to (PartnerCompanyId, TravelAgencyId, AvailabilityBlockId).
"""

from __future__ import annotations

import random
from typing import Any

from mews_simulator.catalog import Enterprise
from mews_simulator.ids import between, new_uuid, pick
from mews_simulator.times import US_PER_DAY, format_us

Doc = dict[str, Any]
# (Name, Classification); the first is what nights are booked to, the last what payments are.
CATEGORIES = (
    ("Accommodation", "Accommodation"), ("Food", "FoodAndBeverage"),
    ("Beverage", "FoodAndBeverage"), ("Wellness", "Wellness"), ("Parking", "Facilities"),
    ("Payments", "Payments"),
)  # fmt: skip
# Product names and the accounting category (by name) of each additional service.
PRODUCTS = {
    "Restaurant": (("Lunch", "Dinner", "Wine"), "Food"),
    "Breakfast": (("Continental breakfast", "Full breakfast", "Juice"), "Food"),
    "Spa": (("Massage", "Sauna", "Pool"), "Wellness"),
    "Parking": (("Parking spot", "Garage", "Charging"), "Parking"),
}
PROMOTIONS = ("BeforeCheckIn", "AfterCheckIn", "DuringStay", "BeforeCheckOut", "AfterCheckOut",
              "DuringCheckOut")  # fmt: skip
RATE_GROUPS = ("Standard", "Corporate")


def stamps(rng: random.Random, now: int) -> tuple[int, int]:
    """(CreatedUtc, UpdatedUtc) in whole seconds, updated within the last ~60 days."""
    updated = now - between(rng, US_PER_DAY // 24, 60 * US_PER_DAY)
    created = updated - between(rng, 0, 400 * US_PER_DAY)
    return created // 1_000_000 * 1_000_000, updated // 1_000_000 * 1_000_000


def _times(rng: random.Random, now: int) -> Doc:
    created, updated = stamps(rng, now)
    return {"CreatedUtc": format_us(created), "UpdatedUtc": format_us(updated)}


def amount(gross: float, rate: float = 0.1, code: str = "XX-S") -> Doc:
    """An Amount object (_objects.md) in EUR with one tax."""
    net = round(gross / (1 + rate), 2)
    tax = round(gross - net, 2)
    return {
        "Currency": "EUR", "NetValue": net, "GrossValue": round(gross, 2),
        "TaxValues": [{"Code": code, "Value": tax}],
        "Breakdown": {"Items": [{"TaxRateCode": code, "NetValue": net, "TaxValue": tax}]},
    }  # fmt: skip


def accounting_categories(rng: random.Random, ent: Enterprise, now: int) -> list[Doc]:
    docs = []
    for index, (name, classification) in enumerate(CATEGORIES):
        docs.append({
            "Id": new_uuid(rng), "EnterpriseId": ent.id, "IsActive": True, "Name": name,
            "Code": f"AC{index + 1:02d}", "ExternalCode": None,
            "LedgerAccountCode": f"6{index + 1:02d}000", "PostingAccountCode": None,
            "CostCenterCode": None, "Classification": classification, **_times(rng, now),
        })  # fmt: skip
    return docs


def products(rng: random.Random, service: Doc, category_ids: dict[str, str], now: int) -> list[Doc]:
    """Three products of an additional service, booked to the service's category."""
    names, category = PRODUCTS.get(service["Name"], (("Item A", "Item B", "Item C"), "Food"))
    docs = []
    for ordering, name in enumerate(names):
        text = {"en-GB": name}
        docs.append({
            "Id": new_uuid(rng), "ServiceId": service["Id"], "CategoryId": None,
            "AccountingCategoryId": category_ids[category], "IsActive": ordering < 2,
            "Names": text, "ExternalNames": text, "ShortNames": text, "Descriptions": {},
            "ChargingMode": "Once", "PostingMode": "Once",
            "Options": {"BillAsPackage": False, "ExcludePriceFromOffer": False},
            "Promotions": dict.fromkeys(PROMOTIONS, False),
            "Classifications": {
                "Food": category == "Food", "Beverage": False,
                "Wellness": category == "Wellness", "CityTax": False, "Fee": False,
            },
            "Price": amount(between(rng, 5, 80)), "ImageIds": [], "Ordering": ordering,
            "ExternalIdentifier": f"P-{name}" if ordering == 0 else None,
            "TaxExemptionReason": None, "TaxExemptionLegalReference": None,
            **_times(rng, now), "ConsumptionMoment": "ServiceOrderStart",
        })  # fmt: skip
    return docs


def companies(rng: random.Random, ent: Enterprise, offset: int, now: int) -> list[Doc]:
    """The enterprise's "companies" pool, in its chain; the last one is deleted (inactive)."""
    pool = ent.pools["companies"]
    docs = []
    for index, company_id in enumerate(pool):
        number = offset + index + 1
        docs.append({
            "Id": company_id, "ChainId": ent.doc["ChainId"], "Name": f"Company {number}",
            "MotherCompanyId": None, "InvoicingEmail": f"invoices{number}@example.com",
            "WebsiteUrl": None, "InvoiceDueInterval": "P0M14DT0H0M0S",
            "Options": {"Invoiceable": index % 2 == 0, "AddFeesToInvoices": False,
                        "AddTaxDeductedPaymentToInvoices": False},
            "CreditRating": {"Basic": "CreditOk"}, "Department": None, "DunsNumber": None,
            "ReferenceIdentifier": None, "AccountingCode": f"C{number:04d}",
            "AdditionalTaxIdentifier": None, "BillingCode": None, "Contact": None,
            "ContactPerson": None, "Identifier": None, "Iata": None,
            "IsActive": index < len(pool) - 1, "Notes": None, "Number": number,
            "TaxIdentifier": None, "Telephone": None, **_times(rng, now), "AddressId": None,
            "MergeTargetId": None, "ExternalIdentifier": f"EXT-C{number}" if index < 2 else None,
        })  # fmt: skip
    return docs


def availability_blocks(rng: random.Random, ent: Enterprise, offset: int, now: int) -> list[Doc]:
    """The enterprise's "blocks" pool, each on one of its bookable services."""
    docs = []
    for index, block_id in enumerate(ent.pools["blocks"]):
        first = (now // US_PER_DAY + between(rng, -60, 60)) * US_PER_DAY
        last = first + between(rng, 1, 10) * US_PER_DAY
        docs.append({
            "Id": block_id, "EnterpriseId": ent.id,
            "ServiceId": ent.bookable[index % len(ent.bookable)],
            "RateId": pick(rng, ent.pools["rates"]), "VoucherId": None, "BookerId": None,
            "CompanyId": ent.pools["companies"][index], "TravelAgencyId": None, "Budget": None,
            "State": "Confirmed", "ReservationPurpose": "Business", **_times(rng, now),
            "FirstTimeUnitStartUtc": format_us(first), "LastTimeUnitStartUtc": format_us(last),
            "ReleasedUtc": format_us(first - 7 * US_PER_DAY), "RollingReleaseOffset": None,
            "ExternalIdentifier": f"BLK-{offset + index + 1}" if index == 0 else None,
            "Name": f"Block {offset + index + 1}", "Notes": None,
            "PickupDistribution": "AllInOneGroup", "IsActive": True, "QuoteId": None,
            "AvailabilityBlockNumber": str(offset + index + 1),
            "ReleaseStrategy": "FixedRelease", "PurchaseOrderNumber": None,
            "BusinessSegmentId": None, "CanceledUtc": None, "CancellationReason": None,
            "CancellationReasonDetail": None,
        })  # fmt: skip
    return docs


def rate_groups(rng: random.Random, service_id: str, now: int) -> list[Doc]:
    docs = []
    for ordering, name in enumerate(RATE_GROUPS):
        docs.append({
            "Id": new_uuid(rng), "ServiceId": service_id, "IsActive": True,
            **_times(rng, now), "Ordering": ordering, "Names": {"en-GB": name},
            "ShortNames": None, "Descriptions": None,
            "ExternalIdentifier": f"RG-{name}" if ordering == 0 else None,
        })  # fmt: skip
    return docs
