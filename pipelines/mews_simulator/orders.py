"""Seeded reservations (ver 2023-06-06) and product service orders with state-consistent times."""

from __future__ import annotations

import random
from typing import Any

from mews_simulator.catalog import Enterprise
from mews_simulator.ids import below, between, new_uuid, pick
from mews_simulator.times import US_PER_DAY, US_PER_S, format_cached, format_us

HOUR = 3600 * US_PER_S
ORIGINS = ("Distributor", "ChannelManager", "Commander", "Import", "Connector", "Navigator")
COMMANDER_ORIGINS = ("InPerson", "Channel", "Phone", "Email", "Website", "Message", "CallCenter")
REASONS = ("Other", "ConfirmationMissed", "BookedElsewhere", "NoShow", "PriceTooHigh",
           "RequestedByGuest", "InputError")  # fmt: skip
PURPOSES = ("Leisure", "Business", "Student")
FUTURE_STATES = ("Confirmed",) * 12 + ("Canceled",) * 3 + ("Optional", "Inquired", "Requested")
# Optional fields dropped from the JSON of a "sparse" record (absent, not null).
SPARSE_FIELDS = ("BookerId", "ChannelManagerNumber", "Purpose", "QrCodeData")


class Timeline:
    """Scheduled and actual times of one order, consistent with its State at `now`."""

    def __init__(self, rng: random.Random, now: int, created: int) -> None:
        self.created = created
        day = self.created // US_PER_DAY + between(rng, 1, 120)
        self.start = day * US_PER_DAY + 14 * HOUR
        self.end = (day + between(rng, 1, 8)) * US_PER_DAY + 10 * HOUR
        self.actual_start: int | None = None
        self.actual_end: int | None = None
        self.cancelled: int | None = None
        self.released: int | None = None
        self.state = self._pick_state(rng, now)
        self._place_events(rng, now)

    def _pick_state(self, rng: random.Random, now: int) -> str:
        if self.end < now:
            return "Processed" if rng.random() < 0.8 else "Canceled"
        if self.start <= now:
            return "Started" if rng.random() < 0.85 else "Canceled"
        return pick(rng, FUTURE_STATES)

    def _place_events(self, rng: random.Random, now: int) -> None:
        if self.state in ("Started", "Processed"):
            self.actual_start = min(self.start + between(rng, -2 * HOUR, 6 * HOUR), now - HOUR)
            self.actual_start = max(self.actual_start, self.created)
        if self.state == "Processed":
            self.actual_end = max(self.end + between(rng, -3 * HOUR, HOUR), self.actual_start or 0)
            self.actual_end = min(self.actual_end, now - US_PER_S)
        if self.state == "Canceled":
            self.cancelled = self.created + below(rng, max(1, min(self.start, now) - self.created))
        for name in ("actual_start", "actual_end", "cancelled"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value // US_PER_S * US_PER_S)
        if self.state == "Optional":
            self.released = min(self.start, self.created + 7 * US_PER_DAY)

    def updated(self, rng: random.Random, now: int) -> int:
        """UpdatedUtc: at or after the last event, before now; some with a `.500` fraction."""
        last = self.last_event()
        span = min(now - last, 30 * US_PER_DAY)
        stamp = last if rng.random() < 0.3 or span <= 0 else last + below(rng, span)
        stamp = stamp // US_PER_S * US_PER_S
        if rng.random() < 0.1:
            stamp += 500_000
        return max(min(stamp, now - US_PER_S), self.created)

    def last_event(self) -> int:
        return max(self.created, self.actual_start or 0, self.actual_end or 0, self.cancelled or 0)

    def checked_in(self) -> bool:
        return self.state in ("Started", "Processed")


def _common(rng: random.Random, ent: Enterprise, t: Timeline, number: int) -> dict[str, Any]:
    origin = pick(rng, ORIGINS)
    pools = ent.pools
    return {
        "AccountType": "Customer", "CreatorProfileId": pick(rng, pools["profiles"]),
        "UpdaterProfileId": pick(rng, pools["profiles"]),
        "BookerId": new_uuid(rng) if rng.random() < 0.3 else None,
        "Number": str(number), "State": t.state, "Origin": origin,
        "CommanderOrigin": pick(rng, COMMANDER_ORIGINS) if origin == "Commander" else None,
        "OriginDetails": "Booking Engine" if origin == "Distributor" else None,
        "CreatedUtc": format_us(t.created), "UpdatedUtc": "",
        "CancelledUtc": format_us(t.cancelled) if t.cancelled else None,
        "VoucherId": pick(rng, pools["vouchers"]) if rng.random() < 0.05 else None,
        "BusinessSegmentId": pick(rng, pools["segments"]) if rng.random() < 0.5 else None,
    }  # fmt: skip


def options(checked_in: bool, origin: str) -> dict[str, bool]:
    """Service Order Options, consistent with check-in state."""
    return {
        "OwnerCheckedIn": checked_in,
        "AllCompanionsCheckedIn": checked_in,
        "AnyCompanionCheckedIn": checked_in,
        "ConnectorCheckIn": checked_in and origin == "Connector",
    }


def make_reservation(
    rng: random.Random, ent: Enterprise, service_id: str, t: Timeline, number: int, group_id: str
) -> dict[str, Any]:
    """A Reservation (ver 2023-06-06) with every documented field, UpdatedUtc left to the caller."""
    doc: dict[str, Any] = {"Id": new_uuid(rng), "ServiceId": service_id, "AccountId": new_uuid(rng)}
    doc.update(_common(rng, ent, t, number))
    pools, assigned = ent.pools, t.state not in ("Inquired", "Requested") and rng.random() < 0.9
    own = ent.by_service.get(service_id, pools)
    from_channel = doc["Origin"] == "ChannelManager"
    start_utc = min(t.start, t.actual_start) if t.actual_start else t.start
    doc.update({
        "Options": options(t.checked_in(), doc["Origin"]),
        "RateId": pick(rng, own["rates"]),
        "CreditCardId": new_uuid(rng) if rng.random() < 0.5 else None, "GroupId": group_id,
        "RequestedResourceCategoryId": pick(rng, own["categories"]),
        "AssignedResourceId": pick(rng, pools["resources"]) if assigned else None,
        "AvailabilityBlockId": pick(rng, pools["blocks"]) if rng.random() < 0.05 else None,
        "PartnerCompanyId": pick(rng, pools["companies"]) if rng.random() < 0.15 else None,
        "TravelAgencyId": pick(rng, pools["companies"]) if rng.random() < 0.1 else None,
        "AssignedResourceLocked": assigned and rng.random() < 0.1,
        "ChannelNumber": f"CH{rng.getrandbits(24):06X}" if from_channel else None,
        "ChannelManagerNumber": f"{number}-1" if from_channel else "",
        "CancellationReason": pick(rng, REASONS) if t.cancelled else None,
        "ReleasedUtc": format_us(t.released) if t.released else None,
        "StartUtc": format_cached(start_utc), "EndUtc": format_cached(t.end),
        "ScheduledStartUtc": format_cached(t.start),
        "ActualStartUtc": format_us(t.actual_start) if t.actual_start else None,
        "ScheduledEndUtc": format_cached(t.end),
        "ActualEndUtc": format_us(t.actual_end) if t.actual_end else None,
        "Purpose": pick(rng, PURPOSES) if rng.random() < 0.7 else None,
        "QrCodeData": _qr(doc, group_id) if rng.random() < 0.5 else None,
        "PersonCounts": person_counts(rng, ent.categories[service_id]),
    })  # fmt: skip
    if rng.random() < 0.1:
        for name in SPARSE_FIELDS:
            del doc[name]
    return doc


def _qr(doc: dict[str, Any], group_id: str) -> str:
    item = f'{{"Id":"{doc["Id"]}","GroupId":"{group_id}","CustomerId":"{doc["AccountId"]}"}}'
    return f'{{"Reservations":[{item}]}}'


def person_counts(rng: random.Random, categories: list[str]) -> list[dict[str, Any]]:
    """1-3 entries (adults first) with positive integer counts."""
    draw = rng.random()
    size = 1 if draw < 0.5 else 2 if draw < 0.85 else 3
    return [{"AgeCategoryId": cat, "Count": between(rng, 1, 4)} for cat in categories[:size]]


def make_product_service_order(
    rng: random.Random, ent: Enterprise, service_id: str, t: Timeline, number: int,
    linked: str | None,
) -> dict[str, Any]:  # fmt: skip
    """A Product service order against an Additional service."""
    doc: dict[str, Any] = {"Id": new_uuid(rng), "ServiceId": service_id, "AccountId": new_uuid(rng)}
    doc.update(_common(rng, ent, t, number))
    doc["LinkedReservationId"] = linked
    doc["Options"] = options(t.checked_in(), doc["Origin"])
    return doc


def add_variations(rng: random.Random, doc: dict[str, Any], enterprise_id: str) -> None:
    """The draft-era variations: string counts, EnterpriseId, unknown fields and enum values."""
    doc["EnterpriseId"] = enterprise_id
    for item in doc.get("PersonCounts", []):
        item["Count"] = str(item["Count"])
    doc["LoyaltyTier"] = pick(rng, ("Gold", "Silver"))
    doc["ExternalRef"] = {"System": "x", "Code": f"y{rng.getrandbits(16)}"}
    if rng.random() < 0.5:
        doc["State"] = "Waitlisted"
    else:
        doc["Origin"] = "Kiosk"
