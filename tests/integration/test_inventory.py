"""Every table beyond the service orders equals the simulator after every run.

The hotel's inventory, rates, segments, revenue and payments load incrementally on
`UpdatedUtc` like the orders (dimensions are read whole first, resource categories re-read
each run): after a backfill, after changes, and on a fresh runner (local pipeline dir gone,
state restored from the destination) each table holds exactly the simulator's records, once
each, with their enterprise.
"""

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mews_simulator import SimulatorConfig, running_simulator
from tests.catalogue import TABLES, UNSTAMPED, assert_tables_equal_truth
from tests.support import assert_equal_to_truth, load_in_process

HISTORY_DAYS = 200


@pytest.fixture
def sim():
    config = SimulatorConfig(
        seed=23,
        enterprise_count=3,
        reservation_count=1_500,
        product_service_order_count=300,
        history_days=HISTORY_DAYS,
    )
    with running_simulator(config) as simulator:
        yield simulator


def start_date() -> str:
    moment = datetime.now(UTC) - timedelta(days=HISTORY_DAYS + 1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_once(db: Path, sim: Any) -> None:
    result = load_in_process(db, sim, start_date(), resources=None)
    assert not result.failed, [c.error for c in result.failed]


def test_inventory_tables_equal_the_simulator_after_backfill_changes_and_on_a_fresh_runner(
    sim: Any, tmp_path: Path
) -> None:
    db = tmp_path / "mews.duckdb"
    run_once(db, sim)
    assert_tables_equal_truth(db, sim)
    assert_equal_to_truth(db, sim)

    sim.data.mutate(fraction=0.2, create=20, seed=5)
    run_once(db, sim)
    assert_tables_equal_truth(db, sim)

    shutil.rmtree(os.environ["DLT_DATA_DIR"])  # a fresh runner: state from the destination
    sim.data.mutate(fraction=0.2, create=20, seed=6)
    run_once(db, sim)
    assert_tables_equal_truth(db, sim)
    assert_equal_to_truth(db, sim)


def test_inventory_columns_are_snake_case_with_utc_timestamps(sim: Any, tmp_path: Path) -> None:
    db = tmp_path / "mews.duckdb"
    run_once(db, sim)
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'mews_raw'"
        ).fetchall()
    by_table: dict[str, dict[str, str]] = {}
    for table, column, kind in columns:
        by_table.setdefault(table, {})[column] = kind
    for table in TABLES:
        types = by_table[table]
        assert "id" in types and (table in UNSTAMPED or "updated_utc" in types), table
        utc_columns = [c for c in types if c.endswith("_utc")]
        assert all(types[c] == "TIMESTAMP WITH TIME ZONE" for c in utc_columns), (table, types)
    assert "time_zone_identifier" in by_table["enterprises"]
    assert any(c.startswith("names__") for c in by_table["resource_categories"])


PERSONAL_COLUMNS = {"first_name", "last_name", "email", "phone", "birth_date", "notes"}


def personal_values(sim: Any) -> set[str]:
    """Names, emails and phones the simulator holds for its customers."""
    values: set[str] = set()
    for customer in sim.data.customers():
        values |= {str(customer[k]) for k in ("LastName", "Email", "Phone") if customer.get(k)}
    return values


def every_file_text(root: Path) -> str:
    return "\n".join(
        path.read_bytes().decode("latin-1") for path in root.rglob("*") if path.is_file()
    )


def test_customers_personal_fields_stay_out_unless_the_user_opts_in(
    sim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "mews.duckdb"
    run_once(db, sim)
    with duckdb.connect(str(db), read_only=True) as con:
        columns = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = 'mews_raw' AND table_name = 'customers'"
            ).fetchall()
        }
        rows = con.execute("SELECT count(*) FROM mews_raw.customers").fetchone()
    assert rows and rows[0] == len(sim.data.customers())
    assert {"id", "chain_id", "nationality_code"} <= columns
    assert not columns & PERSONAL_COLUMNS, columns & PERSONAL_COLUMNS
    secrets = personal_values(sim)
    written = every_file_text(tmp_path)  # the DuckDB file and dlt's working dir (packages)
    assert secrets and not [v for v in secrets if v in written]

    opted = tmp_path / "opted" / "mews.duckdb"
    opted.parent.mkdir()
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "opted" / "dlt"))
    result = load_in_process(opted, sim, start_date(), resources=None, customer_personal_data=True)
    assert not result.failed
    with duckdb.connect(str(opted), read_only=True) as con:
        emails = {r[0] for r in con.execute("SELECT email FROM mews_raw.customers").fetchall()}
    assert emails == {c.get("Email") for c in sim.data.customers()}
