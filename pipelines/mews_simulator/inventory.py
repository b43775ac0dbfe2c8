"""Seeded inventory of each enterprise, made of the id pools reservations refer to.

enterprises/getAll documents, resource categories and rates per bookable service, resources
and resource blocks per enterprise, business segments per bookable service. The first bookable
service of an enterprise owns the pooled categories and rates; a second one gets its own, so a
reservation's RequestedResourceCategoryId and RateId belong to the reservation's service.
Drawn from their own seeded stream, so the rest of the data set is unchanged by them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from mews_simulator.catalog import Enterprise
from mews_simulator.ids import between, new_uuid
from mews_simulator.store import Rec, Table
from mews_simulator.times import US_PER_DAY, format_us, parse_utc

Doc = dict[str, Any]
HOUR = 3600 * 1_000_000
# Documented fields of enterprises.md "Enterprise", in the documented order (LinkedUtc added).
ENTERPRISE_FIELDS = (
    "Id", "ExternalIdentifier", "HoldingKey", "ChainId", "ChainName", "CreatedUtc", "UpdatedUtc",
    "Name", "ShortName", "TimeZoneIdentifier", "LegalEnvironmentCode",
    "AccommodationEnvironmentCode", "AccountingEnvironmentCode", "TaxEnvironmentCode",
    "DefaultLanguageCode", "EditableHistoryInterval", "AccountingEditableHistoryInterval",
    "OperationalEditableHistoryInterval", "BusinessDayClosingOffset", "WebsiteUrl", "Email",
    "Phone", "LogoImageId", "CoverImageId", "Pricing", "TaxPrecision", "AddressId", "Address",
    "GroupNames", "Subscription",
)  # fmt: skip
# (Type, Classification, name, Capacity, ExtraCapacity) of the categories of a bookable service.
CATEGORIES = (
    ("Room", "StandardDouble", "Double", 2, 1),
    ("Room", "StandardSingle", "Single", 1, 0),
    ("Suite", "JuniorSuite", "Suite", 3, 1),
)
RATE_NAMES = ("Fully Flexible", "Non Refundable", "Breakfast Included", "Long Stay")
SEGMENT_NAMES = ("Leisure", "Business", "Groups", "Corporate", "Government")
RESOURCE_STATES = ("Dirty", "Clean", "Inspected")
INACTIVE_RESOURCES = 2  # per enterprise, beyond the pool (no reservation refers to them)
BLOCKS = 6  # resource blocks per enterprise; every third one deleted
CATEGORIES_PER_SERVICE, RATES_PER_SERVICE = 3, 4


@dataclass
class Inventory:
    """The tables of the inventory operations, and the rate groups of each bookable service."""

    enterprises: Table = field(default_factory=Table)
    resource_categories: Table = field(default_factory=Table)
    resources: Table = field(default_factory=Table)
    resource_blocks: Table = field(default_factory=Table)
    rates: Table = field(default_factory=Table)
    business_segments: Table = field(default_factory=Table)
    rate_groups: dict[str, list[Doc]] = field(default_factory=dict)


def stamp(rng: random.Random, now: int, history_us: int) -> tuple[int, int]:
    """(created, updated) in whole seconds, created in the older half of the history."""
    created = now - history_us // 2 - between(rng, 0, history_us // 2)
    updated = created + between(rng, 0, (now - created) // 2)
    return created // 1_000_000 * 1_000_000, updated // 1_000_000 * 1_000_000


def build_inventory(
    seed: int, enterprises: list[Enterprise], now: int, history_us: int
) -> Inventory:
    """Every inventory record; also fills `Enterprise.by_service` for reservations to pick from."""
    rng = random.Random(f"{seed}:inventory")
    inv = Inventory()
    for ent in enterprises:
        _, linked = stamp(rng, now, history_us)
        doc = {name: ent.doc[name] for name in ENTERPRISE_FIELDS}
        doc["LinkedUtc"] = format_us(linked)
        inv.enterprises.load([Rec(doc, ent.id, ent.id, *_times(ent.doc))])
        segments = _segments(rng, ent, now, history_us)
        inv.business_segments.load(segments)
        for index, service_id in enumerate(ent.bookable):
            first = index == 0
            cats = ent.pools["categories"] if first else _ids(rng, CATEGORIES_PER_SERVICE)
            rates = ent.pools["rates"] if first else _ids(rng, RATES_PER_SERVICE)
            ent.by_service[service_id] = {"categories": cats, "rates": rates}
            inv.resource_categories.load(
                _category(rng, ent, service_id, i, cat, now, history_us)
                for i, cat in enumerate(cats)
            )
            own = [r.id for r in segments if r.group == service_id]
            group_id = new_uuid(rng)
            inv.rate_groups[service_id] = [{"Id": group_id, "ServiceId": service_id,
                "IsActive": True, "Name": "Default", "ExternalIdentifier": None}]  # fmt: skip
            inv.rates.load(
                _rate(rng, ent, service_id, group_id, i, rates, own, now, history_us)
                for i in range(len(rates))
            )  # fmt: skip
        inv.resources.load(_resources(rng, ent, now, history_us))
        inv.resource_blocks.load(
            make_block(rng, ent, i, *stamp(rng, now, history_us)) for i in range(BLOCKS)
        )
    return inv


def _ids(rng: random.Random, count: int) -> list[str]:
    return [new_uuid(rng) for _ in range(count)]


def _times(doc: Doc) -> tuple[int, int]:
    updated, created = parse_utc(doc["UpdatedUtc"]), parse_utc(doc["CreatedUtc"])
    assert updated is not None and created is not None
    return updated, created


def _segments(rng: random.Random, ent: Enterprise, now: int, history_us: int) -> list[Rec]:
    recs = []
    for index, segment_id in enumerate(ent.pools["segments"]):
        created, updated = stamp(rng, now, history_us)
        service_id = ent.bookable[index % len(ent.bookable)]
        doc = {"Id": segment_id, "ServiceId": service_id, "IsActive": True,
               "Name": SEGMENT_NAMES[index % len(SEGMENT_NAMES)],
               "CreatedUtc": format_us(created), "UpdatedUtc": format_us(updated)}  # fmt: skip
        recs.append(Rec(doc, service_id, ent.id, updated, created))
    return recs


def _category(
    rng: random.Random, ent: Enterprise, service_id: str, index: int, category_id: str, now: int,
    history_us: int,
) -> Rec:  # fmt: skip
    """A documented Resource category (resources.md); the docs give it no Created/UpdatedUtc."""
    kind, classification, name, capacity, extra = CATEGORIES[index % len(CATEGORIES)]
    created, updated = stamp(rng, now, history_us)
    doc = {
        "Id": category_id, "EnterpriseId": ent.id, "ServiceId": service_id, "IsActive": True,
        "Type": kind, "Classification": classification, "Names": {"en-GB": name},
        "ShortNames": {"en-GB": name[:3].upper()}, "Descriptions": {"en-GB": f"A {name} room."},
        "Ordering": index, "Capacity": capacity, "ExtraCapacity": extra,
        "ExternalIdentifier": f"RC-{name}" if index % 2 == 0 else None,
        "AccountingCategoryId": None,
    }  # fmt: skip
    return Rec(doc, service_id, ent.id, updated, created)


def _rate(
    rng: random.Random, ent: Enterprise, service_id: str, group_id: str, index: int,
    rate_ids: list[str], segments: list[str], now: int, history_us: int,
) -> Rec:  # fmt: skip
    """A documented Rate: the first one of a service is its default and base rate."""
    created, updated = stamp(rng, now, history_us)
    name = RATE_NAMES[index % len(RATE_NAMES)]
    doc = {
        "Id": rate_ids[index], "GroupId": group_id, "ServiceId": service_id,
        "BaseRateId": None if index == 0 else rate_ids[0], "IsBaseRate": index == 0,
        "BusinessSegmentId": segments[index % len(segments)] if segments and index % 2 else None,
        "IsActive": True, "IsEnabled": True, "IsPublic": index != 3, "IsDefault": index == 0,
        "Type": "Public" if index != 3 else "Private", "Names": {"en-GB": name},
        "ShortName": "".join(w[0] for w in name.split()), "UpdatedUtc": format_us(updated),
        "ExternalNames": {"en-GB": name}, "Description": {}, "ExternalIdentifier": f"R{index}",
        "TaxExemptionReason": None, "TaxExemptionLegalReference": None, "Name": name,
    }  # fmt: skip
    return Rec(doc, service_id, ent.id, updated, created)


def _resources(rng: random.Random, ent: Enterprise, now: int, history_us: int) -> list[Rec]:
    pool = ent.pools["resources"]
    ids = pool + [new_uuid(rng) for _ in range(INACTIVE_RESOURCES)]
    recs = []
    for index, resource_id in enumerate(ids):
        created, updated = stamp(rng, now, history_us)
        floor = 1 + index // 10
        doc = {
            "Id": resource_id, "EnterpriseId": ent.id, "IsActive": index < len(pool),
            "ParentResourceId": None, "Name": f"{floor}{index % 10:02d}",
            "State": RESOURCE_STATES[index % len(RESOURCE_STATES)], "Descriptions": {},
            "CreatedUtc": format_us(created), "UpdatedUtc": format_us(updated),
            "Data": {"Discriminator": "Space",
                     "Value": {"FloorNumber": str(floor), "LocationNotes": None}},
            "ExternalNames": {}, "Directions": {},
        }  # fmt: skip
        recs.append(Rec(doc, ent.id, ent.id, updated, created))
    return recs


def make_block(rng: random.Random, ent: Enterprise, index: int, created: int, updated: int) -> Rec:
    """A Resource block on a pooled resource; every third one deleted at its UpdatedUtc."""
    resource_id = ent.pools["resources"][between(rng, 0, len(ent.pools["resources"]))]
    start = (created // US_PER_DAY + between(rng, 1, 60)) * US_PER_DAY + 10 * HOUR
    end = start + between(rng, 1, 4) * US_PER_DAY
    deleted = index % 3 == 2
    kind = "OutOfOrder" if index % 2 == 0 else "InternalUse"
    doc = {
        "Id": new_uuid(rng), "EnterpriseId": ent.id, "AssignedResourceId": resource_id,
        "IsActive": not deleted, "Type": kind, "StartUtc": format_us(start),
        "EndUtc": format_us(end), "CreatedUtc": format_us(created),
        "UpdatedUtc": format_us(updated), "DeletedUtc": format_us(updated) if deleted else None,
        "Name": f"{kind} block {index + 1}",
        "Notes": "Maintenance" if kind == "OutOfOrder" else None,
    }  # fmt: skip
    return Rec(doc, ent.id, ent.id, updated, created)
