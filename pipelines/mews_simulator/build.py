"""Builds the seeded data set: enterprises, services, age categories, reservations, orders."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from mews_simulator.catalog import (
    Enterprise,
    add_pools,
    make_age_categories,
    make_enterprise,
    make_services,
)
from mews_simulator.config import SimulatorConfig
from mews_simulator.ids import below, new_uuid, pick
from mews_simulator.orders import (
    HOUR,
    Timeline,
    add_variations,
    make_product_service_order,
    make_reservation,
)
from mews_simulator.store import Draft, Packed, Rec, Table, to_recs
from mews_simulator.times import US_PER_DAY, format_us, parse_utc

TIE_SHARE = 0.03


@dataclass
class Catalog:
    """Enterprises and the lookup maps every operation needs."""

    enterprises: list[Enterprise]
    portfolio: Enterprise
    service_enterprise: dict[str, str] = field(default_factory=dict)
    bookable: set[str] = field(default_factory=set)
    numbers: dict[str, int] = field(default_factory=dict)
    reservation_ids: dict[str, list[str]] = field(default_factory=dict)
    group_ids: dict[str, str] = field(default_factory=dict)

    def enterprise(self, enterprise_id: str) -> Enterprise:
        return next(e for e in self.enterprises if e.id == enterprise_id)

    def next_number(self, kind: str) -> int:
        """Next confirmation number of `kind` ("reservations" or "orders")."""
        self.numbers[kind] = self.numbers.get(kind, 0) + 1
        return self.numbers[kind]


def build_catalog(
    rng: random.Random, config: SimulatorConfig, now: int
) -> tuple[Catalog, Table, Table]:
    """Enterprises with pools, plus the services and age categories tables."""
    history = config.history_days * US_PER_DAY
    enterprises = [make_enterprise(rng, i, now) for i in range(config.enterprise_count)]
    catalog = Catalog(enterprises, make_enterprise(rng, config.enterprise_count, now, True))
    services, categories = Table(), Table()
    for index, ent in enumerate(enterprises):
        add_pools(rng, ent)
        docs = make_services(rng, ent, index, now, history)
        services.load(_rec(doc, ent.id, ent.id) for doc in docs)
        for doc in docs:
            catalog.service_enterprise[doc["Id"]] = ent.id
        catalog.bookable.update(ent.bookable)
        for service_id in ent.bookable:
            cats = make_age_categories(rng, ent, service_id, now, history)
            categories.load(_rec(doc, service_id, ent.id) for doc in cats)
        catalog.reservation_ids[ent.id] = []
    return catalog, services, categories


def _rec(doc: dict[str, object], group: str, enterprise_id: str) -> Rec:
    updated, created = parse_utc(doc["UpdatedUtc"]), parse_utc(doc["CreatedUtc"])
    assert updated is not None and created is not None
    return Rec(doc, group, enterprise_id, updated, created)


def random_created(rng: random.Random, now: int, history_days: int) -> int:
    """CreatedUtc spread over [now - history, now - 1 h), whole seconds."""
    return (now - HOUR - below(rng, history_days * US_PER_DAY - HOUR)) // 1_000_000 * 1_000_000


# A chunk of reservations to generate: (config, catalog, now, first index, stop index).
Job = tuple[SimulatorConfig, Catalog, int, int, int]


def reservation_chunk(job: Job) -> list[Packed]:
    """Reservations [first, stop) of the data set, from their own seeded stream.

    Chunks are independent, so they can be generated in parallel processes with the same result.
    """
    config, catalog, now, first, stop = job
    rng = random.Random(f"{config.seed}:reservations:{first}")
    catalog.numbers["reservations"] = first
    catalog.group_ids = {}
    targets = [(e, s) for e in catalog.enterprises for s in e.bookable]
    drafts: list[Draft] = []
    previous = 0
    for _ in range(first, stop):
        ent, service_id = pick(rng, targets)
        draft = draft_reservation(rng, catalog, ent, service_id, now, config, previous)
        previous = draft[3]
        drafts.append(draft)
    return [rec.pack() for rec in to_recs(drafts)]


def draft_reservation(
    rng: random.Random, catalog: Catalog, ent: Enterprise, service_id: str, now: int,
    config: SimulatorConfig, tie_with: int | None,
) -> Draft:  # fmt: skip
    """One reservation; without `tie_with` it is fresh (created and updated at `now`)."""
    created = now if tie_with is None else random_created(rng, now, config.history_days)
    t = Timeline(rng, now, created)
    group_id = catalog.group_ids.get(service_id)
    if group_id is None or rng.random() < 0.7:
        group_id = catalog.group_ids[service_id] = new_uuid(rng)
    number = catalog.next_number("reservations")
    doc = make_reservation(rng, ent, service_id, t, number, group_id)
    updated = now if tie_with is None else t.updated(rng, now)
    if tie_with is not None and rng.random() < TIE_SHARE and t.last_event() <= tie_with < now:
        updated = tie_with
    doc["UpdatedUtc"] = format_us(updated)
    if rng.random() < config.variation_fraction:
        add_variations(rng, doc, ent.id)
    return doc, service_id, ent.id, updated, t.created


def generate_orders(
    rng: random.Random, config: SimulatorConfig, catalog: Catalog, now: int
) -> Iterator[Draft]:
    """`product_service_order_count` orders over additional services, some linked to stays."""
    targets = [(e, s) for e in catalog.enterprises for s in e.additional]
    for _ in range(config.product_service_order_count):
        ent, service_id = pick(rng, targets)
        yield draft_order(rng, catalog, ent, service_id, now, config, fresh=False)


def draft_order(
    rng: random.Random, catalog: Catalog, ent: Enterprise, service_id: str, now: int,
    config: SimulatorConfig, fresh: bool,
) -> Draft:  # fmt: skip
    """One product service order; `fresh` ones are created and updated at `now`."""
    created = now if fresh else random_created(rng, now, config.history_days)
    t = Timeline(rng, now, created)
    stays = catalog.reservation_ids[ent.id]
    linked = pick(rng, stays) if stays and rng.random() < 0.6 else None
    number = catalog.next_number("orders")
    doc = make_product_service_order(rng, ent, service_id, t, number, linked)
    updated = now if fresh else t.updated(rng, now)
    doc["UpdatedUtc"] = format_us(updated)
    if rng.random() < config.variation_fraction:
        add_variations(rng, doc, ent.id)
    return doc, service_id, ent.id, updated, t.created
