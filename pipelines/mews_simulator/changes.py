"""Record-level changes used by mutations: state transitions and person-count edits."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from mews_simulator.orders import REASONS

TRANSITIONS = {
    "Inquired": "Confirmed",
    "Requested": "Confirmed",
    "Optional": "Confirmed",
    "Confirmed": "Canceled",
    "Started": "Processed",
}


@dataclass(frozen=True)
class Mutation:
    """Ids touched by one mutation, so tests can check what a client should now see."""

    updated_reservation_ids: list[str] = field(default_factory=list)
    created_reservation_ids: list[str] = field(default_factory=list)
    dropped_category_reservation_ids: list[str] = field(default_factory=list)
    updated_order_ids: list[str] = field(default_factory=list)
    created_order_ids: list[str] = field(default_factory=list)
    updated_enterprise_ids: list[str] = field(default_factory=list)
    updated_resource_category_ids: list[str] = field(default_factory=list)
    updated_resource_ids: list[str] = field(default_factory=list)
    updated_resource_block_ids: list[str] = field(default_factory=list)
    created_resource_block_ids: list[str] = field(default_factory=list)
    updated_rate_ids: list[str] = field(default_factory=list)
    updated_business_segment_ids: list[str] = field(default_factory=list)
    updated_resource_category_assignment_ids: list[str] = field(default_factory=list)
    created_resource_category_assignment_ids: list[str] = field(default_factory=list)
    updated_customer_ids: list[str] = field(default_factory=list)
    created_customer_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, list[str]]:
        return asdict(self)


def update_order(doc: dict[str, Any], rng: random.Random, now_text: str, profile: str) -> None:
    """Advance the State where a transition exists and stamp UpdatedUtc = now."""
    target = TRANSITIONS.get(doc["State"])
    if target == "Confirmed":
        if "ReleasedUtc" in doc:
            doc["ReleasedUtc"] = None
    elif target == "Canceled":
        doc["CancelledUtc"] = now_text
        if "CancellationReason" in doc:
            doc["CancellationReason"] = rng.choice(REASONS)
    elif target == "Processed" and "ActualEndUtc" in doc:
        doc["ActualEndUtc"] = now_text
    if target is not None:
        doc["State"] = target
    doc["UpdaterProfileId"] = profile
    doc["UpdatedUtc"] = now_text


def change_person_counts(doc: dict[str, Any], rng: random.Random) -> bool:
    """Drop the last age category (when >= 2) or change one count; True when one was dropped."""
    counts = doc["PersonCounts"]
    if len(counts) >= 2 and rng.random() < 0.5:
        counts.pop()
        return True
    item = rng.choice(counts)
    value = int(item["Count"])
    value = value + 1 if value < 4 else value - 1
    item["Count"] = str(value) if isinstance(item["Count"], str) else value
    return False
