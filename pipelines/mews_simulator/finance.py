"""The finance and catalog-side tables, built lazily on first use, and their mutations.

Nothing here runs while SimulatorData is built, so a 1M-reservation data set costs no more
time or memory until one of these operations (or accessors) is used:

* the small tables (accounting categories, products, companies, availability blocks, rate
  groups) are seeded from the catalog on first use of any of them;
* the ledger (order items, bills, payments) is derived from the current reservations and
  product service orders (see ledger.py) on first use of any of them, then kept up to date
  by `mutate`.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from typing import TYPE_CHECKING

from mews_simulator import finance_docs as fd
from mews_simulator.changes import Mutation
from mews_simulator.ledger import Refs, derive
from mews_simulator.store import BATCH, Draft, Rec, Table, to_recs
from mews_simulator.times import format_us, parse_utc

if TYPE_CHECKING:
    from mews_simulator.data import SimulatorData

CATALOG_TABLES = ("AccountingCategories", "Products", "Companies", "AvailabilityBlocks",
                  "RateGroups")  # fmt: skip
LEDGER_TABLES = ("OrderItems", "Bills", "Payments")
# The field a mutation changes in each small table (besides UpdatedUtc).
CHANGED_FIELD = {
    "AccountingCategories": "ExternalCode", "Products": "ExternalIdentifier",
    "Companies": "Notes", "AvailabilityBlocks": "Notes", "RateGroups": "ExternalIdentifier",
}  # fmt: skip


class Finance:
    """Lazily built tables of one SimulatorData, keyed by their response collection name."""

    def __init__(self, data: SimulatorData) -> None:
        self._data = data
        self._tables: dict[str, Table] = {}
        self._refs: Refs | None = None

    def table(self, name: str) -> Table:
        """The table `name` (e.g. "OrderItems"), building it on first use."""
        with self._data.lock:
            if name not in self._tables:
                if name in LEDGER_TABLES:
                    self._build_ledger()
                else:
                    self._build_catalog()
            return self._tables[name]

    @property
    def ledger_built(self) -> bool:
        return "OrderItems" in self._tables

    def _build_catalog(self) -> None:
        data = self._data
        rng = random.Random(f"{data.config.seed}:finance")
        now = data.built_at
        drafts: dict[str, list[Draft]] = {name: [] for name in CATALOG_TABLES}
        accommodation, payments, products = {}, {}, {}
        for index, ent in enumerate(data.catalog.enterprises):
            cats = fd.accounting_categories(rng, ent, now)
            drafts["AccountingCategories"].extend(_draft(d, ent.id, ent.id) for d in cats)
            by_name = {d["Name"]: d["Id"] for d in cats}
            accommodation[ent.id], payments[ent.id] = by_name["Accommodation"], by_name["Payments"]
            for service_id in ent.additional:
                service = data.services_table.records[service_id].doc()
                docs = fd.products(rng, service, by_name, now)
                products[service_id] = docs
                drafts["Products"].extend(_draft(d, service_id, ent.id) for d in docs)
            offset = index * len(ent.pools["companies"])
            for doc in fd.companies(rng, ent, offset, now):
                drafts["Companies"].append(_draft(doc, ent.doc["ChainId"], ent.id))
            offset = index * len(ent.pools["blocks"])
            for doc in fd.availability_blocks(rng, ent, offset, now):
                drafts["AvailabilityBlocks"].append(_draft(doc, ent.id, ent.id))
            for service_id in ent.bookable:
                docs = fd.rate_groups(rng, service_id, now)
                # The first is the group the service's rates belong to (see inventory).
                own = data.inventory.rate_groups.get(service_id)
                if own:
                    docs[0]["Id"] = own[0]["Id"]
                for doc in docs:
                    drafts["RateGroups"].append(_draft(doc, service_id, ent.id))
        for name, items in drafts.items():
            self._tables[name] = Table()
            self._tables[name].load(to_recs(items))
        self._refs = Refs(accommodation, payments, products)

    def _refs_now(self) -> Refs:
        if self._refs is None:
            self._build_catalog()
        assert self._refs is not None
        return self._refs

    def _build_ledger(self) -> None:
        """One pass over the orders; drafts are serialized in batches as they come."""
        data, refs = self._data, self._refs_now()
        recs: dict[str, list[Rec]] = {name: [] for name in LEDGER_TABLES}
        pending: dict[str, list[Draft]] = {name: [] for name in LEDGER_TABLES}
        for table, is_reservation in ((data.reservations_table, True), (data.orders_table, False)):
            for rec in table.records.values():
                for name, drafts in _ledger_of(rec, is_reservation, refs).items():
                    pending[name].extend(drafts)
                    if len(pending[name]) >= BATCH:
                        recs[name].extend(to_recs(pending[name]))
                        pending[name] = []
        for name in LEDGER_TABLES:
            recs[name].extend(to_recs(pending[name]))
            self._tables[name] = Table()
            self._tables[name].load(recs[name])

    def mutate(
        self, rng: random.Random, now: int, fraction: float, ids: Collection[str] | None,
        result: Mutation,
    ) -> None:  # fmt: skip
        """Re-derive the ledger of changed orders; update ~fraction of each small table."""
        data = self._data
        with data.lock:
            if self.ledger_built:
                refs = self._refs_now()
                changed = (
                    (data.reservations_table, True,
                     result.updated_reservation_ids + result.created_reservation_ids),
                    (data.orders_table, False, result.updated_order_ids + result.created_order_ids),
                )  # fmt: skip
                for table, is_reservation, order_ids in changed:
                    for order_id in order_ids:
                        derived = _ledger_of(table.records[order_id], is_reservation, refs)
                        for name, drafts in derived.items():
                            for draft in drafts:
                                self._tables[name].put(Rec(*draft))
            for name in CATALOG_TABLES:
                self._touch(self.table(name), name, rng, now, fraction, ids)

    @staticmethod
    def _touch(
        table: Table, name: str, rng: random.Random, now: int, fraction: float,
        ids: Collection[str] | None,
    ) -> None:  # fmt: skip
        if ids is not None:
            recs = [table.records[i] for i in ids if i in table.records]
        else:
            keys = sorted(table.records)
            count = min(len(keys), max(1, round(len(keys) * fraction))) if fraction > 0 else 0
            recs = [table.records[i] for i in rng.sample(keys, count)]
        stamp = format_us(now)
        for rec in recs:
            doc = rec.doc()
            doc[CHANGED_FIELD[name]] = f"Updated {stamp}"
            doc["UpdatedUtc"] = stamp
            table.put(Rec(doc, rec.group, rec.enterprise_id, now, rec.created))


def _draft(doc: fd.Doc, group: str, enterprise_id: str) -> Draft:
    updated, created = parse_utc(doc["UpdatedUtc"]), parse_utc(doc["CreatedUtc"])
    assert updated is not None and created is not None
    return doc, group, enterprise_id, updated, created


def _ledger_of(rec: Rec, is_reservation: bool, refs: Refs) -> dict[str, list[Draft]]:
    """Drafts of the order items, bill and payment of one service order record."""
    items, bill, payment = derive(rec.doc(), rec.enterprise_id, is_reservation, refs)
    ent = rec.enterprise_id
    out: dict[str, list[Draft]] = {
        "OrderItems": [(d, ent, ent, rec.updated, rec.created) for d in items],
        "Bills": [],
        "Payments": [],
    }
    for name, doc in (("Bills", bill), ("Payments", payment)):
        if doc is not None:
            out[name].append((doc, ent, ent, rec.updated, parse_utc(doc["CreatedUtc"]) or 0))
    return out
