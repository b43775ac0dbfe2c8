"""Customers and resource category assignments, built lazily on first use, and their mutations.

* Resource category assignments (grouped by category id): every resource of an enterprise is
  assigned to one category of each bookable service of the enterprise; the assignment is
  active unless the resource itself is inactive (the docs' IsActive "also considers the
  parent's status"). Every fifth resource also has an inactive, historic assignment to another
  category, replaced by the current one. A mutation moves ~fraction of the resources to
  another category: the old assignment becomes inactive, a new active one is created.
* Customers (grouped by ChainId): one per distinct AccountId of the reservations and product
  service orders, in the chain of the order's enterprise, created with its first order; the
  fake personal values are drawn from the id (people_docs). Built from the orders present at
  first use, then kept in sync by `mutate`: the accounts of new orders become new customers
  and ~fraction of the customers get a new Email and LoyaltyCode.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection
from typing import TYPE_CHECKING

from mews_simulator import people_docs as pd
from mews_simulator.changes import Mutation
from mews_simulator.ids import between, new_uuid, pick
from mews_simulator.store import BATCH, Draft, Rec, Table, to_recs
from mews_simulator.times import US_PER_DAY, US_PER_S, format_us

if TYPE_CHECKING:
    from mews_simulator.catalog import Enterprise
    from mews_simulator.data import SimulatorData

ACCOUNT = b'"AccountId":"'
HISTORIC_EVERY = 5
MAX_CUSTOMER_LAG = 3 * US_PER_DAY  # UpdatedUtc of a seeded customer: at most this after created


class People:
    """The lazily built "Customers" and "ResourceCategoryAssignments" tables of one data set."""

    def __init__(self, data: SimulatorData) -> None:
        self._data = data
        self._tables: dict[str, Table] = {}
        self._numbers = 0
        self._enterprises: dict[str, Enterprise] = {}

    def table(self, name: str) -> Table:
        with self._data.lock:
            if name not in self._tables:
                if name == "Customers":
                    self._build_customers()
                else:
                    self._build_assignments()
            return self._tables[name]

    # --- resource category assignments -------------------------------------------------

    def _build_assignments(self) -> None:
        data = self._data
        rng = random.Random(f"{data.config.seed}:assignments")
        inv, now = data.inventory, data.built_at
        resources: dict[str, list[Rec]] = {}
        for rec in inv.resources.records.values():
            resources.setdefault(rec.enterprise_id, []).append(rec)
        recs: list[Rec] = []
        for ent in data.catalog.enterprises:
            for service_id in ent.bookable:
                cats = ent.by_service[service_id]["categories"]
                for index, res in enumerate(resources.get(ent.id, [])):
                    recs.extend(self._seed_assignment(rng, res, cats, index, now))
        self._tables["ResourceCategoryAssignments"] = table = Table()
        table.load(recs)

    @staticmethod
    def _seed_assignment(
        rng: random.Random, res: Rec, cats: list[str], index: int, now: int
    ) -> list[Rec]:
        """The current assignment of a resource in one service, after an older one or not."""
        active = res.doc()["IsActive"]
        category = cats[index % len(cats)]
        created = res.created
        out = []
        if index % HISTORIC_EVERY == 0 and len(cats) > 1:
            switch = _second(created + between(rng, 0, max(1, (now - created) // 2)))
            older = cats[(index + 1) % len(cats)]
            doc = pd.assignment(new_uuid(rng), res.id, older, False, created, switch)
            out.append(Rec(doc, older, res.enterprise_id, switch, created))
            created = switch
        updated = _second(created + between(rng, 0, max(1, (now - created) // 4)))
        doc = pd.assignment(new_uuid(rng), res.id, category, active, created, updated)
        out.append(Rec(doc, category, res.enterprise_id, updated, created))
        return out

    def _move_resources(
        self, rng: random.Random, now: int, fraction: float, ids: Collection[str] | None,
        result: Mutation,
    ) -> None:  # fmt: skip
        """Move resources to another category of the same service (a new assignment)."""
        table = self._tables["ResourceCategoryAssignments"]
        services = self._data.inventory.resource_categories.records
        if ids is not None:
            chosen = [table.records[i] for i in ids if i in table.records]
        else:
            current = [r for r in table.records.values() if r.doc()["IsActive"]]
            count = min(len(current), math.ceil(len(current) * fraction)) if fraction > 0 else 0
            chosen = rng.sample(current, count)
        for rec in chosen:
            doc = rec.doc()
            if not doc["IsActive"]:
                continue
            cats = self._data.catalog.enterprise(rec.enterprise_id).by_service[
                services[rec.group].group
            ]["categories"]  # fmt: skip
            others = [c for c in cats if c != rec.group]
            if not others:
                continue
            doc["IsActive"], doc["UpdatedUtc"] = False, format_us(now)
            table.put(Rec(doc, rec.group, rec.enterprise_id, now, rec.created))
            result.updated_resource_category_assignment_ids.append(rec.id)
            target = pick(rng, others)
            new = pd.assignment(new_uuid(rng), doc["ResourceId"], target, True, now, now)
            table.put(Rec(new, target, rec.enterprise_id, now, now))
            result.created_resource_category_assignment_ids.append(new["Id"])

    # --- customers ---------------------------------------------------------------------

    def _build_customers(self) -> None:
        """One pass over the orders, reading only AccountId from each record's JSON."""
        data = self._data
        seen: set[str] = set()
        recs: list[Rec] = []
        pending: list[Draft] = []
        for table in (data.reservations_table, data.orders_table):
            for rec in table.records.values():
                account_id = _account_of(rec)
                if account_id is None or account_id in seen:
                    continue
                seen.add(account_id)
                pending.append(self._customer_draft(account_id, rec, data.built_at))
                if len(pending) >= BATCH:
                    recs.extend(to_recs(pending))
                    pending = []
        recs.extend(to_recs(pending))
        self._tables["Customers"] = table = Table()
        table.load(recs)

    def _customer_draft(self, account_id: str, order: Rec, now: int) -> Draft:
        ent = self._enterprises.get(order.enterprise_id)
        if ent is None:
            ent = self._enterprises[order.enterprise_id] = self._data.catalog.enterprise(
                order.enterprise_id
            )
        created = order.created
        lag = int(account_id[-12:], 16) % MAX_CUSTOMER_LAG if account_id[-1] in "02468ace" else 0
        updated = max(created, min(_second(created + lag), now))
        self._numbers += 1
        doc = pd.customer(account_id, ent.doc["ChainId"], self._numbers, created, updated,
                          ent.pools["profiles"], ent.pools["companies"])  # fmt: skip
        return doc, ent.doc["ChainId"], ent.id, updated, created

    def _sync_customers(
        self, rng: random.Random, now: int, fraction: float, ids: Collection[str] | None,
        result: Mutation,
    ) -> None:  # fmt: skip
        data, table = self._data, self._tables["Customers"]
        created = [(data.reservations_table, i) for i in result.created_reservation_ids]
        created += [(data.orders_table, i) for i in result.created_order_ids]
        fresh = set()
        for orders, order_id in created:
            order = orders.records[order_id]
            account_id = _account_of(order)
            if account_id is not None and account_id not in table.records:
                doc, group, ent, _, _ = self._customer_draft(account_id, order, now)
                doc["CreatedUtc"] = doc["UpdatedUtc"] = format_us(now)
                table.put(Rec(doc, group, ent, now, now))
                result.created_customer_ids.append(account_id)
                fresh.add(account_id)
        if ids is not None:
            chosen = [table.records[i] for i in ids if i in table.records]
        else:
            keys = [k for k in table.records if k not in fresh]
            count = min(len(keys), math.ceil(len(keys) * fraction)) if fraction > 0 else 0
            chosen = [table.records[k] for k in rng.sample(keys, count)]
        stamp = format_us(now)
        for rec in chosen:
            doc = rec.doc()
            local, _, domain = doc["Email"].partition("@")
            doc["Email"] = f"{local.rstrip('0123456789')}{between(rng, 10, 10_000)}@{domain}"
            doc["LoyaltyCode"] = f"LL{between(rng, 0, 10**6):06d}"
            doc["UpdatedUtc"] = stamp
            doc["UpdaterProfileId"] = pick(
                rng, data.catalog.enterprise(rec.enterprise_id).pools["profiles"]
            )
            table.put(Rec(doc, rec.group, rec.enterprise_id, now, rec.created))
            result.updated_customer_ids.append(rec.id)

    def mutate(
        self, rng: random.Random, now: int, fraction: float, ids: Collection[str] | None,
        result: Mutation,
    ) -> None:  # fmt: skip
        """Keep the tables already built in sync with a mutation of the orders (see module)."""
        with self._data.lock:
            if "ResourceCategoryAssignments" in self._tables:
                self._move_resources(rng, now, fraction, ids, result)
            if "Customers" in self._tables:
                self._sync_customers(rng, now, fraction, ids, result)


def _second(us: int) -> int:
    return us // US_PER_S * US_PER_S


def _account_of(rec: Rec) -> str | None:
    """The AccountId of a serialized order, without parsing the whole record."""
    start = rec.blob.find(ACCOUNT)
    if start < 0:
        return None
    start += len(ACCOUNT)
    return rec.blob[start : rec.blob.index(b'"', start)].decode()
