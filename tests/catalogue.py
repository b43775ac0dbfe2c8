"""The catalogue beyond the service orders, compared with the simulator's truth table by table.

Shared by the inventory tests and the fault and moving-data suites over the whole catalogue:
every table holds exactly the simulator's records, once each, with their `updated_utc` and
enterprise.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from tests.support import utc

# table -> the simulator's ground truth of its operation
TABLES = {
    "enterprises": "enterprises",
    "resource_categories": "resource_categories",
    "resources": "resources",
    "resource_blocks": "resource_blocks",
    "rates": "rates",
    "business_segments": "business_segments",
    "order_items": "order_items",
    "accounting_categories": "accounting_categories",
    "bills": "bills",
    "payments": "payments",
    "products": "products",
    "companies": "companies",
    "availability_blocks": "availability_blocks",
    "rate_groups": "rate_groups",
    "customers": "customers",
    "resource_category_assignments": "resource_category_assignments",
}
# Records of no one enterprise (the chain's), or that name none (assignments)
CHAIN_LEVEL = {"enterprises", "companies", "customers", "resource_category_assignments"}
UNSTAMPED = {"resource_categories"}  # its records carry no UpdatedUtc: re-read each run


def expected(sim: Any, table: str) -> dict[str, tuple[datetime | None, str | None]]:
    """id -> (updated_utc, enterprise_id) of the simulator's records for `table`."""
    data = sim.data
    records: list[Mapping[str, Any]] = getattr(data, TABLES[table])()

    def enterprise(record: Mapping[str, Any]) -> str | None:
        if table in CHAIN_LEVEL:
            return None
        own = record.get("EnterpriseId")
        return str(own) if own else data.enterprise_of_service(record["ServiceId"])

    def updated(record: Mapping[str, Any]) -> datetime | None:
        return utc(record["UpdatedUtc"]) if table not in UNSTAMPED else None

    return {str(r["Id"]): (updated(r), enterprise(r)) for r in records}


Query = Callable[[str], Sequence[tuple[Any, ...]]]


def loaded_rows(query: Query, table: str) -> list[tuple[str, datetime | None, str | None]]:
    updated = "NULL" if table in UNSTAMPED else "updated_utc"
    enterprise = "NULL" if table in CHAIN_LEVEL else "enterprise_id"
    rows = query(f"SELECT id, {updated}, {enterprise} FROM mews_raw.{table}")
    return [(r[0], r[1] and r[1].astimezone(UTC), r[2]) for r in rows]


def assert_tables_equal_truth(db: Path, sim: Any) -> None:
    """Every table of the DuckDB file at db holds exactly the simulator's records."""
    with duckdb.connect(str(db), read_only=True) as con:
        assert_rows_equal_truth(lambda sql: con.execute(sql).fetchall(), sim)


def assert_rows_equal_truth(query: Query, sim: Any) -> None:
    """Every table that query reads (any warehouse) holds exactly the simulator's records."""
    for table in TABLES:
        rows = loaded_rows(query, table)
        got = {rid: (updated, enterprise) for rid, updated, enterprise in rows}
        want = expected(sim, table)
        assert want, f"{table}: the simulator serves no records"
        assert len(rows) == len(got), f"{table}: duplicate ids"
        assert got.keys() == want.keys(), (
            f"{table}: {len(want.keys() - got.keys())} missing, "
            f"{len(got.keys() - want.keys())} extra"
        )
        differing = [rid for rid in want if got[rid] != want[rid]]
        assert not differing, f"{table}: {len(differing)} differ, e.g. {differing[0]}"
