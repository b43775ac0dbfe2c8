"""Mutations of the inventory: a new version of a few records of each kind, new resource blocks."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection
from typing import Any

from mews_simulator.catalog import Enterprise
from mews_simulator.changes import Mutation
from mews_simulator.ids import between, pick
from mews_simulator.inventory import RESOURCE_STATES, SEGMENT_NAMES, Inventory, make_block
from mews_simulator.store import Rec, Table
from mews_simulator.times import format_us

Doc = dict[str, Any]
Change = Callable[[Doc, random.Random, str], None]
MAX_NEW_BLOCKS = 3


def _phone(doc: Doc, rng: random.Random, now: str) -> None:
    doc["Phone"] = f"+420 {between(rng, 100_000_000, 999_999_999)}"


def _ordering(doc: Doc, rng: random.Random, now: str) -> None:
    doc["Ordering"] += 1


def _state(doc: Doc, rng: random.Random, now: str) -> None:
    current = RESOURCE_STATES.index(doc["State"]) if doc["State"] in RESOURCE_STATES else 0
    doc["State"] = RESOURCE_STATES[(current + 1) % len(RESOURCE_STATES)]


def _block(doc: Doc, rng: random.Random, now: str) -> None:
    """An active block is deleted; a deleted one gets new notes."""
    if doc["IsActive"]:
        doc["IsActive"], doc["DeletedUtc"] = False, now
    else:
        doc["Notes"] = f"Reviewed {now}"


def _enabled(doc: Doc, rng: random.Random, now: str) -> None:
    doc["IsEnabled"] = not doc["IsEnabled"]


def _segment_name(doc: Doc, rng: random.Random, now: str) -> None:
    others = [name for name in SEGMENT_NAMES if name != doc["Name"]]
    doc["Name"] = pick(rng, others)


def mutate_inventory(
    inv: Inventory, enterprises: list[Enterprise], rng: random.Random, now: int,
    fraction: float, create: int, ids: Collection[str] | None, result: Mutation,
) -> None:  # fmt: skip
    """Update ~fraction (at least one while fraction > 0) of each kind, or exactly `ids`, at
    `now`; add min(create, 3) resource blocks unless `ids` are given."""
    kinds: list[tuple[Table, Change, list[str]]] = [
        (inv.enterprises, _phone, result.updated_enterprise_ids),
        (inv.resource_categories, _ordering, result.updated_resource_category_ids),
        (inv.resources, _state, result.updated_resource_ids),
        (inv.resource_blocks, _block, result.updated_resource_block_ids),
        (inv.rates, _enabled, result.updated_rate_ids),
        (inv.business_segments, _segment_name, result.updated_business_segment_ids),
    ]
    text = format_us(now)
    for table, change, updated in kinds:
        for rec in _sample(rng, table, fraction, ids):
            doc = rec.doc()
            change(doc, rng, text)
            if "UpdatedUtc" in doc:
                doc["UpdatedUtc"] = text
            table.put(Rec(doc, rec.group, rec.enterprise_id, now, rec.created))
            updated.append(rec.id)
        if table is inv.enterprises:
            _sync_configuration(enterprises, table, updated)
    if ids is not None or not enterprises:
        return
    for index in range(min(create, MAX_NEW_BLOCKS)):
        ent = pick(rng, enterprises)
        rec = make_block(rng, ent, 3 * index, now // 10**6 * 10**6, now)  # 3 * i: active
        inv.resource_blocks.put(rec)
        result.created_resource_block_ids.append(rec.id)


def _sample(
    rng: random.Random, table: Table, fraction: float, ids: Collection[str] | None
) -> list[Rec]:
    if ids is not None:
        return [table.records[i] for i in ids if i in table.records]
    keys = sorted(table.records)
    count = min(len(keys), math.ceil(len(keys) * fraction)) if fraction > 0 else 0
    return [table.records[i] for i in rng.sample(keys, count)]


def _sync_configuration(enterprises: list[Enterprise], table: Table, updated: list[str]) -> None:
    """configuration/get serves the same enterprise: give it the new Phone and UpdatedUtc."""
    by_id = {ent.id: ent for ent in enterprises}
    for enterprise_id in updated:
        doc = table.records[enterprise_id].doc()
        ent = by_id.get(enterprise_id)
        if ent is not None:
            ent.doc["Phone"], ent.doc["UpdatedUtc"] = doc["Phone"], doc["UpdatedUtc"]
