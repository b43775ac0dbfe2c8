"""Deterministic seed data behind the simulator, ground-truth accessors and the mutation API."""

from __future__ import annotations

import random
import threading
from collections.abc import Collection
from datetime import datetime
from typing import Any

from mews_simulator.build import (
    build_catalog,
    draft_order,
    draft_reservation,
    generate_orders,
)
from mews_simulator.bulk import reservation_recs
from mews_simulator.changes import Mutation, change_person_counts, update_order
from mews_simulator.config import SimulatorConfig
from mews_simulator.finance import Finance
from mews_simulator.ids import pick
from mews_simulator.inventory import build_inventory
from mews_simulator.inventory_changes import mutate_inventory
from mews_simulator.people import People
from mews_simulator.store import Rec, Table, to_recs
from mews_simulator.times import US_PER_DAY, format_us, to_us


class SimulatorData:
    """All records, indexed for paging; every access goes through `lock`."""

    def __init__(self, config: SimulatorConfig, now: datetime | None = None) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.built_at = to_us(now or config.now())
        rng = random.Random(config.seed)
        self.catalog, self.services_table, self.age_categories_table = build_catalog(
            rng, config, self.built_at
        )
        self.inventory = build_inventory(
            config.seed, self.catalog.enterprises, self.built_at, config.history_days * US_PER_DAY
        )
        self.reservations_table = Table()
        self.reservations_table.load(reservation_recs(config, self.catalog, self.built_at))
        for rec in self.reservations_table.records.values():
            self.catalog.reservation_ids[rec.enterprise_id].append(rec.id)
        self.catalog.numbers["reservations"] = config.reservation_count
        orders_rng = random.Random(f"{config.seed}:orders")
        self.orders_table = Table()
        self.orders_table.load(
            to_recs(generate_orders(orders_rng, config, self.catalog, self.built_at))
        )
        self.finance = Finance(self)  # built lazily, on first use
        self.people = People(self)  # customers and resource category assignments, lazily

    @property
    def enterprise_ids(self) -> list[str]:
        return [e.id for e in self.catalog.enterprises]

    def _docs(self, table: Table) -> list[dict[str, Any]]:
        with self.lock:
            return [rec.doc() for rec in table.records.values()]

    def reservations(self) -> list[dict[str, Any]]:
        """Every current reservation, exactly as the API serves it."""
        return self._docs(self.reservations_table)

    def product_service_orders(self) -> list[dict[str, Any]]:
        return self._docs(self.orders_table)

    def services(self) -> list[dict[str, Any]]:
        return self._docs(self.services_table)

    def age_categories(self) -> list[dict[str, Any]]:
        return self._docs(self.age_categories_table)

    def enterprises(self) -> list[dict[str, Any]]:
        """enterprises/getAll's records (the portfolio's 'dummy' enterprise is not one)."""
        return self._docs(self.inventory.enterprises)

    def resource_categories(self) -> list[dict[str, Any]]:
        return self._docs(self.inventory.resource_categories)

    def resources(self) -> list[dict[str, Any]]:
        """Every resource, inactive ones included (resources/getAll's Extent.Inactive)."""
        return self._docs(self.inventory.resources)

    def resource_blocks(self) -> list[dict[str, Any]]:
        """Every resource block, deleted ones included."""
        return self._docs(self.inventory.resource_blocks)

    def rates(self) -> list[dict[str, Any]]:
        return self._docs(self.inventory.rates)

    def business_segments(self) -> list[dict[str, Any]]:
        return self._docs(self.inventory.business_segments)

    def order_items(self) -> list[dict[str, Any]]:
        return self._docs(self.finance.table("OrderItems"))

    def accounting_categories(self) -> list[dict[str, Any]]:
        return self._docs(self.finance.table("AccountingCategories"))

    def bills(self) -> list[dict[str, Any]]:
        return self._docs(self.finance.table("Bills"))

    def payments(self) -> list[dict[str, Any]]:
        return self._docs(self.finance.table("Payments"))

    def products(self) -> list[dict[str, Any]]:
        return self._docs(self.finance.table("Products"))

    def companies(self) -> list[dict[str, Any]]:
        return self._docs(self.finance.table("Companies"))

    def availability_blocks(self) -> list[dict[str, Any]]:
        return self._docs(self.finance.table("AvailabilityBlocks"))

    def rate_groups(self) -> list[dict[str, Any]]:
        return self._docs(self.finance.table("RateGroups"))

    def customers(self) -> list[dict[str, Any]]:
        """customers/getAll's records: one per AccountId of the reservations and orders."""
        return self._docs(self.people.table("Customers"))

    def resource_category_assignments(self) -> list[dict[str, Any]]:
        """Every assignment, inactive (historic, or of an inactive resource) ones included."""
        return self._docs(self.people.table("ResourceCategoryAssignments"))

    def enterprise_of_service(self, service_id: str) -> str:
        return self.catalog.service_enterprise[service_id]

    def mutate(
        self, fraction: float = 0.05, create: int = 50, seed: int = 0,
        now: datetime | None = None, ids: Collection[str] | None = None,
    ) -> Mutation:  # fmt: skip
        """Update ~fraction of reservations and orders and create `create` of each at `now`.

        `now` defaults to the simulator's clock (`SimulatorConfig.now`). With `ids`, exactly
        the reservations and orders having those ids are updated instead. The inventory
        (enterprises, resource categories, resources, resource blocks, rates, business
        segments) changes alongside, from its own random stream: see `mutate_inventory`.
        """
        rng = random.Random(seed)
        with self.lock:
            now_us = to_us(now or self.config.now()) // 1000 * 1000
            result = Mutation()
            reservations = self.reservations_table
            self._update(
                self._sample(rng, reservations, fraction, ids), reservations, rng, now_us,
                result.updated_reservation_ids, result.dropped_category_reservation_ids,
            )  # fmt: skip
            orders = self.orders_table
            self._update(
                self._sample(rng, orders, fraction, ids), orders, rng, now_us,
                result.updated_order_ids,
            )  # fmt: skip
            self._create(rng, create, now_us, result)
            mutate_inventory(
                self.inventory, self.catalog.enterprises, random.Random(f"{seed}:inventory"),
                now_us, fraction, create, ids, result,
            )  # fmt: skip
            finance_rng = random.Random(f"{seed}:finance")
            self.finance.mutate(finance_rng, now_us, fraction, ids, result)
            self.people.mutate(random.Random(f"{seed}:people"), now_us, fraction, ids, result)
            return result

    def _sample(
        self, rng: random.Random, table: Table, fraction: float, ids: Collection[str] | None
    ) -> list[Rec]:
        if ids is not None:
            return [table.records[i] for i in ids if i in table.records]
        keys = list(table.records)
        count = min(len(keys), round(len(keys) * fraction))
        return [table.records[i] for i in rng.sample(keys, count)]

    def _profile(self, rng: random.Random, rec: Rec) -> str:
        return pick(rng, self.catalog.enterprise(rec.enterprise_id).pools["profiles"])

    def _update(
        self,
        recs: list[Rec],
        table: Table,
        rng: random.Random,
        now: int,
        updated: list[str],
        dropped: list[str] | None = None,
    ) -> None:
        """A new version of each record at `now`; reservations (`dropped` given) may also
        change their person counts, noting those that dropped an age category."""
        for rec in recs:
            doc = rec.doc()
            update_order(doc, rng, format_us(now), self._profile(rng, rec))
            if dropped is not None and change_person_counts(doc, rng):
                dropped.append(rec.id)
            table.put(Rec(doc, rec.group, rec.enterprise_id, now, rec.created))
            updated.append(rec.id)

    def _create(self, rng: random.Random, create: int, now: int, result: Mutation) -> None:
        catalog, config = self.catalog, self.config
        stays = [(e, s) for e in catalog.enterprises for s in e.bookable]
        extras = [(e, s) for e in catalog.enterprises for s in e.additional]
        for _ in range(create):
            ent, service_id = pick(rng, stays)
            rec = Rec(*draft_reservation(rng, catalog, ent, service_id, now, config, None))
            self.reservations_table.put(rec)
            catalog.reservation_ids[ent.id].append(rec.id)
            result.created_reservation_ids.append(rec.id)
            ent, service_id = pick(rng, extras)
            rec = Rec(*draft_order(rng, catalog, ent, service_id, now, config, fresh=True))
            self.orders_table.put(rec)
            result.created_order_ids.append(rec.id)
